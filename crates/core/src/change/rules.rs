//! The rules that allow or refuse a change, each a function, checked in this order:
//! 1. the instance can change: an active subscription before its expiry;
//! 2. the target exists in the catalog and differs from the current configuration;
//! 3. edition locked: products whose `changes.edition_change` is false change specs only within
//!    the edition (message queue);
//! 4. billing: a change stays a subscription (a move to a free or pay-as-you-go edition is not a
//!    change of spec);
//! 5. direction: a dearer list price per month (then per year) is an upgrade, anything else a
//!    downgrade;
//! 6. upgrade only: products whose `changes.downgrade` is false refuse downgrades (DNS);
//! 7. approval: an upgrade from or to an edition with `upgrade_needs_approval` waits for the
//!    operator (message queue Enterprise Platinum); downgrades never wait.
//!
//! An overdue account may not upgrade either; that is the account's state, not the catalog's, so
//! the engine checks it (issue 6 adds overdue).

use jiff::Timestamp;
use serde::Serialize;

use crate::catalog::{Billing, Edition, Product, Spec};
use crate::lifecycle::{Instance, InstanceStatus};
use crate::proration::ChangeDirection;

/// What a customer asks to change to: a spec, an edition, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeTarget {
    pub edition_id: Option<String>,
    pub spec_id: Option<String>,
}

/// An allowed change.
#[derive(Debug, Clone, Copy)]
pub struct ChangeDecision<'catalog> {
    pub direction: ChangeDirection,
    pub needs_approval: bool,
    pub edition: &'catalog Edition,
    pub spec: &'catalog Spec,
}

/// Why a change is refused: one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeRefusal {
    #[error("instance {0} was released; a released instance cannot change")]
    Released(String),
    #[error("instance {0} has expired; renew it before changing its configuration")]
    Expired(String),
    #[error("instance {0} is not a subscription; only subscriptions are upgraded or downgraded")]
    NotSubscription(String),
    #[error("name the `spec` or the `edition` to change to")]
    NothingRequested,
    #[error("product `{product}` has no edition `{edition}`")]
    UnknownEdition { product: String, edition: String },
    #[error("edition `{edition}` has no spec `{spec}`")]
    UnknownSpec { edition: String, spec: String },
    #[error("edition `{edition}` has several specs: name one with `spec`")]
    SpecRequired { edition: String },
    #[error("the instance already runs edition `{edition}` with spec `{spec}`")]
    NoChange { edition: String, spec: String },
    #[error("product `{product}` does not allow changing the edition (edition locked): change the spec within edition `{edition}`")]
    EditionLocked { product: String, edition: String },
    #[error("edition `{edition}` is billed as {billing}; a change stays a subscription")]
    BillingChange {
        edition: String,
        billing: &'static str,
    },
    #[error("product `{product}` can be upgraded but never downgraded (upgrade only); `{spec}` is not dearer than the current configuration")]
    DowngradeNotAllowed { product: String, spec: String },
    #[error("the instance's current configuration (`{edition}`/`{spec}`) is no longer in the catalog, so the change cannot be priced; ask the operator")]
    CurrentSpecGone { edition: String, spec: String },
}

impl ChangeRefusal {
    /// The machine code the API answers.
    pub fn code(&self) -> &'static str {
        match self {
            ChangeRefusal::Released(_) => "instance_released",
            ChangeRefusal::Expired(_) => "instance_expired",
            ChangeRefusal::NotSubscription(_) => "not_subscription",
            ChangeRefusal::NothingRequested => "nothing_to_change",
            ChangeRefusal::UnknownEdition { .. } => "unknown_edition",
            ChangeRefusal::UnknownSpec { .. } | ChangeRefusal::SpecRequired { .. } => {
                "unknown_spec"
            }
            ChangeRefusal::NoChange { .. } => "no_change",
            ChangeRefusal::EditionLocked { .. } => "edition_locked",
            ChangeRefusal::BillingChange { .. } => "billing_change_not_supported",
            ChangeRefusal::DowngradeNotAllowed { .. } => "downgrade_not_allowed",
            ChangeRefusal::CurrentSpecGone { .. } => "current_spec_gone",
        }
    }

    /// Whether the request itself is wrong (unknown names) rather than refused by a rule or by
    /// the instance's state. The API answers the first 422 and the second 409.
    pub fn is_invalid_request(&self) -> bool {
        matches!(
            self,
            ChangeRefusal::NothingRequested
                | ChangeRefusal::UnknownEdition { .. }
                | ChangeRefusal::UnknownSpec { .. }
                | ChangeRefusal::SpecRequired { .. }
        )
    }
}

/// Checks every rule and says what kind of change this is.
pub fn decide_change<'catalog>(
    instance: &Instance,
    product: &'catalog Product,
    target: &ChangeTarget,
    now: Timestamp,
) -> Result<ChangeDecision<'catalog>, ChangeRefusal> {
    instance_can_change(instance, now)?;
    let (edition, spec) = find_target(instance, product, target)?;
    edition_locked(instance, product, edition)?;
    stays_a_subscription(edition)?;
    let direction = direction(instance, product, spec)?;
    upgrade_only(product, direction, spec)?;
    Ok(ChangeDecision {
        direction,
        needs_approval: needs_approval(instance, product, direction, edition),
        edition,
        spec,
    })
}

