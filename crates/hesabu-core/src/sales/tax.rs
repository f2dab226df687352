//! KRA tax on a sale: the one place Hesabu computes VAT by e-TIMS band. The e-TIMS payload
//! builder, the receipt renderer and the ledger all call [`compute`], so the amounts KRA signs,
//! the receipt prints and the books post are the same numbers.
//!
//! The rules (digest of the OSCU spec, `shared/specs/etims-oscu.md` §12):
//!
//! - Money is [`Decimal`], never a float. Inputs may carry up to 4 decimal places (quantity, unit
//!   price, an amount discount); every output is rounded half-up, away from zero, to 2 places.
//! - Each line is rounded on its own; a band's totals are the sums of its rounded lines; the
//!   document's totals are the sums of the bands, and `total = total_taxable + total_tax`. KRA
//!   recomputes each line to 2 places and compares exactly, so a tax computed on a band's sum
//!   would be refused whenever the per-line roundings do not cancel out.
//! - Two price bases ([`PriceBasis`]): on the exclusive basis the tax is added on top of the net;
//!   on the inclusive basis the price already holds the tax and the net is taken out of it.
//! - The rate of each band is data ([`RateTable`], built from [`KRA_TAX_TYPES`]), so the e-TIMS
//!   code list 04 can replace it; nothing here knows that standard VAT is 16 %.
//! - No input makes it panic: every operation is checked, and an amount above [`MAX_AMOUNT`] is
//!   refused with a message naming the line and saying what to fix.

use std::fmt;
use std::str::FromStr;

use hesabu_store::error::{Error, Result};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The largest amount Hesabu accepts anywhere in a sale: a unit price, quantity × price, a
/// line's or the document's total — the store's one maximum for every amount.
pub const MAX_AMOUNT: Decimal = hesabu_store::money::MAX_AMOUNT;

/// Decimal places a quantity or unit price may carry.
const INPUT_DP: u32 = 4;
/// Decimal places of every output amount, and of a rate or discount percentage (NUMBER(x,2)).
const MONEY_DP: u32 = 2;
/// Decimal places an exchange rate may carry.
const EXCHANGE_RATE_DP: u32 = 6;
/// KRA's rounding (the Rwandan ancestor's documented rule): half-up, away from zero.
const ROUNDING: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;

/// e-TIMS code list 04, "Taxation type", as (code, rate in percent, name): the snapshot in the
/// spec, §9. [`RateTable::kra_default`] is built from it; the live code list (`selectCodeList`)
/// can replace it through [`RateTable::from_code_list`].
pub const KRA_TAX_TYPES: &[(&str, &str, &str)] = &[
    ("A", "0", "Exempt"),
    ("B", "16", "Standard rated VAT"),
    ("C", "0", "Zero rated"),
    ("D", "0", "Non-VAT"),
    ("E", "8", "Reduced VAT"),
];

// ---------------------------------------------------------------------------------------------
// Tax types and price basis
// ---------------------------------------------------------------------------------------------

/// A KRA VAT band (`taxTyCd`). One band per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
pub enum TaxType {
    /// Exempt.
    A,
    /// Standard rated VAT.
    B,
    /// Zero rated.
    C,
    /// Non-VAT.
    D,
    /// Reduced VAT (e.g. fuel).
    E,
}

impl TaxType {
    /// The five bands in KRA's order; documents report them in this order.
    pub const ALL: [TaxType; 5] = [TaxType::A, TaxType::B, TaxType::C, TaxType::D, TaxType::E];

    pub fn as_str(self) -> &'static str {
        match self {
            TaxType::A => "A",
            TaxType::B => "B",
            TaxType::C => "C",
            TaxType::D => "D",
            TaxType::E => "E",
        }
    }

    /// The band's name from [`KRA_TAX_TYPES`] ("Standard rated VAT").
    pub fn name(self) -> &'static str {
        KRA_TAX_TYPES
            .iter()
            .find(|(code, _, _)| *code == self.as_str())
            .map_or("", |(_, _, name)| name)
    }

    /// The band's label on a receipt's tax table: "A-EX", "B-16%", "C-0%", "D-Non-VAT",
    /// "E-8%". The percentage is the given rate, so a changed code list changes the label.
    pub fn label(&self, rate: Decimal) -> String {
        match self {
            TaxType::A => "A-EX".to_owned(),
            TaxType::D => "D-Non-VAT".to_owned(),
            TaxType::B | TaxType::C | TaxType::E => {
                format!("{}-{}%", self.as_str(), rate.normalize())
            }
        }
    }

    /// Position in [`TaxType::ALL`]; always below 5.
    fn index(self) -> usize {
        match self {
            TaxType::A => 0,
            TaxType::B => 1,
            TaxType::C => 2,
            TaxType::D => 3,
            TaxType::E => 4,
        }
    }

    /// "A (Exempt), B (Standard rated VAT), …, or E (Reduced VAT)", for error messages.
    fn choices() -> String {
        let names: Vec<String> = TaxType::ALL
            .iter()
            .map(|t| format!("{} ({})", t.as_str(), t.name()))
            .collect();
        match names.split_last() {
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

impl fmt::Display for TaxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TaxType {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        let code = text.trim();
        TaxType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(code))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "Unknown tax type '{text}'. Use one of the KRA bands: {}.",
                    TaxType::choices()
                ))
            })
    }
}

/// Whether unit prices include VAT (spec §12.1). The integrator gateway wants inclusive; the
/// legacy gateway and the accountants' tax-exclusive invoices are exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PriceBasis {
    /// Prices include VAT; the net is taken out of them.
    Inclusive,
    /// Prices exclude VAT; the tax is added on top.
    Exclusive,
}

impl PriceBasis {
    pub const ALL: [PriceBasis; 2] = [PriceBasis::Inclusive, PriceBasis::Exclusive];

    pub fn as_str(self) -> &'static str {
        match self {
            PriceBasis::Inclusive => "inclusive",
            PriceBasis::Exclusive => "exclusive",
        }
    }
}

impl fmt::Display for PriceBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PriceBasis {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        let word = text.trim();
        PriceBasis::ALL
            .into_iter()
            .find(|b| b.as_str().eq_ignore_ascii_case(word))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "Unknown price basis '{text}'. Use 'inclusive' (prices include VAT) or \
                     'exclusive' (VAT is added on top of the prices)."
                ))
            })
    }
}

// ---------------------------------------------------------------------------------------------
// The rate table
// ---------------------------------------------------------------------------------------------

/// One band's rate, as the rate table crosses the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub struct BandRate {
    pub tax_type: TaxType,
    /// Percent: "16" means 16 %.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub rate: Decimal,
}

/// The VAT rate of every band, in percent. Always complete and valid: it is built only by
/// [`RateTable::from_rates`] (and the constructors on top of it), also when deserialised. On the
/// wire it is the list of [`BandRate`]s, A to E.
#[derive(Debug, Clone, PartialEq, TS)]
#[ts(as = "Vec<BandRate>")]
pub struct RateTable {
    /// Indexed by [`TaxType::index`]; each 0..=100 with 2 decimal places.
    rates: [Decimal; 5],
}

impl RateTable {
    /// The rates of the spec's snapshot of code list 04 ([`KRA_TAX_TYPES`]).
    pub fn kra_default() -> Self {
        // The data table is a constant; the test `the_kra_table_builds_and_labels` proves it
        // parses, so this cannot fail at run time.
        Self::from_code_list(KRA_TAX_TYPES).expect("KRA_TAX_TYPES is a valid code list")
    }

    /// A table from code-list rows (code, rate percent as text, name), e.g. e-TIMS code list
    /// 04 as `selectCodeList` returns it. The names are not used.
    pub fn from_code_list(rows: &[(&str, &str, &str)]) -> Result<Self> {
        let mut rates = Vec::with_capacity(rows.len());
        for (code, rate, _name) in rows {
            let tax_type = TaxType::from_str(code)?;
            let rate = Decimal::from_str(rate.trim()).map_err(|_| {
                Error::invalid(format!(
                    "The tax rate '{rate}' for band {tax_type} is not a number; enter a \
                     percentage from 0 to 100, such as 16."
                ))
            })?;
            rates.push((tax_type, rate));
        }
        Self::from_rates(&rates)
    }

    /// A table from one rate per band, in percent. Every band A–E must appear exactly once,
    /// with a rate from 0 to 100 and at most 2 decimal places.
    pub fn from_rates(rates: &[(TaxType, Decimal)]) -> Result<Self> {
        let mut table: [Option<Decimal>; 5] = [None; 5];
        for (tax_type, rate) in rates {
            let slot = &mut table[tax_type.index()];
            if slot.is_some() {
                return Err(Error::invalid(format!(
                    "The tax rate table gives band {tax_type} ({}) more than one rate; keep one \
                     rate per band.",
                    tax_type.name()
                )));
            }
            if *rate < Decimal::ZERO || *rate > Decimal::ONE_HUNDRED {
                return Err(Error::invalid(format!(
                    "The tax rate {rate}% for band {tax_type} ({}) is out of range; enter a \
                     percentage from 0 to 100.",
                    tax_type.name()
                )));
            }
            if decimals(*rate) > MONEY_DP {
                return Err(Error::invalid(format!(
                    "The tax rate {rate}% for band {tax_type} ({}) has more than {MONEY_DP} \
                     decimal places; round it to {MONEY_DP}.",
                    tax_type.name()
                )));
            }
            *slot = Some(two_places(*rate));
        }
        let mut out = [Decimal::ZERO; 5];
        for tax_type in TaxType::ALL {
            out[tax_type.index()] = table[tax_type.index()].ok_or_else(|| {
                Error::invalid(format!(
                    "The tax rate table has no rate for band {tax_type} ({}); give a rate for \
                     each of {}.",
                    tax_type.name(),
                    TaxType::choices()
                ))
            })?;
        }
        Ok(RateTable { rates: out })
    }

    /// The band's rate in percent (16.00 for 16 %).
    pub fn rate(&self, tax_type: TaxType) -> Decimal {
        self.rates[tax_type.index()]
    }
}

