//! Loads `cases/<area>/*.json` into a [`Catalogue`], with diagnostics that name the
//! file, line and column and what was expected.

use crate::locate::locate_pointer;
use crate::types::{CaseDef, CaseFile, Step};
use crate::validate::Validator;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A case file that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file or directory could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid case file.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was expected and what was found.
        message: String,
    },
}

/// One case with its place in the catalogue.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    /// `<area>::<file-stem>::<case name>`, the trial name.
    pub id: String,
    /// The area directory.
    pub area: String,
    /// The file it came from.
    pub file: PathBuf,
    /// The case as written.
    pub def: CaseDef,
    /// Runs alone (SUITE-ISOLATED-WALKS): `exclusive`, or any walk or sync step.
    pub exclusive: bool,
    /// The case's JSON as written (what generated cases are instantiated from).
    pub raw: serde_json::Value,
}

/// Every case of a `cases/` directory, in file and case order.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    /// The cases.
    pub cases: Vec<LoadedCase>,
}

impl Catalogue {
    /// The cases that name `rule_id` among their rules.
    pub fn cases_for_rule(&self, rule_id: &str) -> Vec<&LoadedCase> {
        self.cases
            .iter()
            .filter(|c| c.def.rules.iter().any(|r| r == rule_id))
            .collect()
    }
}

/// Parses one case file's text; `path` only labels diagnostics. `schemas` is the set
/// of known schema names (`None`: not checked).
pub fn parse_case_file(
    path: &Path,
    text: &str,
    schemas: Option<&BTreeSet<String>>,
) -> Result<CaseFile, Vec<LoadError>> {
    let file: CaseFile = serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        // serde_json appends " at line L column C"; the prefix carries the position.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        vec![LoadError::Invalid {
            path: path.to_path_buf(),
            line: e.line().max(1),
            column: e.column().max(1),
            message: explain_serde(&message),
        }]
    })?;
    let mut v = Validator {
        schemas,
        problems: Vec::new(),
    };
    v.file(&file);
    if v.problems.is_empty() {
        return Ok(file);
    }
    Err(v
        .problems
        .into_iter()
        .map(|(ptr, message)| {
            let (line, column) = locate_pointer(text, &ptr);
            LoadError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message: format!("{message} (at {})", if ptr.is_empty() { "/" } else { &ptr }),
            }
        })
        .collect())
}

/// Makes serde's wording say what was expected.
fn explain_serde(msg: &str) -> String {
    if msg.starts_with("unknown field") || msg.starts_with("missing field") {
        msg.to_string()
    } else if msg.contains("did not match any variant") {
        format!("{msg} (expected a value of the form docs/case-format.md gives for this member)")
    } else {
        msg.to_string()
    }
}

/// Loads one case file.
pub fn load_file(
    path: &Path,
    area: &str,
    schemas: Option<&BTreeSet<String>>,
) -> Result<Vec<LoadedCase>, Vec<LoadError>> {
    let text = std::fs::read_to_string(path).map_err(|source| {
        vec![LoadError::Io {
            path: path.to_path_buf(),
            source,
        }]
    })?;
    let file = parse_case_file(path, &text, schemas)?;
    let raw: Vec<serde_json::Value> = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("cases").and_then(|c| c.as_array()).cloned())
        .unwrap_or_default();
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(file
        .cases
        .into_iter()
        .enumerate()
        .map(|(i, def)| LoadedCase {
            id: format!("{area}::{stem}::{}", def.name),
            area: area.to_string(),
            file: path.to_path_buf(),
            exclusive: def.exclusive || def.steps.iter().any(has_walk_or_sync),
            raw: raw.get(i).cloned().unwrap_or_default(),
            def,
        })
        .collect())
}

fn has_walk_or_sync(s: &Step) -> bool {
    s.walk.is_some() || s.sync.is_some()
}

