//! `tenure bench`: how fast tenure does its work, measured beside the database's own limit in
//! the same run. Prints Markdown tables (the source of BENCHMARKS.md).
//!
//! - `ceiling`: a bare INSERT + COMMIT loop on the same database, same durability settings;
//!   when it runs, the others show their rates as multiples of it too.
//! - `sweep`: a fleet of subscriptions; the cost of a sweep with nothing due, and the rate of
//!   lifecycle steps over one day and over thirty days.
//! - `orders`: purchases through the HTTP API on loopback with 1, 8 and 64 concurrent clients.
//! - `simulation`: a year of a fleet with auto-renewal, failures and deposits on the simulated clock.
//! - `operator`: the operator's overview and 30-day fleet forecast on 100,000 subscriptions.
//!
//! At a terminal, stderr shows a progress bar (`progress.rs`), a step per measured run.

/// `println!` with the progress bar lifted off the terminal while it prints, so that tables
/// printed to the same terminal are not drawn over. (Defined before the modules below, so it is
/// the `println!` they use.)
macro_rules! println {
    ($($argument:tt)*) => {
        $crate::bench::progress::suspend(|| std::println!($($argument)*))
    };
}

mod busy;
mod ceiling;
mod fleet;
mod history;
mod loopback;
mod operator;
mod orders;
mod progress;
mod simulation;
mod statements;
mod sweep;

use std::time::Duration;

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct BenchOptions {
    /// Which measurements: ceiling, sweep, orders, busy (orders while a sweep runs),
    /// simulation, operator (the overview and the fleet forecast), history (an account's
    /// requests as its orders grow) (comma separated).
    #[arg(
        long,
        default_value = "ceiling,sweep,orders,busy,simulation,operator,history",
        value_delimiter = ','
    )]
    pub only: Vec<String>,
    /// `sqlite` (a fresh file per measurement) or a `postgres://…/DATABASE` URL of a server where
    /// fresh databases may be created.
    #[arg(long, default_value = "sqlite")]
    pub db: String,
    /// Fleet sizes for the sweep.
    #[arg(long, default_value = "10000,100000,1000000", value_delimiter = ',')]
    pub fleet: Vec<usize>,
    /// How the swept fleets renew: `manual` (reminders, expiries, releases) and `half-auto`
    /// (half of them renewing automatically, with money: deductions besides).
    #[arg(long, default_value = "manual,half-auto", value_delimiter = ',')]
    pub renewal: Vec<sweep::Renewal>,
    /// Instances of the fleet swept while orders run (`busy`).
    #[arg(long, default_value_t = 100_000)]
    pub busy_fleet: usize,
    /// Subscriptions in the simulated year.
    #[arg(long, default_value_t = 100_000)]
    pub simulation_fleet: usize,
    /// Subscriptions of the fleet the operator's overview and forecast read (a hundred to an
    /// account).
    #[arg(long, default_value_t = 100_000)]
    pub operator_fleet: usize,
    /// Seconds each client level of the orders benchmark runs.
    #[arg(long, default_value_t = 5)]
    pub orders_seconds: u64,
    /// Repetitions of each timed measurement (the ceiling, each fleet's sweep, each level of
    /// orders, the simulated year; `busy` runs once): medians are reported, with the range.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: u64,
    /// Under the sweep's and the orders' tables, the SQLite statements their timed parts ran
    /// and each one's share of the time (the thirty days' sweep of each fleet, each level of
    /// orders). Timing costs a little; leave it off for the rates.
    #[arg(long)]
    pub statement_times: bool,
    /// Nodes sharing the database (PostgreSQL only): the sweep is taken by this many engines at
    /// once and the orders are spread over this many servers, each with a connection pool and
    /// group committer of its own, as separate `tenure serve` processes have.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=8))]
    pub nodes: u64,
}

impl BenchOptions {
    /// The nodes asked for, as a count.
    pub fn node_count(&self) -> usize {
        self.nodes as usize
    }

    /// Connections each node opens at most: together within the 100 a PostgreSQL server
    /// allows by default, with room for the ceiling's and the benchmark's own.
    pub fn connections_per_node(&self) -> u32 {
        (80 / self.nodes as u32).min(tenure_store::DEFAULT_MAX_CONNECTIONS)
    }
}

