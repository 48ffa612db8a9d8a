//! The database's own limit for the writes tenure makes, measured without tenure's code: a
//! bare loop of INSERT + COMMIT, one row per commit, and 1,000 rows per commit written by one
//! multi-row statement (the best a batch does: one statement, one round trip).
//!
//! - SQLite: a plain rusqlite connection, WAL and `synchronous = FULL`, as tenure runs it.
//! - PostgreSQL: plain connections (sqlx's, no pool), one row per transaction from 1, 8 and 64
//!   connections at once, as `pgbench` measures it: PostgreSQL shares one flush of its log
//!   among commits that arrive together, so its rate grows with the connections. Where
//!   `pgbench` is installed it is run too, on the same table, and the better of the two is the
//!   ceiling.

use std::time::{Duration, Instant};

use sqlx::Connection as _;

use super::{progress, rate, scratch_database, BenchOptions, Spread};

/// Rows in each row of the bare table: what an order's rows weigh, roughly.
const PAYLOAD_BYTES: usize = 200;
/// Concurrent connections measured on PostgreSQL (one writer on SQLite: one connection).
const POSTGRES_CONNECTIONS: [usize; 3] = [1, 8, 64];
/// How long each concurrent PostgreSQL level runs.
const POSTGRES_SECONDS: u64 = 3;

/// The database's own rates in this run, which tenure's are shown as multiples of.
#[derive(Debug, Clone)]
pub struct Ceiling {
    /// Rows per second with one row per commit, by concurrent connections: what committing
    /// each request alone allows.
    pub one_row_per_commit: Vec<(usize, f64)>,
    /// Rows per second with 1,000 rows per commit: what batched writes allow.
    pub thousand_rows_per_commit: f64,
}

impl Ceiling {
    /// `rate` as a multiple of `ceiling`, as shown in the tables: `4.1×`.
    pub fn multiple(rate: f64, ceiling: f64) -> String {
        format!("{:.2}×", rate / ceiling)
    }

    /// The one-row-per-commit rate measured with the most connections not above `clients`
    /// (SQLite: its one connection).
    pub fn one_row_per_commit_for(&self, clients: usize) -> (usize, f64) {
        self.one_row_per_commit
            .iter()
            .rev()
            .find(|(connections, _)| *connections <= clients)
            .or(self.one_row_per_commit.first())
            .copied()
            .unwrap_or((1, f64::NAN))
    }
}

/// The measured runs [`run`] makes.
pub fn runs(options: &BenchOptions) -> u64 {
    let levels = connection_levels(options).len() as u64 + 1;
    let pgbench = options.db != "sqlite"
        && std::process::Command::new("pgbench")
            .arg("--version")
            .output()
            .is_ok();
    levels * options.runs + if pgbench { levels } else { 0 }
}

/// The connections the one-row-per-commit rate is measured at.
fn connection_levels(options: &BenchOptions) -> Vec<usize> {
    if options.db == "sqlite" {
        vec![1]
    } else {
        POSTGRES_CONNECTIONS.to_vec()
    }
}

