//! An account's ledger: balanced entries of postings, a page at a time.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A page of an account's ledger, oldest entry first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LedgerPage {
    pub account_id: String,
    pub currency: String,
    pub data: Vec<LedgerEntry>,
    /// Pass as `after` to get the next page; null on the last page.
    pub next_after: Option<String>,
}

/// One balanced entry of the ledger: its postings sum to zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LedgerEntry {
    pub id: String,
    pub kind: String,
    pub at: Timestamp,
    pub order_id: Option<String>,
    pub memo: String,
    pub postings: Vec<Posting>,
}

/// An amount moved into (positive) or out of (negative) one ledger account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Posting {
    pub ledger_account: String,
    pub amount_minor: i64,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_engine::records::LedgerPage> for LedgerPage {
        fn from(page: tenure_engine::records::LedgerPage) -> LedgerPage {
            LedgerPage {
                account_id: page.account_id,
                currency: page.currency,
                data: page.data.into_iter().map(Into::into).collect(),
                next_after: page.next_after,
            }
        }
    }

    impl From<tenure_store::ledger::StoredEntry> for LedgerEntry {
        fn from(entry: tenure_store::ledger::StoredEntry) -> LedgerEntry {
            LedgerEntry {
                id: entry.id,
                kind: entry.kind,
                at: entry.at,
                order_id: entry.order_id,
                memo: entry.memo,
                postings: entry.postings.into_iter().map(Into::into).collect(),
            }
        }
    }

    impl From<tenure_store::ledger::StoredPosting> for Posting {
        fn from(posting: tenure_store::ledger::StoredPosting) -> Posting {
            Posting {
                ledger_account: posting.ledger_account,
                amount_minor: posting.amount_minor,
            }
        }
    }
}

/// What a ledger audit found (`POST /v1/ledger/audit`): how many accounts it checked, and the
/// ones whose running totals differ from the sums of their postings, frozen now or before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LedgerAudit {
    pub accounts_checked: u64,
    pub drifted_accounts: Vec<String>,
}

/// Nothing to say: the audit checks every account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartAudit {}
