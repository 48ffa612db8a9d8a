//! tenure's HTTP API. The only crate that knows HTTP and JSON.
//!
//! [`Application::build`] binds the listener (port 0 in tests) and wires the engine; every
//! route lives in a feature module under [`routes`] and is declared once, in the route table,
//! from which both the router and `/openapi.json` are made.

mod api;
mod auth;
mod console;
mod context;
mod edge_answers;
mod error;
mod fleet_metrics;
mod metrics;
mod openapi;
mod path_ids;
mod request_log;
pub mod routes;
mod serve;
pub mod simulate;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tenure_core::catalog::Catalog;
pub use tenure_delivery::{ChannelUrls, DelivererSettings};
use tenure_delivery::{Channels, Deliverer};
use tenure_engine::clock::{self, StartFacts};
pub use tenure_engine::ClockChoice;
use tenure_engine::{Clock, Engine, Ids};
use tenure_store::Store;
use tokio::net::TcpListener;
use tracing::Instrument;

pub use auth::{check_operator_key, MIN_OPERATOR_KEY_CHARS};
pub use context::ApiContext;
pub use error::ApiError;
pub use serve::{raise_open_files_limit, Limits, MAX_HEAD_BYTES};

/// How to run a server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// Connections to PostgreSQL at most (nodes on one server share its limit).
    pub database_max_connections: u32,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Start a simulated clock at this time (`--simulated-clock`), unless the database keeps a
    /// later one, which is resumed.
    pub simulated_clock: Option<Timestamp>,
    /// The clock asked for (`--clock`): by default the database's, which is its simulated
    /// clock if it keeps one, whether or not `simulated_clock` is given (see
    /// `tenure_engine::clock`).
    pub clock: ClockChoice,
    /// The operator's API key.
    pub admin_key: String,
    pub catalog: Catalog,
    /// How often the lifecycle sweep runs on the system clock.
    pub sweep_interval: Duration,
    /// How often every account's running totals are checked against its postings (the
    /// ledger audit; an account that fails is frozen).
    pub ledger_audit_interval: Duration,
    /// Number ids 1, 2, 3… instead of time and randomness, so a replay gives the same ids.
    pub sequential_ids: bool,
    /// Where notices and events are sent, and how; `None` sends nothing (a simulation, a
    /// benchmark), every notice then `undeliverable`.
    pub delivery: Option<Delivery>,
    /// How long a client may take and how many may be served at once (see `serve.rs`).
    pub limits: Limits,
    pub console: ConsoleSettings,
    /// Card payments through Stripe; `None`: off (a card payment answers 422
    /// `payments_not_configured`).
    pub card_payments: Option<CardPaymentSettings>,
}

/// Where card payments go.
#[derive(Clone)]
pub struct CardPaymentSettings {
    pub stripe_secret_key: String,
    pub stripe_webhook_secret: Option<String>,
    /// Stripe's API, or another server that speaks it.
    pub stripe_api_base: String,
    /// How often payments whose call was never answered are looked up at the provider (and
    /// refunds to cards sent).
    pub settle_interval: Duration,
    /// How long a call to the provider may take before its outcome is unknown.
    pub call_timeout: Duration,
    /// The publishable key (`pk_…`) the console's card page loads Stripe.js with; without it
    /// the console cannot save a card (the API still can).
    pub stripe_publishable_key: Option<String>,
    /// Where the browser loads Stripe.js from ([`STRIPE_JS_URL`] but in tests).
    pub stripe_js_url: String,
}

/// Stripe's own Stripe.js.
pub const STRIPE_JS_URL: &str = "https://js.stripe.com/v3/";

/// The secrets never show in a log line or a panic.
impl std::fmt::Debug for CardPaymentSettings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter
            .debug_struct("CardPaymentSettings")
            .field("stripe_api_base", &self.stripe_api_base)
            .field("settle_interval", &self.settle_interval)
            .finish_non_exhaustive()
    }
}

/// The web console's settings.
#[derive(Debug, Clone, Default)]
pub struct ConsoleSettings {
    /// The key that signs console sessions (at least 32 characters), the same on every node;
    /// `None`: a random one kept in the database, made by the first node that starts.
    pub session_key: Option<String>,
    /// Mark the console's cookies `Secure` on every answer (tenure reached over HTTPS only);
    /// without it, on answers to requests a proxy marked `X-Forwarded-Proto: https`.
    pub secure_cookies: bool,
}

/// The shortest session key `--console-session-key` takes.
pub const MIN_CONSOLE_SESSION_KEY_CHARS: usize = 32;

/// The delivery channels and the deliverer's settings.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    pub channels: ChannelUrls,
    pub deliverer: DelivererSettings,
}

/// A built server, bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    context: ApiContext,
    limits: Limits,
    /// What runs beside the API; stopped with it.
    background: Background,
}

