//! Signing a sale or credit note with KRA e-TIMS: the safe-send algorithm of spec §11.4, on
//! the ledger's fiscal records (`hesabu_core::sales::fiscal`) and the typed client.
//!
//! 1. **Validate locally** ([`checklist`]): every blocking problem with its fix; none reaches
//!    KRA.
//! 2. **Reserve** the device's next `invcNo` (strictly last + 1) and store the exact JSON to send,
//!    in one unit of work, *before* the call.
//! 3. **Send**. `000`: the signature is stored and the sale marked fiscalised.
//! 4. **Definitive rejection**: the number is released (only if no later one was used), the
//!    submission is `rejected` with KRA's code and message verbatim.
//! 5. **Timeout / transport error**: the number is kept, the submission `unknown`. The next
//!    attempt (background or manual) first asks KRA (`selectInvoiceDetails`): found → adopt its
//!    signature; `001` → resend the same frozen JSON with the same number; error → still unknown.
//! 6. **One at a time per device, FIFO**: the outbox's ordering key; and no new number is taken
//!    while another sale's number is out with no known outcome.
//!
//! `994` (duplicate) is resolved by the same lookup: adopted when KRA's invoice is ours (same
//! `trdInvcNo`, total and receipt type), otherwise the device's numbers have drifted (another
//! system uses them) and sending stops for a person. "Expected N" (the integrator's counter
//! check) is corrected automatically only when every lower number is signed in this file;
//! otherwise a person gets both numbers and what to do.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::device::{self, client_error};
use super::payload::{self, PayloadContext};
use hesabu_core::company;
use hesabu_core::sales::fiscal::{
    self as ledger, Answer, FiscalContext, FiscalState, Reservation, Signature, SubmissionView,
};
use hesabu_core::sales::{SalesStatus, SalesType};
use hesabu_core::workflows::{self, ExecutionView, WorkflowType};
use hesabu_etims::Client;
use hesabu_etims::types::sales::{InvoiceDetail, SaveSaleRequest};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;
use hesabu_store::error::{Error, Result};
use hesabu_store::outbox::{Ack, RemoteState, SendError};
use hesabu_store::permissions::Permission;
use hesabu_store::secrets::SecretStore;
use hesabu_store::uow::UnitOfWork;
use sea_orm::{ConnectionTrait, Statement};

/// One reason a sale cannot be sent to KRA yet, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A stable word for the UI (`no_device`, `not_issued`, `no_item`, ...).
    pub code: String,
    pub message: String,
    pub fix: String,
}

fn problem(code: &str, message: impl Into<String>, fix: impl Into<String>) -> Problem {
    Problem {
        code: code.into(),
        message: message.into(),
        fix: fix.into(),
    }
}

/// The pre-send checklist of one sale: ready when there is no problem. Warnings do not stop
/// it (e.g. an item not registered, which the legacy gateway signs without).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checklist {
    pub document_id: String,
    pub document_number: Option<String>,
    pub ready: bool,
    pub problems: Vec<Problem>,
    #[serde(default)]
    pub warnings: Vec<Problem>,
}

/// The pre-send checklist of a sale (by id or number), for `hesabu etims checklist` and the UI.
pub async fn checklist(file: &CompanyFile, session: &Session, key: &str) -> Result<Checklist> {
    session.require(Permission::SalesView)?;
    let ctx = ledger::context(file.reader(), key).await?;
    let mut problems = problems_of(&ctx, file.clock().now());
    let mut warnings = Vec::new();
    // The master data's checks (PIN at KRA, items registered, codes per the cache).
    if !problems.iter().any(|p| p.code == "signed") {
        let found = super::masters::sale_findings(file.reader(), &ctx).await?;
        problems.extend(found.blocking);
        warnings = found.warnings;
    }
    Ok(Checklist {
        document_id: ctx.sale.id.clone(),
        document_number: ctx.sale.number.clone(),
        ready: problems.is_empty(),
        problems,
        warnings,
    })
}

