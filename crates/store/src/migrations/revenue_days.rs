//! Version 17: what the operator's overview counts without scanning the fleet's history.
//! `revenue_days` keeps, per account and UTC day, what the ledger's revenue account gained
//! (orders and bills paid, `earned_minor`) and lost (refunds, `refunded_minor`): written with
//! every ledger entry, in its transaction (as `account_funds` is), and filled here from the
//! ledger written before it. Keyed by day first, so the last 90 days are one range of the key;
//! per account, so two accounts' orders never update the same row. Failed deliveries get an
//! index of their own: the overview counts them, and they are few beside the sent ones.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 17,
    name: "revenue_days",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    [
        "CREATE TABLE revenue_days (
            day BIGINT NOT NULL,
            account_id TEXT NOT NULL REFERENCES accounts (id),
            earned_minor BIGINT NOT NULL,
            refunded_minor BIGINT NOT NULL,
            PRIMARY KEY (day, account_id)
        )",
        "INSERT INTO revenue_days (day, account_id, earned_minor, refunded_minor)
         SELECT e.at / 86400, e.account_id,
            CAST(COALESCE(SUM(CASE WHEN p.amount_minor > 0 THEN p.amount_minor END), 0) AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN p.amount_minor < 0 THEN -p.amount_minor END), 0) AS BIGINT)
         FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id
         WHERE p.ledger_account = 'revenue'
         GROUP BY e.at / 86400, e.account_id",
        "CREATE INDEX deliveries_failed ON deliveries (created_at_ms) WHERE status = 'failed'",
    ]
    .into_iter()
    .map(|sql| Step::Sql(sql.to_string()))
    .collect()
}
