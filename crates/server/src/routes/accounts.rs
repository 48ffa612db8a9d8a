use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use tenure_core::ledger::LedgerAccount;
use tenure_core::payment::PaymentMethod;
use tenure_engine::accounts::{AccountView, NewAccount};
use tenure_engine::records::{accounts_cursor, parse_accounts_cursor};
use tenure_engine::EngineError;
use tenure_store::accounts::{AccountFilter, AccountOrder};
use tenure_wire::accounts::{
    AccountQuery, Amount, CreateAccount, CreatedAccount, Deposit, Grant, MoneyMovement, Unfreeze,
    MAX_SEARCH_CHARS,
};
use tenure_wire::forecast::ForecastQuery;

use super::{Made, Route};
use crate::api::{
    execute, keep_refusal, read, replay, Answered, Command, Created, Listing, Page, PageSize,
    Params,
};
use crate::auth::BodyNames;
use crate::context::ApiContext;
use crate::error::ApiError;
use tenure_core::access::Permission;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/v1/accounts",
            "Open a customer account; answers its owner key once",
            create,
        )
        .makes(&[Made {
            collection: "/v1/accounts",
            id_at: "/id",
        }]),
        Route::new(
            Method::GET,
            "/v1/accounts",
            "Find accounts: by a part of the name, email or mobile or the start of the id, overdue, frozen or under their low-balance threshold; in order of creation, name or balance",
            list,
        ),
        Route::new(
            Method::GET,
            "/v1/accounts/{id}",
            "An account with its balance, coupons and vouchers",
            show,
        )
        .account(Permission::Read),
        Route::new(
            Method::POST,
            "/v1/accounts/{id}/unfreeze",
            "Let a frozen account (its ledger failed a check) write again, once its ledger checks",
            unfreeze,
        ),
        Route::new(
            Method::POST,
            "/v1/accounts/{id}/deposits",
            "Add funds to the balance: money that arrived outside tenure (the operator's key only: it vouches for it), or, with card payments configured, a top-up charged to a saved card (`bank_card`), credited once the provider says it was paid",
            deposit,
        )
        .account(Permission::Billing)
        .refuses(&[StatusCode::PAYMENT_REQUIRED]),
        Route::new(
            Method::POST,
            "/v1/accounts/{id}/coupons",
            "Grant coupons (pay any fee)",
            grant_coupons,
        ),
        Route::new(
            Method::POST,
            "/v1/accounts/{id}/vouchers",
            "Grant vouchers (pay purchases, never refunded)",
            grant_vouchers,
        ),
        Route::new(
            Method::GET,
            "/v1/accounts/{id}/forecast",
            "The balance forecast: every auto-renewal deduction of the coming days (90 unless `days` says) against the balance and coupons, and the day money runs out",
            forecast,
        )
        .account(Permission::Read),
        Route::new(
            Method::GET,
            "/v1/accounts/{id}/ledger",
            "The account's ledger entries, each balanced",
            ledger_entries,
        )
        .account(Permission::Read),
    ]
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for CreateAccount {}

async fn create(
    State(context): State<ApiContext>,
    command: Command<CreateAccount>,
) -> Result<Answered<CreatedAccount, Created>, ApiError> {
    let body = command.body;
    let new = NewAccount {
        name: body.name,
        email: body.email,
        mobile: body.mobile,
        currency: body.currency,
        low_balance_threshold_minor: body.low_balance_threshold,
    };
    let engine = context.engine.clone();
    execute(&context, &command.meta, Created, move |tx| {
        Box::pin(async move { engine.create_account(tx, new).await })
    })
    .await
}

/// The operator's alone: a list of every account is scoped to no account.
impl crate::auth::ListScope for AccountQuery {}

async fn list(
    State(context): State<ApiContext>,
    Params(query): Params<AccountQuery>,
) -> Result<Answered<Listing<tenure_wire::accounts::AccountSummary>>, ApiError> {
    let limit = Page {
        limit: query.limit,
        after: None,
    }
    .limit()?;
    let order = AccountOrder::from(query.sort.unwrap_or_default());
    let after = query
        .after
        .as_deref()
        .map(|cursor| parse_accounts_cursor(order, cursor))
        .transpose()?;
    let filter = AccountFilter {
        search: search_text(query.search.as_deref())?,
        overdue: query.overdue,
        frozen: query.frozen,
        low_balance: query.low_balance,
        order,
        after,
        limit,
    };
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            let found = engine.list_accounts(connection, &filter).await?;
            Ok(Listing::new(found, limit, |account| accounts_cursor(order, account)).map())
        })
    })
    .await
}

/// The text to look for, trimmed; none when blank. Held to a length a name or an email can
/// have, so a 10 KB query is a clear refusal rather than a long scan. NUL never gets here
/// (`Params` refuses it: PostgreSQL cannot hold it in a text).
fn search_text(search: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(search) = search.map(str::trim).filter(|search| !search.is_empty()) else {
        return Ok(None);
    };
    let chars = search.chars().count();
    if chars > MAX_SEARCH_CHARS {
        return Err(ApiError::invalid(
            "invalid_query",
            format!("`search` is {chars} characters; at most {MAX_SEARCH_CHARS} are taken"),
        ));
    }
    Ok(Some(search.to_string()))
}

async fn show(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
) -> Result<Answered<tenure_wire::accounts::AccountView>, ApiError> {
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.account_view(connection, &account_id).await })
    })
    .await
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for Unfreeze {}

