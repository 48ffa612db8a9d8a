//! Opening an account: what it announces. The checks of its fields (name, email, mobile,
//! currency, alert threshold) are the shell's, which answers each refusal in words.

use serde_json::json;

use crate::event::{EventDraft, EventKind};

/// Announces a new account (`account.created`), with its name.
pub fn created_event(account_id: &str, name: &str) -> EventDraft {
    EventDraft {
        kind: EventKind::AccountCreated,
        account_id: account_id.to_string(),
        instance_id: None,
        data: json!({ "name": name }).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_account_announces_its_name() {
        let event = created_event("acct_000001", "Acme");
        assert_eq!(event.kind.as_str(), "account.created");
        assert_eq!(event.account_id, "acct_000001");
        assert_eq!(event.instance_id, None);
        assert_eq!(event.data.as_str(), r#"{"name":"Acme"}"#);
    }
}
