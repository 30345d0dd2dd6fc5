//! `teardown`'s spec: which setup to remove and how to reach Buzz. Agilix's account is not
//! asked for: teardown creates nothing.

use super::parts::*;
use super::raw::Raw;
#[cfg(test)]
use crate::error::Result;
use crate::names::{DomainId, RoleArn, RoleName, StreamName};
use crate::state::Halves;

/// Everything `teardown` needs, validated.
pub(crate) struct TeardownSpec {
    pub stream: StreamName,
    pub role: RoleName,
    /// `None` with `--aws-only`: Buzz is not contacted.
    pub buzz: Option<BuzzLogin>,
    pub aws: AwsSpec,
    pub half: Halves,
    /// The domain, when known (with `--aws-only`, for the other half's command).
    pub domain: Option<DomainId>,
    /// With `--buzz-only`: the role our target names (its account is part of the target's
    /// identity); the region is then in `aws.region`.
    pub role_arn: Option<RoleArn>,
}

impl TeardownSpec {
    /// Pure: the spec, or one error naming every problem.
    #[cfg(test)]
    pub(crate) fn build(raw: &Raw) -> Result<Self> {
        Problems::build(|p| Self::build_into(raw, p))
    }

    pub(super) fn build_into(raw: &Raw, p: &mut Problems) -> Option<Self> {
        let half = raw.half;
        let names = Names::build(raw, p);
        let aws = AwsSpec::build(raw, p);
        // --buzz-only names the role by its ARN (its account identifies our target) and the
        // region, which no AWS profile is read for.
        let role_arn = match (half, &raw.role_arn) {
            (Halves::BuzzOnly, Some(v)) => p.check(RoleArn::parse("--role-arn", v)).map(Some),
            (Halves::BuzzOnly, None) => {
                p.push(missing("--role-arn"));
                None
            }
            _ => Some(None),
        };
        if half == Halves::BuzzOnly && raw.region.is_none() {
            p.push(missing("--region"));
        }
        let buzz = if half.uses_buzz() {
            let stream = names.as_ref().map(|n| &n.stream);
            // Our target leaves every domain given (the login's list).
            BuzzLogin::build(raw, p, stream, (raw.interactive, true)).map(Some)
        } else {
            super::domains::one_domain(raw, p);
            Some(None)
        };
        let domain = match raw.domains.first().map(String::as_str) {
            Some(v) if !half.uses_buzz() => p.check(DomainId::parse("--domain", v)).map(Some),
            _ => Some(None),
        };
        let (names, role_arn, buzz) = (names?, role_arn?, buzz?);
        let role = match &role_arn {
            Some(arn) => p.check(RoleName::parse("--role-arn", arn.name()))?,
            None => names.role,
        };
        Some(Self {
            stream: names.stream,
            role,
            domain: buzz.as_ref().map(|b| b.domains.first().clone()).or(domain?),
            buzz,
            aws: aws?,
            half,
            role_arn,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::setup::tests::{complete, problem};

    #[test]
    fn teardown_needs_no_agilix_account() {
        let raw = Raw {
            agilix_account: None,
            ..complete()
        };
        let s = TeardownSpec::build(&raw).unwrap();
        assert_eq!(s.half, Halves::Both);
        assert_eq!(s.domain.as_ref().map(DomainId::as_str), Some("424242"));
        assert!(s.buzz.is_some() && s.role_arn.is_none());
        // The AWS half: no login, the domain kept for the other half's command.
        let aws_only = Raw {
            half: Halves::AwsOnly,
            domains: vec!["424242".into()],
            ..Raw::default()
        };
        let s = TeardownSpec::build(&aws_only).unwrap();
        assert!(s.buzz.is_none());
        assert_eq!(s.domain.as_ref().map(DomainId::as_str), Some("424242"));
        // The Buzz half: the role by its ARN (its name follows), and the region.
        let buzz_only = Raw {
            half: Halves::BuzzOnly,
            ..complete()
        };
        let text = problem(TeardownSpec::build(&buzz_only));
        assert!(
            text.contains("--role-arn") && text.contains("--region"),
            "{text}"
        );
        let s = TeardownSpec::build(&Raw {
            role_arn: Some("arn:aws:iam::111122223333:role/Other".into()),
            region: Some("us-east-1".into()),
            ..buzz_only
        })
        .unwrap();
        assert_eq!(s.role.as_str(), "Other");
        let e = TeardownSpec::build(&Raw::default()).err().unwrap();
        assert!(
            e.to_string().contains("3 required values are missing"),
            "{e}"
        );
    }
}
