//! The fault table: Buzz faults from the sandbox and AWS faults from a proxy in front of moto.
//! Each run ends in success, or in a clear error with no partial Buzz configuration saved.

use crate::harness::{fault, AwsFaultProxy, Sandbox, SandboxOptions, DOMAIN_ID};
use crate::tool::*;

#[tokio::test(flavor = "multi_thread")]
async fn aws_throttling_and_server_errors_are_retried_to_success() {
    let cases = [
        fault("CreateStream", 400, "LimitExceededException", 2),
        fault("DescribeStreamSummary", 400, "ThrottlingException", 2),
        fault("CreateRole", 400, "Throttling", 2),
        fault("PutRolePolicy", 500, "ServiceFailure", 2),
        fault("GetCallerIdentity", 503, "ServiceUnavailable", 2),
        fault("AddTagsToStream", 500, "InternalFailure", 1),
    ];
    for f in cases {
        let proxy = AwsFaultProxy::start(vec![f]).await;
        let sandbox = Sandbox::start_default();
        let names = Names::new();
        let out = tokio::task::block_in_place(|| {
            Tool::setup(&sandbox, &names)
                .env("AWS_ENDPOINT_URL", &proxy.url)
                .run()
        });
        out.assert_success();
        assert_eq!(
            proxy.hits(f.operation),
            f.times,
            "{} was faulted",
            f.operation
        );
        assert_eq!(
            kinesis_targets(&sandbox.domain_config(DOMAIN_ID).await).len(),
            1,
            "{}",
            f.operation
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lasting_aws_error_stops_setup_clearly_before_buzz_is_touched() {
    // More throttles than the SDK retries: a clear error with AWS's own code, and nothing saved.
    let proxy = AwsFaultProxy::start(vec![fault("PutRolePolicy", 400, "Throttling", 20)]).await;
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(webhook_config()));
    let names = Names::new();
    let out = tokio::task::block_in_place(|| {
        Tool::setup(&sandbox, &names)
            .env("AWS_ENDPOINT_URL", &proxy.url)
            .arg("--output")
            .arg("human")
            .run()
    });
    out.assert_code(1);
    assert!(
        out.stderr.contains("PutRolePolicy") && out.stderr.contains("Throttling"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("service error"), "{}", out.stderr);
    assert_eq!(
        sandbox.domain_config(DOMAIN_ID).await,
        webhook_config(),
        "no partial Buzz configuration"
    );
    // And once AWS recovers, the same command finishes the job.
    Tool::setup(&sandbox, &names).run().assert_success();
}

#[tokio::test]
async fn buzz_fault_table_ends_in_success_or_a_clear_error() {
    // (kinds, expect success)
    let cases: [(&[&str], bool); 6] = [
        (&["429", "503"], true),
        (&["500", "drop"], true),
        (&["malformed"], true),
        (&["timeout"], true),
        (&["noauth"], true),
        (&["500", "500", "500", "500", "500", "500"], false),
    ];
    for (kinds, ok) in cases {
        let sandbox = Sandbox::start(
            SandboxOptions::new()
                .seed_config(webhook_config())
                .faults(kinds.len() as u64, kinds)
                .faults_after(1)
                .timeout_hold(3),
        );
        let names = Names::new();
        let out = Tool::setup(&sandbox, &names).run();
        let config = sandbox.domain_config(DOMAIN_ID).await;
        if ok {
            out.assert_success();
            assert_eq!(kinesis_targets(&config).len(), 1, "{kinds:?}");
        } else {
            out.assert_code(1);
            assert!(
                out.stderr.contains("gave up after 5 retries"),
                "{kinds:?}: {}",
                out.stderr
            );
            assert_eq!(
                config,
                webhook_config(),
                "{kinds:?}: no partial configuration"
            );
        }
        assert_eq!(config["https"], webhook_config()["https"], "{kinds:?}");
    }
}
