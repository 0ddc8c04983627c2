//! Parallel bursts (IN-ISOLATION).

use crate::case::{Parallel, Step};
use crate::expect::{EvalCtx, Finding, evaluate, level_of};
use crate::runner::CaseRun;
use serde_json::{Value, json};

impl CaseRun<'_> {
    pub(crate) async fn parallel_step(
        &mut self,
        step: &Step,
        p: &Parallel,
        label: &str,
        index: usize,
    ) {
        let mut ids = Vec::new();
        let mut bodies = Vec::new();
        let mut sent = Vec::new();
        for round in 0..p.repeat {
            let mut built = Vec::new();
            let mut scopes = Vec::new();
            for i in 0..p.count {
                let mut scope = self.scope.clone();
                scope.set("i", json!(i));
                match self.build(&p.request, &scope, index * 1000 + round * 100 + i) {
                    Ok(b) => built.push(b),
                    Err(e) => {
                        self.fail(
                            label,
                            Vec::new(),
                            format!("cannot build the request: {e}"),
                            None,
                        );
                        return;
                    }
                }
                scopes.push(scope);
            }
            for b in &built {
                if let Err(refused) =
                    self.runner
                        .registry
                        .check(&b.sent.method, &b.sent.url, b.sent.body.as_deref())
                {
                    self.fail(label, Vec::new(), refused, None);
                    return;
                }
            }
            let runner = self.runner;
            let _in_flight = match runner.begin() {
                Ok(g) => g,
                Err(e) => {
                    self.fail(label, Vec::new(), e, None);
                    return;
                }
            };
            let client = &runner.client;
            let exchanges =
                futures_util::future::join_all(built.iter().map(|b| client.send(b.sent.clone())))
                    .await;
            let mut findings_total = 0;
            for ((ex, b), scope) in exchanges.iter().zip(&built).zip(&scopes) {
                self.after_send(ex, b.token);
                sent.push(b.json.clone().unwrap_or(Value::Null));
                let resp = match &ex.response {
                    Ok(r) => r.clone(),
                    Err(e) => {
                        let msg = format!(
                            "no response to {} {}: {e}",
                            ex.request.method, ex.request.url
                        );
                        self.fail(label, Vec::new(), msg, Some(ex));
                        return;
                    }
                };
                if let Some(f) = self.no_5xx(&resp) {
                    self.findings(label, vec![f], Some(ex));
                    return;
                }
                let json = resp.json();
                ids.push(
                    json.as_ref()
                        .and_then(|j| j.get("Id"))
                        .cloned()
                        .unwrap_or(Value::Null),
                );
                bodies.push(json.unwrap_or(Value::Null));
                if let Some(e) = &p.expect {
                    let findings = {
                        let ctx = EvalCtx {
                            scope,
                            schemas: &self.runner.schemas,
                            step_rule: self.step_rule(step),
                            selection: &self.runner.selection,
                            sent_json: b.json.as_ref(),
                            last_image: self.last_image.as_deref(),
                            burst_sent: &self.burst_sent,
                            window: (
                                ex.started,
                                ex.started
                                    + chrono::Duration::from_std(ex.elapsed).unwrap_or_default(),
                            ),
                            clock_skew: self.runner.config.clock_skew,
                        };
                        evaluate(e, &resp, &ctx)
                    };
                    if !findings.is_empty() && findings_total < 3 {
                        findings_total += 1;
                        self.findings(label, findings, Some(ex));
                    }
                }
            }
            if findings_total > 0 {
                return;
            }
        }
        let wants_distinct = p
            .expect
            .as_ref()
            .is_some_and(|e| e.checks.iter().any(|c| c == "distinct_ids"));
        if wants_distinct && self.runner.selection.checks_rule("IN-ISOLATION") {
            let mut seen = std::collections::HashSet::new();
            let dup: Vec<String> = ids
                .iter()
                .filter_map(Value::as_str)
                .filter(|id| !seen.insert(*id))
                .map(str::to_string)
                .collect();
            let missing = ids.iter().filter(|v| !v.is_string()).count();
            if !dup.is_empty() || missing > 0 {
                let msg = format!(
                    "expected {} distinct ids from the burst; {} repeated {dup:?}, {missing} responses without an Id",
                    ids.len(),
                    dup.len()
                );
                self.findings(
                    label,
                    vec![Finding {
                        rules: vec!["IN-ISOLATION".into()],
                        level: level_of("IN-ISOLATION"),
                        message: msg,
                    }],
                    None,
                );
                return;
            }
        }
        self.burst_sent = sent;
        for (name, source) in &step.capture {
            let v = match source.as_str() {
                "ids" => Value::Array(ids.clone()),
                _ => Value::Array(bodies.clone()),
            };
            self.scope.set(name.clone(), v);
        }
    }
}
