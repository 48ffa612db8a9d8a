//! Loading a fleet straight into the store, for benchmarks: accounts with money and
//! subscriptions whose expiries are spread over a year.

use jiff::{SignedDuration, Timestamp};
use tenure_core::catalog::{Billing, Catalog, DeductionScheduleChoice};
use tenure_core::ledger::Entry;
use tenure_core::lifecycle::{next_due, Instance, InstanceStatus, RenewalMode};
use tenure_core::payment::PaymentMethod;
use tenure_core::period::Period;
use tenure_store::accounts::{self, Account};
use tenure_store::{instances, ledger, Store};

/// The offers a benchmark fleet is made of: (product, edition, spec).
const OFFERS: [(&str, &str, &str); 4] = [
    ("message-queue", "basic", "tps-1000"),
    ("iot-platform", "enterprise", "units-10"),
    ("dns", "personal", "standard"),
    ("data-management", "security-collaboration", "instances-10"),
];

pub struct FleetShape {
    pub instances: usize,
    pub accounts: usize,
    /// Expiries fall on whole days (like purchases made at midnight) instead of any second.
    pub day_aligned: bool,
    /// Of every hundred instances, how many renew automatically (monthly); the others renew
    /// by hand.
    pub auto_renewing_percent: usize,
    /// Auto-renewal was switched on a month before `start` rather than at it, as in a system
    /// that has been running: deduction attempts scheduled before `start` are then due at
    /// it (and a benchmark takes them before it times anything) instead of skipped, so that
    /// the days after `start` carry their own attempts only.
    pub auto_renewal_predates_start: bool,
    /// Balance per account; zero leaves auto-renewals failing.
    pub deposit_minor: i64,
}

impl FleetShape {
    /// `instances` on manual renewal, a hundred to an account, no money: a sweep benchmark's
    /// fleet whose steps are reminders, expiries and releases.
    pub fn manual_renewal(instances: usize) -> FleetShape {
        FleetShape {
            instances,
            accounts: (instances / 100).max(1),
            day_aligned: false,
            auto_renewing_percent: 0,
            auto_renewal_predates_start: false,
            deposit_minor: 0,
        }
    }

    /// `instances`, half of them renewing automatically, a hundred to an account, each account
    /// with money for years of its renewals: a sweep benchmark's fleet whose steps add
    /// auto-renewal deductions (an order, a ledger entry and the account's running totals
    /// each) to the reminders, expiries and releases of the manual half.
    pub fn half_auto_renewing(instances: usize) -> FleetShape {
        FleetShape {
            auto_renewing_percent: 50,
            auto_renewal_predates_start: true,
            // $1,000,000: more than a year of fifty monthly renewals of the dearest offer.
            deposit_minor: 100_000_000,
            ..FleetShape::manual_renewal(instances)
        }
    }
}

/// Loads the fleet; expiries are uniform over the 365 days after `start`.
pub async fn load(
    store: &Store,
    catalog: &Catalog,
    shape: &FleetShape,
    start: Timestamp,
) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    for account_index in 0..shape.accounts {
        let account = Account {
            id: format!("acct_{account_index:08}"),
            name: format!("Customer {account_index}"),
            email: format!("customer{account_index}@example.com"),
            mobile: format!("+1555{account_index:07}"),
            currency: "USD".into(),
            low_balance_threshold_minor: None,
            created_at: start,
            overdue_since: None,
            low_balance_alerted: false,
            frozen_reason: None,
            frozen_at: None,
        };
        accounts::insert(&mut tx, &account).await?;
        if shape.deposit_minor > 0 {
            let entry = Entry::deposit(shape.deposit_minor, PaymentMethod::Transfer);
            ledger::write_entry(
                &mut tx,
                &format!("led_{account_index:08}"),
                &account.id,
                &entry,
                start,
                None,
                "bench deposit",
            )
            .await?;
        }
    }
    tx.commit().await?;
    let year_seconds = 365 * 86_400;
    let auto_renewal_since = match shape.auto_renewal_predates_start {
        true => start - SignedDuration::from_hours(30 * 24),
        false => start,
    };
    let mut tx = store.begin().await?;
    for index in 0..shape.instances {
        let (product_id, edition_id, spec_id) = OFFERS[index % OFFERS.len()];
        let product = catalog.product(product_id).expect("default catalog");
        // A multiplicative hash spreads expiries evenly without a random generator.
        let spread = ((index as u64).wrapping_mul(2_654_435_761) % year_seconds as u64) as i64;
        let offset_seconds = if shape.day_aligned {
            spread / 86_400 * 86_400 + 86_400
        } else {
            spread + 1
        };
        let expires_at = start + SignedDuration::from_secs(offset_seconds);
        let auto_renew = index % 100 < shape.auto_renewing_percent;
        let instance = Instance {
            id: format!("inst_{index:09}"),
            account_id: format!("acct_{:08}", index % shape.accounts),
            product_id: product_id.into(),
            edition_id: edition_id.into(),
            spec_id: spec_id.into(),
            region: product.regions[0].clone(),
            billing: Billing::Subscription,
            status: InstanceStatus::Active,
            created_at: start,
            expires_at: Some(expires_at),
            released_at: None,
            renewal_mode: if auto_renew {
                RenewalMode::Auto
            } else {
                RenewalMode::Manual
            },
            auto_renew_period: auto_renew.then(|| Period::months(1)),
            subscription_period: Some(Period::months(1)),
            reminded_for_expiry: None,
            auto_renew_schedule: auto_renew.then_some(DeductionScheduleChoice::Standard),
            auto_renew_effective_from: auto_renew.then_some(auto_renewal_since),
            last_deduction_attempt: None,
            last_active_at: None,
            activates_at: None,
            release_warned_for_expiry: None,
            domain_statuses: Vec::new(),
            name: None,
            tags: Vec::new(),
        };
        let next_due_at = next_due(&instance, product).map(|due| due.at);
        instances::insert(&mut tx, &instance, next_due_at).await?;
        if (index + 1) % 20_000 == 0 {
            tx.commit().await?;
            tx = store.begin().await?;
        }
    }
    tx.commit().await?;
    // What is measured next should not pay for copying the load out of the log.
    store.checkpoint().await?;
    Ok(())
}
