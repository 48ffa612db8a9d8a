//! The catalog's types, exactly as the TOML files spell them.

use serde::{Deserialize, Serialize};

use super::seller::Seller;
use crate::money::Currency;
use crate::notice::NoticeTexts;
use crate::period::Period;

/// Every product an operator sells, keyed by id.
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    pub products: Vec<Product>,
    /// The notice texts: the built-in ones, with those of the folder's `notices.toml` in their
    /// place. Not part of the catalog's answer in the API.
    #[serde(skip)]
    pub notices: NoticeTexts,
    /// The seller invoices name, and its tax rules: the built-in one, or the folder's
    /// `seller.toml`. Not part of the catalog's answer in the API.
    #[serde(skip)]
    pub seller: Seller,
}

impl Catalog {
    pub fn product(&self, product_id: &str) -> Option<&Product> {
        self.products
            .iter()
            .find(|product| product.id == product_id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Stable identifier used in the API, such as `message-queue`.
    pub id: String,
    pub name: String,
    pub currency: Currency,
    pub regions: Vec<String>,
    /// The subscription periods this product sells, for purchase and manual renewal.
    pub periods: Vec<Period>,
    pub lifecycle: LifecyclePolicy,
    pub auto_renewal: AutoRenewalPolicy,
    pub changes: ChangePolicy,
    #[serde(default)]
    pub pay_as_you_go: Option<PayAsYouGoPolicy>,
    /// What buying instances billed after use (pay-as-you-go, and free ones past a number)
    /// needs; the defaults where the file has no `[purchase_limits]`.
    #[serde(default)]
    pub purchase_limits: PurchaseLimits,
    pub editions: Vec<Edition>,
}

impl Product {
    pub fn edition(&self, edition_id: &str) -> Option<&Edition> {
        self.editions
            .iter()
            .find(|edition| edition.id == edition_id)
    }

    pub fn sells_period(&self, period: Period) -> bool {
        self.periods.contains(&period)
    }
}

/// What happens around and after expiry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecyclePolicy {
    /// Days an expired (stopped) instance is kept, data included, before it is released.
    pub retention_days: i64,
    pub at_release: ReleaseAction,
    /// Days before expiry that the expiry reminder goes out; `0` sends none.
    pub reminder_lead_days: i64,
    pub reminder_channels: Vec<Channel>,
    /// Days before release that an expired instance's release warning goes out (by email);
    /// `0` (the default) sends none. At most `retention_days`: the warning falls within the
    /// retention.
    #[serde(default)]
    pub release_warning_lead_days: i64,
    /// Domain statuses under which moving to the free tier fails (a security lock): an
    /// instance whose domain has one is left `release_needs_manual_step` at release. Only for
    /// `at_release = "move_to_free_tier"`.
    #[serde(default)]
    pub free_tier_move_blocked_by: Vec<String>,
}

/// What release does to an instance's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseAction {
    /// The instance and all its data are deleted for good.
    Delete,
    /// The paid instance is released but its data moves to the free tier (DNS records).
    MoveToFreeTier,
}

impl ReleaseAction {
    /// The name serde gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseAction::Delete => "delete",
            ReleaseAction::MoveToFreeTier => "move_to_free_tier",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoRenewalPolicy {
    /// Periods a customer may choose for auto-renewal. Empty when `period_follows_subscription`.
    #[serde(default)]
    pub periods: Vec<Period>,
    /// The auto-renewal period is the subscription's own unit: 1M for a monthly, 1Y for a yearly
    /// subscription (DNS).
    #[serde(default)]
    pub period_follows_subscription: bool,
    /// Auto-renewal takes effect the next day, so enabling it fewer days than this before expiry
    /// is accepted with a warning to renew by hand.
    pub min_lead_days: i64,
    /// When deductions are attempted, relative to expiry.
    pub schedule: DeductionSchedule,
    /// A different schedule for auto-renewal chosen at purchase (IoT platform).
    #[serde(default)]
    pub schedule_when_enabled_at_purchase: Option<DeductionSchedule>,
    /// Channels of the alert sent when a deduction fails.
    pub failure_alert_channels: Vec<Channel>,
}

impl AutoRenewalPolicy {
    /// The schedule an instance follows, by the choice stored on it. A product without a
    /// separate schedule for auto-renewal chosen at purchase uses its one schedule for both.
    /// How many days before an expiry its first attempt can fall, whichever schedule applies
    /// (0 when every attempt is at or after the expiry).
    pub fn longest_lead_days(&self) -> i64 {
        [
            Some(&self.schedule),
            self.schedule_when_enabled_at_purchase.as_ref(),
        ]
        .into_iter()
        .flatten()
        .flat_map(DeductionSchedule::offsets_days)
        .map(|offset_days| -offset_days)
        .max()
        .unwrap_or(0)
        .max(0)
    }

