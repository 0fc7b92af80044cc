//! The frozen output corpus: every processor over fixed deterministic
//! inputs (hostile values, odd channel counts, block splits in every
//! layout), reduced to one 64-bit digest of the output bits and meters per
//! processor and compared with the value committed here, on every ISA this
//! CPU runs.
//!
//! A change of the execution core must leave every digest as it is. A
//! change that is meant to alter output bits (a defect fix) updates the
//! digests in the same commit and says which outputs changed and why.
//!
//! The inputs come from integer arithmetic and exact float operations only
//! (no `sin`, no `powf`), so they are the same bits on every platform.

use lanedsp::stages::{GainApply, GainComputer, GainSmoother, LevelDetector};
use lanedsp::{
    Band, Buffers, Compressor, Detection, EnvelopeFollower, Equalizer, Isa, Limiter,
    LimiterSettings, LinkMode, LoudnessMeter, Makeup, Mode, PeakHold, Processor, Settings,
    Sidechain, Time,
};

/// FNV-1a over 32-bit words.
struct Digest(u64);

impl Digest {
    fn new() -> Digest {
        Digest(0xcbf2_9ce4_8422_2325)
    }
    fn word(&mut self, w: u32) {
        for b in w.to_le_bytes() {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn floats(&mut self, xs: &[f32]) {
        for x in xs {
            self.word(x.to_bits());
        }
    }
}

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 32) as u32
    }
    /// Uniform in `[-1, 1)`, exactly representable.
    fn unit(&mut self) -> f32 {
        (self.next() >> 8) as f32 / 8_388_608.0 - 1.0
    }
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
}

const HOSTILE: [u32; 12] = [
    0x7fc0_0000, // NaN
    0xffc0_1234, // NaN, negative, payload
    0x7f80_0001, // signalling NaN
    0x7f80_0000, // +inf
    0xff80_0000, // -inf
    0x0000_0001, // smallest subnormal
    0x807f_ffff, // largest negative subnormal
    0x8000_0000, // -0
    0x7f7f_ffff, // f32::MAX
    0x1f80_0000, // 2^-64
    0x5d80_0000, // 2^60 (INPUT_CEIL)
    0x0f80_0000, // 2^-96 (INPUT_FLOOR)
];

/// Channel `c` of a session: noise bursts, a decaying oscillator, steps and
/// silence, at a level set by the channel, with hostile values sprinkled
/// and a silent tail.
fn channel(rng: &mut Lcg, c: usize, frames: usize) -> Vec<f32> {
    let level = [1.0f32, 0.5, 0.125, 0.03125, 4.0, 0.001][c % 6];
    let kind = c % 4;
    // A rotation by a fixed angle: (cos, sin) of about 0.05 rad.
    let (cs, sn) = (0.998_750_26f32, 0.049_979_17f32);
    let (mut u, mut v) = (1.0f32, 0.0f32);
    let mut out = Vec::with_capacity(frames);
    for n in 0..frames {
        let (nu, nv) = (u * cs - v * sn, u * sn + v * cs);
        (u, v) = (nu, nv);
        let x = match kind {
            0 if (n / 300) % 2 == 0 => rng.unit(),
            0 => 0.0,
            1 => u,
            2 if (n / 700) % 3 == 0 => 1.0,
            2 => 0.01 * rng.unit(),
            _ => u * rng.unit(),
        };
        let x = if rng.below(97) == 0 {
            f32::from_bits(HOSTILE[rng.below(HOSTILE.len() as u32) as usize])
        } else {
            x * level
        };
        out.push(x);
    }
    let tail = frames / 5;
    out[frames - tail..].fill(0.0);
    out
}

fn session(seed: u64, channels: usize, frames: usize) -> Vec<Vec<f32>> {
    let mut rng = Lcg(seed);
    (0..channels)
        .map(|c| channel(&mut rng, c, frames))
        .collect()
}

