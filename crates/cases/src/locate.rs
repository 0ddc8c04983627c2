//! Finds where the value at a JSON pointer starts in a JSON text, so semantic errors
//! (unknown rule, bad template, …) can name a line and column like syntax errors do.
//!
//! The scanner is deliberately tiny: it only runs on text `serde_json` already parsed,
//! and returns `None` (never panics) on anything unexpected.

/// Returns the 1-based (line, column) where the value at `pointer` starts in `text`,
/// or, if the pointer does not resolve, the position of its deepest resolving parent.
pub fn locate_pointer(text: &str, pointer: &str) -> (usize, usize) {
    let tokens: Vec<String> = if pointer.is_empty() {
        Vec::new()
    } else {
        pointer
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect()
    };
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    for token in &tokens {
        match find_child(bytes, pos, token) {
            Some(p) => pos = p,
            None => break,
        }
    }
    line_col(text, pos)
}

fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = &text.as_bytes()[..pos];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, col)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Ends a string starting at `i` (which is `"`); returns the index after the closing quote.
fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Returns the index after the value starting at `i`.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    let i = skip_ws(b, i);
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
            {
                j += 1;
            }
            Some(j)
        }
    }
}

/// Position of the member `token` (object) or element `token` (array) of the value at `i`.
fn find_child(b: &[u8], i: usize, token: &str) -> Option<usize> {
    let i = skip_ws(b, i);
    match *b.get(i)? {
        b'{' => {
            let mut j = skip_ws(b, i + 1);
            loop {
                if *b.get(j)? != b'"' {
                    return None;
                }
                let end = skip_string(b, j)?;
                let key: String = serde_json::from_slice(&b[j..end]).ok()?;
                j = skip_ws(b, end);
                if *b.get(j)? != b':' {
                    return None;
                }
                let value_start = skip_ws(b, j + 1);
                if key == token {
                    return Some(value_start);
                }
                j = skip_ws(b, skip_value(b, value_start)?);
                match *b.get(j)? {
                    b',' => j = skip_ws(b, j + 1),
                    _ => return None,
                }
            }
        }
        b'[' => {
            let want: usize = token.parse().ok()?;
            let mut j = skip_ws(b, i + 1);
            let mut k = 0;
            loop {
                if k == want {
                    return Some(j);
                }
                j = skip_ws(b, skip_value(b, j)?);
                match *b.get(j)? {
                    b',' => j = skip_ws(b, j + 1),
                    _ => return None,
                }
                k += 1;
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values() {
        let text = "{\n  \"cases\": [\n    {\"name\": \"a\", \"rules\": [\"X\", \"Y\"]}\n  ]\n}";
        assert_eq!(locate_pointer(text, ""), (1, 1));
        assert_eq!(locate_pointer(text, "/cases"), (2, 12));
        assert_eq!(locate_pointer(text, "/cases/0"), (3, 5));
        assert_eq!(locate_pointer(text, "/cases/0/name"), (3, 14));
        assert_eq!(locate_pointer(text, "/cases/0/rules/1"), (3, 34));
        // Unresolvable: deepest parent.
        assert_eq!(locate_pointer(text, "/cases/0/nope"), (3, 5));
    }

    #[test]
    fn strings_with_brackets_and_escapes() {
        let text = r#"{"a": "x\"]}", "b/c": [{"k": "{"}, 7]}"#;
        assert_eq!(locate_pointer(text, "/b~1c/1"), (1, 36));
        assert_eq!(locate_pointer(text, "/b~1c/0/k"), (1, 30));
    }

    #[test]
    fn never_panics_on_garbage() {
        for text in ["", "{", "[1,", "{\"a\"", "{\"a\":", "\"", "]]]"] {
            let _ = locate_pointer(text, "/a/0/b");
        }
    }
}
