//! [`AppState`], shared by every request, and [`RequestCtx`], what a handler knows
//! about the request it answers: whose mailbox, its base URL (for absolute links),
//! its raw query and headers.

use crate::clock::Clock;
use crate::faults::{Fault, FaultSet};
use crate::store::{Mailbox, Store};
use axum::http::{HeaderMap, Method};
use std::sync::Arc;

/// State shared by all requests of one server.
#[derive(Debug)]
pub struct AppState {
    /// Every mailbox, by token.
    pub store: Store,
    /// The injected faults.
    pub faults: FaultSet,
    /// The HMAC key of sync tokens (random per server).
    pub sync_key: [u8; 32],
    /// The server's clock (monotonic, strictly increasing).
    pub clock: Clock,
}

impl AppState {
    /// State for the given tokens and faults, with a random sync key.
    pub fn new(tokens: &[String], faults: FaultSet) -> AppState {
        AppState {
            store: Store::new(tokens),
            faults,
            sync_key: rand::random(),
            clock: Clock::new(),
        }
    }

    /// An independent copy of this state (the in-process fuzz target runs every input
    /// on a fork of one prepared server): the same data, faults and sync key, so sync
    /// tokens the original issued stay valid on the fork; writes to either side never
    /// reach the other.
    pub fn fork(&self) -> AppState {
        AppState {
            store: self.store.fork(),
            faults: self.faults,
            sync_key: self.sync_key,
            clock: self.clock.fork(),
        }
    }

    /// Whether `fault` is injected.
    pub fn fault(&self, fault: Fault) -> bool {
        self.faults.contains(fault)
    }
}

/// How the request named its user: `me` or `users/{user}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserPath {
    /// `me`.
    Me,
    /// `users/{user}` or `users('{user}')` with the caller's own user.
    Named,
}

/// What a handler knows about the request it answers.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    /// The caller's mailbox (from the bearer token).
    pub mailbox: Arc<Mailbox>,
    /// `http://{Host}/api/beta`, from the request's own `Host` header (Q-NEXTLINK,
    /// GEN-ODATA-ID), no trailing slash.
    pub base_url: String,
    /// How the path named the user.
    pub user_path: UserPath,
    /// The request method.
    pub method: Method,
    /// The raw (still percent-encoded) path.
    pub path: String,
    /// The raw query string (without `?`), if any.
    pub query: Option<String>,
    /// The request headers.
    pub headers: HeaderMap,
    /// Every `Prefer` header value, in order (parse with `parse::prefer`).
    pub prefer: Vec<String>,
    /// The `client-request-id` header, echoed on the response (GEN-REQUEST-ID).
    pub client_request_id: Option<String>,
}

impl RequestCtx {
    /// The user's segment of entity URLs: `Users('{user}')`.
    pub fn user_segment(&self) -> String {
        format!("Users('{}')", self.mailbox.user)
    }

    /// The entity-set prefix of `@odata.context`: `Me` or `Users('{user}')`, as the
    /// request named its user.
    pub fn context_user(&self) -> String {
        match self.user_path {
            UserPath::Me => "Me".to_string(),
            UserPath::Named => self.user_segment(),
        }
    }

    /// `{base}/$metadata#{fragment}`.
    pub fn context_url(&self, fragment: &str) -> String {
        format!("{}/$metadata#{}", self.base_url, fragment)
    }

    /// The absolute `@odata.id` of a contact: `{base}/Users('{user}')/Contacts('{id}')`.
    pub fn contact_url(&self, id: &str) -> String {
        format!(
            "{}/{}/Contacts('{}')",
            self.base_url,
            self.user_segment(),
            id
        )
    }

    /// The absolute `@odata.id` of a folder.
    pub fn folder_url(&self, id: &str) -> String {
        format!(
            "{}/{}/ContactFolders('{}')",
            self.base_url,
            self.user_segment(),
            id
        )
    }

    /// The absolute URL of this request's path, without the query string.
    pub fn request_url(&self) -> String {
        let origin = self
            .base_url
            .strip_suffix(crate::routing::BASE_PATH)
            .unwrap_or(&self.base_url);
        format!("{origin}{}", self.path)
    }

    /// A header's value as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A collection a GET addresses, already resolved (its folder exists and is the
/// caller's). Collection GETs (lists, `$count`, sync) are answered by
/// `crate::collection::get(state: &AppState, ctx: &RequestCtx, target: &CollectionTarget)
/// -> Result<axum::response::Response, crate::error::ApiError>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectionTarget {
    /// The contacts of one folder.
    Contacts {
        /// The folder's id.
        folder_id: String,
        /// `Some(fid)` when addressed as `contactfolders/{fid}/contacts` (for
        /// `@odata.context`); `None` for `me/contacts` (the default folder).
        via_folder: Option<String>,
        /// `/$count`.
        count: bool,
    },
    /// Contact folders: the top level (`parent_id: None`) or a folder's children.
    Folders {
        /// The parent folder's id, for `.../childfolders`.
        parent_id: Option<String>,
        /// `/$count`.
        count: bool,
    },
}

impl CollectionTarget {
    /// The `@odata.context` fragment of this collection without selection, e.g.
    /// `Me/Contacts`, `Me/ContactFolders('fid')/Contacts`, `Me/ContactFolders`,
    /// `Me/ContactFolders('fid')/ChildFolders`.
    pub fn context_fragment(&self, ctx: &RequestCtx) -> String {
        let user = ctx.context_user();
        match self {
            CollectionTarget::Contacts {
                via_folder: None, ..
            } => format!("{user}/Contacts"),
            CollectionTarget::Contacts {
                via_folder: Some(f),
                ..
            } => format!("{user}/ContactFolders('{f}')/Contacts"),
            CollectionTarget::Folders {
                parent_id: None, ..
            } => format!("{user}/ContactFolders"),
            CollectionTarget::Folders {
                parent_id: Some(p), ..
            } => format!("{user}/ContactFolders('{p}')/ChildFolders"),
        }
    }

    /// Whether the request is for `/$count`.
    pub fn is_count(&self) -> bool {
        match self {
            CollectionTarget::Contacts { count, .. } | CollectionTarget::Folders { count, .. } => {
                *count
            }
        }
    }
}
