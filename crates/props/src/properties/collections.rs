//! Properties over generated collections: paging with a generated page size,
//! `$orderby` and `$select` (Q-NEXTLINK, Q-TOP, Q-MAXPAGESIZE, Q-ORDERBY, Q-SELECT,
//! Q-COUNT); `$filter` against the oracle and metamorphically (Q-FILTER); and a sync
//! round with a generated page size (SY-*).

use super::harness::{Ctx, Options, Report, Spec, run_property};
use super::show_json;
use crate::casefile::{CaseBuilder, RequestBody, request, step};
use crate::check::{CheckResult, Violation, fail};
use crate::client::{Body, Client, Request, encode_query_value};
use crate::generators::contact::{MARKER_PROPERTY, collection_contact};
use crate::generators::invalid::MARKER;
use crate::generators::query::{PageAsk, filter, orderby, page_ask, page_size, select_list};
use crate::oracle::filter::{Filter, Tri, eval};
use crate::oracle::order::{OrderKey, compare, render_orderby};
use crate::walk::{Walk, check_select, sync_round, walk};
use contactspec_model::properties::DEFAULT_PAGE_SIZE;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// The paging property.
pub const PAGING: Spec = Spec {
    name: "paging",
    rules: &[
        "Q-NEXTLINK",
        "Q-TOP",
        "Q-TOP-BOUNDS",
        "Q-MAXPAGESIZE",
        "Q-ORDERBY",
        "Q-ORDERBY-DETAIL",
        "Q-SELECT",
        "Q-SKIP",
        "Q-COUNT",
        "CT-LIST-DEFAULT",
    ],
    about: "a walk with a generated page size, $orderby and $select visits each entity once, in order",
};

/// The filter property.
pub const FILTER: Spec = Spec {
    name: "filter",
    rules: &["Q-FILTER", "Q-FILTER-ANY", "Q-COUNT", "Q-PAGE-DEFAULT"],
    about: "$filter returns exactly the matching entities; A and B is within A; $count equals the walk",
};

/// The sync property.
pub const SYNC: Spec = Spec {
    name: "sync-round",
    rules: &[
        "SY-ROUND",
        "SY-FIRST",
        "SY-FOLLOW",
        "SY-COMPLETE",
        "SY-PAGESIZE",
        "SY-PREFER",
        "SY-SELECT",
    ],
    about: "a sync round with a generated page size returns the folder's contacts exactly once",
};

/// Creates the collection; returns each created contact as the server returned it.
fn create_all(ctx: &Ctx, contacts: &[Map<String, Value>]) -> CheckResult<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for c in contacts {
        let mut body = c.clone();
        body.insert(MARKER_PROPERTY.into(), json!(ctx.marker));
        let ex = ctx.create("me/contacts", Body::Json(Value::Object(body)))?;
        ctx.status(&ex, &[201], "CT-CREATE")?;
        let v = ctx.json(&ex, "CT-CREATE")?;
        let id = v
            .get("Id")
            .and_then(Value::as_str)
            .ok_or_else(|| fail("CT-CREATE-SERVER-FIELDS", "no Id"))?;
        out.insert(id.to_string(), v);
    }
    Ok(out)
}

/// The id of a top-level folder other than the default one, if the target has one.
fn other_folder(ctx: &Ctx) -> CheckResult<Option<String>> {
    let ex = ctx.send(Request::new("GET", "me/contactfolders"))?;
    ctx.status(&ex, &[200], "CF-LIST")?;
    let body = ctx.json(&ex, "CF-LIST")?;
    Ok(body
        .get("value")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|f| f.get("WellKnownName").and_then(Value::as_str) != Some("contacts"))
        .and_then(|f| f.get("Id")?.as_str().map(str::to_string)))
}

/// Creates `contacts` (with the marker) in another folder; their ids (none when the
/// target has no other folder).
fn create_elsewhere(ctx: &Ctx, contacts: &[Map<String, Value>]) -> CheckResult<Vec<String>> {
    if contacts.is_empty() {
        return Ok(Vec::new());
    }
    let Some(fid) = other_folder(ctx)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for c in contacts {
        let mut body = c.clone();
        body.insert(MARKER_PROPERTY.into(), json!(ctx.marker));
        let path = format!(
            "me/contactfolders/{}/contacts",
            crate::client::encode_id(&fid)
        );
        let ex = ctx.create(&path, Body::Json(Value::Object(body)))?;
        ctx.status(&ex, &[201], "CT-CREATE")?;
        let v = ctx.json(&ex, "CT-CREATE")?;
        out.extend(v.get("Id").and_then(Value::as_str).map(str::to_string));
    }
    Ok(out)
}

