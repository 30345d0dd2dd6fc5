//! Promises about the repository itself, read from its files: every GitHub Action the
//! workflows run is pinned by commit, and `docs/security.md` names only tests that exist.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A `uses:` value that is not pinned by a 40-hex commit with its tag in a comment, or `None`.
/// Local workflows (`./...`) are this repository's own files, pinned by being here.
fn unpinned(line: &str) -> Option<String> {
    let value = line
        .trim_start()
        .trim_start_matches("- ")
        .strip_prefix("uses:")?;
    let (reference, comment) = match value.split_once('#') {
        Some((r, c)) => (r.trim(), c.trim()),
        None => (value.trim(), ""),
    };
    let reference = reference.trim_matches(|c| c == '"' || c == '\'');
    if reference.starts_with("./") {
        return None;
    }
    let pinned = reference.rsplit_once('@').is_some_and(|(_, sha)| {
        sha.len() == 40
            && sha
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    });
    let tagged = comment.starts_with('v') && comment[1..].starts_with(|c: char| c.is_ascii_digit());
    (!(pinned && tagged)).then(|| line.trim().to_owned())
}

#[test]
fn a_uses_line_passes_only_with_a_commit_and_its_tag() {
    let sha = "d23441a48e516b6c34aea4fa41551a30e30af803";
    assert_eq!(
        unpinned(&format!("      - uses: actions/checkout@{sha} # v6.1.0")),
        None
    );
    assert_eq!(
        unpinned(&format!("        uses: actions/cache@{sha} # v4.3.0")),
        None
    );
    assert_eq!(unpinned("    uses: ./.github/workflows/ci.yml"), None);
    assert_eq!(unpinned("      - run: echo uses: nothing"), None);
    for bad in [
        "      - uses: actions/checkout@v6".to_owned(),
        format!("      - uses: actions/checkout@{sha}"),
        format!("      - uses: actions/checkout@{} # v6.1.0", &sha[..39]),
        format!(
            "      - uses: actions/checkout@{} # v6.1.0",
            sha.to_uppercase()
        ),
        "      - uses: actions/checkout@main # v6.1.0".to_owned(),
    ] {
        assert!(unpinned(&bad).is_some(), "{bad}");
    }
}

fn workflows() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_action_the_workflows_run_is_pinned_by_commit_with_its_tag() {
    let files = workflows();
    assert!(files.len() >= 2, "ci.yml and release.yml: {files:?}");
    let mut seen = 0;
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line
                .trim_start()
                .trim_start_matches("- ")
                .starts_with("uses:")
            {
                seen += 1;
                if let Some(bad) = unpinned(line) {
                    problems.push(format!("{}:{}: {bad}", file.display(), n + 1));
                }
            }
        }
        // Each workflow grants nothing by default; jobs ask for what they need.
        if !text.lines().any(|l| l == "permissions: {}") {
            problems.push(format!(
                "{}: no top-level `permissions: {{}}`",
                file.display()
            ));
        }
    }
    assert!(seen > 10, "the workflows' uses: lines were read ({seen})");
    assert!(
        problems.is_empty(),
        "pin each action by its 40-character commit, its tag in a comment \
         (`uses: owner/action@<sha> # vX.Y.Z`):\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_workflow_pipes_a_download_into_a_shell() {
    for file in workflows() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            let piped = line.contains("curl") && (line.contains("| sh") || line.contains("| bash"));
            let sourced = line.contains("<(curl");
            assert!(
                !piped && !sourced,
                "{}:{}: an unchecked installer: {line}",
                file.display(),
                n + 1
            );
        }
    }
}

/// Every `snake_case` name in backticks in `docs/security.md`: the tests it names.
fn tests_named_in(doc: &str) -> BTreeSet<String> {
    doc.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.contains('_')
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
        .map(str::to_owned)
        .collect()
}

/// Every `fn NAME` in the Rust files under `dir`.
fn functions_under(dir: &Path, into: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            functions_under(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("fn ").skip(1) {
                let name: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                into.insert(name);
            }
        }
    }
}

#[test]
fn security_md_names_only_tests_and_files_that_exist() {
    let doc = std::fs::read_to_string(root().join("docs/security.md")).unwrap();
    let named = tests_named_in(&doc);
    assert!(named.len() > 40, "the test names were read: {named:?}");
    let mut functions = BTreeSet::new();
    for dir in ["src", "tests", "examples"] {
        functions_under(&root().join(dir), &mut functions);
    }
    let missing: Vec<&String> = named.iter().filter(|n| !functions.contains(*n)).collect();
    assert!(
        missing.is_empty(),
        "docs/security.md names tests that do not exist (renamed or removed?): {missing:?}"
    );
    let files: Vec<&str> = doc
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| s.ends_with(".rs") && s.contains('/'))
        .filter(|s| !root().join(s).exists())
        .collect();
    assert!(
        files.is_empty(),
        "docs/security.md names files that do not exist: {files:?}"
    );
}
