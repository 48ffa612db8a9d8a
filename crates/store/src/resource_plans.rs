//! The quota of each resource plan instance and how much of it is used.

use jiff::Timestamp;
use tenure_core::proration::QuotaUsage;

use crate::connect::{StoreError, Tx};
use crate::database::{query, Connection, DatabaseError, Row};
use crate::time::{from_seconds, to_seconds};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanQuota {
    pub instance_id: String,
    pub quota_unit: String,
    pub quota_units: i64,
    pub used_units: i64,
    /// When the plan takes effect: its quota can be used from then on.
    pub activates_at: Timestamp,
}

impl PlanQuota {
    pub fn usage(&self) -> QuotaUsage {
        QuotaUsage {
            quota_units: self.quota_units,
            used_units: self.used_units,
        }
    }
}

fn from_row(row: &Row) -> Result<PlanQuota, DatabaseError> {
    Ok(PlanQuota {
        instance_id: row.try_get("instance_id")?,
        quota_unit: row.try_get("quota_unit")?,
        quota_units: row.try_get("quota_units")?,
        used_units: row.try_get("used_units")?,
        activates_at: from_seconds(row.try_get("activates_at")?),
    })
}

pub async fn insert(tx: &mut Tx, quota: &PlanQuota) -> Result<(), StoreError> {
    query(
        "INSERT INTO resource_plans (instance_id, quota_unit, quota_units, used_units, activates_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&quota.instance_id)
    .bind(&quota.quota_unit)
    .bind(quota.quota_units)
    .bind(quota.used_units)
    .bind(to_seconds(quota.activates_at))
    .execute(tx)
    .await?;
    Ok(())
}

/// The quota of a resource plan instance. In a use case, read it after locking the instance.
pub async fn get(
    connection: &mut Connection,
    instance_id: &str,
) -> Result<Option<PlanQuota>, StoreError> {
    let row = query(
        "SELECT instance_id, quota_unit, quota_units, used_units, activates_at FROM resource_plans
         WHERE instance_id = $1",
    )
    .bind(instance_id)
    .fetch_optional(connection)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn set_used(tx: &mut Tx, instance_id: &str, used_units: i64) -> Result<(), StoreError> {
    query("UPDATE resource_plans SET used_units = $2 WHERE instance_id = $1")
        .bind(instance_id)
        .bind(used_units)
        .execute(tx)
        .await?;
    Ok(())
}