/// Runs `input` through `proc` in blocks of pseudo-random length (0 and 1
/// included), each block in the next of the four layouts (and, with a key,
/// the key in the other layout), and hashes every output sample.
fn run(
    proc: &mut dyn FnMut(Buffers<'_, '_, '_>, Option<Sidechain<'_, '_>>),
    input: &[Vec<f32>],
    key: Option<&[Vec<f32>]>,
    digest: &mut Digest,
) {
    let (channels, frames) = (input.len(), input[0].len());
    let mut rng = Lcg(frames as u64 ^ (channels as u64) << 32);
    let (mut at, mut block_no) = (0, 0usize);
    while at < frames {
        let len = match rng.below(5) {
            0 => 0,
            1 => 1,
            2 => 1 + rng.below(63) as usize,
            _ => 64 + rng.below(1500) as usize,
        }
        .min(frames - at);
        let part: Vec<Vec<f32>> = input.iter().map(|c| c[at..at + len].to_vec()).collect();
        let key_part: Option<Vec<Vec<f32>>> =
            key.map(|k| k.iter().map(|c| c[at..at + len].to_vec()).collect());
        let key_inter: Option<Vec<f32>> = key_part.as_ref().map(|k| interleave(k, len));
        let key_refs: Option<Vec<&[f32]>> = key_part
            .as_ref()
            .map(|k| k.iter().map(|c| &c[..]).collect());
        let planar_key = block_no % 2 == 0;
        let sidechain = || match (&key_refs, &key_inter) {
            (Some(refs), Some(inter)) => Some(if planar_key {
                Sidechain::Planar(refs)
            } else {
                Sidechain::Interleaved(inter)
            }),
            _ => None,
        };
        let out: Vec<Vec<f32>> = match block_no % 4 {
            0 => {
                let ins: Vec<&[f32]> = part.iter().map(|c| &c[..]).collect();
                let mut outs = vec![vec![0.0f32; len]; channels];
                let mut refs: Vec<&mut [f32]> = outs.iter_mut().map(|c| &mut c[..]).collect();
                proc(
                    Buffers::Planar {
                        input: &ins,
                        output: &mut refs,
                    },
                    sidechain(),
                );
                outs
            }
            1 => {
                let mut bufs = part.clone();
                let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|c| &mut c[..]).collect();
                proc(Buffers::PlanarInPlace { bufs: &mut refs }, sidechain());
                bufs
            }
            2 => {
                let inter = interleave(&part, len);
                let mut out = vec![0.0f32; inter.len()];
                proc(
                    Buffers::Interleaved {
                        input: &inter,
                        output: &mut out,
                    },
                    sidechain(),
                );
                deinterleave(&out, channels)
            }
            _ => {
                let mut inter = interleave(&part, len);
                proc(Buffers::InterleavedInPlace { buf: &mut inter }, sidechain());
                deinterleave(&inter, channels)
            }
        };
        for c in &out {
            digest.floats(c);
        }
        at += len;
        block_no += 1;
    }
}

fn interleave(planes: &[Vec<f32>], len: usize) -> Vec<f32> {
    (0..len)
        .flat_map(|f| planes.iter().map(move |c| c[f]))
        .collect()
}

fn deinterleave(frames: &[f32], channels: usize) -> Vec<Vec<f32>> {
    (0..channels)
        .map(|c| frames.iter().skip(c).step_by(channels).copied().collect())
        .collect()
}

const COUNTS: [usize; 8] = [1, 2, 3, 7, 9, 16, 17, 33];
const FRAMES: usize = 3001;
const FS: f32 = 44_100.0;

fn envelope(isa: Isa) -> u64 {
    let mut d = Digest::new();
    for (i, &channels) in COUNTS.iter().enumerate() {
        let input = session(100 + i as u64, channels, FRAMES);
        let mut env = EnvelopeFollower::new(FS, channels, 0.001, 0.050)
            .unwrap()
            .with_isa(isa)
            .unwrap();
        for c in 0..channels {
            let (a, r) = [(0.0, 0.0), (0.0005, 0.2), (0.01, 0.01), (2.0, 5.0)][c % 4];
            env.set_channel_times(c, a, r).unwrap();
        }
        run(&mut |b, _| env.process(b).unwrap(), &input, None, &mut d);
        d.floats(env.envelope());
    }
    d.0
}

