//! Who may use an account: its users and their API keys, and the secrets shown once.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A secret in an answer (an owner key, an API key, a signing secret): written as itself in
/// the first answer; the copy of the answer the server keeps (replayed to the same
/// Idempotency-Key) says it was shown once instead.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
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

/// With the domain, written as the core's secret is (withheld in the kept copy); a client
/// writes the text it holds.
impl Serialize for ShownOnce {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[cfg(feature = "domain")]
        {
            tenure_core::secret::ShownOnce(self.0.clone()).serialize(serializer)
        }
        #[cfg(not(feature = "domain"))]
        {
            serializer.serialize_str(&self.0)
        }
    }
}

impl schemars::JsonSchema for ShownOnce {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ShownOnce".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A secret, shown in this answer only. A replay of the request (the same Idempotency-Key) says it was shown once instead."
        })
    }
}

/// A key as stored (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApiKey {
    /// Also the user's id.
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub role: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A key just made: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IssuedKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The bearer key. Shown once; tenure keeps only its hash.
    pub api_key: ShownOnce,
}

/// A rotated owner key: the new key, shown once, and the keys it replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RotatedOwnerKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The new bearer key of the account's owner. Shown once; tenure keeps only its hash.
    pub owner_key: ShownOnce,
    /// The owner keys revoked in the same transaction (they no longer authenticate).
    pub revoked_key_ids: Vec<String>,
}

/// A new user of an account, with its role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("examples" = [{ "name": "Grace Hopper", "role": "purchase" }]))]
pub struct CreateUser {
    #[schemars(
        length(min = 1, max = 200),
        regex(pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")
    )]
    pub name: String,
    #[schemars(extend("enum" = ["read_only", "purchase", "billing"]))]
    pub role: String,
}

/// Nothing to say: the path names the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateOwnerKey {}

/// A revoked key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Revoked {
    pub id: String,
    pub revoked: bool,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_core::secret::ShownOnce> for ShownOnce {
        fn from(secret: tenure_core::secret::ShownOnce) -> ShownOnce {
            ShownOnce(secret.0)
        }
    }

    impl From<tenure_store::keys::ApiKey> for ApiKey {
        fn from(key: tenure_store::keys::ApiKey) -> ApiKey {
            ApiKey {
                id: key.id,
                account_id: key.account_id,
                name: key.name,
                role: key.role,
                created_at: key.created_at,
                revoked_at: key.revoked_at,
            }
        }
    }

    impl From<tenure_engine::access::IssuedKey> for IssuedKey {
        fn from(issued: tenure_engine::access::IssuedKey) -> IssuedKey {
            IssuedKey {
                key: issued.key.into(),
                api_key: issued.api_key.into(),
            }
        }
    }

    impl From<tenure_engine::access::RotatedOwnerKey> for RotatedOwnerKey {
        fn from(rotated: tenure_engine::access::RotatedOwnerKey) -> RotatedOwnerKey {
            RotatedOwnerKey {
                key: rotated.key.into(),
                owner_key: rotated.owner_key.into(),
                revoked_key_ids: rotated.revoked_key_ids,
            }
        }
    }
}

#[cfg(all(test, feature = "domain"))]
mod tests {
    use super::*;

    #[test]
    fn a_kept_copy_withholds_the_secret_as_the_cores_does() {
        let secret = ShownOnce("tnr_secret".to_string());
        assert_eq!(serde_json::to_string(&secret).unwrap(), r#""tnr_secret""#);
        let kept = tenure_core::secret::kept_copy(|| serde_json::to_string(&secret).unwrap());
        assert!(kept.withheld_secret);
        assert!(!kept.copy.contains("tnr_secret"), "{}", kept.copy);
        assert_eq!(format!("{secret:?}"), "ShownOnce(..)");
        let read: ShownOnce = serde_json::from_str(r#""tnr_secret""#).unwrap();
        assert_eq!(read, secret);
    }
}
