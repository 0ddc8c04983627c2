//! The operations of the model-based test and how they are generated from the
//! reference state (how many contacts exist so far).

use crate::generators::contact::{collection_contact, patch_body, valid_contact};
use crate::generators::query::page_size;
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::fmt;

/// How a conditional update names the version it expects (CT-CONFLICT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// `If-Match: W/"ck"` with the current ChangeKey.
    Current,
    /// `If-Match: "ck"` (the strong form of the same value).
    CurrentStrong,
    /// `If-Match: *`.
    Any,
    /// `If-Match` with an earlier etag of the contact (or one never issued).
    Stale,
}

/// A photo to upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Photo {
    /// PNG when true, else baseline JPEG.
    pub png: bool,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
}

/// One step of a sequence. Contacts are named by the order they were created in
/// (`#0` is the first create of the sequence), never by server ids.
#[derive(Clone, PartialEq)]
pub enum Op {
    /// POST a contact.
    Create(Map<String, Value>),
    /// PATCH contact `#i`.
    Update(usize, Map<String, Value>),
    /// DELETE contact `#i`.
    Delete(usize),
    /// PUT a photo of contact `#i`.
    SetPhoto(usize, Photo),
    /// GET contact `#i`.
    Get(usize),
    /// GET the photo bytes and metadata of contact `#i`.
    GetPhoto(usize),
    /// GET the run's contacts (one filtered list, default page size, walked).
    List,
    /// Walk the run's contacts with `$top=n`.
    PageWalk(usize),
    /// A sync round of the default folder with `odata.maxpagesize=n`.
    SyncRound(usize),
    /// PATCH contact `#i` with an `If-Match` precondition.
    ConditionalUpdate(usize, Precondition, Map<String, Value>),
}

fn short(m: &Map<String, Value>) -> String {
    crate::properties::show_json(&Value::Object(m.clone()))
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Create(m) => write!(f, "create {}", short(m)),
            Op::Update(i, m) => write!(f, "update #{i} {}", short(m)),
            Op::Delete(i) => write!(f, "delete #{i}"),
            Op::SetPhoto(i, p) => write!(
                f,
                "set photo #{i} {}x{} {}",
                p.width,
                p.height,
                if p.png { "png" } else { "jpeg" }
            ),
            Op::Get(i) => write!(f, "get #{i}"),
            Op::GetPhoto(i) => write!(f, "get photo #{i}"),
            Op::List => write!(f, "list"),
            Op::PageWalk(n) => write!(f, "page walk $top={n}"),
            Op::SyncRound(n) => write!(f, "sync round maxpagesize={n}"),
            Op::ConditionalUpdate(i, p, m) => {
                write!(f, "conditional update #{i} If-Match {p:?} {}", short(m))
            }
        }
    }
}

impl Op {
    /// The contact the operation names, if any.
    pub fn target(&self) -> Option<usize> {
        match self {
            Op::Update(i, _)
            | Op::Delete(i)
            | Op::SetPhoto(i, _)
            | Op::Get(i)
            | Op::GetPhoto(i)
            | Op::ConditionalUpdate(i, _, _) => Some(*i),
            _ => None,
        }
    }
}

/// The reference state used to generate valid sequences: how many contacts the
/// sequence has created so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefState {
    /// Creates so far.
    pub created: usize,
}

thread_local! {
    /// Built once per thread: building these strategies costs more than drawing from them.
    static CONTACT: BoxedStrategy<Map<String, Value>> =
        prop_oneof![3 => collection_contact(), 1 => valid_contact(true)].boxed();
    static PATCH: BoxedStrategy<Map<String, Value>> = patch_body(true);
}

fn contact() -> BoxedStrategy<Map<String, Value>> {
    CONTACT.with(Clone::clone)
}

fn patch() -> BoxedStrategy<Map<String, Value>> {
    PATCH.with(Clone::clone)
}

fn photo() -> impl Strategy<Value = Photo> {
    (any::<bool>(), 1u16..=40, 1u16..=40).prop_map(|(png, width, height)| Photo {
        png,
        width,
        height,
    })
}

fn precondition() -> impl Strategy<Value = Precondition> {
    prop::sample::select(
        &[
            Precondition::Current,
            Precondition::CurrentStrong,
            Precondition::Any,
            Precondition::Stale,
        ][..],
    )
}

/// The operations possible in a state.
pub fn transitions(s: &RefState) -> BoxedStrategy<Op> {
    let create = contact().prop_map(Op::Create);
    let collection = prop_oneof![
        Just(Op::List),
        page_size().prop_map(Op::PageWalk),
        page_size().prop_map(Op::SyncRound),
    ];
    if s.created == 0 {
        return prop_oneof![3 => create, 1 => collection].boxed();
    }
    let i = 0..s.created;
    prop_oneof![
        3 => create,
        4 => (i.clone(), patch()).prop_map(|(i, m)| Op::Update(i, m)),
        1 => i.clone().prop_map(Op::Delete),
        2 => (i.clone(), photo()).prop_map(|(i, p)| Op::SetPhoto(i, p)),
        2 => i.clone().prop_map(Op::Get),
        1 => i.clone().prop_map(Op::GetPhoto),
        2 => collection,
        2 => (i, precondition(), patch()).prop_map(|(i, p, m)| Op::ConditionalUpdate(i, p, m)),
    ]
    .boxed()
}

/// The reference state after an operation.
pub fn apply(mut s: RefState, op: &Op) -> RefState {
    if matches!(op, Op::Create(_)) {
        s.created += 1;
    }
    s
}

/// Whether an operation is valid in a state (checked again while shrinking): one
/// naming a contact needs at least one create before it. A contact index is taken
/// modulo the creates so far, so deleting an earlier create while shrinking keeps
/// the sequence valid (see [`normalise`]).
pub fn precondition_holds(s: &RefState, op: &Op) -> bool {
    op.target().is_none_or(|_| s.created > 0)
}

impl Op {
    fn with_target(&self, i: usize) -> Op {
        match self.clone() {
            Op::Update(_, m) => Op::Update(i, m),
            Op::Delete(_) => Op::Delete(i),
            Op::SetPhoto(_, p) => Op::SetPhoto(i, p),
            Op::Get(_) => Op::Get(i),
            Op::GetPhoto(_) => Op::GetPhoto(i),
            Op::ConditionalUpdate(_, p, m) => Op::ConditionalUpdate(i, p, m),
            other => other,
        }
    }
}

/// The sequence with every contact index reduced modulo the creates before it, as
/// it is executed; drops operations that name a contact before any create.
pub fn normalise(ops: &[Op]) -> Vec<Op> {
    let mut created = 0;
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        match op.target() {
            Some(_) if created == 0 => continue,
            Some(i) => out.push(op.with_target(i % created)),
            None => out.push(op.clone()),
        }
        if matches!(op, Op::Create(_)) {
            created += 1;
        }
    }
    out
}
