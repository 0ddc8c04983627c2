//! Page walks (Q-NEXTLINK and friends) and the helpers sync rounds share.

use crate::case::{Step, TokenChoice, Walk};
use crate::client::{Exchange, Received, SentRequest};
use crate::expect::checks::is_annotation;
use crate::expect::compare::{is_absolute_url, query_map};
use crate::expect::{Finding, level_of};
use crate::runner::CaseRun;
use crate::template::Target;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// Checks that an entity carries exactly `select` plus `Id` and annotations.
pub(crate) fn select_shape(e: &Value, select: &[String]) -> Result<(), String> {
    let Some(o) = e.as_object() else {
        return Err(format!("expected an entity object, found {e}"));
    };
    let mut extra = Vec::new();
    for k in o.keys() {
        if !is_annotation(k) && k != "Id" && !select.iter().any(|s| s == k) {
            extra.push(k.as_str());
        }
    }
    let missing: Vec<&str> = select
        .iter()
        .map(String::as_str)
        .filter(|s| !o.contains_key(*s))
        .collect();
    let id = o
        .get("Id")
        .map_or("?".to_string(), crate::template::as_text);
    if !extra.is_empty() || !missing.is_empty() || !o.contains_key("Id") {
        return Err(format!(
            "entity {id}: expected exactly Id, {} and annotations; extra {extra:?}, missing {missing:?}{}",
            select.join(", "),
            if o.contains_key("Id") { "" } else { ", no Id" }
        ));
    }
    Ok(())
}

impl CaseRun<'_> {
    pub(crate) fn finding(&self, id: &str, message: String) -> Option<Finding> {
        self.runner.selection.checks_rule(id).then(|| Finding {
            rules: vec![id.to_string()],
            level: level_of(id),
            message,
        })
    }

    /// GETs one page; returns the exchange, response and JSON body when it is a 200
    /// collection, otherwise records the failure (against `rule`) and returns `None`.
    pub(crate) async fn page(
        &mut self,
        url: String,
        extra: &[(String, String)],
        token: TokenChoice,
        label: &str,
        rule: &str,
    ) -> Option<(Exchange, Received, Value)> {
        let mut headers: Vec<(String, String)> = extra.to_vec();
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        {
            match self.auth(token) {
                Ok(Some(a)) => headers.push(("Authorization".into(), a)),
                Ok(None) => {}
                Err(e) => {
                    self.fail(label, Vec::new(), e, None);
                    return None;
                }
            }
        }
        let built = super::request::Built {
            sent: SentRequest {
                method: "GET".into(),
                url,
                headers,
                body: None,
            },
            token,
            json: None,
            image: None,
        };
        let (ex, resp) = self.exchange(&built, label).await?;
        let json = resp.json();
        let problem = if resp.status != 200 {
            Some(format!("expected 200 with a page, found {}", resp.status))
        } else {
            match &json {
                Some(j) if j.get("value").is_some_and(Value::is_array) => None,
                _ => Some("expected a collection ({\"value\": [...]})".to_string()),
            }
        };
        if let Some(p) = problem {
            // Always record it: the walk cannot go on.
            let f = Finding {
                rules: vec![rule.to_string()],
                level: level_of(rule),
                message: p,
            };
            self.findings(label, vec![f], Some(&ex));
            return None;
        }
        Some((ex, resp, json.unwrap_or(Value::Null)))
    }

    /// Runs the `between_pages` steps once; returns false if one failed.
    pub(crate) async fn between(&mut self, steps: &[Step], label: &str, index: usize) -> bool {
        for (k, s) in steps.iter().enumerate() {
            let before = self.failures.len();
            let l = format!("{label}, between pages {}", k + 1);
            if let Some(req) = &s.request {
                self.request_step(s, req, &l, index * 100 + k + 1).await;
            }
            if self.failures.len() > before {
                return false;
            }
        }
        true
    }

    pub(crate) fn expand_ids(
        &mut self,
        ids: Option<&[String]>,
        label: &str,
    ) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for id in ids.unwrap_or_default() {
            match self.scope.expand(id, Target::Plain) {
                Ok(v) => out.push(v),
                Err(e) => {
                    self.fail(label, Vec::new(), e.to_string(), None);
                    return None;
                }
            }
        }
        Some(out)
    }

    pub(crate) async fn walk_step(&mut self, step: &Step, w: &Walk, label: &str, index: usize) {
        let rule = self.step_rule(step).to_string();
        let token = w.token.unwrap_or_default();
        let scope = self.scope.clone();
        let first = match self.url(Some(&w.path), None, w.query.as_deref(), &scope) {
            Ok(u) => u,
            Err(e) => {
                self.fail(
                    label,
                    Vec::new(),
                    format!("cannot build the request: {e}"),
                    None,
                );
                return;
            }
        };
        let mut headers = Vec::new();
        for (name, values) in &w.headers {
            for line in values.lines() {
                match scope.expand(line, Target::Plain) {
                    Ok(v) => headers.push((name.clone(), v)),
                    Err(e) => {
                        self.fail(label, Vec::new(), e.to_string(), None);
                        return;
                    }
                }
            }
        }
        let Some(expect_ids) = self.expand_ids(w.expect_ids.as_deref(), label) else {
            return;
        };
        let original = query_map(&first);
        let max_pages = w.max_pages.unwrap_or(1000);
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut pages = 0usize;
        let mut next = Some(first);
        let mut findings: Vec<Finding> = Vec::new();
        let mut last_ex = None;
        // Once `between_pages` has run, the collection changed: Q-NEXTLINK's and
        // Q-ORDER-STABLE's "while unchanged" clauses no longer apply, and a repeated
        // entity is judged by the step's rule (Q-NEXTLINK-LIVE) through `expect_ids`.
        let live = !w.between_pages.is_empty();
        while let Some(url) = next.take() {
            if pages >= max_pages {
                findings.extend(self.finding(
                    "Q-NEXTLINK",
                    format!("the walk did not end within {max_pages} pages"),
                ));
                break;
            }
            let h = if pages == 0 {
                headers.clone()
            } else {
                Vec::new()
            };
            let Some((ex, _resp, body)) = self.page(url, &h, token, label, &rule).await else {
                return;
            };
            pages += 1;
            let value = body["value"].as_array().cloned().unwrap_or_default();
            if pages > 1 && value.is_empty() && !live {
                findings.extend(self.finding(
                    "Q-NEXTLINK",
                    format!(
                        "page {pages}, reached by the next link of page {}, is empty: page {} was the last page and should not have carried a link",
                        pages - 1,
                        pages - 1
                    ),
                ));
            }
            if let Some(n) = w.page_size
                && value.len() > n
            {
                findings.extend(self.finding(
                    &rule,
                    format!(
                        "page {pages}: expected at most {n} entities, found {}",
                        value.len()
                    ),
                ));
            }
            for e in &value {
                let id = e
                    .get("Id")
                    .map_or_else(|| "(no Id)".to_string(), crate::template::as_text);
                let c = seen.entry(id.clone()).or_insert(0);
                *c += 1;
                if *c == 2 && !live {
                    findings.extend(self.finding(
                        "Q-ORDER-STABLE",
                        format!("page {pages}: entity {id} was already visited on an earlier page"),
                    ));
                }
                order.push(id);
                if let Some(sel) = &w.select
                    && let Err(m) = select_shape(e, sel)
                {
                    findings.extend(self.finding("Q-SELECT", format!("page {pages}: {m}")));
                }
            }
            if let Some(link) = body.get("@odata.nextLink") {
                let link = link.as_str().unwrap_or_default().to_string();
                if !is_absolute_url(&link) {
                    findings.extend(self.finding(
                        "Q-NEXTLINK",
                        format!("page {pages}: @odata.nextLink {link:?} is not an absolute URL"),
                    ));
                } else if let Err(m) = reproduces(&original, &link) {
                    findings.extend(self.finding("Q-NEXTLINK", format!("page {pages}: {m}")));
                }
                if value.is_empty() {
                    findings.extend(self.finding(
                        "Q-NEXTLINK",
                        format!("page {pages} has a next link but no entities"),
                    ));
                }
                if is_absolute_url(&link) {
                    next = Some(link);
                }
            }
            if !findings.is_empty() {
                self.findings(label, findings, Some(&ex));
                return;
            }
            last_ex = Some(ex);
            if pages == 1
                && !w.between_pages.is_empty()
                && !self.between(&w.between_pages, label, index).await
            {
                return;
            }
        }
        let mut problems = Vec::new();
        for id in &expect_ids {
            match seen.get(id).copied().unwrap_or(0) {
                1 => {}
                n => problems.push(format!("{id} visited {n} times (expected once)")),
            }
        }
        if w.ordered && problems.is_empty() {
            let got: Vec<&String> = order.iter().filter(|i| expect_ids.contains(i)).collect();
            let want: Vec<&String> = expect_ids.iter().collect();
            if got != want {
                problems.push(format!("expected the order {want:?}, visited {got:?}"));
            }
        }
        if !problems.is_empty()
            && let Some(f) = self.finding(
                &rule,
                format!("over {pages} pages: {}", problems.join("; ")),
            )
        {
            self.findings(label, vec![f], last_ex.as_ref());
            return;
        }
        for (name, source) in &step.capture {
            let v = match source.as_str() {
                "pages" => json!(pages),
                _ => json!(order.len()),
            };
            self.scope.set(name.clone(), v);
        }
    }
}

