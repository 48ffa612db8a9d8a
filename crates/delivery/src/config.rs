//! Where notices and events go, as `tenure serve` is told: read and checked at start, so a
//! mistyped URL is a clear error then, not a notice failing days later.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::Tokio1Executor;
use tenure_core::delivery::{redact_url_credentials, DeliveryPolicy};

/// The channels as configured: text given on the command line or in the environment.
#[derive(Debug, Clone, Default)]
pub struct ChannelUrls {
    /// `smtp://[USER:PASSWORD@]HOST[:PORT]` (STARTTLS with `?tls=required`) or `smtps://…`
    /// (TLS from the start).
    pub smtp_url: Option<String>,
    /// The sender of every email: `billing@example.com` or `Billing <billing@example.com>`.
    pub smtp_from: Option<String>,
    /// An http or https URL each SMS is POSTed to.
    pub sms_gateway_url: Option<String>,
    /// Where notices meant for the operator go (a card payment's dispute), by email.
    pub operator_email: Option<String>,
}

/// How the deliverer runs.
#[derive(Debug, Clone)]
pub struct DelivererSettings {
    /// Deliveries sent at once, at most; also the most claimed at a time.
    pub concurrency: usize,
    /// How often the outbox is looked at when nothing is due.
    pub poll_interval: Duration,
    /// How long one attempt may take (connecting, sending, the answer).
    pub send_timeout: Duration,
    pub policy: DeliveryPolicy,
}

impl Default for DelivererSettings {
    fn default() -> Self {
        DelivererSettings {
            concurrency: 16,
            poll_interval: Duration::from_secs(1),
            send_timeout: Duration::from_secs(10),
            policy: DeliveryPolicy::default(),
        }
    }
}

impl DelivererSettings {
    /// How long a claim keeps other senders off a delivery: past the send's timeout with room
    /// to record the answer, so that a delivery is sent once by one sender, not raced.
    pub fn lease(&self) -> Duration {
        self.send_timeout * 3
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("--smtp-url `{url}` is not an SMTP URL (smtp://HOST:PORT or smtps://HOST:PORT, user and password in the URL): {why}")]
    BadSmtpUrl { url: String, why: String },
    #[error("--smtp-url needs --smtp-from, the address emails are sent from")]
    MissingFrom,
    #[error("--smtp-from `{0}` is not an email address (billing@example.com, or Billing <billing@example.com>)")]
    BadFrom(String),
    #[error("--sms-gateway-url `{0}` is not an http or https URL")]
    BadSmsUrl(String),
    #[error("--operator-email `{0}` is not an email address (ops@example.com)")]
    BadOperatorEmail(String),
}

/// The SMTP server and sender, checked.
#[derive(Clone)]
pub struct Smtp {
    pub(crate) transport: AsyncSmtpTransport<Tokio1Executor>,
    pub(crate) from: Mailbox,
    /// The URL without its password, for the start-up line.
    pub(crate) shown: String,
}

/// The channels, checked: each is on when it was given.
#[derive(Clone, Default)]
pub struct Channels {
    pub(crate) smtp: Option<Smtp>,
    pub(crate) sms_gateway: Option<url::Url>,
    operator_email: Option<String>,
}