/// Every blocking problem of a sale before it goes to KRA (spec §11.4 step 1). A sale KRA has
/// signed has one problem: it is signed.
pub fn problems_of(ctx: &FiscalContext, now: DateTime<Utc>) -> Vec<Problem> {
    let sale = &ctx.sale;
    let label = sale.number.clone().unwrap_or_else(|| "This draft".into());
    let mut out = Vec::new();
    match &ctx.device {
        None => out.push(problem(
            "no_device",
            "This company has no e-TIMS device.",
            "Set it up: `hesabu etims device init --serial SERIAL` (the serial declared on the \
             eTIMS portal).",
        )),
        Some(d) if d.sdc_id.is_none() => out.push(problem(
            "no_sdc_id",
            "The device's SCU id (sdcId) is not known; every receipt prints it.",
            "Enter it: `hesabu etims device init --serial SERIAL --cmc-key KEY --sdc-id ID \
             --mrc-no MRC --force`.",
        )),
        Some(_) => {}
    }
    if let Some(s) = &ctx.submission {
        match s.state {
            FiscalState::Signed => {
                out.push(problem(
                    "signed",
                    format!(
                        "{label} is already signed by KRA (CU invoice {}).",
                        s.cu_invoice_no.as_deref().unwrap_or("?")
                    ),
                    "Nothing to send. To correct it, raise a credit note.",
                ));
                return out;
            }
            FiscalState::Reserved | FiscalState::Unknown => {}
            FiscalState::Rejected => {}
        }
    }
    match sale.status {
        SalesStatus::Issued => {}
        SalesStatus::Fiscalised => out.push(problem(
            "fiscalised",
            format!("{label} is already fiscalised."),
            "Nothing to send.",
        )),
        SalesStatus::Void => out.push(problem(
            "void",
            format!("{label} is void."),
            "A void sale is not sent to KRA.",
        )),
        SalesStatus::Draft | SalesStatus::PendingApproval => out.push(problem(
            "not_issued",
            format!("{label} is not issued (it is {}).", sale.status),
            "Issue it first (`hesabu sale issue`); it is numbered then.",
        )),
    }
    // KRA takes KES: a foreign-currency sale is sent as its KES figures (spec §12.3), which
    // the ledger can always give unless the stored sale no longer adds up.
    let kes = match sale.in_base_currency() {
        Ok(kes) => kes,
        Err(e) => {
            out.push(problem(
                "currency",
                format!("{label}'s KES figures cannot be worked out: {e}"),
                "Credit it and re-issue it; if that happens again, restore the last backup.",
            ));
            sale.clone()
        }
    };
    // A line on the other basis, or whose price has more than 2 places, is re-expressed
    // (spec §12.1); a line that cannot be is listed here, in the builder's words.
    if let Some(d) = &ctx.device {
        for line in &kes.lines {
            if let Err(e) = payload::wire_figures(&kes, line, d.price_basis, &label) {
                out.push(problem(
                    "price_basis",
                    e.to_string(),
                    if kes.price_basis == d.price_basis {
                        "Credit it and re-issue it with a unit price of at most 2 decimal places."
                            .to_owned()
                    } else {
                        format!(
                            "This device's gateway checks {} prices: issue the sale on that \
                             basis.",
                            d.price_basis
                        )
                    },
                ));
            }
        }
    }
    for line in &sale.lines {
        let item = line.item_id.as_ref().and_then(|id| ctx.items.get(id));
        match item {
            None => out.push(problem(
                "no_item",
                format!(
                    "Line {} ({}) names no item; e-TIMS needs a registered item on every line.",
                    line.position, line.description
                ),
                "Credit it and re-issue the sale with an item on the line.",
            )),
            Some(item) => {
                if item.classification_code.is_none() {
                    out.push(problem(
                        "no_classification",
                        format!("Item {} has no KRA item classification code.", item.code),
                        format!(
                            "Add one: `hesabu item edit {} --classification CODE`.",
                            item.code
                        ),
                    ));
                }
                if ctx
                    .device
                    .as_ref()
                    .is_some_and(|d| d.gateway == ledger::GatewayProfile::Integrator)
                    && item.etims_state != "registered"
                {
                    out.push(problem(
                        "item_not_registered",
                        format!(
                            "Item {} is not registered with e-TIMS; the integrator gateway \
                             refuses sales of unregistered items.",
                            item.code
                        ),
                        format!(
                            "Register it: `hesabu etims item register {}` (or the item \
                             workflow).",
                            item.code
                        ),
                    ));
                }
            }
        }
    }
    if let Some(pin) = &sale.customer_pin
        && company::validate_kra_pin(pin).is_err()
    {
        out.push(problem(
            "customer_pin",
            format!("The customer's KRA PIN '{pin}' is not a valid PIN."),
            "Correct the customer's PIN, credit this sale and issue it again.",
        ));
    }
    if sale.doc_type == SalesType::CreditNote {
        if sale.reason_code.is_none() {
            out.push(problem(
                "no_reason",
                format!("{label} is a credit note without a reason code (KRA code class 32)."),
                "Credit notes need a reason: raise it again with --reason CODE.",
            ));
        }
        match &ctx.original {
            Some(o) if o.state == FiscalState::Signed => {}
            _ => out.push(problem(
                "original_not_signed",
                format!(
                    "The original of {label} ({}) is not signed by KRA; a credit note carries \
                     the original's e-TIMS invoice number.",
                    sale.original_number.as_deref().unwrap_or("?")
                ),
                "Send the original first (`hesabu etims send ORIGINAL`); the credit note follows.",
            )),
        }
    }
    // Whatever else the builder refuses (it maps fields and checks them).
    if out.is_empty()
        && let Err(e) = build_request(ctx, 1, now)
    {
        out.push(problem(
            "payload",
            e.to_string(),
            "Correct the sale, then send it.",
        ));
    }
    out
}

/// The `saveTrnsSalesOsdc` request of the sale with `invc_no`.
fn build_request(ctx: &FiscalContext, invc_no: i64, now: DateTime<Utc>) -> Result<SaveSaleRequest> {
    let device = ctx
        .device
        .as_ref()
        .ok_or_else(|| Error::Conflict("This company has no e-TIMS device.".into()))?;
    let org_invc_no = match (&ctx.sale.doc_type, &ctx.original) {
        (SalesType::CreditNote, Some(o)) => o.invc_no.unwrap_or(0),
        _ => 0,
    };
    // KRA's regrId is at most 20 characters: the user id without its dashes, cut to 20.
    let user_id: String = ctx.issuer_id.replace('-', "").chars().take(20).collect();
    let user_name: String = ctx.issuer_name.chars().take(60).collect();
    payload::build(
        &ctx.sale,
        &ctx.items,
        &PayloadContext {
            invc_no: u64::try_from(invc_no).unwrap_or(0),
            org_invc_no: u64::try_from(org_invc_no).unwrap_or(0),
            confirmed_at: now,
            gateway_basis: device.price_basis,
            unused_band_rate: device.unused_band_rate,
            user_id,
            user_name,
            trade_name: Some(ctx.trade_name.chars().take(20).collect()),
            address: ctx.address.as_ref().map(|a| a.chars().take(200).collect()),
        },
    )
}

