//! Sync rounds (SPEC.md §6).

use super::walk::select_shape;
use crate::case::{Step, Sync};
use crate::expect::Finding;
use crate::expect::compare::{is_absolute_url, list_contains};
use crate::runner::CaseRun;
use crate::template::{Part, Target, parse};
use serde_json::{Value, json};
use std::collections::HashMap;

impl CaseRun<'_> {
    pub(crate) async fn sync_step(&mut self, step: &Step, s: &Sync, label: &str, index: usize) {
        let rule = self.step_rule(step).to_string();
        let token = s.token.unwrap_or_default();
        let scope = self.scope.clone();
        let mut headers = vec![("Prefer".to_string(), "odata.track-changes".to_string())];
        if let Some(n) = s.max_page_size {
            headers.push(("Prefer".to_string(), format!("odata.maxpagesize={n}")));
        }
        for (name, values) in &s.headers {
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
        let Some(expect_ids) = self.expand_ids(s.expect_ids.as_deref(), label) else {
            return;
        };
        let Some(absent_ids) = self.expand_ids(s.absent_ids.as_deref(), label) else {
            return;
        };
        let max_pages = s.max_pages.unwrap_or(1000);
        let mut counts: HashMap<String, usize> = HashMap::new();
        let mut returned: HashMap<String, Value> = HashMap::new();
        let mut pages = 0usize;
        let mut next_links: Vec<Value> = Vec::new();
        let mut first_delta: Option<String> = None;
        let mut final_delta: Option<String> = None;
        let mut last_ex = None;

        // Where the round starts: a fresh request, or a link from an earlier round.
        let (mut next, fresh) = match &s.url {
            Some(u) => {
                let url = match parse(u).map_err(|e| e.to_string()) {
                    Ok(parts) => match parts.as_slice() {
                        [Part::Var { name, .. }] => scope
                            .get(name)
                            .map(crate::template::as_text)
                            .map_err(|e| e.to_string()),
                        _ => scope.expand(u, Target::Url).map_err(|e| e.to_string()),
                    },
                    Err(e) => Err(e),
                };
                match url {
                    Ok(u) => (u, false),
                    Err(e) => {
                        self.fail(label, Vec::new(), e, None);
                        return;
                    }
                }
            }
            None => match self.url(s.path.as_deref(), None, s.query.as_deref(), &scope) {
                Ok(u) => (u, true),
                Err(e) => {
                    self.fail(
                        label,
                        Vec::new(),
                        format!("cannot build the request: {e}"),
                        None,
                    );
                    return;
                }
            },
        };
        let mut first_request = fresh;
        loop {
            if pages >= max_pages {
                let f = self.finding(
                    "SY-ROUND",
                    format!("the round did not end within {max_pages} responses"),
                );
                self.findings(label, f.into_iter().collect(), last_ex.as_ref());
                return;
            }
            let page_rule = if first_request {
                "SY-FIRST"
            } else {
                "SY-FOLLOW"
            };
            let Some((ex, resp, body)) = self
                .page(next.clone(), &headers, token, label, page_rule)
                .await
            else {
                return;
            };
            pages += 1;
            let mut f: Vec<Finding> = Vec::new();
            if !list_contains(
                &resp.header_lines("preference-applied"),
                "odata.track-changes",
            ) {
                f.extend(self.finding(
                    "SY-PREFER",
                    format!("response {pages}: Preference-Applied does not list odata.track-changes (found {:?})", resp.header_lines("preference-applied")),
                ));
            }
            let value = body["value"].as_array().cloned().unwrap_or_default();
            if let Some(n) = s.max_page_size
                && value.len() > n
            {
                f.extend(self.finding(
                    "SY-PAGESIZE",
                    format!(
                        "response {pages}: {} contacts, more than odata.maxpagesize={n}",
                        value.len()
                    ),
                ));
            }
            for e in &value {
                if e.get("@removed").is_some() || e.get("reason").is_some() {
                    f.extend(self.finding(
                        "SY-NO-TOMBSTONE",
                        format!("response {pages}: a removed entry {e}"),
                    ));
                    continue;
                }
                let id = e
                    .get("Id")
                    .map_or_else(|| "(no Id)".to_string(), crate::template::as_text);
                *counts.entry(id.clone()).or_insert(0) += 1;
                if !s.entities.is_empty() {
                    returned.insert(id, e.clone());
                }
                if let Some(sel) = &s.select
                    && let Err(m) = select_shape(e, sel)
                {
                    f.extend(self.finding("SY-SELECT", format!("response {pages}: {m}")));
                }
            }
            let nl = body
                .get("@odata.nextLink")
                .and_then(Value::as_str)
                .map(str::to_string);
            let dl = body
                .get("@odata.deltaLink")
                .and_then(Value::as_str)
                .map(str::to_string);
            let mut stop = false;
            if first_request {
                if nl.is_some() {
                    f.extend(self.finding("SY-FIRST", "the first response of a round carries @odata.nextLink (expected only a delta link)".to_string()));
                }
                match &dl {
                    Some(d) if is_absolute_url(d) => {
                        first_delta = Some(d.clone());
                        next = d.clone();
                    }
                    other => {
                        f.extend(self.finding("SY-FIRST", format!("the first response of a round has no absolute @odata.deltaLink (found {other:?})")));
                        stop = true;
                    }
                }
            } else if let Some(n) = &nl {
                if value.is_empty()
                    && let Some(mut x) = self.finding(
                        "SY-EMPTY",
                        format!("response {pages} has a next link but no contacts"),
                    )
                {
                    x.level = contactspec_model::Level::Should;
                    f.push(x);
                }
                if dl.is_some() {
                    f.extend(self.finding(
                        "SY-FOLLOW",
                        format!("response {pages} carries both a next link and a delta link"),
                    ));
                }
                if is_absolute_url(n) {
                    next_links.push(json!(n));
                    next = n.clone();
                } else {
                    f.extend(self.finding(
                        "SY-FOLLOW",
                        format!("response {pages}: @odata.nextLink {n:?} is not an absolute URL"),
                    ));
                    stop = true;
                }
            } else if let Some(d) = &dl {
                final_delta = Some(d.clone());
                stop = true;
            } else {
                f.extend(self.finding(
                    "SY-ROUND",
                    format!(
                        "response {pages} carries neither @odata.nextLink nor @odata.deltaLink"
                    ),
                ));
                stop = true;
            }
            if !f.is_empty() {
                self.findings(label, f, Some(&ex));
                return;
            }
            if stop {
                last_ex = Some(ex);
                break;
            }
            if pages == 1
                && !s.between_pages.is_empty()
                && !self.between(&s.between_pages, label, index).await
            {
                return;
            }
            first_request = false;
            last_ex = Some(ex);
        }
        let mut problems = Vec::new();
        let dups: Vec<&String> = counts
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(id, _)| id)
            .collect();
        if !dups.is_empty() {
            problems.push(format!("returned more than once: {dups:?}"));
        }
        for id in &expect_ids {
            if counts.get(id).copied().unwrap_or(0) == 0 {
                problems.push(format!("{id} was not returned"));
            }
        }
        for id in &absent_ids {
            if counts.contains_key(id) {
                problems.push(format!("{id} was returned but should not be"));
            }
        }
        for (id, want) in &s.entities {
            let expanded = scope
                .expand(id, Target::Plain)
                .map_err(|e| e.to_string())
                .and_then(|i| {
                    scope
                        .expand_json(want)
                        .map(|w| (i, w))
                        .map_err(|e| e.to_string())
                });
            match expanded {
                Err(e) => problems.push(e),
                Ok((i, w)) => match returned.get(&i) {
                    None => problems.push(format!("{i} was not returned")),
                    Some(e) => {
                        if let Err(m) = crate::expect::subset::matches(&w, Some(e)) {
                            problems.push(format!("{i}: {m}"));
                        }
                    }
                },
            }
        }
        if !problems.is_empty()
            && let Some(f) = self.finding(
                &rule,
                format!("over {pages} responses: {}", problems.join("; ")),
            )
        {
            self.findings(label, vec![f], last_ex.as_ref());
            return;
        }
        for (name, source) in &step.capture {
            let v = match source.as_str() {
                "delta_link" => json!(final_delta),
                "first_delta_link" => json!(first_delta),
                "next_links" => Value::Array(next_links.clone()),
                _ => json!(pages),
            };
            self.scope.set(name.clone(), v);
        }
    }
}
