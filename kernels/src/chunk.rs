//! Chunks in lanes: a long call of few channels split along time so that
//! its chunks fill the lanes, exact by speculation and repair
//! (docs/design.md, "Chunks in lanes").
//!
//! Chunk `k` of each channel runs in a slot of its own from the call's
//! incoming state, over a warm-up of `W` frames before the chunk and then
//! the chunk's `L` frames, with every other chunk in the lanes beside it
//! ([`Plan::repeated`]). Its state is kept at checkpoints (the chunk's
//! start, then every [`CHECKPOINT_FRAMES`] frames). Then, chunk by chunk in
//! order, the repair runs the sequential recurrence from the true state at
//! the chunk's start until the true state equals the speculative one at a
//! checkpoint, every word bit for bit; from there the speculative output is
//! the sequential output, because the recurrence is deterministic. A chunk
//! that never meets is recomputed in full. Frames after the last chunk run
//! sequentially. The output and the final state are those of one
//! sequential run, to the bit.
//!
//! A chunked call allocates its scratch (the chunks' samples, the copied
//! banks, the checkpoints); [`Chunking::Auto`] chunks only calls of at
//! least [`CHUNK_MIN_FRAMES`] frames, never real-time blocks.

use crate::bank::Bank;
use crate::drive::{gather, scatter};
use crate::engine::Engine;
use crate::isa::Isa;
use crate::kernel::LaneKernel;
use crate::layout::{Buffers, Key, ShapeError};
use crate::plan::Plan;
use crate::route::Route;
use crate::tuning::{CHECKPOINT_FRAMES, CHUNK_MIN_FRAMES, CHUNK_MIN_GAIN, WARMUP_TIME_CONSTANTS};
use core::fmt;

/// Whether a call may be split into chunks in lanes. The output is the
/// same bits in every case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Chunking {
    /// Chunk when the call's channels leave lanes free and its frames are
    /// long enough to pay for the warm-ups (the rules and constants in
    /// [`crate::tuning`]).
    #[default]
    Auto,
    /// Never chunk.
    Off,
    /// Split every call that holds at least `warmup + chunks` frames into
    /// `chunks` chunks per channel with `warmup` frames of warm-up (tests
    /// and benchmarks).
    Forced {
        /// Chunks per channel (at least 2, or the call stays whole).
        chunks: usize,
        /// Warm-up frames before each chunk but the first.
        warmup: usize,
    },
}

/// Why a call ran as it did ([`Execution::reason`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Chunked by [`Chunking::Auto`]'s rule.
    Auto,
    /// Chunked as [`Chunking::Forced`] asked.
    Forced,
    /// Whole: chunking is [`Chunking::Off`].
    Off,
    /// Whole: too few frames (below [`CHUNK_MIN_FRAMES`], or than forced
    /// chunks need).
    Short,
    /// Whole: the channels leave no room for a second copy in the slots
    /// the kernel fills on this ISA ([`LaneKernel::CHUNK_SLOTS`]).
    LanesFull,
    /// Whole: interleaved channels of a kernel too cheap to pay for
    /// gathering its chunks ([`LaneKernel::CHUNK_GATHERS`]).
    Interleaved,
    /// Whole: the kernel does not bound its memory (a state that never
    /// forgets, or a kernel without [`LaneKernel::memory_frames`]).
    Memory,
    /// Whole: the warm-ups would cost more than the lanes save
    /// ([`CHUNK_MIN_GAIN`]), as with long release times.
    Warmup,
    /// Whole: the kernel does not run in chunks (block kernels).
    Kernel,
}

/// How one process call ran: whole, or in chunks with what its repair
/// cost. Processors keep their last call's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Execution {
    /// Frames of the call.
    pub frames: usize,
    /// Why it was chunked or not.
    pub reason: Reason,
    /// Chunks per channel (`1` when whole).
    pub chunks: usize,
    /// Frames per chunk (the call's frames when whole).
    pub chunk_frames: usize,
    /// Warm-up frames before each chunk but the first.
    pub warmup: usize,
    /// Frames after the last chunk, run sequentially.
    pub tail_frames: usize,
    /// Frames the repair ran sequentially, summed over chunks (of one
    /// channel group: every channel of the call runs in them).
    pub repaired_frames: usize,
    /// Chunks whose speculative state never met the sequential one, so
    /// that the repair recomputed them in full.
    pub unmet_chunks: usize,
    /// The route the call took.
    pub route: Route,
}

