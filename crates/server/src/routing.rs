//! Routing: a pure function from a request path to a [`Route`], and the methods each
//! resource allows (GEN-METHOD). Resource names compare case-insensitively
//! (GEN-CASE-PATH); ids are percent-decoded; both key forms `contacts/{id}` and
//! `contacts('{id}')` work (GEN-KEY-FORMS); a trailing slash is ignored
//! (GEN-TRAILING-SLASH).

use axum::http::Method;
use percent_encoding::percent_decode_str;

/// The base path every route lives under.
pub const BASE_PATH: &str = "/api/beta";

/// How the path names the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    /// `me`.
    Me,
    /// `users/{user}` or `users('{user}')` (decoded).
    Named(String),
}

/// Which part of a contact a route addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactPart {
    /// The contact itself.
    Entity,
    /// `.../photo`: photo metadata.
    PhotoMeta,
    /// `.../photo/$value`: photo bytes.
    PhotoValue,
}

/// A folder addressed by `contactfolders/{fid}(/childfolders/{cid})*`: the first id
/// names a folder at any depth, each next one must be a direct child of the previous.
pub type FolderChain = Vec<String>;

/// The resource a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `contacts` (default folder, `folder: None`) or `contactfolders/{chain}/contacts`;
    /// `count` for a trailing `/$count`.
    Contacts {
        /// The folder, if addressed through one.
        folder: Option<FolderChain>,
        /// `/$count`.
        count: bool,
    },
    /// One contact (any folder, or only while in `folder`).
    Contact {
        /// The folder, if addressed through one (CT-ADDRESS).
        folder: Option<FolderChain>,
        /// The decoded id.
        id: String,
        /// Entity, photo metadata or photo bytes.
        part: ContactPart,
    },
    /// `contactfolders`: the top-level folders.
    Folders {
        /// `/$count`.
        count: bool,
    },
    /// One folder.
    Folder {
        /// The chain naming it (last = the folder).
        chain: FolderChain,
    },
    /// `.../childfolders` of a folder.
    ChildFolders {
        /// The chain naming the parent.
        chain: FolderChain,
        /// `/$count`.
        count: bool,
    },
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The user part.
    pub user: UserRef,
    /// The resource part.
    pub resource: Resource,
    /// Whether any key used the `('{id}')` form.
    pub key_form: bool,
    /// Whether the path ended with a slash.
    pub trailing_slash: bool,
}

/// Why a path names no resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The path is not under [`BASE_PATH`].
    #[error("the path is not under {BASE_PATH}")]
    OutsideBase,
    /// The path names no resource of the API.
    #[error("no resource at this path")]
    Unknown,
}

/// One decoded path segment: a name, and a key when written `name('key')`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    name: String,
    key: Option<String>,
}

fn decode(raw: &str) -> Result<String, RouteError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| RouteError::Unknown)
}

fn segment(raw: &str) -> Result<Segment, RouteError> {
    let text = decode(raw)?;
    if let Some(open) = text.find("('") {
        if let Some(inner) = text[open + 2..].strip_suffix("')") {
            let name = text[..open].to_string();
            return Ok(Segment {
                name,
                key: Some(inner.replace("''", "'")),
            });
        }
        return Err(RouteError::Unknown);
    }
    Ok(Segment {
        name: text,
        key: None,
    })
}

fn is(seg: &Segment, name: &str) -> bool {
    seg.name.eq_ignore_ascii_case(name)
}

/// Parses a request path (still percent-encoded, without the query string).
pub fn parse_path(path: &str) -> Result<Route, RouteError> {
    let rest = strip_base(path).ok_or(RouteError::OutsideBase)?;
    let trailing_slash = rest.len() > 1 && rest.ends_with('/');
    let rest = rest.strip_prefix('/').ok_or(RouteError::Unknown)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Err(RouteError::Unknown);
    }
    let segs = rest
        .split('/')
        .map(segment)
        .collect::<Result<Vec<_>, _>>()?;
    let mut key_form = segs.iter().any(|s| s.key.is_some());
    let i;
    let user = match segs.first() {
        Some(s) if is(s, "me") && s.key.is_none() => {
            i = 1;
            UserRef::Me
        }
        Some(s) if is(s, "users") => match &s.key {
            Some(k) => {
                i = 1;
                // `Users('{user}')` is how @odata.id writes it; not an entity key form.
                key_form = segs[1..].iter().any(|s| s.key.is_some());
                UserRef::Named(k.clone())
            }
            None => {
                let u = segs.get(1).ok_or(RouteError::Unknown)?;
                if u.key.is_some() || u.name.is_empty() {
                    return Err(RouteError::Unknown);
                }
                i = 2;
                UserRef::Named(u.name.clone())
            }
        },
        _ => return Err(RouteError::Unknown),
    };
    let resource = parse_resource(&segs[i..])?;
    Ok(Route {
        user,
        resource,
        key_form,
        trailing_slash,
    })
}

