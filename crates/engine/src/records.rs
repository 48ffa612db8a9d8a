//! Reading what the use cases wrote, one page or one row at a time: accounts, the ledger,
//! instances, approvals, bills, refunds, stuck steps and users. A cursor that names nothing
//! is refused where a client following it would go round for ever.

use tenure_store::approvals::{self, Approval, ApprovalFilter};
use tenure_store::bills::{self, Bill, BillFilter};
use tenure_store::instances::{self, InstanceFilter};
use tenure_store::keys::{self, ApiKey};
use tenure_store::ledger::{self, EntriesFrom, StoredEntry};
use tenure_store::payments::{self, Payment};
use tenure_store::refunds::{self, Refund, RefundFilter};
use tenure_store::resource_plans::{self, PlanQuota};
use tenure_store::stuck_steps::{self, StuckStep};
use tenure_store::{accounts, Connection};

use tenure_store::accounts::{AccountFilter, AccountOrder, AccountsAfter};

use crate::accounts::AccountSummary;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::instances::InstanceView;

/// A refund and what the payment provider was asked to pay back of it (one payment per card
/// charge it gives back from; none when it goes elsewhere or the operator pays it).
#[derive(Debug, Clone)]
pub struct RefundRecord {
    pub refund: Refund,
    pub paid_back: Vec<Payment>,
}

/// A page of an account's ledger, oldest entry first.
#[derive(Debug)]
pub struct LedgerPage {
    pub account_id: String,
    pub currency: String,
    pub data: Vec<StoredEntry>,
    /// Pass as `after` to get the next page; null on the last page.
    pub next_after: Option<String>,
}

/// The cursor after `account` in a list in `order`: its id alone in creation order (as before
/// lists had another order), else the sort key and the id, so the next page starts where this
/// one ended even when the account's name or balance changes between the two.
pub fn accounts_cursor(order: AccountOrder, account: &AccountSummary) -> String {
    let id = &account.account.id;
    match order {
        AccountOrder::Created => id.clone(),
        AccountOrder::Name => {
            let key = accounts::name_key(&account.account.name);
            let hex: String = key.bytes().map(|byte| format!("{byte:02x}")).collect();
            format!("name:{hex}:{id}")
        }
        AccountOrder::Balance => format!("balance:{}:{id}", account.balance_minor),
    }
}

/// Reads back a cursor [`accounts_cursor`] made for `order`; one made for another order, or
/// none of its making, is refused.
pub fn parse_accounts_cursor(
    order: AccountOrder,
    cursor: &str,
) -> Result<AccountsAfter, EngineError> {
    let refused = || {
        EngineError::invalid(
            "invalid_cursor",
            "`after` is not a cursor of this list's `sort`: pass the `next_after` of a page with the same `sort`",
        )
    };
    let split = |prefix: &str| {
        let rest = cursor.strip_prefix(prefix)?;
        let (key, id) = rest.split_once(':')?;
        (!id.is_empty()).then(|| (key.to_string(), id.to_string()))
    };
    match order {
        AccountOrder::Created => Ok(AccountsAfter::Created {
            id: cursor.to_string(),
        }),
        AccountOrder::Name => {
            let (hex, id) = split("name:").ok_or_else(refused)?;
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|at| {
                    hex.get(at..at + 2)
                        .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                })
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(refused)?;
            let key = String::from_utf8(bytes).map_err(|_| refused())?;
            Ok(AccountsAfter::Name { key, id })
        }
        AccountOrder::Balance => {
            let (minor, id) = split("balance:").ok_or_else(refused)?;
            let balance_minor = minor.parse().map_err(|_| refused())?;
            Ok(AccountsAfter::Balance { balance_minor, id })
        }
    }
}

impl Engine {
    /// The accounts `filter` asks for, with their money and states, in one read.
    pub async fn list_accounts(
        &self,
        connection: &mut Connection,
        filter: &AccountFilter,
    ) -> Result<Vec<AccountSummary>, EngineError> {
        let found = accounts::search(connection, filter).await?;
        Ok(found
            .into_iter()
            .map(|listed| AccountSummary::new(listed.account, listed.funds))
            .collect())
    }

