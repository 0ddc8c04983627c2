//! The run: setup (folders, the fuzzer's own contacts, a sync link), concurrent
//! workers on keep-alive connections, read-backs, findings, progress and cleanup.

use crate::error::FuzzError;
use crate::finding::{self, Finding, Findings};
use crate::oracle::{self, Reply, Violation};
use crate::plan::{
    self, Anchors, Auth, Context, Exact, Folders, Plan, Post, Readback, Target, encode_id,
};
use crate::progress::Progress;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "probe_run.rs"]
mod probe_run;

/// How to run the fuzzer.
#[derive(Debug, Clone)]
pub struct Config {
    /// Base URL of the target (`http://127.0.0.1:8080/api/beta`).
    pub base: String,
    /// Bearer token of the fuzzed user.
    pub token: String,
    /// How long to send requests.
    pub duration: Duration,
    /// Stop after this many requests (fuzz requests, not read-backs), if set.
    pub max_requests: Option<u64>,
    /// Seed of every generated request.
    pub seed: u64,
    /// Concurrent workers (each on its own keep-alive connection).
    pub concurrency: usize,
    /// A request without an answer after this long is a finding (a hang).
    pub timeout: Duration,
    /// Where to save findings (case files and curl scripts).
    pub save: Option<PathBuf>,
    /// Whether 4 MB bodies may be sent (rarely).
    pub huge: bool,
    /// Whether to show progress on stderr.
    pub progress: bool,
    /// Stop as soon as this many distinct findings are known, if set.
    pub stop_after_findings: Option<usize>,
}

impl Config {
    /// Defaults for `base` and `token`: 60 s, seed 1, 32 workers, 10 s timeout.
    pub fn new(base: impl Into<String>, token: impl Into<String>) -> Config {
        Config {
            base: base.into().trim_end_matches('/').to_string(),
            token: token.into(),
            duration: Duration::from_secs(60),
            max_requests: None,
            seed: 1,
            concurrency: 32,
            timeout: Duration::from_secs(10),
            save: None,
            huge: true,
            progress: false,
            stop_after_findings: None,
        }
    }
}

/// What a run did and found.
#[derive(Debug)]
pub struct Report {
    /// Fuzz requests sent (a resend after a dropped keep-alive connection included).
    pub requests: u64,
    /// Requests sent during the fuzzing phase to check what fuzz requests did:
    /// read-backs of touched contacts and photos, sweeps for rejected creates,
    /// deletes of accepted ones, the pages of exact-count walks.
    pub readbacks: u64,
    /// All requests of the run: setup, fuzz requests, read-backs and cleanup.
    pub total_requests: u64,
    /// Wall time of the fuzzing phase.
    pub elapsed: Duration,
    /// Distinct findings, in the order first seen.
    pub findings: Vec<Finding>,
    /// Case files written.
    pub saved: Vec<PathBuf>,
    /// Contacts the run created and deleted again.
    pub deleted: u64,
    /// Problems during cleanup (contacts that could not be deleted).
    pub cleanup_problems: Vec<String>,
}

