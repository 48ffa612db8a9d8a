//! An issued invoice or credit note, as data: the one value the JSON answer, the PDF and the
//! embedded Factur-X (EN 16931) XML are all made from, so they cannot disagree.
//!
//! Amounts are minor units of `currency`, as everywhere in tenure; a renderer writes them with
//! the currency's decimals ([`crate::money::minor_unit_digits`]). A credit note's amounts are
//! positive: its kind says they are given back (EN 16931 type code 381).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Whether the document charges (invoice) or gives back (credit note).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Invoice,
    CreditNote,
}

impl DocumentKind {
    /// UNTDID 1001 document type code, as EN 16931 (BT-3) wants it.
    pub fn type_code(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "380",
            DocumentKind::CreditNote => "381",
        }
    }
}

/// The seller or the buyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub legal_name: String,
    /// Street lines, first to last (at most three are kept by EN 16931).
    pub address_lines: Vec<String>,
    pub city: String,
    pub postcode: String,
    /// ISO 3166-1 alpha-2, upper case (`FR`, `DE`).
    pub country_code: String,
    /// VAT or tax registration id (`FR40303265045`), when the party has one.
    pub tax_id: Option<String>,
    /// Legal registration id (a company number: SIREN, Handelsregister), when the party has
    /// one: EN 16931 wants it of a seller who shows no VAT id (BR-CO-26).
    #[serde(default)]
    pub registration_id: Option<String>,
    /// Where the document is sent (the buyer's invoice email), when known.
    pub email: Option<String>,
}

/// How a line is taxed (UNTDID 5305 category, EN 16931 BT-151).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxCategory {
    /// Taxed at a rate above zero (`S`).
    Standard,
    /// Taxed at zero percent (`Z`).
    ZeroRated,
    /// Exempt from tax (`E`).
    Exempt,
    /// Reverse charge: the buyer accounts for the tax (`AE`), rate zero.
    ReverseCharge,
    /// Outside the scope of tax (`O`): the seller charges none, rate absent.
    NotSubject,
}

impl TaxCategory {
    pub fn code(self) -> &'static str {
        match self {
            TaxCategory::Standard => "S",
            TaxCategory::ZeroRated => "Z",
            TaxCategory::Exempt => "E",
            TaxCategory::ReverseCharge => "AE",
            TaxCategory::NotSubject => "O",
        }
    }
}

/// What one line sold (or gives back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLine {
    /// The product as a reader names it ("Message queue (MQTT)").
    pub description: String,
    /// Edition, spec, region and, for an upgrade, its proration, in words.
    pub detail: Option<String>,
    /// The service period the line pays for, first and last day.
    pub period_start: Date,
    pub period_end: Date,
    pub quantity: i64,
    /// Net price of one unit, before tax.
    pub unit_price_minor: i64,
    /// `quantity × unit_price_minor`, or less when the line is prorated: what the line adds to
    /// the net total.
    pub net_minor: i64,
    pub tax_category: TaxCategory,
    /// Hundredths of a percent: 2000 is 20 %, 550 is 5.5 %.
    pub tax_rate_basis_points: u32,
}

/// The tax of one category and rate, over the lines that carry it (EN 16931 BG-23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxSubtotal {
    pub tax_category: TaxCategory,
    pub tax_rate_basis_points: u32,
    pub taxable_minor: i64,
    pub tax_minor: i64,
    /// Why no tax is charged (reverse charge, exemption, outside scope), in words.
    pub exemption_reason: Option<String>,
}

/// The invoice a credit note corrects (EN 16931 BG-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectedInvoice {
    pub number: String,
    pub issued_on: Date,
}

/// An issued document. Its totals hold `net + tax = gross` and `paid + due = gross`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDocument {
    /// Gap-free in its series: `INV-2026-000001`, credit notes in a series of their own.
    pub number: String,
    pub kind: DocumentKind,
    pub issued_on: Date,
    /// ISO 4217 code of every amount.
    pub currency: String,
    pub seller: Party,
    pub buyer: Party,
    pub lines: Vec<DocumentLine>,
    pub tax_subtotals: Vec<TaxSubtotal>,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub gross_minor: i64,
    /// Paid when issued (balance, coupons, vouchers, card), for an invoice; given back, for a
    /// credit note.
    pub paid_minor: i64,
    pub due_minor: i64,
    pub corrects: Option<CorrectedInvoice>,
    /// A free text for the reader (what the document is for, the order it comes from).
    pub note: Option<String>,
}
