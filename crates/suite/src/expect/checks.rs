//! Named checks (docs/case-format.md "Named checks").

use super::compare::{is_absolute_url, is_utc_instant, parse_instant, parse_wall};
use super::subset::{matches, multiset_match};
use chrono::{DateTime, TimeZone, Utc};
use contactspec_model::CONTACT_PROPERTIES;
use serde_json::Value;

/// Whether a member name is an annotation (`@odata.etag`, `Name@odata.type`).
pub fn is_annotation(k: &str) -> bool {
    k.contains('@')
}

/// The entities of a body: each of `value`, or the body itself.
pub fn entities(body: &Value) -> Vec<&Value> {
    match body.get("value").and_then(Value::as_array) {
        Some(a) => a.iter().collect(),
        None => vec![body],
    }
}

/// `etag`: `@odata.etag` = `W/"` + `ChangeKey` + `"` on every contact.
pub fn etag(body: &Value) -> Result<(), String> {
    for (i, e) in entities(body).into_iter().enumerate() {
        let tag = e.get("@odata.etag");
        let Some(tag) = tag.and_then(Value::as_str) else {
            return Err(format!(
                "entity {i} has no string @odata.etag (found {tag:?})"
            ));
        };
        if let Some(ck) = e.get("ChangeKey").and_then(Value::as_str) {
            let want = format!("W/\"{ck}\"");
            if tag != want {
                return Err(format!(
                    "entity {i}: expected @odata.etag {want:?} (W/\"ChangeKey\"), found {tag:?}"
                ));
            }
        }
    }
    Ok(())
}

/// `annotations`: absolute `@odata.id` on every entity, `@odata.context` on collections.
pub fn annotations(body: &Value) -> Result<(), String> {
    if body.get("value").is_some_and(Value::is_array)
        && body.get("@odata.context").and_then(Value::as_str).is_none()
    {
        return Err("the collection has no string @odata.context".to_string());
    }
    for (i, e) in entities(body).into_iter().enumerate() {
        match e.get("@odata.id").and_then(Value::as_str) {
            Some(u) if is_absolute_url(u) => {}
            other => {
                return Err(format!(
                    "entity {i}: expected an absolute @odata.id URL, found {other:?}"
                ));
            }
        }
    }
    Ok(())
}

/// `contact_full`: (missing properties, extra members) of a contact.
pub fn contact_full(body: &Value) -> (Vec<String>, Vec<String>) {
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    let Some(o) = body.as_object() else {
        return (vec!["(the body is not an object)".to_string()], extra);
    };
    for p in CONTACT_PROPERTIES {
        if !o.contains_key(p.name) {
            missing.push(p.name.to_string());
        }
    }
    for k in o.keys() {
        if !is_annotation(k) && !CONTACT_PROPERTIES.iter().any(|p| p.name == k) {
            extra.push(k.clone());
        }
    }
    (missing, extra)
}

/// `json_content_type`: `Content-Type` is `application/json` with any parameters.
pub fn json_content_type(ct: Option<&str>) -> Result<(), String> {
    match ct {
        Some(v)
            if v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json") =>
        {
            Ok(())
        }
        other => Err(format!(
            "expected Content-Type application/json, found {other:?}"
        )),
    }
}

/// Converts a DateTimeTimeZone to an instant (Windows or IANA zone names).
pub fn dttz_instant(v: &Value) -> Option<DateTime<Utc>> {
    let wall = parse_wall(v.get("DateTime")?.as_str()?)?;
    let zone = v.get("TimeZone")?.as_str()?;
    let tz = zone_of(zone)?;
    tz.from_local_datetime(&wall)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
}

/// A time zone by Windows or IANA name.
pub fn zone_of(name: &str) -> Option<chrono_tz::Tz> {
    if name.eq_ignore_ascii_case("utc") {
        return Some(chrono_tz::UTC);
    }
    if let Ok(tz) = name.parse::<chrono_tz::Tz>() {
        return Some(tz);
    }
    let w: windows_timezones::WindowsTimezone = name.parse().ok()?;
    w.tzdb_id().parse().ok()
}

