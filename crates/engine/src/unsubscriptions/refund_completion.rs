//! An outside refund's arrival, confirmed by the operator's payment integration: apart because
//! it comes later, in a request of its own, after the unsubscription that created the refund.

use tenure_core::ledger::Entry;
use tenure_core::refund::refund_completed;
use tenure_core::refund::RefundStatus;
use tenure_core::refund_destination::RefundDestination;
use tenure_store::refunds::{self, Refund};
use tenure_store::{ledger, payments, Tx};

use super::written;
use crate::engine::Engine;
use crate::error::EngineError;

impl Engine {
    /// The operator's payment integration confirms that an outside refund arrived:
    /// `processing` becomes `refunded`, and the money leaves refunds payable for the method.
    pub async fn complete_refund(
        &self,
        tx: &mut Tx,
        refund_id: &str,
    ) -> Result<Refund, EngineError> {
        let now = self.clock.now();
        let refund = refunds::lock(tx, refund_id)
            .await?
            .ok_or_else(|| EngineError::not_found("refund", refund_id))?;
        if refund.status != RefundStatus::Processing {
            return Err(EngineError::refused(
                "refund_not_processing",
                format!("refund {refund_id} is {} already", refund.status),
            ));
        }
        if !payments::of_refund(tx, refund_id).await?.is_empty() {
            return Err(EngineError::refused(
                "refund_through_provider",
                format!(
                    "refund {refund_id} is paid back through the payment provider, which \
                     completes it; see GET /v1/payments?account={}",
                    refund.account_id
                ),
            ));
        }
        let account = self.lock_account(tx, &refund.account_id).await?;
        let RefundDestination::Original(method) = refund.destination else {
            panic!("a processing refund goes to an outside method");
        };
        ledger::write_entry(
            tx,
            &self.ids.next("led"),
            &account.id,
            &Entry::refund_completed(method, refund.to_external_minor),
            now,
            Some(&refund.order_id),
            &format!("refund {refund_id} arrived ({})", method.as_str()),
        )
        .await?;
        refunds::complete(tx, refund_id, now).await?;
        let (event, notice) =
            refund_completed(&written(&refund), &account.currency, &self.catalog.notices);
        self.record(tx, now, &account, &[event], &[notice]).await?;
        Ok(Refund {
            status: RefundStatus::Refunded,
            refunded_at: Some(now),
            ..refund
        })
    }
}
