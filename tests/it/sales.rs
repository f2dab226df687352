//! The sales ledger: customers, items, invoices, credit notes, cash sales; numbering, limits,
//! immutability, approval, permissions, import, and the CLI.

use std::path::Path;
use std::str::FromStr;

use hesabu_core::approvals::sales_gate;
use hesabu_core::approvals::wire::{ActionInput, Decision};
use hesabu_core::sales::customers::{self, NewCustomer};
use hesabu_core::sales::documents::{self as sales, NewSale, NewSaleLine, SalesQuery};
use hesabu_core::sales::items::{self, NewItem};
use hesabu_core::sales::{SalesStatus, SalesType};
use hesabu_store::ErrorKind;
use hesabu_store::auth::{self, Session};
use hesabu_store::company_file::CompanyFile;
use rust_decimal::Decimal;

use crate::support::{self, ADMIN_EMAIL, ADMIN_PASSWORD};

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn customer(name: &str, pin: Option<&str>) -> NewCustomer {
    NewCustomer {
        name: name.into(),
        kra_pin: pin.map(str::to_owned),
        ..Default::default()
    }
}

fn item(code: &str, tax: &str, price: &str, product: &str) -> NewItem {
    NewItem {
        code: code.into(),
        name: format!("Item {code}"),
        tax_type: tax.into(),
        product_type: product.into(),
        unit_price: d(price),
        ..Default::default()
    }
}

fn line(item: &str, qty: &str) -> NewSaleLine {
    NewSaleLine {
        item: Some(item.into()),
        quantity: d(qty),
        ..Default::default()
    }
}

fn sale(doc_type: SalesType, customer: Option<&str>, lines: Vec<NewSaleLine>) -> NewSale {
    NewSale::new(doc_type, customer, lines)
}

fn credit(original: &str, reason: &str, lines: Vec<NewSaleLine>) -> NewSale {
    NewSale {
        original: Some(original.into()),
        reason_code: Some(reason.into()),
        ..sale(SalesType::CreditNote, None, lines)
    }
}

/// A company with a customer (with PIN), a walk-in-friendly item set in three bands.
async fn ledger() -> (tempfile::TempDir, CompanyFile, Session) {
    let (dir, file, admin) = support::company().await;
    customers::add(&file, &admin, &customer("Acme Ltd", Some("P051111111A")))
        .await
        .unwrap();
    items::add(&file, &admin, &item("CHAIR", "B", "4250", "finished_good"))
        .await
        .unwrap();
    items::add(&file, &admin, &item("FLOUR", "A", "150", "finished_good"))
        .await
        .unwrap();
    items::add(
        &file,
        &admin,
        &item("DIESEL", "E", "180.50", "finished_good"),
    )
    .await
    .unwrap();
    (dir, file, admin)
}

async fn issued(file: &CompanyFile, who: &Session, new: &NewSale) -> sales::SaleView {
    let draft = sales::create(file, who, new).await.unwrap();
    sales_gate::issue(file, who, &draft.id).await.unwrap()
}

