//! Comparisons as SPEC.md §0 states them: instants, wall times, URLs and list headers.

pub use contactspec_cases::time::{parse_instant, parse_wall};
use std::collections::BTreeMap;

/// Whether a DateTimeOffset carries `Z` or an offset of zero (SPEC.md §0).
pub fn is_utc_instant(s: &str) -> bool {
    parse_instant(s).is_some_and(|d| d.offset().local_minus_utc() == 0)
}

/// Splits a URL's query into (lower-case option name → decoded values), decoding as
/// `application/x-www-form-urlencoded`.
pub fn query_map(url: &str) -> BTreeMap<String, Vec<String>> {
    let query = match url.split_once('?') {
        Some((_, q)) => q.split('#').next().unwrap_or(""),
        None => "",
    };
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in form_urlencoded_parse(query) {
        m.entry(k.to_ascii_lowercase()).or_default().push(v);
    }
    m
}

fn form_urlencoded_parse(q: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Reads a list header across all its lines: comma-separated items, trimmed.
pub fn list_items(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .flat_map(|l| split_list(l))
        .filter(|s| !s.is_empty())
        .collect()
}

/// Splits on commas outside double quotes.
fn split_list(l: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in l.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => {
                out.push(cur.trim().to_string());
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

/// The name of a list item (`odata.maxpagesize=5` → `odata.maxpagesize`), lower-cased.
pub fn item_name(item: &str) -> String {
    item.split('=')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether a list header (all lines) holds an item; `want` compares by name when it
/// has no `=`, else by name and value (value compared ignoring surrounding quotes).
pub fn list_contains(lines: &[String], want: &str) -> bool {
    let want_name = item_name(want);
    let want_value = want
        .split_once('=')
        .map(|(_, v)| v.trim().trim_matches('"').to_string());
    list_items(lines).iter().any(|item| {
        item_name(item) == want_name
            && match &want_value {
                None => true,
                Some(v) => item
                    .split_once('=')
                    .is_some_and(|(_, iv)| iv.trim().trim_matches('"') == v),
            }
    })
}

/// Whether `s` is an absolute http(s) URL.
pub fn is_absolute_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        assert!(is_utc_instant("2018-02-06T00:00:00Z"));
        assert!(is_utc_instant("2018-02-06T00:00:00.1234567+00:00"));
        assert!(!is_utc_instant("2018-02-06T00:00:00+01:00"));
        assert!(!is_utc_instant("2018-02-06T00:00:00"));
        assert_eq!(
            parse_instant("2018-02-06T01:00:00+01:00"),
            parse_instant("2018-02-06T00:00:00.000Z")
        );
    }

    #[test]
    fn walls() {
        assert_eq!(
            parse_wall("2018-02-06T00:00:00.0000000"),
            parse_wall("2018-02-06T00:00:00")
        );
        assert!(parse_wall("2018-02-06T00:00:00Z").is_none());
        assert!(parse_wall("nope").is_none());
    }

    #[test]
    fn queries_and_lists() {
        let m = query_map("http://h/x?%24Select=A%2CB&$filter=Surname+eq+%27x%27&a=1&a=2");
        assert_eq!(m["$select"], vec!["A,B"]);
        assert_eq!(m["$filter"], vec!["Surname eq 'x'"]);
        assert_eq!(m["a"], vec!["1", "2"]);
        let lines = vec![
            "odata.track-changes".to_string(),
            "odata.maxpagesize=5, outlook.timezone=\"A, B\"".to_string(),
        ];
        assert!(list_contains(&lines, "Odata.Track-Changes"));
        assert!(list_contains(&lines, "odata.maxpagesize"));
        assert!(list_contains(&lines, "odata.maxpagesize=5"));
        assert!(!list_contains(&lines, "odata.maxpagesize=6"));
        assert!(list_contains(&lines, "outlook.timezone=A, B"));
        assert!(is_absolute_url("http://127.0.0.1:1/x"));
        assert!(!is_absolute_url("/x"));
    }
}
