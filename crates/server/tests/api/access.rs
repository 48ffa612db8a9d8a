//! Who may do what: every endpoint of the route table × every kind of caller, and tenant
//! isolation. The matrix is generated from `routes::table()`, so a new endpoint gets its rows
//! without anyone writing them.

use serde_json::{json, Value};
use tenure_core::access::{Permission, Role};
use tenure_server::routes::{table, Access};

use crate::helpers::{spawn_app, text, Backend, TestApp, ADMIN_KEY};
use crate::on_both_backends;

/// Records that a step of `instance_id` failed once (no request can make one fail): the
/// stuck step's id.
async fn stuck_step_of(app: &TestApp, account_id: &str, instance_id: &str) -> String {
    use tenure_core::lifecycle::failed_step::{StepWork, StuckStatus};
    let now = app.engine.clock.now();
    let step = tenure_store::stuck_steps::StuckStep {
        id: "stuck_access".to_string(),
        work: StepWork::Instance,
        item_id: instance_id.to_string(),
        account_id: account_id.to_string(),
        instance_id: Some(instance_id.to_string()),
        status: StuckStatus::Retrying,
        attempts: 1,
        last_code: "unknown_product".to_string(),
        last_error: "there is no product `withdrawn` in the catalog".to_string(),
        first_failed_at: now,
        last_failed_at: now,
        retry_at: Some(now),
        parked_at: None,
    };
    let mut tx = app.engine.begin().await.unwrap();
    tenure_store::stuck_steps::save(&mut tx, &step)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    step.id
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallerKind {
    NoKey,
    WrongKey,
    OtherAccount,
    Role(Role),
    Operator,
}

async fn raw(
    app: &TestApp,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    app.request_with_key(method, path, key, body, &[]).await
}

async fn add_user(app: &TestApp, account_id: &str, role: &str) -> (String, String) {
    let user = app
        .post_ok(
            &format!("/v1/accounts/{account_id}/users"),
            json!({ "name": role, "role": role }),
        )
        .await;
    (
        text(&user["id"]).to_string(),
        text(&user["api_key"]).to_string(),
    )
}

async fn every_endpoint_for_every_caller(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "A", "email": "a@example.com", "mobile": "+15550100" }),
        )
        .await;
    let account_id = text(&account["id"]).to_string();
    let owner_key = text(&account["owner_key"]).to_string();
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 1_000_000, "method": "bank_card" }),
    )
    .await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let instance_id = text(&bought["instance"]["id"]).to_string();
    let order_id = text(&bought["order"]["id"]).to_string();
    let platinum = app
        .buy(
            &account_id,
            "message-queue",
            "enterprise-platinum",
            "tps-100000",
            "1M",
        )
        .await;
    let platinum_id = text(&platinum["instance"]["id"]).to_string();
    let requested = app
        .post_ok(
            &format!("/v1/instances/{platinum_id}/change"),
            json!({ "spec": "tps-500000" }),
        )
        .await;
    let approval_id = text(&requested["approval"]["id"]).to_string();
    let unsubscribed = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let unsubscribed_id = text(&unsubscribed["instance"]["id"]).to_string();
    let refunded = app
        .post_ok(
            &format!("/v1/instances/{unsubscribed_id}/unsubscribe"),
            json!({ "confirm_refund": true, "confirm_data_backed_up": true }),
        )
        .await;
    let refund_id = text(&refunded["refunds"][0]["id"]).to_string();
    let payg = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "iot-platform", "edition": "legacy-public",
                    "region": "us-east-1", "billing": "payg" }),
        )
        .await;
    app.advance_to("2026-02-10T01:00:00Z").await;
    app.post_ok(
        "/v1/usage",
        json!({ "record_id": "matrix-usage", "instance": payg["instance"]["id"],
                "meter": "messages", "quantity": 10_000, "time": "2026-02-10T00:30:00Z" }),
    )
    .await;
    let bill_id = text(&app.get("/v1/bills").await["data"][0]["id"]).to_string();
    let invoice_id =
        text(&app.get(&format!("/v1/invoices?account={account_id}")).await["data"][0]["id"])
            .to_string();
    // A billing profile, so that reading it answers one.
    let (status, profile) = app
        .request(
            "PUT",
            &format!("/v1/accounts/{account_id}/billing-profile"),
            Some(
                json!({ "legal_name": "A SAS", "address_line1": "1 rue de la Paix",
                         "city": "Paris", "postal_code": "75002", "country": "FR" }),
            ),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{profile}");
    // A step of the instance that failed once, for the operator's retry (which takes it).
    let stuck_id = stuck_step_of(&app, &account_id, &instance_id).await;
    // A delivery (waiting: this server sends nothing) of an event to an endpoint that hears
    // of every one, for the delivery log's routes.
    app.post_ok(
        "/v1/webhook-endpoints",
        json!({ "url": "https://ops.example.com/all", "events": ["*"] }),
    )
    .await;
    let other = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "B", "email": "b@example.com", "mobile": "+15550101" }),
        )
        .await;
    let delivery_id = text(&app.get("/v1/deliveries").await["data"][0]["id"]).to_string();
    let other_key = text(&other["owner_key"]).to_string();
    let mut role_keys = Vec::new();
    for role in [Role::ReadOnly, Role::Purchase, Role::Billing] {
        role_keys.push((role, add_user(&app, &account_id, role.as_str()).await.1));
    }
    role_keys.push((Role::Owner, owner_key));

    let routes = table();
    assert!(routes.len() >= 20, "the table lists every endpoint");
    let mut rows = 0;
    for route in &routes {
        let method = route.method.as_str();
        for caller in [
            CallerKind::NoKey,
            CallerKind::WrongKey,
            CallerKind::OtherAccount,
            CallerKind::Role(Role::ReadOnly),
            CallerKind::Role(Role::Purchase),
            CallerKind::Role(Role::Billing),
            CallerKind::Role(Role::Owner),
            CallerKind::Operator,
        ] {
            // A fresh user for each revocation, so every caller revokes something that exists.
            let user_id = if route.path.contains("{user_id}") {
                add_user(&app, &account_id, "read_only").await.0
            } else {
                String::new()
            };
            let resource_id = match route.path.split('/').nth(2) {
                Some("instances") => instance_id.clone(),
                Some("orders") => order_id.clone(),
                Some("approvals") => approval_id.clone(),
                Some("refunds") => refund_id.clone(),
                Some("stuck-steps") => stuck_id.clone(),
                Some("bills") => bill_id.clone(),
                Some("invoices") => invoice_id.clone(),
                Some("deliveries") => delivery_id.clone(),
                // A fresh endpoint for each caller, so every caller deletes one that exists.
                Some("webhook-endpoints") => text(
                    &app.post_ok(
                        "/v1/webhook-endpoints",
                        json!({ "url": "https://ops.example.com/hook", "events": ["*"] }),
                    )
                    .await["id"],
                )
                .to_string(),
                _ => account_id.clone(),
            };
            let path = route
                .path
                .replace("{id}", &resource_id)
                .replace("{user_id}", &user_id)
                // No provider here: card operations answer 422 before they look for a card.
                .replace("{card_id}", "card_0");
            // Each body is one its route takes, naming the first account's resources: the
            // account key of another account must get 404 from the typed request.
            let body = (method != "GET").then(|| match route.path {
                "/v1/instances" => json!({ "account": account_id, "product": "message-queue",
                    "edition": "basic", "spec": "tps-1000", "region": "us-east-1", "period": "1M" }),
                "/v1/renewals" | "/v1/renewals/quote" => json!({ "instances": [instance_id], "period": "1M" }),
                "/v1/unsubscriptions" => json!({ "instances": [instance_id] }),
                "/v1/forecast/reminders" => json!({ "accounts": [account_id] }),
                _ => json!({}),
            });
            let key = match caller {
                CallerKind::NoKey => None,
                CallerKind::WrongKey => Some("tnr_not_a_key".to_string()),
                CallerKind::OtherAccount => Some(other_key.clone()),
                CallerKind::Role(role) => role_keys
                    .iter()
                    .find(|(held, _)| *held == role)
                    .map(|(_, key)| key.clone()),
                CallerKind::Operator => Some(ADMIN_KEY.to_string()),
            };
            let (status, answer) = raw(&app, method, &path, key.as_deref(), body).await;
            let names_a_resource = route.path.contains('{') || method != "GET";
            let expected: &[u16] = match (route.access, caller) {
                // A provider's webhook is public, its signature its key: unsigned, it is refused
                // (and with no provider configured, said so).
                (Access::Public, _) if method == "POST" => &[400, 422],
                (Access::Public, _) => &[200],
                (_, CallerKind::NoKey | CallerKind::WrongKey) => &[401],
                (_, CallerKind::Operator) => &[],
                (Access::Operator, _) => &[403],
                (Access::Account(_), CallerKind::OtherAccount) if names_a_resource => &[404],
                (Access::Account(_), CallerKind::OtherAccount) => &[200],
                (Access::Account(permission), CallerKind::Role(role))
                    if !role.allows(permission) =>
                {
                    &[403]
                }
                (Access::Account(_), CallerKind::Role(_)) => &[],
            };
            let context = format!("{method} {} as {caller:?}: {status} {answer}", route.path);
            if expected.is_empty() {
                assert!(![401, 403, 404].contains(&status), "allowed, {context}");
            } else {
                assert!(
                    expected.contains(&status),
                    "expected {expected:?}, {context}"
                );
            }
            if status == 404 && caller == CallerKind::OtherAccount {
                assert_eq!(answer["code"], "not_found", "{context}");
            }
            // A rotated owner key replaces the owner's for the rows that follow.
            if let Some(rotated) = answer["owner_key"].as_str().filter(|_| status == 200) {
                for (role, key) in role_keys.iter_mut() {
                    if *role == Role::Owner {
                        *key = rotated.to_string();
                    }
                }
            }
            rows += 1;
        }
    }
    assert_eq!(rows, routes.len() * 8);
}
on_both_backends!(route_matrix, every_endpoint_for_every_caller);