    /// `limit` entries of the account's ledger after the entry `after`, each checked to balance.
    pub async fn ledger_page(
        &self,
        connection: &mut Connection,
        account_id: &str,
        limit: i64,
        after: Option<String>,
    ) -> Result<LedgerPage, EngineError> {
        let account = self.account_view(connection, account_id).await?;
        let from = match after {
            None => EntriesFrom::Start,
            Some(entry_id) => {
                let at = ledger::entry_at(connection, account_id, &entry_id)
                    .await?
                    .ok_or_else(|| {
                        EngineError::not_found("ledger entry (the `after` cursor)", &entry_id)
                    })?;
                EntriesFrom::After { at, entry_id }
            }
        };
        let entries = ledger::entries(connection, account_id, &from, limit).await?;
        let next_after = (entries.len() as i64 == limit)
            .then(|| entries.last().map(|entry| entry.id.clone()))
            .flatten();
        Ok(LedgerPage {
            account_id: account_id.to_string(),
            currency: account.account.currency,
            data: entries,
            next_after,
        })
    }

    /// The instances `filter` asks for, each with what its product says of it.
    pub async fn list_instances(
        &self,
        connection: &mut Connection,
        filter: &InstanceFilter,
    ) -> Result<Vec<InstanceView>, EngineError> {
        let found = instances::list(connection, filter).await?;
        Ok(found
            .into_iter()
            .map(|stored| {
                let product = self.catalog.product(&stored.instance.product_id);
                InstanceView::new(stored, product)
            })
            .collect())
    }

    /// A resource plan's quota. An instance that is not a resource plan has none: a refusal,
    /// so a 404 keeps meaning "no such instance" (or not yours).
    pub async fn plan_quota(
        &self,
        connection: &mut Connection,
        instance_id: &str,
    ) -> Result<PlanQuota, EngineError> {
        if let Some(quota) = resource_plans::get(connection, instance_id).await? {
            return Ok(quota);
        }
        match instances::get(connection, instance_id).await? {
            Some(_) => Err(EngineError::refused(
                "not_a_resource_plan",
                format!("instance {instance_id} is not a resource plan and has no quota"),
            )),
            None => Err(EngineError::not_found("instance", instance_id)),
        }
    }

    pub async fn list_approvals(
        &self,
        connection: &mut Connection,
        filter: &ApprovalFilter,
    ) -> Result<Vec<Approval>, EngineError> {
        Ok(approvals::list(connection, filter).await?)
    }

    pub async fn approval(
        &self,
        connection: &mut Connection,
        approval_id: &str,
    ) -> Result<Approval, EngineError> {
        approvals::get(connection, approval_id)
            .await?
            .ok_or_else(|| EngineError::not_found("approval", approval_id))
    }

    pub async fn list_bills(
        &self,
        connection: &mut Connection,
        filter: &BillFilter,
    ) -> Result<Vec<Bill>, EngineError> {
        Ok(bills::list(connection, filter).await?)
    }

    pub async fn bill(
        &self,
        connection: &mut Connection,
        bill_id: &str,
    ) -> Result<Bill, EngineError> {
        bills::get(connection, bill_id)
            .await?
            .ok_or_else(|| EngineError::not_found("bill", bill_id))
    }

    pub async fn list_refunds(
        &self,
        connection: &mut Connection,
        filter: &RefundFilter,
    ) -> Result<Vec<RefundRecord>, EngineError> {
        let found = refunds::list(connection, filter).await?;
        let ids: Vec<String> = found.iter().map(|refund| refund.id.clone()).collect();
        let mut paid_back = payments::of_refunds(connection, &ids).await?;
        Ok(found
            .into_iter()
            .map(|refund| {
                let (mine, others) = paid_back
                    .drain(..)
                    .partition(|payment| payment.refund_id.as_deref() == Some(refund.id.as_str()));
                paid_back = others;
                RefundRecord {
                    refund,
                    paid_back: mine,
                }
            })
            .collect())
    }

