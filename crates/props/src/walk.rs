//! Page walks (Q-NEXTLINK, Q-TOP, Q-MAXPAGESIZE) and sync rounds (SY-*) over HTTP,
//! checked page by page; shared by the properties and the model test.

use crate::check::{CheckResult, Violation, fail};
use crate::client::{Exchange, Request};
use crate::properties::harness::Ctx;
use serde_json::Value;
use std::collections::HashSet;

/// A page walk to run.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// Collection path (`me/contacts`).
    pub path: String,
    /// Raw query string of the first request.
    pub query: String,
    /// `Prefer` header of the first request.
    pub prefer: Option<String>,
    /// The page size no page may exceed.
    pub cap: Option<usize>,
    /// The rule the page-size cap comes from.
    pub cap_rule: &'static str,
    /// Stop (and fail) after this many pages.
    pub max_pages: usize,
    /// The rule a refused first page breaks (`CT-LIST` when empty).
    pub first_rule: &'static str,
}

fn id_of(v: &Value) -> Option<String> {
    v.get("Id")?.as_str().map(str::to_string)
}

fn page(ctx: &Ctx, ex: &Exchange, rule: &'static str) -> CheckResult<(Vec<Value>, Value)> {
    ctx.status(ex, &[200], rule)?;
    let body = ctx.json(ex, "GEN-JSON")?;
    let items = body
        .get("value")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| fail(rule, format!("{}: no `value` array", ex.url)))?;
    Ok((items, body))
}

fn absolute(link: &str) -> bool {
    link.starts_with("http://") || link.starts_with("https://")
}

