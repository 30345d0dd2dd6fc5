//! The import rule of `docs/architecture.md`, read from the source: the modules of `src/` sit
//! on floors, and an import goes to the same floor or lower, never in a loop. Every `crate::`
//! path in `src/**/*.rs` (outside comments and strings) is an import of the module it names.
//!
//! Exceptions would be listed in [`KNOWN`], each with what removes it; the test also fails
//! when one of them is gone, so that the list only shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module's floor, lowest first. `buzz::wire` (pure Buzz formats) stands apart from the
/// Buzz client. A new module needs a floor here and a row in docs/architecture.md.
const FLOORS: &[(&str, u8)] = &[
    ("error", 0),
    ("names", 0),
    ("sizing", 0),
    ("state", 0),
    ("calls", 0),
    ("events", 0),
    ("text", 0),
    ("deadline", 0),
    ("exit", 0),
    ("fanout", 0),
    ("price", 0),
    ("hcl", 0),
    ("checklist", 0),
    ("iam", 1),
    ("archive", 1),
    ("parts", 1),
    ("plan", 1),
    ("checks", 1),
    ("teardown_plan", 1),
    ("metrics", 1),
    ("tls", 1),
    ("iac", 1),
    ("handover", 1),
    ("buzz::wire", 1),
    ("aws", 2),
    ("buzz", 2),
    ("ui", 2),
    ("cli", 3),
    ("spec", 3),
    ("help", 3),
    ("report", 4),
    ("commands", 5),
    ("lib", 6),
];

/// Imports allowed for now, with what removes each. Empty; an entry
/// here needs a reason and a plan to remove it.
const KNOWN: &[(&str, &str, &str)] = &[];

/// Modules the adapters must never reach, whatever their floor.
const NOT_FROM_ADAPTERS: &[&str] = &["ui", "report", "commands"];

/// `from -> to` with the first file that makes the import.
type Edges = BTreeMap<(String, String), PathBuf>;

#[test]
fn modules_import_one_way_down_the_floors() {
    let edges = import_edges();
    let floors: BTreeMap<&str, u8> = FLOORS.iter().copied().collect();
    let known: BTreeSet<(&str, &str)> = KNOWN.iter().map(|(a, b, _)| (*a, *b)).collect();
    let mut problems = Vec::new();

    let modules: BTreeSet<&str> = edges
        .keys()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    for m in &modules {
        if !floors.contains_key(m) {
            problems.push(format!(
                "module {m} has no floor: add it to FLOORS here and to docs/architecture.md"
            ));
        }
    }
    for (from, to, why) in KNOWN {
        if !edges.contains_key(&((*from).to_owned(), (*to).to_owned())) {
            problems.push(format!(
                "{from} no longer imports {to} ({why}): remove it from KNOWN and from docs/architecture.md"
            ));
        }
    }

    let rest: Edges = edges
        .iter()
        .filter(|((a, b), _)| !known.contains(&(a.as_str(), b.as_str())))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for ((from, to), file) in &rest {
        let (Some(f), Some(t)) = (floors.get(from.as_str()), floors.get(to.as_str())) else {
            continue;
        };
        if t > f {
            problems.push(format!(
                "{from} (floor {f}) imports {to} (floor {t}), a floor above it, in {}",
                file.display()
            ));
        }
        if ["aws", "buzz", "buzz::wire"].contains(&from.as_str())
            && NOT_FROM_ADAPTERS.contains(&to.as_str())
        {
            problems.push(format!(
                "the adapter {from} imports {to}, in {}",
                file.display()
            ));
        }
    }
    for cycle in cycles(&rest) {
        problems.push(format!("an import loop: {}", cycle.join(" -> ")));
    }
    assert!(
        problems.is_empty(),
        "docs/architecture.md's import rule is broken:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_import_reader_sees_paths_and_skips_comments_and_strings() {
    let code = r##"
        use crate::names::{EventFilter, Region};
        use crate::buzz::{wire, BuzzClient};
        use crate::{report, ExitCode};
        // use crate::commands;
        /* crate::ui /* nested */ crate::ui */
        let s = "crate::spec"; let r = r#"crate::cli"#; let c = '"'; let q = '\'';
        fn f<'a>(x: &'a str) -> crate::Result<()> { crate::plan::plan(x) }
    "##;
    let code = strip_comments_and_literals(code);
    let found: BTreeSet<String> = imports(&code, "commands", Path::new("x.rs"))
        .into_iter()
        .collect();
    let want: BTreeSet<String> = [
        "names",
        "buzz::wire",
        "buzz",
        "report",
        "lib",
        "error",
        "plan",
    ]
    .map(String::from)
    .into();
    assert_eq!(found, want);
}

