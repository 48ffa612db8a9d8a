//! Lists a page at a time: `?limit=&after=`, and the page with the cursor for the next one.

use serde::{Deserialize, Serialize};

/// `?limit=&after=` of every list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::whole_number::query")]
    pub limit: Option<i64>,
    pub after: Option<String>,
}

/// A page of a list, with the cursor for the next one.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "{T}List")]
pub struct Listing<T> {
    pub data: Vec<T>,
    /// Pass as `after` to get the next page; null on the last page.
    pub next_after: Option<String>,
}

impl<T> Listing<T> {
    /// The page `data` of a list asked for `limit` items: a full page names its last item's
    /// cursor, a shorter one is the last page.
    pub fn new(data: Vec<T>, limit: i64, cursor: impl Fn(&T) -> String) -> Listing<T> {
        let next_after = if data.len() as i64 == limit {
            data.last().map(cursor)
        } else {
            None
        };
        Listing { data, next_after }
    }

    /// The same page, each item shown as `U`.
    pub fn map<U: From<T>>(self) -> Listing<U> {
        Listing {
            data: self.data.into_iter().map(U::from).collect(),
            next_after: self.next_after,
        }
    }
}
