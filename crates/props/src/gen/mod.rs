//! proptest strategies: valid contacts and their awkward corners, PATCH bodies,
//! queries, and invalid payloads that each break exactly one named rule.

pub mod contact;
pub mod dates;
pub mod flag;
pub mod invalid;
pub mod query;
pub mod text;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::Value;

/// The generators a case file may name, as the case format defines them: each
/// yields a JSON value (see [`named`]).
pub use contactspec_cases::GENERATORS as NAMED;

/// A named generator as a strategy of JSON values (see [`NAMED`]).
pub fn named(name: &str) -> Option<BoxedStrategy<Value>> {
    Some(match name {
        "valid-contact" => contact::valid_contact(true).prop_map(Value::Object).boxed(),
        "collection-contact" => contact::collection_contact()
            .prop_map(Value::Object)
            .boxed(),
        "patch-body" => contact::patch_body(true).prop_map(Value::Object).boxed(),
        "valid-flag" => flag::valid_flag(true),
        "any-flag" => flag::any_flag().boxed(),
        "birthday" => dates::birthday().prop_map(Value::String).boxed(),
        "date" => dates::date_value().prop_map(Value::String).boxed(),
        "string" => text::any_string().prop_map(Value::String).boxed(),
        "long-string" => text::long_string().prop_map(Value::String).boxed(),
        _ => return None,
    })
}

/// Draws the `index`-th value of a named generator for `seed`: the same seed, name
/// and index always give the same value (SUITE-DETERMINISTIC).
pub fn draw(name: &str, seed: u64, index: u32) -> Option<Value> {
    let strategy = named(name)?;
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(
        proptest::test_runner::Config::default(),
        proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &crate::properties::harness::rng_seed(seed ^ u64::from(index).rotate_left(17), name),
        ),
    );
    strategy.new_tree(&mut runner).ok().map(|t| t.current())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_generator_draws_deterministically() {
        for n in NAMED {
            let a = draw(n, 9, 3).expect(n);
            assert_eq!(Some(a.clone()), draw(n, 9, 3), "{n}");
        }
        assert!(draw("nope", 1, 0).is_none());
        assert_ne!(draw("valid-contact", 9, 3), draw("valid-contact", 9, 4));
    }
}