/// The tasks a server runs beside the API (the sweeper, the deliverer, the clock follower, the
/// metrics' upkeep): aborted when dropped, so that a server stopped, or a future serving it
/// dropped (a test's, a benchmark's), leaves nothing running on its database.
struct Background(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let store =
            Store::connect_for_serving(&settings.database_url, settings.database_max_connections)
                .await?;
        // Which clock, decided before anything runs: a refusal is a clear error at start.
        let facts = StartFacts::read(&store).await?;
        let start = clock::choose_start(settings.clock, settings.simulated_clock, facts)?;
        let clock = match start.simulated_at {
            Some(at) => Clock::simulated(at),
            None => Clock::system(),
        };
        let ids = if settings.sequential_ids {
            Ids::sequential()
        } else {
            Ids::random()
        };
        // Checked before anything starts: a bad URL is a clear error at start.
        let delivery = match &settings.delivery {
            Some(delivery) => Some((
                Channels::from_urls(&delivery.channels, delivery.deliverer.send_timeout)?,
                delivery.deliverer.clone(),
            )),
            None => None,
        };
        let mut engine = Engine::new(store, settings.catalog, clock, ids);
        if let Some((channels, deliverer)) = &delivery {
            engine = engine
                .with_delivery(channels.engine_channels(), deliverer.policy.clone())
                .with_operator_email(channels.operator_email());
        }
        if let Some(payments) = &settings.card_payments {
            let stripe = tenure_payments::stripe::Stripe::with_timeout(
                &payments.stripe_api_base,
                &payments.stripe_secret_key,
                payments.call_timeout,
            );
            engine = engine.with_card_payments(Arc::new(stripe), "stripe", payments.call_timeout);
        }
        let engine = Arc::new(engine);
        let mut background = Vec::new();
        // The clock is state: kept in the database, which every node follows.
        if let Some(at) = start.simulated_at {
            engine.keep_clock_at(at).await?;
        } else if start.forget_kept {
            engine.move_to_system_clock().await?;
        }
        tracing::info!("{}", start.describe(facts.machine_now));
        background.push(spawn_clock_follower(engine.clone()));
        let mut context = ApiContext::new(engine.clone(), &settings.admin_key);
        context.console_session_key =
            Arc::new(console_session_key(&engine, &settings.console).await?);
        context.secure_cookies = settings.console.secure_cookies;
        match &settings.card_payments {
            Some(payments) => {
                tracing::info!(
                    "card payments: on, through Stripe's API at {}{}",
                    payments.stripe_api_base,
                    if payments.stripe_webhook_secret.is_some() {
                        ""
                    } else {
                        " (no webhook secret: payments waiting for the customer are settled by looking them up)"
                    }
                );
                context.stripe_webhook_secret =
                    payments.stripe_webhook_secret.as_deref().map(Arc::from);
                context.stripe_browser = Some(Arc::new(context::StripeBrowser {
                    publishable_key: payments
                        .stripe_publishable_key
                        .clone()
                        .filter(|key| !key.trim().is_empty()),
                    js_url: payments.stripe_js_url.clone(),
                    api_base: payments.stripe_api_base.clone(),
                }));
                background.push(spawn_payment_settler(
                    engine.clone(),
                    payments.settle_interval,
                ));
            }
            None => tracing::info!("card payments: off (no --stripe-secret-key)"),
        }
        let listener = TcpListener::bind(settings.listen).await?;
        if let Some((channels, deliverer)) = delivery {
            tracing::info!("delivery: {}", channels.describe());
            let observer = context.metrics.clone();
            background.push(tokio::spawn(
                Deliverer::new(engine, channels, deliverer)
                    .observed_by(observer)
                    .run(),
            ));
        }
        background.push(spawn_sweeper(context.clone(), settings.sweep_interval));
        background.push(spawn_ledger_auditor(
            context.engine.clone(),
            settings.ledger_audit_interval,
        ));
        background.push(spawn_metrics_upkeep(context.metrics.clone()));
        Ok(Application {
            listener,
            context,
            limits: settings.limits,
            background: Background(background),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().expect("bound").port()
    }

    pub fn engine(&self) -> Arc<Engine> {
        self.context.engine.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let _background = self.background;
        let router = routes::router(self.context);
        serve::serve(self.listener, router, self.limits, shutdown_signal()).await
    }
}

/// Every `every`: the ledger audit ([`tenure_engine::Engine::audit_ledgers`]), which freezes
/// an account whose running totals differ from its postings. Reads take the running totals
/// alone; this is where they are checked. The first audit runs one interval after the start.
fn spawn_ledger_auditor(engine: Arc<Engine>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            match engine.audit_ledgers(routes::AUDIT_BATCH_ACCOUNTS).await {
                Ok(audit) if audit.drifted_accounts.is_empty() => {
                    tracing::debug!(
                        accounts = audit.accounts_checked,
                        "ledger audit: every account checks"
                    );
                }
                Ok(audit) => tracing::error!(
                    accounts = audit.accounts_checked,
                    drifted = ?audit.drifted_accounts,
                    "ledger audit: accounts whose running totals differ from their postings are frozen"
                ),
                Err(error) => tracing::error!(%error, "the ledger audit failed; it will run again"),
            }
        }
    })
}

