//! Semantic checks of a parsed case file: rule IDs, schema names, checks, matchers,
//! templates and captures. Each problem comes with the JSON pointer of the offending
//! value so the loader can turn it into a line and column.

use crate::template;
use crate::types::*;
use contactspec_model::{ErrorCode, rule};
use serde_json::Value;
use std::collections::BTreeSet;

/// Named checks the runner knows.
pub const CHECKS: &[&str] = &[
    "etag",
    "annotations",
    "echo",
    "contact_full",
    "json_content_type",
    "clock",
    "distinct_ids",
    "one_of_sent",
];

/// JSON-subset matchers the runner knows.
pub const MATCHERS: &[&str] = &[
    "$absent",
    "$null_or_absent",
    "$present",
    "$instant",
    "$wall",
    "$regex",
    "$ci",
    "$one_of",
    "$unordered",
    "$type",
];

/// A problem: pointer into the file and what was expected.
pub(crate) type Problem = (String, String);

pub(crate) struct Validator<'a> {
    pub schemas: Option<&'a BTreeSet<String>>,
    pub problems: Vec<Problem>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Request,
    Walk,
    Sync,
    Parallel,
}

impl Validator<'_> {
    fn bad(&mut self, ptr: impl Into<String>, msg: impl Into<String>) {
        self.problems.push((ptr.into(), msg.into()));
    }

    pub fn file(&mut self, file: &CaseFile) {
        if file.cases.is_empty() {
            self.bad("/cases", "expected at least one case");
        }
        let mut names = BTreeSet::new();
        for (i, case) in file.cases.iter().enumerate() {
            let p = format!("/cases/{i}");
            let kebab = !case.name.is_empty()
                && case
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !kebab {
                self.bad(
                    format!("{p}/name"),
                    format!(
                        "expected a kebab-case name (a-z, 0-9, -), found {:?}",
                        case.name
                    ),
                );
            }
            if !names.insert(case.name.clone()) {
                self.bad(
                    format!("{p}/name"),
                    format!(
                        "expected a name unique within the file; {:?} is repeated",
                        case.name
                    ),
                );
            }
            if case.rules.is_empty() {
                self.bad(format!("{p}/rules"), "expected at least one rule ID");
            }
            for (j, r) in case.rules.iter().enumerate() {
                self.rule(&format!("{p}/rules/{j}"), r);
            }
            if case.steps.is_empty() {
                self.bad(format!("{p}/steps"), "expected at least one step");
            }
            let mut defined: BTreeSet<String> =
                template::BUILTINS.iter().map(|s| s.to_string()).collect();
            for (name, g) in &case.generate {
                let gp = format!(
                    "{p}/generate/{}",
                    name.replace('~', "~0").replace('/', "~1")
                );
                match g.as_str() {
                    Some(g) if crate::GENERATORS.contains(&g) => {}
                    _ => self.bad(
                        gp,
                        format!(
                            "expected a generator name (one of {}), found {g}",
                            crate::GENERATORS.join(", ")
                        ),
                    ),
                }
                defined.insert(format!("gen.{name}"));
            }
            for (j, step) in case.steps.iter().enumerate() {
                self.step(&format!("{p}/steps/{j}"), step, &mut defined, true);
            }
        }
    }

    fn rule(&mut self, ptr: &str, id: &str) {
        if rule(id).is_none() {
            self.bad(
                ptr,
                format!("expected a rule ID of SPEC.md (as in `contactspec rules`), found {id:?}"),
            );
        }
    }

    fn step(&mut self, p: &str, step: &Step, defined: &mut BTreeSet<String>, top: bool) {
        let mut kinds = Vec::new();
        if step.request.is_some() {
            kinds.push(Kind::Request);
        }
        if step.walk.is_some() {
            kinds.push(Kind::Walk);
        }
        if step.sync.is_some() {
            kinds.push(Kind::Sync);
        }
        if step.parallel.is_some() {
            kinds.push(Kind::Parallel);
        }
        if kinds.len() != 1 {
            self.bad(
                p,
                format!(
                    "expected exactly one of `request`, `walk`, `sync`, `parallel` in a step, found {}",
                    kinds.len()
                ),
            );
            return;
        }
        let kind = kinds[0];
        if !top && kind != Kind::Request {
            self.bad(p, "expected only `request` steps inside `between_pages`");
        }
        if let Some(r) = &step.rule {
            self.rule(&format!("{p}/rule"), r);
        }
        if step.expect.is_some() && kind != Kind::Request {
            self.bad(
                format!("{p}/expect"),
                "`expect` belongs to request steps (a burst has `parallel.expect`; walks and syncs check themselves)",
            );
        }
        match kind {
            Kind::Request => {
                let req = step.request.as_ref().expect("kind checked");
                self.request(&format!("{p}/request"), req, defined, false);
                if let Some(e) = &step.expect {
                    self.expect(&format!("{p}/expect"), e, defined, false);
                }
            }
            Kind::Walk => {
                let w = step.walk.as_ref().expect("kind checked");
                let wp = format!("{p}/walk");
                self.templ(&format!("{wp}/path"), &w.path, defined);
                if let Some(q) = &w.query {
                    self.templ(&format!("{wp}/query"), q, defined);
                }
                self.headers(&format!("{wp}/headers"), &w.headers, defined);
                self.ids(
                    &format!("{wp}/expect_ids"),
                    w.expect_ids.as_deref(),
                    defined,
                );
                if w.page_size == Some(0) {
                    self.bad(
                        format!("{wp}/page_size"),
                        "expected a page size of at least 1",
                    );
                }
                for (j, s) in w.between_pages.iter().enumerate() {
                    self.step(&format!("{wp}/between_pages/{j}"), s, defined, false);
                }
            }
            Kind::Sync => {
                let s = step.sync.as_ref().expect("kind checked");
                let sp = format!("{p}/sync");
                match (&s.path, &s.url) {
                    (None, None) => self.bad(&sp, "expected `path` or `url` in a sync step"),
                    (Some(path), _) => self.templ(&format!("{sp}/path"), path, defined),
                    _ => {}
                }
                if let Some(u) = &s.url {
                    self.templ(&format!("{sp}/url"), u, defined);
                }
                if let Some(q) = &s.query {
                    self.templ(&format!("{sp}/query"), q, defined);
                }
                self.headers(&format!("{sp}/headers"), &s.headers, defined);
                self.ids(
                    &format!("{sp}/expect_ids"),
                    s.expect_ids.as_deref(),
                    defined,
                );
                self.ids(
                    &format!("{sp}/absent_ids"),
                    s.absent_ids.as_deref(),
                    defined,
                );
                for (id, want) in &s.entities {
                    let ep = format!("{sp}/entities/{}", id.replace('~', "~0").replace('/', "~1"));
                    self.templ(&ep, id, defined);
                    self.matcher_json(&ep, want, defined);
                }
                if s.max_page_size == Some(0) {
                    self.bad(
                        format!("{sp}/max_page_size"),
                        "expected a page size of at least 1",
                    );
                }
                for (j, st) in s.between_pages.iter().enumerate() {
                    self.step(&format!("{sp}/between_pages/{j}"), st, defined, false);
                }
            }
            Kind::Parallel => {
                let par = step.parallel.as_ref().expect("kind checked");
                let pp = format!("{p}/parallel");
                if par.count == 0 || par.count > 64 {
                    self.bad(format!("{pp}/count"), "expected a count from 1 to 64");
                }
                if par.repeat == 0 || par.repeat > 100 {
                    self.bad(format!("{pp}/repeat"), "expected a repeat from 1 to 100");
                }
                let mut inner = defined.clone();
                inner.insert("i".into());
                self.request(&format!("{pp}/request"), &par.request, &inner, true);
                if let Some(e) = &par.expect {
                    self.expect(&format!("{pp}/expect"), e, &inner, true);
                }
            }
        }
        for (name, source) in &step.capture {
            let cp = format!("{p}/capture/{}", name.replace('~', "~0").replace('/', "~1"));
            let builtin: &[&str] = match kind {
                Kind::Request => &[],
                Kind::Walk => &["pages", "count"],
                Kind::Sync => &["delta_link", "first_delta_link", "next_links", "pages"],
                Kind::Parallel => &["ids", "bodies"],
            };
            let ok = if kind == Kind::Request {
                source.is_empty() || source.starts_with('/') || source.starts_with("header:")
            } else {
                builtin.contains(&source.as_str())
            };
            if !ok {
                let want = if kind == Kind::Request {
                    "a JSON pointer (`/Id`, `\"\"` for the whole body) or `header:Name`".to_string()
                } else {
                    format!("one of {builtin:?}")
                };
                self.bad(
                    cp,
                    format!("expected {want} as a capture source, found {source:?}"),
                );
            }
            if template::BUILTINS.contains(&name.as_str()) || name == "i" {
                self.bad(
                    format!("{p}/capture"),
                    format!("capture name {name:?} hides a built-in template name"),
                );
            }
            defined.insert(name.clone());
        }
    }

    fn request(&mut self, p: &str, r: &Request, defined: &BTreeSet<String>, _burst: bool) {
        if let Some(m) = &r.method {
            let ok = !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphabetic());
            if !ok {
                self.bad(
                    format!("{p}/method"),
                    format!("expected an HTTP method, found {m:?}"),
                );
            }
        }
        match (&r.path, &r.url) {
            (Some(path), None) => self.templ(&format!("{p}/path"), path, defined),
            (None, Some(url)) => self.templ(&format!("{p}/url"), url, defined),
            _ => self.bad(p, "expected exactly one of `path` and `url` in a request"),
        }
        if let Some(q) = &r.query {
            self.templ(&format!("{p}/query"), q, defined);
        }
        self.headers(&format!("{p}/headers"), &r.headers, defined);
        let bodies = [
            r.json.is_some(),
            r.text.is_some(),
            r.image.is_some(),
            r.bytes.is_some(),
            r.base64.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if bodies > 1 {
            self.bad(
                p,
                "expected at most one body member (`json`, `text`, `image`, `bytes`, `base64`)",
            );
        }
        if let Some(j) = &r.json {
            self.json_templates(&format!("{p}/json"), j, defined);
        }
        if let Some(t) = &r.text {
            self.templ(&format!("{p}/text"), t, defined);
        }
        if let Some(b) = &r.base64 {
            use base64::Engine;
            if base64::engine::general_purpose::STANDARD.decode(b).is_err() {
                self.bad(format!("{p}/base64"), "expected standard base64");
            }
        }
        if let Some(img) = &r.image
            && (img.width == 0 || img.height == 0)
        {
            self.bad(
                format!("{p}/image"),
                "expected a width and height of at least 1",
            );
        }
    }

    fn headers(
        &mut self,
        p: &str,
        h: &std::collections::BTreeMap<String, HeaderValues>,
        defined: &BTreeSet<String>,
    ) {
        for (name, v) in h {
            let hp = format!("{p}/{}", name.replace('~', "~0").replace('/', "~1"));
            if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                self.bad(&hp, format!("expected a valid header name, found {name:?}"));
            }
            for (k, line) in v.lines().iter().enumerate() {
                let lp = match v {
                    HeaderValues::One(_) => hp.clone(),
                    HeaderValues::Many(_) => format!("{hp}/{k}"),
                };
                self.templ(&lp, line, defined);
            }
        }
    }

    fn ids(&mut self, p: &str, ids: Option<&[String]>, defined: &BTreeSet<String>) {
        for (i, id) in ids.unwrap_or_default().iter().enumerate() {
            self.templ(&format!("{p}/{i}"), id, defined);
        }
    }

    fn templ(&mut self, p: &str, s: &str, defined: &BTreeSet<String>) {
        match template::parse(s) {
            Err(e) => self.bad(p, format!("expected a valid template: {e}")),
            Ok(parts) => {
                for part in parts {
                    if let template::Part::Var { name, .. } = part
                        && !defined.contains(template::base_name(&name))
                    {
                        self.bad(
                            p,
                            format!(
                                "expected a built-in template name or a capture of an earlier step, found `{{{{{name}}}}}`"
                            ),
                        );
                    }
                }
            }
        }
    }

    fn json_templates(&mut self, p: &str, v: &Value, defined: &BTreeSet<String>) {
        match v {
            Value::String(s) => self.templ(p, s, defined),
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.json_templates(&format!("{p}/{i}"), x, defined);
                }
            }
            Value::Object(o) => {
                for (k, x) in o {
                    let kp = format!("{p}/{}", k.replace('~', "~0").replace('/', "~1"));
                    self.json_templates(&kp, x, defined);
                }
            }
            _ => {}
        }
    }

    fn matcher_json(&mut self, p: &str, v: &Value, defined: &BTreeSet<String>) {
        match v {
            Value::String(s) => self.templ(p, s, defined),
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.matcher_json(&format!("{p}/{i}"), x, defined);
                }
            }
            Value::Object(o) => {
                if o.len() == 1 {
                    let (k, x) = o.iter().next().expect("one member");
                    if k.starts_with('$') {
                        let kp = format!("{p}/{}", k.replace('~', "~0").replace('/', "~1"));
                        if !MATCHERS.contains(&k.as_str()) {
                            self.bad(
                                kp,
                                format!(
                                    "expected a matcher ({}), found {k:?}",
                                    MATCHERS.join(", ")
                                ),
                            );
                            return;
                        }
                        self.matcher_arg(&kp, k, x, defined);
                        return;
                    }
                }
                for (k, x) in o {
                    let kp = format!("{p}/{}", k.replace('~', "~0").replace('/', "~1"));
                    self.matcher_json(&kp, x, defined);
                }
            }
            _ => {}
        }
    }

    #[allow(clippy::collapsible_match)]
    fn matcher_arg(&mut self, p: &str, k: &str, x: &Value, defined: &BTreeSet<String>) {
        match k {
            "$absent" | "$null_or_absent" | "$present" => {
                if x != &Value::Bool(true) {
                    self.bad(p, format!("expected `true` as the argument of {k}"));
                }
            }
            "$regex" => match x.as_str() {
                Some(r) => {
                    if let Err(e) = regex::Regex::new(r) {
                        self.bad(p, format!("expected a valid regex: {e}"));
                    }
                }
                None => self.bad(p, "expected a string regex"),
            },
            "$instant" => match x.as_str() {
                Some(s) if s.contains("{{") => self.templ(p, s, defined),
                Some(s) if crate::time::parse_instant(s).is_some() => {}
                _ => self.bad(p, "expected a DateTimeOffset with `Z` or an offset"),
            },
            "$wall" => match x.as_str() {
                Some(s) if s.contains("{{") => self.templ(p, s, defined),
                Some(s) if crate::time::parse_wall(s).is_some() => {}
                _ => self.bad(p, "expected a wall time `YYYY-MM-DDThh:mm:ss[.f]`"),
            },
            "$ci" => match x.as_str() {
                Some(s) => self.templ(p, s, defined),
                None => self.bad(p, "expected a string"),
            },
            "$type" => {
                let ok = matches!(
                    x.as_str(),
                    Some("string" | "number" | "integer" | "boolean" | "null" | "array" | "object")
                );
                if !ok {
                    self.bad(
                        p,
                        "expected one of string, number, integer, boolean, null, array, object",
                    );
                }
            }
            "$one_of" | "$unordered" => match x.as_array() {
                Some(a) => {
                    for (i, y) in a.iter().enumerate() {
                        self.matcher_json(&format!("{p}/{i}"), y, defined);
                    }
                }
                None => self.bad(p, format!("expected an array as the argument of {k}")),
            },
            _ => {}
        }
    }

    fn expect(&mut self, p: &str, e: &Expect, defined: &BTreeSet<String>, burst: bool) {
        if let Some(s) = &e.status {
            for code in s.list() {
                if !(100..=599).contains(&code) {
                    self.bad(
                        format!("{p}/status"),
                        format!("expected an HTTP status, found {code}"),
                    );
                }
            }
        }
        for (name, h) in &e.headers {
            let hp = format!("{p}/headers/{}", name.replace('~', "~0").replace('/', "~1"));
            let ops = [
                h.present.is_some(),
                h.absent.is_some(),
                h.equals.is_some(),
                h.matches.is_some(),
                h.contains.is_some(),
                h.not_contains.is_some(),
                h.equals_capture.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
            if ops != 1 {
                self.bad(
                    &hp,
                    "expected exactly one of `present`, `absent`, `equals`, `matches`, `contains`, `not_contains`, `equals_capture`",
                );
            }
            if let Some(r) = &h.rule {
                self.rule(&format!("{hp}/rule"), r);
            }
            if let Some(m) = &h.matches
                && let Err(err) = regex::Regex::new(m)
            {
                self.bad(
                    format!("{hp}/matches"),
                    format!("expected a valid regex: {err}"),
                );
            }
            if let Some(v) = &h.equals {
                self.templ(&format!("{hp}/equals"), v, defined);
            }
            if let Some(c) = &h.equals_capture
                && !defined.contains(c)
            {
                self.bad(
                    format!("{hp}/equals_capture"),
                    format!("expected a capture of an earlier step, found {c:?}"),
                );
            }
        }
        if let Some(s) = &e.schema
            && let Some(known) = self.schemas
            && !known.contains(s)
        {
            let list: Vec<&str> = known.iter().map(String::as_str).collect();
            self.bad(
                format!("{p}/schema"),
                format!("expected a schema name ({}), found {s:?}", list.join(", ")),
            );
        }
        if let Some(j) = &e.json {
            self.matcher_json(&format!("{p}/json"), j, defined);
        }
        if let Some(codes) = &e.error {
            for (i, c) in codes.list().iter().enumerate() {
                if ErrorCode::parse(c).is_none() {
                    let cp = match codes {
                        Codes::One(_) => format!("{p}/error"),
                        Codes::Many(_) => format!("{p}/error/{i}"),
                    };
                    self.bad(
                        cp,
                        format!("expected an error code of SPEC.md §9, found {c:?}"),
                    );
                }
            }
        }
        for (i, a) in e.assert.iter().enumerate() {
            let ap = format!("{p}/assert/{i}");
            let ops = [
                a.equals.is_some(),
                a.not_equals.is_some(),
                a.count.is_some(),
                a.count_at_most.is_some(),
                a.count_at_least.is_some(),
                a.absent.is_some(),
                a.present.is_some(),
                a.changed_from.is_some(),
                a.unchanged_from.is_some(),
                a.not_before.is_some(),
                a.ids.is_some(),
                a.ids_unordered.is_some(),
                a.not_ids.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
            if ops != 1 {
                self.bad(&ap, "expected exactly one operator in an assertion");
            }
            if !a.path.is_empty() && !a.path.starts_with('/') {
                self.bad(
                    format!("{ap}/path"),
                    "expected a JSON pointer (`/Id`, `\"\"` for the root)",
                );
            }
            if let Some(r) = &a.rule {
                self.rule(&format!("{ap}/rule"), r);
            }
            for (name, v) in [("equals", &a.equals), ("not_equals", &a.not_equals)] {
                if let Some(v) = v {
                    self.matcher_json(&format!("{ap}/{name}"), v, defined);
                }
            }
            for (name, c) in [
                ("changed_from", &a.changed_from),
                ("unchanged_from", &a.unchanged_from),
                ("not_before", &a.not_before),
            ] {
                if let Some(c) = c
                    && !defined.contains(c)
                {
                    self.bad(
                        format!("{ap}/{name}"),
                        format!("expected a capture of an earlier step, found {c:?}"),
                    );
                }
            }
            for (name, ids) in [
                ("ids", &a.ids),
                ("ids_unordered", &a.ids_unordered),
                ("not_ids", &a.not_ids),
            ] {
                self.ids(&format!("{ap}/{name}"), ids.as_deref(), defined);
            }
        }
        for (i, c) in e.checks.iter().enumerate() {
            if !CHECKS.contains(&c.as_str()) {
                self.bad(
                    format!("{p}/checks/{i}"),
                    format!(
                        "expected a named check ({}), found {c:?}",
                        CHECKS.join(", ")
                    ),
                );
            } else if c == "distinct_ids" && !burst {
                self.bad(
                    format!("{p}/checks/{i}"),
                    "`distinct_ids` applies to `parallel` steps only",
                );
            }
        }
        if let Some(BodyExpect::Text { text }) = &e.body {
            self.templ(&format!("{p}/body/text"), text, defined);
        }
    }
}
