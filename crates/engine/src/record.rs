//! Writing what a decision produced: paid orders with their ledger entries, auto-renewal
//! attempts, events and the notices that go with them. All go through a [`RecordBuffer`], so a
//! sweep can gather a whole batch's rows and write them in a few multi-row statements; a use
//! case buffers and flushes at once.

use std::collections::{HashMap, HashSet};

/// Hashing for maps and sets keyed by tenure's own ids, which a sweep looks up several times a
/// step: foldhash instead of std's SipHash (whose resistance to chosen keys these keys do not
/// need; foldhash is still seeded per process). SipHash was about 2% of a simulated year.
pub(crate) type IdHasher = foldhash::fast::RandomState;

use jiff::Timestamp;
use tenure_core::catalog::Channel;
use tenure_core::delivery::{redact_url_credentials, DeliveryChannel, Undeliverable};
use tenure_core::event::{EventDraft, NoticeDraft};
use tenure_core::invoice::notice::issued_notice;
use tenure_core::payment::Funds;
use tenure_store::accounts::Account;
use tenure_store::deduction_attempts::{self, DeductionAttempt};
use tenure_store::deliveries::{self, DeliveryWrite};
use tenure_store::events::{self, EventWrite, NoticeWrite};
use tenure_store::ledger::{self, EntryWrite};
use tenure_store::orders::{self, Order};
use tenure_store::webhook_endpoints::{self, ActiveEndpoint};
use tenure_store::Tx;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::ids::Ids;
use crate::invoices::PendingInvoice;

/// Rows waiting to be written, in the order they were decided, and the funds of the accounts
/// they pay from as those rows leave them.
#[derive(Debug, Default)]
pub(crate) struct RecordBuffer {
    orders: Vec<Order>,
    /// Invoices of the waiting orders, numbered at the flush.
    invoices: Vec<PendingInvoice>,
    entries: Vec<EntryWrite>,
    attempts: Vec<DeductionAttempt>,
    /// Events, their `seq` given at [`RecordBuffer::flush`].
    events: Vec<EventWrite>,
    /// Notices, each with the place in `events` of the event it was sent for, which becomes
    /// its `event_seq` at [`RecordBuffer::flush`].
    notices: Vec<(NoticeWrite, usize)>,
    /// Deliveries of the waiting notices (events' webhook deliveries are made at
    /// [`RecordBuffer::flush`], where the endpoints are read).
    deliveries: Vec<DeliveryWrite>,
    /// The webhook endpoints events are sent to, read at the transaction's first flush with
    /// events.
    endpoints: Option<Vec<ActiveEndpoint>>,
    /// Accounts' funds as written in the database (read once per account, or given by
    /// [`RecordBuffer::know_funds`]).
    funds_written: HashMap<String, Funds, IdHasher>,
    /// What the waiting entries add to each account's funds.
    funds_waiting: HashMap<String, Funds, IdHasher>,
    /// Attempt keys read for many instances at once (a sweep batch's), with the waiting
    /// attempts' keys added: see [`RecordBuffer::attempt_made`].
    attempts_known: Option<KnownAttempts>,
}

/// The attempts made for some instances to renew expiries from a time on.
#[derive(Debug)]
pub(crate) struct KnownAttempts {
    pub instance_ids: HashSet<String, IdHasher>,
    pub renews_from: Timestamp,
    pub keys: HashSet<(String, Timestamp, i64), IdHasher>,
}

impl RecordBuffer {
    /// An account's funds with the waiting entries applied: what a payment decided now may
    /// spend. Read from the database the first time, then kept.
    pub(crate) async fn funds(
        &mut self,
        tx: &mut Tx,
        account_id: &str,
    ) -> Result<Funds, EngineError> {
        let mut funds = match self.funds_written.get(account_id) {
            Some(funds) => *funds,
            None => {
                let funds = ledger::funds(tx, account_id).await?;
                self.funds_written.insert(account_id.to_string(), funds);
                funds
            }
        };
        if let Some(waiting) = self.funds_waiting.get(account_id) {
            funds += *waiting;
        }
        Ok(funds)
    }

