//! KRA's reference data, cached in the company file (spec §4, §7.3, §8, §9): code lists
//! (`selectCodeList`), item classifications (`selectItemClsList`) and notices
//! (`selectNoticeList`), each pulled incrementally from the `resultDt` KRA gave at the last pull
//! (sent back as `lastReqDt`: KRA's clock, so skew loses nothing), and read offline.
//!
//! Until anything was pulled, the code lists are a **bundled snapshot**
//! (`data/etims-reference-snapshot.json`: KRA's recorded `selectCodeList` answer of 2024-04-24
//! for classes 04 and 45, the spec's §9 tables for the others, ISO 3166 for class 05). It is
//! written into the file at first use ([`ensure_loaded`]) and the readers fall back to it in
//! memory on a file that has none ([`codes`]); every output says which one it is ("the bundled
//! snapshot of 2024-04-24"). The first full pull from KRA replaces it: KRA's live list wins
//! (code lists do change; spec §8). Item classifications have no snapshot (the spec has no
//! table of them): checks that need them say so until `hesabu etims codes refresh` ran.
//!
//! Tables: `migrations/20261202000700_etims_reference.sql`. Every write is an audited unit of
//! work (`etims.codes.snapshot`, `etims.reference.refresh`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::device::{self, client_error};
use hesabu_etims::types::reference::{CodeClass, ItemClass, Notice};
use hesabu_etims::{Client, Timeouts, dates};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;
use hesabu_store::secrets::SecretStore;
use hesabu_store::uow::UnitOfWork;

/// The code classes the app reads (spec §8, §9).
pub mod class {
    /// Taxation type: A exempt, B 16 %, C zero rated, D non-VAT, E 8 %; the rate is in
    /// `userDfnCd1`.
    pub const TAX_TYPE: &str = "04";
    pub const COUNTRY: &str = "05";
    pub const PAYMENT_TYPE: &str = "07";
    pub const QUANTITY_UNIT: &str = "10";
    pub const TAXPAYER_STATUS: &str = "15";
    pub const PACKAGING_UNIT: &str = "17";
    pub const ITEM_TYPE: &str = "24";
    pub const CREDIT_NOTE_REASON: &str = "32";
}

/// The bundled snapshot of KRA's code lists, as shipped.
pub const SNAPSHOT_JSON: &str = include_str!("../../data/etims-reference-snapshot.json");

/// The bundled snapshot: a `selectCodeList` answer's `clsList` with its date and provenance.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// `yyyy-mm-dd`: the date of the KRA answer it was built from.
    pub snapshot_of: String,
    /// Where each part came from.
    pub source: String,
    pub cls_list: Vec<CodeClass>,
}

/// The bundled snapshot (parsed once; a test proves it parses).
pub fn snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        serde_json::from_str(SNAPSHOT_JSON).expect("the bundled e-TIMS snapshot is valid JSON")
    })
}

/// One of KRA's incremental reference lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceList {
    CodeList,
    ItemClasses,
    Notices,
}

impl ReferenceList {
    pub const ALL: [ReferenceList; 3] = [
        ReferenceList::CodeList,
        ReferenceList::ItemClasses,
        ReferenceList::Notices,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceList::CodeList => "code_list",
            ReferenceList::ItemClasses => "item_classes",
            ReferenceList::Notices => "notices",
        }
    }

    /// KRA's name of the endpoint (legacy path), for messages.
    pub fn endpoint(self) -> &'static str {
        match self {
            ReferenceList::CodeList => "selectCodeList",
            ReferenceList::ItemClasses => "selectItemClsList",
            ReferenceList::Notices => "selectNoticeList",
        }
    }
}

fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

fn opt(text: Option<&str>) -> Value {
    text.map(str::to_owned).into()
}

// ---- reading ---------------------------------------------------------------------------------

/// One code of a class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeView {
    pub cls: String,
    pub code: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// KRA's `useYn` is not `N`.
    pub in_use: bool,
    pub order: Option<i64>,
    /// `userDfnCd1..3` (class 04: the rate and a short label).
    pub user_defined_1: Option<String>,
    pub user_defined_2: Option<String>,
    pub user_defined_3: Option<String>,
}

/// One class and its codes.
#[derive(Debug, Clone, Serialize)]
pub struct CodeClassView {
    pub cls: String,
    pub name: Option<String>,
    pub codes: Vec<CodeView>,
}