fn elsewhere_steps(c: &mut CaseBuilder, contacts: &[Map<String, Value>]) -> Vec<String> {
    let mut names = Vec::new();
    for (i, contact) in contacts.iter().enumerate() {
        let mut body = contact.clone();
        body.insert(MARKER_PROPERTY.into(), json!(MARKER));
        c.step(step(
            &format!("create-elsewhere-{i}"),
            "CT-CREATE",
            request(
                "POST",
                "me/contactfolders/{{folder.other}}/contacts",
                None,
                Some(RequestBody::Json(Value::Object(body))),
            ),
            json!({"status": 201}),
            Some(json!({format!("e{i}"): "/Id"})),
        ));
        names.push(format!("{{{{e{i}}}}}"));
    }
    names
}

fn ids(entities: &[Value]) -> Vec<String> {
    entities
        .iter()
        .filter_map(|e| e.get("Id")?.as_str().map(str::to_string))
        .collect()
}

fn count(ctx: &Ctx, filter: &str) -> CheckResult<usize> {
    let ex = ctx.send(
        Request::new("GET", "me/contacts/$count")
            .query(format!("$filter={}", encode_query_value(filter))),
    )?;
    ctx.status(&ex, &[200], "Q-COUNT")?;
    String::from_utf8_lossy(&ex.resp_body)
        .trim()
        .parse()
        .map_err(|_| fail("Q-COUNT", "$count is not a number"))
}

fn create_steps(c: &mut CaseBuilder, contacts: &[Map<String, Value>]) -> Vec<String> {
    let mut names = Vec::new();
    for (i, contact) in contacts.iter().enumerate() {
        let mut body = contact.clone();
        body.insert(MARKER_PROPERTY.into(), json!(MARKER));
        c.step(step(
            &format!("create-{i}"),
            "CT-CREATE",
            request(
                "POST",
                "me/contacts",
                None,
                Some(RequestBody::Json(Value::Object(body))),
            ),
            json!({"status": 201}),
            Some(json!({format!("c{i}"): "/Id"})),
        ));
        names.push(format!("{{{{c{i}}}}}"));
    }
    names
}

/// Input of the paging property.
type PagingInput = (
    Vec<Map<String, Value>>,
    usize,
    PageAsk,
    Vec<OrderKey>,
    Option<Vec<&'static str>>,
    Option<usize>,
    Vec<Map<String, Value>>,
);

fn paging_query(
    marker: &str,
    n: usize,
    ask: PageAsk,
    keys: &[OrderKey],
    select: &Option<Vec<&'static str>>,
    skip: Option<usize>,
) -> (String, Option<String>) {
    let mut q = format!(
        "$filter={}",
        encode_query_value(&format!("{MARKER_PROPERTY} eq '{marker}'"))
    );
    if !keys.is_empty() {
        q.push_str(&format!(
            "&$orderby={}",
            encode_query_value(&render_orderby(keys))
        ));
    }
    if let Some(s) = select {
        q.push_str(&format!("&$select={}", s.join(",")));
    }
    if let Some(k) = skip {
        q.push_str(&format!("&$skip={k}"));
    }
    match ask {
        PageAsk::Top => {
            q.push_str(&format!("&$top={n}"));
            (q, None)
        }
        PageAsk::MaxPageSize => (q, Some(format!("odata.maxpagesize={n}"))),
    }
}

