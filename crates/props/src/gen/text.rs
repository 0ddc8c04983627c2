//! String strategies: the awkward corners of CT-ECHO and CT-LIMITS (empty strings,
//! strings of up to 4,096 UTF-16 code units, emoji, combining marks, right-to-left
//! text, leading and trailing spaces, JSON escapes), and pools of plain ASCII words
//! for properties whose values are compared or ordered.

use contactspec_model::properties::MAX_STRING_UTF16;
use proptest::prelude::*;

/// Short pieces, each an awkward corner.
const PIECES: &[&str] = &[
    "Ada",
    "Lovelace",
    "O'Brien",
    "van der Berg",
    "",
    " ",
    "  lead",
    "trail  ",
    "😀",
    "👩‍👩‍👧",
    "🏳️‍🌈",
    "e\u{301}",
    "a\u{308}\u{332}",
    "שלום",
    "مرحبا بالعالم",
    "\u{202E}rtl-override",
    "山田太郎",
    "Ünïcödé",
    "ß",
    "İstanbul",
    "\"quoted\"",
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "<b>&amp;</b>",
    "%20+&=?#",
    "{{not-a-template}}",
    "\u{200B}zero-width",
    "\u{FEFF}bom",
    "\u{0}nul",
];

/// A string made of zero to three awkward pieces.
pub fn awkward_short() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..=3).prop_map(|v| v.concat())
}

/// Code units a long string is built from.
#[derive(Debug, Clone, Copy)]
enum Unit {
    Ascii,
    Emoji,
    Combining,
    Hebrew,
}

/// A string of exactly `units` UTF-16 code units built from one kind of character.
pub fn of_utf16_len(units: usize, kind: u8) -> String {
    let unit = match kind % 4 {
        0 => Unit::Ascii,
        1 => Unit::Emoji,
        2 => Unit::Combining,
        _ => Unit::Hebrew,
    };
    let mut s = String::with_capacity(units * 2);
    let mut n = 0;
    while n < units {
        match unit {
            Unit::Ascii => {
                s.push(char::from(b'a' + (n % 26) as u8));
                n += 1;
            }
            Unit::Emoji if units - n >= 2 => {
                s.push('😀');
                n += 2;
            }
            Unit::Combining if n % 2 == 1 => {
                s.push('\u{301}');
                n += 1;
            }
            Unit::Hebrew => {
                s.push('ש');
                n += 1;
            }
            _ => {
                s.push('e');
                n += 1;
            }
        }
    }
    s
}

/// A long string: 1 to 4,096 UTF-16 code units (CT-LIMITS), sometimes with leading
/// or trailing spaces inside that length; shrinks toward short.
pub fn long_string() -> impl Strategy<Value = String> {
    (1usize..=MAX_STRING_UTF16, 0u8..4, 0usize..3, 0usize..3).prop_map(|(n, k, lead, trail)| {
        let pad = (lead + trail).min(n);
        let lead = lead.min(pad);
        let body = of_utf16_len(n - pad, k);
        format!("{}{body}{}", " ".repeat(lead), " ".repeat(pad - lead))
    })
}

/// Any string CT-ECHO must keep: mostly short awkward ones, sometimes long ones.
pub fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => awkward_short(),
        1 => long_string(),
        1 => Just(of_utf16_len(MAX_STRING_UTF16, 1)),
    ]
}

/// Plain ASCII words whose case-insensitive order is the same whatever case
/// mapping a server uses (letters, digits, space and apostrophe only; SPEC.md §0
/// "order checks use ASCII keys").
pub const WORDS: &[&str] = &[
    "alpha", "Alpha", "ALPHA", "beta", "Beta", "gamma", "o'brien", "O'Brien", "delta x", "Delta",
    "zeta", "Zeta 2", "eta", "", "a", "B",
];

/// One ASCII word from [`WORDS`].
pub fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS).prop_map(str::to_string)
}

/// UTF-16 length of a string.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_strings_stay_within_the_limit() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut r = TestRunner::deterministic();
        for _ in 0..200 {
            let s = long_string().new_tree(&mut r).unwrap().current();
            let n = utf16_len(&s);
            assert!((1..=MAX_STRING_UTF16).contains(&n), "{n}");
        }
    }

    #[test]
    fn exact_utf16_lengths() {
        for k in 0..4 {
            for n in [1, 2, 3, 999, 1000, 1001, 4095, 4096] {
                assert_eq!(utf16_len(&of_utf16_len(n, k)), n, "kind {k} len {n}");
            }
        }
    }
}
