//! Page arithmetic and keyset cursors for collection walks and sync rounds
//! (SPEC.md §5 Q-PAGE-DEFAULT, Q-TOP, Q-TOP-BOUNDS, Q-MAXPAGESIZE, Q-NEXTLINK,
//! Q-NEXTLINK-LIVE, Q-ORDER-STABLE; §6 SY-COMPLETE-LIVE).
//!
//! A walk orders the matching entities by the `$orderby` keys and then by creation
//! sequence (so ties keep creation order and every entity has a unique place). A
//! page ends with a [`Cursor`] holding the sort-key values and the sequence of its
//! last entity; the next page starts at the first entity that sorts strictly after
//! that cursor. Entities created or deleted meanwhile cannot shift the position, so
//! every entity that exists unchanged for the whole walk is visited exactly once.

use crate::sync_token::Cursor;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// The largest page this server sends. A larger `$top` or `odata.maxpagesize` is
/// lowered to it (Q-TOP-BOUNDS: at least 50).
pub const MAX_PAGE_SIZE: usize = 1000;
/// Page size without `$top` or a page-size preference (Q-PAGE-DEFAULT).
pub const DEFAULT_PAGE_SIZE: usize = contactspec_model::properties::DEFAULT_PAGE_SIZE;

/// The page size of a request and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize {
    /// Entities per page (0 only for `$top=0`).
    pub size: usize,
    /// Whether `$top` set it (then `odata.maxpagesize` is neither applied nor echoed).
    pub from_top: bool,
    /// Whether `odata.maxpagesize` set it (then it is echoed in `Preference-Applied`).
    pub from_prefer: bool,
}

impl PageSize {
    /// Resolves the page size: `$top` wins, then `odata.maxpagesize`, then `fallback`
    /// (the default, or what a token carries). Both are capped at [`MAX_PAGE_SIZE`].
    pub fn resolve(top: Option<u64>, max_page_size: Option<u32>, fallback: usize) -> PageSize {
        if let Some(top) = top {
            return PageSize {
                size: cap(top),
                from_top: true,
                from_prefer: false,
            };
        }
        if let Some(n) = max_page_size.filter(|n| *n > 0) {
            return PageSize {
                size: cap(u64::from(n)),
                from_top: false,
                from_prefer: true,
            };
        }
        PageSize {
            size: fallback.min(MAX_PAGE_SIZE),
            from_top: false,
            from_prefer: false,
        }
    }
}

fn cap(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX).min(MAX_PAGE_SIZE)
}

/// What a walk needs to know about an entity: its creation sequence and properties.
pub trait Keyed {
    /// Creation sequence number (unique, increasing).
    fn seq(&self) -> u64;
    /// The entity's stored properties (what `$filter` and `$orderby` look at).
    fn props(&self) -> &Map<String, Value>;
}

/// One entity of a walk: its creation sequence and its properties.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// Creation sequence number (unique, increasing).
    pub seq: u64,
    /// The entity's stored properties.
    pub props: &'a Map<String, Value>,
}

impl Keyed for Entry<'_> {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn props(&self) -> &Map<String, Value> {
        self.props
    }
}

/// Compares two entities: by `cmp` on their properties, then by sequence.
fn entry_order(
    cmp: &impl Fn(&Map<String, Value>, &Map<String, Value>) -> Ordering,
    a: &impl Keyed,
    b: &impl Keyed,
) -> Ordering {
    cmp(a.props(), b.props()).then(a.seq().cmp(&b.seq()))
}

/// Sorts entities by `cmp` with creation order breaking ties (Q-ORDER-STABLE,
/// Q-ORDERBY-DETAIL).
pub fn sort_entries<E: Keyed>(
    entries: &mut [E],
    cmp: impl Fn(&Map<String, Value>, &Map<String, Value>) -> Ordering,
) {
    entries.sort_by(|a, b| entry_order(&cmp, a, b));
}

/// The index of the first entity (of entities sorted by [`sort_entries`] with the
/// same `cmp`) that sorts strictly after `cursor`; 0 without a cursor.
pub fn seek<E: Keyed>(
    entries: &[E],
    cursor: Option<&Cursor>,
    cmp: impl Fn(&Map<String, Value>, &Map<String, Value>) -> Ordering,
) -> usize {
    let Some(cursor) = cursor else {
        return 0;
    };
    let at = Entry {
        seq: cursor.seq,
        props: &cursor.keys,
    };
    entries.partition_point(|e| entry_order(&cmp, e, &at) != Ordering::Greater)
}

/// The cursor that resumes after `entry`: its sequence and the values of the
/// top-level properties the order looks at.
pub fn cursor_after(entry: &impl Keyed, key_props: &[&str]) -> Cursor {
    let mut keys = Map::new();
    for name in key_props {
        if let Some(v) = entry.props().get(*name) {
            keys.insert((*name).to_string(), v.clone());
        }
    }
    Cursor {
        seq: entry.seq(),
        keys,
    }
}

