//! Probes that take several requests, run by a worker now and then (one iteration
//! in [`PROBE_ONE_IN`]) on its own contacts (SUITE-SAFE): a skip token and a delta
//! token in one request (SY-TOKEN-PATH), a stale `ChangeKey` in a PATCH body
//! (CT-CONFLICT-BODY), the current version in strong `If-Match` form (CT-CONFLICT), a
//! deleted id (ID-NOTFOUND, ERR-CODE), a PNG labelled `image/jpeg` or the reverse
//! (PH-SNIFF); and setup's check of the default folder's `WellKnownName`
//! (CF-WELLKNOWN). A child module of the engine, so it uses the engine's own sending,
//! checking, read-back and de-duplicated reporting.

use super::{SendError, Setup, Shared, Worker};
use crate::oracle::{self, Reply, Violation};
use crate::plan::{Expectation, Folders, Plan, Readback, Target, encode_id, split_token};
use arbitrary::Unstructured;
use serde_json::Value;
use std::sync::atomic::Ordering;

/// A worker runs a multi-request probe instead of a plan once in this many iterations.
pub(super) const PROBE_ONE_IN: u8 = 24;

fn expect(rule: &'static str, statuses: &[u16]) -> Expectation {
    Expectation {
        rule,
        statuses: statuses.to_vec(),
    }
}

fn json_header() -> (String, Vec<u8>) {
    ("Content-Type".into(), b"application/json".to_vec())
}

fn violation(rule: &'static str, detail: String) -> Violation {
    Violation { rule, detail }
}

/// Sends one probe request as a fuzz request: the universal and status checks, and
/// a report of each violation.
async fn exchange(sh: &Shared, plan: &Plan) -> Option<Reply> {
    sh.fuzz_sent.fetch_add(1, Ordering::Relaxed);
    let body = plan.body.clone().map(bytes::Bytes::from);
    match sh.send(plan, body).await {
        Ok(r) => {
            for v in oracle::check(plan, &r) {
                sh.report(plan, r.status, v, &r.body, false);
            }
            Some(r)
        }
        Err(SendError::Timeout) => {
            let v = violation(
                "GEN-NO-5XX",
                format!("no answer within {:?} ({})", sh.cfg.timeout, plan.defect),
            );
            sh.report(plan, 0, v, b"", false);
            None
        }
        Err(_) => None,
    }
}

impl Worker {
    /// Runs one probe drawn from `u`.
    pub(super) async fn probe(&mut self, u: &mut Unstructured<'_>) {
        if self.pool.is_empty() {
            return;
        }
        let i = u.choose_index(self.pool.len()).unwrap_or(0);
        let marker = format!("{}w{}p{}", self.ctx.run_marker, self.index, self.seq);
        match u.int_in_range(0..=4u8).unwrap_or(0) {
            0 => self.skip_and_delta(&marker).await,
            1 => self.stale_changekey_in_body(i, &marker).await,
            2 => self.strong_if_match(i, &marker).await,
            3 => self.deleted_id(u, &marker).await,
            _ => self.sniffed_photo(u, i, &marker).await,
        }
    }

    /// The current `ChangeKey` of own contact `i`, read just now.
    async fn change_key(&mut self, i: usize) -> Option<String> {
        self.refresh(i, false).await;
        let c: Value = serde_json::from_slice(self.pool[i].contact.as_deref()?).ok()?;
        c.get("ChangeKey")?.as_str().map(str::to_string)
    }

