//! What a re-run may write over a role's documents: it narrows or keeps, never widens unless a
//! flag says so. The trust setup would write is merged with the one that exists (a narrower
//! principal of the trusted account, conditions of its own and every Deny are kept); what
//! writing ours would still drop or move is named, for the plan to refuse or note.

use serde_json::{json, Map, Value};

use super::{as_list, normalize_statement, principal_arn, strings, wildcard_match};

/// The trust to write over an existing one, and what it would take away.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrustMerge {
    /// Ours, narrowed to what exists: a principal of the trusted account narrower than it, the
    /// existing conditions beside ours (unless replacing), and every Deny that exists.
    pub trust: Value,
    /// Principals and statements writing [`TrustMerge::trust`] drops: refused unless
    /// `--replace-trust`.
    pub beyond: Vec<String>,
    /// The existing trust admits another account (and nothing of ours): what it admits. A move
    /// of the trusted account, refused unless `--replace-trust`.
    pub moved_from: Option<Vec<String>>,
    /// Unconditional Denies of `sts:AssumeRole` that cover the principal we trust: someone
    /// closed the role. Setup never removes a Deny.
    pub closed_by: Vec<String>,
    /// What of the existing trust is kept beside ours, or (replacing) widened or dropped.
    pub kept: Vec<String>,
}

/// How `have` and setup's one-statement trust `want` meet. `previous`: trusts earlier versions
/// of buzz-kinesis wrote; their conditions are ours, so a re-run moves them to `want` unasked.
/// `replace` (`--replace-trust`): write `want` exactly, with the Denies (then `kept` names
/// what is widened or dropped).
pub fn merge_trust(have: &Value, want: &Value, previous: &[Value], replace: bool) -> TrustMerge {
    let ours = as_list(want.get("Statement"))
        .first()
        .map(|s| (*s).clone())
        .unwrap_or(Value::Null);
    let our_principals = principals_of(&ours);
    let our_accounts: Vec<String> = our_principals
        .iter()
        .filter_map(|p| account_of(p))
        .collect();
    // The external id is setup's on every trust (the plan's external-id guard judges it).
    let mut ours_conditions = conditions(&ours);
    ours_conditions.push(("StringEquals".into(), "sts:ExternalId".into(), Value::Null));
    for p in previous {
        for st in as_list(p.get("Statement")) {
            ours_conditions.extend(conditions(st));
        }
    }
    let mut out = TrustMerge::default();
    let (mut seen_ours, mut narrower, mut others) = (false, Vec::new(), Vec::new());
    let mut extra: Vec<(String, String, Value)> = Vec::new();
    let mut denies = Vec::new();
    for st in as_list(have.get("Statement")) {
        let effect = st.get("Effect").and_then(Value::as_str).unwrap_or("?");
        if effect == "Deny" {
            denies.push(st.clone());
            if closes(st, &our_principals) {
                out.closed_by.push(describe(st));
            }
            continue;
        }
        if effect != "Allow" || !assumes(st) {
            out.beyond.push(with_article(&describe(st)));
            continue;
        }
        let mut admits_ours = false;
        for p in principals_of(st) {
            if our_principals.contains(&p) {
                (seen_ours, admits_ours) = (true, true);
            } else if account_of(&p).is_some_and(|a| our_accounts.contains(&a)) {
                narrower.push(p);
                admits_ours = true;
            } else {
                others.push(p);
            }
        }
        if admits_ours {
            extra.extend(
                conditions(st)
                    .into_iter()
                    .filter(|c| !ours_conditions.iter().any(|o| same_key(o, c))),
            );
        }
    }
    if !seen_ours && narrower.is_empty() && moved(&others, &our_principals) {
        out.moved_from = Some(others.clone());
    } else {
        out.beyond
            .extend(others.iter().map(|p| format!("it admits {}", shown(p))));
    }
    let mut statement = ours.clone();
    if !seen_ours && !narrower.is_empty() {
        narrower.sort();
        narrower.dedup();
        let what = narrower.iter().map(|p| shown(p)).collect::<Vec<_>>();
        if replace {
            out.kept
                .push(format!("the principal {} widens to ours", what.join(", ")));
        } else {
            out.kept.push(format!(
                "the principal {} (narrower than the account)",
                what.join(", ")
            ));
            statement["Principal"] = principal_value(&narrower);
        }
    }
    extra.sort_by_key(|(op, k, _)| format!("{op} {k}"));
    extra.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    for (op, key, value) in extra {
        if replace {
            out.kept
                .push(format!("the condition {op} {key} is dropped"));
            continue;
        }
        out.kept.push(format!("the condition {op} {key}"));
        let cond = statement
            .as_object_mut()
            .map(|s| s.entry("Condition").or_insert_with(|| json!({})));
        if let Some(Value::Object(ops)) = cond {
            if let Value::Object(keys) = ops.entry(op).or_insert_with(|| json!({})) {
                keys.insert(key, value);
            }
        }
    }
    for d in &denies {
        out.kept.push(format!("the {}", describe(d)));
    }
    let mut statements = vec![statement];
    statements.extend(denies);
    out.trust = json!({"Version": "2012-10-17", "Statement": statements});
    out.beyond.sort();
    out.beyond.dedup();
    out
}

