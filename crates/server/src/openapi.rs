//! The OpenAPI document, made from the route table.

use serde_json::{json, Map, Value};

use crate::routes::{Access, Route};

pub fn document(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    for route in routes {
        let parameters: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let mut operation = json!({
            "summary": route.summary,
            "parameters": parameters,
            "responses": {
                "200": { "description": "success" },
                "4XX": { "description": "refused; the body is {code, message} and nothing changed",
                         "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        });
        if route.access == Access::Operator {
            operation["security"] = json!([{ "bearer": [] }]);
        }
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[route.method.as_str().to_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "tenure", "version": env!("CARGO_PKG_VERSION"),
                  "description": "The commercial life of cloud resources: purchase, renewal, expiry, release." },
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": { "Error": { "type": "object", "required": ["code", "message"],
                "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } }
        }
    })
}