impl Execution {
    /// A call that ran whole, by `route`.
    pub fn whole(frames: usize, reason: Reason, route: Route) -> Execution {
        Execution {
            route,
            frames,
            reason,
            chunks: 1,
            chunk_frames: frames,
            warmup: 0,
            tail_frames: 0,
            repaired_frames: 0,
            unmet_chunks: 0,
        }
    }

    /// Whether the call ran in chunks.
    pub fn is_chunked(&self) -> bool {
        self.chunks > 1
    }
}

impl fmt::Display for Execution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.is_chunked() {
            let why = match self.reason {
                Reason::Off => "chunking off",
                Reason::Short => "too few frames to chunk",
                Reason::LanesFull => "the channels fill the lanes",
                Reason::Interleaved => "interleaved channels cost more to gather than chunks save",
                Reason::Memory => "the kernel's memory is unbounded",
                Reason::Warmup => "warm-ups would cost more than the lanes save",
                Reason::Kernel => "the kernel does not run in chunks",
                Reason::Auto | Reason::Forced => "whole",
            };
            return write!(f, "{} frames whole ({why}), {}", self.frames, self.route);
        }
        let share = self.repaired_frames as f64 / self.frames.max(1) as f64;
        write!(
            f,
            "{} frames in {} chunks of {} ({}), warm-up {}, tail {}; repaired {} frames ({:.3}%), {} chunks recomputed",
            self.frames,
            self.chunks,
            self.chunk_frames,
            if self.reason == Reason::Forced {
                "forced"
            } else {
                "auto"
            },
            self.warmup,
            self.tail_frames,
            self.repaired_frames,
            100.0 * share,
            self.unmet_chunks
        )
    }
}

/// A decided split: `chunks` chunks of `len` frames per channel, each but
/// the first after `warmup` frames of warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Split {
    chunks: usize,
    warmup: usize,
    len: usize,
}

/// Decides how a call of `frames` frames of kernel `K` over `plan` runs on
/// `isa` under `chunking`. Never allocates.
pub(crate) fn decide<K: LaneKernel>(
    chunking: Chunking,
    isa: Isa,
    plan: &Plan,
    params: &Bank,
    buffers: &Buffers<'_, '_, '_>,
    frames: usize,
) -> Result<(Split, Reason), Reason> {
    let (chunks, warmup, reason) = match chunking {
        Chunking::Off => return Err(Reason::Off),
        Chunking::Forced { chunks, warmup } => (chunks, warmup, Reason::Forced),
        Chunking::Auto => {
            if frames < CHUNK_MIN_FRAMES {
                return Err(Reason::Short);
            }
            let copies = K::CHUNK_SLOTS.get(isa) / plan.period();
            if copies < 2 {
                return Err(Reason::LanesFull);
            }
            let interleaved = matches!(
                buffers,
                Buffers::Interleaved { .. } | Buffers::InterleavedInPlace { .. }
            );
            if interleaved && plan.channels() > 1 && !K::CHUNK_GATHERS {
                return Err(Reason::Interleaved);
            }
            let mut tau = 0.0f64;
            for c in 0..plan.channels() {
                tau = tau.max(K::memory_frames(params, plan.slot(c)).ok_or(Reason::Memory)?);
            }
            let warmup = (WARMUP_TIME_CONSTANTS * tau).ceil();
            if warmup >= frames as f64 {
                return Err(Reason::Warmup);
            }
            let warmup = warmup as usize;
            let len = (frames - warmup) / copies;
            if (frames as f64) < CHUNK_MIN_GAIN * (warmup + len) as f64 {
                return Err(Reason::Warmup);
            }
            (copies, warmup, Reason::Auto)
        }
    };
    if chunks < 2 || frames < warmup.saturating_add(chunks) {
        return Err(Reason::Short);
    }
    let len = (frames - warmup) / chunks;
    Ok((
        Split {
            chunks,
            warmup,
            len,
        },
        reason,
    ))
}

