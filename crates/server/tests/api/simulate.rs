//! `tenure simulate` plays the scenario shipped in `scenarios/` and prints its events.

use tenure_core::catalog::default_catalog;
use tenure_server::simulate::{run, Scenario};

#[tokio::test]
async fn the_shipped_scenario_lives_a_whole_lifecycle() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/lifecycle.toml"
    ))
    .unwrap();
    let scenario: Scenario = toml::from_str(&text).unwrap();
    let events = run(&scenario, default_catalog()).await.unwrap();
    let lines: Vec<(String, String)> = events
        .iter()
        .map(|event| {
            (
                event["at"].as_str().unwrap().to_string(),
                event["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("2026-02-10T00:00:00Z", "account.created"),
        ("2026-02-10T00:00:00Z", "funds.deposited"),
        ("2026-02-10T00:00:00Z", "invoice.issued"),
        ("2026-02-10T00:00:00Z", "instance.purchased"),
        ("2026-03-03T00:00:00Z", "instance.expiry_reminder_sent"),
        ("2026-03-10T00:00:00Z", "instance.expired"),
        ("2026-03-12T00:00:00Z", "invoice.issued"),
        ("2026-03-12T00:00:00Z", "instance.renewed"),
        ("2026-03-12T00:00:00Z", "instance.restored"),
        ("2026-04-03T00:00:00Z", "instance.expiry_reminder_sent"),
        ("2026-04-10T00:00:00Z", "instance.expired"),
        ("2026-05-03T00:00:00Z", "instance.release_warning_sent"),
        ("2026-05-10T00:00:00Z", "instance.released"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(at, kind)| (at.to_string(), kind.to_string()))
        .collect();
    assert_eq!(lines, expected);
    // Sequential ids make a replay print the same lines.
    assert_eq!(events[3]["instance_id"], "inst_000006");
    let again = run(&scenario, default_catalog()).await.unwrap();
    assert_eq!(events, again);
}
