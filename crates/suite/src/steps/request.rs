//! Request steps: building the request from the case, sending it, checking it, capturing.

use crate::case::{Request, Step, TokenChoice};
use crate::client::{Exchange, Received, SentRequest};
use crate::expect::{EvalCtx, Finding, evaluate, level_of};
use crate::runner::CaseRun;
use crate::template::{Part, Scope, Target, parse};
use base64::Engine;
use serde_json::Value;

/// A request ready to send, with what the checks need to know about it.
pub(crate) struct Built {
    pub sent: SentRequest,
    pub token: TokenChoice,
    pub json: Option<Value>,
    pub image: Option<Vec<u8>>,
}

impl CaseRun<'_> {
    /// The `Authorization` value for a token choice.
    pub(crate) fn auth(&self, token: TokenChoice) -> Result<Option<String>, String> {
        let c = &self.runner.config;
        Ok(match token {
            TokenChoice::A => Some(format!("Bearer {}", c.token_a)),
            TokenChoice::B => match &c.token_b {
                Some(t) => Some(format!("Bearer {t}")),
                None => return Err("the step uses token b but no second token was given (add \"requires\": [\"second_token\"])".into()),
            },
            TokenChoice::None => None,
            TokenChoice::Invalid => Some(format!("Bearer contactspec-invalid-{}", self.marker)),
        })
    }

    /// An absolute URL from `path` or `url` plus `query`.
    pub(crate) fn url(
        &self,
        path: Option<&str>,
        url: Option<&str>,
        query: Option<&str>,
        scope: &Scope,
    ) -> Result<String, String> {
        let mut u = match (path, url) {
            (Some(p), _) => {
                let p = scope.expand(p, Target::Url).map_err(|e| e.to_string())?;
                format!("{}/{}", self.runner.config.base, p.trim_start_matches('/'))
            }
            (None, Some(u)) => match parse(u).map_err(|e| e.to_string())?.as_slice() {
                [Part::Var { name, .. }] => {
                    crate::template::as_text(scope.get(name).map_err(|e| e.to_string())?)
                }
                _ => scope.expand(u, Target::Url).map_err(|e| e.to_string())?,
            },
            (None, None) => return Err("the request has neither `path` nor `url`".into()),
        };
        if let Some(q) = query {
            let q = scope.expand(q, Target::Url).map_err(|e| e.to_string())?;
            u.push(if u.contains('?') { '&' } else { '?' });
            u.push_str(&q);
        }
        Ok(u)
    }

    /// Builds the request of a step.
    pub(crate) fn build(
        &self,
        req: &Request,
        scope: &Scope,
        index: usize,
    ) -> Result<Built, String> {
        let token = req.token.unwrap_or_default();
        let url = self.url(
            req.path.as_deref(),
            req.url.as_deref(),
            req.query.as_deref(),
            scope,
        )?;
        let mut headers = Vec::new();
        for (name, values) in &req.headers {
            for line in values.lines() {
                headers.push((
                    name.clone(),
                    scope
                        .expand(line, Target::Plain)
                        .map_err(|e| e.to_string())?,
                ));
            }
        }
        let has = |headers: &Vec<(String, String)>, n: &str| {
            headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n))
        };
        if !has(&headers, "authorization")
            && let Some(a) = self.auth(token)?
        {
            headers.push(("Authorization".into(), a));
        }
        let mut json = None;
        let mut image = None;
        let (body, ctype): (Option<Vec<u8>>, Option<&str>) = if let Some(j) = &req.json {
            let v = scope.expand_json(j).map_err(|e| e.to_string())?;
            let bytes = serde_json::to_vec(&v).map_err(|e| e.to_string())?;
            json = Some(v);
            (Some(bytes), Some("application/json"))
        } else if let Some(t) = &req.text {
            (
                Some(
                    scope
                        .expand(t, Target::Plain)
                        .map_err(|e| e.to_string())?
                        .into_bytes(),
                ),
                Some("application/json"),
            )
        } else if let Some(spec) = &req.image {
            let bytes = crate::image::generate(
                spec.format,
                spec.width,
                spec.height,
                self.value_seed(index),
            )
            .map_err(|e| e.to_string())?;
            image = Some(bytes.clone());
            let ct = match spec.format {
                crate::case::ImageFormat::Jpeg => "image/jpeg",
                crate::case::ImageFormat::Png => "image/png",
            };
            (Some(bytes), Some(ct))
        } else if let Some(b) = &req.bytes {
            let bytes = vec![b.fill; b.len];
            image = Some(bytes.clone());
            (Some(bytes), None)
        } else if let Some(b64) = &req.base64 {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| format!("bad base64 body: {e}"))?;
            image = Some(bytes.clone());
            (Some(bytes), None)
        } else {
            (None, None)
        };
        if let Some(ct) = ctype
            && !has(&headers, "content-type")
        {
            headers.push(("Content-Type".into(), ct.into()));
        }
        Ok(Built {
            sent: SentRequest {
                method: req
                    .method
                    .clone()
                    .unwrap_or_else(|| "GET".into())
                    .to_ascii_uppercase(),
                url,
                headers,
                body,
            },
            token,
            json,
            image,
        })
    }

    /// GEN-NO-5XX on any response.
    pub(crate) fn no_5xx(&self, r: &Received) -> Option<Finding> {
        (r.status >= 500 && self.runner.selection.checks_rule("GEN-NO-5XX")).then(|| Finding {
            rules: vec!["GEN-NO-5XX".into()],
            level: level_of("GEN-NO-5XX"),
            message: format!("expected no 5xx, found {}", r.status),
        })
    }

    /// Sends a built request; on a transport error or guard refusal records the
    /// failure and returns `None`.
    pub(crate) async fn exchange(
        &mut self,
        built: &Built,
        label: &str,
    ) -> Option<(Exchange, Received)> {
        let ex = match self.send(built.sent.clone(), built.token).await {
            Ok(ex) => ex,
            Err(refused) => {
                self.fail(label, Vec::new(), refused, None);
                return None;
            }
        };
        match &ex.response {
            Ok(r) => {
                let r = r.clone();
                if r.status == 429 && r.header("retry-after").is_some() {
                    // GEN-NO-5XX: rate limiting is allowed; it is never a rule failure.
                    let msg = format!(
                        "the target kept answering 429 (Retry-After) after {} retries; not a rule failure, the case could not be checked",
                        crate::client::MAX_429_RETRIES
                    );
                    self.fail(label, Vec::new(), msg, Some(&ex));
                    return None;
                }
                if let Some(f) = self.no_5xx(&r) {
                    self.findings(label, vec![f], Some(&ex));
                    return None;
                }
                Some((ex, r))
            }
            Err(e) => {
                let msg = format!(
                    "no response to {} {}: {e}",
                    ex.request.method, ex.request.url
                );
                self.fail(label, Vec::new(), msg, Some(&ex));
                None
            }
        }
    }

    pub(crate) async fn request_step(
        &mut self,
        step: &Step,
        req: &Request,
        label: &str,
        index: usize,
    ) {
        let scope = self.scope.clone();
        let built = match self.build(req, &scope, index) {
            Ok(b) => b,
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
        let Some((ex, resp)) = self.exchange(&built, label).await else {
            return;
        };
        if let Some(e) = &step.expect {
            let findings = {
                let ctx = EvalCtx {
                    scope: &self.scope,
                    schemas: &self.runner.schemas,
                    step_rule: self.step_rule(step),
                    selection: &self.runner.selection,
                    sent_json: built.json.as_ref(),
                    last_image: self.last_image.as_deref(),
                    burst_sent: &self.burst_sent,
                    window: (
                        ex.started,
                        ex.started + chrono::Duration::from_std(ex.elapsed).unwrap_or_default(),
                    ),
                    clock_skew: self.runner.config.clock_skew,
                };
                evaluate(e, &resp, &ctx)
            };
            if !findings.is_empty() {
                self.findings(label, findings, Some(&ex));
                return;
            }
        }
        if (200..300).contains(&resp.status)
            && let Some(img) = built.image
        {
            self.last_image = Some(img);
        }
        self.capture(step, &resp, label, &ex);
    }

    /// Captures `/pointer`, `""` and `header:Name` values of a response.
    pub(crate) fn capture(&mut self, step: &Step, resp: &Received, label: &str, ex: &Exchange) {
        let json = resp.json();
        for (name, source) in &step.capture {
            let value = if let Some(h) = source.strip_prefix("header:") {
                let lines = resp.header_lines(h);
                (!lines.is_empty()).then(|| Value::String(lines.join(", ")))
            } else if source.is_empty() {
                Some(json.clone().unwrap_or_else(|| {
                    Value::String(String::from_utf8_lossy(&resp.body).into_owned())
                }))
            } else {
                json.as_ref().and_then(|j| j.pointer(source)).cloned()
            };
            match value {
                Some(v) => self.scope.set(name.clone(), v),
                None => {
                    let rule = self.step_rule(step).to_string();
                    let msg =
                        format!("cannot capture {name}: the response has nothing at {source:?}");
                    self.fail(label, vec![rule], msg, Some(ex));
                    return;
                }
            }
        }
    }
}
