//! Usage records and the hourly billing cycle.
//!
//! Pay-as-you-go instances report usage per meter; every record falls in the hourly cycle that
//! contains its time, `[hh:00, hh+1:00)` UTC. A cycle's bill is generated exactly
//! `bill_delay_hours` after the cycle ends (the latest moment the reference allows: "within
//! four hours"), so usage reported late, up to that moment, is still on the bill. After it, the
//! cycle is closed and a record for it is refused rather than billed into another cycle.
//!
//! Free instances report usage too: it is never billed, but it is their activity, which keeps
//! them from being frozen.

use jiff::Timestamp;

use crate::catalog::{Billing, Edition, PayAsYouGoPolicy};
use crate::lifecycle::Instance;

/// Length of a billing cycle.
pub const CYCLE_SECONDS: i64 = 3600;
/// The largest quantity one record may carry: far above any real hour of one meter, small
/// enough that a cycle's priced total stays far inside `i64`.
pub const MAX_QUANTITY: i64 = 1_000_000_000_000;
/// The longest record id accepted.
pub const MAX_RECORD_ID_CHARS: usize = 128;

/// One usage report, already parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    /// Chosen by the reporter; a record id seen before is a replay and is ignored.
    pub record_id: String,
    pub instance_id: String,
    pub meter_id: String,
    pub quantity: i64,
    /// When the usage happened.
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("`record_id` must be 1 to {MAX_RECORD_ID_CHARS} visible characters")]
    BadRecordId,
    #[error("`quantity` must be 1 to {MAX_QUANTITY}")]
    BadQuantity,
    #[error("instance {0} is a subscription; only pay-as-you-go and free instances report usage")]
    NotMetered(String),
    #[error("instance {0} was released and takes no more usage")]
    Released(String),
    #[error("edition `{edition}` has no meter `{meter}`; its meters are {offered}")]
    UnknownMeter {
        edition: String,
        meter: String,
        offered: String,
    },
    #[error("usage at {at} is in the future (now is {now})")]
    InTheFuture { at: Timestamp, now: Timestamp },
    #[error("usage at {at} is before instance {instance} was created")]
    BeforeCreation { at: Timestamp, instance: String },
    #[error(
        "the cycle starting {cycle_start} was billed at {closed_at}; usage for it can no longer be added"
    )]
    CycleClosed {
        cycle_start: Timestamp,
        closed_at: Timestamp,
    },
}

/// Start of the hourly cycle that contains `at`.
pub fn cycle_start(at: Timestamp) -> Timestamp {
    let seconds = at.as_second().div_euclid(CYCLE_SECONDS) * CYCLE_SECONDS;
    Timestamp::from_second(seconds).expect("an hour boundary of a valid time is valid")
}

pub fn cycle_end(cycle_start: Timestamp) -> Timestamp {
    Timestamp::from_second(cycle_start.as_second() + CYCLE_SECONDS).expect("valid time")
}

/// When the bill of the cycle starting at `cycle_start` is generated, closing the cycle.
pub fn bill_generated_at(cycle_start: Timestamp, policy: &PayAsYouGoPolicy) -> Timestamp {
    Timestamp::from_second(cycle_end(cycle_start).as_second() + policy.bill_delay_hours * 3600)
        .expect("valid time")
}

