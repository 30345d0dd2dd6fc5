//! `buzz-kinesis teardown`: remove what setup made, in the reverse order. First our target
//! leaves the domain's Buzz configuration (get, remove ours, send the rest back unchanged; with
//! no target left Buzz deletes the configuration), so Buzz stops writing before anything it
//! uses goes away. Then the role's inline policies and the role, only when the role carries
//! `managed-by=buzz-kinesis`. The stream and its records stay unless `--delete-stream` is given
//! and confirmed (its name typed at the prompt, or `--yes`). What to remove is decided by pure
//! code from what was read ([`plan`]), so `--dry-run` shows exactly what a run would do, and a
//! second run finds nothing left to do.

use std::time::Instant;

use serde_json::{Map, Value};

use crate::aws::Aws;
use crate::buzz::{wire, BuzzClient};
use crate::calls::CallLog;
use crate::cli::{Output, TeardownArgs};
use crate::error::{Error, Result};
use crate::report;
use crate::spec::{self, TeardownSpec};
use crate::state::{arn, Resource, StreamState, StreamStatus, MANAGED_BY};
use crate::ui::{self, Progress};
use crate::ExitCode;

/// The role as teardown needs to see it.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundRole {
    pub arn: String,
    pub managed: bool,
    /// Its inline policies (ours and any other: all go with the role).
    pub inline: Vec<String>,
    /// Managed policies attached to it: buzz-kinesis never attaches any.
    pub attached: Vec<String>,
}

/// What exists now.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The domain's whole saved configuration.
    pub buzz: Map<String, Value>,
    pub role: Option<FoundRole>,
    pub stream: Option<StreamState>,
}

/// What is being torn down, by name.
#[derive(Debug, Clone)]
pub struct Target {
    pub domain: String,
    pub stream: String,
    pub role: String,
    /// The role's ARN: as IAM gives it, or as it would be when the role is gone.
    pub role_arn: String,
    /// The stream's region (with the stream name and the role's account, what a Buzz target
    /// writing to our stream names).
    pub region: String,
    pub delete_stream: bool,
}

