//! Authentication, permissions and tenant isolation, all in this one file.
//!
//! - `authenticate` (on every `/v1` route) turns the bearer key into a [`Caller`]: the operator
//!   (env `TENURE_ADMIN_KEY`, kept as a SHA-256 hash, compared in constant time) or an account
//!   key (looked up by its hash; revoked keys do not authenticate).
//! - `authorize` (per route, from the route table's [`Access`]) lets the operator through and
//!   holds an account key to its own account: the path's `{id}` must belong to the caller's
//!   account, and anything else answers 404 exactly as a missing id does, so ids of other
//!   accounts do not leak. Only then is the key's role checked (403).
//! - The typed request does the rest, once it is parsed (`api::Command`, `api::Params`): a
//!   body's named account and instances ([`BodyNames`]) must be the caller's (404 otherwise),
//!   and a list's query is scoped to the caller's account ([`ListScope`]).

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use tenure_core::access::{Permission, Role};
use tenure_engine::EngineError;
use tenure_store::keys::{owner_of, OwnedTable};

use crate::context::ApiContext;
use crate::error::ApiError;
use crate::routes::Access;

/// The shortest operator key `serve` accepts: a guessable key (the README once showed
/// `secret`) hands every account's money to whoever guesses it.
pub const MIN_OPERATOR_KEY_CHARS: usize = 32;

/// Refuses an operator key too short to be safe, saying how to make one.
pub fn check_operator_key(key: &str) -> Result<(), String> {
    let length = key.chars().count();
    if length < MIN_OPERATOR_KEY_CHARS {
        return Err(format!(
            "TENURE_ADMIN_KEY is {length} characters; the operator key must be at least \
             {MIN_OPERATOR_KEY_CHARS} (make one with `openssl rand -hex 32`, or leave \
             TENURE_ADMIN_KEY unset and tenure makes one for this run)"
        ));
    }
    Ok(())
}

/// A key's SHA-256. Not `PartialEq`: it is compared only in constant time ([`KeyHash::matches`]).
#[derive(Clone)]
pub struct KeyHash([u8; 32]);

