//! The OpenAPI 3.1 document, made from the route table: each route's handler describes its
//! body, query parameters and success answer (see [`describe`]); the route's access gives its
//! security and the refusals every route of its kind may answer.

pub mod describe;
mod examples;
mod names;
mod page;
mod portable;

use axum::http::StatusCode;
use schemars::generate::SchemaSettings;
use schemars::Schema;
use serde_json::{json, Map, Value};
use tenure_core::catalog::Catalog;

use crate::routes::{Access, Route};
use describe::{Generators, Operation};
pub use page::{docs_page, viewer_script, VIEWER_PATH};

const SCHEMAS: &str = "#/components/schemas/";

pub fn document(routes: &[Route], catalog: &Catalog) -> Value {
    let settings = SchemaSettings::draft2020_12().with(|settings| {
        settings.definitions_path = "/components/schemas".into();
        settings.meta_schema = None;
    });
    let mut generators = Generators {
        request: settings.clone().for_deserialize().into_generator(),
        answer: settings.for_serialize().into_generator(),
    };
    let operations: Vec<(&Route, Operation)> = routes
        .iter()
        .map(|route| {
            let mut operation = Operation::default();
            (route.describe)(&mut operation, &mut generators);
            (route, operation)
        })
        .collect();
    let mut request_definitions = generators.request.take_definitions(true);
    request_definitions.values_mut().for_each(without_nul);
    let answer_definitions = generators.answer.take_definitions(true);
    // A type read in requests and written in answers may differ between the two (a field
    // refused on the way in, say): its request side is then named `…Input`.
    let renamed: Vec<String> = request_definitions
        .iter()
        .filter(|(name, schema)| {
            answer_definitions
                .get(*name)
                .is_some_and(|other| other != *schema)
        })
        .map(|(name, _)| name.clone())
        .collect();
    let request_side = |mut value: Value| -> Value {
        without_nul(&mut value);
        if renamed.is_empty() {
            return value;
        }
        let mut text = value.to_string();
        for name in &renamed {
            text = text.replace(
                &format!("\"{SCHEMAS}{name}\""),
                &format!("\"{SCHEMAS}{name}Input\""),
            );
        }
        serde_json::from_str(&text).expect("a renamed reference is still JSON")
    };

    let mut paths = Map::new();
    for (route, operation) in &operations {
        let query = operation
            .query
            .as_ref()
            .map(|schema| request_side(resolved(schema, &request_definitions).to_value()));
        let body = operation.body.as_ref().map(|schema| {
            let definition = resolved(schema, &request_definitions);
            let required = definition
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(|names| !names.is_empty())
                || definition.get("oneOf").is_some()
                || definition.get("anyOf").is_some();
            (request_side(schema.clone().to_value()), required)
        });
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[route.method.as_str().to_lowercase()] =
            operation_object(route, routes, operation, query, body);
    }

    let mut schemas = Map::new();
    schemas.insert("Error".into(), error_schema());
    for (name, schema) in request_definitions {
        let name = if renamed.contains(&name) {
            format!("{name}Input")
        } else {
            name
        };
        schemas.insert(name, request_side(schema));
    }
    schemas.extend(answer_definitions);
    let mut paths = Value::Object(paths);
    let mut schemas = Value::Object(schemas);
    let offered = Offered::of(catalog);
    offered.fill(&mut paths);
    offered.fill(&mut schemas);
    portable::portable(&mut paths);
    if let Value::Object(schemas) = &mut schemas {
        schemas.values_mut().for_each(portable::schema);
    }
    if let (Value::Object(paths), Value::Object(schemas)) = (&mut paths, &schemas) {
        add_examples(paths, schemas);
    }
    let used: Vec<&str> = routes.iter().map(|route| tag(route.path)).collect();
    let mut tags: Vec<Value> = names::TAGS
        .iter()
        .filter(|(name, _)| used.contains(name))
        .map(|(name, description)| {
            json!({ "name": name, "x-displayName": display_name(name), "description": description })
        })
        .collect();
    for name in used {
        if !tags.iter().any(|known| known["name"] == name) {
            tags.push(json!({ "name": name, "x-displayName": display_name(name) }));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "tenure",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The commercial life of cloud resources: purchase, renewal and \
                auto-renewal, changes with proration, expiry and release, pay-as-you-go bills, \
                unsubscription and refunds, balance, coupons and vouchers. Amounts are integers \
                of minor units (cents) in the account's currency; times are RFC 3339. Every \
                answer that is not 2xx is {code, message} and changed nothing."
        },
        "tags": tags,
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The operator key (TENURE_ADMIN_KEY), or a key of an account's user"
                }
            },
            "schemas": schemas,
        }
    })
}

