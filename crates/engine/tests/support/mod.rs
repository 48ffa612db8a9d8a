//! What several engine tests set up the same way. Each test file uses a part of it.
#![allow(dead_code)]

use jiff::Timestamp;
use sqlx::Connection;
use tenure_core::catalog::{default_catalog, Billing};
use tenure_core::payment::{PaymentMethod, PaymentSources};
use tenure_core::period::Period;
use tenure_core::purchase::PurchaseRequest;
use tenure_engine::accounts::NewAccount;
use tenure_engine::instances::PurchaseCommand;
use tenure_engine::{Clock, Engine, Ids};
use tenure_store::events::{self, LogFilter, StoredEvent};
use tenure_store::{Store, Tx};

/// The whole event log, oldest first (a test's log is short).
pub async fn whole_event_log(connection: &mut tenure_store::Connection) -> Vec<StoredEvent> {
    events::list(
        connection,
        &LogFilter {
            limit: 10_000,
            ..LogFilter::default()
        },
    )
    .await
    .unwrap()
}

/// A new temporary folder and the URL of a SQLite file in it; the file goes with the folder.
pub fn scratch_sqlite() -> (tempfile::TempDir, String) {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("tenure.db").display());
    (folder, url)
}

/// An engine on `url` with the default catalog, its clock simulated from `start`.
pub async fn engine_on(url: &str, start: Timestamp) -> Engine {
    engine_with(Store::connect(url).await.unwrap(), start)
}

/// An engine on `store` with the default catalog, its clock simulated from `start`.
pub fn engine_with(store: Store, start: Timestamp) -> Engine {
    Engine::new(
        store,
        default_catalog(),
        Clock::simulated(start),
        Ids::random(),
    )
}

pub fn ada() -> NewAccount {
    NewAccount {
        name: "Ada".into(),
        email: "ada@example.com".into(),
        mobile: "+15550100".into(),
        currency: None,
        low_balance_threshold_minor: None,
    }
}

/// Opens Ada's account in `tx` and deposits `deposit_minor` into it by card: its id.
pub async fn ada_with_deposit(engine: &Engine, tx: &mut Tx, deposit_minor: i64) -> String {
    let account = engine.create_account(tx, ada()).await.unwrap();
    let account_id = account.account.account.id.clone();
    engine
        .deposit(tx, &account_id, deposit_minor, PaymentMethod::BankCard)
        .await
        .unwrap();
    account_id
}

/// A month of the basic message queue (tps-1000, us-east-1), renewed by hand, paid from
/// vouchers, coupons, then the balance.
pub fn monthly_basic_queue(account_id: &str) -> PurchaseCommand {
    PurchaseCommand {
        account_id: account_id.to_string(),
        request: PurchaseRequest {
            product_id: "message-queue".into(),
            edition_id: "basic".into(),
            spec_id: Some("tps-1000".into()),
            region: "us-east-1".into(),
            billing: Billing::Subscription,
            period: Some(Period::months(1)),
            auto_renew_period: None,
            activates_at: None,
        },
        auto_renew: false,
        sources: PaymentSources {
            use_vouchers: true,
            use_coupons: true,
            method: PaymentMethod::Balance,
        },
        name: None,
        tags: Vec::new(),
    }
}

/// [`monthly_basic_queue`] renewed automatically, monthly, from coupons and the balance.
pub fn auto_renewing_monthly_queue(account_id: &str) -> PurchaseCommand {
    let mut command = monthly_basic_queue(account_id);
    command.request.auto_renew_period = Some(Period::months(1));
    command.auto_renew = true;
    command.sources = PaymentSources::AUTO_RENEWAL;
    command
}

/// A legacy pay-as-you-go IoT instance (us-east-1), billed by the hour for its usage.
pub fn payg_iot(account_id: &str) -> PurchaseCommand {
    PurchaseCommand {
        account_id: account_id.to_string(),
        request: PurchaseRequest {
            product_id: "iot-platform".into(),
            edition_id: "legacy-public".into(),
            spec_id: None,
            region: "us-east-1".into(),
            billing: Billing::Payg,
            period: None,
            auto_renew_period: None,
            activates_at: None,
        },
        auto_renew: false,
        sources: PaymentSources::AUTO_RENEWAL,
        name: None,
        tags: Vec::new(),
    }
}

/// An account (Ada's details) with 1,000.00 deposited and `count` monthly basic queues bought
/// from it, committed together: the account's id and the instances' ids.
pub async fn account_with_queues(engine: &Engine, count: usize) -> (String, Vec<String>) {
    let mut tx = engine.begin().await.unwrap();
    let account_id = ada_with_deposit(engine, &mut tx, 100_000).await;
    let mut instance_ids = Vec::new();
    for _ in 0..count {
        let bought = engine
            .purchase(&mut tx, monthly_basic_queue(&account_id))
            .await
            .unwrap();
        instance_ids.push(bought.instance.instance.id.clone());
    }
    tx.commit().await.unwrap();
    (account_id, instance_ids)
}

/// An account (Ada's details) with `deposit_minor` deposited, which bought a monthly basic
/// queue renewed automatically, monthly, from its balance: the account's and instance's ids.
pub async fn account_with_auto_renewing_queue(
    engine: &Engine,
    deposit_minor: i64,
) -> (String, String) {
    let mut tx = engine.begin().await.unwrap();
    let account_id = ada_with_deposit(engine, &mut tx, deposit_minor).await;
    let bought = engine
        .purchase(&mut tx, auto_renewing_monthly_queue(&account_id))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (account_id, bought.instance.instance.id.clone())
}

