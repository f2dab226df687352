//! The reference data the sandbox serves: code lists (classes `04` and `45` verbatim from the
//! recorded `selectCodeList` fixture, the other classes from the spec's §9 snapshot), a small
//! item-classification list, notices, and the fixed PIN table of the taxpayer lookup.
//!
//! Every record carries the instant it last changed, so list endpoints can answer "changed after
//! `lastReqDt`" (spec §4). Seeded records changed at [`SEEDED_AT`]. A simplification: the item
//! classification list is a dozen codes, not KRA's tens of thousands.

use chrono::{NaiveDate, NaiveDateTime};
use hesabu_etims::types::reference::{Code, CodeClass, CodeListData, ItemClass, Notice, Taxpayer};
use rust_decimal::Decimal;

/// When the seeded reference data "changed": after the peers' first `lastReqDt`
/// (`20180101000000`), before any clock a test or the demo will use.
pub fn seeded_at() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a valid date")
}

/// The recorded `selectCodeList` answer (Odoo's mocked response): classes `04` and `45`.
const CODE_LIST_FIXTURE: &str = include_str!("../data/oscu-select-code-list-response.json");

/// One code class as written below: (class, class name, [(code, name)]).
type ClassTable = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The other classes, from the spec's §9 snapshot (code, name).
const MORE_CLASSES: &[ClassTable] = &[
    (
        "05",
        "Country",
        &[
            ("KE", "KENYA"),
            ("UG", "UGANDA"),
            ("TZ", "TANZANIA"),
            ("RW", "RWANDA"),
            ("CN", "CHINA"),
            ("IN", "INDIA"),
            ("AE", "UNITED ARAB EMIRATES"),
            ("GB", "UNITED KINGDOM"),
            ("US", "UNITED STATES"),
            ("ZA", "SOUTH AFRICA"),
        ],
    ),
    (
        "07",
        "Payment Type",
        &[
            ("01", "CASH"),
            ("02", "CREDIT"),
            ("03", "CASH/CREDIT"),
            ("04", "BANK CHECK"),
            ("05", "DEBIT&CREDIT CARD"),
            ("06", "MOBILE MONEY"),
            ("07", "OTHER"),
        ],
    ),
    ("09", "Branch Status", &[("01", "Open"), ("02", "Closed")]),
    (
        "10",
        "Quantity Unit",
        &[
            ("4B", "Pair"),
            ("AV", "Cap"),
            ("BA", "Barrel"),
            ("BE", "bundle"),
            ("BG", "bag"),
            ("BL", "block"),
            ("BLL", "BLL Barrel (petroleum) (158,987 dm3)"),
            ("BX", "box"),
            ("CA", "Can"),
            ("CEL", "Cell"),
            ("CMT", "centimetre"),
            ("CR", "CARAT"),
            ("DR", "Drum"),
            ("DZ", "Dozen"),
            ("GLL", "Gallon"),
            ("GRM", "Gram"),
            ("GRO", "Gross"),
            ("KG", "Kilo-Gramme"),
            ("KTM", "kilometre"),
            ("KWT", "kilowatt"),
            ("L", "Litre"),
            ("LBR", "pound"),
            ("LK", "link"),
            ("LTR", "Litre"),
            ("M", "Metre"),
            ("M2", "Square Metre"),
            ("M3", "Cubic Metre"),
            ("MGM", "milligram"),
            ("MTR", "metre"),
            ("MWT", "megawatt hour (1000 kW.h)"),
            ("NO", "Number"),
            ("NX", "part per thousand"),
            ("PA", "packet"),
            ("PG", "plate"),
            ("PR", "pair"),
            ("RL", "reel"),
            ("RO", "roll"),
            ("SET", "set"),
            ("ST", "sheet"),
            ("TNE", "tonne (metric ton)"),
            ("TU", "tube"),
            ("U", "Pieces/item [Number]"),
            ("YRD", "yard"),
        ],
    ),
    (
        "11",
        "Sale Status",
        &[
            ("01", "Wait for Approval"),
            ("02", "Approved"),
            ("03", "Cancel Requested"),
            ("04", "Canceled"),
            ("05", "Credit Note Generated"),
            ("06", "Transferred"),
        ],
    ),
    (
        "12",
        "Stock I/O Type",
        &[
            ("01", "Import"),
            ("02", "Purchase"),
            ("03", "Return"),
            ("04", "Stock Movement"),
            ("05", "Processing"),
            ("06", "Adjustment"),
            ("11", "Sale"),
            ("12", "Return"),
            ("13", "Stock Movement"),
            ("14", "Processing"),
            ("15", "Discarding"),
            ("16", "Adjustment"),
        ],
    ),
    (
        "14",
        "Transaction Type",
        &[
            ("C", "Copy"),
            ("N", "Normal"),
            ("P", "Proforma"),
            ("T", "Training"),
        ],
    ),
    (
        "15",
        "Taxpayer Status",
        &[("A", "Active"), ("D", "Inactive")],
    ),
    (
        "17",
        "Packing Unit",
        &[
            ("AM", "Ampoule"),
            ("BA", "Barrel"),
            ("BC", "Bottlecrate"),
            ("BE", "Bundle"),
            ("BF", "Balloon, non-protected"),
            ("BG", "Bag"),
            ("BJ", "Bucket"),
            ("BK", "Basket"),
            ("BL", "Bale"),
            ("BQ", "Bottle, protected cylindrical"),
            ("BR", "Bar"),
            ("BV", "Bottle, bulbous"),
            ("BZ", "Bag"),
            ("CA", "Can"),
            ("CH", "Chest"),
            ("CJ", "Coffin"),
            ("CL", "Coil"),
            ("CR", "Wooden Box, Wooden Case"),
            ("CS", "Cassette"),
            ("CT", "Carton"),
            ("CTN", "Container"),
            ("CY", "Cylinder"),
            ("DR", "Drum"),
            ("GT", "Extra Countable Item"),
            ("HH", "Hand Baggage"),
            ("IZ", "Ingots"),
            ("JR", "Jar"),
            ("JU", "Jug"),
            ("JY", "Jerry CAN Cylindrical"),
            ("KZ", "Canester"),
            ("LZ", "Logs, in bundle/bunch/truss"),
            ("NT", "Net"),
            ("OU", "Non-Exterior Packaging Unit"),
            ("PD", "Poddon"),
            ("PG", "Plate"),
            ("PI", "Pipe"),
            ("PO", "Pilot"),
            ("PU", "Traypack"),
            ("RL", "Reel"),
            ("RO", "Roll"),
            ("RZ", "Rods, in bundle/bunch/truss"),
            ("SK", "Skeletoncase"),
            ("TY", "Tank, cylindrical"),
            ("VG", "Bulk,gas(at 1031 mbar 15 oC)"),
            ("VL", "Bulk,liquid(at normal temperature/pressure)"),
            ("VO", "Bulk, solid, large particles(nodules)"),
            (
                "VQ",
                "Bulk, gas(liquefied at abnormal temperature/pressure)",
            ),
            ("VR", "Bulk, solid, granular particles(grains)"),
            ("VT", "Extra Bulk Item"),
            ("VY", "Bulk, fine particles(powder)"),
            ("ML", "Mills cigarette"),
            ("TN", "TAN 1TAN REFER TO 20BAGS"),
        ],
    ),
    (
        "24",
        "Item Type",
        &[
            ("1", "Raw Material"),
            ("2", "Finished Product"),
            ("3", "Service without stock"),
        ],
    ),
    (
        "26",
        "Import Item Status",
        &[
            ("1", "Unsent"),
            ("2", "Waiting"),
            ("3", "Approved"),
            ("4", "Cancelled"),
        ],
    ),
    (
        "31",
        "Registration Type",
        &[("A", "Automatic"), ("M", "Manual")],
    ),
    (
        "32",
        "Credit Note Reason",
        &[
            ("01", "Missing Quantity"),
            ("02", "Missing Data"),
            ("03", "Damaged"),
            ("04", "Wasted"),
            ("05", "Raw Material Shortage"),
            ("06", "Refund"),
            ("07", "Wrong Customer PIN"),
            ("08", "Wrong Customer name"),
            ("09", "Wrong Amount/price"),
            ("10", "Wrong Quantity"),
            ("11", "Wrong Item(s)"),
            ("12", "Wrong tax type"),
            ("13", "Other reason"),
        ],
    ),
    (
        "33",
        "Currency",
        &[
            ("KES", "Kenyan Shilling"),
            ("USD", "United States Dollar"),
            ("EUR", "Euro"),
            ("GBP", "Pound Sterling"),
        ],
    ),
    (
        "34",
        "Purchase Status",
        &[
            ("01", "Wait for Approval"),
            ("02", "Approved"),
            ("03", "Cancel Requested"),
            ("04", "Canceled"),
            ("05", "Credit Note Generated"),
            ("06", "Transferred"),
        ],
    ),
    (
        "35",
        "Inventory Adjustment Reason",
        &[
            ("01", "Cargo Transit Out"),
            ("02", "Cargo Transit In"),
            ("03", "Adjustment In"),
            ("04", "Adjustment Out"),
            ("05", "Discarding"),
            ("06", "Processing Raw"),
            ("07", "Processing Result"),
        ],
    ),
    (
        "37",
        "Sales Receipt Type",
        &[("S", "Sale"), ("R", "Credit Note after Sale")],
    ),
    (
        "38",
        "Purchase Receipt Type",
        &[("P", "Purchase"), ("R", "Credit Note after Purchase")],
    ),
];