impl Target {
    /// Where a Buzz target of ours writes.
    fn destination(&self) -> wire::Destination {
        wire::Destination {
            region: self.region.to_ascii_lowercase(),
            stream: self.stream.clone(),
            account: wire::role_account(&self.role_arn)
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

/// One removal, in the order they apply.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Removal {
    /// Send the configuration back without our target. `cleared`: no target is left, so Buzz
    /// deletes the domain's configuration.
    RemoveBuzzTarget {
        domain: String,
        target: Value,
        /// Further targets writing to the same stream, removed with it.
        #[serde(skip_serializing_if = "is_zero")]
        duplicates: usize,
        others: usize,
        cleared: bool,
        #[serde(skip)]
        config: Map<String, Value>,
    },
    /// Delete one inline policy (a role must have none left to be deleted).
    DeleteRolePolicy { role: String, policy: String },
    /// Delete the role, after its inline policies.
    DeleteRole { role: String, arn: String },
    /// Deletes every record in the stream.
    DeleteStream { stream: String, arn: String },
}

impl Removal {
    /// Which resource the removal changes.
    pub fn resource(&self) -> Resource {
        match self {
            Removal::RemoveBuzzTarget { .. } => Resource::Buzz,
            Removal::DeleteRolePolicy { .. } | Removal::DeleteRole { .. } => Resource::Role,
            Removal::DeleteStream { .. } => Resource::Stream,
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One line for a removal, as the plan and the progress show it.
pub fn describe(r: &Removal) -> String {
    match r {
        Removal::RemoveBuzzTarget {
            domain,
            target,
            duplicates,
            others,
            cleared,
            ..
        } => {
            let title = target
                .get(wire::TITLE)
                .and_then(Value::as_str)
                .unwrap_or("(untitled)");
            let also = match duplicates {
                0 => String::new(),
                n => format!(" and {n} more writing to the same stream"),
            };
            if *cleared {
                format!("remove the kinesis target \"{title}\"{also} from domain {domain}: no target is left, so Buzz deletes the configuration")
            } else {
                format!("remove the kinesis target \"{title}\"{also} from domain {domain}; its {others} other target(s) stay exactly as they are")
            }
        }
        Removal::DeleteRolePolicy { role, policy } => {
            format!("delete inline policy {policy} of role {role}")
        }
        Removal::DeleteRole { role, .. } => format!("delete role {role}"),
        Removal::DeleteStream { stream, .. } => {
            format!("DELETE stream {stream} and every record in it")
        }
    }
}

/// The teardown plan.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Plan {
    pub removals: Vec<Removal>,
    pub notes: Vec<String>,
}

impl Plan {
    /// Nothing to remove.
    pub fn is_empty(&self) -> bool {
        self.removals.is_empty()
    }
    /// Whether the plan deletes the stream (and so needs its name typed, or `--yes`).
    pub fn deletes_stream(&self) -> bool {
        self.removals
            .iter()
            .any(|r| matches!(r, Removal::DeleteStream { .. }))
    }
    /// What happens (or happened) to a resource, for the report.
    pub fn outcome(&self, resource: Resource, found: &Found) -> &'static str {
        let removal = self.removals.iter().find(|r| r.resource() == resource);
        match (resource, removal) {
            (Resource::Buzz, Some(Removal::RemoveBuzzTarget { cleared: true, .. })) => "cleared",
            (Resource::Buzz, Some(_)) => "removed",
            (Resource::Buzz, None) => "absent",
            (_, Some(_)) => "deleted",
            (Resource::Role | Resource::Alarm, None) => "absent",
            (Resource::Stream, None) => match &found.stream {
                None => "absent",
                Some(s) if s.status == StreamStatus::Deleting => "deleting",
                Some(_) => "kept",
            },
        }
    }
}

/// Decide what to remove. Pure. Refuses (and so changes nothing at all) when the role is not
/// one buzz-kinesis made, or carries managed policies someone else attached.
pub fn plan(t: &Target, found: &Found) -> Result<Plan, String> {
    let mut p = Plan::default();
    if let Some(r) = &found.role {
        if !r.managed {
            return Err(format!(
                "the role {} does not carry the tag {}={}: buzz-kinesis did not create it, so teardown changes nothing. \
                 Check --role (the role setup made; default {}), or if this role is the one Buzz uses, remove it yourself \
                 and run teardown again to remove the Buzz target",
                t.role, MANAGED_BY.0, MANAGED_BY.1, spec::DEFAULT_ROLE
            ));
        }
        if !r.attached.is_empty() {
            return Err(format!(
                "the role {} has managed policies attached ({}), which buzz-kinesis never does: something else uses it, so teardown changes nothing. \
                 Detach them (aws iam detach-role-policy --role-name {} --policy-arn ARN) if the role may go, then run teardown again",
                t.role,
                r.attached.join(", "),
                t.role
            ));
        }
    }

    let unknown = wire::unexpected_target_keys(&found.buzz);
    if !unknown.is_empty() {
        return Err(format!(
            "Buzz's getdatastreamconfiguration answer holds data stream targets under {}, a key this tool does not know: sending the configuration back could drop them, so teardown changes nothing. Report this answer shape to the buzz-kinesis maintainers",
            unknown.join(", ")
        ));
    }
    let dest = t.destination();
    match wire::without_target(&found.buzz, &dest) {
        Some(config) => {
            let writing = wire::targets_writing_to(&found.buzz, &dest);
            let target = writing.first().map(|(_, v)| v.clone()).unwrap_or_default();
            let others = wire::count_targets(&config);
            p.removals.push(Removal::RemoveBuzzTarget {
                domain: t.domain.clone(),
                target,
                duplicates: writing.len().saturating_sub(1),
                others,
                cleared: others == 0,
                config,
            });
        }
        None => {
            let same_stream = wire::as_list(found.buzz.get(wire::KINESIS))
                .iter()
                .filter(|k| wire::as_text(k.get(wire::STREAM)) == t.stream)
                .count();
            if same_stream > 0 {
                p.notes.push(format!(
                    "domain {} has {same_stream} kinesis target(s) for a stream named {} in another region or AWS account; they are not this setup's and stay",
                    t.domain, t.stream
                ));
            }
        }
    }

    if let Some(r) = &found.role {
        for name in &r.inline {
            p.removals.push(Removal::DeleteRolePolicy {
                role: t.role.clone(),
                policy: name.clone(),
            });
        }
        p.removals.push(Removal::DeleteRole {
            role: t.role.clone(),
            arn: r.arn.clone(),
        });
    }

    match &found.stream {
        Some(s) if s.status == StreamStatus::Deleting => p
            .notes
            .push(format!("stream {} is already being deleted", t.stream)),
        Some(s) if t.delete_stream => {
            if !s.is_managed() {
                p.notes.push(format!(
                    "stream {} was not created by buzz-kinesis (setup reused it); it is deleted because --delete-stream was given",
                    t.stream
                ));
            }
            p.removals.push(Removal::DeleteStream {
                stream: t.stream.clone(),
                arn: s.arn.clone(),
            });
        }
        Some(_) => p.notes.push(format!(
            "stream {} stays, with its records (pass --delete-stream to delete it)",
            t.stream
        )),
        None => {}
    }
    Ok(p)
}

/// Everything read before planning, and the clients to apply the plan with.
pub struct Observed {
    pub aws: Aws,
    pub buzz: BuzzClient,
    pub target: Target,
    pub found: Found,
    pub account: String,
}

async fn observe(
    spec: TeardownSpec,
    delete_stream: bool,
    calls: &CallLog,
    progress: &Progress,
) -> Result<Observed> {
    let domain = spec.buzz.domain.clone();
    let connected = super::connect(
        spec.buzz,
        spec.profile.as_deref(),
        spec.region.as_ref(),
        calls,
        false,
    )
    .await?;
    let super::Current {
        identity,
        config,
        stream,
        role,
    } = super::read_current(
        &connected,
        &domain,
        spec.stream.as_str(),
        spec.role.as_str(),
        progress,
    )
    .await?;
    let super::Connected { aws, buzz, .. } = connected;
    let role = match role {
        Some(r) => {
            let (inline, attached) = tokio::try_join!(
                aws.inline_policy_names(spec.role.as_str()),
                aws.attached_policy_arns(spec.role.as_str()),
            )?;
            Some(FoundRole {
                managed: r.is_managed(),
                arn: r.arn,
                inline,
                attached,
            })
        }
        None => None,
    };
    // With the role gone (a second run), our target is still found by the ARN it had.
    let role_arn = role
        .as_ref()
        .map(|r| r.arn.clone())
        .unwrap_or_else(|| arn::role(aws.region.partition(), &identity.account, &spec.role));
    Ok(Observed {
        target: Target {
            domain: domain.to_string(),
            stream: spec.stream.to_string(),
            role: spec.role.to_string(),
            role_arn,
            region: aws.region.to_string(),
            delete_stream,
        },
        found: Found {
            buzz: config,
            role,
            stream,
        },
        account: identity.account.to_string(),
        aws,
        buzz,
    })
}

/// The `teardown` command.
pub async fn run(args: &TeardownArgs, output: Output, quiet: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let interactive = spec::interactive(args.yes);
    let spec = TeardownSpec::from_args(&args.target, interactive)?;
    let domain = spec.buzz.domain.clone();
    let progress = Progress::new(output == Output::Human && !quiet);
    let calls = CallLog::new();
    let o = observe(spec, args.delete_stream, &calls, &progress).await?;
    let plan = plan(&o.target, &o.found).map_err(Error::Refused)?;

    if args.dry_run {
        report::print_teardown_plan(&o, &plan, output, &calls, true);
        return Ok(if plan.is_empty() {
            ExitCode::Ok
        } else {
            ExitCode::Changes
        });
    }
    if !plan.is_empty() {
        confirm(&o, &plan, args, interactive)?;
    }
    for n in &plan.notes {
        progress.step("note", n);
    }
    for r in &plan.removals {
        progress.step(r.resource().as_str(), &describe(r));
        match r {
            Removal::RemoveBuzzTarget { config, .. } => {
                o.buzz.set_config(&domain, config, false).await.map_err(|e| {
                    e.with_hint(
                        "Buzz tests every remaining kinesis target before it saves: fix the one it names (or remove it), then run teardown again. Nothing else was changed",
                    )
                })?
            }
            Removal::DeleteRolePolicy { role, policy } => {
                o.aws.delete_role_policy(role, policy).await?
            }
            Removal::DeleteRole { role, .. } => o.aws.delete_role(role).await?,
            Removal::DeleteStream { stream, .. } => {
                o.aws.delete_stream(stream).await?;
            }
        }
    }
    report::print_teardown_result(&o, &plan, output, &calls, started.elapsed());
    Ok(ExitCode::Ok)
}

/// Stop unless the removals are confirmed: deleting the stream needs its name typed (or
/// `--yes`); anything else needs a yes at a terminal, or `--yes` without one.
fn confirm(o: &Observed, plan: &Plan, args: &TeardownArgs, interactive: bool) -> Result<()> {
    if args.yes {
        return Ok(());
    }
    if !interactive {
        return Err(Error::Refused(if plan.deletes_stream() {
            format!(
                "deleting the stream {} deletes every record in it: run teardown at a terminal and type the stream's name, or pass --yes together with --delete-stream. Nothing was changed",
                o.target.stream
            )
        } else {
            "teardown removes the Buzz target and the role: pass --yes to run it without a terminal (--dry-run shows what it would remove). Nothing was changed".to_owned()
        }));
    }
    report::print_teardown_plan(o, plan, Output::Human, &o.aws.calls, false);
    if plan.deletes_stream() {
        let typed = ui::prompt_valid(
            &format!(
                "Type the stream's name ({}) to delete it and every record in it",
                o.target.stream
            ),
            None,
            |s| Ok(s.to_owned()),
        )?;
        if typed != o.target.stream {
            return Err(Error::Refused(format!(
                "'{typed}' is not the stream's name ({}): nothing was changed",
                o.target.stream
            )));
        }
        return Ok(());
    }
    if ui::confirm("Remove these?")? {
        Ok(())
    } else {
        Err(Error::Refused("nothing was changed".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::RetentionHours;
    use serde_json::json;
    use std::collections::BTreeMap;

    const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/BuzzKinesisWriter";

    fn target(delete_stream: bool) -> Target {
        Target {
            domain: "424242".into(),
            stream: "buzz-events".into(),
            role: "BuzzKinesisWriter".into(),
            role_arn: ROLE_ARN.into(),
            region: "us-east-1".into(),
            delete_stream,
        }
    }

    fn ours() -> Value {
        json!({"title": "Kinesis: buzz-events", "enabled": true, "targetKinesisStream": "buzz-events",
               "roleArn": ROLE_ARN, "targetRegion": "us-east-1"})
    }

    fn role(managed: bool) -> FoundRole {
        FoundRole {
            arn: ROLE_ARN.into(),
            managed,
            inline: vec!["buzz-kinesis-write".into()],
            attached: vec![],
        }
    }

    fn stream(managed: bool) -> StreamState {
        StreamState {
            arn: "arn:aws:kinesis:us-east-1:123456789012:stream/buzz-events".into(),
            status: StreamStatus::Active,
            capacity: None,
            open_shards: 1,
            retention: RetentionHours::DEFAULT,
            kms_key: None,
            tags: if managed {
                BTreeMap::from([("managed-by".into(), "buzz-kinesis".into())])
            } else {
                BTreeMap::new()
            },
        }
    }

    fn config(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn everything_ours_goes_but_the_stream_and_other_targets_stay() {
        let hook = json!({"title": "LMS", "endpoints": "https://x"});
        let found = Found {
            buzz: config(json!({"https": [hook], "kinesis": [ours()], "futureKey": {"a": 1}})),
            role: Some(role(true)),
            stream: Some(stream(true)),
        };
        let p = plan(&target(false), &found).unwrap();
        let kinds: Vec<Resource> = p.removals.iter().map(Removal::resource).collect();
        assert_eq!(kinds, [Resource::Buzz, Resource::Role, Resource::Role]);
        let Removal::RemoveBuzzTarget {
            config,
            cleared,
            others,
            ..
        } = &p.removals[0]
        else {
            panic!("{p:?}")
        };
        assert_eq!(
            Value::Object(config.clone()),
            json!({"https": [{"title": "LMS", "endpoints": "https://x"}], "futureKey": {"a": 1}})
        );
        assert!(!cleared);
        assert_eq!(*others, 1);
        assert_eq!(p.outcome(Resource::Stream, &found), "kept");
        assert!(p.notes.iter().any(|n| n.contains("--delete-stream")));
        assert!(!p.deletes_stream());
    }

    #[test]
    fn our_only_target_clears_the_configuration_but_keeps_unknown_keys() {
        let found = Found {
            buzz: config(json!({"kinesis": [ours()], "futureKey": 1})),
            ..Found::default()
        };
        let p = plan(&target(false), &found).unwrap();
        let Removal::RemoveBuzzTarget {
            config, cleared, ..
        } = &p.removals[0]
        else {
            panic!("{p:?}")
        };
        assert!(cleared);
        assert_eq!(Value::Object(config.clone()), json!({"futureKey": 1}));
        assert_eq!(p.outcome(Resource::Buzz, &found), "cleared");
    }

    #[test]
    fn the_stream_goes_only_with_delete_stream() {
        let found = Found {
            stream: Some(stream(false)),
            ..Found::default()
        };
        let p = plan(&target(true), &found).unwrap();
        assert!(p.deletes_stream());
        assert!(p
            .notes
            .iter()
            .any(|n| n.contains("not created by buzz-kinesis")));
        let mut deleting = stream(true);
        deleting.status = StreamStatus::Deleting;
        let found = Found {
            stream: Some(deleting),
            ..Found::default()
        };
        assert!(plan(&target(true), &found).unwrap().is_empty());
    }

    #[test]
    fn a_role_we_did_not_make_or_that_others_use_is_refused() {
        let found = Found {
            buzz: config(json!({"kinesis": [ours()]})),
            role: Some(role(false)),
            ..Found::default()
        };
        let e = plan(&target(false), &found).unwrap_err();
        assert!(
            e.contains("managed-by=buzz-kinesis") && e.contains("--role"),
            "{e}"
        );
        let mut attached = role(true);
        attached.attached = vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()];
        let found = Found {
            role: Some(attached),
            ..Found::default()
        };
        let e = plan(&target(false), &found).unwrap_err();
        assert!(e.contains("ReadOnlyAccess"), "{e}");
    }

    #[test]
    fn nothing_left_means_an_empty_plan() {
        let other = json!({"title": "theirs", "targetKinesisStream": "buzz-events", "roleArn": "arn:aws:iam::1:role/Other"});
        let found = Found {
            buzz: config(json!({"kinesis": [other]})),
            ..Found::default()
        };
        let p = plan(&target(false), &found).unwrap();
        assert!(p.is_empty());
        assert!(p.notes[0].contains("another region or AWS account"), "{:?}", p.notes);
        assert_eq!(p.outcome(Resource::Role, &found), "absent");
        assert_eq!(p.outcome(Resource::Buzz, &found), "absent");
    }
}
