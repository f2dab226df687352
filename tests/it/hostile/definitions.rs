//! JSON definitions (approval policies, rule tables, workflow settings), rule thresholds, text
//! limits in the organisation and approval services, and what an approval action tells someone
//! who may not see the document (issue 14).

use std::path::{Path, PathBuf};

use hesabu_app::demo::DEMO_PASSWORD;
use hesabu_core::approvals::policy_format::{self, PolicySpec};
use hesabu_core::approvals::wire::{
    ActionInput, Decision, DocumentType, DocumentView, NewDocument, NewDocumentLine,
};
use hesabu_core::approvals::{actions, documents, org, policy_service};
use hesabu_core::rules;
use hesabu_core::workflows::WorkflowType;
use hesabu_core::workflows::config::{self as workflow_config, WorkflowSettings};
use hesabu_store::ErrorKind;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::limits;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{self, env, hesabu};
use crate::workflows::{demo, login};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn example(name: &str) -> String {
    std::fs::read_to_string(root().join("docs/examples").join(name)).unwrap()
}

/// `hesabu --company PATH --as EMAIL --json ARGS…`
async fn cli(path: &Path, email: &str, args: &[&str]) -> hesabu_cli::Outcome {
    let mut all = vec!["--company", path.to_str().unwrap(), "--as", email, "--json"];
    all.extend_from_slice(args);
    hesabu(&all, env(Some(DEMO_PASSWORD), None)).await
}

