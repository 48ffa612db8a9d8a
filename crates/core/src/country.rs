//! Country codes: what an address's or a tax rule's country may be, and which countries are
//! member states of the European Union (for reverse charge).
//!
//! The list is ISO 3166-1 alpha-2's 249 officially assigned codes, written into the code from
//! the standard's list as of 2024 (ISO's Online Browsing Platform). Codes the standard reserves
//! or leaves to users (`EU`, `UK`, `XK`, `XI`, `AA`, `ZZ`…) are refused, and a code ISO assigns
//! later is refused until this list is updated: the list is data kept by hand, not looked up.
//! Tax prefixes that differ from the country's code (Greece's VAT ids start `EL`) are a tax
//! id's business, not a country's.

/// ISO 3166-1 alpha-2, officially assigned codes, in alphabetical order (a test holds it so).
pub const ISO_3166_ALPHA_2: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// The 27 member states of the European Union (since 1 February 2020), by their ISO codes.
/// Kept by hand like [`ISO_3166_ALPHA_2`]: a change of membership is a change here.
pub const EU_MEMBER_STATES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// Whether `code` is an officially assigned ISO 3166-1 alpha-2 code, as written: two upper-case
/// letters (`fr` is refused, not folded: a stored code has one spelling).
pub fn is_country_code(code: &str) -> bool {
    ISO_3166_ALPHA_2.binary_search(&code).is_ok()
}

/// Whether `code` is a member state of the European Union.
pub fn is_eu_member(code: &str) -> bool {
    EU_MEMBER_STATES.binary_search(&code).is_ok()
}

/// The refusal of a country that is not a code, in words, for every caller to say alike.
pub fn country_problem(code: &str) -> Option<String> {
    if is_country_code(code) {
        None
    } else {
        Some(format!(
            "`{code}` is not an ISO 3166-1 alpha-2 country code (two upper-case letters, such as FR or US)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_are_sorted_unique_and_well_formed() {
        for list in [&ISO_3166_ALPHA_2[..], &EU_MEMBER_STATES[..]] {
            assert!(list.windows(2).all(|pair| pair[0] < pair[1]), "{list:?}");
            assert!(list
                .iter()
                .all(|code| code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())));
        }
        assert!(EU_MEMBER_STATES.iter().all(|code| is_country_code(code)));
    }

    #[test]
    fn codes_are_checked_as_written() {
        assert!(is_country_code("FR"));
        assert!(is_country_code("US"));
        assert!(!is_country_code("fr"));
        assert!(!is_country_code("UK"), "the United Kingdom is GB");
        assert!(!is_country_code("EU"), "reserved, not a country");
        assert!(!is_country_code("FRA"));
        assert!(!is_country_code(""));
        assert!(is_eu_member("DE"));
        assert!(!is_eu_member("GB"));
        assert!(!is_eu_member("CH"));
        assert!(country_problem("XX").unwrap().contains("`XX`"));
        assert_eq!(country_problem("DE"), None);
    }
}
