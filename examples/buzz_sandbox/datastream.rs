//! The two data stream commands. `getdatastreamconfiguration` returns the domain's saved
//! configuration beside the code; `setdatastreamconfiguration` replaces the whole configuration:
//! it first tests every Kinesis target (enabled or not) the way Buzz's servers do, then saves
//! unless `test` is true, then tells the enabled Kinesis targets what changed.
//!
//! Everything in a set request except `cmd`, `domainid`, `test` and `_token` is the configuration,
//! stored as given, so keys the sandbox does not know survive a round trip, as they do in Buzz.

use serde_json::{json, Map, Value};

use crate::auth::{authenticate, Caller};
use crate::aws_check::KinesisTarget;
use crate::record::{self, EventContext};
use crate::server::{BuzzError, Call, Reply};
use crate::state::{App, FailureStyle};

/// Request parameters that are not part of the configuration.
const NOT_CONFIGURATION: [&str; 4] = ["cmd", "domainid", "test", "_token"];

/// Authentication, the domain, and the ControlDomain right: what both commands need first.
fn authorize<'a>(app: &'a App, call: &Call) -> Result<(Caller<'a>, String), BuzzError> {
    let caller = authenticate(app, call)?;
    let Some(given) = call.param("domainid") else {
        return Err(BuzzError::bad_request(
            "Missing required parameter 'domainid'",
        ));
    };
    let Some(domain) = app.resolve_domain(&given) else {
        return Err(BuzzError::bad_request(format!(
            "Domain '{given}' was not found"
        )));
    };
    let login = &caller.session.domain;
    if !app.in_scope(login, &domain) {
        return Err(BuzzError::new(
            "AccessDenied",
            format!(
                "User {} logged in to domain {login} has no rights on domain {domain}, which is not {login} or one of its descendants",
                caller.user.userid
            ),
        ));
    }
    if !caller.user.control_domain {
        return Err(BuzzError::new(
            "AccessDenied",
            format!(
                "User {} does not have the ControlDomain right on domain {domain}",
                caller.user.userid
            ),
        ));
    }
    Ok((caller, domain))
}

pub fn get(app: &App, call: &Call) -> Result<Reply, BuzzError> {
    let (_, domain) = authorize(app, call)?;
    let saved = app.lock().domains.get(&domain).cloned().flatten();
    let mut payload = match saved {
        Some(Value::Object(config)) => config,
        _ => Map::new(),
    };
    if let Some(key) = &app.settings.get_kinesis_key {
        if let Some(targets) = payload.remove("kinesis") {
            payload.insert(key.clone(), targets);
        }
    }
    if app.settings.string_booleans {
        for value in payload.values_mut() {
            booleans_as_strings(value);
        }
    }
    Ok(Reply::ok(payload))
}

pub async fn set(app: &App, call: &Call) -> Result<Reply, BuzzError> {
    if call.method != axum::http::Method::POST {
        return Err(BuzzError::bad_request(
            "SetDataStreamConfiguration must be sent with POST",
        ));
    }
    let (caller, domain) = authorize(app, call)?;
    let test_only = call.flag("test");
    let mut config = call.params.clone();
    for key in NOT_CONFIGURATION {
        config.remove(key);
    }
    let ctx = EventContext {
        domain_id: domain.clone(),
        user_id: caller.user.userid.clone(),
        agent_user_id: caller.user.userid.clone(),
        session_id: caller.session.session_id.clone(),
    };

    // Test every Kinesis target; the first failure refuses the whole request.
    let targets = kinesis_entries(config.get("kinesis"))?;
    let mut parsed = Vec::with_capacity(targets.len());
    for (index, value) in targets.iter().enumerate() {
        let title = KinesisTarget::title_of(value, index);
        // Every failed test answers with the configured code, in Buzz's words or AWS's.
        let refuse = |code: &str, message: &str| {
            let settings = &app.settings;
            let text = match settings.test_failure_style {
                FailureStyle::Buzz => format!("Kinesis target '{title}': {code}: {message}"),
                FailureStyle::Aws => message.to_owned(),
            };
            BuzzError::new(settings.test_failure_code.clone(), text)
        };
        let target = KinesisTarget::parse(value, index).map_err(|f| refuse(&f.code, &f.message))?;
        app.aws
            .test_target(&app.settings, &target, &ctx)
            .await
            .map_err(|f| refuse(&f.code, &f.message))?;
        parsed.push(target);
    }
    if test_only {
        return Ok(Reply::ok(Map::new()));
    }

    // Save: replace the whole configuration; one with no targets at all is a deletion.
    let saved = if has_targets(&config) {
        Some(Value::Object(config))
    } else {
        None
    };
    let previous = app
        .lock()
        .domains
        .insert(domain.clone(), saved.clone())
        .flatten();

    match &saved {
        Some(configuration) => {
            let event_type = if previous.is_some() {
                "DataStreamConfigurationChanged"
            } else {
                "DataStreamConfigurationCreated"
            };
            // The domain's own new targets, then every ancestor's saved ones.
            let mut targets: Vec<(String, KinesisTarget)> = parsed
                .into_iter()
                .filter(|t| t.enabled)
                .map(|t| (domain.clone(), t))
                .collect();
            targets.extend(ancestor_targets(app, &domain));
            for (owner, target) in &targets {
                notify(app, owner, target, event_type, &ctx, configuration).await;
            }
        }
        None => {
            // The old targets hear about the deletion, as Buzz's do, and the ancestors' too.
            let mut targets: Vec<(String, KinesisTarget)> = enabled_targets(previous.as_ref())
                .into_iter()
                .map(|t| (domain.clone(), t))
                .collect();
            targets.extend(ancestor_targets(app, &domain));
            for (owner, target) in &targets {
                let event_type = "DataStreamConfigurationDeleted";
                notify(app, owner, target, event_type, &ctx, &Value::Null).await;
            }
        }
    }
    Ok(Reply {
        code: "OK",
        payload: Map::new(),
        mutating: true,
    })
}

