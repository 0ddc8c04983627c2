//! Every fuzz target of contactspec as a plain function `fn(&[u8])` that panics when
//! its oracle fails. The cargo-fuzz crate (`fuzz/`) calls them from libFuzzer; the
//! stable test `tests/fuzz_corpus.rs` replays `fuzz/corpus/<target>/*` through them.
//!
//! Oracles, not just "does not crash": parsers must round-trip or stay consistent,
//! rejections must name the rule's error code, and the in-process server must never
//! answer 5xx, must send the error object with every 4xx but 401, and must leave the
//! store unchanged when it rejects a write.

pub mod casefile;
pub mod datetime;
pub mod image;
pub mod payload;
pub mod query;
pub mod server;
pub mod sync_token;

/// A fuzz target.
pub type Target = fn(&[u8]);

/// Every target by name (the name of its `fuzz/fuzz_targets/<name>.rs` and
/// `fuzz/corpus/<name>/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("case_file", casefile::case_file),
    ("filter", query::filter),
    ("orderby", query::orderby),
    ("select", query::select),
    ("prefer", query::prefer),
    ("sync_token", sync_token::sync_token),
    ("contact_payload", payload::contact_payload),
    ("image_header", image::image_header),
    ("datetime", datetime::datetime),
    ("server_request", server::server_request),
];

/// Looks a target up by name.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
