//! What `/metrics` shows, in Prometheus' text format, through the `metrics` crate's handles and
//! `metrics-exporter-prometheus`'s renderer.
//!
//! Each [`Metrics`] (one per `Application`) keeps a recorder of its own instead of installing
//! one process-wide: tests run many servers in one process, and a global recorder would add one
//! server's requests to another's counters. So the `metrics::counter!` macros are not used:
//! handles are registered on this recorder and kept in fields.
//!
//! Adding a metric: a field holding its handle, registered in [`Metrics::new`] (`counter(name,
//! help)`; a histogram's buckets go in [`buckets`]), and a method that records into it, called
//! where the thing happens.

use std::time::Duration;

use metrics::{Counter, Histogram, Key, KeyName, Label, Level, Metadata, Recorder, SharedString};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

const REQUEST_SECONDS: &str = "tenure_http_request_duration_seconds";
const SWEEP_SECONDS: &str = "tenure_sweep_duration_seconds";
const DELIVERY_ATTEMPTS: &str = "tenure_delivery_attempts_total";

/// Upper bounds of the histograms' buckets, in seconds. A request is mostly one fsynced commit
/// (milliseconds); a clock advance over months, or a sweep of a large fleet, takes seconds to
/// minutes.
fn buckets() -> [(&'static str, &'static [f64]); 2] {
    [
        (
            REQUEST_SECONDS,
            &[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ],
        ),
        (
            SWEEP_SECONDS,
            &[
                0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0,
            ],
        ),
    ]
}

/// How often [`Metrics::run_upkeep`] should run: a histogram keeps every value recorded until
/// it is rendered or upkept, so an unscraped server would otherwise grow without bound.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

pub struct Metrics {
    recorder: PrometheusRecorder,
    responses_by_class: [Counter; 5],
    lifecycle_steps: Counter,
    steps_parked: Counter,
    panics: Counter,
    sweep_seconds: Histogram,
    writes: Counter,
    write_commits: Counter,
    write_retries: Counter,
    write_failures: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let builder =
            buckets()
                .into_iter()
                .fold(PrometheusBuilder::new(), |builder, (name, bounds)| {
                    builder
                        .set_buckets_for_metric(Matcher::Full(name.to_string()), bounds)
                        .expect("the buckets are not empty")
                });
        let recorder = builder.build_recorder();
        let counter = |name, help| register_counter(&recorder, name, help, Vec::new());
        let responses_by_class = std::array::from_fn(|index| {
            register_counter(
                &recorder,
                "tenure_http_responses_total",
                "HTTP responses by status class.",
                vec![Label::new("class", format!("{}xx", index + 1))],
            )
        });
        let metrics = Metrics {
            responses_by_class,
            lifecycle_steps: counter(
                "tenure_lifecycle_steps_total",
                "Lifecycle steps taken (reminders, deductions, expiries, releases, bills).",
            ),
            steps_parked: counter(
                "tenure_steps_parked_total",
                "Lifecycle steps parked after every attempt failed (GET /v1/stuck-steps).",
            ),
            panics: counter(
                "tenure_http_panics_total",
                "Requests whose handler panicked (answered 500; nothing of them was committed).",
            ),
            writes: counter(
                "tenure_writes_total",
                "Writes answered by the store's group commit.",
            ),
            write_commits: counter(
                "tenure_write_commits_total",
                "Transactions the group commit committed.",
            ),
            write_retries: counter(
                "tenure_write_retries_total",
                "Groups run again after a deadlock or a serialization failure.",
            ),
            write_failures: counter(
                "tenure_write_failures_total",
                "Writes the database failed (a lost connection, a full disk, a read-only database), answered 503 busy.",
            ),
            sweep_seconds: register_histogram(
                &recorder,
                SWEEP_SECONDS,
                "Duration of each lifecycle sweep of the system clock (a simulated clock's advance is timed as its request).",
                Vec::new(),
            ),
            recorder,
        };
        metrics.recorder.describe_counter(
            KeyName::from_const_str(DELIVERY_ATTEMPTS),
            None,
            SharedString::const_str(
                "Attempts at sending an email, SMS or webhook message, by channel and outcome.",
            ),
        );
        describe_histogram(
            &metrics.recorder,
            REQUEST_SECONDS,
            "Time from a request's arrival to its answer, by method, route pattern and status class.",
        );
        metrics
    }

    pub fn count_response(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.responses_by_class[class].increment(1);
    }

    /// One answered request: its method, the route pattern it matched (never the raw path, so
    /// the label's values are as few as the routes), its status and how long it took.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = vec![
            Label::new("method", method.to_string()),
            Label::new("route", route.to_string()),
            Label::new("class", format!("{}xx", (status / 100).clamp(1, 5))),
        ];
        // Registering an existing key finds its handle (a read-locked map lookup).
        self.recorder
            .register_histogram(&Key::from_parts(REQUEST_SECONDS, labels), &METADATA)
            .record(elapsed.as_secs_f64());
    }

    pub fn count_panic(&self) {
        self.panics.increment(1);
    }

    pub fn add_steps(&self, steps: u64) {
        self.lifecycle_steps.increment(steps);
    }

    pub fn add_parked(&self, steps: u64) {
        self.steps_parked.increment(steps);
    }

    /// One delivery attempt, by channel and outcome (`delivered`, `failed`, `undeliverable`).
    pub fn count_delivery_attempt(&self, channel: &str, outcome: &str) {
        let labels = vec![
            Label::new("channel", channel.to_string()),
            Label::new("outcome", outcome.to_string()),
        ];
        self.recorder
            .register_counter(&Key::from_parts(DELIVERY_ATTEMPTS, labels), &METADATA)
            .increment(1);
    }

    pub fn observe_sweep(&self, elapsed: Duration) {
        self.sweep_seconds.record(elapsed.as_secs_f64());
    }

    /// Moves the histograms' recorded values into their buckets (see [`UPKEEP_INTERVAL`]).
    pub fn run_upkeep(&self) {
        self.recorder.handle().run_upkeep();
    }

    /// Everything, with the store's group commit's counts (`writes`), which the store keeps.
    pub fn render(&self, writes: tenure_store::WriteCounts) -> String {
        self.writes.absolute(writes.jobs);
        self.write_commits.absolute(writes.commits);
        self.write_retries.absolute(writes.retries);
        self.write_failures.absolute(writes.failures);
        self.recorder.handle().render()
    }
}

