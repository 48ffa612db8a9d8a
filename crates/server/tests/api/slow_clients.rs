//! Slow clients hold nothing for long: thousands of connections that send half a request's
//! headers, or half its body, or nothing, leave `/healthz` answering at once, hold little
//! memory, and are closed once their timeout has passed; past the connection limit, a client
//! waits (holding nothing of the server's) and is served when a slot frees. Loopback only,
//! every loop bounded in count and time.

use std::time::{Duration, Instant};

use tenure_server::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app_with, Backend, TestApp, ADMIN_KEY};

const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(2);
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(3);

async fn app_with(limits: Limits) -> TestApp {
    spawn_app_with(Backend::Sqlite, "2026-01-01T00:00:00Z", move |settings| {
        settings.limits = limits;
    })
    .await
}

/// This process's resident memory, in bytes (Linux's `/proc`).
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kilobytes: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kilobytes * 1024
}

/// A client that makes a new connection for every request, as a prober does.
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// How long `GET /healthz` takes to answer 200, or `None` if it did not within `within`.
async fn healthz_time(app: &TestApp, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let answer = tokio::time::timeout(
        within,
        fresh_client()
            .get(format!("{}/healthz", app.address))
            .send(),
    )
    .await
    .ok()?
    .ok()?;
    assert_eq!(answer.status(), 200);
    Some(started.elapsed())
}

/// Opens a connection and sends `start` of a request, no more.
async fn half_sent(port: u16, start: &str) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(start.as_bytes()).await.unwrap();
    stream
}

/// Reads what the server sends until it closes the connection; panics if it does not by
/// `deadline`. A reset counts as closed.
async fn closed_by(mut stream: TcpStream, deadline: Instant) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = tokio::time::timeout_at(deadline.into(), stream.read(&mut buffer))
            .await
            .expect("the server closes a slow connection after its timeout");
        match read {
            Ok(0) | Err(_) => return received,
            Ok(count) => received.extend_from_slice(&buffer[..count]),
        }
    }
}

fn port_of(app: &TestApp) -> u16 {
    app.address.rsplit(':').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_slow_clients_leave_healthz_answering_and_are_closed_in_time() {
    // Two descriptors a connection in this process (the client's end and the server's).
    let descriptors = tenure_server::raise_open_files_limit().unwrap_or(u64::MAX);
    let per_kind = ((descriptors.saturating_sub(512) / 2 / 3) as usize).min(1000);
    assert!(per_kind >= 50, "too few open files allowed: {descriptors}");
    let app = app_with(Limits {
        header_read_timeout: HEADER_READ_TIMEOUT,
        body_read_timeout: BODY_READ_TIMEOUT,
        ..Limits::default()
    })
    .await;
    let port = port_of(&app);
    assert!(healthz_time(&app, Duration::from_secs(5)).await.is_some());
    let before = resident_bytes();

    let opened = Instant::now();
    let mut headers = Vec::new();
    let mut bodies = Vec::new();
    let mut forms = Vec::new();
    for _ in 0..per_kind {
        headers.push(half_sent(port, "GET /healthz HTTP/1.1\r\nHost: tenure\r\nX-Slow: ").await);
        bodies.push(
            half_sent(
                port,
                &format!(
                    "POST /v1/accounts HTTP/1.1\r\nHost: tenure\r\nAuthorization: Bearer {ADMIN_KEY}\r\n\
                     Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{{\"name\": \""
                ),
            )
            .await,
        );
        // The console's sign-in form, which reads its body before any session exists.
        forms.push(
            half_sent(
                port,
                "POST /console/sign-in HTTP/1.1\r\nHost: tenure\r\nCookie: tenure_sign_in=token\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\ncsrf=tok",
            )
            .await,
        );
    }
    let held = 3 * per_kind;
    assert!(
        opened.elapsed() < HEADER_READ_TIMEOUT,
        "opening {held} connections took {:?}, longer than the timeouts under test",
        opened.elapsed()
    );

    // While they are all held: the prober is answered at once, again and again.
    for _ in 0..3 {
        let took = healthz_time(&app, Duration::from_secs(1)).await;
        assert!(
            took.is_some(),
            "/healthz did not answer within a second beside {held} slow connections"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Little memory each: the report's 1.2 MB a connection would be gigabytes here.
    let grown = resident_bytes().saturating_sub(before);
    let per_connection = grown / held as u64;
    assert!(
        per_connection < 64 * 1024,
        "{held} slow connections grew the process by {grown} bytes ({per_connection} each)"
    );

    // Each is closed once its timeout has passed (with a margin for a busy machine).
    let margin = Duration::from_secs(5);
    let mut closing = tokio::task::JoinSet::new();
    for stream in headers {
        closing.spawn(closed_by(stream, opened + HEADER_READ_TIMEOUT + margin));
    }
    for stream in bodies.into_iter().chain(forms) {
        closing.spawn(closed_by(
            stream,
            opened + HEADER_READ_TIMEOUT + BODY_READ_TIMEOUT + margin,
        ));
    }
    let mut answered = 0;
    let mut timed_out = 0;
    while let Some(received) = closing.join_next().await {
        let received = received.expect("a closing task");
        // A body not sent in time is refused with an answer; half a head gets none, or 408.
        if !received.is_empty() {
            let text = String::from_utf8_lossy(&received);
            assert!(
                text.starts_with("HTTP/1.1 4"),
                "a slow request is refused: {text}"
            );
            answered += 1;
            if text.starts_with("HTTP/1.1 408") && text.contains("\"body_timeout\"") {
                timed_out += 1;
            }
        }
    }
    assert!(answered >= 2 * per_kind, "every slow body was refused");
    assert!(
        timed_out >= per_kind,
        "an API body sent too slowly is 408 body_timeout: {timed_out} of {per_kind}"
    );
    assert!(healthz_time(&app, Duration::from_secs(1)).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_limit_a_client_waits_and_is_served_when_a_slot_frees() {
    let app = app_with(Limits {
        max_connections: 20,
        header_read_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let port = port_of(&app);
    let mut silent = Vec::new();
    for _ in 0..20 {
        silent.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
    }
    // Every slot is held by a client that sends nothing: the next one waits...
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(healthz_time(&app, Duration::from_millis(300)).await, None);
    // ...until the silent ones are timed out, and is then served.
    let took = healthz_time(&app, Duration::from_secs(6)).await;
    assert!(
        took.is_some(),
        "/healthz was not served once the silent connections were closed"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    for stream in silent {
        closed_by(stream, deadline).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_takes_no_bytes_of_its_answers_is_dropped() {
    let app = app_with(Limits {
        write_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let document_bytes = fresh_client()
        .get(format!("{}/openapi.json", app.address))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .len();
    // Far more answer than the sockets' buffers hold, asked for at once and never read.
    let requests = (64 * 1024 * 1024 / document_bytes).clamp(8, 400);
    let mut stream = TcpStream::connect(("127.0.0.1", port_of(&app)))
        .await
        .unwrap();
    let pipelined = "GET /openapi.json HTTP/1.1\r\nHost: tenure\r\n\r\n".repeat(requests);
    // The server stops reading while its answers wait; what it has not read stays in the
    // socket, so the write may not finish: it is not waited for past a second.
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        stream.write_all(pipelined.as_bytes()),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = closed_by(stream, Instant::now() + Duration::from_secs(10)).await;
    assert!(
        received.len() < requests * document_bytes,
        "the stalled client got every answer ({} bytes): it was not dropped",
        received.len()
    );
}
