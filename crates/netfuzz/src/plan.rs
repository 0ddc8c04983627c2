//! One fuzz request: what to send, what SPEC.md expects back, and what to read back
//! afterwards. Plans are drawn from `arbitrary::Unstructured`, so the same generator
//! serves the network fuzzer (bytes from a seeded RNG) and the in-process cargo-fuzz
//! target (bytes from libFuzzer).

use crate::contact::{self, Mode, Verdict};
use crate::photo::{self, PhotoVerdict};
use crate::query::{self, Entity, QueryVerdict};
use crate::text::{one_in, weighted};
use arbitrary::{Result, Unstructured};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A path relative to the base URL (already percent-encoded) and a raw query
    /// string (without `?`, possibly empty).
    Path {
        /// The path, e.g. `me/contacts`.
        path: String,
        /// The query string.
        query: String,
    },
    /// An absolute URL the server handed out (a sync link), used as-is.
    Url(String),
}

/// What goes in `Authorization`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Bearer <the run's token>`.
    Token,
    /// No `Authorization` header.
    Missing,
    /// This exact header value.
    Header(String),
}

/// The status SPEC.md requires, and the rule that requires it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The rule ID (empty: only the universal checks apply).
    pub rule: &'static str,
    /// Allowed statuses (empty: any status the universal checks allow).
    pub statuses: Vec<u16>,
}

impl Expectation {
    /// No status expectation.
    pub fn any() -> Expectation {
        Expectation {
            rule: "",
            statuses: Vec::new(),
        }
    }

    fn new(rule: &'static str, statuses: &[u16]) -> Expectation {
        Expectation {
            rule,
            statuses: statuses.to_vec(),
        }
    }
}

/// A check on the response itself, beyond its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Post {
    /// Nothing more.
    None,
    /// A 200 collection page holds at most this many entities (Q-TOP, Q-MAXPAGESIZE,
    /// Q-PAGE-DEFAULT: the rule is named).
    PageAtMost(usize, &'static str),
    /// A 200 answer to the first request of a sync round: `Preference-Applied` lists
    /// `odata.track-changes` (SY-PREFER), a delta link and no next link (SY-FIRST).
    SyncFirst,
    /// A 200 answer to a request that carried `odata.track-changes`: SY-PREFER.
    SyncPrefer,
    /// A 200 `$count` answer is `text/plain` holding a number (Q-COUNT).
    Count,
    /// A 200 `/$count` answer is exactly the number of [`Exact::ids`] (Q-COUNT): the
    /// filter names a marker that only entities the run controls carry.
    ExactCount(Exact),
    /// A 200 page of a query whose filter matches exactly [`Exact::ids`]: only those
    /// entities (Q-FILTER), at most the page size, `@odata.count` (when sent) equal to
    /// their number, and every one of them over the walk of the next links.
    Exact(Exact),
    /// A targeted probe's check of its 200 answer ([`crate::probes`]).
    Probe(crate::probes::Check),
}

/// Contacts created at setup with a marker of their own, in the default folder, that
/// no fuzz request ever modifies or deletes (until cleanup): the ground truth of the
/// `$count` and filter oracles, whatever else the mailbox holds and whatever the
/// other workers create, change and delete meanwhile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Anchors {
    /// Their `GivenName`: unique to the run, never written by a fuzz request.
    pub marker: String,
    /// Their `Surname` (the run marker, so cleanup finds them like every other
    /// contact of the run).
    pub surname: String,
    /// Their ids.
    pub ids: Vec<String>,
}

/// What the fuzzer knows for sure about the answer to a query whose `$filter` names
/// a marker: the entities it matches are exactly `ids` (the anchors, or none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exact {
    /// Ids of every entity of the collection that the filter matches.
    pub ids: Vec<String>,
    /// The anchors, when the filter names their marker (to rebuild them in a saved case).
    pub anchors: Option<Anchors>,
    /// The page-size bound of a list and the rule that sets it (Q-TOP, Q-MAXPAGESIZE,
    /// Q-PAGE-DEFAULT); `None` for `/$count`.
    pub page: Option<(usize, &'static str)>,
    /// Whether `$count=true` was sent.
    pub count: bool,
}

/// What the fuzzer reads back after the request, to check that a rejected write
/// changed nothing (CT-ATOMIC, PH-BAD) and an accepted one did what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readback {
    /// Nothing to read back.
    None,
    /// A create: on rejection, no contact of `collection` (a path) may carry
    /// `GivenName` = the plan's marker; on 201 the new contact is deleted.
    Created {
        /// The collection path posted to.
        collection: String,
    },
    /// A write to the fuzzer's own contact `id`: on rejection it must be unchanged.
    Contact {
        /// The contact id (raw, not encoded).
        id: String,
    },
    /// A photo upload to own contact `id`: on rejection the photo must be unchanged;
    /// on 200 with known dimensions, the metadata must report them (PH-META).
    Photo {
        /// The contact id (raw).
        id: String,
        /// Dimensions of a complete image upload.
        dims: Option<(u32, u32)>,
    },
}

/// One request to send, with its oracle.
#[derive(Debug, Clone)]
pub struct Plan {
    /// HTTP method.
    pub method: &'static str,
    /// Where to send it.
    pub target: Target,
    /// Headers other than `Authorization` (values as raw bytes).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The `Authorization` header.
    pub auth: Auth,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
    /// Required status and rule.
    pub expect: Expectation,
    /// Further checks on the response.
    pub post: Post,
    /// What to read back afterwards.
    pub readback: Readback,
    /// Route template for de-duplication (`POST me/contacts`).
    pub endpoint: String,
    /// What is wrong with (or borderline about) the request.
    pub defect: String,
    /// The per-request marker a create body carries as `GivenName`.
    pub marker: String,
}