pub async fn run(options: &BenchOptions) -> anyhow::Result<Ceiling> {
    println!("## Ceiling: the database alone\n");
    println!(
        "A bare loop without tenure's code: {}.\n",
        if options.db == "sqlite" {
            "rusqlite, WAL, synchronous=FULL"
        } else {
            "plain PostgreSQL connections, each inserting one row per transaction, as pgbench does"
        }
    );
    println!("| writes | connections | rows/s |");
    println!("|---|---|---|");
    let mut one_row_per_commit = Vec::new();
    for connections in connection_levels(options) {
        let mut rates = Spread::default();
        for run in 1..=options.runs {
            progress::measuring(format!(
                "ceiling: 1 row per commit, {connections} connection{}, run {run} of {}",
                if connections == 1 { "" } else { "s" },
                options.runs
            ));
            rates.add(measure_scratch(options, 1, connections).await?);
            progress::measured();
        }
        let mut best = rates.median();
        let mut shown = rates.show(0);
        if let Some(pgbench) = pgbench_rate(options, 1, connections).await? {
            shown = format!("{shown}; pgbench {pgbench:.0}");
            best = best.max(pgbench);
        }
        println!("| 1 row per commit | {connections} | {shown} |");
        one_row_per_commit.push((connections, best));
    }
    let mut rates = Spread::default();
    for run in 1..=options.runs {
        progress::measuring(format!(
            "ceiling: 1,000 rows per commit, run {run} of {}",
            options.runs
        ));
        rates.add(measure_scratch(options, 1000, 1).await?);
        progress::measured();
    }
    let mut best = rates.median();
    let mut shown = rates.show(0);
    if let Some(pgbench) = pgbench_rate(options, 1000, 1).await? {
        shown = format!("{shown}; pgbench {pgbench:.0}");
        best = best.max(pgbench);
    }
    println!("| 1,000 rows per commit, one statement | 1 | {shown} |");
    println!();
    if options.db != "sqlite" {
        println!("Each ratio below is to the better of the two where `pgbench` ran.\n");
    }
    Ok(Ceiling {
        one_row_per_commit,
        thousand_rows_per_commit: best,
    })
}

/// `pgbench`'s rows per second on a fresh PostgreSQL database, `rows_per_commit` a
/// transaction (one `INSERT`, of one row or of 1,000 by `generate_series`), from
/// `connections` clients for [`POSTGRES_SECONDS`]; none on SQLite or where `pgbench` is not
/// installed.
async fn pgbench_rate(
    options: &BenchOptions,
    rows_per_commit: usize,
    connections: usize,
) -> anyhow::Result<Option<f64>> {
    if options.db == "sqlite" {
        return Ok(None);
    }
    let scratch = scratch_database(options).await?;
    let mut setup = sqlx::PgConnection::connect(&scratch.url).await?;
    sqlx::query("CREATE TABLE bench_raw (id BIGINT, payload TEXT)")
        .execute(&mut setup)
        .await?;
    setup.close().await?;
    let script = tempfile::NamedTempFile::new()?;
    let statement = if rows_per_commit == 1 {
        format!("INSERT INTO bench_raw (id, payload) VALUES (:client_id, repeat('x', {PAYLOAD_BYTES}));\n")
    } else {
        format!(
            "INSERT INTO bench_raw (id, payload) SELECT g, repeat('x', {PAYLOAD_BYTES}) FROM generate_series(1, {rows_per_commit}) g;\n"
        )
    };
    std::fs::write(script.path(), statement)?;
    progress::measuring(format!(
        "ceiling: pgbench, {rows_per_commit} row(s) per commit, {connections} connection(s)"
    ));
    let script_path = script.path().to_path_buf();
    let url = scratch.url.clone();
    let ran = tokio::task::spawn_blocking(move || {
        std::process::Command::new("pgbench")
            .args(["-n", "-M", "prepared", "-j", "2"])
            .args(["-c", &connections.to_string()])
            .args(["-T", &POSTGRES_SECONDS.to_string()])
            .arg("-f")
            .arg(script_path)
            .arg(url)
            .output()
    })
    .await?;
    progress::measured();
    scratch.remove().await?;
    let output = match ran {
        Ok(output) if output.status.success() => output,
        // Not installed: the bare loop above is the ceiling.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Ok(output) => anyhow::bail!(
            "pgbench failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => return Err(error.into()),
    };
    let transactions_per_second = String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| {
            line.strip_prefix("tps = ")?
                .split_whitespace()
                .next()?
                .parse::<f64>()
                .ok()
        })
        .ok_or_else(|| anyhow::anyhow!("pgbench printed no `tps = …` line"))?;
    Ok(Some(transactions_per_second * rows_per_commit as f64))
}

