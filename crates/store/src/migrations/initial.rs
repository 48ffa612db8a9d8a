//! Version 1: the schema as it stood before tenure numbered its migrations. Every statement is
//! written to be run again harmlessly (`IF NOT EXISTS`, `DROP INDEX IF EXISTS`), so a database
//! created before the numbering takes this version as it is and goes on from there. Never edit
//! it: change the schema in a new migration.

use super::{Migration, Step};
use crate::connect::Dialect;

pub(super) const MIGRATION: Migration = Migration {
    version: 1,
    name: "initial",
    steps,
};

fn steps(dialect: Dialect) -> Vec<Step> {
    let mut steps: Vec<Step> = SCHEMA
        .iter()
        .map(|statement| Step::Sql(statement.replace("{serial}", dialect.serial_key())))
        .collect();
    // Databases written before the running totals existed get them filled from the ledger.
    steps.push(Step::FillRunningTotals);
    steps
}

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS accounts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        mobile TEXT NOT NULL,
        currency TEXT NOT NULL,
        low_balance_threshold_minor BIGINT,
        created_at BIGINT NOT NULL,
        overdue_since BIGINT,
        low_balance_alerted BIGINT NOT NULL DEFAULT 0
    )",
    "CREATE TABLE IF NOT EXISTS ledger_entries (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id),
        kind TEXT NOT NULL,
        at BIGINT NOT NULL,
        order_id TEXT,
        memo TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS ledger_entries_by_account ON ledger_entries (account_id, at)",
    "CREATE TABLE IF NOT EXISTS ledger_postings (
        id {serial},
        entry_id TEXT NOT NULL REFERENCES ledger_entries (id),
        account_id TEXT NOT NULL,
        ledger_account TEXT NOT NULL,
        amount_minor BIGINT NOT NULL
    )",
    // Postings are found through their entry (an account's through its entries): an index by
    // account was one more B-tree insert per posting. Dropped where an older database has it.
    "DROP INDEX IF EXISTS ledger_postings_by_account",
    "CREATE INDEX IF NOT EXISTS ledger_postings_by_entry ON ledger_postings (entry_id)",
    // The running totals of an account's balance, coupons and vouchers: written with every
    // ledger entry, in its transaction, so paying reads one row instead of summing the
    // account's whole history; checked against that sum where the ledger is read.
    "CREATE TABLE IF NOT EXISTS account_funds (
        account_id TEXT PRIMARY KEY REFERENCES accounts (id),
        balance_minor BIGINT NOT NULL,
        coupons_minor BIGINT NOT NULL,
        vouchers_minor BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS instances (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id),
        product_id TEXT NOT NULL,
        edition_id TEXT NOT NULL,
        spec_id TEXT NOT NULL,
        region TEXT NOT NULL,
        billing TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        released_at BIGINT,
        renewal_mode TEXT NOT NULL,
        auto_renew_period TEXT,
        subscription_period TEXT,
        reminded_for_expiry BIGINT,
        auto_renew_schedule TEXT,
        auto_renew_effective_from BIGINT,
        deduction_renews_expires_at BIGINT,
        deduction_attempt_offset_days BIGINT,
        next_due_at BIGINT,
        last_active_at BIGINT
    )",
    "CREATE INDEX IF NOT EXISTS instances_by_next_due ON instances (next_due_at) WHERE next_due_at IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS instances_by_account ON instances (account_id, created_at)",
    "CREATE TABLE IF NOT EXISTS orders (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id),
        instance_id TEXT NOT NULL REFERENCES instances (id),
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        product_id TEXT NOT NULL,
        edition_id TEXT NOT NULL,
        spec_id TEXT NOT NULL,
        period TEXT NOT NULL,
        starts_at BIGINT NOT NULL,
        ends_at BIGINT NOT NULL,
        list_price_minor BIGINT NOT NULL,
        paid_voucher_minor BIGINT NOT NULL,
        paid_coupon_minor BIGINT NOT NULL,
        paid_balance_minor BIGINT NOT NULL,
        paid_external_minor BIGINT NOT NULL,
        external_method TEXT,
        created_at BIGINT NOT NULL,
        period_order_id TEXT NOT NULL,
        period_revision BIGINT NOT NULL,
        value_cash_minor BIGINT NOT NULL,
        value_voucher_minor BIGINT NOT NULL,
        value_from_hours BIGINT NOT NULL,
        refunded_minor BIGINT NOT NULL,
        refund_destination TEXT
    )",
    "CREATE INDEX IF NOT EXISTS orders_by_account ON orders (account_id, created_at)",
    // A period's orders are found through their instance (`orders_by_instance`).
    "DROP INDEX IF EXISTS orders_by_period",
    "CREATE INDEX IF NOT EXISTS orders_by_instance ON orders (instance_id, starts_at)",
    // One refund per cancelled service period, never two: `order_id` is the period's opening
    // order (purchase or renewal), and its uniqueness is the last line of defence behind the
    // use cases' own checks.
    "CREATE TABLE IF NOT EXISTS refunds (
        id TEXT PRIMARY KEY,
        unsubscription_id TEXT NOT NULL,
        account_id TEXT NOT NULL REFERENCES accounts (id),
        instance_id TEXT NOT NULL REFERENCES instances (id),
        order_id TEXT NOT NULL UNIQUE REFERENCES orders (id),
        resource_kind TEXT NOT NULL,
        refund_type TEXT NOT NULL,
        cash_paid_minor BIGINT NOT NULL,
        refunded_before_minor BIGINT NOT NULL,
        value_cash_minor BIGINT NOT NULL,
        voucher_kept_minor BIGINT NOT NULL,
        kept_minor BIGINT NOT NULL,
        refund_minor BIGINT NOT NULL,
        to_coupons_minor BIGINT NOT NULL,
        to_balance_minor BIGINT NOT NULL,
        to_external_minor BIGINT NOT NULL,
        destination TEXT NOT NULL,
        days_since_payment BIGINT NOT NULL,
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expected_arrival_by BIGINT NOT NULL,
        refunded_at BIGINT,
        details TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS refunds_by_account ON refunds (account_id, id)",
    "CREATE INDEX IF NOT EXISTS refunds_by_instance ON refunds (instance_id, id)",
    // A resource plan's quota: what its order bought and how much is used.
    "CREATE TABLE IF NOT EXISTS resource_plans (
        instance_id TEXT PRIMARY KEY REFERENCES instances (id),
        quota_unit TEXT NOT NULL,
        quota_units BIGINT NOT NULL,
        used_units BIGINT NOT NULL,
        activates_at BIGINT NOT NULL,
        CHECK (used_units >= 0 AND used_units <= quota_units)
    )",
    // One row per auto-renewal deduction attempt. The unique key is the guard against charging
    // a cycle twice: an attempt is claimed by inserting its row in the same transaction as the
    // payment, so a second sweep of the same moment finds it taken.
    "CREATE TABLE IF NOT EXISTS deduction_attempts (
        id TEXT PRIMARY KEY,
        instance_id TEXT NOT NULL REFERENCES instances (id),
        account_id TEXT NOT NULL,
        renews_expires_at BIGINT NOT NULL,
        attempt_offset_days BIGINT NOT NULL,
        scheduled_at BIGINT NOT NULL,
        attempted_at BIGINT NOT NULL,
        outcome TEXT NOT NULL,
        due_minor BIGINT NOT NULL,
        available_minor BIGINT NOT NULL,
        order_id TEXT,
        CONSTRAINT deduction_attempts_once UNIQUE (instance_id, renews_expires_at, attempt_offset_days)
    )",
    "CREATE TABLE IF NOT EXISTS approvals (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id),
        instance_id TEXT NOT NULL REFERENCES instances (id),
        status TEXT NOT NULL,
        direction TEXT NOT NULL,
        from_edition_id TEXT NOT NULL,
        from_spec_id TEXT NOT NULL,
        to_edition_id TEXT NOT NULL,
        to_spec_id TEXT NOT NULL,
        pay_with TEXT NOT NULL,
        use_vouchers BIGINT NOT NULL,
        use_coupons BIGINT NOT NULL,
        quoted_charge_minor BIGINT NOT NULL,
        requested_at BIGINT NOT NULL,
        decided_at BIGINT,
        reason TEXT
    )",
    "CREATE INDEX IF NOT EXISTS approvals_by_status ON approvals (status, id)",
    // One pending change per instance: a second request must wait for the first decision.
    "CREATE UNIQUE INDEX IF NOT EXISTS approvals_one_pending ON approvals (instance_id) WHERE status = 'pending'",
    "CREATE TABLE IF NOT EXISTS events (
        seq {serial},
        id TEXT NOT NULL UNIQUE,
        at BIGINT NOT NULL,
        account_id TEXT NOT NULL,
        instance_id TEXT,
        kind TEXT NOT NULL,
        data TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS events_by_account ON events (account_id, seq)",
    // An instance's events are found through its account's (`store::events::list`).
    "DROP INDEX IF EXISTS events_by_instance",
    "CREATE TABLE IF NOT EXISTS notifications (
        seq {serial},
        id TEXT NOT NULL UNIQUE,
        at BIGINT NOT NULL,
        account_id TEXT NOT NULL,
        instance_id TEXT,
        channel TEXT NOT NULL,
        kind TEXT NOT NULL,
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS notifications_by_account ON notifications (account_id, seq)",
    "CREATE TABLE IF NOT EXISTS api_keys (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id),
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
    )",
    "CREATE INDEX IF NOT EXISTS api_keys_by_account ON api_keys (account_id)",
    // Usage records: the record id is the reporter's, so a replayed record is ignored.
    "CREATE TABLE IF NOT EXISTS usage_records (
        record_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        instance_id TEXT NOT NULL REFERENCES instances (id),
        meter_id TEXT NOT NULL,
        quantity BIGINT NOT NULL,
        at BIGINT NOT NULL,
        cycle_start BIGINT NOT NULL,
        received_at BIGINT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS usage_records_by_cycle ON usage_records (instance_id, cycle_start, meter_id)",
    // One bill per instance per hourly cycle: `open` while usage accumulates, then `paid` or
    // `unpaid` (debt) once generated at `generate_at`. The unique pair is what makes billing a
    // cycle twice impossible.
    "CREATE TABLE IF NOT EXISTS bills (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id),
        instance_id TEXT NOT NULL REFERENCES instances (id),
        product_id TEXT NOT NULL,
        edition_id TEXT NOT NULL,
        cycle_start BIGINT NOT NULL,
        cycle_end BIGINT NOT NULL,
        generate_at BIGINT NOT NULL,
        status TEXT NOT NULL,
        amount_minor BIGINT NOT NULL,
        paid_balance_minor BIGINT NOT NULL,
        paid_coupon_minor BIGINT NOT NULL,
        lines TEXT NOT NULL,
        generated_at BIGINT,
        paid_at BIGINT,
        CONSTRAINT bills_one_per_instance_cycle UNIQUE (instance_id, cycle_start)
    )",
    "CREATE INDEX IF NOT EXISTS bills_open_by_generate_at ON bills (generate_at) WHERE status = 'open'",
    "CREATE INDEX IF NOT EXISTS bills_unpaid_by_account ON bills (account_id, cycle_start) WHERE status = 'unpaid'",
    "CREATE INDEX IF NOT EXISTS bills_by_account ON bills (account_id, id)",
    "CREATE TABLE IF NOT EXISTS idempotency (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status_code BIGINT NOT NULL,
        response_body TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (scope, key)
    )",
    "CREATE INDEX IF NOT EXISTS idempotency_by_age ON idempotency (created_at)",
];

/// The column list, parentheses included, that this version gave `table` on SQLite: what a
/// later migration that rebuilds the table starts from.
pub(super) fn sqlite_columns(table: &str) -> String {
    let opening = format!("CREATE TABLE IF NOT EXISTS {table} (");
    let statement = SCHEMA
        .iter()
        .find(|statement| statement.starts_with(&opening))
        .unwrap_or_else(|| panic!("version 1 has no table {table}"));
    statement["CREATE TABLE IF NOT EXISTS ".len() + table.len() + 1..]
        .replace("{serial}", Dialect::Sqlite.serial_key())
}
