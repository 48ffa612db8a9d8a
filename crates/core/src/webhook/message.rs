//! What a webhook receiver gets: `{"id", "type", "timestamp", "data"}`, as Standard Webhooks
//! lays a message out. `id` is the event's (or notice's) and stays the same on every attempt,
//! so a receiver that saw it already can drop a repeat; `timestamp` is when the event happened,
//! on the clock the lifecycle runs on (the `webhook-timestamp` header is when the message was
//! sent, in real time, as receivers check it against their own clocks).

use jiff::Timestamp;

/// The body of the message `id` of type `kind` that happened `at`, with `data` (a JSON
/// object's text, as events store it).
pub fn message_body(id: &str, kind: &str, at: Timestamp, data: &str) -> String {
    let quoted = |text: &str| serde_json::to_string(text).expect("strings serialise");
    format!(
        "{{\"id\":{},\"type\":{},\"timestamp\":\"{at}\",\"data\":{data}}}",
        quoted(id),
        quoted(kind)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_its_id_type_time_and_the_events_data_as_json() {
        let at: Timestamp = "2026-03-10T00:00:00Z".parse().unwrap();
        let body = message_body("evt_1", "instance.expired", at, r#"{"expires_at":"x"}"#);
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "id": "evt_1",
                "type": "instance.expired",
                "timestamp": "2026-03-10T00:00:00Z",
                "data": {"expires_at": "x"},
            })
        );
    }
}
