//! `layers`: checks the one-way layers of docs/architecture.md from Rust's own syntax.
//!
//! A module of libmachine may use only modules of lower layers, and a command of the CLI
//! never uses another command. Every path is read as the compiler would meet it: `use`
//! trees (grouped and nested), type and expression paths (`crate::Host`), `super::super::`
//! chains, macro paths and the paths inside macro arguments. A name re-exported at the
//! crate root (`pub use host::Host`, an exported macro) counts as the module it comes
//! from. Unit tests (`tests.rs` files, `#[cfg(test)]` items) may use anything.
//!
//! Run by `scripts/check-layers.sh` (and so by CI). What is split into crates of its own
//! (`gostd`) the compiler checks; this covers what stays inside one crate.

use proc_macro2::{TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use syn::visit::{self, Visit};

/// libmachine's layers, lowest first (docs/architecture.md draws the same table). A new
/// module is placed here on purpose: one missing from the table fails the check.
const LAYERS: &[&[&str]] = &[
    // leaves: no knowledge of machines
    &["log", "testpoint"],
    &["fsutil", "state", "mcnflag", "options", "shell", "runner"],
    &["download", "dial"],
    // certificates, then what speaks to a machine
    &["cert"],
    &["ssh", "tlsconfig"],
    &["dockerclient", "cloud", "boot2docker", "cidata"],
    // what a machine is made of, and how it is set up
    &["drivers"],
    &["provision"],
    &["host"],
    &["migrate"],
    &["store"],
    &["create", "remove", "listing", "dockercontext"],
];

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut failed = false;
    match check_libmachine(&read_tree(&root.join("crates/libmachine/src"))) {
        Ok(modules) => {
            println!("check-layers: libmachine's {modules} modules form a one-way graph")
        }
        Err(problems) => failed |= report(&problems),
    }
    match check_commands(&read_tree(&root.join("crates/docker-machine/src"))) {
        Ok(commands) => {
            println!("check-layers: the CLI's {commands} commands do not use one another")
        }
        Err(problems) => failed |= report(&problems),
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn report(problems: &[String]) -> bool {
    for p in problems {
        eprintln!("check-layers: {p}");
    }
    true
}

/// A source file: its path below `src/` (with `/`) and its text.
type Tree = Vec<(String, String)>;

fn read_tree(src: &Path) -> Tree {
    let mut out = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src).expect("below src");
                let rel = rel.to_string_lossy().replace('\\', "/");
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
                out.push((rel, text));
            }
        }
    }
    out.sort();
    out
}

/// The module a file is: `drivers/qemu/mod.rs` and `drivers/qemu.rs` are `drivers::qemu`.
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn parse(rel: &str, text: &str) -> Result<syn::File, String> {
    syn::parse_file(text).map_err(|e| format!("{rel}: cannot parse: {e}"))
}

/// The libmachine check; `Ok` holds the number of top-level modules.
fn check_libmachine(tree: &Tree) -> Result<usize, Vec<String>> {
    let rank: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, layer)| layer.iter().map(move |m| (*m, i)))
        .collect();
    let lib = index_file(tree, "lib.rs")?;
    let mut problems = Vec::new();

    let modules = declared_modules(&lib);
    for m in &modules {
        if !rank.contains_key(m.as_str()) {
            problems.push(format!(
                "module '{m}' has no layer in crates/layers/src/main.rs"
            ));
        }
    }
    for m in rank.keys() {
        if !modules.contains(*m) {
            problems.push(format!(
                "crates/layers/src/main.rs places '{m}', which lib.rs does not declare"
            ));
        }
    }
    let roots = RootNames::of(&lib, &modules, tree);

    for (rel, text) in tree {
        let own = module_of(rel);
        let Some(own_top) = own.first() else {
            continue; // lib.rs: the root may name anything
        };
        if rel.ends_with("/tests.rs") || rel == "tests.rs" {
            continue;
        }
        for path in paths_in(rel, text, &own, &mut problems) {
            let Some(first) = path.first() else { continue };
            let used = match roots.place(first) {
                Place::Module(m) => m,
                Place::Free => continue,
                Place::Unknown => {
                    problems.push(format!(
                        "{rel} uses crate::{}, which is no module or root item of libmachine",
                        path.join("::")
                    ));
                    continue;
                }
            };
            if used == *own_top {
                continue;
            }
            let (Some(&r_own), Some(&r_used)) =
                (rank.get(own_top.as_str()), rank.get(used.as_str()))
            else {
                continue; // reported above as a module without a layer
            };
            if r_used >= r_own {
                problems.push(format!(
                    "{rel} ({own_top}, layer {r_own}) uses {used} (layer {r_used}) through crate::{}",
                    path.join("::")
                ));
            }
        }
    }
    verdict(problems, modules.len())
}

