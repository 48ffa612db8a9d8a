//! Manual renewal: a renewal adds its period to the current expiry (never to "now"), so days an
//! expired instance spent stopped are paid for, and renewing an expired instance restores it.
//! Renewal is possible until release; a released instance cannot come back.

use jiff::Timestamp;

use crate::catalog::{Billing, Product};
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
