//! The JSON endpoints. Every failure is a status and `{"error": "..."}`; nothing here panics on
//! a request, and only `POST /api/analyze?store=true` writes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::AppState;
use crate::filter::{self, RecordQuery};
use crate::ingest;
use crate::pipeline;
use crate::store::{NewDocument, StoreError};

/// A request that failed: the status and what to tell the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into() }
    }
    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": self.message}))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotReadOnly(_) => ApiError::new(StatusCode::FORBIDDEN, e.to_string()),
            StoreError::Invalid(_) => ApiError::bad(e.to_string()),
            _ => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        ApiError::new(r.status(), r.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> ApiError {
        // The body limit shows here as 413; say what the limit is for.
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
        }
        ApiError::new(r.status(), r.body_text())
    }
}

type ApiResult<T> = Result<T, ApiError>;
type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// Runs store or model work on a blocking thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("request aborted: {e}")))?
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/records", get(records))
        .route("/api/documents", get(documents))
        .route("/api/documents/{doc_id}", get(document))
        .route("/api/analyze", post(analyze))
        .route("/api/sql", post(sql))
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such endpoint; see /api/records, /api/documents, /api/analyze, /api/sql, /healthz, /metrics")
}

/// Reads the few parameters of an endpoint: unknown names are refused, as for the record filters.
fn params(q: Pairs, known: &[&str]) -> ApiResult<Vec<(String, String)>> {
    let Query(pairs) = q?;
    if let Some((k, _)) = pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        return Err(ApiError::bad(format!("unknown parameter {k:?}; known: {}", known.join(", "))));
    }
    Ok(pairs)
}

fn count_param(pairs: &[(String, String)], name: &str, default: usize, max: usize) -> ApiResult<usize> {
    match pairs.iter().find(|(k, _)| k == name) {
        None => Ok(default),
        Some((_, v)) => match v.trim().parse::<usize>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(ApiError::bad(format!("parameter {name:?}: {v:?} is not a whole number from 0 to {max}"))),
        },
    }
}

fn flag_param(pairs: &[(String, String)], name: &str) -> ApiResult<bool> {
    match pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) => match v.as_str() {
            "" | "1" | "true" | "yes" => Ok(true),
            "0" | "false" | "no" => Ok(false),
            _ => Err(ApiError::bad(format!("parameter {name:?}: {v:?} is not true or false"))),
        },
    }
}

async fn healthz(State(st): State<Arc<AppState>>) -> Response {
    let s = st.clone();
    match blocking(move || Ok(s.read(|store| store.document_count()))).await {
        Ok(Ok(n)) => Json(json!({"status": "ok", "documents": n, "model": st.has_model()})).into_response(),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "error", "error": e.to_string()}))).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Counts every `metrics` scrape reads from the store: documents and records.
fn store_counts(st: &AppState) -> ApiResult<(usize, i64)> {
    st.read(|store| {
        let docs = store.document_count()?;
        let recs = store.sql("SELECT COUNT(*) FROM records")?.rows.first().and_then(|r| r.first()).and_then(Value::as_i64).unwrap_or(0);
        Ok((docs, recs))
    })
}

