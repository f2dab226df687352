//! ETR receipts in the product (`hesabu_app::receipts`): stored once after KRA signed, the same
//! bytes every time, originals and numbered COPY reprints with audit entries, provisional
//! receipts for unsigned documents, printing to a loopback ESC/POS printer and to fake CUPS
//! commands, failures that leave the receipt printable, the list's filters, permissions, and
//! the CLI.
//!
//! KRA's signature is written here straight into `fiscal_submission` (and the device into
//! `etims_device`) in an audited unit of work, the way the fiscal flow leaves a signed sale,
//! so these tests depend on that table's shape and not on the fiscal flow's functions, which
//! are being written alongside.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hesabu_app::receipts::{
    self, PaperFormat, PrintKind, PrintRequest, Printers, ReceiptQuery, ReceiptSettings,
    ReceiptStatus,
};
use hesabu_core::approvals::sales_gate;
use hesabu_core::sales::SalesType;
use hesabu_core::sales::customers::{self, NewCustomer};
use hesabu_core::sales::documents::{self as sales, NewSale, NewSaleLine};
use hesabu_core::sales::items::{self, NewItem};
use hesabu_receipts::print::fake::{self, Behaviour, FakePrinter, Printed};
use hesabu_store::ErrorKind;
use hesabu_store::audit::{self, AuditDraft};
use hesabu_store::auth::Session;
use hesabu_store::clock::SettableClock;
use hesabu_store::company_file::CompanyFile;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};
use sha2::{Digest, Sha256};

use crate::support;

const SDC_ID: &str = "KRACU0100000001";

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Ledger {
    dir: tempfile::TempDir,
    file: CompanyFile,
    admin: Session,
    clock: Arc<SettableClock>,
}

