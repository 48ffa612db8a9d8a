//! When a delivery that failed is tried again: about 10 s, 1 min, 5 min, 30 min, 2 h and 6 h
//! after each failure, then every 12 h, each delay moved by a random jitter of up to a tenth
//! either way (so that deliveries that failed together do not all come back together), until
//! three days after the delivery was made: then it has failed for good. A webhook endpoint
//! that has failed every delivery for three days in a row is disabled: the operator's receiver
//! is gone or broken, and retrying every message against it forever would only fill the
//! delivery log. A delivery that succeeds ends the run of failures.

use jiff::{SignedDuration, Timestamp};

/// The delays between attempts, how long a delivery is tried at all, and how long an endpoint
/// may fail before it is disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// After the first failure, the second, …; after the last of them, the last again.
    pub delays: Vec<SignedDuration>,
    /// No attempt is made this long after the delivery was made.
    pub give_up_after: SignedDuration,
    /// An endpoint failing this long without a success is disabled.
    pub disable_endpoint_after: SignedDuration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            delays: [10, 60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600, 12 * 3600]
                .map(SignedDuration::from_secs)
                .to_vec(),
            give_up_after: SignedDuration::from_hours(72),
            disable_endpoint_after: SignedDuration::from_hours(72),
        }
    }
}

impl DeliveryPolicy {
    /// A schedule shrunk by `factor` (a test's: the same shape in seconds instead of days).
    pub fn scaled_down(&self, factor: i32) -> DeliveryPolicy {
        DeliveryPolicy {
            delays: self.delays.iter().map(|delay| *delay / factor).collect(),
            give_up_after: self.give_up_after / factor,
            disable_endpoint_after: self.disable_endpoint_after / factor,
        }
    }

    /// Whether an endpoint failing since `failing_since` (its first failure after its last
    /// success) is disabled by a failure at `failed_at`.
    pub fn should_disable(&self, failing_since: Timestamp, failed_at: Timestamp) -> bool {
        failed_at.duration_since(failing_since) >= self.disable_endpoint_after
    }

    /// When to try again a delivery made at `created_at` whose attempt number `failures` (1 for
    /// the first) failed at `failed_at`, with `jitter_per_mille` (drawn by the shell in
    /// -100..=100) moving the delay by up to a tenth; `None` once that would be past
    /// `give_up_after`: the delivery has failed.
    pub fn next_attempt_at(
        &self,
        created_at: Timestamp,
        failed_at: Timestamp,
        failures: u32,
        jitter_per_mille: i32,
    ) -> Option<Timestamp> {
        let index = (failures.max(1) as usize - 1).min(self.delays.len().checked_sub(1)?);
        let delay = self.delays[index];
        let jitter = SignedDuration::from_millis(
            delay.as_millis() as i64 * i64::from(jitter_per_mille.clamp(-100, 100)) / 1000,
        );
        let next = failed_at.checked_add(delay + jitter).ok()?;
        let last = created_at.checked_add(self.give_up_after).ok()?;
        (next <= last).then_some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn the_delays_grow_from_ten_seconds_to_twelve_hours_and_stop_after_three_days() {
        let schedule = DeliveryPolicy::default();
        let made = at("2026-12-01T00:00:00Z");
        let mut failed_at = made;
        let mut delays = Vec::new();
        for failures in 1.. {
            match schedule.next_attempt_at(made, failed_at, failures, 0) {
                Some(next) => {
                    delays.push(next.duration_since(failed_at).as_secs());
                    failed_at = next;
                }
                None => break,
            }
        }
        assert_eq!(
            delays[..9],
            [10, 60, 300, 1800, 7200, 21600, 43200, 43200, 43200]
        );
        // 10 s + … + 6 h is 8 h 36 min 10 s; then 12 h at a time while within 72 h.
        assert_eq!(delays.len(), 6 + 5);
        assert!(failed_at.duration_since(made) <= SignedDuration::from_hours(72));
    }

    #[test]
    fn jitter_moves_a_delay_by_at_most_a_tenth() {
        let schedule = DeliveryPolicy::default();
        let made = at("2026-12-01T00:00:00Z");
        let early = schedule.next_attempt_at(made, made, 2, -100).unwrap();
        let late = schedule.next_attempt_at(made, made, 2, 100).unwrap();
        let wild = schedule.next_attempt_at(made, made, 2, 5000).unwrap();
        assert_eq!(early.duration_since(made).as_secs(), 54);
        assert_eq!(late.duration_since(made).as_secs(), 66);
        assert_eq!(wild, late);
    }

    #[test]
    fn an_endpoint_is_disabled_after_three_days_of_failures_not_before() {
        let policy = DeliveryPolicy::default();
        let since = at("2026-12-01T00:00:00Z");
        assert!(!policy.should_disable(since, since));
        assert!(!policy.should_disable(since, at("2026-12-03T23:59:59Z")));
        assert!(policy.should_disable(since, at("2026-12-04T00:00:00Z")));
    }

    #[test]
    fn a_scaled_schedule_keeps_its_shape() {
        let schedule = DeliveryPolicy::default().scaled_down(3600);
        let made = at("2026-12-01T00:00:00Z");
        let next = schedule.next_attempt_at(made, made, 7, 0).unwrap();
        assert_eq!(next.duration_since(made).as_secs(), 12);
        assert_eq!(schedule.give_up_after.as_secs(), 72);
    }
}
