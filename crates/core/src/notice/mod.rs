//! Notice texts as data: a subject and a plain-text body per notice, and the phrases some
//! bodies are made of (why an auto-renewal failed, where each part of a refund goes), kept as
//! templates in `catalog/notices.toml` and compiled into the binary. The rule that decides a
//! notice gives its values by name ([`NoticeTexts::notice`]); the words are the file's.
//!
//! A template may name only the values its rule gives ([`Template::placeholders`]), which is
//! checked when the texts are loaded: a mistyped placeholder in an operator's file is an error
//! of `tenure catalog check`, not a notice sent with a hole in it.

mod render;

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

pub use render::{readable_time, render, RenderError};

use crate::catalog::CatalogError;

/// The file the built-in texts are read from, and the name an operator's catalog folder gives
/// its own.
pub const NOTICES_FILE: &str = "notices.toml";

const BUILTIN: &str = include_str!("../../../../catalog/notices.toml");

/// Every template: a notice (subject and body) or a phrase (a text another body is made of).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Template {
    InstanceActivated,
    ExpiryReminder,
    InstanceExpired,
    ReleaseWarningDelete,
    ReleaseWarningFreeTier,
    ReleaseWarningFreeTierBlocked,
    InstanceReleased,
    InstanceMovedToFreeTier,
    ReleaseNeedsManualStep,
    InstanceReleasedByHand,
    InstanceMovedToFreeTierByHand,
    InstanceStopped,
    InstanceFrozen,
    AccountOverdue,
    AccountOverdueSettled,
    LowBalance,
    AutoRenewalFailed,
    AutoRenewalFailedReasonInsufficientFunds,
    AutoRenewalFailedReasonNotRenewable,
    AutoRenewalFailedReasonEndsInThePast,
    AutoRenewalFailedExpiryAhead,
    AutoRenewalFailedExpiryPast,
    AutoRenewalFailedNextAttempt,
    AutoRenewalFailedLastAttemptExpired,
    AutoRenewalFailedLastAttempt,
    InstanceUnsubscribed,
    RenewalUnsubscribed,
    RefundToCoupons,
    RefundToBalance,
    RefundToExternal,
    RefundCompleted,
    RefundRedirected,
    PaymentDisputed,
    InvoiceIssued,
    CreditNoteIssued,
    RenewalFundsReminder,
}

/// Whether a template is a whole notice or a phrase of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `subject` and `body`.
    Notice,
    /// `text`.
    Phrase,
}

impl Template {
    pub const ALL: [Template; 36] = [
        Template::InstanceActivated,
        Template::ExpiryReminder,
        Template::InstanceExpired,
        Template::ReleaseWarningDelete,
        Template::ReleaseWarningFreeTier,
        Template::ReleaseWarningFreeTierBlocked,
        Template::InstanceReleased,
        Template::InstanceMovedToFreeTier,
        Template::ReleaseNeedsManualStep,
        Template::InstanceReleasedByHand,
        Template::InstanceMovedToFreeTierByHand,
        Template::InstanceStopped,
        Template::InstanceFrozen,
        Template::AccountOverdue,
        Template::AccountOverdueSettled,
        Template::LowBalance,
        Template::AutoRenewalFailed,
        Template::AutoRenewalFailedReasonInsufficientFunds,
        Template::AutoRenewalFailedReasonNotRenewable,
        Template::AutoRenewalFailedReasonEndsInThePast,
        Template::AutoRenewalFailedExpiryAhead,
        Template::AutoRenewalFailedExpiryPast,
        Template::AutoRenewalFailedNextAttempt,
        Template::AutoRenewalFailedLastAttemptExpired,
        Template::AutoRenewalFailedLastAttempt,
        Template::InstanceUnsubscribed,
        Template::RenewalUnsubscribed,
        Template::RefundToCoupons,
        Template::RefundToBalance,
        Template::RefundToExternal,
        Template::RefundCompleted,
        Template::RefundRedirected,
        Template::PaymentDisputed,
        Template::InvoiceIssued,
        Template::CreditNoteIssued,
        Template::RenewalFundsReminder,
    ];