fn paging_test(ctx: &Ctx, input: &PagingInput) -> CheckResult {
    let (contacts, n, ask, keys, select, skip, others) = input;
    let created = create_all(ctx, contacts)?;
    let elsewhere = create_elsewhere(ctx, others)?;
    let (query, prefer) = paging_query(&ctx.marker, *n, *ask, keys, select, *skip);
    let w = Walk {
        path: "me/contacts".into(),
        query,
        prefer,
        cap: Some(*n),
        cap_rule: if *ask == PageAsk::Top {
            "Q-TOP"
        } else {
            "Q-MAXPAGESIZE"
        },
        max_pages: created.len() + 3,
        first_rule: if *n > 50 { "Q-TOP-BOUNDS" } else { "CT-LIST" },
    };
    let seen = walk(ctx, &w)?;
    let got: BTreeSet<String> = ids(&seen).into_iter().collect();
    let want: BTreeSet<String> = created.keys().cloned().collect();
    if let Some(x) = elsewhere.iter().find(|x| got.contains(*x)) {
        return Err(fail(
            "CT-LIST-DEFAULT",
            format!("me/contacts listed {x}, a contact of another folder"),
        ));
    }
    if let Some(k) = skip {
        let expected = want.len().saturating_sub(*k);
        if got.len() != expected || !got.is_subset(&want) {
            return Err(fail(
                "Q-SKIP",
                format!(
                    "$skip={k} over {} entities visited {} (expected {expected})",
                    want.len(),
                    got.len()
                ),
            ));
        }
    } else if got != want {
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        return Err(fail(
            "Q-NEXTLINK",
            format!(
                "the walk of {} entities (page size {n}) missed {missing:?} and added {extra:?}",
                want.len()
            ),
        ));
    }
    let order = ids(&seen);
    for pair in order.windows(2) {
        let (a, b) = (&created[&pair[0]], &created[&pair[1]]);
        if compare(a, b, keys) == Some(Ordering::Greater) {
            let show = |c: &Value| {
                keys.iter()
                    .map(|k| c.get(k.prop).cloned().unwrap_or(Value::Null).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            ctx.checker.violation(Violation {
                rule: misorder_rule(a, b, keys),
                message: format!(
                    "$orderby={}: ({}) came before ({})",
                    render_orderby(keys),
                    show(a),
                    show(b)
                ),
            })?;
        }
    }
    if let Some(s) = select {
        check_select(&seen, s, "Q-SELECT")?;
    }
    let c = count(ctx, &ctx.marker_filter())?;
    if c != created.len() {
        return Err(fail(
            "Q-COUNT",
            format!("$count is {c}, the walk visited {}", created.len()),
        ));
    }
    Ok(())
}

fn paging_case(input: &PagingInput) -> CaseBuilder {
    let (contacts, n, ask, keys, select, skip, others) = input;
    let mut c = CaseBuilder::new("generated-paging", &["Q-NEXTLINK"]);
    let names = create_steps(&mut c, contacts);
    elsewhere_steps(&mut c, others);
    let (query, prefer) = paging_query(MARKER, *n, *ask, keys, select, *skip);
    let mut walk = json!({
        "path": "me/contacts",
        "query": query,
        "page_size": n,
        "ordered": false,
    });
    if skip.is_none() {
        walk["expect_ids"] = json!(names);
    }
    if let Some(p) = prefer {
        walk["headers"] = json!({"Prefer": p});
    }
    if let Some(s) = select {
        walk["select"] = json!(s);
    }
    c.step(json!({"walk": walk, "rule": "Q-NEXTLINK", "capture": {"seen": "count"}}));
    c.step(step(
        "count",
        "CT-LIST-DEFAULT",
        request(
            "GET",
            "me/contacts/$count",
            Some(&format!("$filter={MARKER_PROPERTY}%20eq%20'{MARKER}'")),
            None,
        ),
        json!({"status": 200, "body": {"text": contacts.len().to_string()}}),
        None,
    ));
    c
}

/// The rule a misordered pair breaks: `Q-ORDERBY` (MUST) when the deciding key has
/// two non-null values ordered the same case-sensitively, else `Q-ORDERBY-DETAIL`
/// (null placement and case-insensitivity are SHOULD).
fn misorder_rule(a: &Value, b: &Value, keys: &[OrderKey]) -> &'static str {
    for k in keys {
        if compare(a, b, std::slice::from_ref(k)) == Some(Ordering::Equal) {
            continue;
        }
        let case_blind = |x: &String, y: &String| {
            x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()) == x.cmp(y)
        };
        return match (a.get(k.prop), b.get(k.prop)) {
            (Some(Value::String(x)), Some(Value::String(y)))
                if !x.is_empty()
                    && !y.is_empty()
                    && (!matches!(
                        k.prop,
                        "GivenName"
                            | "Surname"
                            | "DisplayName"
                            | "CompanyName"
                            | "JobTitle"
                            | "Department"
                    ) || case_blind(x, y)) =>
            {
                "Q-ORDERBY"
            }
            _ => "Q-ORDERBY-DETAIL",
        };
    }
    "Q-ORDERBY-DETAIL"
}

/// Runs the paging property.
pub fn run_paging(client: &Client, opts: &Options) -> Report {
    let strategy = (
        prop::collection::vec(collection_contact(), 0..=16),
        page_size(),
        page_ask(),
        orderby(),
        select_list(),
        prop::option::weighted(0.25, 0usize..=6),
        prop::collection::vec(collection_contact(), 0..=2),
    );
    run_property(
        client,
        opts,
        PAGING,
        strategy,
        |(cs, n, ask, keys, sel, skip, others)| {
            format!(
                "{} contacts {}, page size {n} by {ask:?}, $orderby={:?}, $select={:?}, $skip={skip:?}, {} in another folder",
                cs.len(),
                show_json(&json!(cs)),
                render_orderby(keys),
                sel,
                others.len()
            )
        },
        paging_test,
        |v, _| paging_case(v),
    )
}

