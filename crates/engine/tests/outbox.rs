//! The delivery outbox is written in the same transaction as what it carries: a change that
//! rolls back leaves no delivery (nothing is sent for it), one that commits leaves one per
//! endpoint that hears of each event and one per notice on a configured channel.

#[macro_use]
mod support;

use tenure_core::delivery::{DeliveryChannel, DeliveryPolicy, DeliveryStatus};
use tenure_engine::webhook_endpoints::NewWebhookEndpoint;
use tenure_engine::{Channels, Engine};
use tenure_store::deliveries::{self, DeliveryFilter, StoredDelivery};
use tenure_store::Store;

async fn all_deliveries(store: &Store) -> Vec<StoredDelivery> {
    let mut connection = store.read().await.unwrap();
    deliveries::list(&mut connection, &DeliveryFilter::default(), None, 1000)
        .await
        .unwrap()
}

async fn a_rolled_back_change_leaves_no_delivery_and_a_committed_one_does(
    backend: support::Backend,
) {
    let (store, _cleanup) = support::fresh_store(backend).await;
    let engine: Engine =
        support::engine_with(store.clone(), "2026-02-10T00:00:00Z".parse().unwrap()).with_delivery(
            Channels {
                email: true,
                sms: true,
            },
            DeliveryPolicy::default(),
        );
    let mut tx = store.begin().await.unwrap();
    let endpoint = engine
        .create_webhook_endpoint(
            &mut tx,
            NewWebhookEndpoint {
                url: "https://ops.example.com/hook".to_string(),
                events: vec!["funds.deposited".to_string()],
                description: None,
            },
        )
        .await
        .unwrap();
    let account = engine
        .create_account(&mut tx, support::ada())
        .await
        .unwrap();
    let account_id = account.account.account.id.clone();
    tx.commit().await.unwrap();
    assert_eq!(all_deliveries(&store).await, []);

    // A deposit that rolls back: its event and its delivery go with it.
    let mut tx = store.begin().await.unwrap();
    engine
        .deposit(
            &mut tx,
            &account_id,
            500,
            tenure_core::payment::PaymentMethod::BankCard,
        )
        .await
        .unwrap();
    assert_eq!(
        deliveries::list(&mut tx, &DeliveryFilter::default(), None, 10)
            .await
            .unwrap()
            .len(),
        1,
        "written in the transaction"
    );
    tx.rollback().await.unwrap();
    assert_eq!(all_deliveries(&store).await, []);

    // One that commits: one delivery, of its event, to the endpoint, pending, due now.
    let mut tx = store.begin().await.unwrap();
    engine
        .deposit(
            &mut tx,
            &account_id,
            700,
            tenure_core::payment::PaymentMethod::BankCard,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let written = all_deliveries(&store).await;
    assert_eq!(written.len(), 1);
    let delivery = &written[0];
    let mut connection = store.read().await.unwrap();
    let log = support::whole_event_log(&mut connection).await;
    let deposit = log
        .iter()
        .rev()
        .find(|event| event.kind == "funds.deposited")
        .unwrap();
    assert_eq!(deposit.data["amount_minor"], 700);
    assert_eq!(delivery.event_id.as_deref(), Some(deposit.id.as_str()));
    assert_eq!(delivery.message_id, deposit.id);
    assert_eq!(
        delivery.endpoint_id.as_deref(),
        Some(endpoint.endpoint.id.as_str())
    );
    assert_eq!(delivery.channel, DeliveryChannel::Webhook);
    assert_eq!(delivery.status, DeliveryStatus::Pending);
    assert_eq!(delivery.recipient, "https://ops.example.com/hook");
    let due = delivery.next_attempt_at.unwrap();
    assert!(jiff::Timestamp::now().duration_since(due).as_secs() < 60);
}

on_both_backends!(
    rollback_and_commit,
    a_rolled_back_change_leaves_no_delivery_and_a_committed_one_does
);
