//! The in-memory store: one [`Mailbox`] per token, each behind its own lock, holding
//! the folders of SPEC.md §11 and the user's contacts (with their photos).
//!
//! Contacts are kept as a full JSON object in canonical property order
//! ([`contactspec_model::CONTACT_PROPERTIES`]) with a creation sequence number that
//! gives the default (stable) order of lists.

use crate::ids::{IdKind, mint};
use contactspec_model::{CONTACT_PROPERTIES, PropKind};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

static SEQ: AtomicU64 = AtomicU64::new(1);

/// The next creation sequence number (process-wide, strictly increasing).
fn next_seq() -> u64 {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

/// A contact folder (§3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// Creation order (folders list in this order by default).
    pub seq: u64,
    /// Opaque id.
    pub id: String,
    /// The parent's id (the mailbox root for top-level folders).
    pub parent_id: String,
    /// The folder's name.
    pub display_name: String,
    /// `Some("contacts")` for the default folder.
    pub well_known_name: Option<&'static str>,
}

impl Folder {
    /// The folder's four properties in canonical order (no annotations).
    pub fn properties(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("Id".into(), Value::String(self.id.clone()));
        m.insert(
            "ParentFolderId".into(),
            Value::String(self.parent_id.clone()),
        );
        m.insert(
            "DisplayName".into(),
            Value::String(self.display_name.clone()),
        );
        m.insert(
            "WellKnownName".into(),
            self.well_known_name
                .map_or(Value::Null, |w| Value::String(w.into())),
        );
        m
    }
}

/// A stored contact photo (§4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    /// The bytes exactly as uploaded (PH-GET-EXACT).
    pub bytes: bytes::Bytes,
    /// The stored type, sniffed from the bytes (`image/jpeg` or `image/png`).
    pub content_type: &'static str,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
}

/// A stored contact.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    /// Creation order: the default order of lists, stable across updates.
    pub seq: u64,
    /// The contact's id (also in `props["Id"]`).
    pub id: String,
    /// The id of the folder it is in (also in `props["ParentFolderId"]`).
    pub folder_id: String,
    /// Every property of §2, in canonical order, server fields included.
    pub props: Map<String, Value>,
    /// Its photo, if one was set.
    pub photo: Option<Photo>,
}

impl Contact {
    /// The current change key.
    pub fn change_key(&self) -> &str {
        self.props
            .get("ChangeKey")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Gives the contact a new change key and `LastModifiedDateTime` (CT-VERSION).
    pub fn bump_version(&mut self, now: &str) {
        self.props
            .insert("ChangeKey".into(), Value::String(mint(IdKind::ChangeKey)));
        self.props
            .insert("LastModifiedDateTime".into(), Value::String(now.into()));
    }
}

/// The value an unset property has: `null` for scalars, `[]` for collections, and the
/// FL-DEFAULT flag.
pub fn unset_value(kind: PropKind) -> Value {
    match kind {
        PropKind::StringArray
        | PropKind::EmailAddresses
        | PropKind::Phones
        | PropKind::PostalAddresses
        | PropKind::Websites => Value::Array(Vec::new()),
        PropKind::Flag => json!({ "FlagStatus": "NotFlagged" }),
        _ => Value::Null,
    }
}

/// One user's data.
#[derive(Debug, Clone)]
pub struct MailboxData {
    /// Id of the mailbox root (the `ParentFolderId` of top-level folders).
    pub root_id: String,
    folders: Vec<Folder>,
    contacts: BTreeMap<u64, Contact>,
    index: HashMap<String, u64>,
}

impl MailboxData {
    fn new() -> MailboxData {
        let root_id = mint(IdKind::Root);
        let mut folders = Vec::new();
        let mut add = |parent: &str, name: &str, wk: Option<&'static str>| {
            let f = Folder {
                seq: next_seq(),
                id: mint(IdKind::Folder),
                parent_id: parent.to_string(),
                display_name: name.to_string(),
                well_known_name: wk,
            };
            let id = f.id.clone();
            folders.push(f);
            id
        };
        add(&root_id, "Contacts", Some("contacts"));
        let finance = add(&root_id, "Finance", None);
        add(&finance, "Vendors", None);
        MailboxData {
            root_id,
            folders,
            contacts: BTreeMap::new(),
            index: HashMap::new(),
        }
    }

    /// The default Contacts folder (WellKnownName `contacts`).
    pub fn default_folder(&self) -> &Folder {
        &self.folders[0]
    }

