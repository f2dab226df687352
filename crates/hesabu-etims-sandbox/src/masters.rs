//! Masters: items (`saveItem`, `selectItemList`, composition, imported items) and the branch's
//! customers, users and insurers (spec §6, §7, §4 rows 7–14).

use chrono::NaiveDateTime;
use hesabu_etims::types::customers::BranchCustomerRequest;
use hesabu_etims::types::items::{ItemListData, RegisteredItem, SaveItemRequest};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Profile;
use crate::kra::{Answer, DeviceKey, Kra, changed_after, non_empty, parse, required, valid_pin};
use crate::reference::Stamped;

/// `BhfUserSaveReq` (spec §4 row 8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BranchUser {
    pub user_id: String,
    pub user_nm: String,
    /// Kept only to prove it was sent; never listed back.
    #[serde(skip_serializing)]
    pub pwd: String,
    #[serde(default)]
    pub adrs: Option<String>,
    #[serde(default)]
    pub cntc: Option<String>,
    #[serde(default)]
    pub auth_cd: Option<String>,
    #[serde(default)]
    pub remark: Option<String>,
    pub use_yn: String,
    pub regr_id: String,
    pub regr_nm: String,
    pub modr_id: String,
    pub modr_nm: String,
}

/// `BhfInsuranceSaveReq` (spec §4 row 9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Insurance {
    pub isrcc_cd: String,
    pub isrcc_nm: String,
    #[serde(with = "hesabu_etims::amount")]
    pub isrc_rt: Decimal,
    pub use_yn: String,
    pub regr_id: String,
    pub regr_nm: String,
    pub modr_id: String,
    pub modr_nm: String,
}

/// `saveItemComposition` (spec §4 row 12).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Composition {
    item_cd: String,
    cpst_item_cd: String,
    #[serde(with = "hesabu_etims::amount")]
    cpst_qty: Decimal,
    regr_id: String,
    regr_nm: String,
}

/// An imported item waiting at customs (`selectImportItemList`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImportItem {
    pub task_cd: String,
    pub dcl_de: String,
    pub item_seq: u32,
    pub dcl_no: String,
    pub hs_cd: String,
    pub item_nm: String,
    /// Class 26: `2` waiting, `3` approved, `4` cancelled.
    pub impt_item_stts_cd: String,
    pub orgn_nat_cd: String,
    pub expt_nat_cd: String,
    #[serde(with = "hesabu_etims::amount")]
    pub pkg: Decimal,
    pub pkg_unit_cd: String,
    #[serde(with = "hesabu_etims::amount")]
    pub qty: Decimal,
    pub qty_unit_cd: String,
    #[serde(with = "hesabu_etims::amount")]
    pub tot_wt: Decimal,
    #[serde(with = "hesabu_etims::amount")]
    pub net_wt: Decimal,
    pub spplr_nm: String,
    pub agnt_nm: String,
    #[serde(with = "hesabu_etims::amount")]
    pub invc_fcur_amt: Decimal,
    pub invc_fcur_cd: String,
    #[serde(with = "hesabu_etims::amount")]
    pub invc_fcur_excrt: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_cls_cd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_cd: Option<String>,
}

/// `ImportItemUpdateReq` (spec §4 row 14).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImportUpdate {
    task_cd: String,
    dcl_de: String,
    item_seq: u32,
    item_cls_cd: String,
    item_cd: String,
    impt_item_stts_cd: String,
    #[serde(default)]
    #[allow(dead_code)] // read for completeness of the request shape
    remark: Option<String>,
    modr_id: String,
    modr_nm: String,
}

