//! `tenure backup` copies a SQLite database while it serves: the copy is one consistent
//! moment (every deposit answered before the backup began is in it, its ledger checks, its
//! balance is its deposits' sum), and a copy taken when nothing writes gives back the same
//! database (its export is the original's, byte for byte). On PostgreSQL it says to use pg_dump.

mod node;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use node::Node;
use serde_json::json;

const DEPOSIT_MINOR: i64 = 100;

fn tenure(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tenure"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_is_one_consistent_moment() {
    let folder = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", folder.path().join("tenure.db").display());
    let node = Arc::new(Node::start(
        &db,
        &["--simulated-clock", "2026-03-01T00:00:00Z"],
    ));
    let account = node
        .call(
            "POST",
            "/v1/accounts",
            Some(json!({ "name": "Ada", "email": "ada@example.com", "mobile": "+15550100" })),
        )
        .await;
    let account_id = account["id"].as_str().unwrap().to_string();

    // Deposits, one after another, until told to stop: how many were answered, and when.
    let stop = Arc::new(AtomicBool::new(false));
    let depositing = {
        let (node, stop, account_id) = (node.clone(), stop.clone(), account_id.clone());
        tokio::spawn(async move {
            let mut answered = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                node.call(
                    "POST",
                    &format!("/v1/accounts/{account_id}/deposits"),
                    Some(json!({ "amount": DEPOSIT_MINOR, "method": "bank_card" })),
                )
                .await;
                answered.push(std::time::Instant::now());
            }
            answered
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let copy = folder.path().join("copy.db");
    let backup_began = std::time::Instant::now();
    let (db_for_backup, copy_path) = (db.clone(), copy.clone());
    let output = tokio::task::spawn_blocking(move || {
        tenure(&[
            "backup",
            "--db",
            &db_for_backup,
            copy_path.to_str().unwrap(),
        ])
    })
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let answered = depositing.await.unwrap();
    assert!(output.status.success(), "{output:?}");
    let said = String::from_utf8(output.stdout).unwrap();
    assert!(said.contains("1 accounts' ledgers checked"), "{said}");
    let before_backup = answered.iter().filter(|at| **at < backup_began).count();
    assert!(
        before_backup > 0 && answered.len() > before_backup,
        "deposits went on beside the backup"
    );

    // The copy served: every deposit answered before the backup is in it, and its balance is
    // exactly its deposits (the ledger of one moment, not half of one).
    let copy_url = format!("sqlite://{}", copy.display());
    let restored = Node::start(&copy_url, &["--simulated-clock", "2026-03-01T00:00:00Z"]);
    let events = restored
        .call(
            "GET",
            &format!("/v1/events?account={account_id}&kind=funds.deposited&limit=1000"),
            None,
        )
        .await;
    let deposits = events["data"].as_array().unwrap().len();
    assert!(
        deposits >= before_backup,
        "{deposits} deposits in the copy, {before_backup} answered before it"
    );
    assert!(
        deposits < answered.len(),
        "the copy is of a moment before the last deposits"
    );
    let balance = restored
        .call("GET", &format!("/v1/accounts/{account_id}"), None)
        .await["balance_minor"]
        .as_i64()
        .unwrap();
    assert_eq!(balance, deposits as i64 * DEPOSIT_MINOR);
    drop(restored);

    // Taken with nothing writing, the copy is the database: the same export.
    drop(node);
    let quiet = folder.path().join("quiet.db");
    let output = tenure(&["backup", "--db", &db, quiet.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let exports: Vec<String> = [db.clone(), format!("sqlite://{}", quiet.display())]
        .iter()
        .enumerate()
        .map(|(index, url)| {
            let file = folder.path().join(format!("export-{index}.jsonl"));
            let output = tenure(&["export", "--db", url, file.to_str().unwrap()]);
            assert!(output.status.success(), "{output:?}");
            std::fs::read_to_string(file).unwrap()
        })
        .collect();
    assert_eq!(exports[0], exports[1]);
}

#[test]
fn on_postgres_it_says_to_use_pg_dump() {
    let output = tenure(&[
        "backup",
        "--db",
        "postgres://postgres@127.0.0.1:5432/test",
        "/tmp/never.db",
    ]);
    assert!(!output.status.success());
    let said = String::from_utf8(output.stderr).unwrap();
    assert!(said.contains("pg_dump --format=custom"), "{said}");
    assert!(!std::path::Path::new("/tmp/never.db").exists());
}
