//! tenure's functional core: every business decision as a pure function of
//! (state, policy, command, now). Nothing here reads a clock, touches a database or knows HTTP.
//!
//! - [`access`]: roles of account keys and the permissions endpoints need.
//! - [`account`]: what opening an account announces.
//! - [`money`]: minor units and the one rounding rule.
//! - [`period`]: subscription periods and the month-end rule.
//! - [`catalog`]: products, editions, specs, prices and per-product policies, as data.
//! - [`ledger`]: double-entry postings that always sum to zero.
//! - [`payment`]: which sources pay an amount (vouchers, coupons, balance, external method).
//! - [`purchase`], [`renewal`]: what buying and renewing an instance mean.
//! - [`purchase_credit`]: credit before use: what buying pay-as-you-go (and free instances past
//!   an allowance) needs, and the limit of open pay-as-you-go instances per account.
//! - [`order`]: the kinds of orders and whether their service period still holds.
//! - [`auto_renewal`]: deduction schedules, enabling and disabling, one deduction attempt.
//! - [`lifecycle`]: instance states and the due steps (reminder, expiry, release; overdue
//!   stop and freeze of instances without an expiry).
//! - [`proration`]: the money rules shared by refunds, upgrades and downgrades.
//! - [`paid_parts`]: which payment, source and terms each part of a period's cash came from.
//! - [`refund`]: unsubscription refunds: refund types, amounts, destinations, arrival.
//! - [`unsubscription`]: what unsubscribing an instance (release now, data deleted) announces.
//! - [`pending_renewal`]: unsubscribing a renewal paid for a future period, and re-dating.
//! - [`change`]: upgrades and downgrades: which the catalog allows, and what they cost per period.
//! - [`refund_destination`]: where refunded cash goes (card and wallet windows, balance).
//! - [`dispute`]: a disputed card payment's event and the operator's notice of it.
//! - [`event`]: the kinds of events and the notices they carry.
//! - [`notice`]: notice texts as data: the templates of `catalog/notices.toml` and their renderer.
//! - [`usage`], [`bill`]: pay-as-you-go usage records, hourly cycles, bills and how they are paid.
//! - [`country`]: ISO 3166-1 country codes and the EU member states.
//! - [`invoice`]: invoices and credit notes as issued documents, and the tax rule.
//! - [`label`]: an instance's name and tags, their rules, and how a notice names it.
//! - [`overdue`], [`low_balance`]: what an unpaid bill does to an account, and the alert.

pub mod access;
pub mod account;
pub mod auto_renewal;
pub mod bill;
pub mod catalog;
pub mod change;
pub mod country;
pub mod delivery;
pub mod dispute;
pub mod event;
pub mod forecast;
pub mod invoice;
pub mod label;
pub mod ledger;
pub mod lifecycle;
pub mod low_balance;
pub mod money;
pub mod notice;
pub mod order;
pub mod overdue;
pub mod paid_parts;
pub mod payment;
pub mod pending_renewal;
pub mod period;
pub mod proration;
pub mod purchase;
pub mod purchase_credit;
pub mod refund;
pub mod refund_destination;
pub mod release;
pub mod renewal;
pub mod secret;
pub mod unsubscription;
pub mod usage;
pub mod webhook;
