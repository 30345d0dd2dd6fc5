//! When stderr gets colour: `--color always|never`, else (auto) only on a terminal, following
//! the conventions of <https://no-color.org> and <https://bixense.com/clicolors/>:
//! `NO_COLOR` (non-empty) turns it off, `CLICOLOR_FORCE` (non-empty, not 0) forces it on, and
//! `CLICOLOR=0` turns it off. Escape codes in a log file or a CI log are noise.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

/// `--color`: colour on a terminal only (`auto`), or always, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// Whether to colour, given the choice, whether stderr is a terminal, and the environment.
pub fn decide(when: ColorWhen, terminal: bool, env: impl Fn(&str) -> Option<String>) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            let set = |k: &str| env(k).filter(|v| !v.is_empty());
            if set("NO_COLOR").is_some() {
                false
            } else if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else if set("CLICOLOR").is_some_and(|v| v == "0") {
                false
            } else {
                terminal
            }
        }
    }
}

/// The decision for this process.
pub fn for_stderr(when: ColorWhen) -> bool {
    decide(when, std::io::stderr().is_terminal(), |k| {
        std::env::var(k).ok()
    })
}

/// `--color` read from raw arguments, for when clap has not parsed them (or failed to): its
/// own error message must follow the same rule.
pub fn from_raw_args(args: &[OsString]) -> ColorWhen {
    let mut when = ColorWhen::Auto;
    let mut iter = args.iter().filter_map(|a| a.to_str());
    while let Some(a) = iter.next() {
        let value = match a.strip_prefix("--color") {
            Some("") => iter.next(),
            Some(v) => v.strip_prefix('='),
            None => None,
        };
        match value {
            Some("always") => when = ColorWhen::Always,
            Some("never") => when = ColorWhen::Never,
            Some("auto") => when = ColorWhen::Auto,
            _ => {}
        }
    }
    when
}

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Apply the decision to the libraries that style stderr (prompts, spinners) and remember it
/// for our own error lines.
pub fn apply(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
    console::set_colors_enabled(enabled);
    console::set_colors_enabled_stderr(enabled);
}

/// The decision [`apply`] made (off before it ran).
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// `error` in bold red when colouring.
pub fn error_label() -> String {
    if enabled() {
        "\x1b[1;31merror\x1b[0m".to_owned()
    } else {
        "error".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn auto_colours_a_terminal_only_and_follows_the_conventions() {
        let auto = ColorWhen::Auto;
        assert!(decide(auto, true, env(&[])));
        assert!(!decide(auto, false, env(&[])));
        assert!(!decide(auto, true, env(&[("NO_COLOR", "1")])));
        assert!(decide(auto, true, env(&[("NO_COLOR", "")])));
        assert!(!decide(auto, true, env(&[("CLICOLOR", "0")])));
        assert!(decide(auto, false, env(&[("CLICOLOR_FORCE", "1")])));
        assert!(!decide(auto, false, env(&[("CLICOLOR_FORCE", "0")])));
        assert!(!decide(
            auto,
            false,
            env(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])
        ));
        assert!(decide(ColorWhen::Always, false, env(&[("NO_COLOR", "1")])));
        assert!(!decide(
            ColorWhen::Never,
            true,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
    }

    #[test]
    fn the_raw_color_flag_is_found_in_both_spellings() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            from_raw_args(&args(&["x", "--color", "never"])),
            ColorWhen::Never
        );
        assert_eq!(
            from_raw_args(&args(&["x", "--color=always"])),
            ColorWhen::Always
        );
        assert_eq!(from_raw_args(&args(&["x", "--colour"])), ColorWhen::Auto);
    }
}
