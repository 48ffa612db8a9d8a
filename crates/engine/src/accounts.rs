//! Accounts and their money: create, deposit, grant coupons and vouchers, read balances.

use tenure_core::event::{EventData, EventDraft, EventKind};
use tenure_core::ledger::{deposited_event, granted_event, Entry, LedgerAccount};
use tenure_core::money::validate_positive_amount;
use tenure_core::payment::{Funds, PaymentMethod};
use tenure_store::accounts::{self, Account};
use tenure_store::Connection;
use tenure_store::{bills, ledger, StoreError, Tx};

use crate::record::RecordBuffer;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::overdue::Settlement;

/// What a caller gives to open an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub email: String,
    pub mobile: String,
    pub currency: Option<String>,
    pub low_balance_threshold_minor: Option<i64>,
}

/// An account with its derived money.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub account: Account,
    pub balance_minor: i64,
    pub coupons_minor: i64,
    pub vouchers_minor: i64,
    /// Balance plus coupons: what can pay fees.
    pub available_credit_minor: i64,
    /// The account has unpaid bills (see `overdue_since`); fee operations are refused.
    pub overdue: bool,
    /// The sum of the unpaid bills.
    pub debt_minor: i64,
    /// The available credit is under the account's low-balance threshold.
    pub low_balance: bool,
}

impl AccountView {
    pub fn new(account: Account, funds: Funds) -> AccountView {
        let summary = AccountSummary::new(account, funds);
        AccountView {
            account: summary.account,
            balance_minor: summary.balance_minor,
            coupons_minor: summary.coupons_minor,
            vouchers_minor: summary.vouchers_minor,
            available_credit_minor: summary.available_credit_minor,
            overdue: summary.overdue,
            debt_minor: 0,
            low_balance: summary.low_balance,
        }
    }

    pub fn with_debt(self, debt_minor: i64) -> AccountView {
        AccountView { debt_minor, ..self }
    }
}

/// An account as a list of accounts shows it: its money from the running totals (unchecked,
/// which [`AccountView`] does) and the states an operator looks for, each decided once, here,
/// for the list and the account's view alike.
#[derive(Debug, Clone)]
pub struct AccountSummary {
    pub account: Account,
    pub balance_minor: i64,
    pub coupons_minor: i64,
    pub vouchers_minor: i64,
    pub available_credit_minor: i64,
    /// The account has unpaid bills.
    pub overdue: bool,
    /// The account's writes are stopped: its ledger failed a check.
    pub frozen: bool,
    /// The available credit is under the account's low-balance threshold.
    pub low_balance: bool,
}

impl AccountSummary {
    pub fn new(account: Account, funds: Funds) -> AccountSummary {
        let available_credit_minor = funds.balance_minor + funds.coupons_minor;
        AccountSummary {
            balance_minor: funds.balance_minor,
            coupons_minor: funds.coupons_minor,
            vouchers_minor: funds.vouchers_minor,
            available_credit_minor,
            overdue: account.overdue_since.is_some(),
            frozen: account.frozen_reason.is_some(),
            low_balance: tenure_core::low_balance::is_low(
                account.low_balance_threshold_minor,
                available_credit_minor,
            ),
            account,
        }
    }
}

/// A new account and its owner's bearer key, shown only here.
#[derive(Debug, Clone)]
pub struct CreatedAccount {
    pub account: AccountView,
    pub owner_key: tenure_core::secret::ShownOnce,
}

/// A movement of money: a deposit or a grant, with the account after it.
#[derive(Debug, Clone)]
pub struct MoneyMovement {
    pub entry_id: String,
    pub amount_minor: i64,
    pub account: AccountView,
    /// Unpaid bills the new money paid, and the instances that paying them restored.
    pub settlement: Settlement,
}