async fn unfreeze(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    command: Command<Unfreeze>,
) -> Result<Answered<tenure_wire::accounts::AccountView>, ApiError> {
    let engine = context.engine.clone();
    execute(&context, &command.meta, crate::api::Succeeded, move |tx| {
        Box::pin(async move { engine.unfreeze_account(tx, &account_id).await })
    })
    .await
}

/// An amount in minor units of the account's currency: one in another currency is refused.
fn minor_in(amount: &Amount, account: &AccountView) -> Result<i64, EngineError> {
    match amount {
        Amount::Minor(amount_minor) => Ok(*amount_minor),
        Amount::WithCurrency { amount, currency } if *currency == account.account.currency => {
            Ok(*amount)
        }
        Amount::WithCurrency { currency, .. } => Err(EngineError::invalid(
            "currency_mismatch",
            format!(
                "the account is in {}, not {currency}",
                account.account.currency
            ),
        )),
    }
}

/// Names nothing an account key must own beyond the path. Every deposit records money that
/// arrived outside tenure, so only the operator makes one.
impl BodyNames for Deposit {
    fn outside_money(&self) -> Option<String> {
        Some("a deposit".to_string())
    }

    fn charges_a_card(&self) -> bool {
        self.method == PaymentMethod::BankCard.as_str()
    }
}

async fn deposit(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    command: Command<Deposit>,
) -> Result<Answered<MoneyMovement, Created>, ApiError> {
    let method: PaymentMethod = command
        .body
        .method
        .parse()
        .map_err(|message| ApiError::invalid("invalid_method", message))?;
    if method == PaymentMethod::BankCard && context.engine.takes_cards() {
        return card_top_up(context, account_id, command).await;
    }
    if command.body.payment_method.is_some() {
        return Err(ApiError::invalid(
            "invalid_field",
            "`payment_method` names a saved card, which only a `bank_card` deposit with card payments configured charges",
        ));
    }
    let engine = context.engine.clone();
    let amount = command.body.amount;
    execute(&context, &command.meta, Created, move |tx| {
        Box::pin(async move {
            let account = engine.account_view(tx, &account_id).await?;
            engine
                .deposit(tx, &account_id, minor_in(&amount, &account)?, method)
                .await
        })
    })
    .await
}

/// A top-up by a saved card: the payment committed, the card charged (no transaction open
/// while the provider answers), then the balance credited in the request's transaction. A
/// decline is the request's answer, kept under its key; a provider that does not answer is
/// 503, and the same request with the same key learns the outcome.
async fn card_top_up(
    context: ApiContext,
    account_id: String,
    command: Command<Deposit>,
) -> Result<Answered<MoneyMovement, Created>, ApiError> {
    if let Some(replayed) = replay(&context, &command.meta).await? {
        return Ok(Answered::replayed(replayed));
    }
    let engine = context.engine.clone();
    let amount_minor = {
        let mut connection = crate::api::connection(&context).await?;
        let account = engine.account_view(&mut connection, &account_id).await?;
        minor_in(&command.body.amount, &account)?
    };
    let request = command.meta.keyed();
    let started = engine
        .start_card_top_up(
            &account_id,
            amount_minor,
            command.body.payment_method.as_deref(),
            request,
        )
        .await?;
    let charged = match engine.charge_card(&started).await {
        Ok(charged) => charged,
        Err(error) => return keep_refusal(&context, &command.meta, error.into()).await,
    };
    let payment_id = started.payment.id.clone();
    execute(&context, &command.meta, Created, move |tx| {
        Box::pin(async move { engine.finish_card_top_up(tx, &payment_id, &charged).await })
    })
    .await
}

/// Names nothing an account key must own beyond the path.
impl BodyNames for Grant {}

async fn grant(
    context: ApiContext,
    account_id: String,
    credit: LedgerAccount,
    command: Command<Grant>,
) -> Result<Answered<MoneyMovement, Created>, ApiError> {
    let engine = context.engine.clone();
    let amount = command.body.amount;
    execute(&context, &command.meta, Created, move |tx| {
        Box::pin(async move {
            let account = engine.account_view(tx, &account_id).await?;
            engine
                .grant(tx, &account_id, credit, minor_in(&amount, &account)?)
                .await
        })
    })
    .await
}

async fn grant_coupons(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    command: Command<Grant>,
) -> Result<Answered<MoneyMovement, Created>, ApiError> {
    grant(context, account_id, LedgerAccount::Coupons, command).await
}

async fn grant_vouchers(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    command: Command<Grant>,
) -> Result<Answered<MoneyMovement, Created>, ApiError> {
    grant(context, account_id, LedgerAccount::Vouchers, command).await
}

/// Of the path's account, which the key's access check holds it to.
impl crate::auth::ListScope for ForecastQuery {}

async fn forecast(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    Params(query): Params<ForecastQuery>,
) -> Result<Answered<tenure_wire::forecast::AccountForecast>, ApiError> {
    let days = query.days.unwrap_or(90);
    if !(1..=tenure_engine::forecast::MAX_FORECAST_DAYS).contains(&days) {
        return Err(ApiError::invalid(
            "invalid_query",
            format!("`days` is {days}; a forecast looks 1 to 366 days ahead"),
        ));
    }
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move { engine.forecast(connection, &account_id, days).await })
    })
    .await
}

async fn ledger_entries(
    State(context): State<ApiContext>,
    Path(account_id): Path<String>,
    Params(page): Params<Page>,
) -> Result<Answered<tenure_wire::ledger::LedgerPage>, ApiError> {
    let limit = page.limit()?;
    let engine = context.engine.clone();
    read(&context, move |connection| {
        Box::pin(async move {
            engine
                .ledger_page(connection, &account_id, limit, page.after)
                .await
        })
    })
    .await
}
