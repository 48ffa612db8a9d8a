//! A year of a fleet on the simulated clock: monthly auto-renewals paid until the money runs
//! out, then failed attempts with alerts, expiries and releases.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use tenure_core::catalog::default_catalog;
use tenure_engine::{Clock, Engine, Ids};
use tenure_store::Store;

use super::ceiling::Ceiling;
use super::fleet::{load, FleetShape};
use super::{progress, rate, scratch_database, BenchOptions, Spread};

/// The measured runs [`run`] makes.
pub fn runs(options: &BenchOptions) -> u64 {
    options.runs
}

pub async fn run(options: &BenchOptions, ceiling: Option<&Ceiling>) -> anyhow::Result<()> {
    println!("## A simulated year\n");
    println!(
        "Run {} times: medians, with the range in brackets.\n",
        options.runs
    );
    let fleet = options.simulation_fleet;
    let mut steps = 0;
    let (mut seconds, mut rates) = (Spread::default(), Spread::default());
    for run in 1..=options.runs {
        progress::measuring(format!(
            "simulation: a year of {fleet}, run {run} of {}",
            options.runs
        ));
        let (steps_taken, elapsed) = year_once(options, fleet).await?;
        progress::measured();
        steps = steps_taken;
        seconds.add(elapsed.as_secs_f64());
        rates.add(rate(steps_taken, elapsed));
    }
    let multiple = ceiling.map_or("—".to_string(), |ceiling| {
        Ceiling::multiple(rates.median(), ceiling.thousand_rows_per_commit)
    });
    println!("| subscriptions | steps taken in the year | wall time (s) | steps/s | ÷ 1,000-rows ceiling |");
    println!("|---|---|---|---|---|");
    println!(
        "| {fleet} | {steps} | {} | {} | {multiple} |\n",
        seconds.show(1),
        rates.show(0)
    );
    Ok(())
}

/// One year of a fresh fleet: the steps taken and how long they took.
async fn year_once(options: &BenchOptions, fleet: usize) -> anyhow::Result<(u64, Duration)> {
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
        auto_renewing_percent: 100,
        auto_renewal_predates_start: false,
        deposit_minor: 1_000_000,
    };
    progress::phase("loading the fleet");
    load(&store, &catalog, &shape, start).await?;
    progress::phase("a year of steps");
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
    store.close().await;
    scratch.remove().await?;
    Ok((report.steps_taken, elapsed))
}
