//! Turns what a property sent into the JSON-subset expectation of a case file
//! (`docs/case-format.md`), with the same normalisations as [`crate::oracle::echo`].

use crate::oracle::flag::{Completed, FlagVerdict, judge_flag};
use crate::oracle::values::judge_birthday;
use contactspec_model::PropKind;
use contactspec_model::properties::contact_property;
use serde_json::{Map, Value, json};

fn string(v: &Value) -> Value {
    match v {
        Value::String(s) if s.is_empty() => json!({"$one_of": ["", null]}),
        other => other.clone(),
    }
}

fn complex(v: &Value) -> Value {
    match v.as_object() {
        Some(o) => Value::Object(
            o.iter()
                .map(|(k, x)| {
                    let e = if x.is_null() {
                        json!({"$null_or_absent": true})
                    } else {
                        string(x)
                    };
                    (k.clone(), e)
                })
                .collect(),
        ),
        None => v.clone(),
    }
}

fn wall(t: chrono::DateTime<chrono::Utc>) -> Value {
    json!({"DateTime": {"$wall": t.format("%Y-%m-%dT%H:%M:%S%.f").to_string()}, "TimeZone": "UTC"})
}

/// The expectation for a `Flag` value sent in a body.
pub fn flag(sent: &Value) -> Value {
    let absent = json!({"$null_or_absent": true});
    match judge_flag(sent) {
        FlagVerdict::Invalid(_) => sent.clone(),
        FlagVerdict::Valid(e) => {
            let mut m = Map::new();
            m.insert("FlagStatus".into(), json!(e.status));
            let opt =
                |t: Option<chrono::DateTime<chrono::Utc>>| t.map(wall).unwrap_or(absent.clone());
            match e.status.as_str() {
                "Flagged" => {
                    m.insert("StartDateTime".into(), opt(e.start));
                    m.insert("DueDateTime".into(), opt(e.due));
                    m.insert("CompletedDateTime".into(), absent.clone());
                }
                "Complete" => {
                    let day = match e.completed {
                        Some(Completed::Date(d)) => d.format("%Y-%m-%d").to_string(),
                        _ => "{{today}}".to_string(),
                    };
                    m.insert(
                        "CompletedDateTime".into(),
                        json!({"DateTime": {"$wall": format!("{day}T00:00:00")}, "TimeZone": "UTC"}),
                    );
                }
                _ => {
                    for k in ["StartDateTime", "DueDateTime", "CompletedDateTime"] {
                        m.insert(k.into(), absent.clone());
                    }
                }
            }
            Value::Object(m)
        }
    }
}

/// The expectation for one property sent as `sent`.
pub fn property(name: &str, sent: &Value) -> Value {
    let Some(p) = contact_property(name) else {
        return sent.clone();
    };
    match p.kind {
        PropKind::String => string(sent),
        PropKind::StringArray => match sent.as_array() {
            Some(a) => Value::Array(a.iter().map(string).collect()),
            None => sent.clone(),
        },
        PropKind::DateTimeOffset => match sent.as_str().and_then(|s| judge_birthday(s).ok()) {
            Some(t) => json!({"$instant": t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string()}),
            None => sent.clone(),
        },
        PropKind::EmailAddresses => match sent.as_array() {
            Some(a) => Value::Array(a.iter().map(complex).collect()),
            None => sent.clone(),
        },
        PropKind::Phones | PropKind::PostalAddresses | PropKind::Websites => {
            match sent.as_array() {
                Some(a) => json!({"$unordered": a.iter().map(complex).collect::<Vec<_>>()}),
                None => sent.clone(),
            }
        }
        PropKind::Flag => flag(sent),
        _ => sent.clone(),
    }
}

/// The expectation for a whole body: every member sent comes back (CT-ECHO).
pub fn body(sent: &Map<String, Value>) -> Value {
    Value::Object(
        sent.iter()
            .map(|(k, v)| (k.clone(), property(k, v)))
            .collect(),
    )
}
