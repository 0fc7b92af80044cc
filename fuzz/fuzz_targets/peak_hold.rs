//! Every ISA against the scalar reference on a fuzzed peak-hold stream:
//! hold times (valid or not), resets, block splits, layouts, raw sample
//! bits.
#![no_main]

use lanedsp_fuzz::differential;
use lanedsp_fuzz::peak_hold::Fuzzed;

libfuzzer_sys::fuzz_target!(|data: &[u8]| differential::<Fuzzed>(data));
