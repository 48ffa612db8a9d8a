//! A change that waits for the operator: the approval it asks for, and the operator's approval
//! (the change priced again and applied) or refusal, or the customer's withdrawal of it.

use jiff::Timestamp;
use tenure_core::change::{
    approval_closed_event, approval_requested_event, approved_event, withdrawn_event, ChangeTarget,
    ClosedApproval,
};
use tenure_core::event::EventDraft;
use tenure_core::payment::PaymentSources;
use tenure_store::approvals::{self, Approval};
use tenure_store::Tx;

use super::{ChangeCommand, ChangeOutcome, Prepared};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::instances::InstanceView;

impl Engine {
    pub(super) async fn request_approval(
        &self,
        tx: &mut Tx,
        prepared: Prepared<'_>,
        sources: PaymentSources,
        now: Timestamp,
    ) -> Result<ChangeOutcome, EngineError> {
        let instance = &prepared.stored.instance;
        let approval = Approval {
            id: self.ids.next("apr"),
            account_id: instance.account_id.clone(),
            instance_id: instance.id.clone(),
            status: "pending".into(),
            direction: prepared.decision.direction.as_str().into(),
            from_edition_id: prepared.view.from.edition_id.clone(),
            from_spec_id: prepared.view.from.spec_id.clone(),
            to_edition_id: prepared.view.to.edition_id.clone(),
            to_spec_id: prepared.view.to.spec_id.clone(),
            pay_with: sources.method.as_str().into(),
            use_vouchers: sources.use_vouchers,
            use_coupons: sources.use_coupons,
            quoted_charge_minor: prepared.view.quote.charge_minor,
            requested_at: now,
            decided_at: None,
            reason: None,
        };
        approvals::insert(tx, &approval).await?;
        let event = approval_requested_event(
            instance,
            &approval.id,
            &prepared.view.from,
            &prepared.view.to,
            approval.quoted_charge_minor,
        );
        self.record(tx, now, &prepared.account, &[event], &[])
            .await?;
        Ok(ChangeOutcome {
            status: "pending_approval",
            instance: InstanceView::new(prepared.stored.clone(), Some(prepared.product)),
            quote: prepared.view,
            orders: Vec::new(),
            approval: Some(approval),
        })
    }

    /// The operator approves a pending change: it is checked and priced again now, paid, and
    /// applied. If the account cannot pay, nothing changes and the approval stays pending.
    pub async fn approve_change(
        &self,
        tx: &mut Tx,
        approval_id: &str,
        reason: Option<String>,
    ) -> Result<ChangeOutcome, EngineError> {
        let now = self.clock.now();
        let approval = self.lock_pending_approval(tx, approval_id).await?;
        let sources = PaymentSources {
            use_vouchers: approval.use_vouchers,
            use_coupons: approval.use_coupons,
            method: approval
                .pay_with
                .parse()
                .expect("stored payment methods parse"),
        };
        let command = ChangeCommand {
            instance_id: approval.instance_id.clone(),
            target: ChangeTarget {
                edition_id: Some(approval.to_edition_id.clone()),
                spec_id: Some(approval.to_spec_id.clone()),
            },
            sources,
        };
        let prepared = self.prepare_change(tx, &command, now).await?;
        approvals::decide(tx, approval_id, "approved", now, reason.as_deref()).await?;
        let event = approved_event(
            &approval.account_id,
            &approval.instance_id,
            &approval.id,
            reason.as_deref(),
        );
        self.record(tx, now, &prepared.account, &[event], &[])
            .await?;
        let mut outcome = self.apply_change(tx, prepared, sources, now).await?;
        outcome.approval = Some(Approval {
            status: "approved".into(),
            decided_at: Some(now),
            reason,
            ..approval
        });
        Ok(outcome)
    }

    /// The operator refuses a pending change, or the customer withdraws it: the instance keeps
    /// its configuration and nothing is charged.
    pub async fn close_approval(
        &self,
        tx: &mut Tx,
        approval_id: &str,
        status: ClosedApproval,
        reason: Option<String>,
    ) -> Result<Approval, EngineError> {
        let now = self.clock.now();
        let approval = self.lock_pending_approval(tx, approval_id).await?;
        let account = self.lock_account(tx, &approval.account_id).await?;
        approvals::decide(tx, approval_id, status.as_str(), now, reason.as_deref()).await?;
        let event = approval_closed_event(
            &approval.account_id,
            &approval.instance_id,
            &approval.id,
            status,
            reason.as_deref(),
        );
        self.record(tx, now, &account, &[event], &[]).await?;
        Ok(Approval {
            status: status.as_str().into(),
            decided_at: Some(now),
            reason,
            ..approval
        })
    }

    /// Withdraws `pending`, the change waiting for the operator on an instance that can no
    /// longer change (`tenure_core::change::withdrawal`): the approval is `cancelled` with
    /// `reason`; answers the event for the caller to record in its order of decisions.
    pub(crate) async fn withdraw_pending_change(
        &self,
        tx: &mut Tx,
        pending: &Approval,
        reason: &str,
        now: Timestamp,
    ) -> Result<EventDraft, EngineError> {
        approvals::decide(
            tx,
            &pending.id,
            ClosedApproval::Cancelled.as_str(),
            now,
            Some(reason),
        )
        .await?;
        Ok(withdrawn_event(
            &pending.account_id,
            &pending.instance_id,
            &pending.id,
            reason,
        ))
    }

    async fn lock_pending_approval(
        &self,
        tx: &mut Tx,
        approval_id: &str,
    ) -> Result<Approval, EngineError> {
        let approval = approvals::lock(tx, approval_id)
            .await?
            .ok_or_else(|| EngineError::not_found("approval", approval_id))?;
        if approval.status != "pending" {
            return Err(EngineError::refused(
                "approval_decided",
                format!(
                    "approval {approval_id} is already {}; only a pending change can be decided",
                    approval.status
                ),
            ));
        }
        Ok(approval)
    }
}
