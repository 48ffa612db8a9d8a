//! An example of each body and answer, made from its schema: a field's own `examples` first,
//! then its first value, its minimum, or a plain value of its type and format. A request's
//! example holds its required fields and those with examples of their own; an answer's, every
//! field. Where a field's values cannot be made from the schema (a pattern without examples),
//! there is no example: a wrong one would mislead more than none.

use serde_json::{json, Map, Value};

const SCHEMAS: &str = "#/components/schemas/";
/// Deep enough for every answer tenure gives; deeper is a recursive type.
const MAX_DEPTH: usize = 8;

#[derive(Clone, Copy, PartialEq)]
pub enum Side {
    Request,
    Answer,
}

/// An example of `schema`, resolving references in `schemas`.
pub fn example(schema: &Value, schemas: &Map<String, Value>, side: Side) -> Option<Value> {
    value(schema, schemas, side, 0, "")
}

fn value(
    schema: &Value,
    schemas: &Map<String, Value>,
    side: Side,
    depth: usize,
    name: &str,
) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let object = schema.as_object()?;
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let target = schemas.get(reference.strip_prefix(SCHEMAS)?)?;
        return value(target, schemas, side, depth + 1, name);
    }
    if let Some(first) = object
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|list| list.first())
    {
        return Some(first.clone());
    }
    if let Some(first) = object
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|list| list.iter().find(|choice| !choice.is_null()))
    {
        return Some(first.clone());
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = object.get(key).and_then(Value::as_array) {
            return branches
                .iter()
                .filter(|branch| branch["type"] != "null")
                .find_map(|branch| value(branch, schemas, side, depth + 1, name));
        }
    }
    if let Some(members) = object.get("allOf").and_then(Value::as_array) {
        return members
            .iter()
            .find_map(|member| value(member, schemas, side, depth + 1, name));
    }
    let kind = match object.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null")?,
        _ if object.contains_key("properties") => "object",
        _ => return None,
    };
    match kind {
        "object" => {
            let required: Vec<&str> = object
                .get("required")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut made = Map::new();
            if let Some(properties) = object.get("properties").and_then(Value::as_object) {
                for (field, field_schema) in properties {
                    let needed = required.contains(&field.as_str());
                    let shown =
                        side == Side::Answer || needed || field_schema.get("examples").is_some();
                    if !shown {
                        continue;
                    }
                    match value(field_schema, schemas, side, depth + 1, field) {
                        Some(example) => {
                            made.insert(field.clone(), example);
                        }
                        None if needed && side == Side::Request => return None,
                        None => {}
                    }
                }
            }
            Some(Value::Object(made))
        }
        "array" => {
            let item = object
                .get("items")
                .and_then(|items| value(items, schemas, side, depth + 1, name));
            let least = object.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            match item {
                Some(item) => Some(json!([item])),
                None if least == 0 => Some(json!([])),
                None => None,
            }
        }
        "integer" | "number" => Some(number(object, name)),
        "boolean" => Some(Value::Bool(true)),
        "string" => text(object, name, side),
        _ => None,
    }
}

fn number(object: &Map<String, Value>, name: &str) -> Value {
    if let Some(minimum) = object.get("minimum").and_then(Value::as_i64) {
        // An amount reads better as 12.50 than as the least one.
        if name.ends_with("minor") || name == "amount" {
            let maximum = object
                .get("maximum")
                .and_then(Value::as_i64)
                .unwrap_or(i64::MAX);
            return json!(1250_i64.clamp(minimum, maximum));
        }
        return json!(minimum);
    }
    if name.ends_with("minor") || name == "amount" || name == "balance" {
        return json!(1250);
    }
    json!(1)
}

fn text(object: &Map<String, Value>, name: &str, side: Side) -> Option<Value> {
    let format = object.get("format").and_then(Value::as_str);
    let made = match format {
        Some("date-time") => "2026-02-10T00:00:00Z".to_string(),
        Some("date") => "2026-02-10".to_string(),
        Some("email") => "ada@example.com".to_string(),
        Some("uri") => "https://example.com/hooks/tenure".to_string(),
        _ => match name {
            "currency" => "USD".to_string(),
            "period" => "1M".to_string(),
            "email" => "ada@example.com".to_string(),
            "name" => "Ada Lovelace".to_string(),
            _ if name == "id" || name.ends_with("_id") => {
                format!("{}_1", name.trim_end_matches("_id"))
            }
            _ => name.replace('_', " "),
        },
    };
    let bounded = object
        .get("pattern")
        .and_then(Value::as_str)
        .is_some_and(|pattern| pattern != super::NO_NUL);
    // A value a request must match a pattern with is not made up.
    if bounded && side == Side::Request {
        return None;
    }
    let made = if made.is_empty() {
        "text".to_string()
    } else {
        made
    };
    let least = object.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    Some(Value::String(format!("{made:x<least$}")))
}

#[cfg(test)]
mod tests {
    use super::{example, Side};
    use serde_json::{json, Map};

    #[test]
    fn a_request_example_holds_required_fields_and_an_answer_every_field() {
        let mut schemas = Map::new();
        schemas.insert(
            "Period".into(),
            json!({ "type": "string", "examples": ["1M"] }),
        );
        let schema = json!({ "type": "object", "required": ["account", "amount"], "properties": {
            "account": { "type": "string" },
            "amount": { "type": "integer", "minimum": 1 },
            "period": { "$ref": "#/components/schemas/Period" },
            "note": { "type": ["string", "null"] },
            "status": { "type": "string", "enum": ["active", "expired"] }
        }});
        assert_eq!(
            example(&schema, &schemas, Side::Request),
            Some(json!({ "account": "account", "amount": 1250 }))
        );
        assert_eq!(
            example(&schema, &schemas, Side::Answer),
            Some(
                json!({ "account": "account", "amount": 1250, "period": "1M",
                         "note": "note", "status": "active" })
            )
        );
        let patterned = json!({ "type": "object", "required": ["key"],
            "properties": { "key": { "type": "string", "pattern": "^[a-z]+$" } } });
        assert_eq!(example(&patterned, &schemas, Side::Request), None);
    }
}
