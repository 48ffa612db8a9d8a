//! Stripe's request bodies: `application/x-www-form-urlencoded`, nested keys in brackets
//! (`metadata[tenure_attempt]=…`).

#[derive(Default)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    pub fn add(&mut self, key: &str, value: &str) {
        self.pairs.push((key.to_string(), value.to_string()));
    }

    pub fn finish(self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.pairs)
            .finish()
    }
}
