//! Every question a person at a terminal is asked, for what flags, env vars and the config
//! file left out: the values `spec` found missing (each answer checked by the same validator
//! as its flag, and given back as text to fill the raw values), which halves to run, and,
//! once AWS can be read, the region, which stream to use, and how big it must be. Each
//! question says why it is asked; Enter takes the default.

use dialoguer::{Input, Select};
use secrecy::SecretString;

use super::prompt::{confirm_yes, prompt_error, prompt_password, prompt_valid};
use crate::error::Result;
use crate::names::{
    AccountId, BuzzUser, DomainId, Region, RoleArn, ShardCount, StreamName, DEFAULT_STREAM,
};
use crate::sizing::{self, Capacity, Load, Recommendation};
use crate::state::Halves;

/// Regions offered when the AWS profile names none (the commercial partition's).
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-south-1",
    "sa-east-1",
];

/// Ask until the answer passes `parse`; the answer as typed (trimmed).
fn ask_text<T>(
    question: &str,
    default: Option<&str>,
    parse: impl Fn(&str) -> Result<T>,
) -> Result<String> {
    prompt_valid(question, default, |s| parse(s).map(|_| s.to_owned()))
}

/// Agilix's AWS account, which the role trusts.
pub fn ask_agilix_account() -> Result<String> {
    ask_text(
        "Agilix's AWS account number (12 digits, from Agilix support or your sales representative)",
        None,
        |s| AccountId::parse("--agilix-account", s),
    )
}

/// Where each value is found, said once before its question (the words a newcomer lacks).
pub const WHERE_DOMAIN: &str = "The domain is the district or school in Buzz whose events you want: Buzz's Admin > Domains shows its numeric id beside its name, and its userspace is the first part of its address (district in district.agilixbuzz.com).";
pub const WHERE_LOGIN: &str = "The login is an administrator's userspace/username (e.g. district/admin) whose role in that domain has the ControlDomain right, the right to change the domain's settings.";
pub const WHERE_EXTERNAL_ID: &str = "Agilix may issue an external id with its account number: a shared secret the role then requires, so only Buzz's requests for your domain can use it.";

/// The Buzz domain our target goes into.
pub fn ask_domain() -> Result<String> {
    eprintln!("{WHERE_DOMAIN}");
    ask_text("Buzz domain (numeric id, or //userspace)", None, |s| {
        DomainId::parse("--domain", s)
    })
}

/// The Buzz login's name.
pub fn ask_buzz_user() -> Result<String> {
    eprintln!("{WHERE_LOGIN}");
    ask_text(
        "Buzz login (userspace/username of an administrator with the ControlDomain right)",
        None,
        |s| BuzzUser::parse("--buzz-user", s),
    )
}

/// Ask for a value that may be left out: Enter answers `None`; anything else must pass `parse`.
fn ask_optional<T>(question: &str, parse: impl Fn(&str) -> Result<T>) -> Result<Option<String>> {
    // A person answering: the run's deadline does not run meanwhile.
    let _clock = crate::deadline::pause();
    let answer: String = Input::new()
        .with_prompt(question)
        .allow_empty(true)
        .validate_with(|s: &String| -> std::result::Result<(), String> {
            if s.trim().is_empty() {
                return Ok(());
            }
            parse(s.trim()).map(drop).map_err(|e| e.to_string())
        })
        .interact_text()
        .map_err(prompt_error)?;
    Ok(Some(answer.trim().to_owned()).filter(|a| !a.is_empty()))
}

/// The external id the role's trust requires (`check` warns when there is none).
pub fn ask_external_id() -> Result<Option<String>> {
    eprintln!("{WHERE_EXTERNAL_ID}");
    ask_optional(
        "External id: Agilix issues one? paste it, or Enter for none",
        |s| crate::names::ExternalId::parse("--external-id", s),
    )
}

/// Where the alarm on refused writes mails (`check` warns when no alarm is set).
pub fn ask_alarm_email() -> Result<Option<String>> {
    eprintln!(
        "An alarm mails you when the stream refuses Buzz's events (those are lost); about $0.10 a month."
    );
    ask_optional("Alarm email (Enter for none)", |s| {
        crate::names::Email::parse("--alarm-email", s)
    })
}

/// How long the stream keeps events (`check` compares what it keeps with this).
pub fn ask_retention() -> Result<Option<String>> {
    eprintln!(
        "The stream keeps each event 24 h at no extra cost; longer (up to 8760 h) gives a reader more time to catch up, billed per GB kept."
    );
    ask_optional("Retention in hours (Enter for 24)", |s| {
        crate::names::RetentionHours::parse("--retention-hours", s)
    })
}

