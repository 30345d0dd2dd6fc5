//! Tests of the Buzz sandbox itself, over real HTTP and against moto: what a Buzz client sees
//! (codes, payloads, XML, faults), what the sandbox saved (`/sandbox/state`), and what reached
//! the Kinesis stream (read back with the AWS CLI).

use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::*;

// ---------------------------------------------------------------------------------------------
// Helpers

fn kinesis_target(title: &str, stream: &str, role_arn: &str, enabled: bool) -> Value {
    json!({
        "title": title,
        "enabled": enabled,
        "targetKinesisStream": stream,
        "roleArn": role_arn,
        "targetRegion": REGION,
    })
}

fn set_request(test: bool, targets: Value) -> Value {
    let mut request = json!({"cmd": "setdatastreamconfiguration", "domainid": DOMAIN_ID});
    if test {
        request["test"] = json!(true);
    }
    if let (Some(request), Some(targets)) = (request.as_object_mut(), targets.as_object()) {
        for (key, value) in targets {
            request.insert(key.clone(), value.clone());
        }
    }
    request
}

fn get_request() -> Value {
    json!({"cmd": "getdatastreamconfiguration", "domainid": DOMAIN_ID})
}

/// Tests a single Kinesis target (test: true) and returns the response.
async fn test_target(sandbox: &Sandbox, token: &str, target: Value) -> Value {
    sandbox
        .cmd_as(token, set_request(true, json!({"kinesis": [target]})))
        .await
}

/// A refused test: BadRequest naming the target, with the AWS-style code in the message, and
/// nothing saved.
async fn assert_refused(
    sandbox: &Sandbox,
    response: &Value,
    title: &str,
    aws_code: &str,
) -> String {
    assert_eq!(
        response["code"], "BadRequest",
        "expected a refusal: {response}"
    );
    let message = response["message"].as_str().unwrap_or_default().to_string();
    assert!(
        message.starts_with(&format!("Kinesis target '{title}': {aws_code}: ")),
        "message should name the target and the AWS code {aws_code}: {message}"
    );
    assert!(
        response["errorId"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "an errorId: {response}"
    );
    assert_eq!(
        sandbox.domain_config(DOMAIN_ID).await,
        Value::Null,
        "nothing may be saved"
    );
    message
}

/// A stream and a role that Buzz can use, built with the AWS CLI the way the seed describes.
fn stream_and_writer_role(prefix: &str) -> (String, String) {
    let stream = unique(&format!("{prefix}-stream"));
    let role = unique(&format!("{prefix}-role"));
    create_stream(&stream);
    let arn = create_writer_role(&role, &stream);
    (stream, arn)
}

fn events_of_type(stream: &str, event_type: &str) -> Vec<Value> {
    read_events(stream)
        .into_iter()
        .filter(|event| event["type"] == event_type)
        .collect()
}

fn is_uuid_v4(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths_ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]);
    let hex_ok = groups.iter().all(|g| {
        g.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    });
    lengths_ok
        && hex_ok
        && groups[2].starts_with('4')
        && groups[3].starts_with(['8', '9', 'a', 'b'])
}

/// `YYYY-MM-DDTHH:MM:SS.fffffffZ`.
fn is_buzz_time(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    b.len() == 28
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..27)
        && b[27] == b'Z'
}

// ---------------------------------------------------------------------------------------------
// Authentication

#[tokio::test]
async fn login3_returns_a_token_and_the_user_fields_of_the_contract() {
    let sandbox = Sandbox::start_default();
    let response = sandbox
        .cmd(json!({"cmd": "login3", "username": ADMIN_USER, "password": ADMIN_PASSWORD}))
        .await;
    assert_eq!(response["code"], "OK", "{response}");
    let user = &response["user"];
    assert!(
        user["token"].as_str().is_some_and(|t| t.len() > 20),
        "{user}"
    );
    assert_eq!(user["userspace"], "sandbox");
    assert_eq!(user["username"], "admin");
    assert_eq!(user["domainid"], DOMAIN_ID);
    assert!(user["userid"].is_string(), "ids are strings: {user}");
    assert_eq!(user["authenticationexpirationminutes"], 15);
}

#[tokio::test]
async fn a_wrong_password_or_an_unknown_user_is_invalid_credentials_with_http_200() {
    let sandbox = Sandbox::start_default();
    for (username, password) in [
        (ADMIN_USER, "not-the-password"),
        ("sandbox/nobody", ADMIN_PASSWORD),
        ("otherspace/admin", ADMIN_PASSWORD),
        ("admin", ADMIN_PASSWORD),
    ] {
        let http = sandbox
            .http()
            .post(sandbox.cmd_url())
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .body(
                json!({"request": {"cmd": "login3", "username": username, "password": password}})
                    .to_string(),
            )
            .send()
            .await
            .expect("login request");
        assert_eq!(
            http.status(),
            StatusCode::OK,
            "Buzz reports errors with HTTP 200"
        );
        let body: Value = http.json().await.expect("JSON");
        let response = &body["response"];
        assert_eq!(
            response["code"], "InvalidCredentials",
            "{username}: {response}"
        );
        assert!(
            response["message"].is_string() && response["errorId"].is_string(),
            "{response}"
        );
        assert!(response.get("user").is_none());
    }
}

#[tokio::test]
async fn login3_by_get_is_refused_as_a_bad_request() {
    let sandbox = Sandbox::start_default();
    let body: Value = sandbox
        .http()
        .get(sandbox.cmd_url())
        .query(&[
            ("cmd", "login3"),
            ("username", ADMIN_USER),
            ("password", ADMIN_PASSWORD),
        ])
        .header(ACCEPT, "application/json")
        .send()
        .await
        .expect("GET login3")
        .json()
        .await
        .expect("JSON");
    assert_eq!(body["response"]["code"], "BadRequest", "{body}");
    assert_eq!(
        sandbox.state().await["sessions"],
        0,
        "no session was created"
    );
}

#[tokio::test]
async fn with_mfa_login3_asks_for_the_second_factor_and_only_the_right_otp_opens_a_session() {
    let sandbox = Sandbox::start(SandboxOptions::new().mfa_code("246810"));
    let first = sandbox
        .cmd(json!({"cmd": "login3", "username": ADMIN_USER, "password": ADMIN_PASSWORD}))
        .await;
    assert_eq!(first["code"], "SecondFactorRequired", "{first}");
    assert!(first.get("user").is_none(), "no session yet: {first}");
    let pending = first["token"]
        .as_str()
        .expect("a second-factor token at response.token");

    // The pending token is not a session.
    let early = sandbox.cmd_as(pending, get_request()).await;
    assert_eq!(early["code"], "NoAuthentication", "{early}");

    let wrong = sandbox
        .cmd_as(
            pending,
            json!({"cmd": "secondfactorauthenticate", "otp": "000000"}),
        )
        .await;
    assert_eq!(wrong["code"], "InvalidCredentials", "{wrong}");

    let right = sandbox
        .cmd_as(
            pending,
            json!({"cmd": "secondfactorauthenticate", "otp": "246810"}),
        )
        .await;
    assert_eq!(right["code"], "OK", "{right}");
    let session = right["user"]["token"]
        .as_str()
        .expect("the session token, shaped like login3's");
    assert_eq!(right["user"]["domainid"], DOMAIN_ID);
    let get = sandbox.cmd_as(session, get_request()).await;
    assert_eq!(get["code"], "OK", "{get}");

    // The teacher has no second factor configured.
    let teacher = sandbox
        .cmd(json!({"cmd": "login3", "username": TEACHER_USER, "password": TEACHER_PASSWORD}))
        .await;
    assert_eq!(teacher["code"], "OK", "{teacher}");
}

