//! Complete baseline JPEG and PNG files for the model test's photo uploads (SPEC.md
//! §0: photo cases use only complete baseline files).

/// An image that could not be encoded.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode a {width}x{height} image: {message}")]
pub struct ImageError {
    /// Width.
    pub width: u16,
    /// Height.
    pub height: u16,
    /// The encoder's message.
    pub message: String,
}

/// Encodes a `width`×`height` RGB image (PNG when `png`, else baseline JPEG).
pub fn encode(png: bool, width: u16, height: u16) -> Result<Vec<u8>, ImageError> {
    let mut pixels = Vec::with_capacity(usize::from(width) * usize::from(height) * 3);
    for y in 0..usize::from(height) {
        for x in 0..usize::from(width) {
            pixels.extend_from_slice(&[(x * 7) as u8, (y * 11) as u8, ((x + y) * 3) as u8]);
        }
    }
    let err = |message: String| ImageError {
        width,
        height,
        message,
    };
    let mut out = Vec::new();
    if png {
        let mut enc = png::Encoder::new(&mut out, u32::from(width), u32::from(height));
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| err(e.to_string()))?;
        w.write_image_data(&pixels)
            .map_err(|e| err(e.to_string()))?;
        w.finish().map_err(|e| err(e.to_string()))?;
    } else {
        jpeg_encoder::Encoder::new(&mut out, 80)
            .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
            .map_err(|e| err(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let j = encode(false, 12, 7).unwrap();
        assert_eq!(&j[..3], &[0xFF, 0xD8, 0xFF]);
        let p = encode(true, 5, 9).unwrap();
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(u32::from_be_bytes(p[16..20].try_into().unwrap()), 5);
    }
}