/// Two customs declarations per new device, waiting for the taxpayer's decision.
pub(crate) fn seeded_imports(at: NaiveDateTime) -> Vec<Stamped<ImportItem>> {
    let item = |seq: u32, hs: &str, name: &str, qty: i64, amount: i64| ImportItem {
        task_cd: "2231943".to_owned(),
        dcl_de: "20240101".to_owned(),
        item_seq: seq,
        dcl_no: "C3460-2019-TZDL".to_owned(),
        hs_cd: hs.to_owned(),
        item_nm: name.to_owned(),
        impt_item_stts_cd: "2".to_owned(),
        orgn_nat_cd: "CN".to_owned(),
        expt_nat_cd: "CN".to_owned(),
        pkg: Decimal::from(qty),
        pkg_unit_cd: "CT".to_owned(),
        qty: Decimal::from(qty),
        qty_unit_cd: "NO".to_owned(),
        tot_wt: Decimal::from(qty * 2),
        net_wt: Decimal::from(qty * 2),
        spplr_nm: "Shenzhen Office Supply Co".to_owned(),
        agnt_nm: "Mombasa Clearing Agents".to_owned(),
        invc_fcur_amt: Decimal::from(amount),
        invc_fcur_cd: "USD".to_owned(),
        invc_fcur_excrt: Decimal::new(12950, 2),
        item_cls_cd: None,
        item_cd: None,
    };
    vec![
        Stamped::new(at, item(1, "8471300000", "Laptop computers", 10, 4500)),
        Stamped::new(at, item(2, "4820100000", "Notebooks", 200, 300)),
    ]
}

impl Kra {
    fn check_code(&self, cls: &str, field: &str, value: &str) -> Result<(), Answer> {
        if self.reference.has_code(cls, value) {
            Ok(())
        } else {
            Err(Answer::invalid(format!(
                "Invalid {field}: {value:?} is not a code of class {cls}"
            )))
        }
    }

    pub(crate) fn save_item(
        &mut self,
        profile: Profile,
        key: &DeviceKey,
        body: &str,
    ) -> Result<Answer, Answer> {
        let r: SaveItemRequest = parse(body)?;
        required(&[
            ("itemCd", &r.item_cd),
            ("itemClsCd", &r.item_cls_cd),
            ("itemTyCd", &r.item_ty_cd),
            ("itemNm", &r.item_nm),
            ("orgnNatCd", &r.orgn_nat_cd),
            ("pkgUnitCd", &r.pkg_unit_cd),
            ("qtyUnitCd", &r.qty_unit_cd),
            ("taxTyCd", &r.tax_ty_cd),
            ("isrcAplcbYn", &r.isrc_aplcb_yn),
            ("useYn", &r.use_yn),
            ("regrId", &r.regr_id),
            ("regrNm", &r.regr_nm),
            ("modrId", &r.modr_id),
            ("modrNm", &r.modr_nm),
        ])?;
        self.check_code("24", "itemTyCd", &r.item_ty_cd)?;
        self.check_code("04", "taxTyCd", &r.tax_ty_cd)?;
        self.check_code("17", "pkgUnitCd", &r.pkg_unit_cd)?;
        self.check_code("10", "qtyUnitCd", &r.qty_unit_cd)?;
        self.check_code("05", "orgnNatCd", &r.orgn_nat_cd)?;
        let known = self.taxpayer(&key.0).items.contains_key(&r.item_cd);
        let mut sequence = None;
        if profile == Profile::Integrator {
            if !self
                .reference
                .item_classes
                .iter()
                .any(|c| c.value.item_cls_cd == r.item_cls_cd)
            {
                return Err(Answer::invalid(format!(
                    "Invalid itemClsCd: {} is not an item classification code",
                    r.item_cls_cd
                )));
            }
            if !known {
                let next = self.taxpayer(&key.0).item_seq + 1;
                sequence = Some(check_item_code(&r, next).map_err(Answer::invalid)?);
            }
        }
        let at = self.change_stamp();
        let mut item: RegisteredItem = parse(body)?;
        item.tin = Some(key.0.clone());
        item.rra_mod_yn = Some("N".to_owned());
        let taxpayer = self.taxpayer(&key.0);
        // An update keeps the code and the branch that registered it (spec §7.1: permanent).
        item.reg_bhf_id = Some(
            taxpayer
                .items
                .get(&r.item_cd)
                .and_then(|s| s.value.reg_bhf_id.clone())
                .unwrap_or_else(|| key.1.clone()),
        );
        if let Some(seq) = sequence {
            taxpayer.item_seq = seq;
        }
        taxpayer
            .items
            .insert(r.item_cd.clone(), Stamped::new(at, item));
        Ok(Answer::saved())
    }

    pub(crate) fn item_list(&mut self, key: &DeviceKey, body: &str) -> Result<Answer, Answer> {
        let (_, after) = Self::list_request(body)?;
        let items: Vec<_> = self.taxpayer(&key.0).items.values().cloned().collect();
        let list = changed_after(&items, after);
        Ok(non_empty(list, |item_list| ItemListData { item_list }))
    }

