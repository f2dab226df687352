//! Imports and exports (issue 14, "Imports and files"): an empty or header-only budget file
//! archives nothing, archiving is explicit and never touches held money, spreadsheet float noise
//! is rounded and said, formulas are flagged on import and escaped on export, size limits and
//! foreign encodings are refused with words, the sales ledger's imports keep the same habits,
//! and a bounded fuzz run of the budget import never panics.

use std::path::{Path, PathBuf};

use hesabu_core::budgets::{self, BudgetView, SyncRunView, import, import::ImportOptions};
use hesabu_core::departments;
use hesabu_store::ErrorKind;
use hesabu_store::auth::{self, Session};
use hesabu_store::company_file::CompanyFile;
use rust_decimal::Decimal;

use crate::support::{self, ADMIN_EMAIL, ADMIN_PASSWORD, env, hesabu};

const HEADER: &str =
    "department,period,amount,currency,enforcement,auto_approve_threshold,category,project";

/// The demo's budget rows (docs/examples/budgets.csv), without its header.
fn demo_rows() -> Vec<&'static str> {
    hesabu_app::demo::DEMO_BUDGETS_CSV
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect()
}

fn write(dir: &Path, name: &str, lines: &[&str]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn write_bytes(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

async fn demo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    (dir, path)
}

async fn open_demo(path: &Path) -> (CompanyFile, Session) {
    let file = hesabu_app::open_company_file(path, support::clock())
        .await
        .unwrap();
    let admin = auth::login(&file, "admin@demo.test", hesabu_app::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    (file, admin)
}

/// A fresh company with Operations and Sales (monthly periods, so the fiscal year does not
/// matter).
async fn company() -> (tempfile::TempDir, CompanyFile, Session) {
    let (dir, file, admin) = support::company().await;
    for name in ["Operations", "Sales"] {
        departments::add(&file, &admin, name).await.unwrap();
    }
    (dir, file, admin)
}

async fn active(file: &CompanyFile, admin: &Session) -> Vec<BudgetView> {
    budgets::list(file, admin, None, false).await.unwrap()
}

fn options(archive_missing: bool, dry_run: bool) -> ImportOptions {
    // (skip_invalid is spelled out where a test uses it)
    ImportOptions {
        skip_invalid: false,
        archive_missing,
        dry_run,
    }
}

fn all_messages(run: &SyncRunView) -> String {
    run.errors
        .iter()
        .chain(&run.warnings)
        .map(|e| format!("line {}: {}", e.line, e.message))
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------------
// Archiving.

#[tokio::test]
async fn an_empty_or_header_only_budget_file_archives_nothing() {
    let (dir, path) = demo().await;
    let company = path.to_str().unwrap();
    let cli = |args: Vec<String>| async move {
        let mut all = vec![
            "--company".to_owned(),
            company.to_owned(),
            "--as".to_owned(),
            "admin@demo.test".to_owned(),
        ];
        all.extend(args);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        hesabu(&refs, env(Some(hesabu_app::demo::DEMO_PASSWORD), None)).await
    };
    let header_only = write(dir.path(), "header-only.csv", &[HEADER]);
    let header_only = header_only.to_str().unwrap();
    let empty = write_bytes(dir.path(), "empty.csv", b"");
    let empty = empty.to_str().unwrap();
    for (file, flags, said) in [
        (
            header_only,
            vec![],
            "The file has a header but no budget rows",
        ),
        (
            header_only,
            vec!["--archive-missing"],
            "The file has a header but no budget rows",
        ),
        (empty, vec!["--archive-missing"], "the file is empty"),
    ] {
        let mut args = vec!["budget".to_owned(), "import".to_owned(), file.to_owned()];
        args.extend(flags.iter().map(|f| (*f).to_owned()));
        let out = cli(args).await;
        assert_eq!(out.code, 2, "{file} {flags:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(said),
            "{file} {flags:?}: {}",
            out.stderr
        );
    }
    let (file, admin) = open_demo(&path).await;
    assert_eq!(active(&file, &admin).await.len(), 8, "nothing archived");
    file.close().await.unwrap();

    // The HARD_BLOCK department still has its budget: a KES 5,000,000 order is refused by it,
    // not waved through as "no budget".
    let check = cli([
        "--json",
        "budget",
        "check",
        "--department",
        "Finance",
        "--period",
        "FY2026",
        "--amount",
        "5000000",
    ]
    .map(str::to_owned)
    .to_vec())
    .await;
    assert_eq!(check.code, 0, "{}", check.stderr);
    let json = check.json();
    assert!(json["budget_id"].is_string(), "{json}");
    assert_eq!(json["available"], false, "{json}");
}

#[tokio::test]
async fn archiving_is_explicit_previewable_and_never_touches_held_money() {
    let (dir, path) = demo().await;
    let (file, admin) = open_demo(&path).await;
    let rows = demo_rows();
    assert_eq!(rows.len(), 8);

    // One row, no --archive-missing: the other seven stay active, and the summary says so.
    let it_only: Vec<&str> = [HEADER]
        .into_iter()
        .chain(
            rows.iter()
                .copied()
                .filter(|r| r.starts_with("IT,FY2026,600000")),
        )
        .collect();
    let it_only = write(dir.path(), "it-only.csv", &it_only);
    let run = import::import_file(&file, &admin, &it_only, options(false, false))
        .await
        .unwrap();
    assert_eq!(
        (run.status.as_str(), run.unchanged, run.soft_deleted),
        ("ok", 1, 0),
        "{run:?}"
    );
    assert!(
        all_messages(&run).contains("7 active budgets are not in the file")
            && all_messages(&run).contains("--archive-missing"),
        "{}",
        all_messages(&run)
    );
    assert_eq!(active(&file, &admin).await.len(), 8);

    // --archive-missing with the budgets holding money missing: refused, naming them.
    let history = import::sync_history(&file, &admin, 100)
        .await
        .unwrap()
        .len();
    let run = import::import_file(&file, &admin, &it_only, options(true, false))
        .await
        .unwrap();
    assert_eq!((run.status.as_str(), run.soft_deleted), ("failed", 0));
    let said = all_messages(&run);
    // PR-DEMO-0001 holds 45,000 reserved on Operations; PR-DEMO-0002 60,000 committed on Sales
    // (120,000 committed, half of it spent).
    for named in [
        "Operations FY2026 (KES 45,000.00 reserved)",
        "Sales FY2026 (KES 60,000.00 committed)",
    ] {
        assert!(said.contains(named), "{named}: {said}");
    }
    assert_eq!(active(&file, &admin).await.len(), 8, "nothing archived");

    // A preview of archiving the one idle budget left out: counts, and nothing written.
    let without_admin: Vec<&str> = [HEADER]
        .into_iter()
        .chain(
            rows.iter()
                .copied()
                .filter(|r| !r.starts_with("Administration")),
        )
        .collect();
    let without_admin = write(dir.path(), "no-admin.csv", &without_admin);
    let preview = import::import_file(&file, &admin, &without_admin, options(true, true))
        .await
        .unwrap();
    assert_eq!(
        (
            preview.status.as_str(),
            preview.created,
            preview.updated,
            preview.unchanged,
            preview.soft_deleted
        ),
        ("ok", 0, 0, 7, 1),
        "{preview:?}"
    );
    assert_eq!(
        active(&file, &admin).await.len(),
        8,
        "a preview writes nothing"
    );
    assert_eq!(
        import::sync_history(&file, &admin, 100)
            .await
            .unwrap()
            .len(),
        history + 1,
        "the refused run is in the history; the preview is not"
    );

    let run = import::import_file(&file, &admin, &without_admin, options(true, false))
        .await
        .unwrap();
    assert_eq!(
        (run.status.as_str(), run.soft_deleted),
        ("ok", 1),
        "{run:?}"
    );
    let left = active(&file, &admin).await;
    assert_eq!(left.len(), 7);
    assert!(left.iter().all(|b| b.department != "Administration"));
}

// ---------------------------------------------------------------------------------------------
// XLSX float noise.

/// Writes a one-sheet workbook; a cell "n:TEXT" is written as a number (the text parsed as a
/// spreadsheet would store it), anything else as a string.
// A spreadsheet stores numbers as doubles: the test writes them as Excel would.
#[allow(clippy::disallowed_types)]
fn xlsx(dir: &Path, name: &str, rows: &[&[&str]]) -> PathBuf {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, cells) in rows.iter().enumerate() {
        for (c, text) in cells.iter().enumerate() {
            let (r, c) = (u32::try_from(r).unwrap(), u16::try_from(c).unwrap());
            if let Some(number) = text.strip_prefix("n:") {
                sheet
                    .write_number(r, c, number.parse::<f64>().unwrap())
                    .unwrap();
            } else if !text.is_empty() {
                sheet.write_string(r, c, *text).unwrap();
            }
        }
    }
    let path = dir.join(name);
    book.save(&path).unwrap();
    path
}

#[tokio::test]
async fn xlsx_float_noise_is_rounded_and_said_but_real_precision_is_refused() {
    let (dir, file, admin) = company().await;
    let header: &[&str] = &[
        "department",
        "period",
        "amount",
        "currency",
        "enforcement",
        "auto_approve_threshold",
    ];
    let path = xlsx(
        dir.path(),
        "noise.xlsx",
        &[
            header,
            &[
                "Operations",
                "2026-07",
                "n:1320000.0000000002",
                "KES",
                "HARD_BLOCK",
                "n:5000.000000001",
            ],
            &["Sales", "2026-07", "n:1500.25", "KES", "HARD_BLOCK", ""],
        ],
    );
    let run = import::import_file(&file, &admin, &path, ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (run.status.as_str(), run.created),
        ("ok", 2),
        "{}",
        all_messages(&run)
    );
    let list = active(&file, &admin).await;
    let ops = list.iter().find(|b| b.department == "Operations").unwrap();
    assert_eq!(ops.balance.budgeted, Decimal::from(1_320_000));
    assert_eq!(ops.auto_approve_threshold, Some(Decimal::from(5_000)));
    let sales = list.iter().find(|b| b.department == "Sales").unwrap();
    assert_eq!(sales.balance.budgeted, Decimal::new(150_025, 2));
    let said = run
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        said.contains("2 cells rounded from spreadsheet float noise")
            && said.contains("row 2 amount 1320000.0000000002 → 1320000.00")
            && said.contains("row 2 auto_approve_threshold 5000.000000001 → 5000.00"),
        "{said}"
    );

    // 100.0000015 is 1.5 millionths off the cent: a real figure, not noise. Refused.
    let path = xlsx(
        dir.path(),
        "precise.xlsx",
        &[
            header,
            &[
                "Operations",
                "2026-08",
                "n:100.0000015",
                "KES",
                "HARD_BLOCK",
                "",
            ],
        ],
    );
    let run = import::import_file(&file, &admin, &path, ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(run.status, "failed", "{run:?}");
    assert!(
        run.errors[0].line == 2 && run.errors[0].message.contains("100.0000015"),
        "{:?}",
        run.errors
    );
    assert!(run.warnings.is_empty(), "{:?}", run.warnings);
}

// ---------------------------------------------------------------------------------------------
// Formula injection.

const HYPERLINK: &str = "=HYPERLINK(\"http://x\")";
const CMD: &str = "+cmd|' /C calc'!A0";

#[tokio::test]
async fn formulas_are_flagged_on_import_and_escaped_on_export() {
    let (dir, file, admin) = company().await;
    let path = write(
        dir.path(),
        "formulas.csv",
        &[
            HEADER,
            "Operations,2026-07,1000.50,KES,HARD_BLOCK,,\"=HYPERLINK(\"\"http://x\"\")\",\"+cmd|' /C calc'!A0\"",
            "Sales,2026-07,-500,KES,HARD_BLOCK,,@SUM(A1),",
        ],
    );
    let run = import::import_file(
        &file,
        &admin,
        &path,
        ImportOptions {
            skip_invalid: true,
            ..ImportOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((run.created, run.skipped), (1, 1), "{}", all_messages(&run));
    let said = run
        .warnings
        .iter()
        .map(|w| format!("line {}: {}", w.line, w.message))
        .collect::<Vec<_>>();
    for expected in [
        "line 2: category starts with '=': kept as text",
        "line 2: project starts with '+': kept as text",
        "line 3: category starts with '@': kept as text",
    ] {
        assert!(said.iter().any(|s| s == expected), "{expected}: {said:?}");
    }
    assert!(
        !said.iter().any(|s| s.contains("amount")),
        "-500 is a number, not a formula: {said:?}"
    );
    let list = active(&file, &admin).await;
    assert_eq!(
        list[0].category.as_deref(),
        Some(HYPERLINK),
        "kept as typed"
    );
    let company = file.path().to_str().unwrap().to_owned();
    file.close().await.unwrap();

    let export = |format: &'static str, output: PathBuf| {
        let company = company.clone();
        async move {
            let args = [
                "--company",
                &company,
                "--as",
                ADMIN_EMAIL,
                "budget",
                "export",
                "--format",
                format,
                "--output",
                output.to_str().unwrap(),
            ];
            hesabu(&args, env(Some(ADMIN_PASSWORD), None)).await
        }
    };

    let csv_path = dir.path().join("budgets.csv");
    let out = export("csv", csv_path.clone()).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][col("category")], format!("'{HYPERLINK}"));
    assert_eq!(&rows[0][col("project")], format!("'{CMD}"));
    for amount in ["amount", "reserved", "committed", "spent", "available"] {
        let text = &rows[0][col(amount)];
        assert!(
            text.parse::<Decimal>().is_ok(),
            "{amount} is a number: {text}"
        );
    }
    assert_eq!(
        rows[0][col("amount")].parse::<Decimal>().unwrap(),
        Decimal::new(100_050, 2)
    );

    let xlsx_path = dir.path().join("budgets.xlsx");
    let out = export("xlsx", xlsx_path.clone()).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx_path).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let grid: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    let xcol = |name: &str| grid[0].iter().position(|h| *h == name).unwrap();
    assert_eq!(grid.len(), 2);
    assert_eq!(
        grid[1][xcol("category")],
        Data::String(format!("'{HYPERLINK}"))
    );
    assert_eq!(grid[1][xcol("project")], Data::String(format!("'{CMD}")));
    for amount in ["amount", "reserved", "committed", "spent", "available"] {
        assert!(
            matches!(grid[1][xcol(amount)], Data::Float(_) | Data::Int(_)),
            "{amount} is a number: {:?}",
            grid[1][xcol(amount)]
        );
    }
    assert_eq!(grid[1][xcol("amount")].to_string(), "1000.5");
}

