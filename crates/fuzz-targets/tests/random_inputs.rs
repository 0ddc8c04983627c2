//! Every target on pseudo-random inputs (a cheap stand-in for libFuzzer on stable):
//! `FUZZ_ITERS` inputs per target (default 200), deterministic.

use rand::{Rng, SeedableRng};

#[test]
fn targets_hold_on_random_inputs() {
    let iters: usize = std::env::var("FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    for (name, target) in contactspec_fuzz_targets::TARGETS {
        let per = if *name == "server_request" {
            iters / 4
        } else {
            iters
        };
        for i in 0..per {
            let len = rng.random_range(0..600usize);
            let mut data = vec![0u8; len];
            rng.fill(&mut data[..]);
            if std::panic::catch_unwind(|| target(&data)).is_err() {
                let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
                panic!("target {name} failed on input #{i}: {hex}");
            }
        }
    }
}
