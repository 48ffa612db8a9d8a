//! The clock a database runs on, as `tenure serve` finds it at every start: a simulated clock
//! kept in the database is resumed with or without `--simulated-clock`, and left for the
//! machine's clock only when asked (`--clock system`), never while the machine's time is before
//! it; no node starts on a clock more than a minute behind what the database holds. Each start
//! says which clock, at what time, and why.

mod node;

use std::time::{Duration, Instant};

use node::{Node, PostgresDatabase};
use serde_json::{json, Value};

fn said_line<'a>(said: &'a [String], needle: &str) -> &'a str {
    said.iter()
        .find(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("no start-up line with {needle:?}: {said:#?}"))
}

async fn account(node: &Node) -> String {
    let account = node
        .call(
            "POST",
            "/v1/accounts",
            Some(json!({ "name": "Clock", "email": "c@example.com", "mobile": "+15550100" })),
        )
        .await;
    account["id"].as_str().unwrap().to_string()
}

async fn deposit(node: &Node, account_id: &str) {
    node.call(
        "POST",
        &format!("/v1/accounts/{account_id}/deposits"),
        Some(json!({ "amount": 1_000, "method": "bank_card" })),
    )
    .await;
}

async fn advance(node: &Node, to: &str) {
    node.call("POST", "/v1/clock/advance", Some(json!({ "to": to })))
        .await;
}

/// Waits until `node`'s clock answers `simulated`: a node follows its database's clock within
/// a quarter second.
async fn until_simulated_is(node: &Node, simulated: bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let clock = node.call("GET", "/v1/clock", None).await;
        if clock["simulated"] == simulated {
            return clock;
        }
        assert!(Instant::now() < deadline, "never followed: {clock}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The case: a database advanced past the machine's time, served again without the
/// flag, goes on from its clock, and the event log never goes back.
#[tokio::test]
async fn a_database_ahead_of_the_machine_keeps_its_clock_with_or_without_the_flag() {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("tenure.db");
    let database = format!("sqlite://{}", file.display());
    let (first, said) =
        Node::start_saying(&database, &["--simulated-clock", "2099-05-01T00:00:00Z"]);
    let line = said_line(&said, "clock: ");
    assert!(
        line.contains(
            "clock: simulated, at 2099-05-01T00:00:00Z (--simulated-clock 2099-05-01T00:00:00Z)"
        ),
        "{line}"
    );
    let account_id = account(&first).await;
    advance(&first, "2099-06-01T00:00:00Z").await;
    first.kill();

    for args in [&[][..], &["--clock", "simulated"][..]] {
        let (node, said) = Node::start_saying(&database, args);
        let line = said_line(&said, "clock: ");
        assert!(
            line.contains("clock: simulated, at 2099-06-01T00:00:00Z (resumed: this database holds a simulated clock"),
            "{args:?}: {line}"
        );
        let clock = node.call("GET", "/v1/clock", None).await;
        assert_eq!(
            clock,
            json!({ "now": "2099-06-01T00:00:00Z", "simulated": true })
        );
        deposit(&node, &account_id).await;
        node.kill();
    }
    // The deposits are dated on the kept clock, after what the log held: in order.
    let node = Node::start(&database, &[]);
    let events = node
        .call(
            "GET",
            &format!("/v1/events?account={account_id}&limit=100"),
            None,
        )
        .await;
    let times: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["at"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2099-05-01T00:00:00Z",
            "2099-06-01T00:00:00Z",
            "2099-06-01T00:00:00Z"
        ]
    );
    node.kill();

    // The machine's clock is refused while it is before the kept time; both times are said.
    let said = Node::refused(&database, &["--clock", "system"]);
    assert!(said.contains("--clock system refused"), "{said}");
    assert!(said.contains("the machine's time, 20"), "{said}");
    assert!(
        said.contains("simulated clock, 2099-06-01T00:00:00Z"),
        "{said}"
    );
    let said = Node::refused(
        &database,
        &[
            "--clock",
            "system",
            "--simulated-clock",
            "2099-07-01T00:00:00Z",
        ],
    );
    assert!(said.contains("give one"), "{said}");

    // Its rows in the future, but no clock kept (the row lost, by hand here): a node on the
    // machine's clock would write before them, and refuses to start, saying both times.
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute("DELETE FROM simulated_clock", [])
        .unwrap();
    for args in [&[][..], &["--clock", "system"][..]] {
        let said = Node::refused(&database, args);
        assert!(said.contains("the machine's time, 20"), "{args:?}: {said}");
        assert!(
            said.contains("more than 60 seconds behind the latest time this database holds, 2099-06-01T00:00:00Z"),
            "{args:?}: {said}"
        );
    }
    let said = Node::refused(&database, &["--clock", "simulated"]);
    assert!(said.contains("holds no simulated clock"), "{said}");
}

/// `--clock system` once the kept time is past: the database runs on the machine's clock from
/// then on, and a simulated clock may not start behind what it wrote.
#[tokio::test]
async fn the_machines_clock_is_taken_when_asked_once_the_kept_time_is_past() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("tenure.db").display());
    let first = Node::start(&database, &["--simulated-clock", "2020-01-01T00:00:00Z"]);
    account(&first).await;
    advance(&first, "2020-02-01T00:00:00Z").await;
    first.kill();

    let (system, said) = Node::start_saying(&database, &["--clock", "system"]);
    let line = said_line(&said, "clock: ");
    assert!(line.contains("clock: system, at 20"), "{line}");
    assert!(
        line.contains("this database leaves its simulated clock, at 2020-02-01T00:00:00Z, for the machine's, for good"),
        "{line}"
    );
    assert_eq!(
        system.call("GET", "/v1/clock", None).await["simulated"],
        false
    );
    let account_id = account(&system).await;
    let created = system
        .call("GET", &format!("/v1/events?account={account_id}"), None)
        .await;
    let at = created["data"][0]["at"].as_str().unwrap().to_string();
    system.kill();

    let (again, said) = Node::start_saying(&database, &[]);
    let line = said_line(&said, "clock: ");
    assert!(
        line.contains("clock: system, at 20")
            && line.contains("(this database holds no simulated clock)"),
        "{line}"
    );
    again.kill();
    // Live data on the machine's clock takes a simulated clock only when asked plainly, and
    // never behind what it wrote.
    let said = Node::refused(&database, &["--simulated-clock", "2099-03-01T00:00:00Z"]);
    assert!(said.contains("add --clock simulated to mean it"), "{said}");
    let said = Node::refused(
        &database,
        &[
            "--clock",
            "simulated",
            "--simulated-clock",
            "2020-03-01T00:00:00Z",
        ],
    );
    assert!(
        said.contains("the simulated clock's time, 2020-03-01T00:00:00Z")
            && said.contains(&format!("the latest time this database holds, {at}")),
        "{said}"
    );
}

