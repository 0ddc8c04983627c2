//! The query string of a request (GEN-QUERY-DECODE, GEN-CASE-QUERY, Q-DUP-OPTION,
//! Q-UNKNOWN-OPTION, Q-SEARCH, Q-TOP, Q-TOP-BOUNDS, Q-COUNT).

use super::ParseError;

/// The system query options of a request, decoded but not yet interpreted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryOptions {
    /// `$select`.
    pub select: Option<String>,
    /// `$filter`.
    pub filter: Option<String>,
    /// `$orderby`.
    pub orderby: Option<String>,
    /// `$top`.
    pub top: Option<String>,
    /// `$skip`.
    pub skip: Option<String>,
    /// `$count`.
    pub count: Option<String>,
    /// `$skiptoken`.
    pub skiptoken: Option<String>,
    /// `$deltatoken`.
    pub deltatoken: Option<String>,
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space,
/// `%XX` a byte; the bytes must be UTF-8. A `%` not followed by two hex digits
/// stays a literal `%`.
pub fn form_decode(s: &str) -> Result<String, ParseError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    let hi = (h[0] as char).to_digit(16)?;
                    let lo = (h[1] as char).to_digit(16)?;
                    u8::try_from(hi * 16 + lo).ok()
                });
                if let Some(b) = hex {
                    out.push(b);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out)
        .map_err(|_| ParseError::query("the query string is not UTF-8 after percent-decoding"))
}

/// Parses the raw query string (after `?`, without `#`). Option names compare
/// case-insensitively after decoding; names without `$` are ignored; `$search`,
/// `$expand`, `$format` and unknown `$` options, and any option given twice, are
/// `ErrorInvalidUrlQuery`.
pub fn parse_query(raw: Option<&str>) -> Result<QueryOptions, ParseError> {
    let mut q = QueryOptions::default();
    let Some(raw) = raw else {
        return Ok(q);
    };
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = form_decode(name)?;
        if !name.starts_with('$') {
            continue;
        }
        let value = form_decode(value)?;
        let lower = name.to_ascii_lowercase();
        let slot = match lower.as_str() {
            "$select" => &mut q.select,
            "$filter" => &mut q.filter,
            "$orderby" => &mut q.orderby,
            "$top" => &mut q.top,
            "$skip" => &mut q.skip,
            "$count" => &mut q.count,
            "$skiptoken" => &mut q.skiptoken,
            "$deltatoken" => &mut q.deltatoken,
            "$search" => {
                return Err(ParseError::query(
                    "$search is not supported on this resource",
                ));
            }
            "$expand" | "$format" => {
                return Err(ParseError::query(format!("{name} is not supported")));
            }
            _ => return Err(ParseError::query(format!("unknown query option '{name}'"))),
        };
        if slot.is_some() {
            return Err(ParseError::query(format!(
                "query option {name} is given more than once"
            )));
        }
        *slot = Some(value);
    }
    Ok(q)
}

/// Parses a non-negative decimal integer; values beyond `u64` saturate.
fn parse_non_negative(s: &str, option: &str) -> Result<u64, ParseError> {
    let bad = || {
        ParseError::query(format!(
            "{option} must be a non-negative integer, not '{s}'"
        ))
    };
    let (negative, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let value = body.bytes().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    if negative && value != 0 {
        return Err(bad());
    }
    Ok(value)
}

/// Parses `$top`: any decimal integer ≥ 0, huge values saturate (Q-TOP, Q-TOP-BOUNDS);
/// negative or non-integer → `ErrorInvalidUrlQuery`.
pub fn parse_top(s: &str) -> Result<u64, ParseError> {
    parse_non_negative(s, "$top")
}

/// Parses `$skip` like `$top` (Q-SKIP, Q-TOP-BOUNDS).
pub fn parse_skip(s: &str) -> Result<u64, ParseError> {
    parse_non_negative(s, "$skip")
}

/// Parses `$count`: `true` or `false` (any ASCII case) (Q-UNKNOWN-OPTION).
pub fn parse_count(s: &str) -> Result<bool, ParseError> {
    if s.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if s.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(ParseError::query(format!(
            "$count must be true or false, not '{s}'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a+b%20c%2B").unwrap(), "a b c+");
        assert_eq!(form_decode("%").unwrap(), "%");
        assert_eq!(form_decode("%4").unwrap(), "%4");
        assert_eq!(form_decode("%e2%82%ac").unwrap(), "€");
        assert!(form_decode("%e2%82").is_err());
    }
}
