//! Counters for `/metrics`, in Prometheus' text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    responses_by_class: [AtomicU64; 5],
    lifecycle_steps: AtomicU64,
}

impl Metrics {
    pub fn count_response(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.responses_by_class[class].fetch_add(1, Ordering::Relaxed);
    }

    pub fn add_steps(&self, steps: u64) {
        self.lifecycle_steps.fetch_add(steps, Ordering::Relaxed);
    }

    /// The counters, with the store's group commit's (`writes`).
    pub fn render(&self, writes: tenure_store::WriteCounts) -> String {
        let mut text = String::new();
        text.push_str("# HELP tenure_http_responses_total HTTP responses by status class.\n");
        text.push_str("# TYPE tenure_http_responses_total counter\n");
        for (index, counter) in self.responses_by_class.iter().enumerate() {
            let _ = writeln!(
                text,
                "tenure_http_responses_total{{class=\"{}xx\"}} {}",
                index + 1,
                counter.load(Ordering::Relaxed)
            );
        }
        text.push_str("# HELP tenure_lifecycle_steps_total Lifecycle steps taken (reminders, expiries, releases).\n");
        text.push_str("# TYPE tenure_lifecycle_steps_total counter\n");
        let _ = writeln!(
            text,
            "tenure_lifecycle_steps_total {}",
            self.lifecycle_steps.load(Ordering::Relaxed)
        );
        for (name, help, value) in [
            (
                "tenure_writes_total",
                "Writes answered by the store's group commit.",
                writes.jobs,
            ),
            (
                "tenure_write_commits_total",
                "Transactions the group commit committed.",
                writes.commits,
            ),
            (
                "tenure_write_retries_total",
                "Groups run again after a deadlock or a serialization failure.",
                writes.retries,
            ),
        ] {
            let _ = writeln!(
                text,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        text
    }
}
