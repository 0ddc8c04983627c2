//! A small blocking HTTP client over reqwest that records every exchange, so a failure
//! can be shown as the requests that led to it and as `curl` commands (SUITE-REPRO).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use std::cell::RefCell;
use std::time::Duration;

/// Characters percent-encoded in an id put into a path: everything outside RFC 3986
/// `unreserved` and `=` (SPEC.md §0).
const ID_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'=');

/// Characters percent-encoded in a query option value.
const QUERY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'$')
    .remove(b'/')
    .remove(b',')
    .remove(b':')
    .remove(b'(')
    .remove(b')');

/// Percent-encodes an id for use as one path segment.
pub fn encode_id(id: &str) -> String {
    utf8_percent_encode(id, ID_ENCODE).to_string()
}

/// Percent-encodes a query option value (spaces as `%20`, quotes as `%27`).
pub fn encode_query_value(v: &str) -> String {
    utf8_percent_encode(v, QUERY_ENCODE).to_string()
}

/// Where the properties run: a base URL and user A's bearer token.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL such as `http://127.0.0.1:8080/api/beta`, without a trailing slash.
    pub base: String,
    /// User A's bearer token.
    pub token: String,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body.
    None,
    /// A JSON value, sent as `application/json`.
    Json(Value),
    /// Raw text sent as `application/json` (malformed JSON, duplicate members).
    Text(String),
    /// Bytes with their content type (photos).
    Bytes {
        /// The `Content-Type` to send.
        content_type: String,
        /// The bytes.
        bytes: Vec<u8>,
    },
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// HTTP method.
    pub method: &'static str,
    /// A path relative to the base (`me/contacts`), or an absolute URL.
    pub path: String,
    /// The raw query string (already encoded), without `?`.
    pub query: Option<String>,
    /// Extra header lines.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

impl Request {
    /// A request with no query, headers or body.
    pub fn new(method: &'static str, path: impl Into<String>) -> Self {
        Request {
            method,
            path: path.into(),
            query: None,
            headers: Vec::new(),
            body: Body::None,
        }
    }
    /// Sets the raw query string.
    pub fn query(mut self, q: impl Into<String>) -> Self {
        let q = q.into();
        self.query = if q.is_empty() { None } else { Some(q) };
        self
    }
    /// Adds a header line.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
    /// Sets a JSON body.
    pub fn json(mut self, v: Value) -> Self {
        self.body = Body::Json(v);
        self
    }
    /// Sets a body.
    pub fn body(mut self, b: Body) -> Self {
        self.body = b;
        self
    }
}

/// A request as sent and the response received.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// HTTP method.
    pub method: String,
    /// The absolute URL sent.
    pub url: String,
    /// Header lines sent, besides `Authorization`.
    pub headers: Vec<(String, String)>,
    /// The body sent.
    pub body: Body,
    /// The response status.
    pub status: u16,
    /// Response header lines (names lower-case).
    pub resp_headers: Vec<(String, String)>,
    /// The response body bytes.
    pub resp_body: Vec<u8>,
}

impl Exchange {
    /// The response body as JSON, if it parses.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.resp_body).ok()
    }
    /// All values of a response header (case-insensitive name), comma-split and trimmed.
    pub fn header_list(&self, name: &str) -> Vec<String> {
        self.resp_headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_string()))
            .filter(|s| !s.is_empty())
            .collect()
    }
    /// The first value of a response header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.resp_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// `error.code` of an error body, if any.
    pub fn error_code(&self) -> Option<String> {
        self.json()?
            .pointer("/error/code")?
            .as_str()
            .map(str::to_string)
    }
    /// A `curl` command that repeats the request; the token is written as `$TOKEN`.
    pub fn curl(&self) -> String {
        let mut s = format!("curl -sS -X {} {}", self.method, shell_quote(&self.url));
        s.push_str(" -H 'Authorization: Bearer '\"$TOKEN\"");
        for (n, v) in &self.headers {
            s.push_str(&format!(" -H {}", shell_quote(&format!("{n}: {v}"))));
        }
        match &self.body {
            Body::None => {}
            Body::Json(v) => {
                s.push_str(" -H 'Content-Type: application/json' --data-binary ");
                s.push_str(&shell_quote(&v.to_string()));
            }
            Body::Text(t) => {
                s.push_str(" -H 'Content-Type: application/json' --data-binary ");
                s.push_str(&shell_quote(t));
            }
            Body::Bytes {
                content_type,
                bytes,
            } => {
                s.push_str(&format!(
                    " -H {} --data-binary @photo.bin  # {} bytes",
                    shell_quote(&format!("Content-Type: {content_type}")),
                    bytes.len()
                ));
            }
        }
        s
    }
    /// A one-line summary: `POST url -> 201`.
    pub fn summary(&self) -> String {
        let body = match &self.body {
            Body::None => String::new(),
            Body::Json(v) => format!(" {}", truncate(&v.to_string(), 600)),
            Body::Text(t) => format!(" {}", truncate(t, 600)),
            Body::Bytes {
                content_type,
                bytes,
            } => format!(" <{} bytes of {content_type}>", bytes.len()),
        };
        let textual = self
            .header("content-type")
            .is_none_or(|c| c.contains("json") || c.starts_with("text/"));
        let resp = match std::str::from_utf8(&self.resp_body) {
            Ok(t) if textual => t.to_string(),
            _ => format!(
                "<{} bytes of {}>",
                self.resp_body.len(),
                self.header("content-type").unwrap_or("?")
            ),
        };
        format!(
            "{} {}{} -> {} {}",
            self.method,
            self.url,
            body,
            self.status,
            truncate(&resp, 600)
        )
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let t: String = s.chars().take(n).collect();
        format!("{t}…")
    }
}

