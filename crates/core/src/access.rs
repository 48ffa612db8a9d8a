//! Who may do what. An account's keys carry a role; each endpoint needs one permission. The
//! operator (the key in `TENURE_ADMIN_KEY`) may do everything, on every account.

use std::str::FromStr;

use serde::Serialize;

/// What an endpoint needs from an account's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See the account's instances, orders, ledger, events and notices.
    Read,
    /// Buy new instances.
    Purchase,
    /// Fee operations on existing instances and money: renew, change, unsubscribe, deposit
    /// (like AliyunBSSFullAccess).
    Billing,
    /// Create and revoke the account's users and keys.
    ManageUsers,
    /// Record money that arrived outside tenure: a deposit, or an order "paid" by card, PayPal,
    /// Alipay or transfer. Whoever records it vouches that the money arrived, and no key of the
    /// account being credited can vouch for itself: no role has it, only the operator.
    RecordOutsideMoney,
}

/// The role of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The account's own key: every permission.
    Owner,
    /// Full billing: read, purchase and every fee operation, but not user management.
    Billing,
    /// Read and buy, nothing else.
    Purchase,
    /// Read only.
    ReadOnly,
}

impl Role {
    pub fn allows(self, permission: Permission) -> bool {
        if permission == Permission::RecordOutsideMoney {
            return false;
        }
        match self {
            Role::Owner => true,
            Role::Billing => permission != Permission::ManageUsers,
            Role::Purchase => matches!(permission, Permission::Read | Permission::Purchase),
            Role::ReadOnly => permission == Permission::Read,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Billing => "billing",
            Role::Purchase => "purchase",
            Role::ReadOnly => "read_only",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "owner" => Ok(Role::Owner),
            "billing" => Ok(Role::Billing),
            "purchase" => Ok(Role::Purchase),
            "read_only" => Ok(Role::ReadOnly),
            other => Err(format!(
                "`{other}` is not a role: use read_only, purchase or billing"
            )),
        }
    }
}

/// The most live users (keys other than the owner's) one account may have: far more than a
/// team needs, few enough that the account's key list stays small. Revoked keys do not count.
pub const MAX_USERS_PER_ACCOUNT: i64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the account already has {live_users} users, the most one account may have \
     ({MAX_USERS_PER_ACCOUNT}); revoke one (DELETE /v1/accounts/{{id}}/users/{{user_id}}) first"
)]
pub struct UserLimitReached {
    pub live_users: i64,
}

/// Whether an account with `live_users` users may add one more.
pub fn check_new_user(live_users: i64) -> Result<(), UserLimitReached> {
    if live_users < MAX_USERS_PER_ACCOUNT {
        Ok(())
    } else {
        Err(UserLimitReached { live_users })
    }
}

/// Why a key may not be revoked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{key_id} is the account's owner key, and an account always keeps one: rotate it instead \
     (POST /v1/accounts/{{id}}/owner-key/rotate), which answers a new owner key and ends this one"
)]
pub struct OwnerKeyNotRevocable {
    pub key_id: String,
}

/// Whether a key of `role` may be revoked: users' keys may, the owner's may not (revoked, it
/// would leave an account no key of its own can manage; rotation replaces it in one step).
pub fn check_revocable(key_id: &str, role: Role) -> Result<(), OwnerKeyNotRevocable> {
    match role {
        Role::Owner => Err(OwnerKeyNotRevocable {
            key_id: key_id.to_string(),
        }),
        Role::Billing | Role::Purchase | Role::ReadOnly => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest() {
        use Permission::*;
        let allowed = |role: Role| {
            [Read, Purchase, Billing, ManageUsers, RecordOutsideMoney]
                .map(|permission| role.allows(permission))
        };
        assert_eq!(allowed(Role::Owner), [true, true, true, true, false]);
        assert_eq!(allowed(Role::Billing), [true, true, true, false, false]);
        assert_eq!(allowed(Role::Purchase), [true, true, false, false, false]);
        assert_eq!(allowed(Role::ReadOnly), [true, false, false, false, false]);
    }

    #[test]
    fn an_account_has_a_bounded_number_of_users() {
        assert!(check_new_user(MAX_USERS_PER_ACCOUNT - 1).is_ok());
        let refusal = check_new_user(MAX_USERS_PER_ACCOUNT).unwrap_err();
        assert!(refusal.to_string().contains("revoke one"), "{refusal}");
    }

    #[test]
    fn the_owner_key_is_rotated_never_revoked() {
        assert!(check_revocable("usr_1", Role::Billing).is_ok());
        let refusal = check_revocable("usr_1", Role::Owner).unwrap_err();
        assert!(
            refusal.to_string().contains("owner-key/rotate"),
            "{refusal}"
        );
    }
}
