//! The low-balance alert, checked after every movement of an account's money (the rule is
//! `tenure_core::low_balance`).

use jiff::Timestamp;
use tenure_core::low_balance::{alert, decide, LowBalanceDecision};
use tenure_store::{accounts, Tx};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::record::RecordBuffer;

impl Engine {
    /// Sends the low-balance SMS when spending left the credit under the account's threshold
    /// (once per fall), and re-arms it when the credit is back above. Re-reads the account in
    /// the caller's transaction, so several payments in one transaction alert at most once.
    pub(crate) async fn check_low_balance(
        &self,
        tx: &mut Tx,
        account_id: &str,
        now: Timestamp,
        spent: bool,
    ) -> Result<(), EngineError> {
        let mut buffer = RecordBuffer::default();
        self.check_low_balance_into(tx, account_id, now, spent, &mut buffer)
            .await?;
        buffer.flush(tx, self).await
    }

    /// [`Self::check_low_balance`], with the alert's event and notice added to `buffer` (a
    /// sweep batch writes its records together, in the order they were decided).
    pub(crate) async fn check_low_balance_into(
        &self,
        tx: &mut Tx,
        account_id: &str,
        now: Timestamp,
        spent: bool,
        buffer: &mut RecordBuffer,
    ) -> Result<(), EngineError> {
        let account = self.lock_account(tx, account_id).await?;
        let Some(threshold_minor) = account.low_balance_threshold_minor else {
            return Ok(());
        };
        let funds = buffer.funds(tx, account_id).await?;
        let credit_minor = funds.balance_minor + funds.coupons_minor;
        match decide(
            Some(threshold_minor),
            account.low_balance_alerted,
            credit_minor,
            spent,
        ) {
            LowBalanceDecision::Alert => {
                let (event, notice) = alert(
                    account_id,
                    threshold_minor,
                    credit_minor,
                    &account.currency,
                    &self.catalog.notices,
                );
                self.buffer_records(buffer, now, &account, [event], [notice]);
                accounts::set_low_balance_alerted(tx, account_id, true).await?;
            }
            LowBalanceDecision::Rearm => {
                accounts::set_low_balance_alerted(tx, account_id, false).await?;
            }
            LowBalanceDecision::Nothing => {}
        }
        Ok(())
    }
}

impl Engine {
    /// Sets (or with `None` removes) the account's low-balance threshold. The alert is re-armed:
    /// the next payment that leaves the credit under the new threshold sends the SMS.
    pub async fn set_low_balance_threshold(
        &self,
        tx: &mut Tx,
        account_id: &str,
        threshold_minor: Option<i64>,
    ) -> Result<crate::accounts::AccountView, EngineError> {
        if let Some(threshold_minor) = threshold_minor {
            if !(0..=tenure_core::money::MAX_AMOUNT_MINOR).contains(&threshold_minor) {
                return Err(EngineError::invalid(
                    "invalid_amount",
                    "`threshold` must be zero or a positive amount of minor units",
                ));
            }
        }
        self.lock_account(tx, account_id).await?;
        accounts::set_low_balance_threshold(tx, account_id, threshold_minor).await?;
        accounts::set_low_balance_alerted(tx, account_id, false).await?;
        self.account_view(tx, account_id).await
    }
}
