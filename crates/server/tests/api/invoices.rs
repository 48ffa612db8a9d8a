//! Invoices: every paid order issues one in its transaction, numbered gap-free in its series
//! however many clients order at once, and its PDF is read by tools no one at tenure wrote
//! (the factur-x library and Saxon, through crates/documents' checker, and poppler's
//! pdftotext).

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{futures_join_all, paid_minor, spawn_app, Backend, TestApp, ADMIN_KEY};
use crate::on_both_backends;

async fn invoices_of(app: &TestApp, account_id: &str) -> Vec<Value> {
    app.get(&format!("/v1/invoices?account={account_id}&limit=1000"))
        .await["data"]
        .as_array()
        .unwrap()
        .clone()
}

async fn every_paid_order_issues_one_invoice(backend: Backend) {
    let app = spawn_app(backend, "2026-03-01T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let instance_id = bought["instance"]["id"].as_str().unwrap();
    let renewed = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/renew"),
            json!({ "period": "1M" }),
        )
        .await;

    let invoices = invoices_of(&app, &account_id).await;
    assert_eq!(invoices.len(), 2, "{invoices:?}");
    let (first, second) = (&invoices[0].clone(), &invoices[1].clone());
    assert_eq!(first["number"], "INV-2026-000001");
    assert_eq!(second["number"], "INV-2026-000002");
    assert_eq!(first["kind"], "invoice");
    assert_eq!(first["order_id"], bought["order"]["id"]);
    assert_eq!(second["order_id"], renewed["order"]["id"]);
    assert_eq!(
        first["gross_minor"].as_i64(),
        Some(paid_minor(&bought["order"]))
    );
    assert_eq!(first["gross_minor"], 12_000);
    assert_eq!(
        (first["paid_minor"].as_i64(), first["due_minor"].as_i64()),
        (Some(12_000), Some(0))
    );
    assert_eq!(first["lines"][0]["description"], "Message queue (MQTT)");
    assert_eq!(first["lines"][0]["period_start"], "2026-03-01");
    assert_eq!(first["lines"][0]["period_end"], "2026-03-31");
    assert_eq!(second["lines"][0]["period_start"], "2026-04-01");
    assert_eq!(first["issued_on"], "2026-03-01");
    assert_eq!(first["buyer"]["legal_name"], "Ada Lovelace");

    let shown = app
        .get(&format!("/v1/invoices/{}", first["id"].as_str().unwrap()))
        .await;
    assert_eq!(&shown, first);
    let (status, missing) = app.get_status("/v1/invoices/inv_missing").await;
    assert_eq!((status, missing["code"].as_str()), (404, Some("not_found")));

    // A billing profile names the buyer of the invoices issued after it; an issued invoice
    // never changes.
    let (status, profile) = app
        .request(
            "PUT",
            &format!("/v1/accounts/{account_id}/billing-profile"),
            Some(json!({ "legal_name": "Lovelace Analytical Engines Ltd",
                         "address_line1": "12 St James's Square", "city": "London",
                         "postal_code": "SW1Y 4JH", "country": "GB" })),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{profile}");
    app.post_ok(
        &format!("/v1/instances/{instance_id}/renew"),
        json!({ "period": "1M" }),
    )
    .await;
    let invoices = invoices_of(&app, &account_id).await;
    assert_eq!(&invoices[0], first, "issued: unchanged");
    assert_eq!(invoices[2]["number"], "INV-2026-000003");
    assert_eq!(
        invoices[2]["buyer"]["legal_name"],
        "Lovelace Analytical Engines Ltd"
    );
    assert_eq!(invoices[2]["buyer"]["country_code"], "GB");
    assert_eq!(invoices[2]["buyer"]["postcode"], "SW1Y 4JH");
    let announced = app
        .get(&format!(
            "/v1/events?account={account_id}&kind=invoice.issued"
        ))
        .await;
    let numbers: Vec<&Value> = announced["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| &event["data"]["number"])
        .collect();
    assert_eq!(
        numbers,
        [
            &invoices[0]["number"],
            &invoices[1]["number"],
            &invoices[2]["number"]
        ],
        "each announced once"
    );

    // The PDF, read by the outside tools.
    let response = reqwest::Client::new()
        .get(format!(
            "{}/v1/invoices/{}/pdf",
            app.address,
            first["id"].as_str().unwrap()
        ))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/pdf"
    );
    let bytes = response.bytes().await.unwrap();
    // The same bytes to a client that asks for bytes.
    let as_bytes = reqwest::Client::new()
        .get(format!(
            "{}/v1/invoices/{}/pdf",
            app.address,
            first["id"].as_str().unwrap()
        ))
        .header("Accept", "application/octet-stream")
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        as_bytes.headers()["content-type"].to_str().unwrap(),
        "application/octet-stream"
    );
    assert_eq!(as_bytes.bytes().await.unwrap(), bytes);
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("invoice.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let facts = check_factur_x(&path);
    assert!(facts.contains("INV-2026-000001"), "{facts}");
    let text = pdftotext(&path);
    assert!(text.contains("INV-2026-000001"), "{text}");
    assert!(text.contains("120.00"), "the total: {text}");
}
on_both_backends!(paid_orders, every_paid_order_issues_one_invoice);

async fn numbers_stay_gap_free_under_many_clients(backend: Backend) {
    let app = spawn_app(backend, "2026-03-01T00:00:00Z").await;
    let accounts = futures_join_all((0..8).map(|_| app.funded_account(1_000_000))).await;
    let orders = futures_join_all(accounts.iter().flat_map(|account_id| {
        (0..4).map(|_| app.buy(account_id, "message-queue", "basic", "tps-1000", "1M"))
    }))
    .await;
    assert_eq!(orders.len(), 32);
    let mut numbers: Vec<String> = Vec::new();
    for account_id in &accounts {
        for invoice in invoices_of(&app, account_id).await {
            numbers.push(invoice["number"].as_str().unwrap().to_string());
        }
    }
    numbers.sort();
    let expected: Vec<String> = (1..=32).map(|n| format!("INV-2026-{n:06}")).collect();
    assert_eq!(numbers, expected, "one number each, none skipped");
}
on_both_backends!(gap_free, numbers_stay_gap_free_under_many_clients);

async fn an_account_sees_only_its_own_invoices(backend: Backend) {
    let app = spawn_app(backend, "2026-03-01T00:00:00Z").await;
    let mine = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "Grace Hopper", "email": "grace@example.com", "mobile": "+15550101" }),
        )
        .await;
    let key = mine["owner_key"].as_str().unwrap().to_string();
    let theirs = app.funded_account(50_000).await;
    app.buy(&theirs, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let their_invoice = invoices_of(&app, &theirs).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        format!("/v1/invoices/{their_invoice}"),
        format!("/v1/invoices/{their_invoice}/pdf"),
    ] {
        let (status, _) = app
            .request_with_key("GET", &path, Some(&key), None, &[])
            .await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, listed) = app
        .request_with_key("GET", "/v1/invoices", Some(&key), None, &[])
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed["data"].as_array().unwrap().len(), 0, "{listed}");
}
on_both_backends!(own_invoices, an_account_sees_only_its_own_invoices);

