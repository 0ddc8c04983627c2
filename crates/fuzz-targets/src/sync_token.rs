//! The sync/skip token decoder.

use arbitrary::{Arbitrary, Unstructured};
use contactspec_server::sync_token::{
    Cursor, Scope, TokenKey, TokenKind, TokenState, decode, encode,
};

/// The state fields a token carries, drawn from the input.
#[derive(Arbitrary, Debug)]
struct StateInput {
    kind: u8,
    user: String,
    scope: u8,
    folder: String,
    select: Option<Vec<String>>,
    page_size: u16,
    from_top: bool,
    cursor: Option<u64>,
    digest: String,
    /// Which character of the encoded token to change, and to what.
    flip_at: u16,
    flip_to: u8,
}

const KEY: [u8; 32] = *b"contactspec-fuzz-target-key-0001";

/// Oracle: arbitrary text never validates (and never panics); a state encoded with
/// the key decodes to itself; the same token with one character changed never
/// validates.
pub fn sync_token(data: &[u8]) {
    let key = TokenKey::from_bytes(KEY);
    let text = String::from_utf8_lossy(data);
    assert!(
        decode(&key, &text).is_err(),
        "random text {text:?} validated as a token"
    );
    let Ok(input) = StateInput::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let kind = match input.kind % 3 {
        0 => TokenKind::Page,
        1 => TokenKind::SyncSkip,
        _ => TokenKind::SyncDelta,
    };
    let scope = match input.scope % 3 {
        0 => Scope::Contacts(input.folder),
        1 => Scope::TopFolders,
        _ => Scope::ChildFolders(input.folder),
    };
    let mut state = TokenState::new(kind, input.user, scope, usize::from(input.page_size));
    state.select = input.select;
    state.from_top = input.from_top;
    state.cursor = input.cursor.map(|seq| Cursor {
        seq,
        keys: Default::default(),
    });
    state.query_digest = input.digest;
    let token = encode(&key, &state);
    let back = decode(&key, &token).unwrap_or_else(|e| panic!("own token refused: {e}"));
    assert_eq!(back, state);
    let mut chars: Vec<char> = token.chars().collect();
    if chars.is_empty() {
        return;
    }
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let i = usize::from(input.flip_at) % chars.len();
    let mut c = char::from(ALPHABET[usize::from(input.flip_to) % ALPHABET.len()]);
    if c == chars[i] {
        c = if c == 'A' { 'B' } else { 'A' };
    }
    chars[i] = c;
    let tampered: String = chars.into_iter().collect();
    assert!(
        decode(&key, &tampered).is_err(),
        "token with character {i} changed still validates"
    );
    let other = TokenKey::from_bytes([7; 32]);
    assert!(
        decode(&other, &token).is_err(),
        "token validates under another key"
    );
}
