//! Every kernel on every ISA against its scalar reference, `to_bits` equal.
//!
//! Test names carry the ISA (`envelope::avx512::matrix`); ISAs this CPU
//! lacks show as ignored with the reason, and the run ends with a line
//! naming the ISAs that were actually compared, so a log from a machine
//! without AVX-512 says so.
//!
//! `LANEDSP_EXPECT_SELECTED=<isa>` makes `dispatch::selection` assert what
//! the dispatcher chose (used by the emulated-CPU runs in `.ci/cross-test`).

mod common;

use common::cases::{KernelCase, every_case};
use common::{Layout, Planes, concat, first_difference, planes, rng, slice};
use lanedsp::{Chunking, Isa, Processor};
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use rand::RngExt;
use std::sync::atomic::{AtomicU32, Ordering};

/// How much of the matrix to run (`LANEDSP_TEST_MATRIX`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Matrix {
    /// Everything (the default).
    Full,
    /// `reduced`: fewer channel counts and split streams (still every
    /// kernel, ISA, layout, edge length, split and hostile input, every
    /// count up to 17 and so every lane-width boundary). The emulated NEON
    /// run of `.ci/cross-test` uses it: the full matrix emulated takes
    /// minutes (docs/testing.md).
    Reduced,
    /// `smoke`: each kernel's every path once (one register, a partial
    /// register, several groups; every layout; a split stream; hostile
    /// input). The emulated x86-64 runs of `.ci/cross-test` use it: they
    /// prove what dispatch selects on an older CPU and that the selected
    /// body runs there; the bodies themselves are compared natively.
    Smoke,
}

fn matrix_size() -> Matrix {
    match std::env::var("LANEDSP_TEST_MATRIX").as_deref() {
        Ok("reduced") => Matrix::Reduced,
        Ok("smoke") => Matrix::Smoke,
        _ => Matrix::Full,
    }
}

/// Channel counts: every count up to 40, then past the widest register
/// with and without a remainder, and many groups.
fn channel_counts() -> Vec<usize> {
    match matrix_size() {
        // Every count of one 16-slot group (so every remainder and every
        // register count within a group on every ISA), then several groups.
        Matrix::Reduced => (1..=17).chain([31, 33, 40, 64, 67]).collect(),
        // One lane, a partial and a whole register on every ISA, a
        // remainder past one AVX-512 register, several groups.
        Matrix::Smoke => vec![1, 3, 8, 9, 16, 17, 33],
        Matrix::Full => (1..=40).chain([64, 67, 256]).collect(),
    }
}

fn lengths() -> &'static [usize] {
    match matrix_size() {
        Matrix::Smoke => &[0, 7, 1000],
        _ => &[0, 1, 7, 64, 1000, 4096],
    }
}

/// Bit `isa as u32` set once a comparison ran on that ISA.
static COMPARED: AtomicU32 = AtomicU32::new(0);

fn mark(isa: Isa) {
    COMPARED.fetch_or(1 << isa as u32, Ordering::Relaxed);
}

/// Compares `got` with `want`; a failure names the first differing sample
/// and the input sample at that place.
fn check(
    what: impl Fn() -> String,
    input: &Planes,
    got: &Planes,
    want: &Planes,
) -> Result<(), Failed> {
    match first_difference(got, want) {
        None => Ok(()),
        Some(diff) => {
            let at = got.iter().zip(want).enumerate().find_map(|(c, (g, w))| {
                let f = g
                    .iter()
                    .zip(w)
                    .position(|(g, w)| g.to_bits() != w.to_bits())?;
                let x = *input.get(c)?.get(f)?;
                Some(format!("; input there {x:e} ({:#010x})", x.to_bits()))
            });
            Err(format!("{}: {diff}{}", what(), at.unwrap_or_default()).into())
        }
    }
}

/// Every channel count x length x layout, random settings per channel,
/// 1% of samples hostile.
fn matrix<K: KernelCase>(isa: Isa) -> Result<(), Failed> {
    let mut rng = rng(1);
    for channels in channel_counts() {
        for &len in lengths() {
            let settings = K::settings(&mut rng, channels);
            let input = planes(&mut rng, channels, len, 0.01);
            let key = K::key(&mut rng, &input);
            let want = K::reference(&settings, &input, key.as_ref());
            for layout in Layout::ALL {
                let mut proc = K::build(isa, &settings);
                let got = K::run(&mut proc, layout, &input, key.as_ref(), false);
                check(
                    || format!("{channels} ch x {len} frames, {layout:?}, {settings:?}"),
                    &input,
                    &got,
                    &want,
                )?;
            }
        }
    }
    Ok(())
}

