//! Every ISA against the scalar reference on a fuzzed stream: sample rate,
//! per-channel times, channel count, block splits, layouts, raw sample bits.
#![no_main]

use lanedsp_fuzz::differential;
use lanedsp_fuzz::envelope::Envelope;

libfuzzer_sys::fuzz_target!(|data: &[u8]| differential::<Envelope>(data));