fn birthday_instant(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|n| Utc.from_utc_datetime(&n));
    }
    parse_instant(s).map(|d| d.with_timezone(&Utc))
}

fn is_null_or_empty(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null))
}

/// Drops `null` members of complex values (SPEC.md §0: null counts as absent).
fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), strip_nulls(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// `echo`: the response echoes every property `sent` sent, with CT-ECHO's normalisations.
pub fn echo(sent: &Value, got: &Value) -> Result<(), String> {
    let Some(sent) = sent.as_object() else {
        return Ok(());
    };
    for (k, s) in sent {
        if is_annotation(k) {
            continue;
        }
        let g = got.get(k);
        let bad = |why: &str| {
            Err(format!(
                "{k}: sent {s}, got {} ({why})",
                g.map_or("nothing".to_string(), Value::to_string)
            ))
        };
        match (k.as_str(), s) {
            (_, Value::String(x)) if x.is_empty() => {
                if !matches!(g, Some(Value::Null)) && g != Some(s) {
                    return bad("an empty string may come back as \"\" or null");
                }
            }
            ("Birthday", Value::String(x)) => {
                let want = birthday_instant(x);
                let ok = g.and_then(Value::as_str).is_some_and(|v| {
                    is_utc_instant(v) && parse_instant(v).map(|d| d.with_timezone(&Utc)) == want
                });
                if !ok {
                    return bad("the same instant, in UTC (CT-BIRTHDAY)");
                }
            }
            ("Flag", Value::Object(f)) => echo_flag(f, g).or_else(|why| bad(&why))?,
            ("Phones" | "PostalAddresses" | "Websites", Value::Array(a)) => {
                let want: Vec<Value> = a.iter().map(strip_nulls).collect();
                let got_arr = g
                    .and_then(Value::as_array)
                    .map(|x| x.as_slice())
                    .unwrap_or_default();
                if g.and_then(Value::as_array).is_none()
                    || got_arr.len() != want.len()
                    || !multiset_match(&want, got_arr)
                {
                    return bad("the same multiset; members sent come back");
                }
            }
            ("EmailAddresses", Value::Array(a)) => {
                let Some(ga) = g.and_then(Value::as_array) else {
                    return bad("an array");
                };
                if ga.len() != a.len() {
                    return bad("the same number of addresses, in order");
                }
                for (se, ge) in a.iter().zip(ga) {
                    let mut want = strip_nulls(se);
                    if let Some(o) = want.as_object_mut()
                        && o.get("Name").is_some_and(|n| n.as_str() == Some(""))
                    {
                        o.remove("Name");
                    }
                    if matches(&want, Some(ge)).is_err() {
                        return bad("each address with the members sent, in order");
                    }
                }
            }
            (_, Value::Object(_)) => {
                if matches(&strip_nulls(s), g).is_err() {
                    return bad("the members sent come back");
                }
            }
            (_, Value::Null) => {
                if !is_null_or_empty(g) && !matches!(g, Some(Value::Array(a)) if a.is_empty()) {
                    return bad("null");
                }
            }
            _ => {
                if g != Some(s) {
                    return bad("the same value");
                }
            }
        }
    }
    Ok(())
}

fn echo_flag(sent: &serde_json::Map<String, Value>, got: Option<&Value>) -> Result<(), String> {
    let Some(got) = got.and_then(Value::as_object) else {
        return Err("a Flag object".to_string());
    };
    let status = sent.get("FlagStatus").and_then(Value::as_str);
    if sent.get("FlagStatus") != got.get("FlagStatus") {
        return Err("the same FlagStatus".to_string());
    }
    for m in ["StartDateTime", "DueDateTime", "CompletedDateTime"] {
        let Some(s) = sent.get(m).filter(|v| !v.is_null()) else {
            continue;
        };
        let want = dttz_instant(s);
        let have = got.get(m).filter(|v| !v.is_null()).and_then(dttz_instant);
        match m {
            "CompletedDateTime" => {
                let want_day = want.map(|d| d.date_naive());
                if have.map(|d| d.date_naive()) != want_day {
                    return Err(format!("{m} on the same UTC date (FL-COMPLETE)"));
                }
            }
            _ if status == Some("Complete") => {}
            _ => {
                if have.is_none() || have != want {
                    return Err(format!("{m} as the same instant"));
                }
            }
        }
    }
    Ok(())
}

/// `clock`: created/modified times within [Date − 2 s, Date + 1 s], or within the
/// request window widened by `skew` when there is no `Date`.
pub fn clock(
    body: &Value,
    date_header: Option<&str>,
    window: (DateTime<Utc>, DateTime<Utc>),
    skew: std::time::Duration,
) -> Result<(), String> {
    let skew = chrono::Duration::from_std(skew).unwrap_or_default();
    let (lo, hi, basis) = match date_header.and_then(|d| DateTime::parse_from_rfc2822(d).ok()) {
        Some(d) => {
            let d = d.with_timezone(&Utc);
            (
                d - chrono::Duration::seconds(2),
                d + chrono::Duration::seconds(1),
                "the Date header",
            )
        }
        None => (
            window.0 - skew,
            window.1 + skew,
            "the runner's request window",
        ),
    };
    for p in ["CreatedDateTime", "LastModifiedDateTime"] {
        let v = body.get(p).and_then(Value::as_str);
        let t = v.and_then(parse_instant).map(|d| d.with_timezone(&Utc));
        match t {
            Some(t) if t >= lo && t <= hi => {}
            _ => {
                return Err(format!(
                    "{p} = {v:?} is not within [{lo}, {hi}] (from {basis})"
                ));
            }
        }
    }
    Ok(())
}

/// `one_of_sent`: each string property equals one of the sent values; each array or
/// object equals one request's whole value (a Flag as CT-ECHO compares it: the same
/// status, dates as instants).
pub fn one_of_sent(sent: &[Value], got: &Value) -> Result<(), String> {
    let mut keys: Vec<&String> = sent
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys())
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let candidates: Vec<&Value> = sent.iter().filter_map(|b| b.get(k)).collect();
        let g = got.get(k);
        let ok = candidates.iter().any(|c| match c {
            Value::String(_) | Value::Null | Value::Bool(_) | Value::Number(_) => g == Some(c),
            // Flag dates compare as instants (CT-ECHO's normalisation).
            Value::Object(f) if k == "Flag" => echo_flag(f, g).is_ok(),
            _ => {
                matches(&strip_nulls(c), g).is_ok()
                    && g.and_then(Value::as_array).map(Vec::len) == c.as_array().map(Vec::len)
            }
        });
        if !ok {
            return Err(format!(
                "{k} = {} is none of the {} values sent",
                g.map_or("absent".to_string(), Value::to_string),
                candidates.len()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn etag_and_annotations() {
        let c = json!({"@odata.id": "http://h/x", "@odata.etag": "W/\"k1\"", "ChangeKey": "k1"});
        assert!(etag(&c).is_ok());
        assert!(etag(&json!({"@odata.etag": "\"k1\"", "ChangeKey": "k1"})).is_err());
        assert!(annotations(&c).is_ok());
        assert!(annotations(&json!({"value": [c.clone()]})).is_err());
        assert!(annotations(&json!({"@odata.context": "x", "value": [c]})).is_ok());
        assert!(annotations(&json!({"@odata.id": "/rel"})).is_err());
    }

    #[test]
    fn echo_normalisations() {
        let sent = json!({
            "GivenName": "Ada", "Title": "", "Birthday": "1974-07-22",
            "Phones": [{"Number": "1", "Type": "Home"}, {"Number": "2", "Type": "Mobile"}],
            "EmailAddresses": [{"Address": "a@x"}],
            "Flag": {"FlagStatus": "Flagged",
                     "StartDateTime": {"DateTime": "2018-01-01T08:00:00", "TimeZone": "Pacific Standard Time"},
                     "DueDateTime": {"DateTime": "2018-01-02T08:00:00", "TimeZone": "UTC"}}
        });
        let got = json!({
            "GivenName": "Ada", "Title": null, "Birthday": "1974-07-22T00:00:00Z",
            "Phones": [{"Number": "2", "Type": "Mobile"}, {"Number": "1", "Type": "Home"}],
            "EmailAddresses": [{"Name": "a@x", "Address": "a@x"}],
            "Flag": {"FlagStatus": "Flagged",
                     "StartDateTime": {"DateTime": "2018-01-01T16:00:00.0000000", "TimeZone": "UTC"},
                     "DueDateTime": {"DateTime": "2018-01-02T08:00:00.0000000", "TimeZone": "UTC"}}
        });
        assert_eq!(echo(&sent, &got), Ok(()));
        let mut bad = got.clone();
        bad["GivenName"] = json!("ada");
        assert!(echo(&sent, &bad).unwrap_err().starts_with("GivenName"));
        let mut bad = got.clone();
        bad["Birthday"] = json!("1974-07-22T00:00:00+02:00");
        assert!(echo(&sent, &bad).is_err());
        let mut bad = got.clone();
        bad["Flag"]["StartDateTime"]["DateTime"] = json!("2018-01-01T08:00:00");
        assert!(echo(&sent, &bad).is_err());
        let mut bad = got;
        bad["Phones"] = json!([{"Number": "1", "Type": "Home"}]);
        assert!(echo(&sent, &bad).is_err());
    }

    #[test]
    fn full_contact_and_content_type() {
        let mut c = serde_json::Map::new();
        for p in CONTACT_PROPERTIES {
            c.insert(p.name.to_string(), Value::Null);
        }
        c.insert("@odata.etag".into(), json!("x"));
        let (m, e) = contact_full(&Value::Object(c.clone()));
        assert!(m.is_empty() && e.is_empty());
        c.remove("Gender");
        c.insert("givenName".into(), json!(1));
        assert_eq!(
            contact_full(&Value::Object(c)),
            (vec!["Gender".to_string()], vec!["givenName".to_string()])
        );
        assert!(json_content_type(Some("application/json; odata.metadata=minimal")).is_ok());
        assert!(json_content_type(Some("text/plain")).is_err());
        assert!(json_content_type(None).is_err());
    }

    #[test]
    fn clock_and_one_of_sent() {
        let now = Utc::now();
        let date = now.to_rfc2822();
        let ts = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let body = json!({"CreatedDateTime": ts, "LastModifiedDateTime": ts});
        assert!(
            clock(
                &body,
                Some(&date),
                (now, now),
                std::time::Duration::from_secs(5)
            )
            .is_ok()
        );
        let old = json!({"CreatedDateTime": "2001-01-01T00:00:00Z", "LastModifiedDateTime": ts});
        assert!(
            clock(
                &old,
                Some(&date),
                (now, now),
                std::time::Duration::from_secs(5)
            )
            .is_err()
        );
        assert!(clock(&body, None, (now, now), std::time::Duration::from_secs(5)).is_ok());

        let sent = vec![
            json!({"GivenName": "A", "Categories": ["x"]}),
            json!({"GivenName": "B", "Categories": ["y", "z"]}),
        ];
        assert!(one_of_sent(&sent, &json!({"GivenName": "B", "Categories": ["x"]})).is_ok());
        assert!(one_of_sent(&sent, &json!({"GivenName": "C", "Categories": ["x"]})).is_err());
        assert!(one_of_sent(&sent, &json!({"GivenName": "A", "Categories": ["x", "z"]})).is_err());

        let flag = |s: &str, zone: &str| {
            json!({"Flag": {"FlagStatus": "Flagged",
                "StartDateTime": {"DateTime": s, "TimeZone": zone},
                "DueDateTime": {"DateTime": s, "TimeZone": zone}}})
        };
        let sent = vec![
            flag("2018-01-01T01:00:00", "UTC"),
            flag("2018-01-01T10:00:00", "W. Europe Standard Time"),
        ];
        assert!(one_of_sent(&sent, &flag("2018-01-01T01:00:00.0000000", "UTC")).is_ok());
        assert!(one_of_sent(&sent, &flag("2018-01-01T09:00:00.0000000", "UTC")).is_ok());
        assert!(one_of_sent(&sent, &flag("2018-01-01T10:00:00.0000000", "UTC")).is_err());
    }
}