/// A stream cut into random blocks (lengths 0 and 1 included), each block in
/// a random layout, equals the one-shot reference; every other stream with
/// the planar blocks streaming (`with_stream_threshold(0)`).
fn splits<K: KernelCase>(isa: Isa) -> Result<(), Failed> {
    let mut rng = rng(2);
    let (counts, streams): (&[usize], usize) = match matrix_size() {
        Matrix::Smoke => (&[3, 17], 2),
        Matrix::Reduced => (&[1, 3, 16, 17, 67], 2),
        Matrix::Full => (&[1, 2, 3, 8, 15, 16, 17, 33, 67, 256], 4),
    };
    for &channels in counts {
        for stream in 0..streams {
            let len = 4096;
            let settings = K::settings(&mut rng, channels);
            let input = planes(&mut rng, channels, len, 0.01);
            let key = K::key(&mut rng, &input);
            let want = K::reference(&settings, &input, key.as_ref());
            // Every other stream takes the streaming planar path (whole
            // aligned lines, non-temporal stores) in every planar block.
            let mut proc = K::build(isa, &settings);
            if stream % 2 == 1 {
                proc = K::streaming(proc);
            }
            let mut got: Planes = vec![Vec::new(); channels];
            let mut cuts = Vec::new();
            let mut at = 0;
            while at < len {
                let block = match rng.random_range(0..4u32) {
                    0 => 0,
                    1 => 1,
                    2 => rng.random_range(2..64),
                    _ => rng.random_range(64..1500),
                }
                .min(len - at);
                let layout = Layout::ALL[rng.random_range(0..4)];
                let cross = rng.random_bool(0.5);
                let part = |p: &Planes| slice(p, at..at + block);
                let key_part = key.as_ref().map(part);
                let out = K::run(&mut proc, layout, &part(&input), key_part.as_ref(), cross);
                got = concat(&got, &out);
                cuts.push((block, layout, cross));
                at += block;
            }
            check(
                || {
                    format!(
                        "{channels} ch split as {cuts:?}, streaming {}",
                        stream % 2 == 1
                    )
                },
                &input,
                &got,
                &want,
            )?;
        }
    }
    Ok(())
}

/// Mostly hostile input: 30% edge values, plus whole blocks of NaN, of
/// infinities, and of alternating extremes.
fn hostile<K: KernelCase>(isa: Isa) -> Result<(), Failed> {
    let mut rng = rng(3);
    let counts: &[usize] = match matrix_size() {
        Matrix::Smoke => &[5, 19],
        _ => &[1, 5, 16, 19, 64],
    };
    for &channels in counts {
        let settings = K::settings(&mut rng, channels);
        let mut input = planes(&mut rng, channels, 2000, 0.3);
        for (c, ch) in input.iter_mut().enumerate() {
            let fill = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX][c % 4];
            ch[200..400].fill(fill);
            for (i, x) in ch[400..600].iter_mut().enumerate() {
                *x = if i % 2 == 0 { f32::MAX } else { -f32::MAX };
            }
            ch[600..1400].fill(0.0);
        }
        let key = K::key(&mut rng, &input);
        let want = K::reference(&settings, &input, key.as_ref());
        for layout in Layout::ALL {
            let mut proc = K::build(isa, &settings);
            let got = K::run(&mut proc, layout, &input, key.as_ref(), false);
            check(
                || format!("{channels} ch, {layout:?}, {settings:?}"),
                &input,
                &got,
                &want,
            )?;
        }
    }
    Ok(())
}