/// The compressor settings of the corpus: every preset and mode, both
/// detections, knees, mixes, makeups and time conventions.
fn settings_list() -> Vec<Settings> {
    let base = Settings::compressor();
    vec![
        base,
        Settings::limiter(-6.0),
        Settings::upward(),
        Settings::expander(),
        Settings::gate(),
        Settings {
            threshold_db: -30.0,
            ratio: 2.5,
            knee_db: 12.0,
            detection: Detection::Rms,
            attack: Time::JuceMs(3.0),
            release: Time::FfmpegMs(80.0),
            makeup: Makeup::Auto,
            mix: 0.7,
            ..base
        },
        Settings {
            threshold_db: -12.0,
            ratio: f32::INFINITY,
            knee_db: 3.0,
            range_db: 24.0,
            attack: Time::ToFraction {
                seconds: 0.002,
                fraction: 0.9,
            },
            release: Time::Fundsp(0.1),
            makeup: Makeup::Db(4.0),
            ..base
        },
        Settings {
            mode: Mode::Expand,
            threshold_db: -50.0,
            ratio: 3.0,
            knee_db: 6.0,
            attack: Time::Seconds(0.0),
            release: Time::Seconds(0.0),
            ..base
        },
    ]
}

fn per_channel(channels: usize, offset: usize) -> Vec<Settings> {
    let list = settings_list();
    (0..channels)
        .map(|c| list[(c + offset) % list.len()])
        .collect()
}

fn meters(comp: &Compressor, d: &mut Digest) {
    for c in 0..comp.channels() {
        d.word(comp.gain_reduction_db(c).to_bits());
        d.word(comp.peak_reduction_db(c).to_bits());
    }
}

fn compressor(isa: Isa) -> u64 {
    let mut d = Digest::new();
    for (i, &channels) in COUNTS.iter().enumerate() {
        let input = session(200 + i as u64, channels, FRAMES);
        let mut comp = Compressor::new(FS, channels, Settings::compressor())
            .unwrap()
            .with_isa(isa)
            .unwrap();
        for (c, s) in per_channel(channels, i).into_iter().enumerate() {
            comp.set_channel_settings(c, s).unwrap();
        }
        run(&mut |b, _| comp.process(b).unwrap(), &input, None, &mut d);
        meters(&comp, &mut d);
    }
    d.0
}

/// Link layouts of the corpus: pairs, one group of all, groups in
/// shuffled order, in both modes and at partial amounts.
fn linked(isa: Isa) -> u64 {
    let mut d = Digest::new();
    for (i, &channels) in COUNTS.iter().enumerate().skip(1) {
        let layouts: Vec<(Vec<Vec<usize>>, f32, LinkMode)> = vec![
            (
                (0..channels / 2).map(|p| vec![2 * p, 2 * p + 1]).collect(),
                1.0,
                LinkMode::Max,
            ),
            (vec![(0..channels.min(16)).collect()], 1.0, LinkMode::Mean),
            (vec![(0..channels.min(16)).collect()], 1.0, LinkMode::Max),
            (
                vec![(0..channels.min(31)).rev().step_by(2).collect()],
                0.5,
                LinkMode::Max,
            ),
            (
                vec![(0..channels.min(16)).rev().collect()],
                0.25,
                LinkMode::Mean,
            ),
        ];
        for (j, (groups, amount, mode)) in layouts.into_iter().enumerate() {
            let input = session(300 + (i * 4 + j) as u64, channels, FRAMES);
            let settings = Settings {
                threshold_db: -24.0,
                ..Settings::compressor()
            };
            let mut comp = Compressor::new(FS, channels, settings)
                .unwrap()
                .with_isa(isa)
                .unwrap();
            comp.set_links(&groups, amount, mode).unwrap();
            run(&mut |b, _| comp.process(b).unwrap(), &input, None, &mut d);
            meters(&comp, &mut d);
        }
    }
    d.0
}

