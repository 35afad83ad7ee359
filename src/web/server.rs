//! The HTTP server loop: accepts connections and serves the router on each, with the limits
//! no single client may exceed (`[server]` in the config): a deadline for the request head, a
//! pause limit inside bodies (in the router), an idle limit on the connection as a whole, and
//! a cap on connections held at once.
//!
//! A GET the page cache can answer is answered here, before the router: no route matching and
//! no middleware stack for the most common request of a breaking-news spike. It is counted and
//! timed as the router's layers would (`metrics::track`, `most_read::count`), and answered
//! with the very response `cache::serve` gives on a hit; anything else goes to the router.

use std::convert::Infallible;
use std::future::{Future, Ready};
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::Response;
use axum::routing::future::RouteFuture;
use axum::Router;
use futures_util::future::Either;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::Service;

use super::metrics::UNMATCHED;
use super::reader::most_read::Reader;
use super::{cache, AppState};
use crate::config::ServerConfig;

/// What a client over the connection cap is told before the connection is closed.
const BUSY: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
retry-after: 5\r\ncache-control: no-store\r\nconnection: close\r\ncontent-length: 42\r\n\r\n\
Too many connections; try again shortly.\r\n";

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting and lets the
/// requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    router: Router,
    limits: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections as usize));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(u64::from(limits.header_timeout)));
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Duration::from_secs(u64::from(limits.idle_timeout)));
    let builder = Arc::new(builder);
    let idle = Duration::from_secs(u64::from(limits.idle_timeout));
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: the listener itself is fine, and
                    // connections in flight will free what is needed.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small responses go out at once instead of waiting for Nagle's algorithm.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Tracked {
            inner: stream,
            activity: Arc::clone(&activity),
        });
        let service = Front {
            state: state.clone(),
            router: router.clone(),
            remote,
        };
        let builder = Arc::clone(&builder);
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let conn = builder.serve_connection(io, service).into_owned();
            tokio::select! {
                result = watcher.watch(conn) => {
                    if let Err(e) = result {
                        tracing::trace!(error = %e, "connection ended with an error");
                    }
                }
                () = activity.idle_for(idle) => {
                    tracing::debug!(client = %remote, "idle connection closed");
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// One connection's service: cache hits answered at once, everything else by the router.
#[derive(Clone)]
struct Front {
    state: AppState,
    router: Router,
    remote: SocketAddr,
}

impl hyper::service::Service<Request<Incoming>> for Front {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, RouteFuture<Infallible>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        if let Some(response) = from_cache(&self.state, &request, self.remote) {
            return Either::Left(std::future::ready(Ok(response)));
        }
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(self.remote));
        Either::Right(self.router.clone().call(request))
    }
}

/// A cache hit, counted for the most-read lists and in the metrics as the router would.
fn from_cache(
    state: &AppState,
    request: &Request<Incoming>,
    remote: SocketAddr,
) -> Option<Response> {
    let started = Instant::now();
    let (response, route) = cache::hit(state, request)?;
    if let Some(reader) = Reader::of(state, request, Some(remote)) {
        reader.count(state, &response);
    }
    state.metrics().observe(
        route.as_ref().map_or(UNMATCHED, |r| r.as_str()),
        request.method(),
        response.status(),
        started.elapsed().as_secs_f64(),
    );
    Some(response)
}

async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(BUSY).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// When a connection last moved a byte, in milliseconds since it was accepted.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Resolves once no byte has moved for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + idle;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

/// A stream that notes the time of every read and write that moves bytes.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