/// Follows a walk to its end and returns every entity in the order visited.
pub fn walk(ctx: &Ctx, w: &Walk) -> CheckResult<Vec<Value>> {
    let mut req = Request::new("GET", w.path.clone()).query(w.query.clone());
    if let Some(p) = &w.prefer {
        req = req.header("Prefer", p.clone());
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut first = true;
    for _ in 0..w.max_pages {
        let ex = ctx.send(req)?;
        let (items, body) = page(
            ctx,
            &ex,
            if !first {
                "Q-NEXTLINK"
            } else if w.first_rule.is_empty() {
                "CT-LIST"
            } else {
                w.first_rule
            },
        )?;
        if let Some(cap) = w.cap
            && items.len() > cap
        {
            return Err(fail(
                w.cap_rule,
                format!(
                    "a page of {} entities exceeds the page size {cap}",
                    items.len()
                ),
            ));
        }
        if items.is_empty() && !first {
            return Err(fail(
                "Q-NEXTLINK",
                "a next link led to an empty page".to_string(),
            ));
        }
        first = false;
        for it in items.iter() {
            let id =
                id_of(it).ok_or_else(|| fail("Q-SELECT", "an entity without Id".to_string()))?;
            if !seen.insert(id.clone()) {
                return Err(fail("Q-NEXTLINK", format!("entity {id} visited twice")));
            }
        }
        out.extend(items.iter().cloned());
        match body.get("@odata.nextLink").and_then(Value::as_str) {
            None => return Ok(out),
            Some(link) => {
                if items.is_empty() {
                    return Err(fail(
                        "Q-NEXTLINK",
                        "a page with a next link is empty".to_string(),
                    ));
                }
                if !absolute(link) {
                    return Err(fail(
                        "Q-NEXTLINK",
                        format!("next link {link:?} is not absolute"),
                    ));
                }
                req = Request::new("GET", link.to_string());
            }
        }
    }
    Err(fail(
        "Q-NEXTLINK",
        format!("the walk did not end within {} pages", w.max_pages),
    ))
}

/// A sync round's outcome.
#[derive(Debug, Clone)]
pub struct Round {
    /// Every contact returned, in order.
    pub entities: Vec<Value>,
    /// The delta link that ended the round.
    pub delta_link: String,
    /// Pages read (including the first response).
    pub pages: usize,
}

/// Runs one sync round of `path` (or from a delta link `start`) with a page size.
/// `soft` receives SHOULD-level observations (next-link page empty, tombstones).
pub fn sync_round(
    ctx: &Ctx,
    path: &str,
    query: &str,
    start: Option<&str>,
    page_size: Option<usize>,
    max_pages: usize,
) -> CheckResult<Round> {
    let prefer = match page_size {
        Some(n) => format!("odata.track-changes, odata.maxpagesize={n}"),
        None => "odata.track-changes".to_string(),
    };
    let mut req = match start {
        Some(url) => Request::new("GET", url.to_string()),
        None => Request::new("GET", path.to_string()).query(query.to_string()),
    };
    req = req.header("Prefer", prefer.clone());
    let mut entities = Vec::new();
    let mut first = start.is_none();
    for n in 0..max_pages {
        let ex = ctx.send(req)?;
        let (items, body) = page(ctx, &ex, "SY-ROUND")?;
        if !ex
            .header_list("Preference-Applied")
            .iter()
            .any(|p| p.eq_ignore_ascii_case("odata.track-changes"))
        {
            return Err(fail(
                "SY-PREFER",
                "Preference-Applied lacks odata.track-changes".to_string(),
            ));
        }
        if let Some(cap) = page_size
            && items.len() > cap
        {
            return Err(fail(
                "SY-PAGESIZE",
                format!(
                    "a sync page of {} contacts exceeds odata.maxpagesize={cap}",
                    items.len()
                ),
            ));
        }
        if items.iter().any(|i| i.get("@removed").is_some()) {
            ctx.checker.violation(Violation {
                rule: "SY-NO-TOMBSTONE",
                message: "a round listed an @removed entry".into(),
            })?;
        }
        entities.extend(
            items
                .iter()
                .filter(|i| i.get("@removed").is_none())
                .cloned(),
        );
        let next = body.get("@odata.nextLink").and_then(Value::as_str);
        let delta = body.get("@odata.deltaLink").and_then(Value::as_str);
        let link = if first {
            if next.is_some() || delta.is_none() {
                return Err(fail(
                    "SY-FIRST",
                    "the first response of a round must carry a delta link and no next link"
                        .to_string(),
                ));
            }
            first = false;
            delta
        } else {
            match (next, delta) {
                (Some(l), None) => {
                    if items.is_empty() {
                        ctx.checker.violation(Violation {
                            rule: "SY-EMPTY",
                            message: "a sync page with a next link is empty".into(),
                        })?;
                    }
                    Some(l)
                }
                (None, Some(d)) => {
                    return Ok(Round {
                        entities,
                        delta_link: d.to_string(),
                        pages: n + 1,
                    });
                }
                _ => {
                    return Err(fail(
                        "SY-FOLLOW",
                        "a sync page must carry exactly one of next link and delta link"
                            .to_string(),
                    ));
                }
            }
        };
        let link = link.unwrap_or_default();
        if !absolute(link) {
            return Err(fail("SY-FOLLOW", format!("link {link:?} is not absolute")));
        }
        req = Request::new("GET", link.to_string()).header("Prefer", prefer.clone());
    }
    Err(fail(
        "SY-FOLLOW",
        format!("the round did not end within {max_pages} pages"),
    ))
}

/// Checks that every entity carries exactly the selected properties plus `Id` and
/// annotations (Q-SELECT, SY-SELECT).
pub fn check_select(entities: &[Value], select: &[&str], rule: &'static str) -> CheckResult {
    for e in entities {
        let Some(o) = e.as_object() else {
            return Err(fail(rule, "an entity is not an object".to_string()));
        };
        for k in o.keys() {
            if !k.starts_with("@odata.") && k != "Id" && !select.contains(&k.as_str()) {
                return Err(fail(
                    rule,
                    format!("$select={} returned {k}", select.join(",")),
                ));
            }
        }
        for s in select {
            if !o.contains_key(*s) {
                return Err(fail(
                    rule,
                    format!("$select={} left out {s}", select.join(",")),
                ));
            }
        }
    }
    Ok(())
}
