//! The self-test run: the whole suite in strict mode, every basis, against the
//! faultless reference server, then against one server per fault, several faults at
//! a time. For each fault the cases (then properties) whose rules meet the fault's
//! rules run first and the run stops at the first kill; the rest runs only when
//! those do not kill it.

use super::SelftestError;
use super::matrix::{Baseline, FaultRow, Matrix, Phase};
use super::target::{Generated, case_catch, run_cases, run_generated};
use contactspec_props::properties::Options as PropOptions;
use contactspec_server::{Fault, FaultSet, ServerConfig};
use contactspec_suite::case::{Catalogue, LoadedCase};
use contactspec_suite::outcome::CaseOutcome;
use contactspec_suite::runner::{RunConfig, Runner};
use contactspec_suite::schema::Schemas;
use contactspec_suite::select::Selection;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The reference server's tokens (SPEC.md §11).
const TOKEN_A: &str = "token-a";
const TOKEN_B: &str = "token-b";
/// Longest operation sequence of the model test (its CLI default).
const MODEL_MAX_LEN: usize = 30;

/// How to run the self-test.
#[derive(Debug, Clone)]
pub struct Options {
    /// The case catalogue directory (`cases/`).
    pub cases_dir: PathBuf,
    /// The schema directory (`schemas/`).
    pub schemas_dir: PathBuf,
    /// The faults to try (all of them by default).
    pub faults: Vec<Fault>,
    /// Faults run at once, each on its own server.
    pub jobs: usize,
    /// Cases run at once within one server's run.
    pub concurrency: usize,
    /// Seed of markers and generated values.
    pub seed: u64,
    /// Generated inputs per property; 0 leaves the properties out.
    pub property_cases: u32,
    /// Run every case and property for every fault instead of stopping at the first kill.
    pub exhaustive: bool,
}

impl Options {
    /// Defaults for a checkout at `root`: `root/cases`, `root/schemas`, every fault,
    /// 2 faults at a time, 8 cases at a time, 8 inputs per property.
    pub fn for_checkout(root: &std::path::Path) -> Options {
        Options {
            cases_dir: root.join("cases"),
            schemas_dir: root.join("schemas"),
            faults: Fault::ALL.to_vec(),
            jobs: 2,
            concurrency: 8,
            seed: 0,
            property_cases: 8,
            exhaustive: false,
        }
    }
}

/// Everything loaded once and shared by every server's run.
struct Suite {
    catalogue: Catalogue,
    schemas_dir: PathBuf,
    options: Options,
}

impl Suite {
    fn selection() -> Selection {
        // Every level and every basis, SHOULD failures fail (SUITE-KILLS: `--strict`).
        Selection {
            strict: true,
            ..Selection::default()
        }
    }

    fn prop_options(&self) -> PropOptions {
        PropOptions {
            cases: self.options.property_cases,
            seed: self.options.seed,
            strict: true,
            save_failures: None,
            max_shrink_iters: 64,
        }
    }

    /// The properties and the model test (none when `property_cases` is 0).
    fn properties(&self) -> Vec<Generated> {
        if self.options.property_cases == 0 {
            Vec::new()
        } else {
            Generated::all(MODEL_MAX_LEN)
        }
    }

    /// A runner (client, schemas, discovery) for a server at `base`.
    async fn runner(&self, base: &str) -> Result<Arc<Runner>, String> {
        let schemas = Schemas::load(&self.schemas_dir).map_err(|e| e.to_string())?;
        let mut config = RunConfig::new(base, TOKEN_A, Some(TOKEN_B), self.options.seed);
        config.concurrency = self.options.concurrency;
        let runner = Runner::new(config, schemas, Suite::selection())
            .await
            .map_err(|e| e.to_string())?;
        if let Some(why) = &runner.discovery.unreachable {
            return Err(format!("target unreachable: {why}"));
        }
        Ok(Arc::new(runner))
    }
}

fn meets(rules: &[String], fault: Fault) -> bool {
    rules.iter().any(|r| fault.rules().contains(&r.as_str()))
}

fn meets_static(rules: &[&str], fault: Fault) -> bool {
    rules.iter().any(|r| fault.rules().contains(r))
}

async fn start(faults: FaultSet) -> Result<contactspec_server::RunningServer, String> {
    contactspec_server::start(ServerConfig {
        faults,
        ..ServerConfig::default()
    })
    .await
    .map_err(|e| format!("cannot start the reference server: {e}"))
}

