//! QuickBooks objects onto the ledger's inputs (`hesabu_core::sales::synced`): customers (KRA
//! PIN from the configured source), items, sales transactions (item lines only, tax type from
//! the realm's tax-code mapping), and a fingerprint of what a sale's content is (lines and
//! totals), so a memo change is told apart from a content change.

use std::collections::HashMap;

use hesabu_core::sales::SalesType;
use hesabu_core::sales::synced::{PulledCustomer, PulledItem, PulledLine, PulledSale};
use hesabu_core::sales::tax::{Discount, PriceBasis, TaxType};
use hesabu_qbo::Record;
use hesabu_qbo::entities::{
    CreditMemo, Customer, DiscountLineDetail, Invoice, Item, Line, LineKind, SalesReceipt, TaxCode,
    TaxRate,
};
use rust_decimal::Decimal;

use super::PinSource;

/// The KRA tax type a QuickBooks tax code stands for, guessed from its rate and name: 16 % is
/// B, 8 % is E, 0 % is A when the name says exempt, else C (zero-rated); a code QuickBooks does
/// not tax is D (non-VAT). Stored per realm in `qbo_tax_map`, where a person may correct it.
pub fn kra_type_of(code: &TaxCode, rates: &HashMap<String, Decimal>) -> TaxType {
    let rate = code
        .sales_tax_rate_list
        .as_ref()
        .and_then(|l| l.tax_rate_detail.first())
        .and_then(|d| d.tax_rate_ref.as_ref())
        .and_then(|r| rates.get(&r.value).copied());
    let name = format!(
        "{} {}",
        code.name.as_deref().unwrap_or(""),
        code.description.as_deref().unwrap_or("")
    )
    .to_ascii_lowercase();
    match rate {
        Some(r) if r == Decimal::from(16) => TaxType::B,
        Some(r) if r == Decimal::from(8) => TaxType::E,
        Some(r) if r.is_zero() && name.contains("exempt") => TaxType::A,
        Some(r) if r.is_zero() => TaxType::C,
        _ if code.taxable == Some(false) && name.contains("exempt") => TaxType::A,
        _ => TaxType::D,
    }
}

/// The rates by id, for [`kra_type_of`].
pub fn rate_values(rates: &[Record<TaxRate>]) -> HashMap<String, Decimal> {
    rates
        .iter()
        .filter_map(|r| Some((r.entity.id.clone()?, r.entity.rate_value?)))
        .collect()
}

/// The customer's KRA PIN from the configured source: the tax id, or a custom field read from
/// the raw JSON (the typed projection does not carry customer custom fields).
pub fn pin_of(record: &Record<Customer>, source: &PinSource) -> Option<String> {
    match source {
        PinSource::TaxId => record.entity.primary_tax_identifier.clone(),
        PinSource::Field(name) => {
            let raw: serde_json::Value = serde_json::from_str(&record.raw).ok()?;
            raw.get("CustomField")?
                .as_array()?
                .iter()
                .find(|f| {
                    f.get("Name")
                        .and_then(|n| n.as_str())
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                })?
                .get("StringValue")?
                .as_str()
                .map(str::to_owned)
        }
    }
    .map(|p| p.trim().to_owned())
    .filter(|p| !p.is_empty())
}

/// A customer as the ledger takes it.
pub fn customer(record: &Record<Customer>, source: &PinSource) -> PulledCustomer {
    let c = &record.entity;
    let address = c.bill_addr.as_ref().map(|a| {
        [&a.line1, &a.line2, &a.city, &a.postal_code, &a.country]
            .iter()
            .filter_map(|p| p.as_deref())
            .collect::<Vec<_>>()
            .join(", ")
    });
    PulledCustomer {
        remote_id: c.id.clone().unwrap_or_default(),
        sync_token: c.sync_token.clone(),
        name: c
            .display_name
            .clone()
            .or_else(|| c.company_name.clone())
            .unwrap_or_default(),
        kra_pin: pin_of(record, source),
        email: c
            .primary_email_addr
            .as_ref()
            .and_then(|e| e.address.clone()),
        mobile: c
            .mobile
            .as_ref()
            .or(c.primary_phone.as_ref())
            .and_then(|p| p.free_form_number.clone()),
        address,
        active: c.active.unwrap_or(true),
    }
}