    pub async fn refund(
        &self,
        connection: &mut Connection,
        refund_id: &str,
    ) -> Result<RefundRecord, EngineError> {
        let refund = refunds::get(connection, refund_id)
            .await?
            .ok_or_else(|| EngineError::not_found("refund", refund_id))?;
        let paid_back = payments::of_refund(connection, refund_id).await?;
        Ok(RefundRecord { refund, paid_back })
    }

    /// `limit` stuck steps after the step `after`.
    pub async fn list_stuck_steps(
        &self,
        connection: &mut Connection,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StuckStep>, EngineError> {
        Ok(stuck_steps::list(connection, after, limit).await?)
    }

    /// `limit` of the account's users (its keys) after the key `after`.
    pub async fn list_users(
        &self,
        connection: &mut Connection,
        account_id: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ApiKey>, EngineError> {
        self.account_view(connection, account_id).await?;
        Ok(keys::list(connection, account_id, after, limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use tenure_core::payment::Funds;
    use tenure_store::accounts::{Account, AccountOrder, AccountsAfter};

    use super::{accounts_cursor, parse_accounts_cursor};
    use crate::accounts::AccountSummary;

    fn summary(name: &str, balance_minor: i64) -> AccountSummary {
        let account = Account {
            id: "acct_0191d2c3a4b5".to_string(),
            name: name.to_string(),
            email: "a@example.com".to_string(),
            mobile: "+15550100".to_string(),
            currency: "USD".to_string(),
            low_balance_threshold_minor: None,
            created_at: Timestamp::UNIX_EPOCH,
            overdue_since: None,
            low_balance_alerted: false,
            frozen_reason: None,
            frozen_at: None,
        };
        let funds = Funds {
            balance_minor,
            ..Funds::default()
        };
        AccountSummary::new(account, funds)
    }

    #[test]
    fn a_cursor_reads_back_as_the_key_and_id_it_was_made_of() {
        let id = "acct_0191d2c3a4b5".to_string();
        let named = summary("Zoë: \"100%\" O'Brien", -250);
        let cursor = accounts_cursor(AccountOrder::Name, &named);
        assert_eq!(
            parse_accounts_cursor(AccountOrder::Name, &cursor).unwrap(),
            AccountsAfter::Name {
                key: "zoë: \"100%\" o'brien".to_string(),
                id: id.clone()
            }
        );
        let cursor = accounts_cursor(AccountOrder::Balance, &named);
        assert_eq!(
            parse_accounts_cursor(AccountOrder::Balance, &cursor).unwrap(),
            AccountsAfter::Balance {
                balance_minor: -250,
                id: id.clone()
            }
        );
        assert_eq!(accounts_cursor(AccountOrder::Created, &named), id);
    }

    #[test]
    fn a_cursor_of_another_order_or_of_no_making_is_refused() {
        let named = summary("Ada", 0);
        let by_name = accounts_cursor(AccountOrder::Name, &named);
        let by_balance = accounts_cursor(AccountOrder::Balance, &named);
        for (order, cursor) in [
            (AccountOrder::Balance, by_name.as_str()),
            (AccountOrder::Name, by_balance.as_str()),
            (AccountOrder::Name, "name:6:acct_1"),
            (AccountOrder::Name, "name:zz:acct_1"),
            (AccountOrder::Name, "name:ff:acct_1"),
            (AccountOrder::Name, "name:61:"),
            (AccountOrder::Balance, "balance:1e3:acct_1"),
            (AccountOrder::Balance, "balance:99999999999999999999:acct_1"),
        ] {
            assert!(
                parse_accounts_cursor(order, cursor).is_err(),
                "{cursor} under {order:?}"
            );
        }
    }
}