#[tokio::test]
async fn a_token_unused_for_longer_than_its_ttl_answers_no_authentication_and_use_extends_it() {
    let sandbox = Sandbox::start(SandboxOptions::new().token_ttl(3));
    let token = sandbox.login_admin().await;
    // Each call within the TTL extends the session past the original expiry.
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(1800)).await;
        let response = sandbox.cmd_as(&token, get_request()).await;
        assert_eq!(response["code"], "OK", "{response}");
    }
    tokio::time::sleep(Duration::from_millis(3600)).await;
    let expired = sandbox.cmd_as(&token, get_request()).await;
    assert_eq!(expired["code"], "NoAuthentication", "{expired}");
}

#[tokio::test]
async fn expired_tokens_and_missing_tokens_answer_no_authentication() {
    let sandbox = Sandbox::start_default();
    let missing = sandbox.cmd(get_request()).await;
    assert_eq!(missing["code"], "NoAuthentication", "{missing}");
    let bogus = sandbox.cmd_as("~not-a-token", get_request()).await;
    assert_eq!(bogus["code"], "NoAuthentication", "{bogus}");

    let token = sandbox.login_admin().await;
    let extended = sandbox
        .cmd_as(&token, json!({"cmd": "extendsession"}))
        .await;
    assert_eq!(extended["code"], "OK", "{extended}");
    sandbox.expire_tokens().await;
    let after = sandbox.cmd_as(&token, get_request()).await;
    assert_eq!(after["code"], "NoAuthentication", "{after}");
    let status = sandbox.cmd(json!({"cmd": "getstatus"})).await;
    assert_eq!(status["code"], "OK", "getstatus needs no session: {status}");
}

#[tokio::test]
async fn the_token_works_as_bearer_header_as_underscore_token_in_body_and_in_query() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;

    let bearer = sandbox.cmd_as(&token, get_request()).await;
    assert_eq!(bearer["code"], "OK", "{bearer}");

    let mut with_token = get_request();
    with_token["_token"] = json!(token);
    let in_body = sandbox.cmd(with_token).await;
    assert_eq!(in_body["code"], "OK", "{in_body}");

    let in_query: Value = sandbox
        .http()
        .get(sandbox.cmd_url())
        .query(&[
            ("cmd", "GetDataStreamConfiguration"),
            ("domainid", DOMAIN_ID),
            ("_token", &token),
        ])
        .header(ACCEPT, "application/json")
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(in_query["response"]["code"], "OK", "{in_query}");

    // The command may also come from the path, in any case.
    let by_path: Value = sandbox
        .http()
        .post(format!("{}/GETDATASTREAMCONFIGURATION", sandbox.cmd_url()))
        .bearer_auth(&token)
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/json")
        .body(json!({"request": {"domainid": DOMAIN_ID}}).to_string())
        .send()
        .await
        .expect("POST /cmd/<name>")
        .json()
        .await
        .expect("JSON");
    assert_eq!(by_path["response"]["code"], "OK", "{by_path}");

    let log = sandbox.request_log().await;
    let auths: Vec<&str> = log.iter().filter_map(|e| e["auth"].as_str()).collect();
    assert_eq!(
        auths,
        ["none", "bearer", "_token", "_token", "bearer"],
        "{log:?}"
    );
    assert!(
        log.iter()
            .skip(1)
            .all(|e| e["cmd"] == "getdatastreamconfiguration"),
        "{log:?}"
    );
}

#[tokio::test]
async fn without_accept_application_json_the_answer_is_xml() {
    let sandbox = Sandbox::start_default();
    let response = sandbox
        .http()
        .post(sandbox.cmd_url())
        .header(CONTENT_TYPE, "application/json")
        .body(json!({"request": {"cmd": "login3", "username": ADMIN_USER, "password": ADMIN_PASSWORD}}).to_string())
        .send()
        .await
        .expect("login without Accept");
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response.text().await.expect("body");
    assert!(content_type.starts_with("text/xml"), "{content_type}");
    assert!(body.starts_with("<?xml"), "{body}");
    assert!(body.contains("<response code=\"OK\""), "{body}");
    assert!(
        body.contains("<user ") && body.contains("token=\""),
        "{body}"
    );
    assert!(serde_json::from_str::<Value>(&body).is_err());

    let error = sandbox
        .http()
        .get(sandbox.cmd_url())
        .query(&[
            ("cmd", "getdatastreamconfiguration"),
            ("domainid", DOMAIN_ID),
        ])
        .header(ACCEPT, "text/xml")
        .send()
        .await
        .expect("get without a token")
        .text()
        .await
        .expect("body");
    assert!(
        error.contains("<response code=\"NoAuthentication\""),
        "{error}"
    );
    assert!(error.contains("errorId=\""), "{error}");
}

#[tokio::test]
async fn a_body_that_is_not_a_json_request_is_a_bad_request() {
    let sandbox = Sandbox::start_default();
    let cases = [
        ("application/json", "{\"cmd\": \"login3\"}"),
        ("application/json", "not json"),
        ("text/plain", "{\"request\": {\"cmd\": \"getstatus\"}}"),
    ];
    for (content_type, body) in cases {
        let answer: Value = sandbox
            .http()
            .post(sandbox.cmd_url())
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON");
        assert_eq!(
            answer["response"]["code"], "BadRequest",
            "{content_type} {body}: {answer}"
        );
    }
    let unknown = sandbox.cmd(json!({"cmd": "nosuchcommand"})).await;
    assert_eq!(unknown["code"], "BadRequest", "{unknown}");
}

#[tokio::test]
async fn a_user_without_control_domain_gets_access_denied_on_get_and_set() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login(TEACHER_USER, TEACHER_PASSWORD).await;
    let get = sandbox.cmd_as(&token, get_request()).await;
    assert_eq!(get["code"], "AccessDenied", "{get}");
    let set = sandbox
        .cmd_as(
            &token,
            set_request(
                false,
                json!({"https": [{"title": "x", "endpoints": "https://example.org/"}]}),
            ),
        )
        .await;
    assert_eq!(set["code"], "AccessDenied", "{set}");
    assert_eq!(sandbox.domain_config(DOMAIN_ID).await, Value::Null);
}

#[tokio::test]
async fn the_domain_may_be_named_by_userspace_path_and_an_unknown_domain_is_refused() {
    let sandbox =
        Sandbox::start(SandboxOptions::new().seed_config(json!({"email": [{"title": "e"}]})));
    let token = sandbox.login_admin().await;
    let by_path = sandbox
        .cmd_as(
            &token,
            json!({"cmd": "getdatastreamconfiguration", "domainid": "//sandbox"}),
        )
        .await;
    assert_eq!(by_path["code"], "OK", "{by_path}");
    assert_eq!(by_path["email"], json!([{"title": "e"}]));
    let numeric = sandbox
        .cmd_as(
            &token,
            json!({"cmd": "getdatastreamconfiguration", "domainid": 424242}),
        )
        .await;
    assert_eq!(numeric["code"], "OK", "{numeric}");
    let unknown = sandbox
        .cmd_as(
            &token,
            json!({"cmd": "getdatastreamconfiguration", "domainid": "999"}),
        )
        .await;
    assert_eq!(unknown["code"], "BadRequest", "{unknown}");
}

// ---------------------------------------------------------------------------------------------
// Get and set

