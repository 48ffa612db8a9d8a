//! `tenure export` and `tenure import` move a database between SQLite and PostgreSQL, either
//! way, and nothing changes on the way: the export of the imported database is the same file,
//! byte for byte, and a server on it answers as the first did and goes on numbering after it.
//! An import into a database that holds anything, or of a file whose ledger was altered, is
//! refused and writes nothing.

mod node;

use std::path::Path;
use std::process::{Command, Output};

use node::{Node, PostgresDatabase};
use serde_json::{json, Value};

fn tenure(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tenure"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn succeeds(args: &[&str]) -> String {
    let output = tenure(args);
    assert!(output.status.success(), "tenure {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// A refusal: the command fails, and says why on stderr.
fn refused(args: &[&str]) -> String {
    let output = tenure(args);
    assert!(!output.status.success(), "tenure {args:?} is refused");
    String::from_utf8(output.stderr).unwrap()
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Accounts with money, coupons, billing profiles, subscriptions, an unsubscription with its refund, a webhook
/// endpoint and its deliveries, idempotency keys, and a simulated month of renewals, expiries
/// and notices. Returns the answers a server on a copy must give again.
async fn a_month_of_business(node: &Node) -> Vec<(String, Value)> {
    node.call(
        "POST",
        "/v1/webhook-endpoints",
        Some(json!({ "url": "http://127.0.0.1:9/hook", "events": ["*"] })),
    )
    .await;
    let mut accounts = Vec::new();
    for (index, auto_renew) in [(0, true), (1, false), (2, true)] {
        let account = node
            .call("POST", "/v1/accounts", Some(json!({ "name": format!("Customer {index}"), "email": "c@example.com", "mobile": "+15550100" })))
            .await;
        let id = account["id"].as_str().unwrap().to_string();
        node.call(
            "POST",
            &format!("/v1/accounts/{id}/deposits"),
            Some(json!({ "amount": 100_000, "method": "bank_card" })),
        )
        .await;
        node.call(
            "POST",
            &format!("/v1/accounts/{id}/coupons"),
            Some(json!({ "amount": 5_000 })),
        )
        .await;
        node.call(
            "PUT",
            &format!("/v1/accounts/{id}/billing-profile"),
            Some(json!({ "legal_name": format!("Customer {index} SAS"),
                         "address_line1": "1 rue de la Paix", "address_line2": "Bâtiment B",
                         "city": "Paris", "postal_code": "75002", "country": "FR",
                         "tax_id": "FR40303265045" })),
        )
        .await;
        let mut body = json!({ "account": id, "product": "iot-platform", "edition": "enterprise",
                               "spec": "units-10", "region": "us-east-1", "period": "1M" });
        if auto_renew {
            body["auto_renew"] = json!({ "period": "1M" });
        }
        // A name and tags (their own table) that the move must keep.
        body["name"] = json!(format!("Fleet «{index}»"));
        body["tags"] = json!(["env:prod", format!("team-{index}")]);
        let bought = node.call("POST", "/v1/instances", Some(body)).await;
        accounts.push((id, bought["instance"]["id"].as_str().unwrap().to_string()));
    }
    let (_, unsubscribed) = &accounts[2];
    node.call(
        "POST",
        &format!("/v1/instances/{unsubscribed}/unsubscribe"),
        Some(json!({ "confirm_refund": true, "confirm_data_backed_up": true })),
    )
    .await;
    node.call(
        "POST",
        "/v1/clock/advance",
        Some(json!({ "to": "2026-04-10T00:00:00Z" })),
    )
    .await;
    let mut answers = Vec::new();
    for (account, instance) in &accounts {
        for path in [
            format!("/v1/accounts/{account}"),
            format!("/v1/accounts/{account}/ledger?limit=1000"),
            format!("/v1/accounts/{account}/billing-profile"),
            format!("/v1/events?account={account}&limit=1000"),
            format!("/v1/instances/{instance}"),
        ] {
            let answer = node.call("GET", &path, None).await;
            answers.push((path, answer));
        }
    }
    answers
}

#[tokio::test]
async fn a_database_moves_between_sqlite_and_postgres_unchanged() {
    let folder = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", folder.path().join("first.db").display());
    let first = Node::start(&sqlite, &["--simulated-clock", "2026-03-01T00:00:00Z"]);
    let answers = a_month_of_business(&first).await;
    first.kill();

    let exported = folder.path().join("first.jsonl");
    let said = succeeds(&["export", "--db", &sqlite, path(&exported)]);
    assert!(said.contains("rows of 30 tables"), "{said}");

    // Into PostgreSQL: a database that is there but empty, migrated by the import.
    let postgres = PostgresDatabase::create("tenure_import", false).await;
    let said = succeeds(&["import", "--db", &postgres.url, path(&exported)]);
    assert!(said.contains("3 accounts' ledger sums checked"), "{said}");
    let again = folder.path().join("again.jsonl");
    succeeds(&["export", "--db", &postgres.url, path(&again)]);
    assert_eq!(
        std::fs::read_to_string(&exported).unwrap(),
        std::fs::read_to_string(&again).unwrap(),
        "SQLite's export and PostgreSQL's, of what it imported, are the same"
    );

    // And back into SQLite.
    let back = format!("sqlite://{}", folder.path().join("back.db").display());
    succeeds(&["import", "--db", &back, path(&again)]);
    let third = folder.path().join("third.jsonl");
    succeeds(&["export", "--db", &back, path(&third)]);
    assert_eq!(
        std::fs::read_to_string(&exported).unwrap(),
        std::fs::read_to_string(&third).unwrap()
    );

    // Not into a database that holds anything: nothing is written.
    let message = refused(&["import", "--db", &postgres.url, path(&exported)]);
    assert!(message.contains("is not empty"), "{message}");

    // A server on the PostgreSQL copy answers as the first did, and goes on after it: its
    // clock where the first left it (the import keeps it: a node started without
    // --simulated-clock resumes it), new events numbered after the imported ones.
    let copy = Node::start(&postgres.url, &[]);
    for (path, answer) in &answers {
        assert_eq!(&copy.call("GET", path, None).await, answer, "{path}");
    }
    let clock = copy.call("GET", "/v1/clock", None).await;
    assert_eq!(
        clock,
        json!({ "now": "2026-04-10T00:00:00Z", "simulated": true })
    );
    let account = copy
        .call(
            "POST",
            "/v1/accounts",
            Some(json!({ "name": "After", "email": "a@example.com", "mobile": "+15550100" })),
        )
        .await;
    let events = copy.call("GET", "/v1/events?limit=1000", None).await;
    let events = events["data"].as_array().unwrap();
    assert_eq!(events.last().unwrap()["account_id"], account["id"]);
    drop(copy);
    postgres.drop().await;
}

#[tokio::test]
async fn an_altered_ledger_is_refused_and_nothing_is_imported() {
    let folder = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", folder.path().join("first.db").display());
    let first = Node::start(&sqlite, &["--simulated-clock", "2026-03-01T00:00:00Z"]);
    a_month_of_business(&first).await;
    first.kill();
    let exported = folder.path().join("first.jsonl");
    succeeds(&["export", "--db", &sqlite, path(&exported)]);

    // One posting's amount changed: its entry no longer balances.
    let text = std::fs::read_to_string(&exported).unwrap();
    let mut in_postings = false;
    let mut altered = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let mut value: Value = serde_json::from_str(line).unwrap();
            if let Some(table) = value["table"].as_str() {
                in_postings = table == "ledger_postings";
            } else if in_postings && !altered {
                let amount = value.as_array_mut().unwrap().last_mut().unwrap();
                *amount = json!(amount.as_i64().unwrap() + 1);
                altered = true;
            }
            value.to_string()
        })
        .collect();
    assert!(altered);
    let tampered = folder.path().join("tampered.jsonl");
    std::fs::write(&tampered, lines.join("\n") + "\n").unwrap();
    let target = format!("sqlite://{}", folder.path().join("target.db").display());
    let message = refused(&["import", "--db", &target, path(&tampered)]);
    assert!(message.contains("nothing was imported"), "{message}");

    // A file cut short is refused too.
    let cut = folder.path().join("cut.jsonl");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let message = refused(&["import", "--db", &target, path(&cut)]);
    assert!(message.contains("not"), "{message}");

    // The target was left empty: the whole file goes in now.
    succeeds(&["import", "--db", &target, path(&exported)]);
}
