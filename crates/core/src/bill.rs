//! Usage bills: what a cycle's usage costs, and how bills are paid.
//!
//! - A bill has a line per meter; each line is `price_minor × quantity / units_per_price` over
//!   the cycle's summed quantity, rounded once (half to even) by `prorate_minor`. Summing first
//!   means splitting usage into many small records never changes what it costs.
//! - A bill holds at most [`MAX_BILL_MINOR`]: usage that would price a cycle above it is refused
//!   when it is reported ([`price_cycle`] is asked then, and again when the bill is generated),
//!   so no cycle's amount overflows, and no account's sums of bills come near `i64`.
//! - A bill is paid at once, in full, by the one payment order of [`crate::payment`]: coupons
//!   first, then the balance ([`PaymentSources::USAGE_BILL`]; vouchers never pay usage). It is
//!   never paid in part: when available credit does not cover it, it stays unpaid, as debt, and
//!   the account is overdue.
//! - Unpaid bills are settled oldest first, each in full, and never out of order: a newer bill
//!   is not paid while an older one is still unpaid.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;

use crate::catalog::Edition;
use crate::event::{EventData, EventDraft, EventKind};
use crate::money::{prorate_minor, AmountOverflow, MAX_AMOUNT_MINOR};
use crate::payment::{plan_payment, Funds, InsufficientFunds, PaymentSources};

/// One meter's part of a bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BillLine {
    pub meter_id: String,
    pub unit: String,
    pub quantity: i64,
    pub price_minor: i64,
    pub units_per_price: i64,
    pub amount_minor: i64,
}

/// The most one bill may amount to: the largest amount one request may move
/// ([`MAX_AMOUNT_MINOR`], 10^13 minor units), so paying a bill is never more than a deposit can
/// be, and an account's running totals hold about 900,000 bills of the maximum before `i64`
/// would.
pub const MAX_BILL_MINOR: i64 = MAX_AMOUNT_MINOR;

/// A cycle's usage priced above [`MAX_BILL_MINOR`] (or beyond what `i64` holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BillTooLarge {
    #[error("the cycle's usage costs {amount_minor} minor units, more than the {MAX_BILL_MINOR} a bill may hold")]
    OverLimit { amount_minor: i64 },
    #[error("the cycle's usage costs more than the {MAX_BILL_MINOR} minor units a bill may hold (more than tenure can count)")]
    Overflow,
}

impl From<AmountOverflow> for BillTooLarge {
    fn from(_: AmountOverflow) -> Self {
        BillTooLarge::Overflow
    }
}

/// A cycle's bill lines and their total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedCycle {
    pub lines: Vec<BillLine>,
    pub amount_minor: i64,
}

/// Prices a cycle's summed quantity per meter, and refuses a total above [`MAX_BILL_MINOR`].
/// Meters the edition no longer has are priced at zero rather than dropped, so the bill still
/// shows the usage.
pub fn price_cycle(
    edition: &Edition,
    quantities: &[(String, i64)],
) -> Result<PricedCycle, BillTooLarge> {
    let mut lines = Vec::with_capacity(quantities.len());
    let mut amount_minor: i64 = 0;
    for (meter_id, quantity) in quantities {
        let meter = edition.meters.iter().find(|meter| &meter.id == meter_id);
        let (unit, price_minor, units_per_price) = match meter {
            Some(meter) => (meter.unit.clone(), meter.price_minor, meter.units_per_price),
            None => ("(meter withdrawn)".to_string(), 0, 1),
        };
        let line_minor = prorate_minor(price_minor, *quantity, units_per_price)?;
        amount_minor = amount_minor
            .checked_add(line_minor)
            .ok_or(BillTooLarge::Overflow)?;
        lines.push(BillLine {
            meter_id: meter_id.clone(),
            unit,
            quantity: *quantity,
            price_minor,
            units_per_price,
            amount_minor: line_minor,
        });
    }
    if amount_minor > MAX_BILL_MINOR {
        return Err(BillTooLarge::OverLimit { amount_minor });
    }
    Ok(PricedCycle {
        lines,
        amount_minor,
    })
}

/// How much of a bill the balance and the coupons pay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BillPayment {
    pub balance_minor: i64,
    pub coupon_minor: i64,
}