#[tokio::test]
async fn get_then_set_round_trip_keeps_a_seeded_https_target_and_unknown_keys() {
    let seeded_https = json!({"title": "LMS webhook", "enabled": true, "endpoints": "https://example.org/hook", "httpMethod": "POST"});
    let future_key =
        json!([{"title": "pager", "number": "+15550100", "weird": {"nested": [1, 2]}}]);
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .seed_config(json!({"https": [seeded_https.clone()], "pager": future_key.clone()})),
    );
    let token = sandbox.login_admin().await;
    let before = sandbox.cmd_as(&token, get_request()).await;
    assert_eq!(before["code"], "OK", "{before}");
    assert_eq!(before["https"], json!([seeded_https.clone()]));
    assert_eq!(before["pager"], future_key);

    let (stream, role_arn) = stream_and_writer_role("roundtrip");
    let mut configuration = before.as_object().cloned().unwrap_or_default();
    configuration.remove("code");
    configuration.insert(
        "kinesis".into(),
        json!([kinesis_target(
            "Buzz events to Kinesis",
            &stream,
            &role_arn,
            true
        )]),
    );
    let set = sandbox
        .cmd_as(
            &token,
            set_request(false, Value::Object(configuration.clone())),
        )
        .await;
    assert_eq!(set["code"], "OK", "{set}");

    let after = sandbox.cmd_as(&token, get_request()).await;
    assert_eq!(
        after["https"],
        json!([seeded_https]),
        "the foreign target is untouched"
    );
    assert_eq!(after["pager"], future_key, "an unknown key survives");
    assert_eq!(after["kinesis"], configuration["kinesis"]);
    assert_eq!(
        sandbox.domain_config(DOMAIN_ID).await,
        Value::Object(configuration)
    );

    let log = sandbox.request_log().await;
    let sets: Vec<&Value> = log
        .iter()
        .filter(|e| e["cmd"] == "setdatastreamconfiguration")
        .collect();
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0]["mutating"], true);
    assert_eq!(sets[0]["test"], false);
    assert_eq!(sets[0]["code"], "OK");
}

#[tokio::test]
async fn set_replaces_the_whole_configuration_so_an_omitted_target_is_removed() {
    let sandbox = Sandbox::start(SandboxOptions::new().seed_config(json!({
        "https": [{"title": "one", "endpoints": "https://example.org/1"}, {"title": "two", "endpoints": "https://example.org/2"}],
        "sqs": [{"title": "queue", "targetSqsQueue": "https://sqs.example/q"}]
    })));
    let token = sandbox.login_admin().await;
    let set = sandbox
        .cmd_as(
            &token,
            set_request(
                false,
                json!({"https": [{"title": "two", "endpoints": "https://example.org/2"}]}),
            ),
        )
        .await;
    assert_eq!(set["code"], "OK", "{set}");
    assert_eq!(
        sandbox.domain_config(DOMAIN_ID).await,
        json!({"https": [{"title": "two", "endpoints": "https://example.org/2"}]})
    );
    let get = sandbox.cmd_as(&token, get_request()).await;
    assert!(get.get("sqs").is_none(), "{get}");
}

#[tokio::test]
async fn a_set_without_targets_deletes_the_configuration() {
    let sandbox =
        Sandbox::start(SandboxOptions::new().seed_config(json!({"https": [{"title": "one"}]})));
    let token = sandbox.login_admin().await;
    let set = sandbox.cmd_as(&token, set_request(false, json!({}))).await;
    assert_eq!(set["code"], "OK", "{set}");
    assert_eq!(sandbox.domain_config(DOMAIN_ID).await, Value::Null);
    let get = sandbox.cmd_as(&token, get_request()).await;
    assert_eq!(get, json!({"code": "OK"}), "nothing but the code");
}

#[tokio::test]
async fn test_true_tests_the_target_writes_the_probe_and_saves_nothing() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let (stream, role_arn) = stream_and_writer_role("testonly");
    let response = test_target(
        &sandbox,
        &token,
        kinesis_target("probe only", &stream, &role_arn, false),
    )
    .await;
    assert_eq!(response["code"], "OK", "{response}");
    assert_eq!(sandbox.domain_config(DOMAIN_ID).await, Value::Null);
    let log = sandbox.request_log().await;
    let last = log.last().expect("a log entry");
    assert_eq!(last["test"], true);
    assert_eq!(last["mutating"], false);
    assert_eq!(
        events_of_type(&stream, "ValidateDataStreamConfiguration").len(),
        1
    );
    assert!(events_of_type(&stream, "DataStreamConfigurationCreated").is_empty());
}

#[tokio::test]
async fn the_single_object_arrays_quirk_turns_one_element_arrays_into_objects_and_empty_ones_into_empty_objects(
) {
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .single_object_arrays()
            .seed_config(json!({
                "https": [{"title": "only", "filter": [{"eventType": "UserEntityCreated"}]}],
                "sqs": [],
                "email": [{"title": "a"}, {"title": "b"}]
            })),
    );
    let token = sandbox.login_admin().await;
    let get = sandbox.cmd_as(&token, get_request()).await;
    assert_eq!(
        get["https"],
        json!({"title": "only", "filter": {"eventType": "UserEntityCreated"}}),
        "{get}"
    );
    assert_eq!(get["sqs"], json!({}), "{get}");
    assert_eq!(
        get["email"],
        json!([{"title": "a"}, {"title": "b"}]),
        "{get}"
    );
    // The stored configuration itself is unchanged.
    assert_eq!(sandbox.domain_config(DOMAIN_ID).await["sqs"], json!([]));
}

#[tokio::test]
async fn a_domain_config_put_behind_buzzs_back_is_what_get_returns() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    sandbox
        .set_domain_config(DOMAIN_ID, json!({"https": [{"title": "drift"}]}))
        .await;
    let get = sandbox.cmd_as(&token, get_request()).await;
    assert_eq!(get["https"], json!([{"title": "drift"}]), "{get}");
    sandbox.set_domain_config(DOMAIN_ID, Value::Null).await;
    let cleared = sandbox.cmd_as(&token, get_request()).await;
    assert_eq!(cleared, json!({"code": "OK"}));
    let sets = sandbox
        .request_log()
        .await
        .iter()
        .filter(|e| e["mutating"] == true)
        .count();
    assert_eq!(sets, 0, "the inspection endpoint is not a Buzz request");
}

// ---------------------------------------------------------------------------------------------
// The Kinesis target test: refusals

#[tokio::test]
async fn the_test_names_a_missing_or_malformed_field() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let good = kinesis_target("fields", "some-stream", &role_arn("some-role"), false);
    let cases = [
        ("targetKinesisStream", json!(null)),
        (
            "targetKinesisStream",
            json!("arn:aws:kinesis:us-east-1:123456789012:stream/x"),
        ),
        ("roleArn", json!(null)),
        ("roleArn", json!("BuzzKinesisWriter")),
        ("roleArn", json!("arn:aws:iam::12345:role/x")),
        ("targetRegion", json!(null)),
        ("targetRegion", json!("Virginia")),
    ];
    for (field, value) in cases {
        let mut target = good.clone();
        if value.is_null() {
            if let Some(object) = target.as_object_mut() {
                object.remove(field);
            }
        } else {
            target[field] = value.clone();
        }
        let response = test_target(&sandbox, &token, target).await;
        let message = assert_refused(&sandbox, &response, "fields", "BadRequest").await;
        assert!(
            message.contains(&format!("'{field}'")),
            "{field}={value}: {message}"
        );
    }
}

#[tokio::test]
async fn the_test_refuses_a_role_that_does_not_exist() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let stream = unique("norole-stream");
    create_stream(&stream);
    let missing = role_arn(&unique("no-such-role"));
    let response = test_target(
        &sandbox,
        &token,
        kinesis_target("ghost", &stream, &missing, false),
    )
    .await;
    let message = assert_refused(&sandbox, &response, "ghost", "AccessDenied").await;
    assert!(
        message.contains(&format!("sts:AssumeRole on resource: {missing}")),
        "{message}"
    );
}

