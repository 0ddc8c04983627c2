//! Minting ids and change keys: opaque, unique for the life of the process (and, by a
//! random per-process salt, unlikely to repeat across runs), never containing `/ ? # %`
//! (GEN-KEY-FORMS), often containing `=` and sometimes `+` like real Exchange ids.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(1);
static SALT: OnceLock<[u8; 4]> = OnceLock::new();

fn salt() -> [u8; 4] {
    *SALT.get_or_init(rand::random)
}

/// What an id names; its tag byte makes ids of different kinds differ visibly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// A contact.
    Contact,
    /// A contact folder.
    Folder,
    /// The mailbox root folder.
    Root,
    /// A change key.
    ChangeKey,
}

impl IdKind {
    fn tag(self) -> &'static [u8] {
        match self {
            IdKind::Contact => b"CT",
            IdKind::Folder => b"CF",
            IdKind::Root => b"RT",
            IdKind::ChangeKey => b"\x10",
        }
    }
}

/// A new id of the given kind, never issued before in this process.
pub fn mint(kind: IdKind) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut bytes = Vec::with_capacity(16);
    bytes.extend_from_slice(kind.tag());
    bytes.extend_from_slice(&salt());
    // Trim leading zero bytes of the counter so lengths (and padding) vary a little,
    // but keep at least 5 bytes so ids stay distinct from each other's prefixes.
    let be = n.to_be_bytes();
    bytes.extend_from_slice(&be[3..]);
    STANDARD.encode(bytes).replace('/', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_url_safe() {
        let mut seen = std::collections::HashSet::new();
        let mut plus_or_eq = false;
        for _ in 0..5000 {
            let id = mint(IdKind::Contact);
            assert!(!id.contains(['/', '?', '#', '%', '\'', '"']), "{id}");
            plus_or_eq |= id.contains('=') || id.contains('+');
            assert!(seen.insert(id));
        }
        assert!(plus_or_eq);
        assert_ne!(mint(IdKind::Folder), mint(IdKind::Folder));
    }
}