/// An item as the ledger takes it; `tax` maps tax code ids to KRA types.
pub fn item(record: &Record<Item>, tax: &HashMap<String, TaxType>) -> PulledItem {
    let i = &record.entity;
    let tax_type = i
        .sales_tax_code_ref
        .as_ref()
        .and_then(|r| tax.get(&r.value).copied())
        .unwrap_or(if i.taxable == Some(false) {
            TaxType::D
        } else {
            TaxType::B
        });
    PulledItem {
        remote_id: i.id.clone().unwrap_or_default(),
        sync_token: i.sync_token.clone(),
        sku: i.sku.clone(),
        name: i.name.clone().unwrap_or_default(),
        tax_type,
        product_type: if i.kind.as_deref() == Some("Service") {
            "service"
        } else {
            "finished_good"
        },
        unit_price: i.unit_price.unwrap_or_default(),
        active: i.active.unwrap_or(true),
    }
}

/// The fields the three sales transactions share, for mapping.
pub struct TxnView<'a> {
    pub entity: &'static str,
    pub doc_type: SalesType,
    pub id: Option<&'a str>,
    pub sync_token: Option<&'a str>,
    pub doc_number: Option<&'a str>,
    pub txn_date: Option<chrono::NaiveDate>,
    pub due_date: Option<chrono::NaiveDate>,
    pub customer_ref: Option<&'a hesabu_qbo::entities::Ref>,
    pub currency: Option<&'a str>,
    pub exchange_rate: Option<Decimal>,
    pub lines: &'a [Line],
    pub global_tax: Option<&'a str>,
    pub total_amt: Option<Decimal>,
    pub total_tax: Option<Decimal>,
    pub private_note: Option<&'a str>,
    pub voided: bool,
    pub payment_method: Option<&'a str>,
    /// A credit memo's original invoice (`InvoiceRef`, often empty: spec §2.8).
    pub original_ref: Option<&'a str>,
}

macro_rules! view_of {
    ($ty:ty, $entity:literal, $doc:expr, |$t:ident| $due:expr, $pay:expr, $orig:expr) => {
        impl<'a> From<&'a $ty> for TxnView<'a> {
            fn from($t: &'a $ty) -> Self {
                TxnView {
                    entity: $entity,
                    doc_type: $doc,
                    id: $t.id.as_deref(),
                    sync_token: $t.sync_token.as_deref(),
                    doc_number: $t.doc_number.as_deref(),
                    txn_date: $t.txn_date,
                    due_date: $due,
                    customer_ref: $t.customer_ref.as_ref(),
                    currency: $t.currency_ref.as_ref().map(|c| c.value.as_str()),
                    exchange_rate: $t.exchange_rate,
                    lines: &$t.line,
                    global_tax: $t.global_tax_calculation.as_deref(),
                    total_amt: $t.total_amt,
                    total_tax: $t.txn_tax_detail.as_ref().and_then(|d| d.total_tax),
                    private_note: $t.private_note.as_deref(),
                    voided: $t.looks_voided(),
                    payment_method: $pay,
                    original_ref: $orig,
                }
            }
        }
    };
}

view_of!(
    Invoice,
    "Invoice",
    SalesType::Invoice,
    |t| t.due_date,
    None,
    None
);
view_of!(
    CreditMemo,
    "CreditMemo",
    SalesType::CreditNote,
    |t| None,
    None,
    t.invoice_ref.as_ref().map(|r| r.value.as_str())
);
view_of!(
    SalesReceipt,
    "SalesReceipt",
    SalesType::CashSale,
    |t| None,
    t.payment_method_ref
        .as_ref()
        .and_then(|r| r.name.as_deref()),
    None
);

/// A canonical text of what a sale is: its item lines (item, quantity, price, amount, tax code)
/// and totals. Line ids are left out (QuickBooks renumbers them on update, spec §2.9).
pub fn fingerprint(t: &TxnView<'_>) -> String {
    let dec = |d: Option<Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    let mut text = String::new();
    for line in flat_lines(t.lines) {
        match line.kind() {
            LineKind::SalesItem(d) => text.push_str(&format!(
                "{}|{}|{}|{}|{};",
                d.item_ref.as_ref().map(|r| r.value.as_str()).unwrap_or(""),
                dec(d.qty),
                dec(d.unit_price),
                dec(line.amount),
                d.tax_code_ref
                    .as_ref()
                    .map(|r| r.value.as_str())
                    .unwrap_or("")
            )),
            LineKind::Discount(d) => text.push_str(&format!(
                "discount|{}|{};",
                dec(line.amount),
                dec(d.discount_percent.filter(|_| d.percent_based == Some(true)))
            )),
            _ => {}
        }
    }
    text.push_str(&format!(
        "total={};tax={}",
        dec(t.total_amt),
        dec(t.total_tax)
    ));
    text
}

