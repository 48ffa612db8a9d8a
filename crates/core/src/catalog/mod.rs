//! The product catalog: products, editions, specs, prices and lifecycle policies, as data.
//!
//! A catalog is a folder of TOML files, one per product (see `catalog/` at the top of the
//! repository), and optionally `notices.toml`, notice texts that replace the built-in ones
//! ([`crate::notice`]), and `seller.toml`, the seller invoices name and its tax rules, which
//! replaces the built-in one ([`Seller`]). `parse_files` validates one, given its files' texts (the `tenure` binary reads
//! the folder); every rule that differs between products
//! (retention days, what release does, reminder lead, auto-renewal schedule, change rules) is a
//! field here, never a branch on a product's name in code.

mod default;
mod load;
mod model;
mod price;
mod seller;

pub use default::{default_catalog, DEFAULT_CATALOG_FILES};
pub use load::{
    parse_files, parse_product, CatalogError, CatalogErrors, MAX_OPEN_INSTANCES_LIMIT,
    MAX_QUOTA_UNITS,
};
pub use model::*;
pub use price::PriceError;
pub use seller::{
    parse_seller, tax_id_problem, Seller, TaxRules, MAX_ADDRESS_LINES, MAX_RATE_BASIS_POINTS,
    SELLER_FILE,
};
