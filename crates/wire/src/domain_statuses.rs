//! The registry statuses of a DNS instance's domain, as the operator reports them.

use serde::{Deserialize, Serialize};

/// The statuses a domain has now, as its registry shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainStatuses {
    /// The domain's statuses now, replacing those reported before (`[]`: none): EPP status
    /// tokens, letters only.
    #[schemars(
        length(max = 16),
        inner(length(min = 1, max = 64), regex(pattern = r"^[A-Za-z]+$"))
    )]
    pub statuses: Vec<String>,
}
