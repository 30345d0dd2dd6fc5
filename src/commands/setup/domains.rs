//! Our target in each domain of the list, one pipeline per domain: read (its configuration and
//! its tree), plan, register, outcome. The list is scheduled, not split: the first domain waits
//! out IAM on its own test, then the others go at most 8 at a time.

use std::time::Duration;

use serde_json::{Map, Value};

use super::register::register;
use super::{refuse_unknown_target_keys, refused};
use crate::buzz::BuzzClient;
use crate::commands::read::{self, DomainTree};
use crate::error::{Error, Result};
use crate::names::DomainId;
use crate::parts::Change as _;
use crate::plan::{self, BuzzAction, DesiredBuzz, DomainOutcome, Outcomes, Plan};
use crate::spec::Domains;
use crate::ui::Progress;

/// One domain, read: its configuration and its tree.
pub(super) struct DomainRead {
    pub domain: DomainId,
    pub config: Map<String, Value>,
    pub tree: DomainTree,
}

/// Read each domain in turn (each tree read keeps at most 8 requests in flight), all before
/// any change. `first`: the first domain's configuration, when the read step brought it with
/// the AWS reads. A target under a key this tool does not know, or two domains where one is
/// the other's ancestor, refuse the run here.
pub(super) async fn read_domains(
    client: &BuzzClient,
    domains: &Domains,
    mut first: Option<Map<String, Value>>,
) -> Result<Vec<DomainRead>> {
    let mut reads = Vec::with_capacity(domains.len());
    for domain in domains.iter() {
        let config = match first.take() {
            Some(config) => config,
            None => client.get_config(domain).await?,
        };
        refuse_unknown_target_keys(&config)?;
        let tree = read::read_tree(client, domain, true).await?;
        reads.push(DomainRead {
            domain: domain.clone(),
            config,
            tree,
        });
    }
    refuse_nested(&reads)?;
    Ok(reads)
}

/// Buzz sends every event of a domain to its ancestors' targets too: a target on both would
/// deliver each event of the lower domain twice.
fn refuse_nested(reads: &[DomainRead]) -> Result<()> {
    let keys: Vec<(String, Vec<String>)> = reads.iter().map(tree_key).collect();
    let nested = plan::tree::nested_domains(&keys);
    if nested.is_empty() {
        return Ok(());
    }
    let pairs: Vec<String> = nested
        .iter()
        .map(|(up, down)| format!("domain {up} is an ancestor of domain {down}"))
        .collect();
    Err(Error::Refused(format!(
        "{}: Buzz sends every event of a domain to its ancestors' targets, so a target on both would deliver each event of the lower domain twice. Set up at the upper domain alone (its target receives the lower one's events). Nothing was changed",
        pairs.join("; ")
    )))
}

/// A domain's numeric id (or as given) and its ancestors' ids, for [`plan::tree::nested_domains`].
fn tree_key(r: &DomainRead) -> (String, Vec<String>) {
    let id = r
        .tree
        .own
        .as_ref()
        .map_or_else(|| r.domain.to_string(), |own| own.id.clone());
    let ancestors = r
        .tree
        .observed
        .configs
        .iter()
        .filter(|c| c.relation == plan::tree::Relation::Ancestor)
        .map(|c| c.domain.id.clone())
        .collect();
    (id, ancestors)
}

/// Each domain's part of the plan, after the AWS half's: our target as `want` (the first
/// domain's) describes it, in each domain, in the order of the list.
pub(super) fn plan_domains(
    want: &DesiredBuzz,
    reads: &[DomainRead],
    plan: &mut Plan,
) -> Result<()> {
    for r in reads {
        let this = DesiredBuzz {
            domain: r.domain.clone(),
            ..want.clone()
        };
        plan::plan_domain(&this, Some(&r.config), Some(&r.tree.observed), plan).map_err(refused)?;
    }
    Ok(())
}

/// Register our target in each domain the plan changes, in its order: the first waits out IAM
/// on its own test (retried for `retry_for` while the role may not have propagated), then the
/// others at once (at most 8 in flight), each retrying only if it still meets IAM's delay: ten
/// domains retrying together would send Buzz ten times the tests for one wait. One domain's
/// failure does not stop the others ([`Outcomes::judged`]). `external_id`: the trust asks for
/// one (for the hints).
pub(super) async fn register_all(
    plan: &Plan,
    want: &DesiredBuzz,
    client: &BuzzClient,
    (retry_for, external_id): (Duration, bool),
    progress: &Progress,
) -> Result<()> {
    let one = |action| register_domain(action, want, client, (retry_for, external_id), progress);
    let mut results = Vec::with_capacity(plan.buzz.len());
    if let Some((first, rest)) = plan.buzz.split_first() {
        results.push(one(first).await);
        let jobs: Vec<_> = rest.iter().map(one).collect();
        results.extend(crate::fanout::bounded(jobs, crate::fanout::BUZZ_IN_FLIGHT).await);
    }
    let each = plan
        .buzz
        .iter()
        .zip(results)
        .map(|(action, outcome)| DomainOutcome {
            domain: action.domain().clone(),
            outcome,
        });
    Outcomes(each.collect()).judged()
}

/// One domain's Buzz half: our target merged into its configuration, tested, saved.
async fn register_domain(
    action: &BuzzAction,
    want: &DesiredBuzz,
    client: &BuzzClient,
    (retry_for, external_id): (Duration, bool),
    progress: &Progress,
) -> Result<()> {
    let BuzzAction::RegisterBuzzTarget {
        config,
        save,
        domain,
        ..
    } = action;
    progress.step("buzz", &action.describe());
    let this = DesiredBuzz {
        domain: domain.clone(),
        ..want.clone()
    };
    register(
        client,
        &this,
        config,
        *save,
        retry_for,
        external_id,
        progress,
    )
    .await
}