/// An example of each JSON body and success answer, where its schema allows one (see
/// [`examples`]).
fn add_examples(paths: &mut Map<String, Value>, schemas: &Map<String, Value>) {
    let media = |content: &mut Value, side: examples::Side| {
        if let Some(media) = content.get_mut("application/json") {
            if let Some(example) = examples::example(&media["schema"], schemas, side) {
                media["example"] = example;
            }
        }
    };
    for methods in paths.values_mut() {
        let Some(methods) = methods.as_object_mut() else {
            continue;
        };
        for operation in methods.values_mut() {
            if let Some(content) = operation.pointer_mut("/requestBody/content") {
                media(content, examples::Side::Request);
            }
            if let Some(responses) = operation["responses"].as_object_mut() {
                for (status, response) in responses.iter_mut() {
                    if let (true, Some(content)) =
                        (status.starts_with('2'), response.get_mut("content"))
                    {
                        media(content, examples::Side::Answer);
                    }
                }
            }
        }
    }
}

/// What the catalog offers, for the fields marked `x-catalog` (a product id, a region…): the
/// document lists them as the field's values, so a client (or a fuzzer) knows them. Which
/// edition goes with which product the schema cannot say; the use case answers 422 for that.
struct Offered {
    values: Vec<(&'static str, Vec<String>)>,
}

impl Offered {
    fn of(catalog: &Catalog) -> Offered {
        let mut products = Vec::new();
        let mut editions = Vec::new();
        let mut specs = Vec::new();
        let mut regions = Vec::new();
        let mut meters = Vec::new();
        let mut currencies = Vec::new();
        for product in &catalog.products {
            products.push(product.id.clone());
            regions.extend(product.regions.iter().cloned());
            currencies.push(product.currency.code().to_string());
            for edition in &product.editions {
                editions.push(edition.id.clone());
                specs.extend(edition.specs.iter().map(|spec| spec.id.clone()));
                meters.extend(edition.meters.iter().map(|meter| meter.id.clone()));
            }
        }
        let mut values = vec![
            ("product", products),
            ("edition", editions),
            ("spec", specs),
            ("region", regions),
            ("meter", meters),
            ("currency", currencies),
        ];
        for (_, list) in &mut values {
            list.sort();
            list.dedup();
        }
        Offered { values }
    }

    fn fill(&self, value: &mut Value) {
        match value {
            Value::Object(object) => {
                if let Some(kind) = object.remove("x-catalog") {
                    let nullable = object
                        .get("type")
                        .and_then(Value::as_array)
                        .is_some_and(|types| types.iter().any(|kind| kind == "null"));
                    if let Some((_, list)) = self.values.iter().find(|(name, _)| kind == *name) {
                        let choices = json!({ "type": "string", "enum": list });
                        // Null as a branch of its own: generators read an enum of strings
                        // and null as a union of a string enum and nothing.
                        if nullable {
                            object.remove("type");
                            object.insert("anyOf".into(), json!([choices, { "type": "null" }]));
                        } else {
                            object.insert("enum".into(), choices["enum"].clone());
                        }
                    }
                }
                for child in object.values_mut() {
                    self.fill(child);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.fill(item)),
            _ => {}
        }
    }
}

/// Text tenure takes holds no NUL character (PostgreSQL keeps none; the edge refuses it).
const NO_NUL: &str = "^[^\\u0000]*$";

/// Says so of every string a request may send that no pattern, enum or format already bounds.
fn without_nul(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let is_string = match object.get("type") {
                Some(Value::String(kind)) => kind == "string",
                Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "string"),
                _ => false,
            };
            let bounded = ["pattern", "enum", "const", "format", "x-catalog"]
                .iter()
                .any(|key| object.contains_key(*key));
            if is_string && !bounded {
                object.insert("pattern".into(), json!(NO_NUL));
            }
            for child in object.values_mut() {
                without_nul(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(without_nul),
        _ => {}
    }
}

/// A reference to a type's definition replaced by the definition (query parameters are listed
/// one by one).
fn resolved(schema: &Schema, definitions: &Map<String, Value>) -> Schema {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix(SCHEMAS))
        .and_then(|name| definitions.get(name))
        .and_then(|definition| Schema::try_from(definition.clone()).ok())
        .unwrap_or_else(|| schema.clone())
}

/// An optional query parameter's schema without its `null`: a query string leaves a parameter
/// out, it cannot send null.
fn without_null(schema: &Value) -> Value {
    let mut schema = schema.clone();
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|kind| kind != "null");
        if types.len() == 1 {
            schema["type"] = types[0].clone();
        }
    }
    if let Some(choices) = schema.get("anyOf").and_then(Value::as_array) {
        let kept: Vec<Value> = choices
            .iter()
            .filter(|choice| choice.get("type").and_then(Value::as_str) != Some("null"))
            .cloned()
            .collect();
        if kept.len() == 1 {
            let mut only = kept[0].clone();
            if let (Some(only), Some(description)) =
                (only.as_object_mut(), schema.get("description"))
            {
                only.insert("description".into(), description.clone());
            }
            return only;
        }
    }
    schema
}

