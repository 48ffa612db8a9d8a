//! The database's own limit for the writes tenure makes: a bare loop of INSERT + COMMIT with the
//! same connection settings tenure uses, one row per commit and 1,000 rows per commit.

use std::time::{Duration, Instant};

use tenure_store::database::query;
use tenure_store::Store;

use super::{median, rate, scratch_database, BenchOptions};

pub async fn measure(store: &Store, rows_per_commit: usize, commits: usize) -> anyhow::Result<f64> {
    let mut connection = store.read().await?;
    query("CREATE TABLE IF NOT EXISTS bench_raw (id BIGINT, payload TEXT)")
        .execute(&mut connection)
        .await?;
    let payload = "x".repeat(200);
    let started = Instant::now();
    let mut next_id: i64 = 0;
    for _ in 0..commits {
        let mut tx = store.begin().await?;
        for _ in 0..rows_per_commit {
            next_id += 1;
            query("INSERT INTO bench_raw (id, payload) VALUES ($1, $2)")
                .bind(next_id)
                .bind(&payload)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
    }
    Ok(rate((rows_per_commit * commits) as u64, started.elapsed()))
}

pub async fn run(options: &BenchOptions) -> anyhow::Result<()> {
    println!("## Ceiling: the database alone\n");
    println!("| writes | rows/s (median of {}) |", options.runs);
    println!("|---|---|");
    for (label, rows_per_commit, commits) in [
        ("1 row per commit", 1, 1000),
        ("1,000 rows per commit", 1000, 50),
    ] {
        let mut rates = Vec::new();
        for _ in 0..options.runs {
            let scratch = scratch_database(options).await?;
            let store = Store::connect(&scratch.url).await?;
            rates.push(measure(&store, rows_per_commit, commits).await?);
            store.close().await;
            scratch.remove().await?;
        }
        let durations: Vec<Duration> = rates
            .iter()
            .map(|rate| Duration::from_secs_f64(1.0 / rate))
            .collect();
        println!("| {label} | {:.0} |", 1.0 / median(durations).as_secs_f64());
    }
    println!();
    Ok(())
}
