//! Version 18: what a customer calls an instance and groups it by. `name` is the instance's
//! own column, beside it `name_folded`, the name lower-cased as the filter by name compares it
//! (the same on both databases, where their `LOWER`s differ). Its tags are kept twice, written together in one transaction: sorted and joined
//! by commas in `instances.tags` (a tag holds no comma), read with the rest of the row, so every
//! view of an instance (a sweep reads thousands) costs no second query; and one row per tag in
//! `instance_tags`, whose `(tag, instance_id)` key finds an account's or the fleet's instances
//! carrying a tag by index on both databases, where a text column could only be scanned.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 18,
    name: "instance_labels",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    [
        "ALTER TABLE instances ADD COLUMN name TEXT",
        "ALTER TABLE instances ADD COLUMN tags TEXT",
        "ALTER TABLE instances ADD COLUMN name_folded TEXT",
        "CREATE TABLE instance_tags (
            tag TEXT NOT NULL,
            instance_id TEXT NOT NULL REFERENCES instances (id),
            PRIMARY KEY (tag, instance_id)
        )",
        "CREATE INDEX instance_tags_by_instance ON instance_tags (instance_id)",
    ]
    .into_iter()
    .map(|sql| Step::Sql(sql.to_string()))
    .collect()
}