/// Removes [`BASE_PATH`] (case-insensitively) from the front of `path`.
pub fn strip_base(path: &str) -> Option<&str> {
    let head = path.get(..BASE_PATH.len())?;
    if !head.eq_ignore_ascii_case(BASE_PATH) {
        return None;
    }
    let rest = &path[BASE_PATH.len()..];
    if rest.is_empty() || rest.starts_with('/') {
        Some(rest)
    } else {
        None
    }
}

/// Takes `name/{id}` or `name('{id}')` starting at `segs[0]`; returns the id and the
/// number of segments used.
fn keyed(segs: &[Segment], name: &str) -> Option<(String, usize)> {
    let first = segs.first()?;
    if !is(first, name) {
        return None;
    }
    if let Some(k) = &first.key {
        return Some((k.clone(), 1));
    }
    let second = segs.get(1)?;
    if second.key.is_some() || second.name.is_empty() || second.name.starts_with('$') {
        return None;
    }
    Some((second.name.clone(), 2))
}

fn is_count(segs: &[Segment]) -> Result<bool, RouteError> {
    match segs {
        [] => Ok(false),
        [s] if is(s, "$count") && s.key.is_none() => Ok(true),
        _ => Err(RouteError::Unknown),
    }
}

fn parse_contact_tail(
    segs: &[Segment],
    folder: Option<FolderChain>,
) -> Result<Resource, RouteError> {
    // segs[0] is `contacts` (maybe with a key).
    if segs[0].key.is_none() && segs.len() <= 2 && (segs.len() == 1 || is(&segs[1], "$count")) {
        return Ok(Resource::Contacts {
            folder,
            count: is_count(&segs[1..])?,
        });
    }
    let (id, used) = keyed(segs, "contacts").ok_or(RouteError::Unknown)?;
    if id.is_empty() {
        return Err(RouteError::Unknown);
    }
    let tail = &segs[used..];
    let part = match tail {
        [] => ContactPart::Entity,
        [p] if is(p, "photo") && p.key.is_none() => ContactPart::PhotoMeta,
        [p, v] if is(p, "photo") && p.key.is_none() && is(v, "$value") && v.key.is_none() => {
            ContactPart::PhotoValue
        }
        _ => return Err(RouteError::Unknown),
    };
    Ok(Resource::Contact { folder, id, part })
}

fn parse_resource(segs: &[Segment]) -> Result<Resource, RouteError> {
    let first = segs.first().ok_or(RouteError::Unknown)?;
    if is(first, "contacts") {
        return parse_contact_tail(segs, None);
    }
    if !is(first, "contactfolders") {
        return Err(RouteError::Unknown);
    }
    if first.key.is_none() && (segs.len() == 1 || is(&segs[1], "$count")) {
        return Ok(Resource::Folders {
            count: is_count(&segs[1..])?,
        });
    }
    let (fid, mut used) = keyed(segs, "contactfolders").ok_or(RouteError::Unknown)?;
    let mut chain = vec![fid];
    loop {
        let tail = &segs[used..];
        let Some(next) = tail.first() else {
            return Ok(Resource::Folder { chain });
        };
        if is(next, "contacts") {
            return parse_contact_tail(tail, Some(chain));
        }
        if !is(next, "childfolders") {
            return Err(RouteError::Unknown);
        }
        if next.key.is_none() && (tail.len() == 1 || is(&tail[1], "$count")) {
            return Ok(Resource::ChildFolders {
                chain,
                count: is_count(&tail[1..])?,
            });
        }
        let (cid, n) = keyed(tail, "childfolders").ok_or(RouteError::Unknown)?;
        chain.push(cid);
        used += n;
    }
}

/// Normalises HEAD to GET (HEAD is answered like GET without a body).
fn effective(method: &Method) -> &Method {
    if method == Method::HEAD {
        &Method::GET
    } else {
        method
    }
}

