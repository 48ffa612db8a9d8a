//! How connections are served: hyper's HTTP/1 under limits, so that a client holds memory, a
//! file descriptor and a connection slot only for a bounded time whatever it does, and no key
//! is needed to learn that (issue 33).
//!
//! - **Connections**: at most [`Limits::max_connections`] are served at once. The next one is
//!   accepted only when one ends: the excess waits in the kernel's accept queue (the listen
//!   backlog, itself bounded), holding no memory or descriptor of this process, and is served
//!   in turn; past the backlog, the kernel drops its attempts (the client tries again). Every other limit below ends a slow
//!   connection, so a wait is at most about the longest of them.
//! - **Headers**: a request's head must arrive within [`Limits::header_read_timeout`], counted
//!   from when the connection is ready for it, so the same time bounds a kept-alive connection
//!   idle between requests (hyper's `header_read_timeout`, which runs from then); the head is
//!   at most [`MAX_HEAD_BYTES`].
//! - **Bodies**: the whole body must arrive within [`Limits::body_read_timeout`] of its head
//!   ([`DeadlineBody`]: one deadline, not one per chunk, so a trickle does not keep it alive);
//!   a reader of a late body gets an error, the request is refused, and the connection, its
//!   body unread, is closed.
//! - **Answers**: a client that takes none of an answer's bytes for
//!   [`Limits::write_timeout`] is dropped ([`StalledWritesEnd`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::Router;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// The largest request head (request line and headers) read: far above any request tenure
/// takes (a bearer key, a cookie), and what a connection's read buffer is held to.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Descriptors kept beside the connections' (database connections, files, the listener).
const DESCRIPTORS_KEPT_BACK: u64 = 256;

/// The limits on every connection; see the module's documentation.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    pub write_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 4096,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
        }
    }
}

/// Serves `router` on `listener` under `limits` until `shutdown` resolves; then accepts no
/// more, lets requests in flight finish (idle connections close at once) and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let max_connections = connections_the_descriptors_allow(limits.max_connections);
    let slots = Arc::new(Semaphore::new(max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    tokio::pin!(shutdown);
    loop {
        // Taken before accepting: a connection past the limit stays in the kernel's queue.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    wait_after_accept_error(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let body_read_timeout = limits.body_read_timeout;
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let request = request.map(|body| Body::new(DeadlineBody::new(body, body_read_timeout)));
            router.clone().oneshot(request)
        });
        let io = TokioIo::new(StalledWritesEnd::new(stream, limits.write_timeout));
        let connection = graceful.watch(builder.serve_connection(io, service));
        tokio::spawn(async move {
            // A client that went away, or was timed out, is no error of the server's.
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// An error accepting: one connection's (it went away before it was accepted) is skipped; any
/// other (out of descriptors, say) is logged and waited out, as `axum::serve` does.
async fn wait_after_accept_error(error: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed; trying again in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// `wanted`, or fewer if the process may not open that many descriptors even at its hard
/// limit (raised to it first: the soft limit is often 1,024, which a server outgrows).
fn connections_the_descriptors_allow(wanted: usize) -> usize {
    let Some(descriptors) = raise_open_files_limit() else {
        return wanted.max(1);
    };
    let allowed = descriptors.saturating_sub(DESCRIPTORS_KEPT_BACK).max(1);
    if (wanted as u64) > allowed {
        tracing::warn!(
            wanted,
            allowed,
            "the process may open {descriptors} files at most: serving {allowed} connections at once, not {wanted}"
        );
        return allowed as usize;
    }
    wanted.max(1)
}

/// Raises this process's soft limit on open files to its hard limit; answers the limit now in
/// force, or `None` if there is none (or no way to tell).
#[cfg(unix)]
pub fn raise_open_files_limit() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(error) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(%error, "raising the limit on open files failed");
        }
    }
    getrlimit(Resource::Nofile).current
}

#[cfg(not(unix))]
pub fn raise_open_files_limit() -> Option<u64> {
    None
}

/// A request body that must arrive whole by a deadline set when its head arrived. The timer
/// is made only if the body is not there when first read, so most requests make none.
struct DeadlineBody {
    inner: Incoming,
    deadline: Instant,
    timeout: Duration,
    timer: Option<Pin<Box<Sleep>>>,
}

impl DeadlineBody {
    fn new(inner: Incoming, timeout: Duration) -> DeadlineBody {
        DeadlineBody {
            inner,
            deadline: Instant::now() + timeout,
            timeout,
            timer: None,
        }
    }
}

/// The [`BodyTimedOut`] behind an error reading a body, if that is what it was.
pub fn body_timed_out<'e>(
    error: &'e (dyn std::error::Error + 'static),
) -> Option<&'e BodyTimedOut> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(late) = error.downcast_ref::<BodyTimedOut>() {
            return Some(late);
        }
        cause = error.source();
    }
    None
}

/// The error a body read past its deadline gives.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not sent within {0:?} of its headers")]
pub struct BodyTimedOut(Duration);

impl hyper::body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(context) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.as_mut().poll(context).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut(this.timeout)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A connection whose writes fail once they have been stalled (the client taking no bytes)
/// for `limit`: hyper then drops the connection. The timer exists only while a write waits.
struct StalledWritesEnd<IO> {
    io: IO,
    limit: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<IO> StalledWritesEnd<IO> {
    fn new(io: IO, limit: Duration) -> StalledWritesEnd<IO> {
        StalledWritesEnd {
            io,
            limit,
            stalled: None,
        }
    }

    /// What a write that came back `Pending` answers: still pending, or past the limit.
    fn pending<T>(&mut self, context: &mut Context<'_>) -> Poll<std::io::Result<T>> {
        let limit = self.limit;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        if timer.as_mut().poll(context).is_ready() {
            return Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the client took no bytes of the answer for {limit:?}"),
            )));
        }
        Poll::Pending
    }

    fn done<T>(
        &mut self,
        result: Poll<std::io::Result<T>>,
        context: &mut Context<'_>,
    ) -> Poll<std::io::Result<T>> {
        match result {
            Poll::Pending => self.pending(context),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for StalledWritesEnd<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(context, buffer)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for StalledWritesEnd<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.io).poll_write(context, buffer);
        this.done(result, context)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffers: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.io).poll_write_vectored(context, buffers);
        this.done(result, context)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.io).poll_flush(context);
        this.done(result, context)
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.io).poll_shutdown(context);
        this.done(result, context)
    }
}
