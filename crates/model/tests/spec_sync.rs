//! Keeps the rule table in step with `../shared/SPEC.md` when that file is present
//! (it is beside every checkout and CI clone of this project).

use contactspec_model::{RULES, rule};
use std::path::PathBuf;

fn spec_path() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let p = root.join("../shared/SPEC.md");
    p.exists().then_some(p)
}

#[test]
fn rule_table_matches_spec() {
    let Some(path) = spec_path() else {
        eprintln!("SPEC.md not found beside the checkout; nothing to compare");
        return;
    };
    let spec = std::fs::read_to_string(path).unwrap();
    let mut ids = Vec::new();
    for line in spec.lines() {
        let cells: Vec<&str> = line.split(" | ").collect();
        if cells.len() >= 4
            && line.starts_with("| ")
            && matches!(cells[1], "MUST" | "SHOULD")
            && matches!(cells[2], "seed" | "doc" | "observed" | "decided")
        {
            let id = cells[0].trim_start_matches("| ");
            let r =
                rule(id).unwrap_or_else(|| panic!("rule {id} of SPEC.md is missing from RULES"));
            assert_eq!(r.level.as_str(), cells[1], "level of {id}");
            assert_eq!(r.basis.as_str(), cells[2], "basis of {id}");
            ids.push(id.to_string());
        }
    }
    assert_eq!(ids.len(), RULES.len(), "RULES has rules SPEC.md does not");
}