/// The faultless run: every case and every property must pass.
async fn baseline(suite: &Suite) -> Baseline {
    let t0 = Instant::now();
    let mut b = Baseline {
        passed: false,
        cases: 0,
        cases_passed: 0,
        properties: 0,
        failures: Vec::new(),
        seconds: 0.0,
        error: None,
    };
    let server = match start(FaultSet::none()).await {
        Ok(s) => s,
        Err(e) => {
            b.error = Some(e);
            return b;
        }
    };
    let base = server.base_url();
    match suite.runner(&base).await {
        Err(e) => b.error = Some(e),
        Ok(runner) => {
            let cases = run_cases(
                &runner,
                suite.catalogue.cases.clone(),
                suite.options.concurrency,
                false,
                true,
            )
            .await;
            runner.cleanup_all().await;
            b.cases = cases.run;
            b.cases_passed = cases.run - cases.failed.len();
            b.failures.extend(cases.failed);
            let props = run_generated(
                base,
                TOKEN_A.into(),
                suite.properties(),
                suite.prop_options(),
                false,
            )
            .await;
            b.properties = props.run;
            b.failures.extend(props.failed);
        }
    }
    server.shutdown().await;
    b.passed = b.error.is_none() && b.failures.is_empty();
    b.seconds = t0.elapsed().as_secs_f64();
    b
}

/// One fault's run on a server of its own.
async fn fault_row(suite: Arc<Suite>, fault: Fault) -> FaultRow {
    let t0 = Instant::now();
    let mut row = FaultRow {
        fault: fault.name().to_string(),
        fault_rules: fault.rules().iter().map(|r| r.to_string()).collect(),
        description: fault.description().to_string(),
        killed: false,
        phase: None,
        caught_by: Vec::new(),
        unconfirmed: Vec::new(),
        also_failed: Vec::new(),
        on_target: false,
        cases_run: 0,
        properties_run: 0,
        seconds: 0.0,
        error: None,
    };
    let server = match start(std::iter::once(fault).collect()).await {
        Ok(s) => s,
        Err(e) => {
            row.error = Some(e);
            return row;
        }
    };
    let base = server.base_url();
    match suite.runner(&base).await {
        Err(e) => row.error = Some(e),
        Ok(runner) => {
            let stop = !suite.options.exhaustive;
            let (targeted, other): (Vec<LoadedCase>, Vec<LoadedCase>) = suite
                .catalogue
                .cases
                .iter()
                .cloned()
                .partition(|c| meets(&c.def.rules, fault));
            let (t_props, o_props): (Vec<Generated>, Vec<Generated>) = suite
                .properties()
                .into_iter()
                .partition(|p| meets_static(p.rules(), fault));
            let phases: [(Phase, Work); 4] = [
                (Phase::TargetedCases, Work::Cases(targeted)),
                (Phase::TargetedProperties, Work::Props(t_props)),
                (Phase::OtherCases, Work::Cases(other)),
                (Phase::OtherProperties, Work::Props(o_props)),
            ];
            for (phase, work) in phases {
                let killed = match work {
                    Work::Cases(cases) => {
                        run_case_phase(&suite, fault, &runner, cases, &mut row).await
                    }
                    Work::Props(props) => run_property_phase(&suite, &base, props, &mut row).await,
                };
                if killed {
                    row.phase.get_or_insert(phase);
                    if stop {
                        break;
                    }
                }
            }
        }
    }
    server.shutdown().await;
    row.killed = !row.caught_by.is_empty();
    // The catches that name one of the fault's own rules first.
    row.caught_by.sort_by_key(|c| !meets(&c.rules, fault));
    row.also_failed.sort_by_key(|c| !meets(&c.rules, fault));
    row.on_target = row
        .caught_by
        .iter()
        .chain(&row.also_failed)
        .any(|c| meets(&c.rules, fault));
    row.seconds = t0.elapsed().as_secs_f64();
    row
}

/// Runs cases until one fails for good (or all of them when exhaustive); failures
/// that do not survive [`confirm_case`] go to `row.unconfirmed` and the run goes on.
async fn run_case_phase(
    suite: &Suite,
    fault: Fault,
    runner: &Arc<Runner>,
    cases: Vec<LoadedCase>,
    row: &mut FaultRow,
) -> bool {
    let stop = !suite.options.exhaustive;
    let mut pending = cases;
    let mut killed = false;
    while !pending.is_empty() {
        let batch = run_cases(runner, pending, suite.options.concurrency, stop, false).await;
        row.cases_run += batch.run;
        let mut failed = batch.failed;
        // Confirm first a failure that names one of the fault's own rules.
        failed.sort_by_key(|c| !meets(&c.rules, fault));
        for mut c in failed {
            if killed && stop {
                // One confirmed kill is enough; the others are listed unchecked.
                row.also_failed.push(c);
                continue;
            }
            match confirm_case(suite, fault, &c.name).await {
                Ok(()) => {
                    killed = true;
                    row.caught_by.push(c);
                }
                Err(why) => {
                    c.message = format!("{why}; first failure: {}", c.message);
                    row.unconfirmed.push(c);
                }
            }
        }
        if killed && stop {
            break;
        }
        pending = batch.rest;
    }
    killed
}

