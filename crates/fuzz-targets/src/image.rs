//! The JPEG/PNG header reader.

use arbitrary::Unstructured;
use contactspec_netfuzz::photo::{jpeg, png};
use contactspec_server::image::{ImageError, inspect};

/// Oracle: arbitrary bytes never panic; anything recognised starts with its format's
/// signature and has a size of at least 1×1; bytes without either signature are
/// `UnsupportedFormat`. A complete image made from the input's dimensions is read
/// with exactly those dimensions, and every prefix of it reads without panicking.
pub fn image_header(data: &[u8]) {
    check_bytes(data);
    let mut u = Unstructured::new(data);
    let (Ok(w), Ok(h), Ok(is_png)) = (
        u.int_in_range(1..=64u16),
        u.int_in_range(1..=64u16),
        u.arbitrary::<bool>(),
    ) else {
        return;
    };
    let bytes = if is_png {
        png(u32::from(w), u32::from(h))
    } else {
        jpeg(w, h)
    };
    let info = inspect(&bytes).unwrap_or_else(|e| panic!("complete {w}x{h} image refused: {e}"));
    assert_eq!((info.width, info.height), (u32::from(w), u32::from(h)));
    assert_eq!(
        info.content_type,
        if is_png { "image/png" } else { "image/jpeg" }
    );
    let cut = u.int_in_range(0..=bytes.len()).unwrap_or(0);
    check_bytes(&bytes[..cut]);
}

fn check_bytes(data: &[u8]) {
    // A server may read bytes "in between" (a damaged signature) as it likes (SPEC.md
    // §0); what it recognises must at least start like the format.
    let png_sig = data.starts_with(b"\x89PNG");
    let jpeg_sig = data.starts_with(&[0xff, 0xd8]);
    match inspect(data) {
        Ok(info) => {
            assert!(info.width >= 1 && info.height >= 1);
            match info.content_type {
                "image/png" => assert!(png_sig, "PNG without the PNG signature"),
                "image/jpeg" => assert!(jpeg_sig, "JPEG without SOI"),
                other => panic!("unexpected type {other}"),
            }
        }
        Err(ImageError::Empty) => assert!(data.is_empty()),
        Err(ImageError::UnsupportedFormat) => {}
        Err(ImageError::BadHeader) => assert!(
            png_sig || jpeg_sig || data.len() < 8,
            "BadHeader without a signature"
        ),
    }
    if data.is_empty() {
        assert_eq!(inspect(data), Err(ImageError::Empty));
    } else if !data.starts_with(&[0xff]) && !data.starts_with(&[0x89]) {
        assert!(
            inspect(data).is_err(),
            "no signature at all, yet recognised"
        );
    }
}