/// Item classifications (spec §7.3): 8-digit UNSPSC codes as on legacy, 10-digit ones as on the
/// integrator; `taxTyCd` is KRA's expected tax type for the class, often null.
const ITEM_CLASSES: &[(&str, &str, u32, Option<&str>)] = &[
    ("81121500", "Economic analysis", 4, Some("B")),
    ("81111500", "Software or hardware engineering", 4, Some("B")),
    ("80111600", "Temporary personnel services", 4, None),
    ("50202300", "Non alcoholic beverages", 4, Some("B")),
    ("50221100", "Cereal and pulse products", 4, Some("A")),
    ("43211500", "Computers", 4, Some("B")),
    ("44121600", "Desk supplies", 4, None),
    ("15101500", "Petroleum and distillates", 4, Some("E")),
    ("1010150000", "Live cattle", 5, Some("A")),
    ("5059690800", "Bread", 5, Some("C")),
    ("9901200000", "Standard rated services", 5, Some("B")),
    ("9901400000", "Exempt services", 5, Some("A")),
];

/// The fixed PIN table of the taxpayer lookup (`selectCustomer`): one active PIN (the recorded
/// sale's customer), one inactive. Any other PIN, except the sandbox's own taxpayers, answers
/// `001` "There is no search result".
pub const ACTIVE_PIN: &str = "A000123456F";
/// An inactive taxpayer (`taxprSttsCd` `D`).
pub const INACTIVE_PIN: &str = "P051234567Q";