impl Report {
    /// Fuzz requests per second of the fuzzing phase.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Read-back requests per second of the fuzzing phase.
    pub fn readback_rate(&self) -> f64 {
        self.readbacks as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

struct Shared {
    cfg: Config,
    client: reqwest::Client,
    /// `Bearer <token>`, built once.
    bearer: reqwest::header::HeaderValue,
    /// Fuzz plans drawn (for `max_requests`).
    requests: AtomicU64,
    /// Fuzz requests sent.
    fuzz_sent: AtomicU64,
    /// Every request sent through [`Shared::send`] (fuzz requests, read-backs,
    /// cleanup).
    total: AtomicU64,
    stop: AtomicBool,
    findings: Mutex<Findings>,
    saved: Mutex<Vec<PathBuf>>,
    save_errors: Mutex<Vec<String>>,
    all_contacts: Vec<String>,
    folders: Folders,
    deleted: AtomicU64,
}

/// Runs the fuzzer on a new multi-threaded runtime (for callers without one).
pub fn run_blocking(cfg: Config) -> Result<Report, FuzzError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(FuzzError::Runtime)?;
    rt.block_on(run(cfg))
}

/// How many anchor contacts the run creates (the ground truth of the `$count`
/// oracles): more than one, so small `$top`s walk them over several pages.
const ANCHORS: usize = 3;

fn run_marker(seed: u64) -> String {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
        ^ u64::from(std::process::id());
    format!("fz{:x}n{:x}", seed & 0xffff_ffff, nonce & 0xff_ffff)
}

/// Runs the fuzzer against `cfg.base`.
pub async fn run(cfg: Config) -> Result<Report, FuzzError> {
    let parsed = url::Url::parse(&cfg.base).map_err(|e| FuzzError::BadTarget {
        url: cfg.base.clone(),
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(FuzzError::BadTarget {
            url: cfg.base.clone(),
            reason: "scheme is not http(s)".into(),
        });
    }
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .http1_only()
        .pool_max_idle_per_host(cfg.concurrency * 2 + 4)
        .timeout(cfg.timeout)
        .redirect(reqwest::redirect::Policy::none())
        // Every resend is the engine's own, visible decision (`Worker::one`).
        .retry(reqwest::retry::never())
        .build()
        .map_err(FuzzError::Client)?;
    let run_marker = run_marker(cfg.seed);
    let setup_requests = AtomicU64::new(0);
    let setup = Setup {
        client: &client,
        cfg: &cfg,
        sent: &setup_requests,
    };
    let folders = setup.folders().await?;
    let mut pools = Vec::new();
    let mut all_contacts = Vec::new();
    for _ in 0..cfg.concurrency {
        let mut pool = Vec::new();
        for _ in 0..2 {
            let id = setup.create("Fuzz", &run_marker).await?;
            all_contacts.push(id.clone());
            pool.push(Own {
                id,
                contact: None,
                stale: false,
                photo: None,
            });
        }
        pools.push(pool);
    }
    let mut anchors = Anchors {
        marker: format!("{run_marker}anchor"),
        surname: run_marker.clone(),
        ids: Vec::new(),
    };
    for _ in 0..ANCHORS {
        let id = setup.create(&anchors.marker, &anchors.surname).await?;
        all_contacts.push(id.clone());
        anchors.ids.push(id);
    }
    let (folders, well_known) = probe_run::well_known(&setup, folders, all_contacts.first()).await;
    let delta_link = setup.delta_link().await.ok();
    let bearer =
        reqwest::header::HeaderValue::from_str(&format!("Bearer {}", cfg.token)).map_err(|e| {
            FuzzError::BadTarget {
                url: cfg.base.clone(),
                reason: format!("the token cannot be sent in a header: {e}"),
            }
        })?;
    let shared = Arc::new(Shared {
        cfg: cfg.clone(),
        client,
        bearer,
        requests: AtomicU64::new(0),
        fuzz_sent: AtomicU64::new(0),
        total: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        findings: Mutex::new(Findings::default()),
        saved: Mutex::new(Vec::new()),
        save_errors: Mutex::new(Vec::new()),
        all_contacts,
        folders: folders.clone(),
        deleted: AtomicU64::new(0),
    });
    if let Some(v) = well_known {
        probe_run::report_well_known(&shared, v);
    }
    let start = Instant::now();
    let progress = Progress::start(cfg.progress, shared.clone_counters());
    let mut tasks = Vec::new();
    for (i, pool) in pools.into_iter().enumerate() {
        let ctx = Context {
            run_marker: run_marker.clone(),
            contacts: pool.iter().map(|o| o.id.clone()).collect(),
            folders: folders.clone(),
            delta_link: delta_link.clone(),
            huge: cfg.huge,
            anchors: anchors.clone(),
        };
        let w = Worker {
            shared: shared.clone(),
            index: i,
            ctx,
            pool,
            seq: 0,
            rejected: Vec::new(),
        };
        tasks.push(tokio::spawn(w.run(start + cfg.duration)));
    }
    let ctrl_c = {
        let shared = shared.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                shared.stop.store(true, Ordering::SeqCst);
            }
        })
    };
    for t in tasks {
        let _ = t.await;
    }
    ctrl_c.abort();
    let elapsed = start.elapsed();
    progress.finish();
    let fuzz_sent = shared.fuzz_sent.load(Ordering::Relaxed);
    let readbacks = shared.total.load(Ordering::Relaxed) - fuzz_sent;
    let cleanup_problems = cleanup(&shared, &run_marker, &folders).await;
    let findings =
        std::mem::take(&mut *shared.findings.lock().unwrap_or_else(|p| p.into_inner())).into_vec();
    let mut problems = cleanup_problems;
    problems.extend(
        shared
            .save_errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..),
    );
    let saved = shared
        .saved
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    Ok(Report {
        requests: fuzz_sent,
        readbacks,
        total_requests: shared.total.load(Ordering::Relaxed)
            + setup_requests.load(Ordering::Relaxed),
        elapsed,
        findings,
        saved,
        deleted: shared.deleted.load(Ordering::Relaxed),
        cleanup_problems: problems,
    })
}

/// Counters the progress display reads.
#[derive(Clone)]
pub struct Counters {
    shared: Arc<Shared>,
}

impl Counters {
    /// All requests so far (setup excluded).
    pub fn total(&self) -> u64 {
        self.shared.total.load(Ordering::Relaxed)
    }
    /// Fuzz requests so far.
    pub fn fuzz(&self) -> u64 {
        self.shared.fuzz_sent.load(Ordering::Relaxed)
    }
    /// Distinct findings so far.
    pub fn findings(&self) -> usize {
        self.shared.findings.lock().map(|f| f.len()).unwrap_or(0)
    }
}

