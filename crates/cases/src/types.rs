//! Serde types of a case file. Unknown members are errors (`deny_unknown_fields`).

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::collections::BTreeMap;

/// Deserialises a present member as `Some`, even when its value is `null`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// One `cases/<area>/<name>.json` file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// Editor hint pointing at `schemas/case.schema.json`; ignored by the runner.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// The cases of the file.
    pub cases: Vec<CaseDef>,
}

/// One case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseDef {
    /// Kebab-case name, unique within the file.
    pub name: String,
    /// SPEC rule IDs the case checks (at least one).
    pub rules: Vec<String>,
    /// Free words selected with `--tag`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Prerequisites the target must offer.
    #[serde(default)]
    pub requires: Vec<Requirement>,
    /// Runs while no other case runs (set automatically for walk and sync steps).
    #[serde(default)]
    pub exclusive: bool,
    /// Generated inputs: input name → generator name (`contactspec_props::generators::NAMED`),
    /// used as `{{gen.NAME}}` in the steps; such a case runs as a property.
    #[serde(default)]
    pub generate: serde_json::Map<String, Value>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// A prerequisite of a case (SPEC.md §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// A working token for user B.
    SecondToken,
    /// A top-level folder of user A besides the default one.
    OtherFolder,
    /// A folder of user A with a child folder.
    ChildFolder,
    /// A contact folder of user A that holds no contacts (SY-EMPTY).
    EmptyFolder,
}

impl Requirement {
    /// The name as written in case files.
    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::SecondToken => "second_token",
            Requirement::OtherFolder => "other_folder",
            Requirement::ChildFolder => "child_folder",
            Requirement::EmptyFolder => "empty_folder",
        }
    }
}

/// One step: exactly one of `request`, `walk`, `sync`, `parallel`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A label for reports.
    #[serde(default)]
    pub name: Option<String>,
    /// The rule failures of this step are reported against (unless an expectation names its own).
    #[serde(default)]
    pub rule: Option<String>,
    /// An ordinary request.
    #[serde(default)]
    pub request: Option<Request>,
    /// A page walk.
    #[serde(default)]
    pub walk: Option<Walk>,
    /// A sync round.
    #[serde(default)]
    pub sync: Option<Sync>,
    /// A parallel burst.
    #[serde(default)]
    pub parallel: Option<Parallel>,
    /// `"SHOULD"`: the step checks a SHOULD clause inside a MUST rule, so its rule
    /// failures count as SHOULD (a 5xx and SUITE-SAFE refusals keep their level).
    #[serde(default)]
    pub level: Option<StepLevel>,
    /// Expectations on the response (request steps).
    #[serde(default)]
    pub expect: Option<Expect>,
    /// Capture name → source (`/json/pointer`, `header:Name`, or a built-in name).
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
}

/// The level a step may lower its rule failures to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum StepLevel {
    /// Failures of the step count as SHOULD.
    #[serde(rename = "SHOULD")]
    Should,
}

/// Which credentials a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenChoice {
    /// User A's token.
    #[default]
    A,
    /// User B's token.
    B,
    /// No `Authorization` header.
    None,
    /// A bearer token no server issued.
    Invalid,
}

/// One header value or several header lines.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum HeaderValues {
    /// One line.
    One(String),
    /// Several lines.
    Many(Vec<String>),
}

