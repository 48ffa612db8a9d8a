//! `/docs`: the OpenAPI document rendered by Redoc, whose standalone bundle is shipped inside
//! the binary (`assets/redoc/`, MIT) and served at [`VIEWER_PATH`], so the page works on a
//! machine with no network: operations grouped by tag with their summaries, schemas expanded,
//! the examples beside them. The document is in the page itself; nothing is fetched from
//! elsewhere.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Where the page loads Redoc from. The version is in the path, so a browser may keep it.
pub const VIEWER_PATH: &str = "/docs/assets/redoc-2.5.4.standalone.js";

/// Redoc's standalone bundle, as its npm package ships it.
const VIEWER: &str = include_str!("../../assets/redoc/redoc.standalone.js");

/// How Redoc shows the document: the success answers open, schemas and samples expanded,
/// required fields first.
const OPTIONS: &str = r#"{
  "expandResponses": "200,201",
  "schemaExpansionLevel": 2,
  "jsonSampleExpandLevel": 3,
  "requiredPropsFirst": true,
  "hideDownloadButton": false,
  "expandSingleSchemaField": true,
  "theme": { "typography": { "fontFamily": "system-ui, -apple-system, 'Segoe UI', sans-serif",
    "headings": { "fontFamily": "system-ui, -apple-system, 'Segoe UI', sans-serif" } } }
}"#;

/// The script that starts Redoc on the document the page holds.
fn start_script() -> String {
    format!(
        "Redoc.init(JSON.parse(document.getElementById(\"openapi-document\").textContent), \
         {OPTIONS}, document.getElementById(\"redoc\"));"
    )
}

/// What the page may load: its own scripts (Redoc's, and the one starting it, by its hash),
/// Redoc's styles and search worker, and nothing from another host (Redoc's footer would
/// fetch its logo from a CDN: refused here, and Redoc then shows none).
fn content_security_policy(start: &str) -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(start.as_bytes()));
    format!(
        "default-src 'none'; script-src 'self' 'sha256-{hash}'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; \
         base-uri 'none'; form-action 'none'"
    )
}

/// The page for `document`.
pub fn docs_page(document: &Value) -> String {
    let title = document["info"]["title"].as_str().unwrap_or("API");
    let version = document["info"]["version"].as_str().unwrap_or_default();
    // Inside a script element nothing may read as `</script>`: `<` only occurs in JSON
    // strings, where `\u003c` means the same.
    let embedded = document.to_string().replace('<', "\\u003c");
    let start = start_script();
    let policy = content_security_policy(&start);
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"icon\" href=\"data:,\">\
         <title>{title} API {version}</title><style>body{{margin:0}}</style></head><body>\
         <noscript><p>This page shows the API with a script. The document itself is at \
         <a href=\"/openapi.json\">/openapi.json</a>.</p></noscript>\
         <div id=\"redoc\"></div>\
         <script id=\"openapi-document\" type=\"application/json\">{embedded}</script>\
         <script src=\"{VIEWER_PATH}\"></script><script>{start}</script></body></html>"
    )
}

/// Redoc's script, at [`VIEWER_PATH`].
pub async fn viewer_script() -> Response {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        VIEWER,
    )
        .into_response()
}
