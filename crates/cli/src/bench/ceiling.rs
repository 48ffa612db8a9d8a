//! The database's own limit for the writes tenure makes: a bare loop of INSERT + COMMIT with the
//! same connection settings tenure uses, one row per commit and 1,000 rows per commit.

use std::time::Instant;

use tenure_store::database::query;
use tenure_store::Store;

use super::{rate, scratch_database, BenchOptions, Spread};

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

/// The database's own rates in this run, which tenure's are shown as multiples of.
#[derive(Debug, Clone, Copy)]
pub struct Ceiling {
    /// Rows per second with one row per commit: what committing each request alone allows.
    pub one_row_per_commit: f64,
    /// Rows per second with 1,000 rows per commit: what batched writes allow.
    pub thousand_rows_per_commit: f64,
}

impl Ceiling {
    /// `rate` as a multiple of `ceiling`, as shown in the tables: `4.1×`.
    pub fn multiple(rate: f64, ceiling: f64) -> String {
        format!("{:.2}×", rate / ceiling)
    }
}

pub async fn run(options: &BenchOptions) -> anyhow::Result<Ceiling> {
    println!("## Ceiling: the database alone\n");
    println!("| writes | rows/s |");
    println!("|---|---|");
    let mut measured = Vec::new();
    for (label, rows_per_commit, commits) in [
        ("1 row per commit", 1, 1000),
        ("1,000 rows per commit", 1000, 50),
    ] {
        let mut rates = Spread::default();
        for _ in 0..options.runs {
            let scratch = scratch_database(options).await?;
            let store = Store::connect(&scratch.url).await?;
            rates.add(measure(&store, rows_per_commit, commits).await?);
            store.close().await;
            scratch.remove().await?;
        }
        println!("| {label} | {} |", rates.show(0));
        measured.push(rates.median());
    }
    println!();
    Ok(Ceiling {
        one_row_per_commit: measured[0],
        thousand_rows_per_commit: measured[1],
    })
}