/// Loads every `<dir>/<area>/*.json`, sorted by path. Returns every problem found.
pub fn load_catalogue(
    dir: &Path,
    schemas: Option<&BTreeSet<String>>,
) -> Result<Catalogue, Vec<LoadError>> {
    let io = |path: &Path, source| {
        vec![LoadError::Io {
            path: path.to_path_buf(),
            source,
        }]
    };
    let mut areas: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    areas.sort();
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for area_dir in areas {
        let area = area_dir
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&area_dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect(),
            Err(e) => {
                errors.extend(io(&area_dir, e));
                continue;
            }
        };
        files.sort();
        for f in files {
            match load_file(&f, &area, schemas) {
                Ok(c) => cases.extend(c),
                Err(e) => errors.extend(e),
            }
        }
    }
    if errors.is_empty() {
        Ok(Catalogue { cases })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(text: &str) -> Vec<String> {
        let schemas: BTreeSet<String> = ["contact".to_string(), "error".to_string()].into();
        match parse_case_file(Path::new("cases/x/y.json"), text, Some(&schemas)) {
            Ok(_) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    const OK: &str = r#"{
  "cases": [
    {
      "name": "create",
      "rules": ["CT-CREATE"],
      "steps": [
        {"request": {"method": "POST", "path": "me/contacts", "json": {"Surname": "{{marker}}"}},
         "expect": {"status": 201, "schema": "contact", "json": {"Id": {"$present": true}}},
         "capture": {"id": "/Id"}},
        {"request": {"path": "me/contacts/{{id}}"}, "expect": {"status": 200}}
      ]
    }
  ]
}"#;

    #[test]
    fn valid_file_loads() {
        assert_eq!(errs(OK), Vec::<String>::new());
    }

    #[test]
    fn syntax_error_has_position() {
        let e = errs("{\n  \"cases\": [\n    {\"name\": \"a\",, }\n  ]\n}");
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("cases/x/y.json:3:18: "), "{e:?}");
    }

    #[test]
    fn unknown_member_is_an_error() {
        let text = OK.replace("\"status\": 201,", "\"status\": 201, \"stauts\": 1,");
        let e = errs(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].contains("cases/x/y.json:8:"), "{e:?}");
        assert!(
            e[0].contains("unknown field `stauts`, expected one of"),
            "{e:?}"
        );
    }

    #[test]
    fn unknown_rule_points_at_the_value() {
        let text = OK.replace("\"CT-CREATE\"", "\"CT-CRAETE\"");
        let e = errs(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("cases/x/y.json:5:17: expected a rule ID"),
            "{e:?}"
        );
        assert!(e[0].contains("\"CT-CRAETE\""), "{e:?}");
    }

    #[test]
    fn unknown_schema_check_template_and_capture() {
        let text = OK
            .replace("\"schema\": \"contact\"", "\"schema\": \"contacts\"")
            .replace("{{id}}", "{{idd}}")
            .replace(
                "{\"status\": 200}",
                "{\"status\": 200, \"checks\": [\"etgа\"]}",
            );
        let e = errs(&text);
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(
            e[0].starts_with("cases/x/y.json:8:46: expected a schema name (contact, error)"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("cases/x/y.json:10:30: expected a built-in template name"),
            "{e:?}"
        );
        assert!(e[1].contains("{{idd}}"), "{e:?}");
        assert!(e[2].contains("expected a named check"), "{e:?}");
    }

    #[test]
    fn bad_template_and_matcher() {
        let text = OK
            .replace("{{marker}}", "{{marker")
            .replace("\"$present\": true", "\"$presnt\": true");
        let e = errs(&text);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].contains("cases/x/y.json:7:") && e[0].contains("unclosed"),
            "{e:?}"
        );
        assert!(e[1].contains("expected a matcher"), "{e:?}");
    }

    #[test]
    fn step_kinds_and_operators() {
        let text = OK.replace(
            "{\"request\": {\"path\": \"me/contacts/{{id}}\"}, \"expect\": {\"status\": 200}}",
            "{\"expect\": {\"assert\": [{\"path\": \"/a\", \"count\": 1, \"absent\": true}]}}",
        );
        let e = errs(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].contains("expected exactly one of `request`, `walk`"),
            "{e:?}"
        );
    }

    #[test]
    fn templates_inside_instant_and_wall() {
        let with = |m: &str| OK.replace("{\"$present\": true}", m);
        assert!(errs(&with(r#"{"$wall": "{{today}}T00:00:00"}"#)).is_empty());
        assert!(errs(&with(r#"{"$instant": "{{today}}T00:00:00Z"}"#)).is_empty());
        let e = errs(&with(r#"{"$wall": "{{tomorrow}}T00:00:00"}"#));
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].contains("tomorrow"), "{e:?}");
        let e = errs(&with(r#"{"$instant": "today"}"#));
        assert_eq!(e.len(), 1, "{e:?}");
    }
}
