//! The operator's pages: the approvals queue (approve, reject), parked and retrying lifecycle
//! steps (retry), webhook endpoints (add, with the secret shown once; delete), and the
//! simulated clock (advance), each through the API as the operator.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};
use serde_json::json;
use tenure_wire::approvals::Approval;
use tenure_wire::changes::{ChangeOutcome, ChangeQuoteView};
use tenure_wire::clock::{AdvanceReport, ClockView};
use tenure_wire::stuck_steps::{Retried, StuckStep};
use tenure_wire::webhooks::{DeletedEndpoint, EndpointWithSecret, WebhookEndpoint};
use tenure_wire::Listing;

use super::{when, wire_name};
use crate::console::api;
use crate::console::form::Fields;
use crate::console::layout::IntoHtml;
use crate::console::layout::{answer, message, page, Nav};
use crate::console::session::{random_token, Session};
use crate::console::{see_other, signed_in, SignedForm};
use crate::context::ApiContext;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/approvals", get(approvals))
        .route("/console/approvals/{id}/{decision}", post(decide))
        .route("/console/stuck-steps", get(stuck_steps))
        .route("/console/stuck-steps/{id}/retry", post(retry_step))
        .route("/console/webhooks", get(webhooks).post(add_webhook))
        .route("/console/webhooks/{id}/delete", post(delete_webhook))
        .route("/console/clock", get(clock).post(advance_clock))
}

/// The operator's session, or the 403 page an account's session gets.
pub(super) async fn operator(
    context: &ApiContext,
    headers: &HeaderMap,
) -> Result<Session, Response> {
    let session = signed_in(context, headers).await?;
    if !session.is_operator() {
        return Err(answer(
            StatusCode::FORBIDDEN,
            page(
                Some(&session),
                "Operator only",
                Nav::None,
                message(
                    "bad",
                    "This page is the operator's; sign in with the operator key.",
                ),
            ),
        ));
    }
    Ok(session)
}

pub(super) fn hidden(session: &Session) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(session.csrf);
        input type="hidden" name="idempotency_key" value=(random_token());
    }
}

