//! Renewing: one instance by hand, several at once (and their quote), and Renewal Management
//! (auto-renewal, the renewal mode) with the warnings a change of mode may carry.

use serde::{Deserialize, Serialize};

use crate::instances::Instance;
use crate::orders::{Order, PaymentMethod};
use crate::period::Period;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("examples" = [{ "period": "1M" }, { "period": "1Y", "pay_with": "bank_card" }]))]
pub struct Renew {
    pub period: Period,
    #[schemars(with = "Option<PaymentMethod>")]
    pub pay_with: Option<String>,
    pub use_vouchers: Option<bool>,
    pub use_coupons: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewMany {
    /// 1 to 100 instances, each once.
    #[schemars(length(min = 1, max = 100), extend("uniqueItems" = true))]
    pub instances: Vec<String>,
    pub period: Period,
    #[schemars(with = "Option<PaymentMethod>")]
    pub pay_with: Option<String>,
    pub use_vouchers: Option<bool>,
    pub use_coupons: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RenewalResult {
    pub instance: Instance,
    pub order: Order,
    pub restored: bool,
}

/// Every instance renewed, in the order asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RenewedMany {
    pub data: Vec<RenewalResult>,
}

/// `period` only when enabling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    { "properties": { "enabled": { "const": true } } },
    { "properties": { "enabled": { "const": false }, "period": { "type": "null" } } }
]))]
pub struct AutoRenewal {
    pub enabled: bool,
    pub period: Option<Period>,
}

/// `period` only with the `auto` mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    { "properties": { "mode": { "const": "auto" } } },
    { "properties": { "mode": { "enum": ["manual", "none"] }, "period": { "type": "null" } } }
]))]
pub struct Mode {
    #[schemars(extend("enum" = ["manual", "auto", "none"]))]
    pub mode: String,
    pub period: Option<Period>,
}

/// Something the caller should know about an accepted change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Warning {
    pub code: String,
    pub message: String,
}

/// The instance after a renewal-mode change, and what the caller should know about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RenewalModeResult {
    pub instance: Instance,
    pub warnings: Vec<Warning>,
}

#[cfg(feature = "domain")]
mod from_domain {
    use super::*;

    impl From<tenure_engine::renew::RenewalResult> for RenewalResult {
        fn from(result: tenure_engine::renew::RenewalResult) -> RenewalResult {
            RenewalResult {
                instance: result.instance.into(),
                order: result.order.into(),
                restored: result.restored,
            }
        }
    }

    impl From<tenure_core::auto_renewal::Warning> for Warning {
        fn from(warning: tenure_core::auto_renewal::Warning) -> Warning {
            Warning {
                code: warning.code.to_string(),
                message: warning.message,
            }
        }
    }

    impl From<tenure_engine::auto_renewal::RenewalModeResult> for RenewalModeResult {
        fn from(result: tenure_engine::auto_renewal::RenewalModeResult) -> RenewalModeResult {
            RenewalModeResult {
                instance: result.instance.into(),
                warnings: result.warnings.into_iter().map(Into::into).collect(),
            }
        }
    }
}