/// Where the cached code lists come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CodeSource {
    /// Pulled from KRA; `last_req_dt` is KRA's `resultDt` of the last pull.
    Kra {
        last_req_dt: String,
        refreshed_at: Option<String>,
    },
    /// The bundled snapshot (nothing pulled from KRA yet).
    Snapshot { of: String },
}

impl CodeSource {
    /// In words, for every output that shows codes.
    pub fn describe(&self) -> String {
        match self {
            CodeSource::Kra { last_req_dt, .. } => {
                let when = dates::parse_datetime(last_req_dt)
                    .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|_| last_req_dt.clone());
                format!("KRA's code lists as of {when} (Nairobi)")
            }
            CodeSource::Snapshot { of } => format!("bundled snapshot of {of}"),
        }
    }
}

/// A tax type of class 04 with its rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaxTypeCode {
    pub code: String,
    pub name: Option<String>,
    /// Percent, from `userDfnCd1` ("16" → 16); `None` when KRA gave no number.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub rate: Option<Decimal>,
    pub label: Option<String>,
}

/// The cached code lists, read at once (a few hundred codes): what validation reads.
#[derive(Debug, Clone, Serialize)]
pub struct Codes {
    pub source: CodeSource,
    classes: BTreeMap<String, CodeClassView>,
}

impl Codes {
    /// The bundled snapshot, in memory.
    pub fn from_snapshot() -> Codes {
        let snap = snapshot();
        let classes = snap
            .cls_list
            .iter()
            .map(|c| {
                (
                    c.cd_cls.clone(),
                    CodeClassView {
                        cls: c.cd_cls.clone(),
                        name: c.cd_cls_nm.clone(),
                        codes: c
                            .dtl_list
                            .iter()
                            .map(|d| CodeView {
                                cls: c.cd_cls.clone(),
                                code: d.cd.clone(),
                                name: d.cd_nm.clone(),
                                description: d.cd_desc.clone(),
                                in_use: d.use_yn.as_deref() != Some("N"),
                                order: d.srt_ord.map(i64::from),
                                user_defined_1: d.user_dfn_cd1.clone(),
                                user_defined_2: d.user_dfn_cd2.clone(),
                                user_defined_3: d.user_dfn_cd3.clone(),
                            })
                            .collect(),
                    },
                )
            })
            .collect();
        Codes {
            source: CodeSource::Snapshot {
                of: snap.snapshot_of.clone(),
            },
            classes,
        }
    }

    /// Every class, by code.
    pub fn classes(&self) -> impl Iterator<Item = &CodeClassView> {
        self.classes.values()
    }

    pub fn class(&self, cls: &str) -> Option<&CodeClassView> {
        self.classes.get(cls)
    }

    pub fn code(&self, cls: &str, cd: &str) -> Option<&CodeView> {
        self.class(cls)?.codes.iter().find(|c| c.code == cd)
    }

    /// Whether `cd` is a code of `cls` that KRA has not withdrawn.
    pub fn has(&self, cls: &str, cd: &str) -> bool {
        self.code(cls, cd).is_some_and(|c| c.in_use)
    }

    /// The codes of `cls` in use, in KRA's order.
    pub fn in_use(&self, cls: &str) -> Vec<&CodeView> {
        let mut codes: Vec<&CodeView> = self
            .class(cls)
            .map(|c| c.codes.iter().filter(|c| c.in_use).collect())
            .unwrap_or_default();
        codes.sort_by_key(|c| (c.order.unwrap_or(i64::MAX), c.code.clone()));
        codes
    }

    /// Class 04 with the rates.
    pub fn tax_types(&self) -> Vec<TaxTypeCode> {
        self.in_use(class::TAX_TYPE)
            .into_iter()
            .map(|c| TaxTypeCode {
                code: c.code.clone(),
                name: c.name.clone(),
                rate: c
                    .user_defined_1
                    .as_deref()
                    .and_then(|r| hesabu_etims::amount::parse(r).ok()),
                label: c.user_defined_2.clone(),
            })
            .collect()
    }

    /// The rate of a tax type (`B` → 16), when KRA's list gives one.
    pub fn tax_rate(&self, tax_type: &str) -> Option<Decimal> {
        self.tax_types()
            .into_iter()
            .find(|t| t.code == tax_type)
            .and_then(|t| t.rate)
    }

    pub fn quantity_units(&self) -> Vec<&CodeView> {
        self.in_use(class::QUANTITY_UNIT)
    }

