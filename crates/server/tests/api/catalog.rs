use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;

async fn the_catalog_lists_four_products_with_policies(backend: Backend) {
    let app = spawn_app(backend, "2026-02-10T00:00:00Z").await;
    let catalog = app.get("/v1/products").await;
    let products = catalog["data"].as_array().unwrap();
    let ids: Vec<&str> = products
        .iter()
        .map(|product| product["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["data-management", "dns", "iot-platform", "message-queue"]
    );
    let message_queue = &products[3];
    assert_eq!(message_queue["lifecycle"]["retention_days"], 30);
    assert_eq!(message_queue["lifecycle"]["reminder_lead_days"], 7);
    assert_eq!(message_queue["lifecycle"]["reminder_channels"][0], "sms");
    assert_eq!(
        message_queue["editions"][0]["specs"][0]["monthly_price_minor"],
        12_000
    );
    assert_eq!(products[1]["lifecycle"]["at_release"], "move_to_free_tier");
    let openapi = app.get("/openapi.json").await;
    assert!(openapi["paths"]["/v1/instances/{id}/renew"]["post"].is_object());
}
on_both_backends!(products, the_catalog_lists_four_products_with_policies);