/// Input of the filter property.
type FilterInput = (Vec<Map<String, Value>>, Filter, Filter, Option<usize>);

fn filter_query(text: &str, top: Option<usize>) -> String {
    let mut q = format!("$filter={}", encode_query_value(text));
    if let Some(n) = top {
        q.push_str(&format!("&$top={n}"));
    }
    q
}

fn filtered(ctx: &Ctx, f: &Filter, top: Option<usize>) -> CheckResult<Option<Vec<String>>> {
    let any_used = uses_any(f);
    let text = format!("({}) and ({})", ctx.marker_filter(), f.render());
    let w = Walk {
        path: "me/contacts".into(),
        query: filter_query(&text, top),
        prefer: None,
        cap: Some(top.unwrap_or(DEFAULT_PAGE_SIZE)),
        cap_rule: if top.is_some() {
            "Q-TOP"
        } else {
            "Q-PAGE-DEFAULT"
        },
        max_pages: 100,
        first_rule: "",
    };
    let first = ctx.send(Request::new("GET", "me/contacts").query(w.query.clone()))?;
    if first.status == 400 && any_used {
        ctx.checker.violation(Violation {
            rule: "Q-FILTER-ANY",
            message: format!("$filter={text} answered 400"),
        })?;
        return Ok(None);
    }
    let seen = walk(ctx, &w)?;
    let c = count(ctx, &text)?;
    if c != seen.len() {
        return Err(fail(
            "Q-COUNT",
            format!(
                "$count with $filter={text} is {c}, the walk visited {}",
                seen.len()
            ),
        ));
    }
    Ok(Some(ids(&seen)))
}

fn uses_any(f: &Filter) -> bool {
    match f {
        Filter::Any(..) => true,
        Filter::Cmp(..) => false,
        Filter::And(a, b) | Filter::Or(a, b) => uses_any(a) || uses_any(b),
        Filter::Not(a) => uses_any(a),
    }
}