impl tenure_delivery::AttemptObserver for Metrics {
    fn attempted(&self, channel: tenure_core::delivery::DeliveryChannel, outcome: &'static str) {
        self.count_delivery_attempt(channel.as_str(), outcome);
    }
}

/// Where a handle was registered, as the `metrics` crate's macros would say; the Prometheus
/// recorder does not read it.
const METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, None);

fn describe_histogram(recorder: &PrometheusRecorder, name: &'static str, help: &'static str) {
    recorder.describe_histogram(
        KeyName::from_const_str(name),
        None,
        SharedString::const_str(help),
    );
}

/// Registers the histogram `name` with `labels` (its buckets are in [`buckets`]).
fn register_histogram(
    recorder: &PrometheusRecorder,
    name: &'static str,
    help: &'static str,
    labels: Vec<Label>,
) -> Histogram {
    describe_histogram(recorder, name, help);
    recorder.register_histogram(&Key::from_parts(name, labels), &METADATA)
}

fn register_counter(
    recorder: &PrometheusRecorder,
    name: &'static str,
    help: &'static str,
    labels: Vec<Label>,
) -> Counter {
    recorder.describe_counter(
        KeyName::from_const_str(name),
        None,
        SharedString::const_str(help),
    );
    recorder.register_counter(&Key::from_parts(name, labels), &METADATA)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the sample line of `text` that starts with `start` (name and labels).
    fn sample(text: &str, start: &str) -> Option<f64> {
        text.lines()
            .find_map(|line| line.strip_prefix(start)?.trim().parse().ok())
    }

    #[test]
    fn two_servers_count_apart() {
        let (first, second) = (Metrics::new(), Metrics::new());
        first.count_response(201);
        first.count_response(404);
        first.add_steps(3);
        first.observe_request("GET", "/v1/instances/{id}", 404, Duration::from_millis(2));
        let text = first.render(tenure_store::WriteCounts::default());
        assert_eq!(
            sample(&text, "tenure_http_responses_total{class=\"2xx\"}"),
            Some(1.0)
        );
        assert_eq!(
            sample(&text, "tenure_http_responses_total{class=\"5xx\"}"),
            Some(0.0)
        );
        assert_eq!(sample(&text, "tenure_lifecycle_steps_total"), Some(3.0));
        assert_eq!(
            sample(
                &text,
                "tenure_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/instances/{id}\",class=\"4xx\",le=\"0.005\"}"
            ),
            Some(1.0),
            "{text}"
        );
        let other = second.render(tenure_store::WriteCounts::default());
        assert_eq!(
            sample(&other, "tenure_http_responses_total{class=\"2xx\"}"),
            Some(0.0)
        );
        assert_eq!(sample(&other, "tenure_lifecycle_steps_total"), Some(0.0));
        assert!(!other.contains("route="), "{other}");
    }
}
