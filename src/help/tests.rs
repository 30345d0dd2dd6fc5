use super::*;

/// The help `flag` (`-h` or `--help`) of `sub`, as a user sees it.
fn help(sub: &str, flag: &str) -> String {
    help_as_shown(sub, flag)
}

/// The help with every run of whitespace one space (clap wraps lines where it likes).
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn help_as_shown(sub: &str, flag: &str) -> String {
    let mut cmd = command();
    let sc = cmd.find_subcommand_mut(sub).unwrap();
    if flag == "-h" {
        sc.render_help().to_string()
    } else {
        sc.render_long_help().to_string()
    }
}

/// Every command's flags, walked through clap's tree: (command, long name, env var).
fn every_flag() -> Vec<(String, String, Option<String>)> {
    let mut cmd = command();
    cmd.build();
    let mut all = Vec::new();
    let top = cmd.clone();
    for c in std::iter::once(&top).chain(cmd.get_subcommands()) {
        for a in c.get_arguments() {
            if let Some(long) = a.get_long() {
                all.push((
                    c.get_name().to_owned(),
                    long.to_owned(),
                    a.get_env().map(|e| e.to_string_lossy().into_owned()),
                ));
            }
        }
    }
    all
}

#[test]
fn every_flag_of_every_command_has_its_buzz_kinesis_env_var() {
    let all = every_flag();
    assert!(all.len() > 100, "the walk found the flags: {}", all.len());
    for (cmd, long, env) in all {
        if let Some((_, why)) = NO_ENV.iter().find(|(f, _)| *f == long) {
            assert_eq!(env, None, "{cmd} --{long} has no env var: {why}");
            continue;
        }
        let want = format!("{ENV_PREFIX}{}", long.to_uppercase().replace('-', "_"));
        assert_eq!(env.as_deref(), Some(want.as_str()), "{cmd} --{long}");
    }
}

#[test]
fn each_older_env_name_is_read_when_the_new_one_is_not_set() {
    let parse = |set: &[(&str, &str)]| {
        let cmd = command_reading_aliases(|k| set.iter().any(|(n, _)| *n == k));
        let env = cmd
            .find_subcommand("setup")
            .unwrap()
            .get_arguments()
            .find(|a| a.get_id() == "domain")
            .and_then(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()));
        env
    };
    assert_eq!(parse(&[]).as_deref(), Some("BUZZ_KINESIS_DOMAIN"));
    assert_eq!(
        parse(&[("BUZZ_DOMAIN_ID", "1")]).as_deref(),
        Some("BUZZ_DOMAIN_ID")
    );
    assert_eq!(
        parse(&[("BUZZ_DOMAIN_ID", "1"), ("BUZZ_KINESIS_DOMAIN", "2")]).as_deref(),
        Some("BUZZ_KINESIS_DOMAIN"),
        "the new name wins"
    );
    // Each alias names a flag's env var, and each older name is a different variable.
    let envs: Vec<String> = every_flag().into_iter().filter_map(|f| f.2).collect();
    for (new, old) in ENV_ALIASES {
        assert!(envs.iter().any(|e| e == new), "{new} is no flag's env var");
        assert_ne!(new, old);
    }
}

#[test]
fn setup_short_help_fits_one_screen_and_starts_with_what_a_first_run_needs() {
    let short = help("setup", "-h");
    let lines: Vec<&str> = short.lines().collect();
    assert!(lines.len() <= 45, "{} lines:\n{short}", lines.len());
    let first30 = lines[..30.min(lines.len())].join("\n");
    for f in ["--agilix-account", "--domain", "--stream"] {
        assert!(
            first30.contains(f),
            "{f} not in the first 30 lines:\n{short}"
        );
    }
    for f in [
        "--buzz-user",
        "--region",
        "--profile",
        "--config",
        "--dry-run",
        "--yes",
        "--aws-only",
        "--buzz-only",
        "buzz-kinesis setup --help",
        "man buzz-kinesis-setup",
    ] {
        assert!(short.contains(f), "{f} missing from setup -h:\n{short}");
    }
    assert_eq!(
        short.matches("\n  buzz-kinesis setup").count(),
        2,
        "two examples"
    );
    for f in ["--kms-key", "--verbose", "--archive-bucket", "[env:"] {
        assert!(!short.contains(f), "{f} is for --help:\n{short}");
    }
}

#[test]
fn every_commands_short_help_fits_one_screen() {
    for sub in [
        "setup",
        "check",
        "teardown",
        "tail",
        "export",
        "buzz-identity",
    ] {
        let short = help(sub, "-h");
        assert!(short.lines().count() <= 45, "{sub} -h:\n{short}");
        assert!(
            short.contains(&format!("buzz-kinesis {sub} --help")),
            "{sub}"
        );
        assert!(
            short.len() < help(sub, "--help").len() / 2,
            "{sub}: -h is the short one"
        );
    }
}

