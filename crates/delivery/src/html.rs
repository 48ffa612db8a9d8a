//! An email's HTML part, made from the notice's subject and plain-text body: the same words,
//! laid out like the console (its header bar, its colours, a readable column), so what the
//! HTML says is what the text says, amounts included. Every value is escaped: a notice holds
//! what customers typed (an account's name, an instance's name).
//!
//! Styles are inline: mail readers drop `<style>` blocks and never load a stylesheet.

/// The HTML part of a notice whose subject and body are `subject` and `body`. A blank line
/// in the body starts a paragraph; a single line break stays one.
pub(crate) fn notice_html(subject: &str, body: &str) -> String {
    let mut html = String::with_capacity(body.len() * 2 + 1_024);
    html.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>",
    );
    escape_into(&mut html, subject);
    html.push_str(
        "</title></head>\n<body style=\"margin:0;padding:0;background:#ffffff;color:#1b1f24;\
         font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif\">\n\
         <div style=\"padding:12px 16px;border-bottom:1px solid #d0d7de;background:#f4f6f8;\
         font-weight:700\">tenure</div>\n\
         <div style=\"max-width:640px;margin:0 auto;padding:16px\">\n\
         <h1 style=\"font-size:20px;margin:8px 0 16px\">",
    );
    escape_into(&mut html, subject);
    html.push_str("</h1>\n");
    for paragraph in body
        .split("\n\n")
        .map(str::trim)
        .filter(|paragraph| !paragraph.is_empty())
    {
        html.push_str("<p style=\"margin:0 0 12px\">");
        for (number, line) in paragraph.lines().enumerate() {
            if number > 0 {
                html.push_str("<br>");
            }
            escape_into(&mut html, line);
        }
        html.push_str("</p>\n");
    }
    html.push_str(
        "<p style=\"margin:24px 0 0;padding-top:12px;border-top:1px solid #d0d7de;\
         color:#4a5360;font-size:14px\">This message is also sent as plain text.</p>\n\
         </div>\n</body></html>\n",
    );
    html
}

/// Appends `text` with the characters HTML gives meaning to written as references, so it is
/// shown as it is in text and in attribute values alike.
fn escape_into(html: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            other => html.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::notice_html;

    #[test]
    fn every_value_is_escaped_and_every_word_kept() {
        let html = notice_html(
            "Payment <b>disputed</b>",
            "Account <script>alert('x')</script> & \"co\" paid 12.50 USD.\nLine two.\n\nNext.",
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains(
            "Account &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot; paid \
             12.50 USD.<br>Line two.</p>"
        ));
        assert!(html.contains(">Next.</p>"), "{html}");
        assert!(html.contains("<title>Payment &lt;b&gt;disputed&lt;/b&gt;</title>"));
    }
}