/// The CLI check: `commands/X.rs` never reaches `commands::Y` for another command Y.
fn check_commands(tree: &Tree) -> Result<usize, Vec<String>> {
    let mod_rs = index_file(tree, "commands/mod.rs")?;
    let commands = declared_modules(&mod_rs);
    let mut problems = Vec::new();
    for (rel, text) in tree {
        let own = module_of(rel);
        if own.len() < 2 || own[0] != "commands" {
            continue;
        }
        for path in paths_in(rel, text, &own, &mut problems) {
            if let [first, used, ..] = path.as_slice() {
                if first == "commands" && *used != own[1] && commands.contains(used) {
                    problems.push(format!(
                        "{rel} uses the {used} command; share through commands/mod.rs or the library"
                    ));
                }
            }
        }
    }
    verdict(problems, commands.len())
}

/// The file that declares the modules checked (`lib.rs`, `commands/mod.rs`), parsed.
fn index_file(tree: &Tree, rel: &str) -> Result<syn::File, Vec<String>> {
    let (_, text) = tree
        .iter()
        .find(|(r, _)| r == rel)
        .ok_or_else(|| vec![format!("{rel} not found")])?;
    parse(rel, text).map_err(|e| vec![e])
}

/// The crate-relative paths of one file (none when it does not parse: that is a problem).
fn paths_in(rel: &str, text: &str, own: &[String], problems: &mut Vec<String>) -> Vec<Vec<String>> {
    match parse(rel, text) {
        Ok(file) => crate_paths(&file, own),
        Err(e) => {
            problems.push(e);
            Vec::new()
        }
    }
}

/// `Ok(count)` when nothing is wrong, else each problem once, sorted.
fn verdict(mut problems: Vec<String>, count: usize) -> Result<usize, Vec<String>> {
    problems.sort();
    problems.dedup();
    if problems.is_empty() {
        Ok(count)
    } else {
        Err(problems)
    }
}

/// The `mod x;` (and `pub mod x;`) a file declares.
fn declared_modules(file: &syn::File) -> BTreeSet<String> {
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if m.content.is_none() && !is_cfg_test(&m.attrs) => {
                Some(m.ident.to_string())
            }
            _ => None,
        })
        .collect()
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && {
            let tokens = a.meta.require_list().map(|l| l.tokens.to_string());
            tokens.is_ok_and(|t| t == "test")
        }
    })
}

/// What a name at the crate root stands for.
enum Place {
    /// A module of the layer table (or an item re-exported from one).
    Module(String),
    /// An item of lib.rs itself, or of another crate re-exported there: anyone may use it.
    Free,
    Unknown,
}

/// The names at libmachine's root: its modules, the items it re-exports from them or from
/// other crates, its own items, and the macros its modules export.
struct RootNames {
    modules: BTreeSet<String>,
    reexported: BTreeMap<String, Option<String>>,
    macros: BTreeMap<String, String>,
}

impl RootNames {
    fn of(lib: &syn::File, modules: &BTreeSet<String>, tree: &Tree) -> RootNames {
        let mut reexported = BTreeMap::new();
        for item in &lib.items {
            match item {
                syn::Item::Use(u) => flatten_use(&u.tree, &mut Vec::new(), &mut |path, name| {
                    let from = path.first().filter(|m| modules.contains(*m)).cloned();
                    reexported.insert(name.to_string(), from);
                }),
                syn::Item::Mod(_) => {}
                other => {
                    if let Some(name) = item_name(other) {
                        reexported.insert(name, None);
                    }
                }
            }
        }
        let mut macros = BTreeMap::new();
        for (rel, text) in tree {
            let Ok(file) = syn::parse_file(text) else {
                continue;
            };
            let Some(top) = module_of(rel).first().cloned() else {
                continue;
            };
            for item in &file.items {
                if let syn::Item::Macro(m) = item {
                    let exported = m.attrs.iter().any(|a| a.path().is_ident("macro_export"));
                    if let (true, Some(name)) = (exported, &m.ident) {
                        macros.insert(name.to_string(), top.clone());
                    }
                }
            }
        }
        RootNames {
            modules: modules.clone(),
            reexported,
            macros,
        }
    }