impl Plan {
    /// A plain authorised `GET me/contacts` with no expectation, no read-back and no
    /// marker (for the engine's own requests).
    pub fn get() -> Plan {
        Plan {
            method: "GET",
            target: path("me/contacts", ""),
            headers: Vec::new(),
            auth: Auth::Token,
            body: None,
            expect: Expectation::any(),
            post: Post::None,
            readback: Readback::None,
            endpoint: String::new(),
            defect: String::new(),
            marker: String::new(),
        }
    }

    /// Whether the body is large (64 KiB or more): a server may answer before reading
    /// all of it (a 413, or a 415 decided from the headers, GEN-BODY-EARLY) and close
    /// the connection, so a failed write of such a body is no finding by itself.
    pub fn large_body(&self) -> bool {
        self.body.as_ref().is_some_and(|b| b.len() >= 64 * 1024)
    }
}

/// The folders of the fuzzed user, discovered at setup.
#[derive(Debug, Clone, Default)]
pub struct Folders {
    /// The default Contacts folder id.
    pub default: String,
    /// Other folder ids (top-level and children).
    pub others: Vec<String>,
}

/// What the generator may refer to.
#[derive(Debug, Clone)]
pub struct Context {
    /// Marker carried (as `Surname`) by everything this run creates.
    pub run_marker: String,
    /// Ids of contacts this run created and may write to.
    pub contacts: Vec<String>,
    /// The user's folders.
    pub folders: Folders,
    /// A delta link from a sync round of the default folder, if one was started.
    pub delta_link: Option<String>,
    /// Whether 4 MB bodies may be generated (rarely).
    pub huge: bool,
    /// The run's anchor contacts (none: only filters that match nothing are sent).
    pub anchors: Anchors,
}

/// Characters of an id left unencoded in paths (RFC 3986 unreserved and `=`).
const ID: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'=');

/// Percent-encodes an id for a path segment (SPEC.md §0).
pub fn encode_id(id: &str) -> String {
    utf8_percent_encode(id, ID).to_string()
}

#[derive(Debug, Clone, Copy)]
enum Family {
    Create,
    Patch,
    List,
    Count,
    Exact,
    Folders,
    Photo,
    Sync,
    Entity,
    Auth,
    Route,
    Probe,
}

const FAMILIES: &[(u32, Family)] = &[
    (6, Family::List),
    (22, Family::Create),
    (16, Family::Patch),
    (12, Family::List),
    (4, Family::Count),
    (6, Family::Exact),
    (6, Family::Folders),
    (10, Family::Photo),
    (10, Family::Sync),
    (6, Family::Entity),
    (3, Family::Auth),
    (4, Family::Route),
    (12, Family::Probe),
];

const JSON: &str = "application/json";

fn header(name: &str, value: &str) -> (String, Vec<u8>) {
    (name.to_string(), value.as_bytes().to_vec())
}

fn path(p: impl Into<String>, q: impl Into<String>) -> Target {
    Target::Path {
        path: p.into(),
        query: q.into(),
    }
}

/// Draws one plan. `marker` must be unique per request (letters and digits).
pub fn generate(u: &mut Unstructured<'_>, ctx: &Context, marker: String) -> Result<Plan> {
    let mut plan = Plan {
        defect: String::from("none"),
        marker,
        ..Plan::get()
    };
    let family = weighted(u, FAMILIES)?;
    match family {
        Family::Create => create(u, ctx, &mut plan)?,
        Family::Patch if !ctx.contacts.is_empty() => patch(u, ctx, &mut plan)?,
        Family::Photo if !ctx.contacts.is_empty() => photo(u, ctx, &mut plan)?,
        Family::Patch | Family::Photo | Family::List => list(u, ctx, &mut plan, false)?,
        Family::Count => list(u, ctx, &mut plan, true)?,
        Family::Exact => exact(u, ctx, &mut plan)?,
        Family::Folders => folders(u, ctx, &mut plan)?,
        Family::Sync => sync(u, ctx, &mut plan)?,
        Family::Entity => entity(u, ctx, &mut plan)?,
        Family::Auth => auth(u, &mut plan)?,
        Family::Route => route(u, ctx, &mut plan)?,
        Family::Probe if !ctx.contacts.is_empty() => crate::probes::generate(u, ctx, &mut plan)?,
        Family::Probe => list(u, ctx, &mut plan, false)?,
    }
    if plan.method == "GET" && one_in(u, 6)? {
        // GEN-TOLERANT: Accept never causes 406, unknown headers are ignored.
        let (n, v) = *u.choose(&[
            ("Accept", "*/*, application/json"),
            ("Accept", "application/json;odata.metadata=full"),
            ("Accept", "text/html"),
            ("X-AnchorMailbox", "someone@example.com"),
            ("client-request-id", "6a3d6a0e-0000-4000-8000-000000000000"),
            ("Content-Type", "application/json"),
        ])?;
        plan.headers.push(header(n, v));
    }
    Ok(plan)
}

fn folder_path(u: &mut Unstructured<'_>, ctx: &Context) -> Result<(String, String)> {
    if ctx.folders.others.is_empty() || u.arbitrary()? {
        if ctx.folders.default.is_empty() || u.arbitrary()? {
            return Ok(("me/contacts".into(), "me/contacts".into()));
        }
        return Ok((
            format!(
                "me/contactfolders/{}/contacts",
                encode_id(&ctx.folders.default)
            ),
            "me/contactfolders/{id}/contacts".into(),
        ));
    }
    let f = u.choose(&ctx.folders.others)?;
    Ok((
        format!("me/contactfolders/{}/contacts", encode_id(f)),
        "me/contactfolders/{id}/contacts".into(),
    ))
}

