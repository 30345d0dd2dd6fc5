//! Our Buzz target, as the exports hand it over: the stream's and the role's ARNs, the
//! `SetDataStreamConfiguration` request to send to Buzz, and the `setup --buzz-only` command
//! for the person with the Buzz login, as outputs. The request comes from `handover` (and so
//! from `buzz::wire`), so a template can never drift from what setup sends. (The target's plan
//! is still `plan/buzz.rs`'s, its check rows `checks/buzz.rs`'s.)

use serde_json::{json, Value};

use super::stack::{Blueprint, CfnFragment, StackPart};
use super::{writer_role, CFN_STREAM, TF_STREAM};
use crate::handover::Handover;
use crate::hcl::{Block, Hcl};

/// The Buzz domain: a CloudFormation parameter, a Terraform variable (the frame `iac` writes).
pub(crate) const CFN_DOMAIN: &str = "BuzzDomainId";
pub(crate) const TF_DOMAIN: &str = "var.buzz_domain_id";

/// Stand-ins for values only the deployment knows, replaced by each dialect's reference (see
/// [`super::STREAM_ARN`]).
const ROLE_ARN: &str = "\u{1}role_arn\u{1}";
const REGION: &str = "\u{1}region\u{1}";
const DOMAIN: &str = "\u{1}domain\u{1}";

/// `id` is the region's name in every provider version (`name` is deprecated in v6, `region`
/// is new in v6).
const TF_REGION: &str = "data.aws_region.current.id";

pub(crate) const REQUEST_HELP: &str = "The SetDataStreamConfiguration request for Buzz's API console: send it first with \"test\": true (Buzz tests the target and saves nothing), then as it is. Buzz replaces the domain's whole configuration, so add the domain's other targets to it, or run `buzz-kinesis setup`, which keeps them.";

const COMMAND_HELP: &str = "The Buzz half for a person with a Buzz administrator login (no AWS access needed): it tests the target, then enables it, keeping the domain's other targets.";

const STREAM_HELP: &str = "The Kinesis stream Buzz writes to.";
const ROLE_HELP: &str = "The role Agilix assumes (roleArn in Buzz's configuration).";

pub(crate) struct Target;

/// The Buzz half as `setup --aws-only` hands it over, its deployment-only values as stand-ins
/// each dialect replaces by a reference.
fn handover(b: &Blueprint) -> Handover {
    Handover {
        role_arn: ROLE_ARN.into(),
        stream: b.stream.clone(),
        region: REGION.into(),
        domain: Some(DOMAIN.into()),
        title: b.title.clone(),
        events: b.events.clone(),
        buzz_url: None,
        buzz_user: None,
    }
}

/// The request to send to Buzz: our target alone, enabled (the seed's second step).
fn request(b: &Blueprint) -> Value {
    handover(b).request()
}

/// The `buzz-kinesis setup --buzz-only ...` command for the person with the Buzz login, which
/// keeps the domain's other targets (the request replaces them).
fn command(b: &Blueprint) -> String {
    // The stand-ins hold a control character, so the shell quoting put them in quotes; what
    // replaces them (an ARN, a region, a domain) needs none.
    [ROLE_ARN, REGION, DOMAIN]
        .iter()
        .fold(handover(b).command_line(), |line, marker| {
            line.replace(&format!("'{marker}'"), marker)
        })
}

impl StackPart for Target {
    fn cloudformation(&self, b: &Blueprint) -> CfnFragment {
        let role = writer_role::CFN_ID;
        // Fn::Sub reads `${...}` as a reference: any literal one is written `${!...}`. The
        // stand-ins appear JSON-escaped in the serialized request.
        let escaped = |marker: &str| serde_json::to_string(marker).unwrap_or_default();
        let request = request(b)
            .to_string()
            .replace("${", "${!")
            .replace(&escaped(ROLE_ARN), &format!("\"${{{role}.Arn}}\""))
            .replace(&escaped(REGION), "\"${AWS::Region}\"")
            .replace(&escaped(DOMAIN), &format!("\"${{{CFN_DOMAIN}}}\""));
        let command = command(b)
            .replace("${", "${!")
            .replace(ROLE_ARN, &format!("${{{role}.Arn}}"))
            .replace(REGION, "${AWS::Region}")
            .replace(DOMAIN, &format!("${{{CFN_DOMAIN}}}"));
        let output = |help: &str, value: Value| json!({"Description": help, "Value": value});
        CfnFragment {
            resources: Vec::new(),
            outputs: vec![
                (
                    "StreamArn".into(),
                    output(STREAM_HELP, json!({"Fn::GetAtt": [CFN_STREAM, "Arn"]})),
                ),
                (
                    "RoleArn".into(),
                    output(ROLE_HELP, json!({"Fn::GetAtt": [role, "Arn"]})),
                ),
                (
                    "SetDataStreamConfiguration".into(),
                    output(REQUEST_HELP, json!({"Fn::Sub": request})),
                ),
                (
                    "BuzzHalfCommand".into(),
                    output(COMMAND_HELP, json!({"Fn::Sub": command})),
                ),
            ],
        }
    }

    fn terraform(&self, b: &Blueprint) -> Vec<Block> {
        let stream_arn = format!("{TF_STREAM}.arn");
        let role_arn = format!("{}.arn", writer_role::TF_ID);
        let refs = [
            (ROLE_ARN, role_arn.as_str()),
            (REGION, TF_REGION),
            (DOMAIN, TF_DOMAIN),
        ];
        let output = |label: &str, help: &str, value: Hcl| {
            Block::new("output", &[label])
                .attr("description", Hcl::str(help))
                .attr("value", value)
        };
        vec![
            output("stream_arn", STREAM_HELP, Hcl::expr(stream_arn.as_str())),
            output("role_arn", ROLE_HELP, Hcl::expr(role_arn.as_str())),
            output(
                "set_data_stream_configuration",
                REQUEST_HELP,
                Hcl::Call("jsonencode", Box::new(Hcl::from_json(&request(b), &refs))),
            ),
            output(
                "buzz_half_command",
                COMMAND_HELP,
                Hcl::template(&command(b), &refs),
            ),
        ]
    }
}
