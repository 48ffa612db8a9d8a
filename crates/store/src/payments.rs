//! Money moved through a payment provider (see the version 12 migration): an account's
//! customer at the provider, its saved cards, every charge and refund call, and the provider's
//! events already applied.

use jiff::Timestamp;

use crate::connect::{StoreError, Tx};
use crate::database::{query, Connection, DatabaseError, Row};
use crate::time::{from_seconds, to_seconds};

/// The account's customer at `provider`, if it has one.
pub async fn customer(
    connection: &mut Connection,
    account_id: &str,
) -> Result<Option<String>, StoreError> {
    let row = query("SELECT provider_customer_id FROM payment_customers WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(connection)
        .await?;
    Ok(row
        .map(|row| row.try_get("provider_customer_id"))
        .transpose()?)
}

/// Keeps the account's customer; a customer kept already (made by a request at the same time)
/// stays, and is answered.
pub async fn keep_customer(
    tx: &mut Tx,
    account_id: &str,
    provider: &str,
    provider_customer_id: &str,
    now: Timestamp,
) -> Result<String, StoreError> {
    query(
        "INSERT INTO payment_customers (account_id, provider, provider_customer_id, created_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account_id)
    .bind(provider)
    .bind(provider_customer_id)
    .bind(to_seconds(now))
    .execute(&mut *tx)
    .await?;
    let row = query("SELECT provider_customer_id FROM payment_customers WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(tx)
        .await?;
    Ok(row.try_get("provider_customer_id")?)
}

/// A card saved for an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedCard {
    pub id: String,
    pub account_id: String,
    pub provider: String,
    pub provider_payment_method: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
    pub is_default: bool,
    pub created_at: Timestamp,
    /// Removed (and detached at the provider); kept for the payments that name it.
    pub removed: bool,
}

const CARD_COLUMNS: &str = "id, account_id, provider, provider_payment_method, brand, last4, \
    exp_month, exp_year, is_default, created_at, removed_at";

fn card_from_row(row: &Row) -> Result<SavedCard, DatabaseError> {
    Ok(SavedCard {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        provider: row.try_get("provider")?,
        provider_payment_method: row.try_get("provider_payment_method")?,
        brand: row.try_get("brand")?,
        last4: row.try_get("last4")?,
        exp_month: row.try_get("exp_month")?,
        exp_year: row.try_get("exp_year")?,
        is_default: row.try_get::<i64>("is_default")? != 0,
        created_at: from_seconds(row.try_get("created_at")?),
        removed: row.try_get::<Option<i64>>("removed_at")?.is_some(),
    })
}

/// Saves a card. The account's first card is its default.
pub async fn save_card(tx: &mut Tx, card: &SavedCard) -> Result<SavedCard, StoreError> {
    let has_default = query(
        "SELECT 1 AS found FROM saved_cards
         WHERE account_id = $1 AND is_default = 1 AND removed_at IS NULL",
    )
    .bind(card.account_id.as_str())
    .fetch_optional(&mut *tx)
    .await?
    .is_some();
    let is_default = card.is_default || !has_default;
    if is_default && has_default {
        clear_default(tx, &card.account_id).await?;
    }
    query(
        "INSERT INTO saved_cards (id, account_id, provider, provider_payment_method, brand,
            last4, exp_month, exp_year, is_default, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(card.id.as_str())
    .bind(card.account_id.as_str())
    .bind(card.provider.as_str())
    .bind(card.provider_payment_method.as_str())
    .bind(card.brand.as_str())
    .bind(card.last4.as_str())
    .bind(card.exp_month)
    .bind(card.exp_year)
    .bind(i64::from(is_default))
    .bind(to_seconds(card.created_at))
    .execute(tx)
    .await?;
    Ok(SavedCard {
        is_default,
        ..card.clone()
    })
}

async fn clear_default(tx: &mut Tx, account_id: &str) -> Result<(), StoreError> {
    query("UPDATE saved_cards SET is_default = 0 WHERE account_id = $1 AND is_default = 1")
        .bind(account_id)
        .execute(tx)
        .await?;
    Ok(())
}

/// A saved card of the account, not removed.
pub async fn card(
    connection: &mut Connection,
    account_id: &str,
    card_id: &str,
) -> Result<Option<SavedCard>, StoreError> {
    card_where(
        connection,
        "id = $1 AND account_id = $2 AND removed_at IS NULL",
        &[card_id, account_id],
    )
    .await
}

/// The saved card `condition` (on `saved_cards`, with `$1…` for `values`) names, if any.
async fn card_where(
    connection: &mut Connection,
    condition: &str,
    values: &[&str],
) -> Result<Option<SavedCard>, StoreError> {
    let sql = format!("SELECT {CARD_COLUMNS} FROM saved_cards WHERE {condition}");
    let statement = values
        .iter()
        .fold(query(&sql), |statement, value| statement.bind(*value));
    let row = statement.fetch_optional(connection).await?;
    Ok(row.as_ref().map(card_from_row).transpose()?)
}

/// The card kept for the provider's payment method, removed or not.
pub async fn card_by_provider_id(
    connection: &mut Connection,
    provider: &str,
    provider_payment_method: &str,
) -> Result<Option<SavedCard>, StoreError> {
    card_where(
        connection,
        "provider = $1 AND provider_payment_method = $2",
        &[provider, provider_payment_method],
    )
    .await
}

/// The account's default card, if it has one.
pub async fn default_card(
    connection: &mut Connection,
    account_id: &str,
) -> Result<Option<SavedCard>, StoreError> {
    card_where(
        connection,
        "account_id = $1 AND is_default = 1 AND removed_at IS NULL",
        &[account_id],
    )
    .await
}

/// The account's saved cards, oldest first.
pub async fn cards(
    connection: &mut Connection,
    account_id: &str,
) -> Result<Vec<SavedCard>, StoreError> {
    let sql = format!(
        "SELECT {CARD_COLUMNS} FROM saved_cards
         WHERE account_id = $1 AND removed_at IS NULL ORDER BY id"
    );
    let rows = query(&sql).bind(account_id).fetch_all(connection).await?;
    Ok(rows.iter().map(card_from_row).collect::<Result<_, _>>()?)
}

/// Makes a saved card the account's default; answers whether it was one of its cards.
pub async fn make_default(
    tx: &mut Tx,
    account_id: &str,
    card_id: &str,
) -> Result<bool, StoreError> {
    if card(tx, account_id, card_id).await?.is_none() {
        return Ok(false);
    }
    clear_default(tx, account_id).await?;
    query("UPDATE saved_cards SET is_default = 1 WHERE id = $1")
        .bind(card_id)
        .execute(tx)
        .await?;
    Ok(true)
}

/// Removes a saved card (kept for the payments that name it); the oldest card left becomes
/// the default if the removed one was. Answers whether it was one of the account's cards.
pub async fn remove_card(
    tx: &mut Tx,
    account_id: &str,
    card_id: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let Some(removed) = card(tx, account_id, card_id).await? else {
        return Ok(false);
    };
    query("UPDATE saved_cards SET removed_at = $2, is_default = 0 WHERE id = $1")
        .bind(card_id)
        .bind(to_seconds(now))
        .execute(&mut *tx)
        .await?;
    if removed.is_default {
        if let Some(next) = cards(tx, account_id).await?.first() {
            query("UPDATE saved_cards SET is_default = 1 WHERE id = $1")
                .bind(next.id.as_str())
                .execute(tx)
                .await?;
        }
    }
    Ok(true)
}

/// A call that moves money through the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: String,
    pub account_id: String,
    pub provider: String,
    /// `charge` or `refund`.
    pub kind: String,
    /// What it is for: `deposit` (a card top-up), `order`, `refund`.
    pub purpose: String,
    pub amount_minor: i64,
    pub currency: String,
    pub card_id: Option<String>,
    /// For a refund: the charge it gives back from.
    pub refunds_payment_id: Option<String>,
    /// For a refund: tenure's refund record it pays.
    pub refund_id: Option<String>,
    /// For a charge that paid an order: the order (set in the order's transaction).
    pub order_id: Option<String>,
    pub request_scope: Option<String>,
    pub request_key: Option<String>,
    /// `started` (committed, the call not answered yet), `pending` (the provider waits for
    /// the customer or its own processing), `succeeded`, `failed`.
    pub status: String,
    pub provider_id: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub created_at: Timestamp,
    /// When it was committed, in real Unix milliseconds: its call runs in real time.
    pub started_at_ms: i64,
    pub settled_at: Option<Timestamp>,
}

const PAYMENT_COLUMNS: &str = "id, account_id, provider, kind, purpose, amount_minor, currency, \
    card_id, refunds_payment_id, refund_id, order_id, request_scope, request_key, status, \
    provider_id, failure_code, failure_message, created_at, started_at_ms, settled_at";

fn payment_from_row(row: &Row) -> Result<Payment, DatabaseError> {
    Ok(Payment {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        provider: row.try_get("provider")?,
        kind: row.try_get("kind")?,
        purpose: row.try_get("purpose")?,
        amount_minor: row.try_get("amount_minor")?,
        currency: row.try_get("currency")?,
        card_id: row.try_get("card_id")?,
        refunds_payment_id: row.try_get("refunds_payment_id")?,
        refund_id: row.try_get("refund_id")?,
        order_id: row.try_get("order_id")?,
        request_scope: row.try_get("request_scope")?,
        request_key: row.try_get("request_key")?,
        status: row.try_get("status")?,
        provider_id: row.try_get("provider_id")?,
        failure_code: row.try_get("failure_code")?,
        failure_message: row.try_get("failure_message")?,
        created_at: from_seconds(row.try_get("created_at")?),
        started_at_ms: row.try_get("started_at_ms")?,
        settled_at: row.try_get::<Option<i64>>("settled_at")?.map(from_seconds),
    })
}

/// Records a payment before its call.
pub async fn insert(tx: &mut Tx, payment: &Payment) -> Result<(), StoreError> {
    query(
        "INSERT INTO payments (id, account_id, provider, kind, purpose, amount_minor, currency,
            card_id, refunds_payment_id, refund_id, order_id, request_scope, request_key, status,
            provider_id, failure_code, failure_message, created_at, started_at_ms, settled_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
            $19, $20)",
    )
    .bind(payment.id.as_str())
    .bind(payment.account_id.as_str())
    .bind(payment.provider.as_str())
    .bind(payment.kind.as_str())
    .bind(payment.purpose.as_str())
    .bind(payment.amount_minor)
    .bind(payment.currency.as_str())
    .bind(payment.card_id.as_deref())
    .bind(payment.refunds_payment_id.as_deref())
    .bind(payment.refund_id.as_deref())
    .bind(payment.order_id.as_deref())
    .bind(payment.request_scope.as_deref())
    .bind(payment.request_key.as_deref())
    .bind(payment.status.as_str())
    .bind(payment.provider_id.as_deref())
    .bind(payment.failure_code.as_deref())
    .bind(payment.failure_message.as_deref())
    .bind(to_seconds(payment.created_at))
    .bind(payment.started_at_ms)
    .bind(payment.settled_at.map(to_seconds))
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn get(connection: &mut Connection, id: &str) -> Result<Option<Payment>, StoreError> {
    payment_where(connection, "id = $1", &[id]).await
}

/// The payment `condition` (on `payments`, with `$1…` for `values`) names, if any.
async fn payment_where(
    connection: &mut Connection,
    condition: &str,
    values: &[&str],
) -> Result<Option<Payment>, StoreError> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE {condition}");
    let statement = values
        .iter()
        .fold(query(&sql), |statement, value| statement.bind(*value));
    let row = statement.fetch_optional(connection).await?;
    Ok(row.as_ref().map(payment_from_row).transpose()?)
}

/// The payment a keyed request started, if one did.
pub async fn of_request(
    connection: &mut Connection,
    scope: &str,
    key: &str,
) -> Result<Option<Payment>, StoreError> {
    payment_where(
        connection,
        "request_scope = $1 AND request_key = $2",
        &[scope, key],
    )
    .await
}

/// The payment the provider knows by `provider_id`.
pub async fn by_provider_id(
    connection: &mut Connection,
    provider_id: &str,
) -> Result<Option<Payment>, StoreError> {
    payment_where(connection, "provider_id = $1", &[provider_id]).await
}

/// What the provider answered of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<'a> {
    pub status: &'a str,
    pub provider_id: Option<&'a str>,
    pub failure_code: Option<&'a str>,
    pub failure_message: Option<&'a str>,
    /// When it became final (`succeeded` or `failed`).
    pub settled_at: Option<Timestamp>,
}