/// Copies every row of `from`'s column `a` into `to`'s column `b`.
fn copy_column(from: &Bank, a: usize, to: &mut Bank, b: usize) {
    for w in 0..from.words() {
        to.row_mut(w)[b] = from.row(w)[a];
    }
}

/// Rows of `K`'s state but its running minima.
fn compared_rows<K: LaneKernel>(words: usize) -> impl Iterator<Item = usize> {
    (0..words).filter(|w| !K::RUNNING_MIN_ROWS.contains(w))
}

/// Copies column `a` of `from` into column `b` of `to`, every row but the
/// running minima of `K`.
fn copy_state<K: LaneKernel>(from: &Bank, a: usize, to: &mut Bank, b: usize) {
    for w in compared_rows::<K>(from.words()) {
        to.row_mut(w)[b] = from.row(w)[a];
    }
}

/// Whether columns `a` of `x` and `b` of `y` hold the same bits in every
/// row but the running minima of `K`.
fn same_state<K: LaneKernel>(x: &Bank, a: usize, y: &Bank, b: usize) -> bool {
    compared_rows::<K>(x.words()).all(|w| x.row(w)[a].to_bits() == y.row(w)[b].to_bits())
}

/// Folds the running minima of `y`'s column `b` (kept over a later stretch)
/// into `x`'s column `a`, as the kernel's own `min(value, row)` would have
/// over both stretches in order.
fn fold_minima<K: LaneKernel>(x: &mut Bank, a: usize, y: &Bank, b: usize) {
    for &w in K::RUNNING_MIN_ROWS {
        let (later, earlier) = (y.row(w)[b], x.row(w)[a]);
        x.row_mut(w)[a] = if later < earlier { later } else { earlier };
    }
}

/// Copies frames `from..from + out.len()` of input channel `c` into `out`.
fn read_input(
    buffers: &Buffers<'_, '_, '_>,
    channels: usize,
    c: usize,
    from: usize,
    out: &mut [f32],
) {
    let n = out.len();
    match buffers {
        Buffers::Planar { input, .. } => out.copy_from_slice(&input[c][from..from + n]),
        Buffers::PlanarInPlace { bufs } => out.copy_from_slice(&bufs[c][from..from + n]),
        Buffers::Interleaved { input, .. } => gather(input, channels, c, from, out),
        Buffers::InterleavedInPlace { buf } => gather(buf, channels, c, from, out),
    }
}

/// Copies frames `from..from + out.len()` of key channel `c` into `out`.
fn read_key(key: &Key<'_, '_>, channels: usize, c: usize, from: usize, out: &mut [f32]) {
    match key {
        Key::Planar(planes) => out.copy_from_slice(&planes[c][from..from + out.len()]),
        Key::PlanarMut(planes) => out.copy_from_slice(&planes[c][from..from + out.len()]),
        Key::Interleaved(frames) => gather(frames, channels, c, from, out),
    }
}

/// Writes `data` to frames `from..from + data.len()` of output channel `c`.
fn write_output(
    buffers: &mut Buffers<'_, '_, '_>,
    channels: usize,
    c: usize,
    from: usize,
    data: &[f32],
) {
    let n = data.len();
    match buffers {
        Buffers::Planar { output, .. } => output[c][from..from + n].copy_from_slice(data),
        Buffers::PlanarInPlace { bufs } => bufs[c][from..from + n].copy_from_slice(data),
        Buffers::Interleaved { output: frames, .. }
        | Buffers::InterleavedInPlace { buf: frames } => scatter(frames, channels, c, from, data),
    }
}

/// Memory a processor keeps for its chunked calls, so that a call after
/// the first allocates only small vectors: the tile of the chunks' current
/// stretch, a copy of in-place input, the checkpoints.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    input: Vec<f32>,
    tile: Vec<f32>,
    keys: Vec<f32>,
    checkpoints: Vec<Bank>,
}