/// Says which region the AWS profile chose, so a person can stop before anything is made
/// in the wrong one.
pub fn confirm_profile_region(region: &str) {
    eprintln!(
        "Region {region}, from your AWS settings (the profile or AWS_REGION); pass --region to use another."
    );
}

/// The Buzz login's password, hidden.
pub fn ask_password(user: &str) -> Result<SecretString> {
    prompt_password(&format!("Buzz password for {user}"))
}

/// `--buzz-only`: the role the AWS half made.
pub fn ask_role_arn() -> Result<String> {
    ask_text(
        "The role's ARN (from `setup --aws-only`, e.g. arn:aws:iam::123456789012:role/BuzzKinesisWriter)",
        None,
        |s| RoleArn::parse("--role-arn", s),
    )
}

/// `--buzz-only`: the stream the AWS half made.
pub fn ask_made_stream() -> Result<String> {
    ask_text(
        "The stream's name (from the AWS half)",
        Some(DEFAULT_STREAM),
        |s| StreamName::parse("--stream", s),
    )
}

/// `--buzz-only`: the stream's region (no AWS profile is read to find it).
pub fn ask_made_region() -> Result<String> {
    ask_text(
        "The stream's AWS region (from the AWS half, e.g. us-east-1)",
        None,
        |s| Region::parse("--region", s),
    )
}

/// Printed once before the first question.
pub fn intro() {
    eprintln!(
        "buzz-kinesis sets up Buzz -> Kinesis: a stream, a role Agilix's AWS account may assume, and the\n\
         Buzz registration. It asks only for what flags, env vars and --config left out; Enter takes the\n\
         default. Nothing changes before you confirm the plan.\n"
    );
}

/// Which half a person can do here, when it is not clear that they hold both logins (no AWS
/// credentials were found, or no Buzz login was given). `aws_ok`: AWS credentials were found.
pub fn choose_half(aws_ok: bool) -> Result<Halves> {
    // A person answering: the run's deadline does not run meanwhile.
    let _clock = crate::deadline::pause();
    if !aws_ok {
        eprintln!("No AWS credentials were found here (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, ...).");
    }
    let items = [
        "both: AWS credentials and a Buzz administrator login (ControlDomain)",
        "only AWS: make the stream and role, and print the Buzz half for a colleague",
        "only Buzz: register the stream and role a colleague made in AWS",
    ];
    let i = Select::new()
        .with_prompt("Which logins do you have?")
        .items(items)
        .default(if aws_ok { 0 } else { 2 })
        .interact()
        .map_err(prompt_error)?;
    Ok([Halves::Both, Halves::AwsOnly, Halves::BuzzOnly][i])
}

/// Set once [`choose_region`] asked: the region is then the person's answer, not the profile's.
static REGION_ASKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether this run asked for the region (else the AWS profile named it).
pub fn region_was_asked() -> bool {
    REGION_ASKED.load(std::sync::atomic::Ordering::Relaxed)
}

/// The stream's region, when the AWS profile names none.
pub fn choose_region() -> Result<Region> {
    REGION_ASKED.store(true, std::sync::atomic::Ordering::Relaxed);
    // A person answering: the run's deadline does not run meanwhile.
    let _clock = crate::deadline::pause();
    eprintln!(
        "Your AWS profile names no region; Buzz writes to the stream in the region you pick."
    );
    let i = Select::new()
        .with_prompt("AWS region of the stream")
        .items(REGIONS)
        .default(0)
        .interact()
        .map_err(prompt_error)?;
    Region::parse("--region", REGIONS[i])
}

/// Reuse an existing stream or create `default_name`. Returns the stream name.
pub fn choose_stream(existing: &[String], default_name: &str) -> Result<String> {
    // A person answering: the run's deadline does not run meanwhile.
    let _clock = crate::deadline::pause();
    if existing.is_empty() {
        return Ok(default_name.to_owned());
    }
    let mut items = vec![format!("create a new stream '{default_name}'")];
    items.extend(
        existing
            .iter()
            .map(|s| format!("use the existing stream '{s}' (kept as it is, never deleted)")),
    );
    let i = Select::new()
        .with_prompt("Which Kinesis stream should Buzz write to?")
        .items(&items)
        .default(0)
        .interact()
        .map_err(prompt_error)?;
    Ok(if i == 0 {
        default_name.to_owned()
    } else {
        existing[i - 1].clone()
    })
}

