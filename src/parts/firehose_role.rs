//! Firehose's role, as the exports make it: trusting firehose.amazonaws.com from this account,
//! with the archive's inline policy. Setup plans it through the same role part as the writer
//! role (`plan/role.rs`, `plan_any_role` over a `RolePart` that `plan/archive.rs` builds from
//! `archive::Archive::trust` and the permission below), so its trust and grant guards are the
//! writer role's.

use serde_json::{json, Value};

use super::{
    cfn_substitute, cfn_tags, tf_archive_resource, tf_tags, Export, ACCOUNT, KINESIS_SERVICE,
    LOG_STREAM_ARN, S3_SERVICE, STREAM_ARN,
};
use crate::archive::{Archive, ArchiveRefs, POLICY_NAME, ROLE_DESCRIPTION};
use crate::hcl::{Block, Hcl};

/// The role's logical id in CloudFormation.
pub(crate) const CFN_ID: &str = "BuzzArchiveRole";

/// Firehose's role, as a part of the archive.
pub(crate) struct FirehoseRole;

impl super::Part for FirehoseRole {
    fn cloudformation(&self, x: &Export) -> Vec<(&'static str, Value)> {
        cloudformation(x)
    }
    fn terraform(&self, x: &Export) -> Vec<Block> {
        terraform(x)
    }
}

/// The role's permission policy, its deployment-only values as the parts' stand-ins.
pub(crate) fn permission(a: &Archive) -> Value {
    a.permission(&ArchiveRefs {
        account: ACCOUNT,
        stream_arn: STREAM_ARN,
        log_stream_arn: LOG_STREAM_ARN,
        kinesis_service: KINESIS_SERVICE,
        s3_service: S3_SERVICE,
    })
}

/// The role, its trust and inline policy, as a CloudFormation resource.
pub(crate) fn cloudformation(x: &Export) -> Vec<(&'static str, Value)> {
    let a = x.model;
    let (group, stream) = (super::log::CFN_GROUP_ID, super::log::CFN_STREAM_ID);
    let permission = cfn_substitute(
        &permission(a),
        &[
            (ACCOUNT, json!({"Ref": "AWS::AccountId"})),
            (
                STREAM_ARN,
                json!({"Fn::GetAtt": [super::CFN_STREAM, "Arn"]}),
            ),
            (
                LOG_STREAM_ARN,
                json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{group}}}:log-stream:${{{stream}}}")}),
            ),
            (
                KINESIS_SERVICE,
                json!({"Fn::Sub": "kinesis.${AWS::Region}.amazonaws.com"}),
            ),
            (
                S3_SERVICE,
                json!({"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}),
            ),
        ],
    );
    let role = json!({
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": a.role(),
            "Description": ROLE_DESCRIPTION,
            "AssumeRolePolicyDocument": cfn_substitute(&Archive::trust(ACCOUNT), &[(ACCOUNT, json!({"Ref": "AWS::AccountId"}))]),
            "Policies": [{"PolicyName": POLICY_NAME, "PolicyDocument": permission}],
            "Tags": cfn_tags(x.tags),
        },
    });
    vec![(CFN_ID, role)]
}

/// The role and its inline policy as Terraform resources.
pub(crate) fn terraform(x: &Export) -> Vec<Block> {
    let a = x.model;
    let stream_arn = format!("{}.arn", super::TF_STREAM);
    vec![
        tf_archive_resource("aws_iam_role")
            .attr("name", Hcl::str(a.role()))
            .attr("description", Hcl::str(ROLE_DESCRIPTION))
            .attr(
                "assume_role_policy",
                Hcl::Call(
                    "jsonencode",
                    Box::new(Hcl::from_json(
                        &Archive::trust(ACCOUNT),
                        &[(ACCOUNT, "data.aws_caller_identity.current.account_id")],
                    )),
                ),
            )
            .attr("tags", tf_tags(x.tags)),
        tf_archive_resource("aws_iam_role_policy")
            .attr("name", Hcl::str(POLICY_NAME))
            .attr("role", Hcl::expr("aws_iam_role.buzz_archive.id"))
            .attr(
                "policy",
                Hcl::Call(
                    "jsonencode",
                    Box::new(Hcl::from_json(
                        &permission(a),
                        &[
                            (ACCOUNT, "data.aws_caller_identity.current.account_id"),
                            (STREAM_ARN, stream_arn.as_str()),
                            (LOG_STREAM_ARN, "aws_cloudwatch_log_stream.buzz_archive.arn"),
                            (
                                KINESIS_SERVICE,
                                "\"kinesis.${data.aws_region.current.id}.amazonaws.com\"",
                            ),
                            (
                                S3_SERVICE,
                                "\"s3.${data.aws_region.current.id}.amazonaws.com\"",
                            ),
                        ],
                    )),
                ),
            ),
    ]
}