/// Links from what `route`'s answer makes to the operations on it.
fn links(route: &Route, all_routes: &[Route]) -> Map<String, Value> {
    let mut links = Map::new();
    for made in route.makes {
        for target in all_routes {
            let Some(rest) = target.path.strip_prefix(made.collection) else {
                continue;
            };
            let Some(rest) = rest.strip_prefix("/{") else {
                continue;
            };
            let Some(end) = rest.find('}') else { continue };
            let name = &rest[..end];
            let mut parameters = Map::new();
            parameters.insert(name.into(), json!(format!("$response.body#{}", made.id_at)));
            // Ids earlier in the target's path come from this request's own path.
            for segment in made.collection.split('/') {
                if let Some(earlier) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    parameters.insert(earlier.into(), json!(format!("$request.path.{earlier}")));
                }
            }
            links.insert(
                operation_id(target),
                json!({ "operationId": operation_id(target), "parameters": parameters }),
            );
        }
    }
    links
}

fn operation_object(
    route: &Route,
    all_routes: &[Route],
    operation: &Operation,
    query: Option<Value>,
    body: Option<(Value, bool)>,
) -> Value {
    let mut parameters: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            json!({ "name": name, "in": "path", "required": true,
                    "schema": { "type": "string", "minLength": 1, "pattern": NO_NUL } })
        })
        .collect();
    if let Some(query) = &query {
        let required: Vec<&str> = query["required"]
            .as_array()
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(properties) = query["properties"].as_object() {
            for (name, schema) in properties {
                let mut parameter = json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(&name.as_str()),
                    "schema": without_null(schema),
                });
                if let Some(description) = schema.get("description") {
                    parameter["description"] = description.clone();
                }
                parameters.push(parameter);
            }
        }
    }
    if body.is_some() {
        parameters.push(json!({
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "Send the same key again to get the first answer back instead of \
                doing the work twice (1 to 255 characters)",
            "schema": { "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$" }
        }));
    }

    let mut responses = Map::new();
    if let Some(success) = &operation.answer {
        let mut content = Map::new();
        for media_type in std::iter::once(success.content_type).chain(success.also_as) {
            content.insert(media_type.to_string(), json!({ "schema": success.schema }));
        }
        responses.insert(
            success.status.to_string(),
            json!({
                "description": if success.status == 201 { "created" } else { "success" },
                "content": content
            }),
        );
    }
    if let Some(success) = &operation.answer {
        let links = links(route, all_routes);
        if !links.is_empty() {
            if let Some(answer) = responses.get_mut(&success.status.to_string()) {
                answer["links"] = Value::Object(links);
            }
        }
    }
    for status in refusals(route, query.is_some(), body.is_some()) {
        let mut refusal = json!({
            "description": refusal_description(status),
            "content": { "application/json": { "schema": { "$ref": format!("{SCHEMAS}Error") } } }
        });
        if status == StatusCode::SERVICE_UNAVAILABLE {
            refusal["headers"] = json!({
                "Retry-After": {
                    "description": "Seconds to wait before sending the request again.",
                    "schema": { "type": "integer", "minimum": 0 }
                }
            });
        }
        responses.insert(status.as_u16().to_string(), refusal);
    }

    let (summary, description) = match names::named(&route.method, route.path) {
        // The route's own sentence says more than the short summary; when it says only
        // that, once is enough.
        Some((_, summary)) if !summary.eq_ignore_ascii_case(route.summary) => {
            (summary, format!("{}.", route.summary.trim_end_matches('.')))
        }
        Some((_, summary)) => (summary, String::new()),
        None => (route.summary, String::new()),
    };
    let mut object = json!({
        "summary": summary,
        "operationId": operation_id(route),
        "tags": [tag(route.path)],
        "parameters": parameters,
        "responses": responses,
        "security": match route.access {
            Access::Public => json!([]),
            Access::Operator | Access::Account(_) => json!([{ "bearer": [] }]),
        },
    });
    let access = match route.access {
        Access::Account(_) => {
            "Open to the operator and to keys of the account concerned whose role allows it."
        }
        Access::Operator => "The operator key only.",
        Access::Public => "No key needed.",
    };
    object["description"] = json!(format!("{description}\n\n{access}").trim_start());
    // A body whose fields are all optional may be left out: it reads as `{}`.
    if let Some((body, required)) = body {
        object["requestBody"] = json!({
            "required": required,
            "content": { "application/json": { "schema": body } }
        });
    }
    object
}