async fn newest_first_pages_go_on_to_older_documents(backend: Backend) {
    let app = spawn_app(backend, "2026-03-01T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let instance_id = bought["instance"]["id"].as_str().unwrap();
    for _ in 0..2 {
        app.post_ok(
            &format!("/v1/instances/{instance_id}/renew"),
            json!({ "period": "1M" }),
        )
        .await;
    }
    let numbers = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|invoice| invoice["number"].as_str().unwrap().to_string())
            .collect()
    };
    let first = app
        .get(&format!(
            "/v1/invoices?account={account_id}&order=newest_first&limit=2"
        ))
        .await;
    assert_eq!(numbers(&first), ["INV-2026-000003", "INV-2026-000002"]);
    let cursor = first["next_after"].as_str().unwrap();
    assert_eq!(cursor, first["data"][1]["id"].as_str().unwrap());
    let second = app
        .get(&format!(
            "/v1/invoices?account={account_id}&order=newest_first&limit=2&after={cursor}"
        ))
        .await;
    assert_eq!(numbers(&second), ["INV-2026-000001"]);
    assert!(second["next_after"].is_null());
    // Without `order`, oldest first as before.
    let oldest_first = app
        .get(&format!("/v1/invoices?account={account_id}&limit=2"))
        .await;
    assert_eq!(
        numbers(&oldest_first),
        ["INV-2026-000001", "INV-2026-000002"]
    );
    let (status, refused) = app
        .get_status(&format!("/v1/invoices?account={account_id}&order=sideways"))
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("invalid_query"))
    );
}
on_both_backends!(newest_first, newest_first_pages_go_on_to_older_documents);

