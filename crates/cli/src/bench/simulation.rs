//! A year of a fleet on the simulated clock: monthly auto-renewals paid until the money runs
//! out, then failed attempts with alerts, expiries and releases.

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use tenure_core::catalog::default_catalog;
use tenure_engine::{Clock, Engine, Ids};
use tenure_store::Store;

use super::fleet::{load, FleetShape};
use super::{scratch_database, BenchOptions};

pub async fn run(options: &BenchOptions) -> anyhow::Result<()> {
    println!("## A simulated year\n");
    let fleet = options.simulation_fleet;
    let start: Timestamp = "2026-01-01T00:00:00Z".parse()?;
    let scratch = scratch_database(options).await?;
    let store = Store::connect(&scratch.url).await?;
    let catalog = default_catalog();
    // Ten subscriptions per account and money for about seven months of renewals: the rest of
    // the year brings failed attempts, alerts, expiries and releases.
    let shape = FleetShape {
        instances: fleet,
        accounts: (fleet / 10).max(1),
        day_aligned: true,
        auto_renew: true,
        deposit_minor: 1_000_000,
    };
    load(&store, &catalog, &shape, start).await?;
    let engine = Engine::new(
        store.clone(),
        catalog,
        Clock::simulated(start),
        Ids::random(),
    );
    let started = Instant::now();
    let report = engine
        .advance_to(start + SignedDuration::from_hours(365 * 24))
        .await?;
    let elapsed = started.elapsed();
    println!("| subscriptions | steps taken in the year | wall time | steps/s |");
    println!("|---|---|---|---|");
    println!(
        "| {fleet} | {} | {:.1} s | {:.0} |\n",
        report.steps_taken,
        elapsed.as_secs_f64(),
        report.steps_taken as f64 / elapsed.as_secs_f64()
    );
    store.close().await;
    scratch.remove().await?;
    Ok(())
}
