//! The loudness meter: the same measurements (`f64` bits) on every ISA, in
//! both layouts and for any split of the stream; within 0.01 LU of the
//! `ebur128` crate on random and music-like signals; the EBU Tech 3341 and
//! 3342 cases generated from their parameters.

mod common;

use common::{planes, rng};
use ebur128::{Channel, EbuR128, Mode};
use lanedsp::{Error, LoudnessMeter};
use rand::RngExt;

const FS: f32 = 48_000.0;

/// Everything the meter reports, as bits.
fn readings(m: &LoudnessMeter) -> Vec<u64> {
    let mut v = vec![
        m.momentary().to_bits(),
        m.short_term().to_bits(),
        m.integrated().to_bits(),
        m.loudness_range().to_bits(),
    ];
    for c in 0..m.channels() {
        v.push(u64::from(m.sample_peak(c).unwrap().to_bits()));
        v.push(u64::from(m.true_peak(c).unwrap().to_bits()));
    }
    v
}

#[test]
fn same_bits_every_isa_layout_split() {
    // The reduced matrix of the emulated and sanitizer runs: every
    // remainder of a 4- and 8-lane register, and the portable ISA only as
    // the reference (its splits run natively in every full run).
    let reduced = matches!(
        std::env::var("LANEDSP_TEST_MATRIX").as_deref(),
        Ok("reduced" | "smoke")
    );
    let isas: Vec<lanedsp::Isa> = lanedsp::available_isas()
        .into_iter()
        .filter(|&isa| !reduced || isa != lanedsp::Isa::Scalar)
        .collect();
    let most = if reduced { 9 } else { 17 };
    for channels in 1..=most {
        let mut r = rng(channels as u64 + 300);
        let len = 48_000 * 4 + 333;
        let input = planes(&mut r, channels, len, 0.001);
        let frames = common::interleave(&input);
        // The reference run: the portable ISA, one interleaved call.
        let mut want = LoudnessMeter::new(FS, channels)
            .unwrap()
            .with_isa(lanedsp::Isa::Scalar)
            .unwrap();
        want.process_interleaved(&frames).unwrap();
        let want = readings(&want);
        for &isa in &isas {
            // Interleaved in odd pieces.
            let mut m = LoudnessMeter::new(FS, channels)
                .unwrap()
                .with_isa(isa)
                .unwrap();
            let mut at = 0;
            for n in [0usize, 1, 7, 1023, 1025, 4799, 4801, 65_537] {
                let n = (n * channels).min(frames.len() - at);
                m.process_interleaved(&frames[at..at + n]).unwrap();
                at += n;
            }
            m.process_interleaved(&frames[at..]).unwrap();
            assert_eq!(readings(&m), want, "{isa}, {channels} ch interleaved");
            // Planar in odd pieces.
            let mut m = LoudnessMeter::new(FS, channels)
                .unwrap()
                .with_isa(isa)
                .unwrap();
            let mut at = 0;
            for n in [3usize, 999, 4800, 17, 100_000, usize::MAX] {
                let n = n.min(len - at);
                let parts: Vec<&[f32]> = input.iter().map(|c| &c[at..at + n]).collect();
                m.process_planar(&parts).unwrap();
                at += n;
            }
            assert_eq!(readings(&m), want, "{isa}, {channels} ch planar");
        }
    }
    let names: Vec<&str> = isas.iter().map(|i| i.name()).collect();
    println!(
        "loudness: same bits on [{}] as the scalar reference (1..={most} ch, planar and interleaved, odd splits, hostile input)",
        names.join(", ")
    );
}

/// A music-like channel: a few tones and noise under a slow envelope with
/// quiet passages.
fn music(r: &mut impl RngExt, len: usize) -> Vec<f32> {
    let f: Vec<f32> = (0..4).map(|_| r.random_range(50.0f32..5000.0)).collect();
    let level = r.random_range(0.05f32..0.7);
    (0..len)
        .map(|n| {
            let t = n as f32 / FS;
            let env = 0.5 + 0.5 * (t * 0.37 + level).sin() * (t * 1.3).cos();
            let env = if (t as u32) % 7 == 3 { env * 0.01 } else { env };
            let tones: f32 = f
                .iter()
                .map(|&f| (core::f32::consts::TAU * f * t).sin())
                .sum::<f32>()
                * 0.2;
            level * env * (tones + 0.3 * r.random_range(-1.0f32..1.0))
        })
        .collect()
}

