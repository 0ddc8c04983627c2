//! Runs cases: the run-wide [`Runner`] (client, schemas, discovery, SUITE-SAFE
//! registry, the walk lock) and one [`CaseRun`] per case (marker, captures, cleanup).

use crate::case::{Catalogue, LoadedCase, Step, TokenChoice};
use crate::client::{Exchange, HttpClient, SentRequest};
use crate::discovery::{self, Discovery};
use crate::expect::Finding;
use crate::guard::Registry;
use crate::outcome::{CaseOutcome, CaseStatus, Failure};
use crate::schema::Schemas;
use crate::select::Selection;
use crate::template::{Scope, encode_id};
use contactspec_model::Level;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How to reach the target and how to run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Base URL (a trailing slash is removed).
    pub base: String,
    /// User A's bearer token.
    pub token_a: String,
    /// User B's bearer token.
    pub token_b: Option<String>,
    /// Per-request timeout (connect + headers + body).
    pub timeout: Duration,
    /// Seed of markers and generated values (SUITE-DETERMINISTIC).
    pub seed: u64,
    /// Tolerance of the `clock` check without a `Date` header.
    pub clock_skew: Duration,
    /// Largest response body read.
    pub body_cap: usize,
    /// Cases run at once by [`Runner::run_all`].
    pub concurrency: usize,
    /// Instantiations of each case with generated inputs (`--gen-cases`).
    pub gen_cases: u32,
    /// Where the minimal case of a failed generated case is written (`--save-failures`).
    pub save_failures: Option<std::path::PathBuf>,
}

impl RunConfig {
    /// A configuration with the defaults of `contactspec run`.
    pub fn new(base: &str, token_a: &str, token_b: Option<&str>, seed: u64) -> RunConfig {
        RunConfig {
            base: base.trim_end_matches('/').to_string(),
            token_a: token_a.to_string(),
            token_b: token_b.map(str::to_string),
            timeout: crate::client::DEFAULT_TIMEOUT,
            seed,
            clock_skew: Duration::from_secs(5),
            body_cap: crate::client::DEFAULT_BODY_CAP,
            concurrency: 8,
            gen_cases: 32,
            save_failures: None,
        }
    }
}

