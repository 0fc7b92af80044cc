//! Every ISA against the scalar reference on a fuzzed limiter stream:
//! settings (valid or not), link groups, setting and group changes, resets,
//! block splits, layouts, raw sample bits.
#![no_main]

use lanedsp_fuzz::differential;
use lanedsp_fuzz::limiter::Fuzzed;

libfuzzer_sys::fuzz_target!(|data: &[u8]| differential::<Fuzzed>(data));
