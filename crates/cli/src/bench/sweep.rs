//! The lifecycle sweep over a fleet: nothing due (must not grow with the fleet), one day, thirty days.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use tenure_core::catalog::default_catalog;
use tenure_engine::{Clock, Engine, Ids};
use tenure_store::Store;

use super::fleet::{load, FleetShape};
use super::{median, rate, scratch_database, BenchOptions};

pub async fn run(options: &BenchOptions) -> anyhow::Result<()> {
    println!("## Lifecycle sweep\n");
    println!("Fleet: subscriptions of the four default products, expiries spread evenly over a year, manual renewal.");
    println!("A day's steps are the reminders and expiries that fall in it; thirty days add more of both.\n");
    println!("| fleet | load (s) | sweep with nothing due (median of 50) | one day: steps, s, steps/s | thirty days: steps, s, steps/s |");
    println!("|---|---|---|---|---|");
    let start: Timestamp = "2026-01-01T00:00:00Z".parse()?;
    for &fleet in &options.fleet {
        let scratch = scratch_database(options).await?;
        let store = Store::connect(&scratch.url).await?;
        let catalog = default_catalog();
        let loading = Instant::now();
        let shape = FleetShape::manual_renewal(fleet);
        load(&store, &catalog, &shape, start).await?;
        let load_seconds = loading.elapsed().as_secs_f64();
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
        println!(
            "| {fleet} | {load_seconds:.1} | {:.3} ms | {}, {:.2}, {:.0} | {}, {:.2}, {:.0} |",
            median(idle).as_secs_f64() * 1000.0,
            day.0,
            day.1.as_secs_f64(),
            rate(day.0, day.1),
            month.0,
            month.1.as_secs_f64(),
            rate(month.0, month.1)
        );
        store.close().await;
        scratch.remove().await?;
    }
    println!();
    Ok(())
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
