//! The fleet's figures on `/metrics`, for the operator's dashboards: instances by product and
//! status, accounts overdue and frozen, deliveries pending and failing, stuck steps, and
//! revenue and refunds by currency. Counted from the database at each scrape (the same
//! statements as the overview), and shown only to a scrape that presents the operator key
//! (`Authorization: Bearer …`, Prometheus' `authorization` setting): `/metrics` is public, and
//! a business's revenue is not.

use std::fmt::Write;

use tenure_store::overview;

use crate::context::ApiContext;

/// The fleet's metrics in Prometheus' text format, or why they could not be read.
pub async fn render(context: &ApiContext) -> Result<String, String> {
    let mut connection = context
        .engine
        .store
        .read()
        .await
        .map_err(|error| error.to_string())?;
    let now = context.engine.clock.now();
    let instances = overview::instances_by_product_and_status(&mut connection, now)
        .await
        .map_err(|error| error.to_string())?;
    let attention = overview::attention(&mut connection)
        .await
        .map_err(|error| error.to_string())?;
    let revenue = overview::revenue_totals(&mut connection)
        .await
        .map_err(|error| error.to_string())?;

    let mut text = String::new();
    family(
        &mut text,
        "tenure_instances",
        "gauge",
        "Instances by product and status",
    );
    for count in &instances {
        sample(
            &mut text,
            "tenure_instances",
            &[("product", &count.product_id), ("status", &count.status)],
            count.instances,
        );
    }
    for (name, help, value) in [
        ("tenure_accounts", "Accounts", attention.accounts),
        (
            "tenure_accounts_overdue",
            "Accounts with an unpaid pay-as-you-go bill",
            attention.accounts_overdue,
        ),
        (
            "tenure_accounts_frozen",
            "Accounts frozen after their ledger failed a check",
            attention.accounts_frozen,
        ),
        (
            "tenure_deliveries_pending",
            "Notices and webhooks waiting to be sent",
            attention.deliveries_pending,
        ),
        (
            "tenure_deliveries_retrying",
            "Pending deliveries that failed at least once",
            attention.deliveries_retrying,
        ),
        (
            "tenure_deliveries_failed",
            "Deliveries given up on",
            attention.deliveries_failed,
        ),
    ] {
        family(&mut text, name, "gauge", help);
        sample(&mut text, name, &[], value);
    }
    family(
        &mut text,
        "tenure_stuck_steps",
        "gauge",
        "Lifecycle steps that failed, retrying or parked for the operator",
    );
    sample(
        &mut text,
        "tenure_stuck_steps",
        &[("status", "retrying")],
        attention.steps_retrying,
    );
    sample(
        &mut text,
        "tenure_stuck_steps",
        &[("status", "parked")],
        attention.steps_parked,
    );
    family(
        &mut text,
        "tenure_revenue_minor_total",
        "counter",
        "Orders and bills paid, in minor units of the currency",
    );
    for (currency, earned_minor, _) in &revenue {
        sample(
            &mut text,
            "tenure_revenue_minor_total",
            &[("currency", currency)],
            *earned_minor,
        );
    }
    family(
        &mut text,
        "tenure_refunds_minor_total",
        "counter",
        "Refunds given, in minor units of the currency",
    );
    for (currency, _, refunded_minor) in &revenue {
        sample(
            &mut text,
            "tenure_refunds_minor_total",
            &[("currency", currency)],
            *refunded_minor,
        );
    }
    Ok(text)
}

fn family(text: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(text, "# HELP {name} {help}");
    let _ = writeln!(text, "# TYPE {name} {kind}");
}

fn sample(text: &mut String, name: &str, labels: &[(&str, &str)], value: i64) {
    let labels: Vec<String> = labels
        .iter()
        .map(|(label, value)| format!("{label}=\"{}\"", escape_label(value)))
        .collect();
    if labels.is_empty() {
        let _ = writeln!(text, "{name} {value}");
    } else {
        let _ = writeln!(text, "{name}{{{}}} {value}", labels.join(","));
    }
}

/// A label value as the text format spells it: backslash, quote and newline escaped.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
