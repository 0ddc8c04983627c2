//! Complete baseline JPEG and PNG files for photo cases (SPEC.md §0: only complete
//! baseline files), generated deterministically from a seed.

use crate::case::ImageFormat;

/// An image that could not be encoded.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode a {format} image of {width}x{height}: {message}")]
pub struct ImageError {
    /// `jpeg` or `png`.
    pub format: &'static str,
    /// Width.
    pub width: u16,
    /// Height.
    pub height: u16,
    /// The encoder's message.
    pub message: String,
}

/// Encodes a `width`×`height` RGB image whose pixels derive from `seed`.
pub fn generate(
    format: ImageFormat,
    width: u16,
    height: u16,
    seed: u64,
) -> Result<Vec<u8>, ImageError> {
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    let s = seed.to_le_bytes();
    for y in 0..height as usize {
        for x in 0..width as usize {
            pixels.push((x as u8).wrapping_mul(3).wrapping_add(s[0]));
            pixels.push((y as u8).wrapping_mul(5).wrapping_add(s[1]));
            pixels.push(((x + y) as u8).wrapping_add(s[2]));
        }
    }
    let err = |format: &'static str, message: String| ImageError {
        format,
        width,
        height,
        message,
    };
    let mut out = Vec::new();
    match format {
        ImageFormat::Jpeg => {
            let enc = jpeg_encoder::Encoder::new(&mut out, 85);
            enc.encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
                .map_err(|e| err("jpeg", e.to_string()))?;
        }
        ImageFormat::Png => {
            let mut enc = png::Encoder::new(&mut out, width as u32, height as u32);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().map_err(|e| err("png", e.to_string()))?;
            w.write_image_data(&pixels)
                .map_err(|e| err("png", e.to_string()))?;
            w.finish().map_err(|e| err("png", e.to_string()))?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_and_determinism() {
        let j = generate(ImageFormat::Jpeg, 48, 32, 7).unwrap();
        assert_eq!(&j[..3], &[0xFF, 0xD8, 0xFF]);
        assert_eq!(&j[j.len() - 2..], &[0xFF, 0xD9]);
        assert_eq!(j, generate(ImageFormat::Jpeg, 48, 32, 7).unwrap());
        let p = generate(ImageFormat::Png, 5, 9, 7).unwrap();
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR width and height.
        assert_eq!(u32::from_be_bytes(p[16..20].try_into().unwrap()), 5);
        assert_eq!(u32::from_be_bytes(p[20..24].try_into().unwrap()), 9);
    }
}
