//! The console's sessions and edges, driven as a browser would over plain HTTP with cookies:
//! a random signing key shared by the nodes of one database, sign-out ending the session on
//! every node, the account picker taking ids only, the security headers, ids that are not ids
//! answering 404, and form bodies read only after the session is checked.

use std::collections::BTreeMap;

use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp, ADMIN_KEY};
use crate::on_both_backends;

const START: &str = "2026-01-01T00:00:00Z";

/// A browser's view of one console: its cookies, redirects not followed.
struct Browser {
    client: reqwest::Client,
    address: String,
    cookies: BTreeMap<String, String>,
}

struct Page {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .map_or("", |value| value.to_str().unwrap())
    }

    /// The CSRF token of the page's forms.
    fn csrf(&self) -> String {
        let start = self
            .text
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("a form on the page: {}", self.text))
            + "name=\"csrf\" value=\"".len();
        let end = self.text[start..].find('"').unwrap() + start;
        self.text[start..end].to_string()
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap().to_string())
            .collect()
    }
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            address: app.address.clone(),
            cookies: BTreeMap::new(),
        }
    }

    /// The same cookies, sent to another server (a node of the same database, say).
    fn on(&self, app: &TestApp) -> Browser {
        Browser {
            cookies: self.cookies.clone(),
            ..Browser::new(app)
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let cookies: Vec<String> = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        let request = if cookies.is_empty() {
            request
        } else {
            request.header(COOKIE, cookies.join("; "))
        };
        let response = request.send().await.expect("the console answers");
        let page = Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap(),
        };
        for cookie in page.set_cookies() {
            let (pair, attributes) = cookie.split_once(';').unwrap_or((&cookie, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        page
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.address));
        self.send(request).await
    }

    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.post_body(path, body).await
    }

    async fn post_body(&mut self, path: &str, body: String) -> Page {
        let request = self
            .client
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// Signs in with `key` through the sign-in form, as a person would.
    async fn signed_in(app: &TestApp, key: &str) -> Browser {
        let mut browser = Browser::new(app);
        let form = browser.get("/console/sign-in").await;
        let signed = browser
            .post_form("/console/sign-in", &[("csrf", &form.csrf()), ("key", key)])
            .await;
        assert_eq!(signed.status, 303, "{}", signed.text);
        // The operator's home is the overview; an account's, its instances.
        let home = if key == ADMIN_KEY {
            "/console/overview"
        } else {
            "/console/instances"
        };
        assert_eq!(signed.location(), home);
        assert!(browser.cookies.contains_key("tenure_session"));
        browser
    }

    /// Whether the session shows a page (rather than sending the browser to sign in).
    async fn shows_pages(&mut self) -> bool {
        let page = self.get("/console/instances").await;
        match page.status {
            200 => true,
            303 => {
                assert_eq!(page.location(), "/console/sign-in");
                false
            }
            status => panic!("GET /console/instances answered {status}: {}", page.text),
        }
    }

    async fn csrf(&mut self) -> String {
        self.get("/console/instances").await.csrf()
    }
}

on_both_backends!(
    signing_out_ends_the_session_on_every_node,
    sign_out_on_nodes
);
async fn sign_out_on_nodes(backend: Backend) {
    let app = spawn_app(backend, START).await;
    let node = app.node(START).await;
    let mut browser = Browser::signed_in(&app, ADMIN_KEY).await;
    // A copy of the cookie, as someone who took it would keep it.
    let mut copy = browser.on(&app);
    let mut copy_on_node = browser.on(&node);
    // The nodes of one database share the session key.
    assert!(copy_on_node.shows_pages().await);

    let csrf = browser.csrf().await;
    let out = browser
        .post_form("/console/sign-out", &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, 303, "{}", out.text);
    assert_eq!(out.location(), "/console/sign-in");
    assert!(!browser.cookies.contains_key("tenure_session"));
    assert!(!copy.shows_pages().await, "the copied cookie still works");
    assert!(
        !copy_on_node.shows_pages().await,
        "the copied cookie still works on another node"
    );

    // An account's session ends the same way, and signing in again makes a new one.
    let account = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "Ada", "email": "ada@example.com", "mobile": "+15550100" }),
        )
        .await;
    let owner_key = account["owner_key"].as_str().unwrap();
    let mut owner = Browser::signed_in(&app, owner_key).await;
    let mut owner_copy = owner.on(&node);
    let csrf = owner.csrf().await;
    owner
        .post_form("/console/sign-out", &[("csrf", &csrf)])
        .await;
    assert!(!owner_copy.shows_pages().await);
    assert!(
        Browser::signed_in(&app, owner_key)
            .await
            .shows_pages()
            .await
    );
}

#[tokio::test]
async fn the_session_key_is_random_per_deployment_or_given() {
    // Two deployments with the same operator key: a cookie of one means nothing to the other,
    // so nothing in it follows from the operator key.
    let first = spawn_app(Backend::Sqlite, START).await;
    let second = spawn_app(Backend::Sqlite, START).await;
    let browser = Browser::signed_in(&first, ADMIN_KEY).await;
    assert!(!browser.on(&second).shows_pages().await);

    // A key given in the settings signs for every server given it.
    let given = "a-console-session-key-of-forty-characters";
    let with_key = |settings: &mut tenure_server::Settings| {
        settings.console.session_key = Some(given.to_string());
    };
    let third = spawn_app_with(Backend::Sqlite, START, with_key).await;
    let fourth = spawn_app_with(Backend::Sqlite, START, with_key).await;
    let browser = Browser::signed_in(&third, ADMIN_KEY).await;
    assert!(browser.on(&fourth).shows_pages().await);

    // A short one is refused at start.
    let folder = tempfile::tempdir().unwrap();
    let refused = tenure_server::Application::build(tenure_server::Settings {
        database_url: format!("sqlite://{}", folder.path().join("t.db").display()),
        database_max_connections: tenure_store::DEFAULT_MAX_CONNECTIONS,
        listen: "127.0.0.1:0".parse().unwrap(),
        simulated_clock: Some(START.parse().unwrap()),
        clock: tenure_server::ClockChoice::Database,
        admin_key: ADMIN_KEY.to_string(),
        catalog: tenure_core::catalog::default_catalog(),
        sweep_interval: std::time::Duration::from_secs(3600),
        ledger_audit_interval: std::time::Duration::from_secs(3600),
        sequential_ids: false,
        delivery: None,
        limits: Default::default(),
        console: tenure_server::ConsoleSettings {
            session_key: Some("short".to_string()),
            secure_cookies: false,
        },
        card_payments: None,
    })
    .await;
    let error = refused.err().expect("a short session key is refused");
    assert!(error.to_string().contains("at least 32"), "{error}");
}