pub(crate) fn check_text(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<(), EngineError> {
    if value.trim().is_empty() || value.chars().count() > max_chars {
        return Err(EngineError::invalid(
            "invalid_field",
            format!("`{field}` must be 1 to {max_chars} characters"),
        ));
    }
    Ok(())
}

/// An email address as the API document's pattern takes one: a local part and a domain around
/// one `@`, up to 254 characters.
pub(crate) fn check_email(field: &'static str, value: &str) -> Result<(), EngineError> {
    check_text(field, value, 254)?;
    let has_both_parts = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !domain.contains('@')
    });
    // No spaces or ASCII control characters: the set the API document's pattern names
    // (Unicode's and regular expressions' whitespace differ at the edges).
    if !has_both_parts || value.chars().any(|c| c <= ' ' || c == '\x7f') {
        return Err(EngineError::invalid(
            "invalid_field",
            format!("`{field}` must be an email address such as ops@example.com"),
        ));
    }
    Ok(())
}

impl Engine {
    /// Opens an account with its owner key (shown once, in this answer).
    pub async fn create_account(
        &self,
        tx: &mut Tx,
        new: NewAccount,
    ) -> Result<CreatedAccount, EngineError> {
        check_text("name", &new.name, 200)?;
        check_email("email", &new.email)?;
        let digits = new.mobile.strip_prefix('+').unwrap_or(&new.mobile);
        let mobile_ok =
            (5..=20).contains(&digits.len()) && digits.bytes().all(|byte| byte.is_ascii_digit());
        if !mobile_ok {
            return Err(EngineError::invalid(
                "invalid_field",
                "`mobile` must be 5 to 20 digits, optionally after a +",
            ));
        }
        let catalog_currency = self.catalog.products[0].currency.code().to_string();
        let currency = new.currency.unwrap_or_else(|| catalog_currency.clone());
        if currency != catalog_currency {
            return Err(EngineError::invalid(
                "unsupported_currency",
                format!("the catalog sells in {catalog_currency}; `{currency}` is not supported"),
            ));
        }
        if let Some(threshold_minor) = new.low_balance_threshold_minor {
            if !(0..=tenure_core::money::MAX_AMOUNT_MINOR).contains(&threshold_minor) {
                return Err(EngineError::invalid(
                    "invalid_amount",
                    "`low_balance_threshold_minor` must be zero or a positive amount",
                ));
            }
        }
        let now = self.clock.now();
        let account = Account {
            id: self.ids.next("acct"),
            name: new.name.trim().to_string(),
            email: new.email,
            mobile: new.mobile,
            currency,
            low_balance_threshold_minor: new.low_balance_threshold_minor,
            created_at: now,
            overdue_since: None,
            low_balance_alerted: false,
            frozen_reason: None,
            frozen_at: None,
        };
        accounts::insert(tx, &account).await?;
        let event = tenure_core::account::created_event(&account.id, &account.name);
        self.record(tx, now, &account, &[event], &[]).await?;
        let owner = self
            .issue_key(tx, &account.id, "owner", tenure_core::access::Role::Owner)
            .await?;
        Ok(CreatedAccount {
            account: AccountView::new(account, Funds::default()),
            owner_key: owner.api_key,
        })
    }

    /// Reads an account inside a transaction, locking it where the database can.
    /// Locks the account a write changes; a frozen account (its ledger failed a check) is
    /// refused, whatever the write.
    pub(crate) async fn lock_account(
        &self,
        tx: &mut Tx,
        account_id: &str,
    ) -> Result<Account, EngineError> {
        let account = accounts::lock(tx, account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("account", account_id))?;
        refuse_frozen(&account)?;
        Ok(account)
    }

    pub async fn account_view(
        &self,
        connection: &mut Connection,
        account_id: &str,
    ) -> Result<AccountView, EngineError> {
        let account = accounts::get(connection, account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("account", account_id))?;
        // A frozen account's totals are not to be trusted: it answers why it is frozen.
        refuse_frozen(&account)?;
        // The running totals alone: the ledger audit checks them against the postings
        // ([`Engine::audit_ledgers`]), so a view costs the same whatever the account's history.
        let funds = ledger::funds(connection, account_id).await?;
        let debt_minor = bills::debt_minor(connection, account_id).await?;
        Ok(AccountView::new(account, funds).with_debt(debt_minor))
    }

