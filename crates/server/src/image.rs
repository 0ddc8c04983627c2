//! Recognising uploaded photos (PH-SNIFF, PH-META, PH-BAD): the real format from the
//! bytes' signature and the real pixel size from the JPEG SOF / PNG IHDR header.
//! Pure; never panics.

/// A recognised image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// `image/jpeg` or `image/png`.
    pub content_type: &'static str,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
}

/// Why bytes are not a usable photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// No bytes at all.
    #[error("the photo is empty")]
    Empty,
    /// Not a JPEG or PNG signature.
    #[error("the bytes are not a JPEG or PNG image")]
    UnsupportedFormat,
    /// A JPEG/PNG signature, but no readable size.
    #[error("the image header cannot be read")]
    BadHeader,
}

/// Sniffs the format and reads the pixel size.
pub fn inspect(bytes: &[u8]) -> Result<ImageInfo, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    let content_type = match imagesize::image_type(bytes) {
        Ok(imagesize::ImageType::Jpeg) => "image/jpeg",
        Ok(imagesize::ImageType::Png) => "image/png",
        _ => return Err(ImageError::UnsupportedFormat),
    };
    let size = imagesize::blob_size(bytes).map_err(|_| ImageError::BadHeader)?;
    let width = u32::try_from(size.width).map_err(|_| ImageError::BadHeader)?;
    let height = u32::try_from(size.height).map_err(|_| ImageError::BadHeader)?;
    if width == 0 || height == 0 {
        return Err(ImageError::BadHeader);
    }
    Ok(ImageInfo {
        content_type,
        width,
        height,
    })
}

/// Whether a declared `Content-Type` essence is an image type at all (`image/*`).
pub fn is_image_type(media_type: &str) -> bool {
    media_type
        .strip_prefix("image/")
        .is_some_and(|sub| !sub.is_empty())
}

/// The canonical spelling of a declared image type (`image/jpg` and `image/pjpeg`
/// are `image/jpeg`).
pub fn canonical_type(media_type: &str) -> String {
    match media_type {
        "image/jpg" | "image/pjpeg" => "image/jpeg".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, width, height);
            enc.set_color(png::ColorType::Rgb);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&vec![0u8; (width * height * 3) as usize])
                .unwrap();
        }
        out
    }

    fn jpeg(width: u16, height: u16) -> Vec<u8> {
        let mut out = Vec::new();
        let enc = jpeg_encoder::Encoder::new(&mut out, 80);
        enc.encode(
            &vec![128u8; width as usize * height as usize * 3],
            width,
            height,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
        out
    }

    #[test]
    fn real_images() {
        let p = inspect(&png(7, 3)).unwrap();
        assert_eq!((p.content_type, p.width, p.height), ("image/png", 7, 3));
        let j = inspect(&jpeg(5, 9)).unwrap();
        assert_eq!((j.content_type, j.width, j.height), ("image/jpeg", 5, 9));
    }

    #[test]
    fn bad_bytes_never_panic() {
        assert_eq!(inspect(b""), Err(ImageError::Empty));
        assert_eq!(inspect(b"hello world"), Err(ImageError::UnsupportedFormat));
        assert_eq!(
            inspect(b"GIF89a\x01\x00\x01\x00"),
            Err(ImageError::UnsupportedFormat)
        );
        let j = jpeg(4, 4);
        for cut in 0..j.len().min(64) {
            let _ = inspect(&j[..cut]);
        }
        let p = png(4, 4);
        for cut in 0..p.len() {
            let _ = inspect(&p[..cut]);
        }
        assert!(inspect(&p[..8]).is_err());
    }

    #[test]
    fn types() {
        assert!(is_image_type("image/gif"));
        assert!(!is_image_type("image/"));
        assert!(!is_image_type("application/octet-stream"));
        assert_eq!(canonical_type("image/pjpeg"), "image/jpeg");
    }
}
