//! The Factur-X XML of invoices and credit notes in USD, EUR with VAT and JPY: every amount's
//! exact text, the codes EN 16931 reads, and the parties.

mod fixtures;

use tenure_documents::factur_x_xml;

/// The texts of every `<element …>text</element>` in the XML, in order.
fn values<'a>(xml: &'a str, element: &str) -> Vec<&'a str> {
    let open = format!("<{element}");
    let close = format!("</{element}>");
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after_name = &rest[start + open.len()..];
        // `<ram:ID` must not match `<ram:IDs`: the name ends at a space or `>`.
        if !after_name.starts_with([' ', '>']) {
            rest = after_name;
            continue;
        }
        let Some(text_start) = after_name.find('>') else {
            break;
        };
        let text = &after_name[text_start + 1..];
        let Some(end) = text.find(&close) else {
            rest = text;
            continue;
        };
        found.push(&text[..end]);
        rest = &text[end..];
    }
    found
}

#[test]
fn an_eur_invoice_with_vat_at_two_rates() {
    let xml = factur_x_xml(&fixtures::eur_invoice());
    assert_eq!(values(&xml, "ram:TypeCode")[0], "380");
    assert_eq!(
        values(&xml, "ram:ID"),
        [
            "urn:cen.eu:en16931:2017",
            "INV-2026-000002",
            "FR40303265045",
            "DE123456789"
        ]
    );
    assert_eq!(values(&xml, "ram:ChargeAmount"), ["12.50", "19.99", "3.33"]);
    assert_eq!(values(&xml, "ram:BilledQuantity"), ["1", "2", "1"]);
    // Each line's net, then the header's sum of them.
    assert_eq!(
        values(&xml, "ram:LineTotalAmount"),
        ["12.50", "39.98", "3.33", "55.81"]
    );
    assert_eq!(values(&xml, "ram:CategoryCode"), ["S", "S", "S", "S", "S"]);
    assert_eq!(
        values(&xml, "ram:RateApplicablePercent"),
        ["20.00", "5.50", "20.00", "20.00", "5.50"]
    );
    // The breakdown: 20 % of 15.83, 5.5 % of 39.98.
    assert_eq!(values(&xml, "ram:BasisAmount"), ["15.83", "39.98"]);
    assert_eq!(values(&xml, "ram:CalculatedAmount"), ["3.17", "2.20"]);
    assert!(values(&xml, "ram:ExemptionReason").is_empty());
    assert_eq!(values(&xml, "ram:TaxBasisTotalAmount"), ["55.81"]);
    assert!(xml.contains("<ram:TaxTotalAmount currencyID=\"EUR\">5.37</ram:TaxTotalAmount>"));
    assert_eq!(values(&xml, "ram:GrandTotalAmount"), ["61.18"]);
    assert_eq!(values(&xml, "ram:TotalPrepaidAmount"), ["60.00"]);
    assert_eq!(values(&xml, "ram:DuePayableAmount"), ["1.18"]);
    assert_eq!(values(&xml, "ram:InvoiceCurrencyCode"), ["EUR"]);
    // Something is due: EN 16931 wants payment terms.
    assert_eq!(values(&xml, "ram:Description")[2], "Payable on receipt.");
    assert!(!xml.contains("InvoiceReferencedDocument"));
}

