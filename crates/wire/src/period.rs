//! A subscription length as the API writes it: `1M`, `6M`, `1Y`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A subscription length: a positive count of months (`M`, up to 120) or years (`Y`, up to
/// 10), such as `1M`, `3M` or `1Y`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(extend("pattern" = "^(([1-9]|[1-9][0-9]|1[01][0-9]|120)M|([1-9]|10)Y)$", "examples" = ["1M", "6M", "1Y"]))]
pub struct Period(String);

impl Period {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Period {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl From<Period> for String {
    fn from(period: Period) -> String {
        period.0
    }
}

/// With the domain, a period is read by the core's rule (and refused with its sentence); a
/// client takes the text the server wrote.
#[cfg_attr(not(feature = "domain"), allow(clippy::infallible_try_from))]
impl TryFrom<String> for Period {
    #[cfg(feature = "domain")]
    type Error = tenure_core::period::PeriodError;
    #[cfg(not(feature = "domain"))]
    type Error = std::convert::Infallible;

    fn try_from(text: String) -> Result<Period, Self::Error> {
        #[cfg(feature = "domain")]
        text.parse::<tenure_core::period::Period>()?;
        Ok(Period(text))
    }
}

#[cfg(feature = "domain")]
impl From<tenure_core::period::Period> for Period {
    fn from(period: tenure_core::period::Period) -> Period {
        Period(period.to_string())
    }
}

#[cfg(feature = "domain")]
impl From<Period> for tenure_core::period::Period {
    fn from(period: Period) -> tenure_core::period::Period {
        period
            .0
            .parse()
            .expect("a wire period was read by the core's rule")
    }
}
