//! When auto-renewal attempts a deduction.
//!
//! # The rule
//! Attempts are keyed to the expiry T they renew. A schedule is a list of day offsets from T
//! (fixed: T-3, T-1, T, T+6, T+14; daily: T-9, T-8, …, T-1), and the attempt at offset `k` is due
//! at exactly `T + k × 24 h`, the same time of day as the expiry. An offset is *pending* when:
//! - the instance renews automatically: a subscription in `auto` mode, active or expired;
//! - no attempt was made for T at that offset or at a later one;
//! - its time is not before the moment auto-renewal took effect. Auto-renewal takes effect the
//!   next day: at the start (00:00 UTC) of the day after it was enabled. Earlier offsets are
//!   skipped, never made up.
//!
//! A renewal, manual or automatic, moves T, so the schedule starts again from the new expiry:
//! that is how a manual renewal before a deduction skips that cycle's deduction.
//!
//! When the scheduler runs late and several pending offsets are already past, only the latest
//! of them is attempted ([`due_attempt`]): the funds are the same for all of them, so making
//! the missed ones would only repeat a failure and its alert.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::catalog::{AutoRenewalPolicy, Billing, DeductionScheduleChoice};
use crate::lifecycle::{DeductionAttemptMark, Instance, InstanceStatus, RenewalMode};
use crate::period::add_days;

/// One attempt of the schedule: which expiry it renews, at which offset, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScheduledAttempt {
    pub renews_expires_at: Timestamp,
    pub attempt_offset_days: i64,
    pub at: Timestamp,
}

/// When the attempt at `attempt_offset_days` from `expires_at` is due.
pub fn attempt_at(expires_at: Timestamp, attempt_offset_days: i64) -> Timestamp {
    add_days(expires_at, attempt_offset_days)
}

/// When auto-renewal enabled at `enabled_at` takes effect: the start of the next UTC day.
pub fn effective_from(enabled_at: Timestamp) -> Timestamp {
    let today: Date = enabled_at.to_zoned(TimeZone::UTC).date();
    today
        .tomorrow()
        .expect("the day after any supported instant exists")
        .to_zoned(TimeZone::UTC)
        .expect("midnight UTC exists")
        .timestamp()
}

/// The attempts still to make for the instance's current expiry, earliest first.
pub fn pending_attempts(instance: &Instance, policy: &AutoRenewalPolicy) -> Vec<ScheduledAttempt> {
    pending(instance, policy).collect()
}

/// The next attempt to make, if any: what the scheduler waits for.
pub fn next_attempt(instance: &Instance, policy: &AutoRenewalPolicy) -> Option<ScheduledAttempt> {
    pending(instance, policy).next()
}

/// [`pending_attempts`], computed as they are asked for: the scheduler asks for the next one
/// at every step of every instance, and needs only the first.
fn pending<'a>(
    instance: &'a Instance,
    policy: &'a AutoRenewalPolicy,
) -> impl Iterator<Item = ScheduledAttempt> + 'a {
    let renews_automatically = instance.renewal_mode == RenewalMode::Auto
        && instance.billing == Billing::Subscription
        && instance.auto_renew_period.is_some()
        && matches!(
            instance.status,
            InstanceStatus::Active | InstanceStatus::Expired
        );
    let expires_at = instance.expires_at.filter(|_| renews_automatically);
    let choice = instance
        .auto_renew_schedule
        .unwrap_or(DeductionScheduleChoice::Standard);
    let last_offset_days = instance
        .last_deduction_attempt
        .filter(|mark| Some(mark.renews_expires_at) == expires_at)
        .map(|mark| mark.attempt_offset_days);
    expires_at.into_iter().flat_map(move |expires_at| {
        policy
            .schedule_for(choice)
            .offsets_days()
            .into_iter()
            .filter(move |offset_days| last_offset_days.is_none_or(|last| *offset_days > last))
            .map(move |attempt_offset_days| ScheduledAttempt {
                renews_expires_at: expires_at,
                attempt_offset_days,
                at: attempt_at(expires_at, attempt_offset_days),
            })
            .filter(|attempt| {
                instance
                    .auto_renew_effective_from
                    .is_none_or(|effective_from| attempt.at >= effective_from)
            })
    })
}

/// The attempt to make at `now`: the latest pending one already due (see the module comment).
pub fn due_attempt(
    instance: &Instance,
    policy: &AutoRenewalPolicy,
    now: Timestamp,
) -> Option<ScheduledAttempt> {
    pending(instance, policy)
        .take_while(|attempt| attempt.at <= now)
        .last()
}

/// The instance after its expiry moved back (a pending renewal was unsubscribed): the attempts
/// of the restored cycle whose time has already passed are marked as taken, so they are
/// skipped, not made up. Giving a renewal back must not trigger an automatic one at the next
/// sweep; the cycle's later attempts follow the schedule (turn auto-renewal off to stop them).
pub fn skip_passed_attempts(
    instance: &Instance,
    policy: &AutoRenewalPolicy,
    now: Timestamp,
) -> Instance {
    let mut next = instance.clone();
    if let Some(passed) = due_attempt(instance, policy, now) {
        next.last_deduction_attempt = Some(DeductionAttemptMark {
            renews_expires_at: passed.renews_expires_at,
            attempt_offset_days: passed.attempt_offset_days,
        });
    }
    next
}
