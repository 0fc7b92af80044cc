//! Turning fuzzer bytes into channel counts, block splits, layouts and raw
//! `f32` bit patterns.
//!
//! Every read is total: once the bytes run out, reads return zeros (so the
//! first choice of every menu), and the drivers stop at [`Input::is_empty`].
//! Choices are made from single bytes where possible, so that libFuzzer's
//! byte-level mutations move between them directly.

use crate::buffers::Alloc;
use arbitrary::Unstructured;
use lanedsp_kernels::policy::{INPUT_CEIL, INPUT_FLOOR, MIN_COEFF, STATE_FLUSH};

/// Channels as one `Vec` each, all the same length.
pub type Planes = Vec<Vec<f32>>;

const fn up(x: f32) -> f32 {
    f32::from_bits(x.to_bits() + 1)
}

const fn down(x: f32) -> f32 {
    f32::from_bits(x.to_bits() - 1)
}

/// Sample values that break naive code (each also used negated): zeros,
/// subnormals, the thresholds of `lanedsp_kernels::policy` and their
/// neighbours, extremes, infinities and NaNs with several payloads.
pub const SPECIAL_SAMPLES: [f32; 32] = [
    0.0,
    -0.0,
    f32::from_bits(1),
    f32::from_bits(0x007f_ffff),
    f32::MIN_POSITIVE,
    up(f32::MIN_POSITIVE),
    down(INPUT_FLOOR),
    INPUT_FLOOR,
    up(INPUT_FLOOR),
    down(STATE_FLUSH),
    STATE_FLUSH,
    up(STATE_FLUSH),
    MIN_COEFF,
    f32::EPSILON,
    0.5,
    down(1.0),
    1.0,
    up(1.0),
    1e-30,
    1e30,
    down(INPUT_CEIL),
    INPUT_CEIL,
    up(INPUT_CEIL),
    f32::MAX,
    f32::INFINITY,
    f32::NAN,
    f32::from_bits(0x7f80_0001),
    f32::from_bits(0x7fbf_ffff),
    f32::from_bits(0x7fc0_1234),
    f32::from_bits(0x7fff_ffff),
    f32::from_bits(0x0000_0100),
    0.001,
];

/// Time constants in seconds worth trying: instant (both zeros), sub-sample,
/// typical, huge, and invalid ones (negative, NaN, infinite).
pub const SPECIAL_TIMES: [f32; 20] = [
    0.0,
    -0.0,
    f32::from_bits(1),
    f32::MIN_POSITIVE,
    1e-9,
    1e-7,
    1e-4,
    0.005,
    0.1,
    1.0,
    1e5,
    1e9,
    1e30,
    f32::MAX,
    -1.0,
    -f32::from_bits(1),
    f32::NAN,
    -f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
];

/// Sample rates in Hz worth trying, invalid ones included.
pub const SPECIAL_RATES: [f32; 16] = [
    48_000.0,
    44_100.0,
    96_000.0,
    8_000.0,
    192_000.0,
    1.0,
    f32::from_bits(1),
    f32::MIN_POSITIVE,
    1e30,
    f32::MAX,
    0.0,
    -0.0,
    -48_000.0,
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
];

/// The fuzzer's bytes, read as structured choices.
pub struct Input<'a> {
    u: Unstructured<'a>,
}

impl<'a> Input<'a> {
    /// Reads `data` from the start.
    pub fn new(data: &'a [u8]) -> Self {
        Input {
            u: Unstructured::new(data),
        }
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.u.is_empty()
    }

    /// The next byte (0 past the end).
    pub fn byte(&mut self) -> u8 {
        self.u.arbitrary().unwrap_or(0)
    }

    /// The next two bytes (0 past the end).
    pub fn u16(&mut self) -> u16 {
        self.u.arbitrary().unwrap_or(0)
    }

    /// The next four bytes (0 past the end).
    pub fn u32(&mut self) -> u32 {
        self.u.arbitrary().unwrap_or(0)
    }

    /// The next eight bytes (0 past the end).
    pub fn u64(&mut self) -> u64 {
        self.u.arbitrary().unwrap_or(0)
    }