    pub async fn deposit(
        &self,
        tx: &mut Tx,
        account_id: &str,
        amount_minor: i64,
        method: PaymentMethod,
    ) -> Result<MoneyMovement, EngineError> {
        let amount_minor = validate_positive_amount(amount_minor)
            .map_err(|error| EngineError::invalid("invalid_amount", error))?;
        if !method.is_external() {
            return Err(EngineError::invalid(
                "invalid_method",
                "a deposit comes from bank_card, paypal, alipay or transfer",
            ));
        }
        let account = self.lock_for_settlement(tx, account_id).await?;
        let now = self.clock.now();
        let entry_id = self.ids.next("led");
        let memo = format!("deposit by {}", method.as_str());
        ledger::write_entry(
            tx,
            &entry_id,
            account_id,
            &Entry::deposit(amount_minor, method),
            now,
            None,
            &memo,
        )
        .await?;
        let event = deposited_event(account_id, amount_minor, method, &entry_id);
        self.record(tx, now, &account, &[event], &[]).await?;
        // Paying the debt is what a deposit on an overdue account is for: settle at once, in
        // this transaction, so the account is never seen funded and overdue at the same time.
        let settlement = self.settle_account(tx, account_id, now).await?;
        self.money_movement(tx, account_id, entry_id, amount_minor, settlement, now)
            .await
    }

    /// The operator grants coupons (pay any fee) or vouchers (pay purchases, never refunded).
    pub async fn grant(
        &self,
        tx: &mut Tx,
        account_id: &str,
        credit: LedgerAccount,
        amount_minor: i64,
    ) -> Result<MoneyMovement, EngineError> {
        let amount_minor = validate_positive_amount(amount_minor)
            .map_err(|error| EngineError::invalid("invalid_amount", error))?;
        let account = self.lock_for_settlement(tx, account_id).await?;
        let now = self.clock.now();
        let entry_id = self.ids.next("led");
        let entry = Entry::grant(credit, amount_minor);
        let memo = match credit {
            LedgerAccount::Coupons => "coupon granted",
            _ => "voucher granted",
        };
        ledger::write_entry(tx, &entry_id, account_id, &entry, now, None, memo).await?;
        let event = granted_event(account_id, credit, amount_minor, &entry_id);
        self.record(tx, now, &account, &[event], &[]).await?;
        // Coupons pay bills, so they settle debt like a deposit; vouchers never pay usage.
        let settlement = if credit == LedgerAccount::Coupons {
            self.settle_account(tx, account_id, now).await?
        } else {
            Settlement::default()
        };
        self.money_movement(tx, account_id, entry_id, amount_minor, settlement, now)
            .await
    }

    async fn money_movement(
        &self,
        tx: &mut Tx,
        account_id: &str,
        entry_id: String,
        amount_minor: i64,
        settlement: Settlement,
        now: jiff::Timestamp,
    ) -> Result<MoneyMovement, EngineError> {
        // New money may lift the credit back above the low-balance threshold: re-arm the alert.
        self.check_low_balance(tx, account_id, now, false).await?;
        let account = self.account_view(tx, account_id).await?;
        Ok(MoneyMovement {
            entry_id,
            amount_minor,
            account,
            settlement,
        })
    }
}

/// The refusal of any write of a frozen account.
pub(crate) fn refuse_frozen(account: &Account) -> Result<(), EngineError> {
    match &account.frozen_reason {
        None => Ok(()),
        Some(reason) => Err(frozen(&account.id, reason)),
    }
}

/// What a ledger audit found: how many accounts it checked, and the ones whose running totals
/// differed from their postings (frozen now, or frozen already).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerAudit {
    pub accounts_checked: u64,
    pub drifted_accounts: Vec<String>,
}

