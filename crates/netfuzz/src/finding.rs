//! Findings: de-duplicated by (endpoint, status, rule), each saved as a case file in
//! the format of `docs/case-format.md` and a shell script of `curl` commands.

use crate::error::FuzzError;
use crate::oracle::CONTRACT_STATUSES;
use crate::plan::{Auth, Exact, Folders, Plan, Post, Readback, Target, encode_id};
use contactspec_model::ErrorCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One broken rule, with the request that broke it.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule ID.
    pub rule: &'static str,
    /// The route template.
    pub endpoint: String,
    /// The status received (0: no answer).
    pub status: u16,
    /// Why it is a finding.
    pub detail: String,
    /// The request.
    pub plan: Plan,
    /// The start of the response body, for the report.
    pub response_excerpt: String,
    /// How many requests hit the same (endpoint, status, rule).
    pub hits: u64,
    /// Whether the rule broke in the read-back after the request (the request's own
    /// answer was as expected).
    pub readback: bool,
}

impl Finding {
    /// The de-duplication key.
    pub fn key(&self) -> (String, u16, &'static str) {
        (self.endpoint.clone(), self.status, self.rule)
    }
}

/// The set of findings of a run.
#[derive(Debug, Default)]
pub struct Findings {
    list: Vec<Finding>,
    index: HashMap<(String, u16, &'static str), usize>,
}

impl Findings {
    /// Counts another hit of a known finding of `key`; false if there is none (then
    /// the caller builds the finding and [`Findings::add`]s it).
    pub fn hit(&mut self, key: &(String, u16, &'static str)) -> bool {
        match self.index.get(key) {
            Some(&i) => {
                self.list[i].hits += 1;
                true
            }
            None => false,
        }
    }

    /// Records a finding; returns it if it is new (not a duplicate).
    pub fn add(&mut self, f: Finding) -> Option<&Finding> {
        let key = f.key();
        if let Some(&i) = self.index.get(&key) {
            self.list[i].hits += 1;
            return None;
        }
        self.index.insert(key, self.list.len());
        self.list.push(f);
        self.list.last()
    }

    /// The finding seen last.
    pub fn last(&self) -> Option<&Finding> {
        self.list.last()
    }

    /// Number of distinct findings.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The findings, in the order first seen.
    pub fn into_vec(self) -> Vec<Finding> {
        self.list
    }
}

fn b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// The relative path and query of a target, given the base URL.
fn relative(base: &str, target: &Target) -> Result<(String, String), String> {
    match target {
        Target::Path { path, query } => Ok((path.clone(), query.clone())),
        Target::Url(url) => {
            let b = base.trim_end_matches('/');
            match url.strip_prefix(b).and_then(|r| r.strip_prefix('/')) {
                Some(rest) => {
                    let (p, q) = rest.split_once('?').unwrap_or((rest, ""));
                    Ok((p.to_string(), q.to_string()))
                }
                None => Err(url.clone()),
            }
        }
    }
}

/// The own contact id the plan writes to or reads, if any.
fn own_id(plan: &Plan, contacts: &[String]) -> Option<String> {
    match &plan.readback {
        Readback::Contact { id } | Readback::Photo { id, .. } => Some(id.clone()),
        _ => {
            let (p, _) = relative("", &plan.target).ok()?;
            contacts
                .iter()
                .find(|c| {
                    let e = encode_id(c);
                    p.contains(&format!("/{e}")) || p.contains(&format!("('{e}')"))
                })
                .cloned()
        }
    }
}

/// Builds the case file (a JSON value) that reproduces `f`.
///
/// Folder ids in paths become `{{folder.default}}`, and any other folder of `folders`
/// `{{folder.other}}` (the case then requires one): what the fuzzer knew of a folder
/// is only whether it was the default one.
pub fn case_file(
    f: &Finding,
    base: &str,
    contacts: &[String],
    folders: &Folders,
    name: &str,
) -> Value {
    let plan = &f.plan;
    let mut folder_names = Vec::new();
    if !folders.default.is_empty() {
        folder_names.push((
            format!("contactfolders/{}", encode_id(&folders.default)),
            "contactfolders/{{folder.default}}",
        ));
    }
    for o in &folders.others {
        folder_names.push((
            format!("contactfolders/{}", encode_id(o)),
            "contactfolders/{{folder.other}}",
        ));
    }
    let uses_other = std::cell::Cell::new(false);
    let mut steps = Vec::new();
    let id = own_id(plan, contacts);
    if id.is_some() {
        steps.push(json!({
            "name": "create-own-contact",
            "rule": "CT-CREATE",
            "request": {"method": "POST", "path": "me/contacts", "json": {"GivenName": "Fuzz", "Surname": "{{marker}}"}},
            "expect": {"status": 201},
            "capture": {"id": "/Id"}
        }));
    }
    let anchors = match &plan.post {
        Post::Exact(e) | Post::ExactCount(e) => e.anchors.as_ref(),
        _ => None,
    };
    let templ = |s: &str| -> String {
        let mut s = s.to_string();
        if let Some(id) = &id {
            s = s.replace(&encode_id(id), "{{id}}");
        }
        if !plan.marker.is_empty() {
            s = s.replace(&plan.marker, "{{marker}}");
        }
        for (literal, name) in &folder_names {
            if s.contains(literal.as_str()) {
                s = s.replace(literal.as_str(), name);
                uses_other.set(uses_other.get() || name.contains("other"));
            }
        }
        if let Some(a) = anchors {
            // The case's anchors carry the case marker too, so that no other case
            // (or an earlier run of this one) shares them.
            for m in [a.marker.clone(), a.marker.to_uppercase()] {
                s = s.replace(&m, &format!("{m}{{{{marker}}}}"));
            }
        }
        s
    };
    if let Post::Exact(e) | Post::ExactCount(e) = &plan.post {
        // Something the filter does not match, so that a server ignoring the filter
        // answers differently even in an otherwise empty mailbox.
        steps.push(json!({
            "name": "create-decoy",
            "rule": "CT-CREATE",
            "request": {"method": "POST", "path": "me/contacts", "json": {"GivenName": "decoy{{marker}}", "Surname": "{{marker}}"}},
            "expect": {"status": 201}
        }));
        if let Some(a) = &e.anchors {
            for i in 0..a.ids.len() {
                steps.push(json!({
                    "name": format!("create-anchor-{i}"),
                    "rule": "CT-CREATE",
                    "request": {"method": "POST", "path": "me/contacts", "json": {"GivenName": format!("{}{{{{marker}}}}", a.marker), "Surname": a.surname}},
                    "expect": {"status": 201},
                    "capture": {format!("a{i}"): "/Id"}
                }));
            }
        }
    }
    // The strong If-Match probe (crate::probes): the current ChangeKey, captured.
    let strong_if_match = plan.endpoint.ends_with("(If-Match \"ck\")");
    match &plan.readback {
        Readback::Contact { .. } => steps.push(json!({
            "name": "read-before", "request": {"path": "me/contacts/{{id}}"},
            "expect": {"status": 200},
            "capture": if strong_if_match {
                json!({"before": "", "ck": "/ChangeKey"})
            } else {
                json!({"before": ""})
            }
        })),
        Readback::Photo { .. } => steps.push(json!({
            "name": "set-photo", "rule": "PH-SET",
            "request": {"method": "PUT", "path": "me/contacts/{{id}}/photo/$value", "image": {"format": "png", "width": 3, "height": 2}},
            "expect": {"status": 200}
        })),
        _ => {}
    }
    let mut request = serde_json::Map::new();
    request.insert("method".into(), json!(plan.method));
    match relative(base, &plan.target) {
        Ok((p, q)) => {
            request.insert("path".into(), json!(templ(&p)));
            if !q.is_empty() {
                request.insert("query".into(), json!(templ(&q)));
            }
        }
        Err(url) => {
            request.insert("url".into(), json!(url));
        }
    }
    let mut headers = serde_json::Map::new();
    for (n, v) in &plan.headers {
        let mut v = String::from_utf8_lossy(v).to_string();
        if strong_if_match && n.eq_ignore_ascii_case("If-Match") {
            // The probe named the contact's current version: so does the case.
            v = "\"{{ck}}\"".into();
        }
        match headers.get_mut(n) {
            Some(Value::Array(a)) => a.push(json!(v)),
            Some(old) => *old = json!([old.clone(), v]),
            None => {
                headers.insert(n.clone(), json!(v));
            }
        }
    }
    match &plan.auth {
        Auth::Token => {}
        Auth::Missing => {
            request.insert("token".into(), json!("none"));
        }
        Auth::Header(h) => {
            headers.insert("Authorization".into(), json!(h));
        }
    }
    if !headers.is_empty() {
        request.insert("headers".into(), Value::Object(headers));
    }
    if let Some(body) = &plan.body {
        match std::str::from_utf8(body) {
            Ok(t) if !t.contains("{{") => {
                request.insert("text".into(), json!(templ(t)));
            }
            _ => {
                request.insert("base64".into(), json!(b64(body)));
            }
        }
    }
    let mut expect = serde_json::Map::new();
    let statuses = if plan.expect.statuses.is_empty() || f.rule == "GEN-NO-5XX" {
        CONTRACT_STATUSES.to_vec()
    } else {
        plan.expect.statuses.clone()
    };
    match f.rule {
        "ERR-SHAPE" => {
            expect.insert("status".into(), json!(f.status));
            expect.insert(
                "error".into(),
                json!(
                    ErrorCode::ALL
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                ),
            );
            expect.insert("checks".into(), json!(["json_content_type"]));
        }
        _ if f.readback => {
            // The request itself answered as required; the read-back broke the rule.
            expect.insert("status".into(), json!(f.status));
        }
        "ERR-CODE" if plan.expect.rule == "ID-NOTFOUND" => {
            expect.insert("status".into(), json!(statuses));
            expect.insert("error".into(), json!("ErrorItemNotFound"));
        }
        _ => {
            expect.insert("status".into(), json!(statuses));
        }
    }
    if let Post::Probe(c) = &plan.post
        && !f.readback
        && f.rule == plan.expect.rule
    {
        // What the probe checked in its 200 answer (crate::probes).
        expect.insert("json".into(), crate::probes::case_json(c));
    }
    let request_rule = match (f.readback, plan.expect.rule) {
        (false, _) => f.rule,
        (true, "") => "GEN-NO-5XX",
        (true, r) => r,
    };
    steps.push(json!({
        "name": "fuzz-request",
        "rule": request_rule,
        "request": Value::Object(request),
        "expect": Value::Object(expect),
    }));
    if let Post::Exact(e) | Post::ExactCount(e) = &plan.post {
        exact_steps(e, plan, &templ, &mut steps);
    }
    match (&plan.readback, f.rule) {
        (Readback::Created { collection }, "CT-ATOMIC") => steps.push(json!({
            "name": "nothing-stored", "rule": "CT-ATOMIC",
            "request": {"path": templ(collection), "query": "$filter=GivenName%20eq%20'{{marker}}'"},
            "expect": {"status": 200, "assert": [{"path": "/value", "count": 0}]}
        })),
        (Readback::Contact { .. }, "CT-ATOMIC") => steps.push(json!({
            "name": "unchanged", "rule": "CT-ATOMIC",
            "request": {"path": "me/contacts/{{id}}"},
            "expect": {"status": 200, "assert": [{"path": "", "unchanged_from": "before"}]}
        })),
        (Readback::Photo { .. }, "PH-BAD") => steps.push(json!({
            "name": "photo-unchanged", "rule": "PH-BAD",
            "request": {"path": "me/contacts/{{id}}/photo/$value"},
            "expect": {"status": 200, "body": "image"}
        })),
        (Readback::Photo { .. }, "PH-SNIFF") => {
            let label = plan
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| String::from_utf8_lossy(v).to_string())
                .unwrap_or_default();
            let real = if label == "image/jpeg" { "png" } else { "jpeg" };
            steps.push(json!({
                "name": "photo-sniffed", "rule": "PH-SNIFF",
                "request": {"path": "me/contacts/{{id}}/photo/$value"},
                "expect": {"status": 200, "headers": {"Content-Type": {"matches": format!("^(?i)image/{real}")}}}
            }));
        }
        (Readback::Photo { dims: Some((w, h)), .. }, "PH-META") => steps.push(json!({
            "name": "photo-metadata", "rule": "PH-META",
            "request": {"path": "me/contacts/{{id}}/photo"},
            "expect": {"status": 200, "json": {"Width": w, "Height": h}}
        })),
        _ => {}
    }
    let mut tags = vec!["fuzz", "error-path"];
    if plan.body.as_ref().is_some_and(|b| b.len() > 100_000) {
        tags.push("large");
    }
    let mut case = json!({
        "name": name,
        "rules": [f.rule],
        "tags": tags,
        "steps": steps,
    });
    if uses_other.get() {
        case["requires"] = json!(["other_folder"]);
    }
    json!({
        "$schema": "../../schemas/case.schema.json",
        "cases": [case]
    })
}

/// The expectations of an [`Exact`] query, in the case format: adds them to the
/// fuzz request (the last step) and, for a list whose matches span several pages, a
/// walk that must visit each exactly once.
fn exact_steps(e: &Exact, plan: &Plan, templ: &dyn Fn(&str) -> String, steps: &mut Vec<Value>) {
    let n = e.ids.len();
    // In the case, the matching entities are the anchors it creates (captured a0…).
    let ids: Vec<String> = match &e.anchors {
        Some(_) if n > 0 => (0..n).map(|i| format!("{{{{a{i}}}}}")).collect(),
        _ => Vec::new(),
    };
    let Some(last) = steps.last_mut() else {
        return;
    };
    let mut expect = serde_json::Map::new();
    expect.insert("status".into(), json!(200));
    let Some((size, _)) = e.page else {
        expect.insert("body".into(), json!({"text": n.to_string()}));
        last["expect"] = Value::Object(expect);
        return;
    };
    let mut asserts = vec![json!({"path": "/value", "count_at_most": size})];
    if size >= n.max(1) {
        asserts.push(json!({"path": "/value", "ids_unordered": ids}));
    }
    if e.count {
        expect.insert("json".into(), json!({"@odata.count": n}));
    }
    expect.insert("assert".into(), Value::Array(asserts));
    last["expect"] = Value::Object(expect);
    if size > 0 && size < n {
        let (p, q) = match &plan.target {
            Target::Path { path, query } => (templ(path), templ(query)),
            Target::Url(_) => return,
        };
        let mut walk = serde_json::Map::new();
        walk.insert("path".into(), json!(p));
        walk.insert("query".into(), json!(q));
        if let Some((_, v)) = plan.headers.iter().find(|(n, _)| n == "Prefer") {
            walk.insert(
                "headers".into(),
                json!({"Prefer": String::from_utf8_lossy(v)}),
            );
        }
        walk.insert("page_size".into(), json!(size));
        walk.insert("expect_ids".into(), json!(ids));
        steps.push(json!({"name": "walk-the-matches", "rule": "Q-NEXTLINK-LIVE", "walk": walk}));
    }
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A shell script of `curl` commands that repeats the request (`TOKEN` from the
/// environment; the body, if any, in `body_file` beside it).
pub fn curl_script(
    f: &Finding,
    base: &str,
    contacts: &[String],
    body_file: Option<&str>,
) -> String {
    let plan = &f.plan;
    let base = base.trim_end_matches('/');
    let mut s = String::from("#!/bin/sh\n");
    s.push_str(&format!(
        "# contactspec fuzz finding: {} on {} -> {}\n# {}\n# Set TOKEN to the bearer token of the user.\nset -eu\nBASE={}\n",
        f.rule,
        f.endpoint,
        f.status,
        f.detail.replace('\n', " "),
        sh_quote(base)
    ));
    let id = own_id(plan, contacts);
    if id.is_some() {
        s.push_str(
            "ID=$(curl -sS -X POST \"$BASE/me/contacts\" -H \"Authorization: Bearer $TOKEN\" \
             -H 'Content-Type: application/json' --data-binary '{\"GivenName\":\"Fuzz\",\"Surname\":\"fuzzrepro\"}' \
             | sed -n 's/.*\"Id\" *: *\"\\([^\"]*\\)\".*/\\1/p')\n",
        );
    }
    if let Post::Exact(e) | Post::ExactCount(e) = &plan.post
        && let Some(a) = &e.anchors
    {
        let body = json!({"GivenName": a.marker, "Surname": a.surname}).to_string();
        s.push_str(&format!(
            "# The filter matches exactly {} contact(s) of this collection: these.\n",
            e.ids.len()
        ));
        for _ in &a.ids {
            s.push_str(&format!(
                "curl -sS -o /dev/null -X POST \"$BASE/me/contacts\" -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' --data-binary {}\n",
                sh_quote(&body)
            ));
        }
    }
    let url = match &plan.target {
        Target::Path { path, query } => {
            let mut p = sh_quote(path);
            if let Some(id) = &id {
                p = p.replace(&encode_id(id), "'\"$ID\"'");
            }
            let q = if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            };
            format!(
                "\"$BASE\"/{p}{}",
                if q.is_empty() {
                    String::new()
                } else {
                    sh_quote(&q)
                }
            )
        }
        Target::Url(u) => sh_quote(u),
    };
    s.push_str(&format!("curl -sS -i -X {} {url}", plan.method));
    match &plan.auth {
        Auth::Token => s.push_str(" -H \"Authorization: Bearer $TOKEN\""),
        Auth::Missing => {}
        Auth::Header(h) => s.push_str(&format!(" -H {}", sh_quote(&format!("Authorization: {h}")))),
    }
    for (n, v) in &plan.headers {
        s.push_str(&format!(
            " -H {}",
            sh_quote(&format!("{n}: {}", String::from_utf8_lossy(v)))
        ));
    }
    if plan.body.is_some()
        && let Some(file) = body_file
    {
        s.push_str(&format!(
            " --data-binary @\"$(dirname \"$0\")\"/{}",
            sh_quote(file)
        ));
    }
    s.push('\n');
    s
}

/// Writes `f` as `<dir>/<stem>.json` (case file), `<stem>.sh` (curl) and, when there
/// is a body, `<stem>.body`. Returns the case file's path.
pub fn save(
    f: &Finding,
    dir: &Path,
    index: usize,
    base: &str,
    contacts: &[String],
    folders: &Folders,
) -> Result<PathBuf, FuzzError> {
    let slug: String = format!("{}-{}-{}", f.rule, f.status, f.endpoint)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let stem = format!("{index:03}-{slug}");
    let write = |p: PathBuf, data: &[u8]| -> Result<PathBuf, FuzzError> {
        std::fs::write(&p, data).map_err(|source| FuzzError::Save {
            path: p.clone(),
            source,
        })?;
        Ok(p)
    };
    std::fs::create_dir_all(dir).map_err(|source| FuzzError::Save {
        path: dir.to_path_buf(),
        source,
    })?;
    let body_file = f.plan.body.as_ref().map(|_| format!("{stem}.body"));
    if let (Some(b), Some(name)) = (&f.plan.body, &body_file) {
        write(dir.join(name), b)?;
    }
    let case = case_file(f, base, contacts, folders, &format!("fuzz-{slug}"));
    let text = serde_json::to_string_pretty(&case).unwrap_or_default();
    write(
        dir.join(format!("{stem}.sh")),
        curl_script(f, base, contacts, body_file.as_deref()).as_bytes(),
    )?;
    write(dir.join(format!("{stem}.json")), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Expectation, Post};

    fn finding(rule: &'static str, readback: Readback) -> Finding {
        Finding {
            rule,
            endpoint: "PATCH me/contacts/{id}".into(),
            status: 500,
            detail: "answered 500".into(),
            plan: Plan {
                method: "PATCH",
                target: Target::Path {
                    path: "me/contacts/AB%2Bc=".into(),
                    query: String::new(),
                },
                headers: vec![("Content-Type".into(), b"application/json".to_vec())],
                auth: Auth::Token,
                body: Some(b"{\"GivenName\":\"mk7\",".to_vec()),
                expect: Expectation {
                    rule: "CT-TYPES",
                    statuses: vec![400],
                },
                post: Post::None,
                readback,
                endpoint: "PATCH me/contacts/{id}".into(),
                defect: "truncated body".into(),
                marker: "mk7".into(),
            },
            response_excerpt: String::new(),
            hits: 1,
            readback: false,
        }
    }

    #[test]
    fn case_file_templates_ids_and_markers() {
        let f = finding("GEN-NO-5XX", Readback::Contact { id: "AB+c=".into() });
        let case = case_file(
            &f,
            "http://h/api",
            &["AB+c=".into()],
            &Folders::default(),
            "x",
        );
        let steps = case["cases"][0]["steps"].as_array().unwrap();
        assert_eq!(steps[0]["request"]["method"], "POST");
        let req = &steps.last().unwrap()["request"];
        assert_eq!(req["path"], "me/contacts/{{id}}");
        assert_eq!(req["text"], "{\"GivenName\":\"{{marker}}\",");
        assert_eq!(
            steps.last().unwrap()["expect"]["status"],
            json!(CONTRACT_STATUSES)
        );
        let script = curl_script(&f, "http://h/api", &["AB+c=".into()], Some("b.body"));
        assert!(
            script.contains("-X PATCH \"$BASE\"/'me/contacts/'\"$ID\"''"),
            "{script}"
        );
    }

    #[test]
    fn dedups_by_endpoint_status_rule() {
        let mut fs = Findings::default();
        assert!(fs.add(finding("GEN-NO-5XX", Readback::None)).is_some());
        assert!(fs.add(finding("GEN-NO-5XX", Readback::None)).is_none());
        assert!(fs.add(finding("ERR-SHAPE", Readback::None)).is_some());
        let key = finding("ERR-SHAPE", Readback::None).key();
        assert!(fs.hit(&key));
        assert!(!fs.hit(&("other".into(), 500, "ERR-SHAPE")));
        let v = fs.into_vec();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].hits, 2);
        assert_eq!(v[1].hits, 2);
    }
}