/// Writing `want` over `have` (our own inline policy on the role): every Deny someone added is
/// kept beside ours (one that denies what ours grants is also named in `refused`: it blocks the
/// role's work); an Allow that grants what ours grants under a condition ours lacks cannot be
/// kept (ours would grant it unconditionally), so it is named in `refused`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyMerge {
    pub policy: Value,
    pub kept: Vec<String>,
    pub refused: Vec<String>,
}

pub fn merge_policy(have: &Value, want: &Value) -> PolicyMerge {
    let ours = as_list(want.get("Statement"));
    let our_norm: Vec<Value> = ours.iter().map(|s| normalize_statement(s)).collect();
    let our_actions: Vec<String> = ours
        .iter()
        .flat_map(|s| s.get("Action").map(strings).unwrap_or_default())
        .collect();
    let our_conditions: Vec<(String, String, Value)> =
        ours.iter().flat_map(|s| conditions(s)).collect();
    let mut out = PolicyMerge::default();
    let mut statements: Vec<Value> = ours.iter().map(|s| (*s).clone()).collect();
    for st in as_list(have.get("Statement")) {
        if our_norm.contains(&normalize_statement(st)) {
            continue;
        }
        let effect = st.get("Effect").and_then(Value::as_str).unwrap_or("?");
        let touches_ours = st
            .get("Action")
            .map(strings)
            .unwrap_or_default()
            .iter()
            .any(|a| our_actions.iter().any(|o| wildcard_match(a, o, true)));
        if effect == "Deny" {
            // Kept either way; one that denies what ours grants blocks Buzz (or Firehose),
            // which setup cannot repair without removing it: the user's call.
            if touches_ours {
                out.refused.push(format!(
                    "the {} (it denies what setup grants)",
                    describe(st)
                ));
            }
            out.kept.push(format!("the {}", describe(st)));
            statements.push(st.clone());
            continue;
        }
        let grants_ours = touches_ours;
        let narrowing: Vec<String> = conditions(st)
            .into_iter()
            .filter(|c| !our_conditions.iter().any(|o| same_key(o, c)))
            .map(|(op, k, _)| format!("{op} {k}"))
            .collect();
        if grants_ours && !narrowing.is_empty() {
            out.refused.push(format!(
                "the {} under the condition {}",
                describe(st),
                narrowing.join(", ")
            ));
        }
    }
    out.policy = json!({"Version": "2012-10-17", "Statement": statements});
    out
}

/// `(operator, key, value)` of every condition of a statement.
fn conditions(st: &Value) -> Vec<(String, String, Value)> {
    let Some(ops) = st.get("Condition").and_then(Value::as_object) else {
        return Vec::new();
    };
    ops.iter()
        .flat_map(|(op, keys)| {
            keys.as_object()
                .into_iter()
                .flatten()
                .map(move |(k, v)| (op.clone(), k.clone(), v.clone()))
        })
        .collect()
}

