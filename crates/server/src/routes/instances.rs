use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use tenure_core::catalog::Billing;
use tenure_core::label;
use tenure_core::payment::{PaymentMethod, PaymentSources};
use tenure_core::purchase::PurchaseRequest;
use tenure_engine::instances::{LabelChange, PurchaseCommand};
use tenure_engine::EngineError;
use tenure_store::instances::InstanceFilter;
use tenure_wire::instances::{
    Instance, InstanceLabels, InstanceQuery, PlanQuota, Purchase, PurchaseResult, QuotaUsage,
    QuotaUse,
};
use tenure_wire::renewals::{Renew, RenewMany, RenewalResult, RenewedMany};

use super::card_orders::{in_transaction, owner_of, pay_by_card};
use super::{Made, Route};
use crate::api::{
    execute, keep_refusal, read, Answered, Command, Created, Listing, Page, PageSize, Params,
    Succeeded,
};
use crate::auth::{outside_payment, BodyNames, ListScope};
use crate::context::ApiContext;
use crate::error::ApiError;
use tenure_core::access::Permission;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::POST, "/v1/instances", "Buy an instance: subscription for a period, pay-as-you-go or free", purchase)
            .makes(&[
                Made { collection: "/v1/instances", id_at: "/instance/id" },
                Made { collection: "/v1/orders", id_at: "/order/id" },
            ])
            // insufficient_funds, insufficient_credit (pay-as-you-go), account_overdue
            .refuses(&[StatusCode::PAYMENT_REQUIRED])
            .account(Permission::Purchase),
        Route::new(
            Method::GET,
            "/v1/instances",
            "List instances (filters: account, product, region, status, renewal = manual, auto, none, billing, expires_after, expires_before, tag, name)",
            list,
        )
        .account(Permission::Read),
        Route::new(Method::GET, "/v1/instances/{id}", "An instance with its expiry and next lifecycle step", show)
            .account(Permission::Read),
        Route::new(Method::PATCH, "/v1/instances/{id}", "Name, rename or tag an instance: a field left out stays as it is", label)
            .account(Permission::Billing),
        Route::new(Method::POST, "/v1/instances/{id}/renew", "Renew by hand for a period, from the current expiry", renew)
            .account(Permission::Billing),
        Route::new(Method::POST, "/v1/renewals", "Renew several instances for one period, all or nothing", renew_many)
            .account(Permission::Billing),
        Route::new(Method::POST, "/v1/renewals/quote", "What renewing several instances would cost, item by item: the renewal computed, nothing written", quote_renewals)
            .account(Permission::Read),
        // Consumption is reported by the operator's metering, not by the customer.
        Route::new(
            Method::POST,
            "/v1/instances/{id}/quota-usage",
            "Record units of a resource plan's quota consumed (refused beyond what is left)",
            use_quota,
        ),
        Route::new(
            Method::GET,
            "/v1/instances/{id}/quota",
            "A resource plan's quota: units bought, used and when it takes effect",
            show_quota,
        )
        .account(Permission::Read),
    ]
}

/// How to pay: `pay_with` is the method for what credit does not cover (default the balance);
/// vouchers and coupons are used first unless turned off. The payment fields of a body
/// (purchase, renewal, change, upgrade), read by the server.
#[derive(Debug)]
pub(super) struct Payment {
    pub(super) pay_with: Option<String>,
    pub(super) use_vouchers: Option<bool>,
    pub(super) use_coupons: Option<bool>,
}

impl Payment {
    pub(super) fn sources(&self) -> Result<PaymentSources, ApiError> {
        let method = match &self.pay_with {
            None => PaymentMethod::Balance,
            Some(text) => text
                .parse()
                .map_err(|message| ApiError::invalid("invalid_method", message))?,
        };
        Ok(PaymentSources {
            use_vouchers: self.use_vouchers.unwrap_or(true),
            use_coupons: self.use_coupons.unwrap_or(true),
            method,
        })
    }
}

impl BodyNames for Purchase {
    fn named_account(&self) -> Option<&str> {
        Some(&self.account)
    }

    fn outside_money(&self) -> Option<String> {
        outside_payment(self.pay_with.as_deref())
    }

