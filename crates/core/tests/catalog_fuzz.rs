//! The catalog loader never panics: the shipped catalog files (products and notice templates),
//! changed at random (a number replaced by any integer, a line dropped or repeated, bytes put
//! in anywhere), are either a catalog or a list of problems. `PROPTEST_CASES` sets the volume
//! (256 by default; see RELIABILITY.md for the long run).

use proptest::prelude::*;
use tenure_core::catalog::parse_files;

const FILES: [(&str, &str); 5] = [
    (
        "catalog/data-management.toml",
        include_str!("../../../catalog/data-management.toml"),
    ),
    (
        "catalog/dns.toml",
        include_str!("../../../catalog/dns.toml"),
    ),
    (
        "catalog/iot-platform.toml",
        include_str!("../../../catalog/iot-platform.toml"),
    ),
    (
        "catalog/message-queue.toml",
        include_str!("../../../catalog/message-queue.toml"),
    ),
    (
        "catalog/notices.toml",
        include_str!("../../../catalog/notices.toml"),
    ),
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

proptest! {
    #[test]
    fn a_changed_catalog_is_a_catalog_or_its_problems(file in 0..FILES.len(), changes in prop::collection::vec(change(), 1..4)) {
        let files: Vec<(String, String)> = FILES
            .iter()
            .enumerate()
            .map(|(index, (name, text))| {
                let mut text = text.to_string();
                if index == file {
                    for change in &changes {
                        text = apply(&text, change);
                    }
                }
                (name.to_string(), text)
            })
            .collect();
        // Either is fine; a panic fails the test.
        let _ = parse_files(&files);
    }
}

#[test]
fn the_shipped_catalog_parses() {
    let files: Vec<(String, String)> = FILES
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    parse_files(&files).unwrap();
}