fn contact_expect(verdict: Verdict, success: u16, ok_rule: &'static str) -> Expectation {
    match verdict {
        Verdict::Valid => Expectation::new(ok_rule, &[success]),
        Verdict::Reject(rule) => Expectation::new(rule, &[400]),
        Verdict::Either(rule) => Expectation::new(rule, &[success, 400]),
        Verdict::TooLarge => Expectation::new("GEN-BODY-LIMIT", &[413]),
        Verdict::AtLimit => Expectation::new("GEN-BODY-LIMIT", &[success]),
        Verdict::NotTooLarge => Expectation::new("GEN-BODY-LIMIT", &[success, 400]),
    }
}

/// Whether the verdict is about the body's size (GEN-BODY-LIMIT).
fn size_probe(v: Verdict) -> bool {
    matches!(
        v,
        Verdict::TooLarge | Verdict::AtLimit | Verdict::NotTooLarge
    )
}

/// A JSON `Content-Type`, occasionally a variant; returns whether it is still JSON.
fn json_content_type(u: &mut Unstructured<'_>, plan: &mut Plan) -> Result<bool> {
    let (ct, is_json) = weighted(
        u,
        &[
            (20, (Some(JSON), true)),
            (2, (Some("application/json; charset=utf-8"), true)),
            (2, (Some("application/json;odata.metadata=minimal"), true)),
            (1, (Some("text/plain"), false)),
            (1, (None, false)),
            (1, (Some("application/x-www-form-urlencoded"), false)),
        ],
    )?;
    if let Some(ct) = ct {
        plan.headers.push(header("Content-Type", ct));
    }
    Ok(is_json)
}

fn create(u: &mut Unstructured<'_>, ctx: &Context, plan: &mut Plan) -> Result<()> {
    let (p, endpoint) = folder_path(u, ctx)?;
    let body = contact::contact_body(u, Mode::Create, &plan.marker, &ctx.run_marker, ctx.huge)?;
    plan.method = "POST";
    let is_json = if size_probe(body.verdict) {
        // One defect at a time: a size probe is always sent as JSON.
        plan.headers.push(header("Content-Type", JSON));
        true
    } else {
        json_content_type(u, plan)?
    };
    plan.expect = contact_expect(body.verdict, 201, "CT-CREATE");
    if !is_json && !matches!(body.verdict, Verdict::TooLarge) {
        // GEN-CONTENT-TYPE (a SHOULD): a valid body under a non-JSON type gets 415; with
        // a second defect in the body, 400 is as good (GEN-CHECK-ORDER).
        plan.expect = if body.verdict == Verdict::Valid {
            Expectation::new("GEN-CONTENT-TYPE", &[415])
        } else {
            Expectation::new("GEN-CONTENT-TYPE", &[201, 400, 415])
        };
    }
    plan.defect = body.defect.to_string();
    plan.body = Some(body.bytes);
    plan.readback = Readback::Created {
        collection: p.clone(),
    };
    plan.target = path(p, "");
    plan.endpoint = format!("POST {endpoint}");
    Ok(())
}

fn own(u: &mut Unstructured<'_>, ctx: &Context) -> Result<String> {
    Ok(u.choose(&ctx.contacts)?.clone())
}

fn patch(u: &mut Unstructured<'_>, ctx: &Context, plan: &mut Plan) -> Result<()> {
    let id = own(u, ctx)?;
    let body = contact::contact_body(u, Mode::Update, &plan.marker, &ctx.run_marker, ctx.huge)?;
    plan.method = "PATCH";
    let is_json = if size_probe(body.verdict) {
        // One defect at a time: a size probe is always sent as JSON.
        plan.headers.push(header("Content-Type", JSON));
        true
    } else {
        json_content_type(u, plan)?
    };
    plan.expect = contact_expect(body.verdict, 200, "CT-UPDATE");
    if !is_json && !matches!(body.verdict, Verdict::TooLarge) {
        plan.expect = if body.verdict == Verdict::Valid {
            Expectation::new("GEN-CONTENT-TYPE", &[415])
        } else {
            Expectation::new("GEN-CONTENT-TYPE", &[200, 400, 415])
        };
    } else if body.verdict == Verdict::Valid && one_in(u, 8)? {
        plan.headers
            .push(header("If-Match", "W/\"not-the-current-version\""));
        plan.expect = Expectation::new("CT-CONFLICT", &[412]);
        plan.defect = "stale If-Match".into();
    }
    if plan.defect == "none" {
        plan.defect = body.defect.to_string();
    }
    plan.body = Some(body.bytes);
    plan.target = path(format!("me/contacts/{}", encode_id(&id)), "");
    plan.readback = Readback::Contact { id };
    plan.endpoint = "PATCH me/contacts/{id}".into();
    Ok(())
}

