//! The input: a receipt as plain data (strings, [`Decimal`]s, small integers), filled by the app
//! layer from the sales ledger and the signed e-TIMS response. Nothing here computes tax: the
//! renderer prints what it is given, after checking that it adds up.

use rust_decimal::Decimal;

/// A sale (`rcptTyCd` `S`) or a credit note after a sale (`R`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiptKind {
    /// A tax invoice; receipt label `NS` (`CS` on a copy).
    Invoice,
    /// A credit note; printed with every amount negated; label `NC` (`CC` on a copy).
    CreditNote,
}

/// Which KRA system signed the receipt: it picks the host of the verification URL in the QR code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    /// `https://etims.kra.go.ke/...`
    Production,
    /// `https://etims-sbx.kra.go.ke/...`, for sandbox devices.
    Sandbox,
}

/// A KRA VAT band (`taxTyCd`, e-TIMS code list 04).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaxType {
    /// Exempt; printed `A-EX`.
    A,
    /// Standard rated VAT (16 %).
    B,
    /// Zero rated.
    C,
    /// Non-VAT.
    D,
    /// Reduced VAT (8 %).
    E,
}

impl TaxType {
    /// The five bands in KRA's order, the order of [`Receipt::bands`].
    pub const ALL: [TaxType; 5] = [TaxType::A, TaxType::B, TaxType::C, TaxType::D, TaxType::E];

    /// The band's letter.
    pub fn letter(self) -> &'static str {
        match self {
            TaxType::A => "A",
            TaxType::B => "B",
            TaxType::C => "C",
            TaxType::D => "D",
            TaxType::E => "E",
        }
    }

    /// What follows a line amount: the letter, and `A-EX` for exempt (`6,720.00B`,
    /// `1,000.00A-EX`).
    pub fn suffix(self) -> &'static str {
        match self {
            TaxType::A => "A-EX",
            other => other.letter(),
        }
    }

    /// The band's row label in the tax table: `A-EX`, `B-16%`, `C-0%`, `D-Non-VAT`, `E-8%`, with
    /// the rate the receipt carries (so a changed code list changes the label).
    pub fn label(self, rate: Decimal) -> String {
        match self {
            TaxType::A => "A-EX".to_owned(),
            TaxType::D => "D-Non-VAT".to_owned(),
            other => format!("{}-{}%", other.letter(), rate.normalize()),
        }
    }
}

/// The seller: the taxpayer and branch the SCU is registered to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seller {
    /// The trading name printed at the top (`trdeNm`).
    pub trading_name: String,
    /// Shop address and city; a `\n` starts a new printed line.
    pub address: String,
    /// The seller's KRA PIN (`tin`), 11 characters.
    pub pin: String,
    /// The KRA branch id (`bhfId`), 2 characters (`00` = head office).
    pub branch_id: String,
    /// The header commercial message (`topMsg`), if any; `\n` starts a new line.
    pub top_message: Option<String>,
    /// The footer commercial message (`btmMsg`), if any; `\n` starts a new line.
    pub bottom_message: Option<String>,
}

/// The buyer, printed only when known: KRA never wants a PIN invented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    /// The buyer's name (`custNm`); may be empty when only the PIN is known.
    pub name: String,
    /// The buyer's KRA PIN (`custTin`), if given.
    pub pin: Option<String>,
}

/// One item line, with the amounts KRA signed (as in the payload: positive, also on a credit
/// note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The item name (`itemNm`).
    pub description: String,
    /// Quantity (`qty`).
    pub quantity: Decimal,
    /// Unit price (`prc`).
    pub unit_price: Decimal,
    /// Discount in percent (`dcRt`); zero when none.
    pub discount_rate: Decimal,
    /// Discount amount (`dcAmt`); zero when none.
    pub discount_amount: Decimal,
    /// The line amount before discount, quantity × unit price (`splyAmt`). Printed with the tax
    /// letter; the lines' amounts add up to [`Totals::before_discount`].
    pub amount: Decimal,
    /// The line's VAT band (`taxTyCd`).
    pub tax_type: TaxType,
}

