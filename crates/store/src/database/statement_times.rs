//! The time SQLite spends in each statement, summed by the statement's text: what
//! `tenure bench --statement-times` prints under its tables, to say which statements a
//! sweep's or an order's time goes to without a profiler.
//!
//! Off unless [`start`] is called: then every statement run on SQLite is timed from binding its
//! values to its last row handed over (`COMMIT` included, as the statement it is). Switched off,
//! it costs one relaxed atomic load per statement. PostgreSQL's statements are not timed: there
//! the time is round trips, which a timer in this process would mostly measure as waiting.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static TIMING: AtomicBool = AtomicBool::new(false);
/// Each statement text's runs and time since the last [`take`].
static TOTALS: Mutex<Option<HashMap<String, (u64, Duration)>>> = Mutex::new(None);

/// One statement's share of the time measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementTime {
    /// Its SQL, whitespace collapsed.
    pub sql: String,
    pub runs: u64,
    pub total: Duration,
}

/// Times every SQLite statement from now on, in this process.
pub fn start() {
    TIMING.store(true, Ordering::Relaxed);
}

/// The statements timed since the last call (or [`start`]), the longest total first; the
/// totals start again from nothing.
pub fn take() -> Vec<StatementTime> {
    let totals = TOTALS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take()
        .unwrap_or_default();
    let mut times: Vec<StatementTime> = totals
        .into_iter()
        .map(|(sql, (runs, total))| StatementTime {
            sql: sql.split_whitespace().collect::<Vec<_>>().join(" "),
            runs,
            total,
        })
        .collect();
    times.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.sql.cmp(&b.sql)));
    times
}

/// Times one run of a statement, from its creation until it is dropped, when timing is on.
pub(crate) struct StatementTimer<'a>(Option<(&'a str, Instant)>);

impl<'a> StatementTimer<'a> {
    pub(crate) fn start(sql: &'a str) -> StatementTimer<'a> {
        StatementTimer(
            TIMING
                .load(Ordering::Relaxed)
                .then(|| (sql, Instant::now())),
        )
    }
}

impl Drop for StatementTimer<'_> {
    fn drop(&mut self) {
        let Some((sql, started)) = self.0.take() else {
            return;
        };
        let elapsed = started.elapsed();
        let mut totals = TOTALS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let totals = totals.get_or_insert_with(HashMap::new);
        let entry = match totals.get_mut(sql) {
            Some(entry) => entry,
            None => totals.entry(sql.to_string()).or_default(),
        };
        entry.0 += 1;
        entry.1 += elapsed;
    }
}
