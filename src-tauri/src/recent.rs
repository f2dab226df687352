//! The recent-companies list shown on the start screen: `recent.json` in the data folder, at most
//! [`MAX_RECENT`] company files, most recently opened first.
//!
//! The list is a convenience, never a source of truth, so reading it cannot fail: a missing file
//! is an empty list, and a damaged one is logged and treated as empty (the next open rewrites
//! it). Writes go to a temporary file in the same folder that is then renamed over the old one,
//! so a crash mid-write leaves either the old list or the new one, never half of each.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How many company files the start screen remembers.
pub const MAX_RECENT: usize = 10;

/// The file name inside the data folder.
pub const FILE_NAME: &str = "recent.json";

/// One recently opened company file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecentCompany {
    /// Absolute path of the company file.
    pub path: String,
    /// The company's display name when it was last opened.
    pub name: String,
    /// When it was last opened (RFC 3339, UTC).
    pub last_opened: String,
}

/// The list as stored: an object, so fields can be added later without breaking old files.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    companies: Vec<RecentCompany>,
}

/// Where the list lives in `data_dir`.
pub fn file_path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// Reads the list. Missing means empty; unreadable or damaged is logged and means empty.
pub fn load(data_dir: &Path) -> Vec<RecentCompany> {
    let path = file_path(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            eprintln!(
                "hesabu-desktop: cannot read {}: {e}; starting with no recent companies",
                path.display()
            );
            return Vec::new();
        }
    };
    match serde_json::from_str::<Stored>(&text) {
        Ok(stored) => stored.companies,
        Err(e) => {
            eprintln!(
                "hesabu-desktop: {} is damaged ({e}); starting with no recent companies",
                path.display()
            );
            Vec::new()
        }
    }
}

/// Puts `entry` at the top of `list`, dropping any older entry for the same path and anything
/// beyond [`MAX_RECENT`].
pub fn push(list: &mut Vec<RecentCompany>, entry: RecentCompany) {
    list.retain(|c| c.path != entry.path);
    list.insert(0, entry);
    list.truncate(MAX_RECENT);
}

/// Records that `entry` was just opened and saves the list atomically.
pub fn record(data_dir: &Path, entry: RecentCompany) -> std::io::Result<Vec<RecentCompany>> {
    let mut list = load(data_dir);
    push(&mut list, entry);
    save(data_dir, &list)?;
    Ok(list)
}

/// Writes the list atomically: a temporary file in the same folder, flushed, then renamed.
pub fn save(data_dir: &Path, list: &[RecentCompany]) -> std::io::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    let target = file_path(data_dir);
    let temp = data_dir.join(format!("{FILE_NAME}.tmp"));
    let text = serde_json::to_string_pretty(&Stored {
        companies: list.to_vec(),
    })
    .map_err(std::io::Error::other)?;
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temp, &target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> RecentCompany {
        RecentCompany {
            path: format!("/books/company-{n}.hesabu"),
            name: format!("Company {n}"),
            last_opened: format!("2026-01-01T00:00:{n:02}.000Z"),
        }
    }

    #[test]
    fn a_missing_file_is_an_empty_list() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).is_empty());
    }

    #[test]
    fn a_damaged_file_is_an_empty_list_and_is_replaced_on_the_next_record() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(file_path(dir.path()), "{ not json").unwrap();
        assert!(load(dir.path()).is_empty());
        record(dir.path(), entry(1)).unwrap();
        assert_eq!(load(dir.path()), vec![entry(1)]);
    }

    #[test]
    fn most_recent_first_without_duplicates_and_at_most_ten() {
        let dir = tempfile::tempdir().unwrap();
        for n in 0..12 {
            record(dir.path(), entry(n)).unwrap();
        }
        let mut again = entry(5);
        again.last_opened = "2026-02-01T00:00:00.000Z".into();
        let list = record(dir.path(), again.clone()).unwrap();
        assert_eq!(list.len(), MAX_RECENT);
        assert_eq!(list[0], again);
        assert_eq!(list.iter().filter(|c| c.path == again.path).count(), 1);
        assert_eq!(list[1], entry(11));
        // The two oldest fell off the end.
        assert!(
            !list
                .iter()
                .any(|c| c.path == entry(0).path || c.path == entry(1).path)
        );
        assert_eq!(load(dir.path()), list);
        assert!(!dir.path().join(format!("{FILE_NAME}.tmp")).exists());
    }
}
