//! The ledger: entries and their postings. Writing asserts that an entry balances (the core's
//! [`Entry`] cannot be built otherwise); reading checks it again and fails loudly if not.

use jiff::Timestamp;
use std::collections::BTreeMap;

use tenure_core::ledger::{Entry, LedgerAccount, Posting};
use tenure_core::payment::Funds;

use crate::connect::{StoreError, Tx};
use crate::database::{execute_rows, query, Connection, Row};
use crate::time::{from_seconds, to_seconds};

/// An entry to write, with what the ledger keeps beside its postings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryWrite {
    pub entry_id: String,
    pub account_id: String,
    pub entry: Entry,
    pub at: Timestamp,
    pub order_id: Option<String>,
    pub memo: String,
}

impl EntryWrite {
    /// What the entry adds to its account's balance, coupons and vouchers.
    pub fn funds_change(&self) -> Funds {
        funds_change(&self.entry)
    }
}

pub async fn write_entry(
    tx: &mut Tx,
    entry_id: &str,
    account_id: &str,
    entry: &Entry,
    at: Timestamp,
    order_id: Option<&str>,
    memo: &str,
) -> Result<(), StoreError> {
    let write = EntryWrite {
        entry_id: entry_id.to_string(),
        account_id: account_id.to_string(),
        entry: entry.clone(),
        at,
        order_id: order_id.map(str::to_string),
        memo: memo.to_string(),
    };
    write_entries(tx, std::slice::from_ref(&write)).await
}

/// Writes entries, their postings and their accounts' running totals, in a few multi-row
/// statements whatever their number (a sweep batch writes its renewals' entries together).
pub async fn write_entries(tx: &mut Tx, entries: &[EntryWrite]) -> Result<(), StoreError> {
    for write in entries {
        assert_eq!(
            tenure_core::ledger::sum_minor(write.entry.postings()),
            Some(0),
            "entry {} does not balance",
            write.entry_id
        );
    }
    execute_rows(
        tx,
        "{insert} ledger_entries (id, account_id, kind, at, order_id, memo) VALUES {values}",
        6,
        entries,
        |query, write| {
            query
                .bind(&write.entry_id)
                .bind(&write.account_id)
                .bind(write.entry.kind().as_str())
                .bind(to_seconds(write.at))
                .bind(&write.order_id)
                .bind(&write.memo)
        },
    )
    .await?;
    let postings: Vec<(&EntryWrite, &Posting)> = entries
        .iter()
        .flat_map(|write| {
            write
                .entry
                .postings()
                .iter()
                .map(move |posting| (write, posting))
        })
        .collect();
    execute_rows(
        tx,
        "{insert} ledger_postings (entry_id, account_id, ledger_account, amount_minor) VALUES {values}",
        4,
        &postings,
        |query, (write, posting)| {
            query
                .bind(&write.entry_id)
                .bind(&write.account_id)
                .bind(posting.ledger_account.as_str())
                .bind(posting.amount_minor)
        },
    )
    .await?;
    // One row per account: PostgreSQL refuses to update a row twice in one statement. In
    // account order, so two writers lock running totals in the same order.
    let mut changes: BTreeMap<&str, Funds> = BTreeMap::new();
    for write in entries {
        *changes.entry(write.account_id.as_str()).or_default() += write.funds_change();
    }
    let changes: Vec<(&str, Funds)> = changes.into_iter().collect();
    execute_rows(
        tx,
        "INSERT INTO account_funds (account_id, balance_minor, coupons_minor, vouchers_minor)
         VALUES {values}
         ON CONFLICT (account_id) DO UPDATE SET
            balance_minor = account_funds.balance_minor + excluded.balance_minor,
            coupons_minor = account_funds.coupons_minor + excluded.coupons_minor,
            vouchers_minor = account_funds.vouchers_minor + excluded.vouchers_minor",
        4,
        &changes,
        |query, (account_id, change)| {
            query
                .bind(*account_id)
                .bind(change.balance_minor)
                .bind(change.coupons_minor)
                .bind(change.vouchers_minor)
        },
    )
    .await?;
    write_revenue_days(tx, entries).await
}

