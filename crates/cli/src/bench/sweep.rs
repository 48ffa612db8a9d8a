//! The lifecycle sweep over a fleet: nothing due (must not grow with the fleet), one day, thirty days.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use tenure_core::catalog::default_catalog;
use tenure_engine::{Clock, Engine, Ids};
use tenure_store::events::{self, LogFilter};
use tenure_store::Store;

use super::ceiling::Ceiling;
use super::fleet::{load, FleetShape};
use super::statements::Breakdown;
use super::{median, progress, rate, scratch_database, BenchOptions, Spread};

/// How a swept fleet renews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Renewal {
    /// Every instance by hand: the steps are reminders, expiries and releases.
    Manual,
    /// Half of the instances automatically, from money in their accounts: deductions besides.
    HalfAuto,
}

impl Renewal {
    fn shape(self, fleet: usize) -> FleetShape {
        match self {
            Renewal::Manual => FleetShape::manual_renewal(fleet),
            Renewal::HalfAuto => FleetShape::half_auto_renewing(fleet),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Renewal::Manual => "manual",
            Renewal::HalfAuto => "half auto",
        }
    }
}

/// The measured runs [`run`] makes.
pub fn runs(options: &BenchOptions) -> u64 {
    (options.fleet.len() * options.renewal.len()) as u64 * options.runs
}

pub async fn run(options: &BenchOptions, ceiling: Option<&Ceiling>) -> anyhow::Result<()> {
    println!("## Lifecycle sweep\n");
    println!("Fleet: subscriptions of the four default products, expiries spread evenly over a year, a hundred to an account;");
    println!("renewed by hand (`manual`), or half of them automatically each month from money in the account (`half auto`).");
    println!("A day's steps are the reminders, auto-renewal deductions and expiries that fall in it; thirty days add releases.");
    println!("Renewals are the steps that were deductions (an order, a ledger entry, the account's totals).");
    println!(
        "Each fleet loaded and swept {} times: medians, with the range in brackets.\n",
        options.runs
    );
    println!("| fleet | renewal | load (s) | sweep with nothing due (median of 50 a run) | one day: steps (renewals), s, steps/s | thirty days: steps (renewals), s, steps/s | thirty days ÷ 1,000-rows ceiling |");
    println!("|---|---|---|---|---|---|---|");
    let mut breakdowns = Vec::new();
    for &fleet in &options.fleet {
        for &renewal in &options.renewal {
            let breakdown = sweep_fleet(options, ceiling, fleet, renewal).await?;
            breakdowns.push((fleet, renewal, breakdown));
        }
    }
    println!();
    for (fleet, renewal, breakdown) in breakdowns {
        breakdown.print(&format!(
            "Statements of the thirty days, fleet of {fleet}, {} renewal ({} runs)",
            renewal.label(),
            options.runs
        ));
    }
    Ok(())
}

/// One row of the table: `fleet` instances renewing as `renewal`, loaded and swept `runs` times;
/// the statements of its thirty days' sweeps, if timed.
async fn sweep_fleet(
    options: &BenchOptions,
    ceiling: Option<&Ceiling>,
    fleet: usize,
    renewal: Renewal,
) -> anyhow::Result<Breakdown> {
    let mut breakdown = Breakdown::new(options);
    let mut load_seconds = Spread::default();
    let mut idle_milliseconds = Spread::default();
    let (mut day_seconds, mut day_rate) = (Spread::default(), Spread::default());
    let (mut month_seconds, mut month_rate) = (Spread::default(), Spread::default());
    let (mut day, mut month) = (Swept::default(), Swept::default());
    for number in 1..=options.runs {
        progress::measuring(format!(
            "sweep: fleet of {fleet}, {} renewal, run {number} of {}",
            renewal.label(),
            options.runs
        ));
        let run = sweep_once(options, renewal.shape(fleet), &mut breakdown).await?;
        progress::measured();
        load_seconds.add(run.load.as_secs_f64());
        idle_milliseconds.add(run.idle.as_secs_f64() * 1000.0);
        day = run.day;
        day_seconds.add(day.elapsed.as_secs_f64());
        day_rate.add(rate(day.steps, day.elapsed));
        month = run.month;
        month_seconds.add(month.elapsed.as_secs_f64());
        month_rate.add(rate(month.steps, month.elapsed));
    }
    let multiple = ceiling.map_or("—".to_string(), |ceiling| {
        Ceiling::multiple(month_rate.median(), ceiling.thousand_rows_per_commit)
    });
    println!(
        "| {fleet} | {} | {} | {} ms | {} ({}), {}, {} | {} ({}), {}, {} | {multiple} |",
        renewal.label(),
        load_seconds.show(1),
        idle_milliseconds.show(3),
        day.steps,
        day.renewals,
        day_seconds.show(2),
        day_rate.show(0),
        month.steps,
        month.renewals,
        month_seconds.show(2),
        month_rate.show(0)
    );
    Ok(breakdown)
}