    pub fn packaging_units(&self) -> Vec<&CodeView> {
        self.in_use(class::PACKAGING_UNIT)
    }

    pub fn countries(&self) -> Vec<&CodeView> {
        self.in_use(class::COUNTRY)
    }

    pub fn payment_types(&self) -> Vec<&CodeView> {
        self.in_use(class::PAYMENT_TYPE)
    }

    /// The payment type whose name contains `words` (case-insensitive), e.g. "mobile money":
    /// KRA's numbering of payment types differs between lists (spec §9), so map by name.
    pub fn payment_type_named(&self, words: &str) -> Option<&CodeView> {
        let words = words.to_lowercase();
        self.payment_types().into_iter().find(|c| {
            c.name
                .as_deref()
                .is_some_and(|n| n.to_lowercase().contains(&words))
        })
    }

    /// Class 32: the reasons a credit note may give.
    pub fn credit_note_reasons(&self) -> Vec<&CodeView> {
        self.in_use(class::CREDIT_NOTE_REASON)
    }
}

/// The cached code lists on `db` (the reader, or a unit of work's transaction); the bundled
/// snapshot in memory when the file has none yet.
pub async fn codes(db: &impl ConnectionTrait) -> Result<Codes> {
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT c.cd_cls, k.cd_cls_nm, c.cd, c.cd_nm, c.cd_desc, c.use_yn, c.srt_ord, \
             c.user_dfn_cd1, c.user_dfn_cd2, c.user_dfn_cd3 \
             FROM etims_code c JOIN etims_code_class k ON k.cd_cls = c.cd_cls \
             ORDER BY c.cd_cls, c.srt_ord, c.cd",
            vec![],
        ))
        .await?;
    if rows.is_empty() {
        return Ok(Codes::from_snapshot());
    }
    let mut classes: BTreeMap<String, CodeClassView> = BTreeMap::new();
    for r in rows {
        let cls: String = r.try_get("", "cd_cls")?;
        let use_yn: Option<String> = r.try_get("", "use_yn")?;
        let code = CodeView {
            cls: cls.clone(),
            code: r.try_get("", "cd")?,
            name: r.try_get("", "cd_nm")?,
            description: r.try_get("", "cd_desc")?,
            in_use: use_yn.as_deref() != Some("N"),
            order: r.try_get("", "srt_ord")?,
            user_defined_1: r.try_get("", "user_dfn_cd1")?,
            user_defined_2: r.try_get("", "user_dfn_cd2")?,
            user_defined_3: r.try_get("", "user_dfn_cd3")?,
        };
        let name: Option<String> = r.try_get("", "cd_cls_nm")?;
        classes
            .entry(cls.clone())
            .or_insert_with(|| CodeClassView {
                cls,
                name,
                codes: Vec::new(),
            })
            .codes
            .push(code);
    }
    let state = list_state(db, ReferenceList::CodeList).await?;
    let source = match state.last_req_dt {
        Some(last_req_dt) => CodeSource::Kra {
            last_req_dt,
            refreshed_at: state.refreshed_at,
        },
        None => CodeSource::Snapshot {
            of: state
                .snapshot_of
                .unwrap_or_else(|| snapshot().snapshot_of.clone()),
        },
    };
    Ok(Codes { source, classes })
}

/// An item classification as cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemClassView {
    pub code: String,
    pub name: Option<String>,
    pub level: Option<i64>,
    /// The tax type KRA expects for the class (often none).
    pub tax_type: Option<String>,
    pub in_use: bool,
}

/// One cached item classification.
pub async fn item_class(db: &impl ConnectionTrait, code: &str) -> Result<Option<ItemClassView>> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT item_cls_cd, item_cls_nm, item_cls_lvl, tax_ty_cd, use_yn \
             FROM etims_item_class WHERE item_cls_cd = ?",
            vec![code.trim().into()],
        ))
        .await?;
    let Some(r) = row else { return Ok(None) };
    let use_yn: Option<String> = r.try_get("", "use_yn")?;
    Ok(Some(ItemClassView {
        code: r.try_get("", "item_cls_cd")?,
        name: r.try_get("", "item_cls_nm")?,
        level: r.try_get("", "item_cls_lvl")?,
        tax_type: r.try_get("", "tax_ty_cd")?,
        in_use: use_yn.as_deref() != Some("N"),
    }))
}

