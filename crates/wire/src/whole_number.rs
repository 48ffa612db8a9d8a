//! Integer fields of requests (amounts in minor units, counts, page sizes) as JSON numbers:
//! JSON does not tell `5` from `5.0`, and neither does JSON Schema's `integer`, so a whole
//! number written with a fraction of zero is taken. A real fraction, or a number beyond what a
//! double holds exactly (2^53), is refused: amounts are never rounded here.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// The largest integer a JSON double holds exactly.
const EXACT_DOUBLE: f64 = 9_007_199_254_740_992.0;

/// `from_text`: a query string's value, which is always text; a JSON string is refused.
#[derive(Clone, Copy)]
struct WholeNumber {
    from_text: bool,
}

impl Visitor<'_> for WholeNumber {
    type Value = i64;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a whole number")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<i64, E> {
        Ok(value)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<i64, E> {
        i64::try_from(value).map_err(|_| E::custom(format!("{value} is too large")))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<i64, E> {
        if value.fract() == 0.0 && value.abs() <= EXACT_DOUBLE {
            // Exact: a whole double within 2^53 converts without rounding.
            Ok(value as i64)
        } else {
            Err(E::custom(format!("{value} is not a whole number")))
        }
    }

    /// Query strings carry numbers as text.
    fn visit_str<E: de::Error>(self, text: &str) -> Result<i64, E> {
        if !self.from_text {
            return Err(E::invalid_type(de::Unexpected::Str(text), &self));
        }
        match text.parse::<i64>() {
            Ok(value) => Ok(value),
            Err(_) => text
                .parse::<f64>()
                .map_err(|_| E::custom(format!("`{text}` is not a whole number")))
                .and_then(|value| self.visit_f64(value)),
        }
    }
}

/// A JSON body's whole number.
pub fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    deserializer.deserialize_any(WholeNumber { from_text: false })
}

/// A JSON body's whole number or null.
pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    maybe(deserializer, WholeNumber { from_text: false })
}

/// A query parameter's whole number, when given.
pub fn query<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    maybe(deserializer, WholeNumber { from_text: true })
}

fn maybe<'de, D: Deserializer<'de>>(
    deserializer: D,
    whole: WholeNumber,
) -> Result<Option<i64>, D::Error> {
    struct MaybeWholeNumber(WholeNumber);

    impl<'de> Visitor<'de> for MaybeWholeNumber {
        type Value = Option<i64>;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("a whole number or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Option<i64>, D::Error> {
            deserializer.deserialize_any(self.0).map(Some)
        }
    }

    deserializer.deserialize_option(MaybeWholeNumber(whole))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::number")]
        amount: i64,
        #[serde(default, deserialize_with = "super::optional")]
        limit: Option<i64>,
    }

    fn parse(text: &str) -> Result<Body, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn takes_whole_numbers_however_written_and_refuses_fractions() {
        assert_eq!(parse(r#"{"amount": 1250}"#).unwrap().amount, 1250);
        assert_eq!(parse(r#"{"amount": 1250.0}"#).unwrap().amount, 1250);
        assert_eq!(parse(r#"{"amount": -3e2}"#).unwrap().amount, -300);
        assert!(parse(r#"{"amount": 12.5}"#).is_err());
        assert!(parse(r#"{"amount": 1e300}"#).is_err());
        assert!(
            parse(r#"{"amount": "12"}"#).is_err(),
            "a JSON string is not a number"
        );
        assert_eq!(
            parse(r#"{"amount": 1, "limit": null}"#).unwrap().limit,
            None
        );
        assert_eq!(parse(r#"{"amount": 1}"#).unwrap().limit, None);
        assert_eq!(
            parse(r#"{"amount": 1, "limit": 20.0}"#).unwrap().limit,
            Some(20)
        );
    }
}