    /// Its table's name in `notices.toml`.
    pub fn id(self) -> &'static str {
        match self {
            Template::InstanceActivated => "instance_activated",
            Template::ExpiryReminder => "expiry_reminder",
            Template::InstanceExpired => "instance_expired",
            Template::ReleaseWarningDelete => "release_warning_delete",
            Template::ReleaseWarningFreeTier => "release_warning_free_tier",
            Template::ReleaseWarningFreeTierBlocked => "release_warning_free_tier_blocked",
            Template::InstanceReleased => "instance_released",
            Template::InstanceMovedToFreeTier => "instance_moved_to_free_tier",
            Template::ReleaseNeedsManualStep => "release_needs_manual_step",
            Template::InstanceReleasedByHand => "instance_released_by_hand",
            Template::InstanceMovedToFreeTierByHand => "instance_moved_to_free_tier_by_hand",
            Template::InstanceStopped => "instance_stopped",
            Template::InstanceFrozen => "instance_frozen",
            Template::AccountOverdue => "account_overdue",
            Template::AccountOverdueSettled => "account_overdue_settled",
            Template::LowBalance => "low_balance",
            Template::AutoRenewalFailed => "auto_renewal_failed",
            Template::AutoRenewalFailedReasonInsufficientFunds => {
                "auto_renewal_failed_reason_insufficient_funds"
            }
            Template::AutoRenewalFailedReasonNotRenewable => {
                "auto_renewal_failed_reason_not_renewable"
            }
            Template::AutoRenewalFailedReasonEndsInThePast => {
                "auto_renewal_failed_reason_ends_in_the_past"
            }
            Template::AutoRenewalFailedExpiryAhead => "auto_renewal_failed_expiry_ahead",
            Template::AutoRenewalFailedExpiryPast => "auto_renewal_failed_expiry_past",
            Template::AutoRenewalFailedNextAttempt => "auto_renewal_failed_next_attempt",
            Template::AutoRenewalFailedLastAttemptExpired => {
                "auto_renewal_failed_last_attempt_expired"
            }
            Template::AutoRenewalFailedLastAttempt => "auto_renewal_failed_last_attempt",
            Template::InstanceUnsubscribed => "instance_unsubscribed",
            Template::RenewalUnsubscribed => "renewal_unsubscribed",
            Template::RefundToCoupons => "refund_to_coupons",
            Template::RefundToBalance => "refund_to_balance",
            Template::RefundToExternal => "refund_to_external",
            Template::RefundCompleted => "refund_completed",
            Template::RefundRedirected => "refund_redirected",
            Template::PaymentDisputed => "payment_disputed",
            Template::InvoiceIssued => "invoice_issued",
            Template::CreditNoteIssued => "credit_note_issued",
            Template::RenewalFundsReminder => "renewal_funds_reminder",
        }
    }

    pub fn shape(self) -> Shape {
        match self {
            Template::AutoRenewalFailedReasonInsufficientFunds
            | Template::AutoRenewalFailedReasonNotRenewable
            | Template::AutoRenewalFailedReasonEndsInThePast
            | Template::AutoRenewalFailedExpiryAhead
            | Template::AutoRenewalFailedExpiryPast
            | Template::AutoRenewalFailedNextAttempt
            | Template::AutoRenewalFailedLastAttemptExpired
            | Template::AutoRenewalFailedLastAttempt
            | Template::RefundToCoupons
            | Template::RefundToBalance
            | Template::RefundToExternal => Shape::Phrase,
            _ => Shape::Notice,
        }
    }

    /// The values its rule gives, by name: all a template may name.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            Template::InstanceActivated => &["product", "instance", "activated_at", "expires_at"],
            Template::ExpiryReminder => &["product", "instance", "expires_at", "retention_days"],
            Template::InstanceExpired => &["product", "instance", "expires_at", "release_at"],
            Template::ReleaseWarningDelete | Template::ReleaseWarningFreeTier => {
                &["product", "instance", "expires_at", "release_at"]
            }
            Template::ReleaseWarningFreeTierBlocked => &[
                "product",
                "instance",
                "expires_at",
                "release_at",
                "blocked_by",
            ],
            Template::InstanceReleased | Template::InstanceMovedToFreeTier => {
                &["product", "instance", "retention_days"]
            }
            Template::ReleaseNeedsManualStep => {
                &["product", "instance", "retention_days", "blocked_by"]
            }
            Template::InstanceReleasedByHand | Template::InstanceMovedToFreeTierByHand => {
                &["product", "instance", "released_at"]
            }
            Template::InstanceStopped => &["product", "instance", "grace_hours", "stopped_at"],
            Template::InstanceFrozen => &["product", "instance", "last_active_at"],
            Template::AccountOverdue => &["debt", "available_credit"],
            Template::AccountOverdueSettled => &["paid"],
            Template::LowBalance => &["available_credit", "threshold"],
            Template::AutoRenewalFailed => &[
                "product",
                "instance",
                "expires_at",
                "expiry",
                "reason",
                "next_step",
            ],
            Template::AutoRenewalFailedReasonInsufficientFunds => &["due", "available"],
            Template::AutoRenewalFailedReasonNotRenewable
            | Template::AutoRenewalFailedReasonEndsInThePast
            | Template::AutoRenewalFailedExpiryAhead
            | Template::AutoRenewalFailedExpiryPast => &[],
            Template::AutoRenewalFailedNextAttempt => &["next_attempt_at"],
            Template::AutoRenewalFailedLastAttemptExpired => &["release_at"],
            Template::AutoRenewalFailedLastAttempt => &["expires_at", "release_at"],
            Template::InstanceUnsubscribed => {
                &["product", "instance", "refund", "refund_destinations"]
            }
            Template::RenewalUnsubscribed => &[
                "order",
                "instance",
                "expires_at",
                "refund",
                "refund_destinations",
            ],
            Template::RefundToCoupons | Template::RefundToBalance => &["amount"],
            Template::RefundToExternal => &["amount", "destination", "expected_by"],
            Template::RefundCompleted => &["refund_id", "amount", "destination"],
            Template::RefundRedirected => &["refund_id", "amount", "reason"],
            Template::PaymentDisputed => &[
                "account_id",
                "account_name",
                "amount",
                "reason",
                "payment_id",
                "charge_id",
            ],
            Template::InvoiceIssued => &["number", "issued_on", "gross", "paid", "due"],
            Template::CreditNoteIssued => &["number", "issued_on", "gross", "corrects"],
            Template::RenewalFundsReminder => {
                &["available_credit", "at_risk", "runs_out_on", "deductions"]
            }
        }
    }

    fn from_id(id: &str) -> Option<Template> {
        Template::ALL
            .into_iter()
            .find(|template| template.id() == id)
    }
}