fn photo(u: &mut Unstructured<'_>, ctx: &Context, plan: &mut Plan) -> Result<()> {
    let id = own(u, ctx)?;
    let enc = encode_id(&id);
    if one_in(u, 4)? {
        let (suffix, endpoint) = *u.choose(&[
            ("photo", "GET me/contacts/{id}/photo"),
            ("photo/$value", "GET me/contacts/{id}/photo/$value"),
        ])?;
        plan.target = path(format!("me/contacts/{enc}/{suffix}"), "");
        plan.endpoint = endpoint.into();
        plan.expect = Expectation::new("PH-GET", &[200, 404]);
        return Ok(());
    }
    let body = photo::photo_body(u, ctx.huge)?;
    plan.method = if one_in(u, 5)? { "PATCH" } else { "PUT" };
    if let Some(ct) = body.content_type {
        plan.headers.push(header("Content-Type", ct));
    }
    let mut dims = None;
    plan.expect = match body.verdict {
        PhotoVerdict::Valid { width, height } => {
            dims = Some((width, height));
            if plan.method == "PUT" {
                Expectation::new("PH-SET", &[200])
            } else {
                Expectation::new("PH-METHODS", &[200, 405])
            }
        }
        PhotoVerdict::Reject(rule, statuses) if plan.method == "PUT" => {
            Expectation::new(rule, statuses)
        }
        PhotoVerdict::TooLarge => Expectation::new("GEN-BODY-LIMIT", &[413]),
        _ => Expectation::any(),
    };
    plan.defect = body.defect.to_string();
    plan.body = Some(body.bytes);
    plan.target = path(format!("me/contacts/{enc}/photo/$value"), "");
    plan.readback = Readback::Photo { id, dims };
    plan.endpoint = format!("{} me/contacts/{{id}}/photo/$value", plan.method);
    Ok(())
}

fn query_expect(v: QueryVerdict) -> Expectation {
    match v {
        QueryVerdict::Valid => Expectation::new("Q-FILTER", &[200]),
        QueryVerdict::Reject(rule) => Expectation::new(rule, &[400]),
        QueryVerdict::Either => Expectation::any(),
    }
}

/// A page-size preference, sometimes (Q-MAXPAGESIZE).
fn maxpagesize(u: &mut Unstructured<'_>, plan: &mut Plan) -> Result<Option<usize>> {
    if !one_in(u, 4)? {
        return Ok(None);
    }
    let n = u.int_in_range(1..=12usize)?;
    let v = match u.int_in_range(0..=2u8)? {
        0 => format!("odata.maxpagesize={n}"),
        1 => format!("odata.maxpagesize = {n}"),
        _ => format!("foo=bar, odata.maxpagesize={n}"),
    };
    plan.headers.push(("Prefer".into(), v.into_bytes()));
    Ok(Some(n))
}

fn list(u: &mut Unstructured<'_>, ctx: &Context, plan: &mut Plan, count: bool) -> Result<()> {
    let (p, endpoint) = folder_path(u, ctx)?;
    let q = query::query(u, Entity::Contact, count)?;
    plan.expect = query_expect(q.verdict);
    plan.defect = q.defect.to_string();
    if count {
        plan.target = path(format!("{p}/$count"), q.raw);
        plan.endpoint = format!("GET {endpoint}/$count");
        if plan.expect.rule == "Q-FILTER" {
            plan.expect.rule = "Q-COUNT";
        }
        plan.post = Post::Count;
    } else {
        let mps = maxpagesize(u, plan)?;
        if q.verdict == QueryVerdict::Valid {
            plan.post = match (q.top, mps, q.raw.to_ascii_lowercase().contains("top")) {
                (Some(t), _, _) => Post::PageAtMost(t, "Q-TOP"),
                (None, Some(n), false) => Post::PageAtMost(n, "Q-MAXPAGESIZE"),
                (None, None, false) => Post::PageAtMost(
                    contactspec_model::properties::DEFAULT_PAGE_SIZE,
                    "Q-PAGE-DEFAULT",
                ),
                _ => Post::None,
            };
        }
        plan.target = path(p, q.raw);
        plan.endpoint = format!("GET {endpoint}");
    }
    Ok(())
}

