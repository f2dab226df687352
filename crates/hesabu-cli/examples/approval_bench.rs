//! Benchmark (not a timed test): the median cost of one approve action with N open approval
//! requests in the company file, against a bare single-row insert transaction on the same file.
//!
//!     cargo run --release -p hesabu-cli --example approval_bench -- [N] [SAMPLES]
//!
//! N defaults to 100,000 open requests, SAMPLES to 201 measured approvals. The N background
//! requests are seeded by cloning one real routed document's rows in SQL (one transaction):
//! going through the services for each would measure the seeding, not the approval. The
//! measured approvals go through `hesabu_core::approvals::actions::act`, exactly as the CLI and
//! the app call it (unit of work, compare-and-swap, history, notification, audit entry).
//!
//! It also times **the approval's writes alone**: the same rows changed and appended (step,
//! request, document, history event, workflow event, notification, audit entry and head),
//! hand-written as cached statements on the bare insert's connection, with no reads, no checks
//! and no code of Hesabu's. No real approval can cost less than that, so its ratio to the bare
//! insert is the floor under the approval's ratio on this machine.
//! Results and the command used are recorded in docs/benchmarks.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hesabu_core::approvals::wire::{ActionInput, Decision, DocumentType, NewDocument};
use hesabu_core::approvals::{actions, documents, policy_service};
use hesabu_core::company::NewCompany;
use hesabu_core::users::NewUser;
use hesabu_store::clock::SystemClock;
use hesabu_store::permissions::Role;
use rust_decimal::Decimal;

const POLICY: &str = r#"{
  "name": "Bench: reporting manager",
  "document_types": ["purchase_order"],
  "levels": [{"name": "Manager", "approvers": [{"type": "reporting_manager"}]}],
  "rules": [{"name": "All", "levels": [1]}]
}"#;

