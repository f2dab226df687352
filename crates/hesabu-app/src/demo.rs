//! The demo company: the same seed for `hesabu demo create` and the app's "Open the demo
//! company". Budgets come from the shipped sample `docs/examples/budgets.csv`, plus a few
//! reservations so every budget state is on show.
//!
//! Approvals: department heads (Operations: John Mwangi, Sales: Faith Njeri, Finance: Peter
//! Kamau, Administration: Amina Odhiambo), Amina designated `executive` (she is the managing
//! director), and the default four-tier policy (`docs/examples/policy-default.json`) for every
//! document type.

use std::path::Path;

use hesabu_core::approvals::wire::{ActionInput, Decision};
use hesabu_core::approvals::{actions, org, policy_service};
use hesabu_core::budgets::{self, MoveInput, ReserveInput};
use hesabu_core::company;
use hesabu_core::company::NewCompany;
use hesabu_core::departments;
use hesabu_core::users;
use hesabu_core::users::NewUser;
use hesabu_store::auth::Session;
use hesabu_store::clock::SharedClock;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::Result;
use hesabu_store::permissions::Role;

/// Every demo user's password (documented in the README).
pub const DEMO_PASSWORD: &str = "hesabu-demo";
pub const DEMO_ADMIN_EMAIL: &str = "admin@demo.test";

pub const DEMO_DEPARTMENTS: [&str; 5] = ["Administration", "Finance", "Operations", "Sales", "IT"];

/// The shipped budget sample (`docs/examples/budgets.csv`), imported into the demo company.
pub const DEMO_BUDGETS_CSV: &str = include_str!("../../../docs/examples/budgets.csv");

/// Demo documents holding budget: (request id, who reserved it, department, period, amount,
/// amount committed, amount spent).
pub const DEMO_RESERVATIONS: [(&str, &str, &str, &str, i64, i64, i64); 2] = [
    (
        "PR-DEMO-0001",
        "storekeeper@demo.test",
        "Operations",
        "FY2026",
        45_000,
        0,
        0,
    ),
    (
        "PR-DEMO-0002",
        "sales.rep@demo.test",
        "Sales",
        "FY2026",
        120_000,
        120_000,
        60_000,
    ),
];

/// (email, name, role, department, manager email)
pub const DEMO_USERS: [(&str, &str, Role, &str, Option<&str>); 8] = [
    (
        "admin@demo.test",
        "Amina Odhiambo",
        Role::Admin,
        "Administration",
        None,
    ),
    (
        "cfo@demo.test",
        "Peter Kamau",
        Role::FinanceManager,
        "Finance",
        None,
    ),
    (
        "accountant@demo.test",
        "Grace Wanjiru",
        Role::FinanceUser,
        "Finance",
        Some("cfo@demo.test"),
    ),
    (
        "ops.manager@demo.test",
        "John Mwangi",
        Role::Approver,
        "Operations",
        Some("cfo@demo.test"),
    ),
    (
        "sales.manager@demo.test",
        "Faith Njeri",
        Role::Approver,
        "Sales",
        Some("cfo@demo.test"),
    ),
    (
        "storekeeper@demo.test",
        "Brian Otieno",
        Role::Employee,
        "Operations",
        Some("ops.manager@demo.test"),
    ),
    (
        "sales.rep@demo.test",
        "Mercy Achieng",
        Role::Employee,
        "Sales",
        Some("sales.manager@demo.test"),
    ),
    (
        "auditor@demo.test",
        "David Kiprop",
        Role::Auditor,
        "Finance",
        None,
    ),
];

/// The default four-tier approval policy the demo company uses.
pub const DEFAULT_POLICY_JSON: &str = include_str!("../../../docs/examples/policy-default.json");

/// (department, head email)
pub const DEMO_DEPARTMENT_HEADS: [(&str, &str); 4] = [
    ("Operations", "ops.manager@demo.test"),
    ("Sales", "sales.manager@demo.test"),
    ("Finance", "cfo@demo.test"),
    ("Administration", "admin@demo.test"),
];