/// What the entries add to their accounts' revenue of the day (`revenue_days`): one row per
/// account and day, as PostgreSQL refuses to update a row twice in one statement.
async fn write_revenue_days(tx: &mut Tx, entries: &[EntryWrite]) -> Result<(), StoreError> {
    // (day, account) → (earned, refunded)
    let mut days: BTreeMap<(i64, &str), (i64, i64)> = BTreeMap::new();
    for write in entries {
        for posting in write.entry.postings() {
            if posting.ledger_account != LedgerAccount::Revenue || posting.amount_minor == 0 {
                continue;
            }
            let day = to_seconds(write.at).div_euclid(SECONDS_PER_DAY);
            let (earned_minor, refunded_minor) =
                days.entry((day, write.account_id.as_str())).or_default();
            // The ledger's sums are checked (an entry's postings sum to zero, each well within
            // i64), so a day's revenue of one account cannot overflow.
            if posting.amount_minor > 0 {
                *earned_minor += posting.amount_minor;
            } else {
                *refunded_minor -= posting.amount_minor;
            }
        }
    }
    if days.is_empty() {
        return Ok(());
    }
    let days: Vec<_> = days.into_iter().collect();
    execute_rows(
        tx,
        "INSERT INTO revenue_days (day, account_id, earned_minor, refunded_minor) VALUES {values}
         ON CONFLICT (day, account_id) DO UPDATE SET
            earned_minor = revenue_days.earned_minor + excluded.earned_minor,
            refunded_minor = revenue_days.refunded_minor + excluded.refunded_minor",
        4,
        &days,
        |query, ((day, account_id), (earned_minor, refunded_minor))| {
            query
                .bind(*day)
                .bind(*account_id)
                .bind(*earned_minor)
                .bind(*refunded_minor)
        },
    )
    .await?;
    Ok(())
}

/// A UTC day, as `revenue_days` counts them: seconds since the epoch divided by this.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// What an entry adds to the account's balance, coupons and vouchers.
fn funds_change(entry: &Entry) -> Funds {
    let mut change = Funds::default();
    for posting in entry.postings() {
        match posting.ledger_account {
            LedgerAccount::Balance => change.balance_minor += posting.amount_minor,
            LedgerAccount::Coupons => change.coupons_minor += posting.amount_minor,
            LedgerAccount::Vouchers => change.vouchers_minor += posting.amount_minor,
            _ => {}
        }
    }
    change
}

/// Balance, coupons and vouchers of an account: its running totals, one row.
pub async fn funds(connection: &mut Connection, account_id: &str) -> Result<Funds, StoreError> {
    let row = query(
        "SELECT balance_minor, coupons_minor, vouchers_minor FROM account_funds WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(connection)
    .await?;
    funds_from_row(row.as_ref())
}

/// The running totals of several accounts, read in few queries (and locked until commit on
/// PostgreSQL); an account without a row has none and is left out.
pub async fn funds_many(
    tx: &mut Tx,
    account_ids: &[String],
) -> Result<Vec<(String, Funds)>, StoreError> {
    let rows = crate::listing::lock_by_keys(
        tx,
        "account_id, balance_minor, coupons_minor, vouchers_minor",
        "account_funds",
        "account_id",
        account_ids,
    )
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("account_id")?, funds_from_row(Some(row))?)))
        .collect()
}

/// Funds from a row with `balance_minor`, `coupons_minor` and `vouchers_minor`; none when no row.
fn funds_from_row(row: Option<&Row>) -> Result<Funds, StoreError> {
    let Some(row) = row else {
        return Ok(Funds::default());
    };
    Ok(Funds {
        balance_minor: row.try_get("balance_minor")?,
        coupons_minor: row.try_get("coupons_minor")?,
        vouchers_minor: row.try_get("vouchers_minor")?,
    })
}

/// The sums of each fund over all postings, per account, as a subquery.
pub(crate) const SUMMED_FUNDS: &str = "SELECT account_id,
        CAST(COALESCE(SUM(CASE WHEN ledger_account = 'balance' THEN amount_minor END), 0) AS BIGINT) AS balance_minor,
        CAST(COALESCE(SUM(CASE WHEN ledger_account = 'coupons' THEN amount_minor END), 0) AS BIGINT) AS coupons_minor,
        CAST(COALESCE(SUM(CASE WHEN ledger_account = 'vouchers' THEN amount_minor END), 0) AS BIGINT) AS vouchers_minor
    FROM ledger_postings";

