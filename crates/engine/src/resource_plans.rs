//! Resource plans: prepaid quota packages. A plan's quota opens at purchase and can be used
//! from its activation until its validity ends; unsubscribing it refunds by the resource plan
//! rules of `tenure_core::refund`.

use jiff::Timestamp;
use tenure_core::catalog::MAX_QUOTA_UNITS;
use tenure_core::catalog::{Billing, Product};
use tenure_core::lifecycle::{Instance, InstanceStatus};
use tenure_store::resource_plans::{self, PlanQuota};
use tenure_store::Tx;

use crate::engine::Engine;
use crate::error::EngineError;

#[derive(Debug, Clone)]
pub struct QuotaUse {
    pub quota: PlanQuota,
    pub remaining_units: i64,
}

impl Engine {
    /// Writes the quota of a resource plan just bought.
    pub(crate) async fn open_plan_quota(
        &self,
        tx: &mut Tx,
        instance: &Instance,
        product: &Product,
        activates_at: Timestamp,
    ) -> Result<(), EngineError> {
        let edition = product
            .edition(&instance.edition_id)
            .expect("a purchased edition is in the catalog");
        let quota_units = edition
            .spec(&instance.spec_id)
            .and_then(|spec| spec.quota)
            .expect("resource plan specs have a quota (catalog check)");
        let quota = PlanQuota {
            instance_id: instance.id.clone(),
            quota_unit: edition.quota_unit.clone().unwrap_or_default(),
            quota_units,
            used_units: 0,
            activates_at,
        };
        resource_plans::insert(tx, &quota).await?;
        Ok(())
    }

    /// Records that `units` of a resource plan's quota were consumed.
    pub async fn use_quota(
        &self,
        tx: &mut Tx,
        instance_id: &str,
        units: i64,
    ) -> Result<QuotaUse, EngineError> {
        if !(1..=MAX_QUOTA_UNITS).contains(&units) {
            return Err(EngineError::invalid(
                "invalid_quantity",
                format!("`units` must be 1 to {MAX_QUOTA_UNITS}"),
            ));
        }
        let now = self.clock.now();
        let stored = self.lock_instance(tx, instance_id).await?;
        let instance = stored.instance;
        if instance.billing != Billing::ResourcePlan {
            return Err(EngineError::refused(
                "not_a_resource_plan",
                format!("instance {instance_id} is not a resource plan and has no quota"),
            ));
        }
        if !matches!(
            instance.status,
            InstanceStatus::Active | InstanceStatus::Unactivated
        ) {
            return Err(EngineError::refused(
                "resource_plan_not_active",
                format!(
                    "resource plan {instance_id} is {}; its quota can no longer be used",
                    instance.status.as_str()
                ),
            ));
        }
        let mut quota = resource_plans::get(tx, instance_id)
            .await?
            .expect("every resource plan has its quota row");
        if quota.activates_at > now {
            return Err(EngineError::refused(
                "resource_plan_not_activated",
                format!(
                    "resource plan {instance_id} takes effect at {}; its quota cannot be used before",
                    quota.activates_at
                ),
            ));
        }
        let remaining_units = quota.quota_units - quota.used_units;
        if units > remaining_units {
            return Err(EngineError::refused(
                "quota_exceeded",
                format!(
                    "resource plan {instance_id} has {remaining_units} {} left, fewer than {units}",
                    quota.quota_unit
                ),
            ));
        }
        quota.used_units += units;
        resource_plans::set_used(tx, instance_id, quota.used_units).await?;
        Ok(QuotaUse {
            remaining_units: quota.quota_units - quota.used_units,
            quota,
        })
    }
}
