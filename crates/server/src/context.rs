use std::sync::Arc;

use tenure_engine::Engine;

use crate::auth::KeyHash;
use crate::metrics::Metrics;

/// The state every handler gets.
#[derive(Clone)]
pub struct ApiContext {
    pub engine: Arc<Engine>,
    pub admin_key: KeyHash,
    pub metrics: Arc<Metrics>,
}

impl ApiContext {
    pub fn new(engine: Arc<Engine>, admin_key: &str) -> ApiContext {
        ApiContext {
            engine,
            admin_key: KeyHash::of(admin_key),
            metrics: Arc::new(Metrics::default()),
        }
    }
}