/// What `hesabu etims payload` prints: the JSON that is (or would be) sent.
#[derive(Debug, Clone, Serialize)]
pub struct PayloadPreview {
    pub document_id: String,
    pub document_number: Option<String>,
    /// `frozen`: this exact JSON was stored before sending and is what KRA gets (again);
    /// `preview`: built now with the next free number, which is only reserved when it is sent.
    pub kind: &'static str,
    pub payload: Value,
}

/// The JSON a sale is (or would be) sent to KRA with, without sending anything.
pub async fn payload_preview(
    file: &CompanyFile,
    session: &Session,
    key: &str,
) -> Result<PayloadPreview> {
    session.require(Permission::SalesView)?;
    let ctx = ledger::context(file.reader(), key).await?;
    if let Some(s) = &ctx.submission
        && s.state != FiscalState::Rejected
    {
        return Ok(PayloadPreview {
            document_id: ctx.sale.id.clone(),
            document_number: ctx.sale.number.clone(),
            kind: "frozen",
            payload: serde_json::from_str(&s.request_json)
                .map_err(|e| Error::Internal(format!("the stored request is not JSON: {e}")))?,
        });
    }
    let next = ctx.device.as_ref().map_or(1, |d| d.last_invc_no + 1);
    let request = build_request(&ctx, next, file.clock().now())?;
    Ok(PayloadPreview {
        document_id: ctx.sale.id.clone(),
        document_number: ctx.sale.number.clone(),
        kind: "preview",
        payload: serde_json::to_value(&request)
            .map_err(|e| Error::Internal(format!("the request could not be written: {e}")))?,
    })
}

/// An invoice looked up at KRA (`hesabu etims lookup`), with the submission of this file that
/// holds the number.
#[derive(Debug, Clone, Serialize)]
pub struct LookupView {
    pub invc_no: i64,
    /// `000` found, `001` KRA has no invoice with this number.
    pub result_cd: String,
    pub result_msg: String,
    pub kra: Option<InvoiceDetail>,
    pub local: Option<SubmissionView>,
}

/// The company's device and its client, or the error that says to set one up.
async fn device_and_client(
    file: &CompanyFile,
    secrets: &dyn SecretStore,
    timeouts: hesabu_etims::Timeouts,
) -> Result<(ledger::DeviceView, Client)> {
    let device_view = ledger::device(file.reader()).await?.ok_or_else(|| {
        Error::Conflict(
            "This company has no e-TIMS device: set it up with `hesabu etims device init`.".into(),
        )
    })?;
    let client = device::client_for(file, &device_view, secrets, timeouts)?;
    Ok((device_view, client))
}

/// Looks invoice `invc_no` of the company's device up at KRA (nothing is changed).
pub async fn lookup(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    invc_no: i64,
    timeouts: hesabu_etims::Timeouts,
) -> Result<LookupView> {
    session.require(Permission::SalesView)?;
    let (device_view, client) = device_and_client(file, secrets, timeouts).await?;
    let n = u64::try_from(invc_no)
        .map_err(|_| Error::invalid("An e-TIMS invoice number is 1 or more."))?;
    let reply = client
        .invoice_details(n)
        .await
        .map_err(|e| client_error(&format!("Could not look invoice {n} up at KRA"), &e))?;
    let local = ledger::submission_by_number(
        file.reader(),
        &device_view.tin,
        &device_view.bhf_id,
        invc_no,
    )
    .await?;
    Ok(LookupView {
        invc_no,
        result_cd: reply.result_cd.clone(),
        result_msg: reply.result_msg.clone(),
        kra: reply.data.and_then(|d| d.invoice(n).cloned()),
        local,
    })
}

