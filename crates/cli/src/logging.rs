//! Where and how the `tenure` command writes its log lines: text for people (coloured only on
//! a terminal, and never with `NO_COLOR` set) or one JSON object per line, filtered by
//! `RUST_LOG`.

use std::io::IsTerminal;

use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `message`, the line's own
    /// fields, and `span` (a request's `request_id`) when it was written inside one.
    Json,
}

/// Where the lines go: a server's output is its log (stdout); the other commands print their
/// results on stdout, so their lines go to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    Stderr,
}

/// Installs the process's logger. `default_filter` applies when `RUST_LOG` is not set.
pub fn init(format: LogFormat, destination: Destination, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter.into());
    let (writer, is_terminal) = match destination {
        Destination::Stdout => (
            BoxMakeWriter::new(std::io::stdout),
            std::io::stdout().is_terminal(),
        ),
        Destination::Stderr => (
            BoxMakeWriter::new(|| crate::progress::Stderr),
            std::io::stderr().is_terminal(),
        ),
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => builder.with_ansi(is_terminal && !no_color).init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
