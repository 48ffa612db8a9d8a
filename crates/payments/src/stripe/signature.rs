//! Stripe's webhook signatures: the `Stripe-Signature` header holds `t=` (Unix seconds) and
//! one or more `v1=` (hex HMAC-SHA256 of `{t}.{body}` under the endpoint's secret). A message
//! is taken when one `v1` matches, compared in constant time, and `t` is within the tolerance
//! of now, so a captured message cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a signature's time may be from now: Stripe's own libraries use five minutes.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing or has no `t=` and `v1=`")]
    Malformed,
    #[error("no v1 signature of the Stripe-Signature header matches the body")]
    Mismatch,
    #[error(
        "the signature was made at {signed_at}, more than {TOLERANCE_SECONDS} s from now ({now})"
    )]
    OutOfTolerance { signed_at: i64, now: i64 },
}

/// Checks `header` against `body` with `secret`, at `now` (Unix seconds).
pub fn verify(header: &str, body: &[u8], secret: &str, now: i64) -> Result<(), SignatureError> {
    let mut signed_at = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => signed_at = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let (Some(signed_at), false) = (signed_at, signatures.is_empty()) else {
        return Err(SignatureError::Malformed);
    };
    let matches = signatures.iter().any(|signature| {
        let Some(bytes) = hex(signature) else {
            return false;
        };
        mac(secret, signed_at, body).verify_slice(&bytes).is_ok()
    });
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if (now - signed_at).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::OutOfTolerance { signed_at, now });
    }
    Ok(())
}

/// The header Stripe would send for `body` at `signed_at` (for tests and for tools that
/// replay a provider's messages).
pub fn sign(body: &[u8], secret: &str, signed_at: i64) -> String {
    let digest = mac(secret, signed_at, body).finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("t={signed_at},v1={hex}")
}

fn mac(secret: &str, signed_at: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(signed_at.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    #[test]
    fn a_signed_body_verifies_and_any_change_does_not() {
        let header = sign(b"{\"id\":\"evt_1\"}", SECRET, 1_000);
        assert_eq!(
            verify(&header, b"{\"id\":\"evt_1\"}", SECRET, 1_100),
            Ok(())
        );
        assert_eq!(
            verify(&header, b"{\"id\":\"evt_2\"}", SECRET, 1_100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&header, b"{\"id\":\"evt_1\"}", "whsec_other", 1_100),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn an_old_signature_is_refused() {
        let header = sign(b"{}", SECRET, 1_000);
        assert_eq!(
            verify(&header, b"{}", SECRET, 1_000 + TOLERANCE_SECONDS + 1),
            Err(SignatureError::OutOfTolerance {
                signed_at: 1_000,
                now: 1_000 + TOLERANCE_SECONDS + 1
            })
        );
    }

    #[test]
    fn one_matching_signature_among_several_is_enough() {
        let good = sign(b"{}", SECRET, 1_000);
        let v1 = good.split_once("v1=").unwrap().1;
        let header = format!("t=1000,v1={},v1={v1}", "00".repeat(32));
        assert_eq!(verify(&header, b"{}", SECRET, 1_000), Ok(()));
        assert_eq!(
            verify("v1=abc", b"{}", SECRET, 1_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("t=1000", b"{}", SECRET, 1_000),
            Err(SignatureError::Malformed)
        );
    }
}
