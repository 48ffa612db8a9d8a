//! The Factur-X XML: a Cross Industry Invoice (UN/CEFACT CII D16B, the syntax Factur-X 1.0
//! uses) at the EN 16931 profile, made from the document alone.
//!
//! Elements are written in the order the Factur-X EN 16931 XSD wants them. What EN 16931 asks
//! of the content (a VAT id for reverse charge, sums that add up) is the document's: this file
//! writes what it is given, exactly.
//!
//! A seller without a VAT id cannot conform yet: EN 16931 (BR-CO-26) then wants its legal
//! registration id (BT-30) or another identifier (BT-29), which `Party` does not hold. That is
//! the case of a seller outside the scope of VAT (category `O`, which forbids VAT ids).

use jiff::civil::Date;
use tenure_core::invoice::document::{
    DocumentLine, InvoiceDocument, Party, TaxCategory, TaxSubtotal,
};

use crate::amount::{factur_x_amount, rate_percent_text};
use crate::xml::XmlWriter;

/// The EN 16931 profile's guideline id (BT-24), as Factur-X names the profile.
pub const EN16931_GUIDELINE_ID: &str = "urn:cen.eu:en16931:2017";

/// EN 16931 keeps at most three street lines (BT-35, BT-36, BT-162).
pub(crate) const STREET_LINES_KEPT: usize = 3;

/// UN/ECE Recommendation 20 "one" (unit): what a line counts (instances, licences).
const UNIT_CODE_ONE: &str = "C62";

/// Every amount a document shows is due on receipt; EN 16931 (BR-CO-25) wants payment terms
/// written when an amount is due.
const PAYMENT_TERMS_DUE: &str = "Payable on receipt.";