/// The document's totals, as KRA signed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// The sum of the lines' amounts: `TOTAL BEFORE DISCOUNT`.
    pub before_discount: Decimal,
    /// The sum of the lines' discounts: `TOTAL DISCOUNT AWARDED` (printed only when not zero).
    pub discount: Decimal,
    /// The taxable amount excluding VAT (`totTaxblAmt`): `SUB TOTAL`.
    pub sub_total: Decimal,
    /// The VAT (`totTaxAmt`): `VAT`.
    pub vat: Decimal,
    /// The grand total (`totAmt`), `sub_total + vat`: `TOTAL`.
    pub total: Decimal,
}

/// One row of the tax table: a band's rate, taxable amount and tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Band {
    /// The band's rate in percent (`taxRtX`), e.g. 16 for B.
    pub rate: Decimal,
    /// Taxable amount excluding VAT (`taxblAmtX`).
    pub taxable: Decimal,
    /// The tax (`taxAmtX`).
    pub tax: Decimal,
}

impl Band {
    /// A band with the given rate and nothing in it.
    pub fn empty(rate: Decimal) -> Band {
        Band {
            rate,
            taxable: Decimal::ZERO,
            tax: Decimal::ZERO,
        }
    }
}

/// How the buyer paid, with the amount (`CASH 6,340.00`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// The payment method's name as printed (`CASH`, `MOBILE MONEY`).
    pub method: String,
    /// The amount paid that way.
    pub amount: Decimal,
}

/// What KRA's SCU returned when it signed the document (`saveTrnsSalesOsdc` response), with
/// the device's `sdcId` and `mrcNo` snapshotted at signing time. Only a receipt carrying one
/// prints as a fiscal receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The SCU id (`sdcId`), e.g. `KRACU0100000001`.
    pub sdc_id: String,
    /// The MRC number (`mrcNo`), printed under TIS INFORMATION.
    pub mrc_no: String,
    /// The receipt counter of this receipt type (`curRcptNo`).
    pub cur_rcpt_no: u64,
    /// The total receipt counter (`totRcptNo`).
    pub tot_rcpt_no: u64,
    /// Internal data (`intrlData`), printed dashed every 4 characters.
    pub intrl_data: String,
    /// The receipt signature (`rcptSign`), 16 characters; printed dashed and put in the QR code.
    pub rcpt_sign: String,
    /// The SCU's signing time (`sdcDateTime`) exactly as KRA sent it: `yyyyMMddHHmmss`, or
    /// `yyyy-MM-dd HH:mm:ss.S` as `selectInvoiceDetails` returns it. Printed as the receipt's
    /// date and time under SCU INFORMATION.
    pub sdc_date_time: String,
    /// Which KRA system signed it.
    pub environment: Environment,
}

/// A calendar date and time of day, Nairobi local time, as the app's clock gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

/// Everything printed on one receipt. Fill it from stored data only: a reprint must come from
/// what was stored at signing, never from a second call to KRA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub kind: ReceiptKind,
    pub seller: Seller,
    pub buyer: Option<Buyer>,
    /// Our document number (`trdInvcNo`), e.g. `INV/2024/00002`.
    pub number: String,
    /// When we issued the document: the invoice date in the header, date and time under TIS
    /// INFORMATION.
    pub issued_at: Stamp,
    pub lines: Vec<Line>,
    pub totals: Totals,
    /// The tax table, bands A, B, C, D, E in that order; all five are printed.
    pub bands: [Band; 5],
    pub payments: Vec<Payment>,
    /// KRA's signature; `None` prints "THIS IS NOT AN OFFICIAL RECEIPT" and no SCU block or QR.
    pub signature: Option<Signature>,
    /// For a credit note: the original sale's CU invoice number `{sdcId}/{curRcptNo}` (not our
    /// document number). Required on a credit note, refused on an invoice.
    pub original_cu_invoice: Option<String>,
    /// A reprint: marked COPY (watermark and a large bold COPY) and labelled `CS`/`CC`.
    pub copy: bool,
}
