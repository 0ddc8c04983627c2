//! The whole reference server handling one request in-process.

use arbitrary::{Arbitrary, Unstructured};
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request};
use contactspec_netfuzz::oracle::{self, Reply};
use contactspec_netfuzz::plan::{self, Auth, Context, Folders, Plan, Target, encode_id};
use contactspec_server::routing::BASE_PATH;
use contactspec_server::{AppState, ServerConfig};
use http_body_util::BodyExt;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

const TOKEN: &str = "token-a";
const HOST: &str = "fuzz.invalid";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime starts")
    })
}

/// A request before it becomes an `http::Request`.
#[derive(Debug, Clone)]
struct Raw {
    method: String,
    /// Path and query after the base path (`me/contacts?$top=1`).
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    auth: Option<String>,
    body: Vec<u8>,
}

struct Server {
    app: axum::Router,
}

impl Server {
    async fn send(&self, raw: &Raw) -> Option<Reply> {
        let uri = format!("{BASE_PATH}/{}", raw.target);
        let method = Method::from_bytes(raw.method.as_bytes()).ok()?;
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", HOST);
        if let Some(a) = &raw.auth {
            req = req.header("authorization", HeaderValue::from_str(a).ok()?);
        }
        for (n, v) in &raw.headers {
            let name = HeaderName::from_bytes(n.as_bytes()).ok()?;
            if matches!(
                name.as_str(),
                "host" | "content-length" | "transfer-encoding" | "connection"
            ) {
                continue;
            }
            req = req.header(name, HeaderValue::from_bytes(v).ok()?);
        }
        let req = req.body(Body::from(raw.body.clone())).ok()?;
        let resp = self
            .app
            .clone()
            .oneshot(req)
            .await
            .expect("the router is infallible");
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).to_string(),
                )
            })
            .collect();
        let body = resp
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        Some(Reply {
            status,
            headers,
            body,
        })
    }

    async fn get(&self, target: String) -> Reply {
        let raw = Raw {
            method: "GET".into(),
            target,
            headers: vec![],
            auth: Some(format!("Bearer {TOKEN}")),
            body: vec![],
        };
        self.send(&raw)
            .await
            .expect("a plain GET is a valid request")
    }

    async fn with_body(&self, method: &str, target: String, ct: &str, body: Vec<u8>) -> Reply {
        let raw = Raw {
            method: method.into(),
            target,
            headers: vec![("content-type".into(), ct.as_bytes().to_vec())],
            auth: Some(format!("Bearer {TOKEN}")),
            body,
        };
        self.send(&raw)
            .await
            .expect("a plain write is a valid request")
    }
}

fn strip_origin(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let path = &rest[rest.find('/')?..];
    path.get(..BASE_PATH.len())
        .filter(|b| b.eq_ignore_ascii_case(BASE_PATH))
        .map(|_| path[BASE_PATH.len()..].trim_start_matches('/').to_string())
}

