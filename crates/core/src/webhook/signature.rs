//! Signing a webhook message as Standard Webhooks does: the secret is `whsec_` and the base64
//! of its bytes, and `webhook-signature` is `v1,` and the base64 of
//! HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}"). A receiver recomputes it over the raw
//! body it got and compares in constant time.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What every signing secret starts with.
pub const SECRET_PREFIX: &str = "whsec_";
/// Bytes of a secret tenure makes (Standard Webhooks asks for 24 to 64).
const SECRET_BYTES: usize = 32;

/// A signing secret: its bytes, shown once as `whsec_…`.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(Vec<u8>);

impl SigningSecret {
    /// A secret from `random` bytes (the shell draws them; the core draws nothing).
    pub fn from_random(random: [u8; SECRET_BYTES]) -> SigningSecret {
        SigningSecret(random.to_vec())
    }

    /// Reads a `whsec_…` text; `None` if it is not one.
    pub fn parse(text: &str) -> Option<SigningSecret> {
        let encoded = text.strip_prefix(SECRET_PREFIX)?;
        let bytes = STANDARD.decode(encoded).ok()?;
        (!bytes.is_empty()).then_some(SigningSecret(bytes))
    }

    pub fn to_text(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SigningSecret(…)")
    }
}

/// The `webhook-signature` header of the message `id` sent at `timestamp_seconds` with `body`.
pub fn sign(secret: &SigningSecret, id: &str, timestamp_seconds: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&secret.0).expect("HMAC takes a key of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// How long after a rotation the replaced secret still signs every message beside the new one
/// (Standard Webhooks lets `webhook-signature` carry several): a day, for the operator to
/// give each receiver the new secret. Real milliseconds, as sending times are.
pub const PREVIOUS_SECRET_SIGNS_MS: i64 = 24 * 60 * 60 * 1000;

/// A secret a rotation replaced, and until when (real Unix milliseconds) it still signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousSecret {
    pub secret: SigningSecret,
    pub until_ms: i64,
}

/// The `webhook-signature` header of a message sent at `timestamp_seconds`: the current
/// secret's signature, and while the previous secret still signs (before its `until_ms`), that
/// secret's too, space-separated. A receiver holding either verifies the message.
pub fn signatures(
    current: &SigningSecret,
    previous: Option<&PreviousSecret>,
    id: &str,
    timestamp_seconds: i64,
    body: &str,
) -> String {
    let mut header = sign(current, id, timestamp_seconds, body);
    if let Some(previous) =
        previous.filter(|previous| timestamp_seconds.saturating_mul(1000) < previous.until_ms)
    {
        header.push(' ');
        header.push_str(&sign(&previous.secret, id, timestamp_seconds, body));
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of the Standard Webhooks specification.
    #[test]
    fn signs_as_the_standard_webhooks_test_vector() {
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            sign(
                &secret,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        // Any change to the id, time or body changes the signature.
        assert_ne!(
            sign(
                &secret,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_331,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    /// Before the previous secret's end both sign, the new first; from its end only the new.
    #[test]
    fn a_previous_secret_signs_beside_the_new_until_its_end() {
        let current = SigningSecret::from_random([1; SECRET_BYTES]);
        let previous = PreviousSecret {
            secret: SigningSecret::from_random([2; SECRET_BYTES]),
            until_ms: 1_000_000,
        };
        let both = signatures(&current, Some(&previous), "msg_1", 999, "{}");
        assert_eq!(
            both,
            format!(
                "{} {}",
                sign(&current, "msg_1", 999, "{}"),
                sign(&previous.secret, "msg_1", 999, "{}")
            )
        );
        assert_eq!(
            signatures(&current, Some(&previous), "msg_1", 1_000, "{}"),
            sign(&current, "msg_1", 1_000, "{}")
        );
        assert_eq!(
            signatures(&current, None, "msg_1", 999, "{}"),
            sign(&current, "msg_1", 999, "{}")
        );
    }

    #[test]
    fn secrets_read_back_what_they_write() {
        let secret = SigningSecret::from_random([7; SECRET_BYTES]);
        let text = secret.to_text();
        assert!(text.starts_with("whsec_"));
        assert_eq!(SigningSecret::parse(&text), Some(secret));
        assert_eq!(SigningSecret::parse("whsec_not base64!"), None);
        assert_eq!(SigningSecret::parse("sk_abc"), None);
    }
}
