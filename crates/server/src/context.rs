use std::sync::{Arc, OnceLock};

use tenure_engine::Engine;

use crate::auth::KeyHash;
use crate::metrics::Metrics;

/// What a browser needs to save a card with Stripe's own library (the card's number goes from
/// the browser to Stripe, never to tenure).
#[derive(Debug, Clone)]
pub struct StripeBrowser {
    /// The publishable key (`pk_…`): public, it is written into the page.
    pub publishable_key: Option<String>,
    /// Stripe.js (`--stripe-js-url`).
    pub js_url: String,
    /// The API the library talks to (`--stripe-api-base`).
    pub api_base: String,
}

/// The state every handler gets.
#[derive(Clone)]
pub struct ApiContext {
    pub engine: Arc<Engine>,
    pub admin_key: KeyHash,
    pub metrics: Arc<Metrics>,
    /// The key that signs console sessions (`console/session.rs`): random, this process's
    /// until `Application::build` sets the deployment's.
    pub console_session_key: Arc<Vec<u8>>,
    /// Whether the console's cookies are `Secure` on every answer.
    pub secure_cookies: bool,
    /// The secret Stripe signs its webhooks with (`--stripe-webhook-secret`).
    pub stripe_webhook_secret: Option<Arc<str>>,
    /// What the browser loads Stripe.js with: the publishable key and the library's URL
    /// (`None` without card payments).
    pub stripe_browser: Option<Arc<StripeBrowser>>,
    /// The OpenAPI document, made from the route table and the catalog at its first request:
    /// neither changes while the server runs.
    document: Arc<OnceLock<serde_json::Value>>,
}

impl ApiContext {
    pub fn new(engine: Arc<Engine>, admin_key: &str) -> ApiContext {
        ApiContext {
            engine,
            admin_key: KeyHash::of(admin_key),
            metrics: Arc::new(Metrics::default()),
            console_session_key: Arc::new(rand::random::<[u8; 32]>().to_vec()),
            stripe_webhook_secret: None,
            stripe_browser: None,
            secure_cookies: false,
            document: Arc::default(),
        }
    }

    /// The API's router, for the console's calls in process. Made for the call rather than
    /// kept here: a router holds its context, and a context holding its router would never be
    /// dropped (nor its database connections closed).
    pub fn api_router(&self) -> axum::Router {
        crate::routes::router(self.clone())
    }

    /// `/openapi.json`, and what `/docs` renders.
    pub fn document(&self) -> &serde_json::Value {
        self.document
            .get_or_init(|| crate::openapi::document(&crate::routes::table(), &self.engine.catalog))
    }
}
