//! The archive's part of setup (`--archive-bucket`): the bucket, Firehose's role and the Glue
//! table at once, then the delivery stream, which needs all three and an ACTIVE stream. It runs
//! beside the stream and role chains and before Buzz's (see `apply` in setup), so Firehose's
//! wait for its new role to propagate covers the Buzz role's: a fresh setup waits for IAM once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::aws::{Aws, Created};
use crate::commands::read::Ready;
use crate::error::{Error, Result};
use crate::parts::{
    bucket::BucketAction, delivery::DeliveryAction, firehose_role::FirehoseRoleAction,
    glue::GlueAction, log::LogAction, views::ViewAction,
};
use crate::plan::{Action, ArchiveAction, DesiredArchive};
use crate::report::plan::describe;
use crate::ui::Progress;

/// Carry out the archive's actions. `propagation_timeout`: how long Firehose may be refused
/// the role it was just given (IAM propagation).
pub(super) async fn apply(
    o: &Ready,
    planned: &[ArchiveAction],
    progress: &Progress,
    propagation_timeout: Duration,
) -> Result<()> {
    let Some(want) = o.desired.aws.as_ref().and_then(|a| a.archive.as_ref()) else {
        return Ok(());
    };
    let part = |name: &'static str| planned.iter().filter(move |a| a.chain() == name);
    let table = want.table_over(
        o.observed
            .archive
            .as_ref()
            .and_then(|a| a.glue.table.as_ref()),
    );
    let table = &table;
    let chain = |name: &'static str| async move {
        for action in part(name) {
            progress.step("archive", &describe(Action::Archive(action)));
            apply_one(&o.aws, want, table, action).await?;
        }
        Ok::<_, Error>(())
    };
    tokio::try_join!(chain("bucket"), chain("role"), chain("table"), chain("log"))?;
    let role_fresh = part("role").next().is_some()
        || o.observed
            .archive
            .as_ref()
            .and_then(|a| a.role.as_ref())
            .is_none_or(|r| r.age(std::time::SystemTime::now()) < propagation_timeout);
    for action in part("delivery") {
        if let ArchiveAction::Delivery(DeliveryAction::UpdateDeliveryStream {
            version_id,
            destination_id,
            ..
        }) = action
        {
            progress.step("archive", &describe(Action::Archive(action)));
            o.aws
                .update_delivery_stream(&want.model, version_id, destination_id)
                .await?;
            continue;
        }
        // Firehose reads the stream from its first record: it must be ACTIVE first.
        let on_poll =
            |elapsed: Duration| progress.waiting("archive", "waiting for the stream", elapsed);
        o.aws
            .wait_stream_active(&o.desired.stream, &on_poll)
            .await?;
        progress.done_waiting();
        progress.step("archive", &describe(Action::Archive(action)));
        if matches!(
            action,
            ArchiveAction::Delivery(DeliveryAction::ReplaceDeliveryStream { .. })
        ) {
            let name = want.model.delivery_stream();
            o.aws.delete_delivery_stream(&name).await?;
            wait_delivery_gone(&o.aws, &name, progress).await?;
        }
        let wait = if role_fresh {
            propagation_timeout
        } else {
            Duration::ZERO
        };
        create_delivery(&o.aws, want, wait, progress).await?;
    }
    Ok(())
}

