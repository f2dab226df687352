//! A second process for the numbering race test (tests/it/sales.rs): opens the company file,
//! writes and issues N invoices, one unit of work each, racing another copy of itself.

use std::sync::Arc;

use hesabu_core::approvals::sales_gate;
use hesabu_core::sales::SalesType;
use hesabu_core::sales::documents::{self, NewSale, NewSaleLine};
use rust_decimal::Decimal;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("company file");
    let count: usize = args.next().expect("count").parse().expect("a number");
    let tag = args.next().unwrap_or_default();
    let clock = Arc::new(hesabu_store::clock::SystemClock);
    let file = hesabu_app::open_company_file(std::path::Path::new(&path), clock)
        .await
        .expect("open");
    let admin = hesabu_store::auth::login(&file, "admin@acme.test", "admin-pass-1")
        .await
        .expect("login");
    for i in 0..count {
        let draft = documents::create(
            &file,
            &admin,
            &NewSale {
                walk_in_name: Some(format!("Racer {tag} {i}")),
                issue_date: Some("2026-07-01".into()),
                ..NewSale::new(
                    SalesType::Invoice,
                    None,
                    vec![NewSaleLine {
                        description: Some("Race".into()),
                        quantity: Decimal::ONE,
                        unit_price: Some(Decimal::from(100)),
                        tax_type: Some("B".into()),
                        ..Default::default()
                    }],
                )
            },
        )
        .await
        .expect("create");
        sales_gate::issue(&file, &admin, &draft.id)
            .await
            .expect("issue");
    }
    file.close().await.expect("close");
}
