//! The sandbox's starting data: tax codes and rates, preferences, customers, items, invoices,
//! credit memos and sales receipts in the shapes of the recorded fixtures
//! (`shared/fixtures/quickbooks/`), with Kenyan names, KES amounts and 16 % VAT. Amounts are
//! written as exact text computed in whole cents; nothing passes through a float.

use crate::company::{Company, Fields, json_string, raw};

/// Seconds between two seeded objects' `LastUpdatedTime`s.
const SPACING: i64 = 10;

const CUSTOMERS: &[&str] = &[
    "Mama Njeri's Kiosk",
    "Baraka Hardware Ltd",
    "Savannah Cafe",
    "Kilimo Supplies",
    "Pwani Traders",
];

/// (name, type, unit price in cents).
const ITEMS: &[(&str, &str, i64)] = &[
    ("Unga 2kg", "Inventory", 23_000),
    ("Sugar 1kg", "Inventory", 18_550),
    ("Cooking oil 1L", "Inventory", 39_999),
    ("Delivery", "Service", 25_000),
    ("Consulting hour", "Service", 350_000),
];

/// The VAT code and rate every seeded line uses.
pub(crate) const VAT_CODE: u64 = 2;
const VAT_RATE: u64 = 3;
const EXEMPT_CODE: u64 = 4;
const EXEMPT_RATE: u64 = 5;

/// Cents as an exact decimal amount (`46000` → `460.00`).
fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

fn fields(pairs: Vec<(&str, String)>) -> Fields {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), raw(v)))
        .collect()
}

