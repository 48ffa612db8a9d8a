//! Buying an instance: which catalog entry, for how long, at what list price.

use jiff::Timestamp;
use serde_json::json;

use crate::catalog::{Billing, Catalog, Edition, PriceError, Product, Spec};
use crate::change::{configuration_changed_event, ChangeCause, Configuration};
use crate::event::{EventData, EventDraft, EventKind};
use crate::lifecycle::Instance;
use crate::period::{add_days, Period};

/// What a customer asks to buy, already parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseRequest {
    pub product_id: String,
    pub edition_id: String,
    pub spec_id: Option<String>,
    pub region: String,
    pub billing: Billing,
    /// Required for subscriptions, refused otherwise.
    pub period: Option<Period>,
    pub auto_renew_period: Option<Period>,
    /// Resource plans only: when the plan takes effect, if later than the purchase. Until then
    /// it is unactivated: its quota cannot be used and unsubscribing it refunds all cash.
    pub activates_at: Option<Timestamp>,
}

/// How far ahead a resource plan's activation may be set.
pub const MAX_ACTIVATION_DELAY_DAYS: i64 = 365;

/// The priced purchase: a subscription has an expiry and a price; payg and free have neither.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchasePlan {
    pub billing: Billing,
    pub spec_id: String,
    pub period: Option<Period>,
    /// When the paid service (or a resource plan's validity) begins: the purchase time, or a
    /// resource plan's later activation.
    pub starts_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub list_price_minor: i64,
    pub auto_renew_period: Option<Period>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurchaseError {
    #[error("there is no product `{0}` in the catalog")]
    UnknownProduct(String),
    #[error("product `{product}` has no edition `{edition}`")]
    UnknownEdition { product: String, edition: String },
    #[error("edition `{edition}` has no spec `{spec}`")]
    UnknownSpec { edition: String, spec: String },
    #[error("edition `{edition}` has several specs: name one with `spec`")]
    SpecRequired { edition: String },
    #[error("product `{product}` is not sold in region `{region}`")]
    UnknownRegion { product: String, region: String },
    #[error("edition `{edition}` is billed as {actual}, not {requested}")]
    BillingMismatch {
        edition: String,
        actual: &'static str,
        requested: &'static str,
    },
    #[error("a subscription needs a `period`, such as 1M or 1Y")]
    PeriodRequired,
    #[error("only subscriptions have a period; {0} instances do not")]
    PeriodNotAllowed(&'static str),
    #[error("product `{product}` does not sell the period {period}; it sells {offered}")]
    PeriodNotSold {
        product: String,
        period: Period,
        offered: String,
    },
    #[error("auto-renewal for `{product}` cannot use {period}; choose one of {offered}")]
    AutoRenewPeriodNotOffered {
        product: String,
        period: Period,
        offered: String,
    },
    #[error("only subscriptions renew automatically")]
    AutoRenewNotAllowed,
    #[error("only resource plans can be bought to take effect later (`activates_at`)")]
    ActivationNotAllowed,
    #[error("`activates_at` must be after the purchase and at most {MAX_ACTIVATION_DELAY_DAYS} days ahead")]
    ActivationOutOfRange,
    #[error(transparent)]
    Price(#[from] PriceError),
}

pub fn describe_periods(periods: &[Period]) -> String {
    periods
        .iter()
        .map(Period::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Looks up the edition and spec a request names.
pub fn find_offer<'catalog>(
    catalog: &'catalog Catalog,
    product_id: &str,
    edition_id: &str,
    spec_id: Option<&str>,
) -> Result<(&'catalog Product, &'catalog Edition, Option<&'catalog Spec>), PurchaseError> {
    let product = catalog
        .product(product_id)
        .ok_or_else(|| PurchaseError::UnknownProduct(product_id.to_string()))?;
    let edition = product
        .edition(edition_id)
        .ok_or_else(|| PurchaseError::UnknownEdition {
            product: product_id.to_string(),
            edition: edition_id.to_string(),
        })?;
    let spec = match (spec_id, edition.specs.as_slice()) {
        (Some(spec_id), _) => {
            Some(
                edition
                    .spec(spec_id)
                    .ok_or_else(|| PurchaseError::UnknownSpec {
                        edition: edition_id.to_string(),
                        spec: spec_id.to_string(),
                    })?,
            )
        }
        (None, []) => None,
        (None, [only]) => Some(only),
        (None, _) => {
            return Err(PurchaseError::SpecRequired {
                edition: edition_id.to_string(),
            })
        }
    };
    Ok((product, edition, spec))
}

/// The auto-renewal period a product allows for a subscription bought for `subscription_period`.
pub fn check_auto_renew_period(
    product: &Product,
    requested: Option<Period>,
    subscription_period: Period,
) -> Result<Period, PurchaseError> {
    let policy = &product.auto_renewal;
    if policy.period_follows_subscription {
        // The subscription's own unit: one month for monthly, one year for yearly subscriptions.
        let own_unit = match subscription_period.unit() {
            crate::period::PeriodUnit::Month => Period::months(1),
            crate::period::PeriodUnit::Year => Period::years(1),
        };
        match requested {
            None => Ok(own_unit),
            Some(period) if period == own_unit => Ok(own_unit),
            Some(period) => Err(PurchaseError::AutoRenewPeriodNotOffered {
                product: product.id.clone(),
                period,
                offered: own_unit.to_string(),
            }),
        }
    } else {
        let period = requested.unwrap_or(policy.periods[0]);
        if policy.periods.contains(&period) {
            Ok(period)
        } else {
            Err(PurchaseError::AutoRenewPeriodNotOffered {
                product: product.id.clone(),
                period,
                offered: describe_periods(&policy.periods),
            })
        }
    }
}

/// Checks a purchase against the catalog and prices it.
pub fn plan_purchase(
    catalog: &Catalog,
    request: &PurchaseRequest,
    auto_renew: bool,
    now: Timestamp,
) -> Result<PurchasePlan, PurchaseError> {
    let (product, edition, spec) = find_offer(
        catalog,
        &request.product_id,
        &request.edition_id,
        request.spec_id.as_deref(),
    )?;
    if !product.regions.contains(&request.region) {
        return Err(PurchaseError::UnknownRegion {
            product: product.id.clone(),
            region: request.region.clone(),
        });
    }
    if edition.billing != request.billing {
        return Err(PurchaseError::BillingMismatch {
            edition: edition.id.clone(),
            actual: edition.billing.as_str(),
            requested: request.billing.as_str(),
        });
    }
    let spec_id = spec.map(|spec| spec.id.clone()).unwrap_or_default();
    if request.activates_at.is_some() && edition.billing != Billing::ResourcePlan {
        return Err(PurchaseError::ActivationNotAllowed);
    }
    if !edition.billing.is_prepaid() {
        if request.period.is_some() {
            return Err(PurchaseError::PeriodNotAllowed(edition.billing.as_str()));
        }
        if auto_renew {
            return Err(PurchaseError::AutoRenewNotAllowed);
        }
        return Ok(PurchasePlan {
            billing: edition.billing,
            spec_id,
            period: None,
            starts_at: now,
            expires_at: None,
            list_price_minor: 0,
            auto_renew_period: None,
        });
    }
    let period = request.period.ok_or(PurchaseError::PeriodRequired)?;
    if !product.sells_period(period) {
        return Err(PurchaseError::PeriodNotSold {
            product: product.id.clone(),
            period,
            offered: describe_periods(&product.periods),
        });
    }
    if auto_renew && edition.billing != Billing::Subscription {
        return Err(PurchaseError::AutoRenewNotAllowed);
    }
    let starts_at = match request.activates_at {
        None => now,
        Some(activates_at)
            if activates_at > now && activates_at <= add_days(now, MAX_ACTIVATION_DELAY_DAYS) =>
        {
            activates_at
        }
        Some(_) => return Err(PurchaseError::ActivationOutOfRange),
    };
    let auto_renew_period = if auto_renew {
        Some(check_auto_renew_period(
            product,
            request.auto_renew_period,
            period,
        )?)
    } else {
        None
    };
    let spec = spec.expect("subscription editions have specs (catalog check)");
    Ok(PurchasePlan {
        billing: edition.billing,
        spec_id,
        period: Some(period),
        starts_at,
        expires_at: Some(period.add_to(starts_at)),
        list_price_minor: spec.list_price_minor(period)?,
        auto_renew_period,
    })
}

/// Announces a bought instance (`instance.purchased`): what it is, from when, until when, and
/// its order (`None` for pay-as-you-go and free instances, which have none).
pub fn purchased_event(
    instance: &Instance,
    order_id: Option<&str>,
    price_minor: i64,
    starts_at: Timestamp,
) -> EventDraft {
    EventDraft {
        kind: EventKind::InstancePurchased,
        account_id: instance.account_id.clone(),
        instance_id: Some(instance.id.clone()),
        // Written straight into text, keys in order (see `EventData::object`).
        data: EventData::object()
            .text("billing", instance.billing.as_str())
            .text("edition_id", &instance.edition_id)
            .optional_time("expires_at", instance.expires_at)
            .optional_text("order_id", order_id)
            .integer("price_minor", price_minor)
            .text("product_id", &instance.product_id)
            .text("spec_id", &instance.spec_id)
            .time("starts_at", starts_at)
            .finish(),
    }
}

/// Announces a free instance bought as a subscription of another edition
/// (`instance.converted_to_subscription`), then its configuration in effect moved from the free
/// edition to the paid one (`instance.changed`); `free` is the instance before the purchase,
/// `paid` after it.
pub fn converted_to_subscription_events(
    free: &Instance,
    paid: &Instance,
    order_id: &str,
    expires_at: Timestamp,
    price_minor: i64,
) -> [EventDraft; 2] {
    let configuration = |instance: &Instance| Configuration {
        edition_id: instance.edition_id.clone(),
        spec_id: instance.spec_id.clone(),
    };
    let changed = configuration_changed_event(
        paid,
        ChangeCause::ConversionToSubscription,
        &configuration(free),
        &configuration(paid),
        Some(order_id),
    );
    let converted = EventDraft {
        kind: EventKind::InstanceConvertedToSubscription,
        account_id: paid.account_id.clone(),
        instance_id: Some(paid.id.clone()),
        data: json!({
            "from_edition_id": free.edition_id,
            "edition_id": paid.edition_id,
            "spec_id": paid.spec_id,
            "order_id": order_id,
            "expires_at": expires_at.to_string(),
            "price_minor": price_minor,
        })
        .into(),
    };
    [converted, changed]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;

    fn request(product: &str, edition: &str, spec: &str, period: &str) -> PurchaseRequest {
        PurchaseRequest {
            product_id: product.into(),
            edition_id: edition.into(),
            spec_id: Some(spec.into()),
            region: "us-east-1".into(),
            billing: Billing::Subscription,
            period: Some(period.parse().unwrap()),
            auto_renew_period: None,
            activates_at: None,
        }
    }

    #[test]
    fn prices_and_dates_a_subscription() {
        let now: Timestamp = "2026-01-31T10:00:00Z".parse().unwrap();
        let plan = plan_purchase(
            &default_catalog(),
            &request("message-queue", "basic", "tps-1000", "1M"),
            false,
            now,
        )
        .unwrap();
        assert_eq!(
            plan.expires_at,
            Some("2026-02-28T10:00:00Z".parse().unwrap())
        );
        assert_eq!(plan.list_price_minor, 12_000);
        let yearly = plan_purchase(
            &default_catalog(),
            &request("message-queue", "basic", "tps-1000", "2Y"),
            false,
            now,
        )
        .unwrap();
        assert_eq!(yearly.list_price_minor, 240_000);
    }

    #[test]
    fn refuses_what_the_catalog_does_not_sell() {
        let catalog = default_catalog();
        let now = Timestamp::UNIX_EPOCH;
        let check =
            |request: PurchaseRequest| plan_purchase(&catalog, &request, false, now).unwrap_err();
        assert!(matches!(
            check(request("nope", "basic", "tps-1000", "1M")),
            PurchaseError::UnknownProduct(_)
        ));
        assert!(matches!(
            check(request("message-queue", "gold", "tps-1000", "1M")),
            PurchaseError::UnknownEdition { .. }
        ));
        assert!(matches!(
            check(request("message-queue", "basic", "huge", "1M")),
            PurchaseError::UnknownSpec { .. }
        ));
        assert!(matches!(
            check(request("message-queue", "basic", "tps-1000", "5M")),
            PurchaseError::PeriodNotSold { .. }
        ));
        let mut wrong_region = request("message-queue", "basic", "tps-1000", "1M");
        wrong_region.region = "mars-1".into();
        assert!(matches!(
            check(wrong_region),
            PurchaseError::UnknownRegion { .. }
        ));
    }

    #[test]
    fn a_resource_plan_can_take_effect_later() {
        let catalog = default_catalog();
        let now: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
        let mut plan_request = request("iot-platform", "message-package", "messages-10m", "1M");
        plan_request.billing = Billing::ResourcePlan;
        plan_request.activates_at = Some("2026-03-10T00:00:00Z".parse().unwrap());
        let plan = plan_purchase(&catalog, &plan_request, false, now).unwrap();
        assert_eq!(plan.billing, Billing::ResourcePlan);
        assert_eq!(plan.starts_at, "2026-03-10T00:00:00Z".parse().unwrap());
        assert_eq!(
            plan.expires_at,
            Some("2026-04-10T00:00:00Z".parse().unwrap())
        );
        assert_eq!(plan.list_price_minor, 2000);
        plan_request.activates_at = Some(now);
        assert_eq!(
            plan_purchase(&catalog, &plan_request, false, now),
            Err(PurchaseError::ActivationOutOfRange)
        );
        plan_request.activates_at = None;
        assert_eq!(
            plan_purchase(&catalog, &plan_request, true, now),
            Err(PurchaseError::AutoRenewNotAllowed)
        );
        let mut subscription = request("message-queue", "basic", "tps-1000", "1M");
        subscription.activates_at = Some("2026-03-10T00:00:00Z".parse().unwrap());
        assert_eq!(
            plan_purchase(&catalog, &subscription, false, now),
            Err(PurchaseError::ActivationNotAllowed)
        );
    }

    #[test]
    fn dns_auto_renews_in_the_subscriptions_own_unit() {
        let catalog = default_catalog();
        let dns = catalog.product("dns").unwrap();
        assert_eq!(
            check_auto_renew_period(dns, None, Period::years(2)),
            Ok(Period::years(1))
        );
        assert_eq!(
            check_auto_renew_period(dns, None, Period::months(3)),
            Ok(Period::months(1))
        );
        assert!(check_auto_renew_period(dns, Some(Period::months(3)), Period::months(3)).is_err());
    }

    #[test]
    fn a_purchase_announces_what_was_bought_and_its_order() {
        // The purchase of server tests/api/lifecycle.rs (docs/examples.md 2).
        let instance = crate::lifecycle::subscription_for_tests(
            "inst_000006",
            "acct_000001",
            ("message-queue", "basic", "tps-1000"),
            "2026-03-10T00:00:00Z".parse().unwrap(),
        );
        let event = purchased_event(
            &instance,
            Some("ord_000007"),
            12_000,
            "2026-02-10T00:00:00Z".parse().unwrap(),
        );
        assert_eq!(event.kind.as_str(), "instance.purchased");
        assert_eq!(event.account_id, "acct_000001");
        assert_eq!(event.instance_id.as_deref(), Some("inst_000006"));
        assert_eq!(
            event.data.to_value(),
            json!({
                "billing": "subscription",
                "edition_id": "basic",
                "expires_at": "2026-03-10T00:00:00Z",
                "order_id": "ord_000007",
                "price_minor": 12_000,
                "product_id": "message-queue",
                "spec_id": "tps-1000",
                "starts_at": "2026-02-10T00:00:00Z",
            })
        );
        assert_eq!(
            event.data.as_str(),
            r#"{"billing":"subscription","edition_id":"basic","expires_at":"2026-03-10T00:00:00Z","order_id":"ord_000007","price_minor":12000,"product_id":"message-queue","spec_id":"tps-1000","starts_at":"2026-02-10T00:00:00Z"}"#
        );
    }
}
