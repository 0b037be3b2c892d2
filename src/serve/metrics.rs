//! Request counts and latency histograms per route, in Prometheus' text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Latency {
    /// Per bucket, the requests at or under its bound (not cumulative here; summed on render).
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Latency>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *m.requests.entry((route.to_string(), method.to_string(), status)).or_default() += 1;
        let l = m.latency.entry(route.to_string()).or_default();
        if l.buckets.is_empty() {
            l.buckets = vec![0; BUCKETS.len()];
        }
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            l.buckets[i] += 1;
        }
        l.sum += seconds;
        l.count += 1;
    }

    /// The exposition text, with the store's document and record counts as gauges.
    pub fn render(&self, documents: usize, records: i64) -> String {
        let m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut s = String::new();
        let esc = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
        s.push_str("# HELP veille_http_requests_total HTTP requests answered, by route, method and status.\n");
        s.push_str("# TYPE veille_http_requests_total counter\n");
        for ((route, method, status), n) in &m.requests {
            let _ = writeln!(s, "veille_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}", esc(route), esc(method));
        }
        s.push_str("# HELP veille_http_request_duration_seconds Time to answer a request, by route.\n");
        s.push_str("# TYPE veille_http_request_duration_seconds histogram\n");
        for (route, l) in &m.latency {
            let r = esc(route);
            let mut acc = 0;
            for (b, n) in BUCKETS.iter().zip(&l.buckets) {
                acc += n;
                let _ = writeln!(s, "veille_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {acc}");
            }
            let _ = writeln!(s, "veille_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}", l.count);
            let _ = writeln!(s, "veille_http_request_duration_seconds_sum{{route=\"{r}\"}} {}", l.sum);
            let _ = writeln!(s, "veille_http_request_duration_seconds_count{{route=\"{r}\"}} {}", l.count);
        }
        s.push_str("# HELP veille_documents Documents in the store.\n# TYPE veille_documents gauge\n");
        let _ = writeln!(s, "veille_documents {documents}");
        s.push_str("# HELP veille_records Investment records in the store.\n# TYPE veille_records gauge\n");
        let _ = writeln!(s, "veille_records {records}");
        s
    }
}

/// Middleware: times each request and counts it under its route pattern (not the raw path, so
/// that document ids do not make one series each).
pub async fn track(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let t = Instant::now();
    let resp = next.run(req).await;
    st.metrics.observe(&route, &method, resp.status().as_u16(), t.elapsed().as_secs_f64());
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe("/api/records", "GET", 200, 0.002);
        m.observe("/api/records", "GET", 200, 0.2);
        m.observe("/api/records", "GET", 400, 20.0);
        let t = m.render(3, 7);
        assert!(t.contains("veille_http_requests_total{route=\"/api/records\",method=\"GET\",status=\"200\"} 2"));
        assert!(t.contains("veille_http_requests_total{route=\"/api/records\",method=\"GET\",status=\"400\"} 1"));
        assert!(t.contains("_bucket{route=\"/api/records\",le=\"0.001\"} 0"));
        assert!(t.contains("_bucket{route=\"/api/records\",le=\"0.0025\"} 1"));
        assert!(t.contains("_bucket{route=\"/api/records\",le=\"0.25\"} 2"));
        assert!(t.contains("_bucket{route=\"/api/records\",le=\"10\"} 2"));
        assert!(t.contains("_bucket{route=\"/api/records\",le=\"+Inf\"} 3"));
        assert!(t.contains("veille_documents 3\n") && t.contains("veille_records 7\n"));
    }
}
