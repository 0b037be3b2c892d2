//! `veille serve`: a JSON API and a browser page over the store, on axum.
//!
//! The store is reached through `Store`'s public methods only. SQLite connections are not `Sync`,
//! so reads go through a small pool of read-only connections behind mutexes, and the one writer
//! (opened the first time a request asks to store) behind its own; all store and model work runs
//! on tokio's blocking threads.

mod api;
mod metrics;
mod page;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::DefaultBodyLimit;
use axum::Router;
use thiserror::Error;

use crate::pipeline::Reader;
use crate::store::{Store, StoreError};

pub use metrics::Metrics;

/// Largest request body accepted (an article is far smaller); larger ones get 413.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

#[derive(Debug, Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("cannot start the server runtime: {0}")]
    Runtime(std::io::Error),
}

/// What every request shares.
pub struct AppState {
    db: PathBuf,
    readers: Vec<Mutex<Store>>,
    next_reader: AtomicUsize,
    writer: Mutex<Option<Store>>,
    model: Option<Box<dyn Reader + Send + Sync>>,
    body_limit: usize,
    pub metrics: Metrics,
}

impl AppState {
    /// Opens `connections` read-only connections on an existing store. `model` is the reader
    /// loaded once for `/api/analyze` (`None`: the figures grammar and rules alone).
    pub fn open(db: &Path, model: Option<Box<dyn Reader + Send + Sync>>, connections: usize) -> Result<AppState, ServeError> {
        let readers = (0..connections.max(1)).map(|_| Store::open_read_only(db).map(Mutex::new)).collect::<Result<Vec<_>, _>>()?;
        Ok(AppState {
            db: db.to_path_buf(),
            readers,
            next_reader: AtomicUsize::new(0),
            writer: Mutex::new(None),
            model,
            body_limit: DEFAULT_BODY_LIMIT,
            metrics: Metrics::default(),
        })
    }

    pub fn with_body_limit(mut self, bytes: usize) -> AppState {
        self.body_limit = bytes;
        self
    }

    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// Runs `f` on one of the read-only connections (round robin; waits if that one is busy).
    fn read<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        // A panic while holding the lock cannot leave a read-only connection half-changed.
        let guard = self.readers[i].lock().unwrap_or_else(|p| p.into_inner());
        f(&guard)
    }

    /// Runs `f` on the writer, opening it the first time.
    fn write<T>(&self, f: impl FnOnce(&mut Store) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(Store::open(&self.db)?);
        }
        f(guard.as_mut().expect("opened just above"))
    }
}

/// The whole application: API, page, metrics, body limit.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.body_limit;
    api::routes()
        .merge(page::routes())
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// A server running on its own runtime thread; dropping it (or `stop`) shuts it down.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish, and waits for the runtime to end.
    pub fn stop(mut self) -> std::io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(std::io::Error::other("the server thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Binds `addr` (port 0 picks a free one) and serves `state` on a runtime of `workers` threads
/// in the background.
pub fn start(state: AppState, addr: &str, workers: usize) -> Result<Running, ServeError> {
    let std_listener = std::net::TcpListener::bind(addr).map_err(|source| ServeError::Bind { addr: addr.to_string(), source })?;
    std_listener.set_nonblocking(true).map_err(|source| ServeError::Bind { addr: addr.to_string(), source })?;
    let local = std_listener.local_addr().map_err(|source| ServeError::Bind { addr: addr.to_string(), source })?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .thread_name("veille-serve")
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = router(Arc::new(state));
    let thread = std::thread::spawn(move || {
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener)?;
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        })
    });
    Ok(Running { addr: local, stop: Some(tx), thread: Some(thread) })
}

/// Serves until Ctrl-C (or SIGTERM), then finishes the requests in flight.
pub fn run_until_signal(state: AppState, addr: &str, workers: usize, on_ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let running = start(state, addr, workers)?;
    on_ready(running.addr);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(ServeError::Runtime)?;
    rt.block_on(async {
        #[cfg(unix)]
        {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(ServeError::Runtime)?;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        Ok::<(), ServeError>(())
    })?;
    running.stop().map_err(ServeError::Runtime)
}