/// Where a page starts and ends within the ordered entries, and whether more follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Index of the page's first entry.
    pub start: usize,
    /// One past the page's last entry.
    pub end: usize,
    /// Whether entities remain after the page (then the page is never empty).
    pub more: bool,
}

/// Cuts a page of at most `size` entries starting at `start` out of `len`.
pub fn cut(len: usize, start: usize, size: usize) -> Cut {
    let start = start.min(len);
    let end = start.saturating_add(size).min(len);
    Cut {
        start,
        end,
        more: end < len && end > start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn maps(names: &[&str]) -> Vec<Map<String, Value>> {
        names
            .iter()
            .map(|n| json!({ "Name": n }).as_object().cloned().unwrap())
            .collect()
    }

    fn by_name(a: &Map<String, Value>, b: &Map<String, Value>) -> Ordering {
        let k = |m: &Map<String, Value>| {
            m.get("Name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        k(a).cmp(&k(b))
    }

    fn entries<'a>(ms: &'a [Map<String, Value>], seqs: &[u64]) -> Vec<Entry<'a>> {
        ms.iter()
            .zip(seqs)
            .map(|(props, seq)| Entry { seq: *seq, props })
            .collect()
    }

    #[test]
    fn page_size_resolution() {
        assert_eq!(PageSize::resolve(None, None, 10).size, 10);
        let p = PageSize::resolve(Some(3), Some(20), 10);
        assert_eq!((p.size, p.from_top, p.from_prefer), (3, true, false));
        let p = PageSize::resolve(None, Some(20), 10);
        assert_eq!((p.size, p.from_top, p.from_prefer), (20, false, true));
        assert_eq!(
            PageSize::resolve(Some(u64::MAX), None, 10).size,
            MAX_PAGE_SIZE
        );
        assert_eq!(
            PageSize::resolve(None, Some(u32::MAX), 10).size,
            MAX_PAGE_SIZE
        );
        assert_eq!(PageSize::resolve(Some(0), None, 10).size, 0);
        assert!(!PageSize::resolve(None, Some(0), 10).from_prefer);
        const { assert!(MAX_PAGE_SIZE >= 50) };
    }

    #[test]
    fn cuts() {
        assert_eq!(
            cut(5, 0, 2),
            Cut {
                start: 0,
                end: 2,
                more: true
            }
        );
        assert_eq!(
            cut(5, 4, 2),
            Cut {
                start: 4,
                end: 5,
                more: false
            }
        );
        assert_eq!(
            cut(5, 9, 2),
            Cut {
                start: 5,
                end: 5,
                more: false
            }
        );
        assert_eq!(
            cut(5, 0, 0),
            Cut {
                start: 0,
                end: 0,
                more: false
            }
        );
        assert_eq!(
            cut(0, 0, 10),
            Cut {
                start: 0,
                end: 0,
                more: false
            }
        );
        assert_eq!(
            cut(4, 2, 2),
            Cut {
                start: 2,
                end: 4,
                more: false
            }
        );
    }

    #[test]
    fn ties_keep_creation_order_and_seek_resumes_after_the_cursor() {
        let ms = maps(&["b", "a", "b", "a", "c"]);
        let mut es = entries(&ms, &[1, 2, 3, 4, 5]);
        sort_entries(&mut es, by_name);
        let seqs: Vec<u64> = es.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [2, 4, 1, 3, 5]);
        // After the first "b" (seq 1): the second "b" (seq 3) comes next.
        let c = cursor_after(&es[2], &["Name"]);
        assert_eq!(seek(&es, Some(&c), by_name), 3);
        assert_eq!(seek(&es, None, by_name), 0);
        let last = cursor_after(&es[4], &["Name"]);
        assert_eq!(seek(&es, Some(&last), by_name), 5);
    }

    #[test]
    fn a_walk_survives_inserts_and_deletes() {
        // Walk with page size 2 over a..f; between pages delete the cursor's own
        // entity and insert entities before and after the cursor.
        let ms = maps(&["a", "b", "c", "d", "e", "f", "aa", "zz", "bb"]);
        let mut live: Vec<usize> = (0..6).collect();
        let seq = |i: usize| i as u64 + 1;
        let mut visited = Vec::new();
        let mut cursor: Option<Cursor> = None;
        for round in 0.. {
            let mut es: Vec<Entry<'_>> = live
                .iter()
                .map(|&i| Entry {
                    seq: seq(i),
                    props: &ms[i],
                })
                .collect();
            sort_entries(&mut es, by_name);
            let start = seek(&es, cursor.as_ref(), by_name);
            let c = cut(es.len(), start, 2);
            for e in &es[c.start..c.end] {
                visited.push(e.props["Name"].as_str().unwrap().to_string());
            }
            if !c.more {
                break;
            }
            cursor = Some(cursor_after(&es[c.end - 1], &["Name"]));
            if round == 0 {
                live.retain(|&i| i != 1); // delete "b", the cursor's entity
                live.extend([6, 7, 8]); // "aa" before the cursor, "zz" and "bb" after
            }
        }
        assert_eq!(visited, ["a", "b", "bb", "c", "d", "e", "f", "zz"]);
    }

    mod walks {
        use super::*;
        use proptest::prelude::*;

        /// A change made between two pages of a walk.
        #[derive(Debug, Clone)]
        enum Change {
            /// Create an entity with this name.
            Create(u8),
            /// Delete the live entity at this index (modulo the live count).
            Delete(usize),
        }

        fn change() -> impl Strategy<Value = Change> {
            prop_oneof![
                (0u8..6).prop_map(Change::Create),
                any::<usize>().prop_map(Change::Delete),
            ]
        }

        fn name_order(a: &Map<String, Value>, b: &Map<String, Value>) -> Ordering {
            let k = |m: &Map<String, Value>| m["Name"].as_u64().unwrap_or(0);
            k(a).cmp(&k(b))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Q-NEXTLINK-LIVE / SY-COMPLETE-LIVE: whatever is created or deleted
            /// between pages, every entity that exists for the whole walk is visited
            /// exactly once, and the visited entities come in walk order.
            #[test]
            fn keyset_walks_visit_survivors_exactly_once(
                names in proptest::collection::vec(0u8..6, 0..25),
                size in 1usize..5,
                descending in any::<bool>(),
                changes in proptest::collection::vec(proptest::collection::vec(change(), 0..4), 0..30),
            ) {
                let cmp = |a: &Map<String, Value>, b: &Map<String, Value>| {
                    let o = name_order(a, b);
                    if descending { o.reverse() } else { o }
                };
                // Every entity ever created: (seq, props); `live` marks the existing ones.
                let mut all: Vec<(u64, Map<String, Value>)> = names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (i as u64 + 1, json!({"Name": n}).as_object().cloned().unwrap()))
                    .collect();
                let mut live: Vec<bool> = vec![true; all.len()];
                let initially: Vec<u64> = all.iter().map(|(s, _)| *s).collect();
                let mut touched: std::collections::HashSet<u64> = Default::default();
                let mut visited: Vec<u64> = Vec::new();
                let mut cursor: Option<Cursor> = None;
                let mut pages = 0;
                loop {
                    let mut es: Vec<Entry<'_>> = all
                        .iter()
                        .zip(&live)
                        .filter(|(_, l)| **l)
                        .map(|((seq, props), _)| Entry { seq: *seq, props })
                        .collect();
                    sort_entries(&mut es, cmp);
                    let start = seek(&es, cursor.as_ref(), cmp);
                    let c = cut(es.len(), start, size);
                    if c.more {
                        prop_assert!(c.end > c.start, "a page with a link is never empty");
                    }
                    visited.extend(es[c.start..c.end].iter().map(|e| e.seq));
                    if !c.more {
                        break;
                    }
                    cursor = Some(cursor_after(&es[c.end - 1], &["Name"]));
                    let batch = changes.get(pages).cloned().unwrap_or_default();
                    pages += 1;
                    prop_assert!(pages < 200);
                    for ch in batch {
                        match ch {
                            Change::Create(n) => {
                                let seq = all.len() as u64 + 1;
                                all.push((seq, json!({"Name": n}).as_object().cloned().unwrap()));
                                live.push(true);
                                touched.insert(seq);
                            }
                            Change::Delete(i) => {
                                let alive: Vec<usize> =
                                    (0..live.len()).filter(|j| live[*j]).collect();
                                if let Some(j) = alive.get(i % alive.len().max(1)) {
                                    live[*j] = false;
                                    touched.insert(all[*j].0);
                                }
                            }
                        }
                    }
                }
                for seq in initially.iter().filter(|s| !touched.contains(s)) {
                    prop_assert_eq!(visited.iter().filter(|v| *v == seq).count(), 1, "seq {}", seq);
                }
                let unique: std::collections::HashSet<&u64> = visited.iter().collect();
                prop_assert_eq!(unique.len(), visited.len(), "no entity twice");
                // Visited entities are in walk order (name, then creation).
                let key = |seq: &u64| {
                    let props = &all[*seq as usize - 1].1;
                    props["Name"].as_u64().unwrap_or(0)
                };
                for w in visited.windows(2) {
                    let (a, b) = (key(&w[0]), key(&w[1]));
                    let ordered = if descending { a > b } else { a < b };
                    prop_assert!(ordered || (a == b && w[0] < w[1]), "{:?}", visited);
                }
            }
        }
    }
}