impl Channels {
    /// Checks every URL and address given.
    pub fn from_urls(urls: &ChannelUrls, send_timeout: Duration) -> Result<Channels, ConfigError> {
        let smtp = match &urls.smtp_url {
            None => None,
            Some(url) => {
                let bad = |why: String| ConfigError::BadSmtpUrl {
                    url: redact_url_credentials(url),
                    why,
                };
                let parsed = url::Url::parse(url).map_err(|error| bad(error.to_string()))?;
                if !matches!(parsed.scheme(), "smtp" | "smtps") {
                    return Err(bad("the scheme must be smtp or smtps".to_string()));
                }
                if parsed.host_str().is_none_or(str::is_empty) {
                    return Err(bad("it names no host".to_string()));
                }
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|error| bad(error.to_string()))?
                    .timeout(Some(send_timeout))
                    .build();
                let from = urls.smtp_from.as_deref().ok_or(ConfigError::MissingFrom)?;
                let from: Mailbox = from
                    .parse()
                    .map_err(|_| ConfigError::BadFrom(from.to_string()))?;
                Some(Smtp {
                    transport,
                    from,
                    shown: redact_url_credentials(url),
                })
            }
        };
        let sms_gateway = match &urls.sms_gateway_url {
            None => None,
            Some(text) => {
                let url = url::Url::parse(text)
                    .ok()
                    .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
                    .ok_or_else(|| ConfigError::BadSmsUrl(redact_url_credentials(text)))?;
                Some(url)
            }
        };
        // Checked as the sender checks a recipient, so a notice is not written for an address
        // no email can go to.
        let operator_email = match urls.operator_email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(address) => match address.parse::<Mailbox>() {
                Ok(_) => Some(address.to_string()),
                Err(_) => return Err(ConfigError::BadOperatorEmail(address.to_string())),
            },
        };
        Ok(Channels {
            smtp,
            sms_gateway,
            operator_email,
        })
    }

    /// Which notice channels the engine may queue deliveries for.
    pub fn engine_channels(&self) -> tenure_engine::Channels {
        tenure_engine::Channels {
            email: self.smtp.is_some(),
            sms: self.sms_gateway.is_some(),
        }
    }

    /// Where the operator's notices go, if the operator gave an address.
    pub fn operator_email(&self) -> Option<String> {
        self.operator_email.clone()
    }

    /// One line for the start-up log: which channels are on, and where they go.
    pub fn describe(&self) -> String {
        let email = match &self.smtp {
            Some(smtp) => format!("email on ({}, from {})", smtp.shown, smtp.from),
            None => "email off (no --smtp-url)".to_string(),
        };
        let sms = match &self.sms_gateway {
            Some(url) => format!("SMS on ({})", redact_url_credentials(url.as_str())),
            None => "SMS off (no --sms-gateway-url)".to_string(),
        };
        let operator = match &self.operator_email {
            Some(address) => format!("operator's notices to {address}"),
            None => "no operator's notices (no --operator-email: a card dispute is an event only)"
                .to_string(),
        };
        format!(
            "{email}; {sms}; webhooks on (to the endpoints of /v1/webhook-endpoints); {operator}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(smtp: Option<&str>, from: Option<&str>, sms: Option<&str>) -> ChannelUrls {
        ChannelUrls {
            smtp_url: smtp.map(str::to_string),
            smtp_from: from.map(str::to_string),
            sms_gateway_url: sms.map(str::to_string),
            operator_email: None,
        }
    }

    fn checked(urls: &ChannelUrls) -> Result<Channels, ConfigError> {
        Channels::from_urls(urls, Duration::from_secs(10))
    }

    #[tokio::test]
    async fn good_urls_turn_their_channels_on_and_say_so_without_the_password() {
        let channels = checked(&urls(
            Some("smtp://user:secret@127.0.0.1:2525"),
            Some("Billing <billing@example.com>"),
            Some("https://gateway:hunter2@sms.example.com/send"),
        ))
        .unwrap();
        assert_eq!(
            channels.engine_channels(),
            tenure_engine::Channels {
                email: true,
                sms: true
            }
        );
        let said = channels.describe();
        assert!(
            said.contains("email on (smtp://user:***@127.0.0.1:2525"),
            "{said}"
        );
        assert!(!said.contains("secret"), "{said}");
        assert!(
            said.contains("SMS on (https://gateway:***@sms.example.com/send)"),
            "{said}"
        );
        let none = checked(&ChannelUrls::default()).unwrap();
        assert_eq!(none.engine_channels(), tenure_engine::Channels::default());
        assert!(none.describe().contains("email off"));
        assert!(none.describe().contains("a card dispute is an event only"));
        assert_eq!(none.operator_email(), None);

        let operator = checked(&ChannelUrls {
            operator_email: Some("ops@example.com".to_string()),
            ..ChannelUrls::default()
        })
        .unwrap();
        assert_eq!(
            operator.operator_email().as_deref(),
            Some("ops@example.com")
        );
        assert!(operator
            .describe()
            .contains("operator's notices to ops@example.com"));
    }

    #[tokio::test]
    async fn bad_urls_and_addresses_are_refused_with_what_to_write() {
        let refused = |urls: ChannelUrls| checked(&urls).err().unwrap();
        assert!(matches!(
            refused(urls(Some("mail.example.com:25"), Some("a@b.c"), None)),
            ConfigError::BadSmtpUrl { .. }
        ));
        assert!(matches!(
            refused(urls(Some("http://mail.example.com"), Some("a@b.c"), None)),
            ConfigError::BadSmtpUrl { .. }
        ));
        assert_eq!(
            refused(urls(Some("smtp://mail.example.com"), None, None)),
            ConfigError::MissingFrom
        );
        assert_eq!(
            refused(urls(
                Some("smtp://mail.example.com"),
                Some("not an address"),
                None
            )),
            ConfigError::BadFrom("not an address".to_string())
        );
        assert_eq!(
            refused(urls(None, None, Some("ftp://sms.example.com"))),
            ConfigError::BadSmsUrl("ftp://sms.example.com".to_string())
        );
        assert_eq!(
            refused(ChannelUrls {
                operator_email: Some("ops at example".to_string()),
                ..ChannelUrls::default()
            }),
            ConfigError::BadOperatorEmail("ops at example".to_string())
        );
        let error = refused(urls(Some("smtps://u:pw@:25"), Some("a@b.c"), None)).to_string();
        assert!(!error.contains(":pw@"), "{error}");
        let error = refused(urls(None, None, Some("ftp://u:pw@sms.example.com"))).to_string();
        assert!(!error.contains(":pw@"), "{error}");
    }
}
