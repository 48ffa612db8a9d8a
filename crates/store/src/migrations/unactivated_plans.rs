//! Version 5: an instance remembers when a resource plan bought to take effect later does
//! (`activates_at`), so it is `unactivated` until then and the scheduler activates it at that
//! time. Plans bought before keep `NULL` and the status they had (`active`): their quota row
//! (`resource_plans.activates_at`) still refuses use before the activation, as it did.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 5,
    name: "unactivated_plans",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    vec![Step::Sql(
        "ALTER TABLE instances ADD COLUMN activates_at BIGINT".to_string(),
    )]
}