#[tokio::test]
async fn the_account_picker_takes_an_account_id_only() {
    let app = spawn_app(Backend::Sqlite, START).await;
    let account_id = app.funded_account(0).await;
    let mut browser = Browser::signed_in(&app, ADMIN_KEY).await;
    let csrf = browser.csrf().await;
    let before = browser.cookies["tenure_session"].clone();
    for not_an_id in [
        "acct_x|99999999999",
        "acct_x|",
        "operator",
        "acct_ x",
        "acct_x\r\nSet-Cookie: a=b",
        "acct_",
    ] {
        let page = browser
            .post_form(
                "/console/account",
                &[("csrf", &csrf), ("account", not_an_id)],
            )
            .await;
        assert_eq!(page.status, 422, "{not_an_id:?}: {}", page.text);
        assert!(page.set_cookies().is_empty(), "{not_an_id:?}");
        assert!(page.text.contains("not an account id"));
    }
    assert_eq!(browser.cookies["tenure_session"], before);

    let picked = browser
        .post_form(
            "/console/account",
            &[("csrf", &csrf), ("account", &account_id)],
        )
        .await;
    assert_eq!(picked.status, 303, "{}", picked.text);
    // The same session, expiring when it would have: at most its twelve hours.
    let cookie = picked.set_cookies().join("");
    let max_age: i64 = cookie
        .split("Max-Age=")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .and_then(|seconds| seconds.trim().parse().ok())
        .expect("a Max-Age");
    assert!((1..=12 * 3600).contains(&max_age), "{cookie}");
    let page = browser.get("/console/balance").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains(&account_id));

    // Signing out ends the picked session too, and the cookie before the pick.
    let mut older = browser.on(&app);
    older
        .cookies
        .insert("tenure_session".to_string(), before.clone());
    let csrf = browser.csrf().await;
    browser
        .post_form("/console/sign-out", &[("csrf", &csrf)])
        .await;
    let mut picked_copy = browser.on(&app);
    picked_copy.cookies.insert(
        "tenure_session".to_string(),
        picked.set_cookies()[0]
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("tenure_session=")
            .to_string(),
    );
    assert!(!picked_copy.shows_pages().await);
    assert!(!older.shows_pages().await);
}