    /// A folder of this mailbox at any depth.
    pub fn folder(&self, id: &str) -> Option<&Folder> {
        self.folders.iter().find(|f| f.id == id)
    }

    /// Every folder, in creation order.
    pub fn folders(&self) -> &[Folder] {
        &self.folders
    }

    /// The top-level folders (children of the root), in creation order (CF-LIST).
    pub fn top_folders(&self) -> impl Iterator<Item = &Folder> + '_ {
        self.child_folders(&self.root_id)
    }

    /// The direct children of `parent_id`, in creation order (CF-CHILDREN).
    pub fn child_folders<'a>(
        &'a self,
        parent_id: &'a str,
    ) -> impl Iterator<Item = &'a Folder> + 'a {
        self.folders
            .iter()
            .filter(move |f| f.parent_id == parent_id)
    }

    /// A contact of this mailbox in any folder.
    pub fn contact(&self, id: &str) -> Option<&Contact> {
        self.index.get(id).and_then(|seq| self.contacts.get(seq))
    }

    /// A contact of this mailbox, for changing it.
    pub fn contact_mut(&mut self, id: &str) -> Option<&mut Contact> {
        let seq = *self.index.get(id)?;
        self.contacts.get_mut(&seq)
    }

    /// Every contact, in creation order.
    pub fn contacts(&self) -> impl Iterator<Item = &Contact> + '_ {
        self.contacts.values()
    }

    /// The contacts of one folder, in creation order (CT-LIST).
    pub fn contacts_in<'a>(&'a self, folder_id: &'a str) -> impl Iterator<Item = &'a Contact> + 'a {
        self.contacts
            .values()
            .filter(move |c| c.folder_id == folder_id)
    }

    /// The contacts of one folder with a sequence number above `after`, in creation
    /// order (for resuming walks and sync rounds by position).
    pub fn contacts_in_after<'a>(
        &'a self,
        folder_id: &'a str,
        after: u64,
    ) -> impl Iterator<Item = &'a Contact> + 'a {
        self.contacts
            .range(after.saturating_add(1)..)
            .map(|(_, c)| c)
            .filter(move |c| c.folder_id == folder_id)
    }

    /// Creates a contact in `folder_id` with every property unset except the server
    /// fields, then applies `values` (already validated and normalised). Returns it.
    pub fn create_contact(
        &mut self,
        folder_id: &str,
        values: impl IntoIterator<Item = (String, Value)>,
        now: &str,
    ) -> &Contact {
        let seq = next_seq();
        let id = mint(IdKind::Contact);
        let mut props = Map::new();
        for p in CONTACT_PROPERTIES {
            let v = match p.name {
                "Id" => Value::String(id.clone()),
                "ChangeKey" => Value::String(mint(IdKind::ChangeKey)),
                "CreatedDateTime" | "LastModifiedDateTime" => Value::String(now.into()),
                "ParentFolderId" => Value::String(folder_id.into()),
                _ => unset_value(p.kind),
            };
            props.insert(p.name.into(), v);
        }
        for (k, v) in values {
            if let Some(slot) = props.get_mut(&k) {
                *slot = v;
            }
        }
        let contact = Contact {
            seq,
            id: id.clone(),
            folder_id: folder_id.into(),
            props,
            photo: None,
        };
        self.index.insert(id, seq);
        self.contacts.entry(seq).or_insert(contact)
    }

    /// Removes a contact; `None` if it does not exist.
    pub fn delete_contact(&mut self, id: &str) -> Option<Contact> {
        let seq = self.index.remove(id)?;
        self.contacts.remove(&seq)
    }
}

/// One user's mailbox: its user name and its data behind its own lock.
#[derive(Debug)]
pub struct Mailbox {
    /// The user as written in `Users('{user}')` URLs and accepted in `users/{user}`.
    pub user: String,
    data: RwLock<MailboxData>,
}

impl Mailbox {
    fn new(user: String) -> Mailbox {
        Mailbox {
            user,
            data: RwLock::new(MailboxData::new()),
        }
    }

    /// An independent copy: the same user and data, its own lock.
    fn fork(&self) -> Mailbox {
        Mailbox {
            user: self.user.clone(),
            data: RwLock::new(self.read().clone()),
        }
    }

    /// Reads the mailbox (shared lock; never held across an await).
    pub fn read(&self) -> RwLockReadGuard<'_, MailboxData> {
        self.data.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the mailbox (exclusive lock; never held across an await).
    pub fn write(&self) -> RwLockWriteGuard<'_, MailboxData> {
        self.data.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Every mailbox, by token.
#[derive(Debug)]
pub struct Store {
    mailboxes: Vec<Arc<Mailbox>>,
    by_token: HashMap<String, usize>,
}

/// The user name of a token: stable, opaque, URL-safe.
pub fn user_for_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("user-{hex}@contactspec.test")
}

