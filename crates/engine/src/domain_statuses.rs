//! The operator reports the registry statuses of a DNS instance's domain
//! (`serverUpdateProhibited`, ...): whether its move to the free tier at release can go ahead
//! is `tenure_core::lifecycle::free_tier_move`'s decision, taken at the release.

use tenure_core::catalog::ReleaseAction;
use tenure_core::lifecycle::next_due;
use tenure_store::instances::{self, StoredInstance};
use tenure_store::Tx;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::instances::InstanceView;

/// The most statuses one report names (EPP defines fewer than twenty).
pub const MAX_DOMAIN_STATUSES: usize = 16;

impl Engine {
    /// Replaces the domain statuses of an instance whose release moves it to the free tier.
    pub async fn set_domain_statuses(
        &self,
        tx: &mut Tx,
        instance_id: &str,
        statuses: Vec<String>,
    ) -> Result<InstanceView, EngineError> {
        let well_formed = statuses.len() <= MAX_DOMAIN_STATUSES
            && statuses.iter().all(|status| {
                (1..=64).contains(&status.len())
                    && status.bytes().all(|byte| byte.is_ascii_alphabetic())
            });
        if !well_formed {
            return Err(EngineError::invalid(
                "invalid_field",
                format!(
                    "`statuses` lists at most {MAX_DOMAIN_STATUSES} registry statuses, each 1 to 64 letters (serverUpdateProhibited, clientUpdateProhibited, ...)"
                ),
            ));
        }
        let stored = self.lock_instance(tx, instance_id).await?;
        let product = self.product(&stored.instance.product_id)?;
        if product.lifecycle.at_release != ReleaseAction::MoveToFreeTier {
            return Err(EngineError::refused(
                "no_domain",
                format!(
                    "instance {instance_id} is of {}, whose release moves nothing to a free tier: it has no domain statuses",
                    product.id
                ),
            ));
        }
        if stored.instance.status.is_final() {
            return Err(EngineError::refused(
                "instance_released",
                format!("instance {instance_id} was already released"),
            ));
        }
        let mut instance = stored.instance;
        instance.domain_statuses = statuses;
        let next_due_at = next_due(&instance, product).map(|due| due.at);
        instances::update(tx, &instance, next_due_at).await?;
        Ok(InstanceView::new(
            StoredInstance {
                instance,
                next_due_at,
            },
            Some(product),
        ))
    }
}
