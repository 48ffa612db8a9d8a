//! `--statement-times`: the SQLite statements a timed measurement ran, with each one's share
//! of the time spent in statements, summed over the measurement's runs.

use std::collections::HashMap;
use std::time::Duration;

use tenure_store::database::statement_times::{self, StatementTime};

use super::BenchOptions;

/// Statements shown per measurement; the rest are summed on one line.
const SHOWN: usize = 12;

/// Switches statement timing on for the whole process, if the options ask for it (SQLite only).
pub fn start(options: &BenchOptions) {
    if timed(options) {
        statement_times::start();
    }
}

fn timed(options: &BenchOptions) -> bool {
    options.statement_times && options.db == "sqlite"
}

/// The statements of one measurement, over its runs: each one's runs and total time.
#[derive(Debug)]
pub struct Breakdown {
    timed: bool,
    statements: HashMap<String, (u64, Duration)>,
}

impl Breakdown {
    pub fn new(options: &BenchOptions) -> Breakdown {
        Breakdown {
            timed: timed(options),
            statements: HashMap::new(),
        }
    }

    /// Forgets what was timed so far: what follows is the measurement.
    pub fn begin(&self) {
        if self.timed {
            statement_times::take();
        }
    }

    /// Adds what was timed since [`Breakdown::begin`].
    pub fn add_timed(&mut self) {
        if !self.timed {
            return;
        }
        for StatementTime { sql, runs, total } in statement_times::take() {
            let entry = self.statements.entry(sql).or_default();
            entry.0 += runs;
            entry.1 += total;
        }
    }

    /// A table of the statements, the longest total first; nothing if none was timed.
    pub fn print(&self, title: &str) {
        if self.statements.is_empty() {
            return;
        }
        let all: Duration = self.statements.values().map(|(_, total)| *total).sum();
        let mut statements: Vec<(&String, &(u64, Duration))> = self.statements.iter().collect();
        statements.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then_with(|| a.0.cmp(b.0)));
        println!(
            "{title}: {:.0} ms in statements.\n",
            all.as_secs_f64() * 1000.0
        );
        println!("| share | runs | µs a run | statement |");
        println!("|---:|---:|---:|---|");
        let share = |total: Duration| 100.0 * total.as_secs_f64() / all.as_secs_f64().max(1e-12);
        for (sql, (runs, total)) in statements.iter().take(SHOWN) {
            let sql: String = sql.replace('|', "\\|").chars().take(90).collect();
            println!(
                "| {:.1}% | {runs} | {:.2} | `{sql}` |",
                share(*total),
                total.as_secs_f64() * 1e6 / (*runs).max(1) as f64
            );
        }
        let rest = &statements[SHOWN.min(statements.len())..];
        if !rest.is_empty() {
            let total: Duration = rest.iter().map(|(_, (_, total))| *total).sum();
            let runs: u64 = rest.iter().map(|(_, (runs, _))| *runs).sum();
            println!(
                "| {:.1}% | {runs} | | {} others |",
                share(total),
                rest.len()
            );
        }
        println!();
    }
}