/// The operator's way out of counter drift (spec §11.3) when KRA holds this sale's e-TIMS
/// number as another document (another system, or another copy of this file, signed with the
/// same PIN and branch): the number is given up, the sale's submission closes as rejected with
/// the reason and KRA's record of the number, and the sale's dead outbox row is queued again,
/// so it is sent with a new number (set the counter first if KRA expects a later one). Needs
/// `CompanyEdit` and a reason; audited (`etims.number.given_up`).
///
/// It asks KRA first and refuses unless KRA holds the number as a *different* invoice: a number
/// KRA does not have is simply retried, and one KRA holds as this very sale is its signature
/// (recorded by the next sync), so a number is never given up that could still sign this sale
/// twice.
pub async fn give_up_number(
    file: &CompanyFile,
    session: &Session,
    secrets: &dyn SecretStore,
    key: &str,
    reason: &str,
    timeouts: hesabu_etims::Timeouts,
) -> Result<SubmissionView> {
    session.require(Permission::CompanyEdit)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid(
            "Say why the number is given up (--reason): it goes into the audit log, and KRA may \
             ask.",
        ));
    }
    let ctx = ledger::context(file.reader(), key).await?;
    let label = ctx.sale.number.clone().unwrap_or_else(|| key.to_owned());
    let s = match &ctx.submission {
        Some(s) if matches!(s.state, FiscalState::Reserved | FiscalState::Unknown) => s.clone(),
        Some(s) if s.state == FiscalState::Signed => {
            return Err(Error::Conflict(format!(
                "{label} is signed by KRA (CU invoice {}); its number stays. To correct the sale, \
                 raise a credit note.",
                s.cu_invoice_no.as_deref().unwrap_or("?")
            )));
        }
        _ => {
            return Err(Error::Conflict(format!(
                "{label} has no e-TIMS number out at KRA, so there is nothing to give up; send \
                 it with `hesabu etims send {label}`."
            )));
        }
    };
    let n = s.invc_no.unwrap_or_default();
    let (_, client) = device_and_client(file, secrets, timeouts).await?;
    let wire = u64::try_from(n).unwrap_or(0);
    let reply = client.invoice_details(wire).await.map_err(|e| {
        client_error(
            &format!(
                "Could not look e-TIMS invoice {n} up at KRA; a number is given up only on \
                 KRA's word"
            ),
            &e,
        )
    })?;
    let Some(detail) = reply.data.and_then(|d| d.invoice(wire).cloned()) else {
        return Err(Error::Conflict(format!(
            "KRA has no e-TIMS invoice {n}: nothing else took it, so {label} keeps it. Retry \
             {label} (`hesabu etims send {label}`); it is looked up and sent with that number."
        )));
    };
    let ours = SaveSaleRequest::from_json(&s.request_json).map_err(|e| {
        Error::Internal(format!("the stored request of {label} is unreadable: {e}"))
    })?;
    if same_invoice(&ours, &detail) {
        return Err(Error::Conflict(format!(
            "KRA holds e-TIMS invoice {n} as {label} itself: it is signed, not lost. Run \
             `hesabu sync run` to record KRA's signature."
        )));
    }
    let holder = detail
        .trd_invc_no
        .clone()
        .unwrap_or_else(|| "another document".into());
    let message = format!(
        "e-TIMS invoice {n} given up by {}: KRA holds it as {holder} (total {}). Reason: \
         {reason}",
        session.name(),
        detail.tot_amt.map_or_else(|| "?".into(), |t| t.to_string()),
    );
    let mut uow = file.begin(session).await?;
    let (view, _) = ledger::record_rejected_in(
        &mut uow,
        &s.document_id,
        &Answer {
            result_cd: Some("994".into()),
            result_msg: Some(message),
            response_json: None,
        },
        false,
    )
    .await?;
    // The sale's row that went dead on the drift goes back in the queue in this unit of work:
    // it is sent again with a new number (asked at KRA first, as every requeued row is).
    let dead = uow
        .db()
        .query_all_raw(Statement::from_sql_and_values(
            uow.db().get_database_backend(),
            "SELECT o.id FROM workflow_execution w JOIN outbox o ON o.id = w.outbox_id \
             WHERE w.entity_id = ? AND o.target = ? AND o.state = ?",
            [
                s.document_id.clone().into(),
                hesabu_core::workflows::executions::ETIMS_TARGET.into(),
                hesabu_store::outbox::OutboxState::Dead.as_str().into(),
            ],
        ))
        .await?;
    for row in &dead {
        let id: String = row
            .try_get("", "id")
            .map_err(|e| Error::Internal(format!("outbox.id: {e}")))?;
        hesabu_store::outbox::requeue_dead(file, &uow, &id).await?;
    }
    uow.audit(hesabu_store::audit::AuditDraft {
        action: "etims.number.given_up",
        entity_type: "sale",
        entity_id: s.document_id.clone(),
        before: None,
        after: Some(json!({
            "invc_no": n,
            "held_at_kra_as": holder,
            "reason": reason,
            "requeued": dead.len(),
        })),
    })
    .await?;
    uow.commit().await?;
    Ok(view)
}

/// The workflow that sends a document of `doc_type`.
pub fn workflow_of(doc_type: SalesType) -> WorkflowType {
    match doc_type {
        SalesType::Invoice => WorkflowType::InvoiceSync,
        SalesType::CreditNote => WorkflowType::CreditNoteSync,
        SalesType::CashSale => WorkflowType::SalesSync,
    }
}

/// Queues a sale for KRA now (`hesabu etims send`): runs its workflow for it, which queues the
/// outbox row unless one already sent this version (then the execution says so). The worker
/// (or `hesabu sync run`) sends it.
pub async fn queue(file: &CompanyFile, session: &Session, key: &str) -> Result<ExecutionView> {
    let status = ledger::status(file, session, key).await?;
    if let Some(s) = &status.submission
        && s.state == FiscalState::Signed
    {
        return Err(Error::Conflict(format!(
            "{} is already signed by KRA (CU invoice {}); nothing to send.",
            status.document_number.as_deref().unwrap_or(key),
            s.cu_invoice_no.as_deref().unwrap_or("?")
        )));
    }
    let ctx = ledger::context(file.reader(), &status.document_id).await?;
    workflows::run(
        file,
        session,
        workflow_of(ctx.sale.doc_type),
        &status.document_id,
    )
    .await
}

// ---- the safe send ---------------------------------------------------------------------------

/// The acknowledgement of a signed submission: the CU invoice number and the signature.
pub fn ack_of(s: &SubmissionView) -> Ack {
    Ack {
        remote_ref: s.cu_invoice_no.clone(),
        result: Some(json!({
            "invc_no": s.invc_no,
            "cur_rcpt_no": s.cur_rcpt_no,
            "tot_rcpt_no": s.tot_rcpt_no,
            "intrl_data": s.intrl_data,
            "rcpt_sign": s.rcpt_sign,
            "sdc_date_time": s.sdc_date_time,
            "sdc_id": s.sdc_id,
            "mrc_no": s.mrc_no,
            "adopted": s.adopted,
        })),
    }
}

fn stored(e: Error) -> SendError {
    // A local failure (the company file, a rule of the ledger): a person must look.
    SendError::permanent(e.to_string())
}

fn unknown(message: String) -> SendError {
    SendError::Retryable {
        message,
        outcome_unknown: true,
        retry_after: None,
    }
}

