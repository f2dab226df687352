//! ETR receipts in the product: the receipt of every issued sale, stored the first time it is
//! rendered after KRA signed it, shown, saved as PDF and printed, with every print logged.
//! See docs/receipts.md.
//!
//! - **Stored, never re-asked.** A signed document's receipt is built once from what Hesabu
//!   stored (the ledger's sale, the fiscal submission's signature, the company's details and
//!   receipt messages) and kept: the renderer's input as JSON and the original PDF of each
//!   format with its SHA-256 (`receipt`, `receipt_original`). Later renderings come from that
//!   row, never from KRA and never from settings changed since; the stored PDFs are checked
//!   against their hashes when read. The fiscal flow stores it right after KRA signs
//!   ([`store_after_signing`]); should that fail, the first rendering stores it.
//! - **Original, copies, provisional.** The first successful print (or saved PDF) of a signed
//!   receipt is the original; every later one is a COPY (the renderer marks it and relabels
//!   NS→CS, NC→CC) with the next copy number. A document KRA has not signed only ever renders
//!   as the provisional "THIS IS NOT AN OFFICIAL RECEIPT".
//! - **Every print is recorded** in `receipt_print` with one audit entry (`receipt.print`, or
//!   `receipt.print_failed`), in one unit of work. A failed print takes no copy number and
//!   leaves the original unprinted: the receipt stays stored and can be printed again.
//! - **Permissions**: reading, previewing and listing printers need `SalesView`; printing and
//!   saving a PDF (handing a receipt out) need `SalesIssue`; the receipt settings (messages,
//!   default printers) need `SalesSettings`.
//!
//! - **One original, even when two print at once.** A printer can take seconds, too long to hold
//!   the company file's write lock, so a print that would be the original first **claims** it: a
//!   `receipt_print` row (kind `original`, `error_kind` `in_progress`) written in its own unit of
//!   work, where the check and the claim are one transaction. A second print started while the
//!   claim is live finds the original taken and prints a COPY. The print's outcome then turns the
//!   claim into the record (or into a failure, which gives the original back). A claim older than
//!   [`CLAIM_LIVE`] is a print that never ended (Hesabu stopped while the printer had it) and
//!   takes nothing: the next print is the original again. Simplification: within those minutes
//!   after such a crash the next print is a COPY, the safer of the two mistakes.

mod build;
mod list;
mod printing;
mod snapshot;
mod store;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use hesabu_core::sales::SalesType;
use hesabu_core::sales::fiscal::{self, FiscalContext, FiscalState};
use hesabu_receipts::print::PrintError;
use hesabu_receipts::{Receipt, RenderError};
use hesabu_store::audit::AuditDraft;
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::permissions::Permission;
use hesabu_store::uow::UnitOfWork;

/// The printing layer, for callers that build [`Printers`] themselves (tests: fake `lp`).
pub use hesabu_receipts::print::{Cups, OsPrinters};
pub use printing::{PaperFormat, PrinterSpec, Printers};

use snapshot::Snapshot;

/// Where KRA is with a document's receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    /// KRA signed it: it prints as a fiscal receipt.
    Signed,
    /// Issued and not signed yet (not sent, or sent without a known answer).
    Awaiting,
    /// KRA refused it; its code and message say why.
    Rejected,
}

impl ReceiptStatus {
    /// Reads `signed`, `awaiting`, `rejected`.
    pub fn parse(text: &str) -> Result<ReceiptStatus> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "signed" => Ok(ReceiptStatus::Signed),
            "awaiting" | "unsigned" | "pending" => Ok(ReceiptStatus::Awaiting),
            "rejected" => Ok(ReceiptStatus::Rejected),
            other => Err(Error::invalid(format!(
                "'{other}' is not a receipt status: use signed, awaiting or rejected."
            ))),
        }
    }
}

/// What a print is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PrintKind {
    /// The first print of a signed receipt.
    Original,
    /// A reprint: marked COPY, labels CS/CC.
    Copy,
    /// A document KRA has not signed: "THIS IS NOT AN OFFICIAL RECEIPT".
    Provisional,
}

impl PrintKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrintKind::Original => "original",
            PrintKind::Copy => "copy",
            PrintKind::Provisional => "provisional",
        }
    }

    fn parse(text: &str) -> Result<PrintKind> {
        match text {
            "original" => Ok(PrintKind::Original),
            "copy" => Ok(PrintKind::Copy),
            "provisional" => Ok(PrintKind::Provisional),
            other => Err(Error::Internal(format!("the stored print kind '{other}'"))),
        }
    }
}

/// What to list, newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct ReceiptQuery {
    /// A document number (or part of it), a customer's name (part) or PIN, or a CU invoice
    /// number.
    #[serde(default)]
    pub search: Option<String>,
    /// yyyy-mm-dd, inclusive (the document's issue date).
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub status: Option<ReceiptStatus>,
    #[serde(default)]
    #[ts(type = "number | null")]
    pub limit: Option<u64>,
    #[serde(default)]
    #[ts(type = "number | null")]
    pub offset: Option<u64>,
}