async fn metrics(State(st): State<Arc<AppState>>) -> ApiResult<Response> {
    let s = st.clone();
    let (docs, recs) = blocking(move || store_counts(&s)).await?;
    let text = st.metrics.render(docs, recs);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

async fn records(State(st): State<Arc<AppState>>, q: Pairs) -> ApiResult<Json<Value>> {
    let Query(pairs) = q?;
    let query = RecordQuery::from_pairs(pairs).map_err(|e| ApiError::bad(e.to_string()))?;
    blocking(move || {
        let rows = st.read(|store| filter::run(store, &query))?;
        let distinct = query.filter.distinct;
        let items: Vec<Value> = rows.iter().map(|r| filter::row_json(r, distinct)).collect();
        Ok(Json(json!({"offset": query.offset, "count": items.len(), "records": items})))
    })
    .await
}

async fn documents(State(st): State<Arc<AppState>>, q: Pairs) -> ApiResult<Json<Value>> {
    let pairs = params(q, &["offset", "limit"])?;
    let offset = count_param(&pairs, "offset", 0, usize::MAX)?;
    let limit = count_param(&pairs, "limit", 50, 500)?;
    blocking(move || {
        st.read(|store| {
            let ids = store.document_ids()?;
            let mut docs = Vec::new();
            for id in ids.iter().skip(offset).take(limit) {
                let (d, _) = store.document(id)?;
                docs.push(json!({
                    "doc_id": d.doc_id, "path": d.path, "lang": d.lang, "title": d.title, "published": d.published,
                    "sentiment": d.sentiment, "entities": d.entities.len(), "figures": d.figures.len(), "records": d.records.len(),
                }));
            }
            Ok(Json(json!({"total": ids.len(), "offset": offset, "limit": limit, "documents": docs})))
        })
    })
    .await
}

async fn document(State(st): State<Arc<AppState>>, Path(doc_id): Path<String>, q: Pairs) -> ApiResult<Json<Value>> {
    let pairs = params(q, &["text"])?;
    let with_text = flag_param(&pairs, "text")?;
    blocking(move || {
        st.read(|store| {
            if !store.has_document(&doc_id)? {
                return Err(ApiError::new(StatusCode::NOT_FOUND, format!("no document {doc_id:?} in the store")));
            }
            let (doc, text) = store.document(&doc_id)?;
            let mut v = serde_json::to_value(&doc).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            // The contract object leaves the text out; the page asks for it to draw the highlights.
            if with_text {
                v["text"] = text.into();
            }
            Ok(Json(v))
        })
    })
    .await
}

fn is_json(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_ascii_lowercase().starts_with("application/json")).unwrap_or(false)
}

/// `POST /api/analyze`: a JSON article object (`title`, `text`, `published`...) or plain text
/// (first line as title), read the same way as files of those formats.
async fn analyze(State(st): State<Arc<AppState>>, q: Pairs, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let pairs = params(q, &["store"])?;
    let store_it = flag_param(&pairs, "store")?;
    let body = body?;
    let ext = if is_json(&headers) { "json" } else { "txt" };
    let article = match ingest::read_bytes("api", ext, &body) {
        Ok(mut v) if v.len() == 1 => v.remove(0).map_err(|f| ApiError::bad(f.reason))?,
        Ok(_) => return Err(ApiError::bad("expected one article")),
        Err(e) => return Err(ApiError::bad(format!("cannot read the article: {e}"))),
    };
    blocking(move || {
        let mut article = article;
        let id = pipeline::doc_id(&article.text);
        article.path = format!("api/{}", &id[..12]);
        let doc = pipeline::analyze(&article, st.model.as_deref().map(|r| r as &dyn pipeline::Reader))
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("cannot analyse the article: {e}")))?;
        let stored = if store_it { st.write(|w| w.insert_document(&NewDocument { doc: &doc, text: &article.text }))? } else { false };
        // 201 when this request added the document; 200 when it was only analysed (or already there).
        let status = if stored { StatusCode::CREATED } else { StatusCode::OK };
        Ok((status, [("x-veille-stored", if stored { "true" } else { "false" })], Json(doc)).into_response())
    })
    .await
}

/// `POST /api/sql`: one read-only statement, as JSON `{"sql": "..."}` or plain text.
async fn sql(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> ApiResult<Json<Value>> {
    let body = body?;
    let statement = if is_json(&headers) {
        let v: Value = serde_json::from_slice(&body).map_err(|e| ApiError::bad(format!("invalid JSON: {e}")))?;
        v.get("sql").and_then(Value::as_str).map(str::to_string).ok_or_else(|| ApiError::bad("expected {\"sql\": \"SELECT ...\"}"))?
    } else {
        String::from_utf8(body.to_vec()).map_err(|_| ApiError::bad("the statement is not UTF-8"))?
    };
    if statement.trim().is_empty() {
        return Err(ApiError::bad("empty statement"));
    }
    blocking(move || {
        let res = st.read(|store| store.sql(&statement)).map_err(|e| match e {
            // The user's SQL: a syntax error or an unknown table is a bad request, not our fault.
            StoreError::Sql(e) => ApiError::bad(format!("SQL error: {e}")),
            e => e.into(),
        })?;
        Ok(Json(json!({"columns": res.columns, "rows": res.rows})))
    })
    .await
}
