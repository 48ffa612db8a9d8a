//! Version 10: what the console's sessions need across nodes. `console_secrets` keeps the key
//! that signs session cookies (row `session_key`): random, made by the first node that starts
//! (insert-if-absent, then read, so nodes on one database share it), never derived from the
//! operator key. `console_sessions_ended` lists the sessions signed out before they expired,
//! each until its expiry, so a copied cookie stops working on every node at sign-out.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 10,
    name: "console_sessions",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    vec![
        Step::Sql(
            "CREATE TABLE console_secrets (
                name TEXT PRIMARY KEY,
                value TEXT NOT NULL
            )"
            .to_string(),
        ),
        Step::Sql(
            "CREATE TABLE console_sessions_ended (
                session_id TEXT PRIMARY KEY,
                expires_at BIGINT NOT NULL
            )"
            .to_string(),
        ),
    ]
}
