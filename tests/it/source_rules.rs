//! Rules about the source itself that the compiler cannot see.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("target") && !path.ends_with("gen") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Money is rust_decimal::Decimal. No float type appears anywhere in the product's code, so no
/// amount can pass through one. (clippy.toml bans the types too; this also covers code clippy
/// is not run on.) A future non-money float needs a deliberate exception here, with a reason.
#[test]
fn no_floats_in_product_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for dir in ["crates", "src-tauri/src"] {
        if root.join(dir).is_dir() {
            rust_files(&root.join(dir), &mut files);
        }
    }
    assert!(files.len() > 10, "the scan found the sources");
    let mut offenders = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let has_float = code
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .any(|token| token == "f64" || token == "f32");
            if has_float {
                offenders.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "floats found (use rust_decimal::Decimal):\n{}",
        offenders.join("\n")
    );
}

// The outbox's and the scheduler's unaudited bookkeeping transactions used to be guarded by a
// source scan here. They are now private functions of `hesabu_store::outbox` and
// `hesabu_store::scheduler` (`begin_bookkeeping`, `begin_settle`), so the compiler refuses any
// other caller.
