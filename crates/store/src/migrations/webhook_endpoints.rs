//! Version 6: the operator's webhook endpoints: where events go, which event types
//! (`events`, comma-separated, or `*`), and the signing secret (`whsec_…`; tenure must sign
//! with it, so it is kept as it is, and shown once). A deleted endpoint is marked, not dropped,
//! so that the deliveries made to it keep naming it.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 6,
    name: "webhook_endpoints",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    vec![Step::Sql(
        "CREATE TABLE webhook_endpoints (
            id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            description TEXT NOT NULL,
            events TEXT NOT NULL,
            secret TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            secret_rotated_at BIGINT,
            disabled_at BIGINT,
            disabled_reason TEXT,
            deleted_at BIGINT
        )"
        .to_string(),
    )]
}
