//! Shared test helpers: seeded signals with hostile values, the four buffer
//! layouts, and the per-kernel cases the equivalence harness runs on every
//! ISA. Adding a kernel to the harness means adding one [`KernelCase`].

#![allow(dead_code)]

pub mod cases;

use lanedsp::{Buffers, Isa, Processor, Sidechain};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// Whether the accuracy checks against peer crates and published test
/// cases run: in a full run (native, every ISA forced), not in the reduced
/// or smoke matrices (`LANEDSP_TEST_MATRIX`) of the emulated and sanitizer
/// runs. Their result is one value that the bit-exactness tests prove the
/// same on every ISA, so what they check does not depend on the ISA, and
/// under emulation they took most of the NEON run's time.
pub fn accuracy_checks() -> bool {
    let reduced = matches!(
        std::env::var("LANEDSP_TEST_MATRIX").as_deref(),
        Ok("reduced" | "smoke")
    );
    if reduced {
        println!("accuracy checks against peers skipped (LANEDSP_TEST_MATRIX reduced or smoke)");
    }
    !reduced
}

/// Channels as one `Vec` each.
pub type Planes = Vec<Vec<f32>>;

/// The deterministic generator of the tests; `LANEDSP_TEST_SEED` varies it.
pub fn rng(stream: u64) -> Xoshiro256PlusPlus {
    let base = std::env::var("LANEDSP_TEST_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0x1a9e_d5b0);
    Xoshiro256PlusPlus::seed_from_u64(base ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Values that break naive code: zeros of both signs, subnormals, the
/// policy's thresholds and their neighbours, extremes, infinities and NaNs
/// with several payloads.
pub fn edge_values() -> Vec<f32> {
    use lanedsp_kernels::policy::{INPUT_CEIL, INPUT_FLOOR, STATE_FLUSH};
    let next_up = |x: f32| f32::from_bits(x.to_bits() + 1);
    let next_down = |x: f32| f32::from_bits(x.to_bits() - 1);
    vec![
        0.0,
        -0.0,
        f32::from_bits(1),
        -f32::from_bits(1),
        f32::from_bits(0x007f_ffff),
        -f32::from_bits(0x007f_ffff),
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        INPUT_FLOOR,
        next_down(INPUT_FLOOR),
        next_up(INPUT_FLOOR),
        -INPUT_FLOOR,
        STATE_FLUSH,
        INPUT_CEIL,
        next_up(INPUT_CEIL),
        -next_up(INPUT_CEIL),
        1e-30,
        1e30,
        1.0,
        -1.0,
        f32::MAX,
        -f32::MAX,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7f80_0001),
        f32::from_bits(0xffc0_1234),
    ]
}

/// One channel of a random musical-ish signal: noise, tones, bursts with
/// silent gaps and steps, at a random level, with a fraction `edges` of its
/// samples replaced by [`edge_values`].
pub fn signal(rng: &mut impl RngExt, len: usize, edges: f64) -> Vec<f32> {
    let level = 10f32.powf(rng.random_range(-7.0f32..1.0));
    let kind = rng.random_range(0..5u32);
    let freq = rng.random_range(0.0005f32..0.2);
    let mut out: Vec<f32> = (0..len)
        .map(|n| {
            let noise = rng.random_range(-1.0f32..1.0);
            let tone = (n as f32 * freq * core::f32::consts::TAU).sin();
            let x = match kind {
                0 => noise,
                1 => tone,
                2 if (n / 300) % 2 == 0 => noise,
                2 => 0.0,
                3 if (n / 500) % 3 == 0 => 1.0,
                3 => 0.0,
                _ => 0.5 * tone + 0.5 * noise,
            };
            x * level
        })
        .collect();
    let edge = edge_values();
    for x in out.iter_mut() {
        if edges > 0.0 && rng.random_bool(edges) {
            *x = edge[rng.random_range(0..edge.len())];
        }
    }
    out
}

/// `channels` channels of [`signal`].
pub fn planes(rng: &mut impl RngExt, channels: usize, len: usize, edges: f64) -> Planes {
    (0..channels).map(|_| signal(rng, len, edges)).collect()
}

/// Frames from channels.
pub fn interleave(planes: &Planes) -> Vec<f32> {
    let len = planes.first().map_or(0, Vec::len);
    (0..len)
        .flat_map(|f| planes.iter().map(move |p| p[f]))
        .collect()
}

/// Channels from frames.
pub fn deinterleave(frames: &[f32], channels: usize) -> Planes {
    (0..channels)
        .map(|c| frames.iter().skip(c).step_by(channels).copied().collect())
        .collect()
}

/// The four buffer layouts of [`Processor`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `process_planar`.
    Planar,
    /// `process_planar_in_place`.
    PlanarInPlace,
    /// `process_interleaved`.
    Interleaved,
    /// `process_interleaved_in_place`.
    InterleavedInPlace,
}

impl Layout {
    /// All four.
    pub const ALL: [Layout; 4] = [
        Layout::Planar,
        Layout::PlanarInPlace,
        Layout::Interleaved,
        Layout::InterleavedInPlace,
    ];
}

/// A processor that can take a detector input (sidechain).
pub trait Keyed: Processor {
    /// Processes `buffers` with `key` driving the detectors.
    fn process_keyed(
        &mut self,
        buffers: Buffers<'_, '_, '_>,
        key: Sidechain<'_, '_>,
    ) -> lanedsp::Result<()>;
}

impl Keyed for lanedsp::Compressor {
    fn process_keyed(
        &mut self,
        buffers: Buffers<'_, '_, '_>,
        key: Sidechain<'_, '_>,
    ) -> lanedsp::Result<()> {
        self.process_sidechain(buffers, key)
    }
}

/// Runs one block through `proc` in `layout`, returning the output channels.
pub fn run(proc: &mut impl Processor, layout: Layout, input: &Planes) -> Planes {
    run_with(layout, input, |buffers| proc.process(buffers))
}

/// Runs one block with a detector input `key` (given to the processor in
/// the same kind of layout as the main buffers, or the other kind when
/// `cross` is set).
pub fn run_keyed(
    proc: &mut impl Keyed,
    layout: Layout,
    input: &Planes,
    key: &Planes,
    cross: bool,
) -> Planes {
    let planar_key = matches!(layout, Layout::Planar | Layout::PlanarInPlace) != cross;
    let key_frames = interleave(key);
    let key_planes: Vec<&[f32]> = key.iter().map(Vec::as_slice).collect();
    let sidechain = if planar_key {
        Sidechain::Planar(&key_planes)
    } else {
        Sidechain::Interleaved(&key_frames)
    };
    run_with(layout, input, |buffers| {
        proc.process_keyed(buffers, sidechain)
    })
}

fn run_with(
    layout: Layout,
    input: &Planes,
    mut process: impl FnMut(Buffers<'_, '_, '_>) -> lanedsp::Result<()>,
) -> Planes {
    let channels = input.len();
    match layout {
        Layout::Planar => {
            let len = input.first().map_or(0, Vec::len);
            let mut out = vec![vec![f32::NAN; len]; channels];
            let ins: Vec<&[f32]> = input.iter().map(Vec::as_slice).collect();
            let mut outs: Vec<&mut [f32]> = out.iter_mut().map(Vec::as_mut_slice).collect();
            process(Buffers::Planar {
                input: &ins,
                output: &mut outs,
            })
            .expect("planar");
            out
        }
        Layout::PlanarInPlace => {
            let mut bufs = input.clone();
            let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(Vec::as_mut_slice).collect();
            process(Buffers::PlanarInPlace { bufs: &mut refs }).expect("planar in place");
            bufs
        }
        Layout::Interleaved => {
            let frames = interleave(input);
            let mut out = vec![f32::NAN; frames.len()];
            process(Buffers::Interleaved {
                input: &frames,
                output: &mut out,
            })
            .expect("interleaved");
            deinterleave(&out, channels)
        }
        Layout::InterleavedInPlace => {
            let mut frames = interleave(input);
            process(Buffers::InterleavedInPlace { buf: &mut frames })
                .expect("interleaved in place");
            deinterleave(&frames, channels)
        }
    }
}

/// The first difference in bits between `got` and `want`, described.
pub fn first_difference(got: &Planes, want: &Planes) -> Option<String> {
    if got.len() != want.len() {
        return Some(format!("{} channels, expected {}", got.len(), want.len()));
    }
    for (c, (g, w)) in got.iter().zip(want).enumerate() {
        if g.len() != w.len() {
            return Some(format!(
                "channel {c}: {} samples, expected {}",
                g.len(),
                w.len()
            ));
        }
        if let Some(f) = (0..g.len()).find(|&f| g[f].to_bits() != w[f].to_bits()) {
            return Some(format!(
                "channel {c}, frame {f}: got {:e} ({:#010x}), reference {:e} ({:#010x})",
                g[f],
                g[f].to_bits(),
                w[f],
                w[f].to_bits()
            ));
        }
    }
    None
}

/// Channels concatenated in time: `a` followed by `b`.
pub fn concat(a: &Planes, b: &Planes) -> Planes {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.iter().chain(y).copied().collect())
        .collect()
}

/// Frames `range` of every channel.
pub fn slice(planes: &Planes, range: core::ops::Range<usize>) -> Planes {
    planes.iter().map(|p| p[range.clone()].to_vec()).collect()
}

/// The ISAs a test run covers: every ISA, with the ones this CPU lacks
/// reported as not run.
pub fn isa_status() -> (Vec<Isa>, Vec<Isa>) {
    Isa::ALL.into_iter().partition(|isa| isa.is_available())
}
