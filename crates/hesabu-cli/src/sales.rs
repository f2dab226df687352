//! `hesabu customer …`, `hesabu item …` and `hesabu sale …`: the sales ledger from the command
//! line. Thin: parse, call one service, print.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use rust_decimal::Decimal;
use serde_json::Value;

use hesabu_core::approvals::sales_gate;
use hesabu_core::sales::customers::{self, CustomerQuery, CustomerView, NewCustomer};
use hesabu_core::sales::documents::{self, NewSale, NewSaleLine, SaleView, SalesQuery};
use hesabu_core::sales::import::{self, parse_amount_cell};
use hesabu_core::sales::items::{self, ItemQuery, ItemView, NewItem};
use hesabu_core::sales::settings::{self, SalesSettings};
use hesabu_core::sales::tax::{DocumentTotals, PriceBasis};
use hesabu_core::sales::{SalesStatus, SalesType};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;

use crate::output::{Reply, table};
use crate::{Failure, bad_input};

#[derive(Debug, Subcommand)]
pub(crate) enum CustomerCommand {
    /// Add a customer (--name is required).
    Add(CustomerEditArgs),
    /// Customers by name (active only unless --all).
    List {
        #[arg(long)]
        search: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// One customer, by number (C-00001), KRA PIN or exact name.
    Show {
        customer: String,
    },
    /// Change a customer; options not given keep their value.
    Edit {
        customer: String,
        #[command(flatten)]
        args: CustomerEditArgs,
    },
    /// Stop new sales to a customer (their history stays).
    Deactivate {
        customer: String,
    },
    Activate {
        customer: String,
    },
    /// Import customers from CSV or XLSX (all or nothing). Columns: name, kra_pin,
    /// customer_type, email, mobile, address, credit_limit.
    Import {
        file: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct CustomerEditArgs {
    #[arg(long)]
    name: Option<String>,
    /// e.g. P051234567X; "" removes it.
    #[arg(long)]
    kra_pin: Option<String>,
    /// b2b or b2c (default: b2b with a PIN, b2c without).
    #[arg(long = "type")]
    customer_type: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    mobile: Option<String>,
    #[arg(long)]
    address: Option<String>,
    /// KES, e.g. 500,000 or 500000; "" removes it.
    #[arg(long)]
    credit_limit: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ItemCommand {
    /// Add an item; its KRA item code is assigned now and never changes.
    Add(ItemArgs),
    List {
        #[arg(long)]
        search: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// One item, by code, KRA item code or barcode.
    Show {
        item: String,
    },
    /// Change an item; options not given keep their value (the code never changes).
    Edit {
        item: String,
        #[command(flatten)]
        args: ItemEditArgs,
    },
    Deactivate {
        item: String,
    },
    Activate {
        item: String,
    },
    /// Import items from CSV or XLSX (all or nothing). Columns: code, name,
    /// classification_code, packaging_unit, quantity_unit, tax_type, product_type,
    /// origin_country, unit_price, barcode, service_level.
    Import {
        file: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct ItemArgs {
    /// Your code (SKU).
    #[arg(long)]
    code: String,
    #[command(flatten)]
    rest: ItemEditArgs,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ItemEditArgs {
    #[arg(long)]
    name: Option<String>,
    /// A exempt, B 16%, C 0%, D non-VAT, E 8%.
    #[arg(long)]
    tax_type: Option<String>,
    /// raw_material, finished_good or service.
    #[arg(long)]
    product_type: Option<String>,
    /// Unit price, e.g. 1,500.00.
    #[arg(long)]
    price: Option<String>,
    /// KRA item classification code.
    #[arg(long = "class")]
    classification_code: Option<String>,
    /// KRA packaging unit (code class 17), e.g. NT, OU.
    #[arg(long)]
    pkg_unit: Option<String>,
    /// KRA quantity unit (code class 10), e.g. NO, KG.
    #[arg(long)]
    qty_unit: Option<String>,
    /// Country of origin, two letters (default KE).
    #[arg(long)]
    origin: Option<String>,
    #[arg(long)]
    barcode: Option<String>,
    #[arg(long)]
    service_level: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SaleCommand {
    /// Write a draft invoice, credit note or cash sale.
    Create {
        /// invoice, credit-note or cash-sale.
        #[arg(long = "type", default_value = "invoice")]
        doc_type: String,
        /// Customer number, PIN or name; leave out for a walk-in customer.
        #[arg(long)]
        customer: Option<String>,
        /// The name printed for a walk-in customer.
        #[arg(long)]
        walk_in: Option<String>,
        /// The lines: a JSON array or a CSV with the header
        /// item,description,quantity,unit_price,discount_percent,tax_type.
        #[arg(long)]
        lines: PathBuf,
        /// inclusive or exclusive (default: the company's).
        #[arg(long)]
        basis: Option<String>,
        /// yyyy-mm-dd (default today).
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        due: Option<String>,
        /// e.g. USD (default KES).
        #[arg(long)]
        currency: Option<String>,
        /// KES per unit of the currency.
        #[arg(long)]
        rate: Option<String>,
        /// cash, mpesa, bank, card, cheque, credit or other.
        #[arg(long)]
        payment: Option<String>,
        /// Amount paid (cash sales default to the total).
        #[arg(long)]
        paid: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        /// Credit note: the original invoice's number.
        #[arg(long)]
        original: Option<String>,
        /// Credit note: KRA's reason code (01–13, e.g. 06 refund).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Issue a draft: numbered and immutable from now on (or sent for approval first).
    Issue { sale: String },
    /// Void an issued sale that KRA has not signed yet.
    Void {
        sale: String,
        #[arg(long)]
        reason: String,
    },
    /// One sale with its lines and band table.
    Show { sale: String },
    /// Sales, newest first.
    List {
        /// invoice, credit-note or cash-sale.
        #[arg(long = "type")]
        doc_type: Option<String>,
        /// draft, pending_approval, issued, fiscalised or void.
        #[arg(long)]
        status: Option<String>,
        /// A number, customer name or PIN, or a total.
        #[arg(long)]
        search: Option<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// Compute and print the band table of a lines file without saving anything.
    Totals {
        lines: PathBuf,
        #[arg(long)]
        basis: Option<String>,
    },
    /// Show or change the sales settings (price basis, approval threshold).
    Settings {
        #[arg(long)]
        basis: Option<String>,
        /// Issuing above this KES total needs approval; "none" removes it.
        #[arg(long)]
        approval_above: Option<String>,
    },
}

fn amount(what: &str, text: &str) -> Result<Decimal, Failure> {
    parse_amount_cell(text).map_err(|m| bad_input(format!("--{what}: {m}")))
}

fn optional_amount(what: &str, text: Option<&String>) -> Result<Option<Decimal>, Failure> {
    text.map(|t| amount(what, t)).transpose()
}

fn basis(text: Option<&String>) -> Result<Option<PriceBasis>, Failure> {
    Ok(text.map(|b| b.parse()).transpose()?)
}

/// Reads a lines file: a JSON array of objects, or a CSV with a header row. Numbers may be
/// JSON numbers or strings; amounts in CSV follow the import rule (commas only group thousands).
pub(crate) fn read_lines(path: &Path) -> Result<Vec<NewSaleLine>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad_input(format!("Could not read {}: {e}", path.display())))?;
    if text.trim_start().starts_with('[') {
        let rows: Vec<serde_json::Map<String, Value>> =
            serde_json::from_str(&text).map_err(|e| {
                bad_input(format!(
                    "{} is not a JSON array of lines: {e}",
                    path.display()
                ))
            })?;
        rows.iter()
            .enumerate()
            .map(|(i, row)| {
                let cell = |k: &str| -> Option<String> {
                    match row.get(k)? {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        Value::Null => None,
                        other => Some(other.to_string()),
                    }
                };
                line_from(i + 1, &cell)
            })
            .collect()
    } else {
        let table = hesabu_core::tabular::read_csv_text(&text)?;
        let header: Vec<String> = table
            .header
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        const KNOWN: [&str; 7] = [
            "item",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "tax_type",
            "discount_amount",
        ];
        if let Some(bad) = header.iter().find(|h| !KNOWN.contains(&h.as_str())) {
            return Err(bad_input(format!(
                "Column '{bad}' is not a lines column. The header is \
                 item,description,quantity,unit_price,discount_percent,tax_type."
            )));
        }
        if !header.iter().any(|h| h == "quantity") {
            return Err(bad_input(
                "The lines CSV needs a quantity column; the header is \
                 item,description,quantity,unit_price,discount_percent,tax_type.",
            ));
        }
        table
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let cell = |k: &str| -> Option<String> {
                    header
                        .iter()
                        .position(|h| h == k)
                        .and_then(|p| row.cells.get(p))
                        .map(|c| c.trim().to_owned())
                        .filter(|c| !c.is_empty())
                };
                line_from(i + 1, &cell)
            })
            .collect()
    }
}

fn line_from(n: usize, cell: &dyn Fn(&str) -> Option<String>) -> Result<NewSaleLine, Failure> {
    let num = |k: &str| -> Result<Option<Decimal>, Failure> {
        cell(k)
            .map(|t| parse_amount_cell(&t).map_err(|m| bad_input(format!("Line {n}, {k}: {m}"))))
            .transpose()
    };
    Ok(NewSaleLine {
        item: cell("item"),
        description: cell("description"),
        quantity: num("quantity")?
            .ok_or_else(|| bad_input(format!("Line {n} has no quantity.")))?,
        unit_price: num("unit_price")?,
        discount_percent: num("discount_percent")?,
        discount_amount: num("discount_amount")?,
        tax_type: cell("tax_type"),
        original_line: cell("original_line").and_then(|t| t.parse().ok()),
    })
}

fn customer_text(c: &CustomerView) -> String {
    let mut out = format!(
        "{} {}\n  KRA PIN: {}\n  type: {}\n  active: {}\n",
        c.number,
        c.name,
        c.kra_pin.as_deref().unwrap_or("(none)"),
        c.customer_type,
        if c.active { "yes" } else { "no" }
    );
    for (label, value) in [
        ("email", &c.email),
        ("mobile", &c.mobile),
        ("address", &c.address),
        ("credit limit", &c.credit_limit),
    ] {
        if let Some(v) = value {
            out.push_str(&format!("  {label}: {v}\n"));
        }
    }
    out
}

fn item_text(i: &ItemView) -> String {
    format!(
        "{} {}\n  KRA item code: {}\n  tax type: {}\n  product type: {:?}\n  units: {} per {}\n  price: {}\n  active: {}\n",
        i.code,
        i.name,
        i.kra_item_code,
        i.tax_type,
        i.product_type,
        i.quantity_unit,
        i.packaging_unit,
        i.unit_price,
        if i.active { "yes" } else { "no" }
    )
}

pub(crate) fn totals_text(t: &DocumentTotals) -> String {
    let rows = t
        .bands
        .iter()
        .map(|b| {
            vec![
                b.tax_type.label(b.rate),
                b.taxable_amount.to_string(),
                b.tax_amount.to_string(),
            ]
        })
        .collect();
    let mut out = table(&["BAND", "TAXABLE", "VAT"], rows);
    if !t.total_discount.is_zero() {
        out.push_str(&format!(
            "TOTAL BEFORE DISCOUNT  {}\nTOTAL DISCOUNT         {}\n",
            t.total_before_discount, t.total_discount
        ));
    }
    out.push_str(&format!(
        "SUB TOTAL  {}\nVAT        {}\nTOTAL      {}\n",
        t.total_taxable, t.total_tax, t.total
    ));
    out
}

/// `sale show --json`: the sale, plus its QuickBooks side when it came from QuickBooks.
#[derive(serde::Serialize)]
struct SaleWithQuickBooks<'a> {
    #[serde(flatten)]
    sale: &'a SaleView,
    quickbooks: Option<hesabu_app::qbo::document::QboDocumentView>,
}

fn quickbooks_text(q: &hesabu_app::qbo::document::QboDocumentView) -> String {
    let mut out = format!(
        "  QuickBooks: {} (Id {}) in {}\n  write-back: {}\n",
        q.label, q.qbo_id, q.location, q.words
    );
    if let Some(fix) = &q.fix {
        out.push_str(&format!("  what to do: {fix}\n"));
    }
    if let Some(link) = &q.link {
        out.push_str(&format!("  open: {link}\n"));
    }
    if let Some(review) = &q.review {
        out.push_str(&format!("  to review: {review}\n"));
    }
    out
}

fn sale_text(s: &SaleView) -> String {
    let mut out = format!(
        "{} {} ({})\n  customer: {}{}\n  date: {}   basis: {}   currency: {}{}\n",
        s.doc_type.describe(),
        s.number.as_deref().unwrap_or("(draft, not numbered yet)"),
        s.status,
        s.customer_name,
        s.customer_pin
            .as_deref()
            .map_or(String::new(), |p| format!("  PIN {p}")),
        s.issue_date,
        s.price_basis,
        s.currency,
        if s.currency == "KES" {
            String::new()
        } else {
            format!(" @ {} = KES {}", s.exchange_rate, s.total_kes)
        }
    );
    if let Some(o) = &s.original_number {
        out.push_str(&format!(
            "  credits: {o} (reason {})\n",
            s.reason_code.as_deref().unwrap_or("")
        ));
    }
    let rows = s
        .lines
        .iter()
        .map(|l| {
            vec![
                l.position.to_string(),
                l.description.clone(),
                l.quantity.clone(),
                l.unit_price.clone(),
                l.discount_amount.clone(),
                format!("{}{}", l.total_amount, l.tax_type),
            ]
        })
        .collect();
    out.push_str(&table(
        &["#", "DESCRIPTION", "QTY", "PRICE", "DISCOUNT", "AMOUNT"],
        rows,
    ));
    out.push_str(&totals_text(&s.totals));
    for w in &s.warnings {
        out.push_str(&format!("note: {w}\n"));
    }
    out
}

pub(crate) async fn customer(
    command: &CustomerCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        CustomerCommand::Add(r) => {
            let new = NewCustomer {
                name: r
                    .name
                    .clone()
                    .ok_or_else(|| bad_input("Give the customer's name: --name \"Acme Ltd\"."))?,
                kra_pin: r.kra_pin.clone(),
                customer_type: r.customer_type.clone(),
                email: r.email.clone(),
                mobile: r.mobile.clone(),
                address: r.address.clone(),
                credit_limit: optional_amount("credit-limit", r.credit_limit.as_ref())?,
            };
            let c = customers::add(file, session, &new).await?;
            Reply::entity(&c, customer_text(&c))
        }
        CustomerCommand::List { search, all } => {
            let list = customers::list(
                file,
                session,
                &CustomerQuery {
                    search: search.clone(),
                    include_inactive: *all,
                    limit: None,
                },
            )
            .await?;
            let rows = list
                .iter()
                .map(|c| {
                    vec![
                        c.number.clone(),
                        c.name.clone(),
                        c.kra_pin.clone().unwrap_or_default(),
                        c.customer_type.clone(),
                        if c.active { "active" } else { "inactive" }.into(),
                    ]
                })
                .collect();
            Reply::list(
                &list,
                table(&["NUMBER", "NAME", "KRA PIN", "TYPE", "STATUS"], rows),
            )
        }
        CustomerCommand::Show { customer } => {
            let c = customers::show(file, session, customer).await?;
            Reply::entity(&c, customer_text(&c))
        }
        CustomerCommand::Edit { customer, args } => {
            let current = customers::show(file, session, customer).await?;
            let keep = |new: &Option<String>, old: Option<String>| match new {
                Some(v) if v.trim().is_empty() => None,
                Some(v) => Some(v.clone()),
                None => old,
            };
            let credit_limit = match &args.credit_limit {
                Some(v) if v.trim().is_empty() => None,
                Some(v) => Some(amount("credit-limit", v)?),
                None => current
                    .credit_limit
                    .as_deref()
                    .and_then(|c| Decimal::from_str_exact(c).ok()),
            };
            let change = NewCustomer {
                name: args.name.clone().unwrap_or(current.name.clone()),
                kra_pin: keep(&args.kra_pin, current.kra_pin.clone()),
                customer_type: Some(
                    args.customer_type
                        .clone()
                        .unwrap_or(current.customer_type.clone()),
                ),
                email: keep(&args.email, current.email.clone()),
                mobile: keep(&args.mobile, current.mobile.clone()),
                address: keep(&args.address, current.address.clone()),
                credit_limit,
            };
            let c = customers::edit(file, session, &current.id, &change).await?;
            Reply::entity(&c, customer_text(&c))
        }
        CustomerCommand::Deactivate { customer } => {
            let c = customers::set_active(file, session, customer, false).await?;
            Reply::entity(&c, customer_text(&c))
        }
        CustomerCommand::Activate { customer } => {
            let c = customers::set_active(file, session, customer, true).await?;
            Reply::entity(&c, customer_text(&c))
        }
        CustomerCommand::Import { file: path } => {
            let r = import::import_customers_file(file, session, path).await?;
            let text = format!(
                "Imported {} customer(s).\n{}",
                r.added,
                warnings_text(&r.warnings)
            );
            Reply::entity(&r, text)
        }
    })
}

/// An import's warnings (float noise rounded, cells that start like a formula), one a line.
fn warnings_text(warnings: &[hesabu_core::budgets::ImportRowError]) -> String {
    if warnings.is_empty() {
        return String::new();
    }
    format!(
        "Warnings:\n{}\n",
        hesabu_core::budgets::import::describe_errors(warnings)
    )
}

pub(crate) async fn item(
    command: &ItemCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        ItemCommand::Add(args) => {
            let r = &args.rest;
            let new = NewItem {
                code: args.code.clone(),
                name: r.name.clone().unwrap_or_default(),
                classification_code: r.classification_code.clone(),
                packaging_unit: r.pkg_unit.clone(),
                quantity_unit: r.qty_unit.clone(),
                tax_type: r.tax_type.clone().ok_or_else(|| {
                    bad_input("Give the item's tax type: --tax-type A|B|C|D|E (B is 16% VAT).")
                })?,
                product_type: r.product_type.clone().ok_or_else(|| {
                    bad_input(
                        "Give the product type: --product-type raw_material|finished_good|service.",
                    )
                })?,
                origin_country: r.origin.clone(),
                unit_price: amount(
                    "price",
                    r.price
                        .as_deref()
                        .ok_or_else(|| bad_input("Give the unit price: --price 1500.00."))?,
                )?,
                barcode: r.barcode.clone(),
                service_level: r.service_level.clone(),
            };
            let i = items::add(file, session, &new).await?;
            Reply::entity(&i, item_text(&i))
        }
        ItemCommand::List { search, all } => {
            let list = items::list(
                file,
                session,
                &ItemQuery {
                    search: search.clone(),
                    include_inactive: *all,
                    limit: None,
                },
            )
            .await?;
            let rows = list
                .iter()
                .map(|i| {
                    vec![
                        i.code.clone(),
                        i.name.clone(),
                        i.tax_type.to_string(),
                        i.unit_price.clone(),
                        i.kra_item_code.clone(),
                        if i.active { "active" } else { "inactive" }.into(),
                    ]
                })
                .collect();
            Reply::list(
                &list,
                table(
                    &["CODE", "NAME", "TAX", "PRICE", "KRA ITEM CODE", "STATUS"],
                    rows,
                ),
            )
        }
        ItemCommand::Show { item } => {
            let i = items::show(file, session, item).await?;
            Reply::entity(&i, item_text(&i))
        }
        ItemCommand::Edit { item, args } => {
            let c = items::show(file, session, item).await?;
            let change = NewItem {
                code: c.code.clone(),
                name: args.name.clone().unwrap_or(c.name.clone()),
                classification_code: args
                    .classification_code
                    .clone()
                    .or(c.classification_code.clone()),
                packaging_unit: Some(args.pkg_unit.clone().unwrap_or(c.packaging_unit.clone())),
                quantity_unit: Some(args.qty_unit.clone().unwrap_or(c.quantity_unit.clone())),
                tax_type: args.tax_type.clone().unwrap_or(c.tax_type.to_string()),
                product_type: args
                    .product_type
                    .clone()
                    .unwrap_or(c.product_type.as_str().into()),
                origin_country: Some(args.origin.clone().unwrap_or(c.origin_country.clone())),
                unit_price: match &args.price {
                    Some(p) => amount("price", p)?,
                    None => Decimal::from_str_exact(&c.unit_price)
                        .map_err(|_| Failure::internal("stored price is not a number"))?,
                },
                barcode: args.barcode.clone().or(c.barcode.clone()),
                service_level: args.service_level.clone().or(c.service_level.clone()),
            };
            let i = items::edit(file, session, &c.id, &change).await?;
            Reply::entity(&i, item_text(&i))
        }
        ItemCommand::Deactivate { item } => {
            let i = items::set_active(file, session, item, false).await?;
            Reply::entity(&i, item_text(&i))
        }
        ItemCommand::Activate { item } => {
            let i = items::set_active(file, session, item, true).await?;
            Reply::entity(&i, item_text(&i))
        }
        ItemCommand::Import { file: path } => {
            let r = import::import_items_file(file, session, path).await?;
            let text = format!(
                "Imported {} item(s).\n{}",
                r.added,
                warnings_text(&r.warnings)
            );
            Reply::entity(&r, text)
        }
    })
}

pub(crate) async fn sale(
    command: &SaleCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        SaleCommand::Create {
            doc_type,
            customer,
            walk_in,
            lines,
            basis: b,
            date,
            due,
            currency,
            rate,
            payment,
            paid,
            notes,
            original,
            reason,
        } => {
            let new = NewSale {
                doc_type: SalesType::parse(doc_type)?,
                customer: customer.clone(),
                walk_in_name: walk_in.clone(),
                issue_date: date.clone(),
                due_date: due.clone(),
                currency: currency.clone(),
                exchange_rate: optional_amount("rate", rate.as_ref())?,
                price_basis: basis(b.as_ref())?,
                payment_method: payment.clone(),
                amount_paid: optional_amount("paid", paid.as_ref())?,
                notes: notes.clone(),
                original: original.clone(),
                reason_code: reason.clone(),
                lines: read_lines(lines)?,
            };
            let s = documents::create(file, session, &new).await?;
            Reply::entity(&s, sale_text(&s))
        }
        SaleCommand::Issue { sale } => {
            let s = sales_gate::issue(file, session, sale).await?;
            Reply::entity(&s, sale_text(&s))
        }
        SaleCommand::Void { sale, reason } => {
            let s = documents::void(file, session, sale, reason).await?;
            Reply::entity(&s, sale_text(&s))
        }
        SaleCommand::Show { sale } => {
            let s = documents::show(file, session, sale).await?;
            // A sale pulled from QuickBooks: its transaction and write-back (`quickbooks`,
            // null otherwise).
            let quickbooks = hesabu_app::qbo::document::show(file, session, &s.id).await?;
            let mut text = sale_text(&s);
            if let Some(q) = &quickbooks {
                text.push_str(&quickbooks_text(q));
            }
            Reply::entity(
                &SaleWithQuickBooks {
                    sale: &s,
                    quickbooks,
                },
                text,
            )
        }
        SaleCommand::List {
            doc_type,
            status,
            search,
            from,
            to,
            limit,
            offset,
        } => {
            let status = status
                .as_deref()
                .map(|s| {
                    serde_json::from_value::<SalesStatus>(Value::String(s.trim().to_lowercase()))
                        .map_err(|_| {
                            bad_input(format!(
                                "Unknown status '{s}'. Use draft, pending_approval, issued, \
                                 fiscalised or void."
                            ))
                        })
                })
                .transpose()?;
            let list = documents::list(
                file,
                session,
                &SalesQuery {
                    doc_type: doc_type.as_deref().map(SalesType::parse).transpose()?,
                    status,
                    search: search.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    limit: Some(*limit),
                    offset: Some(*offset),
                },
            )
            .await?;
            let rows = list
                .iter()
                .map(|s| {
                    vec![
                        s.number.clone().unwrap_or_else(|| "(draft)".into()),
                        s.doc_type.to_string(),
                        s.status.to_string(),
                        s.issue_date.clone(),
                        s.customer_name.clone(),
                        format!("{} {}", s.currency, s.total),
                    ]
                })
                .collect();
            Reply::list(
                &list,
                table(
                    &["NUMBER", "TYPE", "STATUS", "DATE", "CUSTOMER", "TOTAL"],
                    rows,
                ),
            )
        }
        SaleCommand::Totals { lines, basis: b } => {
            let t =
                documents::preview(file, session, &read_lines(lines)?, basis(b.as_ref())?).await?;
            Reply::entity(&t, totals_text(&t))
        }
        SaleCommand::Settings {
            basis: b,
            approval_above,
        } => {
            let s = if b.is_none() && approval_above.is_none() {
                settings::show(file, session).await?
            } else {
                let current = settings::show(file, session).await?;
                let change = SalesSettings {
                    price_basis: basis(b.as_ref())?.unwrap_or(current.price_basis),
                    approval_above: match approval_above.as_deref() {
                        Some("none" | "") => None,
                        Some(a) => Some(amount("approval-above", a)?),
                        None => current.approval_above,
                    },
                };
                settings::update(file, session, &change).await?
            };
            let text = format!(
                "price basis: {}\napproval above: {}\n",
                s.price_basis,
                s.approval_above
                    .map_or("(none: only when a rule asks)".into(), |a| format!(
                        "KES {a}"
                    ))
            );
            Reply::entity(&s, text)
        }
    })
}
