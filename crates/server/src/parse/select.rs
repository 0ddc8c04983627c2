//! `$select` (Q-SELECT, Q-SELECT-UNKNOWN, Q-PROPERTY-CASE).

use contactspec_model::ErrorCode;

use super::{EntityKind, ParseError};

/// What `$select` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Every property (`*`, or no `$select`).
    All,
    /// These properties, in canonical spelling, deduplicated, in first-mention
    /// order. `Id` is added by the caller, not here.
    Props(Vec<&'static str>),
}

impl Selection {
    /// Whether the property `name` (canonical spelling) is selected.
    pub fn includes(&self, name: &str) -> bool {
        match self {
            Selection::All => true,
            Selection::Props(p) => p.contains(&name),
        }
    }
}

fn parse_uri(message: String) -> ParseError {
    ParseError::new(ErrorCode::RequestBrokerParseUri, message)
}

/// Parses a `$select` value. Items are comma-separated, may be surrounded by
/// spaces, and match property names case-insensitively; `*` selects everything.
/// An empty value, an empty item, a sub-property (`Flag/FlagStatus`) or a name
/// that matches no property → `RequestBroker-ParseUri`.
pub fn parse_select(s: &str, kind: EntityKind) -> Result<Selection, ParseError> {
    let mut props: Vec<&'static str> = Vec::new();
    let mut all = false;
    for item in s.split(',') {
        let item = item.trim_matches(|c: char| c == ' ' || c == '\t');
        if item.is_empty() {
            return Err(parse_uri("$select has an empty item".to_owned()));
        }
        if item == "*" {
            all = true;
            continue;
        }
        if item.contains('/') {
            return Err(parse_uri(format!(
                "$select cannot name a sub-property: '{item}'"
            )));
        }
        let Some(prop) = kind.property_ci(item) else {
            return Err(parse_uri(format!("$select names no property: '{item}'")));
        };
        if !props.contains(&prop.name) {
            props.push(prop.name);
        }
    }
    Ok(if all {
        Selection::All
    } else {
        Selection::Props(props)
    })
}
