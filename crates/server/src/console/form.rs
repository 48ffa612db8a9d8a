//! A form's fields as the browser sent them (`application/x-www-form-urlencoded`), repeated
//! names kept: a table of checkboxes sends one `instance` per ticked row.

pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &str) -> Fields {
        Fields(
            url::form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn one(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// Whether a checkbox `name` was ticked.
    pub fn ticked(&self, name: &str) -> bool {
        self.one(name).is_some()
    }
}
