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

/// Waits until `node`'s clock reads `simulated`, as its follower of the database's clock makes
/// it within a quarter second.
async fn until_simulated_is(node: &crate::helpers::TestApp, simulated: bool) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let clock = node.get("/v1/clock").await;
        if clock["simulated"] == simulated {
            return clock;
        }
        assert!(
            Instant::now() < deadline,
            "the node never followed the database's clock: {clock}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A database advanced past the machine's time (the 2027-06-01 on a 2026 machine)
/// keeps its clock for every node, flag or not, and the machine's clock waits until it is past.
async fn a_kept_clock_ahead_of_the_machine_holds_every_node(backend: Backend) {
    let first = spawn_app(backend, "2099-01-01T00:00:00Z").await;
    first.funded_account(100).await;
    first.advance_to("2099-02-01T00:00:00Z").await;
    // Without --simulated-clock: the kept clock, not the machine's.
    let unflagged = first.try_node(|_| {}).await.unwrap();
    let clock = unflagged.get("/v1/clock").await;
    assert_eq!(clock["now"], "2099-02-01T00:00:00Z");
    assert_eq!(clock["simulated"], true);
    let account_id = unflagged.funded_account(100).await;
    let deposited = first
        .get(&format!(
            "/v1/events?account={account_id}&kind=funds.deposited"
        ))
        .await;
    assert_eq!(deposited["data"][0]["at"], "2099-02-01T00:00:00Z");
    // It follows the others' advances like every node.
    first.advance_to("2099-03-01T00:00:00Z").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while unflagged.get("/v1/clock").await["now"] != "2099-03-01T00:00:00Z" {
        assert!(
            Instant::now() < deadline,
            "the unflagged node never followed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The machine's clock is refused while it is before the kept time, saying both times.
    let refused = first
        .try_node(|settings| settings.clock = tenure_server::ClockChoice::System)
        .await
        .err()
        .expect("--clock system is refused while the machine is behind");
    let said = format!("{refused:#}");
    assert!(said.contains("2099-03-01T00:00:00Z"), "{said}");
    assert!(said.contains("the machine's time, 20"), "{said}");
    // Rows in the future with no clock kept (a database written by hand, or one whose clock
    // was lost): a node on the machine's clock refuses to start, saying both times.
    let mut tx = first.engine.store.begin().await.unwrap();
    tenure_store::simulated_clock::forget(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for choice in [
        tenure_server::ClockChoice::Database,
        tenure_server::ClockChoice::System,
    ] {
        let refused = first
            .try_node(|settings| settings.clock = choice)
            .await
            .err()
            .expect("a node behind the latest write refuses to start");
        let said = format!("{refused:#}");
        // The deposit's time: the advance after it wrote nothing.
        assert!(said.contains("2099-02-01T00:00:00Z"), "{said}");
        assert!(said.contains("the machine's time, 20"), "{said}");
        assert!(said.contains("more than 60 seconds behind"), "{said}");
    }
}
on_both_backends!(
    kept_clock_ahead,
    a_kept_clock_ahead_of_the_machine_holds_every_node
);

/// `--clock system` on a database whose kept time is past moves it to the machine's clock for
/// good: the nodes running on the simulated clock follow, and no clock goes back after it.
async fn the_machines_clock_is_taken_once_the_kept_time_is_past(backend: Backend) {
    let first = spawn_app(backend, "2020-01-01T00:00:00Z").await;
    let second = first.try_node(|_| {}).await.unwrap();
    first.funded_account(100).await;
    first.advance_to("2020-02-01T00:00:00Z").await;
    let system = first
        .try_node(|settings| settings.clock = tenure_server::ClockChoice::System)
        .await
        .unwrap();
    assert_eq!(system.get("/v1/clock").await["simulated"], false);
    for node in [&first, &second] {
        until_simulated_is(node, false).await;
    }
    let (status, refused) = first
        .post("/v1/clock/advance", serde_json::json!({ "by": "P1D" }))
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["code"], "clock_not_simulated", "{refused}");
    // Written on the machine's clock, after which a simulated clock may not start behind it.
    let account_id = second.funded_account(100).await;
    let created = system
        .get(&format!(
            "/v1/events?account={account_id}&kind=account.created"
        ))
        .await;
    let at = text(&created["data"][0]["at"]).to_string();
    assert!(at.as_str() > "2026-01-01", "{at}");
    // Later starts run on the machine's clock: nothing is kept.
    let restarted = first.try_node(|_| {}).await.unwrap();
    assert_eq!(restarted.get("/v1/clock").await["simulated"], false);
    // A simulated clock on these writes takes --clock simulated, and never behind them.
    let refused = first
        .try_node(|settings| {
            settings.simulated_clock = Some("2099-03-01T00:00:00Z".parse().unwrap())
        })
        .await
        .err()
        .expect("a simulated clock on live data needs --clock simulated");
    assert!(
        format!("{refused:#}").contains("add --clock simulated"),
        "{refused:#}"
    );
    let refused = first
        .try_node(|settings| {
            settings.clock = tenure_server::ClockChoice::Simulated;
            settings.simulated_clock = Some("2020-03-01T00:00:00Z".parse().unwrap())
        })
        .await
        .err()
        .expect("a simulated clock behind the latest write is refused");
    let said = format!("{refused:#}");
    assert!(
        said.contains(&at) && said.contains("2020-03-01T00:00:00Z"),
        "{said}"
    );
}
on_both_backends!(
    machines_clock_taken,
    the_machines_clock_is_taken_once_the_kept_time_is_past
);