#[tokio::test]
async fn the_test_refuses_a_trust_policy_that_does_not_admit_the_agilix_account() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let stream = unique("trust-stream");
    create_stream(&stream);
    let role = unique("trust-role");
    let arn = create_role(&role, &trust_policy("111122223333", None), 43_200);
    put_role_policy(&role, "writer", &writer_policy(&stream));
    let response = test_target(
        &sandbox,
        &token,
        kinesis_target("wrong trust", &stream, &arn, false),
    )
    .await;
    let message = assert_refused(&sandbox, &response, "wrong trust", "AccessDenied").await;
    assert!(
        message.contains(&format!(
            "User: arn:aws:sts::{AGILIX_ACCOUNT}:assumed-role/"
        )) && message.contains(&format!(
            "is not authorized to perform: sts:AssumeRole on resource: {arn}"
        )),
        "{message}"
    );
    assert!(read_events(&stream).is_empty(), "no probe was written");
}

#[tokio::test]
async fn the_test_refuses_a_trust_statement_that_is_denied_for_the_agilix_account() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let stream = unique("deny-trust-stream");
    create_stream(&stream);
    let role = unique("deny-trust-role");
    let mut trust = trust_policy(AGILIX_ACCOUNT, None);
    trust["Statement"]
        .as_array_mut()
        .expect("statements")
        .push(json!({"Effect": "Deny", "Principal": {"AWS": AGILIX_ACCOUNT}, "Action": "sts:*"}));
    let arn = create_role(&role, &trust, 43_200);
    put_role_policy(&role, "writer", &writer_policy(&stream));
    let response = test_target(
        &sandbox,
        &token,
        kinesis_target("denied", &stream, &arn, false),
    )
    .await;
    assert_refused(&sandbox, &response, "denied", "AccessDenied").await;
}

#[tokio::test]
async fn with_an_external_id_the_trust_must_require_exactly_that_id() {
    let sandbox = Sandbox::start(SandboxOptions::new().external_id("agilix-ext-42"));
    let token = sandbox.login_admin().await;
    let stream = unique("extid-stream");
    create_stream(&stream);
    let cases = [
        (None, false),
        (Some("someone-else"), false),
        (Some("agilix-ext-42"), true),
    ];
    for (trust_id, accepted) in cases {
        let role = unique("extid-role");
        let arn = create_role(&role, &trust_policy(AGILIX_ACCOUNT, trust_id), 43_200);
        put_role_policy(&role, "writer", &writer_policy(&stream));
        let title = format!("ext {trust_id:?}");
        let response = test_target(
            &sandbox,
            &token,
            kinesis_target(&title, &stream, &arn, false),
        )
        .await;
        if accepted {
            assert_eq!(response["code"], "OK", "{trust_id:?}: {response}");
        } else {
            assert_refused(&sandbox, &response, &title, "AccessDenied").await;
        }
    }
}

#[tokio::test]
async fn a_trust_that_requires_an_external_id_refuses_a_buzz_that_sends_none() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let stream = unique("noext-stream");
    create_stream(&stream);
    let role = unique("noext-role");
    let arn = create_role(
        &role,
        &trust_policy(AGILIX_ACCOUNT, Some("invented-id")),
        43_200,
    );
    put_role_policy(&role, "writer", &writer_policy(&stream));
    let response = test_target(
        &sandbox,
        &token,
        kinesis_target("invented", &stream, &arn, false),
    )
    .await;
    assert_refused(&sandbox, &response, "invented", "AccessDenied").await;
}

#[tokio::test]
async fn the_test_refuses_a_role_whose_max_session_is_one_hour() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let stream = unique("session-stream");
    create_stream(&stream);
    let role = unique("session-role");
    let arn = create_role(&role, &trust_policy(AGILIX_ACCOUNT, None), 3600);
    put_role_policy(&role, "writer", &writer_policy(&stream));
    let response = test_target(
        &sandbox,
        &token,
        kinesis_target("one hour", &stream, &arn, false),
    )
    .await;
    let message = assert_refused(&sandbox, &response, "one hour", "ValidationError").await;
    assert!(
        message.ends_with(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        ),
        "{message}"
    );
}

/// A role trusted correctly, with `policies` as its inline policies; returns the test's answer.
async fn test_with_policies(prefix: &str, policies: &[Value]) -> (Value, String, Sandbox) {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let stream = unique(&format!("{prefix}-stream"));
    create_stream(&stream);
    let role = unique(&format!("{prefix}-role"));
    let arn = create_role(&role, &trust_policy(AGILIX_ACCOUNT, None), 43_200);
    for (i, policy) in policies.iter().enumerate() {
        let document = if policy.is_string() {
            // A string is a stream name: the writer policy for it.
            writer_policy(policy.as_str().unwrap_or_default())
        } else {
            policy.clone()
        };
        put_role_policy(&role, &format!("policy{i}"), &document);
    }
    let response = test_target(
        &sandbox,
        &token,
        kinesis_target(prefix, &stream, &arn, false),
    )
    .await;
    (response, stream, sandbox)
}

#[tokio::test]
async fn the_test_refuses_a_role_without_put_record() {
    let reader = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:GetRecords"], "Resource": "*"}]});
    let (response, stream, sandbox) = test_with_policies("noput", &[reader]).await;
    let message = assert_refused(&sandbox, &response, "noput", "AccessDeniedException").await;
    assert!(
        message.contains(&format!(
            "kinesis:PutRecord on resource: {}",
            stream_arn(&stream)
        )),
        "{message}"
    );
}

#[tokio::test]
async fn the_test_refuses_a_policy_for_another_stream() {
    let other = unique("other-stream");
    let (response, stream, sandbox) = test_with_policies("otherstream", &[json!(other)]).await;
    let message = assert_refused(&sandbox, &response, "otherstream", "AccessDeniedException").await;
    assert!(message.contains(&stream_arn(&stream)), "{message}");
    assert!(read_events(&stream).is_empty(), "no probe was written");
}

#[tokio::test]
async fn an_explicit_deny_beats_the_writer_policy() {
    let deny = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kinesis:Put*", "Resource": "*"}]});
    let prefix = "explicitdeny";
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let (stream, arn) = stream_and_writer_role(prefix);
    let role = arn.rsplit('/').next().unwrap_or_default().to_string();
    put_role_policy(&role, "deny", &deny);
    let response = test_target(
        &sandbox,
        &token,
        kinesis_target(prefix, &stream, &arn, false),
    )
    .await;
    let message = assert_refused(&sandbox, &response, prefix, "AccessDeniedException").await;
    assert!(message.contains("explicit deny"), "{message}");
}

#[tokio::test]
async fn wildcards_and_an_attached_managed_policy_also_grant_put_record() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let stream = unique("managed-stream");
    create_stream(&stream);
    let role = unique("managed-role");
    let arn = create_role(&role, &trust_policy(AGILIX_ACCOUNT, None), 43_200);
    let document = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "Kinesis:Put*",
        "Resource": format!("arn:aws:kinesis:{REGION}:{MOTO_ACCOUNT}:stream/managed-stream-*")}});
    let policy = aws_cli(&[
        "iam",
        "create-policy",
        "--policy-name",
        &unique("managed-writer"),
        "--policy-document",
        &document.to_string(),
    ]);
    let policy_arn = policy["Policy"]["Arn"]
        .as_str()
        .expect("policy ARN")
        .to_string();
    aws_cli(&[
        "iam",
        "attach-role-policy",
        "--role-name",
        &role,
        "--policy-arn",
        &policy_arn,
    ]);
    let response = test_target(
        &sandbox,
        &token,
        kinesis_target("managed", &stream, &arn, false),
    )
    .await;
    assert_eq!(response["code"], "OK", "{response}");
}

