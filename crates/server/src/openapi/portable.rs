//! The schemas as the mainstream generators read them (openapi-python-client, openapi-typescript,
//! openapi-spec-validator), rewritten from what schemars derives, never by hand:
//!
//! - an enum is `{"type": "string", "enum": [...]}`, each value's meaning in the description,
//!   not a `oneOf` of single `const`s;
//! - a lone `const` string is a one-value `enum`; a `const` boolean (a field that must be
//!   `true`) is left to its description and the 422 that refuses anything else;
//! - a `oneOf`/`anyOf` that only ties fields together (`period` only when `enabled`, exactly
//!   one of `to` and `by`) is left to the description and the 422: generators read such a
//!   branch as a shape of its own and lose the operation;
//! - the schema `true` (any JSON) is `{}`;
//! - a `"default": null` is left out: an optional field left out is null already, and
//!   validators refuse it where null is not taken (an optional query parameter), while
//!   openapi-typescript reads a field with a default as always there.

use serde_json::{Map, Value};

/// Rewrites every schema of `document`: its components' and those its operations hold under
/// `schema` (parameters, bodies, answers).
pub fn portable(document: &mut Value) {
    match document {
        Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                match key.as_str() {
                    "schema" => schema(child),
                    "schemas" => {
                        if let Value::Object(schemas) = child {
                            schemas.values_mut().for_each(schema);
                        }
                    }
                    "example" | "examples" => {}
                    _ => portable(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(portable),
        _ => {}
    }
}

/// Rewrites one schema and the schemas it holds.
pub fn schema(value: &mut Value) {
    if value == &Value::Bool(true) {
        *value = Value::Object(Map::new());
    }
    let Value::Object(object) = value else { return };
    rewrite(object);
    for (key, child) in object.iter_mut() {
        match key.as_str() {
            "properties" | "patternProperties" | "$defs" => {
                if let Value::Object(members) = child {
                    members.values_mut().for_each(schema);
                }
            }
            "oneOf" | "anyOf" | "allOf" | "prefixItems" => {
                if let Value::Array(branches) = child {
                    branches.iter_mut().for_each(schema);
                }
            }
            "items" | "not" | "contains" | "propertyNames" | "if" | "then" | "else" => {
                schema(child)
            }
            // `true` here means any field is taken, which every generator reads.
            "additionalProperties" if child.is_object() => schema(child),
            _ => {}
        }
    }
}

fn rewrite(object: &mut Map<String, Value>) {
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(branches)) = object.get(key) else {
            continue;
        };
        if let Some((values, meanings)) = string_choices(branches) {
            object.remove(key);
            object.insert("type".into(), Value::String("string".into()));
            object.insert("enum".into(), Value::Array(values));
            if !meanings.is_empty() {
                let lead = object
                    .get("description")
                    .and_then(Value::as_str)
                    .map(|text| format!("{text}\n\n"))
                    .unwrap_or_default();
                object.insert(
                    "description".into(),
                    Value::String(format!("{lead}{}", meanings.join("\n"))),
                );
            }
        } else if object.contains_key("properties") && branches.iter().all(only_ties_fields) {
            object.remove(key);
        }
    }
    match object.remove("const") {
        Some(Value::Bool(_)) | None => {}
        Some(value) => {
            object.insert("enum".into(), Value::Array(vec![value]));
        }
    }
    if object.get("default") == Some(&Value::Null) {
        object.remove("default");
    }
}

/// The values and meanings of a `oneOf` whose every branch is a string `const` or `enum`.
fn string_choices(branches: &[Value]) -> Option<(Vec<Value>, Vec<String>)> {
    let mut values = Vec::new();
    let mut meanings = Vec::new();
    for branch in branches {
        let branch = branch.as_object()?;
        if branch.contains_key("properties") || branch.contains_key("$ref") {
            return None;
        }
        let choices: Vec<Value> = match (branch.get("const"), branch.get("enum")) {
            (Some(value @ Value::String(_)), None) => vec![value.clone()],
            (None, Some(Value::Array(list))) if list.iter().all(Value::is_string) => list.clone(),
            _ => return None,
        };
        if let Some(meaning) = branch.get("description").and_then(Value::as_str) {
            for choice in &choices {
                let name = choice.as_str().unwrap_or_default();
                meanings.push(format!("- `{name}`: {}", meaning.replace('\n', " ")));
            }
        }
        values.extend(choices);
    }
    (!values.is_empty()).then_some((values, meanings))
}

/// A branch that names no type of its own: it only constrains the fields the schema declares.
fn only_ties_fields(branch: &Value) -> bool {
    branch.as_object().is_some_and(|branch| {
        !branch.contains_key("type")
            && !branch.contains_key("$ref")
            && branch
                .keys()
                .all(|key| matches!(key.as_str(), "properties" | "required" | "description"))
    })
}

#[cfg(test)]
mod tests {
    use super::schema as portable;
    use serde_json::json;

    #[test]
    fn an_enum_of_consts_becomes_one_string_enum_with_its_meanings() {
        let mut schema = json!({ "description": "A state.", "oneOf": [
            { "type": "string", "enum": ["paid"] },
            { "type": "string", "const": "open", "description": "Still open." }
        ]});
        portable(&mut schema);
        assert_eq!(
            schema,
            json!({ "type": "string", "enum": ["paid", "open"],
                    "description": "A state.\n\n- `open`: Still open." })
        );
    }

    #[test]
    fn ties_between_fields_true_schemas_and_null_defaults_are_left_to_words() {
        let mut schema = json!({ "type": "object",
            "oneOf": [{ "properties": { "enabled": { "const": true } } }],
            "properties": {
                "enabled": { "type": "boolean", "const": true },
                "data": true,
                "limit": { "type": "integer", "default": null },
                "after": { "type": ["string", "null"], "default": null },
                "kind": { "const": "fixed", "type": "string" }
            }
        });
        portable(&mut schema);
        assert_eq!(
            schema,
            json!({ "type": "object", "properties": {
                "enabled": { "type": "boolean" },
                "data": {},
                "limit": { "type": "integer" },
                "after": { "type": ["string", "null"] },
                "kind": { "enum": ["fixed"], "type": "string" }
            }})
        );
    }
}
