//! Runs a sequence of operations against a target and checks every response
//! against an in-memory model of SPEC.md semantics. The model keeps, per contact,
//! the last representation it verified, whether the contact exists, its photo and
//! the etags it had before; it assumes nothing SPEC.md leaves open (ids, tie order,
//! page sizes below the cap, messages).

use super::ops::{Op, Photo, Precondition};
use crate::check::{CheckResult, fail};
use crate::client::{Body, Request, encode_id, encode_query_value};
use crate::generators::contact::MARKER_PROPERTY;
use crate::oracle::echo::{Today, same_stored};
use crate::properties::echo::{check_created, refused_create};
use crate::properties::harness::Ctx;
use crate::properties::patch::check_patched;
use crate::walk::{Walk, sync_round, walk};
use contactspec_model::{CONTACT_PROPERTIES, ErrorCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};

/// What the model knows of one contact.
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    alive: bool,
    json: Value,
    photo: Option<(Vec<u8>, Photo)>,
    old_etags: Vec<String>,
}

/// The model and the target it is compared with.
pub struct Machine<'c, 'a> {
    ctx: &'c Ctx<'a>,
    contacts: Vec<Entry>,
    ids: HashSet<String>,
    /// A contact a create refused for a SHOULD reason; later steps naming it are skipped.
    skipped: Vec<bool>,
}

fn etag(v: &Value) -> Option<String> {
    v.get("ChangeKey")
        .and_then(Value::as_str)
        .map(|c| format!("W/\"{c}\""))
}

impl<'c, 'a> Machine<'c, 'a> {
    /// An empty model over a context.
    pub fn new(ctx: &'c Ctx<'a>) -> Self {
        Machine {
            ctx,
            contacts: Vec::new(),
            ids: HashSet::new(),
            skipped: Vec::new(),
        }
    }

    fn path(&self, i: usize) -> String {
        format!("me/contacts/{}", encode_id(&self.contacts[i].id))
    }

    fn not_found(&self, ex: &crate::client::Exchange, rule: &'static str) -> CheckResult {
        self.ctx
            .error(ex, 404, &[ErrorCode::ErrorItemNotFound], rule)
    }

    /// Adopts a verified representation, remembering the previous etag.
    fn adopt(&mut self, i: usize, v: Value) {
        let e = &mut self.contacts[i];
        if let (Some(old), Some(new)) = (etag(&e.json), etag(&v))
            && old != new
        {
            e.old_etags.push(old);
        }
        e.json = v;
    }