/// Runs properties; a failure counts when the same property (same seed) holds on a
/// fresh faultless server.
async fn run_property_phase(
    suite: &Suite,
    base: &str,
    props: Vec<Generated>,
    row: &mut FaultRow,
) -> bool {
    let batch = run_generated(
        base.to_string(),
        TOKEN_A.into(),
        props.clone(),
        suite.prop_options(),
        false,
    )
    .await;
    row.properties_run += batch.run;
    let mut killed = false;
    for mut c in batch.failed {
        if killed && !suite.options.exhaustive {
            row.also_failed.push(c);
            continue;
        }
        let Some(p) = props.iter().find(|p| p.name() == c.name) else {
            row.unconfirmed.push(c);
            continue;
        };
        match confirm_property(suite, *p).await {
            Ok(()) => {
                killed = true;
                row.caught_by.push(c);
            }
            Err(why) => {
                c.message = format!("{why}; first failure: {}", c.message);
                row.unconfirmed.push(c);
            }
        }
    }
    killed
}

/// Runs one case alone on a fresh server with `faults`.
async fn run_alone(
    suite: &Suite,
    faults: FaultSet,
    case: &LoadedCase,
) -> Result<CaseOutcome, String> {
    let server = start(faults).await?;
    let outcome = match suite.runner(&server.base_url()).await {
        Ok(runner) => {
            let o = runner.run_case(case).await;
            runner.cleanup_all().await;
            Ok(o)
        }
        Err(e) => Err(e),
    };
    server.shutdown().await;
    outcome
}

/// A kill counts only when it is the fault's doing: the case fails again when run
/// alone on a fresh server with the fault, and passes alone on a fresh faultless
/// server. This keeps cases that fail by chance (timing, concurrency) from posing
/// as kills.
async fn confirm_case(suite: &Suite, fault: Fault, name: &str) -> Result<(), String> {
    let Some(case) = suite.catalogue.cases.iter().find(|c| c.id == name) else {
        return Err("not a case of the catalogue".into());
    };
    let faulty = run_alone(suite, std::iter::once(fault).collect(), case).await?;
    if case_catch(&faulty, false).is_none() {
        return Err("passed when run again alone with the fault (it fails by chance)".into());
    }
    let clean = run_alone(suite, FaultSet::none(), case).await?;
    if let Some(c) = case_catch(&clean, true) {
        return Err(format!("fails on the faultless server too ({})", c.message));
    }
    Ok(())
}

/// A property's failure counts only when it holds on a fresh faultless server.
async fn confirm_property(suite: &Suite, prop: Generated) -> Result<(), String> {
    let server = start(FaultSet::none()).await?;
    let batch = run_generated(
        server.base_url(),
        TOKEN_A.into(),
        vec![prop],
        suite.prop_options(),
        false,
    )
    .await;
    server.shutdown().await;
    match batch.failed.first() {
        None => Ok(()),
        Some(c) => Err(format!("fails on the faultless server too ({})", c.message)),
    }
}

enum Work {
    Cases(Vec<LoadedCase>),
    Props(Vec<Generated>),
}

/// Runs the self-test on the current tokio runtime.
pub async fn run(options: Options) -> Result<Matrix, SelftestError> {
    let t0 = Instant::now();
    let schemas = Schemas::load(&options.schemas_dir)?;
    let catalogue =
        contactspec_suite::case::load_catalogue(&options.cases_dir, Some(&schemas.names()))
            .map_err(SelftestError::Catalogue)?;
    if catalogue.cases.is_empty() {
        return Err(SelftestError::NoCases(options.cases_dir.clone()));
    }
    let jobs = options.jobs.max(1);
    let faults = options.faults.clone();
    let suite = Arc::new(Suite {
        catalogue,
        schemas_dir: options.schemas_dir.clone(),
        options,
    });
    let base = baseline(&suite).await;
    let mut rows: Vec<Option<FaultRow>> = vec![None; faults.len()];
    let mut queue = faults.iter().copied().enumerate();
    let mut set = tokio::task::JoinSet::new();
    let spawn = |set: &mut tokio::task::JoinSet<(usize, FaultRow)>, (i, f): (usize, Fault)| {
        let suite = Arc::clone(&suite);
        set.spawn(async move { (i, fault_row(suite, f).await) });
    };
    for item in queue.by_ref().take(jobs) {
        spawn(&mut set, item);
    }
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, row)) => rows[i] = Some(row),
            Err(e) => return Err(SelftestError::Task(e.to_string())),
        }
        if let Some(item) = queue.next() {
            spawn(&mut set, item);
        }
    }
    let rows: Vec<FaultRow> = rows.into_iter().flatten().collect();
    let killed = rows.iter().filter(|r| r.killed).count();
    Ok(Matrix {
        baseline: base,
        total: rows.len(),
        killed,
        faults: rows,
        jobs,
        property_cases: suite.options.property_cases,
        seed: suite.options.seed,
        seconds: t0.elapsed().as_secs_f64(),
    })
}