#[tokio::test]
async fn a_young_role_is_refused_during_iam_propagation_and_accepted_after() {
    // Long enough that making the role and its policy through the AWS CLI (two Python starts,
    // seconds each on a loaded machine) stays well inside it, so the early test below is
    // sent while the role is young, as the test means.
    let delay = 20;
    let sandbox = Sandbox::start(SandboxOptions::new().iam_propagation_delay(delay));
    let token = sandbox.login_admin().await;
    let stream = unique("young-stream");
    create_stream(&stream);
    let created = Instant::now();
    let role = unique("young-role");
    let arn = create_role(&role, &trust_policy(AGILIX_ACCOUNT, None), 43_200);
    put_role_policy(&role, "writer", &writer_policy(&stream));
    let target = kinesis_target("young", &stream, &arn, false);

    let early = test_target(&sandbox, &token, target.clone()).await;
    assert!(
        created.elapsed() < Duration::from_secs(delay),
        "setting up took too long for this test to mean anything"
    );
    assert_refused(&sandbox, &early, "young", "AccessDenied").await;

    let mut accepted = false;
    while created.elapsed() < Duration::from_secs(delay + 20) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let later = test_target(&sandbox, &token, target.clone()).await;
        if later["code"] == "OK" {
            accepted = true;
            break;
        }
        assert_refused(&sandbox, &later, "young", "AccessDenied").await;
    }
    assert!(accepted, "the role was never accepted");
    assert!(
        created.elapsed() >= Duration::from_secs(delay),
        "accepted too early"
    );
}

#[tokio::test]
async fn a_missing_stream_fails_the_test_with_the_aws_code() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let stream = unique("missing-stream");
    let role = unique("missing-stream-role");
    let arn = create_writer_role(&role, &stream);
    let response = test_target(
        &sandbox,
        &token,
        kinesis_target("nowhere", &stream, &arn, false),
    )
    .await;
    assert_refused(&sandbox, &response, "nowhere", "ResourceNotFoundException").await;
}

// ---------------------------------------------------------------------------------------------
// The Kinesis target test: success, and the records in the stream

#[tokio::test]
async fn a_correct_role_and_stream_pass_and_the_probe_record_has_the_contract_envelope() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let (stream, role_arn) = stream_and_writer_role("probe");
    let response = test_target(
        &sandbox,
        &token,
        kinesis_target("Buzz events", &stream, &role_arn, false),
    )
    .await;
    assert_eq!(response["code"], "OK", "{response}");

    let records = read_records(&stream);
    assert_eq!(records.len(), 1, "{records:?}");
    let raw = &records[0];
    let event: Value = serde_json::from_str(raw).expect("the record is JSON");
    assert_eq!(
        &event.to_string(),
        raw,
        "compact JSON, keys in contract order"
    );
    let keys: Vec<&str> = event
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "time",
            "guid",
            "domainId",
            "type",
            "data",
            "userId",
            "agentUserId",
            "sessionId"
        ]
    );
    assert_eq!(event["type"], "ValidateDataStreamConfiguration");
    assert_eq!(event["domainId"], DOMAIN_ID);
    assert!(
        is_buzz_time(event["time"].as_str().unwrap_or_default()),
        "{event}"
    );
    assert!(
        is_uuid_v4(event["guid"].as_str().unwrap_or_default()),
        "{event}"
    );
    assert!(event["data"].is_object(), "{event}");
    for id in ["userId", "agentUserId", "sessionId"] {
        let text = event[id].as_str().unwrap_or_default();
        assert!(
            !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()),
            "{id}: {event}"
        );
    }
}

#[tokio::test]
async fn saving_an_enabled_target_sends_created_then_changed_and_a_disabled_one_sends_nothing() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let (stream, role_arn) = stream_and_writer_role("created");

    let disabled = sandbox
        .cmd_as(
            &token,
            set_request(
                false,
                json!({"kinesis": [kinesis_target("t", &stream, &role_arn, false)]}),
            ),
        )
        .await;
    assert_eq!(disabled["code"], "OK", "{disabled}");
    assert!(events_of_type(&stream, "DataStreamConfigurationCreated").is_empty());

    // The domain had a configuration now, but make the first enabled save a creation.
    sandbox.set_domain_config(DOMAIN_ID, Value::Null).await;
    let enabled = kinesis_target("Buzz events to Kinesis", &stream, &role_arn, true);
    let first = sandbox
        .cmd_as(
            &token,
            set_request(false, json!({"kinesis": [enabled.clone()]})),
        )
        .await;
    assert_eq!(first["code"], "OK", "{first}");
    let created = events_of_type(&stream, "DataStreamConfigurationCreated");
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0]["data"]["title"], "Buzz events to Kinesis");
    assert_eq!(
        created[0]["data"]["configuration"]["kinesis"],
        json!([enabled.clone()])
    );

    let second = sandbox
        .cmd_as(
            &token,
            set_request(
                false,
                json!({"kinesis": [enabled], "https": [{"title": "h"}]}),
            ),
        )
        .await;
    assert_eq!(second["code"], "OK", "{second}");
    assert_eq!(
        events_of_type(&stream, "DataStreamConfigurationChanged").len(),
        1
    );
    // Each save was tested first: three probes.
    assert_eq!(
        events_of_type(&stream, "ValidateDataStreamConfiguration").len(),
        3
    );
}

// ---------------------------------------------------------------------------------------------
// Faults

async fn raw_login(sandbox: &Sandbox) -> reqwest::Result<reqwest::Response> {
    sandbox
        .http()
        .post(sandbox.cmd_url())
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/json")
        .body(json!({"request": {"cmd": "login3", "username": ADMIN_USER, "password": ADMIN_PASSWORD}}).to_string())
        .send()
        .await
}

#[tokio::test]
async fn each_fault_kind_is_observable_and_a_faulted_request_is_not_executed() {
    let sandbox = Sandbox::start(SandboxOptions::new().retry_after(7));

    for (kind, status, code) in [
        ("429", StatusCode::TOO_MANY_REQUESTS, "RateLimit"),
        ("503", StatusCode::SERVICE_UNAVAILABLE, "ServerOverwhelmed"),
        ("500", StatusCode::INTERNAL_SERVER_ERROR, "Exception"),
    ] {
        sandbox.arm_faults(1, &[kind]).await;
        let response = raw_login(&sandbox).await.expect("an answer");
        assert_eq!(response.status(), status, "{kind}");
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if kind == "500" {
            assert_eq!(retry_after, None);
        } else {
            assert_eq!(retry_after.as_deref(), Some("7"), "{kind}");
        }
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["response"]["code"], code, "{body}");
        assert!(body["response"]["errorId"].is_string());
    }
    assert_eq!(
        sandbox.state().await["sessions"],
        0,
        "no faulted login was executed"
    );

    sandbox.arm_faults(1, &["drop"]).await;
    let dropped = raw_login(&sandbox).await;
    assert!(
        dropped.is_err(),
        "the connection closes without an answer: {dropped:?}"
    );

    sandbox.arm_faults(1, &["malformed"]).await;
    let malformed = raw_login(&sandbox).await.expect("an answer");
    assert_eq!(malformed.status(), StatusCode::OK);
    let text = malformed.text().await.expect("body");
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "not JSON: {text}"
    );
    assert_eq!(sandbox.state().await["sessions"], 0);

    // noauth ends the session that was used.
    let token = sandbox.login_admin().await;
    sandbox.arm_faults(1, &["noauth"]).await;
    let ended = sandbox.cmd_as(&token, get_request()).await;
    assert_eq!(ended["code"], "NoAuthentication", "{ended}");
    let still_ended = sandbox.cmd_as(&token, get_request()).await;
    assert_eq!(
        still_ended["code"], "NoAuthentication",
        "the token was revoked: {still_ended}"
    );

    let log = sandbox.request_log().await;
    let faulted: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e["faulted"] == true)
        .map(|e| {
            (
                e["cmd"].as_str().unwrap_or(""),
                e["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        faulted,
        [
            ("login3", "RateLimit"),
            ("login3", "ServerOverwhelmed"),
            ("login3", "Exception"),
            ("login3", "drop"),
            ("login3", "malformed"),
            ("getdatastreamconfiguration", "NoAuthentication"),
        ]
    );
}

#[tokio::test]
async fn a_timeout_fault_holds_the_request_until_the_client_gives_up() {
    let sandbox = Sandbox::start(SandboxOptions::new().timeout_hold(5));
    sandbox.arm_faults(1, &["timeout"]).await;
    let started = Instant::now();
    let answer = sandbox
        .http()
        .post(sandbox.cmd_url())
        .timeout(Duration::from_millis(800))
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/json")
        .body(json!({"request": {"cmd": "getstatus"}}).to_string())
        .send()
        .await;
    let error = answer.expect_err("no answer in time");
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() >= Duration::from_millis(700));
    let log = sandbox.request_log().await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["faulted"], true);
    assert_eq!(log[0]["code"], "timeout");
}