#[test]
fn long_help_lists_every_flag_with_its_env_var_and_global_options_last() {
    let mut cmd = command();
    cmd.build();
    for sc in cmd.get_subcommands() {
        let name = sc.get_name();
        let long = help(name, "--help");
        for a in sc.get_arguments().filter(|a| !a.is_hide_set()) {
            let Some(flag) = a.get_long() else { continue };
            assert!(
                long.contains(&format!("--{flag}")),
                "{name} --help lacks --{flag}"
            );
            if let Some(env) = a.get_env() {
                let env = env.to_string_lossy();
                assert!(long.contains(&*env), "{name} --help lacks {env}");
            }
        }
        if !matches!(name, "completions" | "man" | "help") {
            let global = long.find("Global options:").expect(name);
            let last_heading = long[..long.find("Examples:").unwrap()]
                .lines()
                .rfind(|l| l.ends_with(':') && !l.starts_with(' '))
                .unwrap();
            assert_eq!(last_heading, "Global options:", "{name}:\n{long}");
            assert!(long[global..].contains("--verbose"), "{name}");
        }
    }
    let setup = help("setup", "--help");
    assert!(
        setup.contains("[env: BUZZ_KINESIS_DOMAIN, or BUZZ_DOMAIN_ID]"),
        "{setup}"
    );
}

#[test]
fn help_texts_are_true_for_each_command() {
    let domain = flat(&help("setup", "--help"));
    assert!(
        !domain.contains("refuses more than one"),
        "setup takes several domains"
    );
    for sub in ["check", "teardown"] {
        let long = flat(&help(sub, "--help"));
        assert!(!long.contains("Setup ends by printing"), "{sub}:\n{long}");
        assert!(long.contains("Only the AWS half"), "{sub}");
    }
    assert!(flat(&help("setup", "--help")).contains("Setup ends by printing"));
    // An unattended example (--yes: no prompt) gives the password it needs in the env.
    let top = command().render_long_help().to_string();
    let lines: Vec<&str> = top.lines().collect();
    for (i, line) in lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("--yes"))
    {
        let with_prev = format!("{}{line}", if i > 0 { lines[i - 1] } else { "" });
        assert!(
            with_prev.contains("BUZZ_PASSWORD="),
            "no password for: {line}"
        );
    }
}

#[test]
fn man_pages_have_environment_files_and_exit_status() {
    let pages = man_pages().unwrap();
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "buzz-kinesis.1",
        "buzz-kinesis-setup.1",
        "buzz-kinesis-check.1",
        "buzz-kinesis-teardown.1",
        "buzz-kinesis-tail.1",
        "buzz-kinesis-export.1",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    for (name, page) in &pages {
        let page = String::from_utf8_lossy(page);
        for section in [".SH ENVIRONMENT", ".SH FILES", ".SH \"EXIT STATUS\""] {
            assert!(page.contains(section), "{name} lacks {section}");
        }
        if name == "buzz-kinesis-setup.1" {
            assert!(page.contains("BUZZ_KINESIS_AGILIX_ACCOUNT"), "{page}");
            assert!(page.contains("BUZZ_AGILIX_ACCOUNT_ID"), "the older name");
            assert!(page.contains("BUZZ_PASSWORD"));
            assert!(page.contains("2 changes pending"));
            assert!(page.contains("config.toml"));
        }
        if name == "buzz-kinesis-check.1" {
            assert!(page.contains("2 a check failed"), "{page}");
        }
    }
}

#[test]
fn roff_escapes_dashes_backslashes_and_leading_dots() {
    assert_eq!(escape("--yes"), "\\-\\-yes");
    assert_eq!(escape("a\\b"), "a\\eb");
    assert_eq!(escape(".config"), "\\&.config");
    assert_eq!(escape("'quoted"), "\\&'quoted");
    assert_eq!(escape("plain"), "plain");
}

