//! The body of an action that takes nothing but its path.

use serde::{Deserialize, Serialize};

/// An empty body: `{}`, or no body at all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Nothing {}
