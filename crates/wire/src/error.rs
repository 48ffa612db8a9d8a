//! Every answer that is not 2xx.

use serde::{Deserialize, Serialize};

/// Every answer that is not 2xx. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Error {
    /// A machine code, stable across versions.
    #[schemars(example = &"not_found")]
    pub code: String,
    /// A sentence for a person.
    #[schemars(example = &"instance `i-1` does not exist")]
    pub message: String,
}
