//! The layering is an invariant the build proves (ARCHITECTURE.md, "Layers").
//!
//! Between crates, Cargo already refuses a cycle; these tests refuse an *upward* dependency too,
//! read from `Cargo.lock` (so transitive dependencies count): the sync contract reaches no
//! database or keyring and nothing of ours, the store reaches no domain, the domain reaches no
//! app, CLI, desktop, client crate or Tauri. Inside the store and the domain crate, where the
//! compiler would accept any import, a source rule checks each top-level module imports only
//! modules of its own layer or below.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `Cargo.lock` as package name → the names of its dependencies (all kinds).
fn lock_graph() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    let mut graph = BTreeMap::new();
    for block in text.split("[[package]]").skip(1) {
        let name = block
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .and_then(|l| l.strip_suffix('"'))
            .unwrap()
            .to_owned();
        let mut deps = BTreeSet::new();
        if let Some(start) = block.find("dependencies = [") {
            for line in block[start..].lines().skip(1) {
                if line.starts_with(']') {
                    break;
                }
                // `"name"`, or `"name version"` when several versions are locked.
                let dep = line.trim().trim_matches(|c| c == '"' || c == ',');
                deps.insert(dep.split(' ').next().unwrap().to_owned());
            }
        }
        graph.insert(name, deps);
    }
    graph
}

/// Every package `name` reaches, itself excluded.
fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, name: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![name.to_owned()];
    while let Some(next) = todo.pop() {
        for dep in graph.get(&next).into_iter().flatten() {
            if seen.insert(dep.clone()) {
                todo.push(dep.clone());
            }
        }
    }
    seen
}

/// Which crates each crate must never reach, directly or not. Each client crate (`hesabu-etims`,
/// `hesabu-qbo`, ...) gets a row like the sync contract's, and joins `hesabu-core`'s list.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "hesabu-sync-api",
        &[
            "sea-orm",
            "sqlx",
            "rusqlite",
            "keyring",
            "hesabu-store",
            "hesabu-core",
            "hesabu-app",
            "tauri",
        ],
    ),
    (
        "hesabu-store",
        &[
            "hesabu-core",
            "hesabu-app",
            "hesabu-cli",
            "hesabu-desktop",
            "tauri",
        ],
    ),
    // The e-TIMS client: the sync contract and nothing else of ours, no database or keyring.
    (
        "hesabu-etims",
        &[
            "sea-orm",
            "sqlx",
            "rusqlite",
            "keyring",
            "hesabu-store",
            "hesabu-core",
            "hesabu-app",
            "tauri",
        ],
    ),
    // The local e-TIMS sandbox, a test double of KRA: the client's wire types and nothing else
    // of ours, no database or keyring.
    (
        "hesabu-etims-sandbox",
        &[
            "sea-orm",
            "sqlx",
            "rusqlite",
            "keyring",
            "hesabu-store",
            "hesabu-core",
            "hesabu-app",
            "tauri",
        ],
    ),
    // The QuickBooks Online client and its sandbox: the sync contract and nothing else of ours,
    // no database or keyring (tokens go through the contract's SecretStore).
    (
        "hesabu-qbo",
        &[
            "sea-orm",
            "sqlx",
            "rusqlite",
            "keyring",
            "hesabu-etims",
            "hesabu-store",
            "hesabu-core",
            "hesabu-app",
            "tauri",
        ],
    ),
    (
        "hesabu-qbo-sandbox",
        &[
            "sea-orm",
            "sqlx",
            "rusqlite",
            "keyring",
            "hesabu-store",
            "hesabu-core",
            "hesabu-app",
            "tauri",
        ],
    ),
    // The receipt renderer: plain data in, PDF bytes out; no database and nothing of ours.
    (
        "hesabu-receipts",
        &[
            "sea-orm",
            "sqlx",
            "rusqlite",
            "hesabu-sync-api",
            "hesabu-etims",
            "hesabu-store",
            "hesabu-core",
            "hesabu-app",
            "tauri",
        ],
    ),
    (
        "hesabu-core",
        &[
            "hesabu-app",
            "hesabu-cli",
            "hesabu-desktop",
            "hesabu-etims",
            "hesabu-etims-sandbox",
            "hesabu-qbo",
            "hesabu-qbo-sandbox",
            "tauri",
        ],
    ),
    ("hesabu-app", &["hesabu-cli", "hesabu-desktop", "tauri"]),
];