pub(crate) fn pin_table() -> Vec<Taxpayer> {
    vec![
        Taxpayer {
            tin: Some(ACTIVE_PIN.to_owned()),
            taxpr_nm: Some("Ralph Jr".to_owned()),
            taxpr_stts_cd: Some("A".to_owned()),
            prvnc_nm: Some("NAIROBI CITY".to_owned()),
            dstrt_nm: Some("WESTLANDS".to_owned()),
            sctr_nm: Some("PARKLANDS".to_owned()),
            loc_desc: Some("The Cucumber Lounge, Vineland".to_owned()),
        },
        Taxpayer {
            tin: Some(INACTIVE_PIN.to_owned()),
            taxpr_nm: Some("Dormant Traders Limited".to_owned()),
            taxpr_stts_cd: Some("D".to_owned()),
            prvnc_nm: Some("MOMBASA".to_owned()),
            dstrt_nm: Some("MVITA".to_owned()),
            sctr_nm: Some("OLD TOWN".to_owned()),
            loc_desc: Some("Moi Avenue".to_owned()),
        },
    ]
}

/// A record and when it last changed.
#[derive(Debug, Clone)]
pub(crate) struct Stamped<T> {
    pub at: NaiveDateTime,
    pub value: T,
}

impl<T> Stamped<T> {
    pub fn new(at: NaiveDateTime, value: T) -> Self {
        Stamped { at, value }
    }
}

/// One code class and its codes, each stamped.
#[derive(Debug, Clone)]
pub(crate) struct StampedClass {
    /// The class without its codes.
    pub class: CodeClass,
    pub codes: Vec<Stamped<Code>>,
}

/// The reference data of the whole sandbox (KRA's, the same for every taxpayer).
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub classes: Vec<StampedClass>,
    pub item_classes: Vec<Stamped<ItemClass>>,
    pub notices: Vec<Stamped<Notice>>,
}

