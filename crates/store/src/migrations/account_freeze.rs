//! Version 9: an account whose ledger fails a check is frozen: `frozen_reason` says what the
//! check found and `frozen_at` when; every write of the account is refused until an operator,
//! having looked, unfreezes it. Read with the account's row, which every write locks anyway.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 9,
    name: "account_freeze",
    steps,
};

fn steps(_dialect: Dialect) -> Vec<Step> {
    vec![
        Step::Sql("ALTER TABLE accounts ADD COLUMN frozen_reason TEXT".to_string()),
        Step::Sql("ALTER TABLE accounts ADD COLUMN frozen_at BIGINT".to_string()),
    ]
}