    fn charges_a_card(&self) -> bool {
        self.pay_with.as_deref() == Some("bank_card")
    }
}

async fn purchase(
    State(context): State<ApiContext>,
    command: Command<Purchase>,
) -> Result<Answered<PurchaseResult, Created>, ApiError> {
    let body = command.body;
    let name = body.name.as_deref().map(check_name).transpose()?;
    let tags = check_tags(body.tags.as_deref().unwrap_or_default())?;
    let payment = Payment {
        pay_with: body.pay_with,
        use_vouchers: body.use_vouchers,
        use_coupons: body.use_coupons,
    };
    let purchase = PurchaseCommand {
        account_id: body.account,
        request: PurchaseRequest {
            product_id: body.product,
            edition_id: body.edition,
            spec_id: body.spec,
            region: body.region,
            billing: body.billing.map_or(Billing::Subscription, Billing::from),
            period: body.period.map(Into::into),
            auto_renew_period: body
                .auto_renew
                .as_ref()
                .and_then(|auto_renew| auto_renew.period.clone().map(Into::into)),
            activates_at: body.activates_at,
        },
        auto_renew: body.auto_renew.is_some(),
        sources: payment.sources()?,
        name,
        tags,
    };
    let engine = context.engine.clone();
    let by_card = purchase.sources.method == PaymentMethod::BankCard && engine.takes_cards();
    let account_id = purchase.account_id.clone();
    let work =
        in_transaction(move |tx| Box::pin(async move { engine.purchase(tx, purchase).await }));
    if by_card {
        return pay_by_card(&context, &command.meta, Created, account_id, work).await;
    }
    execute(&context, &command.meta, Created, work).await
}

impl ListScope for InstanceQuery {
    fn scope_to_account(&mut self, account_id: &str) {
        self.account = Some(account_id.to_string());
    }
}

async fn list(
    State(context): State<ApiContext>,
    Params(query): Params<InstanceQuery>,
) -> Result<Answered<Listing<Instance>>, ApiError> {
    let limit = Page {
        limit: query.limit,
        after: None,
    }
    .limit()?;
    if let Some(renewal) = &query.renewal {
        renewal
            .parse::<tenure_core::lifecycle::RenewalMode>()
            .map_err(|message| ApiError::invalid("invalid_query", message))?;
    }
    if let Some(status) = &query.status {
        status
            .parse::<tenure_core::lifecycle::InstanceStatus>()
            .map_err(|message| ApiError::invalid("invalid_query", message))?;
    }
    if let Some(billing) = &query.billing {
        billing
            .parse::<tenure_core::catalog::Billing>()
            .map_err(|message| ApiError::invalid("invalid_query", message))?;
    }
    if let Some(tag) = &query.tag {
        label::check_tag(tag).map_err(|error| ApiError::invalid("invalid_query", error))?;
    }
    if let Some(name) = &query.name {
        // A longer text is in no name; one with a control character neither, and PostgreSQL
        // takes no NUL: refused, with what to send instead.
        if name.chars().count() > label::MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "invalid_query",
                format!(
                    "`name` is a part of a name: at most {} characters, no control characters",
                    label::MAX_NAME_CHARS
                ),
            ));
        }
    }
    let filter = InstanceFilter {
        account_id: query.account,
        product_id: query.product,
        region: query.region,
        status: query.status,
        renewal_mode: query.renewal,
        billing: query.billing,
        expires_after: query.expires_after,
        expires_before: query.expires_before,
        tag: query.tag,
        name_contains: query.name.filter(|name| !name.is_empty()),
        after_id: query.after,
        limit,
    };
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let views = engine.list_instances(connection, &filter).await?;
            Ok(Listing::new(views, limit, |view| view.instance.id.clone()).map())
        })
    })
    .await
}

async fn show(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
) -> Result<Answered<Instance>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.instance_view(connection, &instance_id).await })
    })
    .await
}

fn check_name(name: &str) -> Result<String, ApiError> {
    label::check_name(name).map_err(|error| ApiError::invalid(error.code(), error))
}