#[test]
fn crates_depend_only_on_the_layers_below() {
    let graph = lock_graph();
    let mut offences = Vec::new();
    for (krate, forbidden) in FORBIDDEN {
        assert!(graph.contains_key(*krate), "{krate} is in Cargo.lock");
        let reached = reaches(&graph, krate);
        for f in *forbidden {
            if reached.contains(*f) {
                offences.push(format!("{krate} depends on {f}"));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "upward crate dependencies (see ARCHITECTURE.md, Layers):\n{}",
        offences.join("\n")
    );
}

/// The store's modules, bottom first. A module may import its own layer and those below.
const STORE_LAYERS: &[&[&str]] = &[
    &[
        "error",
        "clock",
        "ids",
        "money",
        "limits",
        "export",
        "permissions",
        "entities",
        "secrets",
        "write_connection",
        "read_connection",
        "columns",
        "background",
    ],
    &["observers", "company_file"],
    &["auth"],
    &["audit"],
    &["uow"],
    &["notifications"],
    &["outbox"],
    &["scheduler"],
];

/// The domain's modules, bottom first (the table in ARCHITECTURE.md).
const DOMAIN_LAYERS: &[&[&str]] = &[
    &["entities", "tabular"],
    &["company", "users", "departments"],
    &["budgets"],
    &["documents"],
    &["rules"],
    &["workflows"],
    &["sales"],
    &["approvals"],
];

#[test]
fn store_modules_import_only_their_layer_and_below() {
    let offences = upward_imports("crates/hesabu-store/src", STORE_LAYERS);
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

#[test]
fn domain_modules_import_only_their_layer_and_below() {
    let offences = upward_imports("crates/hesabu-core/src", DOMAIN_LAYERS);
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

/// The rule itself must catch what it is for: an upward import in a lower module.
#[test]
fn the_module_rule_catches_an_upward_import() {
    let layers: &[&[&str]] = &[&["low"], &["high"]];
    let found = upward_in_text(
        "low.rs",
        "low",
        "// crate::high in a comment does not count\nuse crate::high::Thing;\n",
        &index(layers),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("low.rs:2"), "{found:?}");
    let grouped = upward_in_text("low.rs", "low", "use crate::{high, low};\n", &index(layers));
    assert_eq!(grouped.len(), 1, "{grouped:?}");
    assert!(upward_in_text("high.rs", "high", "use crate::low;\n", &index(layers)).is_empty());
}

fn index(layers: &[&[&str]]) -> BTreeMap<String, usize> {
    let mut by_name = BTreeMap::new();
    for (n, layer) in layers.iter().enumerate() {
        for module in *layer {
            by_name.insert((*module).to_owned(), n);
        }
    }
    by_name
}

fn upward_imports(src: &str, layers: &[&[&str]]) -> Vec<String> {
    let layer_of = index(layers);
    let dir = root().join(src);
    let mut offences = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" {
            continue;
        }
        // Every module has a place in the table: a new one must be put in a layer.
        if !layer_of.contains_key(&name) {
            offences.push(format!(
                "{src}/{name} is in no layer: add it to the table in tests/it/layers.rs and \
                 ARCHITECTURE.md"
            ));
            continue;
        }
        let mut files = Vec::new();
        if path.is_dir() {
            collect(&path, &mut files);
        } else {
            files.push(path.clone());
        }
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let shown = file.strip_prefix(root()).unwrap().display().to_string();
            offences.extend(upward_in_text(&shown, &name, &text, &layer_of));
        }
    }
    offences
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `crate::NAME` paths (and `crate::{a, b}` groups) in `text` that name a module of a
/// higher layer than `module`'s. Comments are skipped; tests count like any other code.
fn upward_in_text(
    file: &str,
    module: &str,
    text: &str,
    layer_of: &BTreeMap<String, usize>,
) -> Vec<String> {
    let own = layer_of[module];
    let mut offences = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut named = Vec::new();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let group = group.split('}').next().unwrap_or("");
                named.extend(group.split(',').map(|p| ident(p.trim())));
            } else {
                named.push(ident(rest));
            }
        }
        for name in named {
            if let Some(&layer) = layer_of.get(name)
                && layer > own
            {
                offences.push(format!(
                    "{file}:{}: `{module}` (layer {own}) imports `crate::{name}` (layer {layer}): \
                     a lower layer must not use a higher one; move the code up or pass it in \
                     through a trait (see ARCHITECTURE.md, Layers)",
                    n + 1
                ));
            }
        }
    }
    offences
}

fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .unwrap_or(text.len());
    &text[..end]
}
