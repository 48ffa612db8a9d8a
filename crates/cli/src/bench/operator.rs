//! The operator's overview and the 30-day fleet forecast on a fleet of 100,000 subscriptions
//! in 1,000 accounts after a month of its lifecycle (renewals paid and failed, expiries):
//! each read as the console reads it, beside a bare count of the same instances table on the
//! same connection (the least a page about the fleet must read). Goals: the overview under
//! 200 ms, the forecast under 1 s.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use tenure_core::catalog::default_catalog;
use tenure_engine::{Clock, Engine, Ids};
use tenure_store::database::query;
use tenure_store::Store;

use super::fleet::{load, FleetShape};
use super::{median, progress, scratch_database, BenchOptions};

/// Reads of each kind timed; the median is reported.
const READS: usize = 9;

pub fn runs(_options: &BenchOptions) -> u64 {
    1
}

pub async fn run(options: &BenchOptions) -> anyhow::Result<()> {
    println!("## The operator's overview and fleet forecast\n");
    let fleet = options.operator_fleet;
    let accounts = (fleet / 100).max(1);
    println!(
        "A fleet of {fleet} subscriptions in {accounts} accounts, half renewing automatically, each account with \
         money for about a month of them, after 30 simulated days; medians of {READS} reads.\n"
    );
    progress::measuring(format!("operator: overview and forecast of {fleet}"));
    progress::phase("loading the fleet");
    let start: Timestamp = "2026-01-01T00:00:00Z".parse()?;
    let scratch = scratch_database(options).await?;
    let store = Store::connect(&scratch.url).await?;
    let catalog = default_catalog();
    let shape = FleetShape {
        auto_renewing_percent: 50,
        auto_renewal_predates_start: true,
        deposit_minor: 500_000,
        ..FleetShape::manual_renewal(fleet)
    };
    load(&store, &catalog, &shape, start).await?;
    let engine = Engine::new(
        store.clone(),
        catalog,
        Clock::simulated(start),
        Ids::random(),
    );
    progress::phase("a month of the lifecycle");
    engine
        .advance_to(start + SignedDuration::from_hours(30 * 24))
        .await?;

    progress::phase("reads");
    let mut connection = store.read().await?;
    let mut bare = Vec::new();
    let mut overview = Vec::new();
    let mut forecast = Vec::new();
    let mut at_risk = 0;
    for _ in 0..READS {
        let began = Instant::now();
        query("SELECT COUNT(*) AS instances FROM instances")
            .fetch_one(&mut connection)
            .await?;
        bare.push(began.elapsed());
        let began = Instant::now();
        engine.overview(&mut connection).await?;
        overview.push(began.elapsed());
        let began = Instant::now();
        at_risk = engine
            .fleet_forecast(&mut connection, 30, 50, None)
            .await?
            .accounts_at_risk;
        forecast.push(began.elapsed());
    }
    drop(connection);
    progress::measured();
    let milliseconds =
        |samples: Vec<Duration>| format!("{:.1}", median(samples).as_secs_f64() * 1000.0);
    let bare = milliseconds(bare);
    println!("| read | ms | bare `COUNT(*)` of the instances (ms) | goal (ms) |");
    println!("|---|---|---|---|");
    println!("| overview | {} | {bare} | 200 |", milliseconds(overview));
    println!(
        "| fleet forecast, 30 days ({at_risk} accounts at risk) | {} | {bare} | 1,000 |\n",
        milliseconds(forecast)
    );
    store.close().await;
    scratch.remove().await?;
    Ok(())
}
