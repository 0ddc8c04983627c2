//! A minimal HTTP/1.1 exchange over a plain TCP stream, for the two things a pooled
//! client cannot show: `Expect: 100-continue` (does the final answer come before the
//! body is sent? GEN-BODY-EARLY) and a server that answers a large body early and
//! closes the connection while the body is still being written (GEN-BODY-LIMIT).

use crate::client::{Received, SentRequest, TransportError};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// How long the runner waits for `100 Continue` before sending the body anyway (RFC 9110).
pub const CONTINUE_WAIT: Duration = Duration::from_secs(1);

/// Whether a request should go through this path.
pub fn wanted(r: &SentRequest) -> bool {
    r.header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
        || r.body.as_ref().is_some_and(|b| b.len() > 1024 * 1024)
}

fn head_of(r: &SentRequest, u: &url::Url) -> Vec<u8> {
    let host = match u.port() {
        Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
        None => u.host_str().unwrap_or("").to_string(),
    };
    let mut target = u.path().to_string();
    if let Some(q) = u.query() {
        target.push('?');
        target.push_str(q);
    }
    let mut h = format!("{} {target} HTTP/1.1\r\nHost: {host}\r\n", r.method);
    for (k, v) in &r.headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        r.body.as_ref().map_or(0, Vec::len)
    ));
    h.into_bytes()
}

