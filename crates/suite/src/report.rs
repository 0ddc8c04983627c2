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

/// Splits `s` at every occurrence of a token: literal text and environment variables.
fn split_tokens<'a>(s: &'a str, tokens: &[(&str, &'a str)]) -> Vec<(&'a str, bool)> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let hit = tokens
            .iter()
            .filter(|(t, _)| !t.is_empty())
            .filter_map(|(t, var)| rest.find(t).map(|i| (i, t.len(), *var)))
            .min_by_key(|(i, len, _)| (*i, usize::MAX - len));
        match hit {
            Some((i, len, var)) => {
                if i > 0 {
                    out.push((&rest[..i], false));
                }
                out.push((var, true));
                rest = &rest[i + len..];
            }
            None => {
                if !rest.is_empty() {
                    out.push((rest, false));
                }
                return out;
            }
        }
    }
}

/// `s` with every token replaced by `$VAR` (for display).
pub fn hide_tokens(s: &str, tokens: &[(&str, &str)]) -> String {
    split_tokens(s, tokens)
        .into_iter()
        .map(|(p, var)| if var { format!("${p}") } else { p.to_string() })
        .collect()
}

/// Shell-quotes `s`; a token inside it becomes `$VAR` in double quotes, so the shell
/// inserts it from the environment and the report never holds it.
fn quote_hiding(s: &str, tokens: &[(&str, &str)]) -> String {
    let parts = split_tokens(s, tokens);
    if !parts.iter().any(|(_, var)| *var) {
        return shell_quote(s);
    }
    let mut q = String::from("\"");
    for (k, (p, var)) in parts.iter().enumerate() {
        if *var {
            let next_is_word = parts.get(k + 1).is_some_and(|(n, nv)| {
                !nv && n
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            if next_is_word {
                let _ = write!(q, "${{{p}}}");
            } else {
                let _ = write!(q, "${p}");
            }
        } else {
            for c in p.chars() {
                if matches!(c, '"' | '\\' | '$' | '`') {
                    q.push('\\');
                }
                q.push(c);
            }
        }
    }
    q.push('"');
    q
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
        let _ = write!(s, " -H {}", quote_hiding(&format!("{k}: {v}"), tokens));
    }
    let mut note = String::new();
    if let Some(b) = &r.body {
        if is_text(b) && b.len() <= 64 * 1024 {
            let _ = write!(
                s,
                " --data-binary {}",
                quote_hiding(&String::from_utf8_lossy(b), tokens)
            );
        } else {
            let _ = write!(s, " --data-binary @-");
            note = format!(
                "\n  # the body is {} bytes of binary data: pipe the same bytes into this command's stdin",
                b.len()
            );
        }
    }
    let _ = write!(s, " {}", quote_hiding(&r.url, tokens));
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
    let _ = writeln!(
        s,
        "    request: {} {}",
        r.method,
        hide_tokens(&r.url, tokens)
    );
    for (k, v) in &r.headers {
        let _ = writeln!(s, "      {k}: {}", hide_tokens(v, tokens));
    }
    if let Some(b) = &r.body {
        for line in body_text(b).lines() {
            let _ = writeln!(s, "      {}", hide_tokens(line, tokens));
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
        let _ = writeln!(s, "    what: {}", hide_tokens(&f.message, tokens));
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
    fn tokens_are_hidden_wherever_they_appear() {
        let r = SentRequest {
            method: "GET".into(),
            url: "http://h/p?x=sekrit".into(),
            headers: vec![
                ("Authorization".into(), "bearer sekrit".into()),
                ("X-Both".into(), "sekrit2,sekrit_x \"$`".into()),
            ],
            body: None,
        };
        let tokens = [
            ("sekrit", "CONTACTSPEC_TOKEN"),
            ("sekrit2", "CONTACTSPEC_SECOND_TOKEN"),
        ];
        let c = curl(&r, &tokens);
        assert!(!c.contains("sekrit"), "{c}");
        assert!(
            c.contains(r#"-H "Authorization: bearer $CONTACTSPEC_TOKEN""#),
            "{c}"
        );
        assert!(
            c.contains(r#"-H "X-Both: $CONTACTSPEC_SECOND_TOKEN,${CONTACTSPEC_TOKEN}_x \"\$\`""#),
            "{c}"
        );
        assert!(c.ends_with(r#" "http://h/p?x=$CONTACTSPEC_TOKEN""#), "{c}");
        let ex = Exchange {
            request: r,
            response: Err(crate::client::TransportError::Timeout(
                std::time::Duration::from_secs(1),
            )),
            started: chrono::Utc::now(),
            elapsed: std::time::Duration::from_secs(1),
            notes: Vec::new(),
        };
        let t = exchange_text(&ex, &tokens);
        assert!(!t.contains("sekrit"), "{t}");
        assert!(
            t.contains("Authorization: bearer $CONTACTSPEC_TOKEN"),
            "{t}"
        );
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
