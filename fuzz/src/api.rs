//! The API driver: every constructor, setter and process call of a
//! processor with arbitrary bit patterns and sizes, checking that
//!
//! * nothing panics;
//! * every error is the typed error an invalid argument calls for (the
//!   oracle is [`ApiCase::ctor_errors`] / [`ApiCase::call_errors`]), and
//!   valid arguments are never refused;
//! * a refused call changes nothing: no output is written, no state moves,
//!   and the processor then produces exactly what a *twin* that never saw
//!   the bad call produces, block after block.
//!
//! A processor joins by implementing [`ApiCase`]; its target is
//! `fuzz_target!(|data: &[u8]| api::<MyCase>(data));`.

use crate::buffers::{self, Alloc, CANARY, Layout};
use crate::decode::{Input, Planes};
use lanedsp::{BufferRole, Error, Isa, Processor, ShapeError};
use std::fmt::Debug;

/// Most channels a constructor is asked for.
pub const MAX_CHANNELS: usize = 4096;
/// Steps one input may take.
pub const MAX_STEPS: usize = 48;

/// A processor's public API, for [`api`].
pub trait ApiCase {
    /// Name in failure messages.
    const NAME: &'static str;
    /// The processor.
    type Proc: Processor + Clone;
    /// Raw constructor arguments.
    type Ctor: Debug;
    /// One setter call with raw arguments.
    type Call: Debug;

    /// Decodes constructor arguments (channel counts `0..=MAX_CHANNELS`).
    fn ctor(input: &mut Input) -> Self::Ctor;
    /// Calls the constructor.
    fn construct(ctor: &Self::Ctor) -> lanedsp::Result<Self::Proc>;
    /// The errors the constructor may return for these arguments: one per
    /// invalid argument; empty when it must succeed.
    fn ctor_errors(ctor: &Self::Ctor) -> Vec<Error>;
    /// Decodes a setter call for a processor of `channels` channels.
    fn call(input: &mut Input, channels: usize) -> Self::Call;
    /// Makes the call.
    fn apply(proc: &mut Self::Proc, call: &Self::Call) -> lanedsp::Result<()>;
    /// The errors the call may return (empty when it must succeed).
    fn call_errors(call: &Self::Call, channels: usize) -> Vec<Error>;
    /// The processor moved to `isa` (`with_isa`).
    fn with_isa(proc: Self::Proc, isa: Isa) -> lanedsp::Result<Self::Proc>;
    /// Every state word of every channel.
    fn state(proc: &Self::Proc) -> Vec<f32>;
    /// Checks the processor's accessors against its constructor arguments.
    fn check_accessors(proc: &Self::Proc, ctor: &Self::Ctor);
}

/// `a` and `b` are the same error, comparing floats by bits (so a NaN
/// argument reported back is recognised).
pub fn same_error(a: &Error, b: &Error) -> bool {
    match (a, b) {
        (Error::SampleRate(x), Error::SampleRate(y)) => x.to_bits() == y.to_bits(),
        (
            Error::Time { name, value },
            Error::Time {
                name: name2,
                value: value2,
            },
        ) => name == name2 && value.to_bits() == value2.to_bits(),
        _ => a == b,
    }
}

/// Checks `result` against the errors `allowed` (none: must be `Ok`); the
/// error's message must render. Returns whether the call succeeded.
pub fn check_result(
    what: &dyn Fn() -> String,
    result: &lanedsp::Result<()>,
    allowed: &[Error],
) -> bool {
    match result {
        Ok(()) if allowed.is_empty() => true,
        Ok(()) => panic!("{}: accepted, expected one of {allowed:?}", what()),
        Err(e) if allowed.is_empty() => panic!("{}: valid call refused with {e:?}", what()),
        Err(e) => {
            assert!(
                allowed.iter().any(|a| same_error(a, e)),
                "{}: refused with {e:?}, expected one of {allowed:?}",
                what()
            );
            assert!(!e.to_string().is_empty(), "{}: empty message", what());
            false
        }
    }
}

/// Valid buffers for `channels` channels: `frames` frames of a few raw
/// samples repeated in a pattern (cheap for thousands of channels). The
/// last block of a run, read after the bytes ran out, uses fixed values.
fn valid_block(input: &mut Input, channels: usize, last: bool) -> (Layout, Planes) {
    let layout = Layout::ALL[input.below(4)];
    let (frames, values) = if last {
        (
            5,
            vec![1.0, -0.25, f32::INFINITY, 1e-3, f32::NAN, 0.0, -3e5],
        )
    } else {
        let frames = input.below(9);
        (
            frames,
            (0..1 + input.below(8)).map(|_| input.sample()).collect(),
        )
    };
    let planes = (0..channels)
        .map(|c| {
            (0..frames)
                .map(|f| values[(c * 7 + f * 3) % values.len()])
                .collect()
        })
        .collect();
    (layout, planes)
}