// By hand rather than `#[serde(try_from, into)]`, which ts-rs cannot read (it warns on every
// build); the behaviour is the same: a table from the wire goes through `from_rates`.
impl Serialize for RateTable {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let rows: Vec<BandRate> = TaxType::ALL
            .into_iter()
            .map(|tax_type| BandRate {
                tax_type,
                rate: self.rate(tax_type),
            })
            .collect();
        rows.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RateTable {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let rows = Vec::<BandRate>::deserialize(deserializer)?;
        let rates: Vec<(TaxType, Decimal)> = rows.iter().map(|r| (r.tax_type, r.rate)).collect();
        RateTable::from_rates(&rates).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs and results
// ---------------------------------------------------------------------------------------------

/// A line's discount. On the inclusive basis an amount discount includes VAT (it comes off the
/// gross); on the exclusive basis it comes off the net.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Discount {
    #[default]
    None,
    /// A percentage of the line's supply amount, 0 to 100 with at most 2 decimal places.
    Percent(
        #[serde(with = "rust_decimal::serde::str")]
        #[ts(type = "string")]
        Decimal,
    ),
    /// An amount off the line, from 0 up to the line's supply amount, at most 4 decimal places.
    Amount(
        #[serde(with = "rust_decimal::serde::str")]
        #[ts(type = "string")]
        Decimal,
    ),
}

/// One line of a sale as entered: what the maths needs, nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub struct LineInput {
    /// Above 0, at most 4 decimal places (positive on credit notes too).
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub quantity: Decimal,
    /// 0 or more, at most 4 decimal places, on the document's [`PriceBasis`].
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub unit_price: Decimal,
    #[serde(default)]
    pub discount: Discount,
    pub tax_type: TaxType,
}

/// A line's amounts as e-TIMS wants them (`itemList[]`): every amount to 2 decimal places.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub struct LineTotals {
    pub tax_type: TaxType,
    /// The band's rate in percent.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub rate: Decimal,
    /// `splyAmt`: quantity × unit price, before discount, on the price basis.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub supply_amount: Decimal,
    /// `dcRt`, in percent.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub discount_rate: Decimal,
    /// `dcAmt`.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub discount_amount: Decimal,
    /// `taxblAmt`: net of VAT, after discount.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub taxable_amount: Decimal,
    /// `taxAmt`: the VAT.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub tax_amount: Decimal,
    /// `totAmt` = taxable + tax.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub total_amount: Decimal,
}

/// One band of the document's tax table (`taxblAmtX`, `taxAmtX`, `taxRtX`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub struct BandTotals {
    pub tax_type: TaxType,
    /// The code-list rate in percent, used or not; [`header_rate`] decides what to send.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub rate: Decimal,
    /// The sum of the band's rounded line taxable amounts.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub taxable_amount: Decimal,
    /// The sum of the band's rounded line tax amounts.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub tax_amount: Decimal,
    /// Whether any line is in this band.
    pub used: bool,
}

/// A whole sale's amounts: the lines, all five bands (A–E, in that order) and the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub struct DocumentTotals {
    pub basis: PriceBasis,
    pub lines: Vec<LineTotals>,
    pub bands: Vec<BandTotals>,
    /// Σ supply amounts ("TOTAL BEFORE DISCOUNT"), on the price basis.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub total_before_discount: Decimal,
    /// Σ discount amounts ("TOTAL DISCOUNT AWARDED").
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub total_discount: Decimal,
    /// `totTaxblAmt` = Σ band taxable amounts.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub total_taxable: Decimal,
    /// `totTaxAmt` = Σ band tax amounts.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub total_tax: Decimal,
    /// `totAmt` = total taxable + total tax.
    #[serde(with = "rust_decimal::serde::str")]
    #[ts(type = "string")]
    pub total: Decimal,
}

/// 0.00, for the band of a document built by hand without all five bands.
const ZERO_MONEY: Decimal = Decimal::from_parts(0, 0, 0, false, MONEY_DP);

/// What [`DocumentTotals::band`] answers for a band missing from a hand-built document.
static EMPTY_BANDS: [BandTotals; 5] = [
    empty_band(TaxType::A),
    empty_band(TaxType::B),
    empty_band(TaxType::C),
    empty_band(TaxType::D),
    empty_band(TaxType::E),
];

const fn empty_band(tax_type: TaxType) -> BandTotals {
    BandTotals {
        tax_type,
        rate: ZERO_MONEY,
        taxable_amount: ZERO_MONEY,
        tax_amount: ZERO_MONEY,
        used: false,
    }
}

impl DocumentTotals {
    /// The totals of one band. [`compute`] always reports all five; for a document assembled
    /// some other way a missing band reads as unused and zero.
    pub fn band(&self, tax_type: TaxType) -> &BandTotals {
        self.bands
            .iter()
            .find(|b| b.tax_type == tax_type)
            .unwrap_or(&EMPTY_BANDS[tax_type.index()])
    }
}

/// What to send as `taxRtX` for a band no line uses (spec §12.2). Odoo always sends the
/// code-list rate; the integrator gateway refused `taxRtE: 8` on a sale without band-E lines,
/// so [`UnusedBandRate::Zero`] is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum UnusedBandRate {
    /// Send 0 for unused bands.
    #[default]
    Zero,
    /// Send the code-list rate for every band.
    CodeListRate,
}

/// The header rate (`taxRtX`) to send for a band: the code-list rate when the band is used, and
/// for an unused band 0 or the code-list rate as the gateway profile says.
pub fn header_rate(band: &BandTotals, rule: UnusedBandRate) -> Decimal {
    if band.used || rule == UnusedBandRate::CodeListRate {
        band.rate
    } else {
        ZERO_MONEY
    }
}

// ---------------------------------------------------------------------------------------------
// The maths
// ---------------------------------------------------------------------------------------------

/// The totals of a sale: every line (see [`compute_line`]), all five bands as sums of their
/// rounded lines, and the header as sums of the bands.
pub fn compute(
    lines: &[LineInput],
    basis: PriceBasis,
    rates: &RateTable,
) -> Result<DocumentTotals> {
    if lines.is_empty() {
        return Err(Error::invalid(
            "A sale needs at least one line: add an item or service to it.",
        ));
    }
    let mut line_totals = Vec::with_capacity(lines.len());
    for (n, line) in lines.iter().enumerate() {
        line_totals.push(line_at(line, basis, rates, &format!("Line {}", n + 1))?);
    }

    let mut bands = TaxType::ALL.map(|tax_type| BandTotals {
        tax_type,
        rate: rates.rate(tax_type),
        taxable_amount: ZERO_MONEY,
        tax_amount: ZERO_MONEY,
        used: false,
    });
    let mut total_before_discount = ZERO_MONEY;
    let mut total_discount = ZERO_MONEY;
    for line in &line_totals {
        let band = &mut bands[line.tax_type.index()];
        band.taxable_amount = sum(band.taxable_amount, line.taxable_amount)?;
        band.tax_amount = sum(band.tax_amount, line.tax_amount)?;
        band.used = true;
        total_before_discount = sum(total_before_discount, line.supply_amount)?;
        total_discount = sum(total_discount, line.discount_amount)?;
    }
    let mut total_taxable = ZERO_MONEY;
    let mut total_tax = ZERO_MONEY;
    for band in &bands {
        total_taxable = sum(total_taxable, band.taxable_amount)?;
        total_tax = sum(total_tax, band.tax_amount)?;
    }
    let total = sum(total_taxable, total_tax)?;
    for (what, amount) in [
        ("total before discount", total_before_discount),
        ("total", total),
    ] {
        if amount > MAX_AMOUNT {
            return Err(Error::invalid(format!(
                "The sale's {what} {amount} is above the largest amount Hesabu accepts ({}); \
                 split it into smaller sales or check the quantities and prices.",
                max_amount_text()
            )));
        }
    }

    Ok(DocumentTotals {
        basis,
        lines: line_totals,
        bands: bands.to_vec(),
        total_before_discount,
        total_discount,
        total_taxable,
        total_tax,
        total,
    })
}

/// One line's amounts (spec §12.1), with `rate` = the band's percent ÷ 100:
///
/// - supply = round2(quantity × unit price); discount = round2(supply × p ÷ 100) for a
///   percentage p, round2(a) for an amount a;
/// - exclusive: taxable = supply − discount; tax = round2(taxable × rate); total = taxable + tax;
/// - inclusive: gross = supply − discount; taxable = round2(gross ÷ (1 + rate));
///   tax = gross − taxable; total = gross.
///
/// Errors name "This line"; [`compute`] names the line number instead.
pub fn compute_line(line: &LineInput, basis: PriceBasis, rates: &RateTable) -> Result<LineTotals> {
    line_at(line, basis, rates, "This line")
}

fn line_at(line: &LineInput, basis: PriceBasis, rates: &RateTable, at: &str) -> Result<LineTotals> {
    // Every operation below is within range once the inputs are checked (amounts ≤ 10^15,
    // rates ≤ 100, at most 4 decimal places), but each is still checked: no input may panic.
    let overflow = || {
        Error::invalid(format!(
            "{at}: the amounts are too large to compute; check the quantity, unit price and \
             discount."
        ))
    };
    check_quantity(line.quantity, at)?;
    check_unit_price(line.unit_price, at)?;
    // A product too large even for a Decimal is, like any above MAX_AMOUNT, simply too large.
    let gross = line
        .quantity
        .checked_mul(line.unit_price)
        .filter(|gross| *gross <= MAX_AMOUNT)
        .ok_or_else(|| {
            Error::invalid(format!(
                "{at}: quantity × unit price ({} × {}) is above the largest amount Hesabu \
                 accepts ({}); check the quantity and unit price.",
                line.quantity,
                line.unit_price,
                max_amount_text()
            ))
        })?;
    let supply_amount = money(gross);

    let (discount_rate, discount_amount) = match line.discount {
        Discount::None => (ZERO_MONEY, ZERO_MONEY),
        Discount::Percent(percent) => {
            check_discount_percent(percent, at)?;
            let amount = supply_amount
                .checked_mul(percent)
                .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED))
                .ok_or_else(overflow)?;
            (two_places(percent), money(amount))
        }
        Discount::Amount(amount) => {
            check_discount_amount(amount, at)?;
            if amount > supply_amount {
                return Err(Error::invalid(format!(
                    "{at}: the discount {amount} is more than the line's amount before discount \
                     ({supply_amount}); enter a discount from 0 to {supply_amount}."
                )));
            }
            let rate = if supply_amount.is_zero() {
                ZERO_MONEY
            } else {
                money(
                    amount
                        .checked_mul(Decimal::ONE_HUNDRED)
                        .and_then(|x| x.checked_div(supply_amount))
                        .ok_or_else(overflow)?,
                )
            };
            (rate, money(amount))
        }
    };
    let after_discount = supply_amount
        .checked_sub(discount_amount)
        .ok_or_else(overflow)?;

    let percent = rates.rate(line.tax_type);
    let (taxable_amount, tax_amount) = match basis {
        PriceBasis::Exclusive => {
            // Both factors have 2 decimal places, so the product and the division by 100 are
            // exact before the one rounding.
            let tax = after_discount
                .checked_mul(percent)
                .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED))
                .ok_or_else(overflow)?;
            (after_discount, money(tax))
        }
        PriceBasis::Inclusive => {
            // gross ÷ (1 + p/100) = gross × 100 ÷ (100 + p). The quotient is exact to 28
            // significant digits; with 2-place operands a true quotient is never closer than
            // 1/(200·(10000 + 100p)) to a half cent unless it is one, so rounding the 28-digit
            // quotient gives the same cent as rounding the exact one.
            let divisor = Decimal::ONE_HUNDRED
                .checked_add(percent)
                .ok_or_else(overflow)?;
            let net = after_discount
                .checked_mul(Decimal::ONE_HUNDRED)
                .and_then(|x| x.checked_div(divisor))
                .ok_or_else(overflow)?;
            let taxable = money(net);
            let tax = after_discount.checked_sub(taxable).ok_or_else(overflow)?;
            (taxable, money(tax))
        }
    };
    let total_amount = money(
        taxable_amount
            .checked_add(tax_amount)
            .ok_or_else(overflow)?,
    );
    if total_amount > MAX_AMOUNT {
        return Err(Error::invalid(format!(
            "{at}: the line total with tax is {total_amount}, above the largest amount Hesabu \
             accepts ({}); check the quantity and unit price.",
            max_amount_text()
        )));
    }

    Ok(LineTotals {
        tax_type: line.tax_type,
        rate: percent,
        supply_amount,
        discount_rate,
        discount_amount,
        taxable_amount,
        tax_amount,
        total_amount,
    })
}

