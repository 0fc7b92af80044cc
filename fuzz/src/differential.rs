//! The differential driver: one stream of blocks, parameter changes and
//! resets, run on every ISA this CPU has and on the scalar reference, with
//! every output and state compared `to_bits`.
//!
//! A processor joins by implementing [`Case`] (decoding its settings,
//! building it, its reference model); its fuzz target is then
//! `fuzz_target!(|data: &[u8]| differential::<MyCase>(data));`.

use crate::buffers::{self, Layout};
use crate::decode::{Block, Input, Planes, zero_or_normal};
use lanedsp::{Chunking, Isa, Processor};
use std::fmt::Debug;

/// Most channels a stream usually has, and at most.
pub const COMMON_CHANNELS: usize = 70;
/// Most channels a stream can have.
pub const MAX_CHANNELS: usize = 300;
/// Samples (channels x frames, over all blocks) one input may process.
pub const SAMPLE_BUDGET: usize = 8 * 1024;
/// Steps (blocks, changes, resets) one input may take.
pub const MAX_STEPS: usize = 64;

/// The scalar reference of a processor, one channel at a time, streaming.
pub trait Reference {
    /// Processes one block, carrying state as the processor does.
    fn process(&mut self, input: &Planes) -> Planes;
    /// Back to the initial state.
    fn reset(&mut self);
    /// Every state word of every channel, in the order [`Case::state`] uses.
    fn state(&self) -> Vec<f32>;
}

/// A processor under differential test.
pub trait Case {
    /// Name in failure messages.
    const NAME: &'static str;
    /// Construction settings for a number of channels (raw values, valid or
    /// not).
    type Settings: Debug;
    /// A parameter change between blocks (raw values, valid or not).
    type Change: Debug;
    /// The processor.
    type Proc: Processor;
    /// Its scalar reference.
    type Ref: Reference;

    /// Decodes settings for `channels` channels.
    fn settings(input: &mut Input, channels: usize) -> Self::Settings;
    /// Builds the processor on `isa`; an error when the settings are
    /// invalid (the input is then skipped, after checking that every ISA
    /// refuses it the same way). A setter refusing a per-channel value may
    /// instead be skipped here, as long as [`Case::reference`] skips it too.
    fn build(settings: &Self::Settings, isa: Isa) -> lanedsp::Result<Self::Proc>;
    /// The reference for settings that [`Case::build`] accepted.
    fn reference(settings: &Self::Settings) -> Self::Ref;
    /// Decodes a change.
    fn change(input: &mut Input, channels: usize) -> Self::Change;
    /// Applies a change to the processor.
    fn apply(proc: &mut Self::Proc, change: &Self::Change) -> lanedsp::Result<()>;
    /// Applies a change to the reference; `false` when the change is
    /// invalid and must be refused (the reference is then left unchanged).
    fn apply_ref(reference: &mut Self::Ref, change: &Self::Change) -> bool;
    /// Every state word of every channel, as [`Reference::state`] orders it.
    fn state(proc: &Self::Proc) -> Vec<f32>;
    /// Sets how the processor splits long calls into chunks in lanes
    /// (nothing for processors that never chunk). The output and state
    /// must not change.
    fn chunking(_proc: &mut Self::Proc, _chunking: Chunking) {}
    /// Whether an output sample is allowed by the numeric policy (by
    /// default: `±0` or a finite normal number).
    fn output_ok(x: f32) -> bool {
        zero_or_normal(x)
    }
    /// Whether a state word is allowed by the numeric policy (by default:
    /// `±0` or a finite normal number).
    fn state_ok(x: f32) -> bool {
        zero_or_normal(x)
    }
}

/// One step of a stream.
#[derive(Debug)]
enum Step<C: Case> {
    Block(Block),
    Change(C::Change),
    Chunking(Chunking),
    Reset,
}

