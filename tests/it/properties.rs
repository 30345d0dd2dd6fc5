//! Bad input never panics: property tests over every validator (each rejection names its
//! flag) and over the parsers of what comes from outside: Buzz answers, IAM policy documents,
//! Kinesis records.

use proptest::prelude::*;
use serde_json::{Map, Value};

use buzz_kinesis::buzz::wire;
use buzz_kinesis::names::*;
use buzz_kinesis::{events, iam, Error};

/// A validator reduced to pass/fail.
type Validator = fn(&'static str, &str) -> Result<(), Error>;

/// Each validator with the flag it reports.
fn validators() -> Vec<(&'static str, Validator)> {
    vec![
        ("--stream", |f, s| StreamName::parse(f, s).map(drop)),
        ("--role", |f, s| RoleName::parse(f, s).map(drop)),
        ("--agilix-account", |f, s| AccountId::parse(f, s).map(drop)),
        ("--external-id", |f, s| ExternalId::parse(f, s).map(drop)),
        ("--region", |f, s| Region::parse(f, s).map(drop)),
        ("--retention-hours", |f, s| {
            RetentionHours::parse(f, s).map(drop)
        }),
        ("--shards", |f, s| ShardCount::parse(f, s).map(drop)),
        ("--kms-key", |f, s| KmsKey::parse(f, s).map(drop)),
        ("--tag", |f, s| Tag::parse(f, s).map(drop)),
        ("--buzz-url", |f, s| BuzzUrl::parse(f, s).map(drop)),
        ("--buzz-user", |f, s| BuzzUser::parse(f, s).map(drop)),
        ("--domain", |f, s| DomainId::parse(f, s).map(drop)),
        ("--title", |f, s| Title::parse(f, s).map(drop)),
        ("--event", |f, s| EventFilter::parse(f, s).map(drop)),
        ("--buzz-otp", |f, s| parse_otp(f, s).map(drop)),
    ]
}

/// Arbitrary JSON, a few levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("kinesis".to_owned()),
                    Just("https".to_owned()),
                    Just("Statement".to_owned()),
                    Just("Action".to_owned()),
                    Just("Resource".to_owned()),
                    Just("Effect".to_owned()),
                    ".{0,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn validators_never_panic_and_name_their_flag(input in any::<String>()) {
        for (flag, validate) in validators() {
            if let Err(e) = validate(flag, &input) {
                prop_assert!(e.to_string().contains(flag), "{flag}: {e}");
            }
        }
    }

    #[test]
    fn buzz_answers_of_any_shape_are_read_without_panic(answer in json()) {
        let map: Map<String, Value> = match answer {
            Value::Object(m) => m,
            other => { let mut m = Map::new(); m.insert("kinesis".into(), other); m }
        };
        let config = wire::config_from_response(&map);
        let target = wire::KinesisTarget {
            title: "t".into(), enabled: true, stream: "s".into(), role_arn: "arn:aws:iam::123456789012:role/r".into(), region: "us-east-1".into(), filters: vec![],
        };
        let new = wire::with_target(&config, &target);
        // Every key we did not own survives.
        for (k, v) in &config {
            if k != wire::KINESIS { prop_assert_eq!(new.get(k), Some(v)); }
        }
        prop_assert!(wire::find_target(&new, &target.destination()).is_some());
        // Exactly one target writes to our stream after the merge.
        prop_assert_eq!(wire::targets_writing_to(&new, &target.destination()).len(), 1);
    }

    #[test]
    fn policy_documents_of_any_shape_evaluate_without_panic(doc in json(), raw in any::<String>()) {
        let _ = iam::decode_document(&raw);
        let _ = iam::evaluate(std::slice::from_ref(&doc), "kinesis:PutRecord", "arn:aws:kinesis:us-east-1:1:stream/s");
        let _ = iam::trusted_principals(&doc);
        let _ = iam::wider_grants(std::slice::from_ref(&doc), &iam::WRITER_ACTIONS, &["x"]);
        prop_assert!(iam::equivalent(&doc, &doc));
    }

    #[test]
    fn wildcards_match_themselves_and_star_matches_all(text in "[a-zA-Z0-9:/*?-]{0,20}") {
        prop_assert!(iam::wildcard_match("*", &text, false));
        let literal: String = text.chars().filter(|c| *c != '*' && *c != '?').collect();
        prop_assert!(iam::wildcard_match(&literal, &literal, false));
    }

    #[test]
    fn any_record_decodes_without_loss(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        // One item per non-blank line; a record with none still shows as one raw item.
        let items = events::decode(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
        prop_assert_eq!(items.len(), lines.max(1));
    }
}
