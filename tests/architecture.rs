//! The rules of ARCHITECTURE.md that a machine can check: crate dependencies point down the
//! layers, and no module of a crate imports a module that imports it back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The crates' layers, bottom first: a crate may depend only on crates of lower layers.
const LAYERS: &[&[&str]] = &[
    &["innate-datasets", "innate-encodings"],
    &["innate-gem", "innate-gnet", "innate-devconv", "innate-evolution"],
    &["innate-run"],
    &["innate-experiments"],
    &["innate-cli"],
];

fn layer(name: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&name))
}

/// The innate crates a manifest depends on: its `[dependencies]`, `[target.'..'.dependencies]`
/// and `[dependencies.innate-x]` sections (not its dev-dependencies).
fn innate_dependencies(manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if let Some(section) = line.strip_prefix('[') {
            let section = section.trim_end_matches(']');
            if let Some(dep) = section.strip_prefix("dependencies.").filter(|d| d.starts_with("innate-")) {
                out.push(dep.to_string());
            }
            in_deps = section == "dependencies"
                || (section.starts_with("target.") && section.ends_with(".dependencies"));
            continue;
        }
        if in_deps && line.starts_with("innate-") {
            out.push(line.split(['.', ' ', '=']).next().unwrap_or_default().to_string());
        }
    }
    out
}

#[test]
fn crate_dependencies_point_down_the_layers() {
    let mut seen = 0;
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let manifest = std::fs::read_to_string(entry.unwrap().path().join("Cargo.toml")).unwrap();
        let name = manifest
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .and_then(|l| l.strip_suffix('"'))
            .expect("a package name")
            .to_string();
        let own = layer(&name).unwrap_or_else(|| panic!("{name} is not in ARCHITECTURE.md's layers"));
        for dep in innate_dependencies(&manifest) {
            let theirs = layer(&dep).unwrap_or_else(|| panic!("{dep} is not in the layers"));
            assert!(theirs < own, "{name} depends on {dep}, which is not below it");
        }
        seen += 1;
    }
    assert_eq!(seen, LAYERS.iter().map(|l| l.len()).sum::<usize>());
    // xtask compiles no Candle: it uses the datasets crate without its tensors.
    let xtask = std::fs::read_to_string(root().join("xtask/Cargo.toml")).unwrap();
    assert!(xtask.contains("innate-datasets = { path = \"../crates/datasets\", version"), "{xtask}");
    assert!(xtask.contains("default-features = false") && !xtask.contains("candle"), "{xtask}");
}

/// `a::b` for `src/a/b.rs` or `src/a/b/mod.rs`; empty for the crate root.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The paths that `text`, which follows a `crate::` or `super::`, names: `a::b` or the items of a
/// group `{a::X, b::{Y, Z}}`, each as its segments.
fn paths_after(text: &str) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut prefix = Vec::new();
    let mut rest = text;
    loop {
        let end = rest.find(|c: char| !ident(c)).unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        prefix.push(rest[..end].to_string());
        rest = &rest[end..];
        match rest.strip_prefix("::") {
            Some(r) => rest = r,
            None => return vec![prefix],
        }
    }
    let Some(group) = rest.strip_prefix('{') else { return vec![prefix] };
    // The group's items, split at its top-level commas.
    let (mut depth, mut start, mut items) = (0usize, 0usize, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
        .into_iter()
        .flat_map(|item| paths_after(item.trim()))
        .map(|p| prefix.iter().cloned().chain(p).collect())
        .collect()
}

