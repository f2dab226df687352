//! The desktop's words for the core's error messages. The core and the app layer write their
//! messages for every front end, and many say what to do with the `hesabu` command line: "set it
//! up first: `hesabu etims device init --serial SERIAL`", "say why (--reason)". In the window
//! those become the place on the desktop that does the same thing ("the Device tab", "Sync now
//! on the Sync page"), or are left out when the sentence reads without them. Every command's
//! error passes through [`desktop_message`] on its way to the window ([`crate::state::IntoWire`]),
//! so a new message needs no desktop code unless it names a command not listed here.

use hesabu_store::WireError;
use hesabu_store::error::Error;

/// What the desktop says instead of a `hesabu …` command a message names, by the command's first
/// words (the first match wins, so longer prefixes come first). A bracketed mention of a command
/// not listed is left out with its brackets; an unbracketed one is kept as it is, because the
/// sentence is built around it and the command line does exist.
const DESKTOP_WORDS: &[(&str, &str)] = &[
    ("hesabu etims insurer update", "Edit in the insurers list"),
    ("hesabu etims imports list", "the Imported items tab"),
    (
        "hesabu etims stock adjust",
        "Adjust… on the Stock tab of the KRA e-TIMS page",
    ),
    (
        "hesabu etims stock opening",
        "Opening stock… on the Stock tab of the KRA e-TIMS page",
    ),
    (
        "hesabu etims purchases",
        "the Purchases tab of the KRA e-TIMS page",
    ),
    (
        "hesabu etims kra",
        "the KRA’s records tab of the KRA e-TIMS page",
    ),
    (
        "hesabu etims codes refresh",
        "Download from KRA on the KRA notices tab of the KRA e-TIMS page",
    ),
    ("hesabu etims send", "Send to KRA on the KRA e-TIMS page"),
    (
        "hesabu etims device counter",
        "the Device tab of the KRA e-TIMS page",
    ),
    ("hesabu etims lookup", "the eTIMS portal"),
    ("hesabu item list", "the Items page"),
    ("hesabu item edit", "edit the item on the Items page"),
    (
        "hesabu customer edit",
        "edit the customer on the Customers page",
    ),
    ("hesabu sync run", "Sync now on the Sync page"),
    ("hesabu sync retry", "Retry on the Sync page"),
    ("hesabu sync dead", "the Sync page"),
    ("hesabu jobs list", "the Monitoring page"),
    (
        "hesabu workflow executions",
        "the execution log on the Workflows page",
    ),
    (
        "hesabu audit verify",
        "Verify the chain on the Audit log page",
    ),
];

/// A message in the desktop's words: each `hesabu …` mention becomes the desktop's place for
/// it (see [`DESKTOP_WORDS`]), a command-line option hint in brackets ("(--reason)") is left
/// out, and everything else is kept.
pub fn desktop_message(message: &str) -> String {
    if message.contains("`hesabu etims device init") {
        return "This company has no e-TIMS device yet, so KRA cannot be asked. An administrator \
                sets it up on the Device tab of the KRA e-TIMS page, with the serial declared on \
                the eTIMS portal."
            .to_owned();
    }
    without_option_hints(&without_commands(message))
}

/// An error as the desktop shows it: its kind kept, its message in the desktop's words.
pub fn desktop_error(e: Error) -> WireError {
    let mut wire = e.to_wire();
    wire.message = desktop_message(&wire.message);
    wire
}

fn without_commands(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find("`hesabu ") {
        let Some(len) = rest[start + 1..].find('`') else {
            break;
        };
        let command = &rest[start + 1..start + 1 + len];
        let mention = &rest[start..start + len + 2];
        let after = &rest[start + len + 2..];
        let before = &rest[..start];
        let words = DESKTOP_WORDS
            .iter()
            .find(|(cli, _)| command.starts_with(cli))
            .map(|(_, words)| *words);
        match words {
            Some(words) => {
                out.push_str(before);
                out.push_str(words);
                rest = after;
            }
            // "(`hesabu …`)" goes with its brackets and the space before them.
            None if before.ends_with('(') && after.find(')').is_some() => {
                out.push_str(before[..before.len() - 1].trim_end());
                rest = &after[after.find(')').map_or(0, |close| close + 1)..];
            }
            None => {
                out.push_str(before);
                out.push_str(mention);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Leaves out " (--reason)", " (--keep 1 or more)" and the like: the window's form has a field
/// for it, named on screen.
fn without_option_hints(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find("(--") {
        let Some(close) = rest[start..].find(')') else {
            break;
        };
        out.push_str(rest[..start].trim_end());
        rest = &rest[start + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_commands_in_messages_become_the_desktops_words() {
        let no_device = desktop_message(
            "This company has no e-TIMS device, so KRA cannot be asked. Set it up first: \
             `hesabu etims device init --serial SERIAL` (the serial declared on the eTIMS portal).",
        );
        assert!(no_device.contains("Device tab"), "{no_device}");
        assert!(!no_device.contains("hesabu"), "{no_device}");
        assert_eq!(
            desktop_message(
                "Item SOAP is not registered at KRA yet (its e-TIMS state is unregistered): \
                 register it first (`hesabu etims item register SOAP`), then set the \
                 composition again."
            ),
            "Item SOAP is not registered at KRA yet (its e-TIMS state is unregistered): \
             register it first, then set the composition again."
        );
        assert_eq!(
            desktop_message(
                "Insurer AAR01 (AAR) is already in the list: change it with `hesabu etims \
                 insurer update AAR01`."
            ),
            "Insurer AAR01 (AAR) is already in the list: change it with Edit in the insurers list."
        );
        assert_eq!(
            desktop_message("Send it: `hesabu sync run` (a failed row: `hesabu sync retry ID`)."),
            "Send it: Sync now on the Sync page (a failed row: Retry on the Sync page)."
        );
        assert_eq!(
            desktop_message(
                "Item RICE has 2 on hand. Correct it with `hesabu etims stock adjust RICE \
                 DELTA --reason TEXT`."
            ),
            "Item RICE has 2 on hand. Correct it with Adjust… on the Stock tab of the KRA \
             e-TIMS page."
        );
        let plain = "The premium rate 120 is not a percent from 0 to 100: give e.g. 20 for 20 %.";
        assert_eq!(desktop_message(plain), plain);
        // An unclosed quote is left alone rather than cut.
        assert_eq!(desktop_message("see `hesabu sync"), "see `hesabu sync");
    }

    #[test]
    fn an_unlisted_command_is_kept_unless_it_stands_in_brackets() {
        // Kept: the sentence is built around it, and the command line exists.
        let kept = "There is no backup 7. `hesabu backup list` shows the backups.";
        assert_eq!(desktop_message(kept), kept);
        assert_eq!(
            desktop_message(
                "Item X is inactive: reactivate it first (`hesabu item set-active X`)."
            ),
            "Item X is inactive: reactivate it first."
        );
    }

    #[test]
    fn option_hints_in_brackets_are_left_out() {
        assert_eq!(
            desktop_message(
                "Say why the stock changes (--reason), e.g. \"stock count 2026-12-31\": it is \
                 kept in the audit log."
            ),
            "Say why the stock changes, e.g. \"stock count 2026-12-31\": it is kept in the \
             audit log."
        );
        assert_eq!(
            desktop_message("Keep at least one backup (--keep 1 or more)."),
            "Keep at least one backup."
        );
        // Brackets that are not an option hint stay.
        let kept = "The quantity (in KG) must be above 0 (it was -2).";
        assert_eq!(desktop_message(kept), kept);
        assert_eq!(desktop_message("unclosed (--reason"), "unclosed (--reason");
    }
}
