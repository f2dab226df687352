//! Exports and the budget import preview (issue 15): every list leaves as CSV and XLSX through
//! `hesabu_app::export` (amounts numbers, dates ISO in the company's zone, formula-looking text
//! escaped, words not stored codes), only for those who may see the list; and the import
//! preview names every budget a run would archive, writing nothing.

use std::path::Path;

use hesabu_core::budgets::{self, import};
use hesabu_core::departments;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;

use crate::support;

/// A company whose fiscal year starts in July, with two departments.
async fn budget_company() -> (tempfile::TempDir, CompanyFile, Session) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exports.hesabu");
    let mut new = support::new_company();
    new.fiscal_year_start_month = Some(7);
    let (file, admin) = hesabu_app::create_company(&path, &new, support::clock())
        .await
        .unwrap();
    for name in ["Operations", "Sales"] {
        departments::add(&file, &admin, name).await.unwrap();
    }
    (dir, file, admin)
}

fn write(dir: &Path, name: &str, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

const HEADER: &str = "department,period,amount,currency,enforcement,category";

/// Twelve monthly Operations budgets and one Sales budget (more than the ten a warning names).
fn full_sheet() -> Vec<String> {
    let mut lines = vec![HEADER.to_owned()];
    for month in ["07", "08", "09", "10", "11", "12"] {
        lines.push(format!("Operations,2026-{month},10000,KES,HARD_BLOCK,Fuel"));
        lines.push(format!(
            "Operations,2026-{month},5000,KES,SOFT_WARNING,Travel"
        ));
    }
    lines.push("Sales,FY2026,90000,KES,ESCALATE,".to_owned());
    lines
}

#[tokio::test]
async fn the_import_preview_names_every_budget_it_would_archive_and_writes_nothing() {
    let (dir, file, admin) = budget_company().await;
    let full = write(dir.path(), "full.csv", &full_sheet());
    import::import_file(&file, &admin, &full, import::ImportOptions::default())
        .await
        .unwrap();
    // The next sheet keeps the Sales budget and changes its amount; the twelve monthly
    // budgets are left out.
    let short = write(
        dir.path(),
        "short.csv",
        &[
            HEADER.to_owned(),
            "Sales,FY2026,95000,KES,ESCALATE,".to_owned(),
        ],
    );
    let preview = |archive_missing| {
        import::import_file(
            &file,
            &admin,
            &short,
            import::ImportOptions {
                archive_missing,
                dry_run: true,
                ..import::ImportOptions::default()
            },
        )
    };

    let archiving = preview(true).await.unwrap();
    assert_eq!(archiving.id, "", "a preview is in no history");
    assert_eq!(
        (archiving.created, archiving.updated, archiving.soft_deleted),
        (0, 1, 12),
        "{archiving:?}"
    );
    assert_eq!(
        archiving.missing_from_file.len(),
        12,
        "every budget that would be archived is named, not only the first ten: {:?}",
        archiving.missing_from_file
    );
    assert!(
        archiving
            .missing_from_file
            .contains(&"Operations 2026-12 Travel".to_owned()),
        "{:?}",
        archiving.missing_from_file
    );

    // Without the box ticked, the same budgets are named as staying active.
    let keeping = preview(false).await.unwrap();
    assert_eq!(keeping.soft_deleted, 0);
    assert_eq!(keeping.missing_from_file, archiving.missing_from_file);

    // Neither preview changed anything or left a run in the history.
    assert_eq!(
        budgets::list(&file, &admin, None, false)
            .await
            .unwrap()
            .len(),
        13
    );
    assert_eq!(
        import::sync_history(&file, &admin, 10).await.unwrap().len(),
        1
    );

    // The real run archives exactly what the preview named, and says so.
    let run = import::import_file(
        &file,
        &admin,
        &short,
        import::ImportOptions {
            archive_missing: true,
            ..import::ImportOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(run.soft_deleted, 12);
    assert_eq!(run.missing_from_file, archiving.missing_from_file);
    assert_eq!(
        budgets::list(&file, &admin, None, false)
            .await
            .unwrap()
            .len(),
        1
    );
}

// Exports.

use hesabu_app::demo::{self, DEMO_PASSWORD};
use hesabu_app::export::{self, ExportRequest};
use hesabu_core::approvals::documents;
use hesabu_core::approvals::register::{self, RegisterQuery};
use hesabu_core::approvals::wire::{DocumentType, NewDocument};
use hesabu_core::sales::documents::SalesQuery;
use hesabu_core::workflows::{self, ExecutionFilter};
use hesabu_store::ErrorKind;
use hesabu_store::audit::AuditQuery;
use hesabu_store::auth::login;
use hesabu_store::export::Format;
use rust_decimal::Decimal;

/// A copy of the demo company with its sales ledger and workflows, on the tests' fixed clock
/// (2026-07-01 06:00 UTC, 09:00 in Nairobi).
async fn demo_company() -> (tempfile::TempDir, CompanyFile) {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let file = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    demo::add_workflow_showcase(&file).await.unwrap();
    (dir, file)
}

async fn as_user(file: &CompanyFile, email: &str) -> Session {
    login(file, email, DEMO_PASSWORD).await.unwrap()
}

/// The CSV an export wrote: its header and rows (the BOM dropped).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with a BOM, for Excel"
    );
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(&bytes[3..]);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// The first worksheet of an XLSX export.
fn read_xlsx(path: &Path) -> (String, Vec<Vec<calamine::Data>>) {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    (name, range.rows().map(<[calamine::Data]>::to_vec).collect())
}

/// A numeric cell's value, read back through its text (a spreadsheet's number, not a string).
fn number_of(cell: &calamine::Data) -> Option<Decimal> {
    matches!(cell, calamine::Data::Float(_) | calamine::Data::Int(_))
        .then(|| cell.to_string().parse().ok())
        .flatten()
}

#[tokio::test]
async fn every_list_exports_to_csv_and_xlsx_with_every_row_the_list_holds() {
    let (dir, file) = demo_company().await;
    let cfo = as_user(&file, "cfo@demo.test").await;
    let auditor = as_user(&file, "auditor@demo.test").await;
    let some_budget = budgets::list(&file, &cfo, None, false).await.unwrap()[0]
        .id
        .clone();
    let lists = [
        (
            ExportRequest::Budgets {
                period: None,
                department: None,
            },
            &cfo,
            "Budgets",
        ),
        (
            ExportRequest::BudgetLedger {
                budget: some_budget.clone(),
            },
            &cfo,
            "Budget ledger",
        ),
        (
            ExportRequest::Documents {
                query: RegisterQuery::default(),
            },
            &auditor,
            "Documents",
        ),
        (
            ExportRequest::AuditLog {
                query: AuditQuery::default(),
            },
            &auditor,
            "Audit log",
        ),
        (
            ExportRequest::Executions {
                filter: ExecutionFilter::default(),
            },
            &cfo,
            "Execution log",
        ),
        (
            ExportRequest::Sales {
                query: SalesQuery::default(),
            },
            &cfo,
            "Sales",
        ),
    ];
    for (request, session, sheet) in lists {
        // What the list itself holds, read through its own service.
        let expected = match &request {
            ExportRequest::Budgets { .. } => budgets::report::report(&file, session, None)
                .await
                .unwrap()
                .rows
                .len(),
            ExportRequest::BudgetLedger { budget } => budgets::history(&file, session, budget)
                .await
                .unwrap()
                .len(),
            ExportRequest::Documents { query } => {
                register::all(&file, session, query).await.unwrap().len()
            }
            ExportRequest::AuditLog { .. } => {
                support::count(file.path(), "audit_log").await as usize
            }
            ExportRequest::Executions { .. } => {
                support::count(file.path(), "workflow_execution").await as usize
            }
            ExportRequest::Sales { .. } => {
                support::count(file.path(), "sales_document").await as usize
            }
        };
        assert!(expected > 0, "the demo has rows for {sheet}");

        let csv_path = dir.path().join(format!("{sheet}.csv"));
        let written = export::export(&file, session, &request, Format::Csv, &csv_path)
            .await
            .unwrap();
        assert_eq!(written.rows as usize, expected, "{sheet}");
        assert_eq!(written.path, csv_path.display().to_string());
        let (header, rows) = read_csv(&csv_path);
        assert_eq!(rows.len(), expected, "{sheet}: every row, not one page");
        assert!(
            header.iter().all(|h| !h.contains('_')),
            "{sheet}: headers are words: {header:?}"
        );

        // No extension given: the format's is added.
        let xlsx_path = dir.path().join(sheet);
        let written = export::export(&file, session, &request, Format::Xlsx, &xlsx_path)
            .await
            .unwrap();
        assert_eq!(written.path, format!("{}.xlsx", xlsx_path.display()));
        let (name, cells) = read_xlsx(Path::new(&written.path));
        assert_eq!(name, sheet);
        assert_eq!(cells.len(), expected + 1, "{sheet}: header and every row");
        assert_eq!(
            cells[0].iter().map(ToString::to_string).collect::<Vec<_>>(),
            header,
            "{sheet}: the same columns in both formats"
        );
    }
    // A file is written whole or not at all: nothing half-written is left beside them.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn exports_write_amounts_as_numbers_times_in_the_company_zone_and_escape_formulas() {
    let (dir, file) = demo_company().await;
    let storekeeper = as_user(&file, "storekeeper@demo.test").await;
    documents::create(
        &file,
        &storekeeper,
        &NewDocument {
            doc_type: DocumentType::PurchaseOrder,
            title: "=HYPERLINK(\"http://evil.test\",\"Tyres\")".into(),
            amount: Decimal::new(4_800_050, 2),
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
    let auditor = as_user(&file, "auditor@demo.test").await;
    let request = ExportRequest::Documents {
        query: RegisterQuery {
            search: Some("HYPERLINK".into()),
            ..RegisterQuery::default()
        },
    };
    let path = dir.path().join("documents.xlsx");
    export::export(&file, &auditor, &request, Format::Xlsx, &path)
        .await
        .unwrap();
    let (_, cells) = read_xlsx(&path);
    let header: Vec<String> = cells[0].iter().map(ToString::to_string).collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(cells.len(), 2, "{cells:?}");
    let row = &cells[1];
    assert_eq!(
        row[column("Title or customer")].to_string(),
        "'=HYPERLINK(\"http://evil.test\",\"Tyres\")",
        "a formula-looking title is escaped, not run"
    );
    assert_eq!(
        number_of(&row[column("Amount")]),
        Some(Decimal::new(480_005, 1)),
        "a number, not text"
    );
    assert_eq!(row[column("Kind")].to_string(), "Purchase order");
    assert_eq!(row[column("Raised by")].to_string(), "Brian Otieno");
    assert_eq!(
        row[column("Raised on")].to_string(),
        "2026-07-01 09:00",
        "06:00 UTC is 09:00 in Nairobi, written as ISO"
    );

    let csv_path = dir.path().join("documents.csv");
    export::export(&file, &auditor, &request, Format::Csv, &csv_path)
        .await
        .unwrap();
    let (header, rows) = read_csv(&csv_path);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows[0][column("Amount")], "48000.50");
    assert!(rows[0][column("Title or customer")].starts_with("'="));
}

#[tokio::test]
async fn the_register_export_holds_every_document_beyond_the_first_page() {
    let (dir, file) = demo_company().await;
    let storekeeper = as_user(&file, "storekeeper@demo.test").await;
    for n in 0..110 {
        documents::create(
            &file,
            &storekeeper,
            &NewDocument {
                doc_type: DocumentType::MaterialRequest,
                title: format!("Gloves, box {n}"),
                amount: Decimal::from(1_000 + n),
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
    }
    let auditor = as_user(&file, "auditor@demo.test").await;
    let query = RegisterQuery {
        kind: Some("material_request".into()),
        ..RegisterQuery::default()
    };
    let page = register::list(&file, &auditor, &query).await.unwrap();
    assert_eq!(page.rows.len(), 100);
    assert!(page.more);
    let path = dir.path().join("requests.csv");
    let written = export::export(
        &file,
        &auditor,
        &ExportRequest::Documents { query },
        Format::Csv,
        &path,
    )
    .await
    .unwrap();
    assert_eq!(written.rows, 110);
    let (_, rows) = read_csv(&path);
    assert_eq!(rows.len(), 110);
}

#[tokio::test]
async fn an_export_is_refused_to_whoever_may_not_see_the_list_and_writes_nothing() {
    let (dir, file) = demo_company().await;
    let storekeeper = as_user(&file, "storekeeper@demo.test").await;
    for request in [
        ExportRequest::Documents {
            query: RegisterQuery::default(),
        },
        ExportRequest::AuditLog {
            query: AuditQuery::default(),
        },
        ExportRequest::Executions {
            filter: ExecutionFilter::default(),
        },
    ] {
        let path = dir.path().join("refused.csv");
        let err = export::export(&file, &storekeeper, &request, Format::Csv, &path)
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::PermissionDenied,
            "{request:?}: {err}"
        );
        assert!(!path.exists(), "{request:?}: nothing is written");
    }
    // A budget of another department is outside the storekeeper's scope.
    let cfo = as_user(&file, "cfo@demo.test").await;
    let sales_budget = budgets::list(&file, &cfo, None, false)
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.department == "Sales")
        .unwrap();
    let path = dir.path().join("ledger.csv");
    let err = export::export(
        &file,
        &storekeeper,
        &ExportRequest::BudgetLedger {
            budget: sales_budget.id,
        },
        Format::Csv,
        &path,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(!path.exists());

    // Never over a company file, whatever the dialog was given.
    let err = export::export(
        &file,
        &cfo,
        &ExportRequest::Budgets {
            period: None,
            department: None,
        },
        Format::Csv,
        file.path(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("is a company file"), "{err}");
    assert!(budgets::list(&file, &cfo, None, false).await.is_ok());
}

#[tokio::test]
async fn the_ledger_and_execution_exports_say_things_in_words() {
    let (dir, file) = demo_company().await;
    let cfo = as_user(&file, "cfo@demo.test").await;
    let operations = budgets::list(&file, &cfo, Some("FY2026"), false)
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.department == "Operations" && b.period == "FY2026")
        .unwrap();
    let path = dir.path().join("ledger.csv");
    export::export(
        &file,
        &cfo,
        &ExportRequest::BudgetLedger {
            budget: operations.id.clone(),
        },
        Format::Csv,
        &path,
    )
    .await
    .unwrap();
    let (header, rows) = read_csv(&path);
    assert_eq!(
        header,
        [
            "#",
            "When",
            "Entry",
            "Document",
            "Amount",
            "Available after",
            "Override",
            "Reason",
            "By"
        ]
    );
    let entries: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(entries[0], "Budget set", "{rows:?}");
    assert!(entries.contains(&"Reserved"), "{rows:?}");
    let reserved = rows.iter().find(|r| r[2] == "Reserved").unwrap();
    assert_eq!(reserved[3], "PR-DEMO-0001");
    assert_eq!(reserved[4], "45000.00");
    assert_eq!(reserved[8], "Brian Otieno", "people by name, not email");

    // The report rows of one department, as the page filters them.
    let path = dir.path().join("operations.csv");
    export::export(
        &file,
        &cfo,
        &ExportRequest::Budgets {
            period: None,
            department: Some("operations".into()),
        },
        Format::Csv,
        &path,
    )
    .await
    .unwrap();
    let (header, rows) = read_csv(&path);
    assert_eq!(header[0], "Department");
    assert_eq!(header[5], "When over budget");
    let report = budgets::report::report(&file, &cfo, None).await.unwrap();
    assert_eq!(
        rows.len(),
        report
            .rows
            .iter()
            .filter(|r| r.department == "Operations")
            .count()
    );
    assert!(rows.iter().all(|r| r[0] == "Operations"), "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| !r[5].contains('_') && ["Yes", "No"].contains(&r[14].as_str())),
        "{rows:?}"
    );

    // The audit log's times are the company's (06:00 UTC is 09:00 in Nairobi), people by name.
    let auditor = as_user(&file, "auditor@demo.test").await;
    let path = dir.path().join("audit.csv");
    export::export(
        &file,
        &auditor,
        &ExportRequest::AuditLog {
            query: AuditQuery {
                action: Some("user.add".into()),
                ..AuditQuery::default()
            },
        },
        Format::Csv,
        &path,
    )
    .await
    .unwrap();
    let (header, rows) = read_csv(&path);
    assert_eq!(&header[..3], ["#", "When", "Who"]);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r[1] == "2026-07-01 09:00"), "{rows:?}");
    assert!(
        rows.iter().all(|r| !r[2].contains('@')),
        "the admin who added the users, by name: {rows:?}"
    );

    let path = dir.path().join("executions.csv");
    export::export(
        &file,
        &cfo,
        &ExportRequest::Executions {
            filter: ExecutionFilter::default(),
        },
        Format::Csv,
        &path,
    )
    .await
    .unwrap();
    let (header, rows) = read_csv(&path);
    let views = workflows::executions(&file, &cfo, &ExecutionFilter::default())
        .await
        .unwrap();
    // One row per attempt; one for an execution that sent nothing.
    let expected: usize = views.iter().map(|v| v.attempt_log.len().max(1)).sum();
    assert_eq!(rows.len(), expected);
    let status = header.iter().position(|h| h == "Outcome").unwrap();
    let workflow = header.iter().position(|h| h == "Workflow").unwrap();
    for row in &rows {
        assert!(
            [
                "Waiting to send",
                "Held for tax review",
                "Held: run it by hand",
                "Held",
                "Sending",
                "Retrying",
                "Sent",
                "Failed",
                "Failed, will retry",
                "Interrupted (app stopped)",
                "Skipped"
            ]
            .contains(&row[status].as_str()),
            "{row:?}"
        );
        assert!(!row[workflow].contains('_'), "{row:?}");
    }
}

#[tokio::test]
async fn the_cli_exports_any_list_with_json_and_exit_codes() {
    let (dir, file) = demo_company().await;
    let company = file.path().display().to_string();
    file.close().await.unwrap();
    let run = |args: Vec<String>| async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        support::hesabu(&args, support::env(Some(DEMO_PASSWORD), None)).await
    };
    let base = |email: &str| {
        vec![
            "--company".to_owned(),
            company.clone(),
            "--as".to_owned(),
            email.to_owned(),
            "--json".to_owned(),
            "export".to_owned(),
        ]
    };
    let sales_csv = dir.path().join("sales.csv");
    let mut args = base("cfo@demo.test");
    args.extend([
        "sales".to_owned(),
        "--type".to_owned(),
        "invoice".to_owned(),
        "--output".to_owned(),
        sales_csv.display().to_string(),
    ]);
    let out = run(args).await;
    assert_eq!(out.code, 0, "{out:?}");
    let json = out.json();
    assert_eq!(json["format"], "csv");
    let (_, rows) = read_csv(&sales_csv);
    assert_eq!(json["rows"], rows.len());
    assert!(rows.iter().all(|r| r[1] == "Sales invoice"), "{rows:?}");

    let audit = dir.path().join("audit.xlsx");
    let mut args = base("auditor@demo.test");
    args.extend([
        "audit".to_owned(),
        "--action".to_owned(),
        "budget.".to_owned(),
        "--output".to_owned(),
        audit.display().to_string(),
    ]);
    let out = run(args).await;
    assert_eq!(out.code, 0, "{out:?}");
    let (name, cells) = read_xlsx(&audit);
    assert_eq!(name, "Audit log");
    assert!(cells.len() > 1);
    assert!(
        cells[1..]
            .iter()
            .all(|r| r[8].to_string().starts_with("budget.")),
        "the filter applies"
    );
    // What happened in words, the code kept in the last column for filtering.
    assert!(
        cells[1..]
            .iter()
            .all(|r| r[3].to_string().starts_with("Budget ")),
        "{:?}",
        &cells[1..]
    );

    // No format and no extension: say how to choose one (exit 2).
    let mut args = base("cfo@demo.test");
    args.extend([
        "documents".to_owned(),
        "--output".to_owned(),
        dir.path().join("register").display().to_string(),
    ]);
    let out = run(args).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.error_json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--format csv"),
        "{out:?}"
    );
    // The employee may not export the register (exit 3).
    let mut args = base("storekeeper@demo.test");
    args.extend([
        "documents".to_owned(),
        "--output".to_owned(),
        dir.path().join("register.csv").display().to_string(),
    ]);
    let out = run(args).await;
    assert_eq!(out.code, 3, "{out:?}");
}