// ---------------------------------------------------------------------------------------------
// Size limits.

fn file_bytes(path: &Path) -> u64 {
    let mut total = std::fs::metadata(path).unwrap().len();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if let Ok(m) = std::fs::metadata(PathBuf::from(wal)) {
        total += m.len();
    }
    total
}

#[tokio::test]
async fn a_50_mb_cell_is_refused_and_does_not_grow_the_company_file() {
    let (dir, file, admin) = company().await;
    let company = file.path().to_owned();
    file.close().await.unwrap();
    let before = file_bytes(&company);

    let path = dir.path().join("huge.csv");
    let mut text = String::with_capacity(50 * 1024 * 1024 + 200);
    text.push_str(HEADER);
    text.push_str("\nOperations,2026-07,1000,KES,HARD_BLOCK,,");
    text.push_str(&"x".repeat(50 * 1024 * 1024));
    text.push_str(",\nSales,2026-07,1000,KES,HARD_BLOCK,,,\n");
    std::fs::write(&path, text).unwrap();

    let file = hesabu_app::open_company_file(&company, support::clock())
        .await
        .unwrap();
    let admin2 = auth::login(&file, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .unwrap();
    let run = import::import_file(&file, &admin2, &path, ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(run.status, "failed");
    let error = &run.errors[0];
    assert_eq!(error.line, 2, "{error:?}");
    assert!(
        error.message.contains("category") && error.message.contains("4,000"),
        "{}",
        error.message.chars().take(300).collect::<String>()
    );
    assert!(error.message.len() < 500, "{}", error.message.len());
    let history = import::sync_history(&file, &admin2, 1).await.unwrap();
    let stored: usize = history[0].errors.iter().map(|e| e.message.len()).sum();
    assert!(stored < 1_000, "the history keeps {stored} bytes of errors");
    file.close().await.unwrap();
    let after = file_bytes(&company);
    assert!(
        after < before + 1024 * 1024,
        "the company file grew from {before} to {after} bytes"
    );
    drop(admin);
}

#[tokio::test]
async fn long_text_too_many_bytes_and_too_many_rows_are_refused_by_name() {
    let (dir, file, admin) = company().await;
    let long = "c".repeat(hesabu_store::limits::LABEL + 1);
    let line = format!("Operations,2026-07,1000,KES,HARD_BLOCK,,{long},");
    let path = write(dir.path(), "long.csv", &[HEADER, &line]);
    let run = import::import_file(&file, &admin, &path, ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(run.status, "failed");
    assert!(
        run.errors[0].line == 2
            && run.errors[0].message.contains("category")
            && run.errors[0].message.contains("at most 100"),
        "{:?}",
        run.errors
    );

    // A file over the byte limit is refused before it is read (a sparse file: no disk used).
    let big = dir.path().join("big.csv");
    let handle = std::fs::File::create(&big).unwrap();
    handle
        .set_len(u64::try_from(hesabu_store::limits::IMPORT_BYTES).unwrap() + 1)
        .unwrap();
    drop(handle);
    let err = import::import_file(&file, &admin, &big, ImportOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("67,108,865 bytes"), "{err}");

    // One row over the row limit: refused as a whole, by its count.
    let many = dir.path().join("many.csv");
    let mut text = String::with_capacity(2 * hesabu_store::limits::IMPORT_ROWS + 100);
    text.push_str("department\n");
    for _ in 0..=hesabu_store::limits::IMPORT_ROWS {
        text.push_str("x\n");
    }
    std::fs::write(&many, text).unwrap();
    let err = import::import_file(&file, &admin, &many, ImportOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("more than 1,000,000 rows"),
        "{err}"
    );
}

/// A sheet that claims a cell at the far corner (XFD1048576) is streamed cell by cell: it once
/// made the reader allocate the whole 17-billion-cell rectangle, and the process died.
#[tokio::test]
async fn a_far_corner_cell_is_named_not_allocated() {
    let (dir, file, admin) = company().await;
    let write = |name: &str, row: u32, col: u16| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["department", "period", "amount", "currency", "enforcement"]
            .iter()
            .enumerate()
        {
            sheet
                .write_string(0, u16::try_from(c).unwrap(), *h)
                .unwrap();
        }
        for (c, v) in ["Operations", "2026-07", "100", "KES", "HARD_BLOCK"]
            .iter()
            .enumerate()
        {
            sheet
                .write_string(1, u16::try_from(c).unwrap(), *v)
                .unwrap();
        }
        sheet.write_string(row, col, "x").unwrap();
        let path = dir.path().join(name);
        book.save(&path).unwrap();
        path
    };
    let far = write("far.xlsx", 1_048_575, 16_383);
    let err = import::import_file(&file, &admin, &far, ImportOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("column XFD") && err.to_string().contains("at most 200"),
        "{err}"
    );
    // Far down in column A: two rows of data, read in a moment.
    let low = write("low.xlsx", 1_048_575, 0);
    let run = import::import_file(&file, &admin, &low, options(false, true))
        .await
        .unwrap();
    assert_eq!(run.rows_read, 2, "{run:?}");
    assert_eq!(run.errors[0].line, 1_048_576, "{run:?}");
}

// ---------------------------------------------------------------------------------------------
// Encodings and foreign files.

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if big_endian {
            &[0xFE, 0xFF]
        } else {
            &[0xFF, 0xFE]
        });
    }
    for unit in text.encode_utf16() {
        out.extend_from_slice(&if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

/// Words a user would not understand, which must never reach them raw.
const JARGON: [&str; 8] = [
    "EOCD",
    "Zip(",
    "Xml(",
    "XlsxError",
    "invalid Zip archive",
    "CFB",
    "Utf8Error",
    "record 1",
];

fn assert_refused(result: hesabu_store::Result<SyncRunView>, case: &str, expected: &[&str]) {
    let err = match result {
        Ok(run) => panic!("{case}: imported: {run:?}"),
        Err(e) => e,
    };
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{case}: {err}");
    let message = err.to_string();
    for e in expected {
        assert!(message.contains(e), "{case}: wanted '{e}' in: {message}");
    }
    for j in JARGON {
        assert!(!message.contains(j), "{case}: raw '{j}' in: {message}");
    }
    assert!(message.len() < 500, "{case}: {message}");
}

#[tokio::test]
async fn foreign_encodings_and_files_are_named_with_the_fix() {
    let (dir, file, admin) = company().await;
    let csv = format!("{HEADER}\nOperations,2026-07,1000,KES,HARD_BLOCK,,,\n");
    let preview = ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    };
    let import = |name: &str, bytes: Vec<u8>| {
        let path = write_bytes(dir.path(), name, &bytes);
        let file = &file;
        let admin = &admin;
        async move { import::import_file(file, admin, &path, preview).await }
    };
    let utf16_fix = ["UTF-16", "save it as 'CSV UTF-8'"];
    assert_refused(
        import("le.csv", utf16(&csv, false, true)).await,
        "UTF-16 LE",
        &utf16_fix,
    );
    assert_refused(
        import("be.csv", utf16(&csv, true, true)).await,
        "UTF-16 BE",
        &utf16_fix,
    );
    assert_refused(
        import("nobom.csv", utf16(&csv, false, false)).await,
        "UTF-16 without a BOM",
        &utf16_fix,
    );
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..2000_u32).map(|i| u8::try_from(i * 7 % 256).unwrap()));
    assert_refused(
        import("picture.csv", png.clone()).await,
        "binary as CSV",
        &["not text", "CSV UTF-8"],
    );
    assert_refused(
        import("renamed.xlsx", csv.clone().into_bytes()).await,
        "CSV renamed .xlsx",
        &[
            "not an XLSX workbook",
            "plain text",
            "save it as .xlsx or CSV",
        ],
    );
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend(std::iter::repeat_n(0_u8, 1024));
    assert_refused(
        import("old.xlsx", ole).await,
        "an old .xls renamed .xlsx",
        &[
            "not an XLSX workbook",
            "old .xls",
            "save it as .xlsx or CSV",
        ],
    );
    assert_refused(
        import("picture.xlsx", png).await,
        "binary as XLSX",
        &["not an XLSX workbook", "save it as .xlsx or CSV"],
    );
    let good = xlsx(
        dir.path(),
        "good.xlsx",
        &[
            &["department", "period", "amount", "currency", "enforcement"],
            &["Operations", "2026-07", "n:1000", "KES", "HARD_BLOCK"],
        ],
    );
    let whole = std::fs::read(&good).unwrap();
    assert_refused(
        import("cut.xlsx", whole[..whole.len() / 2].to_vec()).await,
        "a workbook cut in half",
        &["could not be read", "save it again"],
    );

    // A UTF-8 BOM (Excel's "CSV UTF-8") is fine.
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(csv.as_bytes());
    let run = import("bom.csv", bom).await.unwrap();
    assert_eq!((run.status.as_str(), run.created), ("ok", 1), "{run:?}");
    // A Latin-1 line is named, without the csv crate's own words.
    let latin = format!("{HEADER}\nOperations,2026-07,1000,KES,HARD_BLOCK,,Caf\u{e9},\n")
        .replace('\u{e9}', "\u{1}")
        .into_bytes()
        .into_iter()
        .map(|b| if b == 1 { 0xE9 } else { b })
        .collect::<Vec<u8>>();
    let run = import("latin.csv", latin).await.unwrap();
    assert_eq!(run.status, "failed");
    assert!(
        run.errors[0].line == 2 && run.errors[0].message.contains("UTF-8"),
        "{:?}",
        run.errors
    );
    for j in JARGON {
        assert!(!run.errors[0].message.contains(j), "{:?}", run.errors);
    }
}