/// Every import between modules of `src/` (a module's imports of itself left out).
fn import_edges() -> Edges {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges = Edges::new();
    for file in rust_files(&src) {
        let rel = file.strip_prefix(&src).unwrap_or(&file);
        let Some(module) = module_of(rel) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read a source file");
        let code = strip_comments_and_literals(&text);
        for to in imports(&code, &module, rel) {
            if to != module {
                edges
                    .entry((module.clone(), to))
                    .or_insert_with(|| rel.to_owned());
            }
        }
    }
    edges
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The module a file belongs to: its top-level module, `buzz::wire` for that file, `lib` for
/// the crate root; `None` for `main.rs`, which only reaches the library by its name.
fn module_of(rel: &Path) -> Option<String> {
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    match parts.as_slice() {
        [main] if main == "main" => None,
        [lib] if lib == "lib" => Some("lib".into()),
        [buzz, wire] if buzz == "buzz" && wire == "wire" => Some("buzz::wire".into()),
        [first, ..] => Some(first.clone()),
        [] => None,
    }
}

/// The modules that `code` (comments and literals already blanked) names.
fn imports(code: &str, module: &str, rel: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        // `buzz_kinesis_crate::` or similar is not `crate::`.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        out.extend(path_targets(rest));
    }
    // Inside src/buzz/, the client reaches the wire module as `super::wire`.
    if module == "buzz" && rel.parent() == Some(Path::new("buzz")) && code.contains("super::wire") {
        out.push("buzz::wire".into());
    }
    // The crate root names its modules without `crate::`.
    if module == "lib" {
        for (m, _) in FLOORS {
            if !m.contains("::") && code.contains(&format!("{m}::")) {
                out.push((*m).to_owned());
            }
        }
    }
    out
}

/// The modules a path after `crate::` reaches: `names::X`, `{a, b::c}`, `buzz::{wire, X}`.
fn path_targets(path: &str) -> Vec<String> {
    let path = path.trim_start();
    if let Some(group) = path.strip_prefix('{') {
        return split_group(group)
            .iter()
            .flat_map(|item| path_targets(item))
            .collect();
    }
    let first: String = path
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let after = path[first.len()..].trim_start();
    let second = after.strip_prefix("::").map(str::trim_start);
    match first.as_str() {
        "buzz" => match second {
            Some(s) if s.starts_with('{') => split_group(&s[1..])
                .iter()
                .map(|item| {
                    if item.trim_start().starts_with("wire") {
                        "buzz::wire".to_owned()
                    } else {
                        "buzz".to_owned()
                    }
                })
                .collect(),
            Some(s) if s.starts_with("wire") => vec!["buzz::wire".into()],
            _ => vec!["buzz".into()],
        },
        // Re-exported at the root from `error`.
        "Error" | "Result" => vec!["error".into()],
        m if FLOORS.iter().any(|(name, _)| *name == m) => vec![m.to_owned()],
        // Anything else named at the root (ExitCode, run, ...) lives in lib.rs.
        "" => Vec::new(),
        _ => vec!["lib".into()],
    }
}