/// Now and then: looks up the payments whose call to the provider was never answered (a node
/// died between the call and its commit, the provider timed out) and settles them, and sends
/// the refunds queued for cards.
fn spawn_payment_settler(engine: Arc<Engine>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            let now = jiff::Timestamp::now();
            if let Err(error) = engine.settle_unanswered_payments(now).await {
                tracing::warn!(%error, "settling unanswered payments");
            }
            if let Err(error) = engine.send_card_refunds(now).await {
                tracing::warn!(%error, "sending refunds to cards");
            }
        }
    })
}

/// The key that signs console sessions: the one given, or the one kept in the database
/// (made now, at random, if this is the first start; a node starting at the same time reads
/// the one that was kept first). Never derived from the operator key: a session's cookie,
/// which its holder can read, must tell nothing about the key that signs the operator's.
async fn console_session_key(
    engine: &Engine,
    console: &ConsoleSettings,
) -> anyhow::Result<Vec<u8>> {
    if let Some(key) = &console.session_key {
        anyhow::ensure!(
            key.chars().count() >= MIN_CONSOLE_SESSION_KEY_CHARS,
            "the console session key must be at least {MIN_CONSOLE_SESSION_KEY_CHARS} characters; make one with `openssl rand -hex 32`"
        );
        return Ok(key.as_bytes().to_vec());
    }
    let candidate: String = rand::random::<[u8; 32]>()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let kept = engine
        .store
        .write(move |tx| {
            let candidate = candidate.clone();
            Box::pin(
                async move { tenure_store::console_sessions::session_key(tx, &candidate).await },
            )
        })
        .await?;
    Ok(kept.into_bytes())
}

/// Takes due lifecycle steps every `interval`: what is due by the clock. A simulated clock
/// moves only by `POST /v1/clock/advance`, which takes its steps itself; this sweep takes
/// there what is due by the time kept in the database, so nodes sharing it help with the
/// moments another node's advance has reached, and finish a dead node's.
fn spawn_sweeper(context: ApiContext, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let now = context.engine.clock.now();
            // Idempotency keys are kept for at least 24 hours; two days is the margin.
            if let Err(error) = context.engine.expire_idempotency_keys(now).await {
                tracing::error!(%error, "expiring idempotency keys failed; it will run again");
            }
            let started = std::time::Instant::now();
            // Its lines (a step that failed, say) say which sweep they come from.
            let swept = context
                .engine
                .run_due(now)
                .instrument(tracing::info_span!("sweep", %now))
                .await;
            context.metrics.observe_sweep(started.elapsed());
            match swept {
                Ok(report) => {
                    context.metrics.add_steps(report.steps_taken);
                    context.metrics.add_parked(report.steps_parked);
                }
                Err(error) => tracing::error!(%error, "lifecycle sweep failed; it will run again"),
            }
        }
    })
}

/// Keeps the clock at the one the database runs on: a simulated clock at the time kept, which
/// another node may have moved, or the machine's where another node moved the database to it
/// (and the other way): every node on one database reads the same time, within this interval.
fn spawn_clock_follower(engine: Arc<Engine>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_millis(250));
        loop {
            interval.tick().await;
            if let Err(error) = engine.follow_kept_clock().await {
                tracing::warn!(%error, "reading the simulated clock kept in the database failed");
            }
        }
    })
}

/// Folds the histograms' values into their buckets now and then, so that a server nobody
/// scrapes does not keep every request's duration. Stops with the server's runtime.
fn spawn_metrics_upkeep(metrics: Arc<crate::metrics::Metrics>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(crate::metrics::UPKEEP_INTERVAL);
        loop {
            interval.tick().await;
            metrics.run_upkeep();
        }
    })
}

/// Stops on Ctrl-C or SIGTERM (what service managers send); requests in flight finish first.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sweeps_of_the_system_clock_are_timed_in_metrics() {
        let folder = tempfile::tempdir().unwrap();
        let settings = Settings {
            database_url: format!("sqlite://{}", folder.path().join("tenure.db").display()),
            database_max_connections: tenure_store::DEFAULT_MAX_CONNECTIONS,
            listen: "127.0.0.1:0".parse().unwrap(),
            simulated_clock: None,
            clock: ClockChoice::default(),
            admin_key: "key".to_string(),
            catalog: tenure_core::catalog::default_catalog(),
            sweep_interval: Duration::from_millis(10),
            ledger_audit_interval: Duration::from_secs(3600),
            sequential_ids: false,
            delivery: None,
            limits: Limits::default(),
            console: ConsoleSettings::default(),
            card_payments: None,
        };
        let application = Application::build(settings).await.unwrap();
        let sweeps = |text: &str| -> u64 {
            text.lines()
                .find_map(|line| line.strip_prefix("tenure_sweep_duration_seconds_count "))
                .map_or(0, |count| count.parse().unwrap())
        };
        let store = application.engine().store.clone();
        for _ in 0..500 {
            let text = application.context.metrics.render(store.write_counts());
            if sweeps(&text) >= 2 {
                assert!(
                    text.contains("# TYPE tenure_sweep_duration_seconds histogram"),
                    "{text}"
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "no two sweeps timed in five seconds: {}",
            application.context.metrics.render(store.write_counts())
        );
    }
}
