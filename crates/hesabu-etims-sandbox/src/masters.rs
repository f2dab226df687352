//! Masters: items (`saveItem`, `selectItemList`, composition, imported items) and the branch's
//! customers, users and insurers (spec §6, §7, §4 rows 7–14).

use hesabu_etims::types::customers::BranchCustomerRequest;
use hesabu_etims::types::imports::{
    IMPORT_APPROVED, IMPORT_CANCELLED, IMPORT_WAITING, ImportItemUpdateRequest,
};
use hesabu_etims::types::insurance::BranchInsuranceRequest;
use hesabu_etims::types::items::{
    ItemCompositionRequest, ItemListData, RegisteredItem, SaveItemRequest,
};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::Profile;
use crate::kra::{Answer, DeviceKey, Kra, changed_after, non_empty, parse, required, valid_pin};
use crate::reference::Stamped;

pub(crate) use crate::seeds::{BranchUser, ImportItem, Insurance};

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
        let r: ItemCompositionRequest = parse(body)?;
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
        let r: ImportItemUpdateRequest = parse(body)?;
        required(&[
            ("taskCd", &r.task_cd),
            ("dclDe", &r.dcl_de),
            ("imptItemSttsCd", &r.impt_item_stts_cd),
            ("modrId", &r.modr_id),
            ("modrNm", &r.modr_nm),
        ])?;
        let approved = match r.impt_item_stts_cd.as_str() {
            IMPORT_APPROVED => true,
            IMPORT_CANCELLED => false,
            other => {
                return Err(Answer::invalid(format!(
                    "Invalid imptItemSttsCd {other:?}: send 3 (approved) or 4 (cancelled)"
                )));
            }
        };
        // Approving maps the import to a registered item; cancelling needs none.
        let mapping = if approved {
            let cls = r.item_cls_cd.clone().unwrap_or_default();
            let code = r.item_cd.clone().unwrap_or_default();
            required(&[("itemClsCd", &cls), ("itemCd", &code)])?;
            if !self.taxpayer(&key.0).items.contains_key(&code) {
                return Err(Answer::invalid(format!(
                    "itemCd {code} is not registered: register it with saveItem first"
                )));
            }
            Some((cls, code))
        } else {
            None
        };
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
        let (item_cls_cd, item_cd) = mapping.unzip();
        if import.value.impt_item_stts_cd != IMPORT_WAITING {
            // The same answer again (a resend after a lost reply) is accepted and changes
            // nothing; a different one is refused: the declaration was answered.
            let same = import.value.impt_item_stts_cd == r.impt_item_stts_cd
                && (!approved
                    || (import.value.item_cls_cd == item_cls_cd
                        && import.value.item_cd == item_cd));
            if same {
                return Ok(Answer::saved());
            }
            return Err(Answer::invalid(format!(
                "The imported item {}/{}/{} was already answered (imptItemSttsCd {})",
                r.task_cd, r.dcl_de, r.item_seq, import.value.impt_item_stts_cd
            )));
        }
        import.at = at;
        import.value.impt_item_stts_cd = r.impt_item_stts_cd;
        import.value.item_cls_cd = item_cls_cd;
        import.value.item_cd = item_cd;
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
        let r: BranchInsuranceRequest = parse(body)?;
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
        let insurance = Insurance {
            isrcc_cd: r.isrcc_cd,
            isrcc_nm: r.isrcc_nm,
            isrc_rt: r.isrc_rt,
            use_yn: r.use_yn,
            regr_id: r.regr_id,
            regr_nm: r.regr_nm,
            modr_id: r.modr_id,
            modr_nm: r.modr_nm,
        };
        self.device(key)
            .insurances
            .insert(insurance.isrcc_cd.clone(), Stamped::new(at, insurance));
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