    /// A next link of a sync round (a skip token) with the round's delta token added:
    /// SY-TOKEN-PATH → 400.
    async fn skip_and_delta(&mut self, marker: &str) {
        let sh = self.shared.clone();
        let Some(link) = self.ctx.delta_link.clone() else {
            return;
        };
        let Some((_, delta, _)) = split_token(&link) else {
            return;
        };
        // The default folder holds the anchors (three at least): a page of one has a
        // next link (SY-PAGESIZE, SY-FOLLOW).
        let follow = Plan {
            target: Target::Url(link),
            headers: vec![(
                "Prefer".into(),
                b"odata.track-changes, odata.maxpagesize=1".to_vec(),
            )],
            endpoint: "GET sync link".into(),
            marker: marker.to_string(),
            ..Plan::get()
        };
        let Some(r) = exchange(&sh, &follow).await else {
            return;
        };
        let Some(next) = r
            .json()
            .and_then(|b| b.get("@odata.nextLink")?.as_str().map(str::to_string))
        else {
            return;
        };
        if split_token(&next).is_none() {
            return;
        }
        let both = Plan {
            target: Target::Url(format!("{next}&$deltatoken={delta}")),
            headers: vec![("Prefer".into(), b"odata.track-changes".to_vec())],
            expect: expect("SY-TOKEN-PATH", &[400]),
            endpoint: "GET sync link (skip and delta token)".into(),
            defect: "both a skip token and a delta token".into(),
            marker: marker.to_string(),
            ..Plan::get()
        };
        exchange(&sh, &both).await;
    }

    /// A PATCH whose body carries the `ChangeKey` the contact had before the previous
    /// PATCH: CT-CONFLICT-BODY → 409, nothing changed (CT-ATOMIC, read back).
    async fn stale_changekey_in_body(&mut self, i: usize, marker: &str) {
        let sh = self.shared.clone();
        let Some(old) = self.change_key(i).await else {
            return;
        };
        let id = self.pool[i].id.clone();
        let target = Target::Path {
            path: format!("me/contacts/{}", encode_id(&id)),
            query: String::new(),
        };
        let change = Plan {
            method: "PATCH",
            target: target.clone(),
            headers: vec![json_header()],
            body: Some(
                serde_json::json!({ "JobTitle": format!("{marker}a") })
                    .to_string()
                    .into_bytes(),
            ),
            expect: expect("CT-UPDATE", &[200]),
            endpoint: "PATCH me/contacts/{id}".into(),
            defect: "none".into(),
            marker: marker.to_string(),
            ..Plan::get()
        };
        self.pool[i].stale = true;
        let Some(r) = exchange(&sh, &change).await else {
            return;
        };
        let new = r
            .json()
            .and_then(|b| b.get("ChangeKey")?.as_str().map(str::to_string));
        if r.status != 200 || new.is_none() || new.as_deref() == Some(old.as_str()) {
            // No newer version (CT-VERSION is checked elsewhere): nothing is stale.
            return;
        }
        let mut stale = Plan {
            method: "PATCH",
            target,
            headers: vec![json_header()],
            body: Some(
                serde_json::json!({ "ChangeKey": old, "JobTitle": format!("{marker}b") })
                    .to_string()
                    .into_bytes(),
            ),
            expect: expect("CT-CONFLICT-BODY", &[409]),
            readback: Readback::Contact { id },
            endpoint: "PATCH me/contacts/{id} (stale ChangeKey in the body)".into(),
            defect: "a stale ChangeKey in the body".into(),
            marker: marker.to_string(),
            ..Plan::get()
        };
        self.one_checked(&mut stale).await;
    }

    /// A PATCH with `If-Match: "ck"` (no `W/`) naming the current version:
    /// CT-CONFLICT says it matches → 200.
    async fn strong_if_match(&mut self, i: usize, marker: &str) {
        let Some(ck) = self.change_key(i).await else {
            return;
        };
        if ck.is_empty() || ck.bytes().any(|b| b == b'"' || !(0x21..0x7f).contains(&b)) {
            return;
        }
        let id = self.pool[i].id.clone();
        let mut plan = Plan {
            method: "PATCH",
            target: Target::Path {
                path: format!("me/contacts/{}", encode_id(&id)),
                query: String::new(),
            },
            headers: vec![
                json_header(),
                ("If-Match".into(), format!("\"{ck}\"").into_bytes()),
            ],
            body: Some(
                serde_json::json!({ "JobTitle": marker })
                    .to_string()
                    .into_bytes(),
            ),
            expect: expect("CT-CONFLICT", &[200]),
            readback: Readback::Contact { id },
            endpoint: "PATCH me/contacts/{id} (If-Match \"ck\")".into(),
            defect: "If-Match with the current ChangeKey in strong form".into(),
            marker: marker.to_string(),
            ..Plan::get()
        };
        self.one_checked(&mut plan).await;
    }

