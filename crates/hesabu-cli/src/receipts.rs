//! `hesabu receipt …`: ETR receipts from the command line: list, show, preview, save as PDF,
//! print, and the printers. Thin: parse, call one `hesabu_app::receipts` service, print.

use std::path::PathBuf;

use clap::Subcommand;

use hesabu_app::receipts::{
    self, PaperFormat, PrintRequest, PrintResult, Printers, ReceiptDetail, ReceiptQuery,
    ReceiptRow, ReceiptSettings, ReceiptStatus,
};
use hesabu_store::auth::Session;
use hesabu_store::company_file::CompanyFile;

use crate::Failure;
use crate::output::{Reply, table};

#[derive(Debug, Subcommand)]
pub(crate) enum ReceiptCommand {
    /// Receipts of issued sales, newest first, with where KRA is with each.
    List {
        /// A document number (or part), a customer's name (part) or PIN, or a CU invoice number.
        #[arg(long)]
        search: Option<String>,
        /// First issue date, yyyy-mm-dd.
        #[arg(long)]
        from: Option<String>,
        /// Last issue date, yyyy-mm-dd, inclusive.
        #[arg(long)]
        to: Option<String>,
        /// signed, awaiting (KRA's signature) or rejected.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// One receipt: KRA's signature, the stored originals, the print history.
    Show { document: String },
    /// The receipt as text, as it would print next.
    Preview {
        document: String,
        /// 80mm, 58mm or a4 (default: the settings').
        #[arg(long)]
        format: Option<String>,
        #[arg(long)]
        copy: bool,
    },
    /// Save the receipt as a PDF (recorded like a print: the first is the original).
    Pdf {
        document: String,
        /// 80mm, 58mm or a4 (default: the settings').
        #[arg(long)]
        format: Option<String>,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// A COPY even if the original was never printed.
        #[arg(long)]
        copy: bool,
    },
    /// Print the receipt: on the format's printer from the settings, or --printer.
    Print {
        document: String,
        /// 80mm, 58mm or a4 (default: the settings').
        #[arg(long)]
        format: Option<String>,
        /// cups:NAME (a printer of this computer) or net:HOST[:PORT] (a network receipt printer).
        #[arg(long)]
        printer: Option<String>,
        #[arg(long)]
        copy: bool,
    },
    /// The computer's printers and the printer set for each format.
    Printers,
    /// Set the printer of a format (--printer none clears it).
    SetPrinter {
        #[arg(long)]
        format: String,
        #[arg(long)]
        printer: String,
    },
    /// Show the receipt settings.
    Settings,
    /// Change the receipt's messages or default format; options not given keep their value
    /// ("" removes a message).
    Set {
        #[arg(long)]
        top_message: Option<String>,
        #[arg(long)]
        bottom_message: Option<String>,
        #[arg(long)]
        default_format: Option<String>,
    },
}

fn status_text(r: &ReceiptRow) -> String {
    match r.status {
        ReceiptStatus::Signed => "Signed by KRA".to_owned(),
        ReceiptStatus::Awaiting => match r.awaiting_seconds {
            Some(s) => format!("Awaiting KRA signature ({})", age(s)),
            None => "Awaiting KRA signature".to_owned(),
        },
        ReceiptStatus::Rejected => format!(
            "Rejected by KRA{}",
            r.kra_message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        ),
    }
}

/// `45 min`, `5 h`, `3 days`.
fn age(seconds: i64) -> String {
    match seconds {
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 2 * 86400 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86400),
    }
}

fn format_of(text: Option<&String>) -> Result<Option<PaperFormat>, Failure> {
    Ok(text.map(|t| PaperFormat::parse(t)).transpose()?)
}

async fn default_format(
    file: &CompanyFile,
    session: &Session,
    given: Option<&String>,
) -> Result<PaperFormat, Failure> {
    Ok(match format_of(given)? {
        Some(f) => f,
        None => receipts::settings(file, session).await?.default_format,
    })
}

fn detail_text(d: &ReceiptDetail) -> String {
    let r = &d.row;
    let mut out = format!(
        "{} ({}) to {}{}\nIssued:        {}\nTotal:         {} {}\nStatus:        {}\n",
        r.number,
        r.doc_type.describe(),
        r.customer_name,
        r.customer_pin
            .as_deref()
            .map(|p| format!(", PIN {p}"))
            .unwrap_or_default(),
        r.issue_date,
        r.currency,
        r.total,
        status_text(r),
    );
    if let Some(s) = &d.signature {
        out.push_str(&format!(
            "CU invoice no: {}\nSCU:           {} (MRC {})\nSigned:        {}\nReceipt no.:   {}/{}\n\
             Internal data: {}\nSignature:     {}\nQR code:       {}\n",
            s.cu_invoice_no.as_deref().unwrap_or("—"),
            s.sdc_id.as_deref().unwrap_or("—"),
            s.mrc_no.as_deref().unwrap_or("—"),
            s.sdc_date_time.as_deref().unwrap_or("—"),
            s.cur_rcpt_no.unwrap_or_default(),
            s.tot_rcpt_no.unwrap_or_default(),
            s.internal_data.as_deref().unwrap_or("—"),
            s.receipt_signature.as_deref().unwrap_or("—"),
            s.qr_url.as_deref().unwrap_or("—"),
        ));
    }
    out.push_str(&format!("Next print:    {}\n", d.next_print.as_str()));
    if !d.prints.is_empty() {
        out.push_str("\nPrints:\n");
        let rows = d
            .prints
            .iter()
            .map(|p| {
                vec![
                    p.printed_at.clone(),
                    match p.copy_number {
                        Some(n) => format!("copy {n}"),
                        None => p.kind.as_str().to_owned(),
                    },
                    p.format.to_string(),
                    p.destination.clone(),
                    p.printed_by_name.clone(),
                    p.error_kind
                        .as_deref()
                        .map_or_else(|| "printed".to_owned(), |k| format!("failed: {k}")),
                ]
            })
            .collect();
        out.push_str(&table(
            &["WHEN", "WHAT", "FORMAT", "WHERE", "BY", "RESULT"],
            rows,
        ));
    }
    out
}