/// The statuses a route may refuse with: those of its kind, then its own.
fn refusals(route: &Route, has_query: bool, has_body: bool) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    if has_body {
        statuses.extend([
            StatusCode::BAD_REQUEST,
            StatusCode::REQUEST_TIMEOUT,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ]);
    }
    if route.access != Access::Public {
        statuses.extend([StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN]);
    }
    // A path's id, a body's or a list cursor may name nothing.
    if route.path.contains('{') || has_body || has_query {
        statuses.push(StatusCode::NOT_FOUND);
    }
    if has_body {
        statuses.push(StatusCode::CONFLICT);
    }
    if has_query || has_body {
        statuses.push(StatusCode::UNPROCESSABLE_ENTITY);
    }
    statuses.extend(route.refusals.iter().copied());
    // A write that could not commit, or any request cut off by a database that failed.
    statuses.push(StatusCode::SERVICE_UNAVAILABLE);
    statuses.push(StatusCode::INTERNAL_SERVER_ERROR);
    statuses.sort();
    statuses.dedup();
    statuses
}

fn refusal_description(status: StatusCode) -> String {
    let what = match status.as_u16() {
        400 => "the body is not JSON (`malformed_json`), the path is not UTF-8 (`bad_request`) or the Idempotency-Key is not 1 to 255 visible characters (`invalid_idempotency_key`)",
        401 => "no bearer key, or a key tenure does not know or has revoked (`unauthorized`)",
        402 => "the account cannot pay: balance, coupons and vouchers do not cover the amount (`insufficient_funds` and others)",
        403 => "the key's role does not allow this, or the endpoint is the operator's (`forbidden`)",
        404 => "an id names nothing, or something of another account (`not_found`)",
        409 => "the request is well formed but the current state does not allow it (for example `not_renewable`, `not_unsubscribable`)",
        408 => "the body did not arrive within the server's body read timeout (`body_timeout`)",
        413 => "the body is larger than the endpoint takes (`body_too_large`)",
        415 => "the body is not sent as `application/json` (`unsupported_media_type`)",
        422 => "a field or query parameter is missing, unknown or out of range (`invalid_field`, `invalid_query`, and codes naming the rule, such as `invalid_period`)",
        500 => "tenure failed; nothing was changed (`internal_error`)",
        503 => "tenure could not commit now, or its database failed (a lost connection, a full disk); nothing was changed: send it again after `Retry-After` seconds, with the same Idempotency-Key (`busy`)",
        _ => "refused",
    };
    format!("{}: {what}", status.canonical_reason().unwrap_or("refused"))
}

/// `{code, message}`, the wire's `Error`.
fn error_schema() -> Value {
    let mut schema = schemars::SchemaGenerator::default()
        .root_schema_for::<tenure_wire::Error>()
        .to_value();
    if let Value::Object(members) = &mut schema {
        members.remove("$schema");
        members.remove("title");
    }
    schema
}

/// The route's name in [`names::OPERATIONS`] (`renewInstance`). A route not named there yet
/// (its test fails) is called by its method and path (`postInstancesIdRenew`), so the document
/// still holds it.
fn operation_id(route: &Route) -> String {
    if let Some((id, _)) = names::named(&route.method, route.path) {
        return id.to_string();
    }
    let mut id = route.method.as_str().to_lowercase();
    for word in route
        .path
        .split(['/', '-', '.', '_'])
        .filter(|word| !word.is_empty() && *word != "v1")
    {
        let word = word.trim_start_matches('{').trim_end_matches('}');
        let mut letters = word.chars();
        if let Some(first) = letters.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(letters);
        }
    }
    id
}

/// `webhook-endpoints` → `Webhook endpoints`, as viewers show a tag (`x-displayName`).
fn display_name(tag: &str) -> String {
    let words = tag.replace('-', " ");
    let mut letters = words.chars();
    letters
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + letters.as_str())
        .unwrap_or_default()
}

/// The first segment after `/v1`: `accounts`, `instances`, …; `service` for the rest.
fn tag(path: &str) -> &str {
    path.strip_prefix("/v1/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("service")
}
