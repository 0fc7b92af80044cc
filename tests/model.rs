//! The envelope follower against an `f64` model of its time constants.

mod common;

use lanedsp::{EnvelopeFollower, Processor, Time};

/// Runs one channel of `input` through a follower on the selected ISA.
fn follow(sample_rate: f32, attack: f32, release: f32, input: &[f32]) -> Vec<f32> {
    let mut env = EnvelopeFollower::new(sample_rate, 1, attack, release).unwrap();
    let mut out = vec![0.0; input.len()];
    env.process_planar(&[input], &mut [&mut out]).unwrap();
    out
}

/// First index where `out` crosses `level` (rising or falling), to `f32`
/// precision (a value one rounding away from `level` counts as on it).
fn crossing(out: &[f32], level: f64, rising: bool) -> usize {
    let tol = 1e-6;
    out.iter()
        .position(|&y| {
            if rising {
                f64::from(y) >= level - tol
            } else {
                f64::from(y) <= level + tol
            }
        })
        .expect("crosses")
}

#[test]
fn attack_reaches_one_minus_inverse_e_after_attack_time() {
    for &(fs, attack) in &[
        (44_100.0f32, 0.001f32),
        (48_000.0, 0.010),
        (96_000.0, 0.0005),
        (8_000.0, 0.25),
        (96_000.0, 0.5),
    ] {
        let step = vec![1.0f32; (attack * fs * 4.0) as usize + 10];
        let out = follow(fs, attack, 1.0, &step);
        let target = 1.0 - (-1.0f64).exp();
        // Sample n holds the envelope after n + 1 updates: 1 - a^(n + 1).
        let n = crossing(&out, target, true) as f64 + 1.0;
        let want = f64::from(attack) * f64::from(fs);
        assert!(
            (n - want).abs() <= 1.0,
            "fs {fs} attack {attack}: reached at {n}, model {want}"
        );
        // And the curve is the model's to f32 precision.
        let a = (-1.0 / want).exp();
        assert!(a < 1.0);
        for (i, &y) in out.iter().enumerate() {
            let model = 1.0 - a.powi(i as i32 + 1);
            assert!(
                (f64::from(y) - model).abs() < 1e-4,
                "sample {i}: {y} vs {model}"
            );
        }
    }
}

#[test]
fn release_falls_to_inverse_e_after_release_time() {
    for &(fs, release) in &[
        (44_100.0f32, 0.050f32),
        (48_000.0, 0.2),
        (48_000.0, 2.0),
        (192_000.0, 0.01),
    ] {
        let hold = 100;
        let mut x = vec![1.0f32; hold];
        x.extend(std::iter::repeat_n(0.0, (release * fs * 4.0) as usize));
        let out = follow(fs, 0.0, release, &x);
        assert_eq!(out[hold - 1], 1.0, "attack 0 follows at once");
        let n = (crossing(&out[hold..], (-1.0f64).exp(), false) + 1) as f64;
        let want = f64::from(release) * f64::from(fs);
        assert!(
            (n - want).abs() <= 1.0,
            "fs {fs} release {release}: fell at {n}, model {want}"
        );
    }
}

#[test]
fn zero_times_follow_the_input_exactly() {
    let x: Vec<f32> = (0..100)
        .map(|i| ((i * 37) % 11) as f32 / 10.0 - 0.5)
        .collect();
    let out = follow(48_000.0, 0.0, 0.0, &x);
    assert_eq!(out, x);
}

#[test]
fn silence_decays_to_exact_zero() {
    let mut x = vec![1.0f32; 10];
    x.extend(std::iter::repeat_n(0.0, 200_000));
    let out = follow(48_000.0, 0.0, 0.05, &x);
    assert_eq!(*out.last().unwrap(), 0.0);
    assert!(out.iter().all(|y| !y.is_subnormal()));
}

#[test]
fn very_long_release_keeps_its_time_to_f32_state_precision() {
    // Past about 10^5 samples per time constant, each step moves the f32
    // state by only a few ulps, so rounding shifts the time by up to ~0.2%
    // (docs/kernels.md, "Precision").
    let (fs, release) = (192_000.0f32, 5.0f32);
    let mut x = vec![1.0f32; 10];
    x.extend(std::iter::repeat_n(0.0, (release * fs * 1.5) as usize));
    let out = follow(fs, 0.0, release, &x);
    let n = (crossing(&out[10..], (-1.0f64).exp(), false) + 1) as f64;
    let want = f64::from(release) * f64::from(fs);
    assert!(
        (n - want).abs() <= 1.0 + 2e-3 * want,
        "fell at {n}, model {want}"
    );
}