fn print_text(r: &PrintResult) -> String {
    let p = &r.record;
    let what = match p.copy_number {
        Some(n) => format!("copy {n}"),
        None => p.kind.as_str().to_owned(),
    };
    let mut out = format!(
        "Printed the {what} ({}) to {}{}.\n",
        p.format,
        p.destination,
        p.job_id
            .as_deref()
            .map(|j| format!(", job {j}"))
            .unwrap_or_default()
    );
    for w in &r.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

fn settings_text(s: &ReceiptSettings) -> String {
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".to_owned());
    format!(
        "Top message:     {}\nBottom message:  {}\nDefault format:  {}\nPrinter 80mm:    {}\n\
         Printer 58mm:    {}\nPrinter A4:      {}\n",
        or_none(&s.top_message),
        or_none(&s.bottom_message),
        s.default_format,
        or_none(&s.printer_80mm),
        or_none(&s.printer_58mm),
        or_none(&s.printer_a4),
    )
}

pub(crate) async fn run(
    command: &ReceiptCommand,
    file: &CompanyFile,
    session: &Session,
) -> Result<Reply, Failure> {
    Ok(match command {
        ReceiptCommand::List {
            search,
            from,
            to,
            status,
            limit,
            offset,
        } => {
            let query = ReceiptQuery {
                search: search.clone(),
                from: from.clone(),
                to: to.clone(),
                status: status.as_deref().map(ReceiptStatus::parse).transpose()?,
                limit: Some(*limit),
                offset: Some(*offset),
            };
            let page = receipts::list(file, session, &query).await?;
            let rows = page
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.number.clone(),
                        r.doc_type.describe().to_owned(),
                        r.customer_name.clone(),
                        r.issue_date.clone(),
                        format!("{} {}", r.currency, r.total),
                        status_text(r),
                        r.prints.to_string(),
                    ]
                })
                .collect();
            let mut text = table(
                &[
                    "NUMBER", "TYPE", "CUSTOMER", "DATE", "TOTAL", "STATUS", "PRINTS",
                ],
                rows,
            );
            text.push_str(&format!(
                "{} of {} receipts.\n",
                page.rows.len(),
                page.total
            ));
            Reply::entity(&page, text)
        }
        ReceiptCommand::Show { document } => {
            let detail = receipts::show(file, session, document).await?;
            let text = detail_text(&detail);
            Reply::entity(&detail, text)
        }
        ReceiptCommand::Preview {
            document,
            format,
            copy,
        } => {
            let format = default_format(file, session, format.as_ref()).await?;
            let preview = receipts::preview(file, session, document, format, *copy).await?;
            let text = preview.text.clone();
            Reply::entity(&preview, text)
        }
        ReceiptCommand::Pdf {
            document,
            format,
            out,
            copy,
        } => {
            let format = default_format(file, session, format.as_ref()).await?;
            let result = receipts::save_pdf(file, session, document, format, *copy, out).await?;
            let text = print_text(&result);
            Reply::entity(&result, text)
        }
        ReceiptCommand::Print {
            document,
            format,
            printer,
            copy,
        } => {
            let request = PrintRequest {
                format: format_of(format.as_ref())?,
                printer: printer.clone(),
                copy: *copy,
            };
            let result =
                receipts::print(file, session, document, &request, &Printers::system()).await?;
            let text = print_text(&result);
            Reply::entity(&result, text)
        }
        ReceiptCommand::Printers => {
            let list = receipts::printers(file, session, &Printers::system()).await?;
            let mut text = String::from("Printers of this computer:\n");
            if list.os_printers.is_empty() {
                text.push_str("  (none)\n");
            }
            for p in &list.os_printers {
                let default = if list.os_default.as_deref() == Some(p.as_str()) {
                    " (default)"
                } else {
                    ""
                };
                text.push_str(&format!("  cups:{p}{default}\n"));
            }
            if let Some(problem) = &list.os_problem {
                text.push_str(&format!("  {problem}\n"));
            }
            text.push('\n');
            text.push_str(&settings_text(&list.settings));
            Reply::entity(&list, text)
        }
        ReceiptCommand::SetPrinter { format, printer } => {
            let format = PaperFormat::parse(format)?;
            let printer = match printer.trim() {
                "" | "none" => None,
                p => Some(p),
            };
            let settings = receipts::set_printer(file, session, format, printer).await?;
            let text = settings_text(&settings);
            Reply::entity(&settings, text)
        }
        ReceiptCommand::Settings => {
            let settings = receipts::settings(file, session).await?;
            let text = settings_text(&settings);
            Reply::entity(&settings, text)
        }
        ReceiptCommand::Set {
            top_message,
            bottom_message,
            default_format,
        } => {
            let mut next = receipts::settings(file, session).await?;
            if let Some(t) = top_message {
                next.top_message = Some(t.clone());
            }
            if let Some(b) = bottom_message {
                next.bottom_message = Some(b.clone());
            }
            if let Some(f) = default_format {
                next.default_format = PaperFormat::parse(f)?;
            }
            let settings = receipts::update_settings(file, session, &next).await?;
            let text = settings_text(&settings);
            Reply::entity(&settings, text)
        }
    })
}
