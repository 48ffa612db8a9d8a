//! Usage ingestion: `POST /v1/usage`. A batch is one transaction, all or nothing. A record
//! whose id is already stored with the same content is a replay and is ignored; the same id
//! with other content is refused. A pay-as-you-go record opens its cycle's bill (one per
//! instance per cycle); a free instance's record is its activity.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use tenure_core::bill::price_cycle;
use tenure_core::catalog::Billing;
use tenure_core::lifecycle::usage_steps::last_activity;
use tenure_core::lifecycle::{next_step_due, InstanceStatus};
use tenure_core::usage::{bill_generated_at, check_record, cycle_end, UsageError, UsageRecord};
use tenure_store::bills::{self, Bill, BillStatus};
use tenure_store::instances::{self, StoredInstance};
use tenure_store::usage::{self, StoredUsage};
use tenure_store::Tx;

use crate::engine::Engine;
use crate::error::EngineError;

/// The most records one request may carry.
pub const MAX_USAGE_BATCH: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordStatus {
    Accepted,
    /// Already stored with this id: ignored, never counted twice.
    Replayed,
}

#[derive(Debug, Clone)]
pub struct RecordReceipt {
    pub record_id: String,
    pub status: RecordStatus,
    /// The hourly cycle the record is billed in.
    pub cycle_start: Timestamp,
}

#[derive(Debug, Clone)]
pub struct UsageReceipt {
    pub accepted: usize,
    pub replayed: usize,
    pub records: Vec<RecordReceipt>,
}

fn usage_error(error: UsageError) -> EngineError {
    match &error {
        UsageError::CycleClosed { .. } => EngineError::refused("cycle_closed", error),
        UsageError::Released(_) => EngineError::refused("instance_released", error),
        UsageError::NotMetered(_) => EngineError::refused("not_metered", error),
        UsageError::UnknownMeter { .. } => EngineError::invalid("unknown_meter", error),
        UsageError::BadRecordId | UsageError::BadQuantity => {
            EngineError::invalid("invalid_field", error)
        }
        UsageError::InTheFuture { .. } | UsageError::BeforeCreation { .. } => {
            EngineError::invalid("invalid_time", error)
        }
    }
}

/// Names the record in a batch's refusal, so the reporter knows which one to fix.
fn about_record(record_id: &str, error: EngineError) -> EngineError {
    match error {
        EngineError::Invalid { code, message } => EngineError::Invalid {
            code,
            message: format!("record {record_id}: {message}"),
        },
        EngineError::Refused { code, message } => EngineError::Refused {
            code,
            message: format!("record {record_id}: {message}"),
        },
        other => other,
    }
}

impl Engine {
    pub async fn record_usage(
        &self,
        tx: &mut Tx,
        records: Vec<UsageRecord>,
    ) -> Result<UsageReceipt, EngineError> {
        if records.is_empty() || records.len() > MAX_USAGE_BATCH {
            return Err(EngineError::invalid(
                "invalid_batch",
                format!("a usage report carries 1 to {MAX_USAGE_BATCH} records"),
            ));
        }
        let now = self.clock.now();
        // Read, not locked: ingestion must not hold instance locks, since bill generation
        // locks the bill and then the account's instances. A record only needs the instance's
        // kind, edition and creation, which do not change under it.
        let mut known: HashMap<String, StoredInstance> = HashMap::new();
        let mut opened: HashSet<(String, Timestamp)> = HashSet::new();
        let mut latest_activity: HashMap<String, Timestamp> = HashMap::new();
        let mut receipt = UsageReceipt {
            accepted: 0,
            replayed: 0,
            records: Vec::with_capacity(records.len()),
        };
        for record in records {
            let record_id = record.record_id.clone();
            let status = self
                .record_one(
                    tx,
                    &record,
                    now,
                    &mut known,
                    &mut opened,
                    &mut latest_activity,
                )
                .await
                .map_err(|error| about_record(&record_id, error))?;
            match status.0 {
                RecordStatus::Accepted => receipt.accepted += 1,
                RecordStatus::Replayed => receipt.replayed += 1,
            }
            receipt.records.push(RecordReceipt {
                record_id,
                status: status.0,
                cycle_start: status.1,
            });
        }
        // A cycle's bill holds at most `MAX_BILL_MINOR`: the cycle's usage so far, this
        // report's included (its records are written above, in this transaction), is priced
        // now, and a report that would take it over is refused whole. Refused here, where the
        // reporter hears of it, not when the bill is generated hours later, where no one does.
        let mut cycles: Vec<&(String, Timestamp)> = opened.iter().collect();
        cycles.sort();
        for (instance_id, cycle_start) in cycles {
            self.check_cycle_fits_a_bill(tx, &known[instance_id].instance, *cycle_start)
                .await?;
        }
        for (instance_id, at) in latest_activity {
            self.note_activity(tx, &instance_id, at).await?;
        }
        Ok(receipt)
    }

