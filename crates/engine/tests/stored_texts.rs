//! Orders and refunds carry enums, and the store converts at its edge: what it writes is the
//! enums' texts, what it reads back is the same enums, and a stored text no enum knows is a
//! decode error that names its column; on both databases.

#[macro_use]
mod support;

use jiff::Timestamp;
use tenure_core::order::{OrderKind, OrderStatus};
use tenure_core::payment::PaymentMethod;
use tenure_core::period::Period;
use tenure_core::refund::{RefundStatus, RefundType, ResourceKind};
use tenure_core::refund_destination::RefundDestination;
use tenure_engine::unsubscriptions::Confirmations;
use tenure_store::database::{query, DatabaseError};
use tenure_store::{orders, refunds, Connection, Store, StoreError};

const START: &str = "2026-02-10T00:00:00Z";

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The texts of `columns` of the row of `table` with `id`, as stored.
async fn stored_texts(
    connection: &mut Connection,
    table: &str,
    id: &str,
    columns: &[&str],
) -> Vec<String> {
    let row = query(&format!(
        "SELECT {} FROM {table} WHERE id = $1",
        columns.join(", ")
    ))
    .bind(id)
    .fetch_one(connection)
    .await
    .unwrap();
    columns
        .iter()
        .map(|column| row.try_get(column).unwrap())
        .collect()
}

/// Writes `text` into `column` of the row of `table` with `id`, as a tool without the checks
/// could.
async fn overwrite(store: &Store, table: &str, column: &str, id: &str, text: &str) {
    let mut tx = store.begin().await.unwrap();
    query(&format!("UPDATE {table} SET {column} = $2 WHERE id = $1"))
        .bind(id)
        .bind(text)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn names_column(error: &StoreError, expected: &str) -> bool {
    matches!(
        error,
        StoreError::Database(DatabaseError::Decode { column, .. }) if column == expected
    )
}

async fn enums_in_texts_out_and_unknown_texts_refused(backend: support::Backend) {
    let (store, _cleanup) = support::fresh_store(backend).await;
    let engine = support::engine_with(store.clone(), at(START));
    let mut tx = engine.begin().await.unwrap();
    let account_id = support::ada_with_deposit(&engine, &mut tx, 100_000).await;
    let mut by_card = support::monthly_basic_queue(&account_id);
    by_card.sources.method = PaymentMethod::BankCard;
    let bought = engine.purchase(&mut tx, by_card).await.unwrap();
    tx.commit().await.unwrap();
    let instance_id = bought.instance.instance.id.clone();
    let order = bought
        .order
        .expect("a subscription is bought with an order");
    assert_eq!(
        (
            order.kind,
            order.status,
            order.period,
            order.external_method
        ),
        (
            OrderKind::Purchase,
            OrderStatus::Paid,
            Period::months(1),
            Some(PaymentMethod::BankCard)
        )
    );

    let mut connection = store.read().await.unwrap();
    assert_eq!(
        orders::get(&mut connection, &order.id).await.unwrap(),
        Some(order.clone())
    );
    assert_eq!(
        stored_texts(
            &mut connection,
            "orders",
            &order.id,
            &["kind", "status", "period", "external_method"]
        )
        .await,
        ["purchase", "paid", "1M", "bank_card"]
    );
    drop(connection);

    let mut tx = engine.begin().await.unwrap();
    let unsubscribed = engine
        .unsubscribe_instance(
            &mut tx,
            &instance_id,
            Confirmations {
                confirm_refund: true,
                confirm_data_backed_up: true,
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let refund = unsubscribed.refunds[0].clone();
    assert_eq!(
        (
            refund.resource_kind,
            refund.refund_type,
            refund.destination,
            refund.status
        ),
        (
            ResourceKind::Regular,
            RefundType::PartialRefund,
            RefundDestination::Original(PaymentMethod::BankCard),
            RefundStatus::Processing
        )
    );
    let mut connection = store.read().await.unwrap();
    assert_eq!(
        refunds::get(&mut connection, &refund.id).await.unwrap(),
        Some(refund.clone())
    );
    assert_eq!(
        stored_texts(
            &mut connection,
            "refunds",
            &refund.id,
            &["resource_kind", "refund_type", "destination", "status"]
        )
        .await,
        ["regular", "partial_refund", "bank_card", "processing"]
    );
    assert_eq!(
        stored_texts(&mut connection, "orders", &order.id, &["status"]).await,
        ["cancelled"]
    );
    drop(connection);

    let mut tx = engine.begin().await.unwrap();
    let completed = engine.complete_refund(&mut tx, &refund.id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(completed.status, RefundStatus::Refunded);
    let mut connection = store.read().await.unwrap();
    assert_eq!(
        stored_texts(&mut connection, "refunds", &refund.id, &["status"]).await,
        ["refunded"]
    );
    drop(connection);

    overwrite(&store, "orders", "kind", &order.id, "gift").await;
    let mut connection = store.read().await.unwrap();
    let error = orders::get(&mut connection, &order.id).await.unwrap_err();
    assert!(names_column(&error, "kind"), "{error}");
    assert!(error.to_string().contains("gift"), "{error}");
    drop(connection);

    overwrite(&store, "refunds", "destination", &refund.id, "nowhere").await;
    let mut connection = store.read().await.unwrap();
    let error = refunds::get(&mut connection, &refund.id).await.unwrap_err();
    assert!(names_column(&error, "destination"), "{error}");
}

on_both_backends!(
    orders_and_refunds,
    enums_in_texts_out_and_unknown_texts_refused
);
