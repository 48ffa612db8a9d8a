//! Account keys and users. A key is random, shown once, and stored as a SHA-256 hash; it can
//! be revoked. Every account gets an owner key when it is opened.

use rand::Rng;
use sha2::{Digest, Sha256};
use tenure_core::access::{check_new_user, check_revocable, Role};
use tenure_store::keys::{self, ApiKey};
use tenure_store::{accounts, Connection, Tx};

use crate::engine::Engine;
use crate::error::EngineError;

/// A key just made: the only time its secret is shown.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub key: ApiKey,
    /// The bearer key. Shown once; tenure keeps only its hash.
    pub api_key: tenure_core::secret::ShownOnce,
}

/// A rotated owner key: the new key, shown once, and the keys it replaced.
#[derive(Debug, Clone)]
pub struct RotatedOwnerKey {
    pub key: ApiKey,
    /// The new bearer key of the account's owner. Shown once; tenure keeps only its hash.
    pub owner_key: tenure_core::secret::ShownOnce,
    /// The owner keys revoked in the same transaction (they no longer authenticate).
    pub revoked_key_ids: Vec<String>,
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
        // Counted under the account's lock: two requests cannot both take the last place.
        let live_users = keys::count_live_except_role(tx, account_id, Role::Owner.as_str()).await?;
        check_new_user(live_users)
            .map_err(|refusal| EngineError::refused("user_limit_reached", refusal))?;
        self.issue_key(tx, account_id, name, role).await
    }

    /// Revokes a user's key. The owner key is never revoked (`owner_key_not_revocable`, 409):
    /// it is rotated ([`Engine::rotate_owner_key`]).
    pub async fn revoke_key(
        &self,
        tx: &mut Tx,
        account_id: &str,
        key_id: &str,
    ) -> Result<(), EngineError> {
        let key = keys::get(tx, account_id, key_id)
            .await?
            .filter(|key| key.revoked_at.is_none())
            .ok_or_else(|| EngineError::not_found("user", key_id))?;
        let role: Role = key
            .role
            .parse()
            .map_err(|_| EngineError::not_found("user", key_id))?;
        check_revocable(key_id, role)
            .map_err(|refusal| EngineError::refused("owner_key_not_revocable", refusal))?;
        if keys::revoke(tx, account_id, key_id, self.clock.now()).await? {
            Ok(())
        } else {
            Err(EngineError::not_found("user", key_id))
        }
    }

    /// Replaces the account's owner key: a new one is made and answered once, and the old one
    /// (every live owner key, should an older tenure have left more than one) stops
    /// authenticating in the same transaction. Users' keys are untouched. Open to a frozen
    /// account too: a key is no money, and shutting out a leaked key cannot wait.
    pub async fn rotate_owner_key(
        &self,
        tx: &mut Tx,
        account_id: &str,
    ) -> Result<RotatedOwnerKey, EngineError> {
        accounts::lock(tx, account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("account", account_id))?;
        let now = self.clock.now();
        let mut revoked_key_ids = Vec::new();
        for old in keys::live_of_role(tx, account_id, Role::Owner.as_str()).await? {
            keys::revoke(tx, account_id, &old.id, now).await?;
            revoked_key_ids.push(old.id);
        }
        let issued = self.issue_key(tx, account_id, "owner", Role::Owner).await?;
        Ok(RotatedOwnerKey {
            key: issued.key,
            owner_key: issued.api_key,
            revoked_key_ids,
        })
    }

    /// The live key a bearer secret belongs to.
    pub async fn authenticate(
        &self,
        connection: &mut Connection,
        secret: &str,
    ) -> Result<Option<ApiKey>, EngineError> {
        self.live_key(connection, &hash_key(secret)).await
    }

    /// The live key whose hash is `key_hash` (a console session keeps the hash, not the key).
    pub async fn live_key(
        &self,
        connection: &mut Connection,
        key_hash: &str,
    ) -> Result<Option<ApiKey>, EngineError> {
        Ok(keys::find_live(connection, key_hash).await?)
    }
}