impl KeyHash {
    pub fn of(key: &str) -> KeyHash {
        KeyHash(Sha256::digest(key.as_bytes()).into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn matches(&self, other: &KeyHash) -> bool {
        same_in_constant_time(&self.0, &other.0)
    }
}

/// Whether two byte strings are equal, taking the same time whatever they hold (a secret
/// compared byte by byte until the first difference would tell how much of it was guessed).
pub fn same_in_constant_time(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Operator,
    Account {
        account_id: String,
        key_id: String,
        role: Role,
    },
}

impl Caller {
    /// Who the caller's writes are recorded as done for (`events.actor`): `operator`, `owner`
    /// for an account's owner key, else the user's key id.
    pub fn actor(&self) -> String {
        match self {
            Caller::Operator => "operator".to_string(),
            Caller::Account {
                role: Role::Owner, ..
            } => "owner".to_string(),
            Caller::Account { key_id, .. } => key_id.clone(),
        }
    }

    /// The namespace of the caller's idempotency keys: one per account, one for the operator.
    pub fn scope(&self) -> String {
        match self {
            Caller::Operator => "operator".to_string(),
            Caller::Account { account_id, .. } => format!("account:{account_id}"),
        }
    }
}

/// Turns a presented key into its caller: the operator's key (compared in constant time), or
/// a live key of an account; `None` when it is neither. The one resolver of keys: the API's
/// requests and the console's sign-in both ask it.
pub async fn resolve(context: &ApiContext, presented: &str) -> Result<Option<Caller>, ApiError> {
    if context.admin_key.matches(&KeyHash::of(presented)) {
        return Ok(Some(Caller::Operator));
    }
    let mut connection = crate::api::connection(context).await?;
    let key_hash = tenure_engine::access::hash_key(presented);
    account_caller(context, &mut connection, &key_hash).await
}

/// The account caller a live key's hash names: what a bearer key (through [`resolve`]) and a
/// console session (which keeps the hash) both resolve to, so the two cannot disagree.
pub async fn account_caller(
    context: &ApiContext,
    connection: &mut tenure_store::Connection,
    key_hash: &str,
) -> Result<Option<Caller>, ApiError> {
    let Some(key) = context.engine.live_key(connection, key_hash).await? else {
        return Ok(None);
    };
    // A key whose role no longer parses opens nothing.
    let Ok(role) = key.role.parse() else {
        return Ok(None);
    };
    Ok(Some(Caller::Account {
        account_id: key.account_id,
        key_id: key.id,
        role,
    }))
}

pub async fn authenticate(
    State(context): State<ApiContext>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    // The console's calls, made in process for a signed-in session, carry their caller already
    // (an extension no request from the network can carry).
    if request.extensions().get::<Caller>().is_some() {
        return Ok(next.run(request).await);
    }
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .ok_or(ApiError::Unauthorized)?
        .to_string();
    let caller = resolve(&context, &presented)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

pub async fn authorize(
    State((context, access)): State<(ApiContext, Access)>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if access == Access::Public {
        return Ok(next.run(request).await);
    }
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or(ApiError::Unauthorized)?;
    let Caller::Account {
        account_id, role, ..
    } = caller
    else {
        return Ok(next.run(request).await);
    };
    let permission = match access {
        Access::Public => unreachable!("public routes return above"),
        Access::Operator => {
            return Err(ApiError::Forbidden(
                "this endpoint is for the operator only".into(),
            ))
        }
        Access::Account(permission) => permission,
    };
    // Copied out first: a borrowed request cannot be held across an await (its body is not Sync).
    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_string());
    let path = request.uri().path().to_string();
    check_path(&context, matched.as_deref(), &path, &account_id).await?;
    if !role.allows(permission) {
        return Err(ApiError::Forbidden(format!(
            "a {} key cannot do this; it needs the {} permission",
            role.as_str(),
            permission_name(permission)
        )));
    }
    Ok(next.run(request).await)
}

fn permission_name(permission: Permission) -> &'static str {
    match permission {
        Permission::Read => "read",
        Permission::Purchase => "purchase",
        Permission::Billing => "billing",
        Permission::ManageUsers => "user management",
        Permission::RecordOutsideMoney => "outside money",
    }
}

/// The table behind a path's `{id}`, named by the segment before it.
fn owned_table(resource: &str) -> Option<(OwnedTable, &'static str)> {
    match resource {
        "accounts" => Some((OwnedTable::Accounts, "account")),
        "instances" => Some((OwnedTable::Instances, "instance")),
        "orders" => Some((OwnedTable::Orders, "order")),
        "approvals" => Some((OwnedTable::Approvals, "approval")),
        "refunds" => Some((OwnedTable::Refunds, "refund")),
        "bills" => Some((OwnedTable::Bills, "bill")),
        "invoices" => Some((OwnedTable::Invoices, "invoice")),
        _ => None,
    }
}

async fn owned_by(
    context: &ApiContext,
    table: OwnedTable,
    id: &str,
    account_id: &str,
) -> Result<bool, ApiError> {
    if table == OwnedTable::Accounts {
        return Ok(id == account_id);
    }
    let mut connection = crate::api::connection(context).await?;
    let owner = owner_of(&mut connection, table, id)
        .await
        .map_err(EngineError::from)?;
    Ok(owner.as_deref() == Some(account_id))
}

async fn check_path(
    context: &ApiContext,
    matched: Option<&str>,
    path: &str,
    account_id: &str,
) -> Result<(), ApiError> {
    let Some(matched) = matched else {
        return Ok(());
    };
    let pattern: Vec<&str> = matched.split('/').collect();
    let actual: Vec<&str> = path.split('/').collect();
    let Some(position) = pattern.iter().position(|segment| segment.starts_with('{')) else {
        return Ok(());
    };
    let id = actual.get(position).copied().unwrap_or_default();
    let resource = pattern
        .get(position.wrapping_sub(1))
        .copied()
        .unwrap_or_default();
    // An id of a kind this file does not know is not reachable by account keys at all.
    let (table, entity) =
        owned_table(resource).ok_or_else(|| EngineError::not_found("resource", id))?;
    if owned_by(context, table, id, account_id).await? {
        Ok(())
    } else {
        Err(EngineError::not_found(entity, id).into())
    }
}

/// What a typed request body names that an account key must own: read from the body the
/// handler gets, so nothing is parsed twice. A body that names nothing implements it empty.
pub trait BodyNames {
    /// The account the body names (`account`), if any.
    fn named_account(&self) -> Option<&str> {
        None
    }