/// What a pulled sale could not become, in words.
pub type NotMapped = String;

/// A sales transaction as the ledger takes it. `customers` and `items` map QuickBooks ids to
/// local ids. Only item lines are taken; a discount, group or unknown line makes the sale
/// unmappable (the caller lists it for review) rather than silently wrong.
pub fn sale(
    t: &TxnView<'_>,
    customers: &HashMap<String, (String, String)>,
    items: &HashMap<String, (String, TaxType)>,
    tax: &HashMap<String, TaxType>,
) -> Result<PulledSale, NotMapped> {
    let mut lines = Vec::new();
    // The item lines' amounts before any discount, to share a discount amount out by.
    let mut amounts = Vec::new();
    let mut discounts = Vec::new();
    for line in flat_lines(t.lines) {
        match line.kind() {
            LineKind::SalesItem(d) => {
                let item = d.item_ref.as_ref().and_then(|r| items.get(&r.value));
                let tax_type = d
                    .tax_code_ref
                    .as_ref()
                    .and_then(|r| tax.get(&r.value).copied())
                    .or(item.map(|(_, t)| *t))
                    .ok_or_else(|| {
                        format!(
                            "line {} has a tax code QuickBooks did not list",
                            line.line_num.unwrap_or_default()
                        )
                    })?;
                let quantity = d.qty.unwrap_or(Decimal::ONE);
                let unit_price = match d.unit_price {
                    Some(p) => p,
                    None if !quantity.is_zero() => line.amount.unwrap_or_default() / quantity,
                    None => Decimal::ZERO,
                };
                let description = line
                    .description
                    .clone()
                    .or_else(|| d.item_ref.as_ref().and_then(|r| r.name.clone()))
                    .unwrap_or_else(|| "Item".into());
                amounts.push(line.amount.unwrap_or(quantity * unit_price));
                lines.push(PulledLine {
                    item_id: item.map(|(id, _)| id.clone()),
                    description,
                    quantity,
                    unit_price,
                    tax_type,
                    discount: Discount::None,
                });
            }
            LineKind::SubTotal | LineKind::DescriptionOnly => {}
            LineKind::Discount(d) => discounts.push((line.amount, d)),
            LineKind::Group(_) => unreachable!("flat_lines opens every bundle"),
            LineKind::Other(kind) => return Err(format!("it has a {kind} line")),
        }
    }
    match discounts.as_slice() {
        [] => {}
        [(amount, d)] => allocate_discount(&mut lines, &amounts, *amount, d)?,
        _ => {
            return Err(
                "it has more than one discount line (Hesabu shares one transaction discount \
                 out over the items: combine them in QuickBooks, or enter the sale in Hesabu)"
                    .into(),
            );
        }
    }
    if lines.is_empty() {
        return Err("it has no item lines".into());
    }
    let customer = t.customer_ref.and_then(|r| customers.get(&r.value));
    let issue_date = t
        .txn_date
        .map(|d| d.to_string())
        .ok_or_else(|| "it has no transaction date".to_owned())?;
    Ok(PulledSale {
        remote_id: t.id.unwrap_or_default().to_owned(),
        sync_token: t.sync_token.map(str::to_owned),
        doc_type: t.doc_type,
        customer_id: customer.map(|(id, _)| id.clone()),
        customer_name: customer
            .map(|(_, name)| name.clone())
            .or_else(|| t.customer_ref.and_then(|r| r.name.clone()))
            .unwrap_or_else(|| "Walk-in customer".into()),
        issue_date,
        due_date: t.due_date.map(|d| d.to_string()),
        currency: t.currency.unwrap_or("KES").to_owned(),
        exchange_rate: t.exchange_rate.unwrap_or(Decimal::ONE),
        price_basis: if t.global_tax == Some("TaxInclusive") {
            PriceBasis::Inclusive
        } else {
            PriceBasis::Exclusive
        },
        payment_method: t.payment_method.map(|m| {
            if m.to_ascii_lowercase().contains("pesa") {
                "mpesa".to_owned()
            } else {
                "other".to_owned()
            }
        }),
        notes: Some(format!(
            "QuickBooks {} {}",
            t.entity,
            t.doc_number.or(t.id).unwrap_or("")
        )),
        lines,
    })
}

