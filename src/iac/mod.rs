//! Infrastructure-as-code templates of what `setup` builds, for teams that manage AWS in a
//! repository: a CloudFormation template (JSON) and a Terraform configuration (HCL). Both hold
//! the stream, the role Agilix assumes (12-hour sessions) with its trust and inline policy, and
//! outputs with the ARNs and the `SetDataStreamConfiguration` request to send to Buzz; with
//! `--alarm-email` the alarm, and with `--archive-bucket` the archive. Pure: no I/O.
//!
//! Every resource and output is a part's fragment (`crate::parts::stack_parts()`, in template order):
//! this module writes only each dialect's frame around them (the header, the domain parameter,
//! the provider), so what a part is lives in its module alone, and a template can never drift
//! from what setup applies.
//!
//! Security teams scan these with checkov: every check a template does not meet carries a
//! skip with its reason next to the resource (`crate::parts::Skip`), and
//! `tests/it/scanner.rs` fails on any other finding.
//!
//! `crate::hcl` is a small HCL writer that knows nothing of them.

mod cloudformation;
mod terraform;

pub(crate) use crate::parts::stack::{Blueprint, BlueprintAlarm};
pub(crate) use cloudformation::cloudformation;
pub(crate) use terraform::terraform;

const HEADER: &str = "The Agilix Buzz data stream to Amazon Kinesis: the stream, the cross-account role Agilix assumes (12-hour sessions) and its least-privilege inline policy, as `buzz-kinesis setup` makes them.";

const DOMAIN_HELP: &str = "The Buzz domain that sends its events: numeric id or //userspace.";

#[cfg(test)]
mod tests;