/// The databases every such test runs on.
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn postgres_admin_url() -> String {
    std::env::var("TENURE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// Keeps a SQLite file's folder alive, or drops the PostgreSQL database at the end of a test.
pub enum Cleanup {
    Folder(#[allow(dead_code)] tempfile::TempDir),
    PostgresDatabase(String),
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::PostgresDatabase(name) = self {
            let name = name.clone();
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

/// A fresh, migrated database.
pub async fn fresh_store(backend: Backend) -> (Store, Cleanup) {
    let (url, cleanup) = fresh_database(backend).await;
    (Store::connect(&url).await.unwrap(), cleanup)
}

/// The URL of a fresh, empty database (no tables yet), and what removes it at the end.
pub async fn fresh_database(backend: Backend) -> (String, Cleanup) {
    match backend {
        Backend::Sqlite => {
            let (folder, url) = scratch_sqlite();
            (url, Cleanup::Folder(folder))
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url();
            let name = format!("tenure_engine_test_{:016x}", rand::random::<u64>());
            let mut connection = sqlx::PgConnection::connect(&admin_url)
                .await
                .expect("PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth)");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut connection)
                .await
                .unwrap();
            let base = admin_url.rsplit_once('/').unwrap().0;
            (format!("{base}/{name}"), Cleanup::PostgresDatabase(name))
        }
    }
}

/// `mod NAME { sqlite, postgres }`: the async `scenario(Backend)` as one test per database.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$scenario(super::support::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$scenario(super::support::Backend::Postgres).await
            }
        }
    };
}

/// Columns a later migration adds that this tenure reads and writes in every use case. A test
/// that has this tenure write into a database at an older version adds them (and
/// [`LATER_TABLES`]) while it writes ([`columns_of_later_versions`] `true`) and drops them
/// before the upgrade (`false`), so the database is then as the older tenure left it.
const LATER_COLUMNS: &[(&str, &str, &str)] = &[
    // Who each event was done for (version 19).
    ("events", "actor", "TEXT"),
    // Every purchase writes a notice now (its invoice's email), naming its event (version 3).
    ("notifications", "event_seq", "BIGINT"),
    ("instances", "activates_at", "BIGINT"),
    ("instances", "release_warned_for_expiry", "BIGINT"),
    ("instances", "domain_statuses", "TEXT"),
    ("notifications", "status_reason", "TEXT"),
    ("notifications", "invoice_id", "TEXT"),
    ("accounts", "frozen_reason", "TEXT"),
    ("accounts", "frozen_at", "BIGINT"),
    // When a generated bill's month is invoiced, and by which invoice.
    ("bills", "invoice_at", "BIGINT"),
    ("bills", "invoice_id", "TEXT"),
    // An instance's name and tags, read and written with its row (version 17).
    ("instances", "name", "TEXT"),
    ("instances", "tags", "TEXT"),
    ("instances", "name_folded", "TEXT"),
];

/// Tables a later migration adds that use cases read or write, as far as they do (the webhook
/// endpoints events are sent to: none here; the simulated clock's time; invoices).
const LATER_TABLES: &[(&str, &str)] = &[
    (
        "webhook_endpoints",
        "(id TEXT, url TEXT, events TEXT, deleted_at BIGINT, disabled_at BIGINT)",
    ),
    // Where a simulated clock's advance keeps its time.
    (
        "simulated_clock",
        "(id BIGINT PRIMARY KEY, now BIGINT NOT NULL)",
    ),
    // The buyer an order's invoice names (none here), the invoice and its number.
    (
        "billing_profiles",
        "(account_id TEXT, legal_name TEXT, address_line1 TEXT, address_line2 TEXT, \
          address_line3 TEXT, city TEXT, postal_code TEXT, country TEXT, tax_id TEXT, \
          invoice_email TEXT, created_at BIGINT, updated_at BIGINT)",
    ),
    // What the operator's overview sums: revenue per account and day, kept with the ledger.
    (
        "revenue_days",
        "(day BIGINT, account_id TEXT, earned_minor BIGINT, refunded_minor BIGINT, \
          PRIMARY KEY (day, account_id))",
    ),
    (
        "invoice_series",
        "(series TEXT PRIMARY KEY, last_sequence BIGINT NOT NULL)",
    ),
    (
        "invoices",
        "(id TEXT, number TEXT, series TEXT, sequence BIGINT, kind TEXT, account_id TEXT, \
          order_id TEXT, refund_id TEXT, corrects_id TEXT, issued_at BIGINT, currency TEXT, \
          gross_minor BIGINT, document TEXT)",
    ),
    // A purchase's tags, one row each (none here).
    ("instance_tags", "(tag TEXT, instance_id TEXT)"),
];

pub async fn columns_of_later_versions(store: &Store, present: bool) {
    let mut tx = store.begin().await.unwrap();
    for (table, column, kind) in LATER_COLUMNS {
        let change = if present {
            format!("ALTER TABLE {table} ADD COLUMN {column} {kind}")
        } else {
            format!("ALTER TABLE {table} DROP COLUMN {column}")
        };
        tenure_store::database::query(&change)
            .execute(&mut tx)
            .await
            .unwrap();
    }
    for (table, columns) in LATER_TABLES {
        let change = if present {
            format!("CREATE TABLE {table} {columns}")
        } else {
            format!("DROP TABLE {table}")
        };
        tenure_store::database::query(&change)
            .execute(&mut tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}
