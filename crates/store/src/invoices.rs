//! Invoices and credit notes as issued: the document whole, as JSON that is written once and
//! never updated, and the columns it is found by. Numbers come from `invoice_series` in the
//! issuing transaction ([`take_sequences`]): the row is locked until commit, so two issuers
//! wait for each other, and a rolled-back issue gives its numbers back.

use jiff::Timestamp;

use crate::connect::{StoreError, Tx};
use crate::database::{execute_rows, query, Connection, DatabaseError, Row};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInvoice {
    pub id: String,
    /// `INV-2026-000001`: the series and the sequence in it.
    pub number: String,
    pub series: String,
    pub sequence: i64,
    /// `invoice` or `credit_note`.
    pub kind: String,
    pub account_id: String,
    /// The order an invoice charges, or whose refund a credit note gives back.
    pub order_id: Option<String>,
    /// The refund a credit note gives back.
    pub refund_id: Option<String>,
    /// The invoice a credit note corrects.
    pub corrects_id: Option<String>,
    pub issued_at: Timestamp,
    pub currency: String,
    pub gross_minor: i64,
    /// `tenure_core::invoice::document::InvoiceDocument` as JSON.
    pub document: String,
}

const COLUMNS: &str = "id, number, series, sequence, kind, account_id, order_id, refund_id, \
                       corrects_id, issued_at, currency, gross_minor, document";

fn from_row(row: &Row) -> Result<StoredInvoice, DatabaseError> {
    Ok(StoredInvoice {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        series: row.try_get("series")?,
        sequence: row.try_get("sequence")?,
        kind: row.try_get("kind")?,
        account_id: row.try_get("account_id")?,
        order_id: row.try_get("order_id")?,
        refund_id: row.try_get("refund_id")?,
        corrects_id: row.try_get("corrects_id")?,
        issued_at: from_seconds(row.try_get("issued_at")?),
        currency: row.try_get("currency")?,
        gross_minor: row.try_get("gross_minor")?,
        document: row.try_get("document")?,
    })
}

/// Takes the next `count` sequence numbers of `series` and answers the first: the caller
/// numbers its documents `first..first + count`, in this transaction.
pub async fn take_sequences(tx: &mut Tx, series: &str, count: i64) -> Result<i64, StoreError> {
    let row = query(
        "INSERT INTO invoice_series (series, last_sequence) VALUES ($1, $2)
         ON CONFLICT (series) DO UPDATE SET last_sequence = invoice_series.last_sequence + $2
         RETURNING last_sequence",
    )
    .bind(series)
    .bind(count)
    .fetch_one(tx)
    .await?;
    let last: i64 = row.try_get("last_sequence")?;
    Ok(last - count + 1)
}

/// Writes issued documents in a few multi-row statements.
pub async fn insert_many(tx: &mut Tx, invoices: &[StoredInvoice]) -> Result<(), StoreError> {
    execute_rows(
        tx,
        &format!("{{insert}} invoices ({COLUMNS}) VALUES {{values}}"),
        13,
        invoices,
        |query, invoice| {
            query
                .bind(&invoice.id)
                .bind(&invoice.number)
                .bind(&invoice.series)
                .bind(invoice.sequence)
                .bind(&invoice.kind)
                .bind(&invoice.account_id)
                .bind(&invoice.order_id)
                .bind(&invoice.refund_id)
                .bind(&invoice.corrects_id)
                .bind(to_seconds(invoice.issued_at))
                .bind(&invoice.currency)
                .bind(invoice.gross_minor)
                .bind(&invoice.document)
        },
    )
    .await?;
    Ok(())
}

pub async fn get(
    connection: &mut Connection,
    invoice_id: &str,
) -> Result<Option<StoredInvoice>, StoreError> {
    let row = query(&format!("SELECT {COLUMNS} FROM invoices WHERE id = $1"))
        .bind(invoice_id)
        .fetch_optional(connection)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The invoice that charged `order_id`, if one was issued.
pub async fn of_order(
    connection: &mut Connection,
    order_id: &str,
) -> Result<Option<StoredInvoice>, StoreError> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM invoices WHERE order_id = $1 AND kind = 'invoice'"
    ))
    .bind(order_id)
    .fetch_optional(connection)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub account_id: Option<String>,
    pub kind: Option<String>,
    /// Issued at or after, in Unix seconds.
    pub issued_from: Option<Timestamp>,
    /// Issued before, in Unix seconds.
    pub issued_before: Option<Timestamp>,
    pub after_id: Option<String>,
    pub limit: i64,
    /// Oldest first, or newest first (the console's order, a statement's latest on top).
    pub direction: crate::ListDirection,
}

pub async fn list(
    connection: &mut Connection,
    filter: &InvoiceFilter,
) -> Result<Vec<StoredInvoice>, StoreError> {
    let seconds = |at: Option<Timestamp>| at.map(|at| to_seconds(at).to_string());
    let (from, before) = (seconds(filter.issued_from), seconds(filter.issued_before));
    let filters = [
        ("account_id", &filter.account_id),
        ("kind", &filter.kind),
        ("issued_at >= CAST({value} AS BIGINT)", &from),
        ("issued_at < CAST({value} AS BIGINT)", &before),
    ];
    let rows = crate::listing::fetch_page_in(
        connection,
        COLUMNS,
        "invoices",
        &filters,
        filter.after_id.as_deref(),
        filter.limit,
        filter.direction,
    )
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