/// One template's texts, as the file holds them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    subject: Option<String>,
    body: Option<String>,
    text: Option<String>,
}

/// Every template's texts, checked: each present, of its shape, naming only its placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeTexts {
    entries: HashMap<Template, Entry>,
}

/// A rendered notice's subject and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeText {
    pub subject: String,
    pub body: String,
}

impl NoticeTexts {
    /// The texts of `catalog/notices.toml`, compiled in.
    pub fn builtin() -> NoticeTexts {
        parse_texts("catalog/notices.toml", BUILTIN, None)
            .expect("the built-in notice texts are valid (tested)")
    }

    /// A notice's subject and body with `values` in place.
    ///
    /// # Panics
    /// If `template` is a phrase. A template naming a value not given cannot be loaded (every
    /// name is one of [`Template::placeholders`]), and every rule gives all of its template's
    /// (checked in debug builds, so by every test that takes the rule).
    pub fn notice(&self, template: Template, values: &[(&str, &str)]) -> NoticeText {
        assert_eq!(
            template.shape(),
            Shape::Notice,
            "{} is a phrase",
            template.id()
        );
        let entry = self.entry(template, values);
        NoticeText {
            subject: filled(template, entry.subject.as_deref(), values),
            body: filled(template, entry.body.as_deref(), values),
        }
    }

