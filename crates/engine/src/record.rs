//! Writing what a decision produced: events and the notices that go with them.

use jiff::Timestamp;
use tenure_core::catalog::Channel;
use tenure_core::event::{EventDraft, NoticeDraft};
use tenure_store::accounts::Account;
use tenure_store::{events, Tx};

use crate::engine::Engine;
use crate::error::EngineError;

impl Engine {
    pub(crate) async fn record(
        &self,
        tx: &mut Tx,
        now: Timestamp,
        account: &Account,
        new_events: &[EventDraft],
        notices: &[NoticeDraft],
    ) -> Result<(), EngineError> {
        for event in new_events {
            events::insert(tx, &self.ids.next("evt"), now, event).await?;
        }
        for notice in notices {
            let recipient = match notice.channel {
                Channel::Sms => account.mobile.as_str(),
                Channel::Email => account.email.as_str(),
                Channel::Webhook => "webhook",
            };
            events::insert_notice(tx, &self.ids.next("ntc"), now, notice, recipient).await?;
        }
        Ok(())
    }
}