impl Reference {
    pub fn seeded() -> Reference {
        let at = seeded_at();
        let recorded: CodeListData = serde_json::from_str::<RecordedCodeList>(CODE_LIST_FIXTURE)
            .expect("the bundled code-list fixture reads")
            .data;
        let mut classes: Vec<StampedClass> = recorded
            .cls_list
            .into_iter()
            .map(|mut class| {
                let codes = std::mem::take(&mut class.dtl_list)
                    .into_iter()
                    .map(|c| Stamped::new(at, c))
                    .collect();
                StampedClass { class, codes }
            })
            .collect();
        for (cls, name, codes) in MORE_CLASSES {
            classes.push(StampedClass {
                class: CodeClass {
                    cd_cls: (*cls).to_owned(),
                    cd_cls_nm: Some((*name).to_owned()),
                    use_yn: Some("Y".to_owned()),
                    ..CodeClass::default()
                },
                codes: codes
                    .iter()
                    .zip(1..)
                    .map(|((cd, nm), order)| {
                        Stamped::new(
                            at,
                            Code {
                                cd: (*cd).to_owned(),
                                cd_nm: Some((*nm).to_owned()),
                                use_yn: Some("Y".to_owned()),
                                srt_ord: Some(order),
                                ..Code::default()
                            },
                        )
                    })
                    .collect(),
            });
        }
        classes.sort_by(|a, b| a.class.cd_cls.cmp(&b.class.cd_cls));
        let item_classes = ITEM_CLASSES
            .iter()
            .map(|(cd, nm, lvl, tax)| {
                Stamped::new(
                    at,
                    ItemClass {
                        item_cls_cd: (*cd).to_owned(),
                        item_cls_nm: Some((*nm).to_owned()),
                        item_cls_lvl: Some(*lvl),
                        tax_ty_cd: tax.map(str::to_owned),
                        mjr_tg_yn: Some("N".to_owned()),
                        use_yn: Some("Y".to_owned()),
                    },
                )
            })
            .collect();
        let notices = vec![Stamped::new(
            at,
            Notice {
                notice_no: Some(1),
                title: Some("Welcome to the Hesabu e-TIMS sandbox".to_owned()),
                cont: Some(
                    "This is a local test double of KRA's OSCU API. Nothing sent here reaches KRA."
                        .to_owned(),
                ),
                dtl_url: None,
                regr_nm: Some("Hesabu".to_owned()),
                reg_dt: Some(crate::clock::compact(at)),
            },
        )];
        Reference {
            classes,
            item_classes,
            notices,
        }
    }

    /// Whether `cd` is an active code of class `cls`.
    pub fn has_code(&self, cls: &str, cd: &str) -> bool {
        self.code(cls, cd)
            .is_some_and(|c| c.use_yn.as_deref() != Some("N"))
    }

    pub fn code(&self, cls: &str, cd: &str) -> Option<&Code> {
        self.classes
            .iter()
            .find(|c| c.class.cd_cls == cls)?
            .codes
            .iter()
            .map(|s| &s.value)
            .find(|c| c.cd == cd)
    }

    /// The rate of a tax type (class `04`, `userDfnCd1`): `B` → 16.
    pub fn tax_rate(&self, tax_ty_cd: &str) -> Option<Decimal> {
        let text = self.code("04", tax_ty_cd)?.user_dfn_cd1.as_deref()?;
        hesabu_etims::amount::parse(text).ok()
    }

    /// Code classes with the codes that changed after `after` (classes with none are left out).
    pub fn code_list_after(&self, after: NaiveDateTime) -> Vec<CodeClass> {
        self.classes
            .iter()
            .filter_map(|c| {
                let codes: Vec<Code> = c
                    .codes
                    .iter()
                    .filter(|s| s.at > after)
                    .map(|s| s.value.clone())
                    .collect();
                (!codes.is_empty()).then(|| CodeClass {
                    dtl_list: codes,
                    ..c.class.clone()
                })
            })
            .collect()
    }

    /// Adds or replaces one code, stamped `at`.
    pub fn put_code(&mut self, at: NaiveDateTime, cls: &str, cls_nm: &str, code: Code) {
        let index = match self.classes.iter().position(|c| c.class.cd_cls == cls) {
            Some(i) => i,
            None => {
                self.classes.push(StampedClass {
                    class: CodeClass {
                        cd_cls: cls.to_owned(),
                        cd_cls_nm: Some(cls_nm.to_owned()),
                        use_yn: Some("Y".to_owned()),
                        ..CodeClass::default()
                    },
                    codes: Vec::new(),
                });
                self.classes.len() - 1
            }
        };
        let codes = &mut self.classes[index].codes;
        codes.retain(|s| s.value.cd != code.cd);
        codes.push(Stamped::new(at, code));
    }
}

#[derive(serde::Deserialize)]
struct RecordedCodeList {
    data: CodeListData,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_lists_hold_the_fixture_and_the_spec_snapshot() {
        let r = Reference::seeded();
        assert_eq!(r.tax_rate("B"), Some(Decimal::from(16)));
        assert_eq!(r.tax_rate("E"), Some(Decimal::from(8)));
        assert_eq!(r.tax_rate("A"), Some(Decimal::ZERO));
        assert_eq!(r.tax_rate("Z"), None);
        assert!(r.has_code("45", "52"));
        assert!(!r.has_code("45", "501"), "the fixture marks 501 unused");
        assert!(r.has_code("32", "06") && r.has_code("10", "NO") && r.has_code("17", "OU"));
        let all = r.code_list_after(
            NaiveDate::from_ymd_opt(2018, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        );
        assert_eq!(all.len(), r.classes.len());
        assert!(r.code_list_after(seeded_at()).is_empty());
    }
}