/// Creates the demo company file at `path` and returns it with the demo admin signed in.
pub async fn create(path: &Path, clock: SharedClock) -> Result<(CompanyFile, Session)> {
    let (file, admin) = company::create(
        path,
        &NewCompany {
            legal_name: "Savannah Traders Limited".into(),
            trading_name: Some("Savannah Traders".into()),
            kra_pin: "P051234567X".into(),
            branch_id: Some("00".into()),
            address: Some("Moi Avenue, P.O. Box 12345-00100, Nairobi".into()),
            fiscal_year_start_month: Some(7),
            admin_email: DEMO_ADMIN_EMAIL.into(),
            admin_name: DEMO_USERS[0].1.into(),
            admin_password: DEMO_PASSWORD.into(),
        },
        clock,
    )
    .await?;
    for name in DEMO_DEPARTMENTS {
        departments::add(&file, &admin, name).await?;
    }
    for (email, name, role, department, manager) in DEMO_USERS.iter().skip(1) {
        users::add(
            &file,
            &admin,
            &NewUser {
                email: (*email).into(),
                name: (*name).into(),
                role: *role,
                manager_email: manager.map(str::to_owned),
                department: Some((*department).into()),
                password: DEMO_PASSWORD.into(),
            },
        )
        .await?;
    }
    seed_budgets(&file, &admin).await?;
    for (department, head) in DEMO_DEPARTMENT_HEADS {
        org::set_department_head(&file, &admin, department, head).await?;
    }
    org::designate(&file, &admin, DEMO_ADMIN_EMAIL, "executive").await?;
    let policy = policy_service::parse(DEFAULT_POLICY_JSON)?;
    policy_service::import(&file, &admin, &policy).await?;
    Ok((file, admin))
}

async fn seed_budgets(file: &CompanyFile, admin: &Session) -> Result<()> {
    let table = budgets::import::read_csv_text(DEMO_BUDGETS_CSV)?;
    let run = budgets::import::import_table(
        file,
        admin,
        table,
        "docs/examples/budgets.csv",
        "csv",
        budgets::import::ImportOptions::default(),
        file.clock().now(),
    )
    .await?;
    if run.status != "ok" {
        return Err(hesabu_store::Error::Internal(format!(
            "the demo budget sample does not import: {}",
            budgets::import::describe_errors(&run.errors)
        )));
    }
    let all = budgets::list(file, admin, None, false).await?;
    let cfo = sign_in_as(file, "cfo@demo.test").await?;
    for (request, email, department, period, reserved, committed, spent) in DEMO_RESERVATIONS {
        let budget = all
            .iter()
            .find(|b| b.department == department && b.period == period && b.category.is_none())
            .ok_or_else(|| {
                hesabu_store::Error::Internal(format!(
                    "the demo has no {department} {period} budget"
                ))
            })?;
        let who = sign_in_as(file, email).await?;
        budgets::reserve(
            file,
            &who,
            &ReserveInput {
                budget_id: budget.id.clone(),
                request_id: request.into(),
                amount: reserved.into(),
                reason: Some("Demo purchase request".into()),
            },
        )
        .await?;
        let step = |amount: i64| MoveInput {
            budget_id: budget.id.clone(),
            request_id: request.into(),
            amount: Some(amount.into()),
            reason: Some("Demo".into()),
        };
        if committed > 0 {
            budgets::commit(file, &cfo, &step(committed)).await?;
        }
        if spent > 0 {
            budgets::spend(file, &cfo, &step(spent)).await?;
        }
    }
    Ok(())
}

/// A demo user's session without the password check (the seed knows who they are).
async fn sign_in_as(file: &CompanyFile, email: &str) -> Result<Session> {
    let user = users::find_by_email(file.reader(), email)
        .await?
        .ok_or_else(|| {
            hesabu_store::Error::Internal(format!("the demo user {email} is missing"))
        })?;
    Session::from_user(&user)
}

/// The shipped decision tables (docs/examples/rules-*.json).
pub const DEMO_RULES: [&str; 4] = [
    include_str!("../../../docs/examples/rules-high-value-invoice.json"),
    include_str!("../../../docs/examples/rules-new-customer-credit-check.json"),
    include_str!("../../../docs/examples/rules-foreign-currency.json"),
    include_str!("../../../docs/examples/rules-missing-tax-code.json"),
];

/// The shipped invoice workflow settings (docs/examples/workflow-invoice-sync.json).
pub const DEMO_INVOICE_SYNC: &str =
    include_str!("../../../docs/examples/workflow-invoice-sync.json");

