//! Credentials in a URL the operator configured (`smtp://user:password@host`, a webhook's
//! `https://user:password@host/hook`, an SMS gateway's): sending needs them, nothing that shows
//! the URL does. Every log line, error and answer that names such a URL names it redacted.

/// `url` with the password of its user information replaced by `***` (`user:***@host`), or,
/// with a user and no password, the user itself (`***@host`: a lone user name is often a
/// token). Read as text, not parsed: a URL that does not parse must not show its password in
/// an error either. A URL without user information is returned as it is.
pub fn redact_url_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    match user_info.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
        None => format!("{scheme}://***@{host}{path}"),
    }
}

/// `text` (an error, say) with every URL in it redacted by [`redact_url_credentials`]: a URL
/// is a run of characters without white space, parentheses or quotes that holds `://`.
pub fn redact_credentials_in(text: &str) -> String {
    let mut redacted = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find("://") {
        let start = rest[..found]
            .rfind(|c: char| !is_url_char(c))
            .map_or(0, |at| at + 1);
        let end = rest[found..]
            .find(|c: char| !is_url_char(c))
            .map_or(rest.len(), |at| found + at);
        redacted.push_str(&rest[..start]);
        redacted.push_str(&redact_url_credentials(&rest[start..end]));
        rest = &rest[end..];
    }
    redacted.push_str(rest);
    redacted
}

fn is_url_char(c: char) -> bool {
    !(c.is_whitespace() || matches!(c, '(' | ')' | '"' | '\'' | '<' | '>' | '`'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_lone_users_are_redacted() {
        assert_eq!(
            redact_url_credentials("https://ops:s3cret@hooks.example.com:8443/in?x=1"),
            "https://ops:***@hooks.example.com:8443/in?x=1"
        );
        assert_eq!(
            redact_url_credentials("https://tok3n@hooks.example.com/in"),
            "https://***@hooks.example.com/in"
        );
        assert_eq!(
            redact_url_credentials("smtps://u:pw@:25"),
            "smtps://u:***@:25",
            "a URL that would not parse is redacted too"
        );
        for plain in [
            "https://hooks.example.com/in?email=a@b.c",
            "not a url",
            "https://hooks.example.com",
        ] {
            assert_eq!(redact_url_credentials(plain), plain);
        }
    }

    #[test]
    fn urls_inside_text_are_redacted() {
        assert_eq!(
            redact_credentials_in(
                "error sending request for url (https://ops:s3cret@h.example.com/in): refused; \
                 then http://a:b@c/ again"
            ),
            "error sending request for url (https://ops:***@h.example.com/in): refused; \
             then http://a:***@c/ again"
        );
        assert_eq!(redact_credentials_in("answered 500"), "answered 500");
    }
}