impl Shared {
    fn clone_counters(self: &Arc<Self>) -> Counters {
        Counters {
            shared: self.clone(),
        }
    }

    fn url(&self, target: &Target) -> String {
        match target {
            Target::Url(u) => u.clone(),
            Target::Path { path, query } if query.is_empty() => format!("{}/{path}", self.cfg.base),
            Target::Path { path, query } => format!("{}/{path}?{query}", self.cfg.base),
        }
    }

    /// Sends a plan (its body, if any, given as `body`: shared, not copied, so a 4 MB
    /// probe costs one buffer); `Err` carries a transport failure or timeout.
    async fn send(&self, plan: &Plan, body: Option<bytes::Bytes>) -> Result<Reply, SendError> {
        self.total.fetch_add(1, Ordering::Relaxed);
        let method =
            reqwest::Method::from_bytes(plan.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut req = self.client.request(method, self.url(&plan.target));
        match &plan.auth {
            Auth::Token => req = req.header("Authorization", self.bearer.clone()),
            Auth::Missing => {}
            Auth::Header(h) => req = req.header("Authorization", h.as_str()),
        }
        for (n, v) in &plan.headers {
            match reqwest::header::HeaderValue::from_bytes(v) {
                Ok(v) => req = req.header(n.as_str(), v),
                Err(_) => return Err(SendError::Unsendable),
            }
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().await.map_err(SendError::from_reqwest)?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .filter(|(n, _)| oracle::READ_HEADERS.contains(&n.as_str()))
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).to_string(),
                )
            })
            .collect();
        // Without a copy when the buffer is not shared.
        let body = Vec::from(resp.bytes().await.map_err(SendError::from_reqwest)?);
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    async fn simple(
        &self,
        method: &'static str,
        path: String,
        query: String,
    ) -> Result<Reply, SendError> {
        let plan = Plan {
            method,
            target: Target::Path { path, query },
            ..Plan::get()
        };
        self.send(&plan, None).await
    }

    /// Deletes contacts the run created (found by its markers), counting each delete.
    async fn delete_own(&self, ids: impl Iterator<Item = &str>) {
        for id in ids {
            let path = format!("me/contacts/{}", encode_id(id));
            if self.simple("DELETE", path, String::new()).await.is_ok() {
                self.deleted.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn report(&self, plan: &Plan, status: u16, v: Violation, excerpt: &[u8], readback: bool) {
        let key = (plan.endpoint.clone(), status, v.rule);
        if self
            .findings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .hit(&key)
        {
            // A known finding: count it without copying the plan (its body may be 4 MB).
            return;
        }
        let f = Finding {
            rule: v.rule,
            endpoint: plan.endpoint.clone(),
            status,
            detail: v.detail,
            plan: plan.clone(),
            response_excerpt: String::from_utf8_lossy(&excerpt[..excerpt.len().min(600)])
                .to_string(),
            hits: 1,
            readback,
        };
        let mut findings = self.findings.lock().unwrap_or_else(|p| p.into_inner());
        let n = findings.len();
        let is_new = findings.add(f).is_some();
        if self
            .cfg
            .stop_after_findings
            .is_some_and(|m| findings.len() >= m)
        {
            self.stop.store(true, Ordering::Relaxed);
        }
        if is_new
            && let Some(new) = findings.last()
            && let Some(dir) = &self.cfg.save
        {
            match finding::save(
                new,
                dir,
                n + 1,
                &self.cfg.base,
                &self.all_contacts,
                &self.folders,
            ) {
                Ok(p) => self.saved.lock().unwrap_or_else(|p| p.into_inner()).push(p),
                Err(e) => self
                    .save_errors
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(e.to_string()),
            }
        }
    }
}

#[derive(Debug)]
enum SendError {
    Timeout,
    Transport(String),
    Unsendable,
}

impl SendError {
    fn from_reqwest(e: reqwest::Error) -> SendError {
        if e.is_timeout() {
            SendError::Timeout
        } else {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(inner) = src {
                s.push_str(": ");
                s.push_str(&inner.to_string());
                src = inner.source();
            }
            SendError::Transport(s)
        }
    }
}

struct Own {
    id: String,
    /// The body of the last 200 GET of the contact (compared as bytes first, as JSON
    /// only when the bytes differ).
    contact: Option<Vec<u8>>,
    /// Whether `contact` may be out of date (a photo write may change the contact's
    /// version, PH-VERSION): re-read before the next write that compares it.
    stale: bool,
    photo: Option<(u16, Vec<u8>)>,
}

/// A rejected create whose read-back waits for others of the same collection: one
/// GET then sweeps up to [`SWEEP_BATCH`] markers (`GivenName eq 'm1' or …`).
struct Rejected {
    plan: Plan,
    status: u16,
    excerpt: Vec<u8>,
}

/// Rejected creates swept by one GET. Each carries its own marker, so a contact found
/// is attributed to exactly one of them, however late the sweep comes.
const SWEEP_BATCH: usize = 8;

struct Worker {
    shared: Arc<Shared>,
    index: usize,
    ctx: Context,
    pool: Vec<Own>,
    seq: u64,
    /// Rejected creates not yet swept, by collection path.
    rejected: Vec<(String, Vec<Rejected>)>,
}

impl Worker {
    async fn run(mut self, deadline: Instant) {
        let mut rng = ChaCha8Rng::seed_from_u64(
            self.shared.cfg.seed ^ (self.index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let mut buf = vec![0u8; 2048];
        for i in 0..self.pool.len() {
            self.refresh(i, true).await;
        }
        loop {
            if Instant::now() >= deadline || self.shared.stop.load(Ordering::Relaxed) {
                break;
            }
            let n = self.shared.requests.fetch_add(1, Ordering::Relaxed);
            if self.shared.cfg.max_requests.is_some_and(|m| n >= m) {
                break;
            }
            rng.fill_bytes(&mut buf);
            self.seq += 1;
            if buf[0].is_multiple_of(probe_run::PROBE_ONE_IN) {
                self.probe(&mut arbitrary::Unstructured::new(&buf[1..]))
                    .await;
                continue;
            }
            let marker = format!("{}w{}s{}", self.ctx.run_marker, self.index, self.seq);
            let Ok(plan) =
                plan::generate(&mut arbitrary::Unstructured::new(&buf), &self.ctx, marker)
            else {
                continue;
            };
            self.one(plan).await;
        }
        for (collection, batch) in std::mem::take(&mut self.rejected) {
            self.sweep_rejected(&collection, batch).await;
        }
    }

    async fn one(&mut self, mut plan: Plan) {
        if let Some((status, excerpt)) = self.one_checked(&mut plan).await {
            self.defer_sweep(plan, status, excerpt).await;
        }
    }

    /// Queues the sweep of a rejected create; sweeps its collection's batch when full.
    async fn defer_sweep(&mut self, plan: Plan, status: u16, excerpt: Vec<u8>) {
        let Readback::Created { collection } = &plan.readback else {
            return;
        };
        let i = match self.rejected.iter().position(|(c, _)| c == collection) {
            Some(i) => i,
            None => {
                self.rejected.push((collection.clone(), Vec::new()));
                self.rejected.len() - 1
            }
        };
        self.rejected[i].1.push(Rejected {
            plan,
            status,
            excerpt,
        });
        if self.rejected[i].1.len() >= SWEEP_BATCH {
            let (collection, batch) = self.rejected.swap_remove(i);
            self.sweep_rejected(&collection, batch).await;
        }
    }

    /// Sends the plan and checks the answer and what it touched; returns the status
    /// and the start of the body of a rejected create, whose sweep is batched.
    async fn one_checked(&mut self, plan: &mut Plan) -> Option<(u16, Vec<u8>)> {
        let sh = self.shared.clone();
        if let Readback::Contact { id } = &plan.readback
            && let Some(i) = self.pool.iter().position(|o| &o.id == id && o.stale)
        {
            // The state this write is compared with, read just before it.
            self.refresh(i, false).await;
        }
        let large = plan.large_body();
        let body = plan.body.take().map(bytes::Bytes::from);
        sh.fuzz_sent.fetch_add(1, Ordering::Relaxed);
        let mut result = sh.send(plan, body.clone()).await;
        if matches!(result, Err(SendError::Transport(_))) && !large {
            // A keep-alive connection closed under us is not the server's fault; retry once.
            sh.fuzz_sent.fetch_add(1, Ordering::Relaxed);
            result = sh.send(plan, body.clone()).await;
        }
        // The client has let go of its reference by now: no copy.
        plan.body = body.map(Vec::from);
        let plan = &*plan;
        let status = match result {
            Ok(reply) => {
                for v in oracle::check(plan, &reply) {
                    sh.report(plan, reply.status, v, &reply.body, false);
                }
                if let (Post::Exact(e), 200) = (&plan.post, reply.status) {
                    self.walk_exact(plan, e, &reply).await;
                }
                if self.readback(plan, &reply).await {
                    let excerpt = reply.body[..reply.body.len().min(600)].to_vec();
                    return Some((reply.status, excerpt));
                }
                reply.status
            }
            Err(SendError::Timeout) => {
                let v = Violation {
                    rule: "GEN-NO-5XX",
                    detail: format!("no answer within {:?} ({})", sh.cfg.timeout, plan.defect),
                };
                sh.report(plan, 0, v, b"", false);
                0
            }
            Err(SendError::Transport(e)) => {
                if !plan.large_body() {
                    let v = Violation {
                        rule: "GEN-NO-5XX",
                        detail: format!("connection failed without an answer: {e}"),
                    };
                    sh.report(plan, 0, v, b"", false);
                }
                0
            }
            Err(SendError::Unsendable) => return None,
        };
        if status == 0 {
            // Unknown outcome: whatever the plan touched must be re-read.
            match &plan.readback {
                Readback::Contact { id } | Readback::Photo { id, .. } => {
                    if let Some(i) = self.pool.iter().position(|o| &o.id == id) {
                        self.refresh(i, true).await;
                    }
                }
                Readback::Created { collection } => {
                    self.sweep_marker(collection, &plan.marker).await;
                }
                Readback::None => {}
            }
        }
        None
    }

    /// One GET for a batch of rejected creates of `collection`: any contact carrying
    /// one of their markers broke CT-ATOMIC for that create; it is deleted.
    async fn sweep_rejected(&self, collection: &str, batch: Vec<Rejected>) {
        let sh = &self.shared;
        let Some(first) = batch.first() else {
            return;
        };
        let filter = batch
            .iter()
            .map(|r| format!("GivenName%20eq%20'{}'", r.plan.marker))
            .collect::<Vec<_>>()
            .join("%20or%20");
        let q = format!("$filter={filter}&$select=Id,GivenName&$top=50");
        let Ok(r) = sh.simple("GET", collection.to_string(), q).await else {
            return;
        };
        #[derive(serde::Deserialize)]
        struct Found {
            #[serde(rename = "Id")]
            id: Option<String>,
            #[serde(rename = "GivenName")]
            given: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct Page {
            value: Vec<Found>,
        }
        let found = serde_json::from_slice::<Page>(&r.body)
            .map(|p| p.value)
            .unwrap_or_default();
        if found.is_empty() {
            return;
        }
        sh.delete_own(found.iter().filter_map(|f| f.id.as_deref()))
            .await;
        let mut attributed = 0;
        for rej in &batch {
            let left = found
                .iter()
                .filter(|f| {
                    f.given
                        .as_deref()
                        .is_some_and(|g| g.eq_ignore_ascii_case(&rej.plan.marker))
                })
                .count();
            attributed += left;
            if left > 0 {
                let v = Violation {
                    rule: "CT-ATOMIC",
                    detail: format!(
                        "rejected create ({}, {}) left {left} contact(s) carrying its values",
                        rej.status, rej.plan.defect
                    ),
                };
                sh.report(&rej.plan, rej.status, v, &rej.excerpt, true);
            }
        }
        if attributed < found.len() {
            // Matched one of the markers by the server's own filter, yet answered
            // without a recognisable GivenName: charge the batch's first create.
            let v = Violation {
                rule: "CT-ATOMIC",
                detail: format!(
                    "{} contact(s) match the markers of {} rejected creates (first: {}, {})",
                    found.len() - attributed,
                    batch.len(),
                    first.status,
                    first.plan.defect
                ),
            };
            sh.report(&first.plan, first.status, v, &first.excerpt, true);
        }
    }

    /// Follows the next links of a 200 first page of an [`Exact`] query (its own
    /// checks are done): every later page 200 (Q-NEXTLINK) within the page size,
    /// holding only matching entities, and the walk visits each matching entity
    /// exactly once (Q-NEXTLINK-LIVE: the anchors exist unchanged for the whole walk,
    /// while the other workers write to other contacts of the folder).
    async fn walk_exact(&self, plan: &Plan, e: &Exact, first: &Reply) {
        let sh = &self.shared;
        let page = oracle::exact_page(e, first, true);
        let Some(mut next) = page.next else {
            return;
        };
        let mut seen = page.ids;
        let mut pages = 1;
        loop {
            if pages > e.ids.len() + 2 {
                let v = Violation {
                    rule: "Q-NEXTLINK",
                    detail: format!(
                        "the walk of a filter matching {} entities still has a next link after {pages} pages",
                        e.ids.len()
                    ),
                };
                sh.report(plan, first.status, v, b"", true);
                return;
            }
            let follow = Plan {
                target: Target::Url(next.clone()),
                headers: Vec::new(),
                body: None,
                ..Plan::get()
            };
            let r = match sh.send(&follow, None).await {
                Ok(r) => r,
                Err(err) => {
                    let v = Violation {
                        rule: "GEN-NO-5XX",
                        detail: format!("a next link got no answer: {err:?}"),
                    };
                    sh.report(plan, first.status, v, b"", true);
                    return;
                }
            };
            pages += 1;
            if r.status != 200 {
                let v = Violation {
                    rule: if r.status >= 500 {
                        "GEN-NO-5XX"
                    } else {
                        "Q-NEXTLINK"
                    },
                    detail: format!(
                        "page {pages} of the walk (a next link) answered {}",
                        r.status
                    ),
                };
                sh.report(plan, first.status, v, &r.body, true);
                return;
            }
            let page = oracle::exact_page(e, &r, false);
            for v in page.violations {
                sh.report(plan, first.status, v, &r.body, true);
            }
            seen.extend(page.ids);
            match page.next {
                Some(n) => next = n,
                None => break,
            }
        }
        let missing = e.ids.iter().filter(|id| !seen.contains(id)).count();
        let twice = seen.len() - seen.iter().collect::<std::collections::HashSet<_>>().len();
        if missing > 0 || twice > 0 {
            let v = Violation {
                rule: "Q-NEXTLINK-LIVE",
                detail: format!(
                    "a walk of {pages} pages over a filter matching exactly {} unchanged entities missed {missing} and repeated {twice}",
                    e.ids.len()
                ),
            };
            sh.report(plan, first.status, v, b"", true);
        }
    }

    /// Re-reads the photo of own contact `i` after a photo write, and marks the
    /// contact itself for a re-read before its next compared write.
    async fn refresh_photo(&mut self, i: usize) {
        let sh = self.shared.clone();
        let enc = encode_id(&self.pool[i].id);
        self.pool[i].stale = true;
        if let Ok(r) = sh
            .simple(
                "GET",
                format!("me/contacts/{enc}/photo/$value"),
                String::new(),
            )
            .await
        {
            self.pool[i].photo = Some((r.status, r.body));
        }
    }

    /// Re-reads own contact `i` (and its photo when `photo`).
    async fn refresh(&mut self, i: usize, photo: bool) {
        let sh = self.shared.clone();
        let enc = encode_id(&self.pool[i].id);
        if let Ok(r) = sh
            .simple("GET", format!("me/contacts/{enc}"), String::new())
            .await
        {
            self.pool[i].contact = (r.status == 200).then_some(r.body);
            self.pool[i].stale = false;
        }
        if photo
            && let Ok(r) = sh
                .simple(
                    "GET",
                    format!("me/contacts/{enc}/photo/$value"),
                    String::new(),
                )
                .await
        {
            self.pool[i].photo = Some((r.status, r.body));
        }
    }

    /// Deletes every contact of `collection` that carries `marker` as `GivenName`;
    /// returns how many there were.
    async fn sweep_marker(&self, collection: &str, marker: &str) -> usize {
        let sh = &self.shared;
        let q = format!("$filter=GivenName%20eq%20'{marker}'&$select=Id");
        let Ok(r) = sh.simple("GET", collection.to_string(), q).await else {
            return 0;
        };
        let ids: Vec<String> = r
            .json()
            .and_then(|b| b.get("value").and_then(|v| v.as_array()).cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|c| c.get("Id").and_then(|i| i.as_str()).map(str::to_string))
            .collect();
        sh.delete_own(ids.iter().map(String::as_str)).await;
        ids.len()
    }

    /// Reads back what the plan touched; returns whether it was a rejected create,
    /// whose sweep the caller batches.
    async fn readback(&mut self, plan: &Plan, reply: &Reply) -> bool {
        let sh = self.shared.clone();
        let ok = (200..300).contains(&reply.status);
        let rejected = (400..500).contains(&reply.status) && reply.status != 429;
        match &plan.readback {
            Readback::None => {}
            Readback::Created { .. } => {
                if ok {
                    #[derive(serde::Deserialize)]
                    struct Created {
                        #[serde(rename = "Id")]
                        id: String,
                    }
                    if let Ok(Created { id }) = serde_json::from_slice::<Created>(&reply.body)
                        && sh
                            .simple(
                                "DELETE",
                                format!("me/contacts/{}", encode_id(&id)),
                                String::new(),
                            )
                            .await
                            .is_ok()
                    {
                        sh.deleted.fetch_add(1, Ordering::Relaxed);
                    }
                } else if rejected {
                    return true;
                }
            }
            Readback::Contact { id } => {
                let Some(i) = self.pool.iter().position(|o| &o.id == id) else {
                    return false;
                };
                if rejected {
                    let before = self.pool[i].contact.clone();
                    self.refresh(i, false).await;
                    let after = self.pool[i].contact.as_deref();
                    if before.is_some() && !same_json(before.as_deref(), after) {
                        let (before, after) = (parse(before.as_deref()), parse(after));
                        let v = Violation {
                            rule: "CT-ATOMIC",
                            detail: format!(
                                "rejected {} ({}, {}) changed the contact: {}",
                                plan.method,
                                reply.status,
                                plan.defect,
                                first_difference(before.as_ref(), after.as_ref())
                            ),
                        };
                        sh.report(plan, reply.status, v, &reply.body, true);
                    }
                } else {
                    let before = self.pool[i].contact.clone();
                    self.refresh(i, false).await;
                    let after = self.pool[i].contact.as_deref();
                    // Equal bytes: nothing changed, so no version problem either.
                    if ok
                        && !same_bytes(before.as_deref(), after)
                        && let Some(v) = version_problem(
                            parse(before.as_deref()).as_ref(),
                            parse(after).as_ref(),
                        )
                    {
                        sh.report(plan, reply.status, v, &reply.body, true);
                    }
                }
            }
            Readback::Photo { id, dims } => {
                let Some(i) = self.pool.iter().position(|o| &o.id == id) else {
                    return false;
                };
                if rejected {
                    let before = self.pool[i].photo.clone();
                    self.refresh_photo(i).await;
                    if before.is_some() && self.pool[i].photo != before {
                        let v = Violation {
                            rule: "PH-BAD",
                            detail: format!(
                                "rejected photo upload ({}, {}) changed the stored photo",
                                reply.status, plan.defect
                            ),
                        };
                        sh.report(plan, reply.status, v, &reply.body, true);
                    }
                } else {
                    if let (true, Some((w, h))) = (ok, dims) {
                        let enc = encode_id(id);
                        if let Ok(r) = sh
                            .simple("GET", format!("me/contacts/{enc}/photo"), String::new())
                            .await
                        {
                            let meta = r.json().unwrap_or_default();
                            let got = (
                                meta.get("Width").and_then(Value::as_u64),
                                meta.get("Height").and_then(Value::as_u64),
                            );
                            if r.status != 200 || got != (Some(u64::from(*w)), Some(u64::from(*h)))
                            {
                                let v = Violation {
                                    rule: "PH-META",
                                    detail: format!(
                                        "after a {w}x{h} upload the metadata answered {} with Width/Height {:?}",
                                        r.status, got
                                    ),
                                };
                                sh.report(plan, reply.status, v, &r.body, true);
                            }
                        }
                    }
                    self.refresh_photo(i).await;
                }
            }
        }
        false
    }
}

/// Whether two read-backs are byte-for-byte the same.
fn same_bytes(a: Option<&[u8]>, b: Option<&[u8]>) -> bool {
    a == b
}

/// Whether two read-backs hold the same JSON: equal bytes, or equal values (members
/// in another order are the same contact).
fn same_json(a: Option<&[u8]>, b: Option<&[u8]>) -> bool {
    same_bytes(a, b)
        || match (a, b) {
            (Some(_), Some(_)) => parse(a).is_some() && parse(a) == parse(b),
            _ => false,
        }
}

fn parse(body: Option<&[u8]>) -> Option<Value> {
    body.and_then(|b| serde_json::from_slice(b).ok())
}

/// CT-VERSION after an accepted write: `Id` and `CreatedDateTime` never change, and a
/// change of any stored value comes with a new `ChangeKey`.
fn version_problem(before: Option<&Value>, after: Option<&Value>) -> Option<Violation> {
    let (b, a) = (before?.as_object()?, after?.as_object()?);
    for fixed in ["Id", "CreatedDateTime"] {
        if b.get(fixed) != a.get(fixed) {
            return Some(Violation {
                rule: "CT-VERSION",
                detail: format!("{fixed} changed on PATCH"),
            });
        }
    }
    let volatile = |k: &str| k == "ChangeKey" || k == "LastModifiedDateTime" || k.starts_with('@');
    let changed = b
        .iter()
        .find(|(k, v)| !volatile(k) && a.get(k.as_str()) != Some(*v));
    if let Some((key, _)) = changed
        && b.get("ChangeKey") == a.get("ChangeKey")
    {
        return Some(Violation {
            rule: "CT-VERSION",
            detail: format!("a PATCH changed {key} but kept the ChangeKey"),
        });
    }
    None
}

fn first_difference(a: Option<&Value>, b: Option<&Value>) -> String {
    match (a.and_then(Value::as_object), b.and_then(Value::as_object)) {
        (Some(a), Some(b)) => {
            for (k, va) in a {
                if b.get(k) != Some(va) {
                    return format!(
                        "{k}: {va} -> {}",
                        b.get(k)
                            .map(|v| v.to_string())
                            .unwrap_or_else(|| "absent".into())
                    );
                }
            }
            for k in b.keys() {
                if !a.contains_key(k) {
                    return format!("{k} appeared");
                }
            }
            "no visible difference".into()
        }
        _ => "the contact could not be read back".into(),
    }
}

struct Setup<'a> {
    client: &'a reqwest::Client,
    cfg: &'a Config,
    sent: &'a AtomicU64,
}

impl Setup<'_> {
    async fn get_json(
        &self,
        step: &'static str,
        url: String,
        prefer: Option<&str>,
    ) -> Result<Value, FuzzError> {
        let mut req = self
            .client
            .get(url)
            .header("Authorization", format!("Bearer {}", self.cfg.token));
        if let Some(p) = prefer {
            req = req.header("Prefer", p);
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let resp = req.send().await.map_err(|e| FuzzError::Setup {
            step,
            detail: e.to_string(),
        })?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| FuzzError::Setup {
            step,
            detail: e.to_string(),
        })?;
        if status != 200 {
            return Err(FuzzError::Setup {
                step,
                detail: format!(
                    "answered {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                ),
            });
        }
        serde_json::from_slice(&body).map_err(|e| FuzzError::Setup {
            step,
            detail: format!("body is not JSON: {e}"),
        })
    }

    async fn folders(&self) -> Result<Folders, FuzzError> {
        let b = &self.cfg.base;
        let top = self
            .get_json(
                "list folders",
                format!("{b}/me/contactfolders?$top=50"),
                None,
            )
            .await?;
        let mut folders = Folders::default();
        let items = top
            .get("value")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for f in &items {
            let Some(id) = f.get("Id").and_then(Value::as_str) else {
                continue;
            };
            if f.get("WellKnownName").and_then(Value::as_str) == Some("contacts") {
                folders.default = id.to_string();
            } else {
                folders.others.push(id.to_string());
            }
        }
        for f in folders.others.clone().iter().take(5) {
            let url = format!(
                "{b}/me/contactfolders/{}/childfolders?$top=50",
                encode_id(f)
            );
            if let Ok(children) = self.get_json("list child folders", url, None).await {
                for c in children
                    .get("value")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(id) = c.get("Id").and_then(Value::as_str) {
                        folders.others.push(id.to_string());
                    }
                }
            }
        }
        Ok(folders)
    }

    async fn create(&self, given: &str, surname: &str) -> Result<String, FuzzError> {
        let step = "create the fuzzer's own contact";
        let body = serde_json::json!({"GivenName": given, "Surname": surname}).to_string();
        self.sent.fetch_add(1, Ordering::Relaxed);
        let resp = self
            .client
            .post(format!("{}/me/contacts", self.cfg.base))
            .header("Authorization", format!("Bearer {}", self.cfg.token))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| FuzzError::Setup {
                step,
                detail: e.to_string(),
            })?;
        let status = resp.status();
        let body: Value = resp.json().await.map_err(|e| FuzzError::Setup {
            step,
            detail: e.to_string(),
        })?;
        match (status.as_u16(), body.get("Id").and_then(Value::as_str)) {
            (201, Some(id)) => Ok(id.to_string()),
            _ => Err(FuzzError::Setup {
                step,
                detail: format!("answered {status} {body}"),
            }),
        }
    }

    async fn delta_link(&self) -> Result<String, FuzzError> {
        let v = self
            .get_json(
                "start a sync round",
                format!("{}/me/contacts", self.cfg.base),
                Some("odata.track-changes"),
            )
            .await?;
        v.get("@odata.deltaLink")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or(FuzzError::Setup {
                step: "start a sync round",
                detail: "no @odata.deltaLink".into(),
            })
    }
}

/// Deletes everything the run created: its own contacts by id, then every contact of
/// any folder carrying the run marker as `Surname` (creates whose answer was lost).
async fn cleanup(sh: &Arc<Shared>, run_marker: &str, folders: &Folders) -> Vec<String> {
    let mut problems = Vec::new();
    let deletes = sh.all_contacts.iter().map(|id| {
        let sh = sh.clone();
        let id = id.clone();
        async move {
            match sh
                .simple(
                    "DELETE",
                    format!("me/contacts/{}", encode_id(&id)),
                    String::new(),
                )
                .await
            {
                Ok(r) if r.status == 204 || r.status == 404 => {
                    sh.deleted.fetch_add(1, Ordering::Relaxed);
                    None
                }
                Ok(r) => Some(format!("DELETE of own contact {id} answered {}", r.status)),
                Err(e) => Some(format!("DELETE of own contact {id} failed: {e:?}")),
            }
        }
    });
    problems.extend(
        futures_util::future::join_all(deletes)
            .await
            .into_iter()
            .flatten(),
    );
    let mut collections = vec!["me/contacts".to_string()];
    for f in &folders.others {
        collections.push(format!("me/contactfolders/{}/contacts", encode_id(f)));
    }
    for c in collections {
        for _round in 0..100 {
            let q = format!("$filter=Surname%20eq%20'{run_marker}'&$select=Id&$top=50");
            let Ok(r) = sh.simple("GET", c.clone(), q).await else {
                break;
            };
            let ids: Vec<String> = r
                .json()
                .and_then(|b| b.get("value").and_then(Value::as_array).cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|x| x.get("Id").and_then(Value::as_str).map(str::to_string))
                .collect();
            if ids.is_empty() {
                break;
            }
            let mut progress = false;
            for id in ids {
                if let Ok(r) = sh
                    .simple(
                        "DELETE",
                        format!("me/contacts/{}", encode_id(&id)),
                        String::new(),
                    )
                    .await
                    && r.status == 204
                {
                    sh.deleted.fetch_add(1, Ordering::Relaxed);
                    progress = true;
                }
            }
            if !progress {
                problems.push(format!(
                    "contacts carrying the run marker in {c} could not be deleted"
                ));
                break;
            }
        }
    }
    problems
}
