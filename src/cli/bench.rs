//! `contactspec bench`: measures the embedded reference server's throughput over
//! real HTTP. It starts the server on 127.0.0.1, seeds it, then drives each scenario
//! for `--duration` with `--connections` keep-alive HTTP/1.1 connections (one
//! reqwest client per connection, TCP_NODELAY) and prints a table.
//!
//! Scenarios: GET one contact; GET a page of 10 contacts; POST a contact (into the
//! second user's mailbox, so the other scenarios see a fixed data set); a full sync
//! round of a folder of 100 contacts (first request, its delta link, next links, the
//! final delta link). Every answer is checked (status, and the round's contact
//! count), so a broken server cannot post a good number. The intended use is a
//! release build: `cargo run --release -- bench`.

use contactspec_server::ServerConfig;
use reqwest::{Client, StatusCode};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Flags of `contactspec bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// How long each scenario runs (`3s`, `500ms`, `2.5s`, or plain seconds).
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub connections: u16,
    /// Contacts in the synced folder.
    #[arg(long, default_value_t = 100)]
    pub sync_size: usize,
    /// Run only these scenarios (repeatable; default: all).
    #[arg(long = "only", value_enum)]
    pub only: Vec<Which>,
}

/// The scenarios, for `--only`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// GET one contact.
    GetOne,
    /// GET a page of 10 contacts.
    Page,
    /// POST a contact.
    Post,
    /// A full sync round.
    Sync,
}

/// Parses `3s`, `250ms`, `1.5s` or `3`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a duration such as 3s or 500ms"))?;
    if !v.is_finite() || v <= 0.0 || v * scale > 3600.0 {
        return Err(format!("{s:?} must be above 0 and at most an hour"));
    }
    Ok(Duration::from_secs_f64(v * scale))
}

/// What can stop a benchmark.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The runtime or the server did not start.
    #[error("cannot start: {0}")]
    Start(String),
    /// A request failed at the transport level.
    #[error("{what}: {source}")]
    Http {
        /// The request.
        what: String,
        /// The client error.
        #[source]
        source: reqwest::Error,
    },
    /// A response was not what a correct server answers.
    #[error("{what}: {detail}")]
    Wrong {
        /// The request.
        what: String,
        /// What was wrong.
        detail: String,
    },
}

/// One scenario's work unit.
#[derive(Debug, Clone)]
enum Scenario {
    /// One GET, expecting 200.
    Get { url: String },
    /// One POST of a contact as user B, expecting 201.
    Post { url: String },
    /// A whole sync round, expecting `contacts` contacts.
    SyncRound { url: String, contacts: usize },
}

/// What one connection measured.
#[derive(Debug, Default)]
struct Tally {
    requests: u64,
    units: u64,
    latencies_us: Vec<u32>,
}

fn client() -> Result<Client, BenchError> {
    Client::builder()
        .tcp_nodelay(true)
        .http1_only()
        .pool_max_idle_per_host(1)
        .build()
        .map_err(|source| BenchError::Http {
            what: "building the client".into(),
            source,
        })
}

async fn send(
    rb: reqwest::RequestBuilder,
    what: &str,
) -> Result<(StatusCode, Vec<u8>), BenchError> {
    let res = rb.send().await.map_err(|source| BenchError::Http {
        what: what.into(),
        source,
    })?;
    let status = res.status();
    let bytes = res.bytes().await.map_err(|source| BenchError::Http {
        what: what.into(),
        source,
    })?;
    Ok((status, bytes.to_vec()))
}

/// What the bench reads of a sync page: the links and how many entities it holds
/// (entities are skipped, not built, so the client spends little CPU).
#[derive(Debug, Deserialize)]
struct SyncPage {
    value: Vec<IgnoredAny>,
    #[serde(rename = "@odata.nextLink")]
    next: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    delta: Option<String>,
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, BenchError> {
    serde_json::from_slice(bytes).map_err(|e| BenchError::Wrong {
        what: what.into(),
        detail: format!("unreadable body: {e}"),
    })
}

fn expect(status: StatusCode, want: StatusCode, what: &str, body: &[u8]) -> Result<(), BenchError> {
    if status == want {
        Ok(())
    } else {
        Err(BenchError::Wrong {
            what: what.into(),
            detail: format!(
                "status {status}, expected {want}: {}",
                String::from_utf8_lossy(body)
            ),
        })
    }
}

/// Runs one unit of a scenario; returns the number of HTTP requests it took.
async fn run_once(c: &Client, s: &Scenario) -> Result<u64, BenchError> {
    match s {
        Scenario::Get { url } => {
            let (st, body) = send(c.get(url).bearer_auth("token-a"), url).await?;
            expect(st, StatusCode::OK, url, &body)?;
            Ok(1)
        }
        Scenario::Post { url } => {
            let rb = c
                .post(url)
                .bearer_auth("token-b")
                .json(&json!({"GivenName": "Bench", "Surname": "Mark", "EmailAddresses": [{"Address": "b@example.com"}]}));
            let (st, body) = send(rb, url).await?;
            expect(st, StatusCode::CREATED, url, &body)?;
            Ok(1)
        }
        Scenario::SyncRound { url, contacts } => {
            let mut next = url.clone();
            let mut requests = 0;
            let mut seen = 0;
            let mut first = true;
            loop {
                let rb = c
                    .get(&next)
                    .bearer_auth("token-a")
                    .header("Prefer", "odata.track-changes");
                let (st, body) = send(rb, &next).await?;
                expect(st, StatusCode::OK, &next, &body)?;
                requests += 1;
                let page: SyncPage = parse(&body, &next)?;
                seen += page.value.len();
                match (page.next, page.delta) {
                    (Some(n), None) if !first => next = n,
                    (None, Some(d)) if first => next = d,
                    (None, Some(_)) => break,
                    _ => {
                        return Err(BenchError::Wrong {
                            what: next,
                            detail: "a sync answer without exactly the expected link".into(),
                        });
                    }
                }
                first = false;
                if requests > 10_000 {
                    return Err(BenchError::Wrong {
                        what: url.clone(),
                        detail: "the round does not end".into(),
                    });
                }
            }
            if seen != *contacts {
                return Err(BenchError::Wrong {
                    what: url.clone(),
                    detail: format!("the round returned {seen} contacts, expected {contacts}"),
                });
            }
            Ok(requests)
        }
    }
}

/// Drives one scenario on every connection until the deadline.
async fn drive(
    clients: &[Client],
    scenario: &Scenario,
    duration: Duration,
) -> Result<(Tally, Duration), BenchError> {
    // Warm every connection up (connect, first request) before the clock starts.
    for c in clients {
        run_once(c, scenario).await?;
    }
    let start = Instant::now();
    let deadline = start + duration;
    let scenario = Arc::new(scenario.clone());
    let mut tasks = Vec::new();
    for c in clients {
        let c = c.clone();
        let scenario = scenario.clone();
        tasks.push(tokio::spawn(async move {
            let mut t = Tally::default();
            while Instant::now() < deadline {
                let began = Instant::now();
                t.requests += run_once(&c, &scenario).await?;
                t.units += 1;
                let us = began.elapsed().as_micros();
                t.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
            }
            Ok::<Tally, BenchError>(t)
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        let t = task.await.map_err(|e| BenchError::Start(e.to_string()))??;
        total.requests += t.requests;
        total.units += t.units;
        total.latencies_us.extend(t.latencies_us);
    }
    Ok((total, start.elapsed()))
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

async fn seed(c: &Client, base: &str, sync_size: usize) -> Result<(String, String), BenchError> {
    let what = "seeding";
    let (st, folders) = send(
        c.get(format!("{base}/me/contactfolders"))
            .bearer_auth("token-a"),
        what,
    )
    .await?;
    expect(st, StatusCode::OK, what, &folders)?;
    let folders: Value = parse(&folders, what)?;
    let finance = folders["value"]
        .as_array()
        .and_then(|v| v.iter().find(|f| f["WellKnownName"].is_null()))
        .and_then(|f| f["Id"].as_str())
        .ok_or_else(|| BenchError::Wrong {
            what: what.into(),
            detail: "no folder besides the default one".into(),
        })?
        .to_string();
    let mut one = String::new();
    for (path, n) in [
        ("me/contacts".to_string(), 100),
        (format!("me/contactfolders/{finance}/contacts"), sync_size),
    ] {
        for i in 0..n {
            let body = json!({"GivenName": format!("Seed{i}"), "Surname": "Bench", "CompanyName": "contactspec"});
            let (st, created) = send(
                c.post(format!("{base}/{path}"))
                    .bearer_auth("token-a")
                    .json(&body),
                what,
            )
            .await?;
            expect(st, StatusCode::CREATED, what, &created)?;
            if one.is_empty() {
                let created: Value = parse(&created, what)?;
                one = created["Id"].as_str().unwrap_or_default().to_string();
            }
        }
    }
    Ok((one, finance))
}

async fn run(args: &Args) -> Result<Vec<Row>, BenchError> {
    let server = contactspec_server::start(ServerConfig::default())
        .await
        .map_err(|e| BenchError::Start(e.to_string()))?;
    let base = server.base_url();
    let clients = (0..args.connections)
        .map(|_| client())
        .collect::<Result<Vec<_>, _>>()?;
    let (one, finance) = seed(&clients[0], &base, args.sync_size).await?;
    eprintln!(
        "contactspec bench: reference server at {base}; {} connections; {:?} per scenario",
        args.connections, args.duration
    );
    let scenarios = [
        (
            Which::GetOne,
            "GET one contact",
            Scenario::Get {
                url: format!("{base}/me/contacts/{one}"),
            },
        ),
        (
            Which::Page,
            "GET a page of 10 contacts",
            Scenario::Get {
                url: format!("{base}/me/contacts?$top=10"),
            },
        ),
        (
            Which::Post,
            "POST a contact",
            Scenario::Post {
                url: format!("{base}/me/contacts"),
            },
        ),
        (
            Which::Sync,
            "sync round of the folder",
            Scenario::SyncRound {
                url: format!("{base}/me/contactfolders/{finance}/contacts"),
                contacts: args.sync_size,
            },
        ),
    ];
    let mut rows = Vec::new();
    for (which, name, s) in scenarios {
        if !args.only.is_empty() && !args.only.contains(&which) {
            continue;
        }
        let (mut t, elapsed) = drive(&clients, &s, args.duration).await?;
        t.latencies_us.sort_unstable();
        let secs = elapsed.as_secs_f64();
        rows.push(Row {
            name: if matches!(s, Scenario::SyncRound { .. }) {
                format!("sync round of {} contacts", args.sync_size)
            } else {
                name.to_string()
            },
            units: t.units,
            requests: t.requests,
            units_per_sec: t.units as f64 / secs,
            requests_per_sec: t.requests as f64 / secs,
            p50_ms: percentile(&t.latencies_us, 0.5),
            p99_ms: percentile(&t.latencies_us, 0.99),
        });
    }
    server.shutdown().await;
    Ok(rows)
}

/// One line of the result table.
#[derive(Debug, Clone)]
pub struct Row {
    /// Scenario name.
    pub name: String,
    /// Units done (requests, or sync rounds).
    pub units: u64,
    /// HTTP requests sent.
    pub requests: u64,
    /// Units per second.
    pub units_per_sec: f64,
    /// HTTP requests per second.
    pub requests_per_sec: f64,
    /// Median latency of a unit, ms.
    pub p50_ms: f64,
    /// 99th percentile latency of a unit, ms.
    pub p99_ms: f64,
}

fn print(rows: &[Row]) {
    println!(
        "{:<28} {:>10} {:>10} {:>12} {:>12} {:>9} {:>9}",
        "scenario", "units", "requests", "units/s", "requests/s", "p50 ms", "p99 ms"
    );
    for r in rows {
        println!(
            "{:<28} {:>10} {:>10} {:>12.0} {:>12.0} {:>9.2} {:>9.2}",
            r.name, r.units, r.requests, r.units_per_sec, r.requests_per_sec, r.p50_ms, r.p99_ms
        );
    }
}

/// Runs the sub-command.
pub fn main(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("contactspec bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(rows) => {
            print(&rows);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("contactspec bench: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["", "0", "-1s", "abc", "nans", "1e9"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_short_run_measures_every_scenario() {
        let args = Args {
            duration: Duration::from_millis(150),
            connections: 2,
            sync_size: 23,
            only: Vec::new(),
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let rows = rt.block_on(run(&args)).unwrap();
        assert_eq!(rows.len(), 4);
        for r in &rows {
            assert!(r.units > 0 && r.requests >= r.units, "{r:?}");
        }
        // 23 contacts with the default sync page size of 10: 1 + 2 + ... requests
        // per round (first page, its delta link continuing, then next links).
        let sync = &rows[3];
        assert_eq!(sync.requests % sync.units, 0);
        assert!(sync.requests / sync.units >= 3, "{sync:?}");
    }
}
