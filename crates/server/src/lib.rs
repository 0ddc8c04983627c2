//! The contactspec reference server: the Outlook Contacts REST API (beta) as SPEC.md
//! defines it, in memory, with named injectable faults.
//!
//! This crate never imports the suite; it shares only `contactspec-model`.
//!
//! Start one with [`start`] (async, on the caller's runtime) or [`spawn`] (its own
//! runtime on a background thread, for sync callers); drive one without TCP through
//! [`router`].

pub mod app;
pub mod body;
pub mod clock;
pub mod collection;
pub mod config;
pub mod context;
pub mod error;
pub mod faults;
pub mod handlers;
pub mod ids;
pub mod image;
pub mod paging;
pub mod parse;
pub mod render;
pub mod routing;
pub mod store;
pub mod sync;
pub mod sync_token;

pub use config::ServerConfig;
pub use context::{AppState, RequestCtx};
pub use error::{ApiError, ServerError};
pub use faults::{Fault, FaultSet, UnknownFault};

use axum::serve::ListenerExt;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

/// Builds the shared state of a server from its configuration.
pub fn state(config: &ServerConfig) -> Arc<AppState> {
    Arc::new(AppState::new(&config.tokens, config.faults))
}

/// The application as an `axum::Router`, for sending single requests without TCP
/// (`tower::ServiceExt::oneshot`), e.g. from a fuzz target.
pub fn router(config: ServerConfig) -> axum::Router {
    app::router(state(&config))
}

fn check(config: &ServerConfig) -> Result<(), ServerError> {
    if config.tokens.is_empty() {
        return Err(ServerError::NoTokens);
    }
    if let Some(bad) = config
        .tokens
        .iter()
        .find(|t| t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(ServerError::BadToken(bad.clone()));
    }
    Ok(())
}

/// How long a graceful shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// A server running on the caller's tokio runtime.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    /// `http://ADDR/api/beta`.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, routing::BASE_PATH)
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish (for at most
    /// [`SHUTDOWN_GRACE`], then drops them), and waits for the end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Binds `config.addr` and serves the API on the current tokio runtime.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    check(&config)?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServerError::LocalAddr)?;
    let app = router(config);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            eprintln!("contactspec server: {e}");
        }
    });
    Ok(RunningServer {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

/// A server running on its own multi-thread runtime in a background thread; stops on
/// [`BackgroundServer::shutdown`] or when dropped.
#[derive(Debug)]
pub struct BackgroundServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundServer {
    /// `http://ADDR/api/beta`.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, routing::BASE_PATH)
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops it gracefully and waits for its thread to end.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Starts a server on its own runtime (2 worker threads) in a background thread and
/// returns once it listens.
pub fn spawn(config: ServerConfig) -> Result<BackgroundServer, ServerError> {
    check(&config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("contactspec-server")
        .build()
        .map_err(ServerError::Runtime)?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("contactspec-server".into())
        .spawn(move || {
            runtime.block_on(async move {
                match start(config).await {
                    Ok(server) => {
                        let _ = ready_tx.send(Ok(server.local_addr()));
                        let _ = stopped.await;
                        server.shutdown().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })
        .map_err(ServerError::Runtime)?;
    match ready_rx.recv() {
        Ok(Ok(addr)) => Ok(BackgroundServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => {
            let _ = thread.join();
            Err(ServerError::ThreadGone)
        }
    }
}