#[tokio::test]
async fn a_faulted_set_saves_nothing_and_the_retry_saves() {
    let sandbox = Sandbox::start_default();
    let token = sandbox.login_admin().await;
    let request = set_request(
        false,
        json!({"https": [{"title": "hook", "endpoints": "https://example.org/"}]}),
    );
    sandbox.arm_faults(1, &["500"]).await;
    let faulted = sandbox.cmd_as(&token, request.clone()).await;
    assert_eq!(faulted["code"], "Exception", "{faulted}");
    assert_eq!(sandbox.domain_config(DOMAIN_ID).await, Value::Null);
    let retried = sandbox.cmd_as(&token, request).await;
    assert_eq!(retried["code"], "OK", "{retried}");
    assert_eq!(
        sandbox.domain_config(DOMAIN_ID).await,
        json!({"https": [{"title": "hook", "endpoints": "https://example.org/"}]})
    );
    let log = sandbox.request_log().await;
    let sets: Vec<(bool, bool)> = log
        .iter()
        .filter(|e| e["cmd"] == "setdatastreamconfiguration")
        .map(|e| (e["faulted"] == true, e["mutating"] == true))
        .collect();
    assert_eq!(sets, [(true, false), (false, true)]);
}

#[tokio::test]
async fn faults_armed_at_start_cycle_through_the_kinds_and_then_stop() {
    let sandbox = Sandbox::start(SandboxOptions::new().faults(3, &["503", "429"]));
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = raw_login(&sandbox).await.expect("an answer");
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [503, 429, 503, 200]);
    // The inspection endpoints are never faulted.
    assert_eq!(sandbox.state().await["faults"]["remaining"], 0);
}

#[tokio::test]
async fn faults_after_lets_the_first_requests_through_then_a_noauth_fault_ends_the_session() {
    let sandbox = Sandbox::start(SandboxOptions::new().faults(1, &["noauth"]).faults_after(1));
    let token = sandbox.login_admin().await;
    let ended = sandbox.cmd_as(&token, get_request()).await;
    assert_eq!(ended["code"], "NoAuthentication", "{ended}");
    let again = sandbox.login_admin().await;
    let fine = sandbox.cmd_as(&again, get_request()).await;
    assert_eq!(fine["code"], "OK", "{fine}");

    sandbox.arm_faults_after(2, 1, &["503"]).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = raw_login(&sandbox).await.expect("an answer");
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 503, 200]);
}

#[tokio::test]
async fn a_fault_rate_of_one_fails_every_buzz_request_but_not_the_inspection_endpoints() {
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .fault_rate(1.0, 7)
            .arg("--fault-kinds")
            .arg("500"),
    );
    for _ in 0..3 {
        let response = raw_login(&sandbox).await.expect("an answer");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
    let state = sandbox.state().await;
    assert_eq!(state["log"].as_array().map(Vec::len), Some(3));
    assert_eq!(state["sessions"], 0);
}

// ---------------------------------------------------------------------------------------------
// The domain hierarchy (`--domain-tree`): listdomains, getdomainparentlist, getdomain2, what a
// login may reach, and delivery that follows the tree

fn state_tree() -> SandboxOptions {
    SandboxOptions::new().domain_tree("state")
}

/// The ids of a domain list, whatever its shape: `{"domains": {"domain": [..] | {..} | {}}}`
/// or `{"domains": [..]}`.
fn listed_ids(response: &Value) -> Vec<String> {
    assert_eq!(response["code"], "OK", "{response}");
    let domains = &response["domains"];
    let items = match domains.get("domain").unwrap_or(domains) {
        Value::Array(items) => items.clone(),
        Value::Object(map) if map.is_empty() => Vec::new(),
        object @ Value::Object(_) => vec![object.clone()],
        other => panic!("not a domain list: {other} in {response}"),
    };
    items
        .iter()
        .map(|d| {
            d["id"]
                .as_str()
                .unwrap_or_else(|| panic!("ids are strings: {d}"))
                .to_string()
        })
        .collect()
}

async fn list_domains(sandbox: &Sandbox, token: &str, domain: &str, descendants: bool) -> Value {
    sandbox
        .cmd_as(
            token,
            json!({"cmd": "listdomains", "domainid": domain, "includedescendantdomains": descendants}),
        )
        .await
}

async fn parent_list(sandbox: &Sandbox, token: &str, domain: &str) -> Value {
    sandbox
        .cmd_as(
            token,
            json!({"cmd": "getdomainparentlist", "domainid": domain}),
        )
        .await
}