/// A 64-bit FNV-1a hash: stable across platforms and releases.
pub fn stable_hash(seed: u64, s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.to_le_bytes().iter().chain(s.as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The case's marker: `cs` + 12 lower-case letters and digits, from (seed, case name) only.
pub fn marker(seed: u64, case: &str) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut h = stable_hash(seed, case);
    let mut s = String::from("cs");
    for _ in 0..12 {
        s.push(DIGITS[(h % 36) as usize] as char);
        h /= 36;
        if h == 0 {
            h = stable_hash(seed ^ 0x9e37_79b9, case);
        }
    }
    s
}

/// Everything shared by the cases of one run.
pub struct Runner {
    /// The configuration.
    pub config: RunConfig,
    /// The HTTP client.
    pub client: HttpClient,
    /// Compiled schemas.
    pub schemas: Schemas,
    /// What is selected.
    pub selection: Selection,
    /// What discovery found.
    pub discovery: Discovery,
    /// What the run created and saw (SUITE-SAFE).
    pub registry: Registry,
    walk_lock: tokio::sync::RwLock<()>,
    stopping: AtomicBool,
    in_flight: AtomicUsize,
}

/// Marks a request in flight until dropped (see [`Runner::interrupt`]).
pub struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Runner {
    /// Builds the client and discovers the target. Never fails on the target: an
    /// unreachable one is recorded in `discovery.unreachable`.
    pub async fn new(
        config: RunConfig,
        schemas: Schemas,
        selection: Selection,
    ) -> Result<Runner, crate::client::TransportError> {
        let client = HttpClient::new(config.timeout, config.body_cap)?;
        let registry = Registry::default();
        let probe_marker = marker(config.seed, "discovery");
        let discovery = discovery::discover(&discovery::Target {
            client: &client,
            base: &config.base,
            token_a: &config.token_a,
            token_b: config.token_b.as_deref(),
            registry: &registry,
            marker: &probe_marker,
        })
        .await;
        Ok(Runner {
            config,
            client,
            schemas,
            selection,
            discovery,
            registry,
            walk_lock: tokio::sync::RwLock::new(()),
            stopping: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
        })
    }

    /// A runner that has not contacted the target (for `--list`): every prerequisite
    /// counts as met and discovered templates have no value.
    pub fn without_discovery(
        config: RunConfig,
        schemas: Schemas,
        selection: Selection,
    ) -> Result<Runner, crate::client::TransportError> {
        let client = HttpClient::new(config.timeout, config.body_cap)?;
        let discovery = Discovery {
            second_token: true,
            other_folder: Some(String::new()),
            child_folder: Some(String::new()),
            ..Discovery::default()
        };
        Ok(Runner {
            config,
            client,
            schemas,
            selection,
            discovery,
            registry: Registry::default(),
            walk_lock: tokio::sync::RwLock::new(()),
            stopping: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
        })
    }

    /// Runs every selected case of the catalogue, `concurrency` at a time, then
    /// deletes anything left over. Unselected cases are not in the result.
    pub async fn run_all(&self, catalogue: &Catalogue) -> Vec<CaseOutcome> {
        use futures_util::StreamExt;
        let selected: Vec<&LoadedCase> = catalogue
            .cases
            .iter()
            .filter(|c| self.selection.selects(c))
            .collect();
        let outcomes = futures_util::stream::iter(selected)
            .map(|c| self.run_case(c))
            .buffered(self.config.concurrency.max(1))
            .collect::<Vec<_>>()
            .await;
        self.cleanup_all().await;
        outcomes
    }

    /// Registers a request about to be sent; refused once the run is interrupted.
    pub fn begin(&self) -> Result<InFlight<'_>, String> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let guard = InFlight(&self.in_flight);
        if self.stopping.load(Ordering::SeqCst) {
            return Err("the run was interrupted; no further requests are sent".to_string());
        }
        Ok(guard)
    }

    /// Stops the run (Ctrl-C): no new requests start, the ones in flight finish (at
    /// most one timeout), then everything the run created is deleted (SUITE-SAFE).
    pub async fn interrupt(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + self.config.timeout + Duration::from_secs(1);
        while self.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.cleanup_all().await;
    }

    /// Deletes every contact the run created and has not deleted yet (404 is fine).
    pub async fn cleanup_all(&self) {
        for (id, token) in self.registry.pending() {
            self.delete_created(&id, token).await;
        }
    }

    async fn delete_created(&self, id: &str, token: TokenChoice) -> Option<Exchange> {
        let tok = match token {
            TokenChoice::B => self.config.token_b.as_deref()?,
            _ => &self.config.token_a,
        };
        let ex = self
            .client
            .send(SentRequest {
                method: "DELETE".into(),
                url: format!("{}/me/contacts/{}", self.config.base, encode_id(id)),
                headers: vec![("Authorization".into(), format!("Bearer {tok}"))],
                body: None,
            })
            .await;
        if let Ok(r) = &ex.response
            && matches!(r.status, 204 | 404)
        {
            self.registry.deleted(id);
        }
        Some(ex)
    }

    /// The scope every case starts with.
    fn base_scope(&self, marker: &str) -> Scope {
        let d = &self.discovery;
        let mut s = Scope::default();
        s.set("marker", json!(marker));
        s.set("base", json!(self.config.base));
        s.set(
            "today",
            json!(chrono::Utc::now().format("%Y-%m-%d").to_string()),
        );
        s.set("fake_id", json!(format!("AAMkAG{marker}AAA=")));
        s.set("token.a", json!(self.config.token_a));
        s.set("open", json!(crate::template::OPEN));
        for (name, v) in [
            ("folder.default", &d.default_folder),
            ("folder.other", &d.other_folder),
            ("folder.parent", &d.parent_folder),
            ("folder.child", &d.child_folder),
            ("folder.empty", &d.empty_folder),
            ("user", &d.user),
            ("b.folder.default", &d.b_default_folder),
        ] {
            if let Some(v) = v {
                s.set(name, json!(v));
            }
        }
        for (n, why) in &d.missing {
            s.missing.insert(n.clone(), why.clone());
        }
        s
    }

    /// Runs one case (whether or not it is selected), cleaning up what it created. A
    /// case with generated inputs runs as a property ([`crate::generated`]).
    pub async fn run_case(&self, case: &LoadedCase) -> CaseOutcome {
        if !case.def.generate.is_empty() {
            if let Some(why) = case
                .def
                .requires
                .iter()
                .find_map(|r| self.discovery.lacks(*r))
            {
                return CaseOutcome {
                    name: case.id.clone(),
                    rules: case.def.rules.clone(),
                    status: CaseStatus::Ignored(why),
                    failed_rules: Vec::new(),
                    duration: Duration::ZERO,
                    requests: 0,
                    failures: Vec::new(),
                    report: String::new(),
                };
            }
            return crate::generated::run_generated(self, case).await;
        }
        self.run_literal_case(case).await
    }

    /// Runs one case with literal values (its `generate` member is ignored).
    pub async fn run_literal_case(&self, case: &LoadedCase) -> CaseOutcome {
        let t0 = Instant::now();
        let base = CaseOutcome {
            name: case.id.clone(),
            rules: case.def.rules.clone(),
            status: CaseStatus::Passed,
            failed_rules: Vec::new(),
            duration: Duration::ZERO,
            requests: 0,
            failures: Vec::new(),
            report: String::new(),
        };
        if let Some(why) = case
            .def
            .requires
            .iter()
            .find_map(|r| self.discovery.lacks(*r))
        {
            return CaseOutcome {
                status: CaseStatus::Ignored(why),
                ..base
            };
        }
        let _guard = if case.exclusive {
            Lock::W(self.walk_lock.write().await)
        } else {
            Lock::R(self.walk_lock.read().await)
        };
        let marker = marker(self.config.seed, &case.id);
        let mut run = CaseRun {
            runner: self,
            case,
            scope: self.base_scope(&marker),
            created: Vec::new(),
            last_image: None,
            burst_sent: Vec::new(),
            failures: Vec::new(),
            requests: 0,
            marker: marker.clone(),
        };
        let steps = &case.def.steps;
        for (i, step) in steps.iter().enumerate() {
            let label = match &step.name {
                Some(n) => format!("step {} \"{n}\"", i + 1),
                None => format!("step {}", i + 1),
            };
            let before = run.failures.len();
            run.step(step, &label, i).await;
            if step.level == Some(crate::case::StepLevel::Should) {
                for f in &mut run.failures[before..] {
                    if !f.rules.is_empty()
                        && !f
                            .rules
                            .iter()
                            .any(|r| r == "GEN-NO-5XX" || r.starts_with("SUITE-"))
                    {
                        f.level = Level::Should;
                    }
                }
            }
            if run.failures.len() > before {
                break;
            }
        }
        run.cleanup().await;
        let failures = run.failures;
        let strict = self.selection.strict;
        let status = if failures.is_empty() {
            CaseStatus::Passed
        } else if failures.iter().any(|f| f.level == Level::Must) || strict {
            CaseStatus::Failed
        } else {
            CaseStatus::Warned
        };
        let mut failed_rules: Vec<String> = Vec::new();
        for f in &failures {
            for r in &f.rules {
                if !failed_rules.contains(r) {
                    failed_rules.push(r.clone());
                }
            }
        }
        let report = if failures.is_empty() {
            String::new()
        } else {
            let mut tokens = vec![(self.config.token_a.as_str(), "CONTACTSPEC_TOKEN")];
            if let Some(b) = &self.config.token_b {
                tokens.push((b.as_str(), "CONTACTSPEC_SECOND_TOKEN"));
            }
            crate::report::render(&case.id, self.config.seed, &marker, &failures, &tokens)
        };
        CaseOutcome {
            status,
            failed_rules,
            duration: t0.elapsed(),
            requests: run.requests,
            failures,
            report,
            ..base
        }
    }
}