/// Moves a payment to `outcome` from one of `from` (its statuses before); answers whether it
/// moved, so that an outcome applied twice (an answer and a webhook) is applied once.
pub async fn settle(
    tx: &mut Tx,
    id: &str,
    from: &[&str],
    outcome: &Outcome<'_>,
) -> Result<bool, StoreError> {
    let mut moved = false;
    for status in from {
        let result = query(
            "UPDATE payments SET status = $3, provider_id = COALESCE($4, provider_id),
                failure_code = $5, failure_message = $6, settled_at = $7
             WHERE id = $1 AND status = $2",
        )
        .bind(id)
        .bind(*status)
        .bind(outcome.status)
        .bind(outcome.provider_id)
        .bind(outcome.failure_code)
        .bind(outcome.failure_message)
        .bind(outcome.settled_at.map(to_seconds))
        .execute(&mut *tx)
        .await?;
        moved |= result.rows_affected() == 1;
    }
    Ok(moved)
}

/// Marks a charge as the payment of `order_id`, succeeded (in the order's transaction);
/// answers whether it moved (from `started`).
pub async fn settle_for_order(
    tx: &mut Tx,
    id: &str,
    order_id: &str,
    provider_id: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let result = query(
        "UPDATE payments SET status = 'succeeded', order_id = $2, provider_id = $3,
            settled_at = $4
         WHERE id = $1 AND status = 'started'",
    )
    .bind(id)
    .bind(order_id)
    .bind(provider_id)
    .bind(to_seconds(now))
    .execute(tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Payments of an account (or all), newest id last, `limit` after `after_id`.
pub async fn list(
    connection: &mut Connection,
    account_id: Option<&str>,
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Payment>, StoreError> {
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments
         WHERE ($1 = '' OR account_id = $1) AND id > $2 ORDER BY id LIMIT $3"
    );
    let rows = query(&sql)
        .bind(account_id.unwrap_or(""))
        .bind(after_id.unwrap_or(""))
        .bind(limit)
        .fetch_all(connection)
        .await?;
    Ok(rows
        .iter()
        .map(payment_from_row)
        .collect::<Result<_, _>>()?)
}

/// Payments whose call was never answered (`started`) committed before `before_ms` (real
/// Unix milliseconds): to be looked up at the provider.
pub async fn unanswered(
    connection: &mut Connection,
    before_ms: i64,
    limit: i64,
) -> Result<Vec<Payment>, StoreError> {
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments
         WHERE status = 'started' AND started_at_ms < $1 ORDER BY started_at_ms, id LIMIT $2"
    );
    let rows = query(&sql)
        .bind(before_ms)
        .bind(limit)
        .fetch_all(connection)
        .await?;
    Ok(rows
        .iter()
        .map(payment_from_row)
        .collect::<Result<_, _>>()?)
}

/// Records a provider event as applied; answers false if it was applied before.
pub async fn first_time(
    tx: &mut Tx,
    event_id: &str,
    provider: &str,
    kind: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let result = query(
        "INSERT INTO provider_events (id, provider, kind, received_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(event_id)
    .bind(provider)
    .bind(kind)
    .bind(to_seconds(now))
    .execute(tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The succeeded card charges that paid the orders of the period opened by `period_order_id`,
/// newest first, each with what refunds already took or will take of it (refund payments not
/// failed).
pub async fn period_charges(
    connection: &mut Connection,
    period_order_id: &str,
) -> Result<Vec<(Payment, i64)>, StoreError> {
    let columns: String = PAYMENT_COLUMNS
        .split(", ")
        .map(|column| format!("p.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns},
            (SELECT CAST(COALESCE(SUM(r.amount_minor), 0) AS BIGINT) FROM payments r
             WHERE r.refunds_payment_id = p.id AND r.status <> 'failed') AS refunded_minor
         FROM payments p JOIN orders o ON o.id = p.order_id
         WHERE o.period_order_id = $1 AND p.kind = 'charge' AND p.status = 'succeeded'
         ORDER BY p.id DESC"
    );
    let rows = query(&sql)
        .bind(period_order_id)
        .fetch_all(connection)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                payment_from_row(row)?,
                row.try_get::<i64>("refunded_minor")?,
            ))
        })
        .collect::<Result<_, DatabaseError>>()
        .map_err(StoreError::from)
}

/// Refund payments waiting for their call (`started`) whose last claim, if any, is older than
/// `claimed_before_ms`: never claimed (0), or claimed by a call that must be over.
pub async fn refunds_to_send(
    connection: &mut Connection,
    claimed_before_ms: i64,
    limit: i64,
) -> Result<Vec<Payment>, StoreError> {
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments
         WHERE kind = 'refund' AND status = 'started' AND started_at_ms < $1
         ORDER BY started_at_ms, id LIMIT $2"
    );
    let rows = query(&sql)
        .bind(claimed_before_ms)
        .bind(limit)
        .fetch_all(connection)
        .await?;
    Ok(rows
        .iter()
        .map(payment_from_row)
        .collect::<Result<_, _>>()?)
}