impl Resource {
    /// The methods the rules allow on this resource (GEN-METHOD, PH-METHODS).
    pub fn allowed_methods(&self) -> &'static [Method] {
        const GET: &[Method] = &[Method::GET];
        match self {
            Resource::Contacts { count: false, .. } => &[Method::GET, Method::POST],
            Resource::Contact {
                part: ContactPart::Entity,
                ..
            } => &[Method::GET, Method::PATCH, Method::DELETE],
            Resource::Contact {
                part: ContactPart::PhotoValue,
                ..
            } => &[Method::GET, Method::PUT, Method::PATCH],
            _ => GET,
        }
    }

    /// Whether `method` is allowed here.
    pub fn allows(&self, method: &Method) -> bool {
        self.allowed_methods().contains(effective(method))
    }

    /// Whether this is a collection (or its `$count`), answered by the collection code.
    pub fn is_collection(&self) -> bool {
        matches!(
            self,
            Resource::Contacts { .. } | Resource::Folders { .. } | Resource::ChildFolders { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(path: &str) -> Resource {
        parse_path(path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .resource
    }

    fn contact(id: &str, part: ContactPart) -> Resource {
        Resource::Contact {
            folder: None,
            id: id.into(),
            part,
        }
    }

    #[test]
    fn contacts_routes() {
        let all = Resource::Contacts {
            folder: None,
            count: false,
        };
        assert_eq!(r("/api/beta/me/contacts"), all);
        assert_eq!(r("/api/beta/Me/Contacts/"), all);
        assert_eq!(r("/API/Beta/me/CONTACTS"), all);
        assert_eq!(
            r("/api/beta/me/contacts/$count"),
            Resource::Contacts {
                folder: None,
                count: true
            }
        );
        assert_eq!(
            r("/api/beta/me/contacts/AB%2Bc=="),
            contact("AB+c==", ContactPart::Entity)
        );
        assert_eq!(
            r("/api/beta/me/contacts/AB+c=="),
            contact("AB+c==", ContactPart::Entity)
        );
        assert_eq!(
            r("/api/beta/me/contacts('AB+c==')"),
            contact("AB+c==", ContactPart::Entity)
        );
        assert_eq!(
            r("/api/beta/me/contacts('a''b')"),
            contact("a'b", ContactPart::Entity)
        );
        assert_eq!(
            r("/api/beta/me/contacts/x/photo"),
            contact("x", ContactPart::PhotoMeta)
        );
        assert_eq!(
            r("/api/beta/me/contacts('x')/Photo/$VALUE"),
            contact("x", ContactPart::PhotoValue)
        );
        assert!(parse_path("/api/beta/me/contacts('x')").unwrap().key_form);
        assert!(!parse_path("/api/beta/me/contacts/x").unwrap().key_form);
        assert!(
            parse_path("/api/beta/me/contacts/x/")
                .unwrap()
                .trailing_slash
        );
    }

    #[test]
    fn folder_routes() {
        assert_eq!(
            r("/api/beta/me/contactfolders"),
            Resource::Folders { count: false }
        );
        assert_eq!(
            r("/api/beta/me/ContactFolders/$count"),
            Resource::Folders { count: true }
        );
        assert_eq!(
            r("/api/beta/me/contactfolders/f1"),
            Resource::Folder {
                chain: vec!["f1".into()]
            }
        );
        assert_eq!(
            r("/api/beta/me/contactfolders('f1')/childfolders/c1/childfolders/$count"),
            Resource::ChildFolders {
                chain: vec!["f1".into(), "c1".into()],
                count: true
            }
        );
        assert_eq!(
            r("/api/beta/me/contactfolders/f1/childfolders('c1')/contacts/x/photo/$value"),
            Resource::Contact {
                folder: Some(vec!["f1".into(), "c1".into()]),
                id: "x".into(),
                part: ContactPart::PhotoValue
            }
        );
        assert_eq!(
            r("/api/beta/me/contactfolders/f1/contacts"),
            Resource::Contacts {
                folder: Some(vec!["f1".into()]),
                count: false
            }
        );
    }

    #[test]
    fn users() {
        let a = parse_path("/api/beta/users/u%40x.test/contacts").unwrap();
        assert_eq!(a.user, UserRef::Named("u@x.test".into()));
        let b = parse_path("/api/beta/Users('u@x.test')/Contacts('id=')").unwrap();
        assert_eq!(b.user, UserRef::Named("u@x.test".into()));
        assert_eq!(b.resource, contact("id=", ContactPart::Entity));
    }

    #[test]
    fn unknown_paths() {
        for p in [
            "/api/beta",
            "/api/beta/",
            "/api/beta/me",
            "/api/beta/me/",
            "/api/beta/me/events",
            "/api/beta/me//contacts",
            "/api/beta/me/contacts/x/y",
            "/api/beta/me/contacts/x/photo/$count",
            "/api/beta/me/contacts/$count/x",
            "/api/beta/users",
            "/api/beta/me/contacts('x",
            "/api/beta/me/contacts/%FF",
            "/api/beta/me/contactfolders/f/childfolders/c/events",
            "/api/betax/me/contacts",
        ] {
            assert!(parse_path(p).is_err(), "{p}");
        }
        assert_eq!(parse_path("/other"), Err(RouteError::OutsideBase));
    }

    #[test]
    fn methods() {
        let c = contact("x", ContactPart::Entity);
        assert!(c.allows(&Method::PATCH));
        assert!(c.allows(&Method::HEAD));
        assert!(!c.allows(&Method::PUT));
        let v = contact("x", ContactPart::PhotoValue);
        assert!(v.allows(&Method::PUT));
        assert!(!v.allows(&Method::DELETE));
        assert!(!Resource::Folders { count: false }.allows(&Method::POST));
        assert!(
            Resource::Contacts {
                folder: None,
                count: false
            }
            .allows(&Method::POST)
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(tail in "[a-zA-Z0-9%'()/=+$.~-]{0,60}", any_text in ".{0,40}") {
            let _ = parse_path(&format!("/api/beta/{tail}"));
            let _ = parse_path(&format!("/api/beta/me/{tail}"));
            let _ = parse_path(&any_text);
        }
    }
}