/// A demo-only decision table: a sale in another currency is held for tax review, so it is not
/// sent to e-TIMS until someone has looked at its KES figures: KRA takes KES amounts, so the
/// payload carries the sale converted at its exchange rate, and a wrong rate would be signed
/// for good. It shows the tax-review hold on first run. It reads the sale's
/// own currency (`facts.currency`): a sale's approval request is in KES, so `foreign_currency`
/// never holds for one.
pub const DEMO_FOREIGN_CURRENCY_REVIEW: &str = r#"{
  "name": "Foreign-currency invoices for tax review",
  "document_type": "sales_invoice",
  "description": "e-TIMS takes KES amounts: an invoice in another currency waits for a tax review before it is sent.",
  "rows": [
    {
      "name": "Not in KES",
      "when": [{ "field": "facts.currency", "op": "IN", "value": ["USD", "EUR", "GBP", "UGX", "TZS"] }],
      "then": [
        { "action": "flag_for_tax_review", "reason": "the invoice is not in KES; check its KES amounts before it goes to e-TIMS" }
      ]
    }
  ]
}"#;

/// What the desktop's demo adds on top of [`create`] so that the Sales, Workflows, Sync and
/// Monitoring pages have something to show on first run: the seed's business rules (plus
/// [`DEMO_FOREIGN_CURRENCY_REVIEW`]), the invoice and credit-note workflows switched on, and the
/// sales ledger ([`add_sales_ledger`]), whose issued invoices and credit note wait in the outbox
/// for e-TIMS until [`sign_with_local_sandbox`] signs them. Kept apart from [`create`] so the
/// test suite's demo stays minimal.
pub async fn add_workflow_showcase(file: &CompanyFile) -> Result<()> {
    let admin = sign_in_as(file, DEMO_ADMIN_EMAIL).await?;
    for table in DEMO_RULES {
        hesabu_core::rules::service::import(file, &admin, table).await?;
    }
    let settings: serde_json::Value = serde_json::from_str(DEMO_INVOICE_SYNC)
        .map_err(|e| hesabu_store::Error::Internal(format!("the demo invoice workflow: {e}")))?;
    hesabu_core::workflows::set(
        file,
        &admin,
        hesabu_core::workflows::WorkflowType::InvoiceSync,
        &settings,
    )
    .await?;
    hesabu_core::rules::service::import(file, &admin, DEMO_FOREIGN_CURRENCY_REVIEW).await?;
    let on = serde_json::json!({ "enabled": true, "autoSync": true });
    hesabu_core::workflows::set(
        file,
        &admin,
        hesabu_core::workflows::WorkflowType::CreditNoteSync,
        &on,
    )
    .await?;
    add_sales_ledger(file).await
}

/// Signs what the demo's workflows queued for e-TIMS against the app's own local sandbox (a
/// test double of KRA, not KRA; see [`crate::etims::demo_sandbox`]): starts it on loopback,
/// initialises the demo's device there (its key in the demo's own secret store) and drains the
/// outbox through the real fiscal flow, so the Receipts and Sync pages have signed sales on
/// first run. Works offline. Returns the running sandbox (keep it while the demo is open: the
/// scheduler's sync sends to it) and what the drain did.
pub async fn sign_with_local_sandbox(
    file: &CompanyFile,
) -> Result<(
    crate::etims::demo_sandbox::DemoSandbox,
    hesabu_store::outbox::DrainSummary,
)> {
    let sandbox = crate::etims::demo_sandbox::DemoSandbox::start(file).await?;
    sandbox.init_device(file).await?;
    record_opening_stock(file).await?;
    let summary = sandbox.drain(file).await?;
    Ok((sandbox, summary))
}

/// How many units of each goods item the demo starts with.
const DEMO_OPENING_QUANTITY: i64 = 120;