/// An account's funds, read from its running totals and checked against the sums of its
/// postings: a difference means a write bypassed [`write_entry`], and is reported, not hidden.
/// Both are read by one statement, so from one snapshot: a payment committed beside the read
/// cannot show as a difference (read in two statements, PostgreSQL took a snapshot for each).
pub async fn checked_funds(
    connection: &mut Connection,
    account_id: &str,
) -> Result<Funds, StoreError> {
    // The postings through the account's entries: postings carry the entry's account, but an
    // index of their own by account would be one more B-tree insert per posting, for this
    // check only.
    let summed = |fund: &str| {
        format!(
            "(SELECT CAST(COALESCE(SUM(CASE WHEN ledger_account = '{fund}' THEN amount_minor END), 0) AS BIGINT)
              FROM ledger_postings
              WHERE entry_id IN (SELECT id FROM ledger_entries WHERE account_id = $1)) AS summed_{fund}_minor"
        )
    };
    let running = |fund: &str| {
        format!(
            "COALESCE((SELECT {fund}_minor FROM account_funds WHERE account_id = $1), 0) AS {fund}_minor"
        )
    };
    let row = query(&format!(
        "SELECT {}, {}, {}, {}, {}, {}",
        running("balance"),
        running("coupons"),
        running("vouchers"),
        summed("balance"),
        summed("coupons"),
        summed("vouchers"),
    ))
    .bind(account_id)
    .fetch_one(connection)
    .await?;
    let running = funds_from_row(Some(&row))?;
    let summed = Funds {
        balance_minor: row.try_get("summed_balance_minor")?,
        coupons_minor: row.try_get("summed_coupons_minor")?,
        vouchers_minor: row.try_get("summed_vouchers_minor")?,
    };
    if running != summed {
        return Err(StoreError::LedgerUnbalanced(format!(
            "account {account_id}: running totals {running:?} differ from its postings {summed:?}"
        )));
    }
    Ok(running)
}

/// An account whose running totals differ from the sums of its postings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub account_id: String,
    /// What differs, as the freeze's reason says it.
    pub found: String,
}

/// What one batch of the ledger audit found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditedBatch {
    pub drifted: Vec<Drift>,
    /// How many accounts were checked.
    pub accounts: u64,
    /// The last account checked: where the next batch starts (none when this one was empty).
    pub last_account_id: Option<String>,
}

/// The ledger audit of up to `limit` accounts after `after_account_id` (in id order): each
/// account's running totals against the sums of its postings, read by one statement, so from
/// one snapshot (a payment committed beside it is no false alarm).
///
/// This is the check [`checked_funds`] makes for one account, for a batch: reads take the
/// running totals alone, and the audit walks every account now and then, so a read costs the
/// same whatever the account's history.
pub async fn audit_batch(
    connection: &mut Connection,
    after_account_id: &str,
    limit: i64,
) -> Result<AuditedBatch, StoreError> {
    let summed = |fund: &str| {
        format!(
            "CAST(COALESCE(SUM(CASE WHEN p.ledger_account = '{fund}' THEN p.amount_minor END), 0) AS BIGINT) AS {fund}_minor"
        )
    };
    let rows = query(&format!(
        "WITH batch AS (
             SELECT account_id, balance_minor, coupons_minor, vouchers_minor FROM account_funds
             WHERE account_id > $1 ORDER BY account_id LIMIT $2)
         SELECT b.account_id, b.balance_minor, b.coupons_minor, b.vouchers_minor,
                COALESCE(s.balance_minor, 0) AS summed_balance_minor,
                COALESCE(s.coupons_minor, 0) AS summed_coupons_minor,
                COALESCE(s.vouchers_minor, 0) AS summed_vouchers_minor
         FROM batch b LEFT JOIN (
             SELECT e.account_id, {}, {}, {}
             FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id
             WHERE e.account_id IN (SELECT account_id FROM batch)
             GROUP BY e.account_id) s ON s.account_id = b.account_id
         ORDER BY b.account_id",
        summed("balance"),
        summed("coupons"),
        summed("vouchers"),
    ))
    .bind(after_account_id)
    .bind(limit)
    .fetch_all(connection)
    .await?;
    let mut batch = AuditedBatch::default();
    for row in &rows {
        let account_id: String = row.try_get("account_id")?;
        let running = funds_from_row(Some(row))?;
        let summed = Funds {
            balance_minor: row.try_get("summed_balance_minor")?,
            coupons_minor: row.try_get("summed_coupons_minor")?,
            vouchers_minor: row.try_get("summed_vouchers_minor")?,
        };
        if running != summed {
            batch.drifted.push(Drift {
                found: format!(
                    "account {account_id}: running totals {running:?} differ from its postings {summed:?}"
                ),
                account_id: account_id.clone(),
            });
        }
        batch.accounts += 1;
        batch.last_account_id = Some(account_id);
    }
    Ok(batch)
}