mod common;
use common::{BareInsert, median, timed_audited_insert, times};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let samples: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(201);
    assert!(
        i64::try_from(samples).is_ok_and(|s| s <= n),
        "SAMPLES ({samples}) must not exceed N ({n}): each sample also approves one background \
         request by hand"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.hesabu");
    let clock = Arc::new(SystemClock);
    let (file, admin) = hesabu_app::create_company(
        &path,
        &NewCompany {
            legal_name: "Bench Ltd".into(),
            trading_name: None,
            kra_pin: "P051234567X".into(),
            branch_id: None,
            address: None,
            fiscal_year_start_month: None,
            admin_email: "admin@bench.test".into(),
            admin_name: "Admin".into(),
            admin_password: "bench-pass-1".into(),
        },
        clock,
    )
    .await
    .unwrap();
    for (email, name, role, manager) in [
        ("mgr@bench.test", "Manager", Role::Approver, None),
        (
            "clerk@bench.test",
            "Clerk",
            Role::Employee,
            Some("mgr@bench.test"),
        ),
    ] {
        hesabu_core::users::add(
            &file,
            &admin,
            &NewUser {
                email: email.into(),
                name: name.into(),
                role,
                manager_email: manager.map(str::to_owned),
                department: None,
                password: "bench-pass-1".into(),
            },
        )
        .await
        .unwrap();
    }
    policy_service::import(&file, &admin, &policy_service::parse(POLICY).unwrap())
        .await
        .unwrap();
    let clerk = hesabu_store::auth::login(&file, "clerk@bench.test", "bench-pass-1")
        .await
        .unwrap();
    let mgr = hesabu_store::auth::login(&file, "mgr@bench.test", "bench-pass-1")
        .await
        .unwrap();

    let new_doc = |i: usize| NewDocument {
        doc_type: DocumentType::PurchaseOrder,
        title: format!("Bench {i}"),
        amount: Decimal::new(12_500, 0),
        currency: None,
        department: None,
        category: None,
        project: None,
        facts: None,
        lines: Vec::new(),
    };
    // The template for the background rows, and the documents whose approval is measured.
    let mut measured = Vec::new();
    for i in 0..=samples + 1 {
        let doc = documents::create(&file, &clerk, &new_doc(i)).await.unwrap();
        let doc = documents::submit(&file, &clerk, &doc.id).await.unwrap();
        measured.push(doc.current_request.unwrap().id);
    }
    let template_request = measured.pop().unwrap();
    // Approved after the measurements, to show which pages an approval writes.
    let inspected_request = measured.pop().unwrap();

    // Seed N open requests by cloning the template's rows (ids are text; any unique text works).
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10));
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let seeding = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    let numbers = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)";
    // Column lists come from the schema, so a migration that adds a column cannot break the
    // seeding (the smoke run in scripts/test.sh would catch it anyway).
    let doc_cols = copy_columns(
        &mut tx,
        "approval_document",
        "d",
        &[
            ("id", "'bench-doc-' || i"),
            ("number", "'BENCH-' || i"),
            ("current_request_id", "'bench-req-' || i"),
        ],
    )
    .await;
    let request_cols = copy_columns(
        &mut tx,
        "approval_request",
        "r",
        &[
            ("id", "'bench-req-' || i"),
            ("document_id", "'bench-doc-' || i"),
        ],
    )
    .await;
    let step_cols = copy_columns(
        &mut tx,
        "approval_step",
        "s",
        &[
            ("id", "'bench-step-' || i"),
            ("request_id", "'bench-req-' || i"),
        ],
    )
    .await;
    for sql in [
        format!(
            "{numbers} INSERT INTO approval_document ({}) SELECT {} FROM n, approval_request r \
             JOIN approval_document d ON d.id = r.document_id WHERE r.id = ?",
            doc_cols.0, doc_cols.1
        ),
        format!(
            "{numbers} INSERT INTO approval_request ({}) SELECT {} FROM n, approval_request r \
             WHERE r.id = ?",
            request_cols.0, request_cols.1
        ),
        format!(
            "{numbers} INSERT INTO approval_step ({}) SELECT {} FROM n, approval_step s \
             WHERE s.request_id = ?",
            step_cols.0, step_cols.1
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(n)
            .bind(&template_request)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_insert (id TEXT PRIMARY KEY, at TEXT NOT NULL)")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let bare = BareInsert::open(&path, "bench_insert");
    let open: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM approval_step WHERE status = 'pending'")
            .fetch_one(&pool)
            .await
            .unwrap();
    println!(
        "seeded {n} open requests in {:.1?}; {open} pending steps in the file",
        seeding.elapsed()
    );

    // The measurements alternate in blocks (see `common::BLOCK`), so that all of them see the
    // same machine load and each is measured as it runs in steady state.
    let approve = ActionInput {
        decision: Decision::Approve,
        comment: None,
        delegate_to: None,
        expected_version: None,
    };
    // Which pages one approval and one bare insert write, taken before the timed runs so that the
    // hand-written writes below cannot have split a page the approval then lands on.
    let approve_pages = common::pages_dirtied_by(&path, async {
        actions::act(&file, &mgr, &inspected_request, &approve)
            .await
            .unwrap();
    })
    .await;
    let bare_pages = common::pages_dirtied_by(&path, async {
        bare.timed_insert("inspected-row");
    })
    .await;

    let (mut approvals, mut inserts, mut audited) = (Vec::new(), Vec::new(), Vec::new());
    let mut writes_only = Vec::new();
    let mut sqlx_inserts = Vec::new();
    let (mut statements, mut in_statements, mut commits) = (Vec::new(), Vec::new(), Vec::new());
    for (block, requests) in measured.chunks(common::BLOCK).enumerate() {
        for request in requests {
            let start = Instant::now();
            actions::act(&file, &mgr, request, &approve).await.unwrap();
            approvals.push(start.elapsed());
            let timing = file.last_write_timing().expect("the approval committed");
            statements.push(timing.statements);
            in_statements.push(timing.in_statements);
            commits.push(timing.commit);
        }
        let ids = (0..requests.len()).map(|i| block * common::BLOCK + i);
        for i in ids.clone() {
            inserts.push(bare.timed_insert(&format!("row-{i}")));
        }
        // The approval's writes alone, on background requests nobody else touches.
        for i in ids.clone() {
            writes_only.push(timed_approval_writes(
                bare.connection(),
                i64::try_from(i).unwrap() + 1,
                mgr.user_id(),
            ));
        }
        // The same insert through sqlx, as the previous figures in docs/benchmarks.md measured it.
        for i in ids.clone() {
            let start = Instant::now();
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("INSERT INTO bench_insert (id, at) VALUES (?, ?)")
                .bind(format!("sqlx-row-{i}"))
                .bind("2026-11-22T00:00:00.000Z")
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            sqlx_inserts.push(start.elapsed());
        }
        // The floor under any business write in Hesabu: a unit of work (write lock) with the
        // same one-row insert and its hash-chained audit entry.
        for i in ids {
            audited.push(
                timed_audited_insert(&file, &admin, "bench_insert", format!("uow-{i}")).await,
            );
        }
    }
    let (a, b, c) = (median(approvals), median(inserts), median(audited));
    println!(
        "company file writer: synchronous={}, bare insert connection: synchronous={} (2 = FULL)",
        file.pragma("synchronous", true).await.unwrap(),
        bare.synchronous()
    );
    println!("samples: {}", measured.len());
    println!("median approve action:            {a:?}");
    println!("median bare single-row insert tx: {b:?} (rusqlite inline: the baseline)");
    println!(
        "median bare insert through sqlx:  {:?} (for comparison with older figures)",
        median(sqlx_inserts)
    );
    println!("median audited one-row unit of work: {c:?}");
    statements.sort_unstable();
    let commit = median(commits);
    println!(
        "  of which: {} statements taking {:?} in SQLite (median), the COMMIT {:?} (median; \
         {}x the whole bare insert), the rest in Hesabu's code",
        statements[statements.len() / 2],
        median(in_statements),
        commit,
        times(commit, b)
    );
    let w = median(writes_only);
    println!(
        "median of the approval's writes alone (hand-written, no reads, no checks): {w:?} = \
         {}x the bare insert (the floor under any approval here)",
        times(w, b)
    );
    println!("audited unit of work vs bare insert: {}x", times(c, b));
    println!("ratio: {}x (target <= 2x)", times(a, b));

    common::print_pages("one approve action", &approve_pages);
    common::print_pages("one bare insert", &bare_pages);
    pool.close().await;
    file.close().await.unwrap();
}

/// Times one transaction making the writes a final approval makes, for background request `i`
/// (`bench-step-i`, `bench-req-i`, `bench-doc-i`) approved by `user`: the step decided (with
/// the same version and status predicate), the request's other open steps cancelled, request
/// and document closed, the history event, the workflow event and the requester's notification
/// appended, the audit entry appended and the head moved. Values are shaped like the real ones
/// (UUID-length ids, the same JSON). The only read is the audit head, which the next sequence
/// number needs. Foreign keys are not checked here (the app's writer checks them), and the
/// audit hash is a fixed string rather than computed: this is a floor, not a rival.
fn timed_approval_writes(conn: &rusqlite::Connection, i: i64, user: &str) -> Duration {
    const NOW: &str = "2026-11-22T08:00:00.000Z";
    let (step, request, document) = (
        format!("bench-step-{i}"),
        format!("bench-req-{i}"),
        format!("bench-doc-{i}"),
    );
    let id = |kind: &str| format!("0193a5b2-{kind:>4}-7000-8000-{i:012}");
    let hash = "5f".repeat(32);
    let started = Instant::now();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let decided = conn
        .prepare_cached(
            "UPDATE approval_step SET status = 'approved', version = version + 1, \
             decided_by = ?1, decided_at = ?2, comment = NULL, sla_met = 1 \
             WHERE id = ?3 AND status = 'pending'",
        )
        .unwrap()
        .execute((user, NOW, &step))
        .unwrap();
    assert_eq!(decided, 1, "background step {step} was not pending");
    conn.prepare_cached(
        "UPDATE approval_step SET status = 'cancelled', version = version + 1 \
         WHERE request_id = ?1 AND status IN ('waiting', 'pending')",
    )
    .unwrap()
    .execute([&request])
    .unwrap();
    conn.prepare_cached(
        "UPDATE approval_request SET status = 'approved', finished_at = ?1 WHERE id = ?2",
    )
    .unwrap()
    .execute((NOW, &request))
    .unwrap();
    conn.prepare_cached(
        "UPDATE approval_document SET status = 'approved', updated_at = ?1 WHERE id = ?2",
    )
    .unwrap()
    .execute((NOW, &document))
    .unwrap();
    conn.prepare_cached(
        "INSERT INTO approval_event (id, document_id, request_id, step_id, at, actor_id, \
         on_behalf_of_id, action, level, comment, sla_met) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, 'approve', 1, NULL, 1)",
    )
    .unwrap()
    .execute((id("hist"), &document, &request, &step, NOW, user))
    .unwrap();
    conn.prepare_cached(
        "INSERT INTO events (id, event_type, entity_type, entity_id, entity_version, source, \
         payload, actor_id, occurred_at) \
         VALUES (?1, 'approved', 'purchase_order', ?2, 1, 'local', ?3, ?4, ?5)",
    )
    .unwrap()
    .execute((
        id("evnt"),
        &document,
        format!(r#"{{"amount":"12500","number":"BENCH-{i}","status":"approved"}}"#),
        user,
        NOW,
    ))
    .unwrap();
    conn.prepare_cached(
        "INSERT INTO notification (id, user_id, kind, document_id, message, created_at, \
         read_at, delivered_at, attempts, last_error) \
         VALUES (?1, ?2, 'decision', ?3, ?4, ?5, NULL, NULL, 0, NULL)",
    )
    .unwrap()
    .execute((
        id("note"),
        user,
        &document,
        format!("BENCH-{i} Bench {i} is approved."),
        NOW,
    ))
    .unwrap();
    let last_seq: i64 = conn
        .prepare_cached("SELECT last_seq FROM audit_head WHERE id = 1")
        .unwrap()
        .query_row([], |row| row.get(0))
        .unwrap();
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, id, at, actor_id, actor_email, action, entity_type, \
         entity_id, before_json, after_json, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, 'mgr@bench.test', 'approval.approve', 'approval_step', ?5, \
         ?6, ?7, ?8, ?8)",
    )
    .unwrap()
    .execute((
        last_seq + 1,
        id("audt"),
        NOW,
        user,
        &step,
        r#"{"status":"pending","version":2}"#,
        format!(
            r#"{{"comment":null,"document":"BENCH-{i}","document_status":"approved","level":1,"on_behalf_of":null,"sla_met":true,"status":"approved","version":3}}"#
        ),
        &hash,
    ))
    .unwrap();
    conn.prepare_cached("UPDATE audit_head SET last_seq = ?1, last_hash = ?2 WHERE id = 1")
        .unwrap()
        .execute((last_seq + 1, &hash))
        .unwrap();
    conn.execute_batch("COMMIT").unwrap();
    started.elapsed()
}

/// `(column list, select list)` copying every column of `table` from alias `alias`, except the
/// overridden ones.
async fn copy_columns(
    tx: &mut sqlx::SqliteConnection,
    table: &str,
    alias: &str,
    overrides: &[(&str, &str)],
) -> (String, String) {
    let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
    )))
    .fetch_all(tx)
    .await
    .unwrap();
    let select = columns
        .iter()
        .map(|c| {
            overrides
                .iter()
                .find(|(name, _)| name == c)
                .map_or_else(|| format!("{alias}.{c}"), |(_, expr)| (*expr).to_owned())
        })
        .collect::<Vec<_>>()
        .join(", ");
    (columns.join(", "), select)
}