fn check_against_oracle(
    created: &BTreeMap<String, Value>,
    f: &Filter,
    got: &[String],
) -> CheckResult {
    let got: BTreeSet<&String> = got.iter().collect();
    for (id, c) in created {
        match (eval(f, c), got.contains(id)) {
            (Tri::True, false) => {
                return Err(fail(
                    "Q-FILTER",
                    format!(
                        "$filter={} left out a matching contact {}",
                        f.render(),
                        show_json(c)
                    ),
                ));
            }
            (Tri::False, true) => {
                return Err(fail(
                    "Q-FILTER",
                    format!(
                        "$filter={} returned a contact that does not match: {}",
                        f.render(),
                        show_json(c)
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn filter_test(ctx: &Ctx, input: &FilterInput) -> CheckResult {
    let (contacts, a, b, top) = input;
    let created = create_all(ctx, contacts)?;
    let Some(got_a) = filtered(ctx, a, *top)? else {
        return Ok(());
    };
    check_against_oracle(&created, a, &got_a)?;
    let ab = Filter::And(Box::new(a.clone()), Box::new(b.clone()));
    let Some(got_ab) = filtered(ctx, &ab, *top)? else {
        return Ok(());
    };
    check_against_oracle(&created, &ab, &got_ab)?;
    let set_a: BTreeSet<&String> = got_a.iter().collect();
    if let Some(x) = got_ab.iter().find(|x| !set_a.contains(x)) {
        return Err(fail(
            "Q-FILTER",
            format!(
                "({}) and ({}) returned {x}, which ({}) did not",
                a.render(),
                b.render(),
                a.render()
            ),
        ));
    }
    Ok(())
}

fn filter_case(input: &FilterInput) -> CaseBuilder {
    let (contacts, a, b, top) = input;
    let mut c = CaseBuilder::new("generated-filter", &["Q-FILTER"]);
    let names = create_steps(&mut c, contacts);
    let created: Vec<Value> = contacts.iter().map(|m| Value::Object(m.clone())).collect();
    for (label, f) in [
        ("a", a.clone()),
        (
            "a-and-b",
            Filter::And(Box::new(a.clone()), Box::new(b.clone())),
        ),
    ] {
        let expected: Vec<String> = created
            .iter()
            .zip(&names)
            .filter(|(c, _)| eval(&f, &normalised(c)) == Tri::True)
            .map(|(_, n)| n.clone())
            .collect();
        let unknown = created
            .iter()
            .any(|c| eval(&f, &normalised(c)) == Tri::Unknown);
        let text = format!("({MARKER_PROPERTY} eq '{MARKER}') and ({})", f.render());
        let mut walk = json!({"path": "me/contacts", "query": filter_query(&text, *top), "page_size": top.unwrap_or(DEFAULT_PAGE_SIZE)});
        if !unknown {
            walk["expect_ids"] = json!(expected);
        }
        c.step(json!({"walk": walk, "rule": "Q-FILTER", "capture": {format!("seen-{label}"): "count"}}));
    }
    c
}

/// A generated collection contact as a server would store it (Birthday in UTC).
fn normalised(c: &Value) -> Value {
    let mut c = c.clone();
    if let Some(b) = c.get("Birthday").and_then(Value::as_str)
        && let Ok(t) = crate::oracle::values::judge_birthday(b)
    {
        c["Birthday"] = json!(t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    c
}

/// Runs the filter property.
pub fn run_filter(client: &Client, opts: &Options) -> Report {
    let strategy = (
        prop::collection::vec(collection_contact(), 1..=24),
        filter(),
        filter(),
        prop::option::of(page_size()),
    );
    run_property(
        client,
        opts,
        FILTER,
        strategy,
        |(cs, a, b, top)| {
            format!(
                "{} contacts {}, A = {}, B = {}, $top={top:?}",
                cs.len(),
                show_json(&json!(cs)),
                a.render(),
                b.render()
            )
        },
        filter_test,
        |v, _| filter_case(v),
    )
}

/// Input of the sync property.
type SyncInput = (
    Vec<Map<String, Value>>,
    usize,
    Option<Vec<&'static str>>,
    Vec<Map<String, Value>>,
);

fn sync_test(ctx: &Ctx, input: &SyncInput) -> CheckResult {
    let (contacts, n, select, others) = input;
    let created = create_all(ctx, contacts)?;
    let elsewhere = create_elsewhere(ctx, others)?;
    let query = select
        .as_ref()
        .map(|s| format!("$select={}", s.join(",")))
        .unwrap_or_default();
    let round = sync_round(ctx, "me/contacts", &query, None, Some(*n), 100_000)?;
    let seen = ids(&round.entities);
    if let Some(x) = elsewhere.iter().find(|x| seen.contains(*x)) {
        return Err(fail(
            "SY-COMPLETE",
            format!("a round of the default folder returned {x}, a contact of another folder"),
        ));
    }
    for id in created.keys() {
        let times = seen.iter().filter(|s| *s == id).count();
        if times != 1 {
            return Err(fail(
                "SY-COMPLETE",
                format!("contact {id} came {times} times in a round of page size {n}"),
            ));
        }
    }
    if let Some(s) = select {
        let ours: Vec<Value> = round
            .entities
            .iter()
            .filter(|e| {
                e.get("Id")
                    .and_then(Value::as_str)
                    .is_some_and(|i| created.contains_key(i))
            })
            .cloned()
            .collect();
        check_select(&ours, s, "SY-SELECT")?;
    }
    Ok(())
}

fn sync_case(input: &SyncInput) -> CaseBuilder {
    let (contacts, n, select, others) = input;
    let mut c = CaseBuilder::new("generated-sync-round", &["SY-COMPLETE"]);
    let names = create_steps(&mut c, contacts);
    let gone = elsewhere_steps(&mut c, others);
    let mut sync =
        json!({"path": "me/contacts", "max_page_size": n, "expect_ids": names, "absent_ids": gone});
    if let Some(s) = select {
        sync["query"] = json!(format!("$select={}", s.join(",")));
        sync["select"] = json!(s);
    }
    c.step(json!({"sync": sync, "rule": "SY-COMPLETE", "capture": {"delta": "delta_link"}}));
    c
}

/// Runs the sync property.
pub fn run_sync(client: &Client, opts: &Options) -> Report {
    let strategy = (
        prop::collection::vec(collection_contact(), 0..=12),
        page_size(),
        select_list(),
        prop::collection::vec(collection_contact(), 0..=2),
    );
    run_property(
        client,
        opts,
        SYNC,
        strategy,
        |(cs, n, sel, others)| {
            format!(
                "{} contacts, page size {n}, $select={sel:?}, {} in another folder",
                cs.len(),
                others.len()
            )
        },
        sync_test,
        |v, _| sync_case(v),
    )
}
