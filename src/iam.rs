//! IAM documents: the trust and permission policies setup writes, how documents IAM returns
//! are read (URL-decoded, then parsed), compared (as JSON meaning, never as strings) and
//! evaluated (wildcards, Deny beats Allow) for `check`.

use serde_json::{json, Map, Value};

use crate::names::{AccountId, ExternalId};
use crate::state::arn;

mod merge;
pub use merge::{merge_policy, merge_trust, PolicyMerge, TrustMerge};

/// The inline policy setup owns on the role.
pub const POLICY_NAME: &str = "buzz-kinesis-write";

/// The role's description, as the IAM console shows it.
pub const ROLE_DESCRIPTION: &str =
    "Lets Agilix Buzz write data stream events to one Kinesis stream (made by buzz-kinesis)";

/// The smallest set of actions a cross-account producer needs (see buzz-api.md).
pub const WRITER_ACTIONS: [&str; 4] = [
    "kinesis:PutRecord",
    "kinesis:PutRecords",
    "kinesis:DescribeStreamSummary",
    "kinesis:ListShards",
];

/// Who may assume the role: Agilix's account root, with the external id when Agilix issued one.
pub fn trust_policy(agilix: &AccountId, external_id: Option<&ExternalId>) -> Value {
    let mut statement = json!({
        "Sid": "AgilixBuzzAssumeRole",
        "Effect": "Allow",
        "Principal": {"AWS": arn::account_root(agilix)},
        "Action": "sts:AssumeRole",
    });
    if let Some(id) = external_id {
        statement["Condition"] = json!({"StringEquals": {"sts:ExternalId": id.as_str()}});
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

/// What the role may do: write to exactly one stream, plus `kms:GenerateDataKey` on a
/// customer-managed key when the stream is encrypted with one, only through Kinesis in the
/// stream's region (`kms:ViaService`, read from the stream's ARN).
pub fn write_policy(stream_arn: &str, kms_key_arn: Option<&str>) -> Value {
    write_policy_with(stream_arn, kms_key_arn, &[])
}

/// The writer role's whole policy: [`write_policy`]'s statements, then `extra`, what the
/// add-ons Buzz delivers to need besides the stream (`DesiredAddOns::writer_statements`):
/// Buzz assumes this one role for every target it writes to.
pub(crate) fn write_policy_with(
    stream_arn: &str,
    kms_key_arn: Option<&str>,
    extra: &[Value],
) -> Value {
    let region = stream_arn.split(':').nth(3).unwrap_or_default();
    write_policy_via(stream_arn, kms_key_arn, &kinesis_service(region), extra)
}

/// The service name KMS sees when Kinesis uses a key for a producer in `region`, the value of
/// `kms:ViaService`.
pub fn kinesis_service(region: &str) -> String {
    format!("kinesis.{region}.amazonaws.com")
}

/// [`write_policy_with`] with the `kms:ViaService` value given (a template's stand-in).
pub fn write_policy_via(
    stream_arn: &str,
    kms_key_arn: Option<&str>,
    via_service: &str,
    extra: &[Value],
) -> Value {
    let mut statements = vec![json!({
        "Sid": "BuzzWritesToOneStream",
        "Effect": "Allow",
        "Action": WRITER_ACTIONS,
        "Resource": stream_arn,
    })];
    if let Some(key) = kms_key_arn {
        // Only through Kinesis: a stolen session cannot use the key for anything else.
        statements.push(json!({
            "Sid": "BuzzEncryptsWithStreamKey",
            "Effect": "Allow",
            "Action": "kms:GenerateDataKey",
            "Resource": key,
            "Condition": {"StringEquals": {VIA_SERVICE: via_service}},
        }));
    }
    statements.extend_from_slice(extra);
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The key policy statement a customer-managed key needs before CloudWatch alarms can publish
/// to an SNS topic encrypted with it (AWS's documented statement: CloudWatch encrypts each
/// notification with the topic's key). The AWS-managed SNS key's policy cannot hold it.
pub fn cloudwatch_key_statement() -> Value {
    json!({
        "Sid": "AllowCloudWatchAlarmsToPublishToEncryptedTopics",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
    })
}
/// The condition key that limits a KMS grant to calls a service makes on the caller's behalf.
pub const VIA_SERVICE: &str = "kms:ViaService";

/// IAM hands policy documents back URL-encoded (RFC 3986). Decode, then parse.
pub fn decode_document(raw: &str) -> Result<Value, String> {
    let decoded = if raw.trim_start().starts_with('{') {
        raw.to_owned()
    } else {
        percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|e| format!("policy document is not valid UTF-8 after URL-decoding: {e}"))?
            .into_owned()
    };
    serde_json::from_str(&decoded).map_err(|e| format!("policy document is not JSON: {e}"))
}

/// Two documents mean the same thing: statement order, `"x"` vs `["x"]`, list order, and a
/// bare account id vs its root ARN do not matter.
pub fn equivalent(a: &Value, b: &Value) -> bool {
    normalize(a) == normalize(b)
}

/// The canonical form used by [`equivalent`].
pub fn normalize(doc: &Value) -> Value {
    let mut statements: Vec<Value> = as_list(doc.get("Statement"))
        .into_iter()
        .map(normalize_statement)
        .collect();
    statements.sort_by_key(|s| s.to_string());
    json!({
        "Version": doc.get("Version").cloned().unwrap_or(Value::Null),
        "Statement": statements,
    })
}

fn normalize_statement(s: &Value) -> Value {
    let Some(obj) = s.as_object() else {
        return s.clone();
    };
    let mut out = Map::new();
    for (k, v) in obj {
        let v = match k.as_str() {
            // The Sid is a label, not meaning.
            "Sid" => continue,
            "Action" | "NotAction" | "Resource" | "NotResource" => sorted_strings(v),
            "Principal" | "NotPrincipal" => match v {
                Value::Object(p) => Value::Object(
                    p.iter()
                        .map(|(kind, who)| {
                            let list: Vec<String> = strings(who)
                                .into_iter()
                                .map(|w| principal_arn(&w))
                                .collect();
                            (kind.clone(), sorted(list))
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            "Condition" => match v {
                Value::Object(ops) => Value::Object(
                    ops.iter()
                        .map(|(op, keys)| {
                            let keys = match keys {
                                Value::Object(m) => Value::Object(
                                    m.iter()
                                        .map(|(k, v)| (k.clone(), sorted_strings(v)))
                                        .collect(),
                                ),
                                other => other.clone(),
                            };
                            (op.clone(), keys)
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

/// IAM stores `"AWS": "123456789012"` as the account's root ARN.
fn principal_arn(p: &str) -> String {
    if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
        arn::account_root(p)
    } else {
        p.to_owned()
    }
}

fn sorted(mut v: Vec<String>) -> Value {
    v.sort();
    v.dedup();
    Value::from(v)
}

fn sorted_strings(v: &Value) -> Value {
    sorted(strings(v))
}

/// A policy field that may be one string or a list of strings.
pub fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn as_list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(other @ Value::Object(_)) => vec![other],
        _ => Vec::new(),
    }
}

/// IAM's wildcard match: `*` any run, `?` one character. Actions compare case-insensitively.
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if ignore_case {
        (
            pattern.to_lowercase().chars().collect(),
            text.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    // Iterative glob with backtracking to the last star: linear in practice, no recursion.
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        // The star first: a literal '*' in the text must not consume the pattern's star.
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The outcome of evaluating a role's policies for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    ImplicitDeny,
    ExplicitDeny,
    /// The identity policies allow it, but the permission boundary does not.
    OutsideBoundary,
}

/// What is known of the request being evaluated: condition keys and their values (for the
/// KMS grant, `kms:ViaService`). Conditions on other keys cannot be decided.
pub type Context<'a> = &'a [(&'a str, &'a str)];

/// Evaluate identity-based policies for `action` on `resource`. An Allow with a condition
/// counts only when `context` decides every key of it (else we cannot know it applies); a
/// conditional Deny counts as a Deny unless `context` shows it does not apply (the cautious
/// reading for a health check).
pub fn evaluate(documents: &[Value], action: &str, resource: &str) -> Decision {
    evaluate_in(documents, action, resource, &[])
}

/// [`evaluate`] with what is known of the request.
pub fn evaluate_in(
    documents: &[Value],
    action: &str,
    resource: &str,
    context: Context<'_>,
) -> Decision {
    let mut allowed = false;
    for doc in documents {
        for st in as_list(doc.get("Statement")) {
            if !statement_applies(st, action, resource) {
                continue;
            }
            let condition = st.get("Condition").map(|c| condition_holds(c, context));
            match st.get("Effect").and_then(Value::as_str) {
                Some("Deny") if condition != Some(Some(false)) => return Decision::ExplicitDeny,
                Some("Allow") if matches!(condition, None | Some(Some(true))) => allowed = true,
                _ => {}
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

/// IAM's answer with a permission boundary: allowed only when the identity policies allow it
/// and the boundary does too; a Deny in either wins.
pub fn evaluate_bounded(
    identity: &[Value],
    boundary: Option<&Value>,
    action: &str,
    resource: &str,
    context: Context<'_>,
) -> Decision {
    let inside = evaluate_in(identity, action, resource, context);
    let Some(b) = boundary else { return inside };
    match (
        inside,
        evaluate_in(std::slice::from_ref(b), action, resource, context),
    ) {
        (Decision::ExplicitDeny, _) | (_, Decision::ExplicitDeny) => Decision::ExplicitDeny,
        (Decision::Allow, Decision::Allow) => Decision::Allow,
        (Decision::Allow, _) => Decision::OutsideBoundary,
        (other, _) => other,
    }
}

/// Whether a `Condition` block holds in `context`: `Some(true|false)` when every key it
/// tests is known and tested with a string operator we evaluate, `None` when it cannot be
/// decided.
fn condition_holds(condition: &Value, context: Context<'_>) -> Option<bool> {
    let ops = condition.as_object()?;
    let mut holds = true;
    for (op, keys) in ops {
        let (ignore_case, like) = match op.as_str() {
            "StringEquals" => (false, false),
            "StringEqualsIgnoreCase" => (true, false),
            "StringLike" => (false, true),
            _ => return None,
        };
        for (key, wanted) in keys.as_object()? {
            let (_, have) = context.iter().find(|(k, _)| k.eq_ignore_ascii_case(key))?;
            let any = strings(wanted).iter().any(|w| {
                if like {
                    wildcard_match(w, have, false)
                } else if ignore_case {
                    w.eq_ignore_ascii_case(have)
                } else {
                    w == have
                }
            });
            holds &= any;
        }
    }
    Some(holds)
}

fn statement_applies(st: &Value, action: &str, resource: &str) -> bool {
    let any = |key: &str, text: &str, ci: bool| {
        st.get(key)
            .map(|v| strings(v).iter().any(|p| wildcard_match(p, text, ci)))
    };
    let action_ok = match (any("Action", action, true), any("NotAction", action, true)) {
        (Some(m), _) => m,
        (None, Some(m)) => !m,
        (None, None) => false,
    };
    let resource_ok = match (
        any("Resource", resource, false),
        any("NotResource", resource, false),
    ) {
        (Some(m), _) => m,
        (None, Some(m)) => !m,
        (None, None) => false,
    };
    action_ok && resource_ok
}

/// Grants in `documents` wider than `allowed_actions` on `allowed_resources`: Allow
/// statements whose action or resource patterns reach beyond them. Each finding is a sentence.
pub fn wider_grants(
    documents: &[Value],
    allowed_actions: &[&str],
    allowed_resources: &[&str],
) -> Vec<String> {
    let mut findings = Vec::new();
    for doc in documents {
        for st in as_list(doc.get("Statement")) {
            if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
                continue;
            }
            if st.get("NotAction").is_some() || st.get("NotResource").is_some() {
                findings.push("an Allow statement uses NotAction or NotResource, which grants almost everything".to_owned());
                continue;
            }
            for a in st.get("Action").map(strings).unwrap_or_default() {
                if !allowed_actions.iter().any(|x| x.eq_ignore_ascii_case(&a)) {
                    findings.push(format!("the role is also allowed '{a}'"));
                }
            }
            for r in st.get("Resource").map(strings).unwrap_or_default() {
                if !allowed_resources.contains(&r.as_str()) {
                    findings.push(format!("a grant reaches resource '{r}'"));
                }
            }
        }
    }
    findings.sort();
    findings.dedup();
    findings
}

/// One policy on a role, for evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPolicy {
    /// `inline:NAME` or the managed policy's ARN.
    pub name: String,
    pub document: Value,
}

/// Every policy IAM weighs for a role: its identity policies (inline and attached managed),
/// and its permission boundary, which caps what they grant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grants {
    pub identity: Vec<NamedPolicy>,
    pub boundary: Option<NamedPolicy>,
}

impl Grants {
    /// Identity policies alone, unnamed (tests and callers with bare documents).
    pub fn identity(documents: &[Value]) -> Self {
        Self {
            identity: documents
                .iter()
                .enumerate()
                .map(|(i, d)| NamedPolicy {
                    name: format!("policy {}", i + 1),
                    document: d.clone(),
                })
                .collect(),
            boundary: None,
        }
    }

    /// The identity documents.
    pub fn documents(&self) -> Vec<Value> {
        self.identity.iter().map(|p| p.document.clone()).collect()
    }

    /// What IAM decides for `action` on `resource`, the boundary included.
    pub fn decide(&self, action: &str, resource: &str, context: Context<'_>) -> Decision {
        evaluate_bounded(
            &self.documents(),
            self.boundary.as_ref().map(|b| &b.document),
            action,
            resource,
            context,
        )
    }

    /// What the identity policies other than `ours` allow beyond `actions` on `resources`,
    /// each finding naming its policy: what else a role can do.
    pub fn beyond(&self, ours: &str, actions: &[&str], resources: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for p in self.identity.iter().filter(|p| p.name != ours) {
            for finding in wider_grants(std::slice::from_ref(&p.document), actions, resources) {
                out.push(format!("{}: {finding}", p.name));
            }
        }
        out
    }
}

/// The AWS principals an Allow on `sts:AssumeRole` admits, with any external id each one
/// requires (`None` = admitted without an external id).
pub fn trusted_principals(trust: &Value) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for st in as_list(trust.get("Statement")) {
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let acts = st.get("Action").map(strings).unwrap_or_default();
        if !acts
            .iter()
            .any(|a| wildcard_match(a, "sts:AssumeRole", true))
        {
            continue;
        }
        let external_id = st
            .pointer("/Condition/StringEquals/sts:ExternalId")
            .and_then(|v| strings(v).into_iter().next());
        match st.get("Principal") {
            Some(Value::String(s)) => out.push((s.clone(), external_id.clone())),
            Some(Value::Object(p)) => {
                for (kind, who) in p {
                    for w in strings(who) {
                        let name = if kind == "AWS" {
                            principal_arn(&w)
                        } else {
                            format!("{kind}:{w}")
                        };
                        out.push((name, external_id.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The actions and resources a document's Allow statements name (for setup's write policy:
/// what adopting a role may leave it able to do).
pub fn allowed_by(doc: &Value) -> (Vec<String>, Vec<String>) {
    let (mut actions, mut resources) = (Vec::new(), Vec::new());
    for st in as_list(doc.get("Statement")) {
        if st.get("Effect").and_then(Value::as_str) == Some("Allow") {
            actions.extend(st.get("Action").map(strings).unwrap_or_default());
            resources.extend(st.get("Resource").map(strings).unwrap_or_default());
        }
    }
    (actions, resources)
}

/// Whether any Allow statement of a trust requires an external id (`sts:ExternalId`).
pub fn requires_external_id(trust: &Value) -> bool {
    trusted_principals(trust)
        .iter()
        .any(|(_, ext)| ext.is_some())
}

/// The trust change in words: which account is trusted before and after, and what becomes
/// of the external id. `None` when neither changes (the diff shows the rest).
pub fn trust_change(before: &Value, after: &Value) -> Option<String> {
    let principals = |t: &Value| -> Vec<String> {
        let mut p: Vec<String> = trusted_principals(t).into_iter().map(|(p, _)| p).collect();
        p.sort();
        p.dedup();
        p
    };
    let external =
        |t: &Value| -> Option<String> { trusted_principals(t).into_iter().find_map(|(_, e)| e) };
    let (pb, pa) = (principals(before), principals(after));
    let mut parts = Vec::new();
    if pb != pa {
        let show = |p: &[String]| {
            if p.is_empty() {
                "nobody".to_owned()
            } else {
                p.join(", ")
            }
        };
        parts.push(format!("trusted account {} -> {}", show(&pb), show(&pa)));
    }
    match (external(before), external(after)) {
        (Some(_), None) => parts.push("remove the external id condition".to_owned()),
        (None, Some(_)) => parts.push("require the external id".to_owned()),
        (Some(b), Some(a)) if a != b => parts.push("change the required external id".to_owned()),
        _ => {}
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// A readable line diff of two documents (pretty-printed normalized JSON), for plans: the
/// lines the change removes (`- `) and adds (`+ `), in document order, a changed line's
/// removal before its addition.
pub fn line_diff(before: &Value, after: &Value) -> Vec<String> {
    let a = serde_json::to_string_pretty(&normalize(before)).unwrap_or_default();
    let b = serde_json::to_string_pretty(&normalize(after)).unwrap_or_default();
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    edit_script(&a, &b)
        .into_iter()
        .filter_map(|e| match e {
            Edit::Keep(_) => None,
            Edit::Add(l) => Some(format!("+ {l}")),
            Edit::Remove(l) => Some(format!("- {l}")),
        })
        .collect()
}

/// One line of an edit script from one document to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit<'a> {
    Keep(&'a str),
    Add(&'a str),
    Remove(&'a str),
}

/// The shortest edit script from `a` to `b`: every line of a longest common subsequence is
/// kept, everything else removed or added.
fn edit_script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Edit<'a>> {
    // A longest-common-subsequence diff: documents are tens of lines, so O(n*m) is nothing.
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(Edit::Keep(a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] == lcs[i][j]) {
            // Skipping a[i] keeps a longest common subsequence: remove it (before adding).
            out.push(Edit::Remove(a[i]));
            i += 1;
        } else {
            out.push(Edit::Add(b[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(s: &str) -> AccountId {
        AccountId::parse("--agilix-account", s).unwrap()
    }

    #[test]
    fn trust_admits_only_agilix_and_carries_the_external_id() {
        let ext = ExternalId::parse("--external-id", "district-42").unwrap();
        let t = trust_policy(&acct("210987654321"), Some(&ext));
        assert_eq!(
            trusted_principals(&t),
            vec![(
                "arn:aws:iam::210987654321:root".to_owned(),
                Some("district-42".to_owned())
            )]
        );
        let bare = trust_policy(&acct("210987654321"), None);
        assert!(bare["Statement"][0].get("Condition").is_none());
    }

    #[test]
    fn url_encoded_documents_decode() {
        let raw = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(decode_document(raw).unwrap()["Version"], "2012-10-17");
        assert!(decode_document("%7Bnot json").is_err());
    }

    #[test]
    fn equivalence_ignores_form_but_not_meaning() {
        let a = json!({"Version":"2012-10-17","Statement":[
            {"Sid":"x","Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"sts:AssumeRole"}]});
        let b = json!({"Version":"2012-10-17","Statement":
            {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::210987654321:root"]},"Action":["sts:AssumeRole"]}});
        assert!(equivalent(&a, &b));
        let c = json!({"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]});
        assert!(!equivalent(&a, &c));
    }

    #[test]
    fn evaluation_handles_wildcards_and_deny() {
        let arn = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz";
        let ours = write_policy(arn, None);
        assert_eq!(
            evaluate(std::slice::from_ref(&ours), "kinesis:PutRecord", arn),
            Decision::Allow
        );
        assert_eq!(
            evaluate(
                std::slice::from_ref(&ours),
                "kinesis:PutRecord",
                "arn:aws:kinesis:us-east-1:123456789012:stream/other"
            ),
            Decision::ImplicitDeny
        );
        let wild = json!({"Statement":[{"Effect":"Allow","Action":"kinesis:Put*","Resource":"arn:aws:kinesis:*:*:stream/b?zz"}]});
        assert_eq!(
            evaluate(&[wild], "Kinesis:PutRecords", arn),
            Decision::Allow
        );
        let deny = json!({"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]});
        assert_eq!(
            evaluate(&[ours, deny], "kinesis:PutRecord", arn),
            Decision::ExplicitDeny
        );
        let not_action =
            json!({"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]});
        assert_eq!(
            evaluate(&[not_action], "kinesis:PutRecord", arn),
            Decision::Allow
        );
    }

    /// What the add-ons Buzz delivers to need comes after the stream's statements (and its
    /// key's), as given; with none it is the stream's policy alone.
    #[test]
    fn the_writer_policy_is_the_streams_then_the_add_ons_statements() {
        let arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/buzz";
        let key = "arn:aws:kms:eu-west-1:123456789012:key/k";
        let queue = json!({"Sid": "BuzzDeliversToQueue", "Effect": "Allow",
            "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:123456789012:q"});
        let topic = json!({"Sid": "BuzzDeliversToTopic", "Effect": "Allow",
            "Action": ["sns:Publish"], "Resource": "arn:aws:sns:eu-west-1:123456789012:t",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}});
        for k in [None, Some(key)] {
            let alone = write_policy(arn, k);
            assert_eq!(alone, write_policy_with(arn, k, &[]));
            let with = write_policy_with(arn, k, &[queue.clone(), topic.clone()]);
            let mut want = alone["Statement"].as_array().unwrap().clone();
            want.extend([queue.clone(), topic.clone()]);
            assert_eq!(with["Statement"], Value::Array(want), "{with}");
            assert_eq!(with["Version"], "2012-10-17");
        }
        // The stream's region still decides its key's kms:ViaService.
        let with = write_policy_with(arn, Some(key), &[queue]);
        assert_eq!(
            with["Statement"][1]["Condition"]["StringEquals"][VIA_SERVICE],
            "kinesis.eu-west-1.amazonaws.com"
        );
    }

    #[test]
    fn the_kms_grant_is_only_through_kinesis_and_evaluates_with_its_context() {
        let arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/buzz";
        let key = "arn:aws:kms:eu-west-1:123456789012:key/k";
        let p = write_policy(arn, Some(key));
        assert_eq!(
            p["Statement"][1]["Condition"]["StringEquals"][VIA_SERVICE],
            "kinesis.eu-west-1.amazonaws.com"
        );
        let docs = std::slice::from_ref(&p);
        let via = [(VIA_SERVICE, "kinesis.eu-west-1.amazonaws.com")];
        assert_eq!(
            evaluate_in(docs, "kms:GenerateDataKey", key, &via),
            Decision::Allow
        );
        // Another service, or nothing known of the request: not granted.
        let s3 = [(VIA_SERVICE, "s3.eu-west-1.amazonaws.com")];
        assert_eq!(
            evaluate_in(docs, "kms:GenerateDataKey", key, &s3),
            Decision::ImplicitDeny
        );
        assert_eq!(
            evaluate(docs, "kms:GenerateDataKey", key),
            Decision::ImplicitDeny
        );
        // Without the condition (older setups, hand-made roles) it is granted too.
        let bare =
            json!({"Statement":[{"Effect":"Allow","Action":"kms:GenerateDataKey","Resource":key}]});
        assert_eq!(
            evaluate_in(&[bare], "kms:GenerateDataKey", key, &via),
            Decision::Allow
        );
        // A Deny whose condition the context rules out does not apply; one it cannot decide does.
        let deny = |c: Value| json!({"Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":c}]});
        let ruled_out = deny(json!({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}));
        assert_eq!(
            evaluate_in(&[p.clone(), ruled_out], "kms:GenerateDataKey", key, &via),
            Decision::ExplicitDeny
        );
        let other_service =
            deny(json!({"StringEquals": {VIA_SERVICE: "s3.eu-west-1.amazonaws.com"}}));
        assert_eq!(
            evaluate_in(&[p, other_service], "kms:GenerateDataKey", key, &via),
            Decision::Allow
        );
    }

    #[test]
    fn a_permission_boundary_caps_what_the_identity_policies_grant() {
        let arn = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz";
        let ours = write_policy(arn, None);
        let named = |name: &str, document: Value| NamedPolicy {
            name: name.into(),
            document,
        };
        let mut g = Grants {
            identity: vec![named("inline:buzz-kinesis-write", ours)],
            boundary: None,
        };
        assert_eq!(g.decide("kinesis:PutRecord", arn, &[]), Decision::Allow);
        // A boundary that allows only reading: the write is outside it.
        g.boundary = Some(named(
            "arn:aws:iam::123456789012:policy/read-only",
            json!({"Statement":[{"Effect":"Allow","Action":"kinesis:Describe*","Resource":"*"}]}),
        ));
        assert_eq!(
            g.decide("kinesis:PutRecord", arn, &[]),
            Decision::OutsideBoundary
        );
        // A boundary that denies: an explicit deny.
        g.boundary = Some(named(
            "b",
            json!({"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"kinesis:PutRecord","Resource":"*"}]}),
        ));
        assert_eq!(
            g.decide("kinesis:PutRecord", arn, &[]),
            Decision::ExplicitDeny
        );
        // A boundary that allows everything: the identity policies decide.
        g.boundary = Some(named(
            "b",
            json!({"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}),
        ));
        assert_eq!(g.decide("kinesis:PutRecord", arn, &[]), Decision::Allow);
        assert_eq!(
            g.decide("kinesis:GetRecords", arn, &[]),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn what_else_a_role_can_do_is_named_by_policy() {
        let arn = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz";
        let g = Grants {
            identity: vec![
                NamedPolicy {
                    name: format!("inline:{POLICY_NAME}"),
                    document: json!({"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}),
                },
                NamedPolicy {
                    name: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
                    document: json!({"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}),
                },
            ],
            boundary: None,
        };
        let found = g.beyond(&format!("inline:{POLICY_NAME}"), &WRITER_ACTIONS, &[arn]);
        assert_eq!(
            found,
            [
                "arn:aws:iam::aws:policy/AdministratorAccess: a grant reaches resource '*'",
                "arn:aws:iam::aws:policy/AdministratorAccess: the role is also allowed '*'"
            ]
        );
    }

    #[test]
    fn wider_grants_are_named() {
        let arn = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz";
        assert!(wider_grants(&[write_policy(arn, None)], &WRITER_ACTIONS, &[arn]).is_empty());
        let wide = json!({"Statement":[{"Effect":"Allow","Action":["kinesis:*"],"Resource":"*"}]});
        assert_eq!(wider_grants(&[wide], &WRITER_ACTIONS, &[arn]).len(), 2);
    }

    #[test]
    fn a_change_of_account_is_named_with_what_becomes_of_the_external_id() {
        let ext = ExternalId::parse("--external-id", "district-42").unwrap();
        let want = trust_policy(&acct("210987654321"), None);
        let old = trust_policy(&acct("111122223333"), Some(&ext));
        assert!(requires_external_id(&old) && !requires_external_id(&want));
        assert_eq!(
            trust_change(&old, &want).unwrap(),
            "trusted account arn:aws:iam::111122223333:root -> arn:aws:iam::210987654321:root; remove the external id condition"
        );
        assert_eq!(trust_change(&want, &want), None);
    }

    #[test]
    fn wildcards_match_like_iam() {
        assert!(wildcard_match("a*c", "abbbc", false));
        assert!(wildcard_match("*", "", false));
        assert!(!wildcard_match("a?c", "ac", false));
        assert!(wildcard_match("KINESIS:*", "kinesis:PutRecord", true));
        assert!(!wildcard_match("stream/a*", "stream/B", false));
        // Found by a property test: a '*' in the text once swallowed the pattern's star.
        assert!(wildcard_match("*", "*/", false));
    }

    #[test]
    fn diffs_show_added_and_removed_lines() {
        let a = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a","Resource":"x"}]});
        let b = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a","Resource":"y"}]});
        let d = line_diff(&a, &b);
        assert!(d.contains(&"-         \"x\"".to_owned()), "{d:?}");
        assert!(d.contains(&"+         \"y\"".to_owned()), "{d:?}");
    }

    // ---- The evaluator, rule by rule, as AWS documents the evaluation of identity-based
    // policies: a request is denied unless some statement allows it, and an explicit Deny in
    // any statement wins over every Allow. `check` relies on it to say PASS.

    const STREAM: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/buzz";
    const OTHER_STREAM: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/other";
    const PUT: &str = "kinesis:PutRecord";

    fn doc(statements: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": statements})
    }

    fn allow(action: &str, resource: &str) -> Value {
        json!({"Effect": "Allow", "Action": action, "Resource": resource})
    }

    fn deny(action: &str, resource: &str) -> Value {
        json!({"Effect": "Deny", "Action": action, "Resource": resource})
    }

    fn decide(statements: Value, action: &str, resource: &str) -> Decision {
        evaluate(&[doc(statements)], action, resource)
    }

    use Decision::{Allow, ExplicitDeny, ImplicitDeny};

    #[test]
    fn nothing_is_allowed_unless_a_statement_allows_it() {
        assert_eq!(evaluate(&[], PUT, STREAM), ImplicitDeny);
        assert_eq!(decide(json!([]), PUT, STREAM), ImplicitDeny);
        assert_eq!(decide(json!([allow(PUT, STREAM)]), PUT, STREAM), Allow);
        // A statement given as one object rather than a list is still a statement.
        assert_eq!(decide(allow(PUT, STREAM), PUT, STREAM), Allow);
    }

    #[test]
    fn an_allow_needs_both_its_action_and_its_resource_to_match() {
        let table = [
            ("kinesis:PutRecord", STREAM, Allow),
            ("kinesis:PutRecords", STREAM, ImplicitDeny),
            ("kinesis:PutRecord", OTHER_STREAM, ImplicitDeny),
            ("kinesis:DeleteStream", OTHER_STREAM, ImplicitDeny),
        ];
        for (action, resource, want) in table {
            let got = decide(json!([allow(PUT, STREAM)]), action, resource);
            assert_eq!(got, want, "{action} on {resource}");
        }
        // Any one action or resource of a list is enough.
        let lists = json!([{"Effect": "Allow",
            "Action": ["kinesis:ListShards", "kinesis:PutRecord"],
            "Resource": [OTHER_STREAM, STREAM]}]);
        assert_eq!(decide(lists, PUT, STREAM), Allow);
    }

    #[test]
    fn a_statement_without_action_or_resource_applies_to_nothing() {
        let no_action = json!([{"Effect": "Allow", "Resource": "*"}]);
        assert_eq!(decide(no_action, PUT, STREAM), ImplicitDeny);
        let no_resource = json!([{"Effect": "Allow", "Action": "*"}]);
        assert_eq!(decide(no_resource, PUT, STREAM), ImplicitDeny);
    }

    #[test]
    fn only_the_effects_allow_and_deny_mean_anything() {
        for effect in [json!("allow"), json!("Permit"), json!(null)] {
            let st = json!([{"Effect": effect, "Action": "*", "Resource": "*"}]);
            assert_eq!(decide(st, PUT, STREAM), ImplicitDeny, "{effect}");
        }
        let no_effect = json!([{"Action": "*", "Resource": "*"}]);
        assert_eq!(decide(no_effect, PUT, STREAM), ImplicitDeny);
    }

    #[test]
    fn an_explicit_deny_wins_wherever_it_is() {
        let (a, d) = (allow(PUT, STREAM), deny("kinesis:*", "*"));
        assert_eq!(decide(json!([a, d]), PUT, STREAM), ExplicitDeny);
        assert_eq!(decide(json!([d, a]), PUT, STREAM), ExplicitDeny);
        // In another document of the same identity too, before or after the Allow.
        let (da, dd) = (doc(json!([a])), doc(json!([d])));
        assert_eq!(
            evaluate(&[da.clone(), dd.clone()], PUT, STREAM),
            ExplicitDeny
        );
        assert_eq!(evaluate(&[dd, da], PUT, STREAM), ExplicitDeny);
        // A Deny alone is still explicit, not merely "not allowed".
        assert_eq!(decide(json!([d]), PUT, STREAM), ExplicitDeny);
    }

    #[test]
    fn a_deny_that_does_not_match_denies_nothing() {
        let st = json!([
            allow(PUT, STREAM),
            deny("kinesis:DeleteStream", STREAM),
            deny(PUT, OTHER_STREAM)
        ]);
        assert_eq!(decide(st, PUT, STREAM), Allow);
    }

    #[test]
    fn a_conditional_allow_is_not_counted_a_conditional_deny_is() {
        // check cannot know the request's context (source IP, tags, via-service), so an Allow
        // that holds only under a condition proves nothing, and a Deny that may hold is
        // counted: the cautious reading for a health check.
        let cond = json!({"StringEquals": {"aws:SourceAccount": "210987654321"}});
        let mut conditional_allow = allow(PUT, STREAM);
        conditional_allow["Condition"] = cond.clone();
        assert_eq!(
            decide(json!([conditional_allow]), PUT, STREAM),
            ImplicitDeny
        );
        // ... but it does not cancel an unconditional Allow beside it.
        let both = json!([conditional_allow, allow(PUT, STREAM)]);
        assert_eq!(decide(both, PUT, STREAM), Allow);
        let mut conditional_deny = deny(PUT, STREAM);
        conditional_deny["Condition"] = cond;
        let st = json!([allow(PUT, STREAM), conditional_deny]);
        assert_eq!(decide(st, PUT, STREAM), ExplicitDeny);
    }

    #[test]
    fn not_action_applies_to_every_action_but_the_listed_ones() {
        let allow_not_iam = json!([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]);
        assert_eq!(decide(allow_not_iam.clone(), PUT, STREAM), Allow);
        assert_eq!(decide(allow_not_iam, "iam:CreateRole", "*"), ImplicitDeny);
        // "Deny everything except writing": the classic NotAction guard.
        let guard = json!([allow("*", "*"), {"Effect": "Deny", "NotAction": ["kinesis:Put*"], "Resource": "*"}]);
        assert_eq!(decide(guard.clone(), PUT, STREAM), Allow);
        assert_eq!(decide(guard, "kinesis:DeleteStream", STREAM), ExplicitDeny);
    }

    #[test]
    fn not_resource_applies_to_every_resource_but_the_listed_ones() {
        let allow_but_other =
            json!([{"Effect": "Allow", "Action": PUT, "NotResource": OTHER_STREAM}]);
        assert_eq!(decide(allow_but_other.clone(), PUT, STREAM), Allow);
        assert_eq!(decide(allow_but_other, PUT, OTHER_STREAM), ImplicitDeny);
        // "Deny writing anywhere but our stream".
        let fence =
            json!([allow(PUT, "*"), {"Effect": "Deny", "Action": PUT, "NotResource": [STREAM]}]);
        assert_eq!(decide(fence.clone(), PUT, STREAM), Allow);
        assert_eq!(decide(fence, PUT, OTHER_STREAM), ExplicitDeny);
    }

    #[test]
    fn wildcards_match_anywhere_in_actions_and_resources() {
        let table = [
            // (action pattern, resource pattern, action, resource, allowed)
            ("*", "*", PUT, STREAM, true),
            ("kinesis:*", STREAM, PUT, STREAM, true),
            ("kinesis:Put*s", STREAM, "kinesis:PutRecords", STREAM, true),
            ("kinesis:Put*s", STREAM, "kinesis:PutRecord", STREAM, false),
            ("kinesis:*Record", STREAM, PUT, STREAM, true),
            ("kinesis:Put?ecord", STREAM, PUT, STREAM, true),
            ("kinesis:Put?Record", STREAM, PUT, STREAM, false),
            (
                PUT,
                "arn:aws:kinesis:*:123456789012:stream/*",
                PUT,
                STREAM,
                true,
            ),
            (
                PUT,
                "arn:aws:kinesis:*:999999999999:stream/*",
                PUT,
                STREAM,
                false,
            ),
            (
                PUT,
                "arn:aws:kinesis:us-east-1:*:stream/b*z",
                PUT,
                STREAM,
                true,
            ),
            (
                PUT,
                "arn:aws:kinesis:us-east-1:*:stream/b*x",
                PUT,
                STREAM,
                false,
            ),
            (
                PUT,
                "arn:aws:kinesis:us-east-?:123456789012:stream/buzz",
                PUT,
                STREAM,
                true,
            ),
        ];
        for (ap, rp, action, resource, allowed) in table {
            let want = if allowed { Allow } else { ImplicitDeny };
            let got = decide(json!([allow(ap, rp)]), action, resource);
            assert_eq!(got, want, "{ap} on {rp} for {action} on {resource}");
        }
    }

    #[test]
    fn actions_compare_without_case_and_arns_with_it() {
        assert_eq!(
            decide(json!([allow("KINESIS:putrecord", STREAM)]), PUT, STREAM),
            Allow
        );
        assert_eq!(
            decide(
                json!([allow("kinesis:put*", STREAM)]),
                "Kinesis:PUTRECORDS",
                STREAM
            ),
            Allow
        );
        let upper = "arn:aws:kinesis:us-east-1:123456789012:stream/Buzz";
        assert_eq!(
            decide(json!([allow(PUT, upper)]), PUT, STREAM),
            ImplicitDeny
        );
        assert_eq!(
            decide(json!([allow(PUT, "*/BUZZ")]), PUT, STREAM),
            ImplicitDeny
        );
        // The same rules hold for a Deny and for NotAction/NotResource.
        assert_eq!(
            decide(
                json!([allow(PUT, STREAM), deny("KINESIS:PUT*", STREAM)]),
                PUT,
                STREAM
            ),
            ExplicitDeny
        );
        assert_eq!(
            decide(json!([allow(PUT, STREAM), deny(PUT, upper)]), PUT, STREAM),
            Allow
        );
        let not_upper =
            json!([{"Effect": "Allow", "NotAction": "KINESIS:PUTRECORD", "Resource": "*"}]);
        assert_eq!(decide(not_upper, PUT, STREAM), ImplicitDeny);
        let not_res_upper = json!([{"Effect": "Allow", "Action": PUT, "NotResource": upper}]);
        assert_eq!(decide(not_res_upper, PUT, STREAM), Allow);
    }

    // ---- wildcard_match: IAM's glob, `*` any run (even empty), `?` exactly one character.

    #[test]
    fn stars_backtrack_to_find_a_later_match() {
        let table = [
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYc", true),
            // The first 'b' is a false start: the star must give it back and try the next.
            ("a*b*c", "abXc", true),
            ("a*b*c", "abXbYc", true),
            ("a*bc", "abXbc", true),
            ("a*bc", "abcbXc", false),
            ("a*b*c", "acb", false),
            ("a*b*c", "abcX", false),
            ("*ab", "aab", true),
            ("*a?c", "abac", false),
            ("*a?c", "ababc", true),
            ("a*", "a", true),
            ("a**b", "ab", true),
            ("", "", true),
            ("", "a", false),
            ("a", "", false),
            ("?", "", false),
            ("a", "ab", false),
            ("ab", "a", false),
        ];
        for (pattern, text, want) in table {
            assert_eq!(
                wildcard_match(pattern, text, false),
                want,
                "{pattern} ~ {text}"
            );
        }
    }

    /// The glob as its definition reads, by recursion: the reference for the property below.
    fn glob(p: &[char], t: &[char]) -> bool {
        match (p.split_first(), t.split_first()) {
            (None, _) => t.is_empty(),
            (Some(('*', rest)), _) => glob(rest, t) || (!t.is_empty() && glob(p, &t[1..])),
            (Some(_), None) => false,
            (Some(('?', rest)), Some((_, trest))) => glob(rest, trest),
            (Some((c, rest)), Some((d, trest))) => c == d && glob(rest, trest),
        }
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2048, ..Default::default() })]

        #[test]
        fn wildcard_match_is_the_recursive_glob(p in "[ab*?]{0,7}", t in "[ab*?]{0,9}") {
            proptest::prop_assert_eq!(wildcard_match(&p, &t, false), glob(&chars(&p), &chars(&t)));
        }

        #[test]
        fn ignoring_case_is_the_glob_of_lowercased_text(p in "[aAbB*?]{0,6}", t in "[aAbB]{0,8}") {
            let want = glob(&chars(&p.to_lowercase()), &chars(&t.to_lowercase()));
            proptest::prop_assert_eq!(wildcard_match(&p, &t, true), want);
            proptest::prop_assert_eq!(wildcard_match(&p, &t, false), glob(&chars(&p), &chars(&t)));
        }
    }

    // ---- What a policy grants beyond ours, and whom a trust admits.

    #[test]
    fn wider_grants_name_every_action_and_resource_beyond_ours() {
        let ours = [STREAM];
        let findings = |st: Value| wider_grants(&[doc(st)], &WRITER_ACTIONS, &ours);
        // Our own actions, in any case, on our stream: nothing to say.
        assert!(findings(json!([allow("KINESIS:PUTRECORD", STREAM)])).is_empty());
        assert!(findings(json!([allow(PUT, STREAM), {"Effect": "Allow", "Action": "kinesis:ListShards", "Resource": [STREAM]}])).is_empty());
        assert_eq!(
            findings(json!([allow("kinesis:DeleteStream", STREAM)])),
            ["the role is also allowed 'kinesis:DeleteStream'"]
        );
        assert_eq!(
            findings(json!([allow(PUT, OTHER_STREAM)])),
            [format!("a grant reaches resource '{OTHER_STREAM}'")]
        );
        // Both at once, sorted, each named once however often it is granted.
        assert_eq!(
            findings(json!([allow("kinesis:*", "*"), allow("kinesis:*", "*")])),
            [
                "a grant reaches resource '*'",
                "the role is also allowed 'kinesis:*'"
            ]
        );
        // A Deny grants nothing; neither does a statement without an Effect.
        assert!(findings(json!([deny("*", "*"), {"Action": "*", "Resource": "*"}])).is_empty());
    }

    #[test]
    fn not_action_or_not_resource_in_an_allow_is_always_wider() {
        let na = json!([{"Effect": "Allow", "NotAction": "iam:*", "Resource": STREAM}]);
        let nr = json!([{"Effect": "Allow", "Action": PUT, "NotResource": OTHER_STREAM}]);
        for st in [na, nr] {
            let got = wider_grants(&[doc(st.clone())], &WRITER_ACTIONS, &[STREAM]);
            assert_eq!(
                got,
                ["an Allow statement uses NotAction or NotResource, which grants almost everything"],
                "{st}"
            );
        }
        // In a Deny they only narrow.
        let d = json!([allow(PUT, STREAM), {"Effect": "Deny", "NotAction": PUT, "NotResource": STREAM}]);
        assert!(wider_grants(&[doc(d)], &WRITER_ACTIONS, &[STREAM]).is_empty());
    }

    #[test]
    fn a_trust_admits_the_principals_of_its_assume_role_allows() {
        let root = "arn:aws:iam::210987654321:root";
        let trust = doc(json!([
            // A bare account id means the account's root.
            {"Effect": "Allow", "Principal": {"AWS": ["210987654321"]}, "Action": "sts:AssumeRole"},
            // Other kinds are named with their kind; the external id rides along.
            {"Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"},
             "Action": ["sts:Assume*"],
             "Condition": {"StringEquals": {"sts:ExternalId": ["x-1"]}}},
            // The string form "Principal": "*" admits anyone.
            {"Effect": "Allow", "Principal": "*", "Action": "STS:ASSUMEROLE"},
            // Not an AssumeRole grant, and not an Allow: nobody is admitted by these.
            {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "sts:TagSession"},
            {"Effect": "Deny", "Principal": {"AWS": "222222222222"}, "Action": "sts:AssumeRole"},
            {"Principal": {"AWS": "333333333333"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": "444444444444"}}
        ]));
        assert_eq!(
            trusted_principals(&trust),
            vec![
                (root.to_owned(), None),
                (
                    "Service:firehose.amazonaws.com".to_owned(),
                    Some("x-1".to_owned())
                ),
                ("*".to_owned(), None),
            ]
        );
        // A 12-character principal that is not an account id stays as written, and so does a
        // number of another length.
        let odd = doc(
            json!([{"Effect": "Allow", "Principal": {"AWS": ["AIDAEXAMPLE1", "12345678901"]}, "Action": "sts:AssumeRole"}]),
        );
        let names: Vec<String> = trusted_principals(&odd)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["AIDAEXAMPLE1", "12345678901"]);
    }

    // ---- Equivalence: IAM reads documents back in its own form; only meaning counts.

    #[test]
    fn equivalence_reads_conditions_as_iam_does() {
        let with = |v: Value| {
            doc(
                json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
            "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": v}}}]),
            )
        };
        assert!(equivalent(&with(json!("x")), &with(json!(["x"]))));
        assert!(equivalent(
            &with(json!(["a", "b"])),
            &with(json!(["b", "a", "a"]))
        ));
        assert!(!equivalent(&with(json!("x")), &with(json!("y"))));
        assert!(!equivalent(&with(json!(["x"])), &with(json!(["x", "y"]))));
    }

    #[test]
    fn equivalence_reads_every_list_field_as_a_set() {
        for key in ["Action", "NotAction", "Resource", "NotResource"] {
            let a = doc(json!([{"Effect": "Allow", key: ["b", "a"]}]));
            let b = doc(json!([{"Effect": "Allow", key: ["a", "b", "a"]}]));
            let c = doc(json!([{"Effect": "Allow", key: "a"}]));
            assert!(equivalent(&a, &b), "{key}");
            assert!(!equivalent(&a, &c), "{key}");
        }
        // NotPrincipal reads like Principal.
        let a = doc(json!([{"Effect": "Deny", "NotPrincipal": {"AWS": "210987654321"}}]));
        let b = doc(
            json!([{"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::210987654321:root"]}}]),
        );
        assert!(equivalent(&a, &b));
        // Statement order is not meaning; the version and the effect are.
        let (x, y) = (allow(PUT, STREAM), allow("kinesis:ListShards", STREAM));
        assert!(equivalent(&doc(json!([x, y])), &doc(json!([y, x]))));
        assert!(!equivalent(
            &doc(json!([x])),
            &doc(json!([deny(PUT, STREAM)]))
        ));
        let old = json!({"Version": "2008-10-17", "Statement": [x]});
        assert!(!equivalent(&old, &doc(json!([x]))));
    }

    #[test]
    fn a_principal_is_an_account_id_only_when_it_is_twelve_digits() {
        let p = |who: &str| {
            doc(json!([{"Effect": "Allow", "Principal": {"AWS": who}, "Action": "sts:AssumeRole"}]))
        };
        assert!(equivalent(
            &p("210987654321"),
            &p("arn:aws:iam::210987654321:root")
        ));
        // Eleven digits, or twelve characters that are not all digits, are left as they are.
        assert!(!equivalent(
            &p("21098765432"),
            &p("arn:aws:iam::21098765432:root")
        ));
        assert!(!equivalent(
            &p("21098765432x"),
            &p("arn:aws:iam::21098765432x:root")
        ));
    }

    #[test]
    fn a_document_is_json_as_given_or_url_encoded() {
        let plain = r#"  {"Version": "2012-10-17", "Statement": []}"#;
        assert_eq!(decode_document(plain).unwrap()["Version"], "2012-10-17");
        // A '{' that only appears after decoding is still decoded first; '%7B' raw is not JSON.
        let encoded = "%7B%22Statement%22%3A%5B%5D%7D";
        assert_eq!(decode_document(encoded).unwrap(), json!({"Statement": []}));
        let err = decode_document("%FF%FE").unwrap_err();
        assert!(err.contains("UTF-8"), "{err}");
        let err = decode_document("{not json").unwrap_err();
        assert!(err.contains("not JSON"), "{err}");
    }

    #[test]
    fn our_policy_writes_one_stream_and_uses_its_key() {
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let p = write_policy(STREAM, Some(key));
        for action in WRITER_ACTIONS {
            assert_eq!(
                evaluate(std::slice::from_ref(&p), action, STREAM),
                Allow,
                "{action}"
            );
            assert_eq!(
                evaluate(std::slice::from_ref(&p), action, OTHER_STREAM),
                ImplicitDeny,
                "{action}"
            );
        }
        // The key only through Kinesis (kms:ViaService), as Kinesis asks for it.
        let via = [(VIA_SERVICE, "kinesis.us-east-1.amazonaws.com")];
        assert_eq!(
            evaluate_in(std::slice::from_ref(&p), "kms:GenerateDataKey", key, &via),
            Allow
        );
        assert_eq!(
            evaluate_in(std::slice::from_ref(&p), "kms:Decrypt", key, &via),
            ImplicitDeny
        );
        assert!(wider_grants(std::slice::from_ref(&p), &WRITER_ACTIONS, &[STREAM]).len() == 2);
        let without = write_policy(STREAM, None);
        assert_eq!(
            evaluate(&[without], "kms:GenerateDataKey", key),
            ImplicitDeny
        );
    }

    // ---- Conditions: an Allow counts only when what is known of the request satisfies its
    // condition; every key of a block must hold (AND), any one value of a key suffices (OR).

    #[test]
    fn a_condition_is_decided_by_its_operator_as_iam_reads_it() {
        const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/k";
        let via = [(VIA_SERVICE, "kinesis.us-east-1.amazonaws.com")];
        let table = [
            // (condition, allowed in the context above)
            (
                json!({"StringEquals": {VIA_SERVICE: "kinesis.us-east-1.amazonaws.com"}}),
                true,
            ),
            // StringEquals compares values exactly; StringEqualsIgnoreCase does not.
            (
                json!({"StringEquals": {VIA_SERVICE: "KINESIS.us-east-1.amazonaws.com"}}),
                false,
            ),
            (
                json!({"StringEqualsIgnoreCase": {VIA_SERVICE: "KINESIS.US-EAST-1.AMAZONAWS.COM"}}),
                true,
            ),
            (
                json!({"StringEqualsIgnoreCase": {VIA_SERVICE: "s3.us-east-1.amazonaws.com"}}),
                false,
            ),
            // StringLike takes IAM's wildcards, case-sensitively.
            (
                json!({"StringLike": {VIA_SERVICE: "kinesis.*.amazonaws.com"}}),
                true,
            ),
            (
                json!({"StringLike": {VIA_SERVICE: "kinesis.??-east-?.amazonaws.com"}}),
                true,
            ),
            (json!({"StringLike": {VIA_SERVICE: "KINESIS.*"}}), false),
            (json!({"StringLike": {VIA_SERVICE: "s3.*"}}), false),
            // Any one of a key's values is enough.
            (
                json!({"StringEquals": {VIA_SERVICE: ["s3.us-east-1.amazonaws.com", "kinesis.us-east-1.amazonaws.com"]}}),
                true,
            ),
            // Condition keys are case-insensitive.
            (
                json!({"StringEquals": {"KMS:VIASERVICE": "kinesis.us-east-1.amazonaws.com"}}),
                true,
            ),
            // Every key of the block must hold, across operators too.
            (
                json!({"StringEquals": {VIA_SERVICE: "kinesis.us-east-1.amazonaws.com", "aws:SourceVpc": "vpc-1"}}),
                false,
            ),
            (
                json!({"StringEquals": {VIA_SERVICE: "kinesis.us-east-1.amazonaws.com"}, "StringLike": {VIA_SERVICE: "s3.*"}}),
                false,
            ),
            (
                json!({"StringLike": {VIA_SERVICE: "s3.*"}, "StringEquals": {VIA_SERVICE: "kinesis.us-east-1.amazonaws.com"}}),
                false,
            ),
            // A key the request does not tell, or an operator we do not evaluate: undecided, so
            // the Allow proves nothing.
            (json!({"StringEquals": {"aws:SourceVpc": "vpc-1"}}), false),
            (
                json!({"StringNotEquals": {VIA_SERVICE: "s3.us-east-1.amazonaws.com"}}),
                false,
            ),
            (json!({"ArnLike": {VIA_SERVICE: "*"}}), false),
            (json!("StringEquals"), false),
            (
                json!({"StringEquals": "kinesis.us-east-1.amazonaws.com"}),
                false,
            ),
        ];
        for (condition, allowed) in table {
            let st = json!([{"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": KEY,
                "Condition": condition}]);
            let want = if allowed { Allow } else { ImplicitDeny };
            let got = evaluate_in(&[doc(st)], "kms:GenerateDataKey", KEY, &via);
            assert_eq!(got, want, "{condition}");
        }
    }

    #[test]
    fn a_conditional_deny_counts_unless_the_request_shows_it_does_not_hold() {
        let via = [(VIA_SERVICE, "kinesis.us-east-1.amazonaws.com")];
        let table = [
            // (the Deny's condition, still a Deny)
            (
                json!({"StringEquals": {VIA_SERVICE: "kinesis.us-east-1.amazonaws.com"}}),
                true,
            ),
            (
                json!({"StringEquals": {VIA_SERVICE: "s3.us-east-1.amazonaws.com"}}),
                false,
            ),
            (json!({"StringLike": {VIA_SERVICE: "kinesis.*"}}), true),
            (
                json!({"StringEqualsIgnoreCase": {VIA_SERVICE: "S3.US-EAST-1.AMAZONAWS.COM"}}),
                false,
            ),
            // Undecidable: counted, the cautious reading.
            (json!({"StringEquals": {"aws:SourceIp": "10.0.0.1"}}), true),
            (json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), true),
        ];
        for (condition, denied) in table {
            let st = json!([allow("*", "*"),
                {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition}]);
            let want = if denied { ExplicitDeny } else { Allow };
            assert_eq!(
                evaluate_in(&[doc(st)], PUT, STREAM, &via),
                want,
                "{condition}"
            );
        }
    }

    #[test]
    fn a_broken_evaluator_that_counts_a_conditional_allow_fails_these_rules() {
        // What `check` must never do: read "Allow if aws:SourceIp is ..." as "Allow".
        fn counts_conditional_allows(docs: &[Value], action: &str, resource: &str) -> Decision {
            let unconditional: Vec<Value> = docs
                .iter()
                .map(|d| {
                    let mut d = d.clone();
                    for st in d["Statement"].as_array_mut().into_iter().flatten() {
                        if st["Effect"] == "Allow" {
                            if let Some(o) = st.as_object_mut() {
                                o.remove("Condition");
                            }
                        }
                    }
                    d
                })
                .collect();
            evaluate(&unconditional, action, resource)
        }
        let mut conditional = allow(PUT, STREAM);
        conditional["Condition"] = json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}});
        let docs = [doc(json!([conditional]))];
        assert_eq!(evaluate(&docs, PUT, STREAM), ImplicitDeny);
        assert_ne!(
            counts_conditional_allows(&docs, PUT, STREAM),
            evaluate(&docs, PUT, STREAM)
        );
    }

    // ---- Permission boundaries: IAM allows what the identity policies AND the boundary allow;
    // an explicit Deny in either wins.

    #[test]
    fn a_boundary_intersects_and_any_deny_wins() {
        let allow_put = doc(json!([allow(PUT, STREAM)]));
        let allow_all = doc(json!([allow("*", "*")]));
        let deny_put = doc(json!([allow("*", "*"), deny(PUT, "*")]));
        let nothing = doc(json!([]));
        let table = [
            // (identity, boundary, decision)
            (&allow_put, None, Allow),
            (&nothing, None, ImplicitDeny),
            (&allow_put, Some(&allow_all), Allow),
            (&allow_all, Some(&allow_put), Allow),
            (&allow_put, Some(&nothing), Decision::OutsideBoundary),
            // The boundary grants nothing by itself.
            (&nothing, Some(&allow_all), ImplicitDeny),
            (&nothing, Some(&deny_put), ExplicitDeny),
            (&allow_put, Some(&deny_put), ExplicitDeny),
            (&deny_put, Some(&allow_all), ExplicitDeny),
            (&deny_put, Some(&nothing), ExplicitDeny),
        ];
        for (identity, boundary, want) in table {
            let got = evaluate_bounded(std::slice::from_ref(identity), boundary, PUT, STREAM, &[]);
            assert_eq!(got, want, "{identity} within {boundary:?}");
        }
        // A boundary's conditions read the same context as the identity's.
        let via = [(VIA_SERVICE, "kinesis.us-east-1.amazonaws.com")];
        let mut through_kinesis = allow("*", "*");
        through_kinesis["Condition"] =
            json!({"StringEquals": {VIA_SERVICE: "kinesis.us-east-1.amazonaws.com"}});
        let b = doc(json!([through_kinesis]));
        let id = std::slice::from_ref(&allow_put);
        assert_eq!(evaluate_bounded(id, Some(&b), PUT, STREAM, &via), Allow);
        assert_eq!(
            evaluate_bounded(id, Some(&b), PUT, STREAM, &[]),
            Decision::OutsideBoundary
        );
    }

    #[test]
    fn bare_documents_become_numbered_identity_policies() {
        let (a, b) = (
            doc(json!([allow(PUT, STREAM)])),
            doc(json!([allow("*", "*")])),
        );
        let g = Grants::identity(&[a.clone(), b.clone()]);
        let names: Vec<&str> = g.identity.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["policy 1", "policy 2"]);
        assert_eq!(g.documents(), [a, b]);
        assert_eq!(g.boundary, None);
        assert_eq!(g.decide("iam:CreateRole", "*", &[]), Allow);
        assert_eq!(
            g.beyond("policy 2", &WRITER_ACTIONS, &[STREAM]),
            Vec::<String>::new()
        );
        assert_eq!(
            g.beyond("policy 1", &WRITER_ACTIONS, &[STREAM]),
            [
                "policy 2: a grant reaches resource '*'",
                "policy 2: the role is also allowed '*'"
            ]
        );
        assert_eq!(Grants::identity(&[]), Grants::default());
    }

    #[test]
    fn what_a_document_allows_is_its_allow_statements_actions_and_resources() {
        let d = doc(json!([
            {"Effect": "Allow", "Action": [PUT, "kinesis:ListShards"], "Resource": STREAM},
            deny("kinesis:DeleteStream", OTHER_STREAM),
            {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": ["k1", "k2"]},
            {"Action": "iam:*", "Resource": "*"}
        ]));
        assert_eq!(
            allowed_by(&d),
            (
                vec![
                    PUT.to_owned(),
                    "kinesis:ListShards".to_owned(),
                    "kms:GenerateDataKey".to_owned()
                ],
                vec![STREAM.to_owned(), "k1".to_owned(), "k2".to_owned()]
            )
        );
        assert_eq!(allowed_by(&doc(json!([]))), (vec![], vec![]));
    }

    #[test]
    fn cloudwatch_may_use_the_topic_key_to_publish_alarms() {
        let st = cloudwatch_key_statement();
        assert_eq!(
            st["Principal"],
            json!({"Service": "cloudwatch.amazonaws.com"})
        );
        let key = "arn:aws:kms:us-east-1:123456789012:key/k";
        let d = [doc(json!([st]))];
        for action in [
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext",
        ] {
            assert_eq!(evaluate(&d, action, key), Allow, "{action}");
        }
        assert_eq!(evaluate(&d, "kms:ScheduleKeyDeletion", key), ImplicitDeny);
    }

    #[test]
    fn the_trust_change_names_what_becomes_of_the_external_id() {
        let ext = |s: &str| ExternalId::parse("--external-id", s).unwrap();
        let root = acct("210987654321");
        let (none, a, b) = (
            trust_policy(&root, None),
            trust_policy(&root, Some(&ext("district-42"))),
            trust_policy(&root, Some(&ext("district-43"))),
        );
        let table = [
            (&none, &none, None),
            (&a, &a, None),
            (&none, &a, Some("require the external id")),
            (&a, &none, Some("remove the external id condition")),
            (&a, &b, Some("change the required external id")),
        ];
        for (before, after, want) in table {
            assert_eq!(
                trust_change(before, after).as_deref(),
                want,
                "{before} -> {after}"
            );
        }
        let nobody = doc(json!([]));
        assert_eq!(
            trust_change(&none, &nobody).as_deref(),
            Some("trusted account arn:aws:iam::210987654321:root -> nobody")
        );
    }

    // ---- line_diff: what a person reads before saying yes must be the change, all of it.

    #[test]
    fn a_changed_line_reads_as_its_removal_then_its_addition() {
        let a = doc(json!([allow(PUT, STREAM)]));
        let b = doc(json!([allow(PUT, OTHER_STREAM)]));
        assert_eq!(
            line_diff(&a, &b),
            [
                format!("-         \"{STREAM}\""),
                format!("+         \"{OTHER_STREAM}\"")
            ]
        );
        assert!(line_diff(&a, &a).is_empty());
        // Form is not change: the diff is of the meaning.
        let c = doc(allow(PUT, STREAM));
        assert!(line_diff(&a, &c).is_empty());
    }

    #[test]
    fn added_and_removed_statements_show_whole() {
        let a = doc(json!([allow(PUT, STREAM)]));
        let b = doc(json!([allow(PUT, STREAM), deny("*", OTHER_STREAM)]));
        let added = line_diff(&a, &b);
        assert!(added.iter().all(|l| l.starts_with("+ ")), "{added:?}");
        assert!(
            added.contains(&"+       \"Effect\": \"Deny\",".to_owned()),
            "{added:?}"
        );
        let removed = line_diff(&b, &a);
        assert!(removed.iter().all(|l| l.starts_with("- ")), "{removed:?}");
        assert_eq!(added.len(), removed.len());
    }

    /// The longest common subsequence's length, by its recursive definition.
    fn lcs_len(a: &[&str], b: &[&str]) -> usize {
        match (a.split_first(), b.split_first()) {
            (Some((x, ar)), Some((y, br))) if x == y => 1 + lcs_len(ar, br),
            (Some((_, ar)), Some((_, br))) => lcs_len(ar, b).max(lcs_len(a, br)),
            _ => 0,
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, ..Default::default() })]

        #[test]
        fn an_edit_script_rebuilds_both_documents_and_marks_only_changes(
            a in proptest::collection::vec("[abc]", 0..8),
            b in proptest::collection::vec("[abc]", 0..8),
        ) {
            let (a, b): (Vec<&str>, Vec<&str>) = (a.iter().map(String::as_str).collect(), b.iter().map(String::as_str).collect());
            let script = edit_script(&a, &b);
            // Applying the script to the old document yields the new one, and undoing it the old.
            let new: Vec<&str> = script.iter().filter_map(|e| match e { Edit::Keep(l) | Edit::Add(l) => Some(*l), Edit::Remove(_) => None }).collect();
            let old: Vec<&str> = script.iter().filter_map(|e| match e { Edit::Keep(l) | Edit::Remove(l) => Some(*l), Edit::Add(_) => None }).collect();
            proptest::prop_assert_eq!(&new, &b);
            proptest::prop_assert_eq!(&old, &a);
            // Unchanged lines are never marked: every line of a longest common subsequence is kept.
            let kept = script.iter().filter(|e| matches!(e, Edit::Keep(_))).count();
            proptest::prop_assert_eq!(kept, lcs_len(&a, &b));
            // Where a line changes, its removal comes first.
            for w in script.windows(2) {
                proptest::prop_assert!(!matches!(w, [Edit::Add(_), Edit::Remove(_)]), "{:?}", script);
            }
        }

        #[test]
        fn a_policy_diff_is_its_documents_edit_script(
            a in proptest::collection::vec(("[ab]", "[xy]"), 0..4),
            b in proptest::collection::vec(("[ab]", "[xy]"), 0..4),
        ) {
            let policy = |sts: &[(String, String)]| doc(sts.iter().map(|(a, r)| allow(a, r)).collect());
            let (pa, pb) = (policy(&a), policy(&b));
            let (ta, tb) = (serde_json::to_string_pretty(&normalize(&pa)).unwrap(), serde_json::to_string_pretty(&normalize(&pb)).unwrap());
            let (la, lb): (Vec<&str>, Vec<&str>) = (ta.lines().collect(), tb.lines().collect());
            let marked: Vec<String> = edit_script(&la, &lb).into_iter().filter_map(|e| match e {
                Edit::Keep(_) => None,
                Edit::Add(l) => Some(format!("+ {l}")),
                Edit::Remove(l) => Some(format!("- {l}")),
            }).collect();
            proptest::prop_assert_eq!(line_diff(&pa, &pb), marked);
            proptest::prop_assert_eq!(line_diff(&pa, &pb).is_empty(), equivalent(&pa, &pb));
        }
    }
}