fn sidechain(isa: Isa) -> u64 {
    let mut d = Digest::new();
    for (i, &channels) in COUNTS.iter().enumerate() {
        let input = session(400 + i as u64, channels, FRAMES);
        let key = session(500 + i as u64, channels, FRAMES);
        let mut comp = Compressor::new(FS, channels, Settings::compressor())
            .unwrap()
            .with_isa(isa)
            .unwrap();
        let mut settings = per_channel(channels, i + 3);
        if channels >= 2 {
            // Linked channels share their detection.
            settings[1] = settings[0];
        }
        for (c, s) in settings.into_iter().enumerate() {
            comp.set_channel_settings(c, s).unwrap();
        }
        if channels >= 2 {
            comp.set_links(&[vec![0, 1]], 1.0, LinkMode::Max).unwrap();
        }
        run(
            &mut |b, k| comp.process_sidechain(b, k.unwrap()).unwrap(),
            &input,
            Some(&key),
            &mut d,
        );
        meters(&comp, &mut d);
    }
    d.0
}

fn stages(isa: Isa) -> u64 {
    let mut d = Digest::new();
    for (i, &channels) in COUNTS.iter().enumerate() {
        let input = session(600 + i as u64, channels, FRAMES);
        let gains = session(700 + i as u64, channels, FRAMES);
        let settings = per_channel(channels, i + 5);
        let mut det = LevelDetector::new(FS, &settings)
            .unwrap()
            .with_isa(isa)
            .unwrap();
        run(&mut |b, _| det.process(b).unwrap(), &input, None, &mut d);
        let mut curve = GainComputer::new(FS, &settings)
            .unwrap()
            .with_isa(isa)
            .unwrap();
        run(&mut |b, _| curve.process(b).unwrap(), &input, None, &mut d);
        let mut smooth = GainSmoother::new(FS, &settings)
            .unwrap()
            .with_isa(isa)
            .unwrap();
        // The smoother reads gain changes in dB: scale the session up.
        let db: Vec<Vec<f32>> = gains
            .iter()
            .map(|c| c.iter().map(|x| x * 40.0).collect())
            .collect();
        run(&mut |b, _| smooth.process(b).unwrap(), &db, None, &mut d);
        let mut apply = GainApply::new(FS, &settings)
            .unwrap()
            .with_isa(isa)
            .unwrap();
        run(
            &mut |b, k| apply.process_gain(b, k.unwrap()).unwrap(),
            &input,
            Some(&db),
            &mut d,
        );
    }
    d.0
}

/// The limiter over the corpus: sample and true peak, lookaheads from 0,
/// ceilings, input gains, releases, link groups (pairs and a group of
/// three) and link amounts; the flushed tail and the gains after each
/// session.
fn limiter(isa: Isa) -> u64 {
    let mut d = Digest::new();
    for (i, &channels) in COUNTS.iter().enumerate() {
        let input = session(500 + i as u64, channels, FRAMES);
        let settings = LimiterSettings {
            ceiling_db: [-1.0, -6.0, 0.0, -20.0][i % 4],
            lookahead: [0.005, 0.0, 0.0003, 0.02][i % 4],
            release: [
                Time::Seconds(0.05),
                Time::Seconds(0.0),
                Time::FfmpegMs(80.0),
            ][i % 3],
            true_peak: i % 2 == 0,
            input_gain_db: [0.0, 6.0, -3.0][i % 3],
            link_amount: [1.0, 0.5, 0.0][i % 3],
        };
        let groups: Vec<Vec<usize>> = if channels >= 5 {
            vec![vec![0, 1], vec![2, 3, 4]]
        } else if channels >= 2 {
            vec![vec![0, 1]]
        } else {
            Vec::new()
        };
        let mut lim = Limiter::new(FS, channels, settings)
            .unwrap()
            .with_isa(isa)
            .unwrap()
            .with_link_groups(&groups)
            .unwrap();
        run(&mut |b, _| lim.process(b).unwrap(), &input, None, &mut d);
        let mut tail = vec![vec![0.0f32; lim.latency()]; channels];
        let mut refs: Vec<&mut [f32]> = tail.iter_mut().map(|c| &mut c[..]).collect();
        lim.flush_planar(&mut refs).unwrap();
        for c in &tail {
            d.floats(c);
        }
        let gains: Vec<f32> = (0..channels).map(|c| lim.gain(c).unwrap()).collect();
        d.floats(&gains);
    }
    d.0
}