/// `chunks` disjoint pieces of `n <= len` samples of `out`, piece `k` at
/// `k * len + t0`.
fn pieces(out: &mut [f32], len: usize, t0: usize, n: usize, chunks: usize) -> Vec<&mut [f32]> {
    let mut rest = out;
    let mut at = 0;
    let mut all = Vec::with_capacity(chunks);
    for k in 0..chunks {
        let (_, tail) = core::mem::take(&mut rest).split_at_mut(k * len + t0 - at);
        let (piece, tail) = tail.split_at_mut(n);
        all.push(piece);
        rest = tail;
        at = k * len + t0 + n;
    }
    all
}

/// Runs `K` over frames `a..b` of the caller's (separate) buffers and key.
#[allow(clippy::too_many_arguments)]
fn run_range<K: LaneKernel>(
    engine: &Engine,
    plan: &Plan,
    params: &Bank,
    state: &mut Bank,
    buffers: &mut Buffers<'_, '_, '_>,
    key: Option<&Key<'_, '_>>,
    (a, b): (usize, usize),
) -> Result<(), ShapeError> {
    if a == b {
        return Ok(());
    }
    let ch = plan.channels();
    let key_planes: Option<Vec<&[f32]>> = match key {
        Some(&k) if k.is_planar() => Some(
            (0..ch)
                .filter_map(|c| k.plane(c))
                .map(|p| &p[a..b])
                .collect(),
        ),
        _ => None,
    };
    let key = match key {
        Some(Key::Planar(_) | Key::PlanarMut(_)) => key_planes.as_deref().map(Key::Planar),
        Some(Key::Interleaved(frames)) => Some(Key::Interleaved(&frames[a * ch..b * ch])),
        None => None,
    };
    match buffers {
        Buffers::Planar { input, output } => {
            let ins: Vec<&[f32]> = input.iter().map(|p| &p[a..b]).collect();
            let mut outs: Vec<&mut [f32]> = output.iter_mut().map(|p| &mut p[a..b]).collect();
            let part = Buffers::Planar {
                input: &ins,
                output: &mut outs,
            };
            engine.run::<K>(plan, params, state, part, key)
        }
        Buffers::Interleaved { input, output } => {
            let part = Buffers::Interleaved {
                input: &input[a * ch..b * ch],
                output: &mut output[a * ch..b * ch],
            };
            engine.run::<K>(plan, params, state, part, key)
        }
        // `run` hands separate buffers only.
        Buffers::PlanarInPlace { .. } | Buffers::InterleavedInPlace { .. } => Ok(()),
    }
}

/// Runs a call of `frames` frames as `split` decided (see the module
/// documentation). `engine` must not chunk; the shapes are checked.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<K: LaneKernel>(
    engine: &Engine,
    plan: &Plan,
    params: &Bank,
    state: &mut Bank,
    buffers: Buffers<'_, '_, '_>,
    key: Option<Key<'_, '_>>,
    (frames, split, reason): (usize, Split, Reason),
    scratch: &mut Scratch,
) -> Result<Execution, ShapeError> {
    let Scratch {
        input: copy,
        tile,
        keys,
        checkpoints,
    } = scratch;
    let call = (frames, split, reason);
    let spare = (tile, keys, checkpoints);
    let key = key.as_ref();
    // In-place calls read a copy of their input: the repair reads input
    // that the speculative output has overwritten.
    copy.clear();
    match buffers {
        Buffers::PlanarInPlace { bufs } => {
            bufs.iter().for_each(|p| copy.extend_from_slice(p));
            let ins: Vec<&[f32]> = copy.chunks_exact(frames).collect();
            let separate = Buffers::Planar {
                input: &ins,
                output: bufs,
            };
            speculate_and_repair::<K>(engine, plan, params, state, separate, key, call, spare)
        }
        Buffers::InterleavedInPlace { buf } => {
            copy.extend_from_slice(buf);
            let separate = Buffers::Interleaved {
                input: copy,
                output: buf,
            };
            speculate_and_repair::<K>(engine, plan, params, state, separate, key, call, spare)
        }
        separate => {
            speculate_and_repair::<K>(engine, plan, params, state, separate, key, call, spare)
        }
    }
}