/// A line's figures as a gateway that validates the other price basis wants them (spec §12.1):
/// the unit price, supply amount and discount re-expressed, the taxable amount, tax and total
/// the ledger's own to the cent. See [`rebase_line`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebasedLine {
    pub unit_price: Decimal,
    pub supply_amount: Decimal,
    pub discount_rate: Decimal,
    pub discount_amount: Decimal,
    pub taxable_amount: Decimal,
    pub tax_amount: Decimal,
    pub total_amount: Decimal,
}

/// How many cent steps of the unit price [`rebase_line`] tries before it gives up.
const REBASE_PRICE_STEPS: u32 = 500;

/// One computed line (`line`, on `from`, sent with `quantity` at 2 places) expressed on the
/// other basis `to` so that the gateway's own arithmetic (spec §12.1, as the integrator checks
/// it: `splyAmt = round(qty × prc)`, `dcAmt = round(splyAmt × dcRt / 100)`, then the basis'
/// split) reproduces the ledger's taxable amount, tax and total exactly. KRA then signs the
/// figures the customer was charged; nothing is rounded differently behind the accountant.
///
/// The unit price starts from the ledger's (with VAT added or taken out) and moves up a cent
/// at a time until a discount rate at 2 places closes the gap; the discount carries the line's
/// own discount plus, at most, the rounding of a 2-place price (often 0.01 %: 116.00 for
/// three units is 3 × 38.67 less 0.01). Refused in words when no such price exists within
/// [`REBASE_PRICE_STEPS`] cents, and when the other basis cannot split the ledger's figures the
/// same way (an inclusive line whose VAT, taken on its net, rounds to another cent).
pub fn rebase_line(
    quantity: Decimal,
    line: &LineTotals,
    from: PriceBasis,
    to: PriceBasis,
    unit_price: Decimal,
    at: &str,
) -> Result<RebasedLine> {
    let same = RebasedLine {
        unit_price: money(unit_price),
        supply_amount: line.supply_amount,
        discount_rate: line.discount_rate,
        discount_amount: line.discount_amount,
        taxable_amount: line.taxable_amount,
        tax_amount: line.tax_amount,
        total_amount: line.total_amount,
    };
    // On the gateway's own basis a line goes as it is, unless its price has more than 2
    // places and the gateway's `round(qty × prc)` then misses the supply (3 × 1000.457 is
    // 3001.37, 3 × 1000.46 is 3001.38): that line is re-expressed below like any other.
    if from == to && money(quantity * money(unit_price)) == line.supply_amount {
        return Ok(same);
    }
    let refuse = |why: String| {
        if from == to {
            Error::invalid(format!(
                "{at}: {why} KRA checks each line as quantity × a price with 2 decimal places: \
                 change the line's quantity or unit price."
            ))
        } else {
            Error::invalid(format!(
                "{at}: {why} Issue the sale on the {to} basis (the basis this device's gateway \
                 checks), or change the line's quantity or price."
            ))
        }
    };
    if quantity <= Decimal::ZERO || line.total_amount < Decimal::ZERO {
        return Err(refuse(format!(
            "a quantity of {quantity} or a negative amount cannot be re-expressed {to} of VAT."
        )));
    }
    let hundred = Decimal::ONE_HUNDRED;
    let divisor = hundred + line.rate;
    // What the gateway's own split must land on: the gross after discount (inclusive) or the
    // net after discount (exclusive), and its split checked the way the gateway computes it.
    let (target, start) = match to {
        PriceBasis::Inclusive => {
            let gross = line.total_amount;
            if money(gross * hundred / divisor) != line.taxable_amount {
                return Err(refuse(format!(
                    "KRA's inclusive split of {gross} at {}% is not the ledger's {} + {}.",
                    line.rate, line.taxable_amount, line.tax_amount
                )));
            }
            let start = if from == to {
                unit_price
            } else {
                unit_price * divisor / hundred
            };
            (gross, start)
        }
        PriceBasis::Exclusive => {
            let net = line.taxable_amount;
            if money(net * line.rate / hundred) != line.tax_amount {
                return Err(refuse(format!(
                    "VAT at {}% on the net {net} is {}, not the {} the inclusive price \
                     gives.",
                    line.rate,
                    money(net * line.rate / hundred),
                    line.tax_amount
                )));
            }
            let start = if from == to {
                unit_price
            } else {
                unit_price * hundred / divisor
            };
            (net, start)
        }
    };
    // The smallest 2-place price whose supply reaches the target, or the ledger's own price on
    // the new basis when that is higher (a discounted line keeps its real price and discount).
    let floor =
        (target / quantity).round_dp_with_strategy(MONEY_DP, RoundingStrategy::ToPositiveInfinity);
    let mut price = money(start).max(floor);
    let cent = Decimal::new(1, MONEY_DP);
    for _ in 0..REBASE_PRICE_STEPS {
        let supply = money(quantity * price);
        let needed = supply - target;
        if needed >= Decimal::ZERO {
            let found = if needed.is_zero() {
                Some(ZERO_MONEY)
            } else if supply.is_zero() {
                None
            } else {
                let guess = money(needed * hundred / supply);
                [guess, guess - cent, guess + cent]
                    .into_iter()
                    .find(|rate| {
                        *rate >= Decimal::ZERO
                            && *rate <= hundred
                            && money(supply * *rate / hundred) == needed
                    })
            };
            if let Some(rate) = found {
                return Ok(RebasedLine {
                    unit_price: price,
                    supply_amount: supply,
                    discount_rate: two_places(rate),
                    discount_amount: money(needed),
                    ..same
                });
            }
        }
        price += cent;
    }
    Err(refuse(format!(
        "no 2-place unit price and discount rate give {target} for a quantity of {quantity} {to} \
         of VAT."
    )))
}

/// Lines in a foreign currency converted to KES, for [`compute`]. `exchange_rate` is KES per
/// unit of the invoice currency (above 0, at most 6 decimal places).
///
/// The convention: unit prices and amount discounts are converted and rounded half-up to 4
/// decimal places (the precision a price may carry); quantities, percentages and bands are
/// kept. The KES totals are then computed by the same maths as any KES sale. KRA wants KES
/// amounts on every line, and its band totals must equal the sum of the rounded KES lines;
/// converting the foreign totals instead would break that whenever the rounding differs.
///
/// An amount discount that covered the whole line still covers exactly the whole line after
/// conversion (its rounding may otherwise land a fraction of a cent above the KES supply).
pub fn in_base_currency(lines: &[LineInput], exchange_rate: Decimal) -> Result<Vec<LineInput>> {
    if exchange_rate <= Decimal::ZERO {
        return Err(Error::invalid(format!(
            "The exchange rate {exchange_rate} must be above 0; enter how many KES one unit of \
             the invoice's currency buys."
        )));
    }
    if decimals(exchange_rate) > EXCHANGE_RATE_DP {
        return Err(Error::invalid(format!(
            "The exchange rate {exchange_rate} has more than {EXCHANGE_RATE_DP} decimal places; \
             round it to {EXCHANGE_RATE_DP}."
        )));
    }
    let mut converted = Vec::with_capacity(lines.len());
    for (n, line) in lines.iter().enumerate() {
        let at = format!("Line {}", n + 1);
        let overflow = || {
            Error::invalid(format!(
                "{at}: the amounts are too large to convert to KES; check the unit price, the \
                 discount and the exchange rate."
            ))
        };
        check_quantity(line.quantity, &at)?;
        check_unit_price(line.unit_price, &at)?;
        let unit_price = line
            .unit_price
            .checked_mul(exchange_rate)
            .map(|p| p.round_dp_with_strategy(INPUT_DP, ROUNDING))
            .ok_or_else(overflow)?;
        let discount = match line.discount {
            Discount::Amount(amount) => {
                check_discount_amount(amount, &at)?;
                let mut kes = amount
                    .checked_mul(exchange_rate)
                    .map(|a| a.round_dp_with_strategy(INPUT_DP, ROUNDING))
                    .ok_or_else(overflow)?;
                let foreign_supply = line.quantity.checked_mul(line.unit_price).map(money);
                let kes_supply = line.quantity.checked_mul(unit_price).map(money);
                if let (Some(foreign_supply), Some(kes_supply)) = (foreign_supply, kes_supply)
                    && amount <= foreign_supply
                    && kes > kes_supply
                {
                    kes = kes_supply;
                }
                Discount::Amount(kes)
            }
            other => other,
        };
        converted.push(LineInput {
            quantity: line.quantity,
            unit_price,
            discount,
            tax_type: line.tax_type,
        });
    }
    Ok(converted)
}

// ---------------------------------------------------------------------------------------------
// Checks and helpers
// ---------------------------------------------------------------------------------------------

fn check_quantity(quantity: Decimal, at: &str) -> Result<()> {
    if quantity <= Decimal::ZERO {
        return Err(Error::invalid(format!(
            "{at}: the quantity is {quantity}; enter a quantity above 0 (to take goods back, \
             issue a credit note)."
        )));
    }
    if decimals(quantity) > INPUT_DP {
        return Err(Error::invalid(format!(
            "{at}: the quantity {quantity} has more than {INPUT_DP} decimal places; round it to \
             {INPUT_DP}."
        )));
    }
    if quantity > MAX_AMOUNT {
        return Err(Error::invalid(format!(
            "{at}: the quantity {quantity} is above the largest Hesabu accepts ({}); check the \
             quantity.",
            max_amount_text()
        )));
    }
    Ok(())
}

