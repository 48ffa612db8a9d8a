//! What clients call each operation: its `operationId`, a verb and a noun (`renewInstance`,
//! `listInstances`), which generators turn into method names, and the short summary a viewer
//! lists it by. One row per route of the table; a test holds every route to having one, and
//! the names to being unique and verb first. A route's own summary (its sentence in
//! `routes/`) becomes the operation's description.

use axum::http::Method;

/// `(method, path, operationId, summary)`.
#[rustfmt::skip]
pub const OPERATIONS: &[(&str, &str, &str, &str)] = &[
    ("GET", "/docs", "getDocumentation", "The documentation page"),
    ("GET", "/healthz", "getHealth", "Health"),
    ("GET", "/metrics", "getMetrics", "Prometheus metrics"),
    ("GET", "/openapi.json", "getOpenApiDocument", "The OpenAPI document"),
    ("GET", "/v1/products", "listProducts", "List products"),
    ("GET", "/v1/accounts", "listAccounts", "List accounts"),
    ("POST", "/v1/accounts", "createAccount", "Open an account"),
    ("GET", "/v1/accounts/{id}", "getAccount", "Get an account"),
    ("POST", "/v1/accounts/{id}/coupons", "grantCoupons", "Grant coupons"),
    ("POST", "/v1/accounts/{id}/deposits", "createDeposit", "Deposit funds"),
    ("GET", "/v1/accounts/{id}/forecast", "getBalanceForecast", "Forecast the balance"),
    ("GET", "/v1/accounts/{id}/ledger", "listLedgerEntries", "List ledger entries"),
    ("PUT", "/v1/accounts/{id}/low-balance-alert", "setLowBalanceAlert", "Set the low-balance alert"),
    ("GET", "/v1/accounts/{id}/billing-profile", "getBillingProfile", "Get the billing profile"),
    ("PUT", "/v1/accounts/{id}/billing-profile", "setBillingProfile", "Set the billing profile"),
    ("POST", "/v1/accounts/{id}/owner-key/rotate", "rotateOwnerKey", "Rotate the owner key"),
    ("POST", "/v1/accounts/{id}/unfreeze", "unfreezeAccount", "Unfreeze an account"),
    ("GET", "/v1/accounts/{id}/users", "listUsers", "List users"),
    ("POST", "/v1/accounts/{id}/users", "createUser", "Add a user"),
    ("DELETE", "/v1/accounts/{id}/users/{user_id}", "revokeUser", "Revoke a user's key"),
    ("POST", "/v1/accounts/{id}/vouchers", "grantVouchers", "Grant vouchers"),
    ("GET", "/v1/accounts/{id}/payment-methods", "listCards", "List saved cards"),
    ("POST", "/v1/accounts/{id}/payment-methods", "saveCard", "Save a card"),
    ("POST", "/v1/accounts/{id}/payment-methods/setup", "startCardSetup", "Start saving a card in the browser"),
    ("DELETE", "/v1/accounts/{id}/payment-methods/{card_id}", "removeCard", "Remove a saved card"),
    ("POST", "/v1/accounts/{id}/payment-methods/{card_id}/default", "setDefaultCard", "Make a card the default"),
    ("GET", "/v1/payments", "listPayments", "List payments through the provider"),
    ("POST", "/v1/providers/stripe/webhook", "receiveStripeEvent", "Receive a Stripe event"),
    ("GET", "/v1/invoices", "listInvoices", "List invoices and credit notes"),
    ("GET", "/v1/invoices/{id}", "getInvoice", "Get an invoice or credit note"),
    ("GET", "/v1/invoices/{id}/pdf", "getInvoicePdf", "Get an invoice's PDF with its Factur-X XML"),
    ("GET", "/v1/overview", "getOverview", "Get the fleet's overview"),
    ("GET", "/v1/forecast", "getFleetForecast", "Forecast the fleet's unpaid auto-renewals"),
    ("POST", "/v1/forecast/reminders", "sendRenewalReminders", "Remind accounts to add funds for their renewals"),
    ("GET", "/v1/instances", "listInstances", "List instances"),
    ("POST", "/v1/instances", "purchaseInstance", "Buy an instance"),
    ("GET", "/v1/instances/{id}", "getInstance", "Get an instance"),
    ("PATCH", "/v1/instances/{id}", "updateInstance", "Name or tag an instance"),
    ("PUT", "/v1/instances/{id}/auto-renewal", "setAutoRenewal", "Set auto-renewal"),
    ("PUT", "/v1/instances/{id}/renewal-mode", "setRenewalMode", "Set the renewal mode"),
    ("POST", "/v1/instances/{id}/renew", "renewInstance", "Renew an instance"),
    ("POST", "/v1/instances/{id}/change", "changeInstance", "Upgrade or downgrade"),
    ("POST", "/v1/instances/{id}/change/quote", "quoteChange", "Quote a change"),
    ("POST", "/v1/instances/{id}/continue-trial", "continueTrial", "Continue a free trial"),
    ("PUT", "/v1/instances/{id}/domain-statuses", "setDomainStatuses", "Set a domain's statuses"),
    ("GET", "/v1/instances/{id}/quota", "getQuota", "Get a resource plan's quota"),
    ("POST", "/v1/instances/{id}/quota-usage", "recordQuotaUsage", "Record quota usage"),
    ("POST", "/v1/instances/{id}/release", "releaseInstance", "Release an instance"),
    ("POST", "/v1/instances/{id}/unsubscribe", "unsubscribeInstance", "Unsubscribe an instance"),
    ("GET", "/v1/instances/{id}/unsubscribe/quote", "quoteUnsubscription", "Quote an unsubscription"),
    ("POST", "/v1/instances/{id}/upgrade-to-subscription", "upgradeToSubscription", "Turn a free instance into a subscription"),
    ("POST", "/v1/renewals", "renewInstances", "Renew several instances"),
    ("POST", "/v1/renewals/quote", "quoteRenewals", "Quote renewing several instances"),
    ("GET", "/v1/approvals", "listApprovals", "List change approvals"),
    ("GET", "/v1/approvals/{id}", "getApproval", "Get a change approval"),
    ("POST", "/v1/approvals/{id}/approve", "approveChange", "Approve a change"),
    ("POST", "/v1/approvals/{id}/cancel", "cancelChange", "Withdraw a change"),
    ("POST", "/v1/approvals/{id}/reject", "rejectChange", "Reject a change"),
    ("GET", "/v1/orders", "listOrders", "List orders"),
    ("GET", "/v1/orders/{id}", "getOrder", "Get an order"),
    ("POST", "/v1/orders/{id}/unsubscribe", "unsubscribeOrder", "Unsubscribe a pending renewal order"),
    ("POST", "/v1/unsubscriptions", "unsubscribeInstances", "Unsubscribe several instances"),
    ("GET", "/v1/unsubscriptions/eligible", "listUnsubscribableInstances", "List what can be unsubscribed"),
    ("GET", "/v1/unsubscriptions/pending-renewals", "listPendingRenewals", "List pending renewal orders"),
    ("GET", "/v1/refunds", "listRefunds", "List refunds"),
    ("GET", "/v1/refunds/{id}", "getRefund", "Get a refund"),
    ("POST", "/v1/refunds/{id}/complete", "completeRefund", "Complete an outside refund"),
    ("POST", "/v1/usage", "reportUsage", "Report usage"),
    ("GET", "/v1/bills", "listBills", "List bills"),
    ("GET", "/v1/bills/{id}", "getBill", "Get a bill"),
    ("GET", "/v1/events", "listEvents", "List events"),
    ("GET", "/v1/notifications", "listNotifications", "List notices"),
    ("GET", "/v1/clock", "getClock", "Get the clock"),
    ("POST", "/v1/clock/advance", "advanceClock", "Advance the simulated clock"),
    ("POST", "/v1/ledger/audit", "auditLedger", "Audit every account's ledger"),
    ("GET", "/v1/webhook-endpoints", "listWebhookEndpoints", "List webhook endpoints"),
    ("POST", "/v1/webhook-endpoints", "createWebhookEndpoint", "Add a webhook endpoint"),
    ("GET", "/v1/webhook-endpoints/{id}", "getWebhookEndpoint", "Get a webhook endpoint"),
    ("DELETE", "/v1/webhook-endpoints/{id}", "deleteWebhookEndpoint", "Delete a webhook endpoint"),
    ("POST", "/v1/webhook-endpoints/{id}/rotate-secret", "rotateWebhookSecret", "Rotate a webhook secret"),
    ("GET", "/v1/deliveries", "listDeliveries", "List deliveries"),
    ("GET", "/v1/deliveries/{id}", "getDelivery", "Get a delivery"),
    ("POST", "/v1/deliveries/{id}/retry", "retryDelivery", "Retry a delivery"),
    ("GET", "/v1/stuck-steps", "listStuckSteps", "List stuck steps"),
    ("POST", "/v1/stuck-steps/{id}/retry", "retryStuckStep", "Retry a stuck step"),
];