#[test]
fn dates_periods_and_parties() {
    let xml = factur_x_xml(&fixtures::eur_invoice());
    let dates = values(&xml, "udt:DateTimeString");
    assert_eq!(dates[0], "20260401", "the issue date");
    assert_eq!(
        &dates[1..3],
        ["20260401", "20260430"],
        "the first line's period"
    );
    assert!(xml.contains("<udt:DateTimeString format=\"102\">20260401</udt:DateTimeString>"));
    assert_eq!(values(&xml, "ram:Name")[3], "Tenure Cloud SAS");
    assert_eq!(values(&xml, "ram:Name")[4], "Ada &amp; Byron GmbH");
    assert_eq!(
        values(&xml, "ram:LineOne"),
        ["12 rue de la Paix", "Unter den Linden 5"]
    );
    assert_eq!(values(&xml, "ram:LineTwo"), ["Bâtiment B"]);
    assert_eq!(values(&xml, "ram:PostcodeCode"), ["75002", "10117"]);
    assert_eq!(values(&xml, "ram:CityName"), ["Paris", "Berlin"]);
    assert_eq!(values(&xml, "ram:CountryID"), ["FR", "DE"]);
    assert!(xml.contains("<ram:ID schemeID=\"VA\">FR40303265045</ram:ID>"));
    assert!(xml.contains("<ram:ID schemeID=\"VA\">DE123456789</ram:ID>"));
    assert!(xml.contains("<ram:URIID schemeID=\"EM\">billing@tenure.example</ram:URIID>"));
    assert_eq!(
        values(&xml, "ram:Content"),
        ["For order ord_1 &lt;renewal&gt; of INV-2026-000002"]
    );
}

#[test]
fn an_eur_credit_note_refers_to_the_invoice_it_corrects() {
    let xml = factur_x_xml(&fixtures::eur_credit_note());
    assert_eq!(values(&xml, "ram:TypeCode")[0], "381");
    assert_eq!(values(&xml, "ram:LineTotalAmount"), ["6.25", "6.25"]);
    assert_eq!(values(&xml, "ram:CalculatedAmount"), ["1.25"]);
    assert_eq!(values(&xml, "ram:GrandTotalAmount"), ["7.50"]);
    assert_eq!(values(&xml, "ram:TotalPrepaidAmount"), ["7.50"]);
    assert_eq!(values(&xml, "ram:DuePayableAmount"), ["0.00"]);
    assert!(
        !xml.contains("SpecifiedTradePaymentTerms"),
        "nothing is due"
    );
    assert_eq!(values(&xml, "ram:IssuerAssignedID"), ["INV-2026-000007"]);
    assert_eq!(values(&xml, "qdt:DateTimeString"), ["20260301"]);
}

#[test]
fn a_usd_invoice_exempt_from_vat() {
    let xml = factur_x_xml(&fixtures::usd_invoice());
    assert_eq!(values(&xml, "ram:ChargeAmount"), ["12.50", "3.99"]);
    assert_eq!(
        values(&xml, "ram:LineTotalAmount"),
        ["12.50", "11.97", "24.47"]
    );
    assert_eq!(values(&xml, "ram:CategoryCode"), ["E", "E", "E"]);
    assert_eq!(
        values(&xml, "ram:RateApplicablePercent"),
        ["0.00", "0.00", "0.00"]
    );
    assert_eq!(
        values(&xml, "ram:ExemptionReason"),
        ["Exempt from VAT: Directive 2006/112/EC, article 135"]
    );
    assert!(xml.contains("<ram:TaxTotalAmount currencyID=\"USD\">0.00</ram:TaxTotalAmount>"));
    assert_eq!(values(&xml, "ram:GrandTotalAmount"), ["24.47"]);
    assert_eq!(values(&xml, "ram:TotalPrepaidAmount"), ["10.00"]);
    assert_eq!(values(&xml, "ram:DuePayableAmount"), ["14.47"]);
}

#[test]
fn outside_the_scope_of_vat_there_is_no_rate() {
    let xml = factur_x_xml(&fixtures::not_subject_invoice());
    assert_eq!(values(&xml, "ram:CategoryCode"), ["O", "O", "O"]);
    assert!(
        values(&xml, "ram:RateApplicablePercent").is_empty(),
        "no rate outside the scope of VAT (BR-O-5, BR-O-9)"
    );
    assert_eq!(values(&xml, "ram:ExemptionReason"), ["Not subject to VAT"]);
    assert!(!xml.contains("schemeID=\"VA\""), "no VAT id");
}

