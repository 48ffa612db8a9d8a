//! What several engine tests set up the same way. Each test file uses a part of it.
#![allow(dead_code)]

use jiff::Timestamp;
use tenure_core::catalog::{default_catalog, Billing};
use tenure_core::payment::{PaymentMethod, PaymentSources};
use tenure_core::period::Period;
use tenure_core::purchase::PurchaseRequest;
use tenure_engine::accounts::NewAccount;
use tenure_engine::instances::PurchaseCommand;
use tenure_engine::{Clock, Engine, Ids};
use tenure_store::Store;

/// A new temporary folder and the URL of a SQLite file in it; the file goes with the folder.
pub fn scratch_sqlite() -> (tempfile::TempDir, String) {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("tenure.db").display());
    (folder, url)
}

/// An engine on `url` with the default catalog, its clock simulated from `start`.
pub async fn engine_on(url: &str, start: Timestamp) -> Engine {
    engine_with(Store::connect(url).await.unwrap(), start)
}

/// An engine on `store` with the default catalog, its clock simulated from `start`.
pub fn engine_with(store: Store, start: Timestamp) -> Engine {
    Engine::new(
        store,
        default_catalog(),
        Clock::simulated(start),
        Ids::random(),
    )
}

pub fn ada() -> NewAccount {
    NewAccount {
        name: "Ada".into(),
        email: "ada@example.com".into(),
        mobile: "+15550100".into(),
        currency: None,
        low_balance_threshold_minor: None,
    }
}

/// A month of the basic message queue (tps-1000, us-east-1), renewed by hand, paid from
/// vouchers, coupons, then the balance.
pub fn monthly_basic_queue(account_id: &str) -> PurchaseCommand {
    PurchaseCommand {
        account_id: account_id.to_string(),
        request: PurchaseRequest {
            product_id: "message-queue".into(),
            edition_id: "basic".into(),
            spec_id: Some("tps-1000".into()),
            region: "us-east-1".into(),
            billing: Billing::Subscription,
            period: Some(Period::months(1)),
            auto_renew_period: None,
            activates_at: None,
        },
        auto_renew: false,
        sources: PaymentSources {
            use_vouchers: true,
            use_coupons: true,
            method: PaymentMethod::Balance,
        },
    }
}

/// An account (Ada's details) with 1,000.00 deposited and `count` monthly basic queues bought
/// from it, committed together: the account's id and the instances' ids.
pub async fn account_with_queues(engine: &Engine, count: usize) -> (String, Vec<String>) {
    let mut tx = engine.begin().await.unwrap();
    let account = engine.create_account(&mut tx, ada()).await.unwrap();
    let account_id = account.account.account.id.clone();
    engine
        .deposit(&mut tx, &account_id, 100_000, PaymentMethod::BankCard)
        .await
        .unwrap();
    let mut instance_ids = Vec::new();
    for _ in 0..count {
        let bought = engine
            .purchase(&mut tx, monthly_basic_queue(&account_id))
            .await
            .unwrap();
        instance_ids.push(bought.instance.instance.id.clone());
    }
    tx.commit().await.unwrap();
    (account_id, instance_ids)
}
