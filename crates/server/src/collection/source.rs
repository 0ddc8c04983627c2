//! The entities a collection GET walks: the contacts of a folder, the top-level
//! folders, or a folder's children, each with its creation sequence and the
//! properties `$filter` and `$orderby` look at.

use crate::paging::Keyed;
use crate::parse::EntityKind;
use crate::store::{Contact, Folder, MailboxData};
use crate::sync_token::Scope;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The stored entity behind a row.
#[derive(Debug, Clone, Copy)]
pub enum Item<'a> {
    /// A contact.
    Contact(&'a Contact),
    /// A contact folder.
    Folder(&'a Folder),
}

/// One entity of a walk.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    /// Creation sequence.
    pub seq: u64,
    /// Its properties (borrowed for contacts, built for folders).
    pub props: Cow<'a, Map<String, Value>>,
    /// The entity itself, for rendering.
    pub item: Item<'a>,
}

impl Keyed for Row<'_> {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn props(&self) -> &Map<String, Value> {
        &self.props
    }
}

/// The entity type of a scope.
pub fn kind_of(scope: &Scope) -> EntityKind {
    match scope {
        Scope::Contacts(_) => EntityKind::Contact,
        Scope::TopFolders | Scope::ChildFolders(_) => EntityKind::Folder,
    }
}

fn contact_row(c: &Contact) -> Row<'_> {
    Row {
        seq: c.seq,
        props: Cow::Borrowed(&c.props),
        item: Item::Contact(c),
    }
}

fn folder_row(f: &Folder) -> Row<'_> {
    Row {
        seq: f.seq,
        props: Cow::Owned(f.properties()),
        item: Item::Folder(f),
    }
}

/// The entities of a scope in creation order, those `keep` accepts. With
/// `every_folder` a contacts scope takes the contacts of every folder (only the
/// `contacts-list-all-folders` fault asks for that).
pub fn rows<'a>(
    mb: &'a MailboxData,
    scope: &Scope,
    every_folder: bool,
    keep: impl Fn(&Map<String, Value>) -> bool,
) -> Vec<Row<'a>> {
    match scope {
        Scope::Contacts(_) if every_folder => mb
            .contacts()
            .filter(|c| keep(&c.props))
            .map(contact_row)
            .collect(),
        Scope::Contacts(fid) => mb
            .contacts()
            .filter(|c| c.folder_id == *fid && keep(&c.props))
            .map(contact_row)
            .collect(),
        Scope::TopFolders => mb
            .top_folders()
            .map(folder_row)
            .filter(|r| keep(&r.props))
            .collect(),
        Scope::ChildFolders(parent) => mb
            .folders()
            .iter()
            .filter(|f| f.parent_id == *parent)
            .map(folder_row)
            .filter(|r| keep(&r.props))
            .collect(),
    }
}