/// Creates the running totals of a database written before they existed: once, when the table
/// is empty and the ledger is not.
pub(crate) async fn fill_running_totals(tx: &mut Tx) -> Result<(), StoreError> {
    let has_totals = query("SELECT account_id FROM account_funds LIMIT 1")
        .fetch_optional(tx)
        .await?
        .is_some();
    if has_totals {
        return Ok(());
    }
    query(&format!(
        "INSERT INTO account_funds (account_id, balance_minor, coupons_minor, vouchers_minor)
         SELECT account_id, balance_minor, coupons_minor, vouchers_minor
         FROM ({SUMMED_FUNDS} GROUP BY account_id) AS summed"
    ))
    .execute(tx)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPosting {
    pub ledger_account: String,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub id: String,
    pub kind: String,
    pub at: Timestamp,
    pub order_id: Option<String>,
    pub memo: String,
    pub postings: Vec<StoredPosting>,
}

/// Where a page of an account's entries starts: after the entry it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntriesFrom {
    Start,
    After { at: Timestamp, entry_id: String },
}

/// The time of `entry_id` if it is one of `account_id`'s entries: where a page after it
/// starts ([`EntriesFrom::After`]).
pub async fn entry_at(
    connection: &mut Connection,
    account_id: &str,
    entry_id: &str,
) -> Result<Option<Timestamp>, StoreError> {
    let row = query("SELECT at FROM ledger_entries WHERE id = $1 AND account_id = $2")
        .bind(entry_id)
        .bind(account_id)
        .fetch_optional(connection)
        .await?;
    Ok(row
        .map(|row| row.try_get("at").map(from_seconds))
        .transpose()?)
}

/// A page of an account's entries, oldest first (by time, then id), at most `limit`, each
/// checked to balance.
pub async fn entries(
    connection: &mut Connection,
    account_id: &str,
    from: &EntriesFrom,
    limit: i64,
) -> Result<Vec<StoredEntry>, StoreError> {
    let (after_at, after_id) = match from {
        EntriesFrom::Start => (i64::MIN, ""),
        EntriesFrom::After { at, entry_id } => (to_seconds(*at), entry_id.as_str()),
    };
    let rows = query(
        "SELECT e.id, e.kind, e.at, e.order_id, e.memo, p.ledger_account, p.amount_minor
         FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id
         WHERE e.id IN (SELECT id FROM ledger_entries WHERE account_id = $1
                          AND (at > $3 OR (at = $3 AND id > $4))
                        ORDER BY at, id LIMIT $2)
         ORDER BY e.at, e.id, p.id",
    )
    .bind(account_id)
    .bind(limit)
    .bind(after_at)
    .bind(after_id)
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
        // Checked: a sum past `i64` is as unbalanced as any other, and said so, not a panic.
        let sum_minor = entry
            .postings
            .iter()
            .try_fold(0i64, |sum, posting| sum.checked_add(posting.amount_minor));
        if sum_minor != Some(0) {
            return Err(StoreError::LedgerUnbalanced(format!(
                "entry {} sums to {sum_minor:?}",
                entry.id
            )));
        }
    }
    Ok(entries)
}

/// Checks the whole ledger: every entry sums to zero, so the ledger does too, and every
/// account's running totals equal the sums of its postings.
pub async fn check_balanced(connection: &mut Connection) -> Result<(), StoreError> {
    let drifted = query(&format!(
        "SELECT f.account_id FROM account_funds f
         LEFT JOIN ({SUMMED_FUNDS} GROUP BY account_id) s ON s.account_id = f.account_id
         WHERE f.balance_minor <> COALESCE(s.balance_minor, 0)
            OR f.coupons_minor <> COALESCE(s.coupons_minor, 0)
            OR f.vouchers_minor <> COALESCE(s.vouchers_minor, 0)
         LIMIT 1"
    ))
    .fetch_optional(&mut *connection)
    .await?;
    if let Some(row) = drifted {
        let account_id: String = row.try_get("account_id")?;
        return Err(StoreError::LedgerUnbalanced(format!(
            "account {account_id}: running totals differ from its postings"
        )));
    }
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