    /// A contact created and deleted by this probe, then addressed again:
    /// ID-NOTFOUND → 404 with `ErrorItemNotFound` (ERR-CODE).
    async fn deleted_id(&mut self, u: &mut Unstructured<'_>, marker: &str) {
        let sh = self.shared.clone();
        let create = Plan {
            method: "POST",
            headers: vec![json_header()],
            body: Some(
                serde_json::json!({"GivenName": marker, "Surname": self.ctx.run_marker})
                    .to_string()
                    .into_bytes(),
            ),
            expect: expect("CT-CREATE", &[201]),
            endpoint: "POST me/contacts".into(),
            defect: "none".into(),
            marker: marker.to_string(),
            ..Plan::get()
        };
        let Some(r) = exchange(&sh, &create).await else {
            return;
        };
        let Some(id) = r
            .json()
            .and_then(|b| b.get("Id")?.as_str().map(str::to_string))
            .filter(|_| r.status == 201)
        else {
            return;
        };
        let enc = encode_id(&id);
        let delete = Plan {
            method: "DELETE",
            target: Target::Path {
                path: format!("me/contacts/{enc}"),
                query: String::new(),
            },
            expect: expect("CT-DELETE", &[204]),
            endpoint: "DELETE me/contacts/{id}".into(),
            defect: "none".into(),
            marker: marker.to_string(),
            ..Plan::get()
        };
        match exchange(&sh, &delete).await {
            Some(r) if r.status == 204 => sh.deleted.fetch_add(1, Ordering::Relaxed),
            // Not deleted: cleanup finds it by the run marker.
            _ => return,
        };
        let (method, suffix, endpoint): (&'static str, &str, &str) = *u
            .choose(&[
                ("GET", "", "GET me/contacts/{id} (deleted)"),
                ("GET", "", "GET me/contacts/{id} (deleted)"),
                ("GET", "/photo", "GET me/contacts/{id}/photo (deleted)"),
                (
                    "GET",
                    "/photo/$value",
                    "GET me/contacts/{id}/photo/$value (deleted)",
                ),
                ("PATCH", "", "PATCH me/contacts/{id} (deleted)"),
                ("DELETE", "", "DELETE me/contacts/{id} (deleted)"),
            ])
            .unwrap_or(&("GET", "", "GET me/contacts/{id} (deleted)"));
        let mut again = Plan {
            method,
            target: Target::Path {
                path: format!("me/contacts/{enc}{suffix}"),
                query: String::new(),
            },
            expect: expect("ID-NOTFOUND", &[404]),
            endpoint: endpoint.into(),
            defect: "an id that was deleted".into(),
            marker: marker.to_string(),
            ..Plan::get()
        };
        if method == "PATCH" {
            again.headers.push(json_header());
            again.body = Some(b"{\"JobTitle\":\"x\"}".to_vec());
        }
        let Some(r) = exchange(&sh, &again).await else {
            return;
        };
        let code = r
            .json()
            .and_then(|b| b.pointer("/error/code")?.as_str().map(str::to_string));
        if r.status == 404
            && oracle::error_shape_problem(&r).is_none()
            && code.as_deref() != Some("ErrorItemNotFound")
        {
            let v = violation(
                "ERR-CODE",
                format!(
                    "an id that was deleted answered 404 with code {}, not ErrorItemNotFound (ID-NOTFOUND)",
                    code.unwrap_or_default()
                ),
            );
            sh.report(&again, r.status, v, &r.body, false);
        }
    }

    /// A complete PNG labelled `image/jpeg` (or a JPEG labelled `image/png`):
    /// accepted and stored with the type of the bytes (PH-SNIFF, a SHOULD).
    async fn sniffed_photo(&mut self, u: &mut Unstructured<'_>, i: usize, marker: &str) {
        let sh = self.shared.clone();
        let w = u.int_in_range(1..=16u16).unwrap_or(2);
        let h = u.int_in_range(1..=16u16).unwrap_or(3);
        let is_png: bool = u.arbitrary().unwrap_or(true);
        let (bytes, label, real) = if is_png {
            (
                crate::photo::png(w.into(), h.into()),
                "image/jpeg",
                "image/png",
            )
        } else {
            (crate::photo::jpeg(w, h), "image/png", "image/jpeg")
        };
        let id = self.pool[i].id.clone();
        let enc = encode_id(&id);
        let plan = Plan {
            method: "PUT",
            target: Target::Path {
                path: format!("me/contacts/{enc}/photo/$value"),
                query: String::new(),
            },
            headers: vec![("Content-Type".into(), label.as_bytes().to_vec())],
            body: Some(bytes),
            expect: expect("PH-SNIFF", &[200]),
            readback: Readback::Photo {
                id,
                dims: Some((w.into(), h.into())),
            },
            endpoint: format!("PUT me/contacts/{{id}}/photo/$value ({real} as {label})"),
            defect: format!("a {real} image labelled {label}"),
            marker: marker.to_string(),
            ..Plan::get()
        };
        let Some(r) = exchange(&sh, &plan).await else {
            self.pool[i].stale = true;
            return;
        };
        // PH-META of the upload and the photo snapshot (PH-BAD of later uploads).
        self.readback(&plan, &r).await;
        if r.status != 200 {
            return;
        }
        let Ok(got) = sh
            .simple(
                "GET",
                format!("me/contacts/{enc}/photo/$value"),
                String::new(),
            )
            .await
        else {
            return;
        };
        if got.status == 200 && !got.content_type_is(real) {
            let v = violation(
                "PH-SNIFF",
                format!(
                    "a {real} image uploaded as {label} is served as {:?}",
                    got.header("content-type").unwrap_or("no Content-Type")
                ),
            );
            sh.report(
                &plan,
                r.status,
                v,
                &got.body[..got.body.len().min(64)],
                true,
            );
        }
    }
}

/// CF-WELLKNOWN at setup: exactly one folder has `WellKnownName` `"contacts"`. When
/// none has, the default folder is where `POST me/contacts` put the fuzzer's first
/// contact (its `ParentFolderId`), so the run keeps going; returns the violation to
/// report once the run can report.
pub(super) async fn well_known(
    setup: &Setup<'_>,
    mut folders: Folders,
    first_contact: Option<&String>,
) -> (Folders, Option<Violation>) {
    // Without a second listing, what setup saw: a default folder was found or not.
    let named = match setup
        .get_json(
            "list folders",
            format!("{}/me/contactfolders?$top=50", setup.cfg.base),
            None,
        )
        .await
    {
        Ok(top) => top
            .get("value")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|f| f.get("WellKnownName").and_then(Value::as_str) == Some("contacts"))
            .count(),
        Err(_) => usize::from(!folders.default.is_empty()),
    };
    if named == 1 {
        return (folders, None);
    }
    let v = violation(
        "CF-WELLKNOWN",
        format!("{named} top-level folders have WellKnownName \"contacts\"; exactly one must"),
    );
    if folders.default.is_empty()
        && let Some(id) = first_contact
        && let Ok(c) = setup
            .get_json(
                "read the fuzzer's first contact",
                format!("{}/me/contacts/{}", setup.cfg.base, encode_id(id)),
                None,
            )
            .await
        && let Some(parent) = c.get("ParentFolderId").and_then(Value::as_str)
    {
        folders.others.retain(|f| f != parent);
        folders.default = parent.to_string();
    }
    (folders, Some(v))
}

/// Reports setup's CF-WELLKNOWN violation as a finding of `GET me/contactfolders`.
pub(super) fn report_well_known(sh: &Shared, v: Violation) {
    let plan = Plan {
        target: Target::Path {
            path: "me/contactfolders".into(),
            query: "$top=50".into(),
        },
        expect: expect("CF-LIST", &[200]),
        endpoint: "GET me/contactfolders".into(),
        defect: "setup: the default folder's WellKnownName".into(),
        ..Plan::get()
    };
    sh.report(&plan, 200, v, b"", true);
}
