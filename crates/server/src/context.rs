use std::sync::Arc;

use tenure_engine::Engine;

use crate::auth::KeyHash;
use crate::commit::GroupCommitter;
use crate::metrics::Metrics;

/// The state every handler gets.
#[derive(Clone)]
pub struct ApiContext {
    pub engine: Arc<Engine>,
    pub admin_key: KeyHash,
    pub metrics: Arc<Metrics>,
    /// SQLite only: the one writer that commits concurrent requests together.
    pub committer: Option<GroupCommitter>,
}

impl ApiContext {
    pub fn new(engine: Arc<Engine>, admin_key: &str) -> ApiContext {
        let committer = (engine.store.dialect() == tenure_store::Dialect::Sqlite)
            .then(|| GroupCommitter::start(engine.clone()));
        ApiContext {
            engine,
            admin_key: KeyHash::of(admin_key),
            metrics: Arc::new(Metrics::default()),
            committer,
        }
    }
}
