//! The benchmark's progress bar (see `crate::progress`): a step per measured run, named by
//! what it measures and, in a long run, by the part of it under way.

use std::sync::{Mutex, OnceLock};

use indicatif::ProgressBar;

static BAR: OnceLock<ProgressBar> = OnceLock::new();
/// What the run under way measures, for [`phase`] to add to.
static MEASURING: Mutex<String> = Mutex::new(String::new());

/// Starts the bar for `runs` measured runs.
pub fn start(runs: u64) {
    let _ = BAR.set(crate::progress::bar(runs));
}

/// A measured run begins.
pub fn measuring(what: String) {
    if let Some(bar) = BAR.get() {
        bar.set_message(what.clone());
    }
    *MEASURING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = what;
}

/// The part of the run under way (loading a fleet, sweeping it).
pub fn phase(part: &str) {
    if let Some(bar) = BAR.get() {
        let what = MEASURING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        bar.set_message(format!("{what}: {part}"));
    }
}

/// A measured run is done.
pub fn measured() {
    if let Some(bar) = BAR.get() {
        bar.inc(1);
    }
}

pub fn finish() {
    if let Some(bar) = BAR.get() {
        bar.finish_and_clear();
    }
}

/// Runs `print` with the bar lifted off the terminal, so that what it prints to the same
/// terminal is not drawn over.
pub fn suspend<R>(print: impl FnOnce() -> R) -> R {
    crate::progress::suspend(print)
}