    /// Checks a representation equals the model's (every property, ChangeKey too).
    fn same_as_model(&self, i: usize, got: &Value, rule: &'static str) -> CheckResult {
        let want = &self.contacts[i].json;
        for p in CONTACT_PROPERTIES {
            if !same_stored(p.name, want.get(p.name), got.get(p.name)) {
                return Err(fail(
                    rule,
                    format!(
                        "contact #{i}: {} is {} but the model has {}",
                        p.name,
                        crate::properties::show_json(got.get(p.name).unwrap_or(&Value::Null)),
                        crate::properties::show_json(want.get(p.name).unwrap_or(&Value::Null))
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Runs one operation and checks it.
    pub fn step(&mut self, op: &Op) -> CheckResult {
        if let Some(i) = op.target()
            && (i >= self.contacts.len() || self.skipped[i])
        {
            return Ok(());
        }
        match op {
            Op::Create(m) => self.create(m),
            Op::Update(i, m) => self.update(*i, m, None),
            Op::ConditionalUpdate(i, p, m) => self.update(*i, m, Some(*p)),
            Op::Delete(i) => self.delete(*i),
            Op::SetPhoto(i, p) => self.set_photo(*i, *p),
            Op::Get(i) => self.get(*i),
            Op::GetPhoto(i) => self.get_photo(*i),
            Op::List => self.list(None),
            Op::PageWalk(n) => self.list(Some(*n)),
            Op::SyncRound(n) => self.sync(*n),
        }
    }

    fn create(&mut self, m: &serde_json::Map<String, Value>) -> CheckResult {
        let mut body = m.clone();
        body.insert(MARKER_PROPERTY.into(), json!(self.ctx.marker));
        let today = Today::around_now();
        let ex = self
            .ctx
            .create("me/contacts", Body::Json(Value::Object(body.clone())))?;
        if ex.status != 201 {
            refused_create(self.ctx, &body, &ex)?;
            self.contacts.push(Entry {
                id: String::new(),
                alive: false,
                json: Value::Null,
                photo: None,
                old_etags: vec![],
            });
            self.skipped.push(true);
            return Ok(());
        }
        let v = self.ctx.json(&ex, "CT-CREATE")?;
        check_created(self.ctx, &body, &v, today)?;
        let id = v
            .get("Id")
            .and_then(Value::as_str)
            .ok_or_else(|| fail("CT-CREATE-SERVER-FIELDS", "no Id"))?
            .to_string();
        if !self.ids.insert(id.clone()) {
            return Err(fail(
                "CT-ID-NEVER-REUSED",
                format!("id {id} was issued twice"),
            ));
        }
        self.contacts.push(Entry {
            id,
            alive: true,
            json: v,
            photo: None,
            old_etags: vec![],
        });
        self.skipped.push(false);
        Ok(())
    }

    fn update(
        &mut self,
        i: usize,
        m: &serde_json::Map<String, Value>,
        pre: Option<Precondition>,
    ) -> CheckResult {
        let mut req = Request::new("PATCH", self.path(i)).json(Value::Object(m.clone()));
        let e = &self.contacts[i];
        let ck = e
            .json
            .get("ChangeKey")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some(p) = pre {
            let value = match p {
                Precondition::Current => format!("W/\"{ck}\""),
                Precondition::CurrentStrong => format!("\"{ck}\""),
                Precondition::Any => "*".to_string(),
                Precondition::Stale => e
                    .old_etags
                    .last()
                    .cloned()
                    .unwrap_or_else(|| "W/\"never-issued-0\"".to_string()),
            };
            req = req.header("If-Match", value);
        }
        let today = Today::around_now();
        let ex = self.ctx.send(req)?;
        if !e.alive {
            return self.not_found(&ex, "CT-DELETE");
        }
        if pre == Some(Precondition::Stale) {
            self.ctx.error(
                &ex,
                412,
                &[ErrorCode::ErrorIrresolvableConflict],
                "CT-CONFLICT",
            )?;
            let got = self.ctx.send(Request::new("GET", self.path(i)))?;
            self.ctx.status(&got, &[200], "CT-GET")?;
            return self.same_as_model(i, &self.ctx.json(&got, "CT-GET")?, "CT-CONFLICT");
        }
        self.ctx.status(
            &ex,
            &[200],
            if pre.is_some() {
                "CT-CONFLICT"
            } else {
                "CT-UPDATE"
            },
        )?;
        let after = self.ctx.json(&ex, "CT-UPDATE")?;
        check_patched(self.ctx, &self.contacts[i].json, m, &after, today)?;
        self.adopt(i, after);
        Ok(())
    }

    fn delete(&mut self, i: usize) -> CheckResult {
        let ex = self.ctx.send(Request::new("DELETE", self.path(i)))?;
        if !self.contacts[i].alive {
            return self.not_found(&ex, "CT-DELETE");
        }
        self.ctx.status(&ex, &[204], "CT-DELETE")?;
        self.ctx
            .checker
            .ensure(ex.resp_body.is_empty(), "CT-DELETE", || {
                "a 204 with a body".into()
            })?;
        self.contacts[i].alive = false;
        Ok(())
    }

    fn set_photo(&mut self, i: usize, p: Photo) -> CheckResult {
        let bytes = crate::image::encode(p.png, p.width, p.height)
            .map_err(|e| fail("PH-SET", e.to_string()))?;
        let ct = if p.png { "image/png" } else { "image/jpeg" };
        let ex = self.ctx.send(
            Request::new("PUT", format!("{}/photo/$value", self.path(i))).body(Body::Bytes {
                content_type: ct.into(),
                bytes: bytes.clone(),
            }),
        )?;
        if !self.contacts[i].alive {
            return self.not_found(&ex, "PH-MISSING-CONTACT");
        }
        self.ctx.status(&ex, &[200], "PH-SET")?;
        self.contacts[i].photo = Some((bytes, p));
        let got = self.ctx.send(Request::new("GET", self.path(i)))?;
        self.ctx.status(&got, &[200], "CT-GET")?;
        let got = self.ctx.json(&got, "CT-GET")?;
        let before = self.contacts[i].json.clone();
        for prop in CONTACT_PROPERTIES {
            if matches!(prop.name, "ChangeKey" | "LastModifiedDateTime") {
                continue;
            }
            if !same_stored(prop.name, before.get(prop.name), got.get(prop.name)) {
                return Err(fail(
                    "IN-DURABLE",
                    format!("setting a photo changed {} of contact #{i}", prop.name),
                ));
            }
        }
        self.ctx
            .checker
            .ensure(etag(&before) != etag(&got), "PH-VERSION", || {
                "setting a photo kept the ChangeKey".into()
            })?;
        self.adopt(i, got);
        Ok(())
    }

    fn get(&mut self, i: usize) -> CheckResult {
        let ex = self.ctx.send(Request::new("GET", self.path(i)))?;
        if !self.contacts[i].alive {
            return self.not_found(&ex, "CT-DELETE");
        }
        self.ctx.status(&ex, &[200], "CT-GET")?;
        let got = self.ctx.json(&ex, "CT-GET")?;
        self.same_as_model(i, &got, "IN-DURABLE")
    }

    fn get_photo(&mut self, i: usize) -> CheckResult {
        let ex = self.ctx.send(Request::new(
            "GET",
            format!("{}/photo/$value", self.path(i)),
        ))?;
        if !self.contacts[i].alive {
            return self.not_found(&ex, "PH-MISSING-CONTACT");
        }
        let Some((bytes, p)) = self.contacts[i].photo.clone() else {
            return self.not_found(&ex, "PH-NONE");
        };
        self.ctx.status(&ex, &[200], "PH-GET")?;
        let ct = if p.png { "image/png" } else { "image/jpeg" };
        let got_ct = ex
            .header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !got_ct.starts_with(ct) {
            return Err(fail(
                "PH-GET",
                format!("photo Content-Type {got_ct:?}, stored {ct}"),
            ));
        }
        self.ctx
            .checker
            .ensure(ex.resp_body == bytes, "PH-GET-EXACT", || {
                "the photo bytes differ from the upload".into()
            })?;
        let ex = self
            .ctx
            .send(Request::new("GET", format!("{}/photo", self.path(i))))?;
        self.ctx.status(&ex, &[200], "PH-META")?;
        let meta = self.ctx.json(&ex, "PH-META")?;
        let (w, h) = (
            meta.get("Width").and_then(Value::as_u64),
            meta.get("Height").and_then(Value::as_u64),
        );
        if (w, h) != (Some(u64::from(p.width)), Some(u64::from(p.height))) {
            return Err(fail(
                "PH-META",
                format!(
                    "photo metadata {w:?}x{h:?}, uploaded {}x{}",
                    p.width, p.height
                ),
            ));
        }
        Ok(())
    }

    fn alive(&self) -> BTreeMap<String, usize> {
        self.contacts
            .iter()
            .enumerate()
            .filter(|(_, e)| e.alive)
            .map(|(i, e)| (e.id.clone(), i))
            .collect()
    }

    fn list(&mut self, top: Option<usize>) -> CheckResult {
        let mut query = format!("$filter={}", encode_query_value(&self.ctx.marker_filter()));
        if let Some(n) = top {
            query.push_str(&format!("&$top={n}"));
        }
        let alive = self.alive();
        let w = Walk {
            path: "me/contacts".into(),
            query,
            prefer: None,
            cap: Some(top.unwrap_or(contactspec_model::properties::DEFAULT_PAGE_SIZE)),
            cap_rule: if top.is_some() {
                "Q-TOP"
            } else {
                "Q-PAGE-DEFAULT"
            },
            max_pages: alive.len() + 3,
            first_rule: if top.is_some_and(|n| n > 50) {
                "Q-TOP-BOUNDS"
            } else {
                "CT-LIST"
            },
        };
        let seen = walk(self.ctx, &w)?;
        let mut visited = HashSet::new();
        for e in &seen {
            let id = e.get("Id").and_then(Value::as_str).unwrap_or_default();
            let Some(&i) = alive.get(id) else {
                return Err(fail(
                    "CT-DELETE",
                    format!(
                        "the list holds {id}, which the model does not have (deleted or never created)"
                    ),
                ));
            };
            visited.insert(i);
            self.same_as_model(i, e, "IN-DURABLE")?;
        }
        if let Some((_, i)) = alive.iter().find(|(_, i)| !visited.contains(*i)) {
            return Err(fail(
                "Q-NEXTLINK",
                format!(
                    "the walk missed contact #{i} ({} contacts, $top={top:?})",
                    alive.len()
                ),
            ));
        }
        Ok(())
    }

    fn sync(&mut self, n: usize) -> CheckResult {
        let round = sync_round(self.ctx, "me/contacts", "", None, Some(n), 100_000)?;
        let alive = self.alive();
        let mut times: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &round.entities {
            if let Some(id) = e.get("Id").and_then(Value::as_str) {
                *times.entry(id).or_default() += 1;
            }
        }
        for (id, i) in &alive {
            let t = times.get(id.as_str()).copied().unwrap_or(0);
            if t != 1 {
                return Err(fail(
                    "SY-COMPLETE",
                    format!("contact #{i} came {t} times in a round of page size {n}"),
                ));
            }
        }
        for (i, e) in self.contacts.iter().enumerate() {
            if !e.alive && !e.id.is_empty() && times.contains_key(e.id.as_str()) {
                return Err(fail(
                    "CT-DELETE",
                    format!("deleted contact #{i} came back in a sync round"),
                ));
            }
        }
        for e in &round.entities {
            if let Some(&i) = e
                .get("Id")
                .and_then(Value::as_str)
                .and_then(|id| alive.get(id))
            {
                let want = self.contacts[i].json.get("ChangeKey");
                if e.get("ChangeKey").is_some() && e.get("ChangeKey") != want {
                    return Err(fail(
                        "SY-NEXT-ROUND",
                        format!(
                            "contact #{i} came with ChangeKey {:?}, current is {want:?}",
                            e.get("ChangeKey")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