const NAMESPACES: [(&str, &str); 4] = [
    (
        "xmlns:rsm",
        "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    ),
    (
        "xmlns:qdt",
        "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    ),
    (
        "xmlns:ram",
        "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    ),
    (
        "xmlns:udt",
        "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    ),
];

/// The Factur-X (EN 16931) XML of an invoice or credit note.
pub fn factur_x_xml(doc: &InvoiceDocument) -> String {
    let mut xml = XmlWriter::new();
    xml.open("rsm:CrossIndustryInvoice", &NAMESPACES);

    xml.open("rsm:ExchangedDocumentContext", &[]);
    xml.open("ram:GuidelineSpecifiedDocumentContextParameter", &[]);
    xml.element("ram:ID", &[], EN16931_GUIDELINE_ID);
    xml.close();
    xml.close();

    exchanged_document(&mut xml, doc);

    xml.open("rsm:SupplyChainTradeTransaction", &[]);
    for (index, line) in doc.lines.iter().enumerate() {
        trade_line(&mut xml, doc, index + 1, line);
    }
    xml.open("ram:ApplicableHeaderTradeAgreement", &[]);
    trade_party(&mut xml, "ram:SellerTradeParty", &doc.seller);
    trade_party(&mut xml, "ram:BuyerTradeParty", &doc.buyer);
    xml.close();
    // Nothing is shipped: the delivery element is required, and empty.
    xml.open("ram:ApplicableHeaderTradeDelivery", &[]);
    xml.close();
    header_settlement(&mut xml, doc);
    xml.close();

    xml.finish()
}

fn exchanged_document(xml: &mut XmlWriter, doc: &InvoiceDocument) {
    xml.open("rsm:ExchangedDocument", &[]);
    xml.element("ram:ID", &[], &doc.number);
    xml.element("ram:TypeCode", &[], doc.kind.type_code());
    xml.open("ram:IssueDateTime", &[]);
    date_string(xml, "udt:DateTimeString", doc.issued_on);
    xml.close();
    if let Some(note) = &doc.note {
        xml.open("ram:IncludedNote", &[]);
        xml.element("ram:Content", &[], note);
        xml.close();
    }
    xml.close();
}

fn trade_line(xml: &mut XmlWriter, doc: &InvoiceDocument, line_number: usize, line: &DocumentLine) {
    let amount = |minor: i64| factur_x_amount(minor, &doc.currency);
    xml.open("ram:IncludedSupplyChainTradeLineItem", &[]);

    xml.open("ram:AssociatedDocumentLineDocument", &[]);
    xml.element("ram:LineID", &[], &line_number.to_string());
    xml.close();

    xml.open("ram:SpecifiedTradeProduct", &[]);
    xml.element("ram:Name", &[], &line.description);
    if let Some(detail) = &line.detail {
        xml.element("ram:Description", &[], detail);
    }
    xml.close();

    xml.open("ram:SpecifiedLineTradeAgreement", &[]);
    xml.open("ram:NetPriceProductTradePrice", &[]);
    xml.element("ram:ChargeAmount", &[], &amount(line.unit_price_minor));
    xml.close();
    xml.close();

    xml.open("ram:SpecifiedLineTradeDelivery", &[]);
    xml.element(
        "ram:BilledQuantity",
        &[("unitCode", UNIT_CODE_ONE)],
        &line.quantity.to_string(),
    );
    xml.close();

    xml.open("ram:SpecifiedLineTradeSettlement", &[]);
    xml.open("ram:ApplicableTradeTax", &[]);
    xml.element("ram:TypeCode", &[], "VAT");
    xml.element("ram:CategoryCode", &[], line.tax_category.code());
    rate(xml, line.tax_category, line.tax_rate_basis_points);
    xml.close();
    xml.open("ram:BillingSpecifiedPeriod", &[]);
    xml.open("ram:StartDateTime", &[]);
    date_string(xml, "udt:DateTimeString", line.period_start);
    xml.close();
    xml.open("ram:EndDateTime", &[]);
    date_string(xml, "udt:DateTimeString", line.period_end);
    xml.close();
    xml.close();
    xml.open("ram:SpecifiedTradeSettlementLineMonetarySummation", &[]);
    xml.element("ram:LineTotalAmount", &[], &amount(line.net_minor));
    xml.close();
    xml.close();

    xml.close();
}

fn trade_party(xml: &mut XmlWriter, element: &'static str, party: &Party) {
    xml.open(element, &[]);
    xml.element("ram:Name", &[], &party.legal_name);
    if let Some(registration_id) = &party.registration_id {
        // BT-30 (BT-47): the legal registration, before the address as CII orders it.
        xml.open("ram:SpecifiedLegalOrganization", &[]);
        xml.element("ram:ID", &[], registration_id);
        xml.close();
    }
    xml.open("ram:PostalTradeAddress", &[]);
    xml.element("ram:PostcodeCode", &[], &party.postcode);
    let street_elements = ["ram:LineOne", "ram:LineTwo", "ram:LineThree"];
    for (element, line) in street_elements
        .into_iter()
        .zip(party.address_lines.iter().take(STREET_LINES_KEPT))
    {
        xml.element(element, &[], line);
    }
    xml.element("ram:CityName", &[], &party.city);
    xml.element("ram:CountryID", &[], &party.country_code);
    xml.close();
    if let Some(email) = &party.email {
        xml.open("ram:URIUniversalCommunication", &[]);
        // EAS code "EM": an email address (BT-34, BT-49).
        xml.element("ram:URIID", &[("schemeID", "EM")], email);
        xml.close();
    }
    if let Some(tax_id) = &party.tax_id {
        xml.open("ram:SpecifiedTaxRegistration", &[]);
        // "VA": a VAT identifier (BT-31, BT-48).
        xml.element("ram:ID", &[("schemeID", "VA")], tax_id);
        xml.close();
    }
    xml.close();
}

fn header_settlement(xml: &mut XmlWriter, doc: &InvoiceDocument) {
    let amount = |minor: i64| factur_x_amount(minor, &doc.currency);
    xml.open("ram:ApplicableHeaderTradeSettlement", &[]);
    xml.element("ram:InvoiceCurrencyCode", &[], &doc.currency);
    for subtotal in &doc.tax_subtotals {
        tax_breakdown(xml, doc, subtotal);
    }
    if doc.due_minor > 0 {
        xml.open("ram:SpecifiedTradePaymentTerms", &[]);
        xml.element("ram:Description", &[], PAYMENT_TERMS_DUE);
        xml.close();
    }
    xml.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation", &[]);
    xml.element("ram:LineTotalAmount", &[], &amount(doc.net_minor));
    xml.element("ram:TaxBasisTotalAmount", &[], &amount(doc.net_minor));
    xml.element(
        "ram:TaxTotalAmount",
        &[("currencyID", &doc.currency)],
        &amount(doc.tax_minor),
    );
    xml.element("ram:GrandTotalAmount", &[], &amount(doc.gross_minor));
    xml.element("ram:TotalPrepaidAmount", &[], &amount(doc.paid_minor));
    xml.element("ram:DuePayableAmount", &[], &amount(doc.due_minor));
    xml.close();
    if let Some(corrected) = &doc.corrects {
        xml.open("ram:InvoiceReferencedDocument", &[]);
        xml.element("ram:IssuerAssignedID", &[], &corrected.number);
        xml.open("ram:FormattedIssueDateTime", &[]);
        date_string(xml, "qdt:DateTimeString", corrected.issued_on);
        xml.close();
        xml.close();
    }
    xml.close();
}

/// One row of the VAT breakdown (BG-23).
fn tax_breakdown(xml: &mut XmlWriter, doc: &InvoiceDocument, subtotal: &TaxSubtotal) {
    let amount = |minor: i64| factur_x_amount(minor, &doc.currency);
    xml.open("ram:ApplicableTradeTax", &[]);
    xml.element("ram:CalculatedAmount", &[], &amount(subtotal.tax_minor));
    xml.element("ram:TypeCode", &[], "VAT");
    if let Some(reason) = exemption_reason(subtotal) {
        xml.element("ram:ExemptionReason", &[], reason);
    }
    xml.element("ram:BasisAmount", &[], &amount(subtotal.taxable_minor));
    xml.element("ram:CategoryCode", &[], subtotal.tax_category.code());
    rate(xml, subtotal.tax_category, subtotal.tax_rate_basis_points);
    xml.close();
}

/// The reason no tax is charged (BT-120): EN 16931 requires one for reverse charge, exempt and
/// outside-scope categories (BR-AE-10, BR-E-10, BR-O-10) and forbids it for the others, so a
/// reason the document gives a taxed category is not written; a missing one is said in words of
/// the category, rather than leaving the XML invalid.
pub(crate) fn exemption_reason(subtotal: &TaxSubtotal) -> Option<&str> {
    let default = match subtotal.tax_category {
        TaxCategory::Standard | TaxCategory::ZeroRated => return None,
        TaxCategory::ReverseCharge => "Reverse charge",
        TaxCategory::Exempt => "Exempt from VAT",
        TaxCategory::NotSubject => "Not subject to VAT",
    };
    Some(
        subtotal
            .exemption_reason
            .as_deref()
            .filter(|reason| !reason.trim().is_empty())
            .unwrap_or(default),
    )
}

/// The rate (BT-152, BT-119); outside the scope of tax there is none (BR-O-5, BR-O-9).
fn rate(xml: &mut XmlWriter, category: TaxCategory, rate_basis_points: u32) {
    if category != TaxCategory::NotSubject {
        xml.element(
            "ram:RateApplicablePercent",
            &[],
            &rate_percent_text(rate_basis_points),
        );
    }
}

/// A date as CII writes it: format 102, `YYYYMMDD`.
fn date_string(xml: &mut XmlWriter, element: &'static str, date: Date) {
    xml.element(element, &[("format", "102")], &date_102(date));
}

fn date_102(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), date.month(), date.day())
}
