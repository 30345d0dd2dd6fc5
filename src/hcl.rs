//! A small HCL writer: values, blocks, and `=` aligned the way `terraform fmt` aligns them,
//! with strings escaped so that nothing in them is interpolated. It knows no template: the
//! Terraform export and the parts' fragments (`crate::parts`) write with it.

use std::fmt::Write as _;

use serde_json::Value;

/// An HCL value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Hcl {
    Str(String),
    /// An expression written as is: a reference, a type, a number.
    Expr(String),
    Bool(bool),
    List(Vec<Hcl>),
    Object(Vec<(String, Hcl)>),
    /// A function call with one argument, e.g. `jsonencode({...})`.
    Call(&'static str, Box<Hcl>),
}

impl Hcl {
    pub(crate) fn str(s: impl Into<String>) -> Self {
        Hcl::Str(s.into())
    }
    pub(crate) fn expr(s: impl Into<String>) -> Self {
        Hcl::Expr(s.into())
    }

    /// A JSON value as HCL, with stand-in strings made into references.
    pub(crate) fn from_json(v: &Value, refs: &[(&str, &str)]) -> Self {
        match v {
            Value::Null => Hcl::expr("null"),
            Value::Bool(b) => Hcl::Bool(*b),
            Value::Number(n) => Hcl::expr(n.to_string()),
            Value::String(s) => match refs.iter().find(|(from, _)| from == s) {
                Some((_, to)) => Hcl::expr(*to),
                None => Hcl::str(s.as_str()),
            },
            Value::Array(a) => Hcl::List(a.iter().map(|x| Hcl::from_json(x, refs)).collect()),
            Value::Object(o) => Hcl::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), Hcl::from_json(x, refs)))
                    .collect(),
            ),
        }
    }

    /// A string with stand-ins made into interpolations (`"... ${ref} ..."`); anything else
    /// in it is escaped, so nothing of the text itself is interpolated.
    pub(crate) fn template(s: &str, refs: &[(&str, &str)]) -> Self {
        let mut out = hcl_string(s);
        for (from, to) in refs {
            out = out.replace(
                &hcl_string(from).trim_matches('"').to_owned(),
                &format!("${{{to}}}"),
            );
        }
        Hcl::Expr(out)
    }

    fn is_multiline(&self) -> bool {
        match self {
            Hcl::List(items) => items
                .iter()
                .any(|i| matches!(i, Hcl::List(_) | Hcl::Object(_) | Hcl::Call(..))),
            Hcl::Object(items) => !items.is_empty(),
            Hcl::Call(_, arg) => arg.is_multiline(),
            _ => false,
        }
    }

    /// Write the value; `indent` is the indentation of the line it starts on.
    fn write(&self, out: &mut String, indent: usize) {
        match self {
            Hcl::Str(s) => out.push_str(&hcl_string(s)),
            Hcl::Expr(e) => out.push_str(e),
            Hcl::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Hcl::Call(f, arg) => {
                out.push_str(f);
                out.push('(');
                arg.write(out, indent);
                out.push(')');
            }
            Hcl::List(items) if !self.is_multiline() => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out, indent);
                }
                out.push(']');
            }
            Hcl::List(items) => {
                out.push_str("[\n");
                for item in items {
                    pad(out, indent + 2);
                    item.write(out, indent + 2);
                    out.push_str(",\n");
                }
                pad(out, indent);
                out.push(']');
            }
            Hcl::Object(items) if items.is_empty() => out.push_str("{}"),
            Hcl::Object(items) => {
                out.push_str("{\n");
                let entries: Vec<(String, &Hcl)> =
                    items.iter().map(|(k, v)| (hcl_key(k), v)).collect();
                write_aligned(out, &entries, indent + 2);
                pad(out, indent);
                out.push('}');
            }
        }
    }
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// `key = value` lines, their `=` aligned the way `terraform fmt` does: each run of one-line
/// attributes is aligned together; an attribute whose value spans lines stands alone.
fn write_aligned(out: &mut String, entries: &[(String, &Hcl)], indent: usize) {
    let mut start = 0;
    while start < entries.len() {
        let mut end = start + 1;
        if !entries[start].1.is_multiline() {
            while end < entries.len() && !entries[end].1.is_multiline() {
                end += 1;
            }
        }
        let width = entries[start..end]
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in &entries[start..end] {
            pad(out, indent);
            let _ = write!(out, "{k:<width$} = ");
            v.write(out, indent);
            out.push('\n');
        }
        start = end;
    }
}

/// An object key: bare when it is an identifier, else quoted.
fn hcl_key(k: &str) -> String {
    let mut chars = k.chars();
    let ident = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident {
        k.to_owned()
    } else {
        hcl_string(k)
    }
}

/// A quoted HCL string: escapes, and `${` / `%{` doubled so that nothing is interpolated.
fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A block: `type "label" ... { comments, attributes, then nested blocks }`.
pub(crate) struct Block {
    kind: &'static str,
    labels: Vec<String>,
    comments: Vec<String>,
    attrs: Vec<(String, Hcl)>,
    blocks: Vec<Block>,
}

impl Block {
    pub(crate) fn new(kind: &'static str, labels: &[&str]) -> Self {
        Self {
            kind,
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            comments: Vec::new(),
            attrs: Vec::new(),
            blocks: Vec::new(),
        }
    }
    pub(crate) fn attr(mut self, name: &str, value: Hcl) -> Self {
        self.attrs.push((name.to_owned(), value));
        self
    }
    pub(crate) fn block(mut self, b: Block) -> Self {
        self.blocks.push(b);
        self
    }
    /// A `#` comment line at the top of the block (line breaks in it become spaces, so it
    /// stays one comment).
    pub(crate) fn comment(mut self, text: &str) -> Self {
        self.comments
            .push(text.split_whitespace().collect::<Vec<_>>().join(" "));
        self
    }

    pub(crate) fn write(&self, out: &mut String, indent: usize) {
        pad(out, indent);
        out.push_str(self.kind);
        for l in &self.labels {
            out.push(' ');
            out.push_str(&hcl_string(l));
        }
        if self.comments.is_empty() && self.attrs.is_empty() && self.blocks.is_empty() {
            out.push_str(" {}\n");
            return;
        }
        out.push_str(" {\n");
        for c in &self.comments {
            pad(out, indent + 2);
            out.push_str("# ");
            out.push_str(c);
            out.push('\n');
        }
        let entries: Vec<(String, &Hcl)> = self.attrs.iter().map(|(k, v)| (k.clone(), v)).collect();
        write_aligned(out, &entries, indent + 2);
        for b in &self.blocks {
            if !self.attrs.is_empty() {
                out.push('\n');
            }
            b.write(out, indent + 2);
        }
        pad(out, indent);
        out.push_str("}\n");
    }
}

/// Words of `text` in lines of at most `width` characters.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_keys_and_strings_are_quoted_when_needed() {
        assert_eq!(hcl_key("managed-by"), "managed-by");
        assert_eq!(hcl_key("sts:ExternalId"), "\"sts:ExternalId\"");
        assert_eq!(hcl_key("1a"), "\"1a\"");
        assert_eq!(hcl_string("a\\b\n${x}$y"), "\"a\\\\b\\n$${x}$y\"");
    }

    #[test]
    fn long_text_wraps_at_word_boundaries() {
        let lines = wrap("aaa bbb ccc", 7);
        assert_eq!(lines, ["aaa bbb", "ccc"]);
    }
}
