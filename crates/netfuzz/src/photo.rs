//! Photo bodies: complete small JPEG/PNG images, and bodies that are empty, carry no
//! image signature, lie about their type, are cut short or are over the size limit.

use crate::text::one_in;
use arbitrary::{Result, Unstructured};
use contactspec_model::properties::BODY_LIMIT;

/// What SPEC.md says a conforming server does with a photo upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoVerdict {
    /// A complete image of these dimensions under its own type: 200 (PH-SET), and the
    /// metadata then reports these dimensions (PH-META).
    Valid {
        /// Pixel width.
        width: u32,
        /// Pixel height.
        height: u32,
    },
    /// The named MUST rule rejects it with one of these statuses.
    Reject(&'static str, &'static [u16]),
    /// The server's choice (accept or 4xx): only the universal checks apply.
    Either,
    /// Over the body limit: 413.
    TooLarge,
}

/// A generated photo upload.
#[derive(Debug, Clone)]
pub struct PhotoBody {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The `Content-Type` to send, if any.
    pub content_type: Option<&'static str>,
    /// The verdict.
    pub verdict: PhotoVerdict,
    /// Short description for reports.
    pub defect: &'static str,
}

/// A complete RGB PNG of `w`×`h` pixels.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // Fast deflate: the image is still complete and valid; it is only less small.
        enc.set_compression(png::Compression::Fast);
        let data: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 251) as u8).collect();
        // Writing into a Vec cannot fail for valid dimensions (w, h ≥ 1).
        if let Ok(mut writer) = enc.write_header() {
            let _ = writer.write_image_data(&data);
        }
    }
    out
}

/// A complete baseline RGB JPEG of `w`×`h` pixels.
pub fn jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut out, 80);
    let data: Vec<u8> = (0..u32::from(w) * u32::from(h) * 3)
        .map(|i| (i * 53 % 241) as u8)
        .collect();
    let _ = enc.encode(&data, w, h, jpeg_encoder::ColorType::Rgb);
    out
}

/// The PNG or JPEG of `w`×`h` pixels, encoded once per process and size (both
/// encoders are pure functions of the size; encoding each upload anew cost the
/// network fuzzer about 2 % of its time).
fn image(w: u16, h: u16, is_png: bool) -> Vec<u8> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Cache = Mutex<HashMap<(u16, u16, bool), Vec<u8>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (w, h, is_png);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return hit;
    }
    let bytes = if is_png {
        png(u32::from(w), u32::from(h))
    } else {
        jpeg(w, h)
    };
    if let Ok(mut c) = cache.lock() {
        c.insert(key, bytes.clone());
    }
    bytes
}

/// Generates a photo upload.
pub fn photo_body(u: &mut Unstructured<'_>, huge: bool) -> Result<PhotoBody> {
    let w = u.int_in_range(1..=48u16)?;
    let h = u.int_in_range(1..=48u16)?;
    let is_png: bool = u.arbitrary()?;
    let image = image(w, h, is_png);
    let own_type = if is_png {
        "image/png"
    } else {
        *u.choose(&["image/jpeg", "image/jpg", "image/pjpeg"])?
    };
    let valid = PhotoVerdict::Valid {
        width: u32::from(w),
        height: u32::from(h),
    };
    if huge && one_in(u, 300)? {
        let mut bytes = image;
        bytes.resize(BODY_LIMIT + u.int_in_range(1..=1024usize)?, 0);
        return Ok(PhotoBody {
            bytes,
            content_type: Some(own_type),
            verdict: PhotoVerdict::TooLarge,
            defect: "photo over the limit",
        });
    }
    let out = |bytes, content_type, verdict, defect| {
        Ok(PhotoBody {
            bytes,
            content_type,
            verdict,
            defect,
        })
    };
    match u.int_in_range(0..=9u8)? {
        0 | 1 => out(image, Some(own_type), valid, "none"),
        2 => out(
            Vec::new(),
            Some(own_type),
            PhotoVerdict::Reject("PH-BAD", &[400]),
            "empty photo",
        ),
        3 => {
            let junk: &[u8] = u.choose(&[
                &b"hello, world"[..],
                b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
                b"BM\x1e\x00\x00\x00\x00\x00\x00\x00\x1a\x00\x00\x00",
                b"RIFF\x1a\x00\x00\x00WEBPVP8 ",
                b"{\"GivenName\":\"x\"}",
                b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            ])?;
            out(
                junk.to_vec(),
                Some(own_type),
                PhotoVerdict::Reject("PH-BAD", &[400]),
                "no image signature",
            )
        }
        4 => {
            let ct = *u.choose(&[
                "text/plain",
                "application/json",
                "application/octet-stream",
                "video/mp4",
            ])?;
            out(
                image,
                Some(ct),
                PhotoVerdict::Reject("PH-BAD", &[400, 415]),
                "image under a non-image type",
            )
        }
        5 => {
            let cut = u.int_in_range(1..=image.len() - 1)?;
            out(
                image[..cut].to_vec(),
                Some(own_type),
                PhotoVerdict::Either,
                "truncated image",
            )
        }
        6 => {
            let mut bytes = image;
            let i = u.int_in_range(0..=bytes.len().min(40) - 1)?;
            bytes[i] ^= u.int_in_range(1..=255u8)?;
            out(
                bytes,
                Some(own_type),
                PhotoVerdict::Either,
                "corrupted header byte",
            )
        }
        7 => {
            let other = if is_png { "image/jpeg" } else { "image/png" };
            out(
                image,
                Some(other),
                PhotoVerdict::Either,
                "image under the other image type",
            )
        }
        8 => out(
            image,
            None,
            PhotoVerdict::Either,
            "image without Content-Type",
        ),
        _ => {
            let mut bytes = image;
            if is_png && bytes.len() > 24 {
                // IHDR width and height: zero or absurd.
                let dims: [u8; 8] =
                    *u.choose(&[[0u8; 8], [0xff; 8], [0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff]])?;
                bytes[16..24].copy_from_slice(&dims);
            } else if let Some(pos) = bytes.windows(2).position(|w| w == [0xff, 0xc0]) {
                // SOF0 height/width.
                if bytes.len() > pos + 9 {
                    bytes[pos + 5..pos + 9].copy_from_slice(&[0, 0, 0, 0]);
                }
            }
            out(
                bytes,
                Some(own_type),
                PhotoVerdict::Either,
                "absurd dimensions in header",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_carry_their_signatures() {
        assert!(png(3, 2).starts_with(b"\x89PNG\r\n\x1a\n"));
        let j = jpeg(3, 2);
        assert!(j.starts_with(&[0xff, 0xd8]) && j.ends_with(&[0xff, 0xd9]));
        assert_eq!(image(3, 2, false), j);
        assert_eq!(image(3, 2, true), png(3, 2));
        assert_eq!(image(3, 2, true), png(3, 2), "cached");
    }
}