/// The modules of the same crate that `code` (of module `module`) refers to: `crate::a::b`,
/// `crate::{a::X, b::Y}`, `super::x`, `super::{..}`, and its own child modules by name. A path
/// to an item of the crate root (`crate::Result`) is no module's.
fn references(module: &str, code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let parent = module.rsplit_once("::").map_or("", |p| p.0);
    let mut paths: Vec<Vec<String>> = Vec::new();
    for (base, marker) in [("", "crate::"), (parent, "super::")] {
        for (at, _) in code.match_indices(marker) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let base: Vec<String> = base.split("::").filter(|s| !s.is_empty()).map(String::from).collect();
            for p in paths_after(&code[at + marker.len()..]) {
                paths.push(base.iter().cloned().chain(p).collect());
            }
        }
    }
    // Child modules used by name: `child::Item`.
    for w in code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')) {
        if let Some((first, _)) = w.split_once("::")
            && !matches!(first, "crate" | "super" | "self" | "")
        {
            let own: Vec<String> = module.split("::").filter(|s| !s.is_empty()).map(String::from).collect();
            paths.push(own.into_iter().chain([first.to_string()]).collect());
        }
    }
    let mut out = BTreeSet::new();
    for parts in paths {
        let found = (1..=parts.len()).rev().map(|k| parts[..k].join("::")).find(|m| modules.contains(m));
        if let Some(target) = found
            && target != module
        {
            out.insert(target);
        }
    }
    out
}

/// A cycle of `graph`, if it has one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(m.to_string(), 1);
        stack.push(m.to_string());
        for n in &graph[m] {
            match state.get(n) {
                Some(1) => {
                    let at = stack.iter().position(|s| s == n).unwrap_or(0);
                    return Some([&stack[at..], std::slice::from_ref(n)].concat());
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(n, graph, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in graph.keys() {
        if !state.contains_key(m)
            && let Some(c) = visit(m, graph, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let mut crates: Vec<PathBuf> =
        std::fs::read_dir(root().join("crates")).unwrap().map(|e| e.unwrap().path().join("src")).collect();
    crates.push(root().join("xtask/src"));
    for src in crates {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
        let mut graph = BTreeMap::new();
        for f in &files {
            let module = module_of(&src, f);
            let text = std::fs::read_to_string(f).unwrap();
            // Test modules and comments are not imports.
            let code: String = text
                .split("#[cfg(test)]\nmod ")
                .next()
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            let refs = if module.is_empty() { BTreeSet::new() } else { references(&module, &code, &modules) };
            graph.insert(module, refs);
        }
        graph.retain(|m, _| !m.is_empty());
        for refs in graph.values_mut() {
            refs.remove("");
        }
        assert!(graph.len() > 1 || src.ends_with("xtask/src"), "{}", src.display());
        if let Some(c) = cycle(&graph) {
            panic!("{}: modules import each other: {}", src.display(), c.join(" -> "));
        }
    }
}

#[test]
fn manifests_are_read_in_every_form() {
    let m = "[dependencies]\ninnate-run.workspace = true\n[dev-dependencies]\ninnate-gem.workspace = true\n\
             [target.'cfg(unix)'.dependencies]\ninnate-gnet = { path = \"x\" }\n[dependencies.innate-evolution]\npath = \"y\"\n";
    assert_eq!(innate_dependencies(m), ["innate-run", "innate-gnet", "innate-evolution"]);
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let modules: BTreeSet<String> = ["a", "a::b", "c"].iter().map(|s| s.to_string()).collect();
    assert_eq!(references("a::b", "use super::{X, Y};", &modules), BTreeSet::from(["a".to_string()]));
    assert_eq!(references("a", "pub use b::Thing; crate::c::f()", &modules).len(), 2);
    // Groups, nested groups, and items of the crate root.
    let grouped = "use crate::{c::X, a::{b::Y, Z}};";
    assert_eq!(references("a", grouped, &modules), BTreeSet::from(["a::b".to_string(), "c".to_string()]));
    assert!(references("a::b", "fn f() -> crate::Result<()> {}", &modules).is_empty());
    let graph = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["a::b".to_string()])),
        ("a::b".to_string(), BTreeSet::from(["a".to_string()])),
        ("c".to_string(), BTreeSet::new()),
    ]);
    assert_eq!(cycle(&graph), Some(vec!["a".into(), "a::b".into(), "a".into()]));
}