/// Whether a next link reproduces the original `$select`, `$filter`, `$orderby`
/// (SPEC.md §0 comparison) or leaves them to an opaque token.
pub(crate) fn reproduces(
    original: &BTreeMap<String, Vec<String>>,
    link: &str,
) -> Result<(), String> {
    let got = query_map(link);
    let opaque = got
        .keys()
        .any(|k| !k.starts_with('$') || k.contains("token"));
    for opt in ["$select", "$filter", "$orderby"] {
        let Some(want) = original.get(opt) else {
            continue;
        };
        match got.get(opt) {
            Some(have) if have == want => {}
            Some(have) => {
                return Err(format!(
                    "the next link changes {opt}: expected {want:?}, found {have:?}"
                ));
            }
            None if opaque => {}
            None => return Err(format!("the next link drops {opt} and carries no token")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_reproduction() {
        let orig = query_map("http://h/x?$filter=Surname%20eq%20'a%2Bb'&$select=GivenName");
        assert!(
            reproduces(
                &orig,
                "http://h/x?%24filter=Surname+eq+%27a%2Bb%27&$select=GivenName&$skip=2"
            )
            .is_ok()
        );
        assert!(reproduces(&orig, "http://h/x?$skiptoken=abc").is_ok());
        assert!(
            reproduces(
                &orig,
                "http://h/x?$filter=Surname%20eq%20'a%20b'&$select=GivenName&$skip=2"
            )
            .is_err()
        );
        assert!(reproduces(&orig, "http://h/x?$skip=2").is_err());
    }

    #[test]
    fn select_shapes() {
        let sel = vec!["GivenName".to_string()];
        assert!(
            select_shape(
                &json!({"Id": "1", "GivenName": null, "@odata.etag": "x"}),
                &sel
            )
            .is_ok()
        );
        assert!(select_shape(&json!({"Id": "1", "GivenName": "a", "Surname": "b"}), &sel).is_err());
        assert!(select_shape(&json!({"GivenName": "a"}), &sel).is_err());
    }
}
