//! `Prefer` request headers (RFC 7240; GEN-PREFER-SYNTAX, GEN-PREFER-FIRST,
//! SY-PREFER, Q-MAXPAGESIZE, FL-TIMEZONE-PREFER).

use std::collections::HashSet;

/// The preferences this server understands. Everything else is ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preferences {
    /// `odata.track-changes` was sent.
    pub track_changes: bool,
    /// `odata.maxpagesize=n` with a valid n ≥ 1 (huge values saturate).
    pub max_page_size: Option<u32>,
    /// `outlook.timezone="…"`, the zone name as sent (not yet resolved).
    pub timezone: Option<String>,
    /// `return=minimal` was sent (the server ignores it, GEN-PREFER-FIRST).
    pub return_minimal: bool,
}

/// Splits `s` at `sep` where it is outside a quoted string.
fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quotes = false;
            }
        } else if c == '"' {
            in_quotes = true;
        } else if c == sep {
            parts.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&s[start..]);
    parts
}

/// The value of a preference: a token, or a quoted string with `\` escapes.
/// `None` for an unterminated quoted string or text after the closing quote.
fn unquote(v: &str) -> Option<String> {
    let v = v.trim();
    let Some(inner) = v.strip_prefix('"') else {
        return Some(v.to_owned());
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return chars.as_str().trim().is_empty().then_some(out),
            c => out.push(c),
        }
    }
    None
}

/// Parses every `Prefer` header value of a request. Preferences are separated by
/// commas within a header and across headers; names compare case-insensitively;
/// whitespace around `=` is allowed; values may be quoted; parameters after `;`
/// are ignored. Of a repeated preference only the first instance counts, and if
/// its value is invalid the preference is ignored (RFC 7240 §2). Unknown
/// preferences are ignored. Never fails.
pub fn parse_prefer<'a>(values: impl IntoIterator<Item = &'a str>) -> Preferences {
    let mut prefs = Preferences::default();
    let mut seen: HashSet<String> = HashSet::new();
    for header in values {
        for element in split_unquoted(header, ',') {
            let first = split_unquoted(element, ';')
                .into_iter()
                .next()
                .unwrap_or_default();
            let (name, value) = match first.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v)),
                None => (first.trim(), None),
            };
            if name.is_empty() {
                continue;
            }
            let name = name.to_ascii_lowercase();
            if !seen.insert(name.clone()) {
                continue;
            }
            let value = value.and_then(unquote);
            match name.as_str() {
                "odata.track-changes" => prefs.track_changes = true,
                "odata.maxpagesize" => prefs.max_page_size = value.as_deref().and_then(page_size),
                "outlook.timezone" => {
                    prefs.timezone = value.filter(|v| !v.trim().is_empty());
                }
                "return" => {
                    prefs.return_minimal = value.is_some_and(|v| v.eq_ignore_ascii_case("minimal"));
                }
                _ => {}
            }
        }
    }
    prefs
}

/// A page size: a decimal integer ≥ 1; values beyond `u32` saturate.
fn page_size(v: &str) -> Option<u32> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = v.bytes().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    match n {
        0 => None,
        n => Some(u32::try_from(n).unwrap_or(u32::MAX)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_respects_quotes() {
        assert_eq!(
            split_unquoted(r#"a="x,y", b"#, ','),
            vec![r#"a="x,y""#, " b"]
        );
        assert_eq!(
            split_unquoted(r#"a="x\",y", b"#, ','),
            vec![r#"a="x\",y""#, " b"]
        );
        assert_eq!(split_unquoted("", ','), vec![""]);
    }

    #[test]
    fn unquoting() {
        assert_eq!(unquote(" 5 ").as_deref(), Some("5"));
        assert_eq!(unquote(r#""a\"b""#).as_deref(), Some(r#"a"b"#));
        assert_eq!(unquote(r#""a" b"#), None);
        assert_eq!(unquote(r#""a"#), None);
        assert_eq!(unquote(r#""a\"#), None);
    }
}