/// The peak hold over the corpus: windows of 1 frame to longer than a tile.
fn peak_hold(isa: Isa) -> u64 {
    let mut d = Digest::new();
    for (i, &channels) in COUNTS.iter().enumerate() {
        let input = session(700 + i as u64, channels, FRAMES);
        let hold = [0.0, 0.0005, 0.002, 0.01][i % 4];
        let mut p = PeakHold::new(FS, channels, hold)
            .and_then(|p| p.with_isa(isa))
            .unwrap();
        run(&mut |b, _| p.process(b).unwrap(), &input, None, &mut d);
    }
    d.0
}

/// The equalizer over the corpus: every band kind, cascades of 1 to 8
/// sections, every channel its own bands.
fn equalizer(isa: Isa) -> u64 {
    let kinds = [
        Band::Peaking {
            freq: 1000.0,
            q: 0.7,
            gain_db: 6.0,
        },
        Band::LowShelf {
            freq: 120.0,
            q: 0.707,
            gain_db: -4.0,
        },
        Band::HighShelf {
            freq: 8000.0,
            q: 0.707,
            gain_db: 3.0,
        },
        Band::LowPass {
            freq: 5000.0,
            q: 0.9,
        },
        Band::HighPass { freq: 40.0, q: 0.5 },
        Band::BandPass {
            freq: 700.0,
            q: 2.0,
        },
        Band::Notch {
            freq: 60.0,
            q: 10.0,
        },
        Band::AllPass {
            freq: 2000.0,
            q: 1.0,
        },
    ];
    let mut d = Digest::new();
    for (i, &channels) in COUNTS.iter().enumerate() {
        let input = session(600 + i as u64, channels, FRAMES);
        let mut eq = Equalizer::new(FS, channels, &kinds[..1 + i % 8])
            .unwrap()
            .with_isa(isa)
            .unwrap();
        for c in 0..channels {
            let n = 1 + (c + i) % 8;
            let bands: Vec<Band> = (0..n).map(|k| kinds[(c + k) % 8]).collect();
            eq.set_channel_bands(c, &bands).unwrap();
        }
        run(&mut |b, _| eq.process(b).unwrap(), &input, None, &mut d);
    }
    d.0
}