#[tokio::test]
async fn a_duplicate_pin_is_refused_naming_the_customer_who_has_it() {
    let (_dir, file, admin) = ledger().await;
    let err = customers::add(
        &file,
        &admin,
        &customer("Acme Again", Some(" p051111111a ")),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.to_string().contains("C-00001 Acme Ltd"), "{err}");
    let err = customers::add(&file, &admin, &customer("Bad", Some("12345")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("P051234567X"), "{err}");
    // Without a PIN many customers are fine.
    for name in ["Walk-in A", "Walk-in B"] {
        customers::add(&file, &admin, &customer(name, None))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_kra_item_code_is_assigned_once_and_survives_edits() {
    let (_dir, file, admin) = ledger().await;
    let chair = items::show(&file, &admin, "CHAIR").await.unwrap();
    assert_eq!(chair.kra_item_code, "KE2NTNO0000001");
    let mut change = item("CHAIR", "B", "4500", "finished_good");
    change.quantity_unit = Some("KG".into());
    let edited = items::edit(&file, &admin, "CHAIR", &change).await.unwrap();
    assert_eq!(edited.kra_item_code, chair.kra_item_code);
    assert_eq!(edited.quantity_unit, "KG");
    let err = items::add(&file, &admin, &item("CHAIR", "B", "1", "service"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn issuing_numbers_freezes_and_records_the_real_sale() {
    let (_dir, file, admin) = ledger().await;
    let mut new = sale(
        SalesType::Invoice,
        Some("Acme Ltd"),
        vec![line("CHAIR", "2"), line("FLOUR", "10"), line("DIESEL", "3")],
    );
    new.lines[0].discount_percent = Some(d("10"));
    let draft = sales::create(&file, &admin, &new).await.unwrap();
    assert_eq!(draft.status, SalesStatus::Draft);
    assert!(draft.number.is_none(), "a draft has no number");
    // Exclusive basis: chair 8500 - 850 = 7650 + 16% 1224; flour 1500 exempt; diesel 541.50 +
    // 8% 43.32. Total 7650 + 1224 + 1500 + 541.50 + 43.32 = 10958.82.
    assert_eq!(draft.totals.total, d("10958.82"));
    assert_eq!(draft.totals.total_tax, d("1267.32"));
    let done = sales_gate::issue(&file, &admin, &draft.id).await.unwrap();
    assert_eq!(done.status, SalesStatus::Issued);
    assert_eq!(done.number.as_deref(), Some("INV-000001"));
    assert_eq!(done.customer_pin.as_deref(), Some("P051111111A"));
    // Immutable from here.
    let err = sales::update_draft(&file, &admin, &draft.id, &new)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.to_string().contains("credit note"), "{err}");
    let err = sales_gate::issue(&file, &admin, &draft.id)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    // The event its workflow listens to carries the real data.
    let events = hesabu_core::workflows::events_list(&file, &admin, Some(&draft.id), 10)
        .await
        .unwrap();
    let event = events.iter().find(|e| e.entity_type == "invoice").unwrap();
    let payload: serde_json::Value = event.payload.clone();
    assert_eq!(payload["number"], "INV-000001");
    assert_eq!(payload["customer_pin"], "P051111111A");
    assert_eq!(payload["total"], "10958.82");
    assert_eq!(payload["lines"].as_array().unwrap().len(), 3);
    assert_eq!(payload["lines"][0]["tax_type"], "B");
}

#[tokio::test]
async fn void_only_before_fiscalisation_and_the_number_is_kept() {
    let (_dir, file, admin) = ledger().await;
    let a = issued(
        &file,
        &admin,
        &sale(
            SalesType::Invoice,
            Some("Acme Ltd"),
            vec![line("CHAIR", "1")],
        ),
    )
    .await;
    let b = issued(
        &file,
        &admin,
        &sale(
            SalesType::Invoice,
            Some("Acme Ltd"),
            vec![line("CHAIR", "1")],
        ),
    )
    .await;
    let voided = sales::void(&file, &admin, &a.id, "Wrong customer")
        .await
        .unwrap();
    assert_eq!(voided.status, SalesStatus::Void);
    assert_eq!(voided.number.as_deref(), Some("INV-000001"));
    let mut uow = file.begin_system().await.unwrap();
    sales::mark_fiscalised_in(&mut uow, &b.id).await.unwrap();
    uow.commit().await.unwrap();
    let err = sales::void(&file, &admin, &b.id, "oops").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.to_string().contains("credit note"), "{err}");
    // After fiscalisation, a credit note corrects it.
    let cn = issued(
        &file,
        &admin,
        &credit("INV-000002", "06", vec![line("CHAIR", "1")]),
    )
    .await;
    assert_eq!(cn.number.as_deref(), Some("CN-000001"));
    // The next invoice continues the sequence: the void kept its number.
    let c = issued(
        &file,
        &admin,
        &sale(SalesType::Invoice, None, vec![line("FLOUR", "1")]),
    )
    .await;
    assert_eq!(c.number.as_deref(), Some("INV-000003"));
    assert_eq!(c.customer_name, "Walk-in customer");
}

#[tokio::test]
async fn a_credit_note_never_exceeds_what_remains_of_the_original() {
    let (_dir, file, admin) = ledger().await;
    let inv = issued(
        &file,
        &admin,
        &sale(
            SalesType::Invoice,
            Some("Acme Ltd"),
            vec![line("CHAIR", "3"), line("FLOUR", "10")],
        ),
    )
    .await;
    let number = inv.number.clone().unwrap();
    // More than was sold.
    let err = sales::create(
        &file,
        &admin,
        &credit(&number, "06", vec![line("CHAIR", "4")]),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("only 3 remain"), "{err}");
    // An item that was not on the invoice.
    let err = sales::create(
        &file,
        &admin,
        &credit(&number, "06", vec![line("DIESEL", "1")]),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("not on INV-000001"), "{err}");
    // A higher price than the original (an amount above what remains).
    let mut dearer = line("CHAIR", "1");
    dearer.unit_price = Some(d("9999"));
    let err = sales::create(&file, &admin, &credit(&number, "09", vec![dearer]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("above the price"), "{err}");
    // The amount left is checked too: a price kept but a smaller discount than the invoice's.
    let mut discounted_original = sale(
        SalesType::Invoice,
        Some("Acme Ltd"),
        vec![line("CHAIR", "1")],
    );
    discounted_original.lines[0].discount_percent = Some(d("50"));
    let half = issued(&file, &admin, &discounted_original).await;
    let err = sales::create(
        &file,
        &admin,
        &credit(
            half.number.as_deref().unwrap(),
            "09",
            vec![line("CHAIR", "1")],
        ),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("remains"), "{err}");
    // Two partials, then nothing is left.
    issued(
        &file,
        &admin,
        &credit(&number, "03", vec![line("CHAIR", "2")]),
    )
    .await;
    let second = issued(
        &file,
        &admin,
        &credit(&number, "06", vec![line("CHAIR", "1"), line("FLOUR", "10")]),
    )
    .await;
    assert_eq!(second.customer_pin.as_deref(), Some("P051111111A"));
    let err = sales::create(
        &file,
        &admin,
        &credit(&number, "06", vec![line("CHAIR", "1")]),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("after earlier credit notes"),
        "{err}"
    );
    // The desktop's "credit note from this invoice" starts from what is left: nothing.
    let err = sales::credit_template(&file, &admin, &number)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    // Voiding a credit note gives its quantity back.
    sales::void(&file, &admin, &second.id, "issued twice")
        .await
        .unwrap();
    let template = sales::credit_template(&file, &admin, &number)
        .await
        .unwrap();
    let left: Vec<(&str, &str)> = template
        .lines
        .iter()
        .map(|l| (l.item_code.as_deref().unwrap(), l.quantity.as_str()))
        .collect();
    assert_eq!(left, [("CHAIR", "1"), ("FLOUR", "10")]);
    sales::create(
        &file,
        &admin,
        &credit(&number, "06", vec![line("CHAIR", "1")]),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_credit_note_keeps_the_original_pin_date_and_needs_a_reason() {
    let (_dir, file, admin) = ledger().await;
    let inv = issued(
        &file,
        &admin,
        &sale(
            SalesType::Invoice,
            Some("Acme Ltd"),
            vec![line("CHAIR", "2")],
        ),
    )
    .await;
    let number = inv.number.clone().unwrap();
    // The customer's PIN changes afterwards; the credit note still carries the original's.
    let mut change = customer("Acme Ltd", Some("P059999999Z"));
    change.customer_type = Some("b2b".into());
    customers::edit(&file, &admin, "C-00001", &change)
        .await
        .unwrap();
    let cn = sales::create(
        &file,
        &admin,
        &credit(&number, "06", vec![line("CHAIR", "1")]),
    )
    .await
    .unwrap();
    assert_eq!(cn.customer_pin.as_deref(), Some("P051111111A"));
    let mut early = credit(&number, "06", vec![line("CHAIR", "1")]);
    early.issue_date = Some("2026-06-30".into());
    let err = sales::create(&file, &admin, &early).await.unwrap_err();
    assert!(err.to_string().contains("before"), "{err}");
    let err = sales::create(
        &file,
        &admin,
        &credit(&number, "99", vec![line("CHAIR", "1")]),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("06 refund"), "{err}");
    // Another customer is refused.
    customers::add(&file, &admin, &customer("Other", None))
        .await
        .unwrap();
    let mut other = credit(&number, "06", vec![line("CHAIR", "1")]);
    other.customer = Some("Other".into());
    let err = sales::create(&file, &admin, &other).await.unwrap_err();
    assert!(err.to_string().contains("original's customer"), "{err}");
}

#[tokio::test]
async fn a_failed_issue_takes_no_number() {
    let (_dir, file, admin) = ledger().await;
    let mut later = sale(
        SalesType::Invoice,
        Some("Acme Ltd"),
        vec![line("CHAIR", "1")],
    );
    later.issue_date = Some("2026-07-05".into()); // the clock says 2026-07-01
    let draft = sales::create(&file, &admin, &later).await.unwrap();
    let err = sales_gate::issue(&file, &admin, &draft.id)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("post-dated"), "{err}");
    let ok = issued(
        &file,
        &admin,
        &sale(
            SalesType::Invoice,
            Some("Acme Ltd"),
            vec![line("CHAIR", "1")],
        ),
    )
    .await;
    assert_eq!(ok.number.as_deref(), Some("INV-000001"));
    // A deactivated customer cannot be sold to.
    customers::set_active(&file, &admin, "Acme Ltd", false)
        .await
        .unwrap();
    let err = sales::create(
        &file,
        &admin,
        &sale(
            SalesType::Invoice,
            Some("Acme Ltd"),
            vec![line("CHAIR", "1")],
        ),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("inactive"), "{err}");
}

#[tokio::test]
async fn a_foreign_currency_sale_is_reported_in_kes() {
    let (_dir, file, admin) = ledger().await;
    let mut new = sale(
        SalesType::Invoice,
        Some("Acme Ltd"),
        vec![line("CHAIR", "1")],
    );
    new.lines[0].unit_price = Some(d("100"));
    new.currency = Some("USD".into());
    let err = sales::create(&file, &admin, &new).await.unwrap_err();
    assert!(err.to_string().contains("exchange rate"), "{err}");
    new.exchange_rate = Some(d("129.5"));
    let s = sales::create(&file, &admin, &new).await.unwrap();
    assert_eq!(s.totals.total, d("116.00"));
    // 100 USD = 12950 KES, + 16% = 2072.00 → 15022.00.
    assert_eq!(s.total_kes, "15022.00");
}

#[tokio::test]
async fn cash_sales_are_paid_in_full_and_inclusive_prices_take_the_vat_out() {
    let (_dir, file, admin) = ledger().await;
    let mut new = sale(SalesType::CashSale, None, vec![line("CHAIR", "1")]);
    new.lines[0].unit_price = Some(d("100"));
    new.price_basis = Some(hesabu_core::sales::tax::PriceBasis::Inclusive);
    let s = issued(&file, &admin, &new).await;
    assert_eq!(s.number.as_deref(), Some("CS-000001"));
    assert_eq!(s.lines[0].taxable_amount, "86.21");
    assert_eq!(s.lines[0].tax_amount, "13.79");
    assert_eq!(s.amount_paid, "100.00");
    assert_eq!(s.payment_method.as_deref(), Some("cash"));
}

async fn demo() -> (tempfile::TempDir, CompanyFile) {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let file = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    (dir, file)
}

async fn login(file: &CompanyFile, email: &str) -> Session {
    auth::login(file, email, hesabu_app::demo::DEMO_PASSWORD)
        .await
        .unwrap()
}

async fn approve_all(file: &CompanyFile, document_id: &str) {
    for _ in 0..6 {
        let mut acted = false;
        for email in [
            "sales.manager@demo.test",
            "cfo@demo.test",
            "admin@demo.test",
        ] {
            let who = login(file, email).await;
            for item in hesabu_core::approvals::actions::inbox(file, &who)
                .await
                .unwrap()
            {
                if item.document_id == document_id {
                    hesabu_core::approvals::actions::act(
                        file,
                        &who,
                        &item.request_id,
                        &ActionInput {
                            decision: Decision::Approve,
                            comment: None,
                            delegate_to: None,
                            expected_version: None,
                        },
                    )
                    .await
                    .unwrap();
                    acted = true;
                }
            }
        }
        if !acted {
            return;
        }
    }
}

#[tokio::test]
async fn above_the_threshold_a_sale_is_approved_before_it_is_numbered_and_reserves_no_budget() {
    let (_dir, file) = demo().await;
    let admin = login(&file, "admin@demo.test").await;
    let accountant = login(&file, "accountant@demo.test").await;
    hesabu_core::sales::settings::update(
        &file,
        &admin,
        &hesabu_core::sales::settings::SalesSettings {
            price_basis: hesabu_core::sales::tax::PriceBasis::Exclusive,
            approval_above: Some(d("100000")),
        },
    )
    .await
    .unwrap();
    customers::add(
        &file,
        &accountant,
        &customer("Big Buyer", Some("P052222222B")),
    )
    .await
    .unwrap();
    let mut big = sale(
        SalesType::Invoice,
        Some("Big Buyer"),
        vec![NewSaleLine {
            description: Some("Fit-out works".into()),
            quantity: d("1"),
            unit_price: Some(d("250000")),
            tax_type: Some("B".into()),
            ..Default::default()
        }],
    );
    let budgets_before = support::count(file.path(), "budget_reservation").await;
    let draft = sales::create(&file, &accountant, &big).await.unwrap();
    let pending = sales_gate::issue(&file, &accountant, &draft.id)
        .await
        .unwrap();
    assert_eq!(pending.status, SalesStatus::PendingApproval);
    assert!(pending.number.is_none());
    assert!(
        pending
            .warnings
            .iter()
            .any(|w| w.contains("above KES 100,000.00")),
        "{:?}",
        pending.warnings
    );
    // Not editable while it waits.
    assert!(
        sales::update_draft(&file, &accountant, &draft.id, &big)
            .await
            .is_err()
    );
    // Returned: a draft again, corrected, issued again.
    let cfo = login(&file, "cfo@demo.test").await;
    let sales_manager = login(&file, "sales.manager@demo.test").await;
    let mut returned = false;
    for who in [&sales_manager, &cfo, &admin] {
        for item in hesabu_core::approvals::actions::inbox(&file, who)
            .await
            .unwrap()
        {
            if item.document_id == draft.id && !returned {
                hesabu_core::approvals::actions::act(
                    &file,
                    who,
                    &item.request_id,
                    &ActionInput {
                        decision: Decision::Return,
                        comment: Some("Add the PO number".into()),
                        delegate_to: None,
                        expected_version: None,
                    },
                )
                .await
                .unwrap();
                returned = true;
            }
        }
    }
    assert!(returned);
    let back = sales::show(&file, &accountant, &draft.id).await.unwrap();
    assert_eq!(back.status, SalesStatus::Draft);
    big.notes = Some("PO 4471".into());
    sales::update_draft(&file, &accountant, &draft.id, &big)
        .await
        .unwrap();
    let again = sales_gate::issue(&file, &accountant, &draft.id)
        .await
        .unwrap();
    assert_eq!(again.status, SalesStatus::PendingApproval);
    approve_all(&file, &draft.id).await;
    let done = sales::show(&file, &accountant, &draft.id).await.unwrap();
    assert_eq!(done.status, SalesStatus::Issued);
    assert_eq!(done.number.as_deref(), Some("INV-000001"));
    assert_eq!(
        support::count(file.path(), "budget_reservation").await,
        budgets_before
    );
    // Under the threshold: issued at once.
    let small = issued(
        &file,
        &accountant,
        &sale(
            SalesType::Invoice,
            Some("Big Buyer"),
            vec![NewSaleLine {
                description: Some("Call-out".into()),
                quantity: d("1"),
                unit_price: Some(d("5000")),
                tax_type: Some("B".into()),
                ..Default::default()
            }],
        ),
    )
    .await;
    assert_eq!(small.number.as_deref(), Some("INV-000002"));
}

#[tokio::test]
async fn who_may_draft_issue_credit_void_and_change_the_settings() {
    let (_dir, file) = demo().await;
    let admin = login(&file, "admin@demo.test").await;
    customers::add(&file, &admin, &customer("Acme Ltd", Some("P051111111A")))
        .await
        .unwrap();
    let walk = |who: &str| {
        sale(
            SalesType::Invoice,
            Some("Acme Ltd"),
            vec![NewSaleLine {
                description: Some(format!("Work for {who}")),
                quantity: d("1"),
                unit_price: Some(d("100")),
                tax_type: Some("B".into()),
                ..Default::default()
            }],
        )
    };
    // (email, may draft, may issue, may void, may add customers, may change settings)
    let matrix = [
        ("admin@demo.test", true, true, true, true, true),
        ("cfo@demo.test", true, true, true, true, true),
        ("accountant@demo.test", true, true, false, true, false),
        ("sales.manager@demo.test", false, false, false, false, false),
        ("sales.rep@demo.test", true, false, false, false, false),
        ("auditor@demo.test", false, false, false, false, false),
    ];
    for (email, draft, issue, void, master, settings) in matrix {
        let who = login(&file, email).await;
        let created = sales::create(&file, &who, &walk(email)).await;
        assert_eq!(created.is_ok(), draft, "{email} draft: {created:?}");
        let id = match created {
            Ok(s) => s.id,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{email}");
                sales::create(&file, &admin, &walk(email)).await.unwrap().id
            }
        };
        let issued_now = sales_gate::issue(&file, &who, &id).await;
        assert_eq!(issued_now.is_ok(), issue, "{email} issue: {issued_now:?}");
        if !issue {
            sales_gate::issue(&file, &admin, &id).await.unwrap();
        }
        let voided = sales::void(&file, &who, &id, "test").await;
        assert_eq!(voided.is_ok(), void, "{email} void: {voided:?}");
        let added = customers::add(&file, &who, &customer(&format!("C {email}"), None)).await;
        assert_eq!(added.is_ok(), master, "{email} customer");
        let s = hesabu_core::sales::settings::show(&file, &who).await;
        assert!(
            s.is_ok(),
            "everyone who sees sales sees the settings: {email}"
        );
        let changed = hesabu_core::sales::settings::update(&file, &who, &s.unwrap()).await;
        assert_eq!(changed.is_ok(), settings, "{email} settings");
        // Everyone with sales access reads the list.
        assert!(
            sales::list(&file, &who, &SalesQuery::default())
                .await
                .is_ok(),
            "{email}"
        );
    }
}

#[tokio::test]
async fn an_import_with_a_bad_row_keeps_nothing_and_names_every_bad_line() {
    let (dir, file, admin) = ledger().await;
    let path = dir.path().join("customers.csv");
    std::fs::write(
        &path,
        "name,kra_pin,email,credit_limit\n\
         Good One,P053333333C,a@b.co.ke,\"10,000\"\n\
         Bad Pin,XYZ,,\n\
         Dup Of Acme,P051111111A,,\n\
         Comma Money,,,\"1,5\"\n\
         Good Two,,,500\n",
    )
    .unwrap();
    let before = customers::list(&file, &admin, &Default::default())
        .await
        .unwrap()
        .len();
    let err = hesabu_core::sales::import::import_customers_file(&file, &admin, &path)
        .await
        .unwrap_err()
        .to_string();
    for expected in [
        "line 3",
        "line 4",
        "line 5",
        "C-00001 Acme Ltd",
        "commas only group thousands",
    ] {
        assert!(err.contains(expected), "{expected}: {err}");
    }
    assert!(!err.contains("line 2:"), "{err}");
    let after = customers::list(&file, &admin, &Default::default())
        .await
        .unwrap()
        .len();
    assert_eq!(before, after, "all or nothing");
    // Fixed, it goes in, numbered after the existing customer.
    std::fs::write(
        &path,
        "name,kra_pin,email,credit_limit\nGood One,P053333333C,a@b.co.ke,\"10,000\"\nGood Two,,,500\n",
    )
    .unwrap();
    let r = hesabu_core::sales::import::import_customers_file(&file, &admin, &path)
        .await
        .unwrap();
    assert_eq!(r.added, 2);
    let good = customers::show(&file, &admin, "Good One").await.unwrap();
    assert_eq!(good.credit_limit.as_deref(), Some("10000"));
    // A header alone is refused, not taken as "nothing to change".
    std::fs::write(&path, "name,kra_pin\n").unwrap();
    let err = hesabu_core::sales::import::import_customers_file(&file, &admin, &path)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no rows"), "{err}");
    // Items: a bad tax type and a bad unit, named by line.
    let items_path = dir.path().join("items.csv");
    std::fs::write(
        &items_path,
        "code,name,tax_type,product_type,unit_price,quantity_unit\n\
         SRV,Service,B,service,100,\n\
         BAD,Bad,Z,service,100,\n\
         BADU,Bad unit,B,finished_good,100,parsec\n",
    )
    .unwrap();
    let err = hesabu_core::sales::import::import_items_file(&file, &admin, &items_path)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3") && err.contains("line 4"), "{err}");
    assert!(
        items::show(&file, &admin, "SRV").await.is_err(),
        "nothing kept"
    );
}

#[tokio::test]
async fn the_cli_creates_totals_issues_and_lists_sales() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::demo_copy(dir.path()).await;
    let company = path.to_str().unwrap();
    let run = |args: Vec<String>| async move {
        let mut full = vec![
            "--company".to_owned(),
            company.to_owned(),
            "--as".into(),
            "admin@demo.test".into(),
            "--json".into(),
        ];
        full.extend(args);
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        support::hesabu(
            &refs,
            support::env(Some(hesabu_app::demo::DEMO_PASSWORD), None),
        )
        .await
    };
    let args = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
    let out = run(args("customer add --name Acme --kra-pin P051111111A")).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(args(
        "item add --code SRV --name Service --tax-type B --product-type service --price 1,000",
    ))
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines = dir.path().join("lines.csv");
    std::fs::write(
        &lines,
        "item,description,quantity,unit_price,discount_percent,tax_type\n\
         SRV,,3,,10,\n\
         ,Bank charges,1,250,,A\n\
         ,Fuel levy,2,\"1,000.50\",,E\n",
    )
    .unwrap();
    let lines_arg = lines.to_str().unwrap().to_owned();
    let out = run(vec![
        "sale".into(),
        "totals".into(),
        lines_arg.clone(),
        "--basis".into(),
        "inclusive".into(),
    ])
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let totals = out.json();
    // Inclusive: 2700 → 2327.59 + 372.41; 250 exempt; 2001.00 → 1852.78 + 148.22.
    assert_eq!(totals["total"], "4951.00");
    assert_eq!(totals["bands"][1]["taxable_amount"], "2327.59");
    assert_eq!(totals["bands"][4]["tax_amount"], "148.22");
    let out = run(vec![
        "sale".into(),
        "create".into(),
        "--customer".into(),
        "Acme".into(),
        "--lines".into(),
        lines_arg,
    ])
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let id = out.json()["id"].as_str().unwrap().to_owned();
    let out = run(vec!["sale".into(), "issue".into(), id]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["number"], "INV-000001");
    for search in ["Acme", "P051111111A", "INV-000001", "1", "5,543.08"] {
        let out = run(vec![
            "sale".into(),
            "list".into(),
            "--search".into(),
            search.into(),
        ])
        .await;
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.json()[0]["number"], "INV-000001", "search {search}");
    }
    let out = run(args("sale list --search nobody")).await;
    assert_eq!(out.json().as_array().unwrap().len(), 0);
    // Bad input: exit 2 with a message that says what to fix.
    std::fs::write(&lines, "item,quantity\nSRV,\"1,5\"\n").unwrap();
    let out = run(vec![
        "sale".into(),
        "totals".into(),
        lines.to_str().unwrap().into(),
    ])
    .await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("commas only group thousands"),
        "{}",
        out.stderr
    );
    let out = run(args("sale void INV-000001")).await;
    assert_eq!(out.code, 2, "--reason is required");
}

/// Two processes issuing at once: every number from 1 to 2N exactly once.
#[tokio::test]
async fn two_processes_issuing_at_once_take_every_number_once() {
    let (dir, file, admin) = ledger().await;
    let path = file.path().to_path_buf();
    drop(admin);
    file.close().await.unwrap();
    let per_process = 15;
    let child = env!("CARGO_BIN_EXE_sales-issue-child");
    let spawn = |tag: &str| {
        std::process::Command::new(child)
            .arg(&path)
            .arg(per_process.to_string())
            .arg(tag)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn("a"), spawn("b"));
    for c in [a, b] {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let file = hesabu_app::open_company_file(&path, support::clock())
        .await
        .unwrap();
    let admin = auth::login(&file, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .unwrap();
    let all = sales::list(
        &file,
        &admin,
        &SalesQuery {
            limit: Some(500),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut numbers: Vec<String> = all.iter().filter_map(|s| s.number.clone()).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=2 * per_process)
        .map(|n| format!("INV-{n:06}"))
        .collect();
    assert_eq!(numbers, expected);
    drop(dir);
}

#[test]
fn the_child_exists() {
    assert!(Path::new(env!("CARGO_BIN_EXE_sales-issue-child")).exists());
}

#[tokio::test]
async fn items_import_from_a_spreadsheet_and_get_their_kra_codes() {
    use rust_xlsxwriter::Workbook;
    let (dir, file, admin) = ledger().await;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let header = [
        "code",
        "name",
        "tax_type",
        "product_type",
        "unit_price",
        "quantity_unit",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet
            .write_string(0, u16::try_from(c).unwrap(), *h)
            .unwrap();
    }
    let rows = [
        ("MILK", "Milk 500 ml", "A", "finished_good", 65.0, "NO"),
        ("SOAP", "Bar soap", "B", "finished_good", 120.5, "PA"),
    ];
    for (r, (code, name, tax, kind, price, unit)) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap();
        sheet.write_string(r, 0, *code).unwrap();
        sheet.write_string(r, 1, *name).unwrap();
        sheet.write_string(r, 2, *tax).unwrap();
        sheet.write_string(r, 3, *kind).unwrap();
        sheet.write_number(r, 4, *price).unwrap();
        sheet.write_string(r, 5, *unit).unwrap();
    }
    let path = dir.path().join("items.xlsx");
    book.save(&path).unwrap();
    let r = hesabu_core::sales::import::import_items_file(&file, &admin, &path)
        .await
        .unwrap();
    assert_eq!(r.added, 2);
    let soap = items::show(&file, &admin, "SOAP").await.unwrap();
    assert_eq!(soap.unit_price, "120.5");
    // CHAIR, FLOUR and DIESEL took 1–3.
    assert_eq!(soap.kra_item_code, "KE2NTPA0000005");
}

#[tokio::test]
async fn business_rules_and_the_invoice_workflow_decide_on_the_real_sale() {
    let (_dir, file) = demo().await;
    let admin = login(&file, "admin@demo.test").await;
    let accountant = login(&file, "accountant@demo.test").await;
    customers::add(
        &file,
        &accountant,
        &customer("Acme Ltd", Some("P051111111A")),
    )
    .await
    .unwrap();
    hesabu_core::rules::service::import(
        &file,
        &admin,
        r#"{"name": "Sales checks", "document_type": "sales_invoice", "hit_policy": "all",
            "rows": [
              {"name": "No walk-in over 20k",
               "when": [{"field": "facts.has_customer_pin", "op": "=", "value": false},
                        {"field": "amount", "op": ">", "value": "20000"}],
               "then": [{"action": "block", "reason": "a sale over KES 20,000 needs a customer with a PIN"}]},
              {"name": "Zero-rated needs finance",
               "when": [{"field": "amount", "op": ">", "value": "1000"}, {"field": "facts.sales_type", "op": "=", "value": "invoice"}],
               "then": [{"action": "require_approval", "level_name": "Finance", "roles": ["finance_manager"]}]}
            ]}"#,
    )
    .await
    .unwrap();
    let one = |price: &str| NewSaleLine {
        description: Some("Work".into()),
        quantity: d("1"),
        unit_price: Some(d(price)),
        tax_type: Some("B".into()),
        ..Default::default()
    };
    // Blocked: nothing issued, the draft stays a draft, and no number is taken.
    let walk_in = sales::create(
        &file,
        &accountant,
        &sale(SalesType::Invoice, None, vec![one("30000")]),
    )
    .await
    .unwrap();
    let err = sales_gate::issue(&file, &accountant, &walk_in.id)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("needs a customer with a PIN"),
        "{err}"
    );
    assert_eq!(
        sales::show(&file, &accountant, &walk_in.id)
            .await
            .unwrap()
            .status,
        SalesStatus::Draft
    );
    // Required approval: it waits, then the finance manager's approval issues it as INV-000001.
    let held = sales::create(
        &file,
        &accountant,
        &sale(SalesType::Invoice, Some("Acme Ltd"), vec![one("5000")]),
    )
    .await
    .unwrap();
    let pending = sales_gate::issue(&file, &accountant, &held.id)
        .await
        .unwrap();
    assert_eq!(pending.status, SalesStatus::PendingApproval);
    assert!(
        pending.warnings.iter().any(|w| w.contains("business rule")),
        "{:?}",
        pending.warnings
    );
    approve_all(&file, &held.id).await;
    assert_eq!(
        sales::show(&file, &accountant, &held.id)
            .await
            .unwrap()
            .number
            .as_deref(),
        Some("INV-000001")
    );
    // A cash sale under the rule's filter is issued at once.
    let cash = issued(
        &file,
        &accountant,
        &sale(SalesType::CashSale, Some("Acme Ltd"), vec![one("5000")]),
    )
    .await;
    assert_eq!(cash.number.as_deref(), Some("CS-000001"));
    // The invoice workflow's requireApprovalAbove joins the company's threshold: an 800
    // invoice (under the rule's 1,000) waits because the workflow says 500.
    hesabu_core::workflows::set(
        &file,
        &admin,
        hesabu_core::workflows::WorkflowType::InvoiceSync,
        &serde_json::json!({"enabled": true, "autoSync": true, "config": {"requireApprovalAbove": "500.00"}}),
    )
    .await
    .unwrap();
    let small = sales::create(
        &file,
        &accountant,
        &sale(SalesType::Invoice, Some("Acme Ltd"), vec![one("800")]),
    )
    .await
    .unwrap();
    let waiting = sales_gate::issue(&file, &accountant, &small.id)
        .await
        .unwrap();
    assert_eq!(
        waiting.status,
        SalesStatus::PendingApproval,
        "800 is above the workflow's 500"
    );
    // Once issued, the invoice is queued for e-TIMS by its workflow.
    approve_all(&file, &small.id).await;
    let executions = hesabu_core::workflows::executions(
        &file,
        &admin,
        &hesabu_core::workflows::ExecutionFilter::default(),
    )
    .await
    .unwrap();
    assert!(
        executions.iter().any(|e| e.entity_id == small.id
            && e.workflow_type == "invoice_sync"
            && e.outbox_id.is_some()),
        "{executions:?}"
    );
}
