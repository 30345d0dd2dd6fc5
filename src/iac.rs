//! Infrastructure-as-code templates of what `setup` builds, for teams that manage AWS in a
//! repository: a CloudFormation template (JSON) and a Terraform configuration (HCL). Both hold
//! the stream, the role Agilix assumes (12-hour sessions) with its trust and inline policy, and
//! outputs with the ARNs and the `SetDataStreamConfiguration` request to send to Buzz. The
//! documents come from [`crate::policy`] and the request from [`crate::buzz::wire`], so a
//! template can never drift from what setup applies. Pure: no I/O.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::buzz::wire::{self, KinesisTarget};
use crate::names::{EventFilter, KmsKey, RetentionHours};
use crate::plan::MAX_SESSION_SECONDS;
use crate::policy;
use crate::sizing::Capacity;

/// Stand-ins for values only the deployment knows, replaced by each dialect's reference. The
/// control character keeps them apart from anything a user can type: every validated name and
/// title refuses control characters.
const STREAM_ARN: &str = "\u{1}stream_arn\u{1}";
const ROLE_ARN: &str = "\u{1}role_arn\u{1}";
const REGION: &str = "\u{1}region\u{1}";
const DOMAIN: &str = "\u{1}domain\u{1}";

/// What a template describes: the values setup would use.
#[derive(Debug, Clone)]
pub struct Blueprint {
    pub stream: String,
    pub capacity: Capacity,
    pub retention: RetentionHours,
    pub kms_key: Option<KmsKey>,
    /// Tags for the stream and the role, `managed-by` included.
    pub tags: BTreeMap<String, String>,
    pub role: String,
    pub trust: Value,
    pub title: String,
    pub events: Vec<EventFilter>,
    /// The Buzz domain, when known; else the template asks for it.
    pub domain: Option<String>,
}

const HEADER: &str = "The Agilix Buzz data stream to Amazon Kinesis: the stream, the cross-account role Agilix assumes (12-hour sessions) and its least-privilege inline policy, as `buzz-kinesis setup` makes them.";

const REQUEST_HELP: &str = "The SetDataStreamConfiguration request for Buzz's API console: send it first with \"test\": true (Buzz tests the target and saves nothing), then as it is. Buzz replaces the domain's whole configuration, so add the domain's other targets to it, or run `buzz-kinesis setup`, which keeps them.";

const DOMAIN_HELP: &str = "The Buzz domain that sends its events: numeric id or //userspace.";

impl Blueprint {
    /// The permission policy, its stream (and key) as given by `stream_arn`.
    fn permission(&self) -> Value {
        let key = self
            .kms_key
            .as_ref()
            .filter(|k| k.is_customer_managed())
            .map(KmsKey::as_str);
        policy::write_policy(STREAM_ARN, key)
    }

    /// The request to send to Buzz: our target alone, enabled (the seed's second step).
    fn request(&self) -> Value {
        let target = KinesisTarget {
            title: self.title.clone(),
            enabled: true,
            stream: self.stream.clone(),
            role_arn: ROLE_ARN.into(),
            region: REGION.into(),
            filters: self.events.clone(),
        };
        let config = wire::with_target(&Map::new(), &target);
        wire::request_body(
            wire::CMD_SET_CONFIG,
            wire::set_request(DOMAIN, &config, false),
        )
    }
}

/// Replace every string equal to a stand-in by its replacement, anywhere in `v`.
fn substitute(v: &Value, subs: &[(&str, Value)]) -> Value {
    match v {
        Value::String(s) => subs
            .iter()
            .find(|(from, _)| from == s)
            .map(|(_, to)| to.clone())
            .unwrap_or_else(|| v.clone()),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, subs)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), substitute(x, subs)))
                .collect(),
        ),
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// CloudFormation

const CFN_STREAM: &str = "BuzzStream";
const CFN_ROLE: &str = "BuzzWriterRole";
const CFN_DOMAIN: &str = "BuzzDomainId";