/// A length other than `len`.
fn other_len(input: &mut Input, len: usize) -> usize {
    let d = 1 + input.below(3);
    if len >= d && input.byte() & 1 == 0 {
        len - d
    } else {
        len + d
    }
}

/// A channel count other than `channels` (0 included).
fn other_count(input: &mut Input, channels: usize) -> usize {
    match input.byte() % 4 {
        0 => 0,
        _ => other_len(input, channels),
    }
}

/// Planar buffers with one length defect or none; the defect's position
/// among all slices (inputs first) and its length.
fn lengths(input: &mut Input, slices: usize, frames: usize) -> Vec<usize> {
    let mut lens = vec![frames; slices];
    if slices > 0 {
        let at = input.below(slices);
        lens[at] = other_len(input, frames);
    }
    lens
}

/// The error for one length defect among planar slices of `roles[0]`
/// (`per` slices each, then of `roles[1]`): the first slice sets the
/// length, and the first slice that differs from it is named.
fn length_errors(roles: [BufferRole; 2], per: usize, lens: &[usize]) -> Vec<Error> {
    let first = lens.first().copied().unwrap_or(0);
    match lens.iter().position(|&l| l != first) {
        Some(i) => vec![Error::Shape(ShapeError::LengthMismatch {
            buffer: roles[i / per.max(1)],
            channel: Some(i % per.max(1)),
            expected: first,
            got: lens[i],
        })],
        None => Vec::new(),
    }
}

/// Slices of the given lengths, packed in one allocation (cheap for
/// thousands of channels).
#[derive(Clone)]
struct Slab {
    data: Vec<f32>,
    lens: Vec<usize>,
}

impl Slab {
    fn canaries(lens: &[usize]) -> Slab {
        Slab {
            data: vec![CANARY; lens.iter().sum()],
            lens: lens.to_vec(),
        }
    }

    fn pattern(lens: &[usize], seed: f32) -> Slab {
        let data = lens
            .iter()
            .enumerate()
            .flat_map(|(c, &l)| (0..l).map(move |f| seed + (c * 31 + f) as f32))
            .collect();
        Slab {
            data,
            lens: lens.to_vec(),
        }
    }

    fn slices(&self) -> Vec<&[f32]> {
        let mut rest = &self.data[..];
        self.lens
            .iter()
            .map(|&l| {
                let (head, tail) = rest.split_at(l);
                rest = tail;
                head
            })
            .collect()
    }

    fn slices_mut(&mut self) -> Vec<&mut [f32]> {
        let mut rest = &mut self.data[..];
        self.lens
            .iter()
            .map(|&l| {
                let (head, tail) = core::mem::take(&mut rest).split_at_mut(l);
                rest = tail;
                head
            })
            .collect()
    }

    fn same(&self, other: &Slab) -> bool {
        same_bits(&self.data, &other.data)
    }
}

