//! The lifecycle sweep over a fleet: nothing due (must not grow with the fleet), one day, thirty days.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use tenure_core::catalog::default_catalog;
use tenure_engine::{Clock, Engine, Ids};
use tenure_store::Store;

use super::ceiling::Ceiling;
use super::fleet::{load, FleetShape};
use super::{median, rate, scratch_database, BenchOptions, Spread};

pub async fn run(options: &BenchOptions, ceiling: Option<Ceiling>) -> anyhow::Result<()> {
    println!("## Lifecycle sweep\n");
    println!("Fleet: subscriptions of the four default products, expiries spread evenly over a year, manual renewal.");
    println!("A day's steps are the reminders and expiries that fall in it; thirty days add more of both.");
    println!(
        "Each fleet loaded and swept {} times: medians, with the range in brackets.\n",
        options.runs
    );
    println!("| fleet | load (s) | sweep with nothing due (median of 50 a run) | one day: steps, s, steps/s | thirty days: steps, s, steps/s | thirty days ÷ 1,000-rows ceiling |");
    println!("|---|---|---|---|---|---|");
    for &fleet in &options.fleet {
        let mut load_seconds = Spread::default();
        let mut idle_milliseconds = Spread::default();
        let (mut day_seconds, mut day_rate) = (Spread::default(), Spread::default());
        let (mut month_seconds, mut month_rate) = (Spread::default(), Spread::default());
        let (mut day_steps, mut month_steps) = (0, 0);
        for _ in 0..options.runs {
            let run = sweep_once(options, fleet).await?;
            load_seconds.add(run.load.as_secs_f64());
            idle_milliseconds.add(run.idle.as_secs_f64() * 1000.0);
            day_steps = run.day.0;
            day_seconds.add(run.day.1.as_secs_f64());
            day_rate.add(rate(run.day.0, run.day.1));
            month_steps = run.month.0;
            month_seconds.add(run.month.1.as_secs_f64());
            month_rate.add(rate(run.month.0, run.month.1));
        }
        let multiple = ceiling.map_or("—".to_string(), |ceiling| {
            Ceiling::multiple(month_rate.median(), ceiling.thousand_rows_per_commit)
        });
        println!(
            "| {fleet} | {} | {} ms | {day_steps}, {}, {} | {month_steps}, {}, {} | {multiple} |",
            load_seconds.show(1),
            idle_milliseconds.show(3),
            day_seconds.show(2),
            day_rate.show(0),
            month_seconds.show(2),
            month_rate.show(0)
        );
    }
    println!();
    Ok(())
}

/// One run over a fleet: how long the load took, the median sweep with nothing due, and the
/// steps and time of one day and of the thirty days after it.
struct SweepRun {
    load: Duration,
    idle: Duration,
    day: (u64, Duration),
    month: (u64, Duration),
}

async fn sweep_once(options: &BenchOptions, fleet: usize) -> anyhow::Result<SweepRun> {
    let start: Timestamp = "2026-01-01T00:00:00Z".parse()?;
    let scratch = scratch_database(options).await?;
    let store = Store::connect(&scratch.url).await?;
    let catalog = default_catalog();
    let loading = Instant::now();
    let shape = FleetShape::manual_renewal(fleet);
    load(&store, &catalog, &shape, start).await?;
    let load_time = loading.elapsed();
    let engine = Engine::new(
        store.clone(),
        catalog,
        Clock::simulated(start),
        Ids::random(),
    );
    // Reminders of instances expiring within a week are already due: take them first.
    engine.run_due(start).await?;
    let mut idle = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        let report = engine.run_due(start).await?;
        assert_eq!(report.steps_taken, 0);
        idle.push(started.elapsed());
    }
    let day = timed(&store, &engine, start + SignedDuration::from_hours(24)).await?;
    let month = timed(&store, &engine, start + SignedDuration::from_hours(31 * 24)).await?;
    store.close().await;
    scratch.remove().await?;
    Ok(SweepRun {
        load: load_time,
        idle: median(idle),
        day,
        month,
    })
}

/// The steps due until `until`, and how long they took. SQLite's log is copied into the
/// database file first (waiting for the log copier to finish the last sweep's copy) and
/// started again, so that each measurement copies only its own writes into the database file,
/// not its predecessor's.
async fn timed(
    store: &Store,
    engine: &Engine,
    until: Timestamp,
) -> anyhow::Result<(u64, Duration)> {
    store.checkpoint().await?;
    let started = Instant::now();
    let report = engine.run_due(until).await?;
    Ok((report.steps_taken, started.elapsed()))
}
