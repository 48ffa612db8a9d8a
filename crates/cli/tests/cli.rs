//! The `tenure` binary: catalog check and simulate, run as a user would.

use std::process::Command;

const REPOSITORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn tenure(arguments: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tenure"))
        .args(arguments)
        .current_dir(REPOSITORY)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).to_string(),
    )
}

#[test]
fn the_shipped_catalog_checks_clean() {
    let (success, output) = tenure(&["catalog", "check", "catalog"]);
    assert!(success, "{output}");
    assert!(output.contains("4 products, no problems"), "{output}");
}

#[test]
fn catalog_check_names_file_field_and_problem() {
    let folder = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(format!("{REPOSITORY}/catalog/dns.toml")).unwrap();
    let broken = good
        .replace("retention_days = 7", "retention_days = 900")
        .replace("monthly_price_minor = 800", "monthly_price_minor = 0");
    std::fs::write(folder.path().join("dns.toml"), broken).unwrap();
    std::fs::write(
        folder.path().join("typo.toml"),
        good.replace("[changes]", "[chnages]"),
    )
    .unwrap();
    // Credit before use: no negative minimum, no limit of zero.
    let iot = std::fs::read_to_string(format!("{REPOSITORY}/catalog/iot-platform.toml")).unwrap();
    std::fs::write(
        folder.path().join("iot-platform.toml"),
        iot.replace(
            "payg_minimum_credit_minor = 1000",
            "payg_minimum_credit_minor = -1000",
        )
        .replace(
            "payg_max_open_instances = 20",
            "payg_max_open_instances = 0",
        ),
    )
    .unwrap();
    // A folder's notices.toml replaces notice texts, and may name only its notice's values.
    std::fs::write(
        folder.path().join("notices.toml"),
        "[instance_expired]\nsubject = \"{instanse} expired\"\nbody = \"Renew it.\"\n",
    )
    .unwrap();
    // A folder's seller.toml replaces the seller; each of its problems is named too.
    let seller = std::fs::read_to_string(format!("{REPOSITORY}/catalog/seller.toml")).unwrap();
    std::fs::write(
        folder.path().join("seller.toml"),
        seller
            .replace("country = \"US\"", "country = \"us\"")
            .replace("rates = {}", "rates = { FR = 10001 }"),
    )
    .unwrap();
    let (success, output) = tenure(&["catalog", "check", folder.path().to_str().unwrap()]);
    assert!(!success);
    assert!(
        output.contains("seller.toml: country: `us` is not an ISO 3166-1 alpha-2 country code"),
        "{output}"
    );
    assert!(
        output.contains("seller.toml: tax.rates.FR: 10001 is outside 0..=10000"),
        "{output}"
    );
    assert!(
        output.contains("seller.toml: tax_id: a seller that charges tax"),
        "{output}"
    );
    assert!(
        output.contains(
            "notices.toml: instance_expired.subject: `{instanse}` is not a value this notice gives"
        ),
        "{output}"
    );
    assert!(
        output.contains("dns.toml: lifecycle.retention_days: 900 is outside 0..=365"),
        "{output}"
    );
    assert!(
        output.contains("dns.toml: editions[0].specs[0].monthly_price_minor: 0 is outside"),
        "{output}"
    );
    assert!(
        output.contains(
            "iot-platform.toml: purchase_limits.payg_minimum_credit_minor: -1000 is outside 0..="
        ),
        "{output}"
    );
    assert!(
        output.contains(
            "iot-platform.toml: purchase_limits.payg_max_open_instances: 0 is outside 1..=10000"
        ),
        "{output}"
    );
    assert!(output.contains("typo.toml: line"), "{output}");
    assert!(output.contains("chnages"), "{output}");
}