fn check_tags(tags: &[String]) -> Result<Vec<String>, ApiError> {
    label::check_tags(tags).map_err(|error| ApiError::invalid(error.code(), error))
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for InstanceLabels {}

async fn label(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<InstanceLabels>,
) -> Result<Answered<Instance>, ApiError> {
    let body = &command.body;
    let change = LabelChange {
        name: match &body.name {
            Some(Some(name)) => Some(Some(check_name(name)?)),
            Some(None) => Some(None),
            None => None,
        },
        tags: body.tags.as_deref().map(check_tags).transpose()?,
    };
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.label_instance(tx, &instance_id, change).await })
    })
    .await
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for Renew {
    fn outside_money(&self) -> Option<String> {
        outside_payment(self.pay_with.as_deref())
    }

    fn charges_a_card(&self) -> bool {
        self.pay_with.as_deref() == Some("bank_card")
    }
}

async fn renew(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<Renew>,
) -> Result<Answered<RenewalResult>, ApiError> {
    let body = command.body;
    let sources = Payment {
        pay_with: body.pay_with,
        use_vouchers: body.use_vouchers,
        use_coupons: body.use_coupons,
    }
    .sources()?;
    let period = body.period.into();
    let engine = context.engine.clone();
    if sources.method == PaymentMethod::BankCard && engine.takes_cards() {
        let account_id = owner_of(&context, &instance_id).await?;
        let work = in_transaction(move |tx| {
            Box::pin(async move { engine.renew(tx, &instance_id, period, sources).await })
        });
        return pay_by_card(&context, &command.meta, Succeeded, account_id, work).await;
    }
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.renew(tx, &instance_id, period, sources).await })
    })
    .await
}

impl BodyNames for RenewMany {
    fn named_instances(&self) -> Vec<&str> {
        self.instances.iter().map(String::as_str).collect()
    }

    fn outside_money(&self) -> Option<String> {
        outside_payment(self.pay_with.as_deref())
    }
}

/// The instances, period and paying sources a bulk renewal's body asks for.
fn renewing(
    body: RenewMany,
) -> Result<(Vec<String>, tenure_core::period::Period, PaymentSources), ApiError> {
    let sources = Payment {
        pay_with: body.pay_with,
        use_vouchers: body.use_vouchers,
        use_coupons: body.use_coupons,
    }
    .sources()?;
    Ok((body.instances, body.period.into(), sources))
}

fn renewed_many(renewed: Vec<tenure_engine::renew::RenewalResult>) -> RenewedMany {
    RenewedMany {
        data: renewed.into_iter().map(RenewalResult::from).collect(),
    }
}

async fn renew_many(
    State(context): State<ApiContext>,
    command: Command<RenewMany>,
) -> Result<Answered<RenewedMany>, ApiError> {
    let (instances, period, sources) = renewing(command.body)?;
    let engine = context.engine.clone();
    if sources.method == PaymentMethod::BankCard && engine.takes_cards() {
        // One charge pays one order (its period's refund gives back from it).
        let refused = EngineError::refused(
            "card_pays_one_period",
            "a card charge pays one order, and this renews several instances: add funds by \
             card, then renew them from the balance",
        );
        return keep_refusal(&context, &command.meta, refused.into()).await;
    }
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move {
            let renewed = engine.renew_many(tx, &instances, period, sources).await?;
            Ok(renewed_many(renewed))
        })
    })
    .await
}

async fn quote_renewals(
    State(context): State<ApiContext>,
    command: Command<RenewMany>,
) -> Result<Answered<RenewedMany>, ApiError> {
    let (instances, period, sources) = renewing(command.body)?;
    let quoted = context
        .engine
        .quote_renewals(&instances, period, sources)
        .await?;
    Ok(Answered::json(&renewed_many(quoted)))
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for QuotaUsage {}

async fn use_quota(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
    command: Command<QuotaUsage>,
) -> Result<Answered<QuotaUse>, ApiError> {
    let units = command.body.units;
    let engine = context.engine.clone();
    execute(&context, &command.meta, Succeeded, move |tx| {
        Box::pin(async move { engine.use_quota(tx, &instance_id, units).await })
    })
    .await
}

async fn show_quota(
    State(context): State<ApiContext>,
    Path(instance_id): Path<String>,
) -> Result<Answered<PlanQuota>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.plan_quota(connection, &instance_id).await })
    })
    .await
}