/// Compact description of the steps so far, for failure messages.
fn history<C: Case>(steps: &[Step<C>]) -> String {
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| match s {
            Step::Block(b) => format!(
                "  #{i} block {} frames, layouts {:?}, {:?}",
                b.frames(),
                (0..3)
                    .map(|k| Layout::pick(b.layouts, k))
                    .collect::<Vec<_>>(),
                b.alloc()
            ),
            Step::Change(c) => format!("  #{i} change {c:?}"),
            Step::Chunking(c) => format!("  #{i} chunking {c:?}"),
            Step::Reset => format!("  #{i} reset"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn bits(x: f32) -> String {
    format!("{x:e} ({:#010x})", x.to_bits())
}

/// Fails with the context of a stream.
macro_rules! fail {
    ($ctx:expr, $($arg:tt)*) => {{
        let (name, channels, settings, steps) = $ctx;
        panic!(
            "[{name}] {}\n{channels} channels, settings {settings:?}\nsteps:\n{}",
            format!($($arg)*),
            history::<C>(steps)
        )
    }};
}

/// Runs the stream `data` encodes on every available ISA and on the
/// reference; panics on the first difference in bits, refused valid input,
/// stray write, or value the numeric policy forbids.
pub fn differential<C: Case>(data: &[u8]) {
    let mut input = Input::new(data);
    let channels = input.channels(COMMON_CHANNELS, MAX_CHANNELS);
    let settings = C::settings(&mut input, channels);
    let isas = Isa::available();

    let built: Vec<lanedsp::Result<C::Proc>> =
        isas.iter().map(|&isa| C::build(&settings, isa)).collect();
    let mut procs = Vec::new();
    let mut refused = None;
    for (&isa, b) in isas.iter().zip(built) {
        match b {
            Ok(p) => {
                assert_eq!(p.isa(), isa, "[{}] built for {isa}", C::NAME);
                assert_eq!(p.channels(), channels, "[{}] channels", C::NAME);
                procs.push((isa, p));
            }
            Err(e) => refused = Some((isa, format!("{e:?}"))),
        }
    }
    if let Some((isa, e)) = refused {
        // Invalid settings: skipped, but every ISA must agree.
        assert!(
            procs.is_empty(),
            "[{}] {isa} refused {settings:?} with {e} but {} accepted it",
            C::NAME,
            procs[0].0
        );
        return;
    }
    let mut reference = C::reference(&settings);

    let mut steps: Vec<Step<C>> = Vec::new();
    let mut budget = SAMPLE_BUDGET;
    while !input.is_empty() && steps.len() < MAX_STEPS && budget >= channels {
        let op = input.byte();
        let step = match op % 16 {
            0 => Step::Reset,
            1 | 2 => Step::Change(C::change(&mut input, channels)),
            // Chunks forced at small sizes (a fuzzed block is short), or off.
            3 => {
                let (b, warmup) = (input.byte(), input.byte());
                Step::Chunking(if b % 4 == 0 {
                    Chunking::Off
                } else {
                    Chunking::Forced {
                        chunks: 2 + usize::from(b / 4) % 6,
                        warmup: usize::from(warmup) % 100,
                    }
                })
            }
            _ => Step::Block(input.block(channels, &mut budget)),
        };
        steps.push(step);
        let ctx = (C::NAME, channels, &settings, &steps[..]);
        match steps.last().expect("just pushed") {
            Step::Reset => {
                reference.reset();
                for (_, p) in procs.iter_mut() {
                    p.reset();
                }
            }
            Step::Chunking(chunking) => {
                for (_, p) in procs.iter_mut() {
                    C::chunking(p, *chunking);
                }
            }
            Step::Change(change) => {
                let accepted = C::apply_ref(&mut reference, change);
                for (isa, p) in procs.iter_mut() {
                    match (C::apply(p, change), accepted) {
                        (Ok(()), true) | (Err(_), false) => {}
                        (Ok(()), false) => fail!(ctx, "{isa}: invalid change accepted"),
                        (Err(e), true) => fail!(ctx, "{isa}: valid change refused: {e}"),
                    }
                }
            }
            Step::Block(block) => {
                let before = reference.state();
                let want = reference.process(&block.input);
                let want_state = reference.state();
                // The policy, checked once on the reference: every ISA must
                // then match it bit for bit.
                policy::<C>(ctx, block, &want, &want_state);
                let want_bits = to_bits(want.iter().flatten());
                let want_state_bits = to_bits(want_state.iter());
                for (i, (isa, p)) in procs.iter_mut().enumerate() {
                    let layout = Layout::pick(block.layouts, i);
                    let got = buffers::run(p, layout, block.alloc(), &block.input);
                    if got.len() != want.len()
                        || got.iter().zip(&want).any(|(g, w)| g.len() != w.len())
                    {
                        fail!(
                            ctx,
                            "{isa}, {layout:?}: output shape differs from the input's"
                        );
                    }
                    if to_bits(got.iter().flatten()) != want_bits {
                        difference::<C>(ctx, *isa, layout, block, &before, &got, &want);
                    }
                    let state = C::state(p);
                    if to_bits(state.iter()) != want_state_bits {
                        let (w, g, r) = state
                            .iter()
                            .zip(&want_state)
                            .enumerate()
                            .find(|(_, (g, r))| g.to_bits() != r.to_bits())
                            .map(|(w, (&g, &r))| (w, bits(g), bits(r)))
                            .unwrap_or((
                                0,
                                format!("{} words", state.len()),
                                format!("{} words", want_state.len()),
                            ));
                        fail!(
                            ctx,
                            "{isa}, {layout:?}: state word {w} after the block is {g}, reference {r}"
                        );
                    }
                }
            }
        }
    }
}

fn to_bits<'a>(values: impl Iterator<Item = &'a f32>) -> Vec<u32> {
    values.map(|x| x.to_bits()).collect()
}

/// Checks the numeric policy on the reference's output and state.
fn policy<C: Case>(
    ctx: (&str, usize, &C::Settings, &[Step<C>]),
    block: &Block,
    want: &Planes,
    want_state: &[f32],
) {
    if !want.iter().flatten().all(|&x| C::output_ok(x)) {
        let (c, f, x) = want
            .iter()
            .enumerate()
            .flat_map(|(c, ch)| ch.iter().enumerate().map(move |(f, &x)| (c, f, x)))
            .find(|&(_, _, x)| !C::output_ok(x))
            .expect("found above");
        fail!(
            ctx,
            "reference: channel {c}, frame {f}: output {} breaks the policy (input {})",
            bits(x),
            bits(block.input[c][f])
        );
    }
    if let Some((w, &x)) = want_state
        .iter()
        .enumerate()
        .find(|(_, x)| !C::state_ok(**x))
    {
        fail!(ctx, "reference: state word {w} is {}", bits(x));
    }
}

/// Describes the first sample where an ISA's output differs from the
/// reference's, and fails.
#[allow(clippy::too_many_arguments)]
fn difference<C: Case>(
    ctx: (&str, usize, &C::Settings, &[Step<C>]),
    isa: Isa,
    layout: Layout,
    block: &Block,
    before: &[f32],
    got: &Planes,
    want: &Planes,
) {
    for (c, (g, w)) in got.iter().zip(want).enumerate() {
        for (f, (&gx, &wx)) in g.iter().zip(w).enumerate() {
            if gx.to_bits() != wx.to_bits() {
                let channels = block.input.len();
                let words = before.len() / channels.max(1);
                let state: Vec<String> =
                    (0..words).map(|k| bits(before[k * channels + c])).collect();
                fail!(
                    ctx,
                    "{isa}, {layout:?}, last block: channel {c}, frame {f}: got {}, reference {}; \
                     input {}, previous input {}, channel state before the block {state:?}",
                    bits(gx),
                    bits(wx),
                    bits(block.input[c][f]),
                    if f > 0 {
                        bits(block.input[c][f - 1])
                    } else {
                        "-".into()
                    },
                );
            }
        }
    }
    fail!(ctx, "{isa}, {layout:?}: outputs differ");
}