/// The comma-separated items of a `{...}` group (the text after `{`), up to its `}`.
fn split_group(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&text[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items
}

/// `text` with comments, string literals and char literals blanked out, so that a path in a
/// doc comment or an error message is not taken for an import.
fn strip_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && raw_string_start(&chars, i)
        {
            // A raw string: r"...", r#"..."#, with any number of #.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('x', '\n', '\''), or a lifetime ('a), which stays.
            if next == Some('\\') {
                // Past the quote, the backslash and the escaped character.
                i += 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Whether the `r` at `i` starts a raw string (`r"`, `r#"`, `br"`) rather than ending a name.
fn raw_string_start(chars: &[char], i: usize) -> bool {
    let ident = |k: usize| chars[k].is_alphanumeric() || chars[k] == '_';
    match i {
        0 => true,
        1 => !ident(0) || chars[0] == 'b',
        _ => !ident(i - 1) || (chars[i - 1] == 'b' && !ident(i - 2)),
    }
}

/// The loops in the graph, each once, as `a -> b -> ... -> a`.
fn cycles(edges: &Edges) -> Vec<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges.keys() {
        next.entry(a.as_str()).or_default().push(b.as_str());
    }
    let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
    for start in next.keys() {
        // Depth-first from each module, reporting paths that come back to it through modules
        // that sort after it (so each loop is reported once, from its smallest module).
        let mut stack: Vec<(&str, Vec<&str>)> = vec![(start, vec![start])];
        while let Some((at, path)) = stack.pop() {
            for &to in next.get(at).into_iter().flatten() {
                if to == *start {
                    let mut cycle: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
                    cycle.push(to.to_owned());
                    found.insert(cycle);
                } else if to > *start && !path.contains(&to) {
                    let mut longer = path.clone();
                    longer.push(to);
                    stack.push((to, longer));
                }
            }
        }
    }
    found.into_iter().collect()
}

/// No two modules import each other, however deep: at the crate's root (a module with its
/// submodules as one: `buzz` with `buzz::wire`, so `buzz -> handover -> buzz::wire` is a loop)
/// and between the submodules of any one module (`buzz::client` and `buzz::identity`,
/// `commands::setup` and `commands::read`). A path through a re-export (`super::BuzzClient`)
/// counts as an import of the submodule it re-exports. Unit tests inside a file are left out:
/// their `super::` is the file itself.
#[test]
fn no_loop_between_sibling_modules() {
    let graphs = sibling_edges();
    let mut problems = Vec::new();
    for (parent, edges) in &graphs {
        for cycle in cycles(edges) {
            let at = if parent.is_empty() {
                "the crate's root".to_owned()
            } else {
                format!("in {parent}")
            };
            let first = edges
                .iter()
                .find(|((a, b), _)| *a == cycle[0] && *b == cycle[1])
                .map(|(_, f)| f.display().to_string())
                .unwrap_or_default();
            problems.push(format!(
                "an import loop {at}: {} (first edge in {first})",
                cycle.join(" -> ")
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "modules import each other (move what both need into a third module):\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_sibling_reader_resolves_relative_paths_groups_and_re_exports() {
    let modules: BTreeSet<Vec<String>> = [
        "buzz",
        "buzz::client",
        "buzz::identity",
        "buzz::wire",
        "handover",
    ]
    .iter()
    .map(|m| path_of(m))
    .collect();
    let reexports: BTreeMap<Vec<String>, Vec<String>> =
        [(path_of("buzz::BuzzClient"), path_of("buzz::client"))].into();
    let code = r#"
        use super::{identity::{self, X}, wire};
        impl super::BuzzClient {}
        fn f() { crate::handover::shell_quote(""); self::inner(); }
    "#;
    let code = strip_comments_and_literals(code);
    let found: BTreeSet<Vec<String>> = module_paths_named(&code, &path_of("buzz::client"))
        .iter()
        .map(|p| resolve(p, &modules, &reexports))
        .collect();
    let want: BTreeSet<Vec<String>> = [
        "buzz::identity",
        "buzz::wire",
        "buzz::client",
        "handover",
        "buzz::client",
    ]
    .iter()
    .map(|m| path_of(m))
    .collect();
    assert_eq!(found, want);
    // The edges between siblings: under buzz, client -> identity and client -> wire; at the
    // root, buzz -> handover (client's own module is not an edge).
    let edge = |from: &str, to: &str| sibling_edge(&path_of(from), &path_of(to));
    assert_eq!(
        edge("buzz::client", "buzz::identity"),
        Some((path_of("buzz"), "client".into(), "identity".into()))
    );
    assert_eq!(
        edge("buzz::client", "handover"),
        Some((Vec::new(), "buzz".into(), "handover".into()))
    );
    assert_eq!(edge("buzz::client", "buzz::client"), None);
    assert_eq!(
        edge("buzz::client", "buzz"),
        None,
        "a child reaching its parent"
    );
    assert_eq!(
        edge("buzz", "buzz::client"),
        None,
        "a parent reaching its child"
    );
}

fn path_of(m: &str) -> Vec<String> {
    m.split("::").map(String::from).collect()
}

/// `(parent, from, to)`: the two children of `parent` that an import from module `from` to
/// module `to` connects, when it crosses between two of them.
fn sibling_edge(from: &[String], to: &[String]) -> Option<(Vec<String>, String, String)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    match (from.get(common), to.get(common)) {
        (Some(a), Some(b)) => Some((from[..common].to_vec(), a.clone(), b.clone())),
        _ => None,
    }
}

/// For each module (the root as ""), the imports between its children, each with the first
/// file that makes it.
fn sibling_edges() -> BTreeMap<String, Edges> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<(PathBuf, Vec<String>)> = rust_files(&src)
        .into_iter()
        .filter_map(|f| {
            let rel = f.strip_prefix(&src).ok()?.to_owned();
            Some((rel.clone(), file_module(&rel)?))
        })
        .collect();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(_, m)| m.clone()).collect();
    let code_of = |rel: &Path| {
        let text = std::fs::read_to_string(src.join(rel)).expect("read a source file");
        // The file's own code, not its unit tests (whose `super::` is the file).
        let own = text
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or_default();
        strip_comments_and_literals(own)
    };
    // The crate root's re-exports too (`crate::Error` is `error`'s).
    let mut reexports = re_exports(&code_of(Path::new("lib.rs")), &[], &modules);
    for (rel, module) in &files {
        reexports.extend(re_exports(&code_of(rel), module, &modules));
    }
    let mut graphs: BTreeMap<String, Edges> = BTreeMap::new();
    for (rel, module) in &files {
        for named in module_paths_named(&code_of(rel), module) {
            let to = resolve(&named, &modules, &reexports);
            if let Some((parent, a, b)) = sibling_edge(module, &to) {
                graphs
                    .entry(parent.join("::"))
                    .or_default()
                    .entry((a, b))
                    .or_insert_with(|| rel.clone());
            }
        }
    }
    graphs
}

/// A file's module path: `buzz/client.rs` and `buzz/client/mod.rs` are `buzz::client`;
/// `None` for the crate root (`lib.rs`, `main.rs`).
fn file_module(rel: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    match parts.as_slice() {
        [] => None,
        [root] if root == "lib" || root == "main" => None,
        _ => Some(parts),
    }
}

/// The absolute paths that `code` (comments and literals blanked) names through `crate::`,
/// `super::` or `self::`, groups expanded, relative to `module`.
fn module_paths_named(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let word_start = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let rest = &code[i..];
        let base = if !word_start {
            None
        } else if let Some(r) = rest.strip_prefix("crate::") {
            Some((Vec::new(), r))
        } else if rest.starts_with("super::") {
            let mut base = module.to_vec();
            let mut r = rest;
            while let Some(after) = r.strip_prefix("super::") {
                base.pop();
                r = after.trim_start();
            }
            Some((base, r))
        } else {
            rest.strip_prefix("self::").map(|r| (module.to_vec(), r))
        };
        match base {
            Some((base, r)) => {
                for tail in expand(r) {
                    let mut path = base.clone();
                    path.extend(tail);
                    out.push(path);
                }
                i = code.len() - r.len();
            }
            None => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    out
}

/// The paths a path's text spells, a group (`{a, b::{self, c}}`) giving one per leaf;
/// `self` in a group is the path up to it.
fn expand(text: &str) -> Vec<Vec<String>> {
    let text = text.trim_start();
    if let Some(group) = text.strip_prefix('{') {
        return split_group(group).iter().flat_map(|i| expand(i)).collect();
    }
    let name: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() || name == "self" {
        return vec![Vec::new()];
    }
    let after = text[name.len()..].trim_start();
    match after.strip_prefix("::") {
        Some(more) => expand(more)
            .into_iter()
            .map(|mut tail| {
                tail.insert(0, name.clone());
                tail
            })
            .collect(),
        None => vec![vec![name]],
    }
}

/// The deepest module a path reaches: known submodules followed, a re-exported name taken
/// to the submodule it comes from, an item's name dropped.
fn resolve(
    path: &[String],
    modules: &BTreeSet<Vec<String>>,
    reexports: &BTreeMap<Vec<String>, Vec<String>>,
) -> Vec<String> {
    let mut at: Vec<String> = Vec::new();
    for segment in path {
        let mut next = at.clone();
        next.push(segment.clone());
        if modules.contains(&next) {
            at = next;
        } else if let Some(source) = reexports.get(&next) {
            at = source.clone();
        } else {
            break;
        }
    }
    at
}

/// `pub use child::{A, B as C}` in `module`: `module::A` and `module::C` come from
/// `module::child`.
fn re_exports(
    code: &str,
    module: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> BTreeMap<Vec<String>, Vec<String>> {
    let mut out = BTreeMap::new();
    for statement in code.split("pub use ").skip(1) {
        let statement = statement.split(';').next().unwrap_or_default();
        let statement = statement.strip_prefix("self::").unwrap_or(statement);
        let (child, items) = statement.split_once("::").unwrap_or((statement, ""));
        let mut source = module.to_vec();
        source.push(child.trim().to_owned());
        if !modules.contains(&source) {
            continue;
        }
        let items = items.trim();
        let names: Vec<&str> = match items.strip_prefix('{') {
            Some(group) => split_group(group),
            None => vec![items],
        };
        for item in names {
            let exported = item.rsplit([' ', ':']).next().unwrap_or_default().trim();
            if !exported.is_empty() && exported != "self" && exported != "*" {
                let mut name = module.to_vec();
                name.push(exported.to_owned());
                out.insert(name, source.clone());
            }
        }
    }
    out
}

/// Inside the commands' floor, each command reaches the others only through the read step
/// they share (`commands/read.rs`) and the floor's root (`commands/mod.rs`): check does not
/// borrow setup's reading, teardown not check's.
#[test]
fn commands_share_only_the_read_step() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
    let commands: Vec<String> = std::fs::read_dir(&dir)
        .expect("read src/commands")
        .map(|e| e.expect("an entry").path())
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|m| m != "mod" && m != "read")
        .collect();
    let mut problems = Vec::new();
    for file in rust_files(&dir) {
        let rel = file.strip_prefix(&dir).unwrap_or(&file);
        let own = rel
            .iter()
            .next()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
            .unwrap_or_default();
        let code = strip_comments_and_literals(&std::fs::read_to_string(&file).unwrap());
        for other in commands.iter().filter(|c| **c != own) {
            for path in [format!("commands::{other}::"), format!("super::{other}::")] {
                // `super::` inside a command's own folder (tail/) names its own rooms.
                let own_room = rel.components().count() > 1 && path.starts_with("super::");
                if code.contains(&path) && !own_room {
                    problems.push(format!("{} names {path}", rel.display()));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "a command imports another command (share it through commands/read.rs):\n  {}",
        problems.join("\n  ")
    );
}

/// The specs' builders are pure: they turn raw values into a spec and read nothing from the
/// process themselves (no environment, no stdin, no prompt); `spec/raw.rs` gathers, and
/// `spec/mod.rs` hands missing values to the wizard.
#[test]
fn spec_builders_read_nothing_from_the_process() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/spec");
    let mut problems = Vec::new();
    for file in rust_files(&dir) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if ["raw.rs", "mod.rs", "config.rs"].contains(&name.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // The builders, not their unit tests.
        let code = strip_comments_and_literals(text.split("#[cfg(test)]").next().unwrap());
        for banned in [
            "std::env::",
            "stdin",
            "ui::wizard",
            "prompt_valid",
            "prompt_password",
        ] {
            if code.contains(banned) {
                problems.push(format!("spec/{name} uses {banned}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "a spec builder reads from the process:\n  {}",
        problems.join("\n  ")
    );
}
