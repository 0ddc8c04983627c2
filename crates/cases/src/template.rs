//! `{{name}}` templates (docs/case-format.md "Templates").

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use std::collections::BTreeMap;

/// Characters the suite percent-encodes in ids put into paths: everything outside
/// RFC 3986 `unreserved` and `=` (SPEC.md §0).
pub const ID_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'=');

/// Percent-encodes an id for a path segment.
pub fn encode_id(s: &str) -> String {
    utf8_percent_encode(s, ID_ENCODE).to_string()
}

/// Names every case can use besides its captures.
pub const BUILTINS: &[&str] = &[
    "marker",
    "base",
    "folder.default",
    "folder.other",
    "folder.parent",
    "folder.child",
    "folder.empty",
    "b.folder.default",
    "user",
    "today",
    "fake_id",
    "token.a",
    "open",
];

/// The text `{{open}}` expands to: a literal `{{` (so a case can hold a string that
/// would otherwise read as a template).
pub const OPEN: &str = "{{";

/// A JSON value with every `{{` in its strings written as `{{open}}`, so that the
/// runner sends the strings literally (how generated values become literal cases).
pub fn escape_json(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(s.replace(OPEN, "{{open}}")),
        Value::Array(a) => Value::Array(a.iter().map(escape_json).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, x)| (k.clone(), escape_json(x))).collect())
        }
        other => other.clone(),
    }
}

/// A template that could not be parsed or expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{` without `}}`.
    #[error("unclosed `{{{{` in template {0:?}")]
    Unclosed(String),
    /// An empty or malformed name.
    #[error("bad template name {name:?} (letters, digits, `_`, `.`, `-`, optional `raw:` prefix)")]
    BadName {
        /// The name as written.
        name: String,
    },
    /// A name with no value.
    #[error("template `{{{{{name}}}}}` has no value here ({why})")]
    Unknown {
        /// The name.
        name: String,
        /// Why it is unavailable.
        why: String,
    },
}

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text.
    Lit(String),
    /// A `{{name}}` or `{{raw:name}}`.
    Var {
        /// The name without `raw:`.
        name: String,
        /// Inserted without percent-encoding.
        raw: bool,
    },
}

/// Parses a template string into parts.
pub fn parse(s: &str) -> Result<Vec<Part>, TemplateError> {
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            parts.push(Part::Lit(rest[..start].to_string()));
        }
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| TemplateError::Unclosed(s.to_string()))?;
        let inner = after[..end].trim();
        let (raw, name) = match inner.strip_prefix("raw:") {
            Some(n) => (true, n),
            None => (false, inner),
        };
        let base = base_name(name);
        let ok = !base.is_empty()
            && base
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok {
            return Err(TemplateError::BadName {
                name: inner.to_string(),
            });
        }
        parts.push(Part::Var {
            name: name.to_string(),
            raw,
        });
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Lit(rest.to_string()));
    }
    Ok(parts)
}

/// Names referenced by a template string (parse errors are reported by [`parse`]).
pub fn names(s: &str) -> Vec<String> {
    parse(s)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| match p {
            Part::Var { name, .. } => Some(name),
            Part::Lit(_) => None,
        })
        .collect()
}

/// Where an expanded string goes, which decides percent-encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Path or query: values other than `base` are percent-encoded unless `raw:`.
    Url,
    /// Anything else: inserted as-is.
    Plain,
}

/// Values templates expand to.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Name → value (built-ins and captures).
    pub values: BTreeMap<String, Value>,
    /// Why a built-in is missing (for example "the target has no second token").
    pub missing: BTreeMap<String, String>,
}

impl Scope {
    /// Sets a value. A captured link that carries a `$skiptoken` or `$deltatoken`
    /// also defines `token:NAME` (the token as it appears in the link) and
    /// `tamper:NAME` (the link with one character of the token's middle third replaced
    /// by another letter or digit), for SY-TOKEN-BAD and SY-TOKEN-PATH cases.
    pub fn set(&mut self, name: impl Into<String>, value: Value) {
        let name = name.into();
        if let Value::String(link) = &value
            && let Some((start, end)) = token_span(link)
        {
            let token = &link[start..end];
            self.values
                .insert(format!("token:{name}"), Value::String(token.to_string()));
            let tampered = tamper_token(token);
            self.values.insert(
                format!("tamper:{name}"),
                Value::String(format!("{}{tampered}{}", &link[..start], &link[end..])),
            );
        }
        self.values.insert(name, value);
    }

    /// Looks a name up.
    pub fn get(&self, name: &str) -> Result<&Value, TemplateError> {
        self.values.get(name).ok_or_else(|| TemplateError::Unknown {
            name: name.to_string(),
            why: self
                .missing
                .get(name)
                .cloned()
                .unwrap_or_else(|| "not captured by an earlier step".to_string()),
        })
    }