fn cli_message(out: &hesabu_cli::Outcome) -> String {
    out.error_json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The company file and its WAL together: what a write made the file grow by.
fn file_bytes(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    std::fs::metadata(path).map_or(0, |m| m.len()) + std::fs::metadata(wal).map_or(0, |m| m.len())
}

// --- Rule thresholds ----------------------------------------------------------------------------

fn one_row_table(condition: Value) -> String {
    json!({
        "name": "High value",
        "document_type": "purchase_order",
        "rows": [{
            "name": "Over fifty thousand",
            "when": [{ "field": "currency", "op": "=", "value": "KES" }, condition],
            "then": [{ "action": "notify", "role": "admin", "message": "Look at it" }]
        }]
    })
    .to_string()
}

#[test]
fn a_threshold_typed_as_text_is_refused_naming_the_row_and_the_cell() {
    for (condition, wanted) in [
        (
            json!({ "field": "amount", "op": ">", "value": "50,000" }),
            &["'50,000'", "not a number", "50000"][..],
        ),
        (
            json!({ "field": "amount", "op": "BETWEEN", "value": ["1000", "5,000.00"] }),
            &["'5,000.00'", "not a number"][..],
        ),
        (
            json!({ "field": "line_count", "op": ">=", "value": "two" }),
            &["'two'", "not a number"][..],
        ),
        (
            json!({ "field": "lines", "op": "any_line",
                    "when": [{ "field": "unit_price", "op": ">", "value": "1,500.00" }] }),
            &["'1,500.00'", "unit_price"][..],
        ),
        (
            json!({ "field": "foreign_currency", "op": "=", "value": "yes" }),
            &["true or false"][..],
        ),
        (
            json!({ "field": "foreign_currency", "op": ">", "value": true }),
            &["= or IN"][..],
        ),
        (
            json!({ "field": "currency", "op": "IN", "value": ["USD", 840] }),
            &["text in quotes"][..],
        ),
        (
            json!({ "field": "amount", "op": ">", "value": "1000000000000000.01" }),
            &["1,000,000,000,000,000"][..],
        ),
        (
            json!({ "field": "amount", "op": "<", "value": 99_999_999_999_999_999_u64 }),
            &["1,000,000,000,000,000"][..],
        ),
    ] {
        let err = rules::parse(&one_row_table(condition.clone())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{condition}");
        let message = err.to_string();
        assert!(
            message.contains("row 1 ('Over fifty thousand'), condition 2"),
            "{condition}: {message}"
        );
        for want in wanted {
            assert!(message.contains(want), "{condition}: {message}");
        }
    }
    // What the format allows still imports: digits as a string or a whole number, facts (whose
    // type only the document knows), text for text fields, true/false for yes/no fields.
    for condition in [
        json!({ "field": "amount", "op": ">", "value": "50000" }),
        json!({ "field": "amount", "op": ">", "value": "2500.50" }),
        json!({ "field": "amount", "op": "<=", "value": 1_000_000_000_000_000_u64 }),
        json!({ "field": "facts.approved_limit", "op": "=", "value": "50,000" }),
        json!({ "field": "project", "op": "IN", "value": ["2024", "Fleet"] }),
        json!({ "field": "foreign_currency", "op": "=", "value": false }),
    ] {
        rules::parse(&one_row_table(condition.clone()))
            .unwrap_or_else(|e| panic!("{condition}: {e}"));
    }
}

#[test]
fn a_text_field_compares_as_text_even_when_the_text_is_digits() {
    // `project = "2024"` used to be read as the number 2024 and never equal the text "2024".
    let table = rules::parse(&one_row_table(
        json!({ "field": "project", "op": "=", "value": "2024" }),
    ))
    .unwrap();
    let subject = |project: &str| rules::Subject {
        amount: Decimal::new(60_000, 0),
        currency: "KES".into(),
        base_currency: "KES".into(),
        category: None,
        project: Some(project.into()),
        department: None,
        doc_type: "purchase_order".into(),
        title: "Vans".into(),
        facts: json!({}),
        lines: Vec::new(),
    };
    let matched = |project: &str| {
        !rules::evaluate(&[(table.clone(), 1)], &subject(project))
            .actions
            .is_empty()
    };
    assert!(matched("2024"));
    assert!(!matched("2025"));
}

#[test]
fn a_line_amount_too_large_to_compute_is_not_a_panic() {
    let table = rules::parse(&one_row_table(json!({
        "field": "lines", "op": "any_line",
        "when": [{ "field": "line_amount", "op": ">", "value": "1000" }]
    })))
    .unwrap();
    let subject = rules::Subject {
        amount: Decimal::ONE,
        currency: "KES".into(),
        base_currency: "KES".into(),
        category: None,
        project: None,
        department: None,
        doc_type: "purchase_order".into(),
        title: "t".into(),
        facts: json!({}),
        lines: vec![rules::LineSubject {
            description: "huge".into(),
            quantity: Decimal::MAX,
            unit_price: Decimal::MAX,
            tax_code: None,
        }],
    };
    let evaluation = rules::evaluate(&[(table, 1)], &subject);
    assert!(evaluation.actions.is_empty(), "{evaluation:?}");
}

#[tokio::test]
async fn the_rules_import_refuses_a_text_threshold_and_writes_nothing() {
    let d = demo().await;
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("rules.json");
    std::fs::write(
        &table,
        one_row_table(json!({ "field": "amount", "op": ">", "value": "50,000" })),
    )
    .unwrap();
    let audit_before = support::count(&d.path, "audit_log").await;
    let out = cli(
        &d.path,
        "cfo@demo.test",
        &["rules", "import", table.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.code, 2, "{}", out.stdout);
    let message = cli_message(&out);
    assert!(
        message.contains("row 1 ('Over fifty thousand')"),
        "{message}"
    );
    assert_eq!(support::count(&d.path, "audit_log").await, audit_before);
    assert_eq!(support::count(&d.path, "rule_table").await, 0);
}

// --- Encodings, syntax errors and sizes ---------------------------------------------------------

/// (what, CLI command before the file, a valid definition, the doc its messages point to)
fn definitions() -> Vec<(&'static str, Vec<&'static str>, String, &'static str)> {
    vec![
        (
            "rule table",
            vec!["rules", "import"],
            example("rules-high-value-invoice.json"),
            "docs/rules.md",
        ),
        (
            "policy",
            vec!["policy", "validate"],
            example("policy-default.json"),
            "docs/approval-policies.md",
        ),
        (
            "workflow file",
            vec!["workflow", "set", "invoice_sync", "--file"],
            example("workflow-invoice-sync.json"),
            "docs/workflows.md",
        ),
    ]
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

#[tokio::test]
async fn a_byte_order_mark_is_accepted_and_utf16_or_binary_files_are_named() {
    let d = demo().await;
    let dir = tempfile::tempdir().unwrap();
    for (what, command, valid, doc) in definitions() {
        let run = |bytes: Vec<u8>, name: &'static str| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let mut args: Vec<String> = command.iter().map(|a| (*a).to_owned()).collect();
            args.push(path.to_str().unwrap().to_owned());
            let company = d.path.clone();
            async move {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                cli(&company, "admin@demo.test", &args).await
            }
        };
        // Notepad's "UTF-8 with BOM".
        let mut with_bom = "\u{FEFF}".as_bytes().to_vec();
        with_bom.extend_from_slice(valid.as_bytes());
        let out = run(with_bom, "bom.json").await;
        assert_eq!(out.code, 0, "{what} with a BOM: {}", out.stderr);

        // Notepad's "Unicode" (UTF-16 LE), without and with a BOM.
        for (bytes, name) in [
            (utf16le_with_bom(&valid), "utf16-bom.json"),
            (utf16le_with_bom(&valid)[2..].to_vec(), "utf16.json"),
        ] {
            let out = run(bytes, name).await;
            assert_eq!(out.code, 2, "{what} {name}: {}", out.stdout);
            let message = cli_message(&out);
            assert!(
                message.contains("UTF-16") && message.contains("save it as UTF-8"),
                "{what} {name}: {message}"
            );
            assert!(message.contains(what), "{what} {name}: {message}");
        }

        // A picture saved under a .json name.
        let mut png = vec![
            0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D,
        ];
        png.extend((0..200_u8).map(|b| b.wrapping_mul(37)));
        let out = run(png, "picture.json").await;
        assert_eq!(out.code, 2, "{what} binary");
        let message = cli_message(&out);
        assert!(message.contains("not a text file"), "{what}: {message}");
        assert!(message.contains(doc), "{what}: {message}");
    }
}

#[test]
fn json_errors_say_where_what_was_expected_and_which_doc_to_read() {
    // A missing comma after a list, in each format's own words.
    let broken = |key: &str| format!("{{\n  \"name\": \"x\",\n  \"{key}\": [] \"y\"\n}}");
    let err = rules::parse(&broken("rows")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        err.to_string(),
        "The rule table is not valid JSON at line 3, column 14 (expected `,` or `}`). See \
         docs/rules.md for the format."
    );
    let err = policy_service::parse(&broken("rules"))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("The policy is not valid JSON at line 3, column 15")
            && err.ends_with("See docs/approval-policies.md for the format."),
        "{err}"
    );
    let err = workflow_config::parse_settings_json(&broken("config"))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("The workflow file is not valid JSON at line 3, column 16")
            && err.ends_with("See docs/workflows.md for the format."),
        "{err}"
    );

    // Cut short, empty, or the wrong shape: still where and what, never serde's bare words.
    let err = rules::parse("{\"name\": \"x\",").unwrap_err().to_string();
    assert!(
        err.contains("ends too early") && err.contains("line 1"),
        "{err}"
    );
    let err = rules::parse("  \n").unwrap_err().to_string();
    assert!(err.contains("The rule table is empty"), "{err}");
    let err = rules::parse(
        r#"{"name": "t", "document_type": "purchase_order", "rows": [], "colour": "red"}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("The rule table does not have the expected shape at line 1, column ")
            && err.contains("unknown field `colour`")
            && err.ends_with("See docs/rules.md for the format."),
        "{err}"
    );
    let err = policy_service::parse(r#"{"name": "p", "levels": 3}"#)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 1, column") && err.contains("docs/approval-policies.md"),
        "{err}"
    );
}

#[test]
fn deeply_nested_json_is_refused_not_a_stack_overflow() {
    for text in ["[".repeat(200_000), "{\"a\":".repeat(200_000)] {
        for err in [
            rules::parse(&text).map(drop),
            policy_service::parse(&text).map(drop),
            workflow_config::parse_settings_json(&text).map(drop),
        ]
        .into_iter()
        .map(Result::unwrap_err)
        {
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.to_string().len() < 600, "{err}");
        }
    }
}

