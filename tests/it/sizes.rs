//! The size limits of the code (docs/architecture.md): no source file in `src/` over 800 lines
//! outside its tests, no function over 120. A file that grows past them holds two things; a
//! function past them, several steps that want names.

use std::path::{Path, PathBuf};

const FILE_LINES: usize = 800;
const FN_LINES: usize = 120;

/// Every `.rs` file under `dir`, test modules of their own (`tests.rs`) left out.
fn sources(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            into.push(path);
        }
    }
}

/// The text with comments, strings and character literals blanked (newlines kept), so that
/// only the code's own braces are counted.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let blank = |s: &str| {
        s.chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect::<String>()
    };
    let mut i = 0;
    while i < b.len() {
        let rest = &src[i..];
        let word_before = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        let end = if rest.starts_with("//") {
            rest.find('\n').unwrap_or(rest.len())
        } else if rest.starts_with("/*") {
            rest.find("*/").map_or(rest.len(), |e| e + 2)
        } else if let Some(start) = raw_string_open(rest).filter(|_| !word_before) {
            let hashes = &rest[rest.find('r').unwrap() + 1..start];
            let close = format!("\"{hashes}");
            rest[start + 1..]
                .find(&close)
                .map_or(rest.len(), |e| start + 1 + e + close.len())
        } else if rest.starts_with('"') || (!word_before && rest.starts_with("b\"")) {
            let mut j = rest.find('"').unwrap() + 1;
            while j < rest.len() && rest.as_bytes()[j] != b'"' {
                j += if rest.as_bytes()[j] == b'\\' { 2 } else { 1 };
            }
            j + 1
        } else if let Some(body) = rest.strip_prefix('\'') {
            // A character literal ('x', '\n', '\u{..}'), not a lifetime ('a).
            let len = if body.starts_with('\\') {
                body.get(2..).and_then(|b| b.find('\'')).map(|e| e + 4)
            } else {
                body.chars()
                    .next()
                    .filter(|c| body[c.len_utf8()..].starts_with('\''))
                    .map(|c| c.len_utf8() + 2)
            };
            len.unwrap_or(1)
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
            continue;
        };
        let end = end.min(rest.len());
        if rest.starts_with('\'') && end == 1 {
            out.push('\'');
        } else {
            out.push_str(&blank(&rest[..end]));
        }
        i += end;
    }
    out
}

/// Where a raw string's opening quote is, when `rest` starts one (`r"`, `r#"`, `br#"`), not
/// a raw identifier (`r#type`).
fn raw_string_open(rest: &str) -> Option<usize> {
    let after = rest.strip_prefix('b').unwrap_or(rest).strip_prefix('r')?;
    let hashes = after.len() - after.trim_start_matches('#').len();
    after[hashes..]
        .starts_with('"')
        .then_some(rest.len() - after.len() + hashes)
}

/// How many lines, from line `from`, until the braces opened there close again (or `None`
/// for an item that ends with `;` before any brace).
fn block_len(lines: &[&str], from: usize) -> Option<usize> {
    let first = lines.get(from)?.trim_end();
    if !first.contains('{') && first.ends_with(',') {
        // A field or an argument: the line alone.
        return Some(1);
    }
    let mut depth = 0i64;
    let mut opened = false;
    for (n, line) in lines[from..].iter().enumerate() {
        for c in line.chars() {
            match c {
                '{' => {
                    depth += 1;
                    opened = true;
                }
                '}' => depth -= 1,
                ';' if !opened && depth == 0 => return None,
                _ => {}
            }
        }
        if opened && depth <= 0 {
            return Some(n + 1);
        }
    }
    Some(lines.len() - from)
}

/// The lines of a file that are not its tests: an item under `#[cfg(test)]` is left out
/// (a `mod tests { .. }`, a helper), as is a field or line it marks.
fn without_tests(code: &str) -> Vec<&str> {
    let lines: Vec<&str> = code.lines().collect();
    let mut kept = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "#[cfg(test)]" {
            let next = i + 1;
            i = next + block_len(&lines, next).unwrap_or(1);
            continue;
        }
        kept.push(lines[i]);
        i += 1;
    }
    kept
}

/// Each function's name and length in lines.
fn functions<'a>(lines: &[&'a str]) -> Vec<(&'a str, usize)> {
    let mut found = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| *w == "fn") else {
            continue;
        };
        let before_ok = words[..at]
            .iter()
            .all(|w| w.starts_with("pub") || matches!(*w, "async" | "const" | "unsafe" | "extern"));
        let Some(name) = words
            .get(at + 1)
            .map(|w| w.split(['(', '<']).next().unwrap_or(w))
        else {
            continue;
        };
        if before_ok && !name.is_empty() {
            if let Some(len) = block_len(lines, n) {
                found.push((name, len));
            }
        }
    }
    found
}

#[test]
fn the_code_only_reader_blanks_strings_chars_and_comments() {
    let src =
        "fn a() { let s = \"{\"; let c = '}'; // {\n let r = r#\"}\"#; x::<'a>(); c.r#type() }";
    let code = code_only(src);
    assert_eq!(code.matches('{').count(), 1, "{code}");
    assert_eq!(code.matches('}').count(), 1, "{code}");
    assert!(code.contains("'a"), "a lifetime stays: {code}");
    let lines = [
        "#[cfg(test)]",
        "mod tests {",
        "fn t() {}",
        "}",
        "fn kept() {",
        "}",
    ];
    assert_eq!(without_tests(&lines.join("\n")), ["fn kept() {", "}"]);
    let field = [
        "S {",
        "    #[cfg(test)]",
        "    tree: None,",
        "    kept: 1,",
        "}",
    ];
    assert_eq!(without_tests(&field.join("\n")).len(), 3);
    assert_eq!(
        functions(&["pub(crate) async fn go(", ") {", "}"]),
        [("go", 3)]
    );
}

#[test]
fn no_source_file_is_over_800_lines_nor_a_function_over_120() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 50, "src/ was read: {} files", files.len());
    let mut over = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let code = code_only(&text);
        let lines = without_tests(&code);
        let shown = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .display();
        if lines.len() > FILE_LINES {
            over.push(format!(
                "{shown}: {} lines (at most {FILE_LINES})",
                lines.len()
            ));
        }
        for (name, len) in functions(&lines) {
            if len > FN_LINES {
                over.push(format!(
                    "{shown}: fn {name} is {len} lines (at most {FN_LINES})"
                ));
            }
        }
    }
    assert!(over.is_empty(), "split these:\n{}", over.join("\n"));
}
