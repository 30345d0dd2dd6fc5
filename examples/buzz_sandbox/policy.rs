//! A small IAM policy evaluator, because the emulator behind the sandbox (moto) does not enforce
//! IAM: without this, a role that real AWS would refuse would pass Buzz's test here.
//!
//! It covers what a Buzz role's policies use: `Effect`, `Action`/`NotAction` and
//! `Resource`/`NotResource` (string or list, `*` and `?` wildcards; actions match without regard
//! to case, resources with), `Principal`/`NotPrincipal` for trust policies (an account, or an
//! AWS service such as `firehose.amazonaws.com` assuming its role), and the condition
//! operators a trust policy uses for an external id (`StringEquals`, `StringLike`, their `Not` and
//! `IgnoreCase` forms, `...IfExists`, `Null`). An explicit Deny beats any Allow; no Allow is an
//! implicit deny. A condition it cannot evaluate counts as not met, so a statement resting on one
//! neither grants nor denies — the cautious reading for "would Buzz's AssumeRole succeed?".
//! When Buzz sends an external id, an Allow in the trust only counts if it tests that id.

use serde_json::Value;

/// What is being asked, in IAM's terms.
#[derive(Debug)]
pub struct Request<'a> {
    pub action: &'a str,
    /// `None` for a trust policy, which has no `Resource` element.
    pub resource: Option<&'a str>,
    /// Who calls, for a trust policy; `None` for an identity policy.
    pub principal: Option<Caller<'a>>,
    /// Condition keys present in the request (lowercase key, value).
    pub context: &'a [(&'a str, &'a str)],
    /// When set, an Allow only counts if its `Condition` tests this key. Agilix sends an external
    /// id only when it expects the customer's trust to require it; a trust that ignores the id
    /// defeats its purpose (the confused-deputy guard), so Buzz's test treats it as a refusal.
    pub required_condition_key: Option<&'a str>,
}

/// Who asks to assume a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    /// An AWS account (its 12-digit id): Agilix's, for Buzz.
    Account(&'a str),
    /// An AWS service principal, e.g. `firehose.amazonaws.com`.
    Service(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

/// Evaluates several policy documents together (as IAM does for a role's inline and managed
/// policies): any matching Deny wins, else any matching Allow, else implicit deny.
pub fn evaluate(documents: &[Value], request: &Request<'_>) -> Decision {
    let mut allowed = false;
    for statement in documents.iter().flat_map(statements) {
        if !statement_applies(statement, request) {
            continue;
        }
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Deny") => return Decision::ExplicitDeny,
            Some("Allow") => {
                allowed |= request
                    .required_condition_key
                    .is_none_or(|key| condition_mentions(statement, key))
            }
            _ => {}
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

/// Whether a statement's `Condition` has `key` under any operator.
fn condition_mentions(statement: &Value, key: &str) -> bool {
    statement
        .get("Condition")
        .and_then(Value::as_object)
        .is_some_and(|operators| {
            operators
                .values()
                .filter_map(Value::as_object)
                .any(|keys| keys.keys().any(|k| k.eq_ignore_ascii_case(key)))
        })
}

/// `Statement` may be a single object or a list of them.
fn statements(document: &Value) -> Vec<&Value> {
    match document.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    }
}

/// A string-or-list element as a list of strings (other JSON shapes match nothing).
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn statement_applies(statement: &Value, request: &Request<'_>) -> bool {
    let action_matches = |element: &Value| {
        strings(element).iter().any(|pattern| {
            wildcard_match(
                &pattern.to_ascii_lowercase(),
                &request.action.to_ascii_lowercase(),
            )
        })
    };
    let action_ok = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(actions), _) => action_matches(actions),
        (None, Some(not_actions)) => !action_matches(not_actions),
        (None, None) => false,
    };
    if !action_ok {
        return false;
    }

    if let Some(resource) = request.resource {
        let resource_matches = |element: &Value| {
            strings(element)
                .iter()
                .any(|pattern| wildcard_match(pattern, resource))
        };
        let resource_ok = match (statement.get("Resource"), statement.get("NotResource")) {
            (Some(resources), _) => resource_matches(resources),
            (None, Some(not_resources)) => !resource_matches(not_resources),
            (None, None) => false,
        };
        if !resource_ok {
            return false;
        }
    }

    if let Some(caller) = request.principal {
        let principal_ok = match (statement.get("Principal"), statement.get("NotPrincipal")) {
            (Some(principal), _) => principal_admits(principal, caller),
            (None, Some(not_principal)) => !principal_admits(not_principal, caller),
            (None, None) => false,
        };
        if !principal_ok {
            return false;
        }
    }

    match statement.get("Condition") {
        None => true,
        Some(condition) => conditions_hold(condition, request.context),
    }
}

/// Whether a `Principal` element names the caller. An account: `"*"`, `{"AWS": "*"}`, the
/// account's root ARN or its bare 12-digit id (a specific role or user of that account is not
/// the caller Buzz uses as far as we know, so it does not count). A service: `"*"` or its name
/// under `Service`, exactly (an `AWS` entry never names a service).
pub fn principal_admits(principal: &Value, caller: Caller<'_>) -> bool {
    if principal.as_str() == Some("*") {
        return true;
    }
    match caller {
        Caller::Account(account) => principal.get("AWS").is_some_and(|aws| {
            strings(aws).iter().any(|entry| {
                let entry = entry.trim();
                entry == "*" || entry == account || is_root_arn_of(entry, account)
            })
        }),
        Caller::Service(service) => principal
            .get("Service")
            .is_some_and(|names| strings(names).contains(&service)),
    }
}

fn is_root_arn_of(arn: &str, account: &str) -> bool {
    // arn:<partition>:iam::<account>:root
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4] == account
        && parts[5] == "root"
}