/// [`run`] on separate input and output buffers.
#[allow(clippy::too_many_arguments)]
fn speculate_and_repair<K: LaneKernel>(
    engine: &Engine,
    plan: &Plan,
    params: &Bank,
    state: &mut Bank,
    mut buffers: Buffers<'_, '_, '_>,
    key: Option<&Key<'_, '_>>,
    (frames, split, reason): (usize, Split, Reason),
    (tile, keys, checkpoints): (&mut Vec<f32>, &mut Vec<f32>, &mut Vec<Bank>),
) -> Result<Execution, ShapeError> {
    let Split {
        chunks,
        warmup,
        len,
    } = split;
    let channels = plan.channels();
    let span = warmup + len;
    let period = plan.period();

    // The copies' banks: copy `k` of a slot is slot `k * period + slot`;
    // the padding after the last copy takes a padding slot's parameters
    // (or a channel's), which reach no output.
    let vplan = plan.repeated(chunks);
    let filler = (0..plan.slots())
        .find(|&s| plan.channel(s).is_none() && plan.block(s) == 1)
        .unwrap_or_else(|| plan.slot(0));
    let mut vparams = Bank::new(params.words(), vplan.slots());
    let mut vstate = Bank::new(state.words(), vplan.slots());
    for v in 0..vplan.slots() {
        let s = if v < chunks * period {
            v % period
        } else {
            filler
        };
        copy_column(params, s, &mut vparams, v);
        copy_column(state, s, &mut vstate, v);
    }

    // Speculation in lockstep: slot copy `k` at time `t` is at frame
    // `k * len + t`. Each stretch of at most CHECKPOINT_FRAMES frames is
    // gathered into a tile (plane `k * channels + c`), run in the lanes,
    // and its output written out, but for the warm-ups of chunks 1 on
    // (chunk `k - 1` writes those frames later). The state is kept at the
    // end of the warm-up and after every stretch from there.
    // At most a chunk, so that the chunks' stretches never overlap.
    let stride = CHECKPOINT_FRAMES.min(len);
    let planes = chunks * channels;
    tile.resize(planes * stride, 0.0);
    keys.resize(if key.is_some() { planes * stride } else { 0 }, 0.0);
    let mut times = Vec::new();
    let mut kept = 0;
    let mut keep = |vstate: &mut Bank, t: usize, times: &mut Vec<usize>| {
        match checkpoints.get_mut(kept) {
            Some(bank) => bank.clone_from(vstate),
            None => checkpoints.push(vstate.clone()),
        }
        kept += 1;
        times.push(t);
        for &w in K::RUNNING_MIN_ROWS {
            vstate.row_mut(w).fill(f32::INFINITY);
        }
    };
    if warmup == 0 {
        keep(&mut vstate, 0, &mut times);
    }
    let mut t0 = 0;
    while t0 < span {
        let t1 = if t0 < warmup {
            warmup.min(t0 + stride)
        } else {
            span.min(t0 + stride)
        };
        let n = t1 - t0;
        if let Some(key) = key {
            for p in 0..planes {
                let (k, c) = (p / channels, p % channels);
                read_key(key, channels, c, k * len + t0, &mut keys[p * stride..][..n]);
            }
        }
        let key_bufs: Option<Vec<&[f32]>> =
            key.map(|_| keys.chunks_exact(stride).map(|p| &p[..n]).collect());
        let key_part = key_bufs.as_deref().map(Key::Planar);
        let (vplan, vparams) = (&vplan, &vparams);
        match &mut buffers {
            // Every chunk's stretch is a slice of the caller's buffers: the
            // lanes read and write them there. A warm-up writes frames of
            // the chunk before it, which that chunk overwrites later.
            Buffers::Planar { input, output } => {
                let ins: Vec<&[f32]> = (0..planes)
                    .map(|p| &input[p % channels][(p / channels) * len + t0..][..n])
                    .collect();
                let mut outs: Vec<Vec<&mut [f32]>> = output
                    .iter_mut()
                    .map(|out| pieces(out, len, t0, n, chunks))
                    .collect();
                let mut outs: Vec<&mut [f32]> = (0..planes)
                    .map(|p| core::mem::take(&mut outs[p % channels][p / channels]))
                    .collect();
                let part = Buffers::Planar {
                    input: &ins,
                    output: &mut outs,
                };
                engine.run::<K>(vplan, vparams, &mut vstate, part, key_part)?;
            }
            Buffers::Interleaved { input, output } if channels == 1 => {
                let ins: Vec<&[f32]> = (0..chunks).map(|k| &input[k * len + t0..][..n]).collect();
                let mut outs = pieces(output, len, t0, n, chunks);
                let part = Buffers::Planar {
                    input: &ins,
                    output: &mut outs,
                };
                engine.run::<K>(vplan, vparams, &mut vstate, part, key_part)?;
            }
            // Interleaved channels: through the tile.
            _ => {
                for p in 0..planes {
                    let (k, c) = (p / channels, p % channels);
                    let to = &mut tile[p * stride..][..n];
                    read_input(&buffers, channels, c, k * len + t0, to);
                }
                let mut bufs: Vec<&mut [f32]> =
                    tile.chunks_exact_mut(stride).map(|p| &mut p[..n]).collect();
                let part = Buffers::PlanarInPlace { bufs: &mut bufs };
                engine.run::<K>(vplan, vparams, &mut vstate, part, key_part)?;
                for p in 0..planes {
                    let (k, c) = (p / channels, p % channels);
                    let from = if k == 0 { t0 } else { t0.max(warmup) };
                    if from < t1 {
                        let out = &tile[p * stride + from - t0..][..t1 - from];
                        write_output(&mut buffers, channels, c, k * len + from, out);
                    }
                }
            }
        }
        if t1 >= warmup {
            keep(&mut vstate, t1, &mut times);
        }
        t0 = t1;
    }
    let checkpoints = &checkpoints[..kept];

    // Repair, chunk by chunk: `truth` holds the sequential state.
    let mut truth = state.clone();
    let mut repaired = 0;
    let mut unmet = 0;
    let last = kept - 1;
    for k in 0..chunks {
        let base = k * period;
        let slot = |c: usize| plan.slot(c);
        let met = if k == 0 {
            // Chunk 0 ran from the incoming state: true at its first
            // checkpoint (the minima restart after it).
            for c in 0..channels {
                copy_column(&checkpoints[0], base + slot(c), &mut truth, slot(c));
            }
            Some(0)
        } else {
            let mut met = None;
            for i in 0..kept {
                let same = (0..channels)
                    .all(|c| same_state::<K>(&truth, slot(c), &checkpoints[i], base + slot(c)));
                if same {
                    met = Some(i);
                    break;
                }
                if i == last {
                    break;
                }
                // The next stretch sequentially from the true state.
                let range = (k * len + times[i], k * len + times[i + 1]);
                run_range::<K>(engine, plan, params, &mut truth, &mut buffers, key, range)?;
                repaired += range.1 - range.0;
            }
            met
        };
        match met {
            Some(i) => {
                for c in 0..channels {
                    for later in &checkpoints[i + 1..] {
                        fold_minima::<K>(&mut truth, slot(c), later, base + slot(c));
                    }
                    copy_state::<K>(&checkpoints[last], base + slot(c), &mut truth, slot(c));
                }
            }
            None => unmet += 1,
        }
    }

    // The frames after the last chunk, sequentially.
    let done = warmup + chunks * len;
    run_range::<K>(
        engine,
        plan,
        params,
        &mut truth,
        &mut buffers,
        key,
        (done, frames),
    )?;
    for c in 0..channels {
        copy_column(&truth, plan.slot(c), state, plan.slot(c));
    }
    Ok(Execution {
        frames,
        reason,
        chunks,
        chunk_frames: len,
        warmup,
        tail_frames: frames - done,
        repaired_frames: repaired,
        unmet_chunks: unmet,
        route: Route::Chunks,
    })
}
