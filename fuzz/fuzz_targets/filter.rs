#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| contactspec_fuzz_targets::query::filter(data));