impl HeaderValues {
    /// The lines.
    pub fn lines(&self) -> Vec<&str> {
        match self {
            HeaderValues::One(s) => vec![s.as_str()],
            HeaderValues::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// A request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// HTTP method, default `GET`.
    #[serde(default)]
    pub method: Option<String>,
    /// Path relative to the base.
    #[serde(default)]
    pub path: Option<String>,
    /// An absolute URL used as-is (instead of `path`).
    #[serde(default)]
    pub url: Option<String>,
    /// The raw query string.
    #[serde(default)]
    pub query: Option<String>,
    /// Extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderValues>,
    /// Which token to send.
    #[serde(default)]
    pub token: Option<TokenChoice>,
    /// A JSON body.
    #[serde(default, deserialize_with = "present")]
    pub json: Option<Value>,
    /// A raw text body.
    #[serde(default)]
    pub text: Option<String>,
    /// A generated image body.
    #[serde(default)]
    pub image: Option<ImageSpec>,
    /// Many copies of one byte.
    #[serde(default)]
    pub bytes: Option<BytesSpec>,
    /// Bytes given in base64.
    #[serde(default)]
    pub base64: Option<String>,
}

/// A generated image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// `jpeg` or `png`.
    pub format: ImageFormat,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
}

/// Image formats the runner can generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// Baseline JPEG.
    Jpeg,
    /// PNG.
    Png,
}

/// `len` copies of the byte `fill`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BytesSpec {
    /// The byte.
    pub fill: u8,
    /// How many.
    pub len: usize,
}

/// Expectations on one response.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Allowed statuses.
    #[serde(default)]
    pub status: Option<Statuses>,
    /// Header expectations by name.
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderExpect>,
    /// A schema name.
    #[serde(default)]
    pub schema: Option<String>,
    /// A JSON subset of the body.
    #[serde(default, deserialize_with = "present")]
    pub json: Option<Value>,
    /// The error object with one of these codes.
    #[serde(default)]
    pub error: Option<Codes>,
    /// Body expectation: `"empty"`, `"image"` or `{"text": ...}`.
    #[serde(default)]
    pub body: Option<BodyExpect>,
    /// Assertions on pointers.
    #[serde(default)]
    pub assert: Vec<Assertion>,
    /// Named checks.
    #[serde(default)]
    pub checks: Vec<String>,
}

/// One status or several allowed statuses.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Statuses {
    /// Exactly this.
    One(u16),
    /// One of these.
    Many(Vec<u16>),
}

impl Statuses {
    /// The allowed statuses.
    pub fn list(&self) -> Vec<u16> {
        match self {
            Statuses::One(s) => vec![*s],
            Statuses::Many(v) => v.clone(),
        }
    }
}

/// One error code or several allowed codes.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Codes {
    /// Exactly this.
    One(String),
    /// One of these.
    Many(Vec<String>),
}

impl Codes {
    /// The allowed codes.
    pub fn list(&self) -> Vec<String> {
        match self {
            Codes::One(s) => vec![s.clone()],
            Codes::Many(v) => v.clone(),
        }
    }
}

/// An expectation on one header (exactly one member).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderExpect {
    /// The header is present.
    #[serde(default)]
    pub present: Option<bool>,
    /// The header is absent.
    #[serde(default)]
    pub absent: Option<bool>,
    /// The value equals this (after templates).
    #[serde(default)]
    pub equals: Option<String>,
    /// The value matches this regex.
    #[serde(default)]
    pub matches: Option<String>,
    /// The list header contains this item.
    #[serde(default)]
    pub contains: Option<String>,
    /// The list header does not contain this item (an absent header contains nothing).
    #[serde(default)]
    pub not_contains: Option<String>,
    /// The value equals a capture.
    #[serde(default)]
    pub equals_capture: Option<String>,
    /// The rule a failure is reported against.
    #[serde(default)]
    pub rule: Option<String>,
}

/// A body expectation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum BodyExpect {
    /// `"empty"` or `"image"`.
    Keyword(BodyKeyword),
    /// `{"text": "3"}`.
    Text {
        /// The trimmed body equals this.
        text: String,
    },
}

/// Keyword body expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyKeyword {
    /// No body bytes.
    Empty,
    /// Exactly the bytes of the last uploaded image.
    Image,
}