fn label_of(s: &SubmissionView) -> String {
    s.document_number
        .clone()
        .unwrap_or_else(|| s.document_id.clone())
}

fn answer_of(e: &hesabu_etims::Error) -> Answer {
    match e.rejection() {
        Some(r) => Answer {
            result_cd: Some(r.code.clone()),
            result_msg: Some(match &r.debug_message {
                Some(d) if !d.trim().is_empty() && d.trim() != r.message.trim() => {
                    format!("{} ({})", r.message, d)
                }
                _ => r.message.clone(),
            }),
            response_json: Some(r.raw_body.clone()).filter(|b| !b.is_empty()),
        },
        None => Answer {
            result_cd: None,
            result_msg: Some(e.to_string()),
            response_json: None,
        },
    }
}

/// How a number out at KRA turned out.
enum Resolved {
    /// KRA holds our invoice: its signature is now stored.
    Signed(Box<SubmissionView>),
    /// KRA has no invoice with the number (`001`): sending the same JSON again is safe.
    NotAtKra,
}

/// Asks KRA about the number a submission holds (spec §11.4 step 5, §11.2) and adopts the
/// signature when KRA has our invoice. KRA holding *another* invoice under our number is drift:
/// a permanent error, and the submission stays unsettled so that nothing else is numbered
/// until a person has looked (spec §11.2: "stop and escalate").
async fn resolve(
    file: &CompanyFile,
    client: &Client,
    s: &SubmissionView,
) -> std::result::Result<Resolved, SendError> {
    let label = label_of(s);
    let Some(n) = s.invc_no else {
        return Ok(Resolved::NotAtKra);
    };
    let reply = client
        .invoice_details(u64::try_from(n).unwrap_or(0))
        .await
        .map_err(|e| {
            unknown(format!(
                "{label} was sent to KRA as e-TIMS invoice {n} and the answer was lost; looking \
                 it up at KRA failed ({e}). It is asked again before anything is resent."
            ))
        })?;
    let raw = reply.raw_body.clone();
    let Some(detail) = reply
        .data
        .and_then(|d| d.invoice(u64::try_from(n).unwrap_or(0)).cloned())
    else {
        return Ok(Resolved::NotAtKra);
    };
    let ours = SaveSaleRequest::from_json(&s.request_json).map_err(|e| {
        SendError::permanent(format!("the stored request of {label} is unreadable: {e}"))
    })?;
    if !same_invoice(&ours, &detail) {
        let message = format!(
            "KRA already holds e-TIMS invoice {n} of this device as {} (total {}), not {label} \
             (total {}): another system is numbering sales on this device (counter drift). \
             Nothing more is sent to e-TIMS until this is settled. Check the device's sales on \
             the eTIMS portal and with whoever else uses this PIN and branch; KRA support: \
             timsupport@kra.go.ke.",
            detail.trd_invc_no.as_deref().unwrap_or("another document"),
            detail.tot_amt.map_or_else(|| "?".into(), |t| t.to_string()),
            ours.tot_amt,
        );
        let mut uow = file.begin_system().await.map_err(stored)?;
        ledger::record_unknown_in(
            &mut uow,
            &s.document_id,
            &Answer {
                result_cd: Some("994".into()),
                result_msg: Some(message.clone()),
                response_json: Some(raw),
            },
        )
        .await
        .map_err(stored)?;
        uow.commit().await.map_err(stored)?;
        return Err(SendError::permanent(message));
    }
    let receipt = detail.receipt.clone().unwrap_or_default();
    let Some(sig) = detail.signature() else {
        return Err(unknown(format!(
            "KRA lists e-TIMS invoice {n} ({label}) but without its signature; it is asked \
             again later."
        )));
    };
    let signature = Signature {
        cur_rcpt_no: i64::try_from(sig.cur_rcpt_no).unwrap_or(i64::MAX),
        tot_rcpt_no: i64::try_from(sig.tot_rcpt_no).unwrap_or(i64::MAX),
        intrl_data: sig.intrl_data,
        rcpt_sign: sig.rcpt_sign,
        // As KRA sent it in the lookup (`yyyy-MM-dd HH:mm:ss.S`).
        sdc_date_time: receipt.sdc_date_time.unwrap_or(sig.sdc_date_time),
        answer: Answer {
            result_cd: Some(reply.result_cd),
            result_msg: Some(reply.result_msg),
            response_json: Some(raw),
        },
        adopted: true,
    };
    let mut uow = file.begin_system().await.map_err(stored)?;
    let signed = ledger::record_signed_in(&mut uow, &s.document_id, &signature)
        .await
        .map_err(stored)?;
    // The stock the sale moved, queued after it (spec §10), in the signature's transaction.
    super::stock::record_signed_sale_in(&mut uow, &s.document_id)
        .await
        .map_err(stored)?;
    notify_if_it_waited(&uow, &s.document_id)
        .await
        .map_err(stored)?;
    uow.commit().await.map_err(stored)?;
    store_receipt_soon(file, &s.document_id);
    Ok(Resolved::Signed(Box::new(signed)))
}

/// How long a sale may wait for KRA's signature before its signing is announced to the person
/// who issued it: longer than a send takes, so only a sale that waited (issued offline, or held
/// for approval) gets a notice.
pub const SIGNED_AFTER_WAIT_NOTICE: chrono::Duration = chrono::Duration::minutes(5);

/// The notification kind of [`notify_if_it_waited`].
pub const SIGNED_AFTER_WAIT_KIND: &str = "etims_signed_after_wait";