async fn approvals(State(context): State<ApiContext>, headers: HeaderMap) -> Response {
    let session = match operator(&context, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    approvals_page(&context, &session, html! {}).await
}

async fn approvals_page(context: &ApiContext, session: &Session, top: Markup) -> Response {
    let pending: api::Reply<Listing<Approval>> =
        api::read(context, session, "/v1/approvals?status=pending&limit=200").await;
    let items: &[Approval] = pending.as_ref().map_or(&[], |pending| &pending.data);
    // What approving each would charge or refund now: the change's own quote.
    let mut quotes = Vec::new();
    for approval in items {
        let quoted: api::Reply<ChangeQuoteView> = api::send(
            context,
            session,
            Method::POST,
            &format!("/v1/instances/{}/change/quote", approval.instance_id),
            json!({ "edition": approval.to_edition_id, "spec": approval.to_spec_id }),
            None,
        )
        .await;
        quotes.push(match quoted {
            Ok(quote) if quote.refund_minor > 0 => {
                format!(
                    "refunds {}",
                    super::money(quote.refund_minor, &quote.currency)
                )
            }
            Ok(quote) => format!(
                "charges {}",
                super::money(quote.charge_minor, &quote.currency)
            ),
            Err(refusal) => refusal.message,
        });
    }
    let body = html! {
        h1 { "Approvals" }
        (top)
        @if let Err(refusal) = &pending { (message("bad", &refusal.message)) } @else {
            @if items.is_empty() { p.muted { "No change waits for a decision." } }
            @else { div.table-wrap { table {
                thead { tr { th { "Change" } th { "Account" } th { "Instance" } th { "From" } th { "To" } th { "Approving it now" } th { "Decision" } } }
                tbody { @for (approval, quote) in items.iter().zip(&quotes) {
                    @let id = &approval.id;
                    tr {
                        td { (id) } td { (approval.account_id) } td { (approval.instance_id) }
                        td { (approval.from_spec_id) } td { (approval.to_spec_id) }
                        td data-test="approval-quote" { (quote) }
                        td {
                            form.inline method="post" action={"/console/approvals/" (id) "/approve"} { (hidden(session)) button type="submit" { "Approve (" (quote) ")" } }
                            " "
                            form.inline method="post" action={"/console/approvals/" (id) "/reject"} { (hidden(session)) button.secondary type="submit" { "Reject" } }
                        }
                    }
                } }
            } } }
        }
    };
    page(Some(session), "Approvals", Nav::Approvals, body).into_response_html()
}

async fn decide(
    State(context): State<ApiContext>,
    Path((id, decision)): Path<(String, String)>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    if !session.is_operator() {
        return see_other("/console/instances");
    }
    if decision != "approve" && decision != "reject" {
        return see_other("/console/approvals");
    }
    let path = format!("/v1/approvals/{id}/{decision}");
    let key = Some(fields.one("idempotency_key").unwrap_or(""));
    // Approving answers the change it applied; rejecting, the approval.
    let done: api::Reply<()> = if decision == "approve" {
        api::send::<ChangeOutcome>(&context, &session, Method::POST, &path, json!({}), key)
            .await
            .map(|_| ())
    } else {
        api::send::<Approval>(&context, &session, Method::POST, &path, json!({}), key)
            .await
            .map(|_| ())
    };
    let top = if let Err(refusal) = &done {
        message("bad", &refusal.message)
    } else {
        message(
            "good",
            &format!(
                "{id}: {}",
                if decision == "approve" {
                    "approved and applied"
                } else {
                    "rejected"
                }
            ),
        )
    };
    approvals_page(&context, &session, top).await
}

async fn stuck_steps(State(context): State<ApiContext>, headers: HeaderMap) -> Response {
    let session = match operator(&context, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    stuck_page(&context, &session, html! {}).await
}

async fn stuck_page(context: &ApiContext, session: &Session, top: Markup) -> Response {
    let steps: api::Reply<Listing<StuckStep>> =
        api::read(context, session, "/v1/stuck-steps?limit=200").await;
    let body = html! {
        h1 { "Stuck steps" }
        (top)
        @match &steps {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(steps) if steps.data.is_empty() => p.muted { "Every lifecycle step is being taken." },
            Ok(steps) => { div.table-wrap { table {
                thead { tr { th { "Step" } th { "Item" } th { "Status" } th { "Attempts" } th { "Last error" } th { "" } } }
                tbody { @for step in &steps.data {
                    @let id = &step.id;
                    tr {
                        td { (wire_name(&step.work)) } td { (step.item_id) }
                        td { (wire_name(&step.status)) } td { (step.attempts) }
                        td { (step.last_error) }
                        td { form.inline method="post" action={"/console/stuck-steps/" (id) "/retry"} { (hidden(session)) button type="submit" { "Retry now" } } }
                    }
                } }
            } } }
        }
    };
    page(Some(session), "Stuck steps", Nav::StuckSteps, body).into_response_html()
}

async fn retry_step(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    if !session.is_operator() {
        return see_other("/console/instances");
    }
    let done: api::Reply<Retried> = operator_action(
        &context,
        &session,
        &fields,
        &format!("/v1/stuck-steps/{id}/retry"),
    )
    .await;
    let top = match done {
        Err(refusal) => message("bad", &refusal.message),
        Ok(retried) if retried.taken => message("good", &format!("{id}: taken")),
        Ok(_) => message("warn", &format!("{id}: failed again")),
    };
    stuck_page(&context, &session, top).await
}

/// An operator's button on a row (retry a stuck step, send a delivery again): `POST path`
/// with `{}` and the form's own idempotency key, so a double click acts once.
pub(super) async fn operator_action<T: serde::de::DeserializeOwned>(
    context: &ApiContext,
    session: &Session,
    fields: &Fields,
    path: &str,
) -> api::Reply<T> {
    api::send(
        context,
        session,
        Method::POST,
        path,
        json!({}),
        Some(fields.one("idempotency_key").unwrap_or("")),
    )
    .await
}

async fn webhooks(State(context): State<ApiContext>, headers: HeaderMap) -> Response {
    let session = match operator(&context, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    webhooks_page(&context, &session, html! {}).await
}

async fn webhooks_page(context: &ApiContext, session: &Session, top: Markup) -> Response {
    let endpoints: api::Reply<Listing<WebhookEndpoint>> =
        api::read(context, session, "/v1/webhook-endpoints?limit=200").await;
    let body = html! {
        h1 { "Webhook endpoints" }
        (top)
        form.filters method="post" action="/console/webhooks" {
            (hidden(session))
            div { label for="hook-url" { "URL" } input id="hook-url" name="url" type="url" required placeholder="https://ops.example.com/tenure"; }
            div { label for="hook-events" { "Event types" } input id="hook-events" name="events" value="*" placeholder="instance.expired instance.released"; }
            button type="submit" { "Add endpoint" }
        }
        @match &endpoints {
            Err(refusal) => (message("bad", &refusal.message)),
            Ok(endpoints) => { div.table-wrap { table {
                thead { tr { th { "Endpoint" } th { "URL" } th { "Events" } th { "Disabled" } th { "" } } }
                tbody { @for endpoint in &endpoints.data {
                    @let id = &endpoint.id;
                    tr {
                        td { (id) } td { (endpoint.url) }
                        td { (endpoint.events.join(", ")) }
                        td { (when(endpoint.disabled_at)) " " (endpoint.disabled_reason.as_deref().unwrap_or("")) }
                        td { form.inline method="post" action={"/console/webhooks/" (id) "/delete"} { (hidden(session)) button.secondary type="submit" { "Delete" } } }
                    }
                } }
            } } }
        }
    };
    page(Some(session), "Webhook endpoints", Nav::Webhooks, body).into_response_html()
}

async fn add_webhook(
    State(context): State<ApiContext>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    if !session.is_operator() {
        return see_other("/console/instances");
    }
    let events: Vec<&str> = fields
        .one("events")
        .unwrap_or("*")
        .split([' ', ','])
        .filter(|event| !event.is_empty())
        .collect();
    let added: api::Reply<EndpointWithSecret> = api::send(
        &context,
        &session,
        Method::POST,
        "/v1/webhook-endpoints",
        json!({ "url": fields.one("url").unwrap_or(""), "events": events }),
        Some(fields.one("idempotency_key").unwrap_or("")),
    )
    .await;
    let top = match added {
        Ok(added) => html! {
            (message("good", &format!("Added {}.", added.endpoint.id)))
            p.notice.warn { "Its signing secret, shown this once: " code data-test="webhook-secret" { (added.secret.expose()) } }
        },
        Err(refusal) => message("bad", &refusal.message),
    };
    webhooks_page(&context, &session, top).await
}

async fn delete_webhook(
    State(context): State<ApiContext>,
    Path(id): Path<String>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    if !session.is_operator() {
        return see_other("/console/instances");
    }
    let deleted: api::Reply<DeletedEndpoint> = api::send(
        &context,
        &session,
        Method::DELETE,
        &format!("/v1/webhook-endpoints/{id}"),
        json!({}),
        Some(fields.one("idempotency_key").unwrap_or("")),
    )
    .await;
    let top = match deleted {
        Ok(_) => message("good", &format!("Deleted {id}.")),
        Err(refusal) => message("bad", &refusal.message),
    };
    webhooks_page(&context, &session, top).await
}

async fn clock(State(context): State<ApiContext>, headers: HeaderMap) -> Response {
    let session = match operator(&context, &headers).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    clock_page(&context, &session, html! {}).await
}

async fn clock_page(context: &ApiContext, session: &Session, top: Markup) -> Response {
    let clock: api::Reply<ClockView> = api::read(context, session, "/v1/clock").await;
    let simulated = clock.as_ref().is_ok_and(|clock| clock.simulated);
    let now = clock.as_ref().ok().map(|clock| clock.now);
    let body = html! {
        h1 { "Clock" }
        (top)
        @if let Err(refusal) = &clock { (message("bad", &refusal.message)) }
        p { "Now: " strong data-test="clock-now" { (when(now)) } " (" (if simulated { "simulated" } else { "the system clock" }) ")" }
        @if simulated {
            form.filters method="post" action="/console/clock" {
                (hidden(session))
                div { label for="clock-by" { "Advance by" }
                    select id="clock-by" name="by" { @for (value, label) in [("PT1H", "1 hour"), ("P1D", "1 day"), ("P7D", "7 days"), ("P30D", "30 days")] { option value=(value) { (label) } } } }
                button type="submit" { "Advance, taking every due step" }
            }
        } @else {
            p.muted { "The system clock moves by itself; start tenure with --simulated-clock to move time by hand." }
        }
    };
    page(Some(session), "Clock", Nav::Clock, body).into_response_html()
}

async fn advance_clock(
    State(context): State<ApiContext>,
    SignedForm { session, fields }: SignedForm,
) -> Response {
    if !session.is_operator() {
        return see_other("/console/instances");
    }
    let advanced: api::Reply<AdvanceReport> = api::send(
        &context,
        &session,
        Method::POST,
        "/v1/clock/advance",
        json!({ "by": fields.one("by").unwrap_or("P1D") }),
        Some(fields.one("idempotency_key").unwrap_or("")),
    )
    .await;
    let top = match advanced {
        Ok(_) => message("good", "Advanced; every step due in between was taken."),
        Err(refusal) => message("bad", &refusal.message),
    };
    clock_page(&context, &session, top).await
}
