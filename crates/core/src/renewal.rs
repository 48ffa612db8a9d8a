//! Manual renewal: a renewal adds its period to the current expiry (never to "now"), so days an
//! expired instance spent stopped are paid for, and renewing an expired instance restores it.
//! Renewal is possible until release; a released instance cannot come back.

use jiff::Timestamp;
use serde_json::json;

use crate::catalog::{Billing, Product};
use crate::event::{EventDraft, EventKind};
use crate::lifecycle::{Instance, InstanceStatus};
use crate::period::Period;
use crate::purchase::describe_periods;

/// A priced renewal: the new service period runs from the current expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalPlan {
    pub period: Period,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub list_price_minor: i64,
    /// The instance was expired (stopped) and the renewal brings it back.
    pub restores: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenewalError {
    #[error("instance {0} was released and can no longer be renewed")]
    Released(String),
    #[error("instance {0} is not a subscription; only subscriptions are renewed")]
    NotSubscription(String),
    #[error("product `{product}` does not renew for {period}; it sells {offered}")]
    PeriodNotSold {
        product: String,
        period: Period,
        offered: String,
    },
    #[error("the instance's spec is no longer in the catalog")]
    SpecGone,
    #[error("the price overflows")]
    Overflow,
}

pub fn plan_renewal(
    instance: &Instance,
    product: &Product,
    period: Period,
) -> Result<RenewalPlan, RenewalError> {
    if instance.status.is_final() {
        return Err(RenewalError::Released(instance.id.clone()));
    }
    let Some(expires_at) = instance
        .expires_at
        .filter(|_| instance.billing == Billing::Subscription)
    else {
        return Err(RenewalError::NotSubscription(instance.id.clone()));
    };
    if !product.sells_period(period) {
        return Err(RenewalError::PeriodNotSold {
            product: product.id.clone(),
            period,
            offered: describe_periods(&product.periods),
        });
    }
    let spec = product
        .edition(&instance.edition_id)
        .and_then(|edition| edition.spec(&instance.spec_id))
        .ok_or(RenewalError::SpecGone)?;
    Ok(RenewalPlan {
        period,
        starts_at: expires_at,
        ends_at: period.add_to(expires_at),
        list_price_minor: spec
            .list_price_minor(period)
            .map_err(|_| RenewalError::Overflow)?,
        restores: instance.status == InstanceStatus::Expired,
    })
}

/// The instance after a paid renewal: new expiry, running again.
pub fn apply_renewal(instance: &Instance, plan: &RenewalPlan) -> Instance {
    Instance {
        expires_at: Some(plan.ends_at),
        status: InstanceStatus::Active,
        ..instance.clone()
    }
}

/// Announces a renewal by hand, paid by `order_id` (`instance.renewed`), and, when it brings an
/// expired instance back, its restoration (`instance.restored`). `instance` is the one renewed,
/// as it was before. Auto-renewal announces its own ([`crate::auto_renewal::attempt`]).
pub fn renewed_events(instance: &Instance, plan: &RenewalPlan, order_id: &str) -> Vec<EventDraft> {
    let mut events = vec![EventDraft {
        kind: EventKind::InstanceRenewed,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        data: json!({
            "source": "manual",
            "order_id": order_id,
            "period": plan.period.to_string(),
            "previous_expires_at": plan.starts_at.to_string(),
            "expires_at": plan.ends_at.to_string(),
            "price_minor": plan.list_price_minor,
        })
        .into(),
    }];
    if plan.restores {
        events.push(EventDraft {
            kind: EventKind::InstanceRestored,
            account_id: instance.account_id.clone(),
            instance_id: Some(instance.id.clone()),
            data: json!({ "expires_at": plan.ends_at.to_string() }).into(),
        });
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;

    #[test]
    fn renewing_an_expired_instance_announces_the_renewal_and_the_restoration() {
        // Server tests/api/lifecycle.rs: expired on 03-10, renewed for 1M on 03-12.
        let catalog = default_catalog();
        let product = catalog.product("message-queue").unwrap();
        let expired = Instance {
            status: InstanceStatus::Expired,
            ..crate::lifecycle::subscription_for_tests(
                "inst_000006",
                "acct_000001",
                ("message-queue", "basic", "tps-1000"),
                "2026-03-10T00:00:00Z".parse().unwrap(),
            )
        };
        let plan = plan_renewal(&expired, product, Period::months(1)).unwrap();
        let events = renewed_events(&expired, &plan, "ord_000014");
        let texts: Vec<(&str, &str, Option<&str>, &str)> = events
            .iter()
            .map(|event| {
                (
                    event.kind.as_str(),
                    event.account_id.as_str(),
                    event.instance_id.as_deref(),
                    event.data.as_str(),
                )
            })
            .collect();
        assert_eq!(
            texts,
            [
                (
                    "instance.renewed",
                    "acct_000001",
                    Some("inst_000006"),
                    r#"{"expires_at":"2026-04-10T00:00:00Z","order_id":"ord_000014","period":"1M","previous_expires_at":"2026-03-10T00:00:00Z","price_minor":12000,"source":"manual"}"#
                ),
                (
                    "instance.restored",
                    "acct_000001",
                    Some("inst_000006"),
                    r#"{"expires_at":"2026-04-10T00:00:00Z"}"#
                ),
            ]
        );
        let running = Instance {
            status: InstanceStatus::Active,
            ..expired
        };
        let plan = plan_renewal(&running, product, Period::months(1)).unwrap();
        assert_eq!(renewed_events(&running, &plan, "ord_1").len(), 1);
    }
}