/// A query whose `$filter` matches exactly the anchors (in the default folder) or
/// nothing at all (another folder, or a fresh marker no contact carries: the plan's
/// own marker, which only a create of this very plan would write), with `$count`,
/// `$select`, `$orderby`, `$top` and page-size preferences around it; or the same
/// filter on `/$count`. Race-free: no other request writes these markers.
fn exact(u: &mut Unstructured<'_>, ctx: &Context, plan: &mut Plan) -> Result<()> {
    let anchored = !ctx.anchors.ids.is_empty() && !one_in(u, 3)?;
    let (p, endpoint, default_folder) = match u.int_in_range(0..=3u8)? {
        2 if !ctx.folders.default.is_empty() => (
            format!(
                "me/contactfolders/{}/contacts",
                encode_id(&ctx.folders.default)
            ),
            "me/contactfolders/{id}/contacts",
            true,
        ),
        3 if !ctx.folders.others.is_empty() => (
            format!(
                "me/contactfolders/{}/contacts",
                encode_id(u.choose(&ctx.folders.others)?)
            ),
            "me/contactfolders/{id}/contacts",
            false,
        ),
        _ => ("me/contacts".to_string(), "me/contacts", true),
    };
    let marker = if anchored {
        ctx.anchors.marker.clone()
    } else {
        plan.marker.clone()
    };
    let surname = if anchored {
        ctx.anchors.surname.as_str()
    } else {
        ctx.run_marker.as_str()
    };
    let fresh = format!("{}x", plan.marker);
    let filter = match u.int_in_range(0..=3u8)? {
        0 => format!("GivenName eq {}", query::quote(&marker)),
        // Q-FILTER: strings compare case-insensitively.
        1 => format!("GivenName eq {}", query::quote(&marker.to_uppercase())),
        2 => format!(
            "GivenName eq {} and Surname eq {}",
            query::quote(&marker),
            query::quote(surname)
        ),
        _ => format!(
            "(GivenName eq {} or GivenName eq {})",
            query::quote(&fresh),
            query::quote(&marker)
        ),
    };
    let ids = if anchored && default_folder {
        ctx.anchors.ids.clone()
    } else {
        Vec::new()
    };
    let n = ids.len();
    let mut exact = Exact {
        ids,
        anchors: anchored.then(|| ctx.anchors.clone()),
        page: None,
        count: false,
    };
    plan.expect = Expectation::new("Q-FILTER", &[200]);
    plan.defect = format!("a filter that matches exactly {n} entities");
    let mut q = format!("$filter={}", query::enc(u, &filter)?);
    if u.arbitrary()? {
        // Q-COUNT: $top and $skip do not apply to /$count.
        if one_in(u, 4)? {
            let opt = *u.choose(&["$top", "$skip"])?;
            q.push_str(&format!("&{opt}={}", u.int_in_range(0..=3u8)?));
        }
        plan.target = path(format!("{p}/$count"), q);
        plan.endpoint = format!("GET {endpoint}/$count (exact)");
        plan.expect.rule = "Q-COUNT";
        plan.post = Post::ExactCount(exact);
        return Ok(());
    }
    exact.count = !one_in(u, 4)?;
    if exact.count {
        q.push_str("&$count=true");
    }
    if u.arbitrary()? {
        let s = query::select_list(u, Entity::Contact)?;
        q.push_str(&format!("&$select={}", query::enc(u, &s)?));
    }
    if one_in(u, 3)? {
        let o = query::orderby(u, Entity::Contact)?;
        q.push_str(&format!("&$orderby={}", query::enc(u, &o)?));
    }
    exact.page = Some(if u.arbitrary()? {
        // Small pages walk the anchors over several next links.
        let t = u.int_in_range(0..=n + 1)?;
        q.push_str(&format!("&$top={t}"));
        (t, "Q-TOP")
    } else if let Some(m) = maxpagesize(u, plan)? {
        (m, "Q-MAXPAGESIZE")
    } else {
        (
            contactspec_model::properties::DEFAULT_PAGE_SIZE,
            "Q-PAGE-DEFAULT",
        )
    });
    plan.target = path(p, q);
    plan.endpoint = format!("GET {endpoint} (exact)");
    plan.post = Post::Exact(exact);
    Ok(())
}

fn folders(u: &mut Unstructured<'_>, ctx: &Context, plan: &mut Plan) -> Result<()> {
    let q = query::query(u, Entity::Folder, false)?;
    let parent = if ctx.folders.others.is_empty() || u.arbitrary()? {
        None
    } else {
        Some(u.choose(&ctx.folders.others)?.clone())
    };
    let count = one_in(u, 5)?;
    let (p, endpoint) = match &parent {
        None => ("me/contactfolders".to_string(), "me/contactfolders"),
        Some(f) => (
            format!("me/contactfolders/{}/childfolders", encode_id(f)),
            "me/contactfolders/{id}/childfolders",
        ),
    };
    plan.expect = query_expect(q.verdict);
    plan.defect = q.defect.to_string();
    if plan.expect.rule == "Q-FILTER" {
        plan.expect.rule = "CF-QUERY";
    }
    if count {
        // Only $filter applies to $count; keep the query only when it is just that.
        let only_filter = q
            .raw
            .split('&')
            .all(|kv| kv.to_ascii_lowercase().starts_with("$filter=") || kv.is_empty());
        let qs = if only_filter { q.raw } else { String::new() };
        if !only_filter {
            plan.expect = Expectation::new("Q-COUNT", &[200]);
            plan.defect = "none".into();
        }
        plan.target = path(format!("{p}/$count"), qs);
        plan.endpoint = format!("GET {endpoint}/$count");
        plan.post = Post::Count;
    } else {
        if q.verdict == QueryVerdict::Valid {
            plan.post = match q.top {
                Some(t) => Post::PageAtMost(t, "Q-TOP"),
                None if !q.raw.to_ascii_lowercase().contains("top") => Post::PageAtMost(
                    contactspec_model::properties::DEFAULT_PAGE_SIZE,
                    "Q-PAGE-DEFAULT",
                ),
                None => Post::None,
            };
        }
        plan.target = path(p, q.raw);
        plan.endpoint = format!("GET {endpoint}");
    }
    Ok(())
}

/// The token inside a sync link: (link before the value, value, link after it).
pub fn split_token(link: &str) -> Option<(String, String, String)> {
    let qpos = link.find('?')?;
    let mut start = qpos + 1;
    for part in link[qpos + 1..].split('&') {
        let name = part.split('=').next().unwrap_or("");
        let lname = name.to_ascii_lowercase();
        if lname == "$deltatoken"
            || lname == "$skiptoken"
            || lname == "%24deltatoken"
            || lname == "%24skiptoken"
        {
            let vstart = start + name.len() + 1;
            let vend = start + part.len();
            if vstart > vend {
                return None;
            }
            return Some((
                link[..vstart].to_string(),
                link[vstart..vend].to_string(),
                link[vend..].to_string(),
            ));
        }
        start += part.len() + 1;
    }
    None
}