/// Seeds the fixed reference data.
pub(crate) fn reference_data(company: &mut Company) {
    let at = company.seed_stamp(SPACING);
    let vat = fields(vec![
        ("Name", json_string("VAT 16%")),
        (
            "Description",
            json_string("VAT at the standard rate (KRA category B)"),
        ),
        ("Active", "true".into()),
        ("Hidden", "false".into()),
        ("Taxable", "true".into()),
        ("TaxGroup", "false".into()),
        (
            "SalesTaxRateList",
            format!(
                r#"{{"TaxRateDetail":[{{"TaxRateRef":{{"value":"{VAT_RATE}","name":"VAT 16% (Sales)"}},"TaxTypeApplicable":"TaxOnAmount","TaxOrder":0}}]}}"#
            ),
        ),
        ("PurchaseTaxRateList", r#"{"TaxRateDetail":[]}"#.into()),
    ]);
    company.insert("TaxCode", Some(VAT_CODE), vat, at);
    let at = company.seed_stamp(SPACING);
    let exempt = fields(vec![
        ("Name", json_string("Exempt")),
        (
            "Description",
            json_string("Exempt supplies (KRA category E)"),
        ),
        ("Active", "true".into()),
        ("Taxable", "false".into()),
        ("TaxGroup", "false".into()),
        (
            "SalesTaxRateList",
            format!(
                r#"{{"TaxRateDetail":[{{"TaxRateRef":{{"value":"{EXEMPT_RATE}","name":"Exempt (Sales)"}},"TaxTypeApplicable":"TaxOnAmount","TaxOrder":0}}]}}"#
            ),
        ),
    ]);
    company.insert("TaxCode", Some(EXEMPT_CODE), exempt, at);
    for (id, name, rate) in [
        (VAT_RATE, "VAT 16% (Sales)", "16"),
        (EXEMPT_RATE, "Exempt (Sales)", "0"),
    ] {
        let at = company.seed_stamp(SPACING);
        let record = fields(vec![
            ("Name", json_string(name)),
            ("Active", "true".into()),
            ("RateValue", rate.into()),
            ("AgencyRef", r#"{"value":"1"}"#.into()),
            ("SpecialTaxType", json_string("NONE")),
            ("DisplayType", json_string("ReadOnly")),
            (
                "EffectiveTaxRate",
                format!(r#"[{{"RateValue":{rate},"EffectiveDate":"2020-04-01T00:00:00+03:00"}}]"#),
            ),
        ]);
        company.insert("TaxRate", Some(id), record, at);
    }
    company.preferences = fields(vec![
        (
            "SalesFormsPrefs",
            r#"{"CustomField":[{"CustomField":[{"Name":"SalesFormsPrefs.UseSalesCustom1","Type":"BooleanType","BooleanValue":true},{"Name":"SalesFormsPrefs.UseSalesCustom2","Type":"BooleanType","BooleanValue":false},{"Name":"SalesFormsPrefs.UseSalesCustom3","Type":"BooleanType","BooleanValue":false}]},{"CustomField":[{"Name":"SalesFormsPrefs.SalesCustomName1","Type":"StringType","StringValue":"CU Invoice No"},{"Name":"SalesFormsPrefs.SalesCustomName2","Type":"StringType","StringValue":""}]}],"CustomTxnNumbers":true,"AllowDeposit":false,"AllowDiscount":true}"#.into(),
        ),
        (
            "CurrencyPrefs",
            r#"{"MultiCurrencyEnabled":false,"HomeCurrency":{"value":"KES"}}"#.into(),
        ),
        ("TaxPrefs", r#"{"UsingSalesTax":true,"PartnerTaxEnabled":false}"#.into()),
    ]);
}

/// Seeds `count` customers; returns their ids.
pub(crate) fn customers(company: &mut Company, count: usize) -> Vec<u64> {
    (0..count)
        .map(|k| {
            let name = match CUSTOMERS.get(k) {
                Some(name) => (*name).to_owned(),
                None => format!("Customer {}", k + 1),
            };
            let email = format!("accounts{}@example.co.ke", k + 1);
            let at = company.seed_stamp(SPACING);
            let record = fields(vec![
                ("DisplayName", json_string(&name)),
                ("CompanyName", json_string(&name)),
                ("FullyQualifiedName", json_string(&name)),
                ("PrintOnCheckName", json_string(&name)),
                ("PrimaryEmailAddr", format!(r#"{{"Address":{}}}"#, json_string(&email))),
                (
                    "PrimaryPhone",
                    format!(r#"{{"FreeFormNumber":"+254 700 {:03} {:03}"}}"#, k / 1000 % 1000, k % 1000),
                ),
                (
                    "BillAddr",
                    format!(
                        r#"{{"Id":"{}","Line1":"{} Moi Avenue","City":"Nairobi","Country":"Kenya","PostalCode":"00100","Lat":"INVALID","Long":"INVALID"}}"#,
                        100 + k,
                        k + 1
                    ),
                ),
                ("PrimaryTaxIdentifier", json_string(&format!("P05{:07}A", 1_000_000 + k))),
                ("Taxable", "true".into()),
                ("Active", "true".into()),
                ("Job", "false".into()),
                ("BillWithParent", "false".into()),
                ("Balance", "0".into()),
                ("BalanceWithJobs", "0".into()),
                ("CurrencyRef", r#"{"value":"KES","name":"Kenyan Shilling"}"#.into()),
                ("DefaultTaxCodeRef", format!(r#"{{"value":"{VAT_CODE}"}}"#)),
                ("PreferredDeliveryMethod", json_string("Email")),
            ]);
            company.insert("Customer", None, record, at)
        })
        .collect()
}

/// Seeds `count` items; returns their ids.
pub(crate) fn items(company: &mut Company, count: usize) -> Vec<u64> {
    (0..count)
        .map(|k| {
            let (base, kind, price) = ITEMS[k % ITEMS.len()];
            let name = if k < ITEMS.len() {
                base.to_owned()
            } else {
                format!("{base} #{}", k / ITEMS.len() + 1)
            };
            let at = company.seed_stamp(SPACING);
            let mut pairs = vec![
                ("Name", json_string(&name)),
                ("FullyQualifiedName", json_string(&name)),
                ("Description", json_string(&name)),
                ("Sku", json_string(&format!("SKU-{:04}", k + 1))),
                ("Type", json_string(kind)),
                ("UnitPrice", money(price)),
                ("Taxable", "true".into()),
                ("SalesTaxIncluded", "false".into()),
                (
                    "SalesTaxCodeRef",
                    format!(r#"{{"value":"{VAT_CODE}","name":"VAT 16%"}}"#),
                ),
                (
                    "IncomeAccountRef",
                    r#"{"value":"79","name":"Sales of Product Income"}"#.into(),
                ),
                ("Active", "true".into()),
            ];
            if kind == "Inventory" {
                pairs.push(("TrackQtyOnHand", "true".into()));
                pairs.push(("QtyOnHand", "250".into()));
                pairs.push(("InvStartDate", json_string("2025-01-01")));
                pairs.push(("PurchaseCost", money(price * 7 / 10)));
                pairs.push((
                    "AssetAccountRef",
                    r#"{"value":"81","name":"Inventory Asset"}"#.into(),
                ));
                pairs.push((
                    "ExpenseAccountRef",
                    r#"{"value":"80","name":"Cost of Goods Sold"}"#.into(),
                ));
            }
            company.insert("Item", None, fields(pairs), at)
        })
        .collect()
}

/// Which sales transaction to seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxnKind {
    Invoice,
    CreditMemo,
    SalesReceipt,
}

/// Seeds `count` sales transactions of `kind` against the seeded customers and items.
pub(crate) fn transactions(company: &mut Company, kind: TxnKind, count: usize) -> Vec<u64> {
    let customers: Vec<(u64, String)> = company
        .objects
        .values()
        .filter(|o| o.entity == "Customer" && !o.deleted)
        .map(|o| {
            let name = o
                .fields
                .get("DisplayName")
                .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
                .unwrap_or_default();
            (o.id, name)
        })
        .collect();
    let items: Vec<(u64, String, i64)> = company
        .objects
        .values()
        .filter(|o| o.entity == "Item" && !o.deleted)
        .map(|o| {
            let name = o
                .fields
                .get("Name")
                .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
                .unwrap_or_default();
            let price = ITEMS
                .iter()
                .find(|(base, _, _)| name.starts_with(base))
                .map_or(10_000, |(_, _, p)| *p);
            (o.id, name, price)
        })
        .collect();
    if customers.is_empty() || items.is_empty() {
        return Vec::new();
    }
    let existing = company
        .objects
        .values()
        .filter(|o| o.entity == entity_name(kind))
        .count();
    (0..count)
        .map(|k| {
            let n = existing + k;
            let (customer_id, customer_name) = &customers[n % customers.len()];
            let mut lines = Vec::new();
            let mut subtotal = 0i64;
            for j in 0..(1 + n % 3) {
                let (item_id, item_name, price) = &items[(n + j) % items.len()];
                let qty = i64::try_from(1 + (n + j) % 4).unwrap_or(1);
                let amount = price * qty;
                subtotal += amount;
                lines.push(format!(
                    r#"{{"Id":"{}","LineNum":{},"Description":{},"Amount":{},"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{{"ItemRef":{{"value":"{item_id}","name":{}}},"Qty":{qty},"UnitPrice":{},"TaxCodeRef":{{"value":"{VAT_CODE}"}}}}}}"#,
                    j + 1,
                    j + 1,
                    json_string(item_name),
                    money(amount),
                    json_string(item_name),
                    money(*price),
                ));
            }
            lines.push(format!(
                r#"{{"Amount":{},"DetailType":"SubTotalLineDetail","SubTotalLineDetail":{{}}}}"#,
                money(subtotal)
            ));
            // 16 % VAT, rounded half up to the cent.
            let tax = (subtotal * 16 + 50) / 100;
            let total = subtotal + tax;
            let at = company.seed_stamp(SPACING);
            let date = crate::company::stamp_text(at)[..10].to_owned();
            let mut pairs = vec![
                ("DocNumber", json_string(&format!("{}", doc_base(kind) + n))),
                ("TxnDate", json_string(&date)),
                (
                    "CustomerRef",
                    format!(r#"{{"value":"{customer_id}","name":{}}}"#, json_string(customer_name)),
                ),
                ("CurrencyRef", r#"{"value":"KES","name":"Kenyan Shilling"}"#.into()),
                ("GlobalTaxCalculation", json_string("TaxExcluded")),
                ("Line", format!("[{}]", lines.join(","))),
                (
                    "TxnTaxDetail",
                    format!(
                        r#"{{"TxnTaxCodeRef":{{"value":"{VAT_CODE}"}},"TotalTax":{},"TaxLine":[{{"Amount":{},"DetailType":"TaxLineDetail","TaxLineDetail":{{"TaxRateRef":{{"value":"{VAT_RATE}"}},"PercentBased":true,"TaxPercent":16,"NetAmountTaxable":{}}}}}]}}"#,
                        money(tax),
                        money(tax),
                        money(subtotal)
                    ),
                ),
                ("TotalAmt", money(total)),
                ("ApplyTaxAfterDiscount", "false".into()),
                ("PrintStatus", json_string("NeedToPrint")),
                ("EmailStatus", json_string("NotSet")),
                (
                    "BillEmail",
                    format!(r#"{{"Address":"accounts{}@example.co.ke"}}"#, customer_id),
                ),
                (
                    "CustomField",
                    r#"[{"DefinitionId":"1","Name":"CU Invoice No","Type":"StringType"}]"#.into(),
                ),
                (
                    "CustomerMemo",
                    r#"{"value":"Asante for your business!"}"#.into(),
                ),
            ];
            match kind {
                TxnKind::Invoice => {
                    pairs.push(("Balance", money(total)));
                    pairs.push(("Deposit", "0".into()));
                    pairs.push(("SalesTermRef", r#"{"value":"3"}"#.into()));
                }
                TxnKind::CreditMemo => {
                    pairs.push(("Balance", money(total)));
                    pairs.push(("RemainingCredit", money(total)));
                }
                TxnKind::SalesReceipt => {
                    pairs.push(("Balance", "0".into()));
                    pairs.push(("PaymentMethodRef", r#"{"value":"1","name":"M-Pesa"}"#.into()));
                    pairs.push(("PaymentRefNum", json_string(&format!("QHX{:07}", n))));
                    pairs.push((
                        "DepositToAccountRef",
                        r#"{"value":"4","name":"Undeposited Funds"}"#.into(),
                    ));
                }
            }
            company.insert(entity_name(kind), None, fields(pairs), at)
        })
        .collect()
}

fn entity_name(kind: TxnKind) -> &'static str {
    match kind {
        TxnKind::Invoice => "Invoice",
        TxnKind::CreditMemo => "CreditMemo",
        TxnKind::SalesReceipt => "SalesReceipt",
    }
}

fn doc_base(kind: TxnKind) -> usize {
    match kind {
        TxnKind::Invoice => 1001,
        TxnKind::CreditMemo => 5001,
        TxnKind::SalesReceipt => 8001,
    }
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn cents_are_written_exactly() {
        assert_eq!(money(46_000), "460.00");
        assert_eq!(money(39_999), "399.99");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(-1_250), "-12.50");
    }
}