#[test]
fn a_usd_credit_note() {
    let xml = factur_x_xml(&fixtures::usd_credit_note());
    assert_eq!(values(&xml, "ram:TypeCode")[0], "381");
    assert_eq!(values(&xml, "ram:GrandTotalAmount"), ["24.47"]);
    assert_eq!(values(&xml, "ram:TotalPrepaidAmount"), ["24.47"]);
    assert_eq!(values(&xml, "ram:DuePayableAmount"), ["0.00"]);
    assert_eq!(values(&xml, "ram:IssuerAssignedID"), ["INV-2026-000001"]);
}

#[test]
fn a_jpy_invoice_has_no_decimals() {
    let xml = factur_x_xml(&fixtures::jpy_invoice());
    assert_eq!(values(&xml, "ram:ChargeAmount"), ["1500"]);
    assert_eq!(values(&xml, "ram:LineTotalAmount"), ["3000", "3000"]);
    assert_eq!(values(&xml, "ram:CategoryCode"), ["AE", "AE"]);
    assert_eq!(values(&xml, "ram:RateApplicablePercent"), ["0.00", "0.00"]);
    assert_eq!(
        values(&xml, "ram:ExemptionReason"),
        ["Reverse charge: the buyer accounts for the VAT"]
    );
    assert_eq!(values(&xml, "ram:BasisAmount"), ["3000"]);
    assert!(xml.contains("<ram:TaxTotalAmount currencyID=\"JPY\">0</ram:TaxTotalAmount>"));
    assert_eq!(values(&xml, "ram:GrandTotalAmount"), ["3000"]);
    assert_eq!(values(&xml, "ram:TotalPrepaidAmount"), ["0"]);
    assert_eq!(values(&xml, "ram:DuePayableAmount"), ["3000"]);
}

#[test]
fn a_jpy_credit_note() {
    let xml = factur_x_xml(&fixtures::jpy_credit_note());
    assert_eq!(values(&xml, "ram:TypeCode")[0], "381");
    assert_eq!(values(&xml, "ram:GrandTotalAmount"), ["3000"]);
    assert_eq!(values(&xml, "ram:IssuerAssignedID"), ["INV-2026-000003"]);
    assert!(xml.contains("<qdt:DateTimeString format=\"102\">20260401</qdt:DateTimeString>"));
}

#[test]
fn a_three_decimal_currency_is_written_exactly() {
    let mut doc = fixtures::usd_invoice();
    doc.currency = "KWD".into();
    let xml = factur_x_xml(&doc);
    // 1250 fils is 1.250 KWD, written 1.25; 399 fils stays 0.399.
    assert_eq!(values(&xml, "ram:ChargeAmount"), ["1.25", "0.399"]);
    assert_eq!(values(&xml, "ram:GrandTotalAmount"), ["2.447"]);
}

#[test]
fn a_missing_exemption_reason_is_said_in_words_of_its_category() {
    let mut doc = fixtures::jpy_invoice();
    doc.tax_subtotals[0].exemption_reason = None;
    assert_eq!(
        values(&factur_x_xml(&doc), "ram:ExemptionReason"),
        ["Reverse charge"]
    );
    let mut doc = fixtures::eur_invoice();
    doc.tax_subtotals[0].exemption_reason = Some("not written for a taxed rate".into());
    assert!(values(&factur_x_xml(&doc), "ram:ExemptionReason").is_empty());
}

#[test]
fn text_is_escaped_and_characters_xml_forbids_are_left_out() {
    let mut doc = fixtures::eur_invoice();
    doc.lines[0].description = "A \"quoted\" <tag> & 'apostrophe'\u{7}".into();
    let xml = factur_x_xml(&doc);
    assert_eq!(
        values(&xml, "ram:Name")[0],
        "A &quot;quoted&quot; &lt;tag&gt; &amp; &apos;apostrophe&apos;"
    );
}

#[test]
fn more_than_three_street_lines_keep_the_first_three() {
    let mut doc = fixtures::eur_invoice();
    doc.buyer.address_lines = vec!["1".into(), "2".into(), "3".into(), "4".into()];
    let xml = factur_x_xml(&doc);
    assert_eq!(values(&xml, "ram:LineThree"), ["3"]);
    assert!(!xml.contains(">4<"));
}