fn cfn_tags(tags: &BTreeMap<String, String>) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// A CloudFormation template (JSON, which CloudFormation reads as well as YAML).
pub fn cloudformation(b: &Blueprint) -> Value {
    let stream_arn = json!({"Fn::GetAtt": [CFN_STREAM, "Arn"]});
    let mut stream = Map::new();
    stream.insert("Name".into(), json!(b.stream));
    match b.capacity {
        Capacity::OnDemand => {
            stream.insert(
                "StreamModeDetails".into(),
                json!({"StreamMode": "ON_DEMAND"}),
            );
        }
        Capacity::Provisioned(n) => {
            stream.insert(
                "StreamModeDetails".into(),
                json!({"StreamMode": "PROVISIONED"}),
            );
            stream.insert("ShardCount".into(), json!(n.get()));
        }
    }
    stream.insert("RetentionPeriodHours".into(), json!(b.retention.get()));
    if let Some(k) = &b.kms_key {
        stream.insert(
            "StreamEncryption".into(),
            json!({"EncryptionType": "KMS", "KeyId": k.as_str()}),
        );
    }
    stream.insert("Tags".into(), cfn_tags(&b.tags));
    let permission = substitute(&b.permission(), &[(STREAM_ARN, stream_arn.clone())]);

    // Fn::Sub reads `${...}` as a reference: any literal one is written `${!...}`. The
    // stand-ins appear JSON-escaped in the serialized request.
    let escaped = |marker: &str| serde_json::to_string(marker).unwrap_or_default();
    let request = b
        .request()
        .to_string()
        .replace("${", "${!")
        .replace(&escaped(ROLE_ARN), &format!("\"${{{CFN_ROLE}.Arn}}\""))
        .replace(&escaped(REGION), "\"${AWS::Region}\"")
        .replace(&escaped(DOMAIN), &format!("\"${{{CFN_DOMAIN}}}\""));

    let mut domain = json!({
        "Type": "String",
        "Description": DOMAIN_HELP,
        "AllowedPattern": "^([0-9]{1,19}|//[A-Za-z0-9_.-]{1,128})$",
    });
    if let Some(d) = &b.domain {
        domain["Default"] = json!(d);
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("{HEADER} Generated by buzz-kinesis {}.", env!("CARGO_PKG_VERSION")),
        "Parameters": {CFN_DOMAIN: domain},
        "Resources": {
            CFN_STREAM: {
                "Type": "AWS::Kinesis::Stream",
                // Like the tool, which deletes a stream only when asked twice: deleting the
                // stack keeps the stream and its records.
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": stream,
            },
            CFN_ROLE: {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": b.role,
                    "Description": policy::ROLE_DESCRIPTION,
                    "MaxSessionDuration": MAX_SESSION_SECONDS,
                    "AssumeRolePolicyDocument": b.trust,
                    "Policies": [{"PolicyName": policy::POLICY_NAME, "PolicyDocument": permission}],
                    "Tags": cfn_tags(&b.tags),
                },
            },
        },
        "Outputs": {
            "StreamArn": {
                "Description": "The Kinesis stream Buzz writes to.",
                "Value": stream_arn,
            },
            "RoleArn": {
                "Description": "The role Agilix assumes (roleArn in Buzz's configuration).",
                "Value": {"Fn::GetAtt": [CFN_ROLE, "Arn"]},
            },
            "SetDataStreamConfiguration": {
                "Description": REQUEST_HELP,
                "Value": {"Fn::Sub": request},
            },
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Terraform

const TF_STREAM: &str = "aws_kinesis_stream.buzz";
const TF_ROLE: &str = "aws_iam_role.buzz";

/// An HCL value.
#[derive(Debug, Clone, PartialEq)]
enum Hcl {
    Str(String),
    /// An expression written as is: a reference, a type, a number.
    Expr(String),
    Bool(bool),
    List(Vec<Hcl>),
    Object(Vec<(String, Hcl)>),
    /// A function call with one argument, e.g. `jsonencode({...})`.
    Call(&'static str, Box<Hcl>),
}

impl Hcl {
    fn str(s: impl Into<String>) -> Self {
        Hcl::Str(s.into())
    }
    fn expr(s: impl Into<String>) -> Self {
        Hcl::Expr(s.into())
    }

    /// A JSON value as HCL, with stand-in strings made into references.
    fn from_json(v: &Value, refs: &[(&str, &str)]) -> Self {
        match v {
            Value::Null => Hcl::expr("null"),
            Value::Bool(b) => Hcl::Bool(*b),
            Value::Number(n) => Hcl::expr(n.to_string()),
            Value::String(s) => match refs.iter().find(|(from, _)| from == s) {
                Some((_, to)) => Hcl::expr(*to),
                None => Hcl::str(s.as_str()),
            },
            Value::Array(a) => Hcl::List(a.iter().map(|x| Hcl::from_json(x, refs)).collect()),
            Value::Object(o) => Hcl::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), Hcl::from_json(x, refs)))
                    .collect(),
            ),
        }
    }

    fn is_multiline(&self) -> bool {
        match self {
            Hcl::List(items) => items
                .iter()
                .any(|i| matches!(i, Hcl::List(_) | Hcl::Object(_) | Hcl::Call(..))),
            Hcl::Object(items) => !items.is_empty(),
            Hcl::Call(_, arg) => arg.is_multiline(),
            _ => false,
        }
    }

    /// Write the value; `indent` is the indentation of the line it starts on.
    fn write(&self, out: &mut String, indent: usize) {
        match self {
            Hcl::Str(s) => out.push_str(&hcl_string(s)),
            Hcl::Expr(e) => out.push_str(e),
            Hcl::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Hcl::Call(f, arg) => {
                out.push_str(f);
                out.push('(');
                arg.write(out, indent);
                out.push(')');
            }
            Hcl::List(items) if !self.is_multiline() => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out, indent);
                }
                out.push(']');
            }
            Hcl::List(items) => {
                out.push_str("[\n");
                for item in items {
                    pad(out, indent + 2);
                    item.write(out, indent + 2);
                    out.push_str(",\n");
                }
                pad(out, indent);
                out.push(']');
            }
            Hcl::Object(items) if items.is_empty() => out.push_str("{}"),
            Hcl::Object(items) => {
                out.push_str("{\n");
                let entries: Vec<(String, &Hcl)> =
                    items.iter().map(|(k, v)| (hcl_key(k), v)).collect();
                write_aligned(out, &entries, indent + 2);
                pad(out, indent);
                out.push('}');
            }
        }
    }
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// `key = value` lines, their `=` aligned the way `terraform fmt` does: each run of one-line
/// attributes is aligned together; an attribute whose value spans lines stands alone.
fn write_aligned(out: &mut String, entries: &[(String, &Hcl)], indent: usize) {
    let mut start = 0;
    while start < entries.len() {
        let mut end = start + 1;
        if !entries[start].1.is_multiline() {
            while end < entries.len() && !entries[end].1.is_multiline() {
                end += 1;
            }
        }
        let width = entries[start..end]
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in &entries[start..end] {
            pad(out, indent);
            let _ = write!(out, "{k:<width$} = ");
            v.write(out, indent);
            out.push('\n');
        }
        start = end;
    }
}

