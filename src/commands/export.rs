//! `buzz-kinesis export` (alias `policy`): print the trust policy and the permission policy
//! setup would apply for the same flags, or (`--format`) a CloudFormation or Terraform template
//! of the whole setup. Nothing is changed and Buzz is not contacted. The stream's ARN in the
//! bare permission policy needs the account and region: they come from STS when AWS
//! credentials are there; templates need neither (they refer to the resources they create).

use std::collections::BTreeMap;

use crate::archive::Archive;
use crate::aws::Aws;
use crate::calls::CallLog;
use crate::cli::{ExportArgs, Output, TemplateFormat};
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::iac::Blueprint;
use crate::iam;
use crate::report;
use crate::report::export::{render_policy, render_template, PolicyView};
use crate::spec::{self, ExportSpec};
use crate::state::{arn, mark_managed};

/// Where the stream lives, for its ARN: `None` when AWS could not tell.
struct Location {
    partition: &'static str,
    region: String,
    account: Option<String>,
}

/// The account (from STS) and region; placeholders, with a warning, when AWS cannot say.
async fn locate(spec: &ExportSpec, quiet: bool) -> Location {
    let found = async {
        let aws = Aws::connect(
            spec.aws.profile.as_deref(),
            spec.aws.region.as_ref(),
            CallLog::new(),
            None,
        )
        .await?;
        let identity = aws.caller_identity().await?;
        Ok::<_, crate::Error>((aws.region, identity.account))
    }
    .await;
    match found {
        Ok((region, account)) => Location {
            partition: region.partition(),
            region: region.to_string(),
            account: Some(account.to_string()),
        },
        Err(e) => {
            if !quiet {
                eprintln!(
                    "warning: the stream's ARN has placeholders (ACCOUNT_ID{}), because AWS could not tell them: {e}\n  \
                     fix: log in to AWS (and pass --region) and run policy again, or use --format for a template that needs neither",
                    if spec.aws.region.is_none() { ", REGION" } else { "" }
                );
            }
            Location {
                partition: spec.aws.region.as_ref().map_or("aws", |r| r.partition()),
                region: spec
                    .aws
                    .region
                    .as_ref()
                    .map_or_else(|| "REGION".into(), ToString::to_string),
                account: None,
            }
        }
    }
}

/// The tags setup puts on the stream and the role: the user's, plus `managed-by`.
fn tags(spec: &ExportSpec) -> BTreeMap<String, String> {
    let mut tags: BTreeMap<String, String> = spec
        .stream
        .tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    mark_managed(&mut tags);
    tags
}

/// The `export` command (alias `policy`).
pub(crate) async fn run(args: &ExportArgs, output: Output, quiet: bool) -> Result<ExitCode> {
    let spec = spec::export(
        args,
        spec::interactive(args.input.no_input || args.old_yes.yes),
    )?;
    if !quiet {
        for w in &spec.warnings {
            eprintln!("warning: {w}");
        }
    }
    let trust = iam::trust_policy(
        &spec.trustee.agilix_account,
        spec.trustee.external_id.as_ref(),
    );

    let archive = spec.archive.as_ref().map(|a| {
        Archive::new(
            a.bucket.clone(),
            a.days,
            spec.names.stream.as_str(),
            spec.stream.encryption.customer_key().cloned(),
            &spec.events,
        )
        .with_buffer(a.buffer)
        .since(&crate::archive::today())
    });
    match (args.format, &archive) {
        (None, Some(_)) => {
            return Err(Error::Usage(
                "--archive-bucket goes with --format cloudformation, terraform or archive: the archive is in the exports in this version (setup will create it in the next)".into(),
            ))
        }
        (Some(TemplateFormat::Archive), None) => {
            return Err(Error::Usage(
                "--format archive describes the archive: pass --archive-bucket NAME".into(),
            ))
        }
        _ => {}
    }

    if let Some(format) = args.format {
        let blueprint = Blueprint {
            stream: spec.names.stream.to_string(),
            capacity: spec.stream.capacity,
            retention: spec.stream.retention,
            encryption: spec.stream.encryption.clone(),
            tags: tags(&spec),
            role: spec.names.role.to_string(),
            trust,
            title: spec.title.to_string(),
            events: spec.events.clone(),
            domain: spec.domain.as_ref().map(ToString::to_string),
            alarm: spec.alarm.wanted().then(|| crate::iac::BlueprintAlarm {
                emails: spec
                    .alarm
                    .emails
                    .iter()
                    .map(|e| e.as_str().to_owned())
                    .collect(),
                topic_arn: spec.alarm.topic.as_ref().map(|t| t.as_str().to_owned()),
            }),
            archive,
        };
        report::emit(Output::Json, |w| render_template(w, format, &blueprint))?;
        return Ok(ExitCode::Ok);
    }

    let at = locate(&spec, quiet).await;
    let stream_arn = arn::stream(
        at.partition,
        &at.region,
        at.account.as_deref().unwrap_or("ACCOUNT_ID"),
        &spec.names.stream,
    );
    let key = spec.stream.encryption.customer_key().map(|k| k.as_str());
    // The stream's statements alone: what an add-on Buzz delivers to adds is written from the
    // desired add-ons setup's read derives (`DesiredAddOns::writer_statements`), or in a
    // template from what the template makes (`StackPart::writer_grant`), and this bare
    // document has neither (`--archive-bucket` is refused without `--format`). No add-on grants
    // the writer role anything yet; one that does must be given a bare form here.
    let permission = iam::write_policy(&stream_arn, key);

    let view = PolicyView {
        role: spec.names.role.as_str(),
        trust: &trust,
        permission: &permission,
        stream_arn: &stream_arn,
        account: at.account.as_deref(),
    };
    report::emit(output, |w| render_policy(w, &view, output))?;
    Ok(ExitCode::Ok)
}
