//! Version 8: the simulated clock is state. A server on a simulated clock keeps its time here,
//! written in the transaction that takes the steps it moved to, so a restart resumes it rather
//! than rewinding to `--simulated-clock`, and every node on one database reads the same time.
//! One row (`id` 1); only ever moved forward.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 8,
    name: "simulated_clock",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    vec![Step::Sql(
        "CREATE TABLE simulated_clock (
            id BIGINT PRIMARY KEY,
            now BIGINT NOT NULL
        )"
        .to_string(),
    )]
}
