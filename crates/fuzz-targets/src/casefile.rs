//! The suite's case-file loader over arbitrary text.

use contactspec_cases::{LoadError, parse_case_file};
use std::path::Path;

/// Oracle: `Ok`, or errors that are each located inside the text (line within the
/// text's lines, column ≥ 1) and carry a message; never a panic.
pub fn case_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.split('\n').count();
    match parse_case_file(Path::new("fuzz.json"), text, None) {
        Ok(file) => {
            // Loading is deterministic: the same text loads to the same cases.
            let again = parse_case_file(Path::new("fuzz.json"), text, None)
                .unwrap_or_else(|e| panic!("second load of the same text failed: {e:?}"));
            assert_eq!(format!("{:?}", file.cases), format!("{:?}", again.cases));
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "an Err without any error");
            for e in errors {
                match e {
                    LoadError::Invalid {
                        line,
                        column,
                        message,
                        ..
                    } => {
                        assert!(
                            line >= 1 && line <= lines + 1,
                            "line {line} outside 1..={}",
                            lines + 1
                        );
                        assert!(column >= 1, "column 0");
                        assert!(!message.is_empty(), "empty message");
                    }
                    LoadError::Io { .. } => panic!("parsing text reported an I/O error"),
                }
            }
        }
    }
}
