//! Reading the event log and the notices, a page at a time.

use tenure_store::events::{self, LogFilter, StoredEvent, StoredNotice};
use tenure_store::Connection;

use crate::engine::Engine;
use crate::error::EngineError;

impl Engine {
    /// The events `filter` asks for, in the order they happened.
    pub async fn list_events(
        &self,
        connection: &mut Connection,
        filter: &LogFilter,
    ) -> Result<Vec<StoredEvent>, EngineError> {
        Ok(events::list(connection, filter).await?)
    }

    /// The notices `filter` asks for, in the order of their events.
    pub async fn list_notices(
        &self,
        connection: &mut Connection,
        filter: &LogFilter,
    ) -> Result<Vec<StoredNotice>, EngineError> {
        // A page starts after a notice, not after a number: a cursor that names no notice of
        // the listed account is refused rather than taken as the start (a client following it
        // would go round for ever), the same for another account's notice as for none at all.
        if filter.after_seq > 0
            && events::notice_event_seq(connection, filter.after_seq, filter.account_id.as_deref())
                .await?
                .is_none()
        {
            return Err(EngineError::not_found(
                "notice (the `after` cursor)",
                &filter.after_seq.to_string(),
            ));
        }
        Ok(events::list_notices(connection, filter).await?)
    }
}