/// Opening stock for the demo's goods that have none recorded yet (its own and, later, those
/// pulled from QuickBooks), as an accountant records it on the e-TIMS page: sent to KRA through
/// the outbox, so the Stock tab starts from real quantities and a signed sale of goods takes
/// them down. Demo figures: [`DEMO_OPENING_QUANTITY`] units at 60 % of the item's price.
async fn record_opening_stock(file: &CompanyFile) -> Result<()> {
    use hesabu_core::sales::items::{self, ItemQuery};
    use rust_decimal::Decimal;

    let accountant = sign_in_as(file, "accountant@demo.test").await?;
    let prices: std::collections::HashMap<String, String> =
        items::list(file, &accountant, &ItemQuery::default())
            .await?
            .into_iter()
            .map(|i| (i.code, i.unit_price))
            .collect();
    for level in crate::etims::stock::levels(file, &accountant).await? {
        if level.recorded {
            continue;
        }
        let price = prices
            .get(&level.code)
            .and_then(|p| Decimal::from_str_exact(p).ok())
            .unwrap_or(Decimal::ONE_HUNDRED);
        let cost = (price * Decimal::new(6, 1)).round_dp(2).max(Decimal::ONE);
        crate::etims::stock::opening(
            file,
            &accountant,
            &level.code,
            Decimal::from(DEMO_OPENING_QUANTITY),
            cost,
        )
        .await?;
    }
    Ok(())
}

/// KRA item classification codes for the items of the demo's QuickBooks company, by the start
/// of their name. QuickBooks has no such code; e-TIMS needs one on every line, so a person
/// classifies pulled items once (`hesabu item edit CODE --classification …`). The demo does it
/// for them.
pub const DEMO_QBO_ITEM_CLASSES: [(&str, &str); 5] = [
    ("Unga", "50221300"),
    ("Sugar", "50161500"),
    ("Cooking oil", "50151500"),
    ("Delivery", "78101800"),
    ("Consulting", "80101500"),
];

/// What connecting the demo to its local QuickBooks did.
#[derive(Debug, Clone)]
pub struct QuickBooksSeed {
    /// The first pull: QuickBooks' customers, items and sales into the ledger.
    pub first_pull: crate::qbo::pull::PullReport,
    /// The outbox drained once: the pulled invoices signed by the local e-TIMS sandbox.
    pub signing: hesabu_store::outbox::DrainSummary,
    /// The second pull: the signed sales' write-backs queued.
    pub second_pull: crate::qbo::pull::PullReport,
    /// The outbox drained again: the receipts attached and the invoices updated in QuickBooks.
    pub write_back: hesabu_store::outbox::DrainSummary,
}

/// Connects the demo company to the app's own local QuickBooks sandbox (a test double of
/// QuickBooks Online, not Intuit's; see [`crate::qbo::demo_sandbox`]) so the QuickBooks page
/// and the sales screens have QuickBooks content on first run: the sandbox starts; the
/// administrator connects by the real paste-back flow (tokens in the demo's secret store); a
/// first pull brings QuickBooks' customers, items and sales into the ledger; the accountant
/// classifies the pulled items ([`DEMO_QBO_ITEM_CLASSES`]); the outbox signs the pulled invoices
/// through `etims` (the demo's running e-TIMS sandbox, which is told the pulled customers'
/// PINs); a second pull queues their write-back; and the outbox writes KRA's signature back
/// onto the QuickBooks invoices. Works offline. Returns the running sandbox (keep it while the
/// demo is open) and what each step did.
pub async fn connect_local_quickbooks(
    file: &CompanyFile,
    etims: &crate::etims::demo_sandbox::DemoSandbox,
) -> Result<(crate::qbo::demo_sandbox::DemoQbo, QuickBooksSeed)> {
    use std::sync::Arc;

    use hesabu_store::outbox::{Drainer, Targets, TokioSleeper};

    use crate::qbo::{self, demo_sandbox::DemoQbo, pull};

    let admin = sign_in_as(file, DEMO_ADMIN_EMAIL).await?;
    let sandbox = DemoQbo::start(file).await?;
    sandbox.connect(file, &admin).await?;
    let secrets: Arc<dyn hesabu_store::secrets::SecretStore> =
        Arc::new(crate::demo_support::secrets(file));
    let connected = qbo::open(file, secrets).await?.ok_or_else(|| {
        hesabu_store::Error::Internal("the demo's QuickBooks did not connect".into())
    })?;
    let first_pull = pull::pull(&connected, &admin, false).await?;
    classify_pulled_items(file).await?;
    record_opening_stock(file).await?;
    for (pin, name) in qbo::demo_sandbox::taxpayers(file.reader()).await? {
        etims.handle().register_taxpayer(&pin, &name);
    }
    let targets = sandbox
        .targets(file, &etims.targets(file, &Targets::new()).await?)
        .await?;
    let drainer = Drainer::new(file.clone(), targets, Arc::new(TokioSleeper))?;
    drainer.recover().await?;
    let signing = drainer.drain_until_idle().await?;
    let second_pull = pull::pull(&connected, &admin, false).await?;
    let write_back = drainer.drain_until_idle().await?;
    drop(drainer);
    Ok((
        sandbox,
        QuickBooksSeed {
            first_pull,
            signing,
            second_pull,
            write_back,
        },
    ))
}