/// Reads one response head; returns (status, headers) and leaves any extra bytes in `buf`.
async fn read_head<R: AsyncRead + Unpin>(
    rd: &mut R,
    buf: &mut Vec<u8>,
) -> Result<(u16, Vec<(String, String)>), TransportError> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap_or("");
            let status = status_line
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| {
                    TransportError::Other(format!("malformed status line {status_line:?}"))
                })?;
            let headers = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            return Ok((status, headers));
        }
        if buf.len() > 64 * 1024 {
            return Err(TransportError::Other(
                "response head larger than 64 KiB".into(),
            ));
        }
        let mut chunk = [0u8; 8192];
        let n = rd
            .read(&mut chunk)
            .await
            .map_err(|e| TransportError::Other(format!("reading the response: {e}")))?;
        if n == 0 {
            return Err(TransportError::Other(
                "the connection closed before a complete response head".into(),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn fill<R: AsyncRead + Unpin>(
    rd: &mut R,
    buf: &mut Vec<u8>,
    want: usize,
    cap: usize,
) -> Result<bool, TransportError> {
    while buf.len() < want {
        if buf.len() > cap {
            return Err(TransportError::BodyTooLarge { cap });
        }
        let mut chunk = [0u8; 16384];
        let n = rd
            .read(&mut chunk)
            .await
            .map_err(|e| TransportError::Other(format!("reading the body: {e}")))?;
        if n == 0 {
            return Ok(false);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(true)
}

/// Reads a body by `Content-Length`, chunked encoding, or to the end of the stream.
async fn read_body<R: AsyncRead + Unpin>(
    rd: &mut R,
    mut buf: Vec<u8>,
    headers: &[(String, String)],
    status: u16,
    method: &str,
    cap: usize,
) -> Result<Vec<u8>, TransportError> {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    if method == "HEAD" || status == 204 || status == 304 {
        return Ok(Vec::new());
    }
    if get("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        let mut out = Vec::new();
        loop {
            let line_end = loop {
                if let Some(p) = buf.windows(2).position(|w| w == b"\r\n") {
                    break p;
                }
                let want = buf.len() + 1;
                if !fill(rd, &mut buf, want, cap + 64).await? {
                    return Err(TransportError::Other(
                        "the connection closed inside a chunked body".into(),
                    ));
                }
            };
            let size_text = String::from_utf8_lossy(&buf[..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| TransportError::Other(format!("bad chunk size {size_text:?}")))?;
            buf.drain(..line_end + 2);
            if size == 0 {
                return Ok(out);
            }
            if out.len() + size > cap {
                return Err(TransportError::BodyTooLarge { cap });
            }
            if !fill(rd, &mut buf, size + 2, cap + 64).await? {
                return Err(TransportError::Other(
                    "the connection closed inside a chunk".into(),
                ));
            }
            out.extend_from_slice(&buf[..size]);
            buf.drain(..size + 2);
        }
    }
    if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        if len > cap {
            return Err(TransportError::BodyTooLarge { cap });
        }
        if !fill(rd, &mut buf, len, cap).await? {
            return Err(TransportError::Other(format!(
                "the connection closed after {} of {len} body bytes",
                buf.len()
            )));
        }
        buf.truncate(len);
        return Ok(buf);
    }
    loop {
        if buf.len() > cap {
            return Err(TransportError::BodyTooLarge { cap });
        }
        let mut chunk = [0u8; 16384];
        match rd.read(&mut chunk).await {
            Ok(0) => return Ok(buf),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(TransportError::Other(format!("reading the body: {e}"))),
        }
    }
}

/// Sends one request on a fresh connection (http only) and reads the answer. The
/// body is written while the response is read, so an early answer is kept even if
/// the server then closes the connection.
pub async fn exchange(r: &SentRequest, cap: usize) -> Result<Received, TransportError> {
    let u = url::Url::parse(&r.url)
        .map_err(|e| TransportError::Invalid(format!("bad URL {:?}: {e}", r.url)))?;
    if u.scheme() != "http" {
        return Err(TransportError::Invalid(format!(
            "only http:// is supported here, not {}",
            u.scheme()
        )));
    }
    let addr = format!(
        "{}:{}",
        u.host_str().unwrap_or(""),
        u.port_or_known_default().unwrap_or(80)
    );
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| TransportError::Connect(format!("{addr}: {e}")))?;
    let _ = stream.set_nodelay(true);
    let (mut rd, mut wr) = stream.into_split();
    wr.write_all(&head_of(r, &u))
        .await
        .map_err(|e| TransportError::Other(format!("writing the request: {e}")))?;
    let body = r.body.clone().unwrap_or_default();
    let mut buf = Vec::new();
    let expect_continue = r
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if expect_continue && !body.is_empty() {
        match tokio::time::timeout(CONTINUE_WAIT, read_head(&mut rd, &mut buf)).await {
            Ok(Ok((100, _))) => {}
            Ok(Ok((status, headers))) => {
                // A final answer before the body: the body is never sent.
                let body = read_body(&mut rd, buf, &headers, status, &r.method, cap).await?;
                return Ok(Received {
                    status,
                    headers,
                    body,
                });
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => {} // no 100 within the wait: send the body anyway
        }
    }
    let writer = tokio::spawn(async move {
        let r = wr.write_all(&body).await;
        let _ = wr.flush().await;
        // Keep the write half open until the reader is done (dropping it would half-close).
        (r, wr)
    });
    let (status, headers) = loop {
        let (status, headers) = read_head(&mut rd, &mut buf).await?;
        if status != 100 {
            break (status, headers);
        }
    };
    let body = read_body(&mut rd, buf, &headers, status, &r.method, cap).await?;
    writer.abort();
    Ok(Received {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A server that answers 413 after reading the head only, then closes.
    #[tokio::test]
    async fn early_answer_survives_a_closed_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            for _ in 0..2 {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n")
                    .await;
                drop(s);
            }
        });
        for expect in [false, true] {
            let mut headers = vec![];
            if expect {
                headers.push(("Expect".to_string(), "100-continue".to_string()));
            }
            let r = SentRequest {
                method: "PUT".into(),
                url: format!("http://{addr}/x"),
                headers,
                body: Some(vec![b'A'; 5_000_000]),
            };
            assert!(wanted(&r));
            let got = exchange(&r, 1 << 20).await.unwrap();
            assert_eq!(got.status, 413);
            assert_eq!(got.body, b"{\"a\":1}");
        }
    }
}