    /// A number in `0..n` (`n > 0`), from one byte when `n <= 256`.
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 256 {
            self.byte() as usize % n
        } else {
            self.u32() as usize % n
        }
    }

    /// A channel count: mostly `1..=common`, sometimes `1..=max`.
    pub fn channels(&mut self, common: usize, max: usize) -> usize {
        let b = self.byte();
        if b < 0xe0 {
            1 + b as usize % common
        } else {
            1 + self.u16() as usize % max
        }
    }

    /// An input sample: mostly any raw bit pattern; one in sixteen from
    /// [`SPECIAL_SAMPLES`] (either sign), one in sixteen a NaN or infinity
    /// of either sign with any payload, one in eight an ordinary level in
    /// `[-1, 1)`.
    pub fn sample(&mut self) -> f32 {
        let w = self.u32();
        match w >> 28 {
            0xf if w & (1 << 27) != 0 => {
                let sign = (w & (1 << 26)) << 5;
                f32::from_bits(sign | 0x7f80_0000 | (w & 0x007f_ffff))
            }
            0xf => {
                let x = SPECIAL_SAMPLES[(w & 0xff) as usize % SPECIAL_SAMPLES.len()];
                if w & 0x100 != 0 { -x } else { x }
            }
            0xe | 0x6 => (w & 0x00ff_ffff) as f32 / (1 << 23) as f32 - 1.0,
            _ => f32::from_bits(w),
        }
    }

    /// A parameter: one in eight any raw bit pattern, three in eight from
    /// `specials`, half log-uniform in `10^lo..10^hi`.
    pub fn param(&mut self, specials: &[f32], lo: f32, hi: f32) -> f32 {
        let b = self.byte();
        match b & 7 {
            0 => f32::from_bits(self.u32()),
            1..=3 => specials[(b >> 3) as usize % specials.len()],
            _ => {
                let t = f32::from(self.u16()) / f32::from(u16::MAX);
                10f32.powf(lo + (hi - lo) * t)
            }
        }
    }

    /// A time constant in seconds (valid or not, see [`SPECIAL_TIMES`]).
    pub fn time(&mut self) -> f32 {
        self.param(&SPECIAL_TIMES, -6.0, 2.0)
    }

    /// A sample rate in Hz (valid or not, see [`SPECIAL_RATES`]).
    pub fn sample_rate(&mut self) -> f32 {
        self.param(&SPECIAL_RATES, 2.0, 6.5)
    }

    /// A block of `channels` channels, at most `*budget` samples in all
    /// (the budget is reduced by what the block uses):
    ///
    /// * one byte picks the length: 0, 1, 2..=32, 33..=64 or 1..=16 frames of
    ///   [`Input::sample`]s, or a *hold* block of 64..=512 frames in which
    ///   each channel is one sample followed by a constant (an impulse or a
    ///   step, then a long attack or decay: the way to reach the policy's
    ///   flush thresholds in few bytes);
    /// * one byte picks the layout of each of up to three ISAs (two bits
    ///   each, see [`crate::buffers::Layout::pick`]) and, with its top bit,
    ///   how planar buffers are allocated ([`Block::alloc`]).
    pub fn block(&mut self, channels: usize, budget: &mut usize) -> Block {
        let b = self.byte();
        let layouts = self.byte();
        let most = *budget / channels;
        let input: Planes = match b & 7 {
            6 => {
                let frames = (64usize << ((b >> 3) % 4)).min(most);
                (0..channels)
                    .map(|_| {
                        let (head, tail) = (self.sample(), self.sample());
                        let mut ch = vec![tail; frames];
                        if let Some(first) = ch.first_mut() {
                            *first = head;
                        }
                        ch
                    })
                    .collect()
            }
            kind => {
                let frames = match kind {
                    0 => 0,
                    1 => 1,
                    2..=4 => 2 + (b >> 3) as usize % 31,
                    5 => 33 + (b >> 3) as usize % 32,
                    _ => 1 + (b >> 3) as usize % 16,
                }
                .min(most);
                let mut input = vec![vec![0.0; frames]; channels];
                // Frame-major, as interleaved buffers hold them.
                for f in 0..frames {
                    for ch in input.iter_mut() {
                        ch[f] = self.sample();
                    }
                }
                input
            }
        };
        *budget -= channels * input[0].len();
        Block { layouts, input }
    }
}

/// One process call's input, and the layout each ISA runs it in.
#[derive(Clone, Debug)]
pub struct Block {
    /// Two bits per ISA (see [`crate::buffers::Layout::pick`]); the top bit
    /// picks the allocation ([`Block::alloc`]).
    pub layouts: u8,
    /// The input channels.
    pub input: Planes,
}

impl Block {
    /// Planar channels in one allocation each (top bit of the layout byte
    /// set), or packed in one (cheaper).
    pub fn alloc(&self) -> Alloc {
        if self.layouts & 0x80 != 0 {
            Alloc::Separate
        } else {
            Alloc::Packed
        }
    }

    /// Frames in the block.
    pub fn frames(&self) -> usize {
        self.input.first().map_or(0, Vec::len)
    }
}

/// `x` is `±0` or a normal, finite number: what the numeric policy
/// guarantees for every state and envelope.
pub fn zero_or_normal(x: f32) -> bool {
    x == 0.0 || x.is_normal()
}
