//! Every request body type, fuzzed: random JSON (the field names the document gives each
//! operation, and others; values of every type, huge, negative, fractional, empty, long,
//! with NUL and other odd characters, nested) sent to every operation that takes a body, on
//! real ids and on ids that name nothing. No answer may be a 5xx, and every refusal is
//! `{code, message}`. `TENURE_FUZZ_REQUESTS` sets the volume (3,000 by default; see
//! RELIABILITY.md for the long run).

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

use crate::helpers::{spawn_app, Backend};

/// An operation that takes a body: its method, its path, the field names its body's schema
/// names (top level and one level down).
struct Operation {
    method: String,
    path: String,
    fields: Vec<String>,
    /// The examples its body's schema gives: valid bodies, changed one field at a time.
    examples: Vec<Value>,
}

/// The examples of a body's schema (behind its `$ref`).
fn examples(document: &Value, schema: &Value) -> Vec<Value> {
    let schema = match schema["$ref"].as_str() {
        Some(reference) => {
            &document["components"]["schemas"][reference.rsplit('/').next().unwrap()]
        }
        None => schema,
    };
    schema["examples"].as_array().cloned().unwrap_or_default()
}

/// `example` with one field changed (or dropped, or added), or as it is.
fn mutated(rng: &mut StdRng, example: &Value, fields: &[String]) -> Value {
    let mut body = example.clone();
    let Some(object) = body.as_object_mut() else {
        return body;
    };
    match rng.gen_range(0..4) {
        0 => {}
        1 => {
            if let Some(key) = object.keys().cloned().collect::<Vec<_>>().choose(rng) {
                object.remove(key);
            }
        }
        _ => {
            let key = match (
                object.keys().cloned().collect::<Vec<_>>().choose(rng),
                rng.gen_bool(0.7),
            ) {
                (Some(key), true) => key.clone(),
                _ => fields
                    .choose(rng)
                    .cloned()
                    .unwrap_or_else(|| random_text(rng)),
            };
            object.insert(key, random_value(rng, fields, 1));
        }
    }
    body
}

fn field_names(document: &Value, schema: &Value, into: &mut Vec<String>, depth: usize) {
    let schema = match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            &document["components"]["schemas"][name]
        }
        None => schema,
    };
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            into.push(name.clone());
            if depth < 2 {
                field_names(document, property, into, depth + 1);
            }
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for option in schema[key].as_array().into_iter().flatten() {
            field_names(document, option, into, depth);
        }
    }
    if depth < 2 && schema["items"].is_object() {
        field_names(document, &schema["items"], into, depth + 1);
    }
}

fn random_text(rng: &mut StdRng) -> String {
    let pieces = [
        "",
        "a",
        "1M",
        "P3D",
        "2026-02-10T00:00:00Z",
        "tps-1000",
        "USD",
        "é",
        "\u{0}",
        "\u{200b}",
        " ",
        "💸",
        "null",
        "-1",
        "1e309",
        "../",
        "%00",
        "<script>",
    ];
    match rng.gen_range(0..4) {
        0 => "x".repeat(rng.gen_range(0..5_000)),
        _ => (0..rng.gen_range(0..4))
            .map(|_| *pieces.choose(rng).unwrap())
            .collect(),
    }
}

fn random_value(rng: &mut StdRng, fields: &[String], depth: usize) -> Value {
    match rng.gen_range(0..if depth > 2 { 6 } else { 9 }) {
        0 => Value::Null,
        1 => json!(rng.gen_bool(0.5)),
        2 => json!(
            *[0i64, 1, -1, i64::MAX, i64::MIN, 10_000_000_000_000, 12_000]
                .choose(rng)
                .unwrap()
        ),
        3 => json!(rng.gen::<f64>() * 1e6 - 5e5),
        4 | 5 => json!(random_text(rng)),
        6 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| random_value(rng, fields, depth + 1))
                .collect(),
        ),
        _ => random_object(rng, fields, depth + 1),
    }
}

fn random_object(rng: &mut StdRng, fields: &[String], depth: usize) -> Value {
    let mut object = Map::new();
    for _ in 0..rng.gen_range(0..6) {
        let name = match (fields.choose(rng), rng.gen_range(0..5)) {
            (Some(field), 0..=3) => field.clone(),
            _ => random_text(rng),
        };
        object.insert(name, random_value(rng, fields, depth));
    }
    Value::Object(object)
}

fn requests() -> usize {
    std::env::var("TENURE_FUZZ_REQUESTS")
        .ok()
        .and_then(|requests| requests.parse().ok())
        .unwrap_or(3_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_body_type_takes_any_json_without_a_5xx() {
    let app = spawn_app(Backend::Sqlite, "2026-02-10T00:00:00Z").await;
    let account_id = app.funded_account(1_000_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let ids = [
        account_id.clone(),
        bought["instance"]["id"].as_str().unwrap().to_string(),
        bought["order"]["id"].as_str().unwrap().to_string(),
        "nothing_here".to_string(),
    ];
    let document = app.get("/openapi.json").await;
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("requestBody").is_none() {
                continue;
            }
            let mut fields = Vec::new();
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            field_names(&document, schema, &mut fields, 0);
            operations.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                fields,
                examples: examples(&document, schema),
            });
        }
    }
    assert!(
        operations.len() > 30,
        "{} operations take a body",
        operations.len()
    );

    let seed = rand::random::<u64>();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut statuses = std::collections::BTreeMap::new();
    for _ in 0..requests() {
        let operation = operations.choose(&mut rng).unwrap();
        let mut path = operation.path.clone();
        while let Some(start) = path.find('{') {
            let end = path[start..].find('}').unwrap() + start;
            path.replace_range(start..=end, ids.choose(&mut rng).unwrap());
        }
        let body = match (rng.gen_range(0..10), operation.examples.choose(&mut rng)) {
            (0, _) => random_value(&mut rng, &operation.fields, 0),
            (1..=5, Some(example)) => {
                // Examples name no real account: this one does.
                let mut body = mutated(&mut rng, example, &operation.fields);
                if body.get("account").is_some_and(Value::is_string) {
                    body["account"] = json!(account_id);
                }
                body
            }
            _ => random_object(&mut rng, &operation.fields, 0),
        };
        let (status, answer) = app
            .request(&operation.method, &path, Some(body.clone()), &[])
            .await;
        assert!(
            status < 500,
            "seed {seed}: {} {path} {body}: {status} {answer}",
            operation.method
        );
        if status >= 400 {
            assert!(
                answer["code"].is_string() && answer["message"].is_string(),
                "seed {seed}: {} {path} {body}: {status} {answer}",
                operation.method
            );
        }
        *statuses.entry(status).or_insert(0) += 1;
    }
    // Some bodies were taken, so the fuzzing reached past the parsing.
    assert!(statuses.keys().any(|status| *status < 300), "{statuses:?}");
    println!(
        "{} requests over {} operations: {statuses:?}",
        requests(),
        operations.len()
    );
}