/// `EnvelopeDetection::Peak` follows `|x|` (a negative DC gives a positive
/// envelope; a sine a full-wave peak envelope), `MeanSquare` follows
/// `x^2`, and the default follows the input as given.
#[test]
fn detection_modes() {
    use lanedsp::{EnvelopeDetection, EnvelopeFollower, Processor};
    let run_with = |release: f32, detection, x: &[f32]| {
        let mut env = EnvelopeFollower::new(48_000.0, 1, 0.0, release)
            .expect("valid")
            .with_detection(detection);
        let mut buf = x.to_vec();
        env.process_interleaved_in_place(&mut buf).expect("valid");
        buf
    };
    let run = |detection, x: &[f32]| run_with(0.05, detection, x);
    let instant = |detection, x: &[f32]| run_with(0.0, detection, x);
    let dc = vec![-0.5f32; 100];
    assert_eq!(instant(EnvelopeDetection::Signed, &dc)[99], -0.5);
    assert_eq!(instant(EnvelopeDetection::Peak, &dc)[99], 0.5);
    assert_eq!(instant(EnvelopeDetection::MeanSquare, &dc)[99], 0.25);
    // With a release, the signed follower releases towards a negative DC.
    assert!(run(EnvelopeDetection::Signed, &dc)[99] < 0.0);
    // A 100 Hz sine at 48 kHz: the peak envelope holds near 1 through the
    // negative half-waves too; the signed one falls there.
    let sine: Vec<f32> = (0..4800)
        .map(|n| (n as f32 * 100.0 * core::f32::consts::TAU / 48_000.0).sin())
        .collect();
    let peak = run(EnvelopeDetection::Peak, &sine);
    let signed = run(EnvelopeDetection::Signed, &sine);
    let trough = 480 * 9 + 360; // a negative peak of the tenth cycle
    assert!(peak[trough] > 0.95, "{}", peak[trough]);
    assert!(signed[trough] < peak[trough] - 0.01, "{}", signed[trough]);
    assert_eq!(
        EnvelopeFollower::new(48_000.0, 1, 0.0, 0.0)
            .expect("valid")
            .detection(),
        EnvelopeDetection::Signed
    );
}

/// The follower takes its times as [`Time`]s, as the compressor does:
/// `Time::Seconds(t)` is the plain `f32` `t` bit for bit, and a peer's
/// convention keeps its ballistics (a half-life reaches half a step after
/// that long, JUCE's milliseconds are a time constant of `ms / 2 pi`).
#[test]
fn times_in_every_convention_keep_their_ballistics() {
    let fs = 48_000.0f32;
    let step = vec![1.0f32; 4800];
    let run = |attack: Time| {
        let mut env = EnvelopeFollower::new(fs, 1, attack, Time::Seconds(1.0)).unwrap();
        let mut out = vec![0.0; step.len()];
        env.process_planar(&[&step], &mut [&mut out]).unwrap();
        out
    };
    let bits = |x: &[f32]| x.iter().map(|y| y.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&run(Time::Seconds(0.003))),
        bits(&follow(fs, 0.003, 1.0, &step))
    );
    let half = run(Time::ToFraction {
        seconds: 0.01,
        fraction: 0.5,
    });
    let n = crossing(&half, 0.5, true) as f64 + 1.0;
    assert!(
        (n - 480.0).abs() <= 1.0,
        "half-life of 480 samples reached at {n}"
    );
    let juce = run(Time::JuceMs(10.0));
    let tau = 0.010 / core::f64::consts::TAU * f64::from(fs);
    let n = crossing(&juce, 1.0 - (-1.0f64).exp(), true) as f64 + 1.0;
    assert!(
        (n - tau).abs() <= 1.0,
        "JUCE 10 ms: tau {tau}, reached at {n}"
    );
    // Per channel and after construction too, and errors name the time.
    let mut env = EnvelopeFollower::new(fs, 2, 0.001, 0.1).unwrap();
    env.set_channel_times(1, Time::FfmpegMs(5.0), Time::Fundsp(0.2))
        .unwrap();
    env.set_times(Time::Seconds(0.002), 0.3).unwrap();
    let bad = Time::ToFraction {
        seconds: 0.01,
        fraction: 1.0,
    };
    assert!(matches!(
        env.set_times(0.001, bad),
        Err(lanedsp::Error::Parameter {
            name: "release",
            ..
        })
    ));
    assert!(matches!(
        EnvelopeFollower::new(fs, 1, Time::JuceMs(f32::NAN), 0.1),
        Err(lanedsp::Error::Time { name: "attack", .. })
    ));
}
