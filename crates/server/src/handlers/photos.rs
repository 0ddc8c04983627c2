//! Contact photos (§4): `GET .../photo` (PH-META), `GET .../photo/$value` (PH-GET),
//! `PUT`/`PATCH .../photo/$value` (PH-SET, PH-SNIFF, PH-BAD, PH-VERSION).

use super::contacts::check_if_match;
use super::owner_of;
use crate::body::{media_type, read_limited};
use crate::context::{AppState, RequestCtx};
use crate::error::ApiError;
use crate::faults::Fault;
use crate::image::{ImageError, canonical_type, inspect, is_image_type};
use crate::render;
use crate::store::Photo;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use contactspec_model::ErrorCode;
use contactspec_model::properties::BODY_LIMIT;
use serde_json::{Value, json};

fn photo_of(state: &AppState, ctx: &RequestCtx, id: &str) -> Result<Photo, ApiError> {
    let owner = owner_of(state, ctx, id);
    let mb = owner.read();
    let contact = mb.contact(id).ok_or_else(ApiError::item_not_found)?;
    contact.photo.clone().ok_or_else(ApiError::item_not_found)
}

fn meta_body(state: &AppState, ctx: &RequestCtx, id: &str, photo: &Photo) -> Value {
    let (w, h) = if state.fault(Fault::PhotoSwappedDimensions) {
        (photo.height, photo.width)
    } else {
        (photo.width, photo.height)
    };
    json!({
        "@odata.context": ctx.context_url(&format!("{}/Contacts('{id}')/Photo/$entity", ctx.context_user())),
        "@odata.id": format!("{}/Photo", ctx.contact_url(id)),
        "@odata.mediaContentType": photo.content_type,
        "Id": format!("{w}X{h}"),
        "Width": w,
        "Height": h,
    })
}

/// `GET .../photo`: the metadata, 404 when there is no photo (PH-META-NONE).
pub fn meta(state: &AppState, ctx: &RequestCtx, id: &str) -> Result<Response, ApiError> {
    super::entity_query(ctx)?;
    let photo = photo_of(state, ctx, id)?;
    Ok(render::json_response(
        StatusCode::OK,
        &meta_body(state, ctx, id, &photo),
    ))
}

/// `GET .../photo/$value`: the bytes with the stored type (PH-GET, PH-NONE).
pub fn get_value(state: &AppState, ctx: &RequestCtx, id: &str) -> Result<Response, ApiError> {
    let photo = photo_of(state, ctx, id)?;
    let mut res = (StatusCode::OK, photo.bytes.clone()).into_response();
    if let Ok(v) = HeaderValue::from_str(photo.content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    Ok(res)
}

/// `PUT`/`PATCH .../photo/$value`: stores a JPEG or PNG photo.
pub async fn put(
    state: &AppState,
    ctx: &RequestCtx,
    id: &str,
    body: Body,
) -> Result<Response, ApiError> {
    let declared = media_type(&ctx.headers).unwrap_or_default();
    if !is_image_type(&declared) {
        return Err(ApiError::unsupported_media_type(
            "A photo must be sent as image/jpeg or image/png.",
        ));
    }
    let bytes = read_limited(&ctx.headers, body, BODY_LIMIT).await?;
    let info = inspect(&bytes).map_err(|e| {
        let message = match e {
            ImageError::Empty => "The photo is empty.",
            ImageError::UnsupportedFormat => "The photo is not a JPEG or PNG image.",
            ImageError::BadHeader => "The photo's image header cannot be read.",
        };
        ApiError::bad_request(ErrorCode::ErrorInvalidRequest, message)
    })?;
    let content_type: &'static str = if state.fault(Fault::PhotoTypeFromHeader) {
        match canonical_type(&declared).as_str() {
            "image/jpeg" => "image/jpeg",
            "image/png" => "image/png",
            _ => "application/octet-stream",
        }
    } else {
        info.content_type
    };
    let photo = Photo {
        bytes,
        content_type,
        width: info.width,
        height: info.height,
    };
    let now = crate::clock::format_instant(state.clock.now());
    let mut mb = ctx.mailbox.write();
    let contact = mb.contact_mut(id).ok_or_else(ApiError::item_not_found)?;
    check_if_match(state, ctx, contact.change_key())?;
    contact.photo = Some(photo.clone());
    if !state.fault(Fault::PhotoNoChangekeyBump) {
        contact.bump_version(&now);
    }
    drop(mb);
    Ok(render::json_response(
        StatusCode::OK,
        &meta_body(state, ctx, id, &photo),
    ))
}

/// `DELETE .../photo/$value`, allowed only under the `photo-delete-allowed` fault.
pub fn delete(_state: &AppState, ctx: &RequestCtx, id: &str) -> Result<Response, ApiError> {
    let mut mb = ctx.mailbox.write();
    let contact = mb.contact_mut(id).ok_or_else(ApiError::item_not_found)?;
    contact.photo = None;
    Ok(StatusCode::NO_CONTENT.into_response())
}
