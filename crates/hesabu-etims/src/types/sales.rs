//! Sales and credit notes: `saveTrnsSalesOsdc` (integrator `/sendSalesTransaction`) and the
//! recovery lookup `selectInvoiceDetails` (integrator `/selectInvoiceDetail`), spec §5.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::LineItem;
use crate::lenient;

/// `rcptTyCd` of a sale.
pub const RECEIPT_SALE: &str = "S";
/// `rcptTyCd` of a credit note after a sale.
pub const RECEIPT_CREDIT_NOTE: &str = "R";

/// `TrnsSalesSaveWrReq`: one sale (`rcptTyCd` `S`) or credit note (`R`), signed by KRA in one
/// call. This is the frozen outbox payload: build it once, store its JSON
/// ([`SaveSaleRequest::to_json`]), and resend exactly that.
///
/// Amounts are positive on credit notes too. Line and band arithmetic (exclusive or inclusive
/// price basis, spec §12) is the payload builder's job, not checked here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveSaleRequest {
    /// Our sequential eTIMS invoice number for this device (sales and credit notes share it).
    pub invc_no: u64,
    /// `0` for a sale; the original sale's `invcNo` for a credit note.
    pub org_invc_no: u64,
    /// Our own document number (free text, ≤ 50).
    pub trd_invc_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cust_tin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cust_nm: Option<String>,
    /// `N` normal (also `C` copy, `P` proforma, `T` training). Omitted by Odoo; the integrator
    /// sample sends `N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_ty_cd: Option<String>,
    /// [`RECEIPT_SALE`] or [`RECEIPT_CREDIT_NOTE`].
    pub rcpt_ty_cd: String,
    /// Payment type (code class 07); Odoo sends `""` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pmt_ty_cd: Option<String>,
    /// Transaction progress (class 11): `02` approved.
    pub sales_stts_cd: String,
    /// `yyyyMMddHHmmss`, Nairobi.
    pub cfm_dt: String,
    /// `yyyyMMdd`.
    pub sales_dt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_rls_dt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cncl_req_dt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cncl_dt: Option<String>,
    /// Credit-note date; the integrator requires it on `R`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfd_dt: Option<String>,
    /// Credit-note reason (class 32); required in practice on `R`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfd_rsn_cd: Option<String>,
    pub tot_item_cnt: u32,
    #[serde(with = "crate::amount")]
    pub taxbl_amt_a: Decimal,
    #[serde(with = "crate::amount")]
    pub taxbl_amt_b: Decimal,
    #[serde(with = "crate::amount")]
    pub taxbl_amt_c: Decimal,
    #[serde(with = "crate::amount")]
    pub taxbl_amt_d: Decimal,
    #[serde(with = "crate::amount")]
    pub taxbl_amt_e: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_rt_a: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_rt_b: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_rt_c: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_rt_d: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_rt_e: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_amt_a: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_amt_b: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_amt_c: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_amt_d: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_amt_e: Decimal,
    #[serde(with = "crate::amount")]
    pub tot_taxbl_amt: Decimal,
    #[serde(with = "crate::amount")]
    pub tot_tax_amt: Decimal,
    #[serde(with = "crate::amount")]
    pub tot_amt: Decimal,
    pub prchr_acptc_yn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    pub regr_id: String,
    pub regr_nm: String,
    pub modr_id: String,
    pub modr_nm: String,
    pub receipt: SaleReceipt,
    pub item_list: Vec<SaleItem>,
}

impl SaveSaleRequest {
    pub fn is_credit_note(&self) -> bool {
        self.rcpt_ty_cd == RECEIPT_CREDIT_NOTE
    }

    /// The exact JSON sent to KRA (store it: reprints and resends use it, spec §5.5).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// Reads a stored payload back, amounts exact.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// The `receipt` sub-object (spec §5.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleReceipt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cust_tin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cust_mbl_no: Option<String>,
    /// "Report number"; the spec sample and Navari send `1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpt_no: Option<u64>,
    /// `yyyyMMddHHmmss` (peers use `cfmDt`).
    pub rcpt_pbct_dt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trde_nm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adrs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_msg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub btm_msg: Option<String>,
    pub prchr_acptc_yn: String,
}

/// One `itemList[]` line (spec §5.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleItem {
    /// 1-based.
    pub item_seq: u32,
    /// The code registered with `saveItem`.
    pub item_cd: String,
    pub item_cls_cd: String,
    pub item_nm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bcd: Option<String>,
    pub pkg_unit_cd: String,
    #[serde(with = "crate::amount")]
    pub pkg: Decimal,
    pub qty_unit_cd: String,
    #[serde(with = "crate::amount")]
    pub qty: Decimal,
    #[serde(with = "crate::amount")]
    pub prc: Decimal,
    #[serde(with = "crate::amount")]
    pub sply_amt: Decimal,
    #[serde(with = "crate::amount")]
    pub dc_rt: Decimal,
    #[serde(with = "crate::amount")]
    pub dc_amt: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isrcc_cd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isrcc_nm: Option<String>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub isrc_rt: Option<Decimal>,
    #[serde(
        default,
        with = "crate::amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub isrc_amt: Option<Decimal>,
    /// `A`–`E`.
    pub tax_ty_cd: String,
    /// Net of VAT, after discount.
    #[serde(with = "crate::amount")]
    pub taxbl_amt: Decimal,
    #[serde(with = "crate::amount")]
    pub tax_amt: Decimal,
    #[serde(with = "crate::amount")]
    pub tot_amt: Decimal,
}