    pub(crate) fn save_item_composition(
        &mut self,
        key: &DeviceKey,
        body: &str,
    ) -> Result<Answer, Answer> {
        let r: Composition = parse(body)?;
        required(&[
            ("itemCd", &r.item_cd),
            ("cpstItemCd", &r.cpst_item_cd),
            ("regrId", &r.regr_id),
            ("regrNm", &r.regr_nm),
        ])?;
        let taxpayer = self.taxpayer(&key.0);
        for code in [&r.item_cd, &r.cpst_item_cd] {
            if !taxpayer.items.contains_key(code) {
                return Err(Answer::invalid(format!(
                    "itemCd {code} is not registered: register it with saveItem first"
                )));
            }
        }
        if r.cpst_qty <= Decimal::ZERO {
            return Err(Answer::invalid("cpstQty must be greater than 0"));
        }
        taxpayer
            .compositions
            .insert((r.item_cd, r.cpst_item_cd), r.cpst_qty);
        Ok(Answer::saved())
    }

    pub(crate) fn import_items(&mut self, key: &DeviceKey, body: &str) -> Result<Answer, Answer> {
        let (_, after) = Self::list_request(body)?;
        let list = changed_after(&self.device(key).imports, after);
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct ImportData {
            item_list: Vec<ImportItem>,
        }
        Ok(non_empty(list, |item_list| ImportData { item_list }))
    }

    pub(crate) fn update_import_item(
        &mut self,
        key: &DeviceKey,
        body: &str,
    ) -> Result<Answer, Answer> {
        let r: ImportUpdate = parse(body)?;
        required(&[
            ("taskCd", &r.task_cd),
            ("dclDe", &r.dcl_de),
            ("itemClsCd", &r.item_cls_cd),
            ("itemCd", &r.item_cd),
            ("imptItemSttsCd", &r.impt_item_stts_cd),
            ("modrId", &r.modr_id),
            ("modrNm", &r.modr_nm),
        ])?;
        if !matches!(r.impt_item_stts_cd.as_str(), "3" | "4") {
            return Err(Answer::invalid(format!(
                "Invalid imptItemSttsCd {:?}: send 3 (approved) or 4 (cancelled)",
                r.impt_item_stts_cd
            )));
        }
        if !self.taxpayer(&key.0).items.contains_key(&r.item_cd) {
            return Err(Answer::invalid(format!(
                "itemCd {} is not registered: register it with saveItem first",
                r.item_cd
            )));
        }
        let at = self.change_stamp();
        let device = self.device(key);
        let Some(import) = device.imports.iter_mut().find(|i| {
            i.value.task_cd == r.task_cd
                && i.value.dcl_de == r.dcl_de
                && i.value.item_seq == r.item_seq
        }) else {
            return Err(Answer::invalid(format!(
                "The imported item {}/{}/{} does not exist",
                r.task_cd, r.dcl_de, r.item_seq
            )));
        };
        import.at = at;
        import.value.impt_item_stts_cd = r.impt_item_stts_cd;
        import.value.item_cls_cd = Some(r.item_cls_cd);
        import.value.item_cd = Some(r.item_cd);
        Ok(Answer::saved())
    }

    pub(crate) fn save_branch_customer(
        &mut self,
        profile: Profile,
        key: &DeviceKey,
        body: &str,
    ) -> Result<Answer, Answer> {
        let r: BranchCustomerRequest = parse(body)?;
        let mut fields = vec![
            ("custNo", r.cust_no.as_str()),
            ("custNm", &r.cust_nm),
            ("useYn", &r.use_yn),
            ("regrId", &r.regr_id),
            ("regrNm", &r.regr_nm),
            ("modrId", &r.modr_id),
            ("modrNm", &r.modr_nm),
        ];
        // Only the integrator refuses an empty PIN (spec §6).
        if profile == Profile::Integrator {
            fields.insert(1, ("custTin", &r.cust_tin));
        }
        required(&fields)?;
        if !r.cust_tin.trim().is_empty() && !valid_pin(r.cust_tin.trim()) {
            return Err(Answer::invalid(format!(
                "Invalid custTin {:?}: a KRA PIN is a letter, nine digits and a letter",
                r.cust_tin
            )));
        }
        let at = self.change_stamp();
        self.device(key)
            .customers
            .insert(r.cust_no.clone(), Stamped::new(at, r));
        Ok(Answer::saved())
    }