/// Gives the items pulled from QuickBooks their KRA classification code, as the accountant.
async fn classify_pulled_items(file: &CompanyFile) -> Result<()> {
    use hesabu_core::sales::items::{self, ItemQuery, NewItem};
    use rust_decimal::Decimal;

    let accountant = sign_in_as(file, "accountant@demo.test").await?;
    let all = items::list(
        file,
        &accountant,
        &ItemQuery {
            include_inactive: true,
            ..Default::default()
        },
    )
    .await?;
    for item in all
        .into_iter()
        .filter(|i| i.qbo_id.is_some() && i.classification_code.is_none())
    {
        let Some((_, class)) = DEMO_QBO_ITEM_CLASSES
            .iter()
            .find(|(prefix, _)| item.name.starts_with(prefix))
        else {
            continue;
        };
        let unit_price = Decimal::from_str_exact(&item.unit_price)
            .map_err(|e| hesabu_store::Error::Internal(format!("demo item price: {e}")))?;
        items::edit(
            file,
            &accountant,
            &item.id,
            &NewItem {
                code: item.code.clone(),
                name: item.name.clone(),
                classification_code: Some((*class).to_owned()),
                packaging_unit: Some(item.packaging_unit.clone()),
                quantity_unit: Some(item.quantity_unit.clone()),
                tax_type: item.tax_type.as_str().to_owned(),
                product_type: item.product_type.as_str().to_owned(),
                origin_country: Some(item.origin_country.clone()),
                unit_price,
                barcode: item.barcode.clone(),
                service_level: item.service_level.clone(),
            },
        )
        .await?;
    }
    Ok(())
}

pub use crate::demo_support::{DEMO_CUSTOMERS, DemoCustomer};

/// The demo's items: every tax band, goods and services (code, name, tax type, product type,
/// quantity unit, price, classification).
pub const DEMO_ITEMS: [(&str, &str, &str, &str, &str, &str, &str); 7] = [
    (
        "CHR-ERG",
        "Ergonomic office chair",
        "B",
        "finished_good",
        "NO",
        "4250",
        "56101500",
    ),
    (
        "TNR-BLK",
        "Toner cartridge, black",
        "B",
        "finished_good",
        "NO",
        "2500",
        "44103100",
    ),
    (
        "SRV-CONS",
        "Consulting, per hour",
        "B",
        "service",
        "NO",
        "6500",
        "80101500",
    ),
    (
        "SRV-EXP",
        "Export advisory, per hour (zero-rated)",
        "C",
        "service",
        "NO",
        "120",
        "80101500",
    ),
    (
        "FLR-MAIZE",
        "Maize flour 2 kg",
        "A",
        "finished_good",
        "NO",
        "150",
        "50221300",
    ),
    (
        "FUEL-DSL",
        "Diesel",
        "E",
        "finished_good",
        "LTR",
        "189.50",
        "15101505",
    ),
    (
        "DLV-LOCAL",
        "Local delivery (non-VAT)",
        "D",
        "service",
        "NO",
        "1500",
        "78101800",
    ),
];