/// An assertion on a JSON pointer (exactly one operator).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assertion {
    /// A JSON pointer into the body (`""` is the root).
    pub path: String,
    /// The rule a failure is reported against.
    #[serde(default)]
    pub rule: Option<String>,
    /// Matches as a JSON subset.
    #[serde(default, deserialize_with = "present")]
    pub equals: Option<Value>,
    /// Does not match as a JSON subset.
    #[serde(default, deserialize_with = "present")]
    pub not_equals: Option<Value>,
    /// Array length equals.
    #[serde(default)]
    pub count: Option<usize>,
    /// Array length at most.
    #[serde(default)]
    pub count_at_most: Option<usize>,
    /// Array length at least.
    #[serde(default)]
    pub count_at_least: Option<usize>,
    /// Pointer does not resolve.
    #[serde(default)]
    pub absent: Option<bool>,
    /// Pointer resolves.
    #[serde(default)]
    pub present: Option<bool>,
    /// Differs from a capture.
    #[serde(default)]
    pub changed_from: Option<String>,
    /// Equals a capture.
    #[serde(default)]
    pub unchanged_from: Option<String>,
    /// An instant not earlier than the instant in a capture (SPEC.md §0 instants).
    #[serde(default)]
    pub not_before: Option<String>,
    /// Entities with exactly these ids, in order.
    #[serde(default)]
    pub ids: Option<Vec<String>>,
    /// Entities with exactly these ids, any order.
    #[serde(default)]
    pub ids_unordered: Option<Vec<String>>,
    /// None of these ids.
    #[serde(default)]
    pub not_ids: Option<Vec<String>>,
}

/// A page walk.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Walk {
    /// Collection path relative to the base.
    pub path: String,
    /// Raw query of the first request.
    #[serde(default)]
    pub query: Option<String>,
    /// Headers of the first request only.
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderValues>,
    /// Which token to send.
    #[serde(default)]
    pub token: Option<TokenChoice>,
    /// No page may hold more entities.
    #[serde(default)]
    pub page_size: Option<usize>,
    /// Ids that must each be visited exactly once.
    #[serde(default)]
    pub expect_ids: Option<Vec<String>>,
    /// `expect_ids` must be visited in that order.
    #[serde(default)]
    pub ordered: bool,
    /// Every entity carries exactly these properties plus `Id` and annotations.
    #[serde(default)]
    pub select: Option<Vec<String>>,
    /// Termination bound.
    #[serde(default)]
    pub max_pages: Option<usize>,
    /// Steps run after the first page, before the next link is followed.
    #[serde(default)]
    pub between_pages: Vec<Step>,
}

/// A sync round.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sync {
    /// Folder contacts path.
    #[serde(default)]
    pub path: Option<String>,
    /// Start from this link (a delta link that ended an earlier round).
    #[serde(default)]
    pub url: Option<String>,
    /// Raw query of the first request.
    #[serde(default)]
    pub query: Option<String>,
    /// Extra headers on every request of the round.
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderValues>,
    /// Which token to send.
    #[serde(default)]
    pub token: Option<TokenChoice>,
    /// Sent as `odata.maxpagesize`; no page may be larger.
    #[serde(default)]
    pub max_page_size: Option<usize>,
    /// Ids the round must return exactly once.
    #[serde(default)]
    pub expect_ids: Option<Vec<String>>,
    /// Ids the round must not return.
    #[serde(default)]
    pub absent_ids: Option<Vec<String>>,
    /// Entity expectations: id (template) → a JSON subset the entity returned in the
    /// round must match (it must be returned).
    #[serde(default)]
    pub entities: BTreeMap<String, Value>,
    /// The `$select` shape on every page.
    #[serde(default)]
    pub select: Option<Vec<String>>,
    /// Termination bound.
    #[serde(default)]
    pub max_pages: Option<usize>,
    /// Steps run after the first page, before the next link is followed.
    #[serde(default)]
    pub between_pages: Vec<Step>,
}

/// A parallel burst.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parallel {
    /// Copies sent at once.
    pub count: usize,
    /// How many bursts.
    #[serde(default = "one")]
    pub repeat: usize,
    /// The request (`{{i}}` is the copy's index).
    pub request: Request,
    /// What every response must meet (`distinct_ids` applies to the whole burst).
    #[serde(default)]
    pub expect: Option<Expect>,
}

fn one() -> usize {
    1
}
