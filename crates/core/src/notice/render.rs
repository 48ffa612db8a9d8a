//! Filling a template: `{name}` is replaced by the value of that name, and nothing else in
//! the text is special. Notices are plain text, so a value is put in as it is.

use std::fmt;

/// What is wrong with a template, or with the values given to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// `{name}` names a value the template's rule does not give.
    Unknown(String),
    /// A `{` with no `}` after it, or a name that is not lower-case letters and underscores.
    Malformed(String),
}

impl fmt::Display for RenderError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Unknown(name) => {
                write!(formatter, "`{{{name}}}` is not a value this notice gives")
            }
            RenderError::Malformed(near) => write!(
                formatter,
                "`{near}`: a placeholder is a name of lower-case letters and underscores in braces, such as {{instance}}"
            ),
        }
    }
}

/// The parts of a template: texts as they are, and placeholders' names.
fn parts(template: &str) -> impl Iterator<Item = Result<Part<'_>, RenderError>> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let Some(open) = rest.find('{') else {
            let text = rest;
            rest = "";
            return Some(Ok(Part::Text(text)));
        };
        if open > 0 {
            let text = &rest[..open];
            rest = &rest[open..];
            return Some(Ok(Part::Text(text)));
        }
        let malformed = |near: &str| {
            let near: String = near.chars().take(24).collect();
            RenderError::Malformed(near)
        };
        let Some(close) = rest.find('}') else {
            let error = malformed(rest);
            rest = "";
            return Some(Err(error));
        };
        let name = &rest[1..close];
        let good = !name.is_empty()
            && name
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte == b'_');
        let part = if good {
            Ok(Part::Placeholder(name))
        } else {
            Err(malformed(&rest[..=close]))
        };
        rest = if good { &rest[close + 1..] } else { "" };
        Some(part)
    })
}

enum Part<'text> {
    Text(&'text str),
    Placeholder(&'text str),
}

/// `template` with every `{name}` replaced by its value in `values`.
pub fn render(template: &str, values: &[(&str, &str)]) -> Result<String, RenderError> {
    let mut text = String::with_capacity(template.len() + 64);
    for part in parts(template) {
        match part? {
            Part::Text(plain) => text.push_str(plain),
            Part::Placeholder(name) => {
                let (_, value) = values
                    .iter()
                    .find(|(given, _)| *given == name)
                    .ok_or_else(|| RenderError::Unknown(name.to_string()))?;
                text.push_str(value);
            }
        }
    }
    Ok(text)
}

/// Checks that `template` is well formed and names only `known` placeholders.
pub(super) fn check(template: &str, known: &[&str]) -> Result<(), RenderError> {
    for part in parts(template) {
        if let Part::Placeholder(name) = part? {
            if !known.contains(&name) {
                return Err(RenderError::Unknown(name.to_string()));
            }
        }
    }
    Ok(())
}

/// A time as a notice says it: "2026-03-10 00:00 UTC", to the minute (seconds are noise to a
/// reader; events carry the exact time).
pub fn readable_time(time: jiff::Timestamp) -> String {
    time.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_placeholders_and_leaves_the_rest_as_it_is() {
        let values = [("instance", "inst_1"), ("amount", "12.50 USD")];
        assert_eq!(
            render("{instance}: {amount} (100% sure), {amount}", &values),
            Ok("inst_1: 12.50 USD (100% sure), 12.50 USD".to_string())
        );
        assert_eq!(render("", &values), Ok(String::new()));
        assert_eq!(render("é {instance}日", &values), Ok("é inst_1日".into()));
    }

    #[test]
    fn a_placeholder_not_given_or_malformed_is_an_error() {
        assert_eq!(
            render("{instanse} expired", &[("instance", "inst_1")]),
            Err(RenderError::Unknown("instanse".into()))
        );
        for bad in [
            "{Instance}",
            "{ instance }",
            "{}",
            "open { brace",
            "{instance",
        ] {
            assert!(
                matches!(
                    render(bad, &[("instance", "x")]),
                    Err(RenderError::Malformed(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(
            check("{product} {instance}", &["product", "instance"]),
            Ok(())
        );
        assert_eq!(
            check("{product} {amount}", &["product"]),
            Err(RenderError::Unknown("amount".into()))
        );
        assert!(check("{product", &["product"]).is_err());
    }

    #[test]
    fn times_read_to_the_minute_in_utc() {
        let time: jiff::Timestamp = "2026-03-10T00:00:00Z".parse().unwrap();
        assert_eq!(readable_time(time), "2026-03-10 00:00 UTC");
        let time: jiff::Timestamp = "2026-12-31T23:59:59Z".parse().unwrap();
        assert_eq!(readable_time(time), "2026-12-31 23:59 UTC");
    }
}
