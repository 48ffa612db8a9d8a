//! Version 11: a rotated webhook secret keeps signing beside the new one for a while, so that a
//! receiver still holding it loses no message. `previous_secret` is the secret a rotation
//! replaced, `previous_secret_until_ms` until when (real Unix milliseconds, the clock of
//! sending) messages carry its signature too. Both move with an export, as `secret` does: the
//! endpoint's receivers hold them.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 11,
    name: "webhook_secret_rotation",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    vec![
        Step::Sql("ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT".to_string()),
        Step::Sql(
            "ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_until_ms BIGINT".to_string(),
        ),
    ]
}
