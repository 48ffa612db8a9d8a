//! The `tenure` command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

mod allocator;
mod bench;
mod catalog_folder;
mod logging;
mod progress;
mod transfer;

use catalog_folder::load_dir;
use clap::{Parser, Subcommand};
use jiff::Timestamp;
use logging::{Destination, LogFormat};
use tenure_core::catalog::{default_catalog, Catalog};
use tenure_server::{Application, ClockChoice, Settings};

#[derive(Parser)]
#[command(
    name = "tenure",
    version,
    about = "The commercial life of cloud resources: purchase, renewal, expiry, release"
)]
struct Cli {
    /// How log lines are written: `text` for people, or `json`, one object per line.
    #[arg(
        long,
        global = true,
        env = "TENURE_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// Where `serve` sends notices and events.
#[derive(clap::Args)]
struct DeliveryArgs {
    /// Send email notices through this SMTP server: smtp://[USER:PASSWORD@]HOST[:PORT]
    /// (add ?tls=required for STARTTLS) or smtps://… (TLS from the start).
    #[arg(
        long,
        env = "TENURE_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    smtp_url: Option<String>,
    /// The address emails come from, such as "Billing <billing@example.com>".
    #[arg(long, env = "TENURE_SMTP_FROM", value_name = "ADDRESS")]
    smtp_from: Option<String>,
    /// Send SMS notices by POSTing {"to", "text", "notice_id"} as JSON to this http(s) URL.
    #[arg(long, env = "TENURE_SMS_GATEWAY_URL", value_name = "URL")]
    sms_gateway_url: Option<String>,
    /// The operator's email address, where notices meant for the operator go (a card
    /// payment's dispute); without it a dispute is an event only.
    #[arg(long, env = "TENURE_OPERATOR_EMAIL", value_name = "ADDRESS")]
    operator_email: Option<String>,
    /// Seconds one delivery attempt may take before it counts as failed.
    #[arg(long, default_value_t = 10)]
    delivery_timeout_seconds: u64,
    /// Deliveries sent at once, at most.
    #[arg(long, default_value_t = 16)]
    delivery_concurrency: usize,
    /// Divide the retry delays (10 s, 1 min, … 12 h) and the 3 days before giving up by this:
    /// for trying a receiver out, not for production.
    #[arg(long, default_value_t = 1, hide = true)]
    delivery_retry_scale: i32,
    /// Milliseconds between looks at the outbox when nothing is due.
    #[arg(long, default_value_t = 1000, hide = true)]
    delivery_poll_interval_ms: u64,
}

impl DeliveryArgs {
    fn delivery(self) -> tenure_server::Delivery {
        let policy = tenure_core::delivery::DeliveryPolicy::default();
        tenure_server::Delivery {
            channels: tenure_server::ChannelUrls {
                smtp_url: self.smtp_url,
                smtp_from: self.smtp_from,
                sms_gateway_url: self.sms_gateway_url,
                operator_email: self.operator_email,
            },
            deliverer: tenure_server::DelivererSettings {
                concurrency: self.delivery_concurrency.max(1),
                poll_interval: Duration::from_millis(self.delivery_poll_interval_ms.max(1)),
                send_timeout: Duration::from_secs(self.delivery_timeout_seconds.max(1)),
                policy: if self.delivery_retry_scale > 1 {
                    policy.scaled_down(self.delivery_retry_scale)
                } else {
                    policy
                },
            },
        }
    }
}

/// How long `serve` waits for a client, and how many it serves at once: every wait is bounded,
/// so slow or idle clients cannot hold the server's memory or descriptors.
#[derive(clap::Args)]
struct LimitArgs {
    /// Connections served at once; more wait in the kernel's accept queue, holding nothing of
    /// tenure's, until one ends (at most what the process's open-files limit allows).
    #[arg(long, env = "TENURE_MAX_CONNECTIONS", default_value_t = tenure_server::Limits::default().max_connections)]
    max_connections: usize,
    /// Seconds a client has to send a request's headers, counted from when the connection is
    /// ready for the request: also how long a kept-alive connection may sit idle.
    #[arg(long, env = "TENURE_HEADER_READ_TIMEOUT_SECONDS", default_value_t = tenure_server::Limits::default().header_read_timeout.as_secs())]
    header_read_timeout_seconds: u64,
    /// Seconds a client has to send a request's whole body once its headers arrived.
    #[arg(long, env = "TENURE_BODY_READ_TIMEOUT_SECONDS", default_value_t = tenure_server::Limits::default().body_read_timeout.as_secs())]
    body_read_timeout_seconds: u64,
    /// Seconds a client may take no bytes of an answer before it is dropped.
    #[arg(long, env = "TENURE_WRITE_TIMEOUT_SECONDS", default_value_t = tenure_server::Limits::default().write_timeout.as_secs())]
    write_timeout_seconds: u64,
}

impl LimitArgs {
    fn limits(self) -> tenure_server::Limits {
        let seconds = |value: u64| Duration::from_secs(value.max(1));
        tenure_server::Limits {
            max_connections: self.max_connections.max(1),
            header_read_timeout: seconds(self.header_read_timeout_seconds),
            body_read_timeout: seconds(self.body_read_timeout_seconds),
            write_timeout: seconds(self.write_timeout_seconds),
        }
    }
}

/// The web console's settings.
#[derive(clap::Args)]
struct ConsoleArgs {
    /// The key that signs console sessions, at least 32 characters, the same on every node
    /// (`openssl rand -hex 32`); without it, a random one kept in the database is used, made
    /// at the first start. Give it by the environment rather than the command line.
    #[arg(
        long,
        env = "TENURE_CONSOLE_SESSION_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    console_session_key: Option<String>,
    /// Mark the console's cookies `Secure` on every answer (tenure reached over HTTPS only);
    /// without it they are `Secure` on answers to requests marked `X-Forwarded-Proto: https`.
    #[arg(long, env = "TENURE_SECURE_COOKIES")]
    secure_cookies: bool,
}

/// Card payments through Stripe (README: Card payments).
#[derive(clap::Args)]
struct PaymentArgs {
    /// Stripe's secret key (`sk_…`): card payments are on when it is given. Give it by the
    /// environment rather than the command line.
    #[arg(
        long,
        env = "TENURE_STRIPE_SECRET_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    stripe_secret_key: Option<String>,
    /// The secret Stripe signs its webhooks with (`whsec_…`), for
    /// `POST /v1/providers/stripe/webhook`.
    #[arg(
        long,
        env = "TENURE_STRIPE_WEBHOOK_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    stripe_webhook_secret: Option<String>,
    /// Another server that speaks Stripe's API (localstripe in the tests).
    #[arg(long, env = "TENURE_STRIPE_API_BASE", default_value = tenure_payments::stripe::STRIPE_API_BASE)]
    stripe_api_base: String,
    /// Stripe's publishable key (`pk_…`), which the console's card page loads Stripe.js with
    /// (public: it is written into the page).
    #[arg(long, env = "TENURE_STRIPE_PUBLISHABLE_KEY", value_name = "KEY")]
    stripe_publishable_key: Option<String>,
    /// Where the browser loads Stripe.js from (localstripe's stand-in in the tests).
    #[arg(long, env = "TENURE_STRIPE_JS_URL", default_value = tenure_server::STRIPE_JS_URL)]
    stripe_js_url: String,
    /// Seconds a call to Stripe may take before its outcome is unknown (then looked up).
    #[arg(long, default_value_t = 20)]
    stripe_timeout_seconds: u64,
    /// Seconds between lookups of payments whose answer was lost, and sends of refunds to
    /// cards.
    #[arg(long, default_value_t = 30)]
    payment_settle_interval_seconds: u64,
}

impl PaymentArgs {
    fn card_payments(self) -> Option<tenure_server::CardPaymentSettings> {
        let secret_key = self
            .stripe_secret_key
            .filter(|key| !key.trim().is_empty())?;
        Some(tenure_server::CardPaymentSettings {
            stripe_secret_key: secret_key,
            stripe_webhook_secret: self.stripe_webhook_secret,
            stripe_api_base: self.stripe_api_base,
            settle_interval: Duration::from_secs(self.payment_settle_interval_seconds.max(1)),
            call_timeout: Duration::from_secs(self.stripe_timeout_seconds.max(1)),
            stripe_publishable_key: self.stripe_publishable_key,
            stripe_js_url: self.stripe_js_url,
        })
    }
}

/// `serve --clock`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum ClockArg {
    /// The machine's clock.
    System,
    /// A simulated clock: the one the database keeps, or --simulated-clock's.
    Simulated,
}