// ---------------------------------------------------------------------------------------------
// The sales ledger's imports.

#[tokio::test]
async fn customer_and_item_imports_keep_the_same_habits() {
    use hesabu_core::sales::{import as sales_import, items};
    let (dir, file, admin) = support::company().await;

    // A 50-MB cell: refused, with a short message naming the row and column.
    let path = dir.path().join("customers.csv");
    let mut text = String::from("name,address\nGood One,Nairobi\nHuge,");
    text.push_str(&"a".repeat(50 * 1024 * 1024));
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    let err = sales_import::import_customers_file(&file, &admin, &path)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let message = err.to_string();
    assert!(
        message.len() < 500 && message.contains("line 3") && message.contains("address"),
        "{}",
        message.chars().take(300).collect::<String>()
    );

    // UTF-16: named, with the fix.
    let utf = utf16("name\nGood One\n", false, true);
    let path = write_bytes(dir.path(), "customers16.csv", &utf);
    let err = sales_import::import_customers_file(&file, &admin, &path)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("UTF-16"), "{err}");

    // A formula is flagged, and kept as text.
    let path = write(
        dir.path(),
        "formula.csv",
        &[
            "name,mobile",
            "\"=HYPERLINK(\"\"http://x\"\")\",+254712345678",
        ],
    );
    let result = sales_import::import_customers_file(&file, &admin, &path)
        .await
        .unwrap();
    assert_eq!(result.added, 1);
    let said: Vec<String> = result
        .warnings
        .iter()
        .map(|w| format!("line {}: {}", w.line, w.message))
        .collect();
    assert_eq!(
        said,
        ["line 2: name starts with '=': kept as text"],
        "{said:?}"
    );

    // Float noise in a price is rounded and said.
    let path = xlsx(
        dir.path(),
        "items.xlsx",
        &[
            &["code", "name", "tax_type", "product_type", "unit_price"],
            &[
                "SOAP",
                "Bar soap",
                "B",
                "finished_good",
                "n:120.50000000000001",
            ],
        ],
    );
    let result = sales_import::import_items_file(&file, &admin, &path)
        .await
        .unwrap();
    assert_eq!(result.added, 1);
    let soap = items::show(&file, &admin, "SOAP").await.unwrap();
    assert_eq!(soap.unit_price, "120.5");
    // (120.50000000000001 is stored as the double nearest 120.5, so nothing needed rounding.)
    let path = xlsx(
        dir.path(),
        "items2.xlsx",
        &[
            &["code", "name", "tax_type", "product_type", "unit_price"],
            &["MILK", "Milk", "A", "finished_good", "n:65.00000000001"],
        ],
    );
    let result = sales_import::import_items_file(&file, &admin, &path)
        .await
        .unwrap();
    assert_eq!(result.added, 1);
    assert!(
        result.warnings.iter().any(|w| w
            .message
            .contains("row 2 unit_price 65.00000000001 → 65.00")),
        "{:?}",
        result.warnings
    );
    assert_eq!(
        items::show(&file, &admin, "MILK").await.unwrap().unit_price,
        "65"
    );

    // A header alone: refused.
    let path = write(
        dir.path(),
        "header.csv",
        &["code,name,tax_type,product_type,unit_price"],
    );
    let err = sales_import::import_items_file(&file, &admin, &path)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no rows"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// The fuzz run.

