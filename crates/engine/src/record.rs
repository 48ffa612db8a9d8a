//! Writing what a decision produced: events and the notices that go with them. Both go through
//! a [`RecordBuffer`], so a sweep can gather a whole batch's records and write them in a few
//! multi-row statements; a use case records and flushes at once.

use jiff::Timestamp;
use tenure_core::catalog::Channel;
use tenure_core::event::{EventDraft, NoticeDraft};
use tenure_store::accounts::Account;
use tenure_store::{events, Tx};

use crate::engine::Engine;
use crate::error::EngineError;

/// Events and notices waiting to be written, in the order they were decided.
#[derive(Debug, Default)]
pub(crate) struct RecordBuffer {
    events: Vec<(String, Timestamp, EventDraft)>,
    notices: Vec<(String, Timestamp, NoticeDraft, String)>,
}

impl RecordBuffer {
    /// Writes what is waiting, in order, inside `tx`.
    pub(crate) async fn flush(&mut self, tx: &mut Tx) -> Result<(), EngineError> {
        events::insert_many(tx, &self.events).await?;
        events::insert_notices_many(tx, &self.notices).await?;
        self.events.clear();
        self.notices.clear();
        Ok(())
    }
}

impl Engine {
    /// Adds events and their notices to `buffer`, each with its id and the notice's recipient.
    pub(crate) fn buffer_records(
        &self,
        buffer: &mut RecordBuffer,
        now: Timestamp,
        account: &Account,
        new_events: &[EventDraft],
        notices: &[NoticeDraft],
    ) {
        for event in new_events {
            buffer
                .events
                .push((self.ids.next("evt"), now, event.clone()));
        }
        for notice in notices {
            let recipient = match notice.channel {
                Channel::Sms => account.mobile.as_str(),
                Channel::Email => account.email.as_str(),
                Channel::Webhook => "webhook",
            };
            buffer.notices.push((
                self.ids.next("ntc"),
                now,
                notice.clone(),
                recipient.to_string(),
            ));
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
        self.buffer_records(&mut buffer, now, account, new_events, notices);
        buffer.flush(tx).await
    }
}