/// One row of the receipts list.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ReceiptRow {
    pub document_id: String,
    pub number: String,
    pub doc_type: SalesType,
    pub customer_name: String,
    pub customer_pin: Option<String>,
    pub issue_date: String,
    pub issued_at: Option<String>,
    pub currency: String,
    pub total: String,
    pub status: ReceiptStatus,
    /// Awaiting KRA: seconds since the document was issued.
    #[ts(type = "number | null")]
    pub awaiting_seconds: Option<i64>,
    /// KRA's last result code and message (awaiting or rejected), verbatim.
    pub kra_code: Option<String>,
    pub kra_message: Option<String>,
    /// `{sdcId}/{curRcptNo}`, once signed.
    pub cu_invoice_no: Option<String>,
    pub signed_at: Option<String>,
    /// Successful prints and saved PDFs, and how many of them were copies.
    #[ts(type = "number")]
    pub prints: i64,
    #[ts(type = "number")]
    pub copies: i64,
}

/// A page of receipts and how many match in all.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ReceiptPage {
    pub rows: Vec<ReceiptRow>,
    #[ts(type = "number")]
    pub total: i64,
}

/// KRA's signature of a document, as stored at signing.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SignatureView {
    pub cu_invoice_no: Option<String>,
    pub sdc_id: Option<String>,
    pub mrc_no: Option<String>,
    #[ts(type = "number | null")]
    pub cur_rcpt_no: Option<i64>,
    #[ts(type = "number | null")]
    pub tot_rcpt_no: Option<i64>,
    /// Dashed every 4 characters, as printed.
    pub internal_data: Option<String>,
    pub receipt_signature: Option<String>,
    /// As KRA sent it.
    pub sdc_date_time: Option<String>,
    pub signed_at: Option<String>,
    /// Signed by looking the invoice up at KRA rather than by its answer.
    pub adopted: bool,
    /// The verification URL in the QR code (none when a segment has the wrong width).
    pub qr_url: Option<String>,
    /// The seller's PIN and branch the device signed with.
    pub pin: String,
    pub branch_id: String,
}

/// The stored receipt of a signed document.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct StoredView {
    pub stored_at: String,
    /// Who first rendered it (the name).
    pub stored_by: String,
    pub snapshot_sha256: String,
    pub renderer_version: String,
    pub originals: Vec<OriginalView>,
}

/// One stored original PDF.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct OriginalView {
    pub format: PaperFormat,
    pub sha256: String,
    #[ts(type = "number")]
    pub size_bytes: i64,
    pub rendered_at: String,
}

/// One print (or saved PDF) of a receipt.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PrintRecord {
    pub id: String,
    pub document_id: String,
    /// 1, 2, …: this print's place among the document's prints.
    #[ts(type = "number")]
    pub seq: i64,
    pub format: PaperFormat,
    pub kind: PrintKind,
    /// 1, 2, … for copies that printed.
    #[ts(type = "number | null")]
    pub copy_number: Option<i64>,
    /// `file:PATH`, `cups:NAME` or `network:HOST:PORT`.
    pub destination: String,
    /// CUPS's job id.
    pub job_id: Option<String>,
    pub content_sha256: Option<String>,
    #[ts(type = "number | null")]
    pub size_bytes: Option<i64>,
    pub printed_at: String,
    pub printed_by: String,
    pub printed_by_name: String,
    /// Why it failed (`paper_out`, `unreachable`, …); none when it printed.
    pub error_kind: Option<String>,
    pub error: Option<String>,
}

/// A receipt with everything the detail view shows.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ReceiptDetail {
    pub row: ReceiptRow,
    pub signature: Option<SignatureView>,
    pub stored: Option<StoredView>,
    /// Newest first.
    pub prints: Vec<PrintRecord>,
    /// What the next print will be (original, copy, provisional).
    pub next_print: PrintKind,
    /// Attempts at KRA so far.
    #[ts(type = "number")]
    pub kra_attempts: i64,
}

/// A rendered PDF (not a print: nothing is recorded).
#[derive(Debug, Clone)]
pub struct RenderedReceipt {
    pub document_id: String,
    pub number: String,
    pub format: PaperFormat,
    pub kind: PrintKind,
    pub pdf: Vec<u8>,
    pub sha256: String,
    /// The bytes are the stored original's.
    pub from_store: bool,
}

/// The receipt as text, for a preview on screen.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ReceiptPreview {
    pub number: String,
    pub format: PaperFormat,
    pub kind: PrintKind,
    pub text: String,
}

/// How to print: the format (default: the settings'), the printer (`cups:NAME`,
/// `net:HOST[:PORT]`; default: the format's printer in the settings) and whether to print a copy
/// even if the original was never printed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct PrintRequest {
    #[serde(default)]
    pub format: Option<PaperFormat>,
    #[serde(default)]
    pub printer: Option<String>,
    #[serde(default)]
    pub copy: bool,
}

/// What a print (or a saved PDF) did.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PrintResult {
    pub record: PrintRecord,
    /// Things worth knowing that did not stop it (paper nearly out, characters the printer
    /// lacks).
    pub warnings: Vec<String>,
}