/// Claims a refund payment for one call: answers whether this caller got it (no one claimed it
/// since `last_claim_ms`).
pub async fn claim(
    tx: &mut Tx,
    id: &str,
    last_claim_ms: i64,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let result = query(
        "UPDATE payments SET started_at_ms = $3
         WHERE id = $1 AND status = 'started' AND started_at_ms = $2",
    )
    .bind(id)
    .bind(last_claim_ms)
    .bind(now_ms)
    .execute(tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The refund payments of tenure's refund `refund_id`.
pub async fn of_refund(
    connection: &mut Connection,
    refund_id: &str,
) -> Result<Vec<Payment>, StoreError> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE refund_id = $1 ORDER BY id");
    let rows = query(&sql).bind(refund_id).fetch_all(connection).await?;
    Ok(rows
        .iter()
        .map(payment_from_row)
        .collect::<Result<_, _>>()?)
}

/// The refund payments of each of `refund_ids`, in one query (a page of refunds shows them).
pub async fn of_refunds(
    connection: &mut Connection,
    refund_ids: &[String],
) -> Result<Vec<Payment>, StoreError> {
    if refund_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = (1..=refund_ids.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE refund_id IN ({placeholders}) ORDER BY id"
    );
    let mut found = query(&sql);
    for refund_id in refund_ids {
        found = found.bind(refund_id);
    }
    let rows = found.fetch_all(connection).await?;
    Ok(rows
        .iter()
        .map(payment_from_row)
        .collect::<Result<_, _>>()?)
}