impl BillPayment {
    pub fn total_minor(&self) -> i64 {
        self.balance_minor + self.coupon_minor
    }
}

/// Pays `due_minor` in full from coupons, then the balance; refuses when they do not cover it.
pub fn plan_bill_payment(due_minor: i64, funds: Funds) -> Result<BillPayment, InsufficientFunds> {
    let plan = plan_payment(due_minor, funds, PaymentSources::USAGE_BILL)?;
    Ok(BillPayment {
        balance_minor: plan.balance_minor,
        coupon_minor: plan.coupon_minor,
    })
}

/// Which of the unpaid bills (amounts, oldest first) the funds settle: a payment for each of
/// the oldest bills the funds cover in turn, stopping at the first they do not.
pub fn settle_in_order(unpaid_minor: &[i64], funds: Funds) -> Vec<BillPayment> {
    let mut left = funds;
    let mut payments = Vec::new();
    for &due_minor in unpaid_minor {
        let Ok(payment) = plan_bill_payment(due_minor, left) else {
            break;
        };
        left.balance_minor -= payment.balance_minor;
        left.coupons_minor -= payment.coupon_minor;
        payments.push(payment);
    }
    payments
}

/// Announces a generated bill of a cycle (`bill.generated`), paid or not yet.
pub fn generated_event(
    account_id: &str,
    instance_id: &str,
    bill_id: &str,
    amount_minor: i64,
    cycle_start: Timestamp,
    cycle_end: Timestamp,
) -> EventDraft {
    EventDraft {
        kind: EventKind::BillGenerated,
        account_id: account_id.to_string(),
        instance_id: Some(instance_id.to_string()),
        data: json!({ "bill_id": bill_id, "amount_minor": amount_minor,
                      "cycle_start": cycle_start.to_string(),
                      "cycle_end": cycle_end.to_string() })
        .into(),
    }
}

/// A generated bill as the settlement after its generation left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettledBill<'row> {
    pub account_id: &'row str,
    pub instance_id: &'row str,
    pub bill_id: &'row str,
    pub cycle_start: Timestamp,
    pub cycle_end: Timestamp,
    pub amount_minor: i64,
    /// What the settlement paid of it: all of it or nothing, as bills are never paid in part.
    pub paid_minor: i64,
}

/// Announces a bill its generation's settlement did not pay in full (`bill.unpaid`): it is the
/// account's debt until a deposit or a refund settles it (then `bill.paid`). `None` when it was
/// paid, or was of nothing. `currency` is the account's.
pub fn unpaid_event(bill: &SettledBill, currency: &str) -> Option<EventDraft> {
    // 0 ≤ paid ≤ amount ≤ MAX_BILL_MINOR: the difference cannot overflow.
    let unpaid_minor = bill.amount_minor - bill.paid_minor;
    (unpaid_minor > 0).then(|| EventDraft {
        kind: EventKind::BillUnpaid,
        account_id: bill.account_id.to_string(),
        instance_id: Some(bill.instance_id.to_string()),
        data: EventData::object()
            .integer("amount_minor", bill.amount_minor)
            .text("bill_id", bill.bill_id)
            .text("currency", currency)
            .time("cycle_end", bill.cycle_end)
            .time("cycle_start", bill.cycle_start)
            .text("instance_id", bill.instance_id)
            .integer("paid_minor", bill.paid_minor)
            .integer("unpaid_minor", unpaid_minor)
            .finish(),
    })
}

