//! Compiles every `schemas/*.schema.json` once, resolving `$ref`s between local files
//! without network access, and validates bodies against them by name.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A schema file that could not be read or compiled.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The directory or a file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file is not JSON.
    #[error("{path}:{line}:{column}: not a JSON schema: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// serde_json's message.
        message: String,
    },
    /// The schema does not compile (bad keyword, unresolvable `$ref`).
    #[error("{path}: invalid schema: {message}")]
    Compile {
        /// The file.
        path: PathBuf,
        /// jsonschema's message.
        message: String,
    },
}

/// The compiled schemas, by name (`contact` for `contact.schema.json`).
#[derive(Default)]
pub struct Schemas {
    validators: BTreeMap<String, jsonschema::Validator>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas")
            .field("names", &self.validators.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Schemas {
    /// Compiles every `*.schema.json` of `dir`.
    pub fn load(dir: &Path) -> Result<Schemas, SchemaError> {
        let io = |path: &Path, source| SchemaError::Io {
            path: path.to_path_buf(),
            source,
        };
        let dir = dir.canonicalize().map_err(|e| io(dir, e))?;
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| io(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".schema.json"))
            .collect();
        files.sort();
        let mut validators = BTreeMap::new();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| io(&f, e))?;
            let schema: Value = serde_json::from_str(&text).map_err(|e| SchemaError::Json {
                path: f.clone(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
            let base = url::Url::from_file_path(&f)
                .map(|u| u.to_string())
                .unwrap_or_else(|()| format!("file://{}", f.display()));
            let v = jsonschema::options()
                .with_base_uri(base)
                .build(&schema)
                .map_err(|e| SchemaError::Compile {
                    path: f.clone(),
                    message: e.to_string(),
                })?;
            let name = f
                .file_name()
                .map(|n| {
                    n.to_string_lossy()
                        .trim_end_matches(".schema.json")
                        .to_string()
                })
                .unwrap_or_default();
            validators.insert(name, v);
        }
        Ok(Schemas { validators })
    }

    /// The schema names.
    pub fn names(&self) -> BTreeSet<String> {
        self.validators.keys().cloned().collect()
    }

    /// Validates `instance` against the named schema; returns each violation
    /// (`/pointer: message`), at most 10.
    pub fn validate(&self, name: &str, instance: &Value) -> Result<(), Vec<String>> {
        let Some(v) = self.validators.get(name) else {
            return Err(vec![format!("no schema named {name:?}")]);
        };
        let errors: Vec<String> = v
            .iter_errors(instance)
            .take(10)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!("{}: {}", if at.is_empty() { "/" } else { &at }, e)
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_local_refs_offline() {
        let dir = std::env::temp_dir().join(format!("cs-schema-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("error.schema.json"),
            r#"{"type": "object", "required": ["error"], "properties": {"error": {"$ref": "code.schema.json"}}}"#,
        )
        .unwrap();
        std::fs::write(
            dir.join("code.schema.json"),
            r#"{"type": "object", "required": ["code"], "properties": {"code": {"type": "string", "minLength": 1}}}"#,
        )
        .unwrap();
        let s = Schemas::load(&dir).unwrap();
        assert_eq!(s.names(), ["code".to_string(), "error".to_string()].into());
        assert!(
            s.validate("error", &serde_json::json!({"error": {"code": "X"}}))
                .is_ok()
        );
        let e = s
            .validate("error", &serde_json::json!({"error": {"code": ""}}))
            .unwrap_err();
        assert!(e[0].starts_with("/error/code"), "{e:?}");
        assert!(s.validate("nope", &serde_json::json!({})).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