fn check_unit_price(price: Decimal, at: &str) -> Result<()> {
    if price < Decimal::ZERO {
        return Err(Error::invalid(format!(
            "{at}: the unit price {price} is negative; enter a price of 0 or more (to refund, \
             issue a credit note)."
        )));
    }
    if decimals(price) > INPUT_DP {
        return Err(Error::invalid(format!(
            "{at}: the unit price {price} has more than {INPUT_DP} decimal places; round it to \
             {INPUT_DP}."
        )));
    }
    if price > MAX_AMOUNT {
        return Err(Error::invalid(format!(
            "{at}: the unit price {price} is above the largest amount Hesabu accepts ({}); \
             check the price.",
            max_amount_text()
        )));
    }
    Ok(())
}

fn check_discount_percent(percent: Decimal, at: &str) -> Result<()> {
    if percent < Decimal::ZERO {
        return Err(Error::invalid(format!(
            "{at}: the discount {percent}% is negative; enter a percentage from 0 to 100."
        )));
    }
    if percent > Decimal::ONE_HUNDRED {
        return Err(Error::invalid(format!(
            "{at}: the discount {percent}% is above 100%; enter a percentage from 0 to 100."
        )));
    }
    if decimals(percent) > MONEY_DP {
        return Err(Error::invalid(format!(
            "{at}: the discount {percent}% has more than {MONEY_DP} decimal places; round it to \
             {MONEY_DP}."
        )));
    }
    Ok(())
}

fn check_discount_amount(amount: Decimal, at: &str) -> Result<()> {
    if amount < Decimal::ZERO {
        return Err(Error::invalid(format!(
            "{at}: the discount {amount} is negative; enter an amount of 0 or more."
        )));
    }
    if decimals(amount) > INPUT_DP {
        return Err(Error::invalid(format!(
            "{at}: the discount {amount} has more than {INPUT_DP} decimal places; round it to \
             {INPUT_DP}."
        )));
    }
    if amount > MAX_AMOUNT {
        return Err(Error::invalid(format!(
            "{at}: the discount {amount} is above the largest amount Hesabu accepts ({}); check \
             the discount.",
            max_amount_text()
        )));
    }
    Ok(())
}