/// An object key: bare when it is an identifier, else quoted.
fn hcl_key(k: &str) -> String {
    let mut chars = k.chars();
    let ident = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident {
        k.to_owned()
    } else {
        hcl_string(k)
    }
}

/// A quoted HCL string: escapes, and `${` / `%{` doubled so that nothing is interpolated.
fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A block: `type "label" ... { attributes, then nested blocks }`.
struct Block {
    kind: &'static str,
    labels: Vec<String>,
    attrs: Vec<(String, Hcl)>,
    blocks: Vec<Block>,
}

impl Block {
    fn new(kind: &'static str, labels: &[&str]) -> Self {
        Self {
            kind,
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            attrs: Vec::new(),
            blocks: Vec::new(),
        }
    }
    fn attr(mut self, name: &str, value: Hcl) -> Self {
        self.attrs.push((name.to_owned(), value));
        self
    }
    fn block(mut self, b: Block) -> Self {
        self.blocks.push(b);
        self
    }

    fn write(&self, out: &mut String, indent: usize) {
        pad(out, indent);
        out.push_str(self.kind);
        for l in &self.labels {
            out.push(' ');
            out.push_str(&hcl_string(l));
        }
        if self.attrs.is_empty() && self.blocks.is_empty() {
            out.push_str(" {}\n");
            return;
        }
        out.push_str(" {\n");
        let entries: Vec<(String, &Hcl)> = self.attrs.iter().map(|(k, v)| (k.clone(), v)).collect();
        write_aligned(out, &entries, indent + 2);
        for b in &self.blocks {
            if !self.attrs.is_empty() {
                out.push('\n');
            }
            b.write(out, indent + 2);
        }
        pad(out, indent);
        out.push_str("}\n");
    }
}

fn tf_tags(tags: &BTreeMap<String, String>) -> Hcl {
    Hcl::Object(
        tags.iter()
            .map(|(k, v)| (k.clone(), Hcl::str(v.as_str())))
            .collect(),
    )
}