/// A company with an address, a customer with a PIN and two items.
async fn ledger() -> Ledger {
    let dir = tempfile::tempdir().unwrap();
    let clock = support::clock();
    let mut company = support::new_company();
    company.trading_name = Some("Acme Traders".into());
    company.address = Some("Moi Avenue 12\nNairobi".into());
    let (file, admin) =
        hesabu_app::create_company(&dir.path().join("acme.hesabu"), &company, clock.clone())
            .await
            .unwrap();
    customers::add(
        &file,
        &admin,
        &NewCustomer {
            name: "Wanjiru Stores".into(),
            kra_pin: Some("P051111111A".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for (code, tax, price) in [("CHAIR", "B", "4250"), ("FLOUR", "A", "150")] {
        items::add(
            &file,
            &admin,
            &NewItem {
                code: code.into(),
                name: format!("Item {code}"),
                tax_type: tax.into(),
                product_type: "finished_good".into(),
                unit_price: d(price),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    Ledger {
        dir,
        file,
        admin,
        clock,
    }
}

fn line(item: &str, qty: &str) -> NewSaleLine {
    NewSaleLine {
        item: Some(item.into()),
        quantity: d(qty),
        ..Default::default()
    }
}

/// An issued invoice (to the customer, or a walk-in), paid in cash; returns (id, number).
async fn issue(l: &Ledger, customer: Option<&str>) -> (String, String) {
    let mut new = NewSale::new(
        SalesType::Invoice,
        customer,
        vec![line("CHAIR", "2"), line("FLOUR", "10")],
    );
    new.payment_method = Some("cash".into());
    new.lines[0].discount_percent = Some(d("10"));
    let draft = sales::create(&l.file, &l.admin, &new).await.unwrap();
    let sale = sales_gate::issue(&l.file, &l.admin, &draft.id)
        .await
        .unwrap();
    (sale.id, sale.number.unwrap())
}

async fn exec(db: &impl ConnectionTrait, sql: &str, values: Vec<sea_orm::Value>) {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .await
    .unwrap();
}

/// What the fiscal flow leaves for a sale KRA answered: the device (once), the submission in
/// `state` (signed with receipt number `cur`, or rejected with KRA's message), and for a
/// signed one the sale marked fiscalised. One audited unit of work.
async fn kra_answers(l: &Ledger, document_id: &str, state: &str, cur: i64) {
    let mut uow = l.file.begin(&l.admin).await.unwrap();
    let now = uow.now_text();
    let company = hesabu_core::company::load(uow.db()).await.unwrap();
    exec(
        uow.db(),
        "INSERT OR IGNORE INTO etims_device (company_id, gateway, base_url, tin, bhf_id, \
         dvc_srl_no, dvc_id, sdc_id, mrc_no, key_source, initialised_at, initialised_by, \
         last_invc_no, unused_band_rate, price_basis, updated_at) VALUES \
         (?, 'legacy', 'http://127.0.0.1:9/', 'P051234567X', '00', 'SN-1', 'D1', ?, \
         'WIS01000150', 'init', ?, ?, 0, 'zero', 'exclusive', ?)",
        vec![
            company.id.into(),
            SDC_ID.into(),
            now.clone().into(),
            l.admin.user_id().into(),
            now.clone().into(),
        ],
    )
    .await;
    let signed = state == "signed";
    let (code, message) = if signed {
        ("000", "It is succeeded")
    } else {
        ("910", "Request parameter error: custTin is invalid")
    };
    exec(
        uow.db(),
        "INSERT INTO fiscal_submission (id, document_id, state, tin, bhf_id, invc_no, \
         org_invc_no, rcpt_ty_cd, request_json, cur_rcpt_no, tot_rcpt_no, intrl_data, rcpt_sign, \
         sdc_date_time, sdc_id, mrc_no, cfm_dt, result_cd, result_msg, adopted, attempts, \
         created_at, updated_at, signed_at) VALUES \
         (?, ?, ?, 'P051234567X', '00', ?, 0, 'S', '{}', ?, ?, ?, ?, ?, ?, ?, \
         '20260701091500', ?, ?, 0, 1, ?, ?, ?)",
        vec![
            uow.new_id().into(),
            document_id.into(),
            state.into(),
            cur.into(),
            signed.then_some(cur).into(),
            signed.then_some(cur + 100).into(),
            signed
                .then(|| "GRKJVWYCFBPTYQ225X2UEYONVE".to_owned())
                .into(),
            signed.then(|| format!("SIGNATURE{cur:07}")).into(),
            signed.then(|| "20260701091530".to_owned()).into(),
            signed.then(|| SDC_ID.to_owned()).into(),
            signed.then(|| "WIS01000150".to_owned()).into(),
            code.into(),
            message.into(),
            now.clone().into(),
            now.clone().into(),
            signed.then(|| now.clone()).into(),
        ],
    )
    .await;
    if signed {
        exec(
            uow.db(),
            "UPDATE sales_document SET status = 'fiscalised', fiscalised_at = ? WHERE id = ?",
            vec![now.into(), document_id.into()],
        )
        .await;
    }
    uow.audit(AuditDraft {
        action: "test.kra_answer",
        entity_type: "sale",
        entity_id: document_id.into(),
        before: None,
        after: None,
    })
    .await
    .unwrap();
    uow.commit().await.unwrap();
}

async fn signed_invoice(l: &Ledger, cur: i64) -> (String, String) {
    let (id, number) = issue(l, Some("Wanjiru Stores")).await;
    kra_answers(l, &id, "signed", cur).await;
    (id, number)
}

async fn audit_actions(l: &Ledger, prefix: &str) -> Vec<hesabu_store::audit::AuditEntryView> {
    let mut entries: Vec<_> = audit::list(&l.file, &l.admin, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with(prefix))
        .collect();
    entries.reverse();
    entries
}

#[tokio::test]
async fn a_signed_receipt_is_stored_once_and_renders_the_same_bytes_every_time() {
    let l = ledger().await;
    let (id, number) = signed_invoice(&l, 7).await;

    let first = receipts::render(&l.file, &l.admin, &number, PaperFormat::Roll80, false)
        .await
        .unwrap();
    assert_eq!(first.kind, PrintKind::Original);
    assert!(first.from_store);
    assert!(first.pdf.starts_with(b"%PDF-"));
    for format in PaperFormat::ALL {
        let a = receipts::render(&l.file, &l.admin, &id, format, false)
            .await
            .unwrap();
        let b = receipts::render(&l.file, &l.admin, &id, format, false)
            .await
            .unwrap();
        assert_eq!(a.pdf, b.pdf, "{format}");
        // The stored original: its hash is the bytes'.
        let detail = receipts::show(&l.file, &l.admin, &id).await.unwrap();
        let stored = detail.stored.unwrap();
        let original = stored
            .originals
            .iter()
            .find(|o| o.format == format)
            .unwrap();
        assert_eq!(original.sha256, sha(&a.pdf), "{format}");
        assert_eq!(original.size_bytes, i64::try_from(a.pdf.len()).unwrap());
    }
    let stored_count = audit_actions(&l, "receipt.store").await;
    assert_eq!(stored_count.len(), 1, "stored once");

    // The receipt shows what was stored at signing, whatever changed since.
    let mut change = hesabu_core::company::info(&l.file, &l.admin).await.unwrap();
    change.trading_name = Some("Renamed Later Ltd".into());
    hesabu_core::company::update(
        &l.file,
        &l.admin,
        &hesabu_core::company::CompanySettingsUpdate {
            legal_name: change.legal_name,
            trading_name: change.trading_name,
            kra_pin: change.kra_pin,
            branch_id: change.branch_id,
            address: change.address,
            fiscal_year_start_month: change.fiscal_year_start_month,
            time_zone: change.time_zone,
        },
    )
    .await
    .unwrap();
    let later = receipts::render(&l.file, &l.admin, &id, PaperFormat::Roll80, false)
        .await
        .unwrap();
    assert_eq!(later.pdf, first.pdf);
    let text = receipts::preview(&l.file, &l.admin, &id, PaperFormat::Roll80, false)
        .await
        .unwrap()
        .text;
    assert!(text.contains("Acme Traders"), "{text}");
    assert!(!text.contains("Renamed Later"), "{text}");
    // The TIS content, in order, from the stored signature.
    let order = [
        "Acme Traders",
        "P051234567X",
        "TAX INVOICE",
        &number,
        "Wanjiru Stores",
        "P051111111A",
        "TOTAL BEFORE DISCOUNT",
        "TOTAL DISCOUNT AWARDED",
        "SUB TOTAL",
        "CASH",
        "SCU INFORMATION",
        "01/07/2026",
        "KRACU0100000001/7 NS",
        "GRKJ-VWYC",
        "SIGN-ATUR",
        "https://etims-sbx.kra.go.ke/",
        "TIS INFORMATION",
        "WIS01000150",
        "THANK YOU",
        "End of Legal Receipt",
    ];
    let mut at = 0;
    for part in order {
        let found = text[at..]
            .find(part)
            .unwrap_or_else(|| panic!("'{part}' missing after byte {at}:\n{text}"));
        at += found;
    }
    assert!(!text.contains(hesabu_receipts::NOT_OFFICIAL), "{text}");
    // The QR code's data: PIN, branch and signature, on the sandbox portal (a loopback device).
    let detail = receipts::show(&l.file, &l.admin, &id).await.unwrap();
    let sig = detail.signature.unwrap();
    assert_eq!(
        sig.qr_url.as_deref(),
        Some(
            "https://etims-sbx.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=\
             P051234567X00SIGNATURE0000007"
        )
    );
    assert_eq!(sig.cu_invoice_no.as_deref(), Some("KRACU0100000001/7"));
    assert_eq!(detail.next_print, PrintKind::Original);
}

#[tokio::test]
async fn tampering_with_a_stored_original_is_detected() {
    let l = ledger().await;
    let (id, _) = signed_invoice(&l, 3).await;
    receipts::render(&l.file, &l.admin, &id, PaperFormat::A4, false)
        .await
        .unwrap();
    let path = l.dir.path().join("acme.hesabu");
    let pool = support::raw(&path).await;
    sqlx::query("UPDATE receipt_original SET pdf = X'255044462D' WHERE format = 'a4'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let err = receipts::render(&l.file, &l.admin, &id, PaperFormat::A4, false)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuditBroken, "{err}");
    assert!(err.to_string().contains("backup"), "{err}");
}

#[tokio::test]
async fn a_reprint_is_a_numbered_copy_with_one_audit_entry_each() {
    let l = ledger().await;
    let (id, number) = signed_invoice(&l, 11).await;
    let out = |n: &str| l.dir.path().join(format!("{n}.pdf"));

    let original = receipts::save_pdf(
        &l.file,
        &l.admin,
        &number,
        PaperFormat::Roll80,
        false,
        &out("first"),
    )
    .await
    .unwrap()
    .record;
    assert_eq!(original.kind, PrintKind::Original);
    assert_eq!(original.copy_number, None);
    let stored = receipts::render(&l.file, &l.admin, &id, PaperFormat::Roll80, false)
        .await
        .unwrap();
    // Once the original is out, the next rendering is a copy.
    assert_eq!(stored.kind, PrintKind::Copy);
    let first_bytes = std::fs::read(out("first")).unwrap();
    assert_eq!(
        original.content_sha256.as_deref(),
        Some(sha(&first_bytes).as_str())
    );
    let detail = receipts::show(&l.file, &l.admin, &id).await.unwrap();
    let stored_sha = &detail.stored.unwrap().originals[1];
    assert_eq!(stored_sha.format, PaperFormat::Roll80);
    assert_eq!(
        stored_sha.sha256,
        sha(&first_bytes),
        "the original saved is the stored one"
    );

    let mut copies = Vec::new();
    for n in 1..=2 {
        let r = receipts::save_pdf(
            &l.file,
            &l.admin,
            &id,
            PaperFormat::Roll80,
            false,
            &out(&format!("copy{n}")),
        )
        .await
        .unwrap()
        .record;
        assert_eq!(r.kind, PrintKind::Copy);
        assert_eq!(r.copy_number, Some(n));
        copies.push(std::fs::read(out(&format!("copy{n}"))).unwrap());
    }
    assert_ne!(copies[0], first_bytes, "a copy is not the original");
    assert_eq!(copies[0], copies[1], "copies are rendered the same way");
    let text = receipts::preview(&l.file, &l.admin, &id, PaperFormat::Roll80, false)
        .await
        .unwrap();
    assert_eq!(text.kind, PrintKind::Copy);
    assert!(text.text.contains("COPY"), "{}", text.text);
    assert!(text.text.contains("KRACU0100000001/11 CS"), "{}", text.text);
    assert!(!text.text.contains("/11 NS"), "{}", text.text);

    let prints = audit_actions(&l, "receipt.print").await;
    assert_eq!(prints.len(), 3);
    let last = prints[2].after.clone().unwrap();
    assert_eq!(last["kind"], "copy");
    assert_eq!(last["copy_number"], 2);
    assert_eq!(last["number"], number.as_str());
    let detail = receipts::show(&l.file, &l.admin, &id).await.unwrap();
    assert_eq!(detail.row.prints, 3);
    assert_eq!(detail.row.copies, 2);
    assert_eq!(detail.prints.len(), 3);
    assert_eq!(detail.next_print, PrintKind::Copy);

    // Asking for a copy of a receipt whose original was never printed gives a copy.
    let (other, _) = signed_invoice(&l, 12).await;
    let r = receipts::save_pdf(
        &l.file,
        &l.admin,
        &other,
        PaperFormat::A4,
        true,
        &out("asked"),
    )
    .await
    .unwrap()
    .record;
    assert_eq!((r.kind, r.copy_number), (PrintKind::Copy, Some(1)));
    let detail = receipts::show(&l.file, &l.admin, &other).await.unwrap();
    assert_eq!(detail.next_print, PrintKind::Original);
}

#[tokio::test]
async fn an_unsigned_document_renders_only_as_not_official() {
    let l = ledger().await;
    let (id, number) = issue(&l, None).await;
    for copy in [false, true] {
        let p = receipts::preview(&l.file, &l.admin, &id, PaperFormat::Roll58, copy)
            .await
            .unwrap();
        assert_eq!(p.kind, PrintKind::Provisional);
        assert!(p.text.contains(hesabu_receipts::NOT_OFFICIAL), "{}", p.text);
        assert!(!p.text.contains("SCU INFORMATION"), "{}", p.text);
        assert!(!p.text.contains("TAX INVOICE"), "{}", p.text);
        assert!(!p.text.contains("kra.go.ke"), "{}", p.text);
    }
    let saved = receipts::save_pdf(
        &l.file,
        &l.admin,
        &number,
        PaperFormat::A4,
        false,
        &l.dir.path().join("provisional.pdf"),
    )
    .await
    .unwrap()
    .record;
    assert_eq!(saved.kind, PrintKind::Provisional);
    assert_eq!(saved.copy_number, None);
    let detail = receipts::show(&l.file, &l.admin, &id).await.unwrap();
    assert!(
        detail.stored.is_none(),
        "nothing is stored before KRA signs"
    );
    assert!(detail.signature.is_none());
    assert_eq!(detail.row.status, ReceiptStatus::Awaiting);
    assert_eq!(detail.next_print, PrintKind::Provisional);

    // Rejected by KRA: still provisional, with KRA's words.
    let (rejected, _) = issue(&l, Some("Wanjiru Stores")).await;
    kra_answers(&l, &rejected, "rejected", 5).await;
    let detail = receipts::show(&l.file, &l.admin, &rejected).await.unwrap();
    assert_eq!(detail.row.status, ReceiptStatus::Rejected);
    assert_eq!(detail.row.kra_code.as_deref(), Some("910"));
    assert!(detail.row.kra_message.unwrap().contains("custTin"));
    assert_eq!(detail.next_print, PrintKind::Provisional);
    let p = receipts::preview(&l.file, &l.admin, &rejected, PaperFormat::Roll80, false)
        .await
        .unwrap();
    assert!(p.text.contains(hesabu_receipts::NOT_OFFICIAL));

    // A draft has no receipt.
    let draft = sales::create(
        &l.file,
        &l.admin,
        &NewSale::new(SalesType::Invoice, None, vec![line("CHAIR", "1")]),
    )
    .await
    .unwrap();
    let err = receipts::preview(&l.file, &l.admin, &draft.id, PaperFormat::Roll80, false)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains("not issued"), "{err}");
}

fn lines_of(job: &fake::Job) -> (Vec<String>, Vec<String>) {
    let decoded = fake::decode(&job.data).unwrap();
    let mut lines = Vec::new();
    let mut qrs = Vec::new();
    for item in decoded.items {
        match item {
            Printed::Line { text, .. } => lines.push(text),
            Printed::Qr { data, .. } => qrs.push(String::from_utf8(data).unwrap()),
            _ => {}
        }
    }
    (lines, qrs)
}

#[tokio::test]
async fn printing_to_a_network_printer_sends_the_receipt_and_records_it() {
    let l = ledger().await;
    let (id, number) = signed_invoice(&l, 21).await;
    let printer = FakePrinter::start().unwrap();
    let request = PrintRequest {
        format: Some(PaperFormat::Roll58),
        printer: Some(format!("net:{}", printer.address())),
        copy: false,
    };
    let printers = Printers::system();
    let result = receipts::print(&l.file, &l.admin, &number, &request, &printers)
        .await
        .unwrap();
    let jobs = printer.wait_for_jobs(1, Duration::from_secs(5));
    assert_eq!(jobs.len(), 1);
    let (lines, qrs) = lines_of(&jobs[0]);
    let all = lines.join("\n");
    assert!(all.contains(&number), "{all}");
    assert!(all.contains("KRACU0100000001/21 NS"), "{all}");
    assert!(
        lines.iter().all(|l| l.chars().count() <= 32),
        "58 mm: 32 columns\n{all}"
    );
    assert_eq!(qrs.len(), 1);
    assert!(
        qrs[0].ends_with("P051234567X00SIGNATURE0000021"),
        "{}",
        qrs[0]
    );

    let record = result.record;
    assert_eq!(record.kind, PrintKind::Original);
    assert_eq!(record.destination, format!("network:{}", printer.address()));
    assert_eq!(
        record.content_sha256.as_deref(),
        Some(sha(&jobs[0].data).as_str())
    );
    assert_eq!(record.error, None);

    // The reprint is a copy on paper too.
    receipts::print(&l.file, &l.admin, &id, &request, &printers)
        .await
        .unwrap();
    let jobs = printer.wait_for_jobs(2, Duration::from_secs(5));
    let (lines, _) = lines_of(&jobs[1]);
    let all = lines.join("\n");
    assert!(all.contains("COPY"), "{all}");
    assert!(all.contains("/21 CS"), "{all}");

    // A network printer prints rolls, not A4.
    let err = receipts::print(
        &l.file,
        &l.admin,
        &id,
        &PrintRequest {
            format: Some(PaperFormat::A4),
            ..request.clone()
        },
        &printers,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("80mm or 58mm"), "{err}");
}

#[tokio::test]
async fn paper_out_is_a_clear_error_and_the_receipt_stays_printable() {
    let l = ledger().await;
    let (id, _) = signed_invoice(&l, 31).await;
    let printer = FakePrinter::start().unwrap();
    printer.set_behaviour(Behaviour::PaperOut);
    receipts::set_printer(
        &l.file,
        &l.admin,
        PaperFormat::Roll80,
        Some(&format!("net:{}", printer.address())),
    )
    .await
    .unwrap();
    let printers = Printers::system();
    let err = receipts::print(&l.file, &l.admin, &id, &PrintRequest::default(), &printers)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    let message = err.to_string();
    assert!(message.contains("out of paper"), "{message}");
    assert!(message.contains("Load a new paper roll"), "{message}");
    assert!(message.contains("stays stored"), "{message}");
    assert!(
        printer.jobs().iter().all(|j| j.data.is_empty()),
        "nothing was printed"
    );

    let detail = receipts::show(&l.file, &l.admin, &id).await.unwrap();
    assert_eq!(detail.prints.len(), 1);
    let failed = &detail.prints[0];
    assert_eq!(failed.error_kind.as_deref(), Some("paper_out"));
    assert_eq!(failed.copy_number, None);
    assert_eq!(
        detail.next_print,
        PrintKind::Original,
        "the original is still to print"
    );
    assert_eq!(audit_actions(&l, "receipt.print_failed").await.len(), 1);

    // Unplugged: a clear error too.
    let gone = FakePrinter::unplugged_address().unwrap();
    let err = receipts::print(
        &l.file,
        &l.admin,
        &id,
        &PrintRequest {
            printer: Some(format!("net:{gone}")),
            ..PrintRequest::default()
        },
        &printers,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(
        err.to_string().contains("Cannot reach the printer"),
        "{err}"
    );

    // Paper loaded: the same receipt prints, as the original.
    printer.set_behaviour(Behaviour::Ready);
    let ok = receipts::print(&l.file, &l.admin, &id, &PrintRequest::default(), &printers)
        .await
        .unwrap();
    assert_eq!(ok.record.kind, PrintKind::Original);
    // One connection per print: the refused one (status only), then the receipt.
    let jobs = printer.wait_for_jobs(2, Duration::from_secs(5));
    assert!(jobs[0].data.is_empty());
    assert_eq!(
        ok.record.content_sha256.as_deref(),
        Some(sha(&jobs[1].data).as_str())
    );
}

/// Fake CUPS commands in a folder: an `lp` that records its arguments and standard input
/// and queues the job as `<printer>-12`, an `lpstat` listing two printers.
fn fake_cups(dir: &Path, lp: &str) -> PathBuf {
    let bin = dir.join("cups-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let lpstat = "#!/bin/sh\ncase \"$1\" in\n  -e) printf 'Office\\nKitchen_Thermal\\n' ;;\n  \
                  -d) echo 'system default destination: Office' ;;\nesac\n";
    for (name, body) in [("lp", lp), ("lpstat", lpstat)] {
        let path = bin.join(name);
        std::fs::write(&path, body).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    bin
}

const RECORDING_LP: &str = "#!/bin/sh\ndir=$(dirname \"$0\")\n: > \"$dir/lp.args\"\nfor a in \
                            \"$@\"; do printf '%s\\n' \"$a\" >> \"$dir/lp.args\"; done\ncat > \
                            \"$dir/lp.stdin\"\necho \"request id is $2-12 (1 file(s))\"\n";

#[tokio::test]
async fn cups_printing_goes_through_lp_with_the_stored_pdf() {
    let l = ledger().await;
    let (id, number) = signed_invoice(&l, 41).await;
    let bin = fake_cups(l.dir.path(), RECORDING_LP);
    let printers = Printers::with_cups_dir(&bin);

    let list = receipts::printers(&l.file, &l.admin, &printers)
        .await
        .unwrap();
    assert_eq!(list.os_printers, ["Office", "Kitchen_Thermal"]);
    assert_eq!(list.os_default.as_deref(), Some("Office"));
    assert_eq!(list.os_problem, None);

    receipts::set_printer(&l.file, &l.admin, PaperFormat::A4, Some("cups:Office"))
        .await
        .unwrap();
    let result = receipts::print(
        &l.file,
        &l.admin,
        &number,
        &PrintRequest {
            format: Some(PaperFormat::A4),
            ..PrintRequest::default()
        },
        &printers,
    )
    .await
    .unwrap();
    assert_eq!(result.record.job_id.as_deref(), Some("Office-12"));
    assert_eq!(result.record.destination, "cups:Office");
    let sent = std::fs::read(bin.join("lp.stdin")).unwrap();
    let detail = receipts::show(&l.file, &l.admin, &id).await.unwrap();
    let a4 = detail
        .stored
        .unwrap()
        .originals
        .into_iter()
        .find(|o| o.format == PaperFormat::A4)
        .unwrap();
    assert_eq!(a4.sha256, sha(&sent), "lp got the stored original A4");
    let args = std::fs::read_to_string(bin.join("lp.args")).unwrap();
    assert!(args.starts_with("-d\nOffice\n-t\nReceipt "), "{args}");

    // A printer CUPS does not know: a clear error, recorded, nothing consumed.
    let missing = fake_cups(
        &l.dir.path().join("missing"),
        "#!/bin/sh\ncat > /dev/null\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n",
    );
    let err = receipts::print(
        &l.file,
        &l.admin,
        &id,
        &PrintRequest {
            format: Some(PaperFormat::A4),
            printer: Some("cups:Gone".into()),
            copy: false,
        },
        &Printers::with_cups_dir(missing),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("no printer named 'Gone'"), "{err}");
    let detail = receipts::show(&l.file, &l.admin, &id).await.unwrap();
    assert_eq!(
        detail.prints[0].error_kind.as_deref(),
        Some("no_such_printer")
    );
    assert_eq!(detail.row.prints, 1);

    // No printer set for the format and none named.
    let err = receipts::print(&l.file, &l.admin, &id, &PrintRequest::default(), &printers)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("No printer is set for 80mm"),
        "{err}"
    );
}

#[tokio::test]
async fn the_list_searches_by_number_customer_date_and_status() {
    let l = ledger().await;
    let (signed, signed_number) = signed_invoice(&l, 51).await;
    l.clock.advance(chrono::Duration::days(2));
    let (walk_in, _) = issue(&l, None).await;
    l.clock.advance(chrono::Duration::days(1));
    let (rejected, _) = issue(&l, Some("Wanjiru Stores")).await;
    kra_answers(&l, &rejected, "rejected", 52).await;
    l.clock.advance(chrono::Duration::hours(5));

    let page = |q: ReceiptQuery| {
        let file = &l.file;
        let admin = &l.admin;
        async move { receipts::list(file, admin, &q).await.unwrap() }
    };
    let all = page(ReceiptQuery::default()).await;
    assert_eq!(all.total, 3);
    let ids: Vec<_> = all.rows.iter().map(|r| r.document_id.clone()).collect();
    assert_eq!(
        ids,
        [rejected.clone(), walk_in.clone(), signed.clone()],
        "newest first"
    );

    let by_status = |s| ReceiptQuery {
        status: Some(s),
        ..ReceiptQuery::default()
    };
    let signed_rows = page(by_status(ReceiptStatus::Signed)).await;
    assert_eq!(signed_rows.rows.len(), 1);
    assert_eq!(
        signed_rows.rows[0].cu_invoice_no.as_deref(),
        Some("KRACU0100000001/51")
    );
    let awaiting = page(by_status(ReceiptStatus::Awaiting)).await;
    assert_eq!(awaiting.rows.len(), 1);
    assert_eq!(awaiting.rows[0].document_id, walk_in);
    // Issued a day and five hours ago.
    assert_eq!(awaiting.rows[0].awaiting_seconds, Some(29 * 3600));
    let rejected_rows = page(by_status(ReceiptStatus::Rejected)).await;
    assert_eq!(rejected_rows.rows[0].kra_code.as_deref(), Some("910"));

    let search = |t: &str| ReceiptQuery {
        search: Some(t.into()),
        ..ReceiptQuery::default()
    };
    assert_eq!(page(search("wanjiru")).await.total, 2);
    assert_eq!(page(search("P051111111A")).await.total, 2);
    assert_eq!(
        page(search(&signed_number)).await.rows[0].document_id,
        signed
    );
    assert_eq!(
        page(search("KRACU0100000001/51")).await.rows[0].document_id,
        signed
    );
    assert_eq!(page(search("walk-in")).await.rows[0].document_id, walk_in);
    assert_eq!(page(search("nobody")).await.total, 0);

    let dated = page(ReceiptQuery {
        from: Some("2026-07-02".into()),
        to: Some("2026-07-03".into()),
        ..ReceiptQuery::default()
    })
    .await;
    assert_eq!(dated.total, 1, "{:?}", dated.rows);
    assert_eq!(dated.rows[0].document_id, walk_in);

    let paged = page(ReceiptQuery {
        limit: Some(2),
        offset: Some(2),
        ..ReceiptQuery::default()
    })
    .await;
    assert_eq!((paged.total, paged.rows.len()), (3, 1));

    let err = receipts::list(
        &l.file,
        &l.admin,
        &ReceiptQuery {
            from: Some("1/7/2026".into()),
            ..ReceiptQuery::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn permissions_are_enforced_in_the_service() {
    let l = ledger().await;
    let (id, _) = signed_invoice(&l, 61).await;
    let mut people = Vec::new();
    for (email, role) in [
        (
            "auditor@acme.test",
            hesabu_store::permissions::Role::Auditor,
        ),
        (
            "clerk@acme.test",
            hesabu_store::permissions::Role::FinanceUser,
        ),
    ] {
        hesabu_core::users::add(
            &l.file,
            &l.admin,
            &hesabu_core::users::NewUser {
                email: email.into(),
                name: email.into(),
                role,
                manager_email: None,
                department: None,
                password: "a-long-password-1".into(),
            },
        )
        .await
        .unwrap();
        people.push(
            hesabu_store::auth::login(&l.file, email, "a-long-password-1")
                .await
                .unwrap(),
        );
    }
    let (auditor, clerk) = (&people[0], &people[1]);
    // Reading is for everyone who sees sales.
    receipts::list(&l.file, auditor, &ReceiptQuery::default())
        .await
        .unwrap();
    receipts::show(&l.file, auditor, &id).await.unwrap();
    receipts::preview(&l.file, auditor, &id, PaperFormat::Roll80, false)
        .await
        .unwrap();
    // Handing a receipt out is for those who issue sales.
    let denied = receipts::save_pdf(
        &l.file,
        auditor,
        &id,
        PaperFormat::A4,
        false,
        &l.dir.path().join("x.pdf"),
    )
    .await
    .unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::PermissionDenied);
    assert!(!l.dir.path().join("x.pdf").exists());
    let printer = FakePrinter::start().unwrap();
    let request = PrintRequest {
        printer: Some(format!("net:{}", printer.address())),
        ..PrintRequest::default()
    };
    let denied = receipts::print(&l.file, auditor, &id, &request, &Printers::system())
        .await
        .unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::PermissionDenied);
    assert!(printer.jobs().is_empty());
    receipts::print(&l.file, clerk, &id, &request, &Printers::system())
        .await
        .unwrap();
    // The settings are the managers'.
    let denied = receipts::set_printer(&l.file, clerk, PaperFormat::A4, Some("cups:Office"))
        .await
        .unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::PermissionDenied);
    let settings = receipts::update_settings(
        &l.file,
        &l.admin,
        &ReceiptSettings {
            top_message: Some("  Karibu!  ".into()),
            printer_58mm: Some("net:10.0.0.9".into()),
            ..ReceiptSettings::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(settings.top_message.as_deref(), Some("Karibu!"));
    assert_eq!(
        settings.printer_58mm.as_deref(),
        Some("network:10.0.0.9:9100")
    );
    assert_eq!(
        receipts::settings(&l.file, clerk).await.unwrap(),
        settings,
        "stored and read back"
    );
    let bad = receipts::set_printer(&l.file, &l.admin, PaperFormat::A4, Some("Office"))
        .await
        .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidInput);
    assert!(bad.to_string().contains("cups:NAME"), "{bad}");
}

#[tokio::test]
async fn the_cli_lists_shows_saves_and_prints_receipts() {
    let l = ledger().await;
    let (id, number) = signed_invoice(&l, 71).await;
    let path = l.dir.path().join("acme.hesabu");
    let company = path.to_str().unwrap().to_owned();
    let run = |args: Vec<String>| {
        let mut argv = vec![
            "--company".to_owned(),
            company.clone(),
            "--as".to_owned(),
            support::ADMIN_EMAIL.to_owned(),
            "--json".to_owned(),
        ];
        argv.extend(args);
        async move {
            let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
            support::hesabu(&refs, support::env(Some(support::ADMIN_PASSWORD), None)).await
        }
    };
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

    let out = run(args(&["receipt", "list", "--status", "signed"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["total"], 1);
    assert_eq!(out.json()["rows"][0]["number"], number.as_str());

    let out = run(args(&["receipt", "show", &number])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["signature"]["cu_invoice_no"],
        "KRACU0100000001/71"
    );

    let pdf = l.dir.path().join("cli.pdf");
    let out = run(args(&[
        "receipt",
        "pdf",
        &number,
        "--format",
        "58mm",
        "--out",
        pdf.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["record"]["kind"], "original");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let out = run(args(&[
        "receipt",
        "pdf",
        &id,
        "--format",
        "58mm",
        "--out",
        pdf.to_str().unwrap(),
        "--copy",
    ]))
    .await;
    assert_eq!(out.json()["record"]["copy_number"], 1);

    let printer = FakePrinter::start().unwrap();
    let out = run(args(&[
        "receipt",
        "set-printer",
        "--format",
        "80mm",
        "--printer",
        &format!("net:{}", printer.address()),
    ]))
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(args(&["receipt", "print", &number])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["record"]["copy_number"], 2);
    assert_eq!(printer.wait_for_jobs(1, Duration::from_secs(5)).len(), 1);

    printer.set_behaviour(Behaviour::CoverOpen);
    let out = run(args(&["receipt", "print", &number])).await;
    assert_eq!(out.code, 1);
    let err = out.error_json();
    assert_eq!(err["error"]["kind"], "unavailable");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cover is open"),
        "{err}"
    );

    let out = run(args(&[
        "receipt", "pdf", &number, "--format", "letter", "--out", "x.pdf",
    ]))
    .await;
    assert_eq!(out.code, 2, "{}", out.stderr);
}

/// An `lp` that takes a second to queue the job: time for a second print to start.
const SLOW_LP: &str =
    "#!/bin/sh\ncat > /dev/null\nsleep 1\necho \"request id is $2-7 (1 file(s))\"\n";

#[tokio::test]
async fn two_first_prints_at_once_make_one_original_and_one_copy() {
    let l = ledger().await;
    let (id, number) = signed_invoice(&l, 51).await;
    let printers = Printers::with_cups_dir(fake_cups(l.dir.path(), SLOW_LP));
    let request = PrintRequest {
        format: Some(PaperFormat::A4),
        printer: Some("cups:Office".into()),
        copy: false,
    };
    let (a, b) = tokio::join!(
        receipts::print(&l.file, &l.admin, &number, &request, &printers),
        receipts::print(&l.file, &l.admin, &id, &request, &printers),
    );
    let mut kinds = [a.unwrap().record, b.unwrap().record];
    kinds.sort_by_key(|r| r.seq);
    assert_eq!(
        kinds.iter().map(|r| r.kind).collect::<Vec<_>>(),
        [PrintKind::Original, PrintKind::Copy],
        "the first to claim prints the original; the other, started while it printed, a copy"
    );
    assert_eq!(kinds[1].copy_number, Some(1));
    assert!(
        kinds
            .iter()
            .all(|r| r.error.is_none() && r.error_kind.is_none())
    );
    let detail = receipts::show(&l.file, &l.admin, &id).await.unwrap();
    assert_eq!(
        detail.prints.len(),
        2,
        "the claim became the original's record"
    );
    assert_eq!(detail.next_print, PrintKind::Copy);
    assert_eq!(audit_actions(&l, "receipt.original_claimed").await.len(), 1);
    assert_eq!(audit_actions(&l, "receipt.print").await.len(), 2);
}

#[tokio::test]
async fn a_print_that_never_ended_holds_the_original_only_for_a_while() {
    let l = ledger().await;
    let (id, number) = signed_invoice(&l, 52).await;
    let bin = fake_cups(l.dir.path(), SLOW_LP);
    let request = PrintRequest {
        format: Some(PaperFormat::A4),
        printer: Some("cups:Office".into()),
        copy: false,
    };
    // The print is dropped while the printer has it, as when Hesabu stops mid-print.
    let hung = {
        let (file, admin, request) = (l.file.clone(), l.admin.clone(), request.clone());
        let printers = Printers::with_cups_dir(&bin);
        tokio::spawn(
            async move { receipts::print(&file, &admin, &number, &request, &printers).await },
        )
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    hung.abort();
    let _ = hung.await;
    let detail = receipts::show(&l.file, &l.admin, &id).await.unwrap();
    assert_eq!(detail.prints.len(), 1);
    assert_eq!(detail.prints[0].kind, PrintKind::Original);
    assert_eq!(detail.prints[0].error_kind.as_deref(), Some("in_progress"));
    assert!(
        detail.prints[0]
            .error
            .as_deref()
            .unwrap()
            .contains("print again"),
        "{:?}",
        detail.prints[0].error
    );
    // While the claim is live, the original may still be coming out: the next print is a copy.
    assert_eq!(detail.next_print, PrintKind::Copy);
    let printers = Printers::with_cups_dir(fake_cups(&l.dir.path().join("fast"), RECORDING_LP));
    let copy = receipts::print(&l.file, &l.admin, &id, &request, &printers)
        .await
        .unwrap();
    assert_eq!(copy.record.kind, PrintKind::Copy);

    // After the claim's minutes, the print that never ended takes nothing: the next is the
    // original, and the old claim stays in the history as what it was.
    l.clock
        .advance(receipts::CLAIM_LIVE + chrono::Duration::seconds(1));
    let detail = receipts::show(&l.file, &l.admin, &id).await.unwrap();
    assert_eq!(detail.next_print, PrintKind::Original);
    let original = receipts::print(&l.file, &l.admin, &id, &request, &printers)
        .await
        .unwrap();
    assert_eq!(original.record.kind, PrintKind::Original);
    let detail = receipts::show(&l.file, &l.admin, &id).await.unwrap();
    assert_eq!(detail.prints.len(), 3);
    assert_eq!(detail.prints[2].error_kind.as_deref(), Some("in_progress"));
}

#[tokio::test]
async fn a_claimed_original_that_cannot_be_made_is_given_back() {
    let l = ledger().await;
    let (id, number) = signed_invoice(&l, 53).await;
    // The stored original is damaged: printing it must fail, and not hold the original.
    receipts::render(&l.file, &l.admin, &id, PaperFormat::A4, false)
        .await
        .unwrap();
    let pool = support::raw(&l.dir.path().join("acme.hesabu")).await;
    sqlx::query("UPDATE receipt_original SET pdf = X'255044462D' WHERE format = 'a4'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let printers = Printers::with_cups_dir(fake_cups(l.dir.path(), RECORDING_LP));
    let request = PrintRequest {
        format: Some(PaperFormat::A4),
        printer: Some("cups:Office".into()),
        copy: false,
    };
    let err = receipts::print(&l.file, &l.admin, &number, &request, &printers)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuditBroken, "{err}");
    let detail = receipts::show(&l.file, &l.admin, &id).await.unwrap();
    assert_eq!(detail.prints.len(), 1);
    assert_eq!(detail.prints[0].error_kind.as_deref(), Some("not_sent"));
    assert_eq!(detail.next_print, PrintKind::Original);
}
