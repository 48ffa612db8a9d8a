//! An account's billing profile: set, read back, replaced whole; refusals change nothing; the
//! account's own keys and no other's; a key sent again answers what it answered.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, text, Backend, TestApp};
use crate::on_both_backends;

fn path(account_id: &str) -> String {
    format!("/v1/accounts/{account_id}/billing-profile")
}

fn nuage() -> Value {
    json!({
        "legal_name": "Nuage SAS",
        "address_line1": "1 rue de la Paix",
        "address_line2": "Bâtiment B",
        "city": "Paris",
        "postal_code": "75002",
        "country": "FR",
        "tax_id": "FR40303265045",
        "invoice_email": "compta@nuage.example"
    })
}

async fn put(app: &TestApp, account_id: &str, body: Value) -> (u16, Value) {
    app.request("PUT", &path(account_id), Some(body), &[]).await
}

async fn profile_events(app: &TestApp, account_id: &str) -> Vec<Value> {
    let events = app
        .get(&format!(
            "/v1/events?account={account_id}&kind=billing_profile.updated"
        ))
        .await;
    events["data"].as_array().unwrap().clone()
}

async fn set_read_back_and_replace(backend: Backend) {
    let app = spawn_app(backend, "2026-03-01T00:00:00Z").await;
    let account_id = app.funded_account(0).await;
    // None set yet: 404 with a code and a sentence.
    let (status, answer) = app.get_status(&path(&account_id)).await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["code"], "not_found");
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("billing profile"));

    let (status, set) = put(&app, &account_id, nuage()).await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["account_id"], account_id.as_str());
    assert_eq!(set["legal_name"], "Nuage SAS");
    assert_eq!(set["address_line2"], "Bâtiment B");
    assert_eq!(set["address_line3"], Value::Null);
    assert_eq!(set["country"], "FR");
    assert_eq!(set["tax_id"], "FR40303265045");
    assert_eq!(set["created_at"], "2026-03-01T00:00:00Z");
    assert_eq!(app.get(&path(&account_id)).await, set, "read back as set");

    // Replaced whole: the fields left out are gone, the first setting's time kept.
    app.advance_to("2026-03-02T00:00:00Z").await;
    let (status, replaced) = put(
        &app,
        &account_id,
        json!({ "legal_name": "Nuage GmbH", "address_line1": "Unter den Linden 1",
                "city": "Berlin", "postal_code": "10117", "country": "DE" }),
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["country"], "DE");
    assert_eq!(replaced["address_line2"], Value::Null);
    assert_eq!(replaced["tax_id"], Value::Null);
    assert_eq!(replaced["invoice_email"], Value::Null);
    assert_eq!(replaced["created_at"], "2026-03-01T00:00:00Z");
    assert_eq!(replaced["updated_at"], "2026-03-02T00:00:00Z");
    assert_eq!(app.get(&path(&account_id)).await, replaced);

    // Each setting is announced, saying whether it replaced one.
    let events = profile_events(&app, &account_id).await;
    let replaced_flags: Vec<&Value> = events
        .iter()
        .map(|event| &event["data"]["replaced"])
        .collect();
    assert_eq!(replaced_flags.len(), 2, "{events:?}");
    assert!(replaced_flags.contains(&&json!(false)) && replaced_flags.contains(&&json!(true)));
}
on_both_backends!(set_and_replace, set_read_back_and_replace);