enum Lock<'a> {
    R(#[allow(dead_code)] tokio::sync::RwLockReadGuard<'a, ()>),
    W(#[allow(dead_code)] tokio::sync::RwLockWriteGuard<'a, ()>),
}

/// The state of one running case.
pub(crate) struct CaseRun<'r> {
    pub runner: &'r Runner,
    pub case: &'r LoadedCase,
    pub scope: Scope,
    pub created: Vec<(String, TokenChoice)>,
    pub last_image: Option<Vec<u8>>,
    pub burst_sent: Vec<Value>,
    pub failures: Vec<Failure>,
    pub requests: u64,
    pub marker: String,
}

impl CaseRun<'_> {
    /// The rule a step's failures go to.
    pub fn step_rule<'s>(&'s self, step: &'s Step) -> &'s str {
        step.rule.as_deref().unwrap_or_else(|| {
            self.case
                .def
                .rules
                .first()
                .map_or("GEN-BASE", String::as_str)
        })
    }

    /// Records a failure that is not an expectation (transport, template, guard).
    pub fn fail(
        &mut self,
        label: &str,
        rules: Vec<String>,
        message: String,
        exchange: Option<&Exchange>,
    ) {
        let level = rules
            .first()
            .map_or(Level::Must, |r| crate::expect::level_of(r));
        self.failures.push(Failure {
            rules,
            level,
            step: label.to_string(),
            message,
            exchange: exchange.map(|e| Box::new(e.clone())),
        });
    }

    /// Records findings of one exchange.
    pub fn findings(&mut self, label: &str, findings: Vec<Finding>, exchange: Option<&Exchange>) {
        for f in findings {
            self.failures.push(Failure {
                rules: f.rules,
                level: f.level,
                step: label.to_string(),
                message: f.message,
                exchange: exchange.map(|e| Box::new(e.clone())),
            });
        }
    }

    /// A seed for generated values of this case and step (SUITE-DETERMINISTIC).
    pub fn value_seed(&self, step_index: usize) -> u64 {
        crate::runner::stable_hash(
            self.runner.config.seed,
            &format!("{}#{step_index}", self.case.id),
        )
    }

    /// Sends a request after the SUITE-SAFE guard; records created and seen ids.
    pub async fn send(&mut self, req: SentRequest, token: TokenChoice) -> Result<Exchange, String> {
        self.runner
            .registry
            .check(&req.method, &req.url, req.body.as_deref())?;
        let runner = self.runner;
        let _in_flight = runner.begin()?;
        let ex = runner.client.send(req).await;
        self.after_send(&ex, token);
        Ok(ex)
    }

    /// Books an exchange: request count, created contacts, seen ids, deletions.
    pub fn after_send(&mut self, ex: &Exchange, token: TokenChoice) {
        self.requests += 1 + ex.notes.len() as u64;
        let Ok(r) = &ex.response else {
            return;
        };
        let method = ex.request.method.as_str();
        if let Some(j) = r.json() {
            if method.eq_ignore_ascii_case("POST")
                && r.status == 201
                && let Some(id) = j.get("Id").and_then(Value::as_str)
                && matches!(
                    crate::guard::addressed(&ex.request.url),
                    crate::guard::Addressed::Other
                )
            {
                self.runner.registry.created(id, token);
                self.created.push((id.to_string(), token));
            }
            self.runner.registry.saw(&j);
        }
        if method.eq_ignore_ascii_case("DELETE")
            && r.status == 204
            && let crate::guard::Addressed::Contact(id) = crate::guard::addressed(&ex.request.url)
        {
            self.runner.registry.deleted(&id);
        }
    }

    /// Deletes what the case created (pass or fail).
    async fn cleanup(&mut self) {
        for (id, token) in std::mem::take(&mut self.created) {
            if self.runner.registry.is_pending(&id)
                && self.runner.delete_created(&id, token).await.is_some()
            {
                self.requests += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_depend_on_seed_and_case_only() {
        let a = marker(1, "contacts::create::x");
        assert_eq!(a, marker(1, "contacts::create::x"));
        assert_eq!(a.len(), 14);
        assert!(
            a.starts_with("cs")
                && a.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{a}"
        );
        assert_ne!(a, marker(2, "contacts::create::x"));
        assert_ne!(a, marker(1, "contacts::create::y"));
        // A fixed value: the hash is part of SUITE-DETERMINISTIC across releases.
        assert_eq!(stable_hash(0, ""), 12_161_962_213_042_174_405);
    }
}