/// The same condition: operator and key alike (keys without case, as IAM reads them). Its
/// value is ours to set.
fn same_key(a: &(String, String, Value), b: &(String, String, Value)) -> bool {
    a.0 == b.0 && a.1.eq_ignore_ascii_case(&b.1)
}

/// A statement's `sts:AssumeRole` is granted or denied by it.
fn assumes(st: &Value) -> bool {
    match (st.get("Action"), st.get("NotAction")) {
        (Some(a), _) => strings(a)
            .iter()
            .any(|a| wildcard_match(a, "sts:AssumeRole", true)),
        (None, Some(n)) => !strings(n)
            .iter()
            .any(|a| wildcard_match(a, "sts:AssumeRole", true)),
        (None, None) => false,
    }
}

/// The principals a statement names, as `kind:who` (`AWS:arn:...:root`, `Service:...`, `*`).
fn principals_of(st: &Value) -> Vec<String> {
    match st.get("Principal") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Object(p)) => p
            .iter()
            .flat_map(|(kind, who)| {
                strings(who).into_iter().map(move |w| {
                    if kind == "AWS" {
                        format!("AWS:{}", principal_arn(&w))
                    } else {
                        format!("{kind}:{w}")
                    }
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The account of an AWS principal written as an IAM ARN (`AWS:arn:<p>:iam::<account>:...`).
fn account_of(p: &str) -> Option<String> {
    let arn = p.strip_prefix("AWS:")?;
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", "", account, _] if account.len() == 12 => Some((*account).to_owned()),
        _ => None,
    }
}

/// The principals `others` all live in one account that is not ours: a move of the trust.
fn moved(others: &[String], ours: &[String]) -> bool {
    let ours: Vec<String> = ours.iter().filter_map(|p| account_of(p)).collect();
    let mut accounts: Vec<Option<String>> = others.iter().map(|p| account_of(p)).collect();
    accounts.sort();
    accounts.dedup();
    matches!(accounts.as_slice(), [Some(a)] if !ours.contains(a))
}

/// An unconditional Deny of `sts:AssumeRole` whose principal covers one we trust.
fn closes(st: &Value, ours: &[String]) -> bool {
    if st.get("Condition").is_some() || !assumes(st) {
        return false;
    }
    principals_of(st).iter().any(|p| {
        p == "*"
            || p == "AWS:*"
            || ours.contains(p)
            || ours
                .iter()
                .any(|o| account_of(o).is_some() && account_of(o) == account_of(p))
    })
}

/// `{"AWS": [...]}` from `AWS:` principals.
fn principal_value(principals: &[String]) -> Value {
    let mut m = Map::new();
    for p in principals {
        if let Some((kind, who)) = p.split_once(':') {
            let list = m.entry(kind).or_insert_with(|| json!([]));
            if let Value::Array(a) = list {
                a.push(Value::from(who));
            }
        }
    }
    Value::Object(m)
}

/// A principal as a person reads it: the ARN alone for AWS, `Service:...` otherwise.
fn shown(p: &str) -> String {
    p.strip_prefix("AWS:").unwrap_or(p).to_owned()
}

/// `an Allow statement ...`.
fn with_article(described: &str) -> String {
    let article = if described.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {described}")
}

/// `Deny statement (Sid) on sts:AssumeRole for *`.
fn describe(st: &Value) -> String {
    let effect = st.get("Effect").and_then(Value::as_str).unwrap_or("?");
    let label = st
        .get("Sid")
        .and_then(Value::as_str)
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    let actions = st
        .get("Action")
        .or_else(|| st.get("NotAction"))
        .map(strings)
        .unwrap_or_default()
        .join(", ");
    let who = principals_of(st)
        .iter()
        .map(|p| shown(p))
        .collect::<Vec<_>>()
        .join(", ");
    let who = if who.is_empty() {
        String::new()
    } else {
        format!(" for {who}")
    };
    format!("{effect} statement{label} on {actions}{who}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::{equivalent, trust_policy};
    use crate::names::{AccountId, ExternalId};

    const AGILIX: &str = "arn:aws:iam::210987654321:root";

    fn want() -> Value {
        trust_policy(&AccountId::parse("a", "210987654321").unwrap(), None)
    }

    fn with_ext(id: &str) -> Value {
        trust_policy(
            &AccountId::parse("a", "210987654321").unwrap(),
            Some(&ExternalId::parse("e", id).unwrap()),
        )
    }

    fn doc(statements: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": statements})
    }

    fn allow(principal: Value) -> Value {
        json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})
    }

    fn merged(have: &Value) -> TrustMerge {
        merge_trust(have, &want(), &[], false)
    }

    #[test]
    fn our_own_trust_merges_to_itself_with_nothing_kept_or_beyond() {
        let m = merged(&want());
        assert!(equivalent(&m.trust, &want()), "{}", m.trust);
        assert_eq!(
            m,
            TrustMerge {
                trust: m.trust.clone(),
                ..TrustMerge::default()
            }
        );
    }

    #[test]
    fn a_deny_is_always_kept_and_one_that_covers_us_closes_the_role() {
        for who in [
            json!("*"),
            json!({"AWS": "*"}),
            json!({"AWS": AGILIX}),
            json!({"AWS": "arn:aws:iam::210987654321:role/BuzzWriter"}),
        ] {
            let fence = json!({"Effect": "Deny", "Principal": who, "Action": "sts:AssumeRole"});
            for replace in [false, true] {
                let m = merge_trust(&doc(json!([fence])), &want(), &[], replace);
                assert_eq!(m.closed_by.len(), 1, "{who}: {m:?}");
                assert!(
                    m.closed_by[0].starts_with("Deny statement on sts:AssumeRole"),
                    "{m:?}"
                );
                assert!(
                    m.trust["Statement"].as_array().unwrap().contains(&fence),
                    "kept: {m:?}"
                );
            }
        }
        // A Deny of another account, or a conditional one, or of another action: kept, open.
        for fence in [
            json!({"Effect": "Deny", "Principal": {"AWS": "999999999999"}, "Action": "sts:AssumeRole"}),
            json!({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                   "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
            json!({"Effect": "Deny", "Principal": "*", "Action": "sts:TagSession"}),
            json!({"Effect": "Deny", "Principal": "*", "NotAction": "sts:AssumeRole"}),
        ] {
            let m = merged(&doc(json!([want()["Statement"][0], fence])));
            assert!(m.closed_by.is_empty(), "{fence}: {m:?}");
            assert!(m.beyond.is_empty(), "{m:?}");
            assert!(
                equivalent(&m.trust, &doc(json!([want()["Statement"][0], fence]))),
                "{m:?}"
            );
            assert_eq!(m.kept.len(), 1, "{m:?}");
        }
        // NotAction that leaves sts:AssumeRole in: it denies it.
        let fence = json!({"Effect": "Deny", "Principal": "*", "NotAction": "s3:*"});
        assert_eq!(merged(&doc(json!([fence]))).closed_by.len(), 1);
    }

    #[test]
    fn a_narrower_principal_of_the_trusted_account_is_kept_unless_replacing() {
        let writer = "arn:aws:iam::210987654321:role/BuzzWriter";
        let have = doc(json!([allow(json!({"AWS": writer}))]));
        let m = merged(&have);
        assert!(m.beyond.is_empty() && m.moved_from.is_none(), "{m:?}");
        assert!(
            equivalent(&m.trust, &have),
            "ours becomes that principal: {}",
            m.trust
        );
        assert_eq!(
            m.kept,
            [format!(
                "the principal {writer} (narrower than the account)"
            )]
        );
        let m = merge_trust(&have, &want(), &[], true);
        assert!(equivalent(&m.trust, &want()), "{}", m.trust);
        assert_eq!(m.kept, [format!("the principal {writer} widens to ours")]);
        // Beside the account root, the root is what it admits: ours.
        let both = doc(json!([allow(json!({"AWS": [writer, AGILIX]}))]));
        let m = merged(&both);
        assert!(equivalent(&m.trust, &want()) && m.kept.is_empty(), "{m:?}");
    }

    #[test]
    fn another_account_alone_is_a_move_and_beside_ours_is_beyond() {
        for other in ["111122223333", "arn:aws:iam::111122223333:role/X"] {
            let m = merged(&doc(json!([allow(json!({"AWS": other}))])));
            assert!(m.moved_from.is_some() && m.beyond.is_empty(), "{m:?}");
            assert!(equivalent(&m.trust, &want()));
        }
        // Two other accounts, or anyone: not a move, beyond.
        let two = doc(json!([allow(
            json!({"AWS": ["111122223333", "444455556666"]})
        )]));
        let m = merged(&two);
        assert!(m.moved_from.is_none(), "{m:?}");
        assert_eq!(m.beyond.len(), 2, "{m:?}");
        let star = merged(&doc(json!([allow(json!("*"))])));
        assert_eq!(star.beyond, ["it admits *"]);
        // Ours and another: beyond, named.
        let m = merged(&doc(json!([allow(
            json!({"AWS": [AGILIX, "999999999999"]})
        )])));
        assert_eq!(m.beyond, ["it admits arn:aws:iam::999999999999:root"]);
        // Another kind of principal: beyond, and never a move.
        let m = merged(&doc(json!([allow(
            json!({"Service": "ec2.amazonaws.com"})
        )])));
        assert!(m.moved_from.is_none());
        assert_eq!(m.beyond, ["it admits Service:ec2.amazonaws.com"]);
        // A statement on another action: beyond, with its article.
        let tag = json!({"Sid": "Tag", "Effect": "Allow", "Principal": {"AWS": AGILIX}, "Action": "sts:TagSession"});
        let m = merged(&doc(json!([want()["Statement"][0], tag])));
        assert_eq!(
            m.beyond,
            [format!(
                "an Allow statement (Tag) on sts:TagSession for {AGILIX}"
            )]
        );
        let odd = json!({"Effect": "Maybe", "Principal": "*", "Action": "sts:AssumeRole"});
        assert_eq!(
            merged(&doc(json!([odd]))).beyond,
            ["a Maybe statement on sts:AssumeRole for *"]
        );
    }

    #[test]
    fn conditions_beside_ours_are_kept_and_ours_are_ours_to_set() {
        let mut have = want();
        have["Statement"][0]["Condition"] = json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}});
        let m = merged(&have);
        assert!(equivalent(&m.trust, &have), "{}", m.trust);
        assert_eq!(m.kept, ["the condition IpAddress aws:SourceIp"]);
        let m = merge_trust(&have, &want(), &[], true);
        assert!(equivalent(&m.trust, &want()));
        assert_eq!(m.kept, ["the condition IpAddress aws:SourceIp is dropped"]);
        // Beside our external id, in the same operator: merged into it.
        let mut have = with_ext("district-42");
        have["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"] = json!("o-1");
        let m = merge_trust(&have, &with_ext("district-42"), &[], false);
        assert!(equivalent(&m.trust, &have), "{}", m.trust);
        // The external id is ours: a changed or removed one is not kept.
        let m = merge_trust(
            &with_ext("district-42"),
            &with_ext("district-43"),
            &[],
            false,
        );
        assert!(
            equivalent(&m.trust, &with_ext("district-43")) && m.kept.is_empty(),
            "{m:?}"
        );
        let m = merged(&with_ext("district-42"));
        assert!(equivalent(&m.trust, &want()) && m.kept.is_empty(), "{m:?}");
        // A condition of a statement beyond ours is not carried over.
        let other = json!({"Effect": "Allow", "Principal": {"AWS": "999999999999"},
            "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}});
        let m = merged(&doc(json!([want()["Statement"][0], other])));
        assert!(equivalent(&m.trust, &want()), "{}", m.trust);
    }

    #[test]
    fn our_previous_forms_move_to_ours_and_what_was_added_to_them_stays() {
        let firehose = |key: &str| {
            doc(
                json!([{"Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"},
                "Action": "sts:AssumeRole", "Condition": {"StringEquals": {key: "123456789012"}}}]),
            )
        };
        let (now, before) = (firehose("sts:ExternalId"), firehose("aws:SourceAccount"));
        let m = merge_trust(&before, &now, std::slice::from_ref(&before), false);
        assert!(equivalent(&m.trust, &now), "{}", m.trust);
        assert!(
            m.kept.is_empty() && m.beyond.is_empty() && m.moved_from.is_none(),
            "{m:?}"
        );
        // Without knowing the previous form, its condition would be kept.
        let m = merge_trust(&before, &now, &[], false);
        assert_eq!(m.kept, ["the condition StringEquals aws:SourceAccount"]);
        // A security team's aws:SourceArn on the old form stays on the new one.
        let mut narrowed = before.clone();
        narrowed["Statement"][0]["Condition"]["ArnLike"] =
            json!({"aws:SourceArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/x"});
        let m = merge_trust(&narrowed, &now, std::slice::from_ref(&before), false);
        assert_eq!(m.kept, ["the condition ArnLike aws:SourceArn"]);
        assert_eq!(
            m.trust["Statement"][0]["Condition"],
            json!({"StringEquals": {"sts:ExternalId": "123456789012"},
                   "ArnLike": {"aws:SourceArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/x"}})
        );
        // Firehose's service principal closed by a Deny naming it.
        let fence = json!({"Effect": "Deny", "Principal": {"Service": "firehose.amazonaws.com"}, "Action": "sts:AssumeRole"});
        assert_eq!(
            merge_trust(&doc(json!([fence])), &now, &[], false)
                .closed_by
                .len(),
            1
        );
    }

    #[test]
    fn our_policy_keeps_a_deny_and_refuses_to_drop_a_condition_on_what_it_grants() {
        let stream = "arn:aws:kinesis:us-east-1:123456789012:stream/s";
        let ours = crate::iam::write_policy(stream, None);
        let m = merge_policy(&ours, &ours);
        assert!(equivalent(&m.policy, &ours) && m.kept.is_empty() && m.refused.is_empty());
        let deny = json!({"Sid": "NoSplits", "Effect": "Deny", "Action": "kinesis:SplitShard", "Resource": "*"});
        let mut have = ours.clone();
        have["Statement"].as_array_mut().unwrap().push(deny.clone());
        let m = merge_policy(&have, &ours);
        assert!(equivalent(&m.policy, &have), "{}", m.policy);
        assert_eq!(
            m.kept,
            ["the Deny statement (NoSplits) on kinesis:SplitShard"]
        );
        assert!(m.refused.is_empty());
        // One that denies what ours grants: kept, and named as blocking.
        let block =
            json!({"Sid": "NoPuts", "Effect": "Deny", "Action": "kinesis:Put*", "Resource": "*"});
        let mut have = ours.clone();
        have["Statement"].as_array_mut().unwrap().push(block);
        let m = merge_policy(&have, &ours);
        assert!(equivalent(&m.policy, &have), "{}", m.policy);
        assert_eq!(
            m.refused,
            ["the Deny statement (NoPuts) on kinesis:Put* (it denies what setup grants)"]
        );
        // A condition on our grant: refused, named.
        let mut narrowed = ours.clone();
        narrowed["Statement"][0]["Condition"] =
            json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}});
        let m = merge_policy(&narrowed, &ours);
        assert_eq!(m.refused.len(), 1, "{m:?}");
        assert!(m.refused[0].contains("IpAddress aws:SourceIp"), "{m:?}");
        // A conditional grant of something else, or one under our own condition key: dropped.
        let other = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}});
        let key = "arn:aws:kms:us-east-1:123456789012:key/k";
        let with_key = crate::iam::write_policy(stream, Some(key));
        let mut s3 = with_key.clone();
        s3["Statement"][1]["Condition"]["StringEquals"]["kms:ViaService"] =
            json!("s3.us-east-1.amazonaws.com");
        s3["Statement"].as_array_mut().unwrap().push(other);
        let m = merge_policy(&s3, &with_key);
        assert!(m.refused.is_empty() && m.kept.is_empty(), "{m:?}");
        assert!(equivalent(&m.policy, &with_key));
    }
}