    /// A phrase with `values` in place (see [`NoticeTexts::notice`]).
    pub fn phrase(&self, template: Template, values: &[(&str, &str)]) -> String {
        assert_eq!(
            template.shape(),
            Shape::Phrase,
            "{} is a notice",
            template.id()
        );
        filled(
            template,
            self.entry(template, values).text.as_deref(),
            values,
        )
    }

    fn entry(&self, template: Template, values: &[(&str, &str)]) -> &Entry {
        debug_assert!(
            template
                .placeholders()
                .iter()
                .all(|name| values.iter().any(|(given, _)| given == name))
                && values
                    .iter()
                    .all(|(given, _)| template.placeholders().contains(given)),
            "the rule of {} gives {:?}, its placeholders are {:?}",
            template.id(),
            values.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            template.placeholders()
        );
        &self.entries[&template]
    }
}

fn filled(template: Template, text: Option<&str>, values: &[(&str, &str)]) -> String {
    let text = text.expect("a loaded template has every text of its shape");
    let mut filled =
        render(text, values).unwrap_or_else(|error| panic!("{}: {error}", template.id()));
    // A value that ends a text may be empty (no refund, no destination lines): no trailing
    // blank line then.
    filled.truncate(filled.trim_end().len());
    filled
}

/// Parses and checks a notices file. With `base`, the file may hold only some templates, which
/// replace the base's; without, it must hold every one. Every problem is reported at once.
pub fn parse_texts(
    file: &str,
    text: &str,
    base: Option<&NoticeTexts>,
) -> Result<NoticeTexts, Vec<CatalogError>> {
    let problem = |field: &str, problem: String| CatalogError {
        file: file.to_string(),
        field: field.to_string(),
        problem,
    };
    let raw: BTreeMap<String, Entry> = toml::from_str(text).map_err(|parse_error| {
        let field = match parse_error.span() {
            Some(span) => format!(
                "line {}",
                text[..span.start.min(text.len())].matches('\n').count() + 1
            ),
            None => "-".into(),
        };
        vec![problem(&field, parse_error.message().to_string())]
    })?;
    let mut errors = Vec::new();
    let mut entries = base.map(|base| base.entries.clone()).unwrap_or_default();
    for (id, entry) in raw {
        let Some(template) = Template::from_id(&id) else {
            errors.push(problem(
                &id,
                "no notice or phrase has this name (docs/events.md lists them)".into(),
            ));
            continue;
        };
        let fields: [(&str, &Option<String>); 3] = [
            ("subject", &entry.subject),
            ("body", &entry.body),
            ("text", &entry.text),
        ];
        for (name, value) in fields {
            let wanted = match template.shape() {
                Shape::Notice => name != "text",
                Shape::Phrase => name == "text",
            };
            let field = format!("{id}.{name}");
            match (value, wanted) {
                (None, true) => errors.push(problem(&field, "missing".into())),
                (Some(_), false) => errors.push(problem(
                    &field,
                    match template.shape() {
                        Shape::Notice => "a notice has a subject and a body, not a text".into(),
                        Shape::Phrase => "a phrase has a text, not a subject or a body".into(),
                    },
                )),
                (Some(value), true) => {
                    if let Err(error) = render::check(value, template.placeholders()) {
                        errors.push(problem(&field, error.to_string()));
                    }
                }
                (None, false) => {}
            }
        }
        entries.insert(template, entry);
    }
    for template in Template::ALL {
        if !entries.contains_key(&template) {
            errors.push(problem(template.id(), "missing".into()));
        }
    }
    if errors.is_empty() {
        Ok(NoticeTexts { entries })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
