//! Every ISA against the scalar reference on a fuzzed compressor stream:
//! per-channel settings of every mode, link groups, setting changes, block
//! splits, layouts, raw sample bits.
#![no_main]

use lanedsp_fuzz::compressor::Fuzzed;
use lanedsp_fuzz::differential;

libfuzzer_sys::fuzz_target!(|data: &[u8]| differential::<Fuzzed>(data));