/// Rule 1: only an active subscription, before its expiry, can change.
fn instance_can_change(instance: &Instance, now: Timestamp) -> Result<(), ChangeRefusal> {
    if instance.status.is_final() {
        return Err(ChangeRefusal::Released(instance.id.clone()));
    }
    if instance.billing != Billing::Subscription {
        return Err(ChangeRefusal::NotSubscription(instance.id.clone()));
    }
    // Past its expiry but not yet swept is expired too: the sweep may simply not have run.
    let expired = instance.status == InstanceStatus::Expired
        || instance
            .expires_at
            .is_none_or(|expires_at| expires_at <= now);
    if expired {
        return Err(ChangeRefusal::Expired(instance.id.clone()));
    }
    Ok(())
}

/// Rule 2: the target names an existing, different configuration. Without an edition the
/// instance keeps its own; without a spec, an edition with one spec means that one.
fn find_target<'catalog>(
    instance: &Instance,
    product: &'catalog Product,
    target: &ChangeTarget,
) -> Result<(&'catalog Edition, &'catalog Spec), ChangeRefusal> {
    if target.edition_id.is_none() && target.spec_id.is_none() {
        return Err(ChangeRefusal::NothingRequested);
    }
    let edition_id = target.edition_id.as_deref().unwrap_or(&instance.edition_id);
    let edition = product
        .edition(edition_id)
        .ok_or_else(|| ChangeRefusal::UnknownEdition {
            product: product.id.clone(),
            edition: edition_id.to_string(),
        })?;
    let spec = match (&target.spec_id, edition.specs.as_slice()) {
        (Some(spec_id), _) => edition
            .spec(spec_id)
            .ok_or_else(|| ChangeRefusal::UnknownSpec {
                edition: edition.id.clone(),
                spec: spec_id.clone(),
            })?,
        (None, [only]) => only,
        (None, _) => {
            return Err(ChangeRefusal::SpecRequired {
                edition: edition.id.clone(),
            })
        }
    };
    if edition.id == instance.edition_id && spec.id == instance.spec_id {
        return Err(ChangeRefusal::NoChange {
            edition: edition.id.clone(),
            spec: spec.id.clone(),
        });
    }
    Ok((edition, spec))
}

/// Rule 3: edition locked.
fn edition_locked(
    instance: &Instance,
    product: &Product,
    edition: &Edition,
) -> Result<(), ChangeRefusal> {
    if !product.changes.edition_change && edition.id != instance.edition_id {
        return Err(ChangeRefusal::EditionLocked {
            product: product.id.clone(),
            edition: instance.edition_id.clone(),
        });
    }
    Ok(())
}

/// Rule 4: a change keeps the subscription billing (free and pay-as-you-go editions have no
/// period to prorate).
fn stays_a_subscription(edition: &Edition) -> Result<(), ChangeRefusal> {
    if edition.billing != Billing::Subscription {
        return Err(ChangeRefusal::BillingChange {
            edition: edition.id.clone(),
            billing: edition.billing.as_str(),
        });
    }
    Ok(())
}

/// Rule 5: dearer per month (then per year) is an upgrade; the same price or cheaper is a
/// downgrade, so a sideways move is never charged and never needs approval.
fn direction(
    instance: &Instance,
    product: &Product,
    spec: &Spec,
) -> Result<ChangeDirection, ChangeRefusal> {
    let current = product
        .edition(&instance.edition_id)
        .and_then(|edition| edition.spec(&instance.spec_id))
        .ok_or_else(|| ChangeRefusal::CurrentSpecGone {
            edition: instance.edition_id.clone(),
            spec: instance.spec_id.clone(),
        })?;
    let price_key = |spec: &Spec| (spec.monthly_price_minor, spec.yearly_price_minor);
    Ok(if price_key(spec) > price_key(current) {
        ChangeDirection::Upgrade
    } else {
        ChangeDirection::Downgrade
    })
}

/// Rule 6: upgrade only.
fn upgrade_only(
    product: &Product,
    direction: ChangeDirection,
    spec: &Spec,
) -> Result<(), ChangeRefusal> {
    if !product.changes.downgrade && direction == ChangeDirection::Downgrade {
        return Err(ChangeRefusal::DowngradeNotAllowed {
            product: product.id.clone(),
            spec: spec.id.clone(),
        });
    }
    Ok(())
}

