//! Usage ingestion throughput against the raw insert rate of the same database, in one run.
//!
//! `cargo bench -p tenure-engine --bench usage` measures, on a fresh SQLite file (and on
//! PostgreSQL when `TENURE_BENCH_POSTGRES_URL` names a server database to create a scratch
//! database from):
//! - `engine`: `Engine::record_usage`, one transaction per batch, as `POST /v1/usage` runs it
//!   (validation, replay check, the cycle's bill opened and locked);
//! - `raw`: the same rows with a bare `INSERT INTO usage_records`, one transaction per batch.
//!
//! Each case runs several rounds; the median records per second is printed, with the ratio.

use std::time::Instant;

use jiff::Timestamp;
use sqlx::Connection;
use tenure_core::catalog::{default_catalog, Billing};
use tenure_core::payment::{PaymentMethod, PaymentSources};
use tenure_core::purchase::PurchaseRequest;
use tenure_core::usage::UsageRecord;
use tenure_engine::accounts::NewAccount;
use tenure_engine::instances::PurchaseCommand;
use tenure_engine::{Clock, Engine, Ids};
use tenure_store::Store;

const ROUNDS: usize = 5;
const INSTANCES: usize = 10;

struct Case {
    batch_size: usize,
    records_per_round: usize,
}

const CASES: &[Case] = &[
    Case {
        batch_size: 1,
        records_per_round: 500,
    },
    Case {
        batch_size: 100,
        records_per_round: 10_000,
    },
    Case {
        batch_size: 1000,
        records_per_round: 20_000,
    },
];

async fn setup(url: &str) -> (Engine, Vec<String>, String) {
    let store = Store::connect(url).await.expect("database");
    let start: Timestamp = "2026-05-04T12:00:00Z".parse().unwrap();
    let engine = Engine::new(
        store,
        default_catalog(),
        Clock::simulated(start),
        Ids::random(),
    );
    let mut tx = engine.begin().await.unwrap();
    let account = engine
        .create_account(
            &mut tx,
            NewAccount {
                name: "Bench".into(),
                email: "bench@example.com".into(),
                mobile: "+15550100".into(),
                currency: None,
                low_balance_threshold_minor: None,
            },
        )
        .await
        .unwrap();
    let account_id = account.account.account.id.clone();
    engine
        .deposit(&mut tx, &account_id, 1_000_000, PaymentMethod::BankCard)
        .await
        .unwrap();
    let mut instance_ids = Vec::new();
    for _ in 0..INSTANCES {
        let bought = engine
            .purchase(
                &mut tx,
                PurchaseCommand {
                    account_id: account_id.clone(),
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
                },
            )
            .await
            .unwrap();
        instance_ids.push(bought.instance.instance.id);
    }
    tx.commit().await.unwrap();
    (engine, instance_ids, account_id)
}

fn records(prefix: &str, count: usize, instance_ids: &[String], at: Timestamp) -> Vec<UsageRecord> {
    (0..count)
        .map(|index| UsageRecord {
            record_id: format!("{prefix}-{index}"),
            instance_id: instance_ids[index % instance_ids.len()].clone(),
            meter_id: "messages".into(),
            quantity: 1000,
            at,
        })
        .collect()
}

async fn engine_round(engine: &Engine, batch: Vec<UsageRecord>, batch_size: usize) -> f64 {
    let count = batch.len();
    let started = Instant::now();
    let mut rest = batch;
    while !rest.is_empty() {
        let tail = rest.split_off(batch_size.min(rest.len()));
        let mut tx = engine.begin().await.unwrap();
        engine.record_usage(&mut tx, rest).await.unwrap();
        tx.commit().await.unwrap();
        rest = tail;
    }
    count as f64 / started.elapsed().as_secs_f64()
}

async fn raw_round(
    engine: &Engine,
    batch: Vec<UsageRecord>,
    batch_size: usize,
    account_id: &str,
) -> f64 {
    let count = batch.len();
    let started = Instant::now();
    for chunk in batch.chunks(batch_size) {
        let mut tx = engine.begin().await.unwrap();
        for record in chunk {
            tenure_store::database::query(
                "INSERT INTO usage_records (record_id, account_id, instance_id, meter_id, quantity, at, cycle_start, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&record.record_id)
            .bind(account_id)
            .bind(&record.instance_id)
            .bind(&record.meter_id)
            .bind(record.quantity)
            .bind(record.at.as_second())
            .bind(record.at.as_second() / 3600 * 3600)
            .bind(record.at.as_second())
            .execute(&mut tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    count as f64 / started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

async fn bench(label: &str, url: &str) {
    let (engine, instance_ids, account_id) = setup(url).await;
    let at = engine.clock.now();
    for case in CASES {
        let mut engine_rates = Vec::new();
        let mut raw_rates = Vec::new();
        for round in 0..ROUNDS {
            let prefix = format!("b{}-r{round}", case.batch_size);
            let batch = records(
                &format!("{prefix}-engine"),
                case.records_per_round,
                &instance_ids,
                at,
            );
            engine_rates.push(engine_round(&engine, batch, case.batch_size).await);
            let batch = records(
                &format!("{prefix}-raw"),
                case.records_per_round,
                &instance_ids,
                at,
            );
            raw_rates.push(raw_round(&engine, batch, case.batch_size, &account_id).await);
        }
        let (engine_median, raw_median) = (median(engine_rates), median(raw_rates));
        println!(
            "{label:<10} batch {:>4}: engine {:>8.0} records/s, raw insert {:>8.0} records/s, engine/raw {:.2}",
            case.batch_size,
            engine_median,
            raw_median,
            engine_median / raw_median
        );
    }
    engine.store.close().await;
}

#[tokio::main]
async fn main() {
    let folder = std::env::temp_dir().join(format!("tenure-bench-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let sqlite_url = format!("sqlite://{}", folder.join("bench.db").display());
    bench("sqlite", &sqlite_url).await;
    let _ = std::fs::remove_dir_all(&folder);

    if let Ok(admin_url) = std::env::var("TENURE_BENCH_POSTGRES_URL") {
        let name = format!("tenure_bench_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let base = admin_url.rsplit_once('/').expect("URL has a database").0;
        bench("postgresql", &format!("{base}/{name}")).await;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}