/// `data` of a signed sale (`TrnsSalesSaveWrRes`, spec §5.5): what the receipt prints. The
/// response does not repeat `sdcId`/`mrcNo`; take them from the device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveSaleData {
    /// The receipt counter of this receipt type (a number or a string on the wire).
    #[serde(deserialize_with = "lenient::u64")]
    pub cur_rcpt_no: u64,
    /// The counter over all receipt types.
    #[serde(deserialize_with = "lenient::u64")]
    pub tot_rcpt_no: u64,
    /// Internal data (26 characters), printed dashed every 4.
    pub intrl_data: String,
    /// Receipt signature (16 characters), printed dashed and put in the QR URL.
    pub rcpt_sign: String,
    /// KRA's signing time, `yyyyMMddHHmmss` Nairobi, printed as the receipt's date and time.
    pub sdc_date_time: String,
}

/// `{ "invcNo": n }`: fetch one of our invoices back (after a timeout or a `994`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceDetailsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bhf_id: Option<String>,
    pub invc_no: u64,
}

/// `data` of `selectInvoiceDetails`; `001` (no data) means KRA has no such invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceDetailsData {
    #[serde(default)]
    pub sales_list: Vec<InvoiceDetail>,
}

impl InvoiceDetailsData {
    /// The invoice KRA holds under `invc_no` (the first, if KRA lists no numbers).
    pub fn invoice(&self, invc_no: u64) -> Option<&InvoiceDetail> {
        self.sales_list
            .iter()
            .find(|s| s.invc_no == Some(invc_no))
            .or_else(|| self.sales_list.iter().find(|s| s.invc_no.is_none()))
    }
}

/// A sale as KRA stored it: the request's fields, read leniently (dates may come as
/// `yyyy-MM-dd HH:mm:ss`, counters as strings), with the signature in `receipt`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceDetail {
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub invc_no: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub org_invc_no: Option<u64>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub trd_invc_no: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cust_tin: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cust_nm: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub sales_ty_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub rcpt_ty_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub pmt_ty_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sales_stts_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cfm_dt: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sales_dt: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub stock_rls_dt: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub cncl_req_dt: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub cncl_dt: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub rfd_dt: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub rfd_rsn_cd: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub tot_item_cnt: Option<u32>,
    #[serde(default, with = "crate::amount::option")]
    pub taxbl_amt_a: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub taxbl_amt_b: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub taxbl_amt_c: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub taxbl_amt_d: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub taxbl_amt_e: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_rt_a: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_rt_b: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_rt_c: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_rt_d: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_rt_e: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_amt_a: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_amt_b: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_amt_c: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_amt_d: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tax_amt_e: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tot_taxbl_amt: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tot_tax_amt: Option<Decimal>,
    #[serde(default, with = "crate::amount::option")]
    pub tot_amt: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub prchr_acptc_yn: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub remark: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub regr_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub regr_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub modr_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub modr_nm: Option<String>,
    #[serde(default)]
    pub receipt: Option<InvoiceReceipt>,
    #[serde(default)]
    pub item_list: Vec<LineItem>,
}

/// The stored `receipt`, with the signature fields of [`SaveSaleData`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceReceipt {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cust_tin: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub cust_mbl_no: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub rpt_no: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub rcpt_pbct_dt: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub trde_nm: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub adrs: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub top_msg: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub btm_msg: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub prchr_acptc_yn: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub cur_rcpt_no: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub tot_rcpt_no: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub intrl_data: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub rcpt_sign: Option<String>,
    /// `yyyy-MM-dd HH:mm:ss.S` here, unlike the save answer.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sdc_date_time: Option<String>,
}

impl InvoiceDetail {
    /// The signature KRA gave this invoice, in the shape of a save answer (`sdcDateTime`
    /// rewritten as `yyyyMMddHHmmss`): what a timed-out or `994` send adopts (spec §11.2).
    /// `None` when a signature field is missing.
    pub fn signature(&self) -> Option<SaveSaleData> {
        let r = self.receipt.as_ref()?;
        let raw_time = r.sdc_date_time.as_deref()?;
        Some(SaveSaleData {
            cur_rcpt_no: r.cur_rcpt_no?,
            tot_rcpt_no: r.tot_rcpt_no?,
            intrl_data: r.intrl_data.clone()?,
            rcpt_sign: r.rcpt_sign.clone()?,
            sdc_date_time: crate::dates::normalise_datetime(raw_time)
                .unwrap_or_else(|_| raw_time.to_owned()),
        })
    }
}
