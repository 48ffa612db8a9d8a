//! The ledger: entries and their postings. Writing asserts that an entry balances (the core's
//! [`Entry`] cannot be built otherwise); reading checks it again and fails loudly if not.

use jiff::Timestamp;
use serde::Serialize;
use tenure_core::ledger::{Entry, LedgerAccount};
use tenure_core::payment::Funds;

use crate::database::{query, Connection};
use crate::connect::{StoreError, Tx};
use crate::time::{from_seconds, to_seconds};

pub async fn write_entry(
    tx: &mut Tx,
    entry_id: &str,
    account_id: &str,
    entry: &Entry,
    at: Timestamp,
    order_id: Option<&str>,
    memo: &str,
) -> Result<(), StoreError> {
    assert_eq!(tenure_core::ledger::sum_minor(entry.postings()), 0);
    query("INSERT INTO ledger_entries (id, account_id, kind, at, order_id, memo) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(entry_id)
        .bind(account_id)
        .bind(entry.kind().as_str())
        .bind(to_seconds(at))
        .bind(order_id)
        .bind(memo)
        .execute(&mut **tx)
        .await?;
    for posting in entry.postings() {
        query(
            "INSERT INTO ledger_postings (entry_id, account_id, ledger_account, amount_minor) VALUES ($1, $2, $3, $4)",
        )
        .bind(entry_id)
        .bind(account_id)
        .bind(posting.ledger_account.as_str())
        .bind(posting.amount_minor)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Balance, coupons and vouchers of an account: sums of its postings.
pub async fn funds(connection: &mut Connection, account_id: &str) -> Result<Funds, StoreError> {
    let rows = query(
        "SELECT ledger_account, CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS total_minor
         FROM ledger_postings
         WHERE account_id = $1 AND ledger_account IN ('balance', 'coupons', 'vouchers')
         GROUP BY ledger_account",
    )
    .bind(account_id)
    .fetch_all(connection)
    .await?;
    let mut funds = Funds::default();
    for row in rows {
        let ledger_account: String = row.try_get("ledger_account")?;
        let total_minor: i64 = row.try_get("total_minor")?;
        if ledger_account == LedgerAccount::Balance.as_str() {
            funds.balance_minor = total_minor;
        } else if ledger_account == LedgerAccount::Coupons.as_str() {
            funds.coupons_minor = total_minor;
        } else {
            funds.vouchers_minor = total_minor;
        }
    }
    Ok(funds)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPosting {
    pub ledger_account: String,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEntry {
    pub id: String,
    pub kind: String,
    pub at: Timestamp,
    pub order_id: Option<String>,
    pub memo: String,
    pub postings: Vec<StoredPosting>,
}

/// An account's entries, oldest first, each checked to balance.
pub async fn entries(
    connection: &mut Connection,
    account_id: &str,
    limit: i64,
) -> Result<Vec<StoredEntry>, StoreError> {
    let rows = query(
        "SELECT e.id, e.kind, e.at, e.order_id, e.memo, p.ledger_account, p.amount_minor
         FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id
         WHERE e.id IN (SELECT id FROM ledger_entries WHERE account_id = $1 ORDER BY at, id LIMIT $2)
         ORDER BY e.at, e.id, p.id",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(connection)
    .await?;
    let mut entries: Vec<StoredEntry> = Vec::new();
    for row in rows {
        let id: String = row.try_get("id")?;
        let posting = StoredPosting {
            ledger_account: row.try_get("ledger_account")?,
            amount_minor: row.try_get("amount_minor")?,
        };
        match entries.last_mut() {
            Some(entry) if entry.id == id => entry.postings.push(posting),
            _ => entries.push(StoredEntry {
                id,
                kind: row.try_get("kind")?,
                at: from_seconds(row.try_get("at")?),
                order_id: row.try_get("order_id")?,
                memo: row.try_get("memo")?,
                postings: vec![posting],
            }),
        }
    }
    for entry in &entries {
        let sum_minor: i64 = entry
            .postings
            .iter()
            .map(|posting| posting.amount_minor)
            .sum();
        if sum_minor != 0 {
            return Err(StoreError::LedgerUnbalanced(format!(
                "entry {} sums to {sum_minor}",
                entry.id
            )));
        }
    }
    Ok(entries)
}

/// Checks the whole ledger: every entry sums to zero, so the ledger does too.
pub async fn check_balanced(connection: &mut Connection) -> Result<(), StoreError> {
    let unbalanced = query(
        "SELECT entry_id, CAST(SUM(amount_minor) AS BIGINT) AS sum_minor FROM ledger_postings
         GROUP BY entry_id HAVING SUM(amount_minor) <> 0 LIMIT 1",
    )
    .fetch_optional(connection)
    .await?;
    match unbalanced {
        None => Ok(()),
        Some(row) => {
            let entry_id: String = row.try_get("entry_id")?;
            let sum_minor: i64 = row.try_get("sum_minor")?;
            Err(StoreError::LedgerUnbalanced(format!(
                "entry {entry_id} sums to {sum_minor}"
            )))
        }
    }
}