/// Customers, items and a few sales in every state: invoices issued (through approval where
/// the demo's rules ask for it, one in US dollars), a credit note, a cash sale, a draft.
pub async fn add_sales_ledger(file: &CompanyFile) -> Result<()> {
    use hesabu_core::approvals::sales_gate;
    use hesabu_core::sales::SalesType;
    use hesabu_core::sales::customers::{self, NewCustomer};
    use hesabu_core::sales::documents::{self as sales, NewSale, NewSaleLine};
    use hesabu_core::sales::items::{self, NewItem};
    use hesabu_core::sales::tax::PriceBasis;
    use rust_decimal::Decimal;

    let accountant = sign_in_as(file, "accountant@demo.test").await?;
    for (name, pin, email, mobile) in DEMO_CUSTOMERS {
        customers::add(
            file,
            &accountant,
            &NewCustomer {
                name: name.into(),
                kra_pin: pin.map(str::to_owned),
                email: email.map(str::to_owned),
                mobile: mobile.map(str::to_owned),
                address: Some("Nairobi".into()),
                credit_limit: pin.map(|_| Decimal::from(500_000)),
                ..Default::default()
            },
        )
        .await?;
    }
    for (code, name, tax, product, unit, price, class) in DEMO_ITEMS {
        items::add(
            file,
            &accountant,
            &NewItem {
                code: code.into(),
                name: name.into(),
                classification_code: Some(class.into()),
                quantity_unit: Some(unit.into()),
                tax_type: tax.into(),
                product_type: product.into(),
                unit_price: Decimal::from_str_exact(price)
                    .map_err(|e| hesabu_store::Error::Internal(format!("demo price: {e}")))?,
                ..Default::default()
            },
        )
        .await?;
    }
    let line = |item: &str, quantity: i64| NewSaleLine {
        item: Some(item.into()),
        quantity: quantity.into(),
        ..Default::default()
    };
    let sale = NewSale::new;
    let mut issued = Vec::new();
    for new in [
        sale(
            SalesType::Invoice,
            Some("Kilimani Dental Clinic"),
            vec![line("CHR-ERG", 2)],
        ),
        sale(
            SalesType::Invoice,
            Some("Rift Valley Hardware Ltd"),
            vec![line("TNR-BLK", 3), line("DLV-LOCAL", 1)],
        ),
        NewSale {
            currency: Some("USD".into()),
            exchange_rate: Some(Decimal::new(12_950, 2)),
            notes: Some("Advisory for the 2027 season; zero-rated export of services.".into()),
            ..sale(
                SalesType::Invoice,
                Some("Safari Tours International"),
                vec![line("SRV-EXP", 10)],
            )
        },
        NewSale {
            walk_in_name: Some("Counter sale".into()),
            payment_method: Some("mpesa".into()),
            price_basis: Some(PriceBasis::Inclusive),
            ..sale(
                SalesType::CashSale,
                None,
                vec![line("FLR-MAIZE", 4), line("FUEL-DSL", 20)],
            )
        },
    ] {
        let draft = sales::create(file, &accountant, &new).await?;
        let view = sales_gate::issue(file, &accountant, &draft.id).await?;
        if view.number.is_none() {
            approve_through_the_chain(file, &draft.id).await?;
        }
        issued.push(draft.id);
    }
    let first = sales::show(file, &accountant, &issued[0]).await?;
    let credit = sales::create(
        file,
        &accountant,
        &NewSale {
            original: first.number.clone(),
            reason_code: Some("03".into()),
            notes: Some("One chair arrived damaged.".into()),
            ..sale(SalesType::CreditNote, None, vec![line("CHR-ERG", 1)])
        },
    )
    .await?;
    let view = sales_gate::issue(file, &accountant, &credit.id).await?;
    if view.number.is_none() {
        approve_through_the_chain(file, &credit.id).await?;
    }
    // A draft the sales rep wrote and the accountant has not issued yet.
    let rep = sign_in_as(file, "sales.rep@demo.test").await?;
    sales::create(
        file,
        &rep,
        &sale(
            SalesType::Invoice,
            Some("Wanjiku Kamau"),
            vec![line("SRV-CONS", 2)],
        ),
    )
    .await?;
    Ok(())
}

/// Approves a demo document step by step, as whoever each pending step is with (the seed, and
/// tests that issue more demo sales).
pub async fn approve_through_the_chain(file: &CompanyFile, document_id: &str) -> Result<()> {
    let approvers = ["sales.manager@demo.test", "cfo@demo.test", DEMO_ADMIN_EMAIL];
    // At most five levels; a round in which nobody acted means the chain is done.
    for _level in 0..5 {
        let mut acted = false;
        for email in approvers {
            let who = sign_in_as(file, email).await?;
            for item in actions::inbox(file, &who).await? {
                if item.document_id == document_id {
                    actions::act(
                        file,
                        &who,
                        &item.request_id,
                        &ActionInput {
                            decision: Decision::Approve,
                            comment: Some("Demo".into()),
                            delegate_to: None,
                            expected_version: None,
                        },
                    )
                    .await?;
                    acted = true;
                }
            }
        }
        if !acted {
            break;
        }
    }
    Ok(())
}