#[derive(Subcommand)]
// Parsed once at start: the size of its largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Run the HTTP API.
    Serve {
        /// sqlite://PATH (created if missing) or postgres://USER@HOST:PORT/DATABASE.
        #[arg(long, default_value = "sqlite://tenure.db")]
        db: String,
        /// Connections to PostgreSQL at most; nodes on one server share its `max_connections`.
        #[arg(long, env = "TENURE_DB_MAX_CONNECTIONS", default_value_t = tenure_store::DEFAULT_MAX_CONNECTIONS)]
        db_max_connections: u32,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Start a simulated clock at this RFC 3339 time; it moves only by POST /v1/clock/advance.
        /// A database that keeps a later one resumes it. Kept in the database: later starts
        /// resume it with or without this flag.
        #[arg(long, value_name = "START")]
        simulated_clock: Option<Timestamp>,
        /// The clock to run on. Without it, the database's: the simulated clock it keeps, if
        /// any (whether or not --simulated-clock is given), else the machine's. `system` moves
        /// a database off its simulated clock to the machine's, for good (refused while the
        /// machine's time is before the kept time); `simulated` requires one, kept or started
        /// by --simulated-clock.
        #[arg(long, value_enum, value_name = "CLOCK")]
        clock: Option<ClockArg>,
        /// A catalog folder of product TOML files (default: the built-in catalog).
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Seconds between lifecycle sweeps (on a simulated clock, of what is due by the time
        /// kept in the database, which another node's advance may have moved).
        #[arg(long, default_value_t = 5)]
        sweep_interval_seconds: u64,
        /// Seconds between ledger audits: every account's running totals checked against its
        /// postings, an account that fails frozen (an operator also runs one with
        /// `POST /v1/ledger/audit`).
        #[arg(long, default_value_t = 600)]
        ledger_audit_seconds: u64,
        #[command(flatten)]
        delivery: DeliveryArgs,
        #[command(flatten)]
        limits: LimitArgs,
        #[command(flatten)]
        console: ConsoleArgs,
        #[command(flatten)]
        payments: PaymentArgs,
    },
    /// Bring a database's schema to this tenure's version (every migration it lacks, in one
    /// transaction); creates a PostgreSQL database that does not exist yet.
    Migrate {
        /// sqlite://PATH or postgres://USER@HOST:PORT/DATABASE.
        #[arg(long)]
        db: String,
    },
    /// Write every row of a database to FILE (JSON lines), read from one snapshot, with every
    /// account's funds summed from its ledger.
    Export {
        /// sqlite://PATH or postgres://USER@HOST:PORT/DATABASE, at this tenure's schema version.
        #[arg(long)]
        db: String,
        file: PathBuf,
    },
    /// Load FILE, written by `tenure export`, into an empty database (created and migrated if
    /// need be), in one transaction: committed only once its row counts and every account's
    /// ledger sums equal the file's.
    Import {
        /// sqlite://PATH or postgres://USER@HOST:PORT/DATABASE, holding nothing yet.
        #[arg(long)]
        db: String,
        file: PathBuf,
    },
    /// Copy a SQLite database into FILE while it serves (SQLite's online backup: one
    /// consistent snapshot), then check the copy's ledger. On PostgreSQL, use pg_dump.
    Backup {
        /// sqlite://PATH
        #[arg(long)]
        db: String,
        file: PathBuf,
    },
    /// Play a scenario file on a fresh database and print its events as JSON lines.
    Simulate {
        file: PathBuf,
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Measure tenure beside the database's own limit; prints Markdown (see BENCHMARKS.md).
    Bench(bench::BenchOptions),
    /// Catalog tools.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Check a catalog folder; prints every problem as FILE: FIELD: PROBLEM.
    Check { dir: PathBuf },
}

fn load_catalog(dir: Option<PathBuf>) -> anyhow::Result<Catalog> {
    match dir {
        None => Ok(default_catalog()),
        Some(dir) => {
            load_dir(&dir).map_err(|errors| anyhow::anyhow!("the catalog has problems:\n{errors}"))
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { .. } => logging::init(cli.log_format, Destination::Stdout, "info"),
        // Their requests are served in process (a scenario's steps, the benchmark's orders):
        // a line each would drown what they print, and slow what the benchmark measures.
        _ => logging::init(
            cli.log_format,
            Destination::Stderr,
            "info,tenure_server::request_log=warn",
        ),
    }
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tenure: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            db,
            db_max_connections,
            listen,
            simulated_clock,
            clock,
            catalog,
            sweep_interval_seconds,
            ledger_audit_seconds,
            delivery,
            limits,
            console,
            payments,
        } => {
            let admin_key = match std::env::var("TENURE_ADMIN_KEY") {
                Ok(key) if !key.trim().is_empty() => {
                    tenure_server::check_operator_key(&key).map_err(anyhow::Error::msg)?;
                    key
                }
                _ => {
                    let key = format!("tnr_admin_{:032x}", rand::random::<u128>());
                    eprintln!("TENURE_ADMIN_KEY is not set; this run's operator key is:\n  {key}");
                    key
                }
            };
            let settings = Settings {
                database_url: db,
                database_max_connections: db_max_connections.max(2),
                listen,
                simulated_clock,
                clock: match clock {
                    None => ClockChoice::Database,
                    Some(ClockArg::System) => ClockChoice::System,
                    Some(ClockArg::Simulated) => ClockChoice::Simulated,
                },
                admin_key,
                catalog: load_catalog(catalog)?,
                sweep_interval: Duration::from_secs(sweep_interval_seconds.max(1)),
                ledger_audit_interval: Duration::from_secs(ledger_audit_seconds.max(1)),
                sequential_ids: false,
                delivery: Some(delivery.delivery()),
                limits: limits.limits(),
                console: tenure_server::ConsoleSettings {
                    session_key: console.console_session_key,
                    secure_cookies: console.secure_cookies,
                },
                card_payments: payments.card_payments(),
            };
            let application = Application::build(settings).await?;
            let address = format!("http://{}:{}", listen.ip(), application.port());
            tracing::info!(%address, "tenure listening on {address}");
            application.run_until_stopped().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { db } => {
            let store = tenure_store::Store::open_unmigrated(&db).await?;
            let before = tenure_store::migrations::current_version(&store).await?;
            tenure_store::migrations::migrate(&store).await?;
            let after = tenure_store::migrations::latest_version();
            store.close().await;
            if before == after {
                println!("{db}: schema at version {after}, this tenure's; nothing to do");
            } else {
                println!("{db}: schema migrated from version {before} to {after}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { db, file } => {
            let moved = transfer::export(&db, &file).await?;
            println!(
                "{}: {} rows of {} tables, {} accounts' ledger sums, from {db}",
                file.display(),
                moved.rows,
                moved.tables,
                moved.accounts
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { db, file } => {
            let moved = transfer::import(&db, &file).await?;
            println!(
                "{db}: {} rows of {} tables imported from {}; counts and {} accounts' ledger sums checked",
                moved.rows,
                moved.tables,
                file.display(),
                moved.accounts
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { db, file } => {
            let checked = transfer::backup(&db, &file).await?;
            println!(
                "{}: a copy of {db} ({} pages); {} accounts' ledgers checked",
                file.display(),
                checked.pages,
                checked.accounts
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate { file, catalog } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", file.display()))?;
            let scenario: tenure_server::simulate::Scenario = toml::from_str(&text)
                .map_err(|error| anyhow::anyhow!("{}: {error}", file.display()))?;
            let catalog = load_catalog(catalog)?;
            let bar = progress::bar(
                (scenario.steps.len() + usize::from(scenario.until.is_some())) as u64,
            );
            let events =
                tenure_server::simulate::run_observed(&scenario, catalog, |number, call| {
                    bar.set_position(number as u64 - 1);
                    bar.set_message(call.to_string());
                })
                .await;
            bar.finish_and_clear();
            for event in events? {
                println!("{event}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(options) => {
            bench::run(options).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Catalog {
            command: CatalogCommand::Check { dir },
        } => match load_dir(&dir) {
            Ok(catalog) => {
                println!(
                    "{}: {} products, no problems",
                    dir.display(),
                    catalog.products.len()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(errors) => {
                print!("{errors}");
                Ok(ExitCode::FAILURE)
            }
        },
    }
}