    /// Funds read for many accounts at once (a sweep batch's), so [`RecordBuffer::funds`] does
    /// not read them one by one. Only while nothing for these accounts is waiting.
    pub(crate) fn know_funds(&mut self, funds: impl IntoIterator<Item = (String, Funds)>) {
        self.funds_written.extend(funds);
    }

    /// Forgets everything: rows waiting (a rolled-back transaction's) and funds read, keeping
    /// the room of its vectors and maps for the next transaction.
    pub(crate) fn clear(&mut self) {
        self.orders.clear();
        self.entries.clear();
        self.attempts.clear();
        self.invoices.clear();
        self.events.clear();
        self.notices.clear();
        self.deliveries.clear();
        self.endpoints = None;
        self.funds_written.clear();
        self.funds_waiting.clear();
        self.attempts_known = None;
    }

    pub(crate) fn add_order(&mut self, order: Order) {
        self.orders.push(order);
    }

    pub(crate) fn add_invoice(&mut self, invoice: PendingInvoice) {
        self.invoices.push(invoice);
    }

    pub(crate) fn add_entry(&mut self, entry: EntryWrite) {
        *self
            .funds_waiting
            .entry(entry.account_id.clone())
            .or_default() += entry.funds_change();
        self.entries.push(entry);
    }

    /// Attempt keys read in advance (see [`deduction_attempts::made_since`]).
    pub(crate) fn know_attempts(&mut self, known: KnownAttempts) {
        self.attempts_known = Some(known);
    }

    /// Forgets the attempt keys read in advance, which cover one batch's instances: a buffer
    /// kept for the next batch reads that batch's own.
    pub(crate) fn forget_attempts(&mut self) {
        self.attempts_known = None;
    }

    /// Whether the attempt with this key was made already (recorded, or waiting here): from
    /// the keys read in advance when they cover it, else from the database.
    pub(crate) async fn attempt_made(
        &self,
        tx: &mut Tx,
        instance_id: &str,
        renews_expires_at: Timestamp,
        attempt_offset_days: i64,
    ) -> Result<bool, EngineError> {
        if let Some(known) = &self.attempts_known {
            if known.instance_ids.contains(instance_id) && renews_expires_at >= known.renews_from {
                let key = (
                    instance_id.to_string(),
                    renews_expires_at,
                    attempt_offset_days,
                );
                return Ok(known.keys.contains(&key));
            }
        }
        let waiting = self.attempts.iter().any(|attempt| {
            attempt.instance_id == instance_id
                && attempt.renews_expires_at == renews_expires_at
                && attempt.attempt_offset_days == attempt_offset_days
        });
        Ok(waiting
            || deduction_attempts::made(tx, instance_id, renews_expires_at, attempt_offset_days)
                .await?)
    }

    pub(crate) fn add_attempt(&mut self, attempt: DeductionAttempt) {
        if let Some(known) = &mut self.attempts_known {
            known.keys.insert((
                attempt.instance_id.clone(),
                attempt.renews_expires_at,
                attempt.attempt_offset_days,
            ));
        }
        self.attempts.push(attempt);
    }