fn frozen(account_id: &str, reason: &str) -> EngineError {
    EngineError::refused(
        "account_frozen",
        format!("account {account_id} is frozen: its ledger failed a check ({reason}); its writes are refused until an operator unfreezes it"),
    )
}

impl Engine {
    /// The ledger audit: every account's running totals against the sums of its postings,
    /// `batch_accounts` accounts per statement (each batch from one snapshot). An account whose
    /// totals differ is frozen (its writes stopped, with an alert and an `account.frozen`
    /// event); every other account goes on. Run now and then by the server, and by the
    /// operator (`POST /v1/ledger/audit`).
    pub async fn audit_ledgers(&self, batch_accounts: i64) -> Result<LedgerAudit, EngineError> {
        let mut audit = LedgerAudit::default();
        let mut after = String::new();
        loop {
            let batch = {
                let mut connection = self.store.read().await?;
                ledger::audit_batch(&mut connection, &after, batch_accounts).await?
            };
            for drift in batch.drifted {
                self.freeze_account(&drift.account_id, &drift.found).await?;
                audit.drifted_accounts.push(drift.account_id);
            }
            audit.accounts_checked += batch.accounts;
            let Some(last) = batch.last_account_id else {
                break;
            };
            after = last;
        }
        Ok(audit)
    }

    /// Stops the account's writes because its ledger failed a check (`found`): in a
    /// transaction of its own, with an `account.frozen` event and an error in the log, the
    /// alert. Frozen already, nothing more is written.
    async fn freeze_account(&self, account_id: &str, found: &str) -> Result<(), EngineError> {
        let now = self.clock.now();
        let mut tx = self.begin().await?;
        if accounts::freeze(&mut tx, account_id, found, now).await? {
            tracing::error!(account_id, found, "the account's ledger failed a check; its writes are stopped until an operator unfreezes it");
            self.record_freeze_event(&mut tx, EventKind::AccountFrozen, account_id, found, now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// An operator lets a frozen account write again, once its ledger checks (read in this
    /// transaction, after the account's lock): one that still fails stays frozen.
    pub async fn unfreeze_account(
        &self,
        tx: &mut Tx,
        account_id: &str,
    ) -> Result<AccountView, EngineError> {
        let now = self.clock.now();
        let account = accounts::lock(tx, account_id)
            .await?
            .ok_or_else(|| EngineError::not_found("account", account_id))?;
        let Some(reason) = account.frozen_reason.clone() else {
            return Err(EngineError::refused(
                "account_not_frozen",
                format!("account {account_id} is not frozen"),
            ));
        };
        let funds = match ledger::checked_funds(tx, account_id).await {
            Err(StoreError::LedgerUnbalanced(found)) => {
                return Err(EngineError::refused(
                    "ledger_still_fails",
                    format!(
                    "account {account_id} stays frozen: its ledger still fails its check ({found})"
                ),
                ))
            }
            checked => checked?,
        };
        accounts::unfreeze(tx, account_id).await?;
        tracing::warn!(
            account_id,
            "an operator unfroze the account; its ledger checks"
        );
        self.record_freeze_event(tx, EventKind::AccountUnfrozen, account_id, &reason, now)
            .await?;
        let debt_minor = bills::debt_minor(tx, account_id).await?;
        let account = Account {
            frozen_reason: None,
            frozen_at: None,
            ..account
        };
        Ok(AccountView::new(account, funds).with_debt(debt_minor))
    }

    /// `account.frozen` or `account.unfrozen`, with why the account was frozen.
    async fn record_freeze_event(
        &self,
        tx: &mut Tx,
        kind: EventKind,
        account_id: &str,
        reason: &str,
        now: jiff::Timestamp,
    ) -> Result<(), EngineError> {
        let event = EventDraft {
            kind,
            account_id: account_id.to_string(),
            instance_id: None,
            data: EventData::object().text("reason", reason).finish(),
        };
        let mut buffer = RecordBuffer::default();
        self.buffer_events(&mut buffer, now, [event]);
        buffer.flush(tx, self).await
    }
}
