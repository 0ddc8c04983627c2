//! SUITE-SAFE: the registry of what this run created, and the guard that refuses
//! writes to anything else.

use crate::case::TokenChoice;
use percent_encoding::percent_decode_str;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// What a URL addresses, as far as the guard cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressed {
    /// A contact (or its photo) by id.
    Contact(String),
    /// A folder by id.
    Folder(String),
    /// A folder collection (`contactfolders`, `childfolders`).
    FolderCollection,
    /// Anything else (contact collections, `$count`, unknown paths).
    Other,
}

fn strip_key(s: &str) -> &str {
    s.trim_start_matches('(')
        .trim_end_matches(')')
        .trim_matches('\'')
}

/// Classifies a URL path (the part after the host; the base path is harmless).
pub fn addressed(url: &str) -> Addressed {
    let path = match url::Url::parse(url) {
        Ok(u) => u.path().to_string(),
        Err(_) => url.split(['?', '#']).next().unwrap_or("").to_string(),
    };
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let mut result = Addressed::Other;
    let mut i = 0;
    while i < segs.len() {
        let lower = segs[i].to_ascii_lowercase();
        let next = segs.get(i + 1).filter(|n| !n.starts_with('$'));
        if lower == "contacts" {
            match next {
                Some(id) => {
                    return Addressed::Contact(id.clone());
                }
                None => result = Addressed::Other,
            }
        } else if lower.starts_with("contacts(") {
            return Addressed::Contact(strip_key(&segs[i]["contacts".len()..]).to_string());
        } else if lower == "contactfolders" || lower == "childfolders" {
            match next {
                Some(id) => {
                    result = Addressed::Folder(id.clone());
                    i += 1;
                }
                None => result = Addressed::FolderCollection,
            }
        } else if lower.starts_with("contactfolders(") || lower.starts_with("childfolders(") {
            let open = segs[i].find('(').unwrap_or(0);
            result = Addressed::Folder(strip_key(&segs[i][open..]).to_string());
        }
        i += 1;
    }
    result
}

#[derive(Debug, Default)]
struct Inner {
    created: HashMap<String, (TokenChoice, bool)>,
    seen: HashSet<String>,
}

/// Every contact this run created (with the token that created it) and every id it
/// saw in a response.
#[derive(Debug, Default)]
pub struct Registry {
    inner: Mutex<Inner>,
}

