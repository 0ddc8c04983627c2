//! Opaque, tamper-evident position tokens for `$skiptoken` and `$deltatoken`
//! (SPEC.md §5 Q-NEXTLINK, §6 SY-TOKEN-BAD, SY-TOKEN-PATH).
//!
//! A token is `base64url(payload ‖ HMAC-SHA256(key, payload))` without padding, so
//! it only ever contains `A-Z a-z 0-9 - _` and survives any URL unencoded. The key
//! is random per server start; the payload is a small JSON document naming the
//! user, the collection (scope), the selection, the page size and the position.
//! Any change to a token (one character, a truncation, random bytes) fails the MAC
//! check and is reported as a [`TokenError`]; nothing here panics on any input.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Length in bytes of the MAC appended to every payload.
const MAC_LEN: usize = 32;
/// Format version written into every payload; tokens of another version are refused.
const VERSION: u8 = 1;

/// The secret that signs tokens; one per server start.
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl TokenKey {
    /// A fresh random key.
    pub fn random() -> Self {
        TokenKey(rand::random())
    }

    /// A fixed key (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        TokenKey(bytes)
    }
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

/// What a token continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenKind {
    /// A page walk of an ordinary collection GET (`$skiptoken` of a next link).
    #[serde(rename = "p")]
    Page,
    /// The next page of a sync round (`$skiptoken` of a sync next link).
    #[serde(rename = "s")]
    SyncSkip,
    /// A sync delta link (`$deltatoken`): continues a round after its first
    /// response, or (with no cursor) starts a new round.
    #[serde(rename = "d")]
    SyncDelta,
}

impl TokenKind {
    /// Whether the token belongs to a sync round.
    pub fn is_sync(self) -> bool {
        !matches!(self, TokenKind::Page)
    }
}

/// The collection a token walks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// The contacts of one folder (`me/contacts` names the default folder's id).
    #[serde(rename = "c")]
    Contacts(String),
    /// The top-level contact folders.
    #[serde(rename = "t")]
    TopFolders,
    /// The direct child folders of a folder.
    #[serde(rename = "f")]
    ChildFolders(String),
}

/// A keyset position: the entity a page ended with. The next page starts with the
/// first entity that sorts after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Creation sequence number of the last entity returned (the final tie-breaker).
    #[serde(rename = "q")]
    pub seq: u64,
    /// Values of the `$orderby` properties of that entity (empty without `$orderby`).
    #[serde(rename = "v", default, skip_serializing_if = "Map::is_empty")]
    pub keys: Map<String, Value>,
}

/// Everything a token carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenState {
    /// Payload format version.
    #[serde(rename = "v")]
    pub version: u8,
    /// What the token continues.
    #[serde(rename = "k")]
    pub kind: TokenKind,
    /// The user the token was issued to.
    #[serde(rename = "u")]
    pub user: String,
    /// The collection it walks.
    #[serde(rename = "s")]
    pub scope: Scope,
    /// Selected property names in the type's spelling; `None` selects everything.
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    pub select: Option<Vec<String>>,
    /// Page size of the walk.
    #[serde(rename = "n")]
    pub page_size: usize,
    /// Whether the page size came from `$top` (then a `Prefer` header never changes it).
    #[serde(rename = "t", default, skip_serializing_if = "std::ops::Not::not")]
    pub from_top: bool,
    /// The position; `None` is the start of the collection.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Cursor>,
    /// Digest of the query options the walk must be continued with (page walks only).
    #[serde(rename = "h", default, skip_serializing_if = "String::is_empty")]
    pub query_digest: String,
}