    fn place(&self, name: &str) -> Place {
        if self.modules.contains(name) {
            return Place::Module(name.to_string());
        }
        if let Some(m) = self.macros.get(name) {
            return Place::Module(m.clone());
        }
        match self.reexported.get(name) {
            Some(Some(m)) => Place::Module(m.clone()),
            Some(None) => Place::Free,
            None => Place::Unknown,
        }
    }
}

fn item_name(item: &syn::Item) -> Option<String> {
    Some(
        match item {
            syn::Item::Const(i) => &i.ident,
            syn::Item::Static(i) => &i.ident,
            syn::Item::Fn(i) => &i.sig.ident,
            syn::Item::Struct(i) => &i.ident,
            syn::Item::Enum(i) => &i.ident,
            syn::Item::Type(i) => &i.ident,
            syn::Item::Trait(i) => &i.ident,
            syn::Item::Macro(i) => i.ident.as_ref()?,
            _ => return None,
        }
        .to_string(),
    )
}

/// Every path of `file` that starts at the crate root, `super` or `self`, resolved to
/// segments from the crate root; `module` is the file's own module.
fn crate_paths(file: &syn::File, module: &[String]) -> Vec<Vec<String>> {
    let mut finder = PathFinder {
        scope: module.to_vec(),
        found: Vec::new(),
    };
    finder.visit_file(file);
    finder.found
}

struct PathFinder {
    /// The module the visitor is in (the file's, plus inline `mod x { }` blocks).
    scope: Vec<String>,
    found: Vec<Vec<String>>,
}

impl PathFinder {
    fn record(&mut self, segments: &[String]) {
        if let Some(path) = resolve(&self.scope, segments) {
            self.found.push(path);
        }
    }

