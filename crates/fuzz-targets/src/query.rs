//! `$filter`, `$orderby`, `$select` and `Prefer`.

use contactspec_server::parse::{
    EntityKind, Preferences, Selection, parse_filter, parse_orderby, parse_prefer, parse_select,
};

/// Splits the input: first byte picks the entity type, the rest is the text.
fn split(data: &[u8]) -> Option<(EntityKind, &str)> {
    let (first, rest) = data.split_first()?;
    let kind = if first & 1 == 0 {
        EntityKind::Contact
    } else {
        EntityKind::Folder
    };
    Some((kind, std::str::from_utf8(rest).ok()?))
}

/// Oracle: a filter that parses prints (its `Display`) to a form that parses to the
/// same tree, and printing that tree again gives the same text.
pub fn filter(data: &[u8]) {
    let Some((kind, text)) = split(data) else {
        return;
    };
    let Ok(f) = parse_filter(text, kind) else {
        return;
    };
    let printed = f.to_string();
    let again = parse_filter(&printed, kind).unwrap_or_else(|e| {
        panic!("printed filter {printed:?} (from {text:?}) does not parse: {e}")
    });
    assert_eq!(
        again, f,
        "round trip changed the tree: {text:?} -> {printed:?}"
    );
    assert_eq!(again.to_string(), printed, "printing is not stable");
}

/// Oracle: an `$orderby` that parses prints to a form that parses to the same keys.
pub fn orderby(data: &[u8]) {
    let Some((kind, text)) = split(data) else {
        return;
    };
    let Ok(o) = parse_orderby(text, kind) else {
        return;
    };
    let printed = o.to_string();
    let again = parse_orderby(&printed, kind).unwrap_or_else(|e| {
        panic!("printed orderby {printed:?} (from {text:?}) does not parse: {e}")
    });
    assert_eq!(
        again, o,
        "round trip changed the keys: {text:?} -> {printed:?}"
    );
}

/// Oracle: a `$select` that parses names only properties of the type, in their own
/// spelling, without duplicates; written back comma-separated it parses the same.
pub fn select(data: &[u8]) {
    let Some((kind, text)) = split(data) else {
        return;
    };
    let Ok(sel) = parse_select(text, kind) else {
        return;
    };
    let printed = match &sel {
        Selection::All => "*".to_string(),
        Selection::Props(props) => {
            for (i, p) in props.iter().enumerate() {
                assert!(
                    kind.properties().iter().any(|q| q.name == *p),
                    "{p} is not a property"
                );
                assert!(!props[..i].contains(p), "{p} selected twice");
            }
            props.join(",")
        }
    };
    let again = parse_select(&printed, kind)
        .unwrap_or_else(|e| panic!("printed select {printed:?} does not parse: {e}"));
    assert_eq!(again, sel);
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Writes the preferences back as one canonical header.
fn print_prefs(p: &Preferences) -> String {
    let mut parts = Vec::new();
    if p.track_changes {
        parts.push("odata.track-changes".to_string());
    }
    if let Some(n) = p.max_page_size {
        parts.push(format!("odata.maxpagesize={n}"));
    }
    if let Some(tz) = &p.timezone {
        parts.push(format!("outlook.timezone={}", quote(tz)));
    }
    if p.return_minimal {
        parts.push("return=minimal".to_string());
    }
    parts.join(", ")
}

/// Oracle: parsing never fails; the understood preferences, written back as one
/// canonical header, parse to the same result; and splitting the input's header lines
/// differently (each line its own header) never invents preferences that the single
/// canonical form lacks.
pub fn prefer(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let headers: Vec<&str> = text.split('\n').collect();
    let prefs = parse_prefer(headers.iter().copied());
    if let Some(n) = prefs.max_page_size {
        assert!(n >= 1, "odata.maxpagesize=0 accepted");
    }
    let printed = print_prefs(&prefs);
    let again = parse_prefer([printed.as_str()]);
    assert_eq!(
        again, prefs,
        "canonical form {printed:?} parses differently"
    );
}
