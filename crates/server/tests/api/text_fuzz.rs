//! Texts tenure reads, fuzzed: the shipped catalog files (products and notice templates) and
//! the shipped scenario files, changed at random (a number replaced by any integer, a line
//! dropped or repeated, bytes put in anywhere). A changed catalog is a catalog or a list of
//! problems; a changed scenario plays or says why it cannot, and no request of it answers a
//! 5xx; nothing panics. `PROPTEST_CASES` sets the volume (see RELIABILITY.md for long runs).

use proptest::prelude::*;
use tenure_core::catalog::{default_catalog, parse_files, DEFAULT_CATALOG_FILES};

/// The default catalog's product files and the notice templates.
fn catalog() -> Vec<(&'static str, &'static str)> {
    let mut files = DEFAULT_CATALOG_FILES.to_vec();
    files.push((
        "catalog/notices.toml",
        include_str!("../../../../catalog/notices.toml"),
    ));
    files
}

const SCENARIOS: [&str; 3] = [
    include_str!("../../../../scenarios/lifecycle.toml"),
    include_str!("../../../../scenarios/auto-renewal.toml"),
    include_str!("../../../../scenarios/overdue.toml"),
];

/// One change to a file's text.
#[derive(Debug, Clone)]
enum Change {
    /// The `nth` number in the text replaced by `by`.
    Number {
        nth: usize,
        by: i64,
    },
    DropLine(usize),
    RepeatLine(usize),
    Insert {
        at: usize,
        text: String,
    },
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (
            any::<usize>(),
            prop_oneof![any::<i64>(), -3i64..3, Just(i64::MAX), Just(i64::MIN)]
        )
            .prop_map(|(nth, by)| Change::Number { nth, by }),
        any::<usize>().prop_map(Change::DropLine),
        any::<usize>().prop_map(Change::RepeatLine),
        (any::<usize>(), "\\PC{0,12}|[\\[\\]{}=\"'.,#\\n]{1,4}")
            .prop_map(|(at, text)| Change::Insert { at, text }),
    ]
}

fn apply(text: &str, change: &Change) -> String {
    match change {
        Change::Number { nth, by } => {
            let numbers: Vec<(usize, usize)> = number_spans(text);
            if numbers.is_empty() {
                return text.to_string();
            }
            let (start, end) = numbers[nth % numbers.len()];
            format!("{}{by}{}", &text[..start], &text[end..])
        }
        Change::DropLine(n) | Change::RepeatLine(n) => {
            let lines: Vec<&str> = text.lines().collect();
            let n = n % lines.len().max(1);
            let mut changed: Vec<&str> = Vec::with_capacity(lines.len() + 1);
            for (index, line) in lines.iter().enumerate() {
                if index == n && matches!(change, Change::DropLine(_)) {
                    continue;
                }
                changed.push(line);
                if index == n {
                    changed.push(line);
                }
            }
            changed.join("\n")
        }
        Change::Insert { at, text: inserted } => {
            let boundaries: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            let at = boundaries[at % boundaries.len()];
            format!("{}{inserted}{}", &text[..at], &text[at..])
        }
    }
}

/// Where the runs of ASCII digits are.
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index].is_ascii_digit() {
            let start = index;
            while index < bytes.len() && bytes[index].is_ascii_digit() {
                index += 1;
            }
            spans.push((start, index));
        } else {
            index += 1;
        }
    }
    spans
}

fn changed(text: &str, changes: &[Change]) -> String {
    changes
        .iter()
        .fold(text.to_string(), |text, change| apply(&text, change))
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    #[test]
    fn a_changed_catalog_is_a_catalog_or_its_problems(file in 0..catalog().len(), changes in prop::collection::vec(change(), 1..4)) {
        let files: Vec<(String, String)> = catalog()
            .iter()
            .enumerate()
            .map(|(index, (name, text))| {
                let text = if index == file { changed(text, &changes) } else { text.to_string() };
                (name.to_string(), text)
            })
            .collect();
        // Either is fine; a panic fails the test.
        let _ = parse_files(&files);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), ..ProptestConfig::default() })]

    #[test]
    fn a_changed_scenario_plays_or_says_why(file in 0..SCENARIOS.len(), changes in prop::collection::vec(change(), 1..3)) {
        let text = changed(SCENARIOS[file], &changes);
        let Ok(scenario) = toml::from_str::<tenure_server::simulate::Scenario>(&text) else {
            return Ok(());
        };
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        if let Err(error) = runtime.block_on(tenure_server::simulate::run(&scenario, default_catalog())) {
            let said = format!("{error:#}");
            prop_assert!(!said.contains(": 5"), "a request of the scenario answered a 5xx: {said}\n{text}");
        }
    }
}

#[test]
fn the_shipped_texts_parse() {
    let files: Vec<(String, String)> = catalog()
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    parse_files(&files).unwrap();
    for text in SCENARIOS {
        toml::from_str::<tenure_server::simulate::Scenario>(text).unwrap();
    }
}
