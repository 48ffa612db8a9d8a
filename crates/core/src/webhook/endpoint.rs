//! What an endpoint may be: an http or https URL, and the event types it hears of (`*` for
//! all). Checked when the operator adds one; a URL tenure would not send to is refused then,
//! not found out at the first delivery.

use crate::event::EventKind;

/// The longest URL taken.
pub const MAX_URL_CHARS: usize = 2000;
/// The longest description taken.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Every event type, now and to come.
const EVERY_EVENT: &str = "*";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error(
        "`url` must be an http or https URL with a host name (no brackets), at most \
         {MAX_URL_CHARS} characters, such as https://ops.example.com/tenure"
    )]
    BadUrl,
    #[error(
        "`events` names `{0}`, which is no event type: use \"*\" or types such as instance.expired"
    )]
    UnknownEvent(String),
    #[error("`events` must name at least one event type, or \"*\" for all")]
    NoEvents,
    #[error("`description` must be at most {MAX_DESCRIPTION_CHARS} characters")]
    LongDescription,
}

/// The event types an endpoint hears of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscription {
    Every,
    Kinds(Vec<EventKind>),
}

impl Subscription {
    /// From the names an operator sent: `["*"]`, or event types, each known, kept once and in
    /// the order given.
    pub fn from_names(names: &[String]) -> Result<Subscription, EndpointError> {
        if names.is_empty() {
            return Err(EndpointError::NoEvents);
        }
        if names.iter().any(|name| name == EVERY_EVENT) {
            return Ok(Subscription::Every);
        }
        let mut kinds = Vec::with_capacity(names.len());
        for name in names {
            let kind: EventKind = name
                .parse()
                .map_err(|_| EndpointError::UnknownEvent(name.clone()))?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        Ok(Subscription::Kinds(kinds))
    }

    pub fn includes(&self, kind: EventKind) -> bool {
        match self {
            Subscription::Every => true,
            Subscription::Kinds(kinds) => kinds.contains(&kind),
        }
    }

    /// The names, as stored and shown: `["*"]` or the event types.
    pub fn names(&self) -> Vec<String> {
        match self {
            Subscription::Every => vec![EVERY_EVENT.to_string()],
            Subscription::Kinds(kinds) => {
                kinds.iter().map(|kind| kind.as_str().to_string()).collect()
            }
        }
    }
}

/// Whether an endpoint subscribed to `events` (as stored: `*` or event types) hears of `kind`.
pub fn hears(events: &[String], kind: EventKind) -> bool {
    events
        .iter()
        .any(|name| name == EVERY_EVENT || name == kind.as_str())
}

/// An http or https URL that starts with a host, without spaces, ASCII control characters or
/// brackets (an IPv6 literal host is not taken; name the host instead):
/// `^https?://[^\x00-\x20\x7f/?#@:\[\]]+[^\x00-\x20\x7f\[\]]*$`, the pattern the API
/// document gives, so a client's check and tenure's agree.
pub fn check_url(url: &str) -> Result<(), EndpointError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(EndpointError::BadUrl)?;
    let first = rest.split(['/', '?', '#', '@', ':']).next().unwrap_or("");
    let fine = url.chars().count() <= MAX_URL_CHARS
        && !first.is_empty()
        && !url
            .chars()
            .any(|c| c <= ' ' || c == '\x7f' || c == '[' || c == ']');
    if fine {
        Ok(())
    } else {
        Err(EndpointError::BadUrl)
    }
}

pub fn check_description(description: &str) -> Result<(), EndpointError> {
    if description.chars().count() <= MAX_DESCRIPTION_CHARS {
        Ok(())
    } else {
        Err(EndpointError::LongDescription)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn urls_are_http_or_https_with_a_host() {
        assert_eq!(check_url("https://ops.example.com/tenure?x=1"), Ok(()));
        assert_eq!(check_url("http://127.0.0.1:8099/hook"), Ok(()));
        for bad in [
            "ftp://example.com",
            "https://",
            "https:///path",
            "example.com",
            "https://a b.com",
            "https://:80/x",
            "https://@x",
            "https://a\u{14}b",
            "https://[::1]/hook",
            "https://a.com/[x",
        ] {
            assert_eq!(check_url(bad), Err(EndpointError::BadUrl), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(check_url(&long), Err(EndpointError::BadUrl));
    }

    #[test]
    fn a_subscription_names_known_events_or_every_one() {
        assert_eq!(
            Subscription::from_names(&names(&["*"])),
            Ok(Subscription::Every)
        );
        let some = Subscription::from_names(&names(&[
            "instance.expired",
            "instance.released",
            "instance.expired",
        ]))
        .unwrap();
        assert!(some.includes(EventKind::InstanceExpired));
        assert!(!some.includes(EventKind::AccountCreated));
        assert_eq!(
            some.names(),
            names(&["instance.expired", "instance.released"])
        );
        assert_eq!(
            Subscription::from_names(&names(&["instance.exploded"])),
            Err(EndpointError::UnknownEvent("instance.exploded".into()))
        );
        assert_eq!(Subscription::from_names(&[]), Err(EndpointError::NoEvents));
    }
}
