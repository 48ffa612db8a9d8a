//! Every issued invoice and credit note is emailed to its buyer: to the billing profile's
//! invoice address (else the account's email), through a real SMTP server (aiosmtpd), its PDF
//! attached, byte for byte what `GET /v1/invoices/{id}/pdf` answers.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tenure_core::delivery::DeliveryPolicy;
use tenure_server::ChannelUrls;

use crate::deliveries::{delivery, eventually};
use crate::helpers::{spawn_app_delivering, text, Backend, TestApp, ADMIN_KEY};
use crate::on_both_backends;
use crate::smtp::{Mail, SmtpServer};

const INVOICE_ADDRESS: &str = "accounts@lovelace.example";

/// The PDF the API renders for a document, and the content type it answers with.
async fn pdf_of(app: &TestApp, invoice_id: &str) -> (String, Vec<u8>) {
    let response = reqwest::Client::new()
        .get(format!("{}/v1/invoices/{invoice_id}/pdf", app.address))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    (content_type, response.bytes().await.unwrap().to_vec())
}

/// Waits (real time, at most 20 s) for the email whose subject is `subject`.
async fn email_titled(smtp: &SmtpServer, subject: &str) -> Mail {
    email_whose_subject(smtp, |title| title == subject).await
}

/// Waits (real time, at most 20 s) for an email whose subject `matches`.
async fn email_whose_subject(smtp: &SmtpServer, matches: impl Fn(&str) -> bool) -> Mail {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let received = smtp.received();
        if let Some(mail) = received.iter().find(|mail| matches(mail.header("Subject"))) {
            return mail.clone();
        }
        assert!(Instant::now() < deadline, "the email: {received:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// An amount as notices write it, for USD: `12000` is "120.00 USD".
fn usd(amount_minor: i64) -> String {
    format!("{}.{:02} USD", amount_minor / 100, amount_minor % 100)
}

/// Checks that `mail` brings the document `invoice` to the invoice address, its PDF attached
/// as the API renders it.
async fn check_document_email(app: &TestApp, mail: &Mail, invoice: &Value) {
    let number = text(&invoice["number"]);
    assert_eq!(mail.header("To"), INVOICE_ADDRESS);
    assert_eq!(mail.header("From"), "Billing <billing@example.com>");
    assert!(
        mail.header("Content-Type").starts_with("multipart/mixed"),
        "{mail:?}"
    );
    assert!(
        mail.body
            .contains(&usd(invoice["gross_minor"].as_i64().unwrap())),
        "the gross: {}",
        mail.body
    );
    assert!(mail.body.contains(number), "{}", mail.body);
    // The text and its HTML side by side, the PDF beside them.
    assert_eq!(
        mail.content_types,
        [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "application/pdf"
        ],
        "{mail:?}"
    );
    let html = mail.html.as_deref().unwrap();
    assert!(html.contains(number), "{html}");
    assert!(
        html.contains(&usd(invoice["gross_minor"].as_i64().unwrap())),
        "{html}"
    );
    assert_eq!(mail.attachments.len(), 1, "{mail:?}");
    let attached = &mail.attachments[0];
    assert_eq!(attached.content_type, "application/pdf");
    assert_eq!(attached.file_name, format!("{number}.pdf"));
    let (content_type, rendered) = pdf_of(app, text(&invoice["id"])).await;
    assert_eq!(content_type, "application/pdf");
    assert!(attached.bytes.starts_with(b"%PDF-"));
    assert!(
        attached.bytes == rendered,
        "the attachment ({} bytes) is the API's PDF ({} bytes)",
        attached.bytes.len(),
        rendered.len()
    );
}

async fn invoices_and_credit_notes_are_emailed_with_their_pdf(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_delivering(
        backend,
        "2026-03-01T00:00:00Z",
        delivery(
            ChannelUrls {
                smtp_url: Some(smtp.url()),
                smtp_from: Some("Billing <billing@example.com>".to_string()),
                sms_gateway_url: None,
                operator_email: None,
            },
            DeliveryPolicy::default(),
        ),
    )
    .await;
    let account_id = app.funded_account(100_000).await;
    let (status, profile) = app
        .request(
            "PUT",
            &format!("/v1/accounts/{account_id}/billing-profile"),
            Some(json!({ "legal_name": "Lovelace Analytical Engines Ltd",
                         "address_line1": "12 St James's Square", "city": "London",
                         "postal_code": "SW1Y 4JH", "country": "GB",
                         "invoice_email": INVOICE_ADDRESS })),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{profile}");
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let instance_id = text(&bought["instance"]["id"]).to_string();
    let invoices = app.get(&format!("/v1/invoices?account={account_id}")).await;
    let invoice = invoices["data"][0].clone();
    assert_eq!(invoice["number"], "INV-2026-000001");

    let mail = email_titled(&smtp, "Invoice INV-2026-000001").await;
    check_document_email(&app, &mail, &invoice).await;
    assert!(mail.body.contains("2026-03-01"), "its date: {}", mail.body);
    // The notice is kept with its event, to the invoice address, and marked sent.
    let notices = eventually(
        &app,
        &format!("/v1/notifications?account={account_id}&kind=invoice.issued"),
        |notices| notices["data"][0]["status"] == "sent",
    )
    .await;
    let notice = &notices["data"][0];
    assert_eq!(notice["channel"], "email");
    assert_eq!(notice["recipient"], INVOICE_ADDRESS);
    assert_eq!(
        mail.header("Message-ID"),
        format!("<{}@tenure>", text(&notice["id"]))
    );
    assert_eq!(mail.body.trim_end(), text(&notice["body"]));

    // Unsubscribed with a refund: the credit note goes the same way, naming the invoice it
    // corrects; the unsubscription's own email goes to the account's address.
    app.advance_to("2026-03-11T00:00:00Z").await;
    app.post_ok(
        &format!("/v1/instances/{instance_id}/unsubscribe"),
        json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
    )
    .await;
    let credit_notes = app
        .get(&format!(
            "/v1/invoices?account={account_id}&kind=credit_note"
        ))
        .await;
    let credit_note = credit_notes["data"][0].clone();
    assert_eq!(credit_note["number"], "CN-2026-000001");
    let mail = email_titled(&smtp, "Credit note CN-2026-000001").await;
    check_document_email(&app, &mail, &credit_note).await;
    assert!(
        mail.body.contains("INV-2026-000001"),
        "the invoice it corrects: {}",
        mail.body
    );
    let unsubscribed =
        email_whose_subject(&smtp, |subject| subject.ends_with("was unsubscribed")).await;
    assert_eq!(unsubscribed.header("To"), "ada@example.com");
    assert!(unsubscribed.attachments.is_empty());
    assert_eq!(smtp.received().len(), 3, "nothing else was sent");
}
on_both_backends!(
    document_emails,
    invoices_and_credit_notes_are_emailed_with_their_pdf
);

/// Without an invoice address in a billing profile, the email goes to the account's own; and
/// with no SMTP server, the notice is kept `undeliverable` as every other email notice.
async fn without_an_invoice_address_the_account_email_is_used(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_delivering(
        backend,
        "2026-03-01T00:00:00Z",
        delivery(
            ChannelUrls {
                smtp_url: Some(smtp.url()),
                smtp_from: Some("Billing <billing@example.com>".to_string()),
                sms_gateway_url: None,
                operator_email: None,
            },
            DeliveryPolicy::default(),
        ),
    )
    .await;
    let account_id = app.funded_account(100_000).await;
    app.buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let mail = email_titled(&smtp, "Invoice INV-2026-000001").await;
    assert_eq!(mail.header("To"), "ada@example.com");
    assert_eq!(mail.attachments.len(), 1);

    let quiet = spawn_app_delivering(
        backend,
        "2026-03-01T00:00:00Z",
        delivery(ChannelUrls::default(), DeliveryPolicy::default()),
    )
    .await;
    let account_id = quiet.funded_account(100_000).await;
    quiet
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let notices = quiet
        .get(&format!(
            "/v1/notifications?account={account_id}&kind=invoice.issued"
        ))
        .await;
    assert_eq!(notices["data"][0]["status"], "undeliverable", "{notices}");
    assert_eq!(
        notices["data"][0]["status_reason"],
        "no SMTP server is configured (tenure serve --smtp-url)"
    );
}
on_both_backends!(
    document_emails_to_the_account,
    without_an_invoice_address_the_account_email_is_used
);

/// Every `12.50 USD` a text holds.
fn amounts_in(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .windows(2)
        .filter(|pair| pair[1].trim_end_matches(['.', ',', ';', ')']) == "USD")
        .filter(|pair| {
            pair[0].contains('.') && pair[0].chars().all(|c| c.is_ascii_digit() || c == '.')
        })
        .map(|pair| format!("{} USD", pair[0]))
        .collect()
}

async fn emails_carry_html_beside_the_text_escaped(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_delivering(
        backend,
        "2026-03-01T00:00:00Z",
        delivery(
            ChannelUrls {
                smtp_url: Some(smtp.url()),
                smtp_from: Some("Billing <billing@example.com>".to_string()),
                sms_gateway_url: None,
                operator_email: None,
            },
            DeliveryPolicy::default(),
        ),
    )
    .await;
    let account = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "<script>alert('account')</script>", "email": "ada@example.com",
                    "mobile": "+15550100" }),
        )
        .await;
    let account_id = text(&account["id"]).to_string();
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 100_000, "method": "bank_card" }),
    )
    .await;
    let name = "<script>alert('db')</script> & \"co\"";
    let bought = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                    "spec": "tps-1000", "region": "us-east-1", "period": "1M", "name": name }),
        )
        .await;
    let instance_id = text(&bought["instance"]["id"]).to_string();
    app.advance_to("2026-03-11T00:00:00Z").await;
    app.post_ok(
        &format!("/v1/instances/{instance_id}/unsubscribe"),
        json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
    )
    .await;
    // The unsubscription's email names the instance by its name, in the text as written.
    let mail = email_whose_subject(&smtp, |subject| subject.contains("unsubscribed")).await;
    assert_eq!(
        mail.content_types,
        ["multipart/alternative", "text/plain", "text/html"],
        "{mail:?}"
    );
    assert!(
        mail.body.contains(&format!("“{name}” ({instance_id})")),
        "{}",
        mail.body
    );
    let html = mail.html.as_deref().unwrap();
    // Escaped in the HTML: no markup of the customer's gets through.
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains(&format!(
            "“&lt;script&gt;alert(&#39;db&#39;)&lt;/script&gt; &amp; &quot;co&quot;” ({instance_id})"
        )),
        "{html}"
    );
    // The same amounts as the text, each of them.
    let amounts = amounts_in(&mail.body);
    assert!(!amounts.is_empty(), "{}", mail.body);
    for amount in &amounts {
        assert!(html.contains(amount.as_str()), "{amount} in {html}");
    }
    // The invoice's email too: its HTML part, the PDF beside (checked whole above).
    let invoice_mail = email_titled(&smtp, "Invoice INV-2026-000001").await;
    assert!(!invoice_mail.html.as_deref().unwrap().contains("<script>"));
    for amount in amounts_in(&invoice_mail.body) {
        assert!(
            invoice_mail
                .html
                .as_deref()
                .unwrap()
                .contains(amount.as_str()),
            "{amount}"
        );
    }
}
on_both_backends!(html_emails, emails_carry_html_beside_the_text_escaped);
