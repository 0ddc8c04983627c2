//! Properties that run against any target (base URL + token): each draws inputs
//! from the generators, checks the responses with the oracles, cleans up what it
//! created, and on failure shrinks to a minimal input written as a case file.

pub mod collections;
pub mod echo;
pub mod flags;
pub mod harness;
pub mod invalid;
pub mod patch;

use crate::client::Client;
pub use harness::{Options, Report, Spec};
use serde_json::Value;

/// One runnable property.
#[derive(Clone, Copy)]
pub struct Property {
    /// Its name and rules.
    pub spec: Spec,
    /// Runs it.
    pub run: fn(&Client, &Options) -> Report,
}

/// Every property, in a fixed order.
pub fn all() -> Vec<Property> {
    vec![
        Property {
            spec: echo::SPEC,
            run: echo::run,
        },
        Property {
            spec: patch::SPEC,
            run: patch::run,
        },
        Property {
            spec: invalid::SPEC,
            run: invalid::run,
        },
        Property {
            spec: flags::SPEC,
            run: flags::run,
        },
        Property {
            spec: collections::PAGING,
            run: collections::run_paging,
        },
        Property {
            spec: collections::FILTER,
            run: collections::run_filter,
        },
        Property {
            spec: collections::SYNC,
            run: collections::run_sync,
        },
    ]
}

/// Runs the properties whose names are in `only` (all when empty), one after the
/// other (SUITE-ISOLATED-WALKS: no property writes while another walks).
pub fn run(client: &Client, opts: &Options, only: &[String]) -> Vec<Report> {
    all()
        .into_iter()
        .filter(|p| only.is_empty() || only.iter().any(|o| o == p.spec.name))
        .map(|p| (p.run)(client, opts))
        .collect()
}

/// JSON for a person: strings over 80 characters are abbreviated with their length.
pub fn show_json(v: &Value) -> String {
    fn abbreviate(v: &Value) -> Value {
        match v {
            Value::String(s) if s.chars().count() > 80 => {
                let head: String = s.chars().take(24).collect();
                Value::String(format!(
                    "{head}…<{} UTF-16 units>",
                    s.encode_utf16().count()
                ))
            }
            Value::Array(a) => Value::Array(a.iter().map(abbreviate).collect()),
            Value::Object(o) => {
                Value::Object(o.iter().map(|(k, x)| (k.clone(), abbreviate(x))).collect())
            }
            other => other.clone(),
        }
    }
    abbreviate(v).to_string()
}