async fn accounts_see_only_their_own(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let first = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "A", "email": "a@example.com", "mobile": "+15550100" }),
        )
        .await;
    let second = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "B", "email": "b@example.com", "mobile": "+15550101" }),
        )
        .await;
    let (first_id, first_key) = (
        text(&first["id"]).to_string(),
        text(&first["owner_key"]).to_string(),
    );
    let second_key = text(&second["owner_key"]).to_string();
    app.post_ok(
        &format!("/v1/accounts/{first_id}/deposits"),
        json!({ "amount": 50_000, "method": "paypal" }),
    )
    .await;

    // The owner buys with its own key.
    let (status, bought) = raw(&app, "POST", "/v1/instances", Some(&first_key), Some(json!({ "account": first_id,
        "product": "message-queue", "edition": "basic", "spec": "tps-1000", "region": "us-east-1", "period": "1M" }))).await;
    assert_eq!(status, 201, "{bought}");
    let instance_id = text(&bought["instance"]["id"]).to_string();

    // Another account's key finds nothing: 404 exactly like an id that does not exist.
    let (status, foreign) = raw(
        &app,
        "GET",
        &format!("/v1/instances/{instance_id}"),
        Some(&second_key),
        None,
    )
    .await;
    let (_, missing) = raw(
        &app,
        "GET",
        "/v1/instances/inst_missing",
        Some(&second_key),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(foreign["code"], missing["code"]);
    let (_, listed) = raw(
        &app,
        "GET",
        &format!("/v1/instances?account={first_id}"),
        Some(&second_key),
        None,
    )
    .await;
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        0,
        "lists are scoped to the caller's account"
    );
    let (_, events) = raw(&app, "GET", "/v1/events", Some(&second_key), None).await;
    assert!(events["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|event| event["account_id"] != first_id.as_str()));
    let (status, _) = raw(
        &app,
        "POST",
        &format!("/v1/instances/{instance_id}/renew"),
        Some(&second_key),
        Some(json!({ "period": "1M" })),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = raw(
        &app,
        "POST",
        "/v1/renewals",
        Some(&second_key),
        Some(json!({ "instances": [instance_id], "period": "1M" })),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.instance(&instance_id).await["expires_at"],
        "2026-03-10T00:00:00Z",
        "nothing renewed"
    );

    // The owner's own list shows its instance.
    let (_, own) = raw(&app, "GET", "/v1/instances", Some(&first_key), None).await;
    assert_eq!(own["data"].as_array().unwrap().len(), 1);
}
on_both_backends!(tenant_isolation, accounts_see_only_their_own);

async fn users_have_roles_and_keys_can_be_revoked(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let account = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "A", "email": "a@example.com", "mobile": "+15550100" }),
        )
        .await;
    let account_id = text(&account["id"]).to_string();
    let owner_key = text(&account["owner_key"]).to_string();
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 50_000, "method": "paypal" }),
    )
    .await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let instance_id = text(&bought["instance"]["id"]).to_string();

    // The owner makes a read-only user; the key is shown once and never listed.
    let (status, user) = raw(
        &app,
        "POST",
        &format!("/v1/accounts/{account_id}/users"),
        Some(&owner_key),
        Some(json!({ "name": "auditor", "role": "read_only" })),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let reader_key = text(&user["api_key"]).to_string();
    let (_, listed) = raw(
        &app,
        "GET",
        &format!("/v1/accounts/{account_id}/users"),
        Some(&owner_key),
        None,
    )
    .await;
    assert!(
        !listed.to_string().contains(&reader_key),
        "keys are stored hashed and never shown again"
    );

    let (status, _) = raw(
        &app,
        "GET",
        &format!("/v1/instances/{instance_id}"),
        Some(&reader_key),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, refusal) = raw(
        &app,
        "POST",
        &format!("/v1/instances/{instance_id}/renew"),
        Some(&reader_key),
        Some(json!({ "period": "1M" })),
    )
    .await;
    assert_eq!((status, refusal["code"].as_str()), (403, Some("forbidden")));
    let (status, _) = raw(
        &app,
        "POST",
        &format!("/v1/accounts/{account_id}/users"),
        Some(&reader_key),
        Some(json!({ "name": "x", "role": "billing" })),
    )
    .await;
    assert_eq!(status, 403, "only the owner manages users");
    let (status, _) = raw(
        &app,
        "POST",
        &format!("/v1/accounts/{account_id}/users"),
        Some(&owner_key),
        Some(json!({ "name": "x", "role": "owner" })),
    )
    .await;
    assert_eq!(status, 422, "there is one owner");

    // Revoked, the key no longer authenticates.
    let (status, _) = raw(
        &app,
        "DELETE",
        &format!("/v1/accounts/{account_id}/users/{}", text(&user["id"])),
        Some(&owner_key),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = raw(
        &app,
        "GET",
        &format!("/v1/instances/{instance_id}"),
        Some(&reader_key),
        None,
    )
    .await;
    assert_eq!(status, 401);

    // Idempotency keys are per account: two accounts may use the same key independently.
    let body = json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                       "spec": "tps-1000", "region": "us-east-1", "period": "1M" });
    let first = app
        .request(
            "POST",
            "/v1/instances",
            Some(body.clone()),
            &[("Idempotency-Key", "k1")],
        )
        .await;
    let (status, second) = {
        let response = app
            .client
            .post(format!("{}/v1/instances", app.address))
            .bearer_auth(&owner_key)
            .header("Idempotency-Key", "k1")
            .json(&body)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    };
    assert_eq!((first.0, status), (201, 201), "{second}");
    assert_ne!(
        first.1["order"]["id"], second["order"]["id"],
        "the operator's key space and the account's are separate"
    );
    assert_eq!(
        app.account(&account_id).await["balance_minor"],
        50_000 - 12_000 - 2 * 12_000
    );
    let _ = Permission::Read;
}
on_both_backends!(users_and_keys, users_have_roles_and_keys_can_be_revoked);
