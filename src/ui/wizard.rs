//! The questions only a person at a terminal is asked, for what flags, env vars and the
//! config file left out: the region, which stream to use, and how big it must be. Each
//! question says why it is asked; Enter takes the default.

use dialoguer::{Input, Select};

use super::prompt::prompt_error;
use crate::error::Result;
use crate::names::{Region, ShardCount};
use crate::sizing::{self, Capacity, Load, Recommendation};
use crate::state::Half;

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
pub fn choose_half(aws_ok: bool) -> Result<Half> {
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
    Ok([Half::Both, Half::Aws, Half::Buzz][i])
}

/// The stream's region, when the AWS profile names none.
pub fn choose_region() -> Result<Region> {
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