    pub fn schedule_for(&self, choice: DeductionScheduleChoice) -> &DeductionSchedule {
        match (choice, &self.schedule_when_enabled_at_purchase) {
            (DeductionScheduleChoice::EnabledAtPurchase, Some(at_purchase)) => at_purchase,
            _ => &self.schedule,
        }
    }

    /// The choice to store for auto-renewal enabled at purchase: the purchase schedule where the
    /// product has one, so the stored value always names the schedule that really applies.
    pub fn choice_at_purchase(&self) -> DeductionScheduleChoice {
        if self.schedule_when_enabled_at_purchase.is_some() {
            DeductionScheduleChoice::EnabledAtPurchase
        } else {
            DeductionScheduleChoice::Standard
        }
    }
}

/// Which of a product's deduction schedules an instance follows. Stored on the instance; the
/// offsets themselves stay in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeductionScheduleChoice {
    /// `schedule`: auto-renewal enabled after purchase, in Renewal Management.
    Standard,
    /// `schedule_when_enabled_at_purchase`: auto-renewal chosen when the instance was bought.
    EnabledAtPurchase,
}

impl DeductionScheduleChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            DeductionScheduleChoice::Standard => "standard",
            DeductionScheduleChoice::EnabledAtPurchase => "enabled_at_purchase",
        }
    }
}

impl std::str::FromStr for DeductionScheduleChoice {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "standard" => Ok(DeductionScheduleChoice::Standard),
            "enabled_at_purchase" => Ok(DeductionScheduleChoice::EnabledAtPurchase),
            other => Err(format!(
                "`{other}` is not a deduction schedule: use standard or enabled_at_purchase"
            )),
        }
    }
}

/// When auto-renewal tries to take payment, relative to the expiry T.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DeductionSchedule {
    /// Attempts at fixed day offsets from T, such as T-3, T-1, T, T+6, T+14.
    Fixed { offsets_days: Vec<i64> },
    /// A first attempt `first_days_before` T, then one a day until `last_days_before` T.
    Daily {
        first_days_before: i64,
        last_days_before: i64,
    },
}

impl DeductionSchedule {
    /// The attempt offsets in days from expiry, in order.
    pub fn offsets_days(&self) -> Vec<i64> {
        match self {
            DeductionSchedule::Fixed { offsets_days } => offsets_days.clone(),
            DeductionSchedule::Daily {
                first_days_before,
                last_days_before,
            } => (-first_days_before..=-last_days_before).collect(),
        }
    }
}

/// Which spec and edition changes a product allows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePolicy {
    /// Whether an instance may move to another edition (false: specs within the edition only).
    pub edition_change: bool,
    /// Whether downgrades are allowed at all (false: upgrade only).
    pub downgrade: bool,
}

/// Billing of usage, for products with pay-as-you-go editions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayAsYouGoPolicy {
    /// Hours after a billing cycle ends by which its bill is generated.
    pub bill_delay_hours: i64,
    /// Hours a pay-as-you-go instance keeps running once its account is overdue.
    pub overdue_grace_hours: i64,
}