    async fn record_one(
        &self,
        tx: &mut Tx,
        record: &UsageRecord,
        now: Timestamp,
        known: &mut HashMap<String, StoredInstance>,
        opened: &mut HashSet<(String, Timestamp)>,
        latest_activity: &mut HashMap<String, Timestamp>,
    ) -> Result<(RecordStatus, Timestamp), EngineError> {
        if !known.contains_key(&record.instance_id) {
            let stored = instances::get(tx, &record.instance_id)
                .await?
                .ok_or_else(|| EngineError::not_found("instance", &record.instance_id))?;
            known.insert(record.instance_id.clone(), stored);
        }
        let instance = &known[&record.instance_id].instance;
        let product = self.product(&instance.product_id)?;
        let edition = product.edition(&instance.edition_id).ok_or_else(|| {
            EngineError::refused(
                "not_metered",
                format!("the edition of instance {} is no longer sold", instance.id),
            )
        })?;
        let policy = product.pay_as_you_go.as_ref();
        let checked = check_record(record, instance, edition, policy, now);
        // A closed cycle still lets a replay through: the record is already on its bill.
        let cycle_start = match &checked {
            Ok(start)
            | Err(UsageError::CycleClosed {
                cycle_start: start, ..
            }) => *start,
            Err(other) => return Err(usage_error(other.clone())),
        };
        let stored = StoredUsage {
            record_id: record.record_id.clone(),
            account_id: instance.account_id.clone(),
            instance_id: instance.id.clone(),
            meter_id: record.meter_id.clone(),
            quantity: record.quantity,
            at: record.at,
            cycle_start,
            received_at: now,
        };
        if !usage::insert(tx, &stored).await? {
            let existing = usage::get(tx, &record.record_id)
                .await?
                .expect("a conflicting record exists");
            let same = existing.instance_id == stored.instance_id
                && existing.meter_id == stored.meter_id
                && existing.quantity == stored.quantity
                && existing.at == stored.at;
            if !same {
                return Err(EngineError::refused(
                    "record_id_reused",
                    "this record id was already used for a different usage record",
                ));
            }
            return Ok((RecordStatus::Replayed, existing.cycle_start));
        }
        checked.map_err(usage_error)?;
        match instance.billing {
            Billing::Payg => {
                let key = (instance.id.clone(), cycle_start);
                if !opened.contains(&key) {
                    self.open_cycle(tx, instance, cycle_start).await?;
                    opened.insert(key);
                }
            }
            Billing::Free if instance.status == InstanceStatus::Active => {
                let latest = latest_activity
                    .entry(instance.id.clone())
                    .or_insert(record.at);
                *latest = (*latest).max(record.at);
            }
            _ => {}
        }
        Ok((RecordStatus::Accepted, cycle_start))
    }

    /// Opens the cycle's bill if this is its first record, and checks it is still open.
    async fn open_cycle(
        &self,
        tx: &mut Tx,
        instance: &tenure_core::lifecycle::Instance,
        cycle_start: Timestamp,
    ) -> Result<(), EngineError> {
        let product = self.product(&instance.product_id)?;
        let policy = product.pay_as_you_go.as_ref().ok_or_else(|| {
            EngineError::refused(
                "not_metered",
                format!("product {} has no pay-as-you-go policy", product.id),
            )
        })?;
        let bill = Bill {
            id: self.ids.next("bill"),
            account_id: instance.account_id.clone(),
            instance_id: instance.id.clone(),
            product_id: instance.product_id.clone(),
            edition_id: instance.edition_id.clone(),
            cycle_start,
            cycle_end: cycle_end(cycle_start),
            generate_at: bill_generated_at(cycle_start, policy),
            status: BillStatus::Open,
            amount_minor: 0,
            paid_balance_minor: 0,
            paid_coupon_minor: 0,
            lines: serde_json::Value::Array(Vec::new()),
            generated_at: None,
            paid_at: None,
        };
        bills::open(tx, &bill).await?;
        match bills::lock_cycle_status(tx, &instance.id, cycle_start).await? {
            Some((BillStatus::Open, _)) => Ok(()),
            Some((_, closed_at)) => Err(usage_error(UsageError::CycleClosed {
                cycle_start,
                closed_at,
            })),
            None => unreachable!("the bill was just opened"),
        }
    }

    /// Refuses usage that would price the cycle's bill above `tenure_core::bill::MAX_BILL_MINOR`.
    async fn check_cycle_fits_a_bill(
        &self,
        tx: &mut Tx,
        instance: &tenure_core::lifecycle::Instance,
        cycle_start: Timestamp,
    ) -> Result<(), EngineError> {
        let product = self.product(&instance.product_id)?;
        let Some(edition) = product.edition(&instance.edition_id) else {
            return Ok(());
        };
        let quantities = usage::cycle_quantities(tx, &instance.id, cycle_start).await?;
        price_cycle(edition, &quantities)
            .map(|_| ())
            .map_err(|too_large| {
                EngineError::invalid(
                    "usage_exceeds_bill_limit",
                    format!(
                        "instance {}: this report would take the bill of the cycle starting \
                         {cycle_start} past what one bill may hold: {too_large}; nothing of \
                         the report was recorded",
                        instance.id
                    ),
                )
            })
    }

    /// A free instance's usage is activity: it moves the day it would be frozen.
    async fn note_activity(
        &self,
        tx: &mut Tx,
        instance_id: &str,
        at: Timestamp,
    ) -> Result<(), EngineError> {
        let Some(stored) = instances::lock(tx, instance_id).await? else {
            return Ok(());
        };
        let mut instance = stored.instance;
        if instance.status != InstanceStatus::Active || at <= last_activity(&instance) {
            return Ok(());
        }
        instance.last_active_at = Some(at);
        let product = self.product(&instance.product_id)?;
        let next_due_at = next_step_due(&instance, product, None).map(|due| due.at);
        instances::update(tx, &instance, next_due_at).await?;
        Ok(())
    }
}
