//! Bill generation, taken by the scheduler when a cycle's `generate_at` comes (or by a release,
//! which bills its open cycles at once): price the cycle's summed usage, then settle the
//! account (which pays the bill from coupons and the balance, or leaves it unpaid and makes
//! the account overdue).

use jiff::Timestamp;
use tenure_core::bill::{generated_event, price_cycle, unpaid_event, PricedCycle, SettledBill};
use tenure_store::accounts::Account;
use tenure_store::bills::{self, Bill, BillStatus};
use tenure_store::{usage, Tx};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::overdue::Settlement;

impl Engine {
    /// Generates one due bill inside the sweep batch's transaction. It takes the settlement
    /// locks (the account's pay-as-you-go instances, then the account), re-reads the bill and
    /// does nothing unless it is still open and due: a sweep that ran twice, or was killed
    /// half-way, never bills a cycle twice.
    pub(crate) async fn generate_due_bill(
        &self,
        tx: &mut Tx,
        bill_id: &str,
        now: Timestamp,
    ) -> Result<u64, EngineError> {
        let Some(unlocked) = bills::get(tx, bill_id).await? else {
            return Ok(0);
        };
        let account = self.lock_for_settlement(tx, &unlocked.account_id).await?;
        let Some(bill) = bills::lock(tx, bill_id).await? else {
            return Ok(0);
        };
        if bill.status != BillStatus::Open || bill.generate_at > now {
            return Ok(0);
        }
        let generated = self.generate_bill(tx, &account, bill, now).await?;
        let settlement = self.settle_account(tx, &account.id, now).await?;
        self.announce_unpaid(tx, &account, &[generated], &settlement, now)
            .await?;
        Ok(1)
    }

    /// Announces each of the bills just `generated` that the `settlement` after them left
    /// unpaid (`bill.unpaid`). A settlement pays a bill in full or not at all.
    pub(crate) async fn announce_unpaid(
        &self,
        tx: &mut Tx,
        account: &Account,
        generated: &[Bill],
        settlement: &Settlement,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        let events: Vec<_> = generated
            .iter()
            .filter_map(|bill| {
                let paid = settlement.bills_paid.contains(&bill.id);
                let settled = SettledBill {
                    account_id: &bill.account_id,
                    instance_id: &bill.instance_id,
                    bill_id: &bill.id,
                    cycle_start: bill.cycle_start,
                    cycle_end: bill.cycle_end,
                    amount_minor: bill.amount_minor,
                    paid_minor: if paid { bill.amount_minor } else { 0 },
                };
                unpaid_event(&settled, &account.currency)
            })
            .collect();
        if events.is_empty() {
            return Ok(());
        }
        self.record(tx, now, account, &events, &[]).await
    }

    /// Prices an open bill's cycle from its summed usage and writes it generated, unpaid
    /// (or paid, when it is of nothing), with its event; the caller settles the account, which
    /// pays it if the credit covers it, and holds the settlement locks.
    pub(crate) async fn generate_bill(
        &self,
        tx: &mut Tx,
        account: &Account,
        mut bill: Bill,
        now: Timestamp,
    ) -> Result<Bill, EngineError> {
        let product = self.product(&bill.product_id)?;
        let quantities = usage::cycle_quantities(tx, &bill.instance_id, bill.cycle_start).await?;
        // Usage over a bill's limit is refused when reported; usage an older tenure accepted
        // (or a price raised since) can still price a cycle past it. Then the bill is not
        // generated: the step fails, is retried and parked for an operator, and nothing else
        // waits for it.
        let priced = match product.edition(&bill.edition_id) {
            Some(edition) => price_cycle(edition, &quantities).map_err(|too_large| {
                EngineError::refused(
                    "bill_exceeds_limit",
                    format!(
                        "bill {} of instance {} for the cycle starting {}: {too_large}",
                        bill.id, bill.instance_id, bill.cycle_start
                    ),
                )
            })?,
            None => PricedCycle {
                lines: Vec::new(),
                amount_minor: 0,
            },
        };
        bill.amount_minor = priced.amount_minor;
        bill.lines = serde_json::to_value(&priced.lines).expect("lines serialise");
        bill.generated_at = Some(now);
        // Generated unpaid; settling the account right after pays it if the credit covers it.
        // A bill of nothing is paid by definition and never makes anyone overdue.
        bill.status = if bill.amount_minor == 0 {
            BillStatus::Paid
        } else {
            BillStatus::Unpaid
        };
        // A bill of something is invoiced with the rest of its month's, once the month ends.
        let invoice_at = (bill.amount_minor > 0).then(|| month_after(now));
        bills::generate(tx, &bill, invoice_at).await?;
        let event = generated_event(
            &bill.account_id,
            &bill.instance_id,
            &bill.id,
            bill.amount_minor,
            bill.cycle_start,
            bill.cycle_end,
        );
        self.record(tx, now, account, &[event], &[]).await?;
        Ok(bill)
    }
}

/// The first moment (UTC) of the month after the one `at` falls in: when the month's
/// pay-as-you-go invoice is due.
pub(crate) fn month_after(at: Timestamp) -> Timestamp {
    let day = at.to_zoned(jiff::tz::TimeZone::UTC).date();
    day.first_of_month()
        .checked_add(jiff::Span::new().months(1))
        .and_then(|next| next.to_zoned(jiff::tz::TimeZone::UTC))
        .map_or(Timestamp::MAX, |next| next.timestamp())
}

#[cfg(test)]
mod tests {
    use super::month_after;

    #[test]
    fn a_month_is_invoiced_at_the_first_moment_of_the_next() {
        let at = |text: &str| text.parse::<jiff::Timestamp>().unwrap();
        assert_eq!(
            month_after(at("2026-03-01T00:00:00Z")),
            at("2026-04-01T00:00:00Z")
        );
        assert_eq!(
            month_after(at("2026-03-31T23:59:59Z")),
            at("2026-04-01T00:00:00Z")
        );
        assert_eq!(
            month_after(at("2026-12-15T04:00:00Z")),
            at("2027-01-01T00:00:00Z")
        );
    }
}