/// The archive, for a stream this run creates: a bucket name, or `None` (Enter) for none. The
/// cost is said first; the name is judged by S3's rules as it is typed.
pub fn ask_archive_bucket() -> Result<Option<String>> {
    // A person answering: the run's deadline does not run meanwhile.
    let _clock = crate::deadline::pause();
    eprintln!(
        "A stream keeps events {} h by default and Buzz never sends one again: the archive keeps every\n\
         event in S3 (Firehose, partitioned by type and day, with a Glue table for Athena). About\n\
         $0.05 per GB of events, plus $0.023 per GB-month stored gzipped (us-east-1, 2026).",
        crate::names::RetentionHours::DEFAULT.get()
    );
    let name: String = Input::new()
        .with_prompt("Keep every event in S3 for SQL? Bucket name (Enter for no archive)")
        .allow_empty(true)
        .validate_with(|s: &String| -> std::result::Result<(), String> {
            if s.trim().is_empty() {
                return Ok(());
            }
            crate::names::BucketName::parse("--archive-bucket", s.trim())
                .map(drop)
                .map_err(|e| e.to_string())
        })
        .interact_text()
        .map_err(prompt_error)?;
    Ok(Some(name.trim().to_owned()).filter(|n| !n.is_empty()))
}

/// Size a new stream from the expected load. Returns the capacity and the load (if given).
pub fn choose_capacity() -> Result<(Capacity, Option<Load>)> {
    // A person answering: the run's deadline does not run meanwhile.
    let _clock = crate::deadline::pause();
    eprintln!(
        "Buzz sends events as they happen, with no buffer: events beyond the stream's capacity are lost.\n\
         Each shard takes 1,000 events/s and 1 MB/s; on-demand streams start at 4 MB/s and scale."
    );
    let eps: String = Input::new()
        .with_prompt("Peak Buzz events per second (Enter if unknown)")
        .allow_empty(true)
        .validate_with(|s: &String| -> std::result::Result<(), &str> {
            if s.trim().is_empty()
                || s.trim()
                    .parse::<f64>()
                    .is_ok_and(|v| v > 0.0 && v.is_finite())
            {
                Ok(())
            } else {
                Err("a positive number, e.g. 200")
            }
        })
        .interact_text()
        .map_err(prompt_error)?;
    let load = match eps.trim().parse::<f64>() {
        Ok(events_per_second) => {
            let bytes: f64 = Input::new()
                .with_prompt("Average event size in bytes")
                .default(1000.0)
                .interact_text()
                .map_err(prompt_error)?;
            Some(Load {
                events_per_second,
                avg_event_bytes: bytes.max(1.0),
            })
        }
        Err(_) => None,
    };
    let shards = load.map(|l| l.shards_needed()).unwrap_or(1);
    let advice = match load {
        Some(l) => sizing::advise(l),
        None => sizing::advise_without_estimate(),
    };
    eprintln!("Recommended: {} ({}).", advice.recommendation, advice.why);
    let items = [
        "on-demand (scales by itself; billed per GB)".to_owned(),
        format!("provisioned, {shards} shard(s) (fixed capacity; billed per shard-hour)"),
    ];
    let default = usize::from(matches!(
        advice.recommendation,
        Recommendation::Provisioned { .. }
    ));
    let i = Select::new()
        .with_prompt("Capacity mode")
        .items(&items)
        .default(default)
        .interact()
        .map_err(prompt_error)?;
    let capacity = if i == 0 {
        Capacity::OnDemand
    } else {
        Capacity::Provisioned(ShardCount::parse("--shards", &shards.to_string())?)
    };
    Ok((capacity, load))
}

/// Offer to keep the answers in the config file at `path` for the next run. `existing`: the
/// file is there, and these are the keys the answers add to it and change in it.
pub fn offer_save(path: &str, existing: Option<(&[&str], &[&str])>) -> Result<bool> {
    let what = match existing {
        None => String::new(),
        Some((added, changed)) => {
            let mut parts = Vec::new();
            if !added.is_empty() {
                parts.push(format!("adds {}", added.join(", ")));
            }
            if !changed.is_empty() {
                parts.push(format!("changes {}", changed.join(", ")));
            }
            format!(
                " It exists: this {}, and keeps its other keys and comments.",
                parts.join(" and ")
            )
        }
    };
    confirm_yes(&format!(
        "Save these answers to {path} for the next run?{what} (no secrets are saved)"
    ))
}