    /// The instances the body names (`instance`, `instances`).
    fn named_instances(&self) -> Vec<&str> {
        Vec::new()
    }

    /// Money the body would record as arrived from outside tenure (a deposit, or `pay_with`
    /// naming a card, PayPal, Alipay or a transfer), in words: only the operator vouches for
    /// such money ([`Permission::RecordOutsideMoney`]). `None` when it pays from what the
    /// account holds.
    fn outside_money(&self) -> Option<String> {
        None
    }

    /// Whether the body charges a saved card through the payment provider: with a provider
    /// configured, the provider, not the caller, vouches for that money.
    fn charges_a_card(&self) -> bool {
        false
    }
}

/// `pay_with` as an outside payment, in words, when it names one (see
/// [`BodyNames::outside_money`]); a method that does not parse is the use case's to refuse.
pub fn outside_payment(pay_with: Option<&str>) -> Option<String> {
    let method: tenure_core::payment::PaymentMethod = pay_with?.parse().ok()?;
    method
        .is_external()
        .then(|| format!("a payment by {}", method.as_str()))
}

impl BodyNames for serde_json::Value {}

/// A list's query: an account key's lists show its own account only, whatever `account`
/// filter was asked for.
pub trait ListScope {
    fn scope_to_account(&mut self, _account_id: &str) {}
}

/// The account and instances a body names, copied out of it (the body need not be shareable
/// across the ownership lookups' awaits).
pub struct Named {
    account: Option<String>,
    instances: Vec<String>,
    outside_money: Option<String>,
    charges_a_card: bool,
}

impl Named {
    pub fn of(body: &impl BodyNames) -> Named {
        Named {
            account: body.named_account().map(str::to_string),
            instances: body
                .named_instances()
                .into_iter()
                .map(str::to_string)
                .collect(),
            outside_money: body.outside_money(),
            charges_a_card: body.charges_a_card(),
        }
    }
}

/// Holds an account key to the account and instances a body names: anything else answers 404
/// exactly as a missing id does, so ids of other accounts do not leak. Then refuses, with 403,
/// money from outside tenure that an account's key would vouch for itself.
pub async fn check_names(
    context: &ApiContext,
    caller: &Caller,
    named: Named,
) -> Result<(), ApiError> {
    let Caller::Account {
        account_id, role, ..
    } = caller
    else {
        return Ok(());
    };
    if let Some(account) = named.account {
        if &account != account_id {
            return Err(EngineError::not_found("account", &account).into());
        }
    }
    for instance_id in named.instances {
        if !owned_by(context, OwnedTable::Instances, &instance_id, account_id).await? {
            return Err(EngineError::not_found("instance", &instance_id).into());
        }
    }
    // A card charged through the provider is paid for by the card, not by the caller's word.
    let provider_vouches = named.charges_a_card && context.engine.takes_cards();
    if let Some(what) = named.outside_money.filter(|_| !provider_vouches) {
        if !role.allows(Permission::RecordOutsideMoney) {
            return Err(ApiError::Forbidden(format!(
                "only the operator records money paid outside tenure ({what}): the operator \
                 vouches that it arrived. An account's key pays from the account's balance, \
                 coupons and vouchers (leave out `pay_with`, or send \"balance\")"
            )));
        }
    }
    Ok(())
}