/// Whether KRA's item classifications were ever pulled (only then can a code be called unknown).
pub async fn item_classes_fetched(db: &impl ConnectionTrait) -> Result<bool> {
    Ok(list_state(db, ReferenceList::ItemClasses)
        .await?
        .last_req_dt
        .is_some())
}

/// What is known of one reference list's pulls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListState {
    /// KRA's `resultDt` of the last successful pull: the next `lastReqDt`. None: never pulled.
    pub last_req_dt: Option<String>,
    pub snapshot_of: Option<String>,
    pub refreshed_at: Option<String>,
    pub last_error: Option<String>,
}

/// The state of one list (default when it was never pulled).
pub async fn list_state(db: &impl ConnectionTrait, list: ReferenceList) -> Result<ListState> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT last_req_dt, snapshot_of, refreshed_at, last_error \
             FROM etims_reference_sync WHERE list = ?",
            vec![list.as_str().into()],
        ))
        .await?;
    let Some(r) = row else {
        return Ok(ListState::default());
    };
    Ok(ListState {
        last_req_dt: r.try_get("", "last_req_dt")?,
        snapshot_of: r.try_get("", "snapshot_of")?,
        refreshed_at: r.try_get("", "refreshed_at")?,
        last_error: r.try_get("", "last_error")?,
    })
}

/// A notice from KRA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeView {
    pub notice_no: i64,
    pub title: Option<String>,
    pub content: Option<String>,
    pub url: Option<String>,
    pub registered_by: Option<String>,
    /// `yyyyMMddHHmmss` as KRA sent it.
    pub registered_at: Option<String>,
    pub received_at: String,
}

/// KRA's notices, newest first (`hesabu etims notices`).
pub async fn notices(file: &CompanyFile, session: &Session) -> Result<Vec<NoticeView>> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT notice_no, title, cont, dtl_url, regr_nm, reg_dt, received_at \
             FROM etims_notice ORDER BY notice_no DESC",
            vec![],
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(NoticeView {
                notice_no: r.try_get("", "notice_no")?,
                title: r.try_get("", "title")?,
                content: r.try_get("", "cont")?,
                url: r.try_get("", "dtl_url")?,
                registered_by: r.try_get("", "regr_nm")?,
                registered_at: r.try_get("", "reg_dt")?,
                received_at: r.try_get("", "received_at")?,
            })
        })
        .collect()
}

/// The code lists for `hesabu etims codes show` (the snapshot loaded first if nothing is
/// cached, so the file says what it validated against).
pub async fn show_codes(file: &CompanyFile, session: &Session) -> Result<Codes> {
    session.require(Permission::SalesView)?;
    ensure_loaded(file).await?;
    codes(file.reader()).await
}

// ---- writing ---------------------------------------------------------------------------------

async fn begin(file: &CompanyFile, session: Option<&Session>) -> Result<UnitOfWork> {
    match session {
        Some(s) => file.begin(s).await,
        None => file.begin_system().await,
    }
}

async fn has_codes(db: &impl ConnectionTrait) -> Result<bool> {
    Ok(db
        .query_one_raw(statement(
            db,
            "SELECT 1 AS one FROM etims_code LIMIT 1",
            vec![],
        ))
        .await?
        .is_some())
}

