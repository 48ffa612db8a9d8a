//! `tenure simulate FILE`: plays a scenario against a fresh database on a simulated clock,
//! through the same router as the HTTP API, and returns the event log.
//!
//! A scenario is TOML:
//! ```toml
//! start = "2026-01-31T10:00:00Z"   # the simulated clock starts here
//! until = "2026-06-01T00:00:00Z"   # optional: advance to here after the last step
//!
//! [[step]]
//! at = "2026-01-31T10:00:00Z"      # the clock advances here first, taking due steps
//! call = "POST /v1/accounts"       # any API call; {name} is replaced by a saved value
//! body = { name = "Ada", email = "ada@example.com", mobile = "+15550100" }
//! save = { account = "id" }        # save a field of the answer (dotted path) as {account}
//! expect_status = 201              # optional: stop with an error on any other status
//! ```

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use tenure_core::catalog::Catalog;
use tower::ServiceExt;

use crate::Application;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub start: Timestamp,
    pub until: Option<Timestamp>,
    #[serde(default, rename = "step")]
    pub steps: Vec<ScenarioStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioStep {
    pub at: Option<Timestamp>,
    pub call: String,
    pub body: Option<toml::Value>,
    #[serde(default)]
    pub save: HashMap<String, String>,
    pub expect_status: Option<u16>,
}

const SIMULATION_KEY: &str = "simulation";

/// Plays `scenario` and returns every event, oldest first.
pub async fn run(scenario: &Scenario, catalog: Catalog) -> anyhow::Result<Vec<Value>> {
    run_observed(scenario, catalog, |_, _| {}).await
}

/// [`run`], calling `before_step` with each step's number (from 1) and call before playing it,
/// and with the number after the last step before the advance to `until`, if any (`tenure
/// simulate` draws its progress bar from it).
pub async fn run_observed(
    scenario: &Scenario,
    catalog: Catalog,
    mut before_step: impl FnMut(usize, &str),
) -> anyhow::Result<Vec<Value>> {
    let folder = std::env::temp_dir().join(format!(
        "tenure-simulate-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&folder)?;
    let result = run_in(scenario, catalog, &folder, &mut before_step).await;
    let _ = std::fs::remove_dir_all(&folder);
    result
}

async fn run_in(
    scenario: &Scenario,
    catalog: Catalog,
    folder: &std::path::Path,
    before_step: &mut dyn FnMut(usize, &str),
) -> anyhow::Result<Vec<Value>> {
    let settings = crate::Settings {
        database_url: format!("sqlite://{}", folder.join("simulation.db").display()),
        database_max_connections: tenure_store::DEFAULT_MAX_CONNECTIONS,
        listen: "127.0.0.1:0".parse()?,
        simulated_clock: Some(scenario.start),
        clock: crate::ClockChoice::Database,
        admin_key: SIMULATION_KEY.to_string(),
        catalog,
        sweep_interval: Duration::from_secs(3600),
        ledger_audit_interval: Duration::from_secs(3600),
        sequential_ids: true,
        // A simulation shows what would be sent; it sends nothing.
        delivery: None,
        limits: Default::default(),
        console: Default::default(),
        card_payments: None,
    };
    let application = Application::build(settings).await?;
    let router = crate::routes::router(application.context.clone());
    let mut saved: HashMap<String, String> = HashMap::new();
    for (index, step) in scenario.steps.iter().enumerate() {
        let number = index + 1;
        before_step(number, &step.call);
        if let Some(at) = step.at {
            let body = serde_json::json!({ "to": at });
            call(&router, "POST", "/v1/clock/advance", Some(body)).await?;
        }
        let call_text = substitute(&step.call, &saved);
        let (method, path) = call_text.split_once(' ').ok_or_else(|| {
            anyhow::anyhow!(
                "step {number}: `call` must be a method and a path, such as POST /v1/accounts"
            )
        })?;
        let body = step
            .body
            .as_ref()
            .map(|body| substitute_json(serde_json::to_value(body).expect("TOML is JSON"), &saved));
        let (status, answer) = call(&router, method, path, body).await?;
        if let Some(expected) = step.expect_status {
            if status.as_u16() != expected {
                anyhow::bail!("step {number} ({call_text}): expected status {expected}, got {status}: {answer}");
            }
        }
        for (name, field) in &step.save {
            let value = field.split('.').try_fold(&answer, |value, key| value.get(key)).ok_or_else(|| {
                anyhow::anyhow!("step {number} ({call_text}): the answer has no field `{field}` to save: {answer}")
            })?;
            let text = value
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| value.to_string());
            saved.insert(name.clone(), text);
        }
    }
    if let Some(until) = scenario.until {
        before_step(scenario.steps.len() + 1, "advance to `until`");
        call(
            &router,
            "POST",
            "/v1/clock/advance",
            Some(serde_json::json!({ "to": until })),
        )
        .await?;
    }
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let (_, page) = call(
            &router,
            "GET",
            &format!("/v1/events?limit=1000&after={after}"),
            None,
        )
        .await?;
        let data = page["data"].as_array().cloned().unwrap_or_default();
        if data.is_empty() {
            break;
        }
        after = data
            .last()
            .and_then(|event| event["seq"].as_i64())
            .unwrap_or(after);
        events.extend(data);
    }
    application.context.engine.store.close().await;
    Ok(events)
}

async fn call(
    router: &axum::Router,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<(StatusCode, Value)> {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {SIMULATION_KEY}"))
        .header("content-type", "application/json")
        .body(
            body.map(|body| Body::from(body.to_string()))
                .unwrap_or_else(Body::empty),
        )?;
    let response = router.clone().oneshot(request).await?;
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024).await?;
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_server_error() {
        anyhow::bail!("{method} {path} failed: {status} {value}");
    }
    Ok((status, value))
}

fn substitute(text: &str, saved: &HashMap<String, String>) -> String {
    saved.iter().fold(text.to_string(), |text, (name, value)| {
        text.replace(&format!("{{{name}}}"), value)
    })
}

fn substitute_json(value: Value, saved: &HashMap<String, String>) -> Value {
    match value {
        Value::String(text) => Value::String(substitute(&text, saved)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| substitute_json(item, saved))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| (key, substitute_json(value, saved)))
                .collect(),
        ),
        other => other,
    }
}
