//! localstripe (PyPI), a stateful server that speaks Stripe's API, for tests: started from the
//! tests' Python environment (`scripts/test` installs it; `TENURE_TEST_PYTHON` names its
//! interpreter) on a loopback port.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A localstripe server on a loopback port, stopped when dropped.
pub struct LocalStripe {
    port: u16,
    child: Child,
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python() -> String {
    std::env::var("TENURE_TEST_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/tenure-test-python/bin/python")
    })
}

impl LocalStripe {
    /// Starts one on a free port and waits until it answers.
    pub async fn start() -> LocalStripe {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let python = python();
        let child = Command::new(&python)
            .args(["-m", "localstripe", "--from-scratch", "--port"])
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("{python} -m localstripe: {error} (scripts/test installs localstripe)")
            });
        let server = LocalStripe { port, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "localstripe did not start on {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    /// Its API base, for `--stripe-api-base`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What Stripe.js does in a browser: turns a card number into a payment method id
    /// (localstripe takes only a secret key for it).
    pub async fn tokenize(&self, number: &str) -> String {
        let answer: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/v1/payment_methods", self.base()))
            .bearer_auth("sk_test_browser")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!(
                "type=card&card[number]={number}&card[exp_month]=12&card[exp_year]=2030&card[cvc]=123"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["id"]
            .as_str()
            .expect("a payment method id")
            .to_string()
    }
}

impl LocalStripe {
    /// Every object of `collection` (`payment_intents`, `refunds`) it holds, as its API
    /// lists them: what the provider's side says happened.
    pub async fn list(&self, collection: &str) -> Vec<serde_json::Value> {
        let listed: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/v1/{collection}?limit=1000", self.base()))
            .bearer_auth("sk_test_lister")
            .send()
            .await
            .expect("localstripe answers")
            .json()
            .await
            .expect("localstripe answers JSON");
        listed["data"].as_array().cloned().unwrap_or_default()
    }
}

/// Registers `url` to receive localstripe's webhooks, signed with `secret`.
pub async fn send_webhooks_to(server: &LocalStripe, url: &str, secret: &str) {
    reqwest::Client::new()
        .post(format!("{}/_config/webhooks/tenure", server.base()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "url={}&secret={}",
            url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>(),
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .expect("localstripe answers")
        .error_for_status()
        .expect("localstripe takes the webhook");
}
