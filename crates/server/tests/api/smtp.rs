//! A real SMTP server for the email tests: Python's aiosmtpd (from PyPI; `scripts/test` puts it
//! in a virtual environment and names its Python in `TENURE_TEST_PYTHON`), storing what it
//! receives in a Maildir that the test reads.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An email as received: its headers, its text, its HTML, and the files it carries, from
/// however deep in its multiparts.
#[derive(Debug, Clone)]
pub struct Mail {
    headers: Vec<(String, String)>,
    /// The plain text.
    pub body: String,
    /// The HTML part beside the text, if any.
    pub html: Option<String>,
    /// Every entity's content type, outermost first, depth first (`multipart/mixed`,
    /// `multipart/alternative`, `text/plain`, `text/html`, `application/pdf`).
    pub content_types: Vec<String>,
    pub attachments: Vec<MailAttachment>,
}

/// A file an email carries.
#[derive(Debug, Clone)]
pub struct MailAttachment {
    pub content_type: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A MIME entity's headers (folded lines unfolded) and its body, as written.
fn head_and_body(text: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.to_string(), value.trim().to_string()));
        }
    }
    (headers, body)
}

fn header_in<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(header, _)| header.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// A header's parameter (`boundary`, `filename`), unquoted.
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|part| {
        let (key, found) = part.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| found.trim().trim_matches('"').to_string())
    })
}

/// A body decoded by its `Content-Transfer-Encoding`.
fn decoded(headers: &[(String, String)], body: &str) -> Vec<u8> {
    match header_in(headers, "Content-Transfer-Encoding").unwrap_or("7bit") {
        "quoted-printable" => quoted_printable(body),
        "base64" => {
            use base64::Engine as _;
            let joined: String = body.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .expect("a base64 body")
        }
        _ => body.as_bytes().to_vec(),
    }
}

impl Mail {
    fn parse(text: &str) -> Mail {
        let text = text.replace("\r\n", "\n");
        let (headers, body) = head_and_body(&text);
        let mut mail = Mail {
            headers: headers.clone(),
            body: String::new(),
            html: None,
            content_types: Vec::new(),
            attachments: Vec::new(),
        };
        mail.take_entity(&headers, body);
        mail
    }

    /// Reads one MIME entity into the mail: a multipart's parts one by one (nested ones too),
    /// the plain text as the body, the HTML part as `html`, a file as an attachment.
    fn take_entity(&mut self, headers: &[(String, String)], body: &str) {
        let content_type = header_in(headers, "Content-Type").unwrap_or("text/plain");
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        self.content_types.push(essence.clone());
        if let Some(boundary) = essence
            .starts_with("multipart/")
            .then(|| parameter(content_type, "boundary"))
            .flatten()
        {
            let delimiter = format!("--{boundary}");
            // The parts between the delimiters, past the preamble, up to the closing `--`.
            for part in body.split(delimiter.as_str()).skip(1) {
                if part.starts_with("--") {
                    break;
                }
                let part = part.strip_prefix('\n').unwrap_or(part);
                let part = part.strip_suffix('\n').unwrap_or(part);
                let (part_headers, part_body) = head_and_body(part);
                self.take_entity(&part_headers, part_body);
            }
            return;
        }
        let bytes = decoded(headers, body);
        let disposition = header_in(headers, "Content-Disposition").unwrap_or("");
        match parameter(disposition, "filename") {
            Some(file_name) => self.attachments.push(MailAttachment {
                content_type: essence,
                file_name,
                bytes,
            }),
            None if essence == "text/html" => {
                self.html = Some(String::from_utf8(bytes).expect("a UTF-8 HTML part"))
            }
            None => self.body = String::from_utf8(bytes).expect("a UTF-8 text part"),
        }
    }

    pub fn header(&self, name: &str) -> &str {
        header_in(&self.headers, name)
            .unwrap_or_else(|| panic!("a {name} header in {:?}", self.headers))
    }
}

/// A quoted-printable body decoded: soft line breaks joined, `=XX` bytes read.
fn quoted_printable(body: &str) -> Vec<u8> {
    let joined = body.replace("=\n", "");
    let mut bytes = Vec::new();
    let mut rest = joined.as_bytes();
    while let Some((&byte, after)) = rest.split_first() {
        if byte == b'=' && after.len() >= 2 {
            let hex = std::str::from_utf8(&after[..2]).unwrap();
            bytes.push(u8::from_str_radix(hex, 16).expect("=XX"));
            rest = &after[2..];
        } else {
            bytes.push(byte);
            rest = after;
        }
    }
    bytes
}

pub struct SmtpServer {
    port: u16,
    child: Child,
    maildir: tempfile::TempDir,
}

fn python() -> String {
    std::env::var("TENURE_TEST_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/tenure-test-python/bin/python")
    })
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        let python = python();
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("{python} -m aiosmtpd: {error} (scripts/test installs aiosmtpd)")
            });
        let server = SmtpServer {
            port,
            child,
            maildir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start on {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Mail> {
        let folder = self.maildir.path().join("mail").join("new");
        let Ok(entries) = std::fs::read_dir(folder) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
            .map(|text| Mail::parse(&text))
            .collect()
    }

    /// Waits (real time, at most 20 s) until `count` emails came.
    pub async fn wait_for(&self, count: usize) -> Vec<Mail> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{count} emails expected: {received:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