async fn refusals_change_nothing(backend: Backend) {
    let app = spawn_app(backend, "2026-03-01T00:00:00Z").await;
    let account_id = app.funded_account(0).await;
    let (status, before) = put(&app, &account_id, nuage()).await;
    assert_eq!(status, 200, "{before}");
    let events_before = profile_events(&app, &account_id).await.len();

    let with = |field: &str, value: Value| {
        let mut body = nuage();
        body[field] = value;
        body
    };
    let cases = [
        (with("country", json!("France")), "invalid_country"),
        (with("country", json!("fr")), "invalid_country"),
        (with("country", json!("UK")), "invalid_country"),
        (with("tax_id", json!("FR 403 032")), "invalid_tax_id"),
        (with("invoice_email", json!("compta")), "invalid_field"),
        (with("legal_name", json!("  ")), "invalid_field"),
        (with("city", json!("Paris\nCedex")), "invalid_field"),
        (with("postal_code", json!("x".repeat(21))), "invalid_field"),
        // An unknown field (the old name of a field, say) is refused, not ignored.
        (with("postcode", json!("75002")), "invalid_field"),
        (with("address_lines", json!(["a"])), "invalid_field"),
    ];
    for (body, code) in cases {
        let (status, answer) = put(&app, &account_id, body.clone()).await;
        assert_eq!(status, 422, "{body} answered {answer}");
        assert!(
            answer["message"]
                .as_str()
                .is_some_and(|message| !message.is_empty()),
            "{answer}"
        );
        if code != "invalid_field" {
            assert_eq!(answer["code"], code, "{body} answered {answer}");
        } else {
            assert!(answer["code"].is_string(), "{answer}");
        }
        assert_eq!(
            app.get(&path(&account_id)).await,
            before,
            "{body} changed nothing"
        );
    }
    assert_eq!(profile_events(&app, &account_id).await.len(), events_before);

    // An account that does not exist has no profile to set.
    let (status, answer) = put(&app, "acct_999999", nuage()).await;
    assert_eq!(status, 404, "{answer}");
}
on_both_backends!(refusals, refusals_change_nothing);

async fn only_the_accounts_own_keys(backend: Backend) {
    let app = spawn_app(backend, "2026-03-01T00:00:00Z").await;
    let created =
        |name: &str, email: &str| json!({ "name": name, "email": email, "mobile": "+15550100" });
    let mine = app
        .post_ok("/v1/accounts", created("A", "a@example.com"))
        .await;
    let theirs = app
        .post_ok("/v1/accounts", created("B", "b@example.com"))
        .await;
    let (account_id, owner_key) = (text(&mine["id"]), text(&mine["owner_key"]));
    let other_key = text(&theirs["owner_key"]);

    // The owner sets and reads its own.
    let (status, set) = app
        .with_key("PUT", &path(account_id), owner_key, Some(nuage()))
        .await;
    assert_eq!(status, 200, "{set}");
    let (status, read) = app
        .with_key("GET", &path(account_id), owner_key, None)
        .await;
    assert_eq!((status, &read), (200, &set));

    // Another account's key neither reads nor writes it: 404, as for anything not its own.
    let (status, answer) = app
        .with_key("GET", &path(account_id), other_key, None)
        .await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["code"], "not_found");
    let mut overwrite = nuage();
    overwrite["legal_name"] = json!("Mallory");
    let (status, answer) = app
        .with_key("PUT", &path(account_id), other_key, Some(overwrite))
        .await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(app.get(&path(account_id)).await, set, "unchanged");

    // A read-only user reads it but may not change it.
    let user = app
        .with_key(
            "POST",
            &format!("/v1/accounts/{account_id}/users"),
            owner_key,
            Some(json!({ "name": "auditor", "role": "read_only" })),
        )
        .await
        .1;
    let reader_key = text(&user["api_key"]);
    let (status, _) = app
        .with_key("GET", &path(account_id), reader_key, None)
        .await;
    assert_eq!(status, 200);
    let (status, answer) = app
        .with_key("PUT", &path(account_id), reader_key, Some(nuage()))
        .await;
    assert_eq!(status, 403, "{answer}");
}
on_both_backends!(own_keys, only_the_accounts_own_keys);

async fn a_key_sent_again_answers_the_same(backend: Backend) {
    let app = spawn_app(backend, "2026-03-01T00:00:00Z").await;
    let account_id = app.funded_account(0).await;
    let headers = [("Idempotency-Key", "profile-1")];
    let (first_status, first) = app
        .request("PUT", &path(&account_id), Some(nuage()), &headers)
        .await;
    app.advance_to("2026-03-02T00:00:00Z").await;
    let (second_status, second) = app
        .request("PUT", &path(&account_id), Some(nuage()), &headers)
        .await;
    assert_eq!((first_status, second_status), (200, 200));
    assert_eq!(first, second, "the first answer, not a second setting");
    assert_eq!(profile_events(&app, &account_id).await.len(), 1, "set once");
    // The same key with another body is refused.
    let mut other = nuage();
    other["city"] = json!("Lyon");
    let (status, answer) = app
        .request("PUT", &path(&account_id), Some(other), &headers)
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["code"], "idempotency_key_reused");
    assert_eq!(app.get(&path(&account_id)).await["city"], "Paris");
}
on_both_backends!(idempotent, a_key_sent_again_answers_the_same);