/// The verbs an operationId may start with.
#[cfg(test)]
const VERBS: &[&str] = &[
    "get",
    "list",
    "create",
    "delete",
    "set",
    "grant",
    "rotate",
    "unfreeze",
    "revoke",
    "purchase",
    "renew",
    "change",
    "quote",
    "continue",
    "record",
    "release",
    "unsubscribe",
    "upgrade",
    "approve",
    "cancel",
    "reject",
    "complete",
    "report",
    "advance",
    "retry",
    "save",
    "remove",
    "receive",
    "start",
    "update",
    "send",
    "audit",
];

/// The tags operations are grouped by, in the order a reader meets them, with what each holds.
/// A tag is a path's first segment after `/v1` (`service` for the rest).
#[rustfmt::skip]
pub const TAGS: &[(&str, &str)] = &[
    ("accounts", "Customer accounts: balance, deposits, coupons and vouchers, the ledger, users and their keys."),
    ("products", "The catalog: products, editions, specs, prices and policies."),
    ("instances", "Buying instances, renewing them, changing them, releasing and unsubscribing them."),
    ("renewals", "Renewing several instances at once."),
    ("approvals", "Changes that wait for the operator's decision."),
    ("orders", "What was paid for each period and change."),
    ("unsubscriptions", "Unsubscribing several instances at once, and what can be unsubscribed."),
    ("refunds", "Refunds: amount, destination and status."),
    ("payments", "Every charge and refund made through the payment provider, and its outcome."),
    ("providers", "What the payment provider tells tenure: its signed webhooks."),
    ("usage", "Pay-as-you-go usage, reported by the operator's metering."),
    ("bills", "Pay-as-you-go bills, one per instance per cycle."),
    ("events", "The event log."),
    ("notifications", "Notices sent to customers."),
    ("webhook-endpoints", "Endpoints that hear of events, signed per Standard Webhooks."),
    ("deliveries", "Every email, SMS and webhook message sent, and its attempts."),
    ("stuck-steps", "Lifecycle steps that failed, and their retry."),
    ("overview", "The operator's view of the fleet: revenue, instances, and what needs a look."),
    ("forecast", "The fleet forecast: the auto-renewals the accounts' money will not pay, and reminding those accounts."),
    ("invoices", "Invoices and credit notes, as JSON and as PDF/A-3 with Factur-X."),
    ("clock", "The clock, and moving a simulated one."),
    ("ledger", "The ledger audit: every account's running totals checked against its postings."),
    ("service", "Health, metrics and this document."),
];

