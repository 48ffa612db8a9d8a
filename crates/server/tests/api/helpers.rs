//! `spawn_app`: a fresh database, a server on a free port, a simulated clock, and an HTTP client.

use std::time::Duration;

use serde_json::{json, Value};
use sqlx::Connection;
use tenure_core::catalog::default_catalog;
use tenure_server::{Application, Settings};

pub const ADMIN_KEY: &str = "test-operator-key";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares `mod NAME { sqlite, postgres }` tests that run `scenario(Backend)` on each database.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$scenario($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$scenario($crate::helpers::Backend::Postgres).await
            }
        }
    };
}

/// The PostgreSQL server tests create their databases on.
fn postgres_admin_url() -> String {
    std::env::var("TENURE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The server's engine, for a test that must write what no request can (data an older
    /// tenure left, say) straight to its database.
    pub engine: std::sync::Arc<tenure_engine::Engine>,
    database_url: String,
    _folder: Option<tempfile::TempDir>,
    postgres_database: Option<String>,
}

pub async fn spawn_app(backend: Backend, start: &str) -> TestApp {
    spawn_app_delivering(backend, start, None).await
}

/// [`spawn_app`] with a deliverer sending on `delivery`'s channels.
pub async fn spawn_app_delivering(
    backend: Backend,
    start: &str,
    delivery: Option<tenure_server::Delivery>,
) -> TestApp {
    spawn_app_with(backend, start, move |settings| settings.delivery = delivery).await
}

/// [`spawn_app`] with its settings changed by `adjust` (its limits, say).
pub async fn spawn_app_with(
    backend: Backend,
    start: &str,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let (database_url, folder, postgres_database) = match backend {
        Backend::Sqlite => {
            let folder = tempfile::tempdir().expect("temporary folder");
            (
                format!("sqlite://{}", folder.path().join("tenure.db").display()),
                Some(folder),
                None,
            )
        }
        Backend::Postgres => {
            let name = format!("tenure_test_{:016x}", rand::random::<u64>());
            let admin_url = postgres_admin_url();
            let mut connection = sqlx::PgConnection::connect(&admin_url)
                .await
                .expect("PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth); the test command starts it");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut connection)
                .await
                .expect("create database");
            let base = admin_url.rsplit_once('/').expect("URL has a database").0;
            let url = format!("{base}/{name}");
            // As `tenure migrate` would: a server on PostgreSQL serves only its own schema.
            tenure_store::Store::connect(&url)
                .await
                .expect("migrate")
                .close()
                .await;
            (url, None, Some(name))
        }
    };
    let mut settings = Settings {
        database_url: database_url.clone(),
        database_max_connections: tenure_store::DEFAULT_MAX_CONNECTIONS,
        listen: "127.0.0.1:0".parse().unwrap(),
        simulated_clock: Some(start.parse().expect("start time")),
        clock: tenure_server::ClockChoice::Database,
        admin_key: ADMIN_KEY.to_string(),
        catalog: default_catalog(),
        sweep_interval: Duration::from_secs(3600),
        ledger_audit_interval: Duration::from_secs(3600),
        sequential_ids: false,
        delivery: None,
        limits: Default::default(),
        console: Default::default(),
        card_payments: None,
    };
    adjust(&mut settings);
    let application = Application::build(settings).await.expect("server builds");
    let address = format!("http://127.0.0.1:{}", application.port());
    let engine = application.engine();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        engine,
        database_url,
        _folder: folder,
        postgres_database,
    }
}

impl TestApp {
    /// Another server (a node, or this one restarted) on this app's database, its clock
    /// started at `start`; the database stays this app's to drop.
    pub async fn node(&self, start: &str) -> TestApp {
        let start = start.parse().expect("start time");
        self.try_node(|settings| settings.simulated_clock = Some(start))
            .await
            .expect("server builds")
    }