/// Significant decimal places: 1.50 has 1, 2.0000 has 0.
fn decimals(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// Rounded half-up to 2 places and written with exactly 2 ("5.00", never "5" or "-0.00").
fn money(value: Decimal) -> Decimal {
    two_places(value.round_dp_with_strategy(MONEY_DP, ROUNDING))
}

/// An amount already at most 2 places, written with exactly 2.
fn two_places(value: Decimal) -> Decimal {
    if value.is_zero() {
        return ZERO_MONEY;
    }
    let mut out = value;
    out.rescale(MONEY_DP);
    out
}

/// A document-level sum; it cannot overflow for amounts below [`MAX_AMOUNT`], but is checked.
fn sum(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(|| {
        Error::invalid(format!(
            "The sale's amounts are too large to add up (above {}); split it into smaller sales \
             or check the quantities and prices.",
            max_amount_text()
        ))
    })
}

/// [`MAX_AMOUNT`] with thousands separators: "1,000,000,000,000,000".
fn max_amount_text() -> String {
    hesabu_store::money::max_amount_text()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    /// "" = no discount, "10%" = a percentage, "5.00" = an amount.
    fn discount(text: &str) -> Discount {
        if text.is_empty() {
            Discount::None
        } else if let Some(percent) = text.strip_suffix('%') {
            Discount::Percent(d(percent))
        } else {
            Discount::Amount(d(text))
        }
    }

    fn line(quantity: &str, price: &str, disc: &str, band: &str) -> LineInput {
        LineInput {
            quantity: d(quantity),
            unit_price: d(price),
            discount: discount(disc),
            tax_type: band.parse().unwrap(),
        }
    }

    fn b16(price: &str) -> LineInput {
        line("1", price, "", "B")
    }

    fn kra() -> RateTable {
        RateTable::kra_default()
    }

    /// A worked case. The expectations were computed by hand and checked with Python's
    /// `decimal` module (ROUND_HALF_UP), never by running this code.
    struct Case {
        name: &'static str,
        basis: PriceBasis,
        /// Rates A–E in percent; `None` = KRA's code list.
        rates: Option<[&'static str; 5]>,
        /// (quantity, unit price, discount as in [`discount`], band).
        lines: &'static [(&'static str, &'static str, &'static str, &'static str)],
        /// Per line: (supply, discount amount, taxable, tax, total).
        expected_lines: &'static [(
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            &'static str,
        )],
        /// The used bands: (band, taxable, tax); the others must be unused and zero.
        expected_bands: &'static [(&'static str, &'static str, &'static str)],
        /// (before discount, discount, taxable, tax, total).
        expected_totals: (
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            &'static str,
        ),
    }

    const CASES: &[Case] = &[
        Case {
            name: "spec fixture: exclusive, 10% off, band B",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("1", "1.00", "10%", "B")],
            expected_lines: &[("1.00", "0.10", "0.90", "0.14", "1.04")],
            expected_bands: &[("B", "0.90", "0.14")],
            expected_totals: ("1.00", "0.10", "0.90", "0.14", "1.04"),
        },
        Case {
            name: "spec integrator: inclusive 100 in band B",
            basis: PriceBasis::Inclusive,
            rates: None,
            lines: &[("1", "100", "", "B")],
            expected_lines: &[("100.00", "0.00", "86.21", "13.79", "100.00")],
            expected_bands: &[("B", "86.21", "13.79")],
            expected_totals: ("100.00", "0.00", "86.21", "13.79", "100.00"),
        },
        Case {
            name: "exclusive band A is exempt",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("2", "50.00", "", "A")],
            expected_lines: &[("100.00", "0.00", "100.00", "0.00", "100.00")],
            expected_bands: &[("A", "100.00", "0.00")],
            expected_totals: ("100.00", "0.00", "100.00", "0.00", "100.00"),
        },
        Case {
            name: "exclusive band C is zero rated",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("3", "33.33", "", "C")],
            expected_lines: &[("99.99", "0.00", "99.99", "0.00", "99.99")],
            expected_bands: &[("C", "99.99", "0.00")],
            expected_totals: ("99.99", "0.00", "99.99", "0.00", "99.99"),
        },
        Case {
            name: "exclusive band D is non-VAT",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("1.5", "10.01", "", "D")],
            expected_lines: &[("15.02", "0.00", "15.02", "0.00", "15.02")],
            expected_bands: &[("D", "15.02", "0.00")],
            expected_totals: ("15.02", "0.00", "15.02", "0.00", "15.02"),
        },
        Case {
            name: "exclusive band E at 8%",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("1", "123.45", "", "E")],
            expected_lines: &[("123.45", "0.00", "123.45", "9.88", "133.33")],
            expected_bands: &[("E", "123.45", "9.88")],
            expected_totals: ("123.45", "0.00", "123.45", "9.88", "133.33"),
        },
        Case {
            name: "inclusive band A keeps the gross",
            basis: PriceBasis::Inclusive,
            rates: None,
            lines: &[("1", "250.50", "", "A")],
            expected_lines: &[("250.50", "0.00", "250.50", "0.00", "250.50")],
            expected_bands: &[("A", "250.50", "0.00")],
            expected_totals: ("250.50", "0.00", "250.50", "0.00", "250.50"),
        },
        Case {
            name: "inclusive band C keeps the gross",
            basis: PriceBasis::Inclusive,
            rates: None,
            lines: &[("4", "12.25", "", "C")],
            expected_lines: &[("49.00", "0.00", "49.00", "0.00", "49.00")],
            expected_bands: &[("C", "49.00", "0.00")],
            expected_totals: ("49.00", "0.00", "49.00", "0.00", "49.00"),
        },
        Case {
            name: "inclusive band D keeps the gross",
            basis: PriceBasis::Inclusive,
            rates: None,
            lines: &[("1", "99.99", "", "D")],
            expected_lines: &[("99.99", "0.00", "99.99", "0.00", "99.99")],
            expected_bands: &[("D", "99.99", "0.00")],
            expected_totals: ("99.99", "0.00", "99.99", "0.00", "99.99"),
        },
        Case {
            name: "inclusive band E at 8%",
            basis: PriceBasis::Inclusive,
            rates: None,
            lines: &[("1", "108", "", "E")],
            expected_lines: &[("108.00", "0.00", "100.00", "8.00", "108.00")],
            expected_bands: &[("E", "100.00", "8.00")],
            expected_totals: ("108.00", "0.00", "100.00", "8.00", "108.00"),
        },
        Case {
            // 59.97 / 1.08 = 55.5277… → 55.53; tax 59.97 − 55.53.
            name: "inclusive band E rounds the net",
            basis: PriceBasis::Inclusive,
            rates: None,
            lines: &[("3", "19.99", "", "E")],
            expected_lines: &[("59.97", "0.00", "55.53", "4.44", "59.97")],
            expected_bands: &[("E", "55.53", "4.44")],
            expected_totals: ("59.97", "0.00", "55.53", "4.44", "59.97"),
        },
        Case {
            // Banker's rounding would give 25.02.
            name: "supply rounds half up: 2.5 x 10.01 = 25.025",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("2.5", "10.01", "", "A")],
            expected_lines: &[("25.03", "0.00", "25.03", "0.00", "25.03")],
            expected_bands: &[("A", "25.03", "0.00")],
            expected_totals: ("25.03", "0.00", "25.03", "0.00", "25.03"),
        },
        Case {
            // 10.50 × 5% = 0.525 → 0.53 (banker's: 0.52).
            name: "percent discount rounds half up: 5% of 10.50",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("1", "10.50", "5%", "A")],
            expected_lines: &[("10.50", "0.53", "9.97", "0.00", "9.97")],
            expected_bands: &[("A", "9.97", "0.00")],
            expected_totals: ("10.50", "0.53", "9.97", "0.00", "9.97"),
        },
        Case {
            // 0.03 × 0.16 = 0.0048 → 0.00. (16 % of a whole number of cents is never exactly
            // half a cent, so KRA's own rates have no exact ties: the next cases use others.)
            name: "exclusive tax just below half a cent: 0.03 x 16%",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("1", "0.03", "", "B")],
            expected_lines: &[("0.03", "0.00", "0.03", "0.00", "0.03")],
            expected_bands: &[("B", "0.03", "0.00")],
            expected_totals: ("0.03", "0.00", "0.03", "0.00", "0.03"),
        },
        Case {
            // 0.22 × 0.16 = 0.0352 → 0.04.
            name: "exclusive tax just above half a cent: 0.22 x 16%",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("1", "0.22", "", "B")],
            expected_lines: &[("0.22", "0.00", "0.22", "0.04", "0.26")],
            expected_bands: &[("B", "0.22", "0.04")],
            expected_totals: ("0.22", "0.00", "0.22", "0.04", "0.26"),
        },
        Case {
            // 100.20 × 0.125 = 12.525 → 12.53 (banker's: 12.52).
            name: "exclusive tax exactly half a cent: 100.20 x 12.5%",
            basis: PriceBasis::Exclusive,
            rates: Some(["0", "12.5", "0", "0", "8"]),
            lines: &[("1", "100.20", "", "B")],
            expected_lines: &[("100.20", "0.00", "100.20", "12.53", "112.73")],
            expected_bands: &[("B", "100.20", "12.53")],
            expected_totals: ("100.20", "0.00", "100.20", "12.53", "112.73"),
        },
        Case {
            // 0.20 × 0.125 = 0.025 → 0.03 (banker's: 0.02).
            name: "exclusive tax exactly half a cent: 0.20 x 12.5%",
            basis: PriceBasis::Exclusive,
            rates: Some(["0", "12.5", "0", "0", "8"]),
            lines: &[("1", "0.20", "", "B")],
            expected_lines: &[("0.20", "0.00", "0.20", "0.03", "0.23")],
            expected_bands: &[("B", "0.20", "0.03")],
            expected_totals: ("0.20", "0.00", "0.20", "0.03", "0.23"),
        },
        Case {
            // 999.99 / 1.20 = 833.325 → 833.33 (banker's: 833.32).
            name: "inclusive net exactly half a cent: 999.99 / 1.20",
            basis: PriceBasis::Inclusive,
            rates: Some(["0", "20", "0", "0", "8"]),
            lines: &[("1", "999.99", "", "B")],
            expected_lines: &[("999.99", "0.00", "833.33", "166.66", "999.99")],
            expected_bands: &[("B", "833.33", "166.66")],
            expected_totals: ("999.99", "0.00", "833.33", "166.66", "999.99"),
        },
        Case {
            // 0.03 / 1.20 = 0.025 → 0.03, leaving no tax.
            name: "inclusive net exactly half a cent: 0.03 / 1.20",
            basis: PriceBasis::Inclusive,
            rates: Some(["0", "20", "0", "0", "8"]),
            lines: &[("1", "0.03", "", "B")],
            expected_lines: &[("0.03", "0.00", "0.03", "0.00", "0.03")],
            expected_bands: &[("B", "0.03", "0.00")],
            expected_totals: ("0.03", "0.00", "0.03", "0.00", "0.03"),
        },
        Case {
            // Tax on the band's sum would be 0.06 × 0.16 = 0.0096 → 0.01.
            name: "band tax is the sum of rounded lines, not tax on the sum",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("1", "0.03", "", "B"), ("1", "0.03", "", "B")],
            expected_lines: &[
                ("0.03", "0.00", "0.03", "0.00", "0.03"),
                ("0.03", "0.00", "0.03", "0.00", "0.03"),
            ],
            expected_bands: &[("B", "0.06", "0.00")],
            expected_totals: ("0.06", "0.00", "0.06", "0.00", "0.06"),
        },
        Case {
            name: "exclusive mixed bands on one sale",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[
                ("2", "1500.00", "", "B"),
                ("10", "45.50", "10%", "E"),
                ("1", "800.00", "", "A"),
                ("3", "120.00", "50.00", "B"),
                ("1", "60.00", "", "C"),
                ("2", "25.00", "", "D"),
            ],
            expected_lines: &[
                ("3000.00", "0.00", "3000.00", "480.00", "3480.00"),
                ("455.00", "45.50", "409.50", "32.76", "442.26"),
                ("800.00", "0.00", "800.00", "0.00", "800.00"),
                ("360.00", "50.00", "310.00", "49.60", "359.60"),
                ("60.00", "0.00", "60.00", "0.00", "60.00"),
                ("50.00", "0.00", "50.00", "0.00", "50.00"),
            ],
            expected_bands: &[
                ("A", "800.00", "0.00"),
                ("B", "3310.00", "529.60"),
                ("C", "60.00", "0.00"),
                ("D", "50.00", "0.00"),
                ("E", "409.50", "32.76"),
            ],
            expected_totals: ("4725.00", "95.50", "4629.50", "562.36", "5191.86"),
        },
        Case {
            name: "inclusive mixed bands with discounts",
            basis: PriceBasis::Inclusive,
            rates: None,
            lines: &[
                ("2", "58.00", "10%", "B"),
                ("1", "1160.00", "160.00", "B"),
                ("5", "21.60", "", "E"),
                ("1", "340.00", "15%", "A"),
            ],
            expected_lines: &[
                ("116.00", "11.60", "90.00", "14.40", "104.40"),
                ("1160.00", "160.00", "862.07", "137.93", "1000.00"),
                ("108.00", "0.00", "100.00", "8.00", "108.00"),
                ("340.00", "51.00", "289.00", "0.00", "289.00"),
            ],
            expected_bands: &[
                ("A", "289.00", "0.00"),
                ("B", "952.07", "152.33"),
                ("E", "100.00", "8.00"),
            ],
            expected_totals: ("1724.00", "222.60", "1341.07", "160.33", "1501.40"),
        },
        Case {
            // 1000 / 1.16 = 862.0689… → 862.07.
            name: "amount discount on the inclusive basis",
            basis: PriceBasis::Inclusive,
            rates: None,
            lines: &[("1", "1160", "160.00", "B")],
            expected_lines: &[("1160.00", "160.00", "862.07", "137.93", "1000.00")],
            expected_bands: &[("B", "862.07", "137.93")],
            expected_totals: ("1160.00", "160.00", "862.07", "137.93", "1000.00"),
        },
        Case {
            name: "a 100% discount leaves nothing to tax",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("1", "50.00", "100%", "B")],
            expected_lines: &[("50.00", "50.00", "0.00", "0.00", "0.00")],
            expected_bands: &[("B", "0.00", "0.00")],
            expected_totals: ("50.00", "50.00", "0.00", "0.00", "0.00"),
        },
        Case {
            name: "a free line still uses its band",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("1", "0", "", "E")],
            expected_lines: &[("0.00", "0.00", "0.00", "0.00", "0.00")],
            expected_bands: &[("E", "0.00", "0.00")],
            expected_totals: ("0.00", "0.00", "0.00", "0.00", "0.00"),
        },
        Case {
            // 0.3333 × 3 = 0.9999 → 1.00 either way round.
            name: "four-decimal quantity and price",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("0.3333", "3.00", "", "B"), ("3", "0.3333", "", "B")],
            expected_lines: &[
                ("1.00", "0.00", "1.00", "0.16", "1.16"),
                ("1.00", "0.00", "1.00", "0.16", "1.16"),
            ],
            expected_bands: &[("B", "2.00", "0.32")],
            expected_totals: ("2.00", "0.00", "2.00", "0.32", "2.32"),
        },
        Case {
            name: "large: a million at 999,999.99 exclusive",
            basis: PriceBasis::Exclusive,
            rates: None,
            lines: &[("1000000", "999999.99", "", "B")],
            expected_lines: &[(
                "999999990000.00",
                "0.00",
                "999999990000.00",
                "159999998400.00",
                "1159999988400.00",
            )],
            expected_bands: &[("B", "999999990000.00", "159999998400.00")],
            expected_totals: (
                "999999990000.00",
                "0.00",
                "999999990000.00",
                "159999998400.00",
                "1159999988400.00",
            ),
        },
        Case {
            // 999,999,990,000 / 1.16 = 862,068,956,896.5517… → …896.55.
            name: "large: a million at 999,999.99 inclusive",
            basis: PriceBasis::Inclusive,
            rates: None,
            lines: &[("1000000", "999999.99", "", "B")],
            expected_lines: &[(
                "999999990000.00",
                "0.00",
                "862068956896.55",
                "137931033103.45",
                "999999990000.00",
            )],
            expected_bands: &[("B", "862068956896.55", "137931033103.45")],
            expected_totals: (
                "999999990000.00",
                "0.00",
                "862068956896.55",
                "137931033103.45",
                "999999990000.00",
            ),
        },
    ];

    fn rates_of(case: &Case) -> RateTable {
        match case.rates {
            None => kra(),
            Some(texts) => {
                let rates: Vec<(TaxType, Decimal)> = TaxType::ALL
                    .into_iter()
                    .zip(texts)
                    .map(|(t, r)| (t, d(r)))
                    .collect();
                RateTable::from_rates(&rates).unwrap()
            }
        }
    }

    /// Compares as text, so an amount must also be written with exactly 2 places.
    fn check(case: &Case) {
        let name = case.name;
        let lines: Vec<LineInput> = case
            .lines
            .iter()
            .map(|(q, p, dc, b)| line(q, p, dc, b))
            .collect();
        let totals =
            compute(&lines, case.basis, &rates_of(case)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(totals.lines.len(), case.expected_lines.len(), "{name}");
        for (n, (got, want)) in totals.lines.iter().zip(case.expected_lines).enumerate() {
            let got_text = (
                got.supply_amount.to_string(),
                got.discount_amount.to_string(),
                got.taxable_amount.to_string(),
                got.tax_amount.to_string(),
                got.total_amount.to_string(),
            );
            let want_text = (
                want.0.to_owned(),
                want.1.to_owned(),
                want.2.to_owned(),
                want.3.to_owned(),
                want.4.to_owned(),
            );
            assert_eq!(got_text, want_text, "{name}: line {}", n + 1);
        }
        let bands: Vec<TaxType> = totals.bands.iter().map(|b| b.tax_type).collect();
        assert_eq!(bands, TaxType::ALL, "{name}: all five bands, in order");
        for band in &totals.bands {
            let code = band.tax_type.as_str();
            match case.expected_bands.iter().find(|(c, _, _)| *c == code) {
                Some((_, taxable, tax)) => {
                    assert!(band.used, "{name}: band {code} used");
                    assert_eq!(
                        band.taxable_amount.to_string(),
                        *taxable,
                        "{name}: band {code}"
                    );
                    assert_eq!(band.tax_amount.to_string(), *tax, "{name}: band {code}");
                }
                None => {
                    assert!(!band.used, "{name}: band {code} unused");
                    assert_eq!(
                        band.taxable_amount.to_string(),
                        "0.00",
                        "{name}: band {code}"
                    );
                    assert_eq!(band.tax_amount.to_string(), "0.00", "{name}: band {code}");
                }
            }
        }
        let (before, discount, taxable, tax, total) = case.expected_totals;
        assert_eq!(totals.total_before_discount.to_string(), before, "{name}");
        assert_eq!(totals.total_discount.to_string(), discount, "{name}");
        assert_eq!(totals.total_taxable.to_string(), taxable, "{name}");
        assert_eq!(totals.total_tax.to_string(), tax, "{name}");
        assert_eq!(totals.total.to_string(), total, "{name}");
        assert_eq!(totals.basis, case.basis, "{name}");
    }

    #[test]
    fn the_worked_cases() {
        assert!(CASES.len() >= 20);
        for case in CASES {
            check(case);
        }
    }

    #[test]
    fn the_spec_fixture_line_in_full() {
        let totals = compute(
            &[line("1", "1.00", "10%", "B")],
            PriceBasis::Exclusive,
            &kra(),
        )
        .unwrap();
        let l = &totals.lines[0];
        assert_eq!(l.rate.to_string(), "16.00");
        assert_eq!(l.discount_rate.to_string(), "10.00");
        assert_eq!(
            TaxType::ALL.map(|t| header_rate(totals.band(t), UnusedBandRate::CodeListRate)),
            [d("0"), d("16"), d("0"), d("0"), d("8")],
            "the fixture sends every code-list rate"
        );
        assert_eq!(
            TaxType::ALL.map(|t| header_rate(totals.band(t), UnusedBandRate::Zero).to_string()),
            ["0.00", "16.00", "0.00", "0.00", "0.00"]
        );
    }

    #[test]
    fn an_amount_discount_reports_its_rate() {
        let rate = |amount: &str| {
            compute_line(
                &line("3", "10.00", amount, "B"),
                PriceBasis::Exclusive,
                &kra(),
            )
            .unwrap()
            .discount_rate
            .to_string()
        };
        assert_eq!(rate("10.00"), "33.33");
        assert_eq!(rate("20.00"), "66.67");
        assert_eq!(rate("30.00"), "100.00");
        assert_eq!(rate("0"), "0.00");
        // A free line: the only amount discount allowed is 0, and its rate is 0.
        let free = compute_line(&line("1", "0", "0", "B"), PriceBasis::Exclusive, &kra()).unwrap();
        assert_eq!(free.discount_rate.to_string(), "0.00");
    }

    #[test]
    fn the_kra_table_builds_and_labels() {
        let table = kra();
        let rates = TaxType::ALL.map(|t| table.rate(t));
        assert_eq!(rates, [d("0"), d("16"), d("0"), d("0"), d("8")]);
        let labels = TaxType::ALL.map(|t| t.label(table.rate(t)));
        assert_eq!(labels, ["A-EX", "B-16%", "C-0%", "D-Non-VAT", "E-8%"]);
        assert_eq!(TaxType::B.label(d("17.50")), "B-17.5%");
        assert_eq!(TaxType::E.name(), "Reduced VAT");
        assert_eq!(
            RateTable::from_code_list(KRA_TAX_TYPES).unwrap(),
            table,
            "built from the data table"
        );
    }

    #[test]
    fn tax_types_parse_print_and_serialise() {
        for t in TaxType::ALL {
            assert_eq!(t.to_string().parse::<TaxType>().unwrap(), t);
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.as_str())
            );
        }
        assert_eq!(" b ".parse::<TaxType>().unwrap(), TaxType::B);
        assert_eq!("e".parse::<TaxType>().unwrap(), TaxType::E);
        assert_eq!(
            serde_json::from_str::<TaxType>("\"C\"").unwrap(),
            TaxType::C
        );
        for bad in ["F", "", "B16", "16"] {
            let message = bad.parse::<TaxType>().unwrap_err().to_string();
            assert!(message.contains(&format!("'{bad}'")), "{message}");
            assert!(
                message.contains("A (Exempt), B (Standard rated VAT), C (Zero rated), D (Non-VAT) or E (Reduced VAT)"),
                "{message}"
            );
        }
    }

    #[test]
    fn price_basis_parses_and_serialises() {
        assert_eq!(
            " Inclusive ".parse::<PriceBasis>().unwrap(),
            PriceBasis::Inclusive
        );
        assert_eq!(
            "EXCLUSIVE".parse::<PriceBasis>().unwrap(),
            PriceBasis::Exclusive
        );
        assert_eq!(PriceBasis::Inclusive.to_string(), "inclusive");
        assert_eq!(
            serde_json::to_string(&PriceBasis::Exclusive).unwrap(),
            "\"exclusive\""
        );
        let message = "gross".parse::<PriceBasis>().unwrap_err().to_string();
        assert!(
            message.contains("'gross'") && message.contains("'inclusive'"),
            "{message}"
        );
    }

    #[test]
    fn wire_shapes_carry_amounts_as_strings() {
        let input = line("2", "58.00", "10%", "B");
        let json = serde_json::to_value(&input).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "quantity": "2",
                "unit_price": "58.00",
                "discount": { "kind": "percent", "value": "10" },
                "tax_type": "B",
            })
        );
        assert_eq!(serde_json::from_value::<LineInput>(json).unwrap(), input);
        let none: LineInput = serde_json::from_value(serde_json::json!({
            "quantity": "1", "unit_price": "5", "tax_type": "A",
        }))
        .unwrap();
        assert_eq!(none.discount, Discount::None);
        assert_eq!(
            serde_json::to_value(Discount::Amount(d("5.5"))).unwrap(),
            serde_json::json!({ "kind": "amount", "value": "5.5" })
        );

        let totals = compute(&[input], PriceBasis::Inclusive, &kra()).unwrap();
        let json = serde_json::to_value(&totals).unwrap();
        assert_eq!(json["total"], "104.40");
        assert_eq!(json["lines"][0]["taxable_amount"], "90.00");
        assert_eq!(json["bands"][1]["rate"], "16.00");
        assert_eq!(
            serde_json::from_value::<DocumentTotals>(json).unwrap(),
            totals
        );

        let table = serde_json::to_value(kra()).unwrap();
        assert_eq!(
            table[1],
            serde_json::json!({ "tax_type": "B", "rate": "16.00" })
        );
        assert_eq!(serde_json::from_value::<RateTable>(table).unwrap(), kra());
    }

    #[test]
    fn a_rate_table_must_be_complete_and_sane() {
        let full = |b: &str| {
            vec![
                (TaxType::A, d("0")),
                (TaxType::B, d(b)),
                (TaxType::C, d("0")),
                (TaxType::D, d("0")),
                (TaxType::E, d("8")),
            ]
        };
        assert_eq!(RateTable::from_rates(&full("16")).unwrap(), kra());
        let mut missing = full("16");
        missing.remove(2);
        let message = RateTable::from_rates(&missing).unwrap_err().to_string();
        assert!(
            message.contains("no rate for band C (Zero rated)"),
            "{message}"
        );
        let mut twice = full("16");
        twice.push((TaxType::B, d("16")));
        let message = RateTable::from_rates(&twice).unwrap_err().to_string();
        assert!(
            message.contains("band B (Standard rated VAT) more than one rate"),
            "{message}"
        );
        for bad in ["-1", "100.01", "16.125"] {
            let message = RateTable::from_rates(&full(bad)).unwrap_err().to_string();
            assert!(message.contains(&format!("{bad}%")), "{message}");
        }
        assert!(RateTable::from_rates(&full("100")).is_ok());
        let message = RateTable::from_code_list(&[("B", "sixteen", "Standard")])
            .unwrap_err()
            .to_string();
        assert!(message.contains("'sixteen'"), "{message}");
        let message = RateTable::from_code_list(&[("X", "16", "?")])
            .unwrap_err()
            .to_string();
        assert!(message.contains("'X'"), "{message}");
        // A table on the wire is checked too.
        let partial = serde_json::json!([{ "tax_type": "B", "rate": "16" }]);
        assert!(serde_json::from_value::<RateTable>(partial).is_err());
    }

    #[test]
    fn a_document_reports_a_missing_band_as_unused() {
        let mut totals = compute(&[b16("1")], PriceBasis::Exclusive, &kra()).unwrap();
        totals.bands.retain(|b| b.tax_type != TaxType::E);
        let e = totals.band(TaxType::E);
        assert_eq!(
            (e.tax_type, e.used, e.tax_amount),
            (TaxType::E, false, Decimal::ZERO)
        );
        assert_eq!(header_rate(e, UnusedBandRate::Zero), Decimal::ZERO);
        assert!(totals.band(TaxType::B).used);
    }

    /// (name, lines, basis, what the message must say).
    type ErrorCase = (&'static str, Vec<LineInput>, PriceBasis, &'static str);

    fn error_cases() -> Vec<ErrorCase> {
        let ex = PriceBasis::Exclusive;
        let with = |quantity: Decimal, unit_price: Decimal, discount: Discount| LineInput {
            quantity,
            unit_price,
            discount,
            tax_type: TaxType::B,
        };
        vec![
            ("empty sale", vec![], ex, "A sale needs at least one line"),
            (
                "negative price",
                vec![b16("1"), line("1", "-5", "", "B")],
                ex,
                "Line 2: the unit price -5 is negative",
            ),
            (
                "zero quantity",
                vec![line("0", "5", "", "B")],
                ex,
                "Line 1: the quantity is 0",
            ),
            (
                "negative quantity",
                vec![b16("1"), b16("2"), line("-1", "5", "", "B")],
                ex,
                "Line 3: the quantity is -1",
            ),
            (
                "five-decimal quantity",
                vec![line("1.00001", "5", "", "B")],
                ex,
                "Line 1: the quantity 1.00001 has more than 4 decimal places",
            ),
            (
                "five-decimal price",
                vec![line("1", "5.00001", "", "B")],
                ex,
                "Line 1: the unit price 5.00001 has more than 4 decimal places",
            ),
            (
                "discount 101%",
                vec![b16("1"), b16("1"), line("1", "5", "101%", "B")],
                ex,
                "Line 3: the discount 101% is above 100%; enter a percentage from 0 to 100.",
            ),
            (
                "negative discount",
                vec![line("1", "5", "-1%", "B")],
                ex,
                "Line 1: the discount -1% is negative",
            ),
            (
                "three-decimal discount percentage",
                vec![line("1", "5", "10.125%", "B")],
                ex,
                "Line 1: the discount 10.125% has more than 2 decimal places",
            ),
            (
                "amount discount above the supply",
                vec![line("2", "5.00", "10.01", "B")],
                ex,
                "Line 1: the discount 10.01 is more than the line's amount before discount (10.00)",
            ),
            (
                "negative amount discount",
                vec![line("2", "5.00", "-1", "B")],
                PriceBasis::Inclusive,
                "Line 1: the discount -1 is negative",
            ),
            (
                "price above the maximum",
                vec![line("1", "1000000000000000.0001", "", "B")],
                ex,
                "Line 1: the unit price 1000000000000000.0001 is above the largest amount \
                 Hesabu accepts (1,000,000,000,000,000)",
            ),
            (
                "Decimal::MAX price",
                vec![with(Decimal::ONE, Decimal::MAX, Discount::None)],
                ex,
                "Line 1: the unit price 79228162514264337593543950335 is above",
            ),
            (
                "Decimal::MIN price",
                vec![with(Decimal::ONE, Decimal::MIN, Discount::None)],
                ex,
                "is negative",
            ),
            (
                "Decimal::MAX quantity",
                vec![with(Decimal::MAX, Decimal::ONE, Discount::None)],
                ex,
                "Line 1: the quantity 79228162514264337593543950335 is above",
            ),
            (
                "Decimal::MAX amount discount",
                vec![with(
                    Decimal::ONE,
                    Decimal::ONE,
                    Discount::Amount(Decimal::MAX),
                )],
                ex,
                "Line 1: the discount 79228162514264337593543950335 is above",
            ),
            (
                "Decimal::MAX percent discount",
                vec![with(
                    Decimal::ONE,
                    Decimal::ONE,
                    Discount::Percent(Decimal::MAX),
                )],
                ex,
                "above 100%",
            ),
            (
                "quantity x price above the maximum",
                vec![line("100000000", "100000000", "", "B")],
                ex,
                "Line 1: quantity × unit price (100000000 × 100000000) is above the largest amount",
            ),
            (
                "largest quantity at the largest price",
                vec![with(MAX_AMOUNT, MAX_AMOUNT, Discount::None)],
                ex,
                "Line 1: quantity × unit price (1000000000000000 × 1000000000000000) is above",
            ),
            (
                "line total with tax above the maximum",
                vec![line("1", "900000000000000", "", "B")],
                ex,
                "Line 1: the line total with tax is 1044000000000000.00, above",
            ),
            (
                "document total above the maximum",
                vec![
                    line("1", "600000000000000", "", "A"),
                    line("1", "600000000000000", "", "A"),
                ],
                PriceBasis::Inclusive,
                "The sale's total before discount 1200000000000000.00 is above",
            ),
        ]
    }

    #[test]
    fn bad_input_is_refused_with_a_message_naming_the_line() {
        for (name, lines, basis, expected) in error_cases() {
            let error = compute(&lines, basis, &kra())
                .map(|t| t.total)
                .expect_err(name);
            assert_eq!(
                error.kind(),
                hesabu_store::error::ErrorKind::InvalidInput,
                "{name}"
            );
            let message = error.to_string();
            assert!(message.contains(expected), "{name}: {message}");
        }
    }

    #[test]
    fn compute_line_names_this_line() {
        let message = compute_line(&line("0", "1", "", "A"), PriceBasis::Inclusive, &kra())
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("This line: the quantity is 0"),
            "{message}"
        );
    }

    #[test]
    fn the_largest_allowed_amounts_compute() {
        // 10^15 exactly is allowed, in a band without tax and with the largest rate.
        let at_max = line("1", "1000000000000000", "", "A");
        let totals = compute(&[at_max], PriceBasis::Exclusive, &kra()).unwrap();
        assert_eq!(totals.total, MAX_AMOUNT);
        let totals = compute(&[b16("1000000000000000")], PriceBasis::Inclusive, &kra()).unwrap();
        assert_eq!(totals.total, MAX_AMOUNT);
        let hundred =
            RateTable::from_rates(&TaxType::ALL.map(|t| (t, Decimal::ONE_HUNDRED))).unwrap();
        let totals = compute(&[b16("0.01")], PriceBasis::Inclusive, &hundred).unwrap();
        // 0.01 / 2 = 0.005 → 0.01, so all of it is taxable.
        assert_eq!(
            (
                totals.total_taxable.to_string(),
                totals.total_tax.to_string()
            ),
            ("0.01".into(), "0.00".into())
        );
    }

    #[test]
    fn foreign_currency_lines_convert_before_the_maths() {
        let usd = vec![
            line("2", "10.00", "5.00", "B"),
            line("1", "0.0001", "", "A"),
            line("3", "19.99", "10%", "E"),
        ];
        let kes = in_base_currency(&usd, d("129.345678")).unwrap();
        // 10 × 129.345678 = 1293.45678 → 1293.4568; 5 × … = 646.72839 → 646.7284;
        // 0.0001 × … = 0.0129345678 → 0.0129; 19.99 × … = 2585.62010322 → 2585.6201.
        assert_eq!(kes[0].unit_price.to_string(), "1293.4568");
        assert_eq!(kes[0].discount, Discount::Amount(d("646.7284")));
        assert_eq!(kes[1].unit_price.to_string(), "0.0129");
        assert_eq!(kes[2].unit_price.to_string(), "2585.6201");
        assert_eq!(kes[2].discount, Discount::Percent(d("10")));
        assert_eq!(kes[2].quantity, d("3"));
        assert_eq!(kes[2].tax_type, TaxType::E);

        // Half-up at the 4th place: 0.0001 × 0.5 = 0.00005 → 0.0001.
        let half = in_base_currency(&[line("1", "0.0001", "", "A")], d("0.5")).unwrap();
        assert_eq!(half[0].unit_price.to_string(), "0.0001");

        // Then the KES sale is an ordinary sale (checked with Python's decimal module):
        // line 1: supply round2(2 × 1293.4568) = 2586.91, discount 646.73, taxable 1940.18,
        // tax 310.43; line 2: 0.01; line 3: supply 7756.86, discount 775.69, taxable 6981.17,
        // tax 558.49.
        let totals = compute(&kes, PriceBasis::Exclusive, &kra()).unwrap();
        assert_eq!(
            totals.band(TaxType::B).taxable_amount.to_string(),
            "1940.18"
        );
        assert_eq!(totals.band(TaxType::B).tax_amount.to_string(), "310.43");
        assert_eq!(totals.band(TaxType::A).taxable_amount.to_string(), "0.01");
        assert_eq!(
            totals.band(TaxType::E).taxable_amount.to_string(),
            "6981.17"
        );
        assert_eq!(totals.band(TaxType::E).tax_amount.to_string(), "558.49");
        assert_eq!(totals.total.to_string(), "9790.28");
    }

    #[test]
    fn a_full_amount_discount_stays_full_after_conversion() {
        // 0.005 × 1.2 = 0.006: the KES supply is round2(0.006) = 0.01, but the discount of the
        // whole foreign supply (0.01) converts to 0.012.
        let kes = in_base_currency(&[line("1", "0.005", "0.01", "B")], d("1.2")).unwrap();
        assert_eq!(kes[0].discount, Discount::Amount(d("0.01")));
        let totals = compute(&kes, PriceBasis::Exclusive, &kra()).unwrap();
        assert_eq!(totals.total.to_string(), "0.00");
        // A discount that was already too big is left for compute to refuse.
        let kes = in_base_currency(&[line("1", "1", "2", "B")], d("2")).unwrap();
        assert!(compute(&kes, PriceBasis::Exclusive, &kra()).is_err());
    }

    #[test]
    fn a_bad_exchange_rate_or_line_is_refused() {
        let lines = [b16("1")];
        for (rate, expected) in [
            ("0", "must be above 0"),
            ("-129", "must be above 0"),
            ("1.0000001", "more than 6 decimal places"),
        ] {
            let message = in_base_currency(&lines, d(rate)).unwrap_err().to_string();
            assert!(message.contains(expected), "{rate}: {message}");
        }
        let message = in_base_currency(&[b16("1"), line("1", "-2", "", "B")], d("130"))
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("Line 2: the unit price -2 is negative"),
            "{message}"
        );
        let message = in_base_currency(&[b16("1000000000000000")], Decimal::MAX)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("Line 1: the amounts are too large to convert"),
            "{message}"
        );
        assert!(in_base_currency(&[], d("130")).unwrap().is_empty());
    }

    #[test]
    fn max_amount_is_ten_to_the_fifteen() {
        assert_eq!(MAX_AMOUNT, d("1000000000000000"));
        assert_eq!(max_amount_text(), "1,000,000,000,000,000");
    }

    // -----------------------------------------------------------------------------------------
    // Properties
    // -----------------------------------------------------------------------------------------

    fn band_strategy() -> impl Strategy<Value = TaxType> {
        (0usize..5).prop_map(|i| TaxType::ALL[i])
    }

    /// Quantities 0.0001..10000 (4 places), prices 0..1,000,000 (2 places), any discount.
    fn line_strategy() -> impl Strategy<Value = LineInput> {
        (
            1i64..=100_000_000,
            0i64..=100_000_000,
            band_strategy(),
            0u8..3,
            0i64..=10_000,
            0i64..=1_000,
        )
            .prop_map(|(q, p, tax_type, kind, percent, per_mille)| {
                let quantity = Decimal::new(q, 4);
                let unit_price = Decimal::new(p, 2);
                let discount = match kind {
                    0 => Discount::None,
                    1 => Discount::Percent(Decimal::new(percent, 2)),
                    _ => {
                        // Up to the whole supply, with up to 4 places.
                        let supply = (quantity * unit_price).round_dp_with_strategy(2, ROUNDING);
                        let amount = supply * Decimal::new(per_mille, 3);
                        Discount::Amount(amount.round_dp_with_strategy(4, ROUNDING))
                    }
                };
                LineInput {
                    quantity,
                    unit_price,
                    discount,
                    tax_type,
                }
            })
    }

    fn rates_strategy() -> impl Strategy<Value = RateTable> {
        prop_oneof![
            Just(RateTable::kra_default()),
            proptest::array::uniform5(0i64..=10_000).prop_map(|r| {
                let rates = TaxType::ALL.map(|t| (t, Decimal::new(r[t.index()], 2)));
                RateTable::from_rates(&rates).unwrap()
            }),
        ]
    }

    fn basis_strategy() -> impl Strategy<Value = PriceBasis> {
        prop_oneof![Just(PriceBasis::Inclusive), Just(PriceBasis::Exclusive)]
    }

    fn at_most_two_places(value: Decimal) -> bool {
        value.normalize().scale() <= 2 && value.scale() == 2
    }

    proptest! {
        #[test]
        fn totals_add_up(
            lines in proptest::collection::vec(line_strategy(), 1..20),
            basis in basis_strategy(),
            rates in rates_strategy(),
        ) {
            let totals = compute(&lines, basis, &rates).unwrap();
            prop_assert_eq!(totals.lines.len(), lines.len());
            prop_assert_eq!(totals.bands.iter().map(|b| b.tax_type).collect::<Vec<_>>(), TaxType::ALL.to_vec());

            for (input, out) in lines.iter().zip(&totals.lines) {
                prop_assert_eq!(out.tax_type, input.tax_type);
                prop_assert_eq!(out.rate, rates.rate(input.tax_type));
                prop_assert_eq!(out.total_amount, out.taxable_amount + out.tax_amount);
                let after_discount = out.supply_amount - out.discount_amount;
                match basis {
                    PriceBasis::Inclusive => prop_assert_eq!(out.total_amount, after_discount),
                    PriceBasis::Exclusive => prop_assert_eq!(out.taxable_amount, after_discount),
                }
                for amount in [
                    out.rate, out.supply_amount, out.discount_rate, out.discount_amount,
                    out.taxable_amount, out.tax_amount, out.total_amount,
                ] {
                    prop_assert!(at_most_two_places(amount), "{amount}");
                    prop_assert!(amount >= Decimal::ZERO, "{amount}");
                }
            }

            for band in &totals.bands {
                let mine: Vec<&LineTotals> =
                    totals.lines.iter().filter(|l| l.tax_type == band.tax_type).collect();
                let taxable: Decimal = mine.iter().map(|l| l.taxable_amount).sum();
                let tax: Decimal = mine.iter().map(|l| l.tax_amount).sum();
                prop_assert_eq!(band.taxable_amount, taxable);
                prop_assert_eq!(band.tax_amount, tax);
                prop_assert_eq!(band.used, !mine.is_empty());
                prop_assert_eq!(band.rate, rates.rate(band.tax_type));
                prop_assert!(at_most_two_places(band.taxable_amount));
                prop_assert!(at_most_two_places(band.tax_amount));
            }

            let band_taxable: Decimal = totals.bands.iter().map(|b| b.taxable_amount).sum();
            let band_tax: Decimal = totals.bands.iter().map(|b| b.tax_amount).sum();
            prop_assert_eq!(totals.total_taxable, band_taxable);
            prop_assert_eq!(totals.total_tax, band_tax);
            prop_assert_eq!(totals.total, totals.total_taxable + totals.total_tax);
            let supply: Decimal = totals.lines.iter().map(|l| l.supply_amount).sum();
            let discount: Decimal = totals.lines.iter().map(|l| l.discount_amount).sum();
            prop_assert_eq!(totals.total_before_discount, supply);
            prop_assert_eq!(totals.total_discount, discount);
            if basis == PriceBasis::Inclusive {
                prop_assert_eq!(totals.total, supply - discount);
            }
            for amount in [
                totals.total_before_discount, totals.total_discount, totals.total_taxable,
                totals.total_tax, totals.total,
            ] {
                prop_assert!(at_most_two_places(amount), "{amount}");
            }
        }

        /// Whatever the numbers, the answer is totals or an error — never a panic.
        #[test]
        fn any_decimals_give_an_answer_not_a_panic(
            parts in proptest::collection::vec(
                (any::<(u32, u32, u32, bool)>(), 0u32..=28, any::<(u32, u32, u32, bool)>(), 0u32..=28, 0u8..3, band_strategy()),
                1..4,
            ),
            (p_lo, p_mid, p_hi, p_neg) in any::<(u32, u32, u32, bool)>(),
            p_scale in 0u32..=28,
            basis in basis_strategy(),
        ) {
            let price = Decimal::from_parts(p_lo, p_mid, p_hi, p_neg, p_scale);
            let lines: Vec<LineInput> = parts
                .into_iter()
                .map(|((q_lo, q_mid, q_hi, q_neg), q_scale, (a_lo, a_mid, a_hi, a_neg), a_scale, kind, tax_type)| {
                    let other = Decimal::from_parts(a_lo, a_mid, a_hi, a_neg, a_scale);
                    LineInput {
                        quantity: Decimal::from_parts(q_lo, q_mid, q_hi, q_neg, q_scale),
                        unit_price: price,
                        discount: match kind {
                            0 => Discount::None,
                            1 => Discount::Percent(other),
                            _ => Discount::Amount(other),
                        },
                        tax_type,
                    }
                })
                .collect();
            let _ = compute(&lines, basis, &RateTable::kra_default());
            let _ = in_base_currency(&lines, price);
        }
    }

    /// The gateway's own line arithmetic (spec §12.1, as the integrator checks it and as the
    /// local sandbox does): true when `r` passes it with the ledger's figures.
    fn gateway_accepts(
        basis: PriceBasis,
        quantity: Decimal,
        rate: Decimal,
        r: &RebasedLine,
    ) -> bool {
        let hundred = Decimal::ONE_HUNDRED;
        let supply = money(quantity * r.unit_price);
        let discount = money(supply * r.discount_rate / hundred);
        let after = supply - discount;
        let (net, tax) = match basis {
            PriceBasis::Inclusive => {
                let net = money(after * hundred / (hundred + rate));
                (net, after - net)
            }
            PriceBasis::Exclusive => (after, money(after * rate / hundred)),
        };
        supply == r.supply_amount
            && discount == r.discount_amount
            && net == r.taxable_amount
            && tax == r.tax_amount
            && net + tax == r.total_amount
    }

    fn ledger_line(quantity: &str, price: &str, disc: &str, basis: PriceBasis) -> LineTotals {
        let input = LineInput {
            quantity: d(quantity),
            unit_price: d(price),
            discount: discount(disc),
            tax_type: TaxType::B,
        };
        compute_line(&input, basis, &RateTable::kra_default()).unwrap()
    }

    #[test]
    fn an_exclusive_line_is_re_expressed_inclusive_to_the_cent() {
        use PriceBasis::{Exclusive, Inclusive};
        // (quantity, price, discount, expected inclusive price, discount rate)
        let cases = [
            // One unit at 1.00 less 10 %: 0.90 + 0.14 = 1.04; 1.16 less 10.34 % is 1.04.
            ("1", "1.00", "10%", "1.16", "10.34"),
            // Whole cents: 1000 + 160 = 1160 is 1160.00 a unit, no discount.
            ("1", "1000.00", "", "1160.00", "0.00"),
            // 116.00 for three units is no 2-place price: 3 × 38.67 = 116.01 less 0.01 %.
            ("3", "33.3333", "", "38.67", "0.01"),
            // 2.5 × 10.01 = 25.03 (supply rounds up), +16 % = 29.03 (4.0048 rounds down).
            ("2.5", "10.01", "", "11.62", "0.07"),
        ];
        for (q, price, disc, want_price, want_rate) in cases {
            let line = ledger_line(q, price, disc, Exclusive);
            let r = rebase_line(d(q), &line, Exclusive, Inclusive, d(price), "Line 1").unwrap();
            assert_eq!(
                (r.unit_price, r.discount_rate),
                (d(want_price), d(want_rate)),
                "{q} × {price} {disc}: {r:?}"
            );
            assert_eq!(
                (r.taxable_amount, r.tax_amount, r.total_amount),
                (line.taxable_amount, line.tax_amount, line.total_amount)
            );
            assert!(
                gateway_accepts(Inclusive, d(q), d("16"), &r),
                "{q} × {price}: {r:?}"
            );
        }
        // The same basis changes nothing when a 2-place price reproduces the supply.
        let line = ledger_line("2", "5.00", "", Exclusive);
        let r = rebase_line(d("2"), &line, Exclusive, Exclusive, d("5.00"), "Line 1").unwrap();
        assert_eq!(
            (r.unit_price, r.supply_amount),
            (d("5.00"), line.supply_amount)
        );
        // A 4-place price does not: 3 × 1000.457 = 3001.37, but 3 × 1000.46 = 3001.38. The
        // line is re-expressed with a 2-place price and discount rate that the gateway's own
        // arithmetic takes to the ledger's figures.
        let line = ledger_line("3", "1000.457", "", Exclusive);
        let r = rebase_line(d("3"), &line, Exclusive, Exclusive, d("1000.457"), "Line 1").unwrap();
        assert_eq!(
            (r.taxable_amount, r.tax_amount, r.total_amount),
            (line.taxable_amount, line.tax_amount, line.total_amount)
        );
        assert!(gateway_accepts(Exclusive, d("3"), d("16"), &r), "{r:?}");
    }

    #[test]
    fn an_inclusive_line_goes_exclusive_only_when_the_vat_splits_the_same_way() {
        use PriceBasis::{Exclusive, Inclusive};
        // 100 incl. = 86.21 + 13.79, and 16 % of 86.21 is 13.79: expressible.
        let line = ledger_line("1", "100.00", "", Inclusive);
        let r = rebase_line(d("1"), &line, Inclusive, Exclusive, d("100.00"), "Line 1").unwrap();
        assert_eq!(r.unit_price, d("86.21"));
        assert!(gateway_accepts(Exclusive, d("1"), d("16"), &r), "{r:?}");
        // 0.04 incl. = 0.03 + 0.01, but 16 % of 0.03 is 0.00 (0.0048): no exclusive line
        // gives the ledger's figures, so it is refused in words.
        let line = ledger_line("1", "0.04", "", Inclusive);
        let refused =
            rebase_line(d("1"), &line, Inclusive, Exclusive, d("0.04"), "Line 1").unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("Issue the sale on the exclusive basis"),
            "{refused}"
        );
    }

    proptest! {
        #[test]
        fn every_rebased_line_passes_the_gateway_s_arithmetic(
            q_cents in 1i64..=100_000,
            p_units in 0i64..=10_000_000,
            p_scale in 0u32..=4,
            disc in 0i64..=100,
            band in band_strategy(),
            from_inclusive in any::<bool>(),
            same_basis in any::<bool>(),
        ) {
            let (from, to) = match (from_inclusive, same_basis) {
                (true, false) => (PriceBasis::Inclusive, PriceBasis::Exclusive),
                (false, false) => (PriceBasis::Exclusive, PriceBasis::Inclusive),
                (true, true) => (PriceBasis::Inclusive, PriceBasis::Inclusive),
                (false, true) => (PriceBasis::Exclusive, PriceBasis::Exclusive),
            };
            let quantity = Decimal::new(q_cents, 2);
            let price = Decimal::new(p_units, p_scale);
            let input = LineInput {
                quantity,
                unit_price: price,
                discount: if disc == 0 { Discount::None } else { Discount::Percent(Decimal::from(disc)) },
                tax_type: band,
            };
            let rates = RateTable::kra_default();
            let line = compute_line(&input, from, &rates).unwrap();
            match rebase_line(quantity, &line, from, to, price, "Line 1") {
                Ok(r) => {
                    prop_assert!(gateway_accepts(to, quantity, rates.rate(band), &r), "{line:?} -> {r:?}");
                    prop_assert_eq!(
                        (r.taxable_amount, r.tax_amount, r.total_amount),
                        (line.taxable_amount, line.tax_amount, line.total_amount)
                    );
                }
                // Only the inclusive-to-exclusive split may be impossible, or a line above
                // 10,000 before discount: there a 2-place discount rate moves the discount by
                // more than a cent, so a supply that no 2-place price reaches may stay out of
                // reach (refused in words). Below it every exclusive line is expressible.
                Err(e) => prop_assert!(
                    from_inclusive || line.supply_amount > Decimal::from(10_000),
                    "{line:?}: {e}"
                ),
            }
        }
    }
}
