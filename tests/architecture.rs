//! The invariants of ARCHITECTURE.md that Cargo can check: the suite half and the
//! server half never depend on each other; only the wiring crates see both.

use std::path::Path;

/// The `contactspec-*` crates a manifest depends on (any dependency table).
fn contactspec_deps(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    text.lines()
        .filter_map(|l| {
            let name = l.split(['=', '.', ' ']).next()?.trim();
            (name.starts_with("contactspec-") && !l.trim_start().starts_with("name"))
                .then(|| name.to_string())
        })
        .collect()
}

#[test]
fn halves_never_depend_on_each_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suite_half = ["cases", "suite", "props", "netfuzz"];
    let server_deps = contactspec_deps(&root.join("crates/server/Cargo.toml"));
    assert_eq!(
        server_deps,
        ["contactspec-model"],
        "the server depends only on the model"
    );
    assert!(contactspec_deps(&root.join("crates/model/Cargo.toml")).is_empty());
    for krate in suite_half {
        let deps = contactspec_deps(&root.join(format!("crates/{krate}/Cargo.toml")));
        assert!(
            !deps.iter().any(|d| d == "contactspec-server"),
            "crates/{krate} must not depend on the server: {deps:?}"
        );
        assert!(
            deps.iter().any(|d| d == "contactspec-model"),
            "crates/{krate}: {deps:?}"
        );
    }
}

#[test]
fn libfuzzer_stays_in_the_fuzz_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(!text.contains("libfuzzer-sys"), "{}", manifest.display());
    }
    let root_manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(!root_manifest.contains("libfuzzer-sys"));
}

/// The cargo-fuzz build instruments every crate the targets pull in, so the targets
/// use the case-format crate rather than the runner, and the network fuzzer's
/// generators without its HTTP engine (docs/fuzzing.md, "CI smoke run").
#[test]
fn fuzz_targets_stay_off_the_http_client_stack() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = root.join("crates/fuzz-targets/Cargo.toml");
    let deps = contactspec_deps(&manifest);
    assert!(
        !deps
            .iter()
            .any(|d| d == "contactspec-suite" || d == "contactspec-props"),
        "crates/fuzz-targets must not depend on the runner or the properties: {deps:?}"
    );
    let text = std::fs::read_to_string(&manifest).unwrap();
    for heavy in ["reqwest", "jsonschema", "proptest"] {
        assert!(
            !text.contains(heavy),
            "crates/fuzz-targets depends on {heavy}"
        );
    }
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        workspace.contains(
            "contactspec-netfuzz = { path = \"crates/netfuzz\", default-features = false }"
        ),
        "the workspace must take the network fuzzer without its engine by default"
    );
}

/// `.ci/run` runs exactly the README's test command (the second of "The two commands").
#[test]
fn ci_runs_the_readme_test_command() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let block = readme
        .split("## The two commands")
        .nth(1)
        .and_then(|s| s.split("```sh\n").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("README has the two commands in a sh block");
    let commands: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(commands.len(), 2, "{commands:?}");
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    let last = ci.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert_eq!(last.trim(), commands[1].trim());
}