/// Firehose deletes a delivery stream in the background; one of the same name can be made only
/// once it is gone (a few minutes at most).
async fn wait_delivery_gone(aws: &Aws, name: &str, progress: &Progress) -> Result<()> {
    let start = Instant::now();
    while aws.describe_delivery_stream(name).await?.is_some() {
        if start.elapsed() > Duration::from_secs(600) {
            return Err(Error::Refused(format!(
                "the Firehose delivery stream {name} is still being deleted after 10 minutes: run setup again once it is gone"
            )));
        }
        progress.waiting(
            "archive",
            "waiting for Firehose to delete the old delivery stream",
            start.elapsed(),
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    progress.done_waiting();
    Ok(())
}

/// CreateDeliveryStream, retried while Firehose cannot assume its new role yet (IAM has not
/// propagated it), for at most `wait`.
async fn create_delivery(
    aws: &Aws,
    want: &DesiredArchive,
    wait: Duration,
    progress: &Progress,
) -> Result<()> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(500);
    let tags = managed();
    loop {
        match aws
            .create_delivery_stream(&want.model, &want.stream_arn, &want.role_arn, &tags)
            .await
        {
            Ok(Created::Made) => return Ok(()),
            Ok(Created::AlreadyExisted) => {
                return Err(appeared(
                    "Firehose delivery stream",
                    &want.model.delivery_stream(),
                ))
            }
            Err(Error::Aws { code, message, .. })
                if crate::aws::firehose::role_not_ready(&code, &message)
                    && start.elapsed() + delay < wait =>
            {
                progress.waiting(
                    "archive",
                    "waiting for IAM to let Firehose use its new role",
                    start.elapsed(),
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 3 / 2).min(Duration::from_secs(3));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Our `managed-by` tag, alone.
fn managed() -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    crate::state::mark_managed(&mut tags);
    tags
}

/// A create met the resource made meanwhile: a re-run reads it and plans anew (it may not be
/// ours, and only the plan may decide to use it).
fn appeared(what: &str, name: &str) -> Error {
    Error::Refused(format!(
        "the {what} {name} appeared while setup ran (made by someone else, or by an earlier attempt): run setup again, which reads it and plans from what is there"
    ))
}

/// One change to the bucket.
async fn apply_bucket(aws: &Aws, want: &DesiredArchive, action: &BucketAction) -> Result<()> {
    match action {
        BucketAction::CreateBucket { bucket } => match aws.create_bucket(bucket).await? {
            Created::Made => Ok(()),
            Created::AlreadyExisted => Err(appeared("bucket", bucket)),
        },
        BucketAction::BlockPublicAccess { bucket } => aws.block_public_access(bucket).await,
        BucketAction::EnforceBucketOwner { bucket } => aws.enforce_bucket_owner(bucket).await,
        BucketAction::PutBucketEncryption { bucket, kms_key } => {
            aws.put_bucket_encryption(bucket, kms_key.as_deref()).await
        }
        BucketAction::EnableVersioning { bucket } => aws.enable_versioning(bucket).await,
        BucketAction::PutLifecycle { bucket, .. } => {
            aws.put_lifecycle(bucket, &want.model.lifecycle()).await
        }
        BucketAction::PutBucketPolicy { bucket, after } => {
            aws.put_bucket_policy(bucket, after).await
        }
        BucketAction::TagBucket { bucket, tags } => aws.put_bucket_tags(bucket, tags).await,
    }
}

/// One change to Firehose's role.
async fn apply_role(aws: &Aws, action: &FirehoseRoleAction) -> Result<()> {
    match action {
        FirehoseRoleAction::CreateRole { role, trust, tags } => match aws
            .create_role_described(
                role,
                trust,
                crate::plan::archive::FIREHOSE_SESSION_SECONDS,
                tags,
                crate::archive::ROLE_DESCRIPTION,
            )
            .await?
        {
            Created::Made => Ok(()),
            Created::AlreadyExisted => Err(appeared("role", role)),
        },
        FirehoseRoleAction::UpdateRoleTrust { role, after, .. } => {
            aws.update_trust(role, after).await
        }
        FirehoseRoleAction::PutRolePolicy { role, after, .. } => {
            aws.put_policy_named(role, crate::archive::POLICY_NAME, after)
                .await
        }
        FirehoseRoleAction::TagRole { role, tags } => aws.tag_role(role, tags).await,
    }
}

/// One change to the archive.
async fn apply_one(
    aws: &Aws,
    want: &DesiredArchive,
    table_state: &crate::parts::glue::TableState,
    action: &ArchiveAction,
) -> Result<()> {
    let check = |c: Created, what: &str, name: &str| match c {
        Created::Made => Ok(()),
        Created::AlreadyExisted => Err(appeared(what, name)),
    };
    match action {
        ArchiveAction::Bucket(b) => apply_bucket(aws, want, b).await,
        ArchiveAction::Role(r) => apply_role(aws, r).await,
        ArchiveAction::Glue(g) => match g {
            GlueAction::CreateDatabase { database, tags } => check(
                aws.create_database(database, tags).await?,
                "Glue database",
                database,
            ),
            GlueAction::CreateTable { database, table } => {
                aws.create_table(database, table, table_state).await
            }
            GlueAction::UpdateTable {
                database, table, ..
            } => aws.update_table(database, table, table_state).await,
        },
        ArchiveAction::View(v) => {
            let (ViewAction::CreateView { database, view }
            | ViewAction::UpdateView { database, view }) = v;
            let update = matches!(v, ViewAction::UpdateView { .. });
            let Some(v) = want.model.views().into_iter().find(|v| v.name == view) else {
                return Ok(());
            };
            aws.put_view(database, &want.account, &v, update).await
        }
        ArchiveAction::Log(l) => match l {
            LogAction::CreateLogGroup { group, tags } => aws.create_log_group(group, tags).await,
            LogAction::CreateLogStream { group, stream } => {
                aws.create_log_stream(group, stream).await
            }
            LogAction::PutLogRetention { group, days } => aws.put_log_retention(group, *days).await,
        },
        // Made in `apply`'s second step, once the stream is ACTIVE.
        ArchiveAction::Delivery(_) => Ok(()),
    }
}
