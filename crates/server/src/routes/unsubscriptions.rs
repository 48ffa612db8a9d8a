//! Resource Unsubscription: the two lists, a quote, and the three ways to
//! unsubscribe (one instance, one pending renewal order, a batch).
//!
//! Who may: the route table says it. Unsubscribing needs the billing permission (the account
//! owner and billing users, like AliyunBSSFullAccess); the lists and the quote need read.
//! `auth.rs` holds an account key to its own instances, orders and the batch's `instances`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::Method;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tenure_core::refund::{ActivationStatus, RefundType, ResourceKind};
use tenure_engine::unsubscriptions::{Confirmations, EligibleResource};
use tenure_store::orders::UnsubscribableFilter;

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

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    account: Option<String>,
    product: Option<String>,
    instance: Option<String>,
    /// Order time from (inclusive), RFC 3339.
    ordered_from: Option<Timestamp>,
    /// Order time until (exclusive), RFC 3339.
    ordered_until: Option<Timestamp>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "tenure_wire::whole_number::query")]
    limit: Option<i64>,
    after: Option<String>,
}

impl ListScope for ListQuery {
    fn scope_to_account(&mut self, account_id: &str) {
        self.account = Some(account_id.to_string());
    }
}

impl ListQuery {
    fn filter(self) -> Result<UnsubscribableFilter, ApiError> {
        let limit = Page {
            limit: self.limit,
            after: None,
        }
        .limit()?;
        Ok(UnsubscribableFilter {
            account_id: self.account,
            product_id: self.product,
            instance_id: self.instance,
            ordered_from: self.ordered_from,
            ordered_until: self.ordered_until,
            after_id: self.after,
            limit,
        })
    }
}

/// One group of the active resources list.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Group {
    resource_kind: ResourceKind,
    refund_type: RefundType,
    activation_status: ActivationStatus,
    resources: Vec<EligibleResource>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct EligibleListing {
    groups: Vec<Group>,
    /// Pass as `after` to get the next page; null on the last page.
    next_after: Option<String>,
}

async fn eligible(
    State(context): State<ApiContext>,
    Params(query): Params<ListQuery>,
) -> Result<Answered<EligibleListing>, ApiError> {
    let filter = query.filter()?;
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
                    .push(resource);
            }
            let groups = groups
                .into_iter()
                .map(
                    |((resource_kind, refund_type, activation_status), resources)| Group {
                        resource_kind,
                        refund_type,
                        activation_status,
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
    Params(query): Params<ListQuery>,
) -> Result<Answered<Listing<tenure_engine::unsubscriptions::PendingRenewalOrder>>, ApiError> {
    let filter = query.filter()?;
    let limit = filter.limit;
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let pending = engine.pending_renewal_orders(connection, &filter).await?;
            Ok(Listing::new(pending, limit, |order| order.order_id.clone()))
        })
    })
    .await
}

async fn quote(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
) -> Result<Answered<tenure_engine::unsubscriptions::EligibleResource>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.quote_unsubscription(connection, &instance_id).await })
    })
    .await
}

/// The two confirmations of unsubscribing an instance; a missing one counts as `false` and is
/// named in the refusal.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("required" = ["confirm_refund", "confirm_data_backed_up"]))]
struct Unsubscribe {
    /// Must be true: you accept the refund shown by the quote.
    #[schemars(extend("const" = true))]
    confirm_refund: Option<bool>,
    /// Must be true: the instance's data is deleted for good; back it up first.
    #[schemars(extend("const" = true))]
    confirm_data_backed_up: Option<bool>,
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for Unsubscribe {}

impl Unsubscribe {
    fn confirmations(&self) -> Confirmations {
        Confirmations {
            confirm_refund: self.confirm_refund.unwrap_or(false),
            confirm_data_backed_up: self.confirm_data_backed_up.unwrap_or(false),
        }
    }
}

/// Unsubscribing a pending renewal deletes no data: only the refund is confirmed.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("required" = ["confirm_refund"]))]
struct UnsubscribeRenewal {
    /// Must be true: you accept the refund shown by the quote.
    #[schemars(extend("const" = true))]
    confirm_refund: Option<bool>,
    /// Accepted and not needed: a pending renewal's instance keeps its data.
    confirm_data_backed_up: Option<bool>,
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for UnsubscribeRenewal {}

async fn unsubscribe_instance(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<Unsubscribe>,
) -> Result<Answered<tenure_engine::unsubscriptions::UnsubscriptionResult>, ApiError> {
    let confirmations = command.body.confirmations();
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
) -> Result<Answered<tenure_engine::unsubscriptions::RenewalUnsubscriptionResult>, ApiError> {
    let confirmations = Confirmations {
        confirm_refund: command.body.confirm_refund.unwrap_or(false),
        confirm_data_backed_up: command.body.confirm_data_backed_up.unwrap_or(false),
    };
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

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("required" = ["instances", "confirm_refund", "confirm_data_backed_up"]))]
struct UnsubscribeMany {
    /// 1 to 50 instances, each once.
    #[schemars(length(min = 1, max = 50), extend("uniqueItems" = true))]
    instances: Vec<String>,
    #[schemars(extend("const" = true))]
    confirm_refund: Option<bool>,
    #[schemars(extend("const" = true))]
    confirm_data_backed_up: Option<bool>,
}

impl BodyNames for UnsubscribeMany {
    fn named_instances(&self) -> Vec<&str> {
        self.instances.iter().map(String::as_str).collect()
    }
}

/// Every instance unsubscribed, and the refunds added up.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct UnsubscribedMany {
    data: Vec<tenure_engine::unsubscriptions::UnsubscriptionResult>,
    refund_minor: i64,
}

async fn unsubscribe_many(
    State(context): State<ApiContext>,
    command: Command<UnsubscribeMany>,
) -> Result<Answered<UnsubscribedMany>, ApiError> {
    let body = command.body;
    let confirmations = Unsubscribe {
        confirm_refund: body.confirm_refund,
        confirm_data_backed_up: body.confirm_data_backed_up,
    }
    .confirmations();
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
                data: results,
                refund_minor,
            })
        })
    })
    .await
}