/// Writes the bundled snapshot into the company file when it has no code list yet (first use);
/// returns the snapshot's date when it did. Audited (`etims.codes.snapshot`) as the system's
/// doing: nobody chose it, it is what a file starts from.
pub async fn ensure_loaded(file: &CompanyFile) -> Result<Option<String>> {
    if has_codes(file.reader()).await? {
        return Ok(None);
    }
    let mut uow = file.begin_system().await?;
    // Under the write lock: another writer may have loaded it meanwhile.
    if has_codes(uow.db()).await? {
        return Ok(None);
    }
    let snap = snapshot();
    let now = uow.now_text();
    let mut count = 0_usize;
    for c in &snap.cls_list {
        count += upsert_class(uow.db(), c, "snapshot", &now).await?;
    }
    put_state(
        uow.db(),
        ReferenceList::CodeList,
        &StateChange::Snapshot(&snap.snapshot_of),
        &now,
    )
    .await?;
    uow.audit(AuditDraft {
        action: "etims.codes.snapshot",
        entity_type: "etims_reference",
        entity_id: ReferenceList::CodeList.as_str().into(),
        before: None,
        after: Some(json!({
            "snapshot_of": snap.snapshot_of,
            "classes": snap.cls_list.len(),
            "codes": count,
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(Some(snap.snapshot_of.clone()))
}

/// Upserts a class and its codes; returns how many codes.
async fn upsert_class(
    db: &impl ConnectionTrait,
    c: &CodeClass,
    source: &str,
    now: &str,
) -> Result<usize> {
    db.execute_raw(statement(
        db,
        "INSERT INTO etims_code_class (cd_cls, cd_cls_nm, cd_cls_desc, use_yn, user_dfn_nm1, \
         user_dfn_nm2, user_dfn_nm3, source, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (cd_cls) DO UPDATE SET cd_cls_nm = excluded.cd_cls_nm, \
         cd_cls_desc = excluded.cd_cls_desc, use_yn = excluded.use_yn, \
         user_dfn_nm1 = excluded.user_dfn_nm1, user_dfn_nm2 = excluded.user_dfn_nm2, \
         user_dfn_nm3 = excluded.user_dfn_nm3, source = excluded.source, \
         updated_at = excluded.updated_at",
        vec![
            c.cd_cls.trim().into(),
            opt(c.cd_cls_nm.as_deref()),
            opt(c.cd_cls_desc.as_deref()),
            opt(c.use_yn.as_deref()),
            opt(c.user_dfn_nm1.as_deref()),
            opt(c.user_dfn_nm2.as_deref()),
            opt(c.user_dfn_nm3.as_deref()),
            source.into(),
            now.into(),
        ],
    ))
    .await?;
    for d in &c.dtl_list {
        db.execute_raw(statement(
            db,
            "INSERT INTO etims_code (cd_cls, cd, cd_nm, cd_desc, use_yn, srt_ord, user_dfn_cd1, \
             user_dfn_cd2, user_dfn_cd3, source, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (cd_cls, cd) DO UPDATE SET cd_nm = excluded.cd_nm, \
             cd_desc = excluded.cd_desc, use_yn = excluded.use_yn, srt_ord = excluded.srt_ord, \
             user_dfn_cd1 = excluded.user_dfn_cd1, user_dfn_cd2 = excluded.user_dfn_cd2, \
             user_dfn_cd3 = excluded.user_dfn_cd3, source = excluded.source, \
             updated_at = excluded.updated_at",
            vec![
                c.cd_cls.trim().into(),
                d.cd.trim().into(),
                opt(d.cd_nm.as_deref()),
                opt(d.cd_desc.as_deref()),
                opt(d.use_yn.as_deref()),
                d.srt_ord.map(i64::from).into(),
                opt(d.user_dfn_cd1.as_deref()),
                opt(d.user_dfn_cd2.as_deref()),
                opt(d.user_dfn_cd3.as_deref()),
                source.into(),
                now.into(),
            ],
        ))
        .await?;
    }
    Ok(c.dtl_list.len())
}

async fn upsert_item_class(db: &impl ConnectionTrait, c: &ItemClass, now: &str) -> Result<()> {
    db.execute_raw(statement(
        db,
        "INSERT INTO etims_item_class (item_cls_cd, item_cls_nm, item_cls_lvl, tax_ty_cd, \
         mjr_tg_yn, use_yn, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (item_cls_cd) DO UPDATE SET item_cls_nm = excluded.item_cls_nm, \
         item_cls_lvl = excluded.item_cls_lvl, tax_ty_cd = excluded.tax_ty_cd, \
         mjr_tg_yn = excluded.mjr_tg_yn, use_yn = excluded.use_yn, \
         updated_at = excluded.updated_at",
        vec![
            c.item_cls_cd.trim().into(),
            opt(c.item_cls_nm.as_deref()),
            c.item_cls_lvl.map(i64::from).into(),
            opt(c
                .tax_ty_cd
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())),
            opt(c.mjr_tg_yn.as_deref()),
            opt(c.use_yn.as_deref()),
            now.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Stores a notice; returns whether it was new. A notice without a number is skipped (it
/// cannot be told apart from the next one).
async fn upsert_notice(db: &impl ConnectionTrait, n: &Notice, now: &str) -> Result<bool> {
    let Some(number) = n.notice_no.and_then(|n| i64::try_from(n).ok()) else {
        return Ok(false);
    };
    let known = db
        .query_one_raw(statement(
            db,
            "SELECT 1 AS one FROM etims_notice WHERE notice_no = ?",
            vec![number.into()],
        ))
        .await?
        .is_some();
    db.execute_raw(statement(
        db,
        "INSERT INTO etims_notice (notice_no, title, cont, dtl_url, regr_nm, reg_dt, received_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (notice_no) DO UPDATE SET title = excluded.title, cont = excluded.cont, \
         dtl_url = excluded.dtl_url, regr_nm = excluded.regr_nm, reg_dt = excluded.reg_dt",
        vec![
            number.into(),
            opt(n.title.as_deref()),
            opt(n.cont.as_deref()),
            opt(n.dtl_url.as_deref()),
            opt(n.regr_nm.as_deref()),
            opt(n.reg_dt.as_deref()),
            now.into(),
        ],
    ))
    .await?;
    Ok(!known)
}

enum StateChange<'a> {
    /// A successful pull: the new watermark (KRA's `resultDt`), when KRA gave one.
    Pulled(Option<&'a str>),
    /// A failed pull: its message.
    Failed(&'a str),
    /// The bundled snapshot was loaded.
    Snapshot(&'a str),
}

async fn put_state(
    db: &impl ConnectionTrait,
    list: ReferenceList,
    change: &StateChange<'_>,
    now: &str,
) -> Result<()> {
    db.execute_raw(statement(
        db,
        "INSERT INTO etims_reference_sync (list, last_req_dt, snapshot_of, refreshed_at, \
         last_error, updated_at) VALUES (?, NULL, NULL, NULL, NULL, ?) \
         ON CONFLICT (list) DO NOTHING",
        vec![list.as_str().into(), now.into()],
    ))
    .await?;
    let (sql, values): (&str, Vec<Value>) = match change {
        StateChange::Pulled(Some(dt)) => (
            "UPDATE etims_reference_sync SET last_req_dt = ?, refreshed_at = ?, \
             last_error = NULL, updated_at = ? WHERE list = ?",
            vec![(*dt).into(), now.into(), now.into()],
        ),
        StateChange::Pulled(None) => (
            "UPDATE etims_reference_sync SET refreshed_at = ?, last_error = NULL, \
             updated_at = ? WHERE list = ?",
            vec![now.into(), now.into()],
        ),
        StateChange::Failed(message) => (
            "UPDATE etims_reference_sync SET last_error = ?, updated_at = ? WHERE list = ?",
            vec![(*message).into(), now.into()],
        ),
        StateChange::Snapshot(of) => (
            "UPDATE etims_reference_sync SET snapshot_of = ?, updated_at = ? WHERE list = ?",
            vec![(*of).into(), now.into()],
        ),
    };
    let mut values = values;
    values.push(list.as_str().into());
    db.execute_raw(statement(db, sql, values)).await?;
    Ok(())
}

// ---- refreshing ------------------------------------------------------------------------------

/// How one list's pull went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshOutcome {
    /// KRA sent records (stored).
    Updated,
    /// KRA had nothing new (`001`).
    Unchanged,
    /// The pull failed; what was cached stays as it was.
    Failed,
}

/// One list's pull.
#[derive(Debug, Clone, Serialize)]
pub struct ListRefresh {
    pub list: ReferenceList,
    pub outcome: RefreshOutcome,
    /// The `lastReqDt` sent.
    pub last_req_dt_sent: String,
    /// Records KRA sent (codes, classes or notices).
    pub received: usize,
    /// New notices among them.
    pub new_notices: usize,
    /// The next `lastReqDt` (KRA's `resultDt`).
    pub watermark: Option<String>,
    pub error: Option<String>,
}

/// What `hesabu etims codes refresh` reports.
#[derive(Debug, Clone, Serialize)]
pub struct RefreshReport {
    pub lists: Vec<ListRefresh>,
    /// Where the code lists now come from ([`CodeSource::describe`]).
    pub codes_source: String,
    /// Set when the bundled snapshot was loaded because nothing could be pulled.
    pub snapshot_loaded: Option<String>,
}

/// Pulls the three reference lists from KRA with the company's device (from `secrets`).
/// Needs `SalesMasterData`: it changes what sales and registrations are checked against.
pub async fn refresh(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    timeouts: Timeouts,
) -> Result<RefreshReport> {
    session.require(Permission::SalesMasterData)?;
    let client = device::client(file, secrets, timeouts)
        .await?
        .ok_or_else(no_device)?;
    refresh_with(file, Some(session), &client).await
}

pub(crate) fn no_device() -> Error {
    Error::Conflict(
        "This company has no e-TIMS device, so KRA cannot be asked. Set it up first: `hesabu \
         etims device init --serial SERIAL` (the serial declared on the eTIMS portal)."
            .into(),
    )
}

/// Pulls each list changed since its watermark and stores it, one audited unit of work per
/// list (a list that fails leaves the others' results). The session is the audit actor (none:
/// the system, e.g. a scheduled refresh).
pub async fn refresh_with(
    file: &CompanyFile,
    session: Option<&Session>,
    client: &Client,
) -> Result<RefreshReport> {
    let mut lists = Vec::new();
    for list in ReferenceList::ALL {
        lists.push(refresh_list(file, session, client, list).await?);
    }
    let snapshot_loaded = ensure_loaded(file).await?;
    let codes_source = codes(file.reader()).await?.source.describe();
    Ok(RefreshReport {
        lists,
        codes_source,
        snapshot_loaded,
    })
}

/// What one pull brought.
enum Pulled {
    Codes(Vec<CodeClass>),
    Classes(Vec<ItemClass>),
    Notices(Vec<Notice>),
}

async fn refresh_list(
    file: &CompanyFile,
    session: Option<&Session>,
    client: &Client,
    list: ReferenceList,
) -> Result<ListRefresh> {
    let state = list_state(file.reader(), list).await?;
    let sent = state
        .last_req_dt
        .clone()
        .unwrap_or_else(|| dates::EPOCH_LAST_REQ_DT.to_owned());
    let answer = match list {
        ReferenceList::CodeList => client.code_list(&sent).await.map(|r| {
            let dt = r.result_dt.clone();
            (
                dt,
                Pulled::Codes(r.data.map(|d| d.cls_list).unwrap_or_default()),
            )
        }),
        ReferenceList::ItemClasses => client.item_classes(&sent).await.map(|r| {
            let dt = r.result_dt.clone();
            (
                dt,
                Pulled::Classes(r.data.map(|d| d.item_cls_list).unwrap_or_default()),
            )
        }),
        ReferenceList::Notices => client.notices(&sent).await.map(|r| {
            let dt = r.result_dt.clone();
            (
                dt,
                Pulled::Notices(r.data.map(|d| d.notice_list).unwrap_or_default()),
            )
        }),
    };
    let mut uow = begin(file, session).await?;
    let now = uow.now_text();
    let (dt, pulled) = match answer {
        Ok(answer) => answer,
        Err(e) => {
            let message = client_error(&format!("Could not pull {} from KRA", list.endpoint()), &e)
                .to_string();
            put_state(uow.db(), list, &StateChange::Failed(&message), &now).await?;
            uow.audit(AuditDraft {
                action: "etims.reference.refresh",
                entity_type: "etims_reference",
                entity_id: list.as_str().into(),
                before: None,
                after: Some(json!({ "last_req_dt": sent, "error": message })),
            })
            .await?;
            uow.commit().await?;
            return Ok(ListRefresh {
                list,
                outcome: RefreshOutcome::Failed,
                last_req_dt_sent: sent,
                received: 0,
                new_notices: 0,
                watermark: state.last_req_dt,
                error: Some(message),
            });
        }
    };
    let mut new_notices = 0;
    let received = match &pulled {
        Pulled::Codes(classes) => {
            // The first full pull replaces the bundled snapshot: KRA's live list wins, and a
            // snapshot code KRA does not list is not kept as if it were KRA's.
            if state.last_req_dt.is_none() && !classes.is_empty() {
                uow.db()
                    .execute_raw(statement(
                        uow.db(),
                        "DELETE FROM etims_code WHERE source = 'snapshot'",
                        vec![],
                    ))
                    .await?;
                uow.db()
                    .execute_raw(statement(
                        uow.db(),
                        "DELETE FROM etims_code_class WHERE source = 'snapshot' AND NOT EXISTS \
                         (SELECT 1 FROM etims_code c WHERE c.cd_cls = etims_code_class.cd_cls)",
                        vec![],
                    ))
                    .await?;
            }
            let mut n = 0;
            for c in classes {
                n += upsert_class(uow.db(), c, "kra", &now).await?;
            }
            n
        }
        Pulled::Classes(classes) => {
            for c in classes {
                upsert_item_class(uow.db(), c, &now).await?;
            }
            classes.len()
        }
        Pulled::Notices(notices) => {
            for n in notices {
                if upsert_notice(uow.db(), n, &now).await? {
                    new_notices += 1;
                }
            }
            notices.len()
        }
    };
    // KRA's resultDt is the next lastReqDt; without one the watermark stays (a repeated pull
    // is harmless: every record is an upsert).
    let watermark = dt.or(state.last_req_dt);
    put_state(
        uow.db(),
        list,
        &StateChange::Pulled(watermark.as_deref()),
        &now,
    )
    .await?;
    uow.audit(AuditDraft {
        action: "etims.reference.refresh",
        entity_type: "etims_reference",
        entity_id: list.as_str().into(),
        before: None,
        after: Some(json!({
            "last_req_dt": sent,
            "received": received,
            "watermark": watermark,
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(ListRefresh {
        list,
        outcome: if received == 0 {
            RefreshOutcome::Unchanged
        } else {
            RefreshOutcome::Updated
        },
        last_req_dt_sent: sent,
        received,
        new_notices,
        watermark,
        error: None,
    })
}

/// Per list: its state and how many records are cached.
#[derive(Debug, Clone, Serialize)]
pub struct ListStatus {
    pub list: ReferenceList,
    pub records: i64,
    #[serde(flatten)]
    pub state: ListState,
}

/// What is cached (`hesabu etims codes status`).
#[derive(Debug, Clone, Serialize)]
pub struct ReferenceStatus {
    pub codes_source: String,
    pub lists: Vec<ListStatus>,
}

pub async fn status(file: &CompanyFile, session: &Session) -> Result<ReferenceStatus> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let mut lists = Vec::new();
    for list in ReferenceList::ALL {
        let table = match list {
            ReferenceList::CodeList => "etims_code",
            ReferenceList::ItemClasses => "etims_item_class",
            ReferenceList::Notices => "etims_notice",
        };
        let records: i64 = db
            .query_one_raw(statement(
                db,
                &format!("SELECT COUNT(*) AS n FROM {table}"),
                vec![],
            ))
            .await?
            .map(|r| r.try_get("", "n"))
            .transpose()?
            .unwrap_or(0);
        lists.push(ListStatus {
            list,
            records,
            state: list_state(db, list).await?,
        });
    }
    Ok(ReferenceStatus {
        codes_source: codes(db).await?.source.describe(),
        lists,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_snapshot_holds_the_fixture_and_the_spec_tables() {
        let codes = Codes::from_snapshot();
        assert_eq!(codes.source.describe(), "bundled snapshot of 2024-04-24");
        // Class 04 verbatim from KRA's recorded answer: the rates.
        // (KRA's own order puts E before D: compared by code.)
        let mut rates: Vec<(String, Option<Decimal>)> = codes
            .tax_types()
            .into_iter()
            .map(|t| (t.code, t.rate))
            .collect();
        rates.sort();
        assert_eq!(
            rates,
            [("A", 0), ("B", 16), ("C", 0), ("D", 0), ("E", 8)]
                .map(|(c, r)| (c.to_owned(), Some(Decimal::from(r))))
                .to_vec()
        );
        // Class 45 keeps KRA's withdrawn code as withdrawn.
        assert!(codes.code("45", "501").is_some_and(|c| !c.in_use));
        // The spec's §9 tables.
        assert_eq!(codes.payment_types().len(), 7);
        assert_eq!(
            codes
                .payment_type_named("mobile money")
                .map(|c| c.code.as_str()),
            Some("06")
        );
        assert_eq!(codes.credit_note_reasons().len(), 13);
        assert_eq!(codes.quantity_units().len(), 43);
        assert_eq!(codes.packaging_units().len(), 52);
        assert!(codes.has(class::QUANTITY_UNIT, "NO") && !codes.has(class::QUANTITY_UNIT, "XX"));
        assert!(codes.has(class::PACKAGING_UNIT, "OU"));
        assert!(codes.has(class::COUNTRY, "KE") && codes.has(class::COUNTRY, "DE"));
        assert!(codes.countries().len() > 240);
        assert_eq!(codes.in_use(class::ITEM_TYPE).len(), 3);
        // The snapshot agrees with the ledger's own unit tables (which items are checked
        // against when they are added).
        for (code, _) in hesabu_core::sales::items::QUANTITY_UNITS {
            assert!(codes.has(class::QUANTITY_UNIT, code), "{code}");
        }
        for (code, _) in hesabu_core::sales::items::PACKAGING_UNITS {
            assert!(codes.has(class::PACKAGING_UNIT, code), "{code}");
        }
    }
}
