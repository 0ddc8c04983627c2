//! Absolute next and delta links (Q-NEXTLINK, SY-FOLLOW): the request's own URL
//! (from its `Host`, path as sent) with query options re-encoded so that every
//! character outside RFC 3986 `unreserved` survives a round trip, `+ & ' % #`,
//! spaces and non-ASCII included.

use crate::context::RequestCtx;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986 `unreserved` is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The `nextlink-plus-unescaped` fault's encoder: a naive form encoder that writes
/// spaces as `+` but leaves a literal `+` as it is.
const NAIVE: &AsciiSet = &COMPONENT.remove(b'+').remove(b' ');

/// Percent-encodes one query component.
pub fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// The faulty encoding of one component (`+` kept, spaces as `+`).
fn encode_naive(value: &str) -> String {
    utf8_percent_encode(value, NAIVE)
        .to_string()
        .replace(' ', "+")
}

/// `{request URL}?name=value&…` with every value encoded (naively when `naive`).
pub fn link(ctx: &RequestCtx, params: &[(&str, &str)], naive: bool) -> String {
    let mut url = ctx.request_url();
    for (i, (name, value)) in params.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(name);
        url.push('=');
        if naive {
            url.push_str(&encode_naive(value));
        } else {
            url.push_str(&encode_component(value));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::query::form_decode;

    #[test]
    fn awkward_values_round_trip_through_form_decoding() {
        for v in [
            "Surname eq 'O''Brien & Co'",
            "DisplayName eq 'a+b%20c#d?e=f/g'",
            "GivenName eq 'Zoë 日本'",
            "  spaced  ",
            "",
        ] {
            let enc = encode_component(v);
            assert!(
                enc.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)),
                "{enc}"
            );
            assert_eq!(form_decode(&enc).unwrap(), v);
        }
    }

    #[test]
    fn the_naive_encoder_loses_plus() {
        let enc = encode_naive("a+b c");
        assert_eq!(enc, "a+b+c");
        assert_eq!(form_decode(&enc).unwrap(), "a b c");
    }
}