/// In the signing unit of work: when the sale waited at least [`SIGNED_AFTER_WAIT_NOTICE`]
/// since it was issued (no connection, or approval before sending), tells the person who
/// issued it that it is signed now and its official receipt can be printed (the bell, and the
/// desktop through `notifications::deliver`). One notice per sale, linked to it; written in
/// the same transaction as the signature, so there is never one without the other.
async fn notify_if_it_waited(uow: &UnitOfWork, document_id: &str) -> Result<()> {
    let Some(row) = uow
        .db()
        .query_one_raw(Statement::from_sql_and_values(
            uow.db().get_database_backend(),
            "SELECT number, created_by, issued_at FROM sales_document WHERE id = ?",
            [document_id.into()],
        ))
        .await?
    else {
        return Ok(());
    };
    let text = |column: &str| -> Result<Option<String>> {
        row.try_get::<Option<String>>("", column)
            .map_err(|e| Error::Internal(format!("sales_document.{column}: {e}")))
    };
    let (Some(user), Some(issued_at)) = (text("created_by")?, text("issued_at")?) else {
        return Ok(());
    };
    let Ok(issued) = hesabu_store::clock::parse_timestamp(&issued_at) else {
        return Ok(());
    };
    let waited = uow.now() - issued;
    if waited < SIGNED_AFTER_WAIT_NOTICE {
        return Ok(());
    }
    let number = text("number")?.unwrap_or_else(|| document_id.to_owned());
    hesabu_store::notifications::enqueue(
        uow,
        &user,
        SIGNED_AFTER_WAIT_KIND,
        Some(document_id),
        format!(
            "{number} is now signed by KRA, {} after it was issued. Its official receipt can \
             be printed (any copy given before was provisional, not an official receipt).",
            wait_words(waited)
        ),
    )
    .await
}

/// "7 minutes", "3 hours", "2 days": how long a sale waited, in the notice's words.
fn wait_words(waited: chrono::Duration) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if waited.num_days() >= 1 {
        plural(waited.num_days(), "day")
    } else if waited.num_hours() >= 1 {
        plural(waited.num_hours(), "hour")
    } else {
        plural(waited.num_minutes().max(1), "minute")
    }
}

/// Stores the receipt of a document KRA has just signed (`receipts::store_after_signing`), on
/// its own task so the next sale is sent meanwhile: rendering three PDFs takes milliseconds and
/// the device sends one sale at a time. It runs after the signature committed and never undoes
/// it; if it fails (or the process stops first), the receipt is stored at its first rendering
/// instead, which reports any problem to the person printing.
fn store_receipt_soon(file: &CompanyFile, document_id: &str) {
    let file = file.clone();
    let document_id = document_id.to_owned();
    tokio::spawn(async move {
        let _ = crate::receipts::store_after_signing(&file, &document_id).await;
    });
}

/// Whether KRA's invoice is the one we sent: the same `trdInvcNo`, total and receipt type
/// (each compared when KRA lists it).
fn same_invoice(ours: &SaveSaleRequest, kra: &InvoiceDetail) -> bool {
    let same_text = |a: &str, b: &Option<String>| b.as_deref().is_none_or(|b| b.trim() == a.trim());
    let same_total = kra
        .tot_amt
        .is_none_or(|t: Decimal| t.normalize() == ours.tot_amt.normalize());
    same_text(&ours.trd_invc_no, &kra.trd_invc_no)
        && same_text(&ours.rcpt_ty_cd, &kra.rcpt_ty_cd)
        && same_total
}

/// Sends a sale to KRA by the safe-send algorithm (see the module docs): what the outbox
/// target calls for every fiscal row. Never signs a sale twice.
pub async fn send_document(
    file: &CompanyFile,
    client: &Client,
    document_id: &str,
) -> std::result::Result<Ack, SendError> {
    let ctx = ledger::context(file.reader(), document_id)
        .await
        .map_err(stored)?;
    if let Some(s) = &ctx.submission {
        match s.state {
            FiscalState::Signed => return Ok(ack_of(s)),
            FiscalState::Reserved | FiscalState::Unknown => {
                return match resolve(file, client, s).await? {
                    Resolved::Signed(signed) => Ok(ack_of(&signed)),
                    Resolved::NotAtKra => send_frozen(file, client, s).await,
                };
            }
            FiscalState::Rejected => {}
        }
    }
    // One number out at a time per device: another sale's number with no known outcome is
    // settled (looked up) first, or this one waits.
    for other in ledger::unsettled(file.reader(), Some(&ctx.sale.id))
        .await
        .map_err(stored)?
    {
        let waiting = |why: String| {
            SendError::retryable(format!(
                "{} waits: {} was sent to KRA as e-TIMS invoice {} and its outcome is not \
                 settled ({why}). Retry {} first (`hesabu sync dead`, then `hesabu sync retry \
                 ID`).",
                ctx.sale.number.as_deref().unwrap_or(document_id),
                label_of(&other),
                other.invc_no.unwrap_or_default(),
                label_of(&other),
            ))
        };
        match resolve(file, client, &other).await {
            Ok(Resolved::Signed(_)) => {}
            Ok(Resolved::NotAtKra) => return Err(waiting("KRA has no record of it yet".into())),
            Err(e) => return Err(waiting(e.message().to_owned())),
        }
    }
    // The customer's PIN at KRA (strict mode stops a sale to an unknown or inactive one in
    // the checklist below).
    super::masters::look_up_sale_pin(file, client, &ctx).await?;
    let reserved = reserve(file, document_id).await?;
    send_frozen(file, client, &reserved).await
}