/// Rule 7: upgrades of an edition that needs the operator (from it or into it) wait for approval.
fn needs_approval(
    instance: &Instance,
    product: &Product,
    direction: ChangeDirection,
    target: &Edition,
) -> bool {
    let current_needs = product
        .edition(&instance.edition_id)
        .is_some_and(|edition| edition.upgrade_needs_approval);
    direction == ChangeDirection::Upgrade && (current_needs || target.upgrade_needs_approval)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use crate::lifecycle::RenewalMode;
    use crate::period::Period;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn instance(product: &str, edition: &str, spec: &str) -> Instance {
        Instance {
            id: "inst_1".into(),
            account_id: "acct_1".into(),
            product_id: product.into(),
            edition_id: edition.into(),
            spec_id: spec.into(),
            region: "us-east-1".into(),
            billing: Billing::Subscription,
            status: InstanceStatus::Active,
            created_at: at("2026-04-01T00:00:00Z"),
            expires_at: Some(at("2026-05-01T00:00:00Z")),
            released_at: None,
            renewal_mode: RenewalMode::Manual,
            auto_renew_period: None,
            subscription_period: Some(Period::months(1)),
            reminded_for_expiry: None,
            auto_renew_schedule: None,
            auto_renew_effective_from: None,
            last_deduction_attempt: None,
            last_active_at: None,
            activates_at: None,
            release_warned_for_expiry: None,
            domain_statuses: Vec::new(),
            name: None,
            tags: Vec::new(),
        }
    }

    fn target(edition: Option<&str>, spec: Option<&str>) -> ChangeTarget {
        ChangeTarget {
            edition_id: edition.map(String::from),
            spec_id: spec.map(String::from),
        }
    }

    fn decide(
        instance: &Instance,
        target: ChangeTarget,
    ) -> Result<(ChangeDirection, bool), &'static str> {
        let catalog = default_catalog();
        let product = catalog.product(&instance.product_id).unwrap();
        decide_change(instance, product, &target, at("2026-04-11T00:00:00Z"))
            .map(|decision| (decision.direction, decision.needs_approval))
            .map_err(|refusal| refusal.code())
    }

    #[test]
    fn message_queue_changes_specs_within_the_edition() {
        let basic = instance("message-queue", "basic", "tps-1000");
        assert_eq!(
            decide(&basic, target(None, Some("tps-5000"))),
            Ok((ChangeDirection::Upgrade, false))
        );
        assert_eq!(
            decide(&basic, target(Some("professional"), Some("tps-10000"))),
            Err("edition_locked")
        );
        let bigger = instance("message-queue", "basic", "tps-5000");
        assert_eq!(
            decide(&bigger, target(None, Some("tps-1000"))),
            Ok((ChangeDirection::Downgrade, false))
        );
    }

    #[test]
    fn enterprise_platinum_upgrades_wait_for_approval_and_downgrades_do_not() {
        let small = instance("message-queue", "enterprise-platinum", "tps-100000");
        assert_eq!(
            decide(&small, target(None, Some("tps-500000"))),
            Ok((ChangeDirection::Upgrade, true))
        );
        let large = instance("message-queue", "enterprise-platinum", "tps-500000");
        assert_eq!(
            decide(&large, target(None, Some("tps-100000"))),
            Ok((ChangeDirection::Downgrade, false))
        );
    }

    #[test]
    fn dns_upgrades_only() {
        let personal = instance("dns", "personal", "standard");
        assert_eq!(
            decide(&personal, target(Some("enterprise-ultimate"), None)),
            Ok((ChangeDirection::Upgrade, false))
        );
        let ultimate = instance("dns", "enterprise-ultimate", "standard");
        assert_eq!(
            decide(&ultimate, target(Some("personal"), None)),
            Err("downgrade_not_allowed")
        );
    }

    #[test]
    fn refuses_what_cannot_change() {
        let mut released = instance("message-queue", "basic", "tps-1000");
        released.status = InstanceStatus::Released;
        assert_eq!(
            decide(&released, target(None, Some("tps-5000"))),
            Err("instance_released")
        );
        // An unsubscribed instance is released for good: no change either.
        released.status = InstanceStatus::Unsubscribed;
        assert_eq!(
            decide(&released, target(None, Some("tps-5000"))),
            Err("instance_released")
        );
        let mut expired = instance("message-queue", "basic", "tps-1000");
        expired.status = InstanceStatus::Expired;
        assert_eq!(
            decide(&expired, target(None, Some("tps-5000"))),
            Err("instance_expired")
        );
        let mut past_expiry = instance("message-queue", "basic", "tps-1000");
        past_expiry.expires_at = Some(at("2026-04-10T00:00:00Z"));
        assert_eq!(
            decide(&past_expiry, target(None, Some("tps-5000"))),
            Err("instance_expired")
        );
        let basic = instance("message-queue", "basic", "tps-1000");
        assert_eq!(
            decide(&basic, target(None, Some("tps-1000"))),
            Err("no_change")
        );
        assert_eq!(decide(&basic, target(None, None)), Err("nothing_to_change"));
        assert_eq!(
            decide(&basic, target(None, Some("huge"))),
            Err("unknown_spec")
        );
        let iot = instance("iot-platform", "enterprise", "units-10");
        assert_eq!(
            decide(&iot, target(Some("public"), None)),
            Err("billing_change_not_supported")
        );
        assert_eq!(
            decide(&iot, target(None, Some("units-50"))),
            Ok((ChangeDirection::Upgrade, false))
        );
    }
}
