//! A JSON-like tree that can also be written the ways no JSON serialiser would: raw
//! string contents (bad escapes, lone surrogates, invalid UTF-8), numbers of any
//! spelling, duplicate member names, and verbatim fragments.

/// One value of a request body under construction.
#[derive(Debug, Clone, PartialEq)]
pub enum RawJson {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, written exactly as this text (`1e999`, `-0`, `123456789012345678901234567890`).
    Num(String),
    /// A string, escaped correctly on output.
    Str(String),
    /// A string whose contents are written verbatim between the quotes.
    RawStr(Vec<u8>),
    /// An array.
    Arr(Vec<RawJson>),
    /// An object; member names may repeat (that is the point).
    Obj(Vec<(String, RawJson)>),
    /// Bytes written verbatim in place of a value.
    Verbatim(Vec<u8>),
}

impl RawJson {
    /// A string value.
    pub fn str(s: impl Into<String>) -> RawJson {
        RawJson::Str(s.into())
    }

    /// Writes the value as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write(&mut out);
        out
    }

    /// Appends the value to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            RawJson::Null => out.extend_from_slice(b"null"),
            RawJson::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            RawJson::Num(n) => out.extend_from_slice(n.as_bytes()),
            RawJson::Str(s) => write_str(s, out),
            RawJson::RawStr(b) => {
                out.push(b'"');
                out.extend_from_slice(b);
                out.push(b'"');
            }
            RawJson::Arr(items) => {
                out.push(b'[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    v.write(out);
                }
                out.push(b']');
            }
            RawJson::Obj(members) => {
                out.push(b'{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_str(k, out);
                    out.push(b':');
                    v.write(out);
                }
                out.push(b'}');
            }
            RawJson::Verbatim(b) => out.extend_from_slice(b),
        }
    }

    /// The object's members, if it is one.
    pub fn members_mut(&mut self) -> Option<&mut Vec<(String, RawJson)>> {
        match self {
            RawJson::Obj(m) => Some(m),
            _ => None,
        }
    }

    /// Converts a well-formed `serde_json::Value` into a tree.
    pub fn from_value(v: &serde_json::Value) -> RawJson {
        match v {
            serde_json::Value::Null => RawJson::Null,
            serde_json::Value::Bool(b) => RawJson::Bool(*b),
            serde_json::Value::Number(n) => RawJson::Num(n.to_string()),
            serde_json::Value::String(s) => RawJson::Str(s.clone()),
            serde_json::Value::Array(a) => {
                RawJson::Arr(a.iter().map(RawJson::from_value).collect())
            }
            serde_json::Value::Object(o) => RawJson::Obj(
                o.iter()
                    .map(|(k, v)| (k.clone(), RawJson::from_value(v)))
                    .collect(),
            ),
        }
    }
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    // serde_json's string escaping never fails for a &str.
    let quoted = serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""));
    out.extend_from_slice(quoted.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_duplicates_and_raw_strings() {
        let v = RawJson::Obj(vec![
            ("A".into(), RawJson::str("x\"y")),
            ("A".into(), RawJson::RawStr(b"\\ud800".to_vec())),
            ("B".into(), RawJson::Num("1e999".into())),
            (
                "C".into(),
                RawJson::Arr(vec![RawJson::Null, RawJson::Bool(true)]),
            ),
        ]);
        assert_eq!(
            String::from_utf8(v.to_bytes()).unwrap(),
            r#"{"A":"x\"y","A":"\ud800","B":1e999,"C":[null,true]}"#
        );
    }

    #[test]
    fn round_trips_values() {
        let v = serde_json::json!({"a": [1, "b", null, {"c": false}]});
        let back: serde_json::Value =
            serde_json::from_slice(&RawJson::from_value(&v).to_bytes()).unwrap();
        assert_eq!(back, v);
    }
}