#[test]
fn a_byte_order_mark_in_a_string_is_accepted_too() {
    // The desktop hands over the file's content as a string.
    let policy = format!("\u{FEFF}{}", example("policy-default.json"));
    policy_service::parse(&policy).unwrap();
    let table = format!("\u{FEFF}{}", example("rules-missing-tax-code.json"));
    rules::parse(&table).unwrap();
    let settings = format!("\u{FEFF}{}", example("workflow-invoice-sync.json"));
    workflow_config::parse_settings_json(&settings).unwrap();
}

#[test]
fn a_definition_over_the_size_limit_is_refused_before_parsing() {
    // Valid JSON, just too big: the size is checked first.
    let padding = " ".repeat(limits::DEFINITION_BYTES);
    let table = format!("{}{padding}", example("rules-high-value-invoice.json"));
    let err = rules::parse(&table).unwrap_err().to_string();
    assert!(err.contains("at most 1,048,576"), "{err}");
    let policy = format!("{}{padding}", example("policy-default.json"));
    let err = policy_service::parse(&policy).unwrap_err().to_string();
    assert!(err.contains("at most 1,048,576"), "{err}");
    let settings = format!("{}{padding}", example("workflow-invoice-sync.json"));
    let err = workflow_config::parse_settings_json(&settings)
        .unwrap_err()
        .to_string();
    assert!(err.contains("at most 1,048,576"), "{err}");
    // The desktop hands settings over as a value: the same limit.
    let current = WorkflowSettings {
        enabled: false,
        auto_sync: false,
        config: WorkflowType::InvoiceSync.default_config(),
    };
    let huge = json!({ "enabled": true, "config": { "x": "y".repeat(limits::DEFINITION_BYTES) } });
    let err = workflow_config::parse_settings(WorkflowType::InvoiceSync, &huge, &current)
        .unwrap_err()
        .to_string();
    assert!(err.contains("at most 1,048,576"), "{err}");
}

