//! The demo company: the same seed for `hesabu demo create` and the app's "Open the demo
//! company". Budgets come from the shipped sample `docs/examples/budgets.csv`, plus a few
//! reservations so every budget state is on show.
//!
//! Approvals: department heads (Operations: John Mwangi, Sales: Faith Njeri, Finance: Peter
//! Kamau, Administration: Amina Odhiambo), Amina designated `executive` (she is the managing
//! director), and the default four-tier policy (`docs/examples/policy-default.json`) for every
//! document type.

use std::path::Path;

use hesabu_core::approvals::wire::{
    ActionInput, Decision, DocumentType, NewDocument, NewDocumentLine,
};
use hesabu_core::approvals::{actions, documents, org, policy_service};
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
        false,
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

/// What the desktop's demo adds on top of [`create`] so that the Workflows, Sync and Monitoring
/// pages have something to show on first run: the seed's business rules, invoice sync switched
/// on, and two sales invoices raised by the sales rep and approved — one queued for e-TIMS (it
/// waits in the outbox: the e-TIMS client comes in phase 2), one held for tax review because a
/// line has no tax code. Kept apart from [`create`] so the test suite's demo stays minimal.
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
    let rep = sign_in_as(file, "sales.rep@demo.test").await?;
    let line = |description: &str, quantity: i64, price: i64, tax: Option<&str>| NewDocumentLine {
        description: description.into(),
        quantity: quantity.into(),
        unit_price: price.into(),
        tax_code: tax.map(str::to_owned),
    };
    let invoices = [
        (
            "Office chairs for Kilimani Dental",
            vec![line("Ergonomic office chair", 2, 4_250, Some("B"))],
        ),
        (
            "Printer toner for Rift Valley Hardware",
            vec![
                line("Toner cartridge, black", 3, 2_500, Some("B")),
                line("Delivery to Nakuru", 1, 1_500, None),
            ],
        ),
    ];
    for (title, lines) in invoices {
        let amount = lines
            .iter()
            .map(|l| l.quantity * l.unit_price)
            .sum::<rust_decimal::Decimal>();
        let doc = documents::create(
            file,
            &rep,
            &NewDocument {
                doc_type: DocumentType::SalesInvoice,
                title: title.into(),
                amount,
                currency: None,
                department: None,
                category: None,
                project: None,
                facts: None,
                lines,
            },
        )
        .await?;
        documents::submit(file, &rep, &doc.id).await?;
        approve_through_the_chain(file, &doc.id).await?;
    }
    Ok(())
}

/// Approves a demo document step by step, as whoever each pending step is with.
async fn approve_through_the_chain(file: &CompanyFile, document_id: &str) -> Result<()> {
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
