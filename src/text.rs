//! Text from outside the process (Buzz's answers, other targets' titles, ids read from stream
//! records) made safe for a terminal, in one place.
//!
//! Outside text is *marked* where it enters a sentence ([`outside`]: its `Display` wraps the
//! value in two private-use characters) and *escaped where the sentence is rendered*: every
//! writer to a person ([`for_terminal`]: the report on stdout, the plan and progress on stderr,
//! the error report) escapes each marked span completely (control characters, newlines, bidi
//! controls, U+2028/2029, backslashes), and everything else too, but newlines and tabs, so even
//! an unmarked string cannot move the cursor, recolour the screen or reorder a line. JSON
//! writers drop the marks ([`unmark`]) and keep the exact value. So a title holding
//! `\nPASS ...` shows as one line with a visible `\n`, and a forgotten mark still cannot send
//! an escape sequence.

use std::fmt::{self, Write};

/// Opens a span of outside text (U+E000, a private-use character no Buzz text needs).
const OPEN: char = '\u{E000}';
/// Closes it (U+E001).
const CLOSE: char = '\u{E001}';

/// Bidirectional formatting characters: embeddings and overrides (U+202A–202E) and isolates
/// (U+2066–2069), which make a terminal show text in another order than it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character a terminal must never receive raw from outside text: C0, DEL, C1, the bidi
/// controls, and the line and paragraph separators (U+2028, U+2029).
fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || c == '\u{2028}' || c == '\u{2029}'
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if (c as u32) < 0x80 && c.is_control() => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if is_unsafe(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// `s` with every unsafe character written as a visible escape, so an event whose field holds
/// `ESC ]0;title BEL` or `ESC [2J` cannot retitle the window or clear the screen (`\x1b`,
/// `\x07`, `\u{9b}`), and a bidi override cannot reorder the line (`\u{202e}`). Tabs, newlines
/// and backslashes too, so a line stays one line and an escape in the data cannot pass for
/// one of ours.
pub(crate) fn escape_control(s: &str) -> String {
    if !s.chars().any(|c| is_unsafe(c) || c == '\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    out
}

/// Outside text in a sentence: `format!("target {}", outside(title))`. Its `Display` marks the
/// value for the renderers (see the module's doc); marks already in the value are dropped, so
/// the value cannot close its own span.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outside<'a>(pub &'a str);

/// Mark `s` as outside text.
pub(crate) fn outside(s: &str) -> Outside<'_> {
    Outside(s)
}

impl fmt::Display for Outside<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char(OPEN)?;
        for c in self.0.chars().filter(|c| *c != OPEN && *c != CLOSE) {
            f.write_char(c)?;
        }
        f.write_char(CLOSE)
    }
}

/// A sentence as a person's terminal gets it: marked spans escaped completely, and in the rest
/// every unsafe character but newlines and tabs (the sentence's own layout) escaped as well.
pub(crate) fn for_terminal(s: &str) -> String {
    if !s.chars().any(|c| is_unsafe(c) || c == OPEN || c == CLOSE) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            OPEN => depth += 1,
            CLOSE => depth = depth.saturating_sub(1),
            c if depth > 0 => push_escaped(&mut out, c),
            '\n' | '\t' => out.push(c),
            c if is_unsafe(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// A sentence for JSON and other exact output: the marks dropped, the value as it was.
pub(crate) fn unmark(s: &str) -> String {
    if !s.contains([OPEN, CLOSE]) {
        return s.to_owned();
    }
    s.chars().filter(|c| *c != OPEN && *c != CLOSE).collect()
}

/// `arg` as one word of a POSIX shell: as it is when it holds only characters no shell
/// treats specially, else in single quotes (a quote inside written `'\''`).
pub(crate) fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// A span of time as a person says it: `45 s`, `12 min`, `5 h`, `3 days`.
pub(crate) fn span(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..172_800 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_become_visible_text() {
        let hostile = "Ann\x1b]0;pwned\x07\x1b[2J\u{9b}31m";
        let shown = escape_control(hostile);
        assert_eq!(shown, "Ann\\x1b]0;pwned\\x07\\x1b[2J\\u{9b}31m");
        assert!(!shown.chars().any(char::is_control));
        assert_eq!(escape_control("a\tb\nc\\d"), "a\\tb\\nc\\\\d");
        assert_eq!(escape_control("plain é ✓"), "plain é ✓");
    }

    #[test]
    fn bidi_controls_and_separators_are_escaped() {
        let hostile = "a\u{202e}b\u{2066}c\u{2069}d\u{2028}e\u{2029}f\u{202a}";
        assert_eq!(
            escape_control(hostile),
            "a\\u{202e}b\\u{2066}c\\u{2069}d\\u{2028}e\\u{2029}f\\u{202a}"
        );
        // Neighbours of the ranges are ordinary text.
        assert_eq!(
            escape_control("\u{2065}\u{206a}\u{202f}"),
            "\u{2065}\u{206a}\u{202f}"
        );
    }

    #[test]
    fn a_marked_value_stays_on_its_line_and_json_keeps_it_exact() {
        let title = "x\nPASS  buzz.target  all fine\x1b[2J\u{202e}";
        let sentence = format!("FAIL  target {} is wrong\nnext line", outside(title));
        assert_eq!(
            for_terminal(&sentence),
            "FAIL  target x\\nPASS  buzz.target  all fine\\x1b[2J\\u{202e} is wrong\nnext line"
        );
        assert_eq!(
            unmark(&sentence),
            format!("FAIL  target {title} is wrong\nnext line")
        );
    }

    #[test]
    fn unmarked_text_cannot_send_escapes_either() {
        assert_eq!(
            for_terminal("a\x1b[31mb\u{202e}c\nd\te"),
            "a\\x1b[31mb\\u{202e}c\nd\te"
        );
        assert_eq!(for_terminal("C:\\path ok"), "C:\\path ok");
    }

    #[test]
    fn a_value_cannot_close_its_own_span() {
        let sneaky = format!("a{CLOSE}\nPASS");
        let shown = for_terminal(&format!("{}", outside(&sneaky)));
        assert_eq!(shown, "a\\nPASS");
        // Nested marks (a marked sentence marked again) stay escaped.
        let inner = format!("t {}", outside("x\ny"));
        assert_eq!(for_terminal(&format!("{}", outside(&inner))), "t x\\ny");
    }

    #[test]
    fn shell_quoting_keeps_one_word() {
        assert_eq!(shell_quote("plain-1.2:x/y"), "plain-1.2:x/y");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn spans_read_as_a_person_says_them() {
        for (secs, said) in [
            (0, "0 s"),
            (59, "59 s"),
            (60, "1 min"),
            (3599, "59 min"),
            (3600, "1 h"),
            (172_799, "47 h"),
            (172_800, "2 days"),
        ] {
            assert_eq!(span(secs), said);
        }
    }
}
