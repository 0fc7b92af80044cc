//! Every ISA against the scalar reference on a fuzzed equalizer stream:
//! bands of every kind and raw coefficients per channel (valid or not),
//! band changes, resets, block splits, layouts, raw sample bits.
#![no_main]

use lanedsp_fuzz::differential;
use lanedsp_fuzz::eq::Fuzzed;

libfuzzer_sys::fuzz_target!(|data: &[u8]| differential::<Fuzzed>(data));
