//! Every constructor, setter and process call of the envelope follower with
//! arbitrary arguments and buffer shapes: typed errors, no side effects.
#![no_main]

use lanedsp_fuzz::api;
use lanedsp_fuzz::envelope::Envelope;

libfuzzer_sys::fuzz_target!(|data: &[u8]| api::<Envelope>(data));