impl TokenState {
    /// A state with the current format version.
    pub fn new(kind: TokenKind, user: impl Into<String>, scope: Scope, page_size: usize) -> Self {
        TokenState {
            version: VERSION,
            kind,
            user: user.into(),
            scope,
            select: None,
            page_size,
            from_top: false,
            cursor: None,
            query_digest: String::new(),
        }
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not base64url text.
    #[error("the token is not base64url text")]
    NotBase64,
    /// Too short to carry a payload and its MAC.
    #[error("the token is too short ({0} bytes)")]
    TooShort(usize),
    /// The MAC does not match: not issued by this server, or altered.
    #[error("the token was not issued by this server or was altered")]
    BadSignature,
    /// The MAC matched but the payload is not a state of this version.
    #[error("the token payload is unreadable: {0}")]
    BadPayload(String),
}

fn mac(key: &TokenKey, payload: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <HmacSha256 as Mac>::new_from_slice(&key.0).expect("HMAC takes any key length");
    m.update(payload);
    m
}

/// Encodes and signs a state.
pub fn encode(key: &TokenKey, state: &TokenState) -> String {
    // Serialising plain data with string keys cannot fail.
    let mut bytes = serde_json::to_vec(state).expect("token state serialises");
    let tag = mac(key, &bytes).finalize().into_bytes();
    bytes.extend_from_slice(&tag);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Verifies and decodes a token. Never panics.
pub fn decode(key: &TokenKey, token: &str) -> Result<TokenState, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .map_err(|_| TokenError::NotBase64)?;
    if bytes.len() <= MAC_LEN {
        return Err(TokenError::TooShort(bytes.len()));
    }
    let (payload, tag) = bytes.split_at(bytes.len() - MAC_LEN);
    mac(key, payload)
        .verify_slice(tag)
        .map_err(|_| TokenError::BadSignature)?;
    let state: TokenState =
        serde_json::from_slice(payload).map_err(|e| TokenError::BadPayload(e.to_string()))?;
    if state.version != VERSION {
        return Err(TokenError::BadPayload(format!(
            "version {} is not {VERSION}",
            state.version
        )));
    }
    Ok(state)
}

/// A short digest of the query options a page walk depends on, so a skip token is
/// only accepted with the `$filter` and `$orderby` it was issued for.
pub fn query_digest(filter: Option<&str>, orderby: Option<&str>) -> String {
    let mut h = Sha256::new();
    for part in [filter, orderby] {
        match part {
            Some(s) => {
                h.update([1u8]);
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            None => h.update([0u8]),
        }
    }
    let d = h.finalize();
    URL_SAFE_NO_PAD.encode(&d[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey::from_bytes([7; 32])
    }

    fn sample() -> TokenState {
        let mut s = TokenState::new(
            TokenKind::SyncSkip,
            "alice",
            Scope::Contacts("AAMkF=1+x".into()),
            5,
        );
        s.select = Some(vec!["GivenName".into(), "Id".into()]);
        let mut keys = Map::new();
        keys.insert(
            "DisplayName".into(),
            Value::String("O'Brien & Co #1 ü".into()),
        );
        s.cursor = Some(Cursor { seq: 42, keys });
        s
    }

    #[test]
    fn round_trip() {
        let s = sample();
        let t = encode(&key(), &s);
        assert_eq!(decode(&key(), &t).unwrap(), s);
    }

    #[test]
    fn url_safe_alphabet() {
        let t = encode(&key(), &sample());
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{t}"
        );
    }

    #[test]
    fn other_key_refused() {
        let t = encode(&key(), &sample());
        let other = TokenKey::from_bytes([8; 32]);
        assert_eq!(decode(&other, &t), Err(TokenError::BadSignature));
    }

    #[test]
    fn every_single_character_change_is_refused() {
        let t = encode(&key(), &sample());
        for i in 0..t.len() {
            for repl in ['A', 'z', '0', '9'] {
                let mut chars: Vec<char> = t.chars().collect();
                if chars[i] == repl {
                    continue;
                }
                chars[i] = repl;
                let bad: String = chars.into_iter().collect();
                assert!(decode(&key(), &bad).is_err(), "position {i} -> {repl}");
            }
        }
    }

    #[test]
    fn truncations_and_garbage_are_refused() {
        let t = encode(&key(), &sample());
        for n in 0..t.len() {
            assert!(decode(&key(), &t[..n]).is_err());
        }
        for junk in [
            "",
            "%",
            "a/b?c#d",
            "====",
            "AAAA",
            "ü",
            "\u{0}",
            &"A".repeat(500),
        ] {
            assert!(decode(&key(), junk).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn a_signed_payload_of_the_wrong_shape_is_refused() {
        let mut bytes = br#"{"v":1,"k":"x"}"#.to_vec();
        let tag = mac(&key(), &bytes).finalize().into_bytes();
        bytes.extend_from_slice(&tag);
        let t = URL_SAFE_NO_PAD.encode(bytes);
        assert!(matches!(decode(&key(), &t), Err(TokenError::BadPayload(_))));
    }

    #[test]
    fn digest_separates_options() {
        assert_ne!(query_digest(Some("a"), None), query_digest(None, Some("a")));
        assert_ne!(
            query_digest(Some("ab"), Some("")),
            query_digest(Some("a"), Some("b"))
        );
        assert_eq!(query_digest(Some("x"), None), query_digest(Some("x"), None));
    }
}