/// The company's receipt settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReceiptSettings {
    /// Printed under the title (e.g. "Welcome"); none: nothing.
    pub top_message: Option<String>,
    /// Printed before "End of Legal Receipt" (default "THANK YOU").
    pub bottom_message: Option<String>,
    /// The format printed when none is named.
    pub default_format: PaperFormat,
    /// The printer of each format: `cups:NAME` or `network:HOST:PORT`.
    pub printer_80mm: Option<String>,
    pub printer_58mm: Option<String>,
    pub printer_a4: Option<String>,
}

impl Default for ReceiptSettings {
    fn default() -> ReceiptSettings {
        ReceiptSettings {
            top_message: None,
            bottom_message: Some("THANK YOU".to_owned()),
            default_format: PaperFormat::Roll80,
            printer_80mm: None,
            printer_58mm: None,
            printer_a4: None,
        }
    }
}

impl ReceiptSettings {
    /// The printer set for `format`.
    pub fn printer_for(&self, format: PaperFormat) -> Option<&str> {
        match format {
            PaperFormat::Roll80 => self.printer_80mm.as_deref(),
            PaperFormat::Roll58 => self.printer_58mm.as_deref(),
            PaperFormat::A4 => self.printer_a4.as_deref(),
        }
    }

    fn printer_slot(&mut self, format: PaperFormat) -> &mut Option<String> {
        match format {
            PaperFormat::Roll80 => &mut self.printer_80mm,
            PaperFormat::Roll58 => &mut self.printer_58mm,
            PaperFormat::A4 => &mut self.printer_a4,
        }
    }
}

/// The computer's printers and the configured ones.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PrinterList {
    /// The OS printers (CUPS `lpstat -e`).
    pub os_printers: Vec<String>,
    /// The OS default printer (`lpstat -d`).
    pub os_default: Option<String>,
    /// Why the OS printers could not be listed (CUPS missing or stopped, Windows), if so.
    pub os_problem: Option<String>,
    pub settings: ReceiptSettings,
}

// ---------------------------------------------------------------------------------------------
// Building and storing.

async fn company(db: &impl sea_orm::ConnectionTrait) -> Result<build::Company> {
    let c = hesabu_core::company::load(db).await?;
    Ok(build::Company {
        kra_pin: c.kra_pin,
        branch_id: c.branch_id,
        time_zone: c.time_zone,
    })
}

fn render_error(e: RenderError) -> Error {
    match e {
        RenderError::Internal(m) => Error::Internal(m),
        other => Error::invalid(other.to_string()),
    }
}

/// A signed document's receipt, built and rendered, ready to be stored.
struct Prepared {
    snapshot: Snapshot,
    json: String,
    number: String,
    submission_id: String,
    cu_invoice_no: Option<String>,
    rendered: Vec<(PaperFormat, Vec<u8>)>,
}

