//! The Stripe client against a real server that speaks Stripe's API: localstripe (PyPI),
//! started here on a loopback port from the tests' Python environment (`scripts/test` installs
//! it). Stripe's test cards give the outcomes.

use std::time::Duration;

use tenure_payments::localstripe::{send_webhooks_to, LocalStripe};
use tenure_payments::stripe::{signature, webhook, Stripe};
use tenure_payments::{
    ChargeRequest, ChargeStatus, CustomerDraft, Provider, ProviderError, RefundRequest,
    RefundStatus,
};

async fn customer(stripe: &Stripe) -> String {
    stripe
        .create_customer(&CustomerDraft {
            account_id: "acct_1".into(),
            name: "Ada".into(),
            email: Some("ada@example.com".into()),
        })
        .await
        .unwrap()
}

fn charge(
    attempt_id: &str,
    customer_id: &str,
    payment_method_id: &str,
    amount: i64,
) -> ChargeRequest {
    ChargeRequest {
        attempt_id: attempt_id.into(),
        customer_id: customer_id.into(),
        payment_method_id: payment_method_id.into(),
        amount_minor: amount,
        currency: "USD".into(),
    }
}

#[tokio::test]
async fn a_saved_card_pays_refunds_and_is_found_by_its_attempt() {
    let server = LocalStripe::start().await;
    let stripe = Stripe::new(&server.base(), "sk_test_tenure");
    let customer_id = customer(&stripe).await;
    let method = server.tokenize("4242424242424242").await;
    let card = stripe.attach_card(&customer_id, &method).await.unwrap();
    assert_eq!(
        (card.last4.as_str(), card.exp_month, card.exp_year),
        ("4242", 12, 2030)
    );

    let paid = stripe
        .charge(&charge("pay_1", &customer_id, &method, 5_000))
        .await
        .unwrap();
    assert_eq!(paid.status, ChargeStatus::Succeeded);
    assert_eq!(paid.amount_minor, 5_000);
    assert_eq!(paid.attempt_id.as_deref(), Some("pay_1"));

    // An answer lost on the way is found again by the attempt's id, and only that one.
    let found = stripe
        .find_charge("pay_1")
        .await
        .unwrap()
        .expect("the charge");
    assert_eq!(found.provider_id, paid.provider_id);
    assert_eq!(stripe.find_charge("pay_never").await.unwrap(), None);

    let refund = stripe
        .refund(&RefundRequest {
            attempt_id: "rfd_1".into(),
            charge_id: paid.provider_id.clone(),
            amount_minor: 1_250,
        })
        .await
        .unwrap();
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(refund.amount_minor, 1_250);
    assert_eq!(refund.charge_id, paid.provider_id);
    let found = stripe
        .find_refund("rfd_1")
        .await
        .unwrap()
        .expect("the refund");
    assert_eq!(found.provider_id, refund.provider_id);

    stripe.detach_card(&method).await.unwrap();
}

#[tokio::test]
async fn declines_say_why_and_authentication_leaves_the_charge_waiting() {
    let server = LocalStripe::start().await;
    let stripe = Stripe::new(&server.base(), "sk_test_tenure");
    let customer_id = customer(&stripe).await;

    // Attaches, then declines when charged.
    let method = server.tokenize("4000000000000341").await;
    stripe.attach_card(&customer_id, &method).await.unwrap();
    match stripe
        .charge(&charge("pay_2", &customer_id, &method, 700))
        .await
    {
        Err(ProviderError::Declined { code, message, .. }) => {
            assert_eq!(code, "card_declined");
            assert!(!message.is_empty());
        }
        other => panic!("a decline, not {other:?}"),
    }

    // Declined when attached: the card is never saved.
    let method = server.tokenize("4000000000009995").await;
    assert!(matches!(
        stripe.attach_card(&customer_id, &method).await,
        Err(ProviderError::Declined { .. })
    ));

    // Needs the customer (3-D Secure): nothing is taken yet.
    let method = server.tokenize("4000002500003155").await;
    stripe.attach_card(&customer_id, &method).await.unwrap();
    let waiting = stripe
        .charge(&charge("pay_3", &customer_id, &method, 900))
        .await
        .unwrap();
    assert_eq!(waiting.status, ChargeStatus::RequiresAction);

    // A payment method that does not exist is a refusal that changed nothing.
    let refused = stripe
        .attach_card(&customer_id, "pm_nothing")
        .await
        .unwrap_err();
    assert!(refused.changed_nothing(), "{refused:?}");
}

#[tokio::test]
async fn a_dead_provider_leaves_the_outcome_unknown() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stripe = Stripe::new(
        &format!("http://127.0.0.1:{port}"),
        "sk_test_secret_never_shown",
    );
    let error = stripe
        .charge(&charge("pay_4", "cus_1", "pm_1", 100))
        .await
        .unwrap_err();
    assert!(!error.changed_nothing());
    assert!(!error.to_string().contains("sk_test_secret_never_shown"));
    assert!(!format!("{stripe:?}").contains("sk_test_secret_never_shown"));
}

#[tokio::test]
async fn its_webhooks_verify_and_read_as_the_charge_they_report() {
    let server = LocalStripe::start().await;
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/stripe", receiver.local_addr().unwrap());
    let secret = "whsec_tenure_test";
    send_webhooks_to(&server, &url, secret).await;

    let stripe = Stripe::new(&server.base(), "sk_test_tenure");
    let customer_id = customer(&stripe).await;
    let method = server.tokenize("4242424242424242").await;
    stripe.attach_card(&customer_id, &method).await.unwrap();
    let paid = stripe
        .charge(&charge("pay_5", &customer_id, &method, 4_200))
        .await
        .unwrap();

    // localstripe sends every event (the customer's, the card's…): the charge's is awaited.
    let (header, body) = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let (header, body) = receive(&receiver).await;
            if webhook::read(&body).is_ok_and(|event| event.kind == "payment_intent.succeeded") {
                return (header, body);
            }
        }
    })
    .await
    .expect("localstripe sends payment_intent.succeeded");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    signature::verify(&header, &body, secret, now).expect("its signature verifies");
    assert!(signature::verify(&header, &body, "whsec_other", now).is_err());
    let event = webhook::read(&body).unwrap();
    assert_eq!(event.kind, "payment_intent.succeeded");
    match event.outcome {
        webhook::Outcome::Charge(charge) => {
            assert_eq!(charge.provider_id, paid.provider_id);
            assert_eq!(charge.attempt_id.as_deref(), Some("pay_5"));
            assert_eq!(charge.status, ChargeStatus::Succeeded);
        }
        other => panic!("a charge, not {other:?}"),
    }
}

/// One HTTP POST: its Stripe-Signature header and its body (answered 200).
async fn receive(listener: &tokio::net::TcpListener) -> (String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "the connection closed before the body");
        bytes.extend_from_slice(&buffer[..read]);
        let Some(end) = bytes.windows(4).position(|window| window == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&bytes[..end]).to_string();
        let header = |name: &str| {
            head.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_string())
            })
        };
        let length: usize = header("content-length").unwrap().parse().unwrap();
        if bytes.len() >= end + 4 + length {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
            let body = bytes[end + 4..end + 4 + length].to_vec();
            return (header("stripe-signature").unwrap(), body);
        }
    }
}