/// Steps 1 and 2: validate, take the next number and freeze the request, in one unit of work.
async fn reserve(
    file: &CompanyFile,
    document_id: &str,
) -> std::result::Result<SubmissionView, SendError> {
    let mut uow = file.begin_system().await.map_err(stored)?;
    let ctx = ledger::context(uow.db(), document_id)
        .await
        .map_err(stored)?;
    let label = ctx
        .sale
        .number
        .clone()
        .unwrap_or_else(|| document_id.into());
    let mut problems = problems_of(&ctx, uow.now());
    problems.extend(
        super::masters::sale_findings(uow.db(), &ctx)
            .await
            .map_err(stored)?
            .blocking,
    );
    if !problems.is_empty() {
        let list = problems
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}) {} {}", i + 1, p.message, p.fix))
            .collect::<Vec<_>>()
            .join(" ");
        return Err(SendError::permanent(format!(
            "{label} cannot be sent to KRA yet: {list}"
        )));
    }
    if let Some(other) = ledger::unsettled(uow.db(), Some(&ctx.sale.id))
        .await
        .map_err(stored)?
        .first()
    {
        return Err(SendError::retryable(format!(
            "{label} waits for {} (e-TIMS invoice {}) to be settled.",
            label_of(other),
            other.invc_no.unwrap_or_default()
        )));
    }
    let device = ctx.device.as_ref().ok_or_else(|| {
        SendError::permanent("This company has no e-TIMS device: set it up first.")
    })?;
    let invc_no = device.last_invc_no + 1;
    let request = build_request(&ctx, invc_no, uow.now()).map_err(stored)?;
    let json = request
        .to_json()
        .map_err(|e| SendError::permanent(format!("the request could not be written: {e}")))?;
    let reserved = ledger::reserve_in(
        &mut uow,
        &Reservation {
            document_id: ctx.sale.id.clone(),
            invc_no,
            org_invc_no: i64::try_from(request.org_invc_no).unwrap_or(0),
            rcpt_ty_cd: request.rcpt_ty_cd.clone(),
            request_json: json,
            cfm_dt: request.cfm_dt.clone(),
        },
    )
    .await
    .map_err(stored)?;
    uow.commit().await.map_err(stored)?;
    Ok(reserved)
}

/// Steps 3–5 for a reserved submission: send its frozen JSON, and settle by KRA's answer.
async fn send_frozen(
    file: &CompanyFile,
    client: &Client,
    s: &SubmissionView,
) -> std::result::Result<Ack, SendError> {
    let label = label_of(s);
    let n = s.invc_no.unwrap_or_default();
    let e = match client.save_sale_json(&s.request_json).await {
        Ok(reply) => {
            let d = reply.data;
            let signature = Signature {
                cur_rcpt_no: i64::try_from(d.cur_rcpt_no).unwrap_or(i64::MAX),
                tot_rcpt_no: i64::try_from(d.tot_rcpt_no).unwrap_or(i64::MAX),
                intrl_data: d.intrl_data,
                rcpt_sign: d.rcpt_sign,
                sdc_date_time: d.sdc_date_time,
                answer: Answer {
                    result_cd: Some(reply.result_cd),
                    result_msg: Some(reply.result_msg),
                    response_json: Some(reply.raw_body),
                },
                adopted: false,
            };
            let mut uow = file.begin_system().await.map_err(stored)?;
            let signed = ledger::record_signed_in(&mut uow, &s.document_id, &signature)
                .await
                .map_err(stored)?;
            // The stock the sale moved, queued after it (spec §10).
            super::stock::record_signed_sale_in(&mut uow, &s.document_id)
                .await
                .map_err(stored)?;
            notify_if_it_waited(&uow, &s.document_id)
                .await
                .map_err(stored)?;
            uow.commit().await.map_err(stored)?;
            store_receipt_soon(file, &s.document_id);
            return Ok(ack_of(&signed));
        }
        Err(e) => e,
    };
    let answer = answer_of(&e);

    // 994: KRA holds this number already; usually our own earlier attempt (spec §11.2).
    if e.result_code() == Some("994") {
        return match resolve(file, client, s).await? {
            Resolved::Signed(signed) => Ok(ack_of(&signed)),
            Resolved::NotAtKra => {
                settle(file, s, Settle::Unknown(&answer)).await?;
                Err(unknown(format!(
                    "KRA answered that e-TIMS invoice {n} ({label}) already exists ({e}) but \
                     does not list it; it is asked again before any resend."
                )))
            }
        };
    }
    if let Some(expected) = expected_number(&e) {
        return counter_drift(file, s, &answer, expected, &e).await;
    }
    if e.is_retryable() {
        if e.outcome_unknown() {
            settle(file, s, Settle::Unknown(&answer)).await?;
            return Err(SendError::Retryable {
                message: format!(
                    "{label} was sent to KRA as e-TIMS invoice {n} without a clear answer ({e}); \
                     it is looked up at KRA before anything is resent."
                ),
                outcome_unknown: true,
                retry_after: e.retry_after(),
            });
        }
        settle(file, s, Settle::NotTaken(&answer)).await?;
        return Err(SendError::Retryable {
            message: format!("{label} (e-TIMS invoice {n}) will be sent again: {e}"),
            outcome_unknown: false,
            retry_after: e.retry_after(),
        });
    }
    // A definitive rejection: KRA did not take the sale; its number goes back if it can.
    let released = settle(file, s, Settle::Rejected(&answer)).await?;
    let number = if released {
        format!("Its number {n} was released for the next sale.")
    } else {
        format!("Its number {n} stays used (a later number was already taken).")
    };
    Err(SendError::permanent(format!(
        "KRA refused {label}: {e}. {number} Correct what KRA names, then retry the sale \
         (`hesabu etims send {label}`)."
    )))
}