/// Processes buffers with exactly one shape defect; checks the typed error
/// and that nothing was written. Returns a description of the call.
fn bad_shape(input: &mut Input, proc: &mut impl Processor) -> String {
    let channels = proc.channels();
    let frames = input.below(9);
    let kind = input.byte();
    let seed = input.sample();
    let mismatch = |got| {
        vec![Error::Shape(ShapeError::ChannelMismatch {
            expected: channels,
            got,
        })]
    };
    let partial = |len| vec![Error::Shape(ShapeError::PartialFrame { len, channels })];
    // Interleaved lengths that are not whole frames (needs 2+ channels).
    let part_len = channels * frames + 1 + input.below(channels.max(2) - 1);
    let (what, result, allowed, intact) = match (kind % 9, channels) {
        (k @ 0..=2, _) => {
            // Planar: wrong input count, wrong output count, or one length.
            let (n_in, n_out, lens, allowed) = match k {
                0 => {
                    let n = other_count(input, channels);
                    (n, channels, vec![frames; n + channels], mismatch(n))
                }
                1 => {
                    let n = other_count(input, channels);
                    (channels, n, vec![frames; n + channels], mismatch(n))
                }
                _ => {
                    let lens = lengths(input, 2 * channels, frames);
                    let roles = [BufferRole::Input, BufferRole::Output];
                    let allowed = length_errors(roles, channels, &lens);
                    (channels, channels, lens, allowed)
                }
            };
            let ins = Slab::pattern(&lens[..n_in], seed);
            let mut outs = Slab::canaries(&lens[n_in..]);
            let before = outs.clone();
            let result = proc.process_planar(&ins.slices(), &mut outs.slices_mut());
            let what = format!("planar, {n_in} inputs, {n_out} outputs, lengths {lens:?}");
            (what, result, allowed, outs.same(&before))
        }
        (k @ 3..=4, _) => {
            // A length defect needs two channels; one channel gets a count.
            let (lens, allowed) = if k == 3 || channels == 1 {
                let n = other_count(input, channels);
                (vec![frames; n], mismatch(n))
            } else {
                let lens = lengths(input, channels, frames);
                let roles = [BufferRole::InPlace; 2];
                let allowed = length_errors(roles, channels, &lens);
                (lens, allowed)
            };
            let mut bufs = Slab::pattern(&lens, seed);
            let before = bufs.clone();
            let result = proc.process_planar_in_place(&mut bufs.slices_mut());
            let what = format!("planar in place, lengths {lens:?}");
            (what, result, allowed, bufs.same(&before))
        }
        (5 | 6, 1) | (5, _) => {
            // Interleaved, output a whole number of frames longer or shorter.
            let len = channels * frames;
            let out_len = if frames > 0 && input.byte() & 1 == 0 {
                len - channels
            } else {
                len + channels * (1 + input.below(2))
            };
            let ins = Slab::pattern(&[len], seed);
            let mut out = Slab::canaries(&[out_len]);
            let result = proc.process_interleaved(&ins.data, &mut out.data);
            let allowed = vec![Error::Shape(ShapeError::LengthMismatch {
                buffer: BufferRole::Output,
                channel: None,
                expected: len,
                got: out_len,
            })];
            let what = format!("interleaved, {len} in, {out_len} out");
            (what, result, allowed, out.same(&Slab::canaries(&[out_len])))
        }
        (6, _) => {
            let ins = Slab::pattern(&[part_len], seed);
            let mut out = Slab::canaries(&[part_len]);
            let result = proc.process_interleaved(&ins.data, &mut out.data);
            let what = format!("interleaved, {part_len} samples");
            let intact = out.same(&Slab::canaries(&[part_len]));
            (what, result, partial(part_len), intact)
        }
        (_, 1) => {
            // One channel: every length is whole frames; use a wrong count.
            let n = other_count(input, 1);
            let mut bufs = Slab::pattern(&vec![frames; n], seed);
            let before = bufs.clone();
            let result = proc.process_planar_in_place(&mut bufs.slices_mut());
            let what = format!("planar in place, {n} channels");
            (what, result, mismatch(n), bufs.same(&before))
        }
        _ => {
            let mut buf = Slab::pattern(&[part_len], seed);
            let before = buf.clone();
            let result = proc.process_interleaved_in_place(&mut buf.data);
            let what = format!("interleaved in place, {part_len} samples");
            let intact = buf.same(&before);
            (what, result, partial(part_len), intact)
        }
    };
    let what = format!("{what} for {channels} channels");
    assert!(
        result.is_err(),
        "{what}: accepted, expected one of {allowed:?}"
    );
    check_result(&|| what.clone(), &result, &allowed);
    assert!(intact, "{what}: refused, but buffers were written");
    what
}

/// One step of [`api`], for failure messages.
enum Step<C: ApiCase> {
    Call(C::Call, bool),
    BadShape(String),
    Block(Layout, usize),
    Reset,
    Isa(Isa, bool),
    Accessors,
}

impl<C: ApiCase> Debug for Step<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Call(call, ok) => write!(f, "{call:?} -> {}", if *ok { "ok" } else { "refused" }),
            Step::BadShape(what) => write!(f, "bad shape: {what}"),
            Step::Block(layout, frames) => write!(f, "{layout:?} block of {frames} frames"),
            Step::Reset => write!(f, "reset"),
            Step::Isa(isa, ok) => write!(
                f,
                "with_isa({isa}) -> {}",
                if *ok { "ok" } else { "refused" }
            ),
            Step::Accessors => write!(f, "accessors"),
        }
    }
}

/// A short block of fixed values (rising, falling, non-finite) that moves
/// every parameter's effect into the output, in a layout read from `input`.
fn probe_block(input: &mut Input, channels: usize) -> (Layout, Planes) {
    let values = [1.0, -0.25, f32::INFINITY, 1e-3, f32::NAN, 0.0, -3e5];
    let planes = (0..channels)
        .map(|c| (0..3).map(|f| values[(c + 2 * f) % values.len()]).collect())
        .collect();
    (Layout::ALL[input.below(4)], planes)
}