/// Announces a bill paid as `payment` says, by the ledger entry `entry_id` (`bill.paid`).
pub fn paid_event(
    account_id: &str,
    instance_id: &str,
    bill_id: &str,
    amount_minor: i64,
    payment: &BillPayment,
    cycle_start: Timestamp,
    entry_id: &str,
) -> EventDraft {
    EventDraft {
        kind: EventKind::BillPaid,
        account_id: account_id.to_string(),
        instance_id: Some(instance_id.to_string()),
        data: json!({ "bill_id": bill_id, "amount_minor": amount_minor,
                      "paid_balance_minor": payment.balance_minor,
                      "paid_coupon_minor": payment.coupon_minor,
                      "cycle_start": cycle_start.to_string(), "entry_id": entry_id })
        .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;

    fn funds(balance_minor: i64, coupons_minor: i64) -> Funds {
        Funds {
            balance_minor,
            coupons_minor,
            vouchers_minor: 1_000_000,
        }
    }

    #[test]
    fn a_bill_left_unpaid_is_announced_with_what_it_owes() {
        let unpaid = SettledBill {
            account_id: "acct_1",
            instance_id: "inst_1",
            bill_id: "bill_1",
            cycle_start: "2026-05-04T09:00:00Z".parse().unwrap(),
            cycle_end: "2026-05-04T10:00:00Z".parse().unwrap(),
            amount_minor: 129,
            paid_minor: 0,
        };
        let event = unpaid_event(&unpaid, "USD").unwrap();
        assert_eq!(event.kind.as_str(), "bill.unpaid");
        assert_eq!(
            (event.account_id.as_str(), event.instance_id.as_deref()),
            ("acct_1", Some("inst_1"))
        );
        assert_eq!(
            event.data.as_str(),
            r#"{"amount_minor":129,"bill_id":"bill_1","currency":"USD","cycle_end":"2026-05-04T10:00:00Z","cycle_start":"2026-05-04T09:00:00Z","instance_id":"inst_1","paid_minor":0,"unpaid_minor":129}"#
        );
        let paid = SettledBill {
            paid_minor: 129,
            ..unpaid
        };
        assert_eq!(unpaid_event(&paid, "USD"), None);
        let of_nothing = SettledBill {
            amount_minor: 0,
            ..unpaid
        };
        assert_eq!(unpaid_event(&of_nothing, "USD"), None);
    }

    #[test]
    fn prices_the_summed_quantity_and_rounds_once() {
        let catalog = default_catalog();
        let edition = catalog
            .product("iot-platform")
            .unwrap()
            .edition("legacy-public")
            .unwrap();
        // 8 per 10,000 messages: 123,456 messages cost 98.76 → 99, though two halves of
        // 61,728 would each round to 49.
        let priced = price_cycle(
            edition,
            &[
                ("messages".into(), 123_456),
                ("device-minutes".into(), 60_000),
            ],
        )
        .unwrap();
        assert_eq!(priced.lines[0].amount_minor, 99);
        assert_eq!(priced.lines[1].amount_minor, 30);
        assert_eq!(priced.amount_minor, 129);
        assert_eq!(prorate_minor(8, 61_728, 10_000), Ok(49));
    }

    #[test]
    fn a_cycle_priced_above_the_bill_limit_is_refused() {
        let catalog = default_catalog();
        let edition = catalog
            .product("data-management")
            .unwrap()
            .editions
            .iter()
            .find(|edition| edition.meters.iter().any(|meter| meter.id == "task-hours"))
            .unwrap();
        let task_hours = |quantity: i64| vec![("task-hours".to_string(), quantity)];
        // 12 per task hour: 833,333,333,333 hours are 9,999,999,999,996, just under 10^13.
        let under = price_cycle(edition, &task_hours(833_333_333_333)).unwrap();
        assert_eq!(under.amount_minor, 9_999_999_999_996);
        assert_eq!(
            price_cycle(edition, &task_hours(833_333_333_334)),
            Err(BillTooLarge::OverLimit {
                amount_minor: 10_000_000_000_008
            })
        );
        // The issue's 780,000 records of the largest quantity: beyond i64, refused too.
        assert_eq!(
            price_cycle(edition, &task_hours(780_000 * 1_000_000_000_000)),
            Err(BillTooLarge::Overflow)
        );
    }

    #[test]
    fn coupons_first_then_the_balance_never_vouchers() {
        assert_eq!(
            plan_bill_payment(100, funds(70, 50)),
            Ok(BillPayment {
                balance_minor: 50,
                coupon_minor: 50
            })
        );
        assert_eq!(
            plan_bill_payment(100, funds(60, 30)),
            Err(InsufficientFunds {
                due_minor: 100,
                available_minor: 90
            })
        );
    }

    #[test]
    fn settles_oldest_first_and_never_out_of_order() {
        let payments = settle_in_order(&[50, 200, 10], funds(100, 0));
        assert_eq!(
            payments,
            vec![BillPayment {
                balance_minor: 50,
                coupon_minor: 0
            }],
            "the 10 waits behind the 200 it cannot pay"
        );
        assert_eq!(settle_in_order(&[50, 200, 10], funds(200, 60)).len(), 3);
    }
}