/// The row of `method path`, if the table has one.
pub fn named(method: &Method, path: &str) -> Option<(&'static str, &'static str)> {
    OPERATIONS
        .iter()
        .find(|(row_method, row_path, _, _)| *row_method == method.as_str() && *row_path == path)
        .map(|(_, _, id, summary)| (*id, *summary))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::{named, OPERATIONS, VERBS};

    #[test]
    fn every_route_has_an_operation_id_that_is_a_verb_and_a_noun_used_once() {
        let mut seen = HashSet::new();
        for route in crate::routes::table() {
            let (id, summary) = named(&route.method, route.path).unwrap_or_else(|| {
                panic!(
                    "{} {} has no row in openapi/names.rs",
                    route.method, route.path
                )
            });
            assert!(seen.insert(id), "{id} is used twice");
            assert!(!summary.is_empty(), "{id} has a summary");
            let verb: String = id.chars().take_while(char::is_ascii_lowercase).collect();
            assert!(VERBS.contains(&verb.as_str()), "{id} starts with a verb");
            let noun = &id[verb.len()..];
            assert!(
                noun.starts_with(|first: char| first.is_ascii_uppercase())
                    && noun.chars().all(|letter| letter.is_ascii_alphanumeric()),
                "{id} goes on with a noun, in camelCase"
            );
        }
        assert_eq!(
            seen.len(),
            OPERATIONS.len(),
            "no row names a route that is gone"
        );
    }
}
