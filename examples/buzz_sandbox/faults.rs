//! Injected failures, so a client's retry and re-login logic can be exercised: throttling (429),
//! overload (503), server errors (500), a connection closed without an answer, a request held
//! until the client gives up, a body that is not JSON, and a session that ends mid-run.
//!
//! Closing a connection without any answer is not something an axum handler can do, so the
//! listener wraps each TCP stream in [`FaultyStream`], whose kill switch the handler reaches
//! through [`ConnInfo`] (axum's connect-info extension). Once the switch is thrown every read and
//! write fails, hyper gives up on the connection and drops the socket before a byte of the
//! response is written.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// HTTP 429, code `RateLimit`, `Retry-After`.
    RateLimit,
    /// HTTP 503, code `ServerOverwhelmed`, `Retry-After`.
    Overwhelmed,
    /// HTTP 500, code `Exception`.
    Exception,
    /// The connection is closed without an answer.
    Drop,
    /// The request is held (`--timeout-hold`), then the connection is closed.
    Timeout,
    /// HTTP 200 with a body that is not JSON.
    Malformed,
    /// `NoAuthentication`, and the token used is revoked (a session ended under the client).
    NoAuth,
}

impl FaultKind {
    pub fn label(self) -> &'static str {
        match self {
            FaultKind::RateLimit => "429",
            FaultKind::Overwhelmed => "503",
            FaultKind::Exception => "500",
            FaultKind::Drop => "drop",
            FaultKind::Timeout => "timeout",
            FaultKind::Malformed => "malformed",
            FaultKind::NoAuth => "noauth",
        }
    }
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "429" => Ok(FaultKind::RateLimit),
            "503" => Ok(FaultKind::Overwhelmed),
            "500" => Ok(FaultKind::Exception),
            "drop" => Ok(FaultKind::Drop),
            "timeout" => Ok(FaultKind::Timeout),
            "malformed" => Ok(FaultKind::Malformed),
            "noauth" => Ok(FaultKind::NoAuth),
            other => Err(format!(
                "unknown fault kind {other:?} (known: 429, 503, 500, drop, timeout, malformed, noauth)"
            )),
        }
    }
}

/// Which of the coming requests fail, and how.
#[derive(Debug)]
pub struct FaultPlan {
    /// Requests still to pass untouched before any fault (e.g. to let a login through).
    skip: u64,
    /// Requests still to fail deterministically.
    remaining: u64,
    kinds: Vec<FaultKind>,
    /// Position in `kinds` of the next deterministic fault (they cycle).
    next: usize,
    /// Probability of a random fault when none is armed.
    rate: f64,
    rng: StdRng,
}

impl FaultPlan {
    pub fn new(skip: u64, count: u64, kinds: Vec<FaultKind>, rate: f64, seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        FaultPlan {
            skip,
            remaining: count,
            kinds,
            next: 0,
            rate,
            rng,
        }
    }

    /// Arms `count` faults after `skip` untouched requests; `kinds`, when given, replaces the
    /// cycle and restarts it.
    pub fn arm(&mut self, skip: u64, count: u64, kinds: Option<Vec<FaultKind>>) {
        if let Some(kinds) = kinds.filter(|k| !k.is_empty()) {
            self.kinds = kinds;
            self.next = 0;
        }
        self.skip = skip;
        self.remaining = count;
    }

    pub fn skip(&self) -> u64 {
        self.skip
    }

    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    pub fn kinds(&self) -> &[FaultKind] {
        &self.kinds
    }

    /// Decides the fate of one request.
    pub fn next_fault(&mut self) -> Option<FaultKind> {
        if self.kinds.is_empty() {
            return None;
        }
        if self.skip > 0 {
            self.skip -= 1;
            return None;
        }
        if self.remaining > 0 {
            self.remaining -= 1;
            let kind = self.kinds[self.next % self.kinds.len()];
            self.next = (self.next + 1) % self.kinds.len();
            return Some(kind);
        }
        if self.rate > 0.0 && self.rng.random::<f64>() < self.rate {
            let index = self.rng.random_range(0..self.kinds.len());
            return Some(self.kinds[index]);
        }
        None
    }
}

/// Per-connection information handed to handlers: the peer and the connection's kill switch.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    kill: Arc<AtomicBool>,
}

impl ConnInfo {
    /// After this, the connection is closed instead of carrying the handler's response.
    pub fn kill(&self) {
        self.kill.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, FaultyListener>> for ConnInfo {
    fn connect_info(stream: IncomingStream<'_, FaultyListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP listener whose connections can be killed from a handler.
pub struct FaultyListener {
    inner: TcpListener,
}

impl FaultyListener {
    pub fn new(inner: TcpListener) -> Self {
        FaultyListener { inner }
    }
}

impl Listener for FaultyListener {
    type Io = FaultyStream;
    type Addr = ConnInfo;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, peer)) => {
                    // Small request/response exchanges: don't let Nagle delay them.
                    let _ = stream.set_nodelay(true);
                    let kill = Arc::new(AtomicBool::new(false));
                    let io = FaultyStream {
                        inner: stream,
                        kill: kill.clone(),
                    };
                    return (io, ConnInfo { peer, kill });
                }
                // Running out of file descriptors and the like: wait a moment and go on, as
                // axum's own TcpListener impl does.
                Err(e) => {
                    eprintln!("buzz sandbox: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(ConnInfo {
            peer: self.inner.local_addr()?,
            kill: Arc::new(AtomicBool::new(false)),
        })
    }
}

/// A TCP stream that fails every operation once its kill switch is thrown.
pub struct FaultyStream {
    inner: TcpStream,
    kill: Arc<AtomicBool>,
}

impl FaultyStream {
    fn killed(&self) -> bool {
        self.kill.load(Ordering::SeqCst)
    }
}

fn killed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by an injected fault",
    )
}

impl AsyncRead for FaultyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
