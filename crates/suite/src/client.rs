//! The HTTP client: one reqwest client for the run, a per-request timeout that covers
//! connect, headers and body, a cap on response bodies, bounded 429 retries, and a
//! record of every exchange for reports.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on a response body.
pub const DEFAULT_BODY_CAP: usize = 8 * 1024 * 1024;
/// How often a 429 with `Retry-After` is retried.
pub const MAX_429_RETRIES: u32 = 3;
/// The longest `Retry-After` the runner waits for.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// A request as sent (for reports and `curl`).
#[derive(Debug, Clone, Default)]
pub struct SentRequest {
    /// Method.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Header lines in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes, if any.
    pub body: Option<Vec<u8>>,
}

impl SentRequest {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response as received.
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// Status code.
    pub status: u16,
    /// Header lines in order (names lower-case).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Received {
    /// Every line of a header (case-insensitive name).
    pub fn header_lines(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The first line of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Why no response came back.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    /// Nothing complete within the timeout.
    #[error("no complete response within the {0:?} timeout (connect + headers + body)")]
    Timeout(Duration),
    /// The connection could not be made.
    #[error("cannot connect to the target: {0}")]
    Connect(String),
    /// The body exceeded the cap.
    #[error("response body larger than {cap} bytes (the runner's cap); not read further")]
    BodyTooLarge {
        /// The cap.
        cap: usize,
    },
    /// The request could not be built (bad URL, header or method).
    #[error("cannot build the request: {0}")]
    Invalid(String),
    /// Anything else (reset, malformed response).
    #[error("the exchange failed: {0}")]
    Other(String),
}

/// One request and what came of it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request.
    pub request: SentRequest,
    /// The response or why there is none.
    pub response: Result<Received, TransportError>,
    /// When the request started (wall clock).
    pub started: chrono::DateTime<chrono::Utc>,
    /// How long the exchange took.
    pub elapsed: Duration,
    /// Notes such as 429 retries.
    pub notes: Vec<String>,
}

/// The run's HTTP client.
#[derive(Debug)]
pub struct HttpClient {
    inner: reqwest::Client,
    timeout: Duration,
    body_cap: usize,
    sent: AtomicU64,
    retried: AtomicU64,
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let cs = c.to_string();
        if !s.contains(&cs) {
            s.push_str(": ");
            s.push_str(&cs);
        }
        cur = c.source();
    }
    s
}

impl HttpClient {
    /// A client with this per-request timeout and body cap.
    pub fn new(timeout: Duration, body_cap: usize) -> Result<HttpClient, TransportError> {
        let inner = reqwest::Client::builder()
            .tcp_nodelay(true)
            .connect_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TransportError::Invalid(chain(&e)))?;
        Ok(HttpClient {
            inner,
            timeout,
            body_cap,
            sent: AtomicU64::new(0),
            retried: AtomicU64::new(0),
        })
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Requests sent so far (retries included).
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// 429 retries so far.
    pub fn retries_429(&self) -> u64 {
        self.retried.load(Ordering::Relaxed)
    }

    /// Sends a request, retrying a 429 with `Retry-After` up to [`MAX_429_RETRIES`] times.
    pub async fn send(&self, request: SentRequest) -> Exchange {
        let started = chrono::Utc::now();
        let t0 = Instant::now();
        let mut notes = Vec::new();
        let mut attempt = 0;
        loop {
            let response = self.send_once(&request).await;
            if let Ok(r) = &response
                && r.status == 429
                && let Some(wait) = r.header("retry-after").and_then(parse_retry_after)
            {
                if attempt < MAX_429_RETRIES {
                    attempt += 1;
                    self.retried.fetch_add(1, Ordering::Relaxed);
                    notes.push(format!(
                        "429 with Retry-After {wait:?}: retried (attempt {attempt} of {MAX_429_RETRIES}); not a rule failure (GEN-NO-5XX)"
                    ));
                    tokio::time::sleep(wait.min(MAX_RETRY_AFTER)).await;
                    continue;
                }
                notes.push(format!(
                    "429 with Retry-After after {MAX_429_RETRIES} retries; giving up"
                ));
            }
            return Exchange {
                request,
                response,
                started,
                elapsed: t0.elapsed(),
                notes,
            };
        }
    }