/// The loudness meter over the corpus (each session repeated to 3.2 s, so
/// that 400 ms and 3 s gating blocks complete), in blocks of varying
/// length, planar and interleaved in turn; its readings after every block
/// and its peaks at the end. Rates with 4, 2 and no true-peak phases.
fn loudness(isa: Isa) -> u64 {
    const SHAPES: [(usize, f32); 6] = [
        (1, 192_000.0),
        (2, 44_100.0),
        (3, 96_000.0),
        (7, 48_000.0),
        (9, 44_100.0),
        (16, 48_000.0),
    ];
    let mut d = Digest::new();
    for (i, &(channels, fs)) in SHAPES.iter().enumerate() {
        let frames = (3.2 * fs) as usize;
        let base = session(700 + i as u64, channels, FRAMES);
        let input: Vec<Vec<f32>> = base
            .iter()
            .map(|c| c.iter().cycle().take(frames).copied().collect())
            .collect();
        let mut meter = LoudnessMeter::new(fs, channels)
            .unwrap()
            .with_isa(isa)
            .unwrap();
        let mut rng = Lcg(i as u64 + 7);
        let (mut at, mut block_no) = (0, 0);
        while at < frames {
            let len = (rng.below(20_000) as usize).min(frames - at);
            if block_no % 2 == 0 {
                let part: Vec<&[f32]> = input.iter().map(|c| &c[at..at + len]).collect();
                meter.process_planar(&part).unwrap();
            } else {
                let part: Vec<Vec<f32>> = input.iter().map(|c| c[at..at + len].to_vec()).collect();
                meter.process_interleaved(&interleave(&part, len)).unwrap();
            }
            let l = meter.programme(0).unwrap();
            for v in [l.momentary, l.short_term, l.integrated, l.range] {
                d.word(v.to_bits() as u32);
                d.word((v.to_bits() >> 32) as u32);
            }
            at += len;
            block_no += 1;
        }
        for c in 0..channels {
            d.word(meter.sample_peak(c).unwrap().to_bits());
            d.word(meter.true_peak(c).unwrap().to_bits());
        }
    }
    d.0
}

/// The committed digests: `(processor, digest)`.
const FROZEN: [(&str, u64); 9] = [
    ("envelope", 0xe861_cac3_28b4_eb71),
    ("compressor", 0x43ec_92e1_cca1_74e6),
    ("linked", 0xf2d1_3304_d123_2bc4),
    ("sidechain", 0x2f74_ab7c_a6e6_c294),
    ("stages", 0xcfd5_84a9_174f_59dc),
    ("limiter", 0xe991_dabc_540f_4feb),
    ("equalizer", 0xb3a1_7f71_5f4d_294a),
    ("loudness", 0x991b_7c7f_a148_8a0b),
    ("peak_hold", 0xb5ca_5a00_14cd_532d),
];

/// A corpus run: the digest of one processor family on one ISA.
type Run = fn(Isa) -> u64;

const RUNS: [(&str, Run); 9] = [
    ("envelope", envelope),
    ("compressor", compressor),
    ("linked", linked),
    ("sidechain", sidechain),
    ("stages", stages),
    ("limiter", limiter),
    ("equalizer", equalizer),
    ("loudness", loudness),
    ("peak_hold", peak_hold),
];

/// Runs the corpus on every available ISA, `flush` setting the CPU's
/// subnormal flushing around it, and lists the digests that differ.
fn differences(flush: bool) -> (Vec<String>, Vec<&'static str>) {
    let mut failures = Vec::new();
    let mut ran = Vec::new();
    for isa in lanedsp::available_isas() {
        for ((name, f), (frozen_name, frozen)) in RUNS.iter().zip(FROZEN) {
            assert_eq!(*name, frozen_name);
            let got = if flush {
                lanedsp_kernels::with_subnormals_flushed(|| f(isa)).0
            } else {
                f(isa)
            };
            if got != frozen {
                failures.push(format!(
                    "{name} on {isa}: {got:#018x}, frozen {frozen:#018x}"
                ));
            }
        }
        ran.push(isa.name());
    }
    (failures, ran)
}

#[test]
fn output_digests_are_frozen() {
    let (failures, ran) = differences(false);
    println!("output digests checked on [{}]", ran.join(", "));
    assert!(
        failures.is_empty(),
        "digests changed:\n{}",
        failures.join("\n")
    );
}

/// The same digests with the CPU flushing subnormals (FTZ/DAZ, FZ): the
/// output does not depend on the caller's floating-point environment.
#[test]
fn output_digests_hold_with_subnormals_flushed() {
    let (failures, ran) = differences(true);
    println!(
        "output digests with subnormals flushed checked on [{}]",
        ran.join(", ")
    );
    assert!(
        failures.is_empty(),
        "digests changed:\n{}",
        failures.join("\n")
    );
}
