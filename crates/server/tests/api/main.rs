//! End-to-end tests: the real server on port 0, driven over HTTP, on SQLite and on PostgreSQL.
//! One test binary; a module per feature; `helpers::spawn_app` gives each test a fresh database.

mod helpers;

mod access;
mod account_keys;
mod accounts;
mod accounts_search;
mod actors;
mod auto_renewal;
mod billing_profiles;
mod body_fuzz;
mod card_payments;
mod catalog;
mod changes;
mod clock_state;
mod concurrency;
mod console;
mod contract;
mod cursors;
mod database_failures;
mod deliveries;
mod forecast;
mod free_instances;
mod group_commit;
mod idempotency;
mod instance_names;
mod invoice_emails;
mod invoices;
mod lifecycle;
mod money_properties;
mod operations;
mod outside_money;
mod overview;
mod payg;
mod purchase_limits;
mod receiver;
mod renewals;
mod serial_replay;
mod simulate;
mod slow_clients;
mod smtp;
mod stuck_steps;
mod text_fuzz;
mod unsubscription;
mod validation;
mod webhook_endpoints;