fn compare(name: &str, channels: usize, frames: &[f32], surround: bool) {
    let mut ours = LoudnessMeter::new(FS, channels).unwrap();
    let mut theirs = EbuR128::new(
        channels as u32,
        FS as u32,
        Mode::I | Mode::M | Mode::S | Mode::LRA | Mode::SAMPLE_PEAK,
    )
    .unwrap();
    if surround {
        // 5.1: L R C LFE Ls Rs.
        ours.set_channel_weight(3, 0.0).unwrap();
        ours.set_channel_weight(4, 1.41).unwrap();
        ours.set_channel_weight(5, 1.41).unwrap();
        theirs.set_channel(3, Channel::Unused).unwrap();
        theirs.set_channel(4, Channel::LeftSurround).unwrap();
        theirs.set_channel(5, Channel::RightSurround).unwrap();
    }
    ours.process_interleaved(frames).unwrap();
    theirs.add_frames_f32(frames).unwrap();
    let (i, j) = (ours.integrated(), theirs.loudness_global().unwrap());
    let (m, n) = (ours.momentary(), theirs.loudness_momentary().unwrap());
    let (s, t) = (ours.short_term(), theirs.loudness_shortterm().unwrap());
    let (l, k) = (ours.loudness_range(), theirs.loudness_range().unwrap());
    println!(
        "loudness: {name}: integrated {i:.4} vs ebur128 {j:.4} LUFS, momentary {m:.4} vs {n:.4}, \
         short-term {s:.4} vs {t:.4}, range {l:.3} vs {k:.3} LU"
    );
    assert!((i - j).abs() <= 0.01, "{name}: integrated {i} vs {j}");
    assert!((m - n).abs() <= 0.01, "{name}: momentary {m} vs {n}");
    assert!((s - t).abs() <= 0.01, "{name}: short-term {s} vs {t}");
    assert!((l - k).abs() <= 0.02, "{name}: range {l} vs {k}");
    for c in 0..channels {
        let (p, q) = (
            ours.sample_peak(c).unwrap(),
            theirs.sample_peak(c as u32).unwrap(),
        );
        assert!((f64::from(p) - q).abs() <= 1e-7, "{name}: peak {p} vs {q}");
    }
}

#[test]
fn against_ebur128() {
    if !common::accuracy_checks() {
        return;
    }
    let mut r = rng(77);
    let len = 48_000 * 20;
    // White noise at a random level, stereo.
    let noise: Vec<Vec<f32>> = (0..2)
        .map(|_| {
            let a = r.random_range(0.01f32..0.5);
            (0..len).map(|_| a * r.random_range(-1.0f32..1.0)).collect()
        })
        .collect();
    compare("noise stereo", 2, &common::interleave(&noise), false);
    let m: Vec<Vec<f32>> = (0..2).map(|_| music(&mut r, len)).collect();
    compare("music-like stereo", 2, &common::interleave(&m), false);
    let m: Vec<Vec<f32>> = (0..6).map(|_| music(&mut r, len)).collect();
    compare("music-like 5.1", 6, &common::interleave(&m), true);
    // The shared random signal generator (tones, bursts, steps, noise).
    let p = planes(&mut r, 3, len, 0.0);
    compare("mixed 3 ch", 3, &common::interleave(&p), false);
}

/// Stereo 1 kHz sine segments `(dBFS peak, seconds)`.
fn tone(segments: &[(f32, f32)]) -> Vec<f32> {
    let mut out = Vec::new();
    let mut n = 0u64;
    for &(db, secs) in segments {
        let a = 10f32.powf(db / 20.0);
        for _ in 0..(secs * FS) as usize {
            let x = a * (core::f64::consts::TAU * 1000.0 * n as f64 / f64::from(FS)).sin() as f32;
            out.extend([x, x]);
            n += 1;
        }
    }
    out
}

#[test]
fn ebu_tech_3341_and_3342() {
    if !common::accuracy_checks() {
        return;
    }
    let measure = |segments: &[(f32, f32)]| {
        let mut m = LoudnessMeter::new(FS, 2).unwrap();
        m.process_interleaved(&tone(segments)).unwrap();
        m
    };
    let near = |name: &str, got: f64, want: f64, tol: f64| {
        println!("loudness: {name}: {got:.3} (expected {want} +- {tol})");
        assert!((got - want).abs() <= tol, "{name}: {got} vs {want}");
    };
    // Tech 3341 case 1 and 2: constant tones (momentary, short-term, integrated).
    let m = measure(&[(-23.0, 20.0)]);
    near("3341 #1 integrated", m.integrated(), -23.0, 0.1);
    near("3341 #1 momentary", m.momentary(), -23.0, 0.1);
    near("3341 #1 short-term", m.short_term(), -23.0, 0.1);
    let m = measure(&[(-33.0, 20.0)]);
    near("3341 #2 integrated", m.integrated(), -33.0, 0.1);
    // Case 3 and 4: the gates.
    let m = measure(&[(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)]);
    near("3341 #3 integrated", m.integrated(), -23.0, 0.1);
    let m = measure(&[
        (-72.0, 10.0),
        (-36.0, 10.0),
        (-23.0, 60.0),
        (-36.0, 10.0),
        (-72.0, 10.0),
    ]);
    near("3341 #4 integrated", m.integrated(), -23.0, 0.1);
    // Tech 3342 cases 1 to 3: two levels, 20 s each.
    let m = measure(&[(-20.0, 20.0), (-30.0, 20.0)]);
    near("3342 #1 range", m.loudness_range(), 10.0, 1.0);
    let m = measure(&[(-20.0, 20.0), (-15.0, 20.0)]);
    near("3342 #2 range", m.loudness_range(), 5.0, 1.0);
    let m = measure(&[(-40.0, 20.0), (-20.0, 20.0)]);
    near("3342 #3 range", m.loudness_range(), 20.0, 1.0);
    // Silence: no block passes the gate.
    let m = measure(&[(-90.0, 5.0)]);
    assert_eq!(m.integrated(), f64::NEG_INFINITY);
    assert_eq!(m.loudness_range(), 0.0);
}