/// With the CPU flushing subnormals (x86-64 FTZ and DAZ, AArch64 FZ) set
/// around every process call, as some hosts leave it, the output is still
/// the reference's, computed without: random settings at their edges
/// (subnormal parameters included) and hostile input, in every layout.
fn flushed<K: KernelCase>(isa: Isa) -> Result<(), Failed> {
    let mut rng = rng(5);
    let (counts, rounds): (&[usize], usize) = match matrix_size() {
        Matrix::Smoke => (&[3], 1),
        Matrix::Reduced => (&[1, 17], 2),
        Matrix::Full => (&[1, 3, 9, 16, 17], 4),
    };
    for &channels in counts {
        for _ in 0..rounds {
            let settings = K::settings(&mut rng, channels);
            let input = planes(&mut rng, channels, 700, 0.2);
            let key = K::key(&mut rng, &input);
            let want = K::reference(&settings, &input, key.as_ref());
            for layout in Layout::ALL {
                let mut proc = K::build(isa, &settings);
                let (got, _) = lanedsp_kernels::with_subnormals_flushed(|| {
                    K::run(&mut proc, layout, &input, key.as_ref(), false)
                });
                check(
                    || format!("flushing subnormals: {channels} ch, {layout:?}, {settings:?}"),
                    &input,
                    &got,
                    &want,
                )?;
            }
        }
    }
    Ok(())
}

/// Both routes at every small channel count: channels in the lanes (time
/// lanes off) and one channel at a time with frames in the lanes (time
/// lanes on at any count, even 67), each against the reference, over split
/// streams in every layout with hostile input.
fn routes<K: KernelCase>(isa: Isa) -> Result<(), Failed> {
    let mut rng = rng(6);
    let counts: &[usize] = match matrix_size() {
        Matrix::Smoke => &[1, 3],
        Matrix::Reduced => &[1, 2, 3, 9, 17],
        Matrix::Full => &[1, 2, 3, 4, 5, 8, 9, 17, 67],
    };
    for &channels in counts {
        for limit in [Some(0), Some(usize::MAX)] {
            let len = 1500;
            let settings = K::settings(&mut rng, channels);
            let input = planes(&mut rng, channels, len, 0.05);
            let key = K::key(&mut rng, &input);
            let want = K::reference(&settings, &input, key.as_ref());
            let mut proc = K::time_lanes(K::build(isa, &settings), limit);
            let mut got: Planes = vec![Vec::new(); channels];
            let mut at = 0;
            while at < len {
                let block = rng.random_range(0..700).min(len - at);
                let layout = Layout::ALL[rng.random_range(0..4)];
                let part = |p: &Planes| slice(p, at..at + block);
                let key_part = key.as_ref().map(part);
                let cross = rng.random_bool(0.5);
                let out = K::run(&mut proc, layout, &part(&input), key_part.as_ref(), cross);
                got = concat(&got, &out);
                at += block;
            }
            check(
                || format!("{channels} ch, time lanes limit {limit:?}"),
                &input,
                &got,
                &want,
            )?;
        }
    }
    Ok(())
}

/// Chunks in lanes, forced at small sizes: every channel count up to 17
/// (and past a register), several chunk counts and warm-ups (none, shorter
/// and longer than a chunk), hostile values, silence and steps placed at
/// the chunk boundaries and warm-up starts, over a stream that mixes
/// chunked and whole calls in every layout, against the reference.
fn chunks<K: KernelCase>(isa: Isa) -> Result<(), Failed> {
    let mut rng = rng(7);
    let counts: Vec<usize> = match matrix_size() {
        Matrix::Smoke => vec![1, 2, 3],
        _ => (1..=17).chain([33]).collect(),
    };
    for channels in counts {
        let settings = K::settings(&mut rng, channels);
        let len = 3000;
        let mut input = planes(&mut rng, channels, len, 0.01);
        let mut probe = K::build(isa, &settings);
        if K::chunking(&mut probe, Chunking::Off).is_none() {
            return Ok(());
        }
        let blocks: [(usize, usize); 4] = [(0, 1000), (1000, 1001), (1001, 2200), (2200, 3000)];
        let chunks = rng.random_range(2..7usize);
        let warmup = [0, 1, 37, 300, 900][rng.random_range(0..5)];
        // Mark the boundaries of the chunked blocks (0 and 2) with hostile
        // values, a silence crossing, or a step.
        for &(a, b) in [blocks[0], blocks[2]].iter() {
            let l = (b - a).saturating_sub(warmup) / chunks;
            for k in 1..chunks {
                for at in [a + k * l, a + k * l + warmup] {
                    for ch in input.iter_mut() {
                        match rng.random_range(0..5u32) {
                            0 => ch[at] = f32::NAN,
                            1 => ch[at] = f32::INFINITY,
                            2 => ch[at.saturating_sub(20)..(at + 20).min(len)].fill(0.0),
                            3 => ch[at..(at + 30).min(len)].fill(0.9),
                            _ => {}
                        }
                    }
                }
            }
        }
        let key = K::key(&mut rng, &input);
        let want = K::reference(&settings, &input, key.as_ref());
        let mut proc = K::build(isa, &settings);
        let mut got: Planes = vec![Vec::new(); channels];
        for (i, &(a, b)) in blocks.iter().enumerate() {
            let chunking = if i % 2 == 0 {
                Chunking::Forced { chunks, warmup }
            } else {
                Chunking::Off
            };
            K::chunking(&mut proc, chunking);
            let layout = Layout::ALL[rng.random_range(0..4)];
            let part = |p: &Planes| slice(p, a..b);
            let key_part = key.as_ref().map(part);
            let cross = rng.random_bool(0.5);
            got = concat(
                &got,
                &K::run(&mut proc, layout, &part(&input), key_part.as_ref(), cross),
            );
        }
        check(
            || format!("{channels} ch, {chunks} chunks, warm-up {warmup}, {settings:?}"),
            &input,
            &got,
            &want,
        )?;
    }
    Ok(())
}

