//! The orders benchmark's load generator: HTTP/1.1 written and read by hand over one
//! keep-alive connection per client. The load generator runs on the same two cores as the
//! server it measures, so every cycle it spends is taken from tenure: a general client
//! (connection pool, header maps, body streams) cost about as much per request as the
//! purchase itself.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::{bail, Context};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One connection, used for one request at a time.
pub struct LoopbackClient {
    stream: TcpStream,
    bearer: String,
    /// Bytes read past the last answer (none, unless the server sends early).
    received: Vec<u8>,
}

/// An answer's status and body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).context("the answer is not JSON")
    }
}

impl LoopbackClient {
    pub async fn connect(address: SocketAddr, bearer: &str) -> anyhow::Result<LoopbackClient> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(LoopbackClient {
            stream,
            bearer: bearer.to_string(),
            received: Vec::with_capacity(4096),
        })
    }

    /// Sends `POST path` with a JSON body and reads the whole answer.
    pub async fn post(&mut self, path: &str, body: &[u8]) -> anyhow::Result<Answer> {
        let mut request = Vec::with_capacity(200 + body.len());
        write!(
            request,
            "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            self.bearer,
            body.len()
        )?;
        request.extend_from_slice(body);
        self.stream.write_all(&request).await?;
        self.answer().await
    }

    /// Sends `GET path` and reads the whole answer.
    pub async fn get(&mut self, path: &str) -> anyhow::Result<Answer> {
        let mut request = Vec::with_capacity(200);
        write!(
            request,
            "GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {}\r\n\r\n",
            self.bearer,
        )?;
        self.stream.write_all(&request).await?;
        self.answer().await
    }

    async fn answer(&mut self) -> anyhow::Result<Answer> {
        let head_length = loop {
            if let Some(end) = find(&self.received, b"\r\n\r\n") {
                break end + 4;
            }
            self.read_more().await?;
        };
        let head = std::str::from_utf8(&self.received[..head_length])?;
        let status: u16 = head
            .split(' ')
            .nth(1)
            .context("an answer without a status line")?
            .parse()?;
        let body_length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .context("an answer without a content-length (this client reads no other framing)")?;
        while self.received.len() < head_length + body_length {
            self.read_more().await?;
        }
        let body = self.received[head_length..head_length + body_length].to_vec();
        self.received.drain(..head_length + body_length);
        Ok(Answer { status, body })
    }

    async fn read_more(&mut self) -> anyhow::Result<()> {
        if self.stream.read_buf(&mut self.received).await? == 0 {
            bail!("the server closed the connection");
        }
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
