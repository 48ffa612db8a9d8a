//! Upgrades and downgrades: quote, apply, or wait for the operator's approval.
//!
//! The core decides whether the catalog allows a change ([`tenure_core::change::rules`]) and what
//! it costs in each paid period ([`tenure_core::change::pricing`]); this module loads the paid
//! periods, pays or refunds each period's share as its own `upgrade` or `downgrade` order (whose
//! value is the basis of the next change in that period), moves the instance to the new
//! configuration and records the event, all in the caller's one transaction.
//!
//! Quoting and changing are `change.rs`; a change that waits for the operator, and the
//! operator's approval or refusal of it, are `approvals.rs`. Here: the types both share.

mod approvals;
mod change;

pub use tenure_core::change::{ClosedApproval, Configuration};

use tenure_core::catalog::Product;
use tenure_core::change::{ChangeDecision, ChangeQuote, ChangeTarget};
use tenure_core::payment::PaymentSources;
use tenure_core::refund_destination::RefundDestination;
use tenure_store::accounts::Account;
use tenure_store::approvals::Approval;
use tenure_store::instances::StoredInstance;
use tenure_store::orders::Order;

use crate::instances::InstanceView;

/// The proration rule, in one sentence, as every quote states it.
pub const PRORATION_RULE: &str = "by started hour, from the value actually paid: unused value = \
    value − value × hours used since it was paid / hours it covers; the new configuration costs its \
    list price × remaining hours / ordered hours; an upgrade charges the difference, a downgrade \
    refunds the cash share of it (vouchers are never refunded); rounded half to even, once per amount";

/// A change a customer asks for.
#[derive(Debug, Clone)]
pub struct ChangeCommand {
    pub instance_id: String,
    pub target: ChangeTarget,
    pub sources: PaymentSources,
}

/// A priced change, itemised period by period.
#[derive(Debug, Clone)]
pub struct ChangeQuoteView {
    pub instance_id: String,
    pub from: Configuration,
    pub to: Configuration,
    /// The change waits for the operator; it will be priced again at approval time.
    pub needs_approval: bool,
    pub currency: String,
    pub proration_rule: &'static str,
    /// Where a refund goes (null when nothing is refunded).
    pub refund_destination: Option<RefundDestination>,
    pub quote: ChangeQuote,
}

/// What `POST /v1/instances/{id}/change` did.
#[derive(Debug, Clone)]
pub struct ChangeOutcome {
    /// `applied` (the instance runs the new configuration now) or `pending_approval`.
    pub status: &'static str,
    pub quote: ChangeQuoteView,
    pub instance: InstanceView,
    /// One `upgrade` or `downgrade` order per paid period (empty while pending approval).
    pub orders: Vec<Order>,
    pub approval: Option<Approval>,
}

/// Everything a change is decided and priced from, read under the instance's lock.
struct Prepared<'catalog> {
    stored: StoredInstance,
    product: &'catalog Product,
    decision: ChangeDecision<'catalog>,
    account: Account,
    view: ChangeQuoteView,
}