    /// Expands a template string.
    pub fn expand(&self, s: &str, target: Target) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(s.len());
        for part in parse(s)? {
            match part {
                Part::Lit(l) => out.push_str(&l),
                Part::Var { name, raw } => {
                    let text = as_text(self.get(&name)?);
                    if target == Target::Url && !raw && name != "base" && base_name(&name) == name {
                        out.push_str(&encode_id(&text));
                    } else {
                        out.push_str(&text);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Expands every string inside a JSON value; a string that is exactly one template
    /// becomes the value itself, keeping its type.
    pub fn expand_json(&self, v: &Value) -> Result<Value, TemplateError> {
        Ok(match v {
            Value::String(s) => {
                let parts = parse(s)?;
                match parts.as_slice() {
                    [Part::Var { name, .. }] => self.get(name)?.clone(),
                    _ => Value::String(self.expand(s, Target::Plain)?),
                }
            }
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|x| self.expand_json(x))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(o) => {
                let mut m = serde_json::Map::new();
                for (k, x) in o {
                    m.insert(k.clone(), self.expand_json(x)?);
                }
                Value::Object(m)
            }
            other => other.clone(),
        })
    }
}

/// The capture a name derives from: `d0` for `token:d0` and `tamper:d0`.
pub fn base_name(name: &str) -> &str {
    name.strip_prefix("token:")
        .or_else(|| name.strip_prefix("tamper:"))
        .unwrap_or(name)
}

/// Byte range of the value of the first `$skiptoken` or `$deltatoken` query parameter
/// of a link (names compared case-insensitively, `%24` accepted for `$`).
fn token_span(link: &str) -> Option<(usize, usize)> {
    let q = link.find('?')? + 1;
    let mut pos = q;
    for pair in link[q..].split('&') {
        if let Some((k, v)) = pair.split_once('=') {
            let k = k.to_ascii_lowercase();
            let k = k.strip_prefix("%24").map_or(k.clone(), |r| format!("${r}"));
            if (k == "$skiptoken" || k == "$deltatoken") && !v.is_empty() {
                let start = pos + pair.len() - v.len();
                return Some((start, start + v.len()));
            }
        }
        pos += pair.len() + 1;
    }
    None
}

/// The token with one ASCII letter or digit of its middle third replaced by another.
fn tamper_token(token: &str) -> String {
    let b = token.as_bytes();
    let (lo, hi) = (b.len() / 3, (2 * b.len()).div_ceil(3));
    let mid = b.len() / 2;
    let at = (mid..hi)
        .chain(lo..mid)
        .find(|&i| b[i].is_ascii_alphanumeric());
    let Some(i) = at else {
        return token.to_string();
    };
    let replacement = if b[i] == b'A' { b'B' } else { b'A' };
    let mut out = b.to_vec();
    out[i] = replacement;
    String::from_utf8(out).unwrap_or_else(|_| token.to_string())
}

/// A captured value as text: strings as-is, everything else as JSON.
pub fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope() -> Scope {
        let mut s = Scope::default();
        s.set("id", json!("AA+b/c=="));
        s.set("n", json!(3));
        s.set("base", json!("http://h/api"));
        s.missing
            .insert("b.folder.default".into(), "no second token".into());
        s
    }

    #[test]
    fn token_and_tamper_derive_from_links() {
        let mut s = Scope::default();
        s.set(
            "d0",
            json!("http://h/api/me/contacts?$select=A&$DeltaToken=abcDEF123xyz&x=1"),
        );
        assert_eq!(
            s.expand("{{token:d0}}", Target::Url).unwrap(),
            "abcDEF123xyz"
        );
        let t = s.expand("{{tamper:d0}}", Target::Url).unwrap();
        assert!(
            t.starts_with("http://h/api/me/contacts?$select=A&$DeltaToken="),
            "{t}"
        );
        assert!(t.ends_with("&x=1"), "{t}");
        let tok = &t["http://h/api/me/contacts?$select=A&$DeltaToken=".len()..t.len() - 4];
        assert_eq!(tok.len(), 12);
        let diff: Vec<usize> = (0..12)
            .filter(|&i| tok.as_bytes()[i] != b"abcDEF123xyz"[i])
            .collect();
        assert_eq!(diff.len(), 1, "{tok}");
        assert!((4..8).contains(&diff[0]), "{tok}");
        assert!(tok.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(base_name("tamper:d0"), "d0");
        assert!(parse("{{token:d0}}").is_ok());
        assert!(parse("{{token:}}").is_err());
        s.set("plain", json!("http://h/api/me/contacts"));
        assert!(s.get("token:plain").is_err());
    }

    #[test]
    fn encodes_in_urls_only() {
        let s = scope();
        assert_eq!(
            s.expand("me/contacts/{{id}}", Target::Url).unwrap(),
            "me/contacts/AA%2Bb%2Fc=="
        );
        assert_eq!(
            s.expand("me/contacts/{{raw:id}}", Target::Url).unwrap(),
            "me/contacts/AA+b/c=="
        );
        assert_eq!(
            s.expand("{{base}}/x", Target::Url).unwrap(),
            "http://h/api/x"
        );
        assert_eq!(s.expand("n={{ n }}", Target::Plain).unwrap(), "n=3");
    }

    #[test]
    fn whole_template_keeps_type() {
        let s = scope();
        let v = s
            .expand_json(&json!({"a": "{{n}}", "b": ["x{{n}}"], "c": true}))
            .unwrap();
        assert_eq!(v, json!({"a": 3, "b": ["x3"], "c": true}));
    }

    #[test]
    fn errors() {
        let s = scope();
        assert!(matches!(parse("a{{b"), Err(TemplateError::Unclosed(_))));
        assert!(matches!(
            parse("{{a b}}"),
            Err(TemplateError::BadName { .. })
        ));
        assert!(matches!(parse("{{}}"), Err(TemplateError::BadName { .. })));
        let e = s.expand("{{b.folder.default}}", Target::Url).unwrap_err();
        assert!(e.to_string().contains("no second token"), "{e}");
        let e = s.expand("{{nope}}", Target::Url).unwrap_err();
        assert!(e.to_string().contains("not captured"), "{e}");
        assert_eq!(names("{{a}}-{{raw:b}}"), vec!["a", "b"]);
    }
}
