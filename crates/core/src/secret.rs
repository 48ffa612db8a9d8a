//! A secret an answer shows once: an account's owner key, a user's API key, a webhook
//! endpoint's signing secret. The first answer carries it; a copy of the answer that is kept
//! (an idempotent request's saved answer, replayed to whoever sends the same key again, and
//! found in exports and backups) says it was shown once instead, so no saved answer holds a
//! secret in clear.
//!
//! Which copy is being written is the serializer's context, not the value's: the copy to keep
//! is written inside [`kept_copy`], on the calling thread (serde writes synchronously).

use std::cell::Cell;

use serde::{Serialize, Serializer};

/// What a kept copy of an answer holds in place of a secret.
pub const SHOWN_ONCE: &str = "shown once, in the first answer; rotate it to get a new one";

/// A secret in an answer. Serializes as itself, or as [`SHOWN_ONCE`] inside [`kept_copy`].
#[derive(Clone, PartialEq, Eq)]
pub struct ShownOnce(pub String);

impl ShownOnce {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Never printed by `{:?}`: a log line or a panic message would keep it.
impl std::fmt::Debug for ShownOnce {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("ShownOnce(..)")
    }
}

thread_local! {
    static WRITING_KEPT_COPY: Cell<bool> = const { Cell::new(false) };
    /// Whether the kept copy being written withheld a secret.
    static WITHHELD: Cell<bool> = const { Cell::new(false) };
}

impl Serialize for ShownOnce {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if WRITING_KEPT_COPY.with(Cell::get) {
            WITHHELD.with(|withheld| withheld.set(true));
            serializer.serialize_str(SHOWN_ONCE)
        } else {
            serializer.serialize_str(&self.0)
        }
    }
}

/// A copy of an answer to keep, and whether it withheld a secret (the answer shown then
/// differs from it).
pub struct KeptCopy<T> {
    pub copy: T,
    pub withheld_secret: bool,
}

/// Runs `write` (which serializes an answer) so that every [`ShownOnce`] in it is written as
/// [`SHOWN_ONCE`]: the copy of an answer that is kept.
pub fn kept_copy<T>(write: impl FnOnce() -> T) -> KeptCopy<T> {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            WRITING_KEPT_COPY.with(|flag| flag.set(self.0));
        }
    }
    let _reset = Reset(WRITING_KEPT_COPY.with(|flag| flag.replace(true)));
    WITHHELD.with(|withheld| withheld.set(false));
    let copy = write();
    KeptCopy {
        copy,
        withheld_secret: WITHHELD.with(|withheld| withheld.replace(false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Created {
        id: &'static str,
        key: ShownOnce,
    }

    #[test]
    fn the_kept_copy_holds_no_secret() {
        let created = Created {
            id: "acct_1",
            key: ShownOnce("tnr_secret".into()),
        };
        let shown = serde_json::to_string(&created).unwrap();
        let kept = kept_copy(|| serde_json::to_string(&created).unwrap());
        assert_eq!(shown, r#"{"id":"acct_1","key":"tnr_secret"}"#);
        assert!(kept.withheld_secret);
        let kept = kept.copy;
        assert!(!kept.contains("tnr_secret"), "{kept}");
        assert!(kept.contains(SHOWN_ONCE));
        // An answer without a secret is kept as it is shown.
        let plain = kept_copy(|| serde_json::to_string(&"acct_1").unwrap());
        assert!(!plain.withheld_secret);
        // The flag does not outlive the kept copy.
        assert_eq!(serde_json::to_string(&created).unwrap(), shown);
        assert_eq!(format!("{:?}", created.key), "ShownOnce(..)");
    }
}
