//! Contact payload validation: JSON bytes → accepted contact or a rule-specific
//! rejection.

use arbitrary::Unstructured;
use chrono::{DateTime, TimeZone, Utc};
use contactspec_model::ErrorCode;
use contactspec_netfuzz::contact::{Mode, Verdict, contact_body};
use contactspec_server::parse::{ContactWrite, WriteMode, parse_contact_write};
use serde_json::{Map, Value};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 17, 13, 45, 0)
        .single()
        .unwrap_or_default()
}

/// The error codes a rejection under `rule` may carry (SPEC.md §2, §7, §9).
fn allowed_codes(rule: &str) -> &'static [ErrorCode] {
    use ErrorCode::*;
    match rule {
        "CT-READONLY" => &[ErrorInvalidPropertySet],
        "CT-UNKNOWN-PROPERTY" | "CT-BIRTHDAY" | "FL-SHAPE" => &[RequestBodyRead],
        "CT-TYPES" | "CT-DATE-RANGE" | "FL-DATETIME" => &[RequestBodyRead, ErrorInvalidArgument],
        "CT-LIMITS"
        | "FL-NO-COMPLETED-WHEN-FLAGGED"
        | "FL-DUE-NEEDS-START"
        | "FL-ORDER"
        | "FL-NOTFLAGGED"
        | "FL-DST" => &[ErrorInvalidArgument],
        _ => &[
            RequestBodyRead,
            ErrorInvalidArgument,
            ErrorInvalidPropertySet,
        ],
    }
}

/// Oracle: any body is accepted or rejected with a body-validation code (never a
/// panic); a structure-aware body with one defect is rejected with the code of that
/// defect's rule and a valid one is accepted; an accepted body's normalised
/// properties, written back as JSON and validated again, are accepted with the same
/// values.
pub fn contact_payload(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let mode = if first & 1 == 0 {
        WriteMode::Create
    } else {
        WriteMode::Update
    };
    let (body, verdict) = if first & 2 == 0 {
        (rest.to_vec(), None)
    } else {
        let gen_mode = if mode == WriteMode::Create {
            Mode::Create
        } else {
            Mode::Update
        };
        let Ok(b) = contact_body(&mut Unstructured::new(rest), gen_mode, "mk1", "run1", false)
        else {
            return;
        };
        (b.bytes, Some((b.verdict, b.defect)))
    };
    let result = parse_contact_write(&body, mode, now());
    let shown = || String::from_utf8_lossy(&body[..body.len().min(2000)]).to_string();
    match (&result, verdict) {
        (Err(e), None) => assert!(
            allowed_codes("").contains(&e.code),
            "rejection with code {} is not a body-validation code",
            e.code
        ),
        (Err(e), Some((Verdict::Reject(rule), defect))) => assert!(
            allowed_codes(rule).contains(&e.code),
            "{defect} ({rule}) rejected with {} ({}): {}",
            e.code,
            e.message,
            shown()
        ),
        (Err(e), Some((Verdict::Valid, defect))) => {
            panic!("valid body ({defect}) rejected: {e}: {}", shown())
        }
        (Ok(_), Some((Verdict::Reject(rule), defect))) => {
            panic!("{defect} ({rule}) accepted: {}", shown())
        }
        _ => {}
    }
    if let Ok(w) = result {
        revalidate(&w, mode);
    }
}

fn revalidate(w: &ContactWrite, mode: WriteMode) {
    let mut obj = Map::new();
    for (name, value) in &w.properties {
        obj.insert((*name).to_string(), value.clone());
    }
    if let Some(ck) = &w.change_key {
        obj.insert("ChangeKey".into(), Value::String(ck.clone()));
    }
    let text = serde_json::to_vec(&Value::Object(obj)).expect("values serialise");
    let again = parse_contact_write(&text, mode, now()).unwrap_or_else(|e| {
        panic!(
            "normalised body refused: {e}: {}",
            String::from_utf8_lossy(&text)
        )
    });
    assert_eq!(
        again.properties, w.properties,
        "normalising is not idempotent"
    );
    assert_eq!(again.change_key, w.change_key);
}