/// Replaces one character in the middle third of `token` by another letter or digit
/// (SY-TOKEN-BAD). Works on the percent-decoded token and re-encodes it.
pub fn tamper(u: &mut Unstructured<'_>, raw_token: &str) -> Result<String> {
    let decoded = percent_encoding::percent_decode_str(raw_token)
        .decode_utf8_lossy()
        .to_string();
    let mut chars: Vec<char> = decoded.chars().collect();
    if chars.is_empty() {
        return Ok("A".into());
    }
    let lo = chars.len() / 3;
    let hi = (2 * chars.len() / 3).max(lo + 1).min(chars.len());
    let i = u.int_in_range(lo..=hi - 1)?;
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut c = char::from(*u.choose(ALNUM)?);
    if c == chars[i] {
        c = if c == 'A' { 'B' } else { 'A' };
    }
    chars[i] = c;
    let s: String = chars.into_iter().collect();
    Ok(utf8_percent_encode(&s, ID).to_string())
}

fn sync(u: &mut Unstructured<'_>, ctx: &Context, plan: &mut Plan) -> Result<()> {
    let track =
        |plan: &mut Plan, v: &str| plan.headers.push(("Prefer".into(), v.as_bytes().to_vec()));
    let kind = u.int_in_range(0..=9u8)?;
    let link = ctx.delta_link.clone().filter(|_| kind >= 4);
    let Some(link) = link else {
        // Start a round, with RFC 7240 syntax variants.
        let variants: &[(&str, bool)] = &[
            ("odata.track-changes", true),
            ("odata.track-changes, odata.maxpagesize=5", true),
            ("odata.maxpagesize = 3 , odata.track-changes", true),
            (
                "outlook.timezone=\"Pacific Standard Time\", odata.track-changes",
                true,
            ),
            ("foo=\"a,b\", odata.track-changes", true),
            ("odata.track-changes; x=y", true),
            ("odata.maxpages=2, odata.track-changes", true),
            ("ODATA.TRACK-CHANGES", false),
            ("odata.track-changes,,", false),
        ];
        let (v, must) = *u.choose(variants)?;
        track(plan, v);
        if one_in(u, 3)? {
            track(plan, "odata.maxpagesize=2");
        }
        let (p, endpoint) = folder_path(u, ctx)?;
        plan.endpoint = format!("GET {endpoint} (sync start)");
        plan.defect = format!("Prefer: {v}");
        if one_in(u, 3)? {
            let (opt, val) = *u.choose(&[
                ("$filter", "Surname%20eq%20'x'"),
                ("$orderby", "GivenName"),
                ("$top", "2"),
                ("$skip", "1"),
                ("$count", "true"),
                ("$search", "x"),
            ])?;
            plan.target = path(p, format!("{opt}={val}"));
            plan.expect = Expectation::new("SY-FORBIDDEN", &[400]);
            plan.defect = format!("{opt} on a sync request");
        } else {
            plan.target = path(
                p,
                if one_in(u, 3)? {
                    "$select=GivenName,Surname"
                } else {
                    ""
                },
            );
            if must {
                plan.expect = Expectation::new("GEN-PREFER-SYNTAX", &[200]);
                plan.post = Post::SyncFirst;
            }
        }
        return Ok(());
    };
    let Some((before, token, after)) = split_token(&link) else {
        plan.target = Target::Url(link);
        plan.endpoint = "GET sync link".into();
        return Ok(());
    };
    plan.endpoint = "GET sync link".into();
    if u.arbitrary()? {
        track(plan, "odata.track-changes");
        plan.post = Post::SyncPrefer;
    }
    match kind {
        4 => {
            // Replaying a link (SY-REPLAY) and sending a token without the Prefer
            // header (SY-TOKEN-ONLY) are SHOULDs: no status expectation.
            plan.target = Target::Url(link);
            plan.defect = "none".into();
        }
        5 | 6 => {
            plan.target = Target::Url(format!("{before}{}{after}", tamper(u, &token)?));
            plan.expect = Expectation::new("SY-TOKEN-BAD", &[400]);
            plan.defect = "token with one character changed".into();
            plan.post = Post::None;
        }
        7 => {
            let junk = *u.choose(&[
                "",
                "x",
                "AAAA",
                "%00",
                "..%2F..",
                "eyJhbGciOiJub25lIn0.e30.",
                "0000000000000000000000000000000000",
            ])?;
            plan.target = Target::Url(format!("{before}{junk}{after}"));
            plan.expect = Expectation::new("SY-TOKEN-BAD", &[400]);
            plan.defect = "token this server did not issue".into();
            plan.post = Post::None;
        }
        8 => {
            plan.target = Target::Url(format!("{link}&$skiptoken={token}"));
            plan.expect = Expectation::new("SY-TOKEN-PATH", &[400]);
            plan.defect = "both a skip token and a delta token".into();
            plan.post = Post::None;
        }
        _ => {
            // The default folder's token sent to another folder.
            if let Some(f) = ctx.folders.others.first() {
                let lname = before
                    .rsplit(['?', '&'])
                    .next()
                    .unwrap_or("$deltatoken=")
                    .to_string();
                plan.target = path(
                    format!("me/contactfolders/{}/contacts", encode_id(f)),
                    format!("{lname}{token}"),
                );
                plan.expect = Expectation::new("SY-TOKEN-BAD", &[400]);
                plan.defect = "token used on another folder".into();
                plan.endpoint = "GET me/contactfolders/{id}/contacts (sync link)".into();
                plan.post = Post::None;
            } else {
                plan.target = Target::Url(link);
            }
        }
    }
    Ok(())
}

/// An id no server issued: letters, digits and the characters real ids carry.
fn fake_id(u: &mut Unstructured<'_>) -> Result<String> {
    const CH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789=+-_";
    let n = u.int_in_range(1..=60usize)?;
    let mut s = String::from("AAMk");
    for _ in 0..n {
        s.push(char::from(*u.choose(CH)?));
    }
    if one_in(u, 4)? {
        s.push_str(u.choose(&["'", " x", "/..", "%", "é", "\u{0}", "?a=b", "#f"])?);
    }
    Ok(s)
}