/// Random bytes, CSV-ish text and damaged workbooks, fed to a preview of the budget import:
/// never a panic; either a result or an InvalidInput error with a short message.
#[test]
fn the_budget_import_survives_random_and_damaged_files() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (dir, file, admin) = runtime.block_on(company());
    let valid_xlsx = {
        let path = xlsx(
            dir.path(),
            "seed.xlsx",
            &[
                &[
                    "department",
                    "period",
                    "amount",
                    "currency",
                    "enforcement",
                    "category",
                ],
                &[
                    "Operations",
                    "2026-07",
                    "n:1320000.0000000002",
                    "KES",
                    "HARD_BLOCK",
                    "=1+2",
                ],
                &["Sales", "2026-08", "1,500.00", "KES", "SOFT_WARNING", ""],
            ],
        );
        std::fs::read(path).unwrap()
    };

    let cell = prop_oneof![
        Just(String::new()),
        Just("Operations".to_owned()),
        Just("Sales".to_owned()),
        Just("2026-07".to_owned()),
        Just("FY2026".to_owned()),
        Just("KES".to_owned()),
        Just("HARD_BLOCK".to_owned()),
        Just("\"1,000\"".to_owned()),
        Just("\"a,\"\"b\"".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("\0".to_owned()),
        Just("=HYPERLINK(\"http://x\")".to_owned()),
        Just("-500".to_owned()),
        Just("1e400".to_owned()),
        Just("9".repeat(60)),
        Just("0.000000000000000000000000000000001".to_owned()),
        "[ -~]{0,12}",
        "\\PC{0,8}",
    ];
    let csv_text = (
        prop_oneof![Just(HEADER.to_owned()), "[a-z_,]{0,40}"],
        prop::collection::vec(prop::collection::vec(cell, 0..10), 0..8),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
    )
        .prop_map(|(header, rows, end)| {
            let mut text = header;
            for row in rows {
                text.push_str(end);
                text.push_str(&row.join(","));
            }
            text.into_bytes()
        });
    let seed = valid_xlsx.clone();
    let mutated_xlsx = (
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(move |(flips, cut)| {
            let mut bytes = seed.clone();
            for (at, value) in flips {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len()));
            }
            bytes
        });
    let case = prop_oneof![
        (prop::collection::vec(any::<u8>(), 0..2_000), Just("csv")),
        (prop::collection::vec(any::<u8>(), 0..2_000), Just("xlsx")),
        (csv_text, Just("csv")),
        (mutated_xlsx, Just("xlsx")),
    ];

    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let counter = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&case, |(bytes, ext)| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let path = dir.path().join(format!("fuzz-{n}.{ext}"));
            std::fs::write(&path, &bytes).unwrap();
            let preview = ImportOptions {
                dry_run: true,
                ..ImportOptions::default()
            };
            let result = runtime.block_on(import::import_file(&file, &admin, &path, preview));
            std::fs::remove_file(&path).unwrap();
            match result {
                Ok(run) => {
                    for e in run.errors.iter().chain(&run.warnings) {
                        prop_assert!(!e.message.is_empty());
                        prop_assert!(e.message.len() < 2_000, "{}", e.message);
                    }
                }
                Err(e) => {
                    prop_assert_eq!(e.kind(), ErrorKind::InvalidInput, "{}", e);
                    let message = e.to_string();
                    prop_assert!(!message.is_empty());
                    prop_assert!(message.len() < 500, "{}", message);
                }
            }
            Ok(())
        })
        .unwrap();
}