fn assert_security_headers(page: &Page, what: &str) {
    let header = |name: &str| {
        page.headers
            .get(name)
            .map(|value| value.to_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{what}: no {name} header"))
    };
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
    assert!(
        header("content-security-policy").contains("frame-ancestors 'none'"),
        "{what}"
    );
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert!(!header("referrer-policy").is_empty(), "{what}");
    if !what.contains("asset") {
        assert_eq!(header("cache-control"), "no-store", "{what}");
    }
}

#[tokio::test]
async fn every_console_answer_carries_the_security_headers() {
    let app = spawn_app(Backend::Sqlite, START).await;
    let mut anonymous = Browser::new(&app);
    let sign_in = anonymous.get("/console/sign-in").await;
    assert_security_headers(&sign_in, "the sign-in page");
    assert!(sign_in
        .set_cookies()
        .iter()
        .all(|cookie| !cookie.contains("Secure")));
    assert_security_headers(&anonymous.get("/console/instances").await, "a redirect");
    assert_security_headers(&anonymous.get("/").await, "the root");
    assert_security_headers(
        &anonymous.get("/console/assets/console.css").await,
        "an asset",
    );
    let mut browser = Browser::signed_in(&app, ADMIN_KEY).await;
    for path in [
        "/console/instances",
        "/console/balance",
        "/console/cards",
        "/console/invoices",
        "/console/cards/add",
        "/console/approvals",
        "/console/clock",
        "/console/overview",
        "/console/deliveries",
        "/console/deliveries?status=sent",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_security_headers(&page, path);
    }
    assert_security_headers(
        &browser.get("/console/instances/a%20b").await,
        "a page not found",
    );

    // Behind a proxy that terminates HTTPS, cookies are `Secure`.
    let mut proxied = Browser::new(&app);
    let request = proxied
        .client
        .get(format!("{}/console/sign-in", app.address))
        .header("x-forwarded-proto", "https");
    let page = proxied.send(request).await;
    let cookies = page.set_cookies();
    assert!(!cookies.is_empty());
    assert!(
        cookies.iter().all(|cookie| cookie.ends_with("; Secure")),
        "{cookies:?}"
    );
    let request = proxied
        .client
        .post(format!("{}/console/sign-in", app.address))
        .header("x-forwarded-proto", "https")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={}&key={ADMIN_KEY}", page.csrf()));
    let signed = proxied.send(request).await;
    assert_eq!(signed.status, 303);
    assert!(signed
        .set_cookies()
        .iter()
        .all(|cookie| cookie.ends_with("; Secure")));

    // Or always, by the setting.
    let secure = spawn_app_with(Backend::Sqlite, START, |settings| {
        settings.console.secure_cookies = true;
    })
    .await;
    let page = Browser::new(&secure).get("/console/sign-in").await;
    assert!(page
        .set_cookies()
        .iter()
        .all(|cookie| cookie.ends_with("; Secure")));
}

/// Texts that are not ids, as they appear in a path (percent-encoded).
const NOT_IDS: [&str; 7] = [
    "a%20b",
    "a%0D%0Ab",
    "a%0Ab",
    "a%2Fb",
    "a%3Fb=1",
    "acct_x%7C99999999999",
    "a%23b",
];

#[tokio::test]
async fn ids_that_are_not_ids_answer_404_on_the_api_and_the_console() {
    let app = spawn_app(Backend::Sqlite, START).await;
    // Every API path with an id, every method it takes, as the operator.
    let document = app.get("/openapi.json").await;
    let mut checked = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        if !path.contains('{') {
            continue;
        }
        for method in operations.as_object().unwrap().keys() {
            for not_an_id in NOT_IDS {
                let mut concrete = String::new();
                for (index, part) in path.split('{').enumerate() {
                    if index == 0 {
                        concrete.push_str(part);
                    } else {
                        let (_, rest) = part.split_once('}').unwrap();
                        concrete.push_str(not_an_id);
                        concrete.push_str(rest);
                    }
                }
                let body = (method != "get" && method != "delete").then(|| json!({}));
                let (status, answer) = app
                    .request(&method.to_uppercase(), &concrete, body, &[])
                    .await;
                assert_eq!(status, 404, "{method} {concrete}: {answer}");
                assert_eq!(answer["code"], "not_found", "{method} {concrete}");
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked}");

    // And the console's pages and forms.
    let mut browser = Browser::signed_in(&app, ADMIN_KEY).await;
    let csrf = browser.csrf().await;
    for not_an_id in NOT_IDS {
        for path in [
            "/console/instances/{}",
            "/console/orders/{}",
            "/console/invoices/{}",
            "/console/invoices/{}/pdf",
        ] {
            let path = path.replace("{}", not_an_id);
            let page = browser.get(&path).await;
            assert_eq!(page.status, 404, "GET {path}: {}", page.text);
        }
        for path in [
            "/console/instances/{}/renew/review",
            "/console/instances/{}/change/review",
            "/console/approvals/{}/approve",
            "/console/stuck-steps/{}/retry",
            "/console/webhooks/{}/delete",
        ] {
            let path = path.replace("{}", not_an_id);
            let page = browser
                .post_form(&path, &[("csrf", &csrf), ("period", "1M")])
                .await;
            assert_eq!(page.status, 404, "POST {path}: {}", page.text);
        }
    }
    // Ids in a form's fields reach no API path either.
    let account_id = app.funded_account(0).await;
    browser
        .post_form(
            "/console/account",
            &[("csrf", &csrf), ("account", &account_id)],
        )
        .await;
    let page = browser
        .post_form(
            "/console/unsubscribe/renewals",
            &[
                ("csrf", &csrf),
                ("order", "ord_x/../../accounts"),
                ("confirm_refund", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("not an id"), "{}", page.text);
}

#[tokio::test]
async fn a_form_body_is_read_after_the_session_check_and_within_the_apis_limit() {
    let app = spawn_app(Backend::Sqlite, START).await;
    let large = format!("csrf=x&pad={}", "a".repeat(70 * 1024));
    // No session: sent to sign in, the body not read.
    let mut anonymous = Browser::new(&app);
    let page = anonymous
        .post_body("/console/sign-out", large.clone())
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), "/console/sign-in");
    // A session: a body past the API's 64 KiB is refused, nothing done.
    let mut browser = Browser::signed_in(&app, ADMIN_KEY).await;
    let csrf = browser.csrf().await;
    let page = browser
        .post_body(
            "/console/sign-out",
            format!("csrf={csrf}&pad={}", "a".repeat(70 * 1024)),
        )
        .await;
    assert_eq!(page.status, 413, "{}", page.text);
    assert!(browser.shows_pages().await, "a refused sign-out signed out");
    // Within the limit, a wrong token is refused as before.
    let page = browser
        .post_body(
            "/console/sign-out",
            format!("csrf=x&pad={}", "a".repeat(1024)),
        )
        .await;
    assert_eq!(page.status, 403);
    // The sign-in form takes a key and a token, not more.
    let mut signing = Browser::new(&app);
    let form = signing.get("/console/sign-in").await;
    let page = signing
        .post_body(
            "/console/sign-in",
            format!("csrf={}&key={}", form.csrf(), "k".repeat(8 * 1024)),
        )
        .await;
    assert_eq!(page.status, 413);
}

/// The account's owner signed in to a console, and the account's id.
async fn owner_browser(app: &TestApp) -> (Browser, String) {
    let account = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "Ada Lovelace", "email": "ada@example.com", "mobile": "+15550100" }),
        )
        .await;
    let browser = Browser::signed_in(app, account["owner_key"].as_str().unwrap()).await;
    (browser, account["id"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn without_card_payments_the_card_pages_say_they_are_off() {
    let app = spawn_app(Backend::Sqlite, START).await;
    let (mut browser, _) = owner_browser(&app).await;
    let cards = browser.get("/console/cards").await;
    assert_eq!(cards.status, 200, "{}", cards.text);
    assert!(
        cards.text.contains("Card payments are off"),
        "{}",
        cards.text
    );
    assert!(!cards.text.contains("<script src=\"http"), "{}", cards.text);
    assert!(cards.text.contains("href=\"/console/cards\""));
    let add = browser.get("/console/cards/add").await;
    assert_eq!(add.status, 200, "{}", add.text);
    assert!(add.text.contains("Card payments are off"), "{}", add.text);
    let balance = browser.get("/console/balance").await;
    assert!(
        !balance.text.contains("Add funds by card"),
        "{}",
        balance.text
    );
}

#[tokio::test]
async fn a_card_is_saved_made_default_removed_and_charged_from_the_console() {
    let stripe = tenure_payments::localstripe::LocalStripe::start().await;
    let base = stripe.base();
    let js_url = format!("{base}/js.stripe.com/v3/");
    let app = {
        let (base, js_url) = (base.clone(), js_url.clone());
        spawn_app_with(Backend::Sqlite, START, move |settings| {
            settings.card_payments = Some(tenure_server::CardPaymentSettings {
                stripe_secret_key: "sk_test_console".into(),
                stripe_webhook_secret: None,
                stripe_api_base: base,
                settle_interval: std::time::Duration::from_secs(3600),
                call_timeout: std::time::Duration::from_secs(20),
                stripe_publishable_key: Some("pk_test_console".into()),
                stripe_js_url: js_url,
            });
        })
        .await
    };
    let (mut browser, account_id) = owner_browser(&app).await;

    // Looking at the cards asks Stripe nothing: no customer, no SetupIntent, no script.
    let cards = browser.get("/console/cards").await;
    assert_eq!(cards.status, 200, "{}", cards.text);
    assert!(cards.text.contains("No card is saved yet"));
    assert!(
        cards.text.contains("action=\"/console/cards/add\""),
        "{}",
        cards.text
    );
    assert!(!cards.text.contains("data-client-secret"), "{}", cards.text);
    assert!(!cards.text.contains("<script src=\"http"), "{}", cards.text);
    browser.get("/console/cards").await;
    assert!(stripe.list("customers").await.is_empty());

    // Adding a card is a view of its own, which loads Stripe.js from --stripe-js-url with the
    // publishable key and a SetupIntent's client secret, made now.
    let cards = browser.get("/console/cards/add").await;
    assert_eq!(cards.status, 200, "{}", cards.text);
    assert_eq!(stripe.list("customers").await.len(), 1);
    assert!(
        cards.text.contains(&format!("<script src=\"{js_url}\"")),
        "{}",
        cards.text
    );
    assert!(cards.text.contains("/console/assets/cards.js"));
    assert!(cards
        .text
        .contains("data-publishable-key=\"pk_test_console\""));
    assert!(
        cards.text.contains("data-client-secret=\"seti_"),
        "{}",
        cards.text
    );
    // Its scripts: tenure's and Stripe.js alone, which talks to Stripe's API.
    let policy = cards.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("frame-ancestors 'none';"), "{policy}");
    assert!(
        policy.contains(&format!("script-src 'self' {base};")),
        "{policy}"
    );
    assert!(
        policy.ends_with(&format!("connect-src 'self' {base}")),
        "{policy}"
    );
    let script = browser.get("/console/assets/cards.js").await;
    assert_eq!(script.status, 200);
    assert!(script.text.contains("confirmCardSetup"));

    // What the script posts once Stripe.js confirmed the SetupIntent: the payment method.
    let csrf = cards.csrf();
    let visa = stripe.tokenize("4242424242424242").await;
    let saved = browser
        .post_form(
            "/console/cards",
            &[
                ("csrf", &csrf),
                ("idempotency_key", "save-1"),
                ("payment_method", &visa),
            ],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    assert!(
        saved
            .text
            .contains("Saved the Visa card ending 4242, the default."),
        "{}",
        saved.text
    );
    let mastercard = stripe.tokenize("5555555555554444").await;
    let saved = browser
        .post_form(
            "/console/cards",
            &[
                ("csrf", &csrf),
                ("idempotency_key", "save-2"),
                ("payment_method", &mastercard),
            ],
        )
        .await;
    assert!(saved.text.contains("ending 4444."), "{}", saved.text);
    // Nothing from Stripe's field (no JavaScript): said so, nothing saved.
    let empty = browser
        .post_form(
            "/console/cards",
            &[("csrf", &csrf), ("idempotency_key", "save-3")],
        )
        .await;
    assert!(
        empty.text.contains("No card came from Stripe"),
        "{}",
        empty.text
    );

    let listed = app
        .get(&format!("/v1/accounts/{account_id}/payment-methods"))
        .await;
    let second = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|card| card["last4"] == "4444")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let made = browser
        .post_form(
            &format!("/console/cards/{second}/default"),
            &[("csrf", &csrf), ("idempotency_key", "default-1")],
        )
        .await;
    assert!(made.text.contains("now the default"), "{}", made.text);
    let listed = app
        .get(&format!("/v1/accounts/{account_id}/payment-methods"))
        .await;
    let default: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|card| card["is_default"] == true)
        .map(|card| card["last4"].as_str().unwrap())
        .collect();
    assert_eq!(default, ["4444"]);

    // Adding funds by the default card, in major units.
    let balance = browser.get("/console/balance").await;
    assert!(
        balance.text.contains("Add funds by card"),
        "{}",
        balance.text
    );
    let refused = browser
        .post_form(
            "/console/balance/card-top-up",
            &[
                ("csrf", &csrf),
                ("idempotency_key", "top-0"),
                ("amount", "12.345"),
            ],
        )
        .await;
    assert!(
        refused.text.contains("is not an amount in USD"),
        "{}",
        refused.text
    );
    let topped = browser
        .post_form(
            "/console/balance/card-top-up",
            &[
                ("csrf", &csrf),
                ("idempotency_key", "top-1"),
                ("amount", "12.34"),
            ],
        )
        .await;
    assert_eq!(topped.status, 200, "{}", topped.text);
    assert!(
        topped.text.contains("Added 12.34 USD by card."),
        "{}",
        topped.text
    );
    assert!(topped.text.contains(">12.34 USD</dd>"), "{}", topped.text);
    assert_eq!(
        app.get(&format!("/v1/accounts/{account_id}")).await["balance_minor"],
        1234
    );

    let removed = browser
        .post_form(
            &format!("/console/cards/{second}/remove"),
            &[("csrf", &csrf), ("idempotency_key", "remove-1")],
        )
        .await;
    assert!(
        removed.text.contains("The card was removed."),
        "{}",
        removed.text
    );
    assert!(!removed.text.contains("ending 4444"), "{}", removed.text);

    // A card the bank declines: said beside the form, the balance as it was.
    let declining = stripe.tokenize("4000000000000341").await;
    let saved = browser
        .post_form(
            "/console/cards",
            &[
                ("csrf", &csrf),
                ("idempotency_key", "save-4"),
                ("payment_method", &declining),
            ],
        )
        .await;
    assert!(saved.text.contains("ending 0341."), "{}", saved.text);
    let listed = app
        .get(&format!("/v1/accounts/{account_id}/payment-methods"))
        .await;
    let declining = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|card| card["last4"] == "0341")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    browser
        .post_form(
            &format!("/console/cards/{declining}/default"),
            &[("csrf", &csrf), ("idempotency_key", "default-2")],
        )
        .await;
    let declined = browser
        .post_form(
            "/console/balance/card-top-up",
            &[
                ("csrf", &csrf),
                ("idempotency_key", "top-3"),
                ("amount", "5"),
            ],
        )
        .await;
    assert!(
        declined.text.contains("the card was declined"),
        "{}",
        declined.text
    );
    assert!(
        declined.text.contains(">12.34 USD</dd>"),
        "{}",
        declined.text
    );

    // A form from anywhere else does nothing.
    let forged = browser
        .post_form(
            "/console/balance/card-top-up",
            &[
                ("csrf", "forged"),
                ("idempotency_key", "top-2"),
                ("amount", "10"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
}

/// The value of attribute `name` of the element marked `data-test="{marker}"`, as the page
/// writes it (`&amp;` read back as `&`).
fn attribute_of(page: &Page, marker: &str, name: &str) -> Option<String> {
    let element = page.text.split(&format!("data-test=\"{marker}\"")).nth(1)?;
    let element = &element[..element.find('>')?];
    let value = element.split(&format!("{name}=\"")).nth(1)?;
    Some(value[..value.find('"')?].replace("&amp;", "&"))
}

#[tokio::test]
async fn the_invoices_page_shows_the_accounts_own_documents_fifty_at_a_time() {
    let app = spawn_app(Backend::Sqlite, START).await;
    let (mut browser, account_id) = owner_browser(&app).await;
    const BOUGHT: usize = 51;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": BOUGHT as i64 * 12_000, "method": "bank_card" }),
    )
    .await;
    for _ in 0..BOUGHT {
        app.buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
            .await;
    }
    let issued = app
        .get(&format!("/v1/invoices?account={account_id}&limit=1000"))
        .await["data"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(issued.len(), BOUGHT);
    let number = |index: usize| issued[index]["number"].as_str().unwrap().to_string();
    let rows = |page: &Page| page.text.matches("data-test=\"invoice-row\"").count();

    // Newest first, fifty, and a link to the rest.
    let first = browser.get("/console/invoices").await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(rows(&first), 50);
    let newest = first.text.find(&number(BOUGHT - 1)).expect("the newest");
    let next_newest = first
        .text
        .find(&number(BOUGHT - 2))
        .expect("the one before");
    assert!(newest < next_newest);
    assert!(
        !first.text.contains(&number(0)),
        "the oldest is on the next page"
    );
    assert!(first.text.contains(">120.00 USD</td>"), "the gross charged");
    assert!(
        first.text.contains("href=\"/console/invoices\""),
        "in the nav"
    );
    let next = attribute_of(&first, "next-page", "href").expect("a next link");
    let second = browser.get(&next).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(rows(&second), 1);
    assert!(second.text.contains(&number(0)));
    assert!(attribute_of(&second, "next-page", "href").is_none());
    // No credit note yet.
    let credit_notes = browser.get("/console/invoices?kind=credit_note").await;
    assert_eq!(rows(&credit_notes), 0, "{}", credit_notes.text);

    // The PDF, through the console session, as a download named by its number.
    let oldest_id = issued[0]["id"].as_str().unwrap();
    let pdf = browser
        .get(&format!("/console/invoices/{oldest_id}/pdf"))
        .await;
    assert_eq!(pdf.status, 200, "{}", pdf.text);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert_eq!(
        pdf.headers["content-disposition"],
        format!("attachment; filename=\"{}.pdf\"", number(0)).as_str()
    );
    assert!(pdf.text.starts_with("%PDF-"));
    let shown = browser.get(&format!("/console/invoices/{oldest_id}")).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert!(
        shown.text.contains("Message queue (MQTT)"),
        "{}",
        shown.text
    );

    // Another account's documents: not on the page, and not found by id.
    let theirs = app.funded_account(12_000).await;
    app.buy(&theirs, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let their_invoice = app.get(&format!("/v1/invoices?account={theirs}")).await["data"][0].clone();
    let their_id = their_invoice["id"].as_str().unwrap();
    let their_number = their_invoice["number"].as_str().unwrap();
    assert!(!browser
        .get("/console/invoices")
        .await
        .text
        .contains(their_number));
    for path in [
        format!("/console/invoices/{their_id}"),
        format!("/console/invoices/{their_id}/pdf"),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, 404, "{path}: {}", page.text);
        assert!(!page.text.starts_with("%PDF-"), "{path}");
    }

    // The operator sees the account it picks.
    let mut operator = Browser::signed_in(&app, ADMIN_KEY).await;
    let csrf = operator.csrf().await;
    operator
        .post_form("/console/account", &[("csrf", &csrf), ("account", &theirs)])
        .await;
    let page = operator.get("/console/invoices").await;
    assert_eq!(rows(&page), 1, "{}", page.text);
    assert!(page.text.contains(their_number));
    let pdf = operator
        .get(&format!("/console/invoices/{their_id}/pdf"))
        .await;
    assert_eq!(pdf.status, 200);
    assert!(pdf.text.starts_with("%PDF-"));
}

#[tokio::test]
async fn the_overview_is_the_operators_home_and_the_operators_alone() {
    let app = spawn_app(Backend::Sqlite, START).await;
    let (mut owner, account_id) = owner_browser(&app).await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 12_000, "method": "bank_card" }),
    )
    .await;
    app.post_ok(
        "/v1/instances",
        json!({ "account": account_id, "product": "message-queue", "edition": "basic",
                "spec": "tps-1000", "region": "us-east-1", "billing": "subscription",
                "period": "1M", "auto_renew": { "period": "1M" } }),
    )
    .await;
    // An account's session is refused the page, and its home is its instances.
    let refused = owner.get("/console/overview").await;
    assert_eq!(refused.status, 403);
    assert_eq!(owner.get("/console/deliveries").await.status, 403);
    assert!(!refused.text.contains("120.00"), "{}", refused.text);
    assert_eq!(owner.get("/console").await.location(), "/console/instances");

    let mut operator = Browser::signed_in(&app, ADMIN_KEY).await;
    assert_eq!(
        operator.get("/console").await.location(),
        "/console/overview"
    );
    let page = operator.get("/console/overview").await;
    assert_eq!(page.status, 200, "{}", page.text);
    // The revenue of the day, the instance, and the renewal the balance cannot pay.
    assert!(
        page.text.contains("data-test=\"revenue-total-USD\""),
        "{}",
        page.text
    );
    assert!(page.text.contains("120.00 USD"), "{}", page.text);
    assert!(page.text.contains("Message queue (MQTT)"), "{}", page.text);
    assert!(
        page.text.contains("data-test=\"at-risk-USD\""),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains(&format!("/console/accounts/{account_id}")),
        "{}",
        page.text
    );

    // The ticked account is reminded, once, by email and SMS; a forged form does nothing.
    let csrf = page
        .text
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let forged = operator
        .post_form(
            "/console/overview/reminders",
            &[("csrf", "forged"), ("account", &account_id)],
        )
        .await;
    assert_eq!(forged.status, 403);
    let done = operator
        .post_form(
            "/console/overview/reminders",
            &[
                ("csrf", &csrf),
                ("idempotency_key", "remind-once"),
                ("account", &account_id),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert!(done.text.contains("Reminded 1 account(s)"), "{}", done.text);
    let notices = app
        .get(&format!(
            "/v1/notifications?account={account_id}&kind=account.renewal_funds_reminder"
        ))
        .await;
    assert_eq!(notices["data"].as_array().unwrap().len(), 2);
    let by_owner = owner
        .post_form("/console/overview/reminders", &[("account", &account_id)])
        .await;
    assert_ne!(by_owner.status, 200);
}

/// The operator's accounts: found by search and filters, 50 a page with a next link keeping
/// them, any text searched safely; an account's page with its money, ledger and users, and
/// the button that makes it the account the customer pages show. An account's session gets
/// 403 on both, and no link to them.
#[tokio::test]
async fn the_operator_finds_accounts_and_opens_one_an_account_never_does() {
    let app = spawn_app(Backend::Sqlite, START).await;
    let (mut owner, own_id) = owner_browser(&app).await;
    for index in 0..50 {
        app.post_ok(
            "/v1/accounts",
            json!({ "name": format!("Customer {index:02}"), "email": format!("c{index}@example.com"),
                    "mobile": format!("+1555{index:04}") }),
        )
        .await;
    }
    let needle = app
        .post_ok(
            "/v1/accounts",
            json!({ "name": "Needle O'Brien 100%", "email": "needle@example.org", "mobile": "+4455501",
                    "low_balance_threshold": 5_000 }),
        )
        .await;
    let needle_id = needle["id"].as_str().unwrap().to_string();
    app.post_ok(
        &format!("/v1/accounts/{needle_id}/deposits"),
        json!({ "amount": 1_234, "method": "transfer" }),
    )
    .await;
    app.post_ok(
        &format!("/v1/accounts/{needle_id}/users"),
        json!({ "name": "Billing clerk", "role": "billing" }),
    )
    .await;

    for path in [
        "/console/accounts".to_string(),
        "/console/accounts?search=needle".to_string(),
        format!("/console/accounts/{own_id}"),
        format!("/console/accounts/{needle_id}"),
    ] {
        let page = owner.get(&path).await;
        assert_eq!(page.status, 403, "{path}: {}", page.text);
        assert!(!page.text.contains("Needle"), "{path}");
        assert!(!page.text.contains("needle@example.org"), "{path}");
    }
    let own_page = owner.get("/console/instances").await;
    assert!(!own_page.text.contains("href=\"/console/accounts\""));

    let rows = |page: &Page| page.text.matches("data-test=\"account-row\"").count();
    let mut operator = Browser::signed_in(&app, ADMIN_KEY).await;
    let first = operator.get("/console/accounts").await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert!(
        first.text.contains("href=\"/console/accounts\""),
        "in the nav"
    );
    assert_eq!(rows(&first), 50);
    assert!(!first.text.contains("data-test=\"account-count\""));
    let next = attribute_of(&first, "next-page", "href").expect("a next link");
    let second = operator.get(&next).await;
    assert_eq!(rows(&second), 2, "{}", second.text);
    assert!(
        second.text.contains("Needle O&#39;Brien 100%")
            || second.text.contains("Needle O'Brien 100%")
    );
    assert!(second.text.contains(">12.34 USD</td>"), "{}", second.text);
    assert!(second.text.contains("data-test=\"low-balance\""));

    // The filters and order ride along to the next page.
    let by_name = operator
        .get("/console/accounts?search=example&sort=name&overdue=&low_balance=")
        .await;
    assert_eq!(rows(&by_name), 50);
    let next = attribute_of(&by_name, "next-page", "href").expect("a next link");
    assert!(
        next.contains("search=example") && next.contains("sort=name"),
        "{next}"
    );
    let rest = operator.get(&next).await;
    assert_eq!(rows(&rest), 2, "{}", rest.text);
    assert!(rest.text.contains("Customer 49") && rest.text.contains("Needle"));
    // Exactly a page: no link to an empty one.
    let exactly = operator.get("/console/accounts?search=customer").await;
    assert_eq!(rows(&exactly), 50);
    assert!(attribute_of(&exactly, "next-page", "href").is_none());
    assert!(exactly.text.contains(">50 accounts</p>"));

    let found = operator.get("/console/accounts?search=NEEDLE%40").await;
    assert_eq!(rows(&found), 1, "{}", found.text);
    assert!(found.text.contains(">1 account</p>"), "{}", found.text);
    assert_eq!(
        rows(&operator.get("/console/accounts?search=100%25").await),
        1
    );
    assert_eq!(
        rows(&operator.get("/console/accounts?low_balance=true").await),
        1
    );
    assert_eq!(
        rows(&operator.get("/console/accounts?frozen=true").await),
        0
    );
    for search in [
        "a%00b".to_string(),
        "x".repeat(10_240),
        "%27%22%5C".to_string(),
    ] {
        let page = operator
            .get(&format!("/console/accounts?search={search}"))
            .await;
        assert!(page.status < 500, "{search}: {}", page.text);
        assert_eq!(rows(&page), 0);
    }

    // One account's page, as the API says it.
    let shown = operator
        .get(&format!("/console/accounts/{needle_id}"))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    for text in [
        "needle@example.org",
        "+4455501",
        "data-test=\"balance\">12.34 USD</dd>",
        "under 50.00 USD",
        "Billing clerk",
        "deposit by transfer",
        // Its events, each with who it was done for: the operator opened and funded it.
        "funds.deposited</td><td data-test=\"actor\">operator</td>",
    ] {
        assert!(shown.text.contains(text), "{text}: {}", shown.text);
    }
    assert_eq!(shown.text.matches("data-test=\"ledger-row\"").count(), 1);
    // Its button makes it the account the customer pages show, with the session's token.
    let csrf = shown.csrf();
    let forged = operator
        .post_form(
            "/console/account",
            &[("csrf", "forged"), ("account", &needle_id)],
        )
        .await;
    assert_eq!(forged.status, 403);
    let picked = operator
        .post_form(
            "/console/account",
            &[("csrf", &csrf), ("account", &needle_id)],
        )
        .await;
    assert_eq!(picked.status, 303);
    let balance = operator.get("/console/balance").await;
    assert!(
        balance.text.contains("data-test=\"balance\">12.34 USD"),
        "{}",
        balance.text
    );
}

/// The operator's fleet: every account's instances, filtered by product, status and expiry as
/// the API filters them, paged, and exported as the same selection in CSV.
#[tokio::test]
async fn the_fleet_lists_every_accounts_instances_and_exports_them() {
    let app = spawn_app(Backend::Sqlite, START).await;
    let (mut owner, first) = owner_browser(&app).await;
    let second = app.funded_account(1_000_000).await;
    app.post_ok(
        &format!("/v1/accounts/{first}/deposits"),
        json!({ "amount": 1_000_000, "method": "bank_card" }),
    )
    .await;
    let mut monthly = Vec::new();
    for account_id in [&first, &second] {
        for _ in 0..26 {
            let bought = app
                .buy(account_id, "message-queue", "basic", "tps-1000", "1M")
                .await;
            monthly.push(bought["instance"]["id"].as_str().unwrap().to_string());
        }
    }
    let yearly = app
        .buy(&second, "message-queue", "basic", "tps-1000", "1Y")
        .await["instance"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(owner.get("/console/fleet").await.status, 403);
    assert_eq!(owner.get("/console/fleet.csv").await.status, 403);

    let mut operator = Browser::signed_in(&app, ADMIN_KEY).await;
    let rows = |page: &Page| page.text.matches("data-test=\"fleet-row\"").count();
    let first_page = operator.get("/console/fleet").await;
    assert_eq!(first_page.status, 200, "{}", first_page.text);
    assert_eq!(rows(&first_page), 50);
    assert!(first_page
        .text
        .contains(&format!("/console/accounts/{second}")));
    let next = first_page
        .text
        .split("rel=\"next\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a next link")
        .replace("&amp;", "&");
    assert_eq!(rows(&operator.get(&next).await), 3);

    // Expiring within 90 days: the monthly ones, not the yearly one.
    let soon = operator
        .get("/console/fleet?expiring_within_days=90&product=message-queue")
        .await;
    assert_eq!(rows(&soon), 50);
    let csv = operator
        .get("/console/fleet.csv?expiring_within_days=90&product=message-queue")
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert!(lines[0].starts_with("instance_id,name,tags,account_id,product_id"));
    let mut exported: Vec<String> = lines[1..]
        .iter()
        .map(|line| line.split(',').next().unwrap().to_string())
        .collect();
    exported.sort();
    monthly.sort();
    assert_eq!(exported, monthly);
    let all = operator.get("/console/fleet.csv").await;
    assert_eq!(all.text.lines().count(), 1 + 53);
    assert!(all.text.contains(&yearly));
    // A status no instance has: an empty list, said so.
    let none = operator.get("/console/fleet?status=released").await;
    assert!(none.text.contains("No instance matches."), "{}", none.text);
}

#[tokio::test]
async fn an_instance_is_named_and_tagged_from_the_console_and_shown_by_its_names() {
    let app = spawn_app(Backend::Sqlite, START).await;
    let (mut browser, account_id) = owner_browser(&app).await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 50_000, "method": "bank_card" }),
    )
    .await;
    let bought = app
        .buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
        .await;
    let id = bought["instance"]["id"].as_str().unwrap().to_string();
    let page = browser.get(&format!("/console/instances/{id}")).await;
    assert_eq!(page.status, 200);
    let csrf = page.csrf();
    let path = format!("/console/instances/{id}/labels");
    // A forged token changes nothing.
    let forged = browser
        .post_form(&path, &[("csrf", "forged"), ("name", "x"), ("tags", "")])
        .await;
    assert_ne!(forged.status, 303, "{}", forged.text);
    assert_eq!(app.instance(&id).await["name"], serde_json::Value::Null);
    let saved = browser
        .post_form(
            &path,
            &[
                ("csrf", &csrf),
                ("idempotency_key", "label-1"),
                ("name", "<b>billing-db</b>"),
                ("tags", "env:prod team-billing"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let instance = app.instance(&id).await;
    assert_eq!(instance["name"], "<b>billing-db</b>");
    assert_eq!(instance["tags"], json!(["env:prod", "team-billing"]));
    // The list shows the name (escaped) with the id beside it, the tags, and the catalog's
    // names of the product, edition and spec.
    let list = browser.get("/console/instances?tag=env:prod").await;
    assert!(
        list.text.contains("&lt;b&gt;billing-db&lt;/b&gt;"),
        "{}",
        list.text
    );
    assert!(!list.text.contains("<b>billing-db"), "{}", list.text);
    assert!(list.text.contains(&id));
    assert!(list.text.contains("team-billing"));
    assert!(list.text.contains("Message queue (MQTT)"), "{}", list.text);
    let other = browser.get("/console/instances?tag=env:dev").await;
    assert!(
        other.text.contains("No instance matches."),
        "{}",
        other.text
    );
    // A bad tag is refused with the API's words, and changes nothing.
    let refused = browser
        .post_form(
            &path,
            &[("csrf", &csrf), ("name", "x"), ("tags", "Not-Lower")],
        )
        .await;
    assert!(
        refused.text.contains("a tag is made of"),
        "{}",
        refused.text
    );
    assert_eq!(app.instance(&id).await["name"], "<b>billing-db</b>");

    // Another account's owner cannot rename it.
    let (mut stranger, _) = owner_browser(&app).await;
    let csrf = stranger.csrf().await;
    let page = stranger
        .post_form(&path, &[("csrf", &csrf), ("name", "mine"), ("tags", "")])
        .await;
    assert_ne!(page.status, 303, "{}", page.text);
    assert_eq!(app.instance(&id).await["name"], "<b>billing-db</b>");
}

/// An account's Instances, Orders, Renewals, Unsubscribe and Notices pages show 50 rows and a
/// link to the rest, filters kept; the bulk actions say how many rows they select.
#[tokio::test]
async fn the_instances_and_orders_pages_go_on_fifty_at_a_time() {
    let app = spawn_app(Backend::Sqlite, START).await;
    let (mut owner, account_id) = owner_browser(&app).await;
    app.post_ok(
        &format!("/v1/accounts/{account_id}/deposits"),
        json!({ "amount": 1_000_000, "method": "bank_card" }),
    )
    .await;
    for _ in 0..51 {
        app.buy(&account_id, "message-queue", "basic", "tps-1000", "1M")
            .await;
    }
    let rows = |page: &Page, cell: &str| page.text.matches(cell).count();
    let next_of = |page: &Page| {
        page.text
            .split("rel=\"next\" href=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(|link| link.replace("&amp;", "&"))
    };
    let first = owner.get("/console/instances?status=active").await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(rows(&first, "href=\"/console/instances/inst_"), 50);
    let next = next_of(&first).expect("a link to the rest");
    assert!(next.contains("status=active"), "{next}");
    let second = owner.get(&next).await;
    assert_eq!(rows(&second, "href=\"/console/instances/inst_"), 1);
    assert_eq!(next_of(&second), None);

    let orders = owner.get("/console/orders").await;
    assert_eq!(rows(&orders, "href=\"/console/orders/ord_"), 50);
    let more = owner.get(&next_of(&orders).expect("more orders")).await;
    assert_eq!(rows(&more, "href=\"/console/orders/ord_"), 1);

    // A pay-as-you-go instance renews by no bulk renewal: not on the Renewals page.
    let payg = app
        .post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": "iot-platform", "edition": "legacy-public",
                    "region": "us-east-1", "billing": "payg" }),
        )
        .await;
    let payg_id = payg["instance"]["id"].as_str().unwrap().to_string();
    let picks = "name=\"instance\" value=\"inst_";
    let renewals = owner.get("/console/renewals?tab=manual").await;
    assert_eq!(renewals.status, 200, "{}", renewals.text);
    assert_eq!(rows(&renewals, picks), 50);
    assert!(renewals.text.contains("data-count-of=\"instance\""));
    let next = next_of(&renewals).expect("more renewals");
    assert!(next.contains("tab=manual"), "{next}");
    let rest = owner.get(&next).await;
    assert_eq!(rows(&rest, picks), 1);
    assert!(!renewals.text.contains(&payg_id) && !rest.text.contains(&payg_id));
    assert_eq!(next_of(&rest), None);

    let unsubscribe = owner.get("/console/unsubscribe").await;
    assert_eq!(rows(&unsubscribe, picks), 50);
    let rest = owner
        .get(&next_of(&unsubscribe).expect("more to unsubscribe"))
        .await;
    assert_eq!(rows(&rest, picks), 1);

    // Notices newest first: the first page starts with the latest, the pages hold each once.
    let listed = app
        .get(&format!(
            "/v1/notifications?account={account_id}&limit=1000"
        ))
        .await;
    let mut expected: Vec<String> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|notice| notice["subject"].as_str().unwrap().to_string())
        .collect();
    assert!(expected.len() > 50, "{}", expected.len());
    expected.reverse();
    let notices = owner.get("/console/notices").await;
    assert_eq!(notices.status, 200, "{}", notices.text);
    let shown = |page: &Page| page.text.matches("<summary>").count();
    assert_eq!(shown(&notices), 50);
    let first_subject = notices
        .text
        .split("<summary>")
        .nth(1)
        .and_then(|rest| rest.split("</summary>").next())
        .unwrap()
        .to_string();
    assert_eq!(
        first_subject,
        maud::html! { (expected[0]) }.into_string(),
        "the latest notice first"
    );
    let older = owner.get(&next_of(&notices).expect("older notices")).await;
    assert_eq!(shown(&older), (expected.len() - 50).min(50));
}
