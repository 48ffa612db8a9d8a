//! `tenure serve` as a child process, for the tests that kill it, run several, or move its
//! database: started on port 0, its log read (and its warnings shown), killed when dropped.
//! Each test binary uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use sqlx::{Connection, PgConnection};

pub const KEY: &str = "node-test-operator-key-0123456789abcdef";

pub struct Node {
    /// Behind a lock so that a node shared by client tasks can be killed under them.
    child: std::sync::Mutex<Child>,
    pub address: String,
    /// Its connections kept from one call to the next.
    client: reqwest::Client,
}

impl Node {
    /// Starts `tenure serve --db DATABASE_URL` with `args` besides, and waits until it listens.
    pub fn start(database_url: &str, args: &[&str]) -> Node {
        Node::start_saying(database_url, args).0
    }

    /// [`Node::start`], with the lines it wrote before it listened (what it says at start).
    pub fn start_saying(database_url: &str, args: &[&str]) -> (Node, Vec<String>) {
        let mut said = Vec::new();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tenure"))
            .args(["serve", "--db", database_url, "--listen", "127.0.0.1:0"])
            .args(args)
            .env("TENURE_ADMIN_KEY", KEY)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("the server says where it listens")
                .unwrap();
            if let Some((_, rest)) = line.split_once("tenure listening on ") {
                break rest.split_whitespace().next().unwrap().to_string();
            }
            said.push(line);
        };
        // Read on, so that it never blocks on a full pipe; what went wrong is shown.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if line.contains("WARN") || line.contains("ERROR") {
                    eprintln!("node: {line}");
                }
            }
        });
        let node = Node {
            child: std::sync::Mutex::new(child),
            address,
            client: reqwest::Client::new(),
        };
        (node, said)
    }

    /// `tenure serve --db DATABASE_URL` with `args` besides, expected to refuse to start: what
    /// it said on stderr.
    pub fn refused(database_url: &str, args: &[&str]) -> String {
        use std::io::Read;
        let mut child = Command::new(env!("CARGO_BIN_EXE_tenure"))
            .args(["serve", "--db", database_url, "--listen", "127.0.0.1:0"])
            .args(args)
            .env("TENURE_ADMIN_KEY", KEY)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // One that starts serves until killed: it is given half a minute to refuse.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("tenure serve {args:?} started instead of refusing");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let mut said = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut said)
            .unwrap();
        assert!(!status.success(), "tenure serve {args:?}: {said}");
        said
    }

    /// SIGKILL, and waits for it to be gone.
    pub fn kill(&self) {
        let mut child = self.child.lock().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Sends a request with the operator's key and, if given, an Idempotency-Key: its status
    /// and body, or the error of a request that got no answer (the node died, say).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> Result<(u16, String), reqwest::Error> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    /// Sends a request with the operator's key; panics unless it succeeds.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(KEY);
        if let Some(body) = &body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path} {body:?}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }
}

/// A test that fails leaves no node running.
impl Drop for Node {
    fn drop(&mut self) {
        if let Ok(child) = self.child.get_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A PostgreSQL database of its own on the test server, dropped with it.
pub struct PostgresDatabase {
    pub url: String,
    name: String,
    admin: PgConnection,
}

impl PostgresDatabase {
    /// A new, empty database; `migrated`, it is brought to this tenure's schema as
    /// `tenure migrate` does (a served PostgreSQL database is not migrated by `serve`).
    pub async fn create(prefix: &str, migrated: bool) -> PostgresDatabase {
        let admin_url = std::env::var("TENURE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
        let name = format!("{prefix}_{:016x}", rand::random::<u64>());
        let mut admin = PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
        if migrated {
            let output = Command::new(env!("CARGO_BIN_EXE_tenure"))
                .args(["migrate", "--db", &url])
                .output()
                .unwrap();
            assert!(output.status.success(), "{output:?}");
        }
        PostgresDatabase { url, name, admin }
    }

    pub async fn drop(mut self) {
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut self.admin)
        .await
        .unwrap();
    }
}
