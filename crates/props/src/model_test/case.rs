//! Writes a (shrunk) operation sequence as a case file: one step per operation,
//! contacts named by captures, expectations from a replay of the model.

use super::ops::{Op, Precondition};
use crate::casefile::{CaseBuilder, RequestBody, request, step};
use crate::generators::contact::MARKER_PROPERTY;
use crate::generators::invalid::MARKER;
use serde_json::{Map, Value, json};

struct Known {
    alive: bool,
    photo: Option<super::ops::Photo>,
    sent: Map<String, Value>,
}

fn marker_query(top: Option<usize>) -> String {
    let mut q = format!("$filter={MARKER_PROPERTY}%20eq%20'{MARKER}'");
    if let Some(n) = top {
        q.push_str(&format!("&$top={n}"));
    }
    q
}

fn not_found() -> Value {
    json!({"status": 404, "error": "ErrorItemNotFound"})
}

/// The case file of a sequence.
pub fn to_case(ops: &[Op], rule: &str) -> CaseBuilder {
    let mut c = CaseBuilder::new("generated-model-sequence", &[rule]);
    let mut known: Vec<Known> = Vec::new();
    let name = |i: usize| format!("{{{{c{i}}}}}");
    for (k, op) in ops.iter().enumerate() {
        let path = |i: usize| format!("me/contacts/{{{{c{i}}}}}");
        match op {
            Op::Create(m) => {
                let mut body = m.clone();
                body.insert(MARKER_PROPERTY.into(), json!(MARKER));
                let i = known.len();
                c.step(step(
                    &format!("{k}-create-c{i}"),
                    "CT-CREATE",
                    request(
                        "POST",
                        "me/contacts",
                        None,
                        Some(RequestBody::Json(Value::Object(body.clone()))),
                    ),
                    json!({"status": 201, "json": crate::expect::body(&body)}),
                    Some(json!({format!("c{i}"): "/Id"})),
                ));
                known.push(Known {
                    alive: true,
                    photo: None,
                    sent: body,
                });
            }
            Op::Update(i, m) | Op::ConditionalUpdate(i, _, m) => {
                let alive = known[*i].alive;
                let mut req = request(
                    "PATCH",
                    &path(*i),
                    None,
                    Some(RequestBody::Json(Value::Object(m.clone()))),
                );
                let mut expect = if alive {
                    json!({"status": 200, "json": crate::expect::body(m)})
                } else {
                    not_found()
                };
                if let Op::ConditionalUpdate(_, pre, _) = op {
                    if alive && matches!(pre, Precondition::Current | Precondition::CurrentStrong) {
                        c.step(step(
                            &format!("{k}-read-version-c{i}"),
                            "CT-GET",
                            request("GET", &path(*i), None, None),
                            json!({"status": 200}),
                            Some(json!({format!("etag{k}"): "/@odata.etag", format!("ck{k}"): "/ChangeKey"})),
                        ));
                    }
                    let value = match pre {
                        Precondition::Current if alive => format!("{{{{etag{k}}}}}"),
                        Precondition::CurrentStrong if alive => format!("\"{{{{ck{k}}}}}\""),
                        Precondition::Stale => "W/\"never-issued-0\"".to_string(),
                        _ => "*".to_string(),
                    };
                    req["headers"] = json!({"If-Match": value});
                    if alive && *pre == Precondition::Stale {
                        expect = json!({"status": 412, "error": "ErrorIrresolvableConflict"});
                    }
                }
                let rule = if matches!(op, Op::ConditionalUpdate(..)) {
                    "CT-CONFLICT"
                } else {
                    "CT-UPDATE"
                };
                c.step(step(
                    &format!("{k}-update-c{i}"),
                    rule,
                    req,
                    expect.clone(),
                    None,
                ));
                if expect["status"] == 200 {
                    for (key, v) in m {
                        known[*i].sent.insert(key.clone(), v.clone());
                    }
                }
            }
            Op::Delete(i) => {
                let expect = if known[*i].alive {
                    json!({"status": 204})
                } else {
                    not_found()
                };
                c.step(step(
                    &format!("{k}-delete-c{i}"),
                    "CT-DELETE",
                    request("DELETE", &path(*i), None, None),
                    expect,
                    None,
                ));
                known[*i].alive = false;
            }
            Op::SetPhoto(i, p) => {
                let body = RequestBody::Image {
                    format: if p.png { "png" } else { "jpeg" },
                    width: u32::from(p.width),
                    height: u32::from(p.height),
                };
                let expect = if known[*i].alive {
                    json!({"status": 200})
                } else {
                    not_found()
                };
                c.step(step(
                    &format!("{k}-set-photo-c{i}"),
                    "PH-SET",
                    request(
                        "PUT",
                        &format!("{}/photo/$value", path(*i)),
                        None,
                        Some(body),
                    ),
                    expect,
                    None,
                ));
                if known[*i].alive {
                    known[*i].photo = Some(*p);
                }
            }
            Op::Get(i) => {
                let expect = if known[*i].alive {
                    json!({"status": 200, "json": crate::expect::body(&known[*i].sent)})
                } else {
                    not_found()
                };
                c.step(step(
                    &format!("{k}-get-c{i}"),
                    "IN-DURABLE",
                    request("GET", &path(*i), None, None),
                    expect,
                    None,
                ));
            }
            Op::GetPhoto(i) => {
                let photo = if known[*i].alive {
                    known[*i].photo
                } else {
                    None
                };
                let expect = match photo {
                    Some(_) => json!({"status": 200, "body": "image"}),
                    None => not_found(),
                };
                c.step(step(
                    &format!("{k}-get-photo-c{i}"),
                    "PH-GET",
                    request("GET", &format!("{}/photo/$value", path(*i)), None, None),
                    expect,
                    None,
                ));
                if let Some(p) = photo {
                    c.step(step(
                        &format!("{k}-get-photo-meta-c{i}"),
                        "PH-META",
                        request("GET", &format!("{}/photo", path(*i)), None, None),
                        json!({"status": 200, "json": {"Width": p.width, "Height": p.height}}),
                        None,
                    ));
                }
            }
            Op::List | Op::PageWalk(_) => {
                let top = if let Op::PageWalk(n) = op {
                    Some(*n)
                } else {
                    None
                };
                let ids: Vec<String> = known
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| x.alive)
                    .map(|(i, _)| name(i))
                    .collect();
                let walk = json!({"path": "me/contacts", "query": marker_query(top), "page_size": top.unwrap_or(10), "expect_ids": ids});
                c.step(json!({"walk": walk, "rule": "Q-NEXTLINK", "capture": {format!("seen{k}"): "count"}}));
                // The model also compares every listed contact with what it stored:
                // the same check as a GET of each, with the values sent so far.
                for (i, x) in known.iter().enumerate().filter(|(_, x)| x.alive) {
                    c.step(step(
                        &format!("{k}-listed-c{i}"),
                        "IN-DURABLE",
                        request("GET", &path(i), None, None),
                        json!({"status": 200, "json": crate::expect::body(&x.sent)}),
                        None,
                    ));
                }
            }
            Op::SyncRound(n) => {
                let ids: Vec<String> = known
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| x.alive)
                    .map(|(i, _)| name(i))
                    .collect();
                let gone: Vec<String> = known
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| !x.alive)
                    .map(|(i, _)| name(i))
                    .collect();
                let sync = json!({"path": "me/contacts", "max_page_size": n, "expect_ids": ids, "absent_ids": gone});
                c.step(json!({"sync": sync, "rule": "SY-COMPLETE", "capture": {format!("delta{k}"): "delta_link"}}));
            }
        }
    }
    c
}
