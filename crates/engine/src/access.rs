//! Account keys and users. A key is random, shown once, and stored as a SHA-256 hash; it can
//! be revoked. Every account gets an owner key when it is opened.

use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tenure_core::access::Role;
use tenure_store::keys::{self, ApiKey};
use tenure_store::{Connection, Tx};

use crate::engine::Engine;
use crate::error::EngineError;

/// A key just made: the only time its secret is shown.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IssuedKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The bearer key. Shown once; tenure keeps only its hash.
    pub api_key: tenure_core::secret::ShownOnce,
}

/// The hash tenure stores and looks keys up by.
pub fn hash_key(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

impl Engine {
    /// Makes a key for `account_id` with `role`.
    pub async fn issue_key(
        &self,
        tx: &mut Tx,
        account_id: &str,
        name: &str,
        role: Role,
    ) -> Result<IssuedKey, EngineError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(EngineError::invalid(
                "invalid_field",
                "`name` must be 1 to 200 characters",
            ));
        }
        // 128 random bits from the operating system's generator.
        let secret = format!("tnr_{:032x}", rand::rngs::OsRng.gen::<u128>());
        let key = ApiKey {
            id: self.ids.next("usr"),
            account_id: account_id.to_string(),
            name: name.to_string(),
            role: role.as_str().to_string(),
            key_hash: hash_key(&secret),
            created_at: self.clock.now(),
            revoked_at: None,
        };
        keys::insert(tx, &key).await?;
        Ok(IssuedKey {
            key,
            api_key: tenure_core::secret::ShownOnce(secret),
        })
    }

    /// Adds a user with a role below owner to an existing account.
    pub async fn create_user(
        &self,
        tx: &mut Tx,
        account_id: &str,
        name: &str,
        role: Role,
    ) -> Result<IssuedKey, EngineError> {
        self.lock_account(tx, account_id).await?;
        if role == Role::Owner {
            return Err(EngineError::invalid(
                "invalid_role",
                "an account has one owner key; give users read_only, purchase or billing",
            ));
        }
        self.issue_key(tx, account_id, name, role).await
    }

    pub async fn revoke_key(
        &self,
        tx: &mut Tx,
        account_id: &str,
        key_id: &str,
    ) -> Result<(), EngineError> {
        if keys::revoke(tx, account_id, key_id, self.clock.now()).await? {
            Ok(())
        } else {
            Err(EngineError::not_found("user", key_id))
        }
    }

    /// The live key a bearer secret belongs to.
    pub async fn authenticate(
        &self,
        connection: &mut Connection,
        secret: &str,
    ) -> Result<Option<ApiKey>, EngineError> {
        Ok(keys::find_live(connection, &hash_key(secret)).await?)
    }
}