/// Credit before use: pay-as-you-go is billed hours after the usage (and stops a grace period
/// after an unpaid bill), so an account buys it only with credit in hand, and holds a bounded
/// number of such instances per product (`crate::purchase_credit` applies these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PurchaseLimits {
    /// The available credit (balance + coupons − unpaid bills) an account needs to buy a
    /// pay-as-you-go instance of this product, or a free one past
    /// `free_instances_without_credit`; in the product's currency's minor units. `0` asks only
    /// that the account owe nothing it cannot pay.
    pub payg_minimum_credit_minor: i64,
    /// Open (not released) pay-as-you-go instances of this product one account may hold.
    pub payg_max_open_instances: i64,
    /// Open free instances of this product one account may hold with no credit at all; more
    /// need `payg_minimum_credit_minor`. `0`: every free instance needs it.
    pub free_instances_without_credit: i64,
}

impl Default for PurchaseLimits {
    fn default() -> Self {
        PurchaseLimits {
            payg_minimum_credit_minor: 1000,
            payg_max_open_instances: 20,
            free_instances_without_credit: 5,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edition {
    pub id: String,
    pub name: String,
    pub billing: Billing,
    /// Upgrades within this edition wait for an operator's approval (downgrades never do).
    #[serde(default)]
    pub upgrade_needs_approval: bool,
    /// Days without activity after which a free instance is frozen.
    #[serde(default)]
    pub inactivity_freeze_days: Option<i64>,
    /// Whether unsubscribing refunds the unused part (Partial Refund) or nothing
    /// (Nonrefundable). Only regular (subscription) editions may set it to false; resource
    /// plans are always refundable by their own rules (see `refund.rs`).
    #[serde(default = "refundable_by_default")]
    pub refundable: bool,
    /// What one unit of a resource plan's quota is, such as "message". Resource plans only.
    #[serde(default)]
    pub quota_unit: Option<String>,
    #[serde(default)]
    pub specs: Vec<Spec>,
    #[serde(default)]
    pub meters: Vec<Meter>,
}

fn refundable_by_default() -> bool {
    true
}

impl Edition {
    pub fn spec(&self, spec_id: &str) -> Option<&Spec> {
        self.specs.iter().find(|spec| spec.id == spec_id)
    }
}

/// How an edition is paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// Prepaid for a period, then renewed.
    Subscription,
    /// Billed per hourly cycle for the usage reported.
    Payg,
    /// Free, fixed spec, no expiry.
    Free,
    /// A prepaid quota package (a resource plan): bought for a validity period like a
    /// subscription, consumed unit by unit, never renewed.
    ResourcePlan,
}

impl Billing {
    pub fn as_str(self) -> &'static str {
        match self {
            Billing::Subscription => "subscription",
            Billing::Payg => "payg",
            Billing::Free => "free",
            Billing::ResourcePlan => "resource_plan",
        }
    }

    /// Paid in advance for a period: subscriptions and resource plans. Only these can be
    /// unsubscribed; pay-as-you-go instances are simply released.
    pub fn is_prepaid(self) -> bool {
        matches!(self, Billing::Subscription | Billing::ResourcePlan)
    }
}

impl std::str::FromStr for Billing {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            Billing::Subscription,
            Billing::Payg,
            Billing::Free,
            Billing::ResourcePlan,
        ]
        .into_iter()
        .find(|billing| billing.as_str() == text)
        .ok_or_else(|| {
            format!("`{text}` is not a billing: use subscription, payg, free or resource_plan")
        })
    }
}

/// One size of an edition, with its list prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub id: String,
    pub name: String,
    pub monthly_price_minor: i64,
    pub yearly_price_minor: i64,
    /// Units of quota a resource plan of this spec includes (its edition's `quota_unit`).
    /// Resource plans only.
    #[serde(default)]
    pub quota: Option<i64>,
}

/// A usage dimension of a pay-as-you-go edition and its price.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meter {
    pub id: String,
    /// What one priced unit is, such as "10,000 messages".
    pub unit: String,
    /// Price of `units_per_price` units, in minor units.
    pub price_minor: i64,
    /// How many reported units `price_minor` buys; usage is billed pro rata, rounded once per bill.
    pub units_per_price: i64,
}
