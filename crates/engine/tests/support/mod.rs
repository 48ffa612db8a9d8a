//! What several engine tests set up the same way.

use tenure_core::catalog::Billing;
use tenure_core::payment::{PaymentMethod, PaymentSources};
use tenure_core::period::Period;
use tenure_core::purchase::PurchaseRequest;
use tenure_engine::accounts::NewAccount;
use tenure_engine::instances::PurchaseCommand;

pub fn ada() -> NewAccount {
    NewAccount {
        name: "Ada".into(),
        email: "ada@example.com".into(),
        mobile: "+15550100".into(),
        currency: None,
        low_balance_threshold_minor: None,
    }
}

/// A month of the basic message queue (tps-1000, us-east-1), renewed by hand, paid from
/// vouchers, coupons, then the balance.
pub fn monthly_basic_queue(account_id: &str) -> PurchaseCommand {
    PurchaseCommand {
        account_id: account_id.to_string(),
        request: PurchaseRequest {
            product_id: "message-queue".into(),
            edition_id: "basic".into(),
            spec_id: Some("tps-1000".into()),
            region: "us-east-1".into(),
            billing: Billing::Subscription,
            period: Some(Period::months(1)),
            auto_renew_period: None,
            activates_at: None,
        },
        auto_renew: false,
        sources: PaymentSources {
            use_vouchers: true,
            use_coupons: true,
            method: PaymentMethod::Balance,
        },
    }
}