/// Runs `block` through the processor (in `layout`) and its twin
/// (interleaved); outputs and states must be equal in bits.
fn twins_agree<C: ApiCase>(
    proc: &mut C::Proc,
    twin: &mut C::Proc,
    layout: Layout,
    block: &Planes,
    context: &dyn Fn() -> String,
) {
    let got = buffers::run(proc, layout, Alloc::Packed, block);
    let want = buffers::run(twin, Layout::Interleaved, Alloc::Packed, block);
    for (c, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            same_bits(g, w),
            "{}: channel {c} differs from the twin's: {g:?} vs {w:?}",
            context()
        );
    }
    assert!(
        same_bits(&C::state(proc), &C::state(twin)),
        "{}: state differs from the twin's",
        context()
    );
}

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Runs the API calls `data` encodes; panics on any broken promise.
pub fn api<C: ApiCase>(data: &[u8]) {
    let mut input = Input::new(data);
    let ctor = C::ctor(&mut input);
    let result = C::construct(&ctor);
    let errors = C::ctor_errors(&ctor);
    let ctor_what = || format!("[{}] constructor {ctor:?}", C::NAME);
    let mut proc = match result {
        Ok(p) => {
            assert!(
                errors.is_empty(),
                "{}: accepted, expected one of {errors:?}",
                ctor_what()
            );
            p
        }
        Err(e) => {
            check_result(&ctor_what, &Err(e), &errors);
            return;
        }
    };
    // The twin sees only the calls that succeed, and runs on the scalar ISA.
    let mut twin = C::with_isa(C::construct(&ctor).expect("accepted once"), Isa::Scalar)
        .expect("scalar is always available");
    let channels = proc.channels();
    let mut steps: Vec<Step<C>> = Vec::new();
    let context =
        |steps: &[Step<C>]| format!("[{}] constructor {ctor:?}, steps {steps:#?}", C::NAME);

    let mut done = false;
    while !done {
        done = input.is_empty() || steps.len() >= MAX_STEPS;
        let op = if done { 5 } else { input.byte() % 10 };
        match op {
            0..=3 => {
                let call = C::call(&mut input, channels);
                let allowed = C::call_errors(&call, channels);
                let state = C::state(&proc);
                let result = C::apply(&mut proc, &call);
                let ok = check_result(
                    &|| format!("{} then {call:?}", context(&steps)),
                    &result,
                    &allowed,
                );
                if ok {
                    C::apply(&mut twin, &call).expect("the same call succeeded");
                }
                steps.push(Step::Call(call, ok));
                if !ok {
                    assert!(
                        same_bits(&state, &C::state(&proc)),
                        "{}: the refused call moved the state",
                        context(&steps)
                    );
                    // Before a later call can hide a half-applied change.
                    let (layout, block) = probe_block(&mut input, channels);
                    twins_agree::<C>(&mut proc, &mut twin, layout, &block, &|| context(&steps));
                }
            }
            4 => {
                let state = C::state(&proc);
                let what = bad_shape(&mut input, &mut proc);
                steps.push(Step::BadShape(what));
                assert!(
                    same_bits(&state, &C::state(&proc)),
                    "{}: the refused buffers moved the state",
                    context(&steps)
                );
                let (layout, block) = probe_block(&mut input, channels);
                twins_agree::<C>(&mut proc, &mut twin, layout, &block, &|| context(&steps));
            }
            5 => {
                let (layout, block) = valid_block(&mut input, channels, done);
                steps.push(Step::Block(layout, block[0].len()));
                twins_agree::<C>(&mut proc, &mut twin, layout, &block, &|| context(&steps));
            }
            6 => {
                proc.reset();
                twin.reset();
                steps.push(Step::Reset);
            }
            7 | 8 => {
                let isa = Isa::ALL[input.below(Isa::ALL.len())];
                let moved = C::with_isa(proc.clone(), isa);
                let allowed = if isa.is_available() {
                    vec![]
                } else {
                    vec![Error::Isa(lanedsp_kernels::IsaUnavailable(isa))]
                };
                let what = || format!("{} then with_isa({isa})", context(&steps));
                let ok = check_result(
                    &what,
                    &moved.as_ref().map(|_| ()).map_err(Clone::clone),
                    &allowed,
                );
                if let Ok(p) = moved {
                    assert_eq!(p.isa(), isa, "{}", what());
                    assert!(
                        same_bits(&C::state(&p), &C::state(&proc)),
                        "{}: state lost",
                        what()
                    );
                    proc = p;
                }
                steps.push(Step::Isa(isa, ok));
            }
            _ => {
                C::check_accessors(&proc, &ctor);
                assert_eq!(proc.channels(), channels);
                steps.push(Step::Accessors);
            }
        }
    }
}