async fn a_refund_issues_a_credit_note_correcting_the_invoice(backend: Backend) {
    let app = spawn_app(backend, "2026-03-01T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let instance_id = bought["instance"]["id"].as_str().unwrap();
    app.advance_to("2026-03-11T00:00:00Z").await;
    let unsubscribed = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/unsubscribe"),
            json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
        )
        .await;
    let refund = &unsubscribed["refunds"][0];
    let refund_minor = refund["refund_minor"].as_i64().unwrap();
    assert!(refund_minor > 0 && refund_minor < 12_000, "{refund}");

    let invoices = invoices_of(&app, &account_id).await;
    assert_eq!(invoices.len(), 2, "{invoices:?}");
    let (invoice, credit_note) = (&invoices[0], &invoices[1]);
    assert_eq!(credit_note["kind"], "credit_note");
    assert_eq!(
        credit_note["number"], "CN-2026-000001",
        "a series of its own"
    );
    assert_eq!(credit_note["refund_id"], refund["id"]);
    assert_eq!(credit_note["corrects_id"], invoice["id"]);
    assert_eq!(credit_note["corrects_number"], invoice["number"]);
    assert_eq!(credit_note["gross_minor"].as_i64(), Some(refund_minor));
    assert_eq!(credit_note["issued_on"], "2026-03-11");
    let credit_notes = app
        .get(&format!(
            "/v1/invoices?account={account_id}&kind=credit_note"
        ))
        .await;
    assert_eq!(credit_notes["data"].as_array().unwrap().len(), 1);
    let announced = app
        .get(&format!(
            "/v1/events?account={account_id}&kind=credit_note.issued"
        ))
        .await;
    assert_eq!(announced["data"][0]["data"]["corrects_id"], invoice["id"]);

    let bytes = reqwest::Client::new()
        .get(format!(
            "{}/v1/invoices/{}/pdf",
            app.address,
            credit_note["id"].as_str().unwrap()
        ))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("credit-note.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let facts = check_factur_x(&path);
    assert!(facts.contains("381"), "a credit note's type code: {facts}");
    let text = pdftotext(&path);
    assert!(text.contains("CN-2026-000001"), "{text}");
    assert!(
        text.contains("INV-2026-000001"),
        "names the invoice it corrects: {text}"
    );
}
on_both_backends!(
    credit_notes,
    a_refund_issues_a_credit_note_correcting_the_invoice
);

/// A change is documented as what it moved: an upgrade's charge is an invoice, a downgrade's
/// refund a credit note of the period's invoice, and a pending renewal unsubscribed alone a
/// credit note of the renewal's invoice, each for the exact amount.
async fn changes_and_pending_renewals_are_invoiced_and_credited(backend: Backend) {
    let app = spawn_app(backend, "2026-04-01T00:00:00Z").await;
    let account_id = app.funded_account(100_000).await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-5000", "1M")
        .await;
    let instance_id = bought["instance"]["id"].as_str().unwrap();
    app.advance_to("2026-04-11T00:00:00Z").await;
    let downgraded = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/change"),
            json!({ "spec": "tps-1000" }),
        )
        .await;
    let downgrade = &downgraded["orders"][0];
    assert_eq!(downgrade["refunded_minor"], 12_000, "docs/examples.md 7");
    let upgraded = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/change"),
            json!({ "spec": "tps-5000" }),
        )
        .await;
    let upgrade = &upgraded["orders"][0];
    let upgrade_paid_minor = paid_minor(upgrade);
    assert!(upgrade_paid_minor > 0, "{upgrade}");
    let renewed = app
        .post_ok(
            &format!("/v1/instances/{instance_id}/renew"),
            json!({ "period": "1M" }),
        )
        .await;
    let renewal_id = renewed["order"]["id"].as_str().unwrap();
    let unsubscribed = app
        .post_ok(
            &format!("/v1/orders/{renewal_id}/unsubscribe"),
            json!({ "confirm_refund": true }),
        )
        .await;
    let renewal_refund = &unsubscribed["refund"];

    let invoices = invoices_of(&app, &account_id).await;
    let summary: Vec<(&str, &str, i64)> = invoices
        .iter()
        .map(|document| {
            (
                document["kind"].as_str().unwrap(),
                document["number"].as_str().unwrap(),
                document["gross_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("invoice", "INV-2026-000001", 30_000),
            ("credit_note", "CN-2026-000001", 12_000),
            ("invoice", "INV-2026-000002", upgrade_paid_minor),
            ("invoice", "INV-2026-000003", paid_minor(&renewed["order"])),
            (
                "credit_note",
                "CN-2026-000002",
                renewal_refund["refund_minor"].as_i64().unwrap()
            ),
        ]
    );
    let (purchase_invoice, downgrade_note) = (&invoices[0], &invoices[1]);
    assert_eq!(downgrade_note["corrects_id"], purchase_invoice["id"]);
    assert_eq!(downgrade_note["order_id"], downgrade["id"]);
    assert_eq!(downgrade_note["refund_id"], Value::Null);
    assert_eq!(downgrade_note["lines"][0]["period_start"], "2026-04-11");
    assert_eq!(downgrade_note["lines"][0]["period_end"], "2026-04-30");
    assert_eq!(invoices[2]["order_id"], upgrade["id"]);
    let (renewal_invoice, renewal_note) = (&invoices[3], &invoices[4]);
    assert_eq!(renewal_note["corrects_id"], renewal_invoice["id"]);
    assert_eq!(renewal_note["refund_id"], renewal_refund["id"]);
    assert_eq!(
        renewal_note["gross_minor"], renewal_invoice["gross_minor"],
        "a renewal not yet begun comes back whole"
    );
}
on_both_backends!(
    change_documents,
    changes_and_pending_renewals_are_invoiced_and_credited
);

/// crates/documents' checker: factur-x's XSD, the EN 16931 rules, the PDF/A-3 parts.
pub(crate) fn check_factur_x(path: &Path) -> String {
    let python = std::env::var("TENURE_TEST_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/tenure-test-python/bin/python")
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../documents/tests/check_factur_x.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(path)
        .output()
        .unwrap_or_else(|error| {
            panic!("{python} does not run ({error}): run scripts/test, which installs factur-x")
        });
    let said = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the checker refused the PDF:\n{said}"
    );
    said
}

pub(crate) fn pdftotext(path: &Path) -> String {
    let output = Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext runs (poppler-utils: run scripts/test)");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).to_string()
}