enum Settle<'a> {
    Unknown(&'a Answer),
    NotTaken(&'a Answer),
    Rejected(&'a Answer),
}

/// Records an unsuccessful attempt; returns whether a rejected number was released.
async fn settle(
    file: &CompanyFile,
    s: &SubmissionView,
    how: Settle<'_>,
) -> std::result::Result<bool, SendError> {
    let mut uow = file.begin_system().await.map_err(stored)?;
    let released = match how {
        Settle::Unknown(a) => {
            ledger::record_unknown_in(&mut uow, &s.document_id, a)
                .await
                .map_err(stored)?;
            false
        }
        Settle::NotTaken(a) => {
            ledger::record_not_taken_in(&mut uow, &s.document_id, a)
                .await
                .map_err(stored)?;
            false
        }
        Settle::Rejected(a) => {
            ledger::record_rejected_in(&mut uow, &s.document_id, a, true)
                .await
                .map_err(stored)?
                .1
        }
    };
    uow.commit().await.map_err(stored)?;
    Ok(released)
}

/// The number KRA says it expected, from an integrator counter rejection ("Invalid invcNo
/// sequence, expected: 7 but found: 9"; "Invc No: 9 is invalid, use the expected value: 7").
pub fn expected_number(e: &hesabu_etims::Error) -> Option<i64> {
    let r = e.rejection()?;
    if r.class != hesabu_etims::ResultClass::Permanent {
        return None;
    }
    [Some(r.message.as_str()), r.debug_message.as_deref()]
        .into_iter()
        .flatten()
        .find_map(parse_expected)
}

fn parse_expected(message: &str) -> Option<i64> {
    let lower = message.to_ascii_lowercase();
    if !(lower.contains("invcno") || lower.contains("invc no") || lower.contains("invoice no")) {
        return None;
    }
    let at = lower.find("expected")? + "expected".len();
    let rest = &lower[at..];
    let start = rest.find(|c: char| c.is_ascii_digit())?;
    // Only a number right after the word (": ", " value: "), not one further on.
    if start > 10 {
        return None;
    }
    let digits: String = rest[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    i64::from_str(&digits).ok()
}

/// KRA names another number than ours (spec §11.3). Corrected automatically only when every
/// lower number is signed in this file (KRA is simply where we are); otherwise a person
/// decides, told both numbers.
async fn counter_drift(
    file: &CompanyFile,
    s: &SubmissionView,
    answer: &Answer,
    expected: i64,
    e: &hesabu_etims::Error,
) -> std::result::Result<Ack, SendError> {
    let label = label_of(s);
    let ours = s.invc_no.unwrap_or_default();
    let mut uow = file.begin_system().await.map_err(stored)?;
    let (_, released) = ledger::record_rejected_in(&mut uow, &s.document_id, answer, true)
        .await
        .map_err(stored)?;
    let accounted = ledger::accounted_below(uow.db(), &s.tin, &s.bhf_id, expected)
        .await
        .map_err(stored)?;
    if released && accounted {
        ledger::set_counter_in(&mut uow, expected - 1)
            .await
            .map_err(stored)?;
        uow.commit().await.map_err(stored)?;
        return Err(SendError::retryable(format!(
            "KRA expected e-TIMS invoice number {expected}, not {ours}, and every number below \
             {expected} is signed in this company file; {label} will be sent again as \
             {expected}."
        )));
    }
    uow.commit().await.map_err(stored)?;
    Err(SendError::permanent(format!(
        "KRA refused {label}: it expects e-TIMS invoice number {expected}, and Hesabu sent \
         {ours} ({e}). Not every number below {expected} is signed in this company file, so \
         another system (or another copy of this file) may be using this device. Nothing was \
         signed. Check the device's sales on the eTIMS portal; if nothing else uses this PIN \
         and branch, set Hesabu's counter with `hesabu etims device counter --last {}` and \
         retry {label} (`hesabu etims send {label}`).",
        expected - 1
    )))
}

/// Crash recovery and unknown outcomes (the outbox's check before resend): has KRA got this
/// sale? Asked at KRA only when a number is out with no known outcome.
pub async fn check_document(file: &CompanyFile, client: &Client, document_id: &str) -> RemoteState {
    let ctx = match ledger::context(file.reader(), document_id).await {
        Ok(ctx) => ctx,
        Err(e) => return RemoteState::Unknown(e.to_string()),
    };
    match &ctx.submission {
        None => RemoteState::NotReceived,
        Some(s) => match s.state {
            FiscalState::Signed => RemoteState::Received(ack_of(s)),
            FiscalState::Rejected => RemoteState::NotReceived,
            FiscalState::Reserved | FiscalState::Unknown => match resolve(file, client, s).await {
                Ok(Resolved::Signed(signed)) => RemoteState::Received(ack_of(&signed)),
                Ok(Resolved::NotAtKra) => RemoteState::NotReceived,
                Err(e) => RemoteState::Unknown(e.message().to_owned()),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_number_is_read_from_both_wordings() {
        assert_eq!(
            parse_expected("Invalid invcNo sequence, expected: 7 but found: 9"),
            Some(7)
        );
        assert_eq!(
            parse_expected("Invc No: 9 is invalid, use the expected value: 12"),
            Some(12)
        );
        assert_eq!(
            parse_expected("Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00"),
            None
        );
        assert_eq!(parse_expected("invcNo is required"), None);
    }
}
