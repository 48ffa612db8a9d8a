//! Version 5: three lifecycle marks on instances.
//!
//! - `activates_at`: when a resource plan bought to take effect later does, so it is
//!   `unactivated` until then and the scheduler activates it at that time. Plans bought before
//!   keep `NULL` and the status they had (`active`): their quota row
//!   (`resource_plans.activates_at`) still refuses use before the activation, as it did.
//! - `release_warned_for_expiry`: the expiry an expired instance's release warning was sent
//!   for, so it is sent once. Instances expired before have `NULL`, and get theirs if their
//!   warning time is still ahead of the sweep (or at once, late, if it passed).
//! - `domain_statuses`: the registry statuses of a DNS instance's domain as the operator
//!   reports them (comma-separated EPP tokens), which can make its move to the free tier fail.
//!   `NULL` is none reported.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 5,
    name: "lifecycle_marks",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    vec![
        Step::Sql("ALTER TABLE instances ADD COLUMN activates_at BIGINT".to_string()),
        Step::Sql("ALTER TABLE instances ADD COLUMN release_warned_for_expiry BIGINT".to_string()),
        Step::Sql("ALTER TABLE instances ADD COLUMN domain_statuses TEXT".to_string()),
    ]
}