/// Checks a record against its instance and edition at `now`; answers the record's cycle.
/// `policy` is the product's pay-as-you-go policy, needed for pay-as-you-go instances only.
pub fn check_record(
    record: &UsageRecord,
    instance: &Instance,
    edition: &Edition,
    policy: Option<&PayAsYouGoPolicy>,
    now: Timestamp,
) -> Result<Timestamp, UsageError> {
    let id_ok = !record.record_id.is_empty()
        && record.record_id.chars().count() <= MAX_RECORD_ID_CHARS
        && record.record_id.chars().all(|c| c.is_ascii_graphic());
    if !id_ok {
        return Err(UsageError::BadRecordId);
    }
    if !(1..=MAX_QUANTITY).contains(&record.quantity) {
        return Err(UsageError::BadQuantity);
    }
    if instance.billing == Billing::Subscription {
        return Err(UsageError::NotMetered(instance.id.clone()));
    }
    if instance.status.is_final() {
        return Err(UsageError::Released(instance.id.clone()));
    }
    if !edition
        .meters
        .iter()
        .any(|meter| meter.id == record.meter_id)
    {
        let offered: Vec<&str> = edition
            .meters
            .iter()
            .map(|meter| meter.id.as_str())
            .collect();
        return Err(UsageError::UnknownMeter {
            edition: edition.id.clone(),
            meter: record.meter_id.clone(),
            offered: offered.join(", "),
        });
    }
    if record.at > now {
        return Err(UsageError::InTheFuture { at: record.at, now });
    }
    if record.at < instance.created_at {
        return Err(UsageError::BeforeCreation {
            at: record.at,
            instance: instance.id.clone(),
        });
    }
    let start = cycle_start(record.at);
    if let (Billing::Payg, Some(policy)) = (instance.billing, policy) {
        let closed_at = bill_generated_at(start, policy);
        if now >= closed_at {
            return Err(UsageError::CycleClosed {
                cycle_start: start,
                closed_at,
            });
        }
    }
    Ok(start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use crate::lifecycle::{InstanceStatus, RenewalMode};

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn legacy_instance() -> Instance {
        Instance {
            id: "inst_1".into(),
            account_id: "acct_1".into(),
            product_id: "iot-platform".into(),
            edition_id: "legacy-public".into(),
            spec_id: String::new(),
            region: "us-east-1".into(),
            billing: Billing::Payg,
            status: InstanceStatus::Active,
            created_at: at("2026-05-01T00:00:00Z"),
            expires_at: None,
            released_at: None,
            renewal_mode: RenewalMode::Manual,
            auto_renew_period: None,
            subscription_period: None,
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

    fn record(time: &str) -> UsageRecord {
        UsageRecord {
            record_id: "r-1".into(),
            instance_id: "inst_1".into(),
            meter_id: "messages".into(),
            quantity: 10,
            at: at(time),
        }
    }

    #[test]
    fn the_twelve_o_clock_cycle_is_billed_at_seventeen() {
        // docs/examples.md 10: the 12:00–13:00 bill is generated by 17:00.
        let catalog = default_catalog();
        let product = catalog.product("iot-platform").unwrap();
        let policy = product.pay_as_you_go.as_ref().unwrap();
        let start = cycle_start(at("2026-05-04T12:59:59Z"));
        assert_eq!(start, at("2026-05-04T12:00:00Z"));
        assert_eq!(cycle_end(start), at("2026-05-04T13:00:00Z"));
        assert_eq!(bill_generated_at(start, policy), at("2026-05-04T17:00:00Z"));
    }

    #[test]
    fn late_records_are_accepted_until_the_bill_closes_the_cycle() {
        let catalog = default_catalog();
        let product = catalog.product("iot-platform").unwrap();
        let edition = product.edition("legacy-public").unwrap();
        let policy = product.pay_as_you_go.as_ref();
        let instance = legacy_instance();
        let check = |time: &str, now: &str| {
            check_record(&record(time), &instance, edition, policy, at(now))
        };
        assert_eq!(
            check("2026-05-04T12:30:00Z", "2026-05-04T16:59:59Z"),
            Ok(at("2026-05-04T12:00:00Z"))
        );
        assert!(matches!(
            check("2026-05-04T12:30:00Z", "2026-05-04T17:00:00Z"),
            Err(UsageError::CycleClosed { .. })
        ));
        assert!(matches!(
            check("2026-05-04T12:30:01Z", "2026-05-04T12:30:00Z"),
            Err(UsageError::InTheFuture { .. })
        ));
        assert!(matches!(
            check("2026-04-30T23:00:00Z", "2026-05-01T01:00:00Z"),
            Err(UsageError::BeforeCreation { .. })
        ));
    }

    #[test]
    fn refuses_unknown_meters_and_bad_quantities() {
        let catalog = default_catalog();
        let product = catalog.product("iot-platform").unwrap();
        let edition = product.edition("legacy-public").unwrap();
        let now = at("2026-05-04T13:00:00Z");
        let mut wrong_meter = record("2026-05-04T12:00:00Z");
        wrong_meter.meter_id = "bytes".into();
        assert!(matches!(
            check_record(&wrong_meter, &legacy_instance(), edition, None, now),
            Err(UsageError::UnknownMeter { .. })
        ));
        for quantity in [0, -5, MAX_QUANTITY + 1] {
            let bad = UsageRecord {
                quantity,
                ..record("2026-05-04T12:00:00Z")
            };
            assert_eq!(
                check_record(&bad, &legacy_instance(), edition, None, now),
                Err(UsageError::BadQuantity)
            );
        }
        let subscription = Instance {
            billing: Billing::Subscription,
            ..legacy_instance()
        };
        assert!(matches!(
            check_record(
                &record("2026-05-04T12:00:00Z"),
                &subscription,
                edition,
                None,
                now
            ),
            Err(UsageError::NotMetered(_))
        ));
    }
}