fn assert_access_denied(response: &Value) {
    assert_eq!(response["code"], "AccessDenied", "{response}");
    assert!(
        response["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{response}"
    );
    assert!(
        response["errorId"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{response}"
    );
}

fn all_descendants_of_the_state() -> Vec<String> {
    let mut all: Vec<String> = [DOMAIN_ID, DISTRICT_B]
        .into_iter()
        .chain(SCHOOLS_A)
        .chain(SCHOOLS_B)
        .map(str::to_string)
        .collect();
    all.sort();
    all
}

#[tokio::test]
async fn listdomains_lists_the_children_or_with_descendants_the_whole_subtree() {
    let sandbox = Sandbox::start(state_tree());
    let token = sandbox.login(STATE_ADMIN, ADMIN_PASSWORD).await;

    let children = list_domains(&sandbox, &token, STATE_DOMAIN, false).await;
    assert_eq!(listed_ids(&children), [DOMAIN_ID, DISTRICT_B]);
    let district = &children["domains"]["domain"][0];
    for key in ["id", "name", "userspace", "parentid"] {
        assert!(district[key].is_string(), "{key}: {district}");
    }
    assert_eq!(district["parentid"], STATE_DOMAIN);
    assert_eq!(district["userspace"], "sandbox");

    let subtree = list_domains(&sandbox, &token, STATE_DOMAIN, true).await;
    assert_eq!(listed_ids(&subtree), all_descendants_of_the_state());
    // `0` is the login's own domain, and a userspace path names a domain too.
    let own = list_domains(&sandbox, &token, "0", true).await;
    assert_eq!(listed_ids(&own), all_descendants_of_the_state());
    let by_path = list_domains(&sandbox, &token, "//district-b", false).await;
    assert_eq!(listed_ids(&by_path), SCHOOLS_B);
    // `text` keeps the names or userspaces that contain it, in any case.
    let text = sandbox
        .cmd_as(
            &token,
            json!({"cmd": "listdomains", "domainid": STATE_DOMAIN, "includedescendantdomains": true, "text": "SCHOOL-B", "select": "data"}),
        )
        .await;
    assert_eq!(listed_ids(&text), SCHOOLS_B);
    // A district's login lists its own schools; a school has none.
    let district_token = sandbox.login_admin().await;
    let schools = list_domains(&sandbox, &district_token, "0", true).await;
    assert_eq!(listed_ids(&schools), SCHOOLS_A);
    let none = list_domains(&sandbox, &district_token, SCHOOLS_A[0], true).await;
    assert_eq!(none["domains"], json!({"domain": []}));
    // The login's answer names the login's domain.
    let login = sandbox
        .cmd(json!({"cmd": "login3", "username": STATE_ADMIN, "password": ADMIN_PASSWORD}))
        .await;
    assert_eq!(login["user"]["domainid"], STATE_DOMAIN);
    assert_eq!(login["user"]["userspace"], "state");
}

#[tokio::test]
async fn listdomains_pages_with_limit_and_an_id_query_for_the_next_page() {
    let sandbox = Sandbox::start(state_tree());
    let token = sandbox.login(STATE_ADMIN, ADMIN_PASSWORD).await;
    let mut seen = Vec::new();
    let mut query = String::new();
    let mut pages = 0;
    loop {
        let page = sandbox
            .cmd_as(
                &token,
                json!({"cmd": "listdomains", "domainid": STATE_DOMAIN, "includedescendantdomains": true, "limit": 3, "query": query}),
            )
            .await;
        let ids = listed_ids(&page);
        assert!(ids.len() <= 3, "{page}");
        pages += 1;
        let Some(last) = ids.last().cloned() else {
            break;
        };
        seen.extend(ids);
        query = format!("/id>{last}");
        assert!(pages < 10, "paging does not end: {seen:?}");
    }
    // 7 domains: pages of 3, 3 and 1, then an empty one.
    assert_eq!(pages, 4);
    assert_eq!(seen, all_descendants_of_the_state());
    // The limit may be text (from a query string), and a query the sandbox does not play is
    // refused, not ignored.
    let text_limit = sandbox
        .cmd_as(
            &token,
            json!({"cmd": "listdomains", "domainid": STATE_DOMAIN, "includedescendantdomains": true, "limit": "2"}),
        )
        .await;
    assert_eq!(listed_ids(&text_limit), [DOMAIN_ID, DISTRICT_B]);
    let unknown = sandbox
        .cmd_as(
            &token,
            json!({"cmd": "listdomains", "domainid": STATE_DOMAIN, "query": "/name='x'"}),
        )
        .await;
    assert_eq!(unknown["code"], "BadRequest", "{unknown}");
}

#[tokio::test]
async fn a_page_cap_shortens_every_answer_so_only_a_client_that_pages_sees_every_school() {
    let sandbox = Sandbox::start(
        SandboxOptions::new()
            .domain_tree("schools:25")
            .listdomains_page_cap(10),
    );
    let token = sandbox.login_admin().await;
    let unasked = list_domains(&sandbox, &token, "0", true).await;
    assert_eq!(listed_ids(&unasked).len(), 10);
    let mut seen: Vec<String> = Vec::new();
    loop {
        let mut request = json!({"cmd": "listdomains", "domainid": "0", "includedescendantdomains": true, "limit": 50});
        if let Some(last) = seen.last() {
            request["query"] = json!(format!("/id>{last}"));
        }
        let ids = listed_ids(&sandbox.cmd_as(&token, request).await);
        assert!(ids.len() <= 10, "{ids:?}");
        if ids.is_empty() {
            break;
        }
        seen.extend(ids);
    }
    let expected: Vec<String> = (600_001..=600_025).map(|n: u32| n.to_string()).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn getdomainparentlist_lists_the_ancestors_nearest_first_and_getdomain2_answers_one_domain() {
    let sandbox = Sandbox::start(state_tree());
    let token = sandbox.login_admin().await;
    let school = SCHOOLS_A[0];
    assert_eq!(
        listed_ids(&parent_list(&sandbox, &token, school).await),
        [DOMAIN_ID, STATE_DOMAIN]
    );
    assert_eq!(
        listed_ids(&parent_list(&sandbox, &token, DOMAIN_ID).await),
        [STATE_DOMAIN]
    );
    let state_token = sandbox.login(STATE_ADMIN, ADMIN_PASSWORD).await;
    let root = parent_list(&sandbox, &state_token, STATE_DOMAIN).await;
    assert_eq!(root["domains"], json!({"domain": []}), "{root}");

    let domain = sandbox
        .cmd_as(&token, json!({"cmd": "getdomain2", "domainid": school}))
        .await;
    assert_eq!(domain["code"], "OK", "{domain}");
    assert_eq!(domain["domain"]["id"], school);
    assert_eq!(domain["domain"]["parentid"], DOMAIN_ID);
    assert_eq!(domain["domain"]["userspace"], "school-a1");
    // The login's ancestors' records are readable (its parent list shows them anyway), a
    // sibling's are not.
    let state = sandbox
        .cmd_as(
            &token,
            json!({"cmd": "getdomain2", "domainid": STATE_DOMAIN}),
        )
        .await;
    assert_eq!(state["domain"]["parentid"], "0", "a root's parent: {state}");
    let sibling = sandbox
        .cmd_as(&token, json!({"cmd": "getdomain2", "domainid": DISTRICT_B}))
        .await;
    assert_access_denied(&sibling);
    assert_access_denied(&parent_list(&sandbox, &token, SCHOOLS_B[0]).await);
}

#[tokio::test]
async fn the_parent_list_may_include_the_domain_itself_and_start_at_the_root() {
    let sandbox = Sandbox::start(
        state_tree()
            .parent_list_includes_self()
            .parent_list_order("root-first")
            .listdomains_includes_self(),
    );
    let token = sandbox.login_admin().await;
    assert_eq!(
        listed_ids(&parent_list(&sandbox, &token, SCHOOLS_A[1]).await),
        [STATE_DOMAIN, DOMAIN_ID, SCHOOLS_A[1]]
    );
    let mut with_self = vec![DOMAIN_ID];
    with_self.extend(SCHOOLS_A);
    assert_eq!(
        listed_ids(&list_domains(&sandbox, &token, DOMAIN_ID, false).await),
        with_self
    );
}

#[tokio::test]
async fn one_domain_answers_as_an_object_and_none_as_an_empty_object_and_flat_drops_the_wrapper() {
    let sandbox = Sandbox::start(state_tree().single_object_arrays());
    let token = sandbox.login_admin().await;
    let one = parent_list(&sandbox, &token, DOMAIN_ID).await;
    assert_eq!(one["domains"]["domain"]["id"], STATE_DOMAIN, "{one}");
    let none = list_domains(&sandbox, &token, SCHOOLS_A[0], false).await;
    assert_eq!(none["domains"], json!({"domain": {}}), "{none}");
    assert!(listed_ids(&none).is_empty());

    let flat = Sandbox::start(state_tree().domain_list_shape("flat"));
    let token = flat.login_admin().await;
    let schools = list_domains(&flat, &token, DOMAIN_ID, false).await;
    assert!(schools["domains"].is_array(), "{schools}");
    assert_eq!(listed_ids(&schools), SCHOOLS_A);
}

#[tokio::test]
async fn a_login_that_may_not_list_descendants_gets_access_denied_in_buzzs_error_shape() {
    let sandbox = Sandbox::start(state_tree().deny_listdomains("descendants"));
    let token = sandbox.login_admin().await;
    let response = sandbox
        .http()
        .post(sandbox.cmd_url())
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/json")
        .bearer_auth(&token)
        .body(
            json!({"request": {"cmd": "listdomains", "domainid": "0", "includedescendantdomains": true}})
                .to_string(),
        )
        .send()
        .await
        .expect("a listdomains request");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "Buzz errors are HTTP 200"
    );
    let body: Value = response.json().await.expect("JSON");
    assert_access_denied(&body["response"]);
    // Children still list.
    assert_eq!(
        listed_ids(&list_domains(&sandbox, &token, "0", false).await),
        SCHOOLS_A
    );

    let all = Sandbox::start(state_tree().deny_listdomains("all"));
    let token = all.login_admin().await;
    assert_access_denied(&list_domains(&all, &token, "0", false).await);
    // The parent list and getdomain2 are other commands: still answered.
    assert_eq!(
        listed_ids(&parent_list(&all, &token, DOMAIN_ID).await),
        [STATE_DOMAIN]
    );
}

#[tokio::test]
async fn a_login_reaches_its_domain_and_descendants_but_not_ancestors_or_siblings() {
    let sandbox = Sandbox::start(state_tree());
    let token = sandbox.login_admin().await;
    let get = |domain: &str| json!({"cmd": "getdatastreamconfiguration", "domainid": domain});
    for domain in [DOMAIN_ID, SCHOOLS_A[0], "//school-a2"] {
        let response = sandbox.cmd_as(&token, get(domain)).await;
        assert_eq!(response["code"], "OK", "{domain}: {response}");
    }
    for domain in [STATE_DOMAIN, DISTRICT_B, SCHOOLS_B[0]] {
        assert_access_denied(&sandbox.cmd_as(&token, get(domain)).await);
        assert_access_denied(&list_domains(&sandbox, &token, domain, false).await);
    }
    // A set without targets (a deletion) needs no AWS: allowed on a school, refused above.
    let set = |domain: &str| json!({"cmd": "setdatastreamconfiguration", "domainid": domain});
    let school = sandbox.cmd_as(&token, set(SCHOOLS_A[2])).await;
    assert_eq!(school["code"], "OK", "{school}");
    assert_access_denied(&sandbox.cmd_as(&token, set(STATE_DOMAIN)).await);
    // The state's login reaches everything below it; a teacher nothing (no ControlDomain).
    let state = sandbox.login(STATE_ADMIN, ADMIN_PASSWORD).await;
    let far = sandbox.cmd_as(&state, get(SCHOOLS_B[1])).await;
    assert_eq!(far["code"], "OK", "{far}");
    let teacher = sandbox.login(TEACHER_USER, TEACHER_PASSWORD).await;
    assert_access_denied(&sandbox.cmd_as(&teacher, get(SCHOOLS_A[0])).await);
}

#[tokio::test]
async fn a_schools_events_reach_every_ancestors_target_once_and_twice_with_a_second_target() {
    let sandbox = Sandbox::start(state_tree());
    let district = sandbox.login_admin().await;
    let state = sandbox.login(STATE_ADMIN, ADMIN_PASSWORD).await;
    let (district_stream, district_role) = stream_and_writer_role("tree-district");
    let (state_stream, state_role) = stream_and_writer_role("tree-state");
    let save = |domain: &str, stream: &str, role: &str| {
        let mut request = set_request(
            false,
            json!({"kinesis": [kinesis_target("t", stream, role, true)]}),
        );
        request["domainid"] = json!(domain);
        request
    };
    let saved = sandbox
        .cmd_as(&district, save(DOMAIN_ID, &district_stream, &district_role))
        .await;
    assert_eq!(saved["code"], "OK", "{saved}");
    let saved = sandbox
        .cmd_as(&state, save(STATE_DOMAIN, &state_stream, &state_role))
        .await;
    assert_eq!(saved["code"], "OK", "{saved}");

    // Get answers a domain's own configuration only: the school has none.
    let school = SCHOOLS_A[0];
    let own = sandbox
        .cmd_as(
            &district,
            json!({"cmd": "getdatastreamconfiguration", "domainid": school}),
        )
        .await;
    assert_eq!(own["code"], "OK", "{own}");
    assert!(own.get("kinesis").is_none(), "{own}");

    // Three events of the school: one copy in each ancestor's stream, with the school's id.
    assert_eq!(sandbox.emit_events(school, 3).await, (6, 0));
    for stream in [&district_stream, &state_stream] {
        let events = events_of_type(stream, "UserEntityChanged");
        assert_eq!(events.len(), 3, "{stream}: {events:?}");
        assert!(events.iter().all(|e| e["domainId"] == school), "{events:?}");
    }
    // The other district's school reaches the state only; the state's own events stay above.
    assert_eq!(sandbox.emit_events(SCHOOLS_B[0], 1).await, (1, 0));
    assert_eq!(sandbox.emit_events(STATE_DOMAIN, 1).await, (1, 0));
    assert_eq!(
        events_of_type(&district_stream, "UserEntityChanged").len(),
        3
    );
    assert_eq!(events_of_type(&state_stream, "UserEntityChanged").len(), 5);

    // A second target on the district's stream, at the school: now every event of the school
    // arrives there twice (its own configuration's creation too).
    let saved = sandbox
        .cmd_as(&district, save(school, &district_stream, &district_role))
        .await;
    assert_eq!(saved["code"], "OK", "{saved}");
    let created: Vec<Value> = events_of_type(&district_stream, "DataStreamConfigurationCreated")
        .into_iter()
        .filter(|e| e["domainId"] == school)
        .collect();
    assert_eq!(created.len(), 2, "{created:?}");
    assert_eq!(sandbox.emit_events(school, 2).await, (6, 0));
    let events = events_of_type(&district_stream, "UserEntityChanged");
    assert_eq!(events.len(), 3 + 4, "{events:?}");
    assert!(events.iter().all(|e| e["domainId"] == school), "{events:?}");
    assert_eq!(events_of_type(&state_stream, "UserEntityChanged").len(), 7);
}

#[tokio::test]
async fn the_domain_tree_comes_from_a_compact_spec_or_a_json_file() {
    let compact = Sandbox::start(SandboxOptions::new().domain_tree("1=top:Top/424242/9=leaf,1/8"));
    let token = compact.login("top/admin", ADMIN_PASSWORD).await;
    assert_eq!(
        listed_ids(&list_domains(&compact, &token, "1", true).await),
        ["8", "9", DOMAIN_ID]
    );
    let leaf = compact
        .cmd_as(&token, json!({"cmd": "getdomain2", "domainid": "//leaf"}))
        .await;
    assert_eq!(leaf["domain"]["parentid"], DOMAIN_ID, "{leaf}");

    let mut file = tempfile::Builder::new()
        .suffix(".json")
        .tempfile()
        .expect("a temp file");
    let tree = json!([
        {"id": 7000, "name": "Reseller", "userspace": "reseller"},
        {"id": DOMAIN_ID, "name": "District", "userspace": "sandbox", "parentid": "7000", "reference": "D-1"},
    ]);
    std::io::Write::write_all(&mut file, tree.to_string().as_bytes()).expect("write the tree");
    let from_file = Sandbox::start(
        SandboxOptions::new().domain_tree(file.path().to_str().expect("a UTF-8 path")),
    );
    let token = from_file.login("reseller/admin", ADMIN_PASSWORD).await;
    let children = list_domains(&from_file, &token, "7000", false).await;
    assert_eq!(listed_ids(&children), [DOMAIN_ID]);
    assert_eq!(children["domains"]["domain"][0]["name"], "District");
    assert_eq!(
        children["domains"]["domain"][0]["reference"], "D-1",
        "other fields pass through"
    );
}
