//! Reading request bodies under the 4 MB limit (GEN-BODY-LIMIT, GEN-BODY-EARLY) and
//! checking their declared type (GEN-CONTENT-TYPE).

use crate::error::ApiError;
use axum::body::Body;
use axum::http::{HeaderMap, header};
use bytes::Bytes;
use http_body_util::BodyExt;

/// At most this many bytes of an over-limit body are read and thrown away so the
/// client sees the 413 instead of a reset connection; beyond that the connection
/// is simply closed after the answer.
const DRAIN_MAX: u64 = 64 * 1024 * 1024;

/// The declared `Content-Length`, if present and numeric.
pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Whether the request carries `Expect: 100-continue`.
pub fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
}

/// Reads the whole body if it has at most `limit` bytes; never buffers more.
///
/// A declared `Content-Length` over the limit is refused before reading; with
/// `Expect: 100-continue` that means before the client sends the body.
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    if let Some(len) = content_length(headers)
        && len > limit as u64
    {
        if !expects_continue(headers) && len <= DRAIN_MAX {
            drain(body).await;
        }
        return Err(ApiError::too_large());
    }
    let mut body = body;
    let mut buf = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| {
            ApiError::bad_request(
                contactspec_model::ErrorCode::ErrorInvalidRequest,
                "The request body could not be read.",
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                drain(body).await;
                return Err(ApiError::too_large());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// Reads and discards what is left of a body, up to [`DRAIN_MAX`] bytes.
async fn drain(body: Body) {
    let mut body = body;
    let mut seen: u64 = 0;
    while let Some(Ok(frame)) = body.frame().await {
        if let Some(data) = frame.data_ref() {
            seen += data.len() as u64;
            if seen > DRAIN_MAX {
                break;
            }
        }
    }
}

/// The media type of `Content-Type` (lowercased, without parameters), if present.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(essence)
}

/// Whether the declared type is JSON (`application/json` or `*/*+json`).
pub fn is_json(headers: &HeaderMap) -> bool {
    media_type(headers).is_some_and(|m| m == "application/json" || m.ends_with("+json"))
}