/// After `reset`, a processor repeats its output exactly.
fn reset<K: KernelCase>(isa: Isa) -> Result<(), Failed> {
    let mut rng = rng(4);
    let settings = K::settings(&mut rng, 19);
    let input = planes(&mut rng, 19, 700, 0.05);
    let key = K::key(&mut rng, &input);
    let mut proc = K::build(isa, &settings);
    let first = K::run(&mut proc, Layout::Planar, &input, key.as_ref(), false);
    proc.reset();
    let again = K::run(&mut proc, Layout::Interleaved, &input, key.as_ref(), true);
    check(|| "after reset".to_string(), &input, &again, &first)
}

type Check = fn(Isa) -> Result<(), Failed>;

/// The trials of kernel `K`: each check on each ISA.
fn kernel_trials<K: KernelCase + 'static>() -> Vec<Trial> {
    let checks: [(&str, Check); 7] = [
        ("routes", routes::<K>),
        ("chunks", chunks::<K>),
        ("matrix", matrix::<K>),
        ("splits", splits::<K>),
        ("hostile", hostile::<K>),
        ("flushed", flushed::<K>),
        ("reset", reset::<K>),
    ];
    let mut trials = Vec::new();
    for isa in Isa::ALL {
        for (name, check) in checks {
            trials.push(Trial::ignorable_test(
                format!("{}::{isa}::{name}", K::NAME),
                move || {
                    if !isa.is_available() {
                        return Ok(Completion::ignored_with(format!(
                            "{isa} not available on this CPU"
                        )));
                    }
                    check(isa)?;
                    mark(isa);
                    Ok(Completion::Completed)
                },
            ));
        }
    }
    trials
}

/// The dispatcher's choice, checked against `LANEDSP_EXPECT_SELECTED`.
fn selection() -> Result<(), Failed> {
    let selection = lanedsp::isa_selection();
    if let Ok(want) = std::env::var("LANEDSP_EXPECT_SELECTED") {
        let want: Isa = want.parse().map_err(|e| format!("{e}"))?;
        if selection.isa != want {
            return Err(format!("dispatch selected {selection}, expected {want}").into());
        }
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![Trial::test("dispatch::selection", selection)];
    macro_rules! all_trials {
        ($($name:ident: $case:ty),* $(,)?) => {
            [$(kernel_trials::<$case>()),*]
        };
    }
    trials.extend(every_case!(all_trials).into_iter().flatten());
    let conclusion = libtest_mimic::run(&args, trials);

    let compared = COMPARED.load(Ordering::Relaxed);
    let names = |ran: bool| -> Vec<&str> {
        Isa::ALL
            .into_iter()
            .filter(|isa| (compared & (1 << *isa as u32) != 0) == ran)
            .map(Isa::name)
            .collect()
    };
    println!(
        "lanedsp equivalence: bit-exact with the scalar reference on [{}]; not run: [{}]; \
         available here: [{}]; dispatch selected {}{}",
        names(true).join(", "),
        names(false).join(", "),
        lanedsp::available_isas()
            .iter()
            .map(|i| i.name())
            .collect::<Vec<_>>()
            .join(", "),
        lanedsp::isa_selection(),
        match matrix_size() {
            Matrix::Full => "",
            Matrix::Reduced => " (LANEDSP_TEST_MATRIX=reduced)",
            Matrix::Smoke => " (LANEDSP_TEST_MATRIX=smoke)",
        },
    );
    conclusion.exit();
}