/// A Terraform configuration (HCL) for the hashicorp/aws provider.
pub fn terraform(b: &Blueprint) -> String {
    let stream_arn = format!("{TF_STREAM}.arn");
    let role_arn = format!("{TF_ROLE}.arn");
    let mut out = String::new();
    for line in wrap(
        &format!(
            "{HEADER} Generated by buzz-kinesis {}. {REQUEST_HELP}",
            env!("CARGO_PKG_VERSION")
        ),
        96,
    ) {
        let _ = writeln!(out, "# {line}");
    }
    out.push('\n');

    let blocks = [
        Block::new("terraform", &[]).block(Block::new("required_providers", &[]).attr(
            "aws",
            Hcl::Object(vec![
                ("source".into(), Hcl::str("hashicorp/aws")),
                ("version".into(), Hcl::str(">= 4.0")),
            ]),
        )),
        {
            let mut v = Block::new("variable", &["buzz_domain_id"])
                .attr("description", Hcl::str(DOMAIN_HELP))
                .attr("type", Hcl::expr("string"));
            if let Some(d) = &b.domain {
                v = v.attr("default", Hcl::str(d.as_str()));
            }
            v
        },
        Block::new("data", &["aws_region", "current"]),
        {
            let mut s = Block::new("resource", &["aws_kinesis_stream", "buzz"])
                .attr("name", Hcl::str(b.stream.as_str()))
                .attr("retention_period", Hcl::expr(b.retention.get().to_string()));
            let mode = match b.capacity {
                Capacity::OnDemand => "ON_DEMAND",
                Capacity::Provisioned(n) => {
                    s = s.attr("shard_count", Hcl::expr(n.get().to_string()));
                    "PROVISIONED"
                }
            };
            if let Some(k) = &b.kms_key {
                s = s
                    .attr("encryption_type", Hcl::str("KMS"))
                    .attr("kms_key_id", Hcl::str(k.as_str()));
            }
            s.attr("tags", tf_tags(&b.tags))
                .block(Block::new("stream_mode_details", &[]).attr("stream_mode", Hcl::str(mode)))
                // Like the tool, which deletes a stream only when asked twice.
                .block(Block::new("lifecycle", &[]).attr("prevent_destroy", Hcl::Bool(true)))
        },
        Block::new("resource", &["aws_iam_role", "buzz"])
            .attr("name", Hcl::str(b.role.as_str()))
            .attr("description", Hcl::str(policy::ROLE_DESCRIPTION))
            .attr(
                "max_session_duration",
                Hcl::expr(MAX_SESSION_SECONDS.to_string()),
            )
            .attr(
                "assume_role_policy",
                Hcl::Call("jsonencode", Box::new(Hcl::from_json(&b.trust, &[]))),
            )
            .attr("tags", tf_tags(&b.tags)),
        Block::new("resource", &["aws_iam_role_policy", "buzz"])
            .attr("name", Hcl::str(policy::POLICY_NAME))
            .attr("role", Hcl::expr(format!("{TF_ROLE}.id")))
            .attr(
                "policy",
                Hcl::Call(
                    "jsonencode",
                    Box::new(Hcl::from_json(
                        &b.permission(),
                        &[(STREAM_ARN, stream_arn.as_str())],
                    )),
                ),
            ),
        Block::new("output", &["stream_arn"])
            .attr(
                "description",
                Hcl::str("The Kinesis stream Buzz writes to."),
            )
            .attr("value", Hcl::expr(stream_arn.as_str())),
        Block::new("output", &["role_arn"])
            .attr(
                "description",
                Hcl::str("The role Agilix assumes (roleArn in Buzz's configuration)."),
            )
            .attr("value", Hcl::expr(role_arn.as_str())),
        Block::new("output", &["set_data_stream_configuration"])
            .attr("description", Hcl::str(REQUEST_HELP))
            .attr(
                "value",
                Hcl::Call(
                    "jsonencode",
                    Box::new(Hcl::from_json(
                        &b.request(),
                        &[
                            (ROLE_ARN, role_arn.as_str()),
                            // `id` is the region's name in every provider version (`name` is
                            // deprecated in v6, `region` is new in v6).
                            (REGION, "data.aws_region.current.id"),
                            (DOMAIN, "var.buzz_domain_id"),
                        ],
                    )),
                ),
            ),
    ];
    for (i, block) in blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        block.write(&mut out, 0);
    }
    out
}