    /// Paths written inside a macro's arguments (`format!("{}", crate::x::y())`).
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(g) => self.scan_tokens(g.stream()),
                TokenTree::Ident(id)
                    if matches!(id.to_string().as_str(), "crate" | "super" | "self") =>
                {
                    let mut segments = vec![id.to_string()];
                    let mut j = i + 1;
                    while let (
                        Some(TokenTree::Punct(a)),
                        Some(TokenTree::Punct(b)),
                        Some(TokenTree::Ident(next)),
                    ) = (trees.get(j), trees.get(j + 1), trees.get(j + 2))
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        segments.push(next.to_string());
                        j += 3;
                    }
                    if segments.len() > 1 {
                        self.record(&segments);
                    }
                    i = j;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

/// `segments` as a path from the crate root, if it starts at `crate`, `super` or `self`.
fn resolve(scope: &[String], segments: &[String]) -> Option<Vec<String>> {
    match segments.first()?.as_str() {
        "crate" => Some(segments[1..].to_vec()),
        "self" => Some([scope, &segments[1..]].concat()),
        "super" => {
            let ups = segments.iter().take_while(|s| *s == "super").count();
            let base = scope.get(..scope.len().checked_sub(ups)?)?;
            Some([base, &segments[ups..]].concat())
        }
        _ => None,
    }
}

/// Each name a `use` tree brings in, with the path it comes from (`use a::{b, c::d as e}`
/// gives `(a, b)`, `(a::c, e)` with the paths `a::b` and `a::c::d`).
fn flatten_use(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut dyn FnMut(&[String], &str),
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            prefix.push(n.ident.to_string());
            out(prefix, &n.ident.to_string());
            prefix.pop();
        }
        syn::UseTree::Rename(r) => {
            prefix.push(r.ident.to_string());
            out(prefix, &r.rename.to_string());
            prefix.pop();
        }
        syn::UseTree::Glob(_) => out(prefix, "*"),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for PathFinder {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Use(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Struct(i) => &i.attrs,
            syn::Item::Enum(i) => &i.attrs,
            syn::Item::Const(i) => &i.attrs,
            syn::Item::Static(i) => &i.attrs,
            syn::Item::Trait(i) => &i.attrs,
            syn::Item::Macro(i) => &i.attrs,
            _ => &[],
        };
        if !is_cfg_test(attrs) {
            visit::visit_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_some() {
            self.scope.push(m.ident.to_string());
            visit::visit_item_mod(self, m);
            self.scope.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut paths = Vec::new();
        flatten_use(&u.tree, &mut Vec::new(), &mut |path, _| {
            paths.push(path.to_vec())
        });
        for path in paths {
            self.record(&path);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.record(&segments);
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.scan_tokens(mac.tokens.clone());
        visit::visit_macro(self, mac);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lib.rs declaring every module of the table, with re-exports and an item of its own.
    fn lib() -> String {
        let modules: String = LAYERS
            .iter()
            .flat_map(|layer| layer.iter())
            .map(|m| format!("pub mod {m};\n"))
            .collect();
        format!(
            "{modules}pub use gostd::{{gob, gourl}};\npub use host::Host;\npub const VERSION: &str = \"x\";\n"
        )
    }

    fn libmachine(files: &[(&str, &str)]) -> Vec<String> {
        let mut tree: Tree = vec![("lib.rs".into(), lib())];
        tree.push((
            "log.rs".into(),
            "#[macro_export] macro_rules! info { ($($t:tt)*) => {} }".into(),
        ));
        tree.extend(files.iter().map(|(p, t)| (p.to_string(), t.to_string())));
        match check_libmachine(&tree) {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    }

    #[test]
    fn downward_uses_pass() {
        let ok = libmachine(&[
            (
                "store.rs",
                "use crate::{host::Host, cert::{self, CertError}}; use super::fsutil;",
            ),
            (
                "host/mod.rs",
                "fn f() -> crate::gourl::Url { crate::info!(\"{}\", crate::VERSION); todo!() }",
            ),
            (
                "cert/mod.rs",
                "#[cfg(test)] mod tests { use crate::store::Store; }",
            ),
            ("drivers/qemu/tests.rs", "use crate::create::create;"),
        ]);
        assert_eq!(ok, Vec::<String>::new());
    }

    #[test]
    fn what_a_grep_missed_is_caught() {
        let found = libmachine(&[
            // A grouped import.
            ("cert/mod.rs", "use crate::{fsutil, store};"),
            // A type path through a root re-export.
            ("ssh/wait.rs", "fn f(_: &crate::Host) {}"),
            // A chain of supers out of a driver's folder.
            (
                "drivers/qemu/mod.rs",
                "use super::super::provision::Provisioner;",
            ),
            // Inside a macro's arguments.
            (
                "dial.rs",
                "fn f() { println!(\"{:?}\", crate::tlsconfig::provider()); }",
            ),
            // A macro exported by a module above.
            ("fsutil.rs", "fn f() { crate::info!(\"x\"); }"),
        ]);
        let expect = [
            "cert/mod.rs (cert, layer 3) uses store",
            "dial.rs (dial, layer 2) uses tlsconfig",
            "drivers/qemu/mod.rs (drivers, layer 6) uses provision",
            "ssh/wait.rs (ssh, layer 4) uses host",
        ];
        for e in expect {
            assert!(
                found.iter().any(|p| p.starts_with(e)),
                "{e} not in {found:#?}"
            );
        }
        // log is below fsutil: the macro is fine.
        assert!(
            !found.iter().any(|p| p.starts_with("fsutil.rs")),
            "{found:#?}"
        );
        assert_eq!(found.len(), expect.len(), "{found:#?}");
    }

    #[test]
    fn unplaced_modules_and_names_fail() {
        let found = libmachine(&[("store.rs", "use crate::nothing_here::X;")]);
        assert!(
            found.iter().any(|p| p.contains("crate::nothing_here::X")),
            "{found:#?}"
        );
        let mut tree: Tree = vec![("lib.rs".into(), format!("{} pub mod newcomer;", lib()))];
        tree.push(("newcomer.rs".into(), String::new()));
        let problems = check_libmachine(&tree).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("'newcomer' has no layer")),
            "{problems:#?}"
        );
    }

    #[test]
    fn commands_do_not_use_one_another() {
        let tree: Tree = vec![
            (
                "commands/mod.rs".into(),
                "mod ls; mod rm; pub fn confirm() {}".into(),
            ),
            (
                "commands/rm.rs".into(),
                "use super::{confirm, ls::render};".into(),
            ),
            (
                "commands/ls.rs".into(),
                "fn f() { crate::commands::confirm(); self::g(); } fn g() {}".into(),
            ),
        ];
        let problems = check_commands(&tree).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(problems[0].starts_with("commands/rm.rs uses the ls command"));
    }
}