/// Rows per second on a fresh database, `rows_per_commit` a commit, from `connections`.
async fn measure_scratch(
    options: &BenchOptions,
    rows_per_commit: usize,
    connections: usize,
) -> anyhow::Result<f64> {
    let scratch = scratch_database(options).await?;
    let measured = if options.db == "sqlite" {
        let path = scratch
            .url
            .strip_prefix("sqlite://")
            .unwrap_or(&scratch.url)
            .to_string();
        tokio::task::spawn_blocking(move || sqlite_rate(&path, rows_per_commit)).await?
    } else {
        postgres_rate(&scratch.url, rows_per_commit, connections).await
    };
    scratch.remove().await?;
    measured
}

/// One connection, as tenure opens SQLite: WAL, every commit fsynced.
fn sqlite_rate(path: &str, rows_per_commit: usize) -> anyhow::Result<f64> {
    let connection = rusqlite::Connection::open(path)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.execute(
        "CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, payload TEXT)",
        [],
    )?;
    let payload = "x".repeat(PAYLOAD_BYTES);
    let commits = if rows_per_commit == 1 { 1000 } else { 50 };
    // One statement of `rows_per_commit` rows per commit.
    let values = vec!["(?, ?)"; rows_per_commit].join(", ");
    let mut insert = connection.prepare(&format!(
        "INSERT INTO bench_raw (id, payload) VALUES {values}"
    ))?;
    let started = Instant::now();
    let mut next_id: i64 = 0;
    for _ in 0..commits {
        connection.execute_batch("BEGIN")?;
        let mut binds: Vec<rusqlite::types::Value> = Vec::with_capacity(2 * rows_per_commit);
        for _ in 0..rows_per_commit {
            next_id += 1;
            binds.push(next_id.into());
            binds.push(payload.clone().into());
        }
        insert.execute(rusqlite::params_from_iter(binds))?;
        connection.execute_batch("COMMIT")?;
    }
    Ok(rate((rows_per_commit * commits) as u64, started.elapsed()))
}

/// `connections` plain connections inserting at once for [`POSTGRES_SECONDS`] (one row per
/// commit), or one connection committing 1,000 rows at a time 50 times.
async fn postgres_rate(
    url: &str,
    rows_per_commit: usize,
    connections: usize,
) -> anyhow::Result<f64> {
    let mut setup = sqlx::PgConnection::connect(url).await?;
    sqlx::query("CREATE TABLE bench_raw (id BIGINT, payload TEXT)")
        .execute(&mut setup)
        .await?;
    setup.close().await?;
    let payload = "x".repeat(PAYLOAD_BYTES);
    if rows_per_commit > 1 {
        let mut connection = sqlx::PgConnection::connect(url).await?;
        let started = Instant::now();
        for commit in 0..50_i64 {
            // One statement of all the rows, sent as two arrays.
            let ids: Vec<i64> = (0..rows_per_commit as i64)
                .map(|row| commit * 1000 + row)
                .collect();
            let payloads = vec![payload.as_str(); rows_per_commit];
            let mut tx = connection.begin().await?;
            sqlx::query(
                "INSERT INTO bench_raw (id, payload) SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[])",
            )
            .bind(&ids)
            .bind(&payloads)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        return Ok(rate(50 * rows_per_commit as u64, started.elapsed()));
    }
    let deadline = Instant::now() + Duration::from_secs(POSTGRES_SECONDS);
    let started = Instant::now();
    let mut clients = Vec::new();
    for client in 0..connections as i64 {
        let url = url.to_string();
        let payload = payload.clone();
        clients.push(tokio::spawn(async move {
            let mut connection = sqlx::PgConnection::connect(&url).await?;
            let mut rows: u64 = 0;
            while Instant::now() < deadline {
                sqlx::query("INSERT INTO bench_raw (id, payload) VALUES ($1, $2)")
                    .bind(client * 1_000_000_000 + rows as i64)
                    .bind(&payload)
                    .execute(&mut connection)
                    .await?;
                rows += 1;
            }
            connection.close().await?;
            anyhow::Ok(rows)
        }));
    }
    let mut rows = 0;
    for client in clients {
        rows += client.await??;
    }
    Ok(rate(rows, started.elapsed()))
}