/// docs/configuration.md's table of every flag, from clap's tree and the config file's keys.
fn flag_table() -> String {
    let keys = crate::spec::config::tests::serde_fields::<crate::spec::config::ConfigFile>();
    let mut cmd = command();
    cmd.build();
    // (flag, env, commands, what), in the order `setup --help` shows them first.
    let mut rows: Vec<(String, String, Vec<String>, String)> = Vec::new();
    let order = [
        "setup",
        "check",
        "teardown",
        "tail",
        "export",
        "buzz-identity",
        "man",
    ];
    for sc in order.iter().filter_map(|n| cmd.find_subcommand(n)) {
        for a in sc.get_arguments().filter(|a| !a.is_hide_set()) {
            let Some(long) = a.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            let name = sc.get_name().to_owned();
            if let Some(row) = rows.iter_mut().find(|r| r.0 == long) {
                if !row.2.contains(&name) {
                    row.2.push(name);
                }
                continue;
            }
            let env = a.get_env().map(|e| e.to_string_lossy().into_owned());
            let env = match env {
                Some(e) => match ENV_ALIASES.iter().find(|(new, _)| *new == e) {
                    Some((_, old)) => format!("`{e}` (or `{old}`)"),
                    None => format!("`{e}`"),
                },
                None => NO_ENV
                    .iter()
                    .find(|(f, _)| *f == long)
                    .map_or(String::new(), |(_, why)| format!("none: {why}")),
            };
            let what = a
                .get_help()
                .map(|h| h.to_string())
                .unwrap_or_default()
                .replace('|', "\\|");
            rows.push((long.to_owned(), env, vec![name], what));
        }
    }
    let mut out =
        String::from("| flag | env var | config key | commands | what |\n|---|---|---|---|---|\n");
    for (long, env, cmds, what) in rows {
        let key =
            if keys.contains(&long) || (long == "domain" && keys.iter().any(|k| k == "domains")) {
                format!("`{long}`")
            } else {
                "—".to_owned()
            };
        let cmds = if cmds.len() >= 6 {
            "all".to_owned()
        } else {
            cmds.join(", ")
        };
        out.push_str(&format!(
            "| `--{long}` | {env} | {key} | {cmds} | {what} |\n"
        ));
    }
    out
}

/// The table is written by this test (`UPDATE_DOCS=1`) and checked by it otherwise.
#[test]
fn the_configuration_doc_lists_every_flag_env_var_and_config_key() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/configuration.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let (start, end) = ("<!-- flags:start -->\n", "<!-- flags:end -->");
    let i = doc.find(start).expect("the flags markers") + start.len();
    let j = doc.find(end).unwrap();
    let want = flag_table();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, format!("{}{want}{}", &doc[..i], &doc[j..])).unwrap();
        return;
    }
    assert_eq!(
        &doc[i..j],
        want,
        "docs/configuration.md's flag table is stale: UPDATE_DOCS=1 cargo test --lib help::"
    );
}

#[test]
fn the_readme_is_a_front_page() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    assert!(lines.len() <= 300, "README: {} lines", lines.len());
    let first40 = lines[..40].join("\n");
    assert!(first40.contains("scripts/demo") && first40.contains("scripts/test"));
    // Counts and timings a change makes stale live in bench/ and CI output.
    for (i, line) in lines.iter().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        for w in words.windows(2) {
            let number = w[0].trim_start_matches('(').replace([',', '.'], "");
            let unit = w[1].trim_end_matches([',', '.', ')', ';']);
            let stale = ["tests", "s", "ms", "seconds", "minutes", "mutants"];
            assert!(
                !(number.chars().all(|c| c.is_ascii_digit())
                    && !number.is_empty()
                    && stale.contains(&unit)),
                "README line {}: {line}",
                i + 1
            );
        }
    }
    for section in [
        "## Before you start",
        "## Install",
        "## Quick start",
        "## Two people",
    ] {
        assert!(readme.contains(section), "{section}");
    }
}

/// Moved from cli.rs: the whole help (help.rs builds it) has examples and exit codes.
#[test]
fn every_help_has_examples_and_exit_codes_and_names_secret_env_vars_without_values() {
    let mut cli = command();
    let top = cli.render_long_help().to_string();
    assert!(
        top.contains("Exit status") && top.contains("Examples"),
        "{top}"
    );
    for name in ["setup", "check", "tail", "teardown", "export"] {
        let help = command()
            .find_subcommand_mut(name)
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(help.contains("Exit status: 0"), "{name}");
        assert!(help.contains("Examples:\n  buzz-kinesis"), "{name}");
        assert!(!help.contains("Let setup"), "{name}");
    }
    std::env::set_var("BUZZ_OTP", "123456");
    let setup = command()
        .find_subcommand_mut("setup")
        .unwrap()
        .render_long_help()
        .to_string();
    std::env::remove_var("BUZZ_OTP");
    assert!(setup.contains("env: BUZZ_PASSWORD") && setup.contains("BUZZ_TOKEN"));
    assert!(setup.contains("env: BUZZ_OTP") && !setup.contains("123456"));
    assert!(
        !setup.contains("--buzz-otp <CODE>"),
        "the refused flag is not offered"
    );
}
