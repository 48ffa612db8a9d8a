//! The default catalog, compiled into the binary so that `tenure serve` needs no files.
//! The sources are the TOML files in `catalog/` at the top of the repository.

use super::load::parse_files;
use super::model::Catalog;

/// The default catalog's product files: their paths in the repository and their texts.
pub const DEFAULT_CATALOG_FILES: [(&str, &str); 4] = [
    (
        "catalog/data-management.toml",
        include_str!("../../../../catalog/data-management.toml"),
    ),
    (
        "catalog/dns.toml",
        include_str!("../../../../catalog/dns.toml"),
    ),
    (
        "catalog/iot-platform.toml",
        include_str!("../../../../catalog/iot-platform.toml"),
    ),
    (
        "catalog/message-queue.toml",
        include_str!("../../../../catalog/message-queue.toml"),
    ),
];

/// The four products of the default catalog, checked like any other catalog.
pub fn default_catalog() -> Catalog {
    let files: Vec<(String, String)> = DEFAULT_CATALOG_FILES
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    parse_files(&files).expect("the default catalog is valid (tested)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Billing, DeductionSchedule, ReleaseAction};

    #[test]
    fn default_catalog_holds_the_four_products_and_their_policies() {
        let catalog = default_catalog();
        let retention = |id: &str| catalog.product(id).unwrap().lifecycle.retention_days;
        assert_eq!(retention("message-queue"), 30);
        assert_eq!(retention("iot-platform"), 15);
        assert_eq!(retention("dns"), 7);
        let dns = catalog.product("dns").unwrap();
        assert_eq!(dns.lifecycle.at_release, ReleaseAction::MoveToFreeTier);
        assert!(!dns.changes.downgrade);
        let message_queue = catalog.product("message-queue").unwrap();
        assert_eq!(message_queue.lifecycle.reminder_lead_days, 7);
        assert!(!message_queue.changes.edition_change);
        assert!(
            message_queue
                .edition("enterprise-platinum")
                .unwrap()
                .upgrade_needs_approval
        );
        let iot = catalog.product("iot-platform").unwrap();
        assert_eq!(
            iot.auto_renewal.schedule.offsets_days(),
            vec![-3, -1, 0, 6, 14]
        );
        assert_eq!(
            iot.auto_renewal.schedule_when_enabled_at_purchase,
            Some(DeductionSchedule::Daily {
                first_days_before: 9,
                last_days_before: 1
            })
        );
        let message_package = iot.edition("message-package").unwrap();
        assert_eq!(message_package.billing, Billing::ResourcePlan);
        assert_eq!(message_package.quota_unit.as_deref(), Some("message"));
        assert_eq!(
            message_package.spec("messages-10m").unwrap().quota,
            Some(10_000_000)
        );
        assert!(!dns.edition("personal").unwrap().refundable);
        assert!(iot.edition("enterprise").unwrap().refundable);
        let data_management = catalog.product("data-management").unwrap();
        assert_eq!(
            data_management.auto_renewal.schedule.offsets_days(),
            (-9..=-1).collect::<Vec<_>>()
        );
    }
}
