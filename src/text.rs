//! Text from outside the process (Buzz events, stream records) made safe for a terminal.

use std::fmt::Write;

/// `s` with every control character (C0, DEL, C1) written as a visible escape, so an event
/// whose field holds `ESC ]0;title BEL` or `ESC [2J` cannot retitle the window or clear the
/// screen: `\x1b`, `\x07`, `\u{9b}`. Tabs, newlines and backslashes too, so a line stays one
/// line and an escape in the data cannot pass for one of ours.
pub fn escape_control(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() || c == '\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
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
}
