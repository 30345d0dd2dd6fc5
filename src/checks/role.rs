//! The role's rows: it exists, trusts Agilix's account alone, allows 12-hour sessions, and
//! its policies (evaluated together as IAM would) allow writing to the stream and little else.

use serde_json::Value;

use crate::iam::{self, Decision, Grants};
use crate::plan::MAX_SESSION_SECONDS;
use crate::state::{ResolvedKey, RoleState};

use super::*;

/// The role: exists, trusts Agilix's account alone (with the external id when given), allows
/// 12-hour sessions, and its policies (`policies`: every document on it, evaluated together as
/// IAM would) allow writing to the stream and little else.
pub(crate) fn role_rows(
    role: &str,
    stream_arn: &str,
    found: Option<&RoleState>,
    policies: &Grants,
    e: &Expect,
) -> Vec<Check> {
    let mut out = Vec::new();
    let Some(r) = found else {
        out.push(fail(
            CheckId::RoleExists,
            format!("there is no role {role}"),
            SETUP_FIX,
        ));
        return out;
    };
    out.push(pass(
        CheckId::RoleExists,
        format!(
            "role {} exists{}",
            r.arn,
            if r.is_managed() {
                ""
            } else {
                " (not created by buzz-kinesis)"
            }
        ),
    ));
    out.push(trust_row(&r.trust, e));

    if r.max_session == MAX_SESSION_SECONDS {
        out.push(pass(
            CheckId::RoleMaxSession,
            "MaxSessionDuration is 43200 s (12 h)",
        ));
    } else {
        out.push(fail(
            CheckId::RoleMaxSession,
            format!(
                "MaxSessionDuration is {} s, not the {MAX_SESSION_SECONDS} s (12 h) Agilix's procedure asks for: Buzz asks for 12-hour sessions, so its AssumeRole fails",
                r.max_session
            ),
            format!("run buzz-kinesis setup --max-session 12h (or: aws iam update-role --role-name {role} --max-session-duration {MAX_SESSION_SECONDS})"),
        ));
    }
    out.push(policy_row(stream_arn, policies, e));
    out
}

fn trust_row(trust: &Value, e: &Expect) -> Check {
    let trusted = iam::trusted_principals(trust);
    // A principal inside Agilix's account (one of its roles) is narrower than the account:
    // setup keeps it, and it admits nobody else.
    let account = e
        .agilix_root
        .strip_suffix(":root")
        .map(|a| format!("{a}:"))
        .unwrap_or_default();
    let ours = |p: &str| p == e.agilix_root || (!account.is_empty() && p.starts_with(&account));
    let agilix: Vec<&(String, Option<String>)> = trusted.iter().filter(|(p, _)| ours(p)).collect();
    let others: Vec<&str> = trusted
        .iter()
        .filter(|(p, _)| !ours(p))
        .map(|(p, _)| p.as_str())
        .collect();
    let want_ext = e.external_id.as_ref().map(|x| x.as_str().to_owned());
    if agilix.is_empty() {
        // The missing account is the news; what the trust admits instead is the detail.
        fail(
            CheckId::RoleTrust,
            format!(
                "the trust policy does not admit Agilix's account ({}){}",
                e.agilix_root,
                if others.is_empty() {
                    String::new()
                } else {
                    format!("; it admits {}", others.join(", "))
                }
            ),
            format!("{SETUP_FIX} (check --agilix-account with Agilix support)"),
        )
    } else if !others.is_empty() {
        fail(
            CheckId::RoleTrust,
            format!("the trust policy also admits {}", others.join(", ")),
            format!("{SETUP_FIX} (it trusts Agilix's account alone)"),
        )
    } else if !agilix.iter().any(|(_, ext)| *ext == want_ext) {
        fail(
            CheckId::RoleTrust,
            match &want_ext {
                Some(x) => format!("the trust policy does not require the external id {x}"),
                None => "the trust policy requires an external id that was not given (pass --external-id if Agilix issued one)".into(),
            },
            SETUP_FIX,
        )
    } else if want_ext.is_none() {
        warn(
            CheckId::RoleTrust,
            "the role trusts Agilix's account with no external id",
            "that is what Agilix's procedure describes; if Agilix issues you an external id, pass --external-id so that only your Buzz configuration can use this role (the confused-deputy guard)",
        )
    } else {
        pass(
            CheckId::RoleTrust,
            "the role trusts Agilix's account alone, with your external id",
        )
    }
}

fn policy_row(stream_arn: &str, grants: &Grants, e: &Expect) -> Check {
    let verdicts: Vec<(&str, Decision)> = ["kinesis:PutRecord", "kinesis:PutRecords"]
        .into_iter()
        .map(|a| (a, grants.decide(a, stream_arn, &[])))
        .collect();
    // The stream's own key (resolved to its ARN), whatever the flags named.
    let key = e.key.as_ref().filter(|k| k.grant_arn().is_some());
    let mut kms_ok = true;
    if let Some(arn) = key.and_then(ResolvedKey::grant_arn) {
        // Kinesis asks KMS on the producer's behalf: a grant limited to that (kms:ViaService,
        // as setup writes it) is as good as one without the condition.
        let region = stream_arn.split(':').nth(3).unwrap_or_default();
        let via = iam::kinesis_service(region);
        kms_ok = grants.decide(
            "kms:GenerateDataKey",
            arn,
            &[(iam::VIA_SERVICE, via.as_str())],
        ) == Decision::Allow;
    }
    if let Some((action, decision)) = verdicts.iter().find(|(_, v)| *v != Decision::Allow) {
        let why = match decision {
            Decision::ExplicitDeny => "an explicit Deny".to_owned(),
            Decision::OutsideBoundary => format!(
                "the permission boundary {} does not allow it",
                grants.boundary.as_ref().map_or("", |b| b.name.as_str())
            ),
            _ => "no Allow".to_owned(),
        };
        return fail(
            CheckId::RolePolicy,
            format!("the role's policies do not allow {action} on {stream_arn} ({why})"),
            if *decision == Decision::OutsideBoundary {
                "widen the role's permission boundary to allow kinesis:PutRecord and kinesis:PutRecords on the stream, or remove it (aws iam delete-role-permissions-boundary)".to_owned()
            } else {
                format!("{SETUP_FIX}; remove any Deny that covers the stream")
            },
        );
    }
    if let (false, Some(k)) = (kms_ok, key) {
        return fail(
            CheckId::RolePolicy,
            format!(
                "the role may not use the stream's KMS key {} (kms:GenerateDataKey): AWS refuses every PutRecord from Buzz with KMSAccessDeniedException",
                k.describe()
            ),
            format!(
                "{SETUP_FIX}: it grants kms:GenerateDataKey on the key's ARN (the key policy must allow the account's IAM policies, as a key's default policy does)"
            ),
        );
    }
    let docs = grants.documents();
    let docs = docs.as_slice();
    let mut resources = vec![stream_arn];
    let mut actions: Vec<&str> = iam::WRITER_ACTIONS.to_vec();
    if let Some(arn) = key.and_then(ResolvedKey::grant_arn) {
        resources.push(arn);
        actions.push("kms:GenerateDataKey");
    }
    let wider = iam::wider_grants(docs, &actions, &resources);
    if wider.is_empty() {
        pass(
            CheckId::RolePolicy,
            format!("the role may write to {stream_arn} and nothing else"),
        )
    } else {
        warn(
            CheckId::RolePolicy,
            format!(
                "the role may write to the stream, but its grants are wider than needed: {}",
                wider.join("; ")
            ),
            "remove the extra grants: Agilix's account can use everything this role allows",
        )
    }
}