/// The lines with every bundle (group) line replaced by the lines inside it, which carry their
/// own quantities, prices and amounts for the bundle's quantity.
fn flat_lines(lines: &[Line]) -> Vec<&Line> {
    let mut flat = Vec::with_capacity(lines.len());
    for line in lines {
        match line.kind() {
            LineKind::Group(g) => flat.extend(flat_lines(&g.line)),
            _ => flat.push(line),
        }
    }
    flat
}

/// Shares QuickBooks' transaction discount out over the item lines, as an ETR needs it per
/// item (spec §2.6): a percentage discount is that percentage off every line; an amount is
/// split in proportion to the lines' amounts, each share rounded to the cent and what rounding
/// leaves over put on the largest line, so the shares add up to the discount exactly.
/// Simplification: QuickBooks may place a discount under a subtotal to discount only the lines
/// above it; Hesabu discounts every line (a difference then shows in the totals review).
fn allocate_discount(
    lines: &mut [PulledLine],
    amounts: &[Decimal],
    amount: Option<Decimal>,
    d: &DiscountLineDetail,
) -> Result<(), NotMapped> {
    if d.percent_based == Some(true) {
        let percent = d
            .discount_percent
            .ok_or("its percentage discount line has no percentage")?;
        for line in lines.iter_mut() {
            line.discount = Discount::Percent(percent);
        }
        return Ok(());
    }
    let discount = amount.ok_or("its discount line has no amount")?.abs();
    if discount.is_zero() {
        return Ok(());
    }
    let base: Decimal = amounts.iter().sum();
    if base <= Decimal::ZERO || discount > base {
        return Err(format!(
            "its discount ({discount}) is more than the items it discounts ({base})"
        ));
    }
    let mut shares: Vec<Decimal> = amounts
        .iter()
        .map(|a| (discount * *a / base).round_dp(2))
        .collect();
    let left = discount - shares.iter().sum::<Decimal>();
    if let Some((largest, _)) = amounts.iter().enumerate().max_by(|(_, a), (_, b)| a.cmp(b)) {
        shares[largest] += left;
    }
    for (line, share) in lines.iter_mut().zip(shares) {
        if !share.is_zero() {
            line.discount = Discount::Amount(share);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn line(amount: &str) -> PulledLine {
        PulledLine {
            item_id: None,
            description: "x".into(),
            quantity: Decimal::ONE,
            unit_price: d(amount),
            tax_type: TaxType::B,
            discount: Discount::None,
        }
    }

    fn amount_discount() -> DiscountLineDetail {
        DiscountLineDetail {
            percent_based: Some(false),
            ..Default::default()
        }
    }

    #[test]
    fn an_amount_discount_is_shared_out_to_the_cent_and_adds_up() {
        let amounts = [d("100"), d("100"), d("100.01")];
        let mut lines: Vec<_> = amounts.iter().map(|a| line(&a.to_string())).collect();
        allocate_discount(&mut lines, &amounts, Some(d("10")), &amount_discount()).unwrap();
        let shares: Vec<Decimal> = lines
            .iter()
            .map(|l| match l.discount {
                Discount::Amount(a) => a,
                other => panic!("{other:?}"),
            })
            .collect();
        // 3.33 + 3.33 + 3.33 = 9.99: the cent left over goes to the largest line.
        assert_eq!(shares, [d("3.33"), d("3.33"), d("3.34")]);
        assert_eq!(shares.iter().sum::<Decimal>(), d("10"));
    }

    #[test]
    fn a_percentage_discount_is_that_percentage_off_every_line() {
        let amounts = [d("50"), d("70")];
        let mut lines: Vec<_> = amounts.iter().map(|a| line(&a.to_string())).collect();
        let detail = DiscountLineDetail {
            percent_based: Some(true),
            discount_percent: Some(d("12.5")),
            ..Default::default()
        };
        allocate_discount(&mut lines, &amounts, Some(d("15")), &detail).unwrap();
        assert!(
            lines
                .iter()
                .all(|l| l.discount == Discount::Percent(d("12.5")))
        );
    }

    #[test]
    fn a_discount_above_the_items_is_refused_in_words() {
        let amounts = [d("5")];
        let mut lines = vec![line("5")];
        let why =
            allocate_discount(&mut lines, &amounts, Some(d("6")), &amount_discount()).unwrap_err();
        assert!(why.contains("more than the items"), "{why}");
    }
}
