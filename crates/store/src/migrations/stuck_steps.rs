//! Version 4: lifecycle steps that fail (`stuck_steps`), with the attempts made, so that a
//! restart neither resets the count nor tries a poison step forever, and parked steps wait for
//! an operator (`tenure_core::lifecycle::failed_step`). One row per item (an instance's steps or
//! a bill's generation); the row goes once the item's step is taken.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 4,
    name: "stuck_steps",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    ["CREATE TABLE stuck_steps (
            id TEXT PRIMARY KEY,
            work TEXT NOT NULL,
            item_id TEXT NOT NULL,
            account_id TEXT NOT NULL,
            instance_id TEXT,
            status TEXT NOT NULL,
            attempts BIGINT NOT NULL,
            last_code TEXT NOT NULL,
            last_error TEXT NOT NULL,
            first_failed_at BIGINT NOT NULL,
            last_failed_at BIGINT NOT NULL,
            retry_at BIGINT,
            parked_at BIGINT,
            CONSTRAINT stuck_steps_one_per_item UNIQUE (work, item_id)
        )"]
    .into_iter()
    .map(|statement| Step::Sql(statement.to_string()))
    .collect()
}