/// Nodes on one PostgreSQL run on the clock the database keeps, whatever their flags: one
/// started without `--simulated-clock` follows the others' advances, and a node moving the
/// database to the machine's clock moves them all.
#[tokio::test]
async fn nodes_on_one_postgres_follow_the_kept_clock_flag_or_not() {
    let database = PostgresDatabase::create("tenure_clock", true).await;
    let one = Node::start(
        &database.url,
        &["--simulated-clock", "2020-01-01T00:00:00Z"],
    );
    let (two, said) = Node::start_saying(&database.url, &[]);
    assert!(
        said_line(&said, "clock: ").contains("clock: simulated, at 2020-01-01T00:00:00Z (resumed"),
        "{said:?}"
    );
    advance(&one, "2020-02-01T00:00:00Z").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while two.call("GET", "/v1/clock", None).await["now"] != "2020-02-01T00:00:00Z" {
        assert!(
            Instant::now() < deadline,
            "the node without the flag never followed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let account_id = account(&two).await;
    let created = one
        .call("GET", &format!("/v1/events?account={account_id}"), None)
        .await;
    assert_eq!(created["data"][0]["at"], "2020-02-01T00:00:00Z");

    let three = Node::start(&database.url, &["--clock", "system"]);
    for node in [&one, &two, &three] {
        until_simulated_is(node, false).await;
    }
    let (status, answer) = one
        .send("POST", "/v1/clock/advance", &json!({ "by": "P1D" }), None)
        .await
        .unwrap();
    assert_eq!(status, 409, "{answer}");
    assert!(answer.contains("clock_not_simulated"), "{answer}");
    drop((one, two, three));
    database.drop().await;
}
