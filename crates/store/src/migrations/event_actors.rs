//! Version 19: every event names who it was done for (`actor`): `operator`, `owner`, a user's
//! key id, or `system` for tenure's own steps. Events written before say `unrecorded`.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 19,
    name: "event_actors",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    vec![Step::Sql(
        "ALTER TABLE events ADD COLUMN actor TEXT NOT NULL DEFAULT 'unrecorded'".to_string(),
    )]
}
