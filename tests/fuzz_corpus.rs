//! Replays every seed of `fuzz/corpus/<target>/` through the matching fuzz target
//! function on stable Rust, so CI checks the targets and their oracles without
//! nightly or libFuzzer.

use std::path::Path;

#[test]
fn every_target_has_a_corpus_and_every_corpus_a_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (name, _) in contactspec_fuzz_targets::TARGETS {
        let dir = root.join(name);
        let n = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert!(n > 0, "no seeds in {}", dir.display());
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fuzz/fuzz_targets/{name}.rs"));
        assert!(script.exists(), "no cargo-fuzz target {}", script.display());
    }
    for entry in std::fs::read_dir(&root).expect("fuzz/corpus exists") {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            contactspec_fuzz_targets::target(&name).is_some(),
            "corpus {name} has no target"
        );
    }
}

#[test]
fn corpus_replays_through_every_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut failures = Vec::new();
    let mut count = 0;
    for (name, target) in contactspec_fuzz_targets::TARGETS {
        let mut files: Vec<_> = std::fs::read_dir(root.join(name))
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).expect("seed readable");
            count += 1;
            if let Err(e) = std::panic::catch_unwind(|| target(&data)) {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{name} {}: {msg}", file.display()));
            }
        }
    }
    assert!(count > 0);
    assert!(
        failures.is_empty(),
        "{} of {count} seeds failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