// --- Text limits --------------------------------------------------------------------------------

const FIFTY_MB: usize = 50 * 1024 * 1024;

#[tokio::test]
async fn a_fifty_megabyte_policy_name_is_refused_and_nothing_is_written() {
    let d = demo().await;
    let admin = login(&d.file, "admin@demo.test").await;
    let mut spec: PolicySpec = policy_service::parse(&example("policy-default.json")).unwrap();
    spec.name = "N".repeat(FIFTY_MB);
    let audit_before = support::count(&d.path, "audit_log").await;
    let bytes_before = file_bytes(&d.path);

    // The desktop sends the edited policy itself, not a file: the service checks.
    // (Never `unwrap_err`: on failure it would print the 50-MB policy.)
    let Err(err) = policy_service::import(&d.file, &admin, &spec).await else {
        panic!("a policy with a 50-MB name was saved");
    };
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let message = err.to_string();
    assert!(
        message.contains("52,428,800 characters"),
        "{}",
        &message[..200.min(message.len())]
    );
    assert!(
        message.len() < 500,
        "the message is {} bytes",
        message.len()
    );
    let report = policy_service::validate(&d.file, &admin, &spec)
        .await
        .unwrap();
    assert!(!report.ok);
    assert!(report.errors.iter().all(|e| e.len() < 500));

    // From a file: refused for its size before it is even parsed.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge-policy.json");
    std::fs::write(&path, serde_json::to_string(&spec).unwrap()).unwrap();
    let out = cli(
        &d.path,
        "admin@demo.test",
        &["policy", "import", path.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.code, 2, "{}", out.stdout);
    let message = cli_message(&out);
    assert!(message.contains("at most 1,048,576"), "{message}");

    // The desktop hands over the policy itself: held to a file's size too, even when every
    // name in it is within its own limit.
    let mut many = policy_service::parse(&example("policy-default.json")).unwrap();
    let rule = many.rules[0].clone();
    many.rules = (0..6_000)
        .map(|i| policy_format::RuleSpec {
            name: format!("{i:>0width$}", width = limits::NAME),
            ..rule.clone()
        })
        .collect();
    let Err(err) = policy_service::import(&d.file, &admin, &many).await else {
        panic!("a 1.5-MB policy was saved");
    };
    let err = err.to_string();
    assert!(
        err.contains("at most 1,048,576"),
        "{}",
        limits::excerpt(&err)
    );

    assert_eq!(support::count(&d.path, "audit_log").await, audit_before);
    assert_eq!(support::count(&d.path, "approval_policy").await, 1);
    let grown = file_bytes(&d.path).saturating_sub(bytes_before);
    assert!(
        grown < 1024 * 1024,
        "the company file grew by {grown} bytes"
    );
}

/// Every text a person types into these services is limited: refused with the field named and
/// the limit, the message short, nothing written.
#[tokio::test]
async fn long_text_is_refused_by_every_service_here() {
    let d = demo().await;
    let file = &d.file;
    let admin = login(file, "admin@demo.test").await;
    let cfo = login(file, "cfo@demo.test").await;
    let long = |n: usize| "x".repeat(n);
    let huge = long(FIFTY_MB / 10);
    // For the decisions: a pending request waiting for Faith (the rep's manager).
    let pending = submitted(file, "Stand", 75_000).await;
    let request = pending.current_request.as_ref().unwrap().id.clone();

    let audit_before = support::count(&d.path, "audit_log").await;
    let mut outcomes: Vec<(&str, hesabu_store::Result<()>)> = Vec::new();
    let new_user = |email: String, name: String| hesabu_core::users::NewUser {
        email,
        name,
        role: hesabu_store::permissions::Role::Employee,
        manager_email: None,
        department: None,
        password: "a-good-password-1".into(),
    };
    outcomes.push((
        "user name",
        hesabu_core::users::add(file, &admin, &new_user("n@demo.test".into(), huge.clone()))
            .await
            .map(drop),
    ));
    outcomes.push((
        "email",
        hesabu_core::users::add(
            file,
            &admin,
            &new_user(format!("{huge}@demo.test"), "Jane".into()),
        )
        .await
        .map(drop),
    ));
    outcomes.push((
        "department name",
        hesabu_core::departments::add(file, &admin, &huge)
            .await
            .map(drop),
    ));
    let info = hesabu_core::company::info(file, &admin).await.unwrap();
    let settings =
        |legal: String, address: Option<String>| hesabu_core::company::CompanySettingsUpdate {
            legal_name: legal,
            trading_name: None,
            kra_pin: info.kra_pin.clone(),
            branch_id: info.branch_id.clone(),
            address,
            fiscal_year_start_month: info.fiscal_year_start_month,
            time_zone: info.time_zone.clone(),
        };
    outcomes.push((
        "legal name",
        hesabu_core::company::update(file, &admin, &settings(huge.clone(), None))
            .await
            .map(drop),
    ));
    outcomes.push((
        "address",
        hesabu_core::company::update(
            file,
            &admin,
            &settings(info.legal_name.clone(), Some(huge.clone())),
        )
        .await
        .map(drop),
    ));
    outcomes.push((
        "designation",
        org::designate(file, &admin, "cfo@demo.test", &huge).await,
    ));
    outcomes.push((
        "holiday name",
        org::add_holiday(file, &admin, "2026-12-12", &huge).await,
    ));
    let rep = login(file, "sales.rep@demo.test").await;
    let doc = |title: String, category: Option<String>, description: String| NewDocument {
        doc_type: DocumentType::PurchaseOrder,
        title,
        amount: Decimal::new(75_000, 0),
        currency: None,
        department: None,
        category,
        project: None,
        facts: None,
        lines: vec![NewDocumentLine {
            description,
            quantity: Decimal::ONE,
            unit_price: Decimal::new(75_000, 0),
            tax_code: None,
        }],
    };
    outcomes.push((
        "title",
        documents::create(file, &rep, &doc(huge.clone(), None, "Stand".into()))
            .await
            .map(drop),
    ));
    outcomes.push((
        "category",
        documents::create(
            file,
            &rep,
            &doc("Stand".into(), Some(huge.clone()), "Stand".into()),
        )
        .await
        .map(drop),
    ));
    outcomes.push((
        "line 1 description",
        documents::create(file, &rep, &doc("Stand".into(), None, huge.clone()))
            .await
            .map(drop),
    ));
    let mut table: Value = serde_json::from_str(&example("rules-high-value-invoice.json")).unwrap();
    table["rows"][0]["name"] = json!(long(limits::NAME + 1));
    outcomes.push((
        "row 1 name",
        rules::service::import(file, &cfo, &table.to_string())
            .await
            .map(drop),
    ));
    let mut policy: PolicySpec = policy_service::parse(&example("policy-default.json")).unwrap();
    policy.levels[1].name = long(limits::NAME + 1);
    outcomes.push((
        "level 2 name",
        policy_service::import(file, &admin, &policy)
            .await
            .map(drop),
    ));

    let faith = login(file, "sales.manager@demo.test").await;
    for decision in [
        Decision::Reject,
        Decision::Return,
        Decision::Clarify,
        Decision::Delegate,
    ] {
        outcomes.push((
            "comment",
            actions::act(
                file,
                &faith,
                &request,
                &ActionInput {
                    decision,
                    comment: Some(huge.clone()),
                    delegate_to: Some("cfo@demo.test".into()),
                    expected_version: None,
                },
            )
            .await
            .map(drop),
        ));
    }
    outcomes.push((
        "note",
        documents::resubmit(file, &rep, &pending.id, Some(&huge))
            .await
            .map(drop),
    ));

    for (field, outcome) in &outcomes {
        let err = outcome
            .as_ref()
            .err()
            .unwrap_or_else(|| panic!("a long {field} was accepted"));
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{field}: {err}");
        let message = err.to_string();
        assert!(
            message.len() < 400,
            "{field}: a {} byte message",
            message.len()
        );
        assert!(
            message.contains(field) && message.contains("characters long"),
            "{field}: {message}"
        );
    }
    assert_eq!(support::count(&d.path, "audit_log").await, audit_before);
}

/// A purchase order raised by the sales rep (Sales; manager Faith Njeri) and submitted.
async fn submitted(file: &CompanyFile, title: &str, amount: i64) -> DocumentView {
    let rep = login(file, "sales.rep@demo.test").await;
    let doc = documents::create(
        file,
        &rep,
        &NewDocument {
            doc_type: DocumentType::PurchaseOrder,
            title: title.into(),
            amount: Decimal::new(amount, 0),
            currency: None,
            department: None,
            category: None,
            project: None,
            facts: None,
            lines: Vec::new(),
        },
    )
    .await
    .unwrap();
    let doc = documents::submit(file, &rep, &doc.id).await.unwrap();
    assert_eq!(
        doc.current_request.as_ref().unwrap().steps[0].acting_email,
        "sales.manager@demo.test"
    );
    doc
}

// --- Permissions: bulk approve and what a refusal says ------------------------------------------

/// What nobody outside the document's chain may learn from an error.
fn assert_tells_nothing(message: &str, doc: &DocumentView, context: &str) {
    for secret in [
        doc.title.as_str(),
        doc.number.as_str(),
        "75,000",
        "75000",
        "Sales",
        "Faith",
        "Njeri",
        "Mercy",
        "sales.manager",
        "sales.rep",
    ] {
        assert!(
            !message.contains(secret),
            "{context}: the message names '{secret}': {message}"
        );
    }
}

#[tokio::test]
async fn bulk_approve_by_someone_with_nothing_to_approve_is_refused_before_looking() {
    let d = demo().await;
    let doc = submitted(&d.file, "Trade fair stand", 75_000).await;
    let request = doc.current_request.as_ref().unwrap().id.clone();
    let audit_before = support::count(&d.path, "audit_log").await;
    let notices_before = support::count(&d.path, "notification").await;

    // Brian, an Operations storekeeper, has nothing waiting for him.
    let out = cli(
        &d.path,
        "storekeeper@demo.test",
        &["approval", "bulk-approve", &request, "no-such-request"],
    )
    .await;
    assert_eq!(out.code, 3, "{}", out.stdout);
    let error = out.error_json();
    assert_eq!(error["error"]["kind"], "permission_denied");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("employee"), "{message}");
    assert!(message.contains("nothing was approved"), "{message}");
    assert_tells_nothing(message, &doc, "bulk approve");
    assert!(out.stdout.is_empty(), "{}", out.stdout);

    assert_eq!(support::count(&d.path, "audit_log").await, audit_before);
    assert_eq!(
        support::count(&d.path, "notification").await,
        notices_before
    );
    let faith = login(&d.file, "sales.manager@demo.test").await;
    let shown = documents::show(&d.file, &faith, &doc.id).await.unwrap();
    assert_eq!(shown.current_request.unwrap().steps[0].status, "pending");
}