impl Store {
    /// A store with one fresh mailbox (§11 shape) per distinct token.
    pub fn new(tokens: &[String]) -> Store {
        let mut mailboxes = Vec::new();
        let mut by_token = HashMap::new();
        for t in tokens {
            if by_token.contains_key(t) {
                continue;
            }
            by_token.insert(t.clone(), mailboxes.len());
            mailboxes.push(Arc::new(Mailbox::new(user_for_token(t))));
        }
        Store {
            mailboxes,
            by_token,
        }
    }

    /// An independent copy of every mailbox as it is now: writes to the copy never
    /// reach this store, nor the other way round.
    pub fn fork(&self) -> Store {
        Store {
            mailboxes: self.mailboxes.iter().map(|m| Arc::new(m.fork())).collect(),
            by_token: self.by_token.clone(),
        }
    }

    /// The mailbox of a token.
    pub fn mailbox(&self, token: &str) -> Option<&Arc<Mailbox>> {
        self.by_token.get(token).map(|i| &self.mailboxes[*i])
    }

    /// Every mailbox (for faults that leak across users).
    pub fn mailboxes(&self) -> &[Arc<Mailbox>] {
        &self.mailboxes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_shape() {
        let store = Store::new(&["a".into(), "b".into(), "a".into()]);
        assert_eq!(store.mailboxes().len(), 2);
        let mb = store.mailbox("a").unwrap().read();
        let top: Vec<_> = mb.top_folders().map(|f| f.display_name.as_str()).collect();
        assert_eq!(top, ["Contacts", "Finance"]);
        let finance = mb.folders()[1].id.clone();
        let kids: Vec<_> = mb
            .child_folders(&finance)
            .map(|f| f.display_name.as_str())
            .collect();
        assert_eq!(kids, ["Vendors"]);
        assert_eq!(mb.default_folder().well_known_name, Some("contacts"));
        assert_ne!(
            store.mailbox("a").unwrap().user,
            store.mailbox("b").unwrap().user
        );
    }

    #[test]
    fn create_fills_every_property() {
        let store = Store::new(&["a".into()]);
        let mut mb = store.mailbox("a").unwrap().write();
        let folder = mb.default_folder().id.clone();
        let c = mb
            .create_contact(
                &folder,
                [("GivenName".into(), json!("Ann"))],
                "2020-01-01T00:00:00Z",
            )
            .clone();
        assert_eq!(c.props.len(), CONTACT_PROPERTIES.len());
        assert_eq!(c.props["GivenName"], "Ann");
        assert_eq!(c.props["Categories"], json!([]));
        assert_eq!(c.props["Flag"], json!({"FlagStatus": "NotFlagged"}));
        assert!(mb.contact(&c.id).is_some());
        assert!(mb.delete_contact(&c.id).is_some());
        assert!(mb.contact(&c.id).is_none());
    }

    #[test]
    fn a_fork_is_independent_of_its_original() {
        let store = Store::new(&["a".into()]);
        let folder = store
            .mailbox("a")
            .unwrap()
            .read()
            .default_folder()
            .id
            .clone();
        let kept = store
            .mailbox("a")
            .unwrap()
            .write()
            .create_contact(
                &folder,
                [("GivenName".into(), json!("Kept"))],
                "2020-01-01T00:00:00Z",
            )
            .id
            .clone();
        let fork = store.fork();
        assert_eq!(
            fork.mailbox("a").unwrap().user,
            store.mailbox("a").unwrap().user
        );
        assert!(fork.mailbox("a").unwrap().read().contact(&kept).is_some());
        let only_in_fork = fork
            .mailbox("a")
            .unwrap()
            .write()
            .create_contact(
                &folder,
                [("GivenName".into(), json!("New"))],
                "2020-01-01T00:00:01Z",
            )
            .id
            .clone();
        assert!(
            fork.mailbox("a")
                .unwrap()
                .write()
                .delete_contact(&kept)
                .is_some()
        );
        let original = store.mailbox("a").unwrap().read();
        assert!(
            original.contact(&kept).is_some(),
            "a delete on the fork reached the original"
        );
        assert!(
            original.contact(&only_in_fork).is_none(),
            "a create on the fork reached the original"
        );
    }
}