/// Words of `text` in lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::{AccountId, ShardCount};

    fn blueprint() -> Blueprint {
        let agilix = AccountId::parse("--agilix-account", "210987654321").unwrap();
        Blueprint {
            stream: "buzz-events".into(),
            capacity: Capacity::OnDemand,
            retention: RetentionHours::DEFAULT,
            kms_key: None,
            tags: BTreeMap::from([("managed-by".into(), "buzz-kinesis".into())]),
            role: "BuzzKinesisWriter".into(),
            trust: policy::trust_policy(&agilix, None),
            title: "Kinesis: ${not} %{a} \"ref\"".into(),
            events: vec![EventFilter::parse("--event", "UserEntityCreated").unwrap()],
            domain: Some("424242".into()),
        }
    }

    #[test]
    fn cloudformation_references_the_resources_and_escapes_literals() {
        let t = cloudformation(&blueprint());
        let role = &t["Resources"][CFN_ROLE]["Properties"];
        assert_eq!(role["MaxSessionDuration"], json!(43_200));
        assert_eq!(
            role["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"],
            json!({"Fn::GetAtt": [CFN_STREAM, "Arn"]})
        );
        let stream = &t["Resources"][CFN_STREAM]["Properties"];
        assert_eq!(stream["StreamModeDetails"]["StreamMode"], "ON_DEMAND");
        assert!(stream.get("ShardCount").is_none());
        let sub = t["Outputs"]["SetDataStreamConfiguration"]["Value"]["Fn::Sub"]
            .as_str()
            .unwrap();
        assert!(
            sub.contains("\"roleArn\":\"${BuzzWriterRole.Arn}\""),
            "{sub}"
        );
        assert!(sub.contains("\"targetRegion\":\"${AWS::Region}\""), "{sub}");
        assert!(sub.contains("\"domainid\":\"${BuzzDomainId}\""), "{sub}");
        assert!(
            sub.contains("Kinesis: ${!not}"),
            "a literal ${{ is escaped: {sub}"
        );
        assert!(!sub.contains('\u{1}'));
    }

    #[test]
    fn provisioned_encrypted_streams_carry_shards_and_key() {
        let mut b = blueprint();
        b.capacity = Capacity::Provisioned(ShardCount::parse("--shards", "3").unwrap());
        b.kms_key = Some(
            KmsKey::parse(
                "--kms-key",
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            )
            .unwrap(),
        );
        let t = cloudformation(&b);
        let stream = &t["Resources"][CFN_STREAM]["Properties"];
        assert_eq!(stream["ShardCount"], json!(3));
        assert_eq!(stream["StreamEncryption"]["EncryptionType"], "KMS");
        let doc = &t["Resources"][CFN_ROLE]["Properties"]["Policies"][0]["PolicyDocument"];
        assert_eq!(doc["Statement"][1]["Action"], "kms:GenerateDataKey");
        let tf = terraform(&b);
        assert!(tf.contains("shard_count      = 3"), "{tf}");
        assert!(tf.contains("stream_mode = \"PROVISIONED\""), "{tf}");
    }

    #[test]
    fn terraform_aligns_references_and_escapes() {
        let tf = terraform(&blueprint());
        assert!(
            tf.contains("  name             = \"buzz-events\"\n  retention_period = 24\n"),
            "{tf}"
        );
        assert!(
            tf.contains("Resource = aws_kinesis_stream.buzz.arn"),
            "{tf}"
        );
        assert!(
            tf.contains("roleArn             = aws_iam_role.buzz.arn"),
            "{tf}"
        );
        assert!(
            tf.contains("  tags = {\n"),
            "a value spanning lines is not aligned: {tf}"
        );
        assert!(tf.contains("domainid = var.buzz_domain_id"), "{tf}");
        assert!(tf.contains("Kinesis: $${not} %%{a} \\\"ref\\\""), "{tf}");
        assert!(tf.contains("max_session_duration = 43200"), "{tf}");
        assert!(tf.contains("data \"aws_region\" \"current\" {}"), "{tf}");
        assert!(!tf.contains('\u{1}'));
    }

    #[test]
    fn hcl_keys_and_strings_are_quoted_when_needed() {
        assert_eq!(hcl_key("managed-by"), "managed-by");
        assert_eq!(hcl_key("sts:ExternalId"), "\"sts:ExternalId\"");
        assert_eq!(hcl_key("1a"), "\"1a\"");
        assert_eq!(hcl_string("a\\b\n${x}$y"), "\"a\\\\b\\n$${x}$y\"");
    }

    #[test]
    fn long_text_wraps_at_word_boundaries() {
        let lines = wrap("aaa bbb ccc", 7);
        assert_eq!(lines, ["aaa bbb", "ccc"]);
    }
}