    /// Writes what is waiting, in order, inside `tx`: with the notices and events, the
    /// deliveries that carry them (the outbox), so that they commit or roll back together.
    ///
    /// The invoices waiting are numbered and written here, each announced by its event and
    /// emailed to its buyer by a notice that names it (the sender attaches its PDF).
    pub(crate) async fn flush(&mut self, tx: &mut Tx, engine: &Engine) -> Result<(), EngineError> {
        let ids = &engine.ids;
        orders::insert_many(tx, &self.orders).await?;
        let issued = crate::invoices::issue(tx, std::mem::take(&mut self.invoices)).await?;
        for (invoice, email_to) in issued {
            let event_position = self.events.len();
            let at = invoice.stored.issued_at;
            self.events.push(EventWrite {
                seq: 0,
                id: ids.next("evt"),
                at,
                event: crate::invoices::issued_event(&invoice.stored),
            });
            let notice = issued_notice(
                &invoice.document,
                &invoice.stored.account_id,
                &email_to,
                &engine.catalog.notices,
            );
            engine.buffer_notice(
                self,
                at,
                notice,
                email_to,
                event_position,
                Some(invoice.stored.id),
            );
        }
        ledger::write_entries(tx, &self.entries).await?;
        deduction_attempts::insert_many(tx, &self.attempts).await?;
        let seqs = events::next_seqs(tx, self.events.len()).await?;
        for (event, seq) in self.events.iter_mut().zip(seqs) {
            event.seq = seq;
        }
        events::insert_many(tx, &self.events).await?;
        let notices: Vec<NoticeWrite> = self
            .notices
            .drain(..)
            .map(|(mut notice, event_position)| {
                notice.event_seq = self.events[event_position].seq;
                notice
            })
            .collect();
        events::insert_notices_many(tx, &notices).await?;
        self.add_webhook_deliveries(tx, ids).await?;
        deliveries::insert_many(tx, &self.deliveries).await?;
        for (account_id, waiting) in self.funds_waiting.drain() {
            if let Some(written) = self.funds_written.get_mut(&account_id) {
                *written += waiting;
            }
        }
        self.orders.clear();
        self.entries.clear();
        self.attempts.clear();
        self.events.clear();
        self.notices.clear();
        self.deliveries.clear();
        Ok(())
    }

    /// A delivery of each waiting event to each endpoint that hears of its type.
    async fn add_webhook_deliveries(&mut self, tx: &mut Tx, ids: &Ids) -> Result<(), EngineError> {
        if self.events.is_empty() {
            return Ok(());
        }
        let endpoints = match &self.endpoints {
            Some(endpoints) => endpoints,
            None => self.endpoints.insert(webhook_endpoints::active(tx).await?),
        };
        if endpoints.is_empty() {
            return Ok(());
        }
        let created_at_ms = real_now_ms();
        for event in &self.events {
            for endpoint in endpoints {
                if !tenure_core::webhook::hears(&endpoint.events, event.event.kind) {
                    continue;
                }
                self.deliveries.push(DeliveryWrite {
                    id: ids.next("dlv"),
                    message_id: event.id.clone(),
                    channel: DeliveryChannel::Webhook,
                    account_id: event.event.account_id.clone(),
                    notice_id: None,
                    event_id: Some(event.id.clone()),
                    endpoint_id: Some(endpoint.id.clone()),
                    // Shown in the delivery log: the endpoint's URL without its credentials
                    // (sending reads the endpoint's own URL).
                    recipient: redact_url_credentials(&endpoint.url),
                    created_at_ms,
                });
            }
        }
        Ok(())
    }
}

