//! Failure reports a person can act on (SUITE-REPRO): the rule and its text, what was
//! expected and what came back, the exchange with bodies cut at 2 KB, and a `curl`
//! command that repeats the request.

use crate::client::{Exchange, SentRequest};
use crate::outcome::Failure;
use contactspec_model::rule;
use std::fmt::Write;

/// Bodies longer than this are cut in reports.
pub const BODY_CUT: usize = 2048;

/// Quotes a string for a POSIX shell (single quotes).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn is_text(b: &[u8]) -> bool {
    std::str::from_utf8(b).is_ok_and(|s| {
        !s.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    })
}

/// A `curl` command that repeats the request. Bearer tokens are replaced by
/// `$CONTACTSPEC_TOKEN` / `$CONTACTSPEC_SECOND_TOKEN` when `tokens` says which is which,
/// so reports do not leak them; binary bodies are sent from stdin with a note.
pub fn curl(r: &SentRequest, tokens: &[(&str, &str)]) -> String {
    let mut s = String::from("curl -sS -i");
    if r.method != "GET" || r.body.is_some() {
        let _ = write!(s, " -X {}", shell_quote(&r.method));
    }
    for (k, v) in &r.headers {
        let mut line = format!("{k}: {v}");
        let mut env = None;
        for (tok, var) in tokens {
            if !tok.is_empty() && v == &format!("Bearer {tok}") {
                env = Some(*var);
            }
        }
        match env {
            Some(var) => {
                line = format!("{k}: Bearer ${var}");
                let _ = write!(s, " -H \"{}\"", line.replace('"', "\\\""));
            }
            None => {
                let _ = write!(s, " -H {}", shell_quote(&line));
            }
        }
    }
    let mut note = String::new();
    if let Some(b) = &r.body {
        if is_text(b) && b.len() <= 64 * 1024 {
            let _ = write!(
                s,
                " --data-binary {}",
                shell_quote(&String::from_utf8_lossy(b))
            );
        } else {
            let _ = write!(s, " --data-binary @-");
            note = format!(
                "\n  # the body is {} bytes of binary data: pipe the same bytes into this command's stdin",
                b.len()
            );
        }
    }
    let _ = write!(s, " {}", shell_quote(&r.url));
    s.push_str(&note);
    s
}

fn body_text(b: &[u8]) -> String {
    if b.is_empty() {
        return "(empty body)".to_string();
    }
    if !is_text(b) {
        return format!("({} bytes of binary data)", b.len());
    }
    let s = String::from_utf8_lossy(b);
    if s.len() > BODY_CUT {
        format!(
            "{}… ({} bytes in all)",
            &s[..crate::expect::floor_boundary(&s, BODY_CUT)],
            b.len()
        )
    } else {
        s.into_owned()
    }
}

/// The exchange, indented, with tokens hidden.
pub fn exchange_text(ex: &Exchange, tokens: &[(&str, &str)]) -> String {
    let mut s = String::new();
    let r = &ex.request;
    let _ = writeln!(s, "    request: {} {}", r.method, r.url);
    for (k, v) in &r.headers {
        let shown = tokens
            .iter()
            .find(|(t, _)| !t.is_empty() && v == &format!("Bearer {t}"))
            .map_or(v.clone(), |(_, var)| format!("Bearer ${var}"));
        let _ = writeln!(s, "      {k}: {shown}");
    }
    if let Some(b) = &r.body {
        for line in body_text(b).lines() {
            let _ = writeln!(s, "      {line}");
        }
    }
    match &ex.response {
        Ok(resp) => {
            let _ = writeln!(s, "    response: {} (after {:?})", resp.status, ex.elapsed);
            for (k, v) in &resp.headers {
                let _ = writeln!(s, "      {k}: {v}");
            }
            for line in body_text(&resp.body).lines() {
                let _ = writeln!(s, "      {line}");
            }
        }
        Err(e) => {
            let _ = writeln!(s, "    response: none after {:?}: {e}", ex.elapsed);
        }
    }
    for n in &ex.notes {
        let _ = writeln!(s, "    note: {n}");
    }
    s
}

/// The report of a failed or warned case.
pub fn case_report(case: &str, seed: u64, marker: &str, failures: &[Failure]) -> String {
    render(case, seed, marker, failures, &[])
}

/// Like [`case_report`], hiding these (token, environment variable) pairs.
pub fn render(
    case: &str,
    seed: u64,
    marker: &str,
    failures: &[Failure],
    tokens: &[(&str, &str)],
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "case {case} (seed {seed}, marker {marker})");
    for f in failures {
        let _ = writeln!(s, "  {} — {}:", f.step, f.level);
        if f.rules.is_empty() {
            let _ = writeln!(s, "    (not a rule failure: the case could not be checked)");
        }
        for id in &f.rules {
            match rule(id) {
                Some(r) => {
                    let _ = writeln!(s, "    {} ({}, {}): {}", r.id, r.level, r.basis, r.text);
                }
                None => {
                    let _ = writeln!(s, "    {id}");
                }
            }
        }
        let _ = writeln!(s, "    what: {}", f.message);
        if let Some(ex) = &f.exchange {
            s.push_str(&exchange_text(ex, tokens));
            let _ = writeln!(s, "    repeat with:\n      {}", curl(&ex.request, tokens));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_quotes_and_hides_tokens() {
        let r = SentRequest {
            method: "PATCH".into(),
            url: "http://h/api/me/contacts/A%2B=?$select=GivenName".into(),
            headers: vec![
                ("Authorization".into(), "Bearer sekrit".into()),
                ("Content-Type".into(), "application/json".into()),
                ("If-Match".into(), "W/\"k1\"".into()),
            ],
            body: Some(br#"{"Surname":"O'Brien"}"#.to_vec()),
        };
        let c = curl(&r, &[("sekrit", "CONTACTSPEC_TOKEN")]);
        assert_eq!(
            c,
            r#"curl -sS -i -X PATCH -H "Authorization: Bearer $CONTACTSPEC_TOKEN" -H 'Content-Type: application/json' -H 'If-Match: W/"k1"' --data-binary '{"Surname":"O'\''Brien"}' 'http://h/api/me/contacts/A%2B=?$select=GivenName'"#
        );
        assert!(!c.contains("sekrit"));
    }

    #[test]
    fn binary_bodies_go_through_stdin() {
        let r = SentRequest {
            method: "PUT".into(),
            url: "http://h/p".into(),
            headers: vec![],
            body: Some(vec![0xFF, 0xD8, 0xFF, 0x00]),
        };
        let c = curl(&r, &[]);
        assert!(
            c.starts_with(
                "curl -sS -i -X PUT --data-binary @- http://h/p\n  # the body is 4 bytes"
            ),
            "{c}"
        );
    }

    #[test]
    fn bodies_are_cut() {
        let long = "x".repeat(5000);
        let t = body_text(long.as_bytes());
        assert!(
            t.len() < 2100 && t.ends_with("(5000 bytes in all)"),
            "{}",
            t.len()
        );
        assert_eq!(body_text(b""), "(empty body)");
        assert_eq!(body_text(&[0, 1, 2]), "(3 bytes of binary data)");
    }
}