/// Creates the fixture: folders, two own contacts (the first with a photo), a sync link.
async fn setup(s: &Server) -> Context {
    let folders = s
        .get("me/contactfolders".into())
        .await
        .json()
        .unwrap_or_default();
    let mut f = Folders::default();
    for item in folders["value"].as_array().into_iter().flatten() {
        let id = item["Id"].as_str().unwrap_or_default().to_string();
        if item["WellKnownName"] == "contacts" {
            f.default = id;
        } else {
            f.others.push(id);
        }
    }
    let mut contacts = Vec::new();
    for name in ["Ada", "Grace"] {
        let body = format!(r#"{{"GivenName":"{name}","Surname":"run1"}}"#).into_bytes();
        let r = s
            .with_body("POST", "me/contacts".into(), "application/json", body)
            .await;
        assert_eq!(r.status, 201, "fixture create failed");
        contacts.push(
            r.json().unwrap_or_default()["Id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    let png = contactspec_netfuzz::photo::png(3, 2);
    let r = s
        .with_body(
            "PUT",
            format!("me/contacts/{}/photo/$value", encode_id(&contacts[0])),
            "image/png",
            png,
        )
        .await;
    assert_eq!(r.status, 200, "fixture photo failed");
    let sync = Raw {
        method: "GET".into(),
        target: "me/contacts".into(),
        headers: vec![("prefer".into(), b"odata.track-changes".to_vec())],
        auth: Some(format!("Bearer {TOKEN}")),
        body: vec![],
    };
    let delta = s
        .send(&sync)
        .await
        .and_then(|r| r.json())
        .and_then(|b| b["@odata.deltaLink"].as_str().map(str::to_string));
    Context {
        run_marker: "run1".into(),
        contacts,
        folders: f,
        delta_link: delta,
        huge: true,
        // No anchors: the network fuzzer's exact-count plans then only use filters
        // that match nothing, which hold in any state.
        anchors: Default::default(),
    }
}

/// Every stored thing a write could change: each folder's contacts and own photos.
async fn snapshot(s: &Server, ctx: &Context) -> Vec<(u16, Vec<u8>)> {
    let mut targets = vec!["me/contacts?$top=100".to_string()];
    for f in &ctx.folders.others {
        targets.push(format!(
            "me/contactfolders/{}/contacts?$top=100",
            encode_id(f)
        ));
    }
    for c in &ctx.contacts {
        targets.push(format!("me/contacts/{}/photo/$value", encode_id(c)));
    }
    let mut out = Vec::new();
    for t in targets {
        let r = s.get(t).await;
        out.push((r.status, r.body));
    }
    out
}

fn plan_to_raw(p: &Plan) -> Option<Raw> {
    let target = match &p.target {
        Target::Path { path, query } if query.is_empty() => path.clone(),
        Target::Path { path, query } => format!("{path}?{query}"),
        Target::Url(u) => strip_origin(u)?,
    };
    let auth = match &p.auth {
        Auth::Token => Some(format!("Bearer {TOKEN}")),
        Auth::Missing => None,
        Auth::Header(h) => Some(h.clone()),
    };
    Some(Raw {
        method: p.method.into(),
        target,
        headers: p.headers.clone(),
        auth,
        body: p.body.clone().unwrap_or_default(),
    })
}

#[derive(Arbitrary, Debug)]
enum Segment {
    Me,
    Contacts,
    ContactFolders,
    ChildFolders,
    Photo,
    Value,
    Count,
    Users,
    OwnContact(u8),
    Folder(u8),
    Text(String),
}

#[derive(Arbitrary, Debug)]
struct RawInput {
    method: u8,
    segments: Vec<Segment>,
    query: String,
    headers: Vec<(u8, String)>,
    auth: u8,
    body: Vec<u8>,
}

const METHODS: &[&str] = &[
    "GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS", "MERGE",
];
const HEADERS: &[&str] = &[
    "content-type",
    "prefer",
    "if-match",
    "accept",
    "client-request-id",
    "x-anchormailbox",
    "expect",
    "odata-version",
];

fn raw_from(input: RawInput, ctx: &Context) -> Raw {
    let pick = |v: &Vec<String>, i: u8| {
        v.get(usize::from(i) % v.len().max(1))
            .cloned()
            .unwrap_or_default()
    };
    let mut folders = ctx.folders.others.clone();
    folders.push(ctx.folders.default.clone());
    let path: Vec<String> = input
        .segments
        .into_iter()
        .take(8)
        .map(|s| match s {
            Segment::Me => "me".into(),
            Segment::Contacts => "contacts".into(),
            Segment::ContactFolders => "contactfolders".into(),
            Segment::ChildFolders => "childfolders".into(),
            Segment::Photo => "photo".into(),
            Segment::Value => "$value".into(),
            Segment::Count => "$count".into(),
            Segment::Users => "users".into(),
            Segment::OwnContact(i) => encode_id(&pick(&ctx.contacts, i)),
            Segment::Folder(i) => encode_id(&pick(&folders, i)),
            Segment::Text(t) => t,
        })
        .collect();
    let mut target = path.join("/");
    if !input.query.is_empty() {
        target.push('?');
        target.push_str(&input.query);
    }
    let headers = input
        .headers
        .into_iter()
        .take(6)
        .map(|(n, v)| {
            (
                HEADERS[usize::from(n) % HEADERS.len()].to_string(),
                v.into_bytes(),
            )
        })
        .collect();
    let auth = match input.auth % 4 {
        0 | 1 => Some(format!("Bearer {TOKEN}")),
        2 => None,
        _ => Some("Bearer nobody".into()),
    };
    Raw {
        method: METHODS[usize::from(input.method) % METHODS.len()].into(),
        target,
        headers,
        auth,
        body: input.body,
    }
}

/// A server with the fixture in place, and what the fixture created. Every input runs
/// on a fork of this state (`AppState::fork`): the same data, faults and sync key, so
/// inputs never see each other's writes, and libFuzzer's coverage of an input is that
/// input's request rather than the fixture's setup (three times the executions per
/// second of building the fixture per input).
struct Prepared {
    state: Arc<AppState>,
    ctx: Context,
}

fn prepared() -> &'static Prepared {
    static PREPARED: OnceLock<Prepared> = OnceLock::new();
    PREPARED.get_or_init(|| {
        let state = contactspec_server::state(&ServerConfig::default());
        let s = Server {
            app: contactspec_server::app::router(state.clone()),
        };
        let ctx = runtime().block_on(setup(&s));
        Prepared { state, ctx }
    })
}

/// Oracle: no 5xx; every 4xx other than 401 (and other than to HEAD) carries the
/// error object with `Content-Type: application/json`; a structure-aware request gets
/// the status its one defect's rule requires (the network fuzzer's oracle); and a
/// rejected write leaves every folder's contacts and every photo as they were.
pub fn server_request(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let prepared = prepared();
    runtime().block_on(async move {
        let s = Server {
            app: contactspec_server::app::router(Arc::new(prepared.state.fork())),
        };
        let ctx = &prepared.ctx;
        let mut u = Unstructured::new(rest);
        let (raw, plan) = if mode & 1 == 0 {
            let Ok(p) = plan::generate(&mut u, ctx, "mk1".into()) else {
                return;
            };
            let Some(raw) = plan_to_raw(&p) else { return };
            (raw, Some(p))
        } else {
            let Ok(input) = RawInput::arbitrary(&mut u) else {
                return;
            };
            (raw_from(input, ctx), None)
        };
        let write = !matches!(raw.method.as_str(), "GET" | "HEAD" | "OPTIONS");
        let before = if write {
            Some(snapshot(&s, ctx).await)
        } else {
            None
        };
        let Some(reply) = s.send(&raw).await else {
            return;
        };
        let shown = || {
            format!(
                "{} {} -> {}: {}",
                raw.method,
                raw.target,
                reply.status,
                String::from_utf8_lossy(&reply.body[..reply.body.len().min(500)])
            )
        };
        assert!(reply.status < 500, "5xx: {}", shown());
        if (400..500).contains(&reply.status)
            && reply.status != 401
            && raw.method != "HEAD"
            && let Some(why) = oracle::error_shape_problem(&reply)
        {
            panic!("ERR-SHAPE: {why}: {}", shown());
        }
        if let Some(p) = &plan {
            let v = oracle::check(p, &reply);
            assert!(v.is_empty(), "{v:?} ({}): {}", p.defect, shown());
        }
        if let Some(before) = before
            && (400..500).contains(&reply.status)
        {
            let after = snapshot(&s, ctx).await;
            assert!(
                after == before,
                "rejected write changed the store: {}",
                shown()
            );
        }
    });
}