/// Quotes a string for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A transport-level failure: the request got no HTTP response.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The tokio runtime could not be built.
    #[error("cannot start the HTTP runtime: {0}")]
    Runtime(#[from] std::io::Error),
    /// The reqwest client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Build(reqwest::Error),
    /// A request failed without a response.
    #[error("{method} {url}: no response: {source}")]
    Transport {
        /// Method sent.
        method: String,
        /// URL sent.
        url: String,
        /// The underlying error.
        source: reqwest::Error,
    },
}

/// A blocking client for one target, recording exchanges. Not for use inside an
/// async context (it owns a current-thread runtime).
pub struct Client {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    target: Target,
    log: RefCell<Vec<Exchange>>,
}

impl Client {
    /// A client for `target`.
    pub fn new(target: Target) -> Result<Self, ClientError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let http = reqwest::Client::builder()
            .tcp_nodelay(true)
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(ClientError::Build)?;
        Ok(Client {
            rt,
            http,
            target,
            log: RefCell::new(Vec::new()),
        })
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The absolute URL of a path (or the path itself when it is already absolute).
    pub fn url(&self, path: &str, query: Option<&str>) -> String {
        let mut u = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}/{}", self.target.base.trim_end_matches('/'), path)
        };
        if let Some(q) = query {
            u.push(if u.contains('?') { '&' } else { '?' });
            u.push_str(q);
        }
        u
    }

    /// Sends a request and records the exchange.
    pub fn send(&self, req: Request) -> Result<Exchange, ClientError> {
        let url = self.url(&req.path, req.query.as_deref());
        let method =
            reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut rb = self
            .http
            .request(method, &url)
            .header("Authorization", format!("Bearer {}", self.target.token));
        for (n, v) in &req.headers {
            rb = rb.header(n.as_str(), v.as_str());
        }
        rb = match &req.body {
            Body::None => rb,
            Body::Json(v) => rb
                .header("Content-Type", "application/json")
                .body(v.to_string()),
            Body::Text(t) => rb
                .header("Content-Type", "application/json")
                .body(t.clone()),
            Body::Bytes {
                content_type,
                bytes,
            } => rb
                .header("Content-Type", content_type.as_str())
                .body(bytes.clone()),
        };
        let transport = |source| ClientError::Transport {
            method: req.method.to_string(),
            url: url.clone(),
            source,
        };
        let (status, resp_headers, resp_body) = self.rt.block_on(async {
            let resp = rb.send().await.map_err(transport)?;
            let status = resp.status().as_u16();
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = resp.bytes().await.map_err(transport)?;
            Ok::<_, ClientError>((status, headers, body.to_vec()))
        })?;
        let ex = Exchange {
            method: req.method.to_string(),
            url,
            headers: req.headers,
            body: req.body,
            status,
            resp_headers,
            resp_body,
        };
        self.log.borrow_mut().push(ex.clone());
        Ok(ex)
    }

    /// Takes the recorded exchanges, leaving the log empty.
    pub fn take_log(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.log.borrow_mut())
    }

    /// Sends a request without recording it (cleanup).
    pub fn send_quiet(&self, req: Request) -> Result<Exchange, ClientError> {
        let before = self.log.borrow().len();
        let r = self.send(req);
        self.log.borrow_mut().truncate(before);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_ids_and_quotes() {
        assert_eq!(encode_id("AA+b/c=="), "AA%2Bb%2Fc==");
        assert_eq!(
            encode_query_value("Surname eq 'O''B'"),
            "Surname%20eq%20%27O%27%27B%27"
        );
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }
}