fn body_is_noop(body: Option<&[u8]>) -> bool {
    match body {
        None => true,
        Some(b) if b.iter().all(u8::is_ascii_whitespace) => true,
        Some(b) => serde_json::from_slice::<Value>(b)
            .is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty())),
    }
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a contact this run created.
    pub fn created(&self, id: &str, token: TokenChoice) {
        self.lock().created.insert(id.to_string(), (token, false));
    }

    /// Whether this run created the id.
    pub fn is_created(&self, id: &str) -> bool {
        self.lock().created.contains_key(id)
    }

    /// Marks a created contact as deleted.
    pub fn deleted(&self, id: &str) {
        if let Some(e) = self.lock().created.get_mut(id) {
            e.1 = true;
        }
    }

    /// Records every `Id` of a response body (the entity's and those of `value`).
    pub fn saw(&self, body: &Value) {
        let mut inner = self.lock();
        let mut add = |v: &Value| {
            if let Some(id) = v.get("Id").and_then(Value::as_str) {
                inner.seen.insert(id.to_string());
            }
        };
        add(body);
        if let Some(a) = body.get("value").and_then(Value::as_array) {
            a.iter().for_each(add);
        }
    }

    /// Whether the id was created by the run and not deleted yet.
    pub fn is_pending(&self, id: &str) -> bool {
        self.lock().created.get(id).is_some_and(|(_, d)| !d)
    }

    /// Created contacts not yet deleted.
    pub fn pending(&self) -> Vec<(String, TokenChoice)> {
        let mut v: Vec<_> = self
            .lock()
            .created
            .iter()
            .filter(|(_, (_, d))| !d)
            .map(|(id, (t, _))| (id.clone(), *t))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// Refuses a request that could change something this run did not create: a
    /// write to a contact id seen in a response but not created by the run, a folder
    /// DELETE, or a folder write whose body is not empty (CF-NO-WRITE probes).
    pub fn check(&self, method: &str, url: &str, body: Option<&[u8]>) -> Result<(), String> {
        let m = method.to_ascii_uppercase();
        if matches!(m.as_str(), "GET" | "HEAD" | "OPTIONS") {
            return Ok(());
        }
        match addressed(url) {
            Addressed::Contact(id) => {
                let inner = self.lock();
                if !inner.created.contains_key(&id) && inner.seen.contains(&id) {
                    return Err(format!(
                        "SUITE-SAFE: refused to send {m} to contact {id:?}: the run saw it on the target but did not create it"
                    ));
                }
                Ok(())
            }
            Addressed::Folder(id) => {
                if m == "DELETE" {
                    Err(format!(
                        "SUITE-SAFE: refused to send DELETE to folder {id:?}"
                    ))
                } else if !body_is_noop(body) {
                    Err(format!(
                        "SUITE-SAFE: refused to send {m} with a non-empty body to folder {id:?}"
                    ))
                } else {
                    Ok(())
                }
            }
            Addressed::FolderCollection => {
                if m != "DELETE" && !body_is_noop(body) {
                    Err(format!(
                        "SUITE-SAFE: refused to send {m} with a non-empty body to a folder collection"
                    ))
                } else {
                    Ok(())
                }
            }
            Addressed::Other => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_paths() {
        let b = "http://h:1/api/beta";
        assert_eq!(
            addressed(&format!("{b}/me/contacts/AA%2Bb=")),
            Addressed::Contact("AA+b=".into())
        );
        assert_eq!(
            addressed(&format!("{b}/me/contacts/X/photo/$value")),
            Addressed::Contact("X".into())
        );
        assert_eq!(
            addressed(&format!("{b}/me/Contacts('X')")),
            Addressed::Contact("X".into())
        );
        assert_eq!(
            addressed(&format!("{b}/Users('u')/Contacts('X')")),
            Addressed::Contact("X".into())
        );
        assert_eq!(
            addressed(&format!("{b}/me/contacts/$count")),
            Addressed::Other
        );
        assert_eq!(
            addressed(&format!("{b}/me/contacts?$top=1")),
            Addressed::Other
        );
        assert_eq!(
            addressed(&format!("{b}/me/contactfolders/F/contacts/X")),
            Addressed::Contact("X".into())
        );
        assert_eq!(
            addressed(&format!("{b}/me/contactfolders/F/contacts")),
            Addressed::Other
        );
        assert_eq!(
            addressed(&format!("{b}/me/contactfolders/F")),
            Addressed::Folder("F".into())
        );
        assert_eq!(
            addressed(&format!("{b}/me/contactfolders/F/childfolders")),
            Addressed::FolderCollection
        );
        assert_eq!(
            addressed(&format!("{b}/me/contactfolders")),
            Addressed::FolderCollection
        );
    }

    #[test]
    fn refuses_foreign_writes() {
        let r = Registry::default();
        let b = "http://h/api";
        r.saw(&json!({"value": [{"Id": "theirs"}, {"Id": "mine"}]}));
        r.created("mine", TokenChoice::A);
        assert!(
            r.check("DELETE", &format!("{b}/me/contacts/theirs"), None)
                .is_err()
        );
        assert!(
            r.check("PATCH", &format!("{b}/me/contacts('theirs')"), Some(b"{}"))
                .is_err()
        );
        assert!(
            r.check(
                "PUT",
                &format!("{b}/me/contacts/theirs/photo/$value"),
                Some(b"x")
            )
            .is_err()
        );
        assert!(
            r.check("GET", &format!("{b}/me/contacts/theirs"), None)
                .is_ok()
        );
        assert!(
            r.check("DELETE", &format!("{b}/me/contacts/mine"), None)
                .is_ok()
        );
        assert!(
            r.check("DELETE", &format!("{b}/me/contacts/never-issued"), None)
                .is_ok()
        );
        assert!(
            r.check("DELETE", &format!("{b}/me/contactfolders/F"), None)
                .is_err()
        );
        assert!(
            r.check("PATCH", &format!("{b}/me/contactfolders/F"), Some(b"{}"))
                .is_ok()
        );
        assert!(
            r.check(
                "PATCH",
                &format!("{b}/me/contactfolders/F"),
                Some(br#"{"DisplayName":"x"}"#)
            )
            .is_err()
        );
        assert!(
            r.check(
                "POST",
                &format!("{b}/me/contactfolders"),
                Some(br#"{"DisplayName":"x"}"#)
            )
            .is_err()
        );
        assert!(
            r.check(
                "POST",
                &format!("{b}/me/contactfolders/F/contacts"),
                Some(br#"{"GivenName":"x"}"#)
            )
            .is_ok()
        );
        assert_eq!(r.pending(), vec![("mine".to_string(), TokenChoice::A)]);
        r.deleted("mine");
        assert!(r.pending().is_empty());
    }
}