pub async fn run(options: BenchOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        options.nodes == 1 || options.db != "sqlite",
        "several nodes share a PostgreSQL database: give --db postgres://…"
    );
    println!("# tenure bench\n");
    println!(
        "- database: {}",
        if options.db == "sqlite" {
            "SQLite (WAL, synchronous=FULL: every commit fsynced before it returns)"
        } else {
            "PostgreSQL"
        }
    );
    println!(
        "- machine: {} cores, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        machine_name()
    );
    if options.nodes > 1 {
        println!(
            "- nodes: {} (engines and servers in one process, each with its own pool of {} connections and its own committers)",
            options.nodes,
            options.connections_per_node()
        );
    }
    println!(
        "- command: `tenure bench --db {} --only {}{}`\n",
        if options.db == "sqlite" {
            "sqlite"
        } else {
            "postgres://…"
        },
        options.only.join(","),
        if options.nodes > 1 {
            format!(" --nodes {}", options.nodes)
        } else {
            String::new()
        }
    );
    let wants = |name: &str| options.only.iter().any(|only| only == name);
    let runs: u64 = [
        ("ceiling", ceiling::runs(&options)),
        ("sweep", sweep::runs(&options)),
        ("orders", orders::runs(&options)),
        ("busy", 1),
        ("simulation", simulation::runs(&options)),
        ("operator", operator::runs(&options)),
        ("history", history::runs(&options)),
    ]
    .into_iter()
    .filter(|(name, _)| wants(name))
    .map(|(_, runs)| runs)
    .sum();
    progress::start(runs);
    statements::start(&options);
    // Measured first, so that the others can be shown as multiples of it.
    let ceiling = match wants("ceiling") {
        true => Some(ceiling::run(&options).await?),
        false => None,
    };
    if wants("sweep") {
        sweep::run(&options, ceiling.as_ref()).await?;
    }
    if wants("orders") {
        orders::run(&options, ceiling.as_ref()).await?;
    }
    if wants("busy") {
        busy::run(&options).await?;
    }
    if wants("simulation") {
        simulation::run(&options, ceiling.as_ref()).await?;
    }
    if wants("operator") {
        operator::run(&options).await?;
    }
    if wants("history") {
        history::run(&options).await?;
    }
    progress::finish();
    Ok(())
}

fn machine_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .map(|line| line.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

/// A fresh database for one measurement, removed afterwards where possible.
pub struct Scratch {
    pub url: String,
    _folder: Option<tempfile::TempDir>,
    /// A PostgreSQL scratch database: the server's URL to drop it from, and its name.
    postgres: Option<(String, String)>,
}

impl Scratch {
    /// Removes the database: a PostgreSQL one is dropped (its connections closed by force), a
    /// SQLite one goes with its folder.
    pub async fn remove(self) -> anyhow::Result<()> {
        use sqlx::Connection;
        if let Some((server_url, name)) = &self.postgres {
            let mut connection = sqlx::PgConnection::connect(server_url).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut connection)
                .await?;
        }
        Ok(())
    }
}

pub async fn scratch_database(options: &BenchOptions) -> anyhow::Result<Scratch> {
    if options.db == "sqlite" {
        let folder =
            tempfile::tempdir_in(std::env::var("TENURE_BENCH_DIR").unwrap_or_else(|_| ".".into()))?;
        let url = format!("sqlite://{}", folder.path().join("bench.db").display());
        return Ok(Scratch {
            url,
            _folder: Some(folder),
            postgres: None,
        });
    }
    use sqlx::Connection;
    let name = format!("tenure_bench_{:08x}", rand::random::<u32>());
    let mut connection = sqlx::PgConnection::connect(&options.db).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await?;
    let base = options
        .db
        .rsplit_once('/')
        .map(|(base, _)| base)
        .unwrap_or(&options.db);
    Ok(Scratch {
        url: format!("{base}/{name}"),
        _folder: None,
        postgres: Some((options.db.clone(), name)),
    })
}

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index]
}

pub fn rate(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// Values of one measurement over several runs, shown as their median and range: on a shared
/// machine one run says little.
#[derive(Debug, Default)]
pub struct Spread(Vec<f64>);

impl Spread {
    pub fn add(&mut self, value: f64) {
        self.0.push(value);
    }

    /// The middle value; of an even count, the mean of the two middle ones.
    pub fn median(&self) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        match sorted.len() {
            0 => 0.0,
            count if count % 2 == 0 => (sorted[middle - 1] + sorted[middle]) / 2.0,
            _ => sorted[middle],
        }
    }

    /// `median (lowest–highest)`, each with `decimals` decimals; the median alone for one run.
    pub fn show(&self, decimals: usize) -> String {
        let lowest = self.0.iter().copied().fold(f64::INFINITY, f64::min);
        let highest = self.0.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if self.0.len() < 2 {
            return format!("{:.decimals$}", self.median());
        }
        format!(
            "{:.decimals$} ({lowest:.decimals$}–{highest:.decimals$})",
            self.median()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Spread;

    fn spread(values: &[f64]) -> Spread {
        let mut spread = Spread::default();
        for value in values {
            spread.add(*value);
        }
        spread
    }

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_two_middle_ones() {
        assert_eq!(spread(&[]).median(), 0.0);
        assert_eq!(spread(&[7.0]).median(), 7.0);
        assert_eq!(spread(&[9.0, 1.0, 5.0]).median(), 5.0);
        assert_eq!(spread(&[4.0, 1.0, 9.0, 2.0]).median(), 3.0);
        assert_eq!(spread(&[4.0]).show(1), "4.0");
        assert_eq!(spread(&[4.0, 1.0, 9.0]).show(0), "4 (1–9)");
    }
}
