//! Small generators drawn from `arbitrary::Unstructured`: weighted choices, text that
//! stresses string handling, dates and date-times inside the contract's ranges.
//!
//! Every generator returns its cheapest, most ordinary choice when the input bytes run
//! out, so short fuzz inputs stay fast.

use arbitrary::{Result, Unstructured};

/// Picks one of `items` with probability proportional to its weight. With no input
/// left it returns the first item.
pub fn weighted<T: Copy>(u: &mut Unstructured<'_>, items: &[(u32, T)]) -> Result<T> {
    let total: u32 = items.iter().map(|(w, _)| *w).sum();
    if items.is_empty() || total == 0 {
        return Err(arbitrary::Error::EmptyChoose);
    }
    let mut x = u.int_in_range(0..=total - 1)?;
    for (w, item) in items {
        if x < *w {
            return Ok(*item);
        }
        x -= w;
    }
    Ok(items[items.len() - 1].1)
}

/// True with probability about `1/n`; false when the input is exhausted.
pub fn one_in(u: &mut Unstructured<'_>, n: u32) -> Result<bool> {
    Ok(u.int_in_range(0..=n.max(1) - 1)? == n.max(1) - 1)
}

/// Fragments that exercise string handling: quotes, escapes, non-ASCII, controls.
const PIECES: &[&str] = &[
    "Ada",
    "Lovelace",
    "O'Brien",
    "Zoë",
    "Ñandú",
    "日本語",
    "😀",
    "e\u{301}",
    "\u{200b}",
    "\u{202e}rtl",
    "\"quoted\"",
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "nul\u{0}byte",
    " ",
    "+",
    "&",
    "%20",
    "#",
    "?",
    "/",
    "=",
    "{{",
    "<b>",
    "'';--",
    "ﬀ",
    "\u{feff}",
    "\u{10ffff}",
];

/// A string of 0–12 fragments: ordinary names most of the time, hostile text often.
pub fn text(u: &mut Unstructured<'_>) -> Result<String> {
    let n = u.int_in_range(1..=6u8)?;
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(u.choose(PIECES)?);
    }
    Ok(s)
}

/// A plain word of ASCII letters (for values that must not confuse a marker filter).
pub fn word(u: &mut Unstructured<'_>) -> Result<String> {
    const WORDS: &[&str] = &[
        "Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Dennis", "Margaret", "Linus",
        "Frances",
    ];
    Ok((*u.choose(WORDS)?).to_owned())
}

/// An e-mail address.
pub fn email(u: &mut Unstructured<'_>) -> Result<String> {
    let local = word(u)?.to_lowercase();
    let n = u.int_in_range(0..=999u16)?;
    Ok(format!("{local}{n}@example.com"))
}

/// Whether `year` is a Gregorian leap year.
pub fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Days in `month` of `year`.
pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A valid calendar date inside `years`, as `(y, m, d)`.
pub fn date(
    u: &mut Unstructured<'_>,
    years: std::ops::RangeInclusive<u32>,
) -> Result<(u32, u32, u32)> {
    let y = u.int_in_range(years)?;
    let m = u.int_in_range(1..=12u32)?;
    let d = u.int_in_range(1..=days_in_month(y, m))?;
    Ok((y, m, d))
}

/// `YYYY-MM-DD`.
pub fn fmt_date((y, m, d): (u32, u32, u32)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// 0–7 fractional digits, with the leading dot when there are any.
pub fn fraction(u: &mut Unstructured<'_>) -> Result<String> {
    let n = u.int_in_range(0..=7u8)?;
    if n == 0 {
        return Ok(String::new());
    }
    let mut s = String::from(".");
    for _ in 0..n {
        s.push(char::from(b'0' + u.int_in_range(0..=9u8)?));
    }
    Ok(s)
}

/// A wall-clock time `HH:MM:SS`.
pub fn time(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(format!(
        "{:02}:{:02}:{:02}",
        u.int_in_range(0..=23u8)?,
        u.int_in_range(0..=59u8)?,
        u.int_in_range(0..=59u8)?
    ))
}

/// A valid `Birthday` value: a date alone, a UTC date-time, or a date-time with an
/// offset (years kept one away from the range ends so conversion stays in range).
pub fn birthday(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=2u8)? {
        0 => fmt_date(date(u, 1601..=9999)?),
        1 => format!(
            "{}T{}{}Z",
            fmt_date(date(u, 1601..=9999)?),
            time(u)?,
            fraction(u)?
        ),
        _ => {
            let sign = if u.arbitrary()? { '+' } else { '-' };
            format!(
                "{}T{}{}{sign}{:02}:{}",
                fmt_date(date(u, 1602..=9998)?),
                time(u)?,
                fraction(u)?,
                u.int_in_range(0..=14u8)?,
                *u.choose(&["00", "30", "45"])?
            )
        }
    })
}

/// Time zones every conforming server knows (FL-ZONES).
pub const KNOWN_ZONES: &[&str] = &[
    "UTC",
    "Pacific Standard Time",
    "Eastern Standard Time",
    "W. Europe Standard Time",
    "Tokyo Standard Time",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Tokyo",
];

/// Zone names no server knows.
pub const UNKNOWN_ZONES: &[&str] = &[
    "Mars Standard Time",
    "Pacific Standard Tim",
    "Nowhere/Imaginary",
    "UTC+25",
    "",
    " ",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhausted_input_takes_first_choice() {
        let mut u = Unstructured::new(&[]);
        assert_eq!(weighted(&mut u, &[(1, 'a'), (9, 'b')]).unwrap(), 'a');
        assert!(!one_in(&mut u, 100).unwrap());
    }

    #[test]
    fn dates_are_valid() {
        let data: Vec<u8> = (0..4000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let mut u = Unstructured::new(&data);
        for _ in 0..200 {
            let (y, m, d) = date(&mut u, 1601..=9999).unwrap();
            assert!((1601..=9999).contains(&y) && (1..=12).contains(&m));
            assert!(d >= 1 && d <= days_in_month(y, m));
        }
        assert!(is_leap(2000) && !is_leap(1900) && is_leap(2024) && !is_leap(2019));
    }
}
