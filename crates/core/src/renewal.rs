//! Manual renewal: a renewal adds its period to the current expiry (never to "now"), so days an
//! expired instance spent stopped are paid for, and renewing an expired instance restores it.
//! Renewal is possible until release; a released instance cannot come back.
//!
//! No charge for time already over: a renewal whose new expiry would still be at or before now
//! (an instance expired on 02-28 renewed for 1M on 03-29 would expire on 03-28) is refused,
//! naming the shortest period the product sells that reaches past now
//! ([`RenewalError::EndsInThePast`]). The same rule holds for manual, bulk and automatic
//! renewals: they all plan here.

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
    #[error(
        "renewing for {period} from the expiry {expires_at} would end on {ends_at}, which is \
         already over: nothing would be paid for but time gone; {advice}"
    )]
    EndsInThePast {
        period: Period,
        expires_at: Timestamp,
        ends_at: Timestamp,
        /// The shortest period the product sells whose renewal ends after now, if any.
        shortest: Option<Period>,
        advice: String,
    },
}

impl RenewalError {
    fn ends_in_the_past(
        product: &Product,
        period: Period,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> RenewalError {
        let shortest = shortest_period_past(product, expires_at, now);
        let advice = match shortest {
            Some(shortest) => format!(
                "the shortest period that reaches past now is {shortest} (to {})",
                shortest.add_to(expires_at)
            ),
            None => format!(
                "no period the product sells ({}) reaches past now",
                describe_periods(&product.periods)
            ),
        };
        RenewalError::EndsInThePast {
            period,
            expires_at,
            ends_at: period.add_to(expires_at),
            shortest,
            advice,
        }
    }
}

/// The shortest period `product` sells whose renewal from `expires_at` ends after `now`.
pub fn shortest_period_past(
    product: &Product,
    expires_at: Timestamp,
    now: Timestamp,
) -> Option<Period> {
    product
        .periods
        .iter()
        .copied()
        .filter(|period| period.add_to(expires_at) > now)
        .min_by_key(|period| period.add_to(expires_at))
}

/// Plans renewing `instance` for `period` at `now`; refused when the new expiry would not reach
/// past `now` (see the module documentation).
pub fn plan_renewal(
    instance: &Instance,
    product: &Product,
    period: Period,
    now: Timestamp,
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
    let ends_at = period.add_to(expires_at);
    if ends_at <= now {
        return Err(RenewalError::ends_in_the_past(
            product, period, expires_at, now,
        ));
    }
    Ok(RenewalPlan {
        period,
        starts_at: expires_at,
        ends_at,
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
        let plan = plan_renewal(
            &expired,
            product,
            Period::months(1),
            "2026-03-12T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
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
        let plan = plan_renewal(
            &running,
            product,
            Period::months(1),
            "2026-03-01T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(renewed_events(&running, &plan, "ord_1").len(), 1);
    }

    #[test]
    fn a_renewal_that_would_end_in_the_past_is_refused_naming_the_shortest_that_does_not() {
        // The issue's case: expired 2026-02-28, renewed for 1M on 03-29: 02-28 + 1M = 03-28,
        // already over. The message queue sells 1M, 2M, 3M, ...: 2M ends on 04-28.
        let catalog = default_catalog();
        let product = catalog.product("message-queue").unwrap();
        let expired = Instance {
            status: InstanceStatus::Expired,
            ..crate::lifecycle::subscription_for_tests(
                "inst_1",
                "acct_1",
                ("message-queue", "basic", "tps-1000"),
                "2026-02-28T00:00:00Z".parse().unwrap(),
            )
        };
        let march_29 = "2026-03-29T00:00:00Z".parse().unwrap();
        let refused = plan_renewal(&expired, product, Period::months(1), march_29).unwrap_err();
        let RenewalError::EndsInThePast {
            ends_at, shortest, ..
        } = &refused
        else {
            panic!("{refused:?}");
        };
        assert_eq!(ends_at.to_string(), "2026-03-28T00:00:00Z");
        assert_eq!(*shortest, Some(Period::months(2)));
        assert_eq!(
            refused.to_string(),
            "renewing for 1M from the expiry 2026-02-28T00:00:00Z would end on \
             2026-03-28T00:00:00Z, which is already over: nothing would be paid for but time \
             gone; the shortest period that reaches past now is 2M (to 2026-04-28T00:00:00Z)"
        );
        let plan = plan_renewal(&expired, product, Period::months(2), march_29).unwrap();
        assert_eq!(plan.ends_at.to_string(), "2026-04-28T00:00:00Z");
        // A new expiry exactly now is over too: nothing of it is left to use.
        let march_28 = "2026-03-28T00:00:00Z".parse().unwrap();
        assert!(matches!(
            plan_renewal(&expired, product, Period::months(1), march_28),
            Err(RenewalError::EndsInThePast { .. })
        ));
        // DNS sells 3M but not 2M: the shortest past 03-29 from 02-28 is 3M.
        let dns = catalog.product("dns").unwrap();
        assert_eq!(
            shortest_period_past(dns, "2026-02-28T00:00:00Z".parse().unwrap(), march_29),
            Some(Period::months(3))
        );
    }
}
