//! A small XML writer: elements opened and closed in order, indented, every text and attribute
//! value escaped. Enough for the one document this crate writes, and readable beside it.

/// Writes one XML document into a string.
pub struct XmlWriter {
    out: String,
    open: Vec<&'static str>,
}

impl XmlWriter {
    pub fn new() -> XmlWriter {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            open: Vec::new(),
        }
    }

    /// Opens `<name attributes…>`; [`XmlWriter::close`] closes it.
    pub fn open(&mut self, name: &'static str, attributes: &[(&str, &str)]) {
        self.indent();
        self.start_tag(name, attributes);
        self.out.push_str(">\n");
        self.open.push(name);
    }

    /// Closes the element opened last.
    pub fn close(&mut self) {
        if let Some(name) = self.open.pop() {
            self.indent();
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push_str(">\n");
        }
    }

    /// `<name attributes…>text</name>` on one line.
    pub fn element(&mut self, name: &'static str, attributes: &[(&str, &str)], text: &str) {
        self.indent();
        self.start_tag(name, attributes);
        self.out.push('>');
        push_escaped(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// The document, every element still open closed.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.out
    }

    fn start_tag(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            push_escaped(&mut self.out, value);
            self.out.push('"');
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }
}

/// `text` escaped as [`push_escaped`] escapes it.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    push_escaped(&mut escaped, text);
    escaped
}

/// Escapes the five characters XML gives meaning to, and leaves out the characters XML 1.0 does
/// not allow at all (control characters other than tab and line breaks, U+FFFE, U+FFFF): a
/// parser would refuse the whole document for one of them, and none carries meaning on an
/// invoice.
fn push_escaped(out: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(character),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            _ => out.push(character),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped_and_forbidden_characters_left_out() {
        let mut xml = XmlWriter::new();
        xml.open("a", &[("k", "x\"<y>&'")]);
        xml.element("b", &[], "Tom & Jerry <b>\u{1}\u{ffff}\ttab");
        let text = xml.finish();
        assert_eq!(
            text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <a k=\"x&quot;&lt;y&gt;&amp;&apos;\">\n  \
             <b>Tom &amp; Jerry &lt;b&gt;\ttab</b>\n\
             </a>\n"
        );
    }
}