fn entity(u: &mut Unstructured<'_>, ctx: &Context, plan: &mut Plan) -> Result<()> {
    if !ctx.contacts.is_empty() && u.arbitrary()? {
        let id = own(u, ctx)?;
        let q = query::query(u, Entity::Contact, false)?;
        // Only $select applies to one entity; keep the select part.
        let sel: Vec<&str> = q
            .raw
            .split('&')
            .filter(|kv| kv.to_ascii_lowercase().starts_with("$select="))
            .collect();
        let only = sel.join("&");
        plan.expect = if q.defect.starts_with("select") {
            Expectation::new(
                match q.verdict {
                    QueryVerdict::Reject(r) => r,
                    _ => "Q-SELECT",
                },
                &[400],
            )
        } else if q.verdict == QueryVerdict::Either {
            Expectation::any()
        } else {
            Expectation::new("CT-GET", &[200])
        };
        plan.defect = if q.defect.starts_with("select") {
            q.defect.into()
        } else {
            "none".into()
        };
        plan.target = path(format!("me/contacts/{}", encode_id(&id)), only);
        plan.endpoint = "GET me/contacts/{id}".into();
        return Ok(());
    }
    let id = encode_id(&fake_id(u)?);
    let (p, endpoint) = *u.choose(&[
        ("me/contacts/{}", "GET me/contacts/{id}"),
        ("me/contacts/{}/photo", "GET me/contacts/{id}/photo"),
        (
            "me/contacts/{}/photo/$value",
            "GET me/contacts/{id}/photo/$value",
        ),
        ("me/contactfolders/{}", "GET me/contactfolders/{id}"),
        (
            "me/contactfolders/{}/contacts",
            "GET me/contactfolders/{id}/contacts",
        ),
        (
            "me/contactfolders/{}/childfolders",
            "GET me/contactfolders/{id}/childfolders",
        ),
    ])?;
    plan.target = path(p.replace("{}", &id), "");
    plan.endpoint = format!("{endpoint} (unknown id)");
    plan.expect = Expectation::new("ID-NOTFOUND", &[404, 400]);
    plan.defect = "id never issued".into();
    Ok(())
}

fn auth(u: &mut Unstructured<'_>, plan: &mut Plan) -> Result<()> {
    plan.auth = match u.int_in_range(0..=5u8)? {
        0 => Auth::Missing,
        1 => Auth::Header("Bearer".into()),
        2 => Auth::Header("Bearer not-a-token-anyone-issued".into()),
        3 => Auth::Header("Basic dG9rZW4tYTp4".into()),
        4 => Auth::Header(String::new()),
        _ => Auth::Header("Bearer  ".into()),
    };
    let (p, endpoint) = *u.choose(&[
        ("me/contacts", "GET me/contacts"),
        ("me/contactfolders", "GET me/contactfolders"),
        ("me/contacts/AAMkAGI2TAAA=", "GET me/contacts/{id}"),
        ("nowhere", "GET nowhere"),
    ])?;
    plan.target = path(p, "");
    plan.endpoint = format!("{endpoint} (bad auth)");
    plan.expect = Expectation::new("AUTH-REQUIRED", &[401]);
    plan.defect = "missing or bad token".into();
    Ok(())
}

fn route(u: &mut Unstructured<'_>, ctx: &Context, plan: &mut Plan) -> Result<()> {
    let own_id = ctx.contacts.first().map(|s| encode_id(s));
    if let Some(id) = own_id.filter(|_| u.arbitrary().unwrap_or(false)) {
        let (m, suffix, endpoint, rule, statuses): (
            &'static str,
            &str,
            &str,
            &'static str,
            &[u16],
        ) = *u.choose(&[
            ("PUT", "", "PUT me/contacts/{id}", "GEN-METHOD", &[405][..]),
            ("POST", "", "POST me/contacts/{id}", "GEN-METHOD", &[405]),
            (
                "DELETE",
                "/photo/$value",
                "DELETE me/contacts/{id}/photo/$value",
                "PH-METHODS",
                &[405, 200, 204, 404],
            ),
            (
                "POST",
                "/photo",
                "POST me/contacts/{id}/photo",
                "GEN-METHOD",
                &[405],
            ),
            (
                "GET",
                "/nothing",
                "GET me/contacts/{id}/nothing",
                "GEN-METHOD",
                &[404],
            ),
        ])?;
        plan.method = m;
        plan.target = path(format!("me/contacts/{id}{suffix}"), "");
        plan.endpoint = endpoint.into();
        plan.expect = Expectation::new(rule, statuses);
        plan.defect = "method or path the contract does not have".into();
        if m != "GET" && m != "DELETE" {
            plan.headers.push(header("Content-Type", JSON));
            plan.body = Some(b"{}".to_vec());
        }
        if let Some(raw) = ctx.contacts.first().filter(|_| m != "GET") {
            plan.readback = if suffix.is_empty() {
                Readback::Contact { id: raw.clone() }
            } else {
                // A photo route: an accepted DELETE or POST changes the photo.
                Readback::Photo {
                    id: raw.clone(),
                    dims: None,
                }
            };
        }
        return Ok(());
    }
    let (m, p, endpoint, statuses): (&'static str, &str, &str, &[u16]) = *u.choose(&[
        ("GET", "me/kontakte", "GET me/kontakte", &[404][..]),
        ("GET", "nothing/contacts", "GET nothing/contacts", &[404]),
        (
            "GET",
            "me/contactfolders/x/y/z",
            "GET me/contactfolders/x/y/z",
            &[404, 400],
        ),
        ("PATCH", "me/contacts", "PATCH me/contacts", &[405]),
        ("PUT", "me/contacts", "PUT me/contacts", &[405]),
        (
            "POST",
            "me/contacts/$count",
            "POST me/contacts/$count",
            &[405],
        ),
        (
            "GET",
            "me/contacts/$value",
            "GET me/contacts/$value",
            &[404, 400],
        ),
    ])?;
    plan.method = m;
    plan.target = path(p, "");
    plan.endpoint = endpoint.into();
    plan.expect = Expectation::new("GEN-METHOD", statuses);
    plan.defect = "method or path the contract does not have".into();
    if m != "GET" {
        plan.headers.push(header("Content-Type", JSON));
        plan.body = Some(b"{}".to_vec());
    }
    Ok(())
}

