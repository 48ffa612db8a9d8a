//! Progress bars for the long commands (`bench`, `simulate`): drawn on stderr only when it is a
//! terminal, so a log file, a pipe or CI gets nothing from them. What else is written to the
//! terminal meanwhile (log lines through [`Stderr`], the benchmark's tables through
//! [`suspend`]) lifts the bar first, so the two are not drawn over each other.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar on the terminal, if any.
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// A bar of `length` steps, hidden (every call on it does nothing) unless stderr is a terminal.
pub fn bar(length: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}")
            .expect("the template is valid"),
    );
    // Redrawn even while one long measurement or clock advance gives it no news.
    bar.enable_steady_tick(Duration::from_millis(250));
    *SHOWN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(bar.clone());
    bar
}

/// Runs `print` with the bar shown, if any, lifted off the terminal.
pub fn suspend<R>(print: impl FnOnce() -> R) -> R {
    let shown = SHOWN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    match shown {
        Some(bar) if !bar.is_finished() => bar.suspend(print),
        _ => print(),
    }
}

/// Stderr for the log: each line (tracing writes a line at once) written with the bar lifted.
pub struct Stderr;

impl Write for Stderr {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        suspend(|| std::io::stderr().write_all(bytes))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