#[test]
fn errors_and_reset() {
    assert!(matches!(
        LoudnessMeter::new(0.0, 2),
        Err(Error::SampleRate(_))
    ));
    assert!(matches!(
        LoudnessMeter::new(48_000.0, 0),
        Err(Error::NoChannels)
    ));
    let mut m = LoudnessMeter::new(FS, 2).unwrap();
    assert!(matches!(
        m.process_interleaved(&[0.0; 3]),
        Err(Error::Shape(_))
    ));
    assert!(matches!(
        m.process_planar(&[&[0.0; 3]]),
        Err(Error::Shape(_))
    ));
    assert!(matches!(
        m.process_planar(&[&[0.0; 3], &[0.0; 2]]),
        Err(Error::Shape(_))
    ));
    assert!(m.set_channel_weight(2, 1.0).is_err());
    assert!(m.set_channel_weight(0, f32::NAN).is_err());
    let frames = tone(&[(-23.0, 2.0)]);
    m.process_interleaved(&frames).unwrap();
    let first = readings(&m);
    m.reset();
    m.process_interleaved(&frames).unwrap();
    assert_eq!(readings(&m), first);
}

/// Eight stereo tracks and one mono track measured as programmes of one
/// meter (every channel in the lanes at once) read the same bits as a meter
/// per track, on every ISA.
#[test]
fn programmes_equal_separate_meters() {
    let mut ran = Vec::new();
    let mut r = rng(1234);
    let len = 48_000 * 4 + 77;
    let tracks: Vec<Vec<Vec<f32>>> = (0..9)
        .map(|t| {
            (0..if t == 8 { 1 } else { 2 })
                .map(|_| music(&mut r, len))
                .collect()
        })
        .collect();
    let all: Vec<Vec<f32>> = tracks.iter().flatten().cloned().collect();
    let mut groups = Vec::new();
    let mut at = 0;
    for t in &tracks {
        groups.push((at..at + t.len()).collect::<Vec<usize>>());
        at += t.len();
    }
    for isa in lanedsp::available_isas() {
        let mut batch = LoudnessMeter::new(FS, all.len())
            .unwrap()
            .with_isa(isa)
            .unwrap()
            .with_programmes(&groups)
            .unwrap();
        batch.set_channel_weight(16, 1.41).unwrap();
        batch
            .process_interleaved(&common::interleave(&all))
            .unwrap();
        assert_eq!(batch.programmes(), 9);
        for (t, track) in tracks.iter().enumerate() {
            let mut one = LoudnessMeter::new(FS, track.len())
                .unwrap()
                .with_isa(isa)
                .unwrap();
            if t == 8 {
                one.set_channel_weight(0, 1.41).unwrap();
            }
            one.process_interleaved(&common::interleave(track)).unwrap();
            let got = batch.programme(t).unwrap();
            let want = [
                one.momentary(),
                one.short_term(),
                one.integrated(),
                one.loudness_range(),
            ];
            let peak = (0..track.len())
                .map(|c| one.true_peak(c).unwrap())
                .fold(0.0f32, f32::max);
            assert_eq!(got.true_peak.to_bits(), peak.to_bits(), "{isa}, track {t}");
            let got = [got.momentary, got.short_term, got.integrated, got.range];
            assert_eq!(
                got.map(f64::to_bits),
                want.map(f64::to_bits),
                "{isa}, track {t}"
            );
        }
        ran.push(isa.name());
    }
    let mut m = LoudnessMeter::new(FS, 4).unwrap();
    assert!(
        m.clone()
            .with_programmes(&[vec![0, 1], vec![1, 2]])
            .is_err()
    );
    assert!(m.clone().with_programmes(&[vec![4]]).is_err());
    assert!(m.clone().with_programmes(&[]).is_err());
    m.process_interleaved(&[0.5; 4 * 100]).unwrap();
    assert!(m.programme(1).is_err());
    println!(
        "loudness: programmes equal separate meters bit for bit on [{}]",
        ran.join(", ")
    );
}