/// One run over a fleet: how long the load took, the median sweep with nothing due, and the
/// steps and time of one day and of the thirty days after it.
struct SweepRun {
    load: Duration,
    idle: Duration,
    day: Swept,
    month: Swept,
}

/// One timed sweep: the steps it took, how many of them were auto-renewals, and its time.
#[derive(Debug, Default, Clone, Copy)]
struct Swept {
    steps: u64,
    renewals: u64,
    elapsed: Duration,
}

async fn sweep_once(
    options: &BenchOptions,
    shape: FleetShape,
    breakdown: &mut Breakdown,
) -> anyhow::Result<SweepRun> {
    let start: Timestamp = "2026-01-01T00:00:00Z".parse()?;
    let scratch = scratch_database(options).await?;
    let store = Store::connect(&scratch.url).await?;
    let catalog = default_catalog();
    progress::phase("loading the fleet");
    let loading = Instant::now();
    load(&store, &catalog, &shape, start).await?;
    let load_time = loading.elapsed();
    progress::phase("sweeping");
    let engines = engines(options, store, catalog, start, &scratch.url).await?;
    let engine = &engines[0];
    // Reminders of instances expiring within a week are already due: take them first.
    engine.run_due(start).await?;
    let mut idle = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        let report = engine.run_due(start).await?;
        assert_eq!(report.steps_taken, 0);
        idle.push(started.elapsed());
    }
    let day = timed(&engines, start + SignedDuration::from_hours(24), None).await?;
    let month = timed(
        &engines,
        start + SignedDuration::from_hours(31 * 24),
        Some(breakdown),
    )
    .await?;
    for engine in &engines {
        engine.store.close().await;
    }
    scratch.remove().await?;
    Ok(SweepRun {
        load: load_time,
        idle: median(idle),
        day,
        month,
    })
}

/// The engines that sweep, one per node: on one node, the engine of the store that loaded the
/// fleet; on several, that store closed and each node's engine on a store of its own, with its
/// share of the server's connections.
async fn engines(
    options: &BenchOptions,
    loaded: Store,
    catalog: tenure_core::catalog::Catalog,
    start: Timestamp,
    url: &str,
) -> anyhow::Result<Vec<Engine>> {
    let engine = |store: Store| {
        Engine::new(
            store,
            catalog.clone(),
            Clock::simulated(start),
            Ids::random(),
        )
    };
    if options.node_count() == 1 {
        return Ok(vec![engine(loaded)]);
    }
    loaded.close().await;
    let mut engines = Vec::new();
    for _ in 0..options.node_count() {
        let store = Store::connect_for_serving(url, options.connections_per_node()).await?;
        engines.push(engine(store));
    }
    Ok(engines)
}

/// The steps due until `until`, taken by every engine at once (on one node, one engine), and
/// how long they took. SQLite's log is copied into the
/// database file first (waiting for the log copier to finish the last sweep's copy) and
/// started again, so that each measurement copies only its own writes into the database file,
/// not its predecessor's. The renewals are counted afterwards, untimed, from the event log. The
/// sweep's statements go to `breakdown` when given.
async fn timed(
    engines: &[Engine],
    until: Timestamp,
    mut breakdown: Option<&mut Breakdown>,
) -> anyhow::Result<Swept> {
    let store = &engines[0].store;
    let renewed_before = renewals(store).await?;
    store.checkpoint().await?;
    if let Some(breakdown) = &breakdown {
        breakdown.begin();
    }
    let started = Instant::now();
    let reports =
        futures_util::future::try_join_all(engines.iter().map(|engine| engine.run_due(until)))
            .await?;
    let elapsed = started.elapsed();
    if let Some(breakdown) = &mut breakdown {
        breakdown.add_timed();
    }
    Ok(Swept {
        steps: reports.iter().map(|report| report.steps_taken).sum(),
        renewals: renewals(store).await? - renewed_before,
        elapsed,
    })
}

/// Instances renewed so far (`instance.renewed` events; the fleet is loaded without any).
async fn renewals(store: &Store) -> anyhow::Result<u64> {
    let mut connection = store.read().await?;
    let (mut count, mut after_seq) = (0, 0);
    loop {
        let page = events::list(
            &mut connection,
            &LogFilter {
                account_id: None,
                instance_id: None,
                kind: Some("instance.renewed".to_string()),
                after_seq,
                limit: 10_000,
                newest_first: false,
            },
        )
        .await?;
        let Some(last) = page.last() else {
            return Ok(count);
        };
        after_seq = last.seq;
        count += page.len() as u64;
    }
}