/// Sends one event to a target of domain `owner`. A delivery failure does not undo the save (Buzz does not buffer
/// or retry either); it is only logged.
async fn notify(
    app: &App,
    owner: &str,
    target: &KinesisTarget,
    event_type: &str,
    ctx: &EventContext,
    configuration: &Value,
) {
    let data = json!({ "title": target.title, "configuration": configuration });
    let event = record::event(event_type, ctx, data);
    match app.aws.deliver(&app.settings, owner, target, &event).await {
        Ok(()) => eprintln!("buzz sandbox:   sent {event_type} to '{}'", target.title),
        Err(f) => eprintln!(
            "buzz sandbox:   could not send {event_type} to '{}': {}: {}",
            target.title, f.code, f.message
        ),
    }
}

/// The `kinesis` entry as a list of targets; a lone object counts as one (the quirk's shape).
pub fn kinesis_entries(value: Option<&Value>) -> Result<Vec<Value>, BuzzError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(object @ Value::Object(map)) if !map.is_empty() => Ok(vec![object.clone()]),
        Some(Value::Object(_)) => Ok(Vec::new()),
        Some(other) => Err(BuzzError::bad_request(format!(
            "'kinesis' must be an array of targets, got {other}"
        ))),
    }
}

/// A configuration without any target (no keys, or only empty collections) deletes.
fn has_targets(config: &Map<String, Value>) -> bool {
    config.values().any(|value| match value {
        Value::Null => false,
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
        _ => true,
    })
}

/// XML-born answers carry booleans as "True"/"False".
fn booleans_as_strings(value: &mut Value) {
    match value {
        Value::Bool(b) => *value = Value::String(if *b { "True" } else { "False" }.into()),
        Value::Array(items) => items.iter_mut().for_each(booleans_as_strings),
        Value::Object(map) => map.values_mut().for_each(booleans_as_strings),
        _ => {}
    }
}

/// The enabled Kinesis targets of a saved configuration.
fn enabled_targets(saved: Option<&Value>) -> Vec<KinesisTarget> {
    saved
        .and_then(|c| kinesis_entries(c.get("kinesis")).ok())
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, v)| KinesisTarget::parse(v, i).ok())
        .filter(|t| t.enabled)
        .collect()
}

/// The enabled Kinesis targets of every ancestor of `domain` (nearest first), each with its
/// domain: a descendant's events reach them too (known, Agilix's DataStream documentation).
fn ancestor_targets(app: &App, domain: &str) -> Vec<(String, KinesisTarget)> {
    let ancestors: Vec<String> = app
        .settings
        .tree
        .ancestors(domain)
        .into_iter()
        .map(|d| d.id.clone())
        .collect();
    let saved: Vec<(String, Option<Value>)> = {
        let inner = app.lock();
        ancestors
            .into_iter()
            .map(|id| {
                let config = inner.domains.get(&id).cloned().flatten();
                (id, config)
            })
            .collect()
    };
    saved
        .into_iter()
        .flat_map(|(id, config)| {
            enabled_targets(config.as_ref())
                .into_iter()
                .map(move |t| (id.clone(), t))
        })
        .collect()
}

/// How `emit` shapes its events: when they happened (`None`: now) and how many share a
/// record.
#[derive(Debug, Clone, Default)]
pub struct Emit {
    pub time: Option<String>,
    pub per_record: u64,
}

/// Buzz's everyday traffic, on demand (`POST /sandbox/domains/{id}/events`): `count` events of
/// `event_type` from `domain`, sent to each enabled Kinesis target of its saved configuration
/// and of every ancestor's, as Buzz sends them (no buffer, no retry), `shape.per_record` to a
/// record (at least one); every copy carries `domain` as its `domainId`. Returns (events sent,
/// events refused, records written).
pub async fn emit(
    app: &App,
    domain: &str,
    event_type: &str,
    count: u64,
    shape: &Emit,
) -> (u64, u64, u64) {
    let saved = app.lock().domains.get(domain).cloned().flatten();
    let mut targets: Vec<(String, KinesisTarget)> = enabled_targets(saved.as_ref())
        .into_iter()
        .map(|t| (domain.to_owned(), t))
        .collect();
    targets.extend(ancestor_targets(app, domain));
    let ctx = EventContext {
        domain_id: domain.to_owned(),
        user_id: "100003".into(),
        agent_user_id: "100003".into(),
        session_id: "8655695467559064423".into(),
    };
    let per_record = shape.per_record.max(1);
    let (mut sent, mut refused, mut records) = (0, 0, 0);
    let mut n = 0;
    while n < count {
        let batch = per_record.min(count - n);
        for (owner, target) in &targets {
            let events: Vec<_> = (n..n + batch)
                .map(|i| {
                    let data = json!({ "sequence": i });
                    record::event_at(event_type, &ctx, data, shape.time.as_deref())
                })
                .collect();
            let Some(event) = record::join(&events) else {
                continue;
            };
            match app.aws.deliver(&app.settings, owner, target, &event).await {
                Ok(()) => {
                    sent += batch;
                    records += 1;
                }
                Err(_) => refused += batch,
            }
        }
        n += batch;
    }
    (sent, refused, records)
}