#[test]
fn simulate_prints_the_events_as_json_lines() {
    let (success, output) = tenure(&["simulate", "scenarios/lifecycle.toml"]);
    assert!(success, "{output}");
    let kinds: Vec<String> = output
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(kinds.first().map(String::as_str), Some("account.created"));
    assert_eq!(kinds.last().map(String::as_str), Some("instance.released"));
    assert_eq!(
        kinds.len(),
        13,
        "with the release warning, 7 days before release, and the invoices of the purchase \
         and the renewal"
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|kind| *kind == "invoice.issued")
            .count(),
        2
    );
}

#[test]
fn simulate_plays_the_auto_renewal_example() {
    // docs/examples.md 4, as shipped in scenarios/auto-renewal.toml.
    let (success, output) = tenure(&["simulate", "scenarios/auto-renewal.toml"]);
    assert!(success, "{output}");
    let deductions: Vec<(String, String)> = output
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|event| {
            let kind = event["kind"].as_str().unwrap();
            kind.starts_with("instance.auto_renewal") || kind == "instance.renewed"
        })
        .map(|event| {
            (
                event["at"].as_str().unwrap().to_string(),
                event["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let failed = "instance.auto_renewal_failed".to_string();
    assert_eq!(
        deductions,
        [
            ("2026-06-27T00:00:00Z".to_string(), failed.clone()),
            ("2026-06-29T00:00:00Z".to_string(), failed.clone()),
            ("2026-06-30T00:00:00Z".to_string(), failed.clone()),
            ("2026-07-06T00:00:00Z".to_string(), failed),
            (
                "2026-07-14T00:00:00Z".to_string(),
                "instance.renewed".to_string()
            ),
        ]
    );
    assert!(
        output.contains("\"expires_at\":\"2026-07-30T00:00:00Z\""),
        "{output}"
    );
}

#[test]
fn the_overdue_scenario_plays_examples_10() {
    let (success, output) = tenure(&["simulate", "scenarios/overdue.toml"]);
    assert!(success, "{output}");
    let events: Vec<(String, String)> = output
        .lines()
        .map(|line| {
            let event: serde_json::Value = serde_json::from_str(line).unwrap();
            (
                event["at"].as_str().unwrap().to_string(),
                event["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("2026-05-04T10:00:00Z", "account.created"),
        ("2026-05-04T10:00:00Z", "funds.deposited"),
        ("2026-05-04T10:00:00Z", "instance.purchased"),
        ("2026-05-04T10:00:00Z", "invoice.issued"),
        ("2026-05-04T10:00:00Z", "instance.purchased"),
        ("2026-05-04T17:00:00Z", "bill.generated"),
        ("2026-05-04T17:00:00Z", "account.overdue"),
        ("2026-05-04T17:00:00Z", "bill.unpaid"),
        ("2026-05-05T17:00:00Z", "instance.stopped"),
        ("2026-05-05T18:00:00Z", "funds.deposited"),
        ("2026-05-05T18:00:00Z", "bill.paid"),
        ("2026-05-05T18:00:00Z", "account.overdue_settled"),
        ("2026-05-05T18:00:00Z", "instance.restored"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(at, kind)| (at.to_string(), kind.to_string()))
        .collect();
    assert_eq!(events, expected);
}

/// `tenure bench` in a temporary folder, with `arguments` after `bench`.
fn bench(arguments: &[&str]) -> (bool, String, String) {
    let folder = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tenure"))
        .arg("bench")
        .args(arguments)
        .env("TENURE_BENCH_DIR", folder.path())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

/// The line of `output` that starts with `start`.
fn row<'a>(output: &'a str, start: &str) -> &'a str {
    output
        .lines()
        .find(|line| line.starts_with(start))
        .unwrap_or_else(|| panic!("no row `{start}`: {output}"))
}

#[test]
fn a_small_bench_reports_the_median_and_range_of_its_runs() {
    let (success, output, errors) = bench(&[
        "--only",
        "ceiling,sweep,simulation",
        "--fleet",
        "2000",
        "--simulation-fleet",
        "200",
        "--runs",
        "2",
    ]);
    assert!(success, "{output}{errors}");
    assert!(output.contains("swept 2 times"), "{output}");
    // Not at a terminal: no progress bar drawn, no colour.
    assert!(
        !errors.contains('\r') && !errors.contains('\u{1b}'),
        "{errors:?}"
    );
    // Every timed column is a median with its range: `value (lowest–highest)`, and the
    // month's rate is also shown as a multiple of the ceiling measured in the same run.
    for renewal in ["manual", "half auto"] {
        let sweep_row = row(&output, &format!("| 2000 | {renewal} |"));
        assert_eq!(sweep_row.matches('–').count(), 6, "{sweep_row}");
        assert!(sweep_row.trim_end().ends_with("× |"), "{sweep_row}");
    }
    // The steps of thirty days, and how many of them were auto-renewals: none by hand; some,
    // and not all, in the half renewing automatically.
    let month = |renewal: &str| -> (u64, u64) {
        let sweep_row = row(&output, &format!("| 2000 | {renewal} |"));
        let cell = sweep_row.split('|').nth(6).unwrap().trim();
        let (steps, rest) = cell.split_once(" (").unwrap();
        let renewals = rest.split_once(')').unwrap().0;
        (steps.parse().unwrap(), renewals.parse().unwrap())
    };
    let (manual_steps, manual_renewals) = month("manual");
    assert!(manual_steps > 0 && manual_renewals == 0, "{output}");
    let (half_auto_steps, half_auto_renewals) = month("half auto");
    assert!(
        half_auto_renewals > 0 && half_auto_renewals < half_auto_steps,
        "{output}"
    );
    let year_row = row(&output, "| 200 |");
    assert_eq!(year_row.matches('–').count(), 2, "{year_row}");
    assert!(year_row.trim_end().ends_with("× |"), "{year_row}");
    let ceiling_row = row(&output, "| 1 row per commit |");
    assert_eq!(ceiling_row.matches('–').count(), 1, "{ceiling_row}");

    assert!(
        !output.contains("Statements of"),
        "timed only when asked: {output}"
    );

    // Asked for, the statements of each fleet's thirty days: the sweep's own, `COMMIT`
    // among them, each with its share of the time.
    let (success, output, errors) = bench(&[
        "--only",
        "sweep",
        "--fleet",
        "2000",
        "--renewal",
        "half-auto",
        "--runs",
        "1",
        "--statement-times",
    ]);
    assert!(success, "{output}{errors}");
    let breakdown = output
        .split("Statements of the thirty days, fleet of 2000, half auto renewal")
        .nth(1)
        .unwrap_or_else(|| panic!("no statements: {output}"));
    for statement in [
        "`COMMIT`",
        "`INSERT OR FAIL INTO orders",
        "`UPDATE instances",
    ] {
        assert!(breakdown.contains(statement), "{statement}: {output}");
    }
    let shares: f64 = breakdown
        .lines()
        .filter(|line| line.starts_with("| ") && line.contains("% |"))
        .map(|line| line[2..].split('%').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert!(
        (shares - 100.0).abs() < 1.0,
        "shares sum to {shares}: {output}"
    );

    let (success, _, errors) = bench(&["--only", "sweep", "--runs", "0"]);
    assert!(!success);
    assert!(errors.contains("--runs"), "{errors}");
}

/// A `tenure serve` on a fresh SQLite file and a free port; its stdout, line by line.
struct Server {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    port: u16,
    _folder: tempfile::TempDir,
}

impl Server {
    /// Starts `tenure serve` with `arguments` and `environment` added, and waits until it says
    /// where it listens.
    fn start(arguments: &[&str], environment: &[(&str, &str)]) -> Server {
        let folder = tempfile::tempdir().unwrap();
        let database = format!("sqlite://{}", folder.path().join("tenure.db").display());
        let mut child = Command::new(env!("CARGO_BIN_EXE_tenure"))
            .args(["serve", "--db", &database, "--listen", "127.0.0.1:0"])
            .args(["--simulated-clock", "2026-02-10T00:00:00Z"])
            .args(arguments)
            .env("TENURE_ADMIN_KEY", OPERATOR_KEY)
            .env_remove("RUST_LOG")
            .env_remove("TENURE_LOG_FORMAT")
            .env_remove("NO_COLOR")
            .envs(environment.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in stdout.lines() {
                let Ok(line) = line else { return };
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        let mut server = Server {
            child,
            lines,
            port: 0,
            _folder: folder,
        };
        let listening = server.line_with("tenure listening on http://127.0.0.1:");
        let port = listening
            .split("http://127.0.0.1:")
            .nth(1)
            .unwrap()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>();
        server.port = port.parse().unwrap();
        server
    }

    /// The next line of its stdout that contains `needle`, waiting ten seconds at most.
    fn line_with(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(error) => panic!("no line with {needle:?} on stdout: {error}"),
            }
        }
    }

    /// GETs `path` with the operator key and `x-request-id: request_id`; the whole answer.
    fn get(&self, path: &str, request_id: &str) -> String {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {OPERATOR_KEY}\r\n\
             x-request-id: {request_id}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_logs_each_request_as_a_json_line_with_its_route_and_id() {
    let server = Server::start(&["--log-format", "json"], &[]);
    let answer = server.get("/v1/instances/inst_missing", "cli-test-1");
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("x-request-id: cli-test-1\r\n"),
        "{answer}"
    );
    let line: serde_json::Value = serde_json::from_str(&server.line_with("cli-test-1")).unwrap();
    assert_eq!(line["message"], "request", "{line}");
    assert_eq!(line["method"], "GET", "{line}");
    assert_eq!(line["route"], "/v1/instances/{id}", "{line}");
    assert_eq!(line["path"], "/v1/instances/inst_missing", "{line}");
    assert_eq!(line["status"], 404, "{line}");
    assert_eq!(line["request_id"], "cli-test-1", "{line}");
    assert!(line["duration_ms"].as_f64().unwrap() >= 0.0, "{line}");
}

#[test]
fn serve_takes_its_log_format_from_the_environment_too() {
    let server = Server::start(&[], &[("TENURE_LOG_FORMAT", "json")]);
    server.get("/healthz", "cli-test-3");
    let line: serde_json::Value = serde_json::from_str(&server.line_with("cli-test-3")).unwrap();
    assert_eq!(line["route"], "/healthz", "{line}");
    assert_eq!(line["status"], 200, "{line}");
}

#[test]
fn serve_logs_text_without_colour_codes_when_not_at_a_terminal() {
    let server = Server::start(&[], &[]);
    server.get("/v1/products", "cli-test-2");
    let line = server.line_with("cli-test-2");
    for field in [
        "method=GET",
        "route=\"/v1/products\"",
        "status=200",
        "request_id=\"cli-test-2\"",
    ] {
        assert!(line.contains(field), "{field}: {line}");
    }
    assert!(!line.contains('\u{1b}'), "{line:?}");
}

/// `tenure serve` with these arguments, expected to stop at once: its exit and stderr.
fn serve_refused(arguments: &[&str]) -> (bool, String) {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("tenure.db").display());
    let database_given = arguments.contains(&"--db");
    let mut command = Command::new(env!("CARGO_BIN_EXE_tenure"));
    command.args(["serve", "--listen", "127.0.0.1:0"]);
    if !database_given {
        command.args(["--db", &database]);
    }
    let output = command
        .args(arguments)
        .env("TENURE_ADMIN_KEY", OPERATOR_KEY)
        .env_remove("TENURE_SMTP_URL")
        .env_remove("TENURE_SMTP_FROM")
        .env_remove("TENURE_SMS_GATEWAY_URL")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

/// An operator key as `serve` takes it: 32 characters at least.
const OPERATOR_KEY: &str = "cli-test-operator-key-0123456789abcdef";

#[test]
fn serve_refuses_a_short_operator_key_saying_how_to_make_one() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("tenure.db").display());
    let output = Command::new(env!("CARGO_BIN_EXE_tenure"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db", &database])
        .env("TENURE_ADMIN_KEY", "secret")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("at least 32"), "{said}");
    assert!(said.contains("openssl rand -hex 32"), "{said}");
    assert!(
        !folder.path().join("tenure.db").exists(),
        "nothing was made before the refusal"
    );
}

#[test]
fn serve_refuses_delivery_settings_it_cannot_use_saying_why() {
    let (started, said) =
        serve_refused(&["--smtp-url", "mail.example.com:25", "--smtp-from", "a@b.c"]);
    assert!(!started);
    assert!(
        said.contains("--smtp-url `mail.example.com:25` is not an SMTP URL"),
        "{said}"
    );
    let (started, said) = serve_refused(&["--smtp-url", "smtp://mail.example.com"]);
    assert!(!started);
    assert!(said.contains("--smtp-url needs --smtp-from"), "{said}");
    let (started, said) = serve_refused(&["--sms-gateway-url", "ftp://sms.example.com"]);
    assert!(!started);
    assert!(
        said.contains("--sms-gateway-url `ftp://sms.example.com` is not an http or https URL"),
        "{said}"
    );
}

#[test]
fn serve_says_at_start_which_delivery_channels_are_on() {
    use std::io::{BufRead, BufReader};
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("tenure.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_tenure"))
        .args(["serve", "--db", &database, "--listen", "127.0.0.1:0"])
        .args(["--sms-gateway-url", "http://127.0.0.1:9/sms"])
        .env("TENURE_ADMIN_KEY", OPERATOR_KEY)
        .env_remove("TENURE_SMTP_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let line = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(Result::unwrap)
        .find(|line| line.contains("delivery:"))
        .expect("a delivery line");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(line.contains("email off (no --smtp-url)"), "{line}");
    assert!(line.contains("SMS on (http://127.0.0.1:9/sms)"), "{line}");
    assert!(line.contains("webhooks on"), "{line}");
}

/// `tenure migrate` creates a PostgreSQL database that does not exist and brings it to this
/// tenure's schema; `serve` refuses one without it, saying what to run.
#[tokio::test]
async fn migrate_creates_and_migrates_a_postgres_database_and_serve_refuses_an_unmigrated_one() {
    use sqlx::Connection;
    let admin_url = std::env::var("TENURE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let base = admin_url.rsplit_once('/').unwrap().0.to_string();
    let name = format!("tenure_migrate_{:016x}", rand::random::<u64>());
    let url = format!("{base}/{name}");
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();

    // An empty database: serve refuses it.
    let empty = format!("{name}_empty");
    sqlx::query(&format!("CREATE DATABASE {empty}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let (started, said) = serve_refused(&["--db", &format!("{base}/{empty}")]);
    assert!(!started);
    assert!(
        said.contains("the database has no tenure schema yet")
            && said.contains("tenure migrate --db URL"),
        "{said}"
    );

    // A database that does not exist: migrate makes it and its schema.
    let run = |arguments: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_tenure"))
            .args(arguments)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).to_string(),
        )
    };
    let (migrated, said) = run(&["migrate", "--db", &url]);
    assert!(migrated, "{said}");
    let latest = tenure_store::migrations::latest_version();
    assert!(
        said.contains(&format!("schema migrated from version 0 to {latest}")),
        "{said}"
    );
    let (again, said) = run(&["migrate", "--db", &url]);
    assert!(again);
    assert!(said.contains("nothing to do"), "{said}");

    for database in [name, empty] {
        sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}