/// A context with two own contacts (one id that needs encoding), two folders, a sync
/// link and three anchors, for the plan tests.
#[cfg(test)]
fn test_context() -> Context {
    Context {
        run_marker: "run".into(),
        contacts: vec!["c1".into(), "c=2".into()],
        folders: Folders {
            default: "f0".into(),
            others: vec!["f1".into()],
        },
        delta_link: Some("http://h/api/me/contacts?$deltatoken=tok123456".into()),
        huge: false,
        anchors: Anchors {
            marker: "runanchor".into(),
            surname: "run".into(),
            ids: vec!["a1".into(), "a2".into(), "a3".into()],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tamper_changes_exactly_one_middle_character() {
        let tok = "abcdefghijklmnopqrstuvwxyz012345";
        for seed in 0..50u8 {
            let data = [seed, seed.wrapping_mul(7), 3, 9];
            let t = tamper(&mut Unstructured::new(&data), tok).unwrap();
            let diff: Vec<usize> = t
                .chars()
                .zip(tok.chars())
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(diff.len(), 1, "{t}");
            assert!(diff[0] >= tok.len() / 3 && diff[0] < 2 * tok.len() / 3);
        }
    }

    #[test]
    fn splits_tokens_out_of_links() {
        let (b, t, a) =
            split_token("http://h/api/me/contacts?$select=A&%24deltaToken=abc%3D&x=1").unwrap();
        assert_eq!(b, "http://h/api/me/contacts?$select=A&%24deltaToken=");
        assert_eq!(t, "abc%3D");
        assert_eq!(a, "&x=1");
        assert!(split_token("http://h/x?a=b").is_none());
    }

    #[test]
    fn plans_cover_every_family() {
        let ctx = test_context();
        let mut endpoints = std::collections::BTreeSet::new();
        let (mut anchored, mut nothing, mut counts) = (0, 0, 0);
        for i in 0..3000u32 {
            let data: Vec<u8> = (0..1024u32)
                .map(|j| ((j ^ i).wrapping_mul(2654435761) >> 13) as u8)
                .collect();
            let plan = generate(&mut Unstructured::new(&data), &ctx, format!("m{i}")).unwrap();
            if let Post::Exact(e) | Post::ExactCount(e) = &plan.post {
                let Target::Path { query, .. } = &plan.target else {
                    panic!("exact plans have a path")
                };
                // The filter names the anchors' marker exactly when it expects them
                // (or names them on a folder without anchors), else the fresh marker.
                let q = query.to_ascii_lowercase();
                assert!(
                    q.contains("runanchor") || q.contains(&format!("m{i}")),
                    "{q}"
                );
                if e.ids.is_empty() {
                    nothing += 1;
                } else {
                    assert!(q.contains("runanchor"), "{q}");
                    assert_eq!(e.ids, ctx.anchors.ids);
                    anchored += 1;
                }
                if matches!(plan.post, Post::ExactCount(_)) {
                    counts += 1;
                    assert!(plan.endpoint.ends_with("/$count (exact)"));
                }
            }
            endpoints.insert(
                plan.endpoint.split(' ').next().unwrap().to_string()
                    + " "
                    + plan.endpoint.split(' ').nth(1).unwrap_or(""),
            );
        }
        for e in [
            "POST me/contacts",
            "PATCH me/contacts/{id}",
            "GET me/contacts",
            "GET sync",
            "GET me/contactfolders",
            "PUT me/contacts/{id}/photo/$value",
        ] {
            assert!(endpoints.contains(e), "{e} missing from {endpoints:?}");
        }
        assert!(
            anchored > 20 && nothing > 20 && counts > 20,
            "{anchored} {nothing} {counts}"
        );
    }
}

#[cfg(test)]
mod speed {
    use super::*;
    use rand::{RngCore, SeedableRng};

    /// Generation cost per plan (run with `--release -- --ignored --nocapture`).
    #[test]
    #[ignore]
    fn generation_speed() {
        let ctx = test_context();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut buf = vec![0u8; 2048];
        let start = std::time::Instant::now();
        let mut bytes = 0usize;
        let n = 20_000;
        for i in 0..n {
            rng.fill_bytes(&mut buf);
            let p = generate(&mut Unstructured::new(&buf), &ctx, format!("m{i}")).unwrap();
            bytes += p.body.map(|b| b.len()).unwrap_or(0);
        }
        let el = start.elapsed();
        println!(
            "{n} plans in {el:?}: {:.1} µs/plan, {} body bytes",
            el.as_secs_f64() * 1e6 / n as f64,
            bytes
        );
    }
}
