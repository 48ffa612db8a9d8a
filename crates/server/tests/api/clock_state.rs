//! The simulated clock is state: a restart on the same database resumes it instead of
//! rewinding to `--simulated-clock`, and every node on one database reads the same time, so
//! the event log never goes back.

use std::time::{Duration, Instant};

use crate::helpers::{spawn_app, text, Backend};
use crate::on_both_backends;

async fn a_restart_resumes_the_clock_and_time_never_goes_back(backend: Backend) {
    let first = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    first.funded_account(100).await;
    first.advance_to("2026-03-01T00:00:00Z").await;
    // Started again with the same --simulated-clock, on the same database.
    let restarted = first.node("2026-02-10T00:00:00Z").await;
    assert_eq!(
        restarted.get("/v1/clock").await["now"],
        "2026-03-01T00:00:00Z"
    );
    let account_id = restarted.funded_account(100).await;
    let events = restarted.get("/v1/events?limit=1000").await;
    let times: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| text(&event["at"]))
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "the log in order is the log in time");
    let created = restarted
        .get(&format!(
            "/v1/events?account={account_id}&kind=account.created"
        ))
        .await;
    assert_eq!(created["data"][0]["at"], "2026-03-01T00:00:00Z");
    // A later start moves it on.
    let later = first.node("2026-04-01T00:00:00Z").await;
    assert_eq!(later.get("/v1/clock").await["now"], "2026-04-01T00:00:00Z");
}
on_both_backends!(
    restart_resumes_clock,
    a_restart_resumes_the_clock_and_time_never_goes_back
);

async fn nodes_on_one_database_share_the_clock(backend: Backend) {
    let one = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let two = one.node("2026-02-10T00:00:00Z").await;
    one.advance_to("2026-05-01T00:00:00Z").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while two.get("/v1/clock").await["now"] != "2026-05-01T00:00:00Z" {
        assert!(
            Instant::now() < deadline,
            "the other node never read the clock"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let account_id = two.funded_account(100).await;
    let created = one
        .get(&format!(
            "/v1/events?account={account_id}&kind=account.created"
        ))
        .await;
    assert_eq!(created["data"][0]["at"], "2026-05-01T00:00:00Z");
}
on_both_backends!(nodes_share_clock, nodes_on_one_database_share_the_clock);
