//! Checking a catalog given as its files' texts. Every problem names the file, the field and
//! what is wrong, and all problems are reported at once (`tenure catalog check DIR`). Reading
//! the files is the caller's: the core does no IO.

use std::collections::HashSet;
use std::fmt;

use super::model::{Billing, Catalog, DeductionSchedule, Product, ReleaseAction};
use super::seller::{is_seller_file, parse_seller, Seller};
use crate::money::MAX_AMOUNT_MINOR;
use crate::notice::{parse_texts, NoticeTexts, NOTICES_FILE};

/// The largest quota a resource plan spec may hold: far above any real package, small enough
/// that quota arithmetic in `i64` never overflows.
pub const MAX_QUOTA_UNITS: i64 = 1_000_000_000_000_000;

/// The largest per-account limit of open instances a catalog may set: far above any real
/// account's needs, small enough that counting an account's instances stays cheap.
pub const MAX_OPEN_INSTANCES_LIMIT: i64 = 10_000;

/// One problem in a catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    pub file: String,
    pub field: String,
    pub problem: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}: {}", self.file, self.field, self.problem)
    }
}

/// Every problem found in a catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogErrors(pub Vec<CatalogError>);

impl fmt::Display for CatalogErrors {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.0 {
            writeln!(formatter, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CatalogErrors {}

/// Parses and checks a set of `(file name, TOML text)` pairs as one catalog: a product per
/// file, but for a file named `notices.toml`, whose notice texts replace the built-in ones
/// (`crate::notice`), and one named `seller.toml`, which replaces the built-in seller
/// ([`Seller`]).
pub fn parse_files(files: &[(String, String)]) -> Result<Catalog, CatalogErrors> {
    let mut errors = Vec::new();
    let mut products = Vec::new();
    let mut notices = NoticeTexts::builtin();
    let mut seller = None;
    let (notice_files, files): (Vec<_>, Vec<_>) =
        files.iter().partition(|(file, _)| is_notices_file(file));
    let (seller_files, files): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|(file, _)| is_seller_file(file));
    for (file, text) in notice_files {
        match parse_texts(file, text, Some(&notices)) {
            Ok(texts) => notices = texts,
            Err(more) => errors.extend(more),
        }
    }
    for (file, text) in seller_files {
        match parse_seller(file, text) {
            Ok(parsed) => seller = Some(parsed),
            Err(more) => errors.extend(more),
        }
    }
    if files.is_empty() {
        errors.push(CatalogError {
            file: "-".into(),
            field: "-".into(),
            problem: "the catalog has no product files (*.toml)".into(),
        });
    }
    for (file, text) in files {
        match parse_product(file, text) {
            Ok(product) => products.push((file.clone(), product)),
            Err(CatalogErrors(more)) => errors.extend(more),
        }
    }
    let mut seen_ids = HashSet::new();
    for (file, product) in &products {
        if !seen_ids.insert(product.id.clone()) {
            errors.push(error(
                file,
                "id",
                format!("product id `{}` is used by another file", product.id),
            ));
        }
        if product.currency != products[0].1.currency {
            errors.push(error(
                file,
                "currency",
                format!(
                    "every product of a catalog uses one currency; `{}` differs from `{}` in {}",
                    product.currency, products[0].1.currency, products[0].0
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(Catalog {
            products: products.into_iter().map(|(_, product)| product).collect(),
            notices,
            seller: seller.unwrap_or_else(Seller::builtin),
        })
    } else {
        Err(CatalogErrors(errors))
    }
}

/// Parses and checks one product file.
pub fn parse_product(file: &str, text: &str) -> Result<Product, CatalogErrors> {
    let product: Product = toml::from_str(text).map_err(|parse_error| {
        let field = match parse_error.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}")
            }
            None => "-".into(),
        };
        CatalogErrors(vec![error(file, &field, parse_error.message().to_string())])
    })?;
    let errors = check_product(file, &product);
    if errors.is_empty() {
        Ok(product)
    } else {
        Err(CatalogErrors(errors))
    }
}

/// Whether `file` (a path) is a folder's notice texts rather than a product.
fn is_notices_file(file: &str) -> bool {
    file.rsplit(['/', '\\']).next() == Some(NOTICES_FILE)
}

fn error(file: &str, field: &str, problem: impl Into<String>) -> CatalogError {
    CatalogError {
        file: file.to_string(),
        field: field.to_string(),
        problem: problem.into(),
    }
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

fn check_product(file: &str, product: &Product) -> Vec<CatalogError> {
    let mut errors = Vec::new();
    let mut problem = |field: &str, text: String| errors.push(error(file, field, text));
    if !is_identifier(&product.id) {
        problem(
            "id",
            format!(
                "`{}` must be 1 to 64 lower-case letters, digits or dashes",
                product.id
            ),
        );
    }
    if product.regions.is_empty() {
        problem("regions", "list at least one region".into());
    }
    let sells_prepaid = product
        .editions
        .iter()
        .any(|edition| edition.billing.is_prepaid());
    if sells_prepaid && product.periods.is_empty() {
        problem(
            "periods",
            "a product with subscription or resource plan editions must sell at least one period"
                .into(),
        );
    }
    let lifecycle = &product.lifecycle;
    if !(0..=365).contains(&lifecycle.retention_days) {
        problem(
            "lifecycle.retention_days",
            format!("{} is outside 0..=365", lifecycle.retention_days),
        );
    }
    if !(0..=90).contains(&lifecycle.reminder_lead_days) {
        problem(
            "lifecycle.reminder_lead_days",
            format!("{} is outside 0..=90", lifecycle.reminder_lead_days),
        );
    }
    if !(0..=lifecycle.retention_days.max(0)).contains(&lifecycle.release_warning_lead_days) {
        problem(
            "lifecycle.release_warning_lead_days",
            format!(
                "{} is outside 0..={} (the retention days: the warning falls within them)",
                lifecycle.release_warning_lead_days, lifecycle.retention_days
            ),
        );
    }
    if !lifecycle.free_tier_move_blocked_by.is_empty()
        && lifecycle.at_release != ReleaseAction::MoveToFreeTier
    {
        problem(
            "lifecycle.free_tier_move_blocked_by",
            "only a product whose release moves to the free tier (at_release = \"move_to_free_tier\") has a move that can fail".into(),
        );
    }
    if lifecycle.reminder_lead_days > 0 && lifecycle.reminder_channels.is_empty() {
        problem(
            "lifecycle.reminder_channels",
            "a reminder needs at least one channel".into(),
        );
    }
    let auto_renewal = &product.auto_renewal;
    if auto_renewal.period_follows_subscription != auto_renewal.periods.is_empty() {
        problem(
            "auto_renewal.periods",
            "list the auto-renewal periods, or set period_follows_subscription = true, not both"
                .into(),
        );
    }
    if !(0..=30).contains(&auto_renewal.min_lead_days) {
        problem(
            "auto_renewal.min_lead_days",
            format!("{} is outside 0..=30", auto_renewal.min_lead_days),
        );
    }
    let schedules = std::iter::once(("auto_renewal.schedule", &auto_renewal.schedule)).chain(
        auto_renewal
            .schedule_when_enabled_at_purchase
            .as_ref()
            .map(|schedule| ("auto_renewal.schedule_when_enabled_at_purchase", schedule)),
    );
    for (field, schedule) in schedules {
        if let Some(text) = schedule_problem(schedule, lifecycle.retention_days) {
            problem(field, text);
        }
    }
    if auto_renewal.failure_alert_channels.is_empty() {
        problem(
            "auto_renewal.failure_alert_channels",
            "a failed deduction needs an alert channel".into(),
        );
    }
    let sells_usage = product
        .editions
        .iter()
        .any(|edition| edition.billing == Billing::Payg);
    match &product.pay_as_you_go {
        None if sells_usage => problem(
            "pay_as_you_go",
            "a product with payg editions needs a [pay_as_you_go] policy".into(),
        ),
        Some(policy) => {
            if !(0..=72).contains(&policy.bill_delay_hours) {
                problem(
                    "pay_as_you_go.bill_delay_hours",
                    format!("{} is outside 0..=72", policy.bill_delay_hours),
                );
            }
            if !(0..=720).contains(&policy.overdue_grace_hours) {
                problem(
                    "pay_as_you_go.overdue_grace_hours",
                    format!("{} is outside 0..=720", policy.overdue_grace_hours),
                );
            }
        }
        None => {}
    }
    let limits = &product.purchase_limits;
    if !(0..=MAX_AMOUNT_MINOR).contains(&limits.payg_minimum_credit_minor) {
        problem(
            "purchase_limits.payg_minimum_credit_minor",
            format!(
                "{} is outside 0..={MAX_AMOUNT_MINOR}",
                limits.payg_minimum_credit_minor
            ),
        );
    }
    if !(1..=MAX_OPEN_INSTANCES_LIMIT).contains(&limits.payg_max_open_instances) {
        problem(
            "purchase_limits.payg_max_open_instances",
            format!(
                "{} is outside 1..={MAX_OPEN_INSTANCES_LIMIT} (a product that sells no \
                 pay-as-you-go has no payg edition instead)",
                limits.payg_max_open_instances
            ),
        );
    }
    if !(0..=MAX_OPEN_INSTANCES_LIMIT).contains(&limits.free_instances_without_credit) {
        problem(
            "purchase_limits.free_instances_without_credit",
            format!(
                "{} is outside 0..={MAX_OPEN_INSTANCES_LIMIT}",
                limits.free_instances_without_credit
            ),
        );
    }
    if product.editions.is_empty() {
        problem("editions", "list at least one edition".into());
    }
    let mut edition_ids = HashSet::new();
    for (edition_index, edition) in product.editions.iter().enumerate() {
        let at = |field: &str| format!("editions[{edition_index}].{field}");
        if !is_identifier(&edition.id) {
            problem(
                &at("id"),
                format!(
                    "`{}` must be 1 to 64 lower-case letters, digits or dashes",
                    edition.id
                ),
            );
        }
        if !edition_ids.insert(edition.id.as_str()) {
            problem(
                &at("id"),
                format!("edition id `{}` appears twice", edition.id),
            );
        }
        match edition.billing {
            Billing::Subscription if edition.specs.is_empty() => problem(
                &at("specs"),
                "a subscription edition needs at least one spec".into(),
            ),
            Billing::Payg if edition.meters.is_empty() => problem(
                &at("meters"),
                "a payg edition needs at least one meter".into(),
            ),
            Billing::ResourcePlan if edition.specs.is_empty() => problem(
                &at("specs"),
                "a resource plan edition needs at least one spec".into(),
            ),
            Billing::Free if edition.meters.iter().any(|meter| meter.price_minor != 0) => problem(
                &at("meters"),
                "a free edition's meters only record activity: their price_minor must be 0".into(),
            ),
            _ => {}
        }
        let is_plan = edition.billing == Billing::ResourcePlan;
        if is_plan != edition.quota_unit.is_some() {
            problem(
                &at("quota_unit"),
                "a resource plan edition names its quota_unit; other editions have none".into(),
            );
        }
        if !edition.refundable && edition.billing != Billing::Subscription {
            problem(
                &at("refundable"),
                "only subscription editions can be nonrefundable (refundable = false)".into(),
            );
        } else if !edition.refundable && product.changes.downgrade {
            // A downgrade refunds the unused value of the period, and value paid under a
            // nonrefundable edition must never come back (paid_parts.rs keeps it on
            // unsubscription; a downgrade's price has no place to keep it yet).
            problem(
                &at("refundable"),
                "a product with a nonrefundable edition cannot allow downgrades (set \
                 changes.downgrade = false): a downgrade would refund value paid as \
                 nonrefundable"
                    .into(),
            );
        }
        if let Some(days) = edition.inactivity_freeze_days {
            if edition.billing != Billing::Free || !(1..=365).contains(&days) {
                problem(
                    &at("inactivity_freeze_days"),
                    "only free editions freeze, after 1..=365 days".into(),
                );
            }
        }
        let mut spec_ids = HashSet::new();
        for (spec_index, spec) in edition.specs.iter().enumerate() {
            let at = |field: &str| format!("editions[{edition_index}].specs[{spec_index}].{field}");
            if !is_identifier(&spec.id) {
                problem(
                    &at("id"),
                    format!(
                        "`{}` must be 1 to 64 lower-case letters, digits or dashes",
                        spec.id
                    ),
                );
            }
            if !spec_ids.insert(spec.id.as_str()) {
                problem(
                    &at("id"),
                    format!("spec id `{}` appears twice in its edition", spec.id),
                );
            }
            match (is_plan, spec.quota) {
                (true, Some(quota)) if (1..=MAX_QUOTA_UNITS).contains(&quota) => {}
                (true, _) => problem(
                    &at("quota"),
                    format!("a resource plan spec needs a quota of 1..={MAX_QUOTA_UNITS} units"),
                ),
                (false, Some(_)) => {
                    problem(&at("quota"), "only resource plan specs have a quota".into())
                }
                (false, None) => {}
            }
            let lowest_price_minor = if edition.billing.is_prepaid() { 1 } else { 0 };
            for (field, price_minor) in [
                ("monthly_price_minor", spec.monthly_price_minor),
                ("yearly_price_minor", spec.yearly_price_minor),
            ] {
                if !(lowest_price_minor..=MAX_AMOUNT_MINOR).contains(&price_minor) {
                    problem(
                        &at(field),
                        format!(
                            "{price_minor} is outside {lowest_price_minor}..={MAX_AMOUNT_MINOR}"
                        ),
                    );
                }
            }
        }
        for (meter_index, meter) in edition.meters.iter().enumerate() {
            let at =
                |field: &str| format!("editions[{edition_index}].meters[{meter_index}].{field}");
            if !is_identifier(&meter.id) {
                problem(
                    &at("id"),
                    format!(
                        "`{}` must be 1 to 64 lower-case letters, digits or dashes",
                        meter.id
                    ),
                );
            }
            if !(0..=MAX_AMOUNT_MINOR).contains(&meter.price_minor) {
                problem(
                    &at("price_minor"),
                    format!("{} is outside 0..={MAX_AMOUNT_MINOR}", meter.price_minor),
                );
            }
            if !(1..=1_000_000_000).contains(&meter.units_per_price) {
                problem(
                    &at("units_per_price"),
                    format!("{} is outside 1..=1000000000", meter.units_per_price),
                );
            }
        }
    }
    errors
}

fn schedule_problem(schedule: &DeductionSchedule, retention_days: i64) -> Option<String> {
    match schedule {
        DeductionSchedule::Fixed { offsets_days } => {
            if offsets_days.is_empty() {
                Some("list at least one attempt".into())
            } else if !offsets_days.windows(2).all(|pair| pair[0] < pair[1]) {
                Some("attempt offsets must be in increasing order, each once".into())
            } else if offsets_days[0] < -60
                || *offsets_days.last().unwrap() >= retention_days.max(1)
            {
                Some(format!(
                    "attempts must fall between 60 days before expiry and release ({retention_days} days after)"
                ))
            } else {
                None
            }
        }
        DeductionSchedule::Daily {
            first_days_before,
            last_days_before,
        } => {
            if !(0..=60).contains(first_days_before)
                || !(0..=*first_days_before).contains(last_days_before)
            {
                Some("need 60 >= first_days_before >= last_days_before >= 0".into())
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::PurchaseLimits;

    const VALID: &str = r#"
id = "widget"
name = "Widget"
currency = "USD"
regions = ["eu-1"]
periods = ["1M", "1Y"]

[lifecycle]
retention_days = 30
at_release = "delete"
reminder_lead_days = 7
reminder_channels = ["sms"]

[auto_renewal]
periods = ["1M"]
min_lead_days = 2
schedule = { kind = "fixed", offsets_days = [-3, -1, 0] }
failure_alert_channels = ["email"]

[changes]
edition_change = false
downgrade = true

[[editions]]
id = "basic"
name = "Basic"
billing = "subscription"

[[editions.specs]]
id = "small"
name = "Small"
monthly_price_minor = 1000
yearly_price_minor = 10000
"#;

    #[test]
    fn a_valid_product_loads() {
        let product = parse_product("widget.toml", VALID).unwrap();
        assert_eq!(
            product
                .edition("basic")
                .unwrap()
                .spec("small")
                .unwrap()
                .monthly_price_minor,
            1000
        );
    }

    #[test]
    fn errors_name_file_field_and_problem() {
        let text = VALID.replace("monthly_price_minor = 1000", "monthly_price_minor = -5");
        let errors = parse_product("widget.toml", &text).unwrap_err().0;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].file, "widget.toml");
        assert_eq!(errors[0].field, "editions[0].specs[0].monthly_price_minor");
        assert!(errors[0].problem.contains("-5"), "{}", errors[0].problem);
    }

    #[test]
    fn every_problem_is_reported() {
        let text = VALID
            .replace("retention_days = 30", "retention_days = -1")
            .replace("[-3, -1, 0]", "[0, -3]")
            .replace("regions = [\"eu-1\"]", "regions = []");
        let errors = parse_product("widget.toml", &text).unwrap_err().0;
        let fields: Vec<_> = errors.iter().map(|error| error.field.as_str()).collect();
        assert!(fields.contains(&"lifecycle.retention_days"), "{fields:?}");
        assert!(fields.contains(&"auto_renewal.schedule"), "{fields:?}");
        assert!(fields.contains(&"regions"), "{fields:?}");
    }

    #[test]
    fn syntax_and_unknown_fields_name_the_line() {
        let text = VALID.replace("downgrade = true", "downgrade = true\ncolour = \"red\"");
        let errors = parse_product("widget.toml", &text).unwrap_err().0;
        assert!(errors[0].field.starts_with("line "), "{:?}", errors[0]);
        assert!(errors[0].problem.contains("colour"), "{:?}", errors[0]);
    }

    #[test]
    fn resource_plans_need_a_quota_and_its_unit() {
        let plan = VALID.to_string()
            + r#"
[[editions]]
id = "messages"
name = "Message package"
billing = "resource_plan"
quota_unit = "message"

[[editions.specs]]
id = "small"
name = "1,000 messages"
monthly_price_minor = 100
yearly_price_minor = 1000
quota = 1000
"#;
        let product = parse_product("widget.toml", &plan).unwrap();
        assert_eq!(
            product
                .edition("messages")
                .unwrap()
                .spec("small")
                .unwrap()
                .quota,
            Some(1000)
        );
        let errors = parse_product("widget.toml", &plan.replace("quota = 1000", "quota = 0"))
            .unwrap_err()
            .0;
        assert_eq!(errors[0].field, "editions[1].specs[0].quota");
        let errors = parse_product(
            "widget.toml",
            &plan.replace("quota_unit = \"message\"", "refundable = false"),
        )
        .unwrap_err()
        .0;
        let fields: Vec<_> = errors.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(fields, ["editions[1].quota_unit", "editions[1].refundable"]);
    }

    #[test]
    fn a_nonrefundable_edition_is_never_downgraded_from() {
        let text = VALID.replace(
            "billing = \"subscription\"",
            "billing = \"subscription\"\nrefundable = false",
        );
        let errors = parse_product("widget.toml", &text).unwrap_err().0;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "editions[0].refundable");
        assert!(errors[0].problem.contains("changes.downgrade = false"));
        let upgrades_only = text.replace("downgrade = true", "downgrade = false");
        assert!(parse_product("widget.toml", &upgrades_only).is_ok());
    }

    #[test]
    fn purchase_limits_default_and_are_checked() {
        let product = parse_product("widget.toml", VALID).unwrap();
        assert_eq!(product.purchase_limits, PurchaseLimits::default());
        let limits = |section: &str| {
            parse_product(
                "widget.toml",
                &format!("{VALID}\n[purchase_limits]\n{section}\n"),
            )
        };
        let set = limits("payg_minimum_credit_minor = 0\nfree_instances_without_credit = 0")
            .unwrap()
            .purchase_limits;
        assert_eq!(
            (
                set.payg_minimum_credit_minor,
                set.payg_max_open_instances,
                set.free_instances_without_credit
            ),
            (0, PurchaseLimits::default().payg_max_open_instances, 0),
            "a field left out keeps its default"
        );
        let errors = limits(
            "payg_minimum_credit_minor = -1\npayg_max_open_instances = 0\n\
             free_instances_without_credit = 10001",
        )
        .unwrap_err()
        .0;
        let fields: Vec<_> = errors.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "purchase_limits.payg_minimum_credit_minor",
                "purchase_limits.payg_max_open_instances",
                "purchase_limits.free_instances_without_credit"
            ]
        );
        assert!(errors[0].problem.contains("-1"), "{}", errors[0].problem);
        let errors = limits("payg_max_instances = 3").unwrap_err().0;
        assert!(
            errors[0].problem.contains("payg_max_instances"),
            "{:?}",
            errors[0]
        );
    }

    #[test]
    fn duplicate_product_ids_are_refused() {
        let files = vec![
            ("a.toml".to_string(), VALID.to_string()),
            ("b.toml".to_string(), VALID.to_string()),
        ];
        let errors = parse_files(&files).unwrap_err().0;
        assert_eq!(errors[0].file, "b.toml");
        assert_eq!(errors[0].field, "id");
    }
    #[test]
    fn a_folders_seller_replaces_the_builtin_and_its_problems_join_the_others() {
        let seller = r#"
legal_name = "Nuage SAS"
address_lines = ["1 rue de la Paix"]
city = "Paris"
postcode = "75002"
country = "FR"
invoice_prefix = "F"
credit_note_prefix = "AV"
"#;
        let files = vec![
            ("mine/seller.toml".to_string(), seller.to_string()),
            ("mine/widget.toml".to_string(), VALID.to_string()),
        ];
        let catalog = parse_files(&files).unwrap();
        assert_eq!(catalog.seller.legal_name, "Nuage SAS");
        assert_eq!(catalog.products.len(), 1, "seller.toml is no product");
        let without = parse_files(&files[1..]).unwrap();
        assert_eq!(without.seller, Seller::builtin());

        let files = vec![
            (
                "mine/seller.toml".to_string(),
                seller.replace("\"FR\"", "\"France\""),
            ),
            (
                "mine/widget.toml".to_string(),
                VALID.replace("regions = [\"eu-1\"]", "regions = []"),
            ),
        ];
        let errors = parse_files(&files).unwrap_err().0;
        let found: Vec<_> = errors
            .iter()
            .map(|error| (error.file.as_str(), error.field.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("mine/seller.toml", "country"),
                ("mine/widget.toml", "regions")
            ]
        );
    }
}
