//! Who may do what. An account's keys carry a role; each endpoint needs one permission. The
//! operator (the key in `TENURE_ADMIN_KEY`) may do everything, on every account.

use std::str::FromStr;

use serde::Serialize;

/// What an endpoint needs from an account's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
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
}