    async fn send_once(&self, r: &SentRequest) -> Result<Received, TransportError> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        if crate::raw::wanted(r) {
            return match tokio::time::timeout(self.timeout, crate::raw::exchange(r, self.body_cap))
                .await
            {
                Ok(x) => x,
                Err(_) => Err(TransportError::Timeout(self.timeout)),
            };
        }
        let method = reqwest::Method::from_bytes(r.method.as_bytes())
            .map_err(|_| TransportError::Invalid(format!("bad method {:?}", r.method)))?;
        let url = url::Url::parse(&r.url)
            .map_err(|e| TransportError::Invalid(format!("bad URL {:?}: {e}", r.url)))?;
        let mut headers = reqwest::header::HeaderMap::new();
        for (k, v) in &r.headers {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| TransportError::Invalid(format!("bad header name {k:?}")))?;
            let value = reqwest::header::HeaderValue::from_str(v)
                .map_err(|_| TransportError::Invalid(format!("bad value of header {k}: {v:?}")))?;
            headers.append(name, value);
        }
        let mut builder = self.inner.request(method, url).headers(headers);
        if let Some(b) = &r.body {
            builder = builder.body(b.clone());
        }
        let cap = self.body_cap;
        let fut =
            async move {
                let mut resp = builder.send().await.map_err(|e| {
                    if e.is_connect() {
                        TransportError::Connect(chain(&e))
                    } else {
                        TransportError::Other(chain(&e))
                    }
                })?;
                if resp.content_length().is_some_and(|n| n as usize > cap) {
                    return Err(TransportError::BodyTooLarge { cap });
                }
                let status = resp.status().as_u16();
                let headers = resp
                    .headers()
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                let mut body = Vec::new();
                while let Some(chunk) = resp.chunk().await.map_err(|e| {
                    TransportError::Other(format!("reading the body: {}", chain(&e)))
                })? {
                    if body.len() + chunk.len() > cap {
                        return Err(TransportError::BodyTooLarge { cap });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(Received {
                    status,
                    headers,
                    body,
                })
            };
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(TransportError::Timeout(self.timeout)),
        }
    }
}

/// Parses `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Answers 429 (Retry-After: 0) `n` times, then 200.
    async fn limited(n: usize) -> String {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let mut served = 0;
            loop {
                let (mut s, _) = l.accept().await.unwrap();
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let resp: &[u8] = if served < n {
                    b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                } else {
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                };
                served += 1;
                let _ = s.write_all(resp).await;
            }
        });
        format!("http://{addr}/x")
    }

    fn get(url: String) -> SentRequest {
        SentRequest {
            method: "GET".into(),
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    #[tokio::test]
    async fn retries_429_a_bounded_number_of_times() {
        let c = HttpClient::new(Duration::from_secs(2), 1024).unwrap();
        let ex = c.send(get(limited(2).await)).await;
        assert_eq!(ex.response.as_ref().unwrap().status, 200);
        assert_eq!(ex.notes.len(), 2, "{:?}", ex.notes);
        assert_eq!(c.retries_429(), 2);
        let ex = c.send(get(limited(100).await)).await;
        assert_eq!(ex.response.as_ref().unwrap().status, 429);
        assert_eq!(
            ex.notes.len(),
            MAX_429_RETRIES as usize + 1,
            "{:?}",
            ex.notes
        );
        assert!(ex.notes.last().unwrap().contains("giving up"));
        assert_eq!(c.requests_sent(), 3 + 4);
    }

    #[tokio::test]
    async fn body_cap() {
        let c = HttpClient::new(Duration::from_secs(2), 1).unwrap();
        let ex = c.send(get(limited(0).await)).await;
        assert!(
            matches!(ex.response, Err(TransportError::BodyTooLarge { cap: 1 })),
            "{:?}",
            ex.response
        );
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
