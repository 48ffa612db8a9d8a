//! The document's XMP metadata: what PDF/A-3b and Factur-X read to know what a file is.
//!
//! - `pdfaid`: PDF/A-3, conformance level B.
//! - `fx`: the Factur-X attachment (its type, file name, version and profile), with the PDF/A
//!   extension schema that declares those properties (PDF/A accepts no property it cannot find a
//!   schema for), as the Factur-X specification gives it.
//! - `dc:title`, and dates: the issue date, so that the same document gives the same bytes.

use jiff::civil::Date;

use super::attachment::FACTUR_X_FILE_NAME;
use crate::xml::escape;

/// The Factur-X profile the embedded XML is written at, as the XMP names it.
pub const FACTUR_X_CONFORMANCE_LEVEL: &str = "EN 16931";

/// The XMP packet, as the bytes of the catalog's metadata stream.
pub fn xmp(title: &str, issued_on: Date) -> Vec<u8> {
    let title = escape(title);
    let date = format!(
        "{:04}-{:02}-{:02}T00:00:00Z",
        issued_on.year(),
        issued_on.month(),
        issued_on.day()
    );
    format!(
        r#"<?xpacket begin="{bom}" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreateDate>{date}</xmp:CreateDate>
   <xmp:ModifyDate>{date}</xmp:ModifyDate>
   <xmp:MetadataDate>{date}</xmp:MetadataDate>
   <xmp:CreatorTool>tenure</xmp:CreatorTool>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>tenure-documents</pdf:Producer>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
   <fx:DocumentType>INVOICE</fx:DocumentType>
   <fx:DocumentFileName>{file_name}</fx:DocumentFileName>
   <fx:Version>1.0</fx:Version>
   <fx:ConformanceLevel>{level}</fx:ConformanceLevel>
  </rdf:Description>
  <rdf:Description rdf:about=""
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas>
    <rdf:Bag>
     <rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>fx</pdfaSchema:prefix>
      <pdfaSchema:property>
       <rdf:Seq>
{properties}       </rdf:Seq>
      </pdfaSchema:property>
     </rdf:li>
    </rdf:Bag>
   </pdfaExtension:schemas>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#,
        bom = '\u{feff}',
        file_name = FACTUR_X_FILE_NAME,
        level = FACTUR_X_CONFORMANCE_LEVEL,
        properties = extension_properties(),
    )
    .into_bytes()
}

/// The four `fx` properties, each declared as PDF/A's extension schema wants.
fn extension_properties() -> String {
    let properties = [
        (
            "DocumentFileName",
            "The name of the embedded XML invoice file",
        ),
        ("DocumentType", "INVOICE"),
        ("Version", "The actual version of the Factur-X XML schema"),
        (
            "ConformanceLevel",
            "The conformance level of the embedded Factur-X data",
        ),
    ];
    properties
        .iter()
        .map(|(name, description)| {
            format!(
                "        <rdf:li rdf:parseType=\"Resource\">\n\
                 \x20        <pdfaProperty:name>{name}</pdfaProperty:name>\n\
                 \x20        <pdfaProperty:valueType>Text</pdfaProperty:valueType>\n\
                 \x20        <pdfaProperty:category>external</pdfaProperty:category>\n\
                 \x20        <pdfaProperty:description>{description}</pdfaProperty:description>\n\
                 \x20       </rdf:li>\n"
            )
        })
        .collect()
}