/// Real time in Unix milliseconds: deliveries leave in real time, whatever clock the lifecycle
/// runs on.
pub(crate) fn real_now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Engine {
    /// Adds events and their notices to `buffer`, each with its id and the notice's recipient.
    /// Taken by value: a sweep moves each decision's drafts in rather than copying their texts
    /// (ids, event data, a notice's subject and body).
    ///
    /// Each notice is sent for one of `new_events`: the first of its kind (every decision that
    /// notifies records the event it notifies of, with the same kind), else the first. A notice
    /// with no event would be found by no listing of its account: a bug, so it panics.
    pub(crate) fn buffer_records(
        &self,
        buffer: &mut RecordBuffer,
        now: Timestamp,
        account: &Account,
        new_events: impl IntoIterator<Item = EventDraft>,
        notices: impl IntoIterator<Item = NoticeDraft>,
    ) {
        let first_event = buffer.events.len();
        self.buffer_events(buffer, now, new_events);
        for notice in notices {
            let decided = &buffer.events[first_event..];
            let event_position = first_event
                + decided
                    .iter()
                    .position(|write| write.event.kind == notice.kind)
                    .or((!decided.is_empty()).then_some(0))
                    .unwrap_or_else(|| panic!("a {:?} notice is sent for an event", notice.kind));
            let recipient = match (&notice.recipient, notice.channel) {
                (Some(address), _) => address.clone(),
                (None, Channel::Sms) => account.mobile.clone(),
                (None, Channel::Email) => account.email.clone(),
                (None, Channel::Webhook) => "webhook".to_string(),
            };
            self.buffer_notice(buffer, now, notice, recipient, event_position, None);
        }
    }

    /// Adds a notice to `recipient` to `buffer`, sent for the event at `event_position` of
    /// its events, with the delivery that carries it when its channel can (else it is
    /// recorded undeliverable, with why). `invoice_id` names the document it brings.
    fn buffer_notice(
        &self,
        buffer: &mut RecordBuffer,
        now: Timestamp,
        notice: NoticeDraft,
        recipient: String,
        event_position: usize,
        invoice_id: Option<String>,
    ) {
        let id = self.ids.next("ntc");
        let (status, status_reason) = match self.notice_channel(notice.channel, &recipient) {
            Ok(channel) => {
                buffer.deliveries.push(DeliveryWrite {
                    id: self.ids.next("dlv"),
                    message_id: id.clone(),
                    channel,
                    account_id: notice.account_id.clone(),
                    notice_id: Some(id.clone()),
                    event_id: None,
                    endpoint_id: None,
                    recipient: recipient.clone(),
                    created_at_ms: real_now_ms(),
                });
                ("pending", None)
            }
            Err(why) => ("undeliverable", Some(why.as_str())),
        };
        buffer.notices.push((
            NoticeWrite {
                id,
                at: now,
                notice,
                recipient,
                event_seq: 0,
                status,
                status_reason,
                invoice_id,
            },
            event_position,
        ));
    }

    /// Adds events to `buffer`, each with its id.
    pub(crate) fn buffer_events(
        &self,
        buffer: &mut RecordBuffer,
        now: Timestamp,
        new_events: impl IntoIterator<Item = EventDraft>,
    ) {
        for event in new_events {
            buffer.events.push(EventWrite {
                seq: 0,
                id: self.ids.next("evt"),
                at: now,
                event,
            });
        }
    }

    /// The channel a notice for `recipient` goes out on, or why it cannot (a channel this
    /// server has not been given, an account without the address): never dropped silently.
    fn notice_channel(
        &self,
        channel: Channel,
        recipient: &str,
    ) -> Result<DeliveryChannel, Undeliverable> {
        match channel {
            Channel::Email if !self.channels.email => Err(Undeliverable::NoSmtpServer),
            Channel::Sms if !self.channels.sms => Err(Undeliverable::NoSmsGateway),
            Channel::Email if recipient.is_empty() => Err(Undeliverable::NoEmailAddress),
            Channel::Sms if recipient.is_empty() => Err(Undeliverable::NoMobileNumber),
            Channel::Email => Ok(DeliveryChannel::Email),
            Channel::Sms => Ok(DeliveryChannel::Sms),
            Channel::Webhook => Err(Undeliverable::WebhookChannel),
        }
    }

    pub(crate) async fn record(
        &self,
        tx: &mut Tx,
        now: Timestamp,
        account: &Account,
        new_events: &[EventDraft],
        notices: &[NoticeDraft],
    ) -> Result<(), EngineError> {
        let mut buffer = RecordBuffer::default();
        self.buffer_records(
            &mut buffer,
            now,
            account,
            new_events.iter().cloned(),
            notices.iter().cloned(),
        );
        buffer.flush(tx, self).await
    }
}