/// All operators must hold, and within one operator every key; within a key any value may match.
fn conditions_hold(condition: &Value, context: &[(&str, &str)]) -> bool {
    let Some(operators) = condition.as_object() else {
        return false;
    };
    operators.iter().all(|(operator, keys)| {
        let Some(keys) = keys.as_object() else {
            return false;
        };
        keys.iter().all(|(key, expected)| {
            let present = context
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| *v);
            operator_holds(operator, present, &strings(expected))
        })
    })
}

fn operator_holds(operator: &str, present: Option<&str>, expected: &[&str]) -> bool {
    if operator == "Null" {
        // {"Null": {"key": "true"}} holds when the key is absent, "false" when present.
        return expected
            .iter()
            .any(|e| match e.to_ascii_lowercase().as_str() {
                "true" => present.is_none(),
                "false" => present.is_some(),
                _ => false,
            });
    }
    let (base, if_exists) = match operator.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    let Some(value) = present else {
        // AWS: a missing key fails a positive operator and satisfies a negated one; IfExists
        // makes any operator hold.
        return if_exists || base.starts_with("StringNot");
    };
    let any = |f: &dyn Fn(&str) -> bool| expected.iter().any(|e| f(e));
    match base {
        "StringEquals" => any(&|e| e == value),
        "StringNotEquals" => !any(&|e| e == value),
        "StringEqualsIgnoreCase" => any(&|e| e.eq_ignore_ascii_case(value)),
        "StringNotEqualsIgnoreCase" => !any(&|e| e.eq_ignore_ascii_case(value)),
        "StringLike" => any(&|e| wildcard_match(e, value)),
        "StringNotLike" => !any(&|e| wildcard_match(e, value)),
        // Operators on keys we never supply (dates, IPs, ARNs, ForAnyValue:...) cannot be decided.
        _ => false,
    }
}