    /// Another server on this app's database, its settings (its clock's) changed by `adjust`:
    /// the server, or why it refused to start.
    pub async fn try_node(&self, adjust: impl FnOnce(&mut Settings)) -> anyhow::Result<TestApp> {
        let mut settings = Settings {
            database_url: self.database_url.clone(),
            database_max_connections: tenure_store::DEFAULT_MAX_CONNECTIONS,
            listen: "127.0.0.1:0".parse().unwrap(),
            simulated_clock: None,
            clock: tenure_server::ClockChoice::Database,
            admin_key: ADMIN_KEY.to_string(),
            catalog: default_catalog(),
            sweep_interval: Duration::from_secs(3600),
            ledger_audit_interval: Duration::from_secs(3600),
            sequential_ids: false,
            delivery: None,
            limits: Default::default(),
            console: Default::default(),
            card_payments: None,
        };
        adjust(&mut settings);
        let application = Application::build(settings).await?;
        let address = format!("http://127.0.0.1:{}", application.port());
        let engine = application.engine();
        tokio::spawn(application.run_until_stopped());
        Ok(TestApp {
            address,
            client: reqwest::Client::new(),
            engine,
            database_url: self.database_url.clone(),
            _folder: None,
            postgres_database: None,
        })
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(name) = self.postgres_database.take() {
            // Async work cannot run in Drop; a short-lived runtime on its own thread can.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    if let Ok(mut connection) =
                        sqlx::PgConnection::connect(&postgres_admin_url()).await
                    {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut connection)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

impl TestApp {
    /// The name of this app's PostgreSQL database (none on SQLite).
    pub fn postgres_database(&self) -> Option<&str> {
        self.postgres_database.as_deref()
    }

    /// A connection to the PostgreSQL server as its administrator (not to this app's database).
    pub async fn postgres_admin(&self) -> sqlx::PgConnection {
        use sqlx::Connection;
        sqlx::PgConnection::connect(&postgres_admin_url())
            .await
            .unwrap()
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        self.request_with_key(method, path, Some(ADMIN_KEY), body, headers)
            .await
    }

    /// A request with an account's `key` (or another that is not the operator's).
    pub async fn with_key(
        &self,
        method: &str,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.request_with_key(method, path, Some(key), body, &[])
            .await
    }

    /// A request with `key` as its bearer key (none: no `Authorization` at all); the status
    /// and the answer, as JSON where it is JSON.
    pub async fn request_with_key(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("server answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// `/metrics`, as Prometheus' text.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("server answers")
            .text()
            .await
            .unwrap()
    }

    /// GET, whatever the status.
    pub async fn get_status(&self, path: &str) -> (u16, Value) {
        self.request("GET", path, None, &[]).await
    }

    /// Every item of a listing (`path` has no query string of its own), page by page.
    pub async fn list_all(&self, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page_path = match &after {
                Some(after) => format!("{path}?limit=1000&after={after}"),
                None => format!("{path}?limit=1000"),
            };
            let page = self.get(&page_path).await;
            items.extend(page["data"].as_array().unwrap().iter().cloned());
            match page["next_after"].as_str() {
                Some(next) => after = Some(next.to_string()),
                None => return items,
            }
        }
    }

    /// The documents say what was charged and given back, to the cent, across every account:
    /// each order that charged has one invoice of its gross, each refund that gave back one
    /// credit note of its amount, each downgrade that gave back one credit note of what it
    /// refunded; and there is no other document but the months' pay-as-you-go invoices.
    pub async fn assert_documents_match_charges(&self) {
        let invoices = self.list_all("/v1/invoices").await;
        let mut matched = vec![false; invoices.len()];
        let mut expect = |what: String, found: &dyn Fn(&Value) -> bool, gross_minor: i64| {
            let hits: Vec<usize> = (0..invoices.len())
                .filter(|&index| found(&invoices[index]))
                .collect();
            assert_eq!(hits.len(), 1, "one document for {what}: {invoices:?}");
            assert_eq!(
                invoices[hits[0]]["gross_minor"].as_i64(),
                Some(gross_minor),
                "{what}"
            );
            matched[hits[0]] = true;
        };
        for order in self.list_all("/v1/orders").await {
            let paid_minor = paid_minor(&order);
            if paid_minor > 0 {
                expect(
                    format!("order {}", order["id"]),
                    &|invoice| invoice["kind"] == "invoice" && invoice["order_id"] == order["id"],
                    paid_minor,
                );
            }
            let refunded_minor = order["refunded_minor"].as_i64().unwrap_or(0);
            if order["kind"] == "downgrade" && refunded_minor > 0 {
                expect(
                    format!("downgrade {}", order["id"]),
                    &|invoice| {
                        invoice["kind"] == "credit_note" && invoice["order_id"] == order["id"]
                    },
                    refunded_minor,
                );
            }
        }
        for refund in self.list_all("/v1/refunds").await {
            let refund_minor = refund["refund_minor"].as_i64().unwrap();
            if refund_minor > 0 {
                expect(
                    format!("refund {}", refund["id"]),
                    &|invoice| invoice["refund_id"] == refund["id"],
                    refund_minor,
                );
            }
        }
        for (invoice, matched) in invoices.iter().zip(matched) {
            let month_of_bills = invoice["kind"] == "invoice" && invoice["order_id"].is_null();
            assert!(
                matched || month_of_bills,
                "a document for nothing charged: {invoice}"
            );
        }
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.request("GET", path, None, &[]).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.request("POST", path, Some(body), &[]).await
    }

    /// POSTs and insists on a 2xx answer.
    pub async fn post_ok(&self, path: &str, body: Value) -> Value {
        let (status, answer) = self.post(path, body.clone()).await;
        assert!(
            (200..300).contains(&status),
            "POST {path} {body}: {status} {answer}"
        );
        answer
    }

    pub async fn advance_to(&self, to: &str) -> Value {
        self.post_ok("/v1/clock/advance", json!({ "to": to })).await
    }

    /// An account holding `deposit_minor` in its balance (by bank card).
    pub async fn funded_account(&self, deposit_minor: i64) -> String {
        let account = self
            .post_ok("/v1/accounts", json!({ "name": "Ada Lovelace", "email": "ada@example.com", "mobile": "+15550100" }))
            .await;
        let account_id = account["id"].as_str().unwrap().to_string();
        if deposit_minor > 0 {
            self.post_ok(
                &format!("/v1/accounts/{account_id}/deposits"),
                json!({ "amount": deposit_minor, "method": "bank_card" }),
            )
            .await;
        }
        account_id
    }

    /// Buys a subscription and returns the purchase answer (instance and order).
    pub async fn buy(
        &self,
        account_id: &str,
        product: &str,
        edition: &str,
        spec: &str,
        period: &str,
    ) -> Value {
        self.post_ok(
            "/v1/instances",
            json!({ "account": account_id, "product": product, "edition": edition, "spec": spec,
                    "region": region_of(product), "billing": "subscription", "period": period }),
        )
        .await
    }

    pub async fn instance(&self, instance_id: &str) -> Value {
        self.get(&format!("/v1/instances/{instance_id}")).await
    }

    pub async fn account(&self, account_id: &str) -> Value {
        self.get(&format!("/v1/accounts/{account_id}")).await
    }

    /// `(time, kind)` of every event of an instance, oldest first.
    pub async fn instance_events(&self, instance_id: &str) -> Vec<(String, String)> {
        let events = self
            .get(&format!("/v1/events?instance={instance_id}&limit=1000"))
            .await;
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| {
                (
                    event["at"].as_str().unwrap().to_string(),
                    event["kind"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    pub async fn event_count(&self) -> usize {
        self.get("/v1/events?limit=1000").await["data"]
            .as_array()
            .unwrap()
            .len()
    }

    /// Checks that every ledger entry of the account balances; returns the entries.
    pub async fn balanced_ledger(&self, account_id: &str) -> Vec<Value> {
        let ledger = self
            .get(&format!("/v1/accounts/{account_id}/ledger?limit=1000"))
            .await;
        let entries = ledger["data"].as_array().unwrap().clone();
        for entry in &entries {
            let sum: i64 = entry["postings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|posting| posting["amount_minor"].as_i64().unwrap())
                .sum();
            assert_eq!(sum, 0, "entry {entry} balances");
        }
        entries
    }

    /// The sum of every posting to ledger account `book` (`balance`, `provider_clearing`, ...)
    /// in `account_id`'s balanced ledger.
    pub async fn book_total(&self, account_id: &str, book: &str) -> i64 {
        self.balanced_ledger(account_id)
            .await
            .iter()
            .flat_map(|entry| entry["postings"].as_array().unwrap().clone())
            .filter(|posting| posting["ledger_account"] == book)
            .map(|posting| posting["amount_minor"].as_i64().unwrap())
            .sum()
    }
}

pub fn region_of(product: &str) -> &'static str {
    if product == "dns" {
        "global"
    } else {
        "us-east-1"
    }
}

pub fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is a string"))
}

/// Runs futures concurrently on the test's runtime.
pub async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(context) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|output| output.unwrap()).collect()
}

/// What an order paid from every source.
pub fn paid_minor(order: &Value) -> i64 {
    [
        "paid_voucher_minor",
        "paid_coupon_minor",
        "paid_balance_minor",
        "paid_external_minor",
    ]
    .iter()
    .map(|field| order[field].as_i64().unwrap())
    .sum()
}
