//! Resource Unsubscription: the two lists, a quote, and the three ways to
//! unsubscribe (one instance, one pending renewal order, a batch).
//!
//! Who may: the route table says it. Unsubscribing needs the billing permission (the account
//! owner and billing users, like AliyunBSSFullAccess); the lists and the quote need read.
//! `auth.rs` holds an account key to its own instances, orders and the batch's `instances`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::Method;
use tenure_engine::unsubscriptions::Confirmations;
use tenure_store::orders::UnsubscribableFilter;
use tenure_wire::unsubscriptions::{
    EligibleListing, EligibleResource, Group, PendingRenewalOrder, RenewalUnsubscriptionResult,
    UnsubscribableQuery, Unsubscribe, UnsubscribeMany, UnsubscribeRenewal, UnsubscribedMany,
    UnsubscriptionResult,
};

use super::Route;
use crate::api::{execute, read, Answered, Command, Listing, Page, PageSize, Params, Succeeded};
use crate::auth::{BodyNames, ListScope};
use crate::context::ApiContext;
use crate::error::ApiError;
use tenure_core::access::Permission;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/v1/unsubscriptions/eligible",
            "Resources that can be unsubscribed now, grouped by resource type, refund type and activation status, with their refunds (filters: account, product, instance, ordered_from, ordered_until)",
            eligible,
        )
        .account(Permission::Read),
        Route::new(
            Method::GET,
            "/v1/unsubscriptions/pending-renewals",
            "Renewal orders paid for a period not yet started, with their updated expiration times and refunds (filters: account, product, instance, ordered_from, ordered_until)",
            pending_renewals,
        )
        .account(Permission::Read),
        Route::new(
            Method::GET,
            "/v1/instances/{id}/unsubscribe/quote",
            "What unsubscribing the instance now would refund, order by order; nothing changes",
            quote,
        )
        .account(Permission::Read),
        Route::new(
            Method::POST,
            "/v1/instances/{id}/unsubscribe",
            "Unsubscribe: release at once (data deleted), cancel the current and pending orders, refund the unused part; needs confirm_refund and confirm_data_backed_up",
            unsubscribe_instance,
        )
        .account(Permission::Billing),
        Route::new(
            Method::POST,
            "/v1/orders/{id}/unsubscribe",
            "Unsubscribe one pending renewal order alone: full refund, later renewals re-dated, current service untouched; needs confirm_refund",
            unsubscribe_renewal,
        )
        .account(Permission::Billing),
        Route::new(
            Method::POST,
            "/v1/unsubscriptions",
            "Unsubscribe 1 to 50 partial-refund resources at once, all or nothing",
            unsubscribe_many,
        )
        .account(Permission::Billing),
    ]
}

impl ListScope for UnsubscribableQuery {
    fn scope_to_account(&mut self, account_id: &str) {
        self.account = Some(account_id.to_string());
    }
}

/// The store's filter for the lists' query.
fn filter(query: UnsubscribableQuery) -> Result<UnsubscribableFilter, ApiError> {
    let limit = Page {
        limit: query.limit,
        after: None,
    }
    .limit()?;
    Ok(UnsubscribableFilter {
        account_id: query.account,
        product_id: query.product,
        instance_id: query.instance,
        ordered_from: query.ordered_from,
        ordered_until: query.ordered_until,
        after_id: query.after,
        limit,
    })
}

async fn eligible(
    State(context): State<ApiContext>,
    Params(query): Params<UnsubscribableQuery>,
) -> Result<Answered<EligibleListing>, ApiError> {
    let filter = filter(query)?;
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let (resources, next_after) = engine.eligible_resources(connection, &filter).await?;
            let mut groups: BTreeMap<_, Vec<EligibleResource>> = BTreeMap::new();
            for resource in resources {
                groups
                    .entry((
                        resource.resource_kind,
                        resource.refund_type,
                        resource.activation_status,
                    ))
                    .or_default()
                    .push(resource.into());
            }
            let groups = groups
                .into_iter()
                .map(
                    |((resource_kind, refund_type, activation_status), resources)| Group {
                        resource_kind: resource_kind.into(),
                        refund_type: refund_type.into(),
                        activation_status: activation_status.into(),
                        resources,
                    },
                )
                .collect();
            Ok(EligibleListing { groups, next_after })
        })
    })
    .await
}

async fn pending_renewals(
    State(context): State<ApiContext>,
    Params(query): Params<UnsubscribableQuery>,
) -> Result<Answered<Listing<PendingRenewalOrder>>, ApiError> {
    let filter = filter(query)?;
    let limit = filter.limit;
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let pending = engine.pending_renewal_orders(connection, &filter).await?;
            Ok(Listing::new(pending, limit, |order| order.order_id.clone()).map())
        })
    })
    .await
}

async fn quote(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
) -> Result<Answered<EligibleResource>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.quote_unsubscription(connection, &instance_id).await })
    })
    .await
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for Unsubscribe {}

/// The confirmations given; a missing one counts as `false`.
fn confirmations(
    confirm_refund: Option<bool>,
    confirm_data_backed_up: Option<bool>,
) -> Confirmations {
    Confirmations {
        confirm_refund: confirm_refund.unwrap_or(false),
        confirm_data_backed_up: confirm_data_backed_up.unwrap_or(false),
    }
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for UnsubscribeRenewal {}

async fn unsubscribe_instance(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<Unsubscribe>,
) -> Result<Answered<UnsubscriptionResult>, ApiError> {
    let confirmations = confirmations(
        command.body.confirm_refund,
        command.body.confirm_data_backed_up,
    );
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move {
            engine
                .unsubscribe_instance(tx, &instance_id, confirmations)
                .await
        })
    })
    .await
}

async fn unsubscribe_renewal(
    State(context): State<ApiContext>,
    Path(order_id): Path<String>,
    command: Command<UnsubscribeRenewal>,
) -> Result<Answered<RenewalUnsubscriptionResult>, ApiError> {
    let confirmations = confirmations(
        command.body.confirm_refund,
        command.body.confirm_data_backed_up,
    );
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move {
            engine
                .unsubscribe_renewal(tx, &order_id, confirmations)
                .await
        })
    })
    .await
}

impl BodyNames for UnsubscribeMany {
    fn named_instances(&self) -> Vec<&str> {
        self.instances.iter().map(String::as_str).collect()
    }
}

async fn unsubscribe_many(
    State(context): State<ApiContext>,
    command: Command<UnsubscribeMany>,
) -> Result<Answered<UnsubscribedMany>, ApiError> {
    let body = command.body;
    let confirmations = confirmations(body.confirm_refund, body.confirm_data_backed_up);
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move {
            let results = engine
                .unsubscribe_many(tx, &body.instances, confirmations)
                .await?;
            let refund_minor = results
                .iter()
                .try_fold(0i64, |total, result| total.checked_add(result.refund_minor))
                .ok_or_else(|| {
                    tenure_engine::EngineError::invalid(
                        "amount_too_large",
                        "the refunds of these instances add up to more than an amount can hold",
                    )
                })?;
            Ok(UnsubscribedMany {
                data: results
                    .into_iter()
                    .map(UnsubscriptionResult::from)
                    .collect(),
                refund_minor,
            })
        })
    })
    .await
}