/// IAM's glob: `*` is any run of characters (also none), `?` exactly one. Case-sensitive; callers
/// lowercase both sides when IAM compares without case.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and which text position it currently swallows up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const STREAM: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/events";

    fn put(docs: &[Value]) -> Decision {
        evaluate(
            docs,
            &Request {
                action: "kinesis:PutRecord",
                resource: Some(STREAM),
                principal: None,
                context: &[],
                required_condition_key: None,
            },
        )
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("kinesis:put*", "kinesis:putrecord"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a?c*", "abcdef"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("arn:aws:kinesis:*:*:stream/ev*", STREAM));
        assert!(!wildcard_match("arn:aws:kinesis:*:*:stream/other", STREAM));
    }

    #[test]
    fn allow_deny_and_implicit_deny() {
        let allow = json!({"Statement": {"Effect": "Allow", "Action": ["kinesis:PutRecord"], "Resource": STREAM}});
        let deny =
            json!({"Statement": [{"Effect": "Deny", "Action": "kinesis:*", "Resource": "*"}]});
        let other = json!({"Statement": [{"Effect": "Allow", "Action": "kinesis:PutRecord",
            "Resource": "arn:aws:kinesis:us-east-1:123456789012:stream/other"}]});
        let not_action =
            json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]});
        assert_eq!(put(std::slice::from_ref(&allow)), Decision::Allow);
        assert_eq!(put(&[allow, deny]), Decision::ExplicitDeny);
        assert_eq!(put(&[other]), Decision::ImplicitDeny);
        assert_eq!(put(&[not_action]), Decision::Allow);
        let case = json!({"Statement": [{"Effect": "Allow", "Action": "KINESIS:putrecord", "Resource": STREAM}]});
        assert_eq!(put(&[case]), Decision::Allow);
    }

    #[test]
    fn trust_with_external_id() {
        let trust = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["210987654321"]},
            "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "xyz"}}}]});
        let ask = |context: &[(&str, &str)]| {
            evaluate(
                std::slice::from_ref(&trust),
                &Request {
                    action: "sts:AssumeRole",
                    resource: None,
                    principal: Some(Caller::Account("210987654321")),
                    context,
                    required_condition_key: Some("sts:ExternalId"),
                },
            )
        };
        assert_eq!(ask(&[("sts:externalid", "xyz")]), Decision::Allow);
        assert_eq!(ask(&[("sts:externalid", "abc")]), Decision::ImplicitDeny);
        assert_eq!(ask(&[]), Decision::ImplicitDeny);

        let bare = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
            "Action": "sts:AssumeRole"}]});
        let with_id = Request {
            action: "sts:AssumeRole",
            resource: None,
            principal: Some(Caller::Account("210987654321")),
            context: &[("sts:externalid", "xyz")],
            required_condition_key: Some("sts:ExternalId"),
        };
        assert_eq!(
            evaluate(std::slice::from_ref(&bare), &with_id),
            Decision::ImplicitDeny
        );
    }

    /// Firehose assumes its role as the service, with the account id as `sts:ExternalId` and no
    /// `aws:SourceAccount` (no AWS page says it sends one): the documented trust is assumable,
    /// one resting on `aws:SourceAccount` is not, and neither is another service's or an account's.
    #[test]
    fn firehose_assumes_its_role_as_a_service_with_the_account_as_external_id() {
        let firehose = |condition: Value| {
            json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"},
                "Action": "sts:AssumeRole", "Condition": condition}]})
        };
        let ask = |trust: &Value, caller: Caller<'_>| {
            evaluate(
                std::slice::from_ref(trust),
                &Request {
                    action: "sts:AssumeRole",
                    resource: None,
                    principal: Some(caller),
                    context: &[("sts:externalid", "123456789012")],
                    required_condition_key: None,
                },
            )
        };
        let service = Caller::Service("firehose.amazonaws.com");
        let documented = firehose(json!({"StringEquals": {"sts:ExternalId": "123456789012"}}));
        assert_eq!(ask(&documented, service), Decision::Allow);
        let other_account = firehose(json!({"StringEquals": {"sts:ExternalId": "999999999999"}}));
        assert_eq!(ask(&other_account, service), Decision::ImplicitDeny);
        let source_account =
            firehose(json!({"StringEquals": {"aws:SourceAccount": "123456789012"}}));
        assert_eq!(ask(&source_account, service), Decision::ImplicitDeny);
        let both = firehose(json!({"StringEquals": {"sts:ExternalId": "123456789012",
            "aws:SourceAccount": "123456789012"}}));
        assert_eq!(ask(&both, service), Decision::ImplicitDeny);
        assert_eq!(
            ask(&documented, Caller::Service("lambda.amazonaws.com")),
            Decision::ImplicitDeny
        );
        assert_eq!(
            ask(&documented, Caller::Account("123456789012")),
            Decision::ImplicitDeny
        );
        let listed = json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": ["glue.amazonaws.com", "firehose.amazonaws.com"]}}]});
        assert_eq!(ask(&listed, service), Decision::Allow);
        let anyone = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]});
        assert_eq!(ask(&anyone, service), Decision::Allow);
        // An account's wildcard is not a service's.
        let any_account = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]});
        assert_eq!(ask(&any_account, service), Decision::ImplicitDeny);
        assert_eq!(
            ask(&any_account, Caller::Account("123456789012")),
            Decision::Allow
        );
    }
}