#[tokio::test]
async fn bulk_approve_lists_someone_elses_request_without_naming_it() {
    let d = demo().await;
    let foreign = submitted(&d.file, "Trade fair stand", 75_000).await;
    let foreign_request = foreign.current_request.as_ref().unwrap().id.clone();
    // Brian raises one that waits for John, his manager.
    let brian = login(&d.file, "storekeeper@demo.test").await;
    let own = documents::create(
        &d.file,
        &brian,
        &NewDocument {
            doc_type: DocumentType::ExpenseClaim,
            title: "Boots".into(),
            // Above the Operations budget's auto-approve threshold, so it needs John.
            amount: Decimal::new(20_000, 0),
            currency: None,
            department: None,
            category: None,
            project: None,
            facts: None,
            lines: Vec::new(),
        },
    )
    .await
    .unwrap();
    let own = documents::submit(&d.file, &brian, &own.id).await.unwrap();
    let own_request = own.current_request.unwrap();
    assert_eq!(own_request.steps[0].acting_email, "ops.manager@demo.test");
    let own_request = own_request.id;

    let out = cli(
        &d.path,
        "ops.manager@demo.test",
        &["approval", "bulk-approve", &own_request, &foreign_request],
    )
    .await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    let result = out.json();
    assert_eq!(result["succeeded"].as_array().unwrap().len(), 1);
    let failed = &result["failed"][0];
    assert_eq!(failed["request_id"], foreign_request.as_str());
    assert_tells_nothing(failed["message"].as_str().unwrap(), &foreign, "bulk item");
    assert_tells_nothing(&out.stdout, &foreign, "bulk output");
    // The batch's audit entry keeps the reasons, without the other department's names.
    let pool = support::raw(&d.path).await;
    let summary: String = sqlx::query_scalar(
        "SELECT after_json FROM audit_log WHERE action = 'approval.bulk_approve'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_tells_nothing(&summary, &foreign, "bulk audit entry");
}

#[tokio::test]
async fn no_approval_action_names_a_document_its_caller_may_not_see() {
    let d = demo().await;
    let file = &d.file;
    let doc = submitted(file, "Trade fair stand", 75_000).await;
    let request = doc.current_request.as_ref().unwrap().id.clone();
    let audit_before = support::count(&d.path, "audit_log").await;

    // John heads Operations: an approver, but not in this Sales chain.
    let john = login(file, "ops.manager@demo.test").await;
    for (decision, comment) in [
        (Decision::Approve, None),
        (Decision::Reject, Some("Too dear")),
        (Decision::Return, Some("Add a quote")),
        (Decision::Clarify, Some("Which fair?")),
        (Decision::Delegate, None),
    ] {
        let err = actions::act(
            file,
            &john,
            &request,
            &ActionInput {
                decision,
                comment: comment.map(str::to_owned),
                delegate_to: Some("cfo@demo.test".into()),
                expected_version: None,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::PermissionDenied,
            "{decision:?}: {err}"
        );
        let message = err.to_string();
        assert!(message.contains("not waiting for you"), "{message}");
        assert_tells_nothing(&message, &doc, &format!("{decision:?}"));
    }
    // Brian (storekeeper, Operations) did not raise it and is in no chain of it.
    let brian = login(file, "storekeeper@demo.test").await;
    let refusals = [
        (
            "recall",
            documents::recall(file, &brian, &doc.id).await.map(drop),
        ),
        (
            "submit",
            documents::submit(file, &brian, &doc.id).await.map(drop),
        ),
        (
            "resubmit",
            documents::resubmit(file, &brian, &doc.id, Some("again"))
                .await
                .map(drop),
        ),
        (
            "cancel",
            documents::cancel(file, &brian, &doc.id).await.map(drop),
        ),
        (
            "show",
            documents::show(file, &brian, &doc.id).await.map(drop),
        ),
        (
            "history",
            actions::history(file, &brian, &doc.id).await.map(drop),
        ),
    ];
    for (what, outcome) in refusals {
        let err = outcome.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{what}: {err}");
        assert_tells_nothing(&err.to_string(), &doc, what);
    }
    assert_eq!(support::count(&d.path, "audit_log").await, audit_before);
}

// --- Fuzzing the three JSON parsers -------------------------------------------------------------

/// The longest message a parser may answer with.
const MESSAGE_BOUND: usize = 2_000;

/// Runs every parser on `text`: never a panic; Ok, or invalid input with a short message.
fn parse_everything(text: &str) -> Result<(), TestCaseError> {
    let check = |what: &str, outcome: hesabu_store::Result<()>| -> Result<(), TestCaseError> {
        if let Err(e) = outcome {
            prop_assert_eq!(e.kind(), ErrorKind::InvalidInput, "{}: {}", what, e);
            let message = e.to_string();
            prop_assert!(!message.trim().is_empty(), "{}: empty message", what);
            prop_assert!(
                message.len() <= MESSAGE_BOUND,
                "{}: a {} byte message",
                what,
                message.len()
            );
        }
        Ok(())
    };
    match rules::parse(text) {
        // A table that reads also evaluates, even against figures at the edge of Decimal.
        Ok(table) => drop(rules::evaluate(&[(table, 1)], &extreme_subject())),
        Err(e) => check("rule table", Err(e))?,
    }
    match policy_service::parse(text) {
        Ok(spec) => {
            for e in policy_format::validate_shape(&spec) {
                prop_assert!(!e.is_empty() && e.len() <= MESSAGE_BOUND, "policy: {}", e);
            }
        }
        Err(e) => check("policy", Err(e))?,
    }
    match workflow_config::parse_settings_json(text) {
        Ok(value) => {
            for workflow in WorkflowType::ALL {
                let current = WorkflowSettings {
                    enabled: false,
                    auto_sync: false,
                    config: workflow.default_config(),
                };
                check(
                    "workflow settings",
                    workflow_config::parse_settings(workflow, &value, &current).map(drop),
                )?;
            }
        }
        Err(e) => check("workflow file", Err(e))?,
    }
    Ok(())
}

fn extreme_subject() -> rules::Subject {
    rules::Subject {
        amount: Decimal::MAX,
        currency: "KES".into(),
        base_currency: "KES".into(),
        category: Some("x".repeat(10_000)),
        project: Some("2024".into()),
        department: None,
        doc_type: "sales_invoice".into(),
        title: String::new(),
        facts: json!({ "customer_age_days": "-0", "exchange_rate": 1e300, "n": u64::MAX }),
        lines: vec![rules::LineSubject {
            description: String::new(),
            quantity: Decimal::MAX,
            unit_price: Decimal::MIN,
            tax_code: None,
        }],
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        "[a-z_.=<>, 0-9]{0,12}".prop_map(Value::String),
        // Long text: every message that quotes it must stay short.
        ("[a-z]{1,3}", 1_000..3_000_usize).prop_map(|(s, n)| Value::String(s.repeat(n))),
        prop::sample::select(vec![
            "amount",
            "BETWEEN",
            "IN",
            "any_line",
            "lines",
            "50,000",
            "1e400",
            "-0",
            "KES",
            "require_approval",
            "reporting_manager",
            "purchase_order",
            "notify",
            "admin",
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "name",
                        "document_type",
                        "rows",
                        "when",
                        "then",
                        "field",
                        "op",
                        "value",
                        "action",
                        "levels",
                        "rules",
                        "approvers",
                        "type",
                        "enabled",
                        "autoSync",
                        "config",
                        "maxRetries",
                        "requireApprovalAbove",
                        "hit_policy",
                        "document_types",
                        "min_amount",
                        "x",
                    ]),
                    inner,
                ),
                0..6,
            )
            .prop_map(|fields| {
                Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// One edit of a valid definition: cut, insert or overwrite a few bytes.
fn mutated(text: String) -> impl Strategy<Value = String> {
    let len = text.len();
    (
        0..len,
        0..len.min(64),
        prop::collection::vec(any::<u8>(), 0..8),
        0..3_u8,
    )
        .prop_map(move |(at, cut, insert, how)| {
            let mut bytes = text.clone().into_bytes();
            let end = (at + cut).min(bytes.len());
            match how {
                0 => {
                    bytes.drain(at..end);
                }
                1 => {
                    bytes.splice(at..at, insert);
                }
                _ => {
                    bytes.splice(at..end, insert);
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_a_parser(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_everything(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn random_json_never_panics_a_parser(value in json_value()) {
        parse_everything(&value.to_string())?;
    }

    #[test]
    fn edited_examples_never_panic_a_parser(
        text in prop_oneof![
            mutated(example("rules-high-value-invoice.json")),
            mutated(example("rules-foreign-currency.json")),
            mutated(example("rules-missing-tax-code.json")),
            mutated(example("policy-default.json")),
            mutated(example("policy-parallel.json")),
            mutated(example("workflow-invoice-sync.json")),
        ]
    ) {
        parse_everything(&text)?;
    }
}
