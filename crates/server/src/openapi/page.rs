//! `/docs`: the OpenAPI document as one HTML page, rendered here from the document itself,
//! with no script and nothing fetched from elsewhere (it works on a machine with no internet).

use std::fmt::Write;

use serde_json::Value;

/// The page for `document`.
pub fn docs_page(document: &Value) -> String {
    let mut html = String::new();
    let title = text(&document["info"]["title"]);
    let version = text(&document["info"]["version"]);
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} API {version}</title><style>{STYLE}</style></head><body>\
         <header><h1>{title} API <small>{version}</small></h1><p>{}</p>\
         <p>The machine-readable document: <a href=\"/openapi.json\">/openapi.json</a>. \
         Authenticate with <code>Authorization: Bearer KEY</code>.</p></header><nav><ul>",
        escape(&text(&document["info"]["description"])),
    );
    let operations = operations(document);
    for (index, (method, path, operation)) in operations.iter().enumerate() {
        let _ = write!(
            html,
            "<li><a href=\"#op-{index}\"><span class=\"method {method}\">{}</span> {}</a></li>",
            method.to_uppercase(),
            escape(path)
        );
        let _ = operation;
    }
    html.push_str("</ul></nav><main>");
    for (index, (method, path, operation)) in operations.iter().enumerate() {
        operation_section(&mut html, index, method, path, operation);
    }
    html.push_str("<h2 id=\"schemas\">Schemas</h2>");
    if let Some(schemas) = document["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let _ = write!(
                html,
                "<section class=\"schema\" id=\"schema-{name}\"><h3>{name}</h3>{}</section>",
                json_block(schema)
            );
        }
    }
    html.push_str("</main></body></html>");
    html
}

fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let mut found = Vec::new();
    if let Some(paths) = document["paths"].as_object() {
        for (path, methods) in paths {
            if let Some(methods) = methods.as_object() {
                for (method, operation) in methods {
                    found.push((method.clone(), path.clone(), operation));
                }
            }
        }
    }
    found
}

fn operation_section(html: &mut String, index: usize, method: &str, path: &str, operation: &Value) {
    let _ = write!(
        html,
        "<section class=\"operation\" id=\"op-{index}\"><h2><span class=\"method {method}\">{}</span> \
         <code>{}</code></h2><p>{}</p>",
        method.to_uppercase(),
        escape(path),
        escape(&text(&operation["summary"])),
    );
    if let Some(description) = operation["description"].as_str() {
        let _ = write!(html, "<p class=\"access\">{}</p>", escape(description));
    }
    if operation["security"].as_array().is_some_and(Vec::is_empty) {
        html.push_str("<p class=\"access\">No key needed.</p>");
    }
    if let Some(parameters) = operation["parameters"]
        .as_array()
        .filter(|list| !list.is_empty())
    {
        html.push_str("<h3>Parameters</h3><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>");
        for parameter in parameters {
            let _ = write!(
                html,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&text(&parameter["name"])),
                escape(&text(&parameter["in"])),
                if parameter["required"] == Value::Bool(true) {
                    "yes"
                } else {
                    "no"
                },
                json_block(&parameter["schema"]),
            );
        }
        html.push_str("</table>");
    }
    if let Some(schema) =
        operation["requestBody"]["content"]["application/json"]["schema"].as_object()
    {
        let _ = write!(
            html,
            "<h3>Body</h3>{}",
            json_block(&Value::Object(schema.clone()))
        );
    }
    html.push_str("<h3>Answers</h3><dl>");
    if let Some(responses) = operation["responses"].as_object() {
        for (status, response) in responses {
            let schema = response["content"]
                .as_object()
                .and_then(|content| content.values().next())
                .map(|media| json_block(&media["schema"]))
                .unwrap_or_default();
            let _ = write!(
                html,
                "<dt>{status}</dt><dd>{}{schema}</dd>",
                escape(&text(&response["description"]))
            );
        }
    }
    html.push_str("</dl></section>");
}

/// A schema as indented JSON, its references linked to the schemas below.
fn json_block(value: &Value) -> String {
    let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
    let mut linked = String::new();
    let escaped = escape(&pretty);
    let mut rest = escaped.as_str();
    const PREFIX: &str = "&quot;#/components/schemas/";
    while let Some(start) = rest.find(PREFIX) {
        linked.push_str(&rest[..start]);
        let after = &rest[start + PREFIX.len()..];
        let end = after.find("&quot;").unwrap_or(after.len());
        let name = &after[..end];
        let _ = write!(linked, "<a href=\"#schema-{name}\">{name}</a>");
        rest = after.get(end + "&quot;".len()..).unwrap_or("");
    }
    linked.push_str(rest);
    format!("<pre>{linked}</pre>")
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;display:grid;grid-template-columns:22rem 1fr;grid-template-rows:auto 1fr;color:#1d2430}\
header{grid-column:1/3;padding:1rem 2rem;background:#f3f5f8;border-bottom:1px solid #d8dde5}\
nav{overflow:auto;max-height:calc(100vh - 9rem);position:sticky;top:0;font-size:.85rem;border-right:1px solid #d8dde5}\
nav ul{list-style:none;padding:.5rem;margin:0}nav li{margin:.15rem 0}nav a{text-decoration:none;color:inherit}\
main{padding:0 2rem 4rem;min-width:0}section{border-bottom:1px solid #e5e8ee;padding:.5rem 0 1rem}\
pre{background:#f7f8fa;padding:.5rem;overflow:auto;font-size:.8rem;max-height:24rem}\
table{border-collapse:collapse}td,th{border:1px solid #e0e4ea;padding:.25rem .5rem;text-align:left;vertical-align:top}\
.method{display:inline-block;min-width:4rem;font-weight:600;font-family:monospace}\
.get{color:#1565c0}.post{color:#2e7d32}.put{color:#8d6e00}.delete{color:#c62828}.access{color:#5a6472;font-style:italic}\
dt{font-weight:600;margin-top:.5rem}";