/// Builds and renders the receipt of `ctx`, or `None` when KRA has not signed it. Pure work
/// (no write): callers may do it before taking the write lock. Renders all three formats; a
/// format the renderer refuses (a roll too long) is left out and refused the same way later.
fn prepare(
    ctx: &FiscalContext,
    company: &build::Company,
    settings: &ReceiptSettings,
) -> Result<Option<Prepared>> {
    let Some(submission) = ctx
        .submission
        .as_ref()
        .filter(|s| s.state == FiscalState::Signed)
    else {
        return Ok(None);
    };
    let receipt = build::receipt(ctx, company, settings)?;
    let snapshot = Snapshot::of(&receipt);
    let json = snapshot.to_json()?;
    let mut rendered = Vec::new();
    let mut first_error = None;
    for format in PaperFormat::ALL {
        match hesabu_receipts::render(&receipt, format.format()) {
            Ok(pdf) => rendered.push((format, pdf)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if rendered.is_empty() {
        return Err(render_error(first_error.unwrap_or(RenderError::NoLines)));
    }
    Ok(Some(Prepared {
        snapshot,
        json,
        number: receipt.number.clone(),
        submission_id: submission.id.clone(),
        cu_invoice_no: submission.cu_invoice_no.clone(),
        rendered,
    }))
}

/// Writes a prepared receipt (snapshot and originals), audited (`receipt.store`). The caller
/// has checked, under the write lock, that none is stored yet.
async fn insert_prepared(uow: &mut UnitOfWork, document_id: &str, p: &Prepared) -> Result<()> {
    let now = uow.now_text();
    let by = uow.actor().id.clone();
    store::insert_receipt(
        uow.db(),
        document_id,
        &p.submission_id,
        &p.json,
        &now,
        by.as_deref(),
    )
    .await?;
    let mut hashes = serde_json::Map::new();
    for (format, pdf) in &p.rendered {
        let sha = store::insert_original(uow.db(), document_id, *format, pdf, &now).await?;
        hashes.insert(format.as_str().to_owned(), sha.into());
    }
    uow.audit(AuditDraft {
        action: "receipt.store",
        entity_type: "sale",
        entity_id: document_id.to_owned(),
        before: None,
        after: Some(json!({
            "number": p.number,
            "cu_invoice_no": p.cu_invoice_no,
            "snapshot_sha256": store::sha256_hex(p.json.as_bytes()),
            "originals": hashes,
            "renderer": store::RENDERER_VERSION,
        })),
    })
    .await
}

/// Stores the receipt of a KRA-signed document if it is not stored yet: the renderer's input
/// and the original PDF of each format, audited (`receipt.store`). Returns the snapshot, or
/// `None` for a document KRA has not signed (nothing is stored).
async fn ensure_stored_in(uow: &mut UnitOfWork, ctx: &FiscalContext) -> Result<Option<Snapshot>> {
    let id = ctx.sale.id.clone();
    if let Some(stored) = store::receipt(uow.db(), &id).await? {
        return Ok(Some(Snapshot::from_json(&stored.snapshot_json)?));
    }
    let settings = store::settings(uow.db()).await?;
    let Some(prepared) = prepare(ctx, &company(uow.db()).await?, &settings)? else {
        return Ok(None);
    };
    insert_prepared(uow, &id, &prepared).await?;
    Ok(Some(prepared.snapshot))
}

/// Stores a signed document's receipt in the caller's unit of work. Returns whether the
/// document has a stored receipt now (false: KRA has not signed it).
pub async fn store_original_in(uow: &mut UnitOfWork, document_id: &str) -> Result<bool> {
    let ctx = fiscal::context(uow.db(), document_id).await?;
    build::check_has_receipt(&ctx)?;
    Ok(ensure_stored_in(uow, &ctx).await?.is_some())
}

/// Stores a document's receipt as KRA just signed it, in its own unit of work (the fiscal flow
/// calls it right after the signature commits), so the original keeps the seller details and
/// messages of the signing moment even when it is first printed weeks later. The receipt is
/// built and rendered before the write lock is taken (rendering takes milliseconds; the lock
/// is held only for the inserts). Returns whether a receipt is stored now (false: not signed).
pub async fn store_after_signing(file: &CompanyFile, document_id: &str) -> Result<bool> {
    let ctx = fiscal::context(file.reader(), document_id).await?;
    let id = ctx.sale.id.clone();
    if store::receipt(file.reader(), &id).await?.is_some() {
        return Ok(true);
    }
    let settings = store::settings(file.reader()).await?;
    let company = company(file.reader()).await?;
    let prepared = tokio::task::spawn_blocking(move || prepare(&ctx, &company, &settings))
        .await
        .map_err(|e| Error::Internal(format!("the receipt rendering task stopped: {e}")))??;
    let Some(prepared) = prepared else {
        return Ok(false);
    };
    let mut uow = file.begin_system().await?;
    // Another window (or a print) may have stored it meanwhile: the first one stays.
    if store::receipt(uow.db(), &id).await?.is_none() {
        insert_prepared(&mut uow, &id, &prepared).await?;
        uow.commit().await?;
    }
    Ok(true)
}

/// What a document's receipt is rendered from.
enum Source {
    /// KRA signed it: the stored snapshot.
    Stored(Box<Snapshot>),
    /// Not signed: built from the ledger now, provisional.
    Provisional(Box<Receipt>),
}

struct Loaded {
    id: String,
    number: String,
    source: Source,
}

/// The document `key` (id or number) and what its receipt comes from, storing a signed one's
/// receipt first if needed (in its own audited unit of work).
async fn load(file: &CompanyFile, session: &Session, key: &str) -> Result<Loaded> {
    let ctx = fiscal::context(file.reader(), key).await?;
    let number = build::check_has_receipt(&ctx)?;
    let id = ctx.sale.id.clone();
    if build::is_signed(&ctx) {
        if let Some(stored) = store::receipt(file.reader(), &id).await? {
            return Ok(Loaded {
                id,
                number,
                source: Source::Stored(Box::new(Snapshot::from_json(&stored.snapshot_json)?)),
            });
        }
        let mut uow = file.begin(session).await?;
        // Read again under the write lock: another window may have stored it meanwhile.
        let ctx = fiscal::context(uow.db(), &id).await?;
        let snapshot = ensure_stored_in(&mut uow, &ctx).await?;
        if let Some(snapshot) = snapshot {
            uow.commit().await?;
            return Ok(Loaded {
                id,
                number,
                source: Source::Stored(Box::new(snapshot)),
            });
        }
    }
    let settings = store::settings(file.reader()).await?;
    let receipt = build::receipt(&ctx, &company(file.reader()).await?, &settings)?;
    Ok(Loaded {
        id,
        number,
        source: Source::Provisional(Box::new(receipt)),
    })
}

/// How long a claimed original stays taken while its print has not ended. Printing answers
/// within a minute (the network printer's time-outs are seconds, `lp` only queues); a claim
/// older than this is a print that never ended.
pub const CLAIM_LIVE: chrono::Duration = chrono::Duration::minutes(5);

/// Originals taken now: printed, or claimed by a print still under way.
async fn originals_taken(file: &CompanyFile, document_id: &str) -> Result<i64> {
    let live_since = hesabu_store::clock::format_timestamp(file.clock().now() - CLAIM_LIVE);
    store::originals_taken(file.reader(), document_id, &live_since).await
}

/// Claims the receipt's original for a print about to be sent, in its own unit of work
/// (audited `receipt.original_claimed`): the claim's id, or `None` when another print has printed
/// or claimed the original since `kind` was decided (this print is then a COPY).
async fn claim_original(
    file: &CompanyFile,
    session: &Session,
    loaded: &Loaded,
    format: PaperFormat,
    destination: &str,
) -> Result<Option<String>> {
    let mut uow = file.begin(session).await?;
    let live_since = hesabu_store::clock::format_timestamp(uow.now() - CLAIM_LIVE);
    if store::originals_taken(uow.db(), &loaded.id, &live_since).await? > 0 {
        return Ok(None);
    }
    let id = uow.new_id();
    store::insert_print(
        uow.db(),
        &store::NewPrint {
            id: id.clone(),
            document_id: &loaded.id,
            format,
            kind: PrintKind::Original,
            copy_number: None,
            destination,
            job_id: None,
            content_sha256: None,
            size_bytes: None,
            at: uow.now_text(),
            by: session.user_id().to_owned(),
            error_kind: Some(store::IN_PROGRESS.to_owned()),
            error: Some(
                "Being printed. If this stays, Hesabu stopped before the printer answered: \
                 check the paper, then print again."
                    .to_owned(),
            ),
        },
    )
    .await?;
    uow.audit(AuditDraft {
        action: "receipt.original_claimed",
        entity_type: "sale",
        entity_id: loaded.id.clone(),
        before: None,
        after: Some(json!({
            "number": loaded.number,
            "format": format.as_str(),
            "kind": PrintKind::Original.as_str(),
            "destination": destination,
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(Some(id))
}

/// The kind of a print about to be sent to `destination`, and the claim it holds: an original
/// is claimed first; if another print took it meanwhile, this one is a copy.
async fn decide_and_claim(
    file: &CompanyFile,
    session: &Session,
    loaded: &Loaded,
    format: PaperFormat,
    copy: bool,
    destination: &str,
) -> Result<(PrintKind, Option<String>)> {
    let kind = decide(
        &loaded.source,
        originals_taken(file, &loaded.id).await?,
        copy,
    );
    if kind != PrintKind::Original {
        return Ok((kind, None));
    }
    Ok(
        match claim_original(file, session, loaded, format, destination).await? {
            Some(claim) => (PrintKind::Original, Some(claim)),
            None => (PrintKind::Copy, None),
        },
    )
}

fn decide(source: &Source, originals_printed: i64, copy: bool) -> PrintKind {
    match source {
        Source::Provisional(_) => PrintKind::Provisional,
        Source::Stored(_) if copy || originals_printed > 0 => PrintKind::Copy,
        Source::Stored(_) => PrintKind::Original,
    }
}

fn receipt_of(source: &Source, kind: PrintKind) -> Result<Receipt> {
    match source {
        Source::Stored(s) => s.receipt(kind == PrintKind::Copy),
        Source::Provisional(r) => Ok((**r).clone()),
    }
}

/// The PDF of `kind` in `format`: the stored original's bytes for an original, else rendered
/// from the source.
async fn pdf_of(
    file: &CompanyFile,
    loaded: &Loaded,
    kind: PrintKind,
    format: PaperFormat,
) -> Result<(Vec<u8>, bool)> {
    if kind == PrintKind::Original
        && let Some(pdf) = store::original(file.reader(), &loaded.id, format).await?
    {
        return Ok((pdf, true));
    }
    let receipt = receipt_of(&loaded.source, kind)?;
    let pdf = hesabu_receipts::render(&receipt, format.format()).map_err(render_error)?;
    Ok((pdf, false))
}

// ---------------------------------------------------------------------------------------------
// Reading.

/// Receipts, newest first, one page at a time, with where KRA is with each.
pub async fn list(
    file: &CompanyFile,
    session: &Session,
    query: &ReceiptQuery,
) -> Result<ReceiptPage> {
    session.require(Permission::SalesView)?;
    list::page(file.reader(), query, file.clock().now()).await
}

/// One receipt: its status, KRA's signature, the stored originals and the print history.
pub async fn show(file: &CompanyFile, session: &Session, key: &str) -> Result<ReceiptDetail> {
    session.require(Permission::SalesView)?;
    let db = file.reader();
    let ctx = fiscal::context(db, key).await?;
    build::check_has_receipt(&ctx)?;
    let id = ctx.sale.id.clone();
    let row = list::one(db, &id, file.clock().now())
        .await?
        .ok_or_else(|| Error::NotFound(format!("No receipt for {key}.")))?;
    let signature = ctx
        .submission
        .as_ref()
        .filter(|s| s.state == FiscalState::Signed)
        .map(|s| {
            let environment = ctx
                .device
                .as_ref()
                .map_or(hesabu_receipts::Environment::Sandbox, |d| {
                    build::environment(&d.base_url)
                });
            SignatureView {
                cu_invoice_no: s.cu_invoice_no.clone(),
                sdc_id: s.sdc_id.clone(),
                mrc_no: s.mrc_no.clone(),
                cur_rcpt_no: s.cur_rcpt_no,
                tot_rcpt_no: s.tot_rcpt_no,
                internal_data: s.intrl_data.as_deref().map(hesabu_receipts::dashed),
                receipt_signature: s.rcpt_sign.as_deref().map(hesabu_receipts::dashed),
                sdc_date_time: s.sdc_date_time.clone(),
                signed_at: s.signed_at.clone(),
                adopted: s.adopted,
                qr_url: s.rcpt_sign.as_deref().and_then(|sign| {
                    hesabu_receipts::qr_url(environment, &s.tin, &s.bhf_id, sign).ok()
                }),
                pin: s.tin.clone(),
                branch_id: s.bhf_id.clone(),
            }
        });
    let stored = match store::receipt(db, &id).await? {
        Some(r) => Some(StoredView {
            stored_at: r.stored_at,
            stored_by: r.stored_by,
            snapshot_sha256: r.snapshot_sha256,
            renderer_version: r.renderer_version,
            originals: store::originals(db, &id).await?,
        }),
        None => None,
    };
    let originals = originals_taken(file, &id).await?;
    let next_print = if signature.is_some() {
        if originals > 0 {
            PrintKind::Copy
        } else {
            PrintKind::Original
        }
    } else {
        PrintKind::Provisional
    };
    Ok(ReceiptDetail {
        row,
        signature,
        stored,
        prints: store::prints(db, &id).await?,
        next_print,
        kra_attempts: ctx.submission.as_ref().map_or(0, |s| s.attempts),
    })
}

/// The receipt's PDF in `format`, as the next print would be (original until one printed, then
/// COPY; `copy` asks for a copy anyway; provisional while KRA has not signed). Nothing is
/// recorded: this is a preview (a signed document's receipt is stored on first use).
pub async fn render(
    file: &CompanyFile,
    session: &Session,
    key: &str,
    format: PaperFormat,
    copy: bool,
) -> Result<RenderedReceipt> {
    session.require(Permission::SalesView)?;
    let loaded = load(file, session, key).await?;
    let kind = decide(
        &loaded.source,
        originals_taken(file, &loaded.id).await?,
        copy,
    );
    let (pdf, from_store) = pdf_of(file, &loaded, kind, format).await?;
    Ok(RenderedReceipt {
        sha256: store::sha256_hex(&pdf),
        document_id: loaded.id,
        number: loaded.number,
        format,
        kind,
        pdf,
        from_store,
    })
}

/// The receipt as text laid out for `format` (the same content and order as the PDF; the QR
/// code given as its URL), for a preview on screen. Nothing is recorded.
pub async fn preview(
    file: &CompanyFile,
    session: &Session,
    key: &str,
    format: PaperFormat,
    copy: bool,
) -> Result<ReceiptPreview> {
    session.require(Permission::SalesView)?;
    let loaded = load(file, session, key).await?;
    let kind = decide(
        &loaded.source,
        originals_taken(file, &loaded.id).await?,
        copy,
    );
    let receipt = receipt_of(&loaded.source, kind)?;
    let text =
        hesabu_receipts::render_text(&receipt, format.format().columns()).map_err(render_error)?;
    Ok(ReceiptPreview {
        number: loaded.number,
        format,
        kind,
        text,
    })
}

// ---------------------------------------------------------------------------------------------
// Printing.

/// How a print ended, to record.
enum Outcome {
    Done {
        destination: String,
        job_id: Option<String>,
        bytes: Vec<u8>,
    },
    Failed {
        destination: String,
        kind: String,
        message: String,
    },
}

/// Records one print in its own unit of work with one audit entry; a successful copy takes the
/// next copy number.
async fn record(
    file: &CompanyFile,
    session: &Session,
    loaded: &Loaded,
    format: PaperFormat,
    kind: PrintKind,
    claim: Option<&str>,
    outcome: &Outcome,
) -> Result<PrintRecord> {
    let mut uow = file.begin(session).await?;
    let id = claim.map_or_else(|| uow.new_id(), str::to_owned);
    let (ok, destination) = match outcome {
        Outcome::Done { destination, .. } => (true, destination.as_str()),
        Outcome::Failed { destination, .. } => (false, destination.as_str()),
    };
    let copy_number = if ok && kind == PrintKind::Copy {
        let (_, copies) = store::print_counts(uow.db(), &loaded.id).await?;
        Some(copies + 1)
    } else {
        None
    };
    let (job_id, sha, size, error_kind, error) = match outcome {
        Outcome::Done { job_id, bytes, .. } => (
            job_id.clone(),
            Some(store::sha256_hex(bytes)),
            Some(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
            None,
            None,
        ),
        Outcome::Failed { kind, message, .. } => {
            (None, None, None, Some(kind.clone()), Some(message.clone()))
        }
    };
    let print = store::NewPrint {
        id: id.clone(),
        document_id: &loaded.id,
        format,
        kind,
        copy_number,
        destination,
        job_id: job_id.clone(),
        content_sha256: sha.clone(),
        size_bytes: size,
        at: uow.now_text(),
        by: session.user_id().to_owned(),
        error_kind: error_kind.clone(),
        error: error.clone(),
    };
    match claim {
        Some(_) => store::finish_print(uow.db(), &print).await?,
        None => store::insert_print(uow.db(), &print).await?,
    }
    uow.audit(AuditDraft {
        action: if ok {
            "receipt.print"
        } else {
            "receipt.print_failed"
        },
        entity_type: "sale",
        entity_id: loaded.id.clone(),
        before: None,
        after: Some(json!({
            "number": loaded.number,
            "format": format.as_str(),
            "kind": kind.as_str(),
            "copy_number": copy_number,
            "destination": destination,
            "job_id": job_id,
            "sha256": sha,
            "error_kind": error_kind,
        })),
    })
    .await?;
    uow.commit().await?;
    store::print(file.reader(), &id).await
}

/// When what a claimed print needed could not be made (the stored original failed its hash
/// check, the renderer refused), the claim is recorded as a print that was not sent, so the
/// original is not held for [`CLAIM_LIVE`]; the error is what the user sees either way.
async fn release_on_error<T>(
    file: &CompanyFile,
    session: &Session,
    loaded: &Loaded,
    format: PaperFormat,
    claim: Option<&str>,
    destination: &str,
    prepared: Result<T>,
) -> Result<T> {
    if let (Err(e), Some(_)) = (&prepared, claim) {
        let _ = record(
            file,
            session,
            loaded,
            format,
            PrintKind::Original,
            claim,
            &Outcome::Failed {
                destination: destination.to_owned(),
                kind: "not_sent".to_owned(),
                message: e.to_string(),
            },
        )
        .await;
    }
    prepared
}

fn print_title(loaded: &Loaded, kind: PrintKind) -> String {
    match kind {
        PrintKind::Copy => format!("Receipt {} (COPY)", loaded.number),
        PrintKind::Original => format!("Receipt {}", loaded.number),
        PrintKind::Provisional => format!("Receipt {} (not official)", loaded.number),
    }
}

/// Prints the receipt on a printer (see [`PrintRequest`]). The first successful print of a
/// signed receipt is the original, later ones are COPY. A failed print is recorded with its
/// reason and answers an error saying what to fix; the receipt stays stored and re-printable.
pub async fn print(
    file: &CompanyFile,
    session: &Session,
    key: &str,
    request: &PrintRequest,
    printers: &Printers,
) -> Result<PrintResult> {
    session.require(Permission::SalesIssue)?;
    let settings = store::settings(file.reader()).await?;
    let format = request.format.unwrap_or(settings.default_format);
    let spec = match request
        .printer
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(p) => PrinterSpec::parse(p)?,
        None => match settings.printer_for(format) {
            Some(p) => PrinterSpec::parse(p)?,
            None => {
                return Err(Error::invalid(format!(
                    "No printer is set for {format} receipts. Choose one in the receipt \
                     settings (`hesabu receipt set-printer --format {format} --printer \
                     cups:NAME` or `net:HOST`), or name a printer for this print."
                )));
            }
        },
    };
    let loaded = load(file, session, key).await?;
    let (kind, claim) = decide_and_claim(
        file,
        session,
        &loaded,
        format,
        request.copy,
        &spec.destination(),
    )
    .await?;
    let prepared = async {
        let receipt = receipt_of(&loaded.source, kind)?;
        let pdf = match spec {
            PrinterSpec::Cups(_) => Some(pdf_of(file, &loaded, kind, format).await?.0),
            PrinterSpec::Network(_) => None,
        };
        Ok((receipt, pdf))
    }
    .await;
    let (receipt, pdf) = release_on_error(
        file,
        session,
        &loaded,
        format,
        claim.as_deref(),
        &spec.destination(),
        prepared,
    )
    .await?;
    let title = print_title(&loaded, kind);
    let sent = {
        let printers = printers.clone();
        let spec = spec.clone();
        tokio::task::spawn_blocking(move || {
            printing::send(&printers, &spec, format, &receipt, pdf, &title)
        })
        .await
        .map_err(|e| Error::Internal(format!("the printing task stopped: {e}")))?
    };
    match sent {
        Ok(sent) => {
            let record = record(
                file,
                session,
                &loaded,
                format,
                kind,
                claim.as_deref(),
                &Outcome::Done {
                    destination: sent.destination,
                    job_id: sent.job_id,
                    bytes: sent.bytes,
                },
            )
            .await?;
            Ok(PrintResult {
                record,
                warnings: sent.warnings,
            })
        }
        Err(not_sent) => {
            let error = printing::to_error(&not_sent.error);
            // The failure is recorded for the history; if even that fails, the printer's
            // error is still what the user needs to see.
            let _ = record(
                file,
                session,
                &loaded,
                format,
                kind,
                claim.as_deref(),
                &Outcome::Failed {
                    destination: not_sent.destination,
                    kind: not_sent.error.kind().to_owned(),
                    message: not_sent.error.to_string(),
                },
            )
            .await;
            Err(error)
        }
    }
}

/// Saves the receipt's PDF in `format` to `path` (written whole or not at all), recorded like a
/// print (`file:PATH`): the first save of a signed receipt is its original.
pub async fn save_pdf(
    file: &CompanyFile,
    session: &Session,
    key: &str,
    format: PaperFormat,
    copy: bool,
    path: &Path,
) -> Result<PrintResult> {
    session.require(Permission::SalesIssue)?;
    let loaded = load(file, session, key).await?;
    let destination = format!("file:{}", path.display());
    let (kind, claim) =
        decide_and_claim(file, session, &loaded, format, copy, &destination).await?;
    let prepared = pdf_of(file, &loaded, kind, format).await;
    let (pdf, _) = release_on_error(
        file,
        session,
        &loaded,
        format,
        claim.as_deref(),
        &destination,
        prepared,
    )
    .await?;
    match write_whole(path, &pdf) {
        Ok(()) => {
            let record = record(
                file,
                session,
                &loaded,
                format,
                kind,
                claim.as_deref(),
                &Outcome::Done {
                    destination,
                    job_id: None,
                    bytes: pdf,
                },
            )
            .await?;
            Ok(PrintResult {
                record,
                warnings: Vec::new(),
            })
        }
        Err(e) => {
            let message = format!(
                "Could not save the receipt to {}: {e}. Choose another folder (one you may \
                 write to) and save again; the receipt stays stored in Hesabu.",
                path.display()
            );
            let _ = record(
                file,
                session,
                &loaded,
                format,
                kind,
                claim.as_deref(),
                &Outcome::Failed {
                    destination,
                    kind: "file".to_owned(),
                    message: message.clone(),
                },
            )
            .await;
            Err(Error::invalid(message))
        }
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a reader never
/// sees half a PDF.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })
}

/// The computer's printers (through CUPS) and the printers set per format.
pub async fn printers(
    file: &CompanyFile,
    session: &Session,
    printers: &Printers,
) -> Result<PrinterList> {
    session.require(Permission::SalesView)?;
    let settings = store::settings(file.reader()).await?;
    let os = printers.os.clone();
    let (listed, default) =
        tokio::task::spawn_blocking(move || (os.printers(), os.default_printer()))
            .await
            .map_err(|e| Error::Internal(format!("the printer listing stopped: {e}")))?;
    let problem = |e: &PrintError| e.to_string();
    let (os_printers, mut os_problem) = match listed {
        Ok(list) => (list, None),
        Err(e) => (Vec::new(), Some(problem(&e))),
    };
    let os_default = match default {
        Ok(d) => d,
        Err(e) => {
            os_problem.get_or_insert_with(|| problem(&e));
            None
        }
    };
    Ok(PrinterList {
        os_printers,
        os_default,
        os_problem,
        settings,
    })
}

// ---------------------------------------------------------------------------------------------
// Settings.

/// The receipt settings (the defaults until someone changes them).
pub async fn settings(file: &CompanyFile, session: &Session) -> Result<ReceiptSettings> {
    session.require(Permission::SalesView)?;
    store::settings(file.reader()).await
}

/// The longest top or bottom message (the renderer's limit).
const MESSAGE_MAX: usize = 400;

fn clean_message(what: &str, text: Option<&str>) -> Result<Option<String>> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let n = t.chars().count();
    if n > MESSAGE_MAX {
        return Err(Error::invalid(format!(
            "The {what} is {n} characters long; a receipt prints at most {MESSAGE_MAX}. \
             Shorten it."
        )));
    }
    if t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid(format!(
            "The {what} contains a control character; use plain text (a new line is fine)."
        )));
    }
    Ok(Some(t.replace("\r\n", "\n")))
}

fn clean_printer(text: Option<&str>) -> Result<Option<String>> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| PrinterSpec::parse(t).map(|p| p.destination()))
        .transpose()
}

/// Replaces the receipt settings (messages, default format, printers). Audited. Receipts
/// already stored keep the messages they were stored with.
pub async fn update_settings(
    file: &CompanyFile,
    session: &Session,
    change: &ReceiptSettings,
) -> Result<ReceiptSettings> {
    session.require(Permission::SalesSettings)?;
    let next = ReceiptSettings {
        top_message: clean_message("top message", change.top_message.as_deref())?,
        bottom_message: clean_message("bottom message", change.bottom_message.as_deref())?,
        default_format: change.default_format,
        printer_80mm: clean_printer(change.printer_80mm.as_deref())?,
        printer_58mm: clean_printer(change.printer_58mm.as_deref())?,
        printer_a4: clean_printer(change.printer_a4.as_deref())?,
    };
    let mut uow = file.begin(session).await?;
    let before = store::settings(uow.db()).await?;
    let company = hesabu_core::company::load(uow.db()).await?;
    let now = uow.now_text();
    store::save_settings(uow.db(), &company.id, &next, &now, session.user_id()).await?;
    uow.audit(AuditDraft {
        action: "receipt.settings",
        entity_type: "company",
        entity_id: company.id,
        before: serde_json::to_value(&before).ok(),
        after: serde_json::to_value(&next).ok(),
    })
    .await?;
    uow.commit().await?;
    Ok(next)
}

/// Sets (or with `None` clears) the printer of one format.
pub async fn set_printer(
    file: &CompanyFile,
    session: &Session,
    format: PaperFormat,
    printer: Option<&str>,
) -> Result<ReceiptSettings> {
    session.require(Permission::SalesSettings)?;
    let mut next = store::settings(file.reader()).await?;
    *next.printer_slot(format) = printer.map(str::to_owned);
    update_settings(file, session, &next).await
}