    pub(crate) fn customer_list(&mut self, key: &DeviceKey, body: &str) -> Result<Answer, Answer> {
        let (_, after) = Self::list_request(body)?;
        let customers: Vec<_> = self.device(key).customers.values().cloned().collect();
        let list = changed_after(&customers, after);
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct CustomerData {
            cust_list: Vec<BranchCustomerRequest>,
        }
        Ok(non_empty(list, |cust_list| CustomerData { cust_list }))
    }

    pub(crate) fn save_branch_user(
        &mut self,
        key: &DeviceKey,
        body: &str,
    ) -> Result<Answer, Answer> {
        let r: BranchUser = parse(body)?;
        required(&[
            ("userId", &r.user_id),
            ("userNm", &r.user_nm),
            ("pwd", &r.pwd),
            ("useYn", &r.use_yn),
            ("regrId", &r.regr_id),
            ("regrNm", &r.regr_nm),
            ("modrId", &r.modr_id),
            ("modrNm", &r.modr_nm),
        ])?;
        let at = self.change_stamp();
        self.device(key)
            .users
            .insert(r.user_id.clone(), Stamped::new(at, r));
        Ok(Answer::saved())
    }

    pub(crate) fn save_branch_insurance(
        &mut self,
        key: &DeviceKey,
        body: &str,
    ) -> Result<Answer, Answer> {
        let r: Insurance = parse(body)?;
        required(&[
            ("isrccCd", &r.isrcc_cd),
            ("isrccNm", &r.isrcc_nm),
            ("useYn", &r.use_yn),
            ("regrId", &r.regr_id),
            ("regrNm", &r.regr_nm),
            ("modrId", &r.modr_id),
            ("modrNm", &r.modr_nm),
        ])?;
        if r.isrc_rt < Decimal::ZERO || r.isrc_rt > Decimal::ONE_HUNDRED {
            return Err(Answer::invalid(format!(
                "Invalid isrcRt {}: a rate between 0 and 100",
                r.isrc_rt
            )));
        }
        let at = self.change_stamp();
        self.device(key)
            .insurances
            .insert(r.isrcc_cd.clone(), Stamped::new(at, r));
        Ok(Answer::saved())
    }
}

/// The integrator's item-code rule (spec §7.1): `orgnNatCd(2) itemTyCd(1) pkgUnitCd(2)
/// qtyUnitCd(2) sequence(7)`, the parts matching the flat fields, the sequence the next unused
/// one of the PIN. Returns the sequence.
fn check_item_code(r: &SaveItemRequest, next: u64) -> Result<u64, String> {
    let code = r.item_cd.as_str();
    if r.qty_unit_cd.len() != 2 {
        return Err("Incorrect QtyUnitCd Prefix".to_owned());
    }
    if code.len() != 14 || !code.is_ascii() {
        return Err(format!(
            "Invalid itemCd {code}: expected 14 characters, origin country (2), item type (1), \
             packaging unit (2), quantity unit (2) and a 7-digit sequence"
        ));
    }
    let parts = [
        ("OrgnNatCd", &code[0..2], r.orgn_nat_cd.as_str()),
        ("ItemTyCd", &code[2..3], r.item_ty_cd.as_str()),
        ("PkgUnitCd", &code[3..5], r.pkg_unit_cd.as_str()),
        ("QtyUnitCd", &code[5..7], r.qty_unit_cd.as_str()),
    ];
    for (name, found, expected) in parts {
        if found != expected {
            return Err(format!("The ItemCd isn't made up of correct {name}"));
        }
    }
    let sequence = &code[7..];
    let number: u64 = sequence
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| sequence.parse().ok())
        .flatten()
        .ok_or_else(|| format!("Invalid itemCd Sequence {sequence:?}: expected 7 digits"))?;
    if number != next {
        return Err(format!(
            "Invalid itemCd Sequence. Expected sequence ending with: ********{next}"
        ));
    }
    Ok(number)
}
