//! `lanedsp limit` on generated files: the ceiling holds, outputs have
//! their input's length and alignment, content equals the library with
//! its latency compensated, bytes do not depend on the ISA or `-j`, bad
//! options and bad files exit 2 and leave no output.

use lanedsp::{Limiter, LimiterSettings, Processor};
use std::path::Path;

mod common;

use common::{FS, bin, bits_equal, run, runnable, s};

/// Loud material: tones and noise at up to `level` (linear), different per
/// channel, with bursts.
fn loud(channels: usize, frames: usize, seed: u32, level: f32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9e37_79b9) | 1;
    (0..frames * channels)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let (f, c) = (i / channels, i % channels);
            let noise = (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0;
            let tone = (f as f32 * (0.01 + 0.003 * c as f32)).sin();
            let burst = if (f / 2000 + c) % 3 == 0 { 1.0 } else { 0.3 };
            (0.7 * tone + 0.3 * noise) * level * burst
        })
        .collect()
}

fn write_float(path: &Path, channels: usize, x: &[f32]) {
    let spec = hound::WavSpec {
        channels: channels as u16,
        sample_rate: FS,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &v in x {
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
}

fn write_s16(path: &Path, channels: usize, x: &[f32]) {
    let spec = hound::WavSpec {
        channels: channels as u16,
        sample_rate: FS,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &v in x {
        w.write_sample((v.clamp(-1.0, 1.0) * 32767.0).round() as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

/// Channels and samples (integers scaled to full scale) of a WAV file.
fn read(path: &Path) -> (usize, Vec<f32>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let x = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let full = f64::from(1u32 << (spec.bits_per_sample - 1));
            r.samples::<i32>()
                .map(|v| (f64::from(v.unwrap()) / full) as f32)
                .collect()
        }
    };
    (usize::from(spec.channels), x)
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

fn db(x: f32) -> f32 {
    10f32.powf(x / 20.0)
}

/// The library's output for one file, latency compensated: the whole file
/// in one call, then the flush, the first `latency()` frames dropped.
fn expected(x: &[f32], channels: usize, s: LimiterSettings, linked: bool) -> Vec<f32> {
    let mut lim = Limiter::new(FS as f32, channels, s).unwrap();
    if linked && channels > 1 {
        lim = lim
            .with_link_groups(&[(0..channels).collect::<Vec<_>>()])
            .unwrap();
    }
    let mut y = x.to_vec();
    lim.process_interleaved_in_place(&mut y).unwrap();
    let mut tail = vec![0.0; lim.latency() * channels];
    lim.flush_interleaved(&mut tail).unwrap();
    y.extend_from_slice(&tail);
    y.split_off(lim.latency() * channels)
}

#[test]
fn ceiling_length_and_content() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Several files in one batch: different lengths (shorter than one
    // block, several blocks, a block multiple, empty), channel counts and
    // formats, driven ~12 dB over the ceiling.
    let cases: [(&str, usize, usize, bool); 6] = [
        ("a.wav", 2, 20_011, true),
        ("b.wav", 1, 333, true),
        ("c.wav", 6, 16_384, true),
        ("d.wav", 2, 13_000, false),
        ("e.wav", 3, 0, true),
        ("f.wav", 2, 16_384 + 100, true),
    ];
    let mut inputs = Vec::new();
    for (i, &(name, ch, frames, float)) in cases.iter().enumerate() {
        let x = loud(ch, frames, i as u32 + 1, if float { 3.0 } else { 0.99 });
        let path = dir.join(name);
        if float {
            write_float(&path, ch, &x);
        } else {
            write_s16(&path, ch, &x);
        }
        inputs.push(path);
    }
    let out = dir.join("out");
    let mut args = vec!["limit", "-o", s(&out), "-q", "-j", "1"];
    args.extend(inputs.iter().map(|p| s(p)));
    let mut sixteen = args.clone();
    assert_eq!(run(&args).status.code(), Some(0));
    let settings = LimiterSettings::default();
    let ceiling = db(-1.0);
    for (&(name, ch, frames, float), input) in cases.iter().zip(&inputs) {
        let (c, y) = read(&out.join(name));
        assert_eq!(c, ch, "{name}");
        assert_eq!(y.len(), frames * ch, "{name}: output length");
        if float {
            let peak = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(peak <= ceiling, "{name}: peak {peak} over {ceiling}");
            let (_, x) = read(input);
            assert!(bits_equal(&y, &expected(&x, ch, settings, true)), "{name}");
        } else {
            // 16-bit output: the ceiling within the dither (+-1 LSB).
            let peak = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(peak <= ceiling + 2.0 / 32768.0, "{name}: peak {peak}");
        }
    }

    // The same bytes on every ISA and with more threads.
    let reference: Vec<Vec<u8>> = cases
        .iter()
        .map(|c| std::fs::read(out.join(c.0)).unwrap())
        .collect();
    for isa in lanedsp::available_isas() {
        let other = dir.join(format!("out-{}", isa.name()));
        let mut a = vec![
            "limit",
            "-o",
            s(&other),
            "-q",
            "-j",
            "2",
            "--isa",
            isa.name(),
        ];
        a.extend(inputs.iter().map(|p| s(p)));
        assert_eq!(run(&a).status.code(), Some(0));
        for (c, bytes) in cases.iter().zip(&reference) {
            assert_eq!(
                &std::fs::read(other.join(c.0)).unwrap(),
                bytes,
                "{isa} {}",
                c.0
            );
        }
    }

    // A lower ceiling, true peak, input gain, no link: the ceiling holds.
    let low = dir.join("low");
    sixteen[2] = s(&low);
    sixteen.extend([
        "--ceiling-db",
        "-6",
        "--true-peak",
        "--input-gain-db",
        "3",
        "--link",
        "none",
        "--release-ms",
        "200",
        "--lookahead-ms",
        "2",
    ]);
    assert_eq!(run(&sixteen).status.code(), Some(0));
    for &(name, ch, frames, float) in &cases {
        let (_, y) = read(&low.join(name));
        assert_eq!(y.len(), frames * ch);
        if float {
            assert!(y.iter().all(|v| v.abs() <= db(-6.0)), "{name}");
        }
    }
}

#[test]
fn impulse_below_the_ceiling_keeps_its_frame() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let frames = 20_000;
    for (i, at) in [0usize, 1, 16_383, 16_384, 19_999].into_iter().enumerate() {
        let mut x = vec![0.0f32; frames * 2];
        x[at * 2] = 0.5;
        x[at * 2 + 1] = -0.25;
        write_float(&tmp.path().join(format!("i{i}.wav")), 2, &x);
    }
    let out = tmp.path().join("out");
    for extra in [&[][..], &["--true-peak"][..], &["--lookahead-ms", "0"][..]] {
        let mut args = vec!["limit", "-o", s(&out), "-q"];
        let names: Vec<String> = (0..5)
            .map(|i| s(&tmp.path().join(format!("i{i}.wav"))).to_string())
            .collect();
        args.extend(names.iter().map(String::as_str));
        args.extend(extra);
        assert_eq!(run(&args).status.code(), Some(0), "{extra:?}");
        for (i, at) in [0usize, 1, 16_383, 16_384, 19_999].into_iter().enumerate() {
            let (_, y) = read(&out.join(format!("i{i}.wav")));
            let (_, x) = read(&tmp.path().join(format!("i{i}.wav")));
            assert_eq!(y.len(), x.len());
            assert_eq!(y[at * 2], 0.5, "{extra:?} impulse at {at}");
            assert_eq!(y[at * 2 + 1], -0.25, "{extra:?} impulse at {at}");
            let elsewhere = y
                .iter()
                .enumerate()
                .filter(|&(j, _)| j / 2 != at)
                .map(|(_, v)| v.abs())
                .fold(0.0f32, f32::max);
            assert!(elsewhere < 1e-6, "{extra:?} at {at}: {elsewhere}");
        }
    }
}

#[test]
fn more_than_sixteen_channels_link_in_blocks() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let ch = 18;
    let frames = 3_000;
    // Only channel 0 is loud: with blocks of 16 linked, channels 1..16
    // follow its reduction; 16 and 17 (the second block) do not.
    let x: Vec<f32> = (0..frames * ch)
        .map(|i| {
            let (f, c) = (i / ch, i % ch);
            let v = 0.1 * ((f as f32) * 0.05).sin();
            if c == 0 { v * 40.0 } else { v }
        })
        .collect();
    let input = tmp.path().join("many.wav");
    write_float(&input, ch, &x);
    let out = tmp.path().join("out");
    let report = tmp.path().join("r.json");
    let r = run(&[
        "limit",
        s(&input),
        "-o",
        s(&out),
        "-q",
        "--report",
        s(&report),
    ]);
    assert_eq!(r.status.code(), Some(0));
    let (_, y) = read(&out.join("many.wav"));
    assert_eq!(y.len(), x.len());
    let ratio = |c: usize| {
        (0..frames)
            .map(|f| y[f * ch + c].abs())
            .fold(0.0f32, f32::max)
            / (0..frames)
                .map(|f| x[f * ch + c].abs())
                .fold(0.0f32, f32::max)
    };
    assert!(
        ratio(5) < 0.5,
        "channel 5 linked to channel 0: {}",
        ratio(5)
    );
    assert!(
        ratio(17) > 0.99,
        "channel 17 in the second block: {}",
        ratio(17)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["command"], "limit");
    let f = &json["files"][0];
    assert!(f["max_gain_reduction_db"].as_f64().unwrap() > 10.0);
    assert!(f["output_peak_dbfs"].as_f64().unwrap() <= -1.0 + 1e-5);
}

#[test]
fn bad_options_and_files_exit_2_and_leave_nothing() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("a.wav");
    write_float(&input, 1, &loud(1, 100, 1, 2.0));
    let out = tmp.path().join("out");
    let o = s(&out);
    for args in [
        vec!["limit", s(&input), "-o", o, "--ceiling-db", "30"],
        vec!["limit", s(&input), "-o", o, "--ceiling-db", "nan"],
        vec!["limit", s(&input), "-o", o, "--lookahead-ms", "80"],
        vec!["limit", s(&input), "-o", o, "--lookahead-ms", "-1"],
        vec!["limit", s(&input), "-o", o, "--release-ms", "-5"],
        vec!["limit", s(&input), "-o", o, "--input-gain-db", "100"],
        vec!["limit", s(&input), "-o", o, "--link", "pairs"],
        vec!["limit", s(&input), "-o", o, "--isa", "mmx"],
        vec!["limit", s(&input), "-o", o, "-j", "0"],
        vec!["limit", s(&input), "-o", o, "--frobnicate"],
        vec!["limit", s(&input)],
        vec!["limit", "-o", o],
    ] {
        let r = bin().args(&args).output().unwrap();
        assert_eq!(r.status.code(), Some(2), "{args:?}");
        assert!(!r.stderr.is_empty(), "{args:?}: no message");
        assert!(
            listing(&out).is_empty(),
            "{args:?} left {:?}",
            listing(&out)
        );
    }

    // A missing, a corrupt and a truncated file: exit 2, named, no output
    // for them; the good file is still written.
    let corrupt = tmp.path().join("corrupt.wav");
    std::fs::write(&corrupt, b"RIFF\x10\0\0\0WAVEjunkjunkjunk").unwrap();
    let truncated = tmp.path().join("trunc.wav");
    write_float(&truncated, 2, &loud(2, 5_000, 3, 2.0));
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() - 1_000]).unwrap();
    let r = run(&[
        "limit",
        s(&input),
        s(&tmp.path().join("missing.wav")),
        s(&corrupt),
        s(&truncated),
        "-o",
        o,
        "-q",
    ]);
    assert_eq!(r.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&r.stderr);
    for name in ["missing.wav", "corrupt.wav", "trunc.wav"] {
        assert!(stderr.contains(name), "{name} not named: {stderr}");
    }
    assert_eq!(listing(&out), vec!["a.wav".to_string()]);
}

/// The library's meter over interleaved `x`: (integrated LUFS, largest
/// true peak in dB, largest sample peak in dB).
fn meter(x: &[f32], channels: usize) -> (f64, f64, f64) {
    let mut m = lanedsp::LoudnessMeter::new(FS as f32, channels).unwrap();
    m.process_interleaved(x).unwrap();
    let tp = (0..channels)
        .map(|c| m.true_peak(c).unwrap())
        .fold(0.0f32, f32::max);
    let sp = (0..channels)
        .map(|c| m.sample_peak(c).unwrap())
        .fold(0.0f32, f32::max);
    let db = |v: f32| 20.0 * f64::from(v).log10();
    (m.integrated(), db(tp), db(sp))
}

#[test]
fn measure_reports_the_library_meter() {
    if !runnable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.wav");
    let b = dir.path().join("b.wav");
    let xa = loud(2, 3 * FS as usize + 777, 1, 0.5);
    let xb = loud(1, FS as usize, 2, 0.9);
    write_float(&a, 2, &xa);
    write_float(&b, 1, &xb);
    let missing = dir.path().join("missing.wav");
    let out = run(&["measure", "--json", s(&a), s(&missing), s(&b)]);
    // A missing file is reported and fails the run; the others are measured.
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.wav"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    // In the order of the arguments, the missing file included.
    let order: Vec<&str> = files.iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert!(
        order[0].ends_with("a.wav")
            && order[1].ends_with("missing.wav")
            && order[2].ends_with("b.wav"),
        "{order:?}"
    );
    let named = |name: &str| {
        files
            .iter()
            .find(|f| f["file"].as_str().unwrap().ends_with(name))
            .unwrap()
    };
    for (file, x, ch) in [(named("a.wav"), &xa, 2), (named("b.wav"), &xb, 1)] {
        let (lufs, tp, sp) = meter(x, ch);
        assert_eq!(file["ok"], true);
        // serde_json parses the last digit of an f64 back within an ulp.
        let close = |v: &serde_json::Value, x: f64| (v.as_f64().unwrap() - x).abs() < 1e-9;
        assert!(close(&file["integrated_lufs"], lufs));
        assert!(close(&file["true_peak_dbtp"], tp));
        assert!(close(&file["sample_peak_dbfs"], sp));
        assert!(tp >= sp);
        assert!(file["loudness_range_lu"].as_f64().unwrap() >= 0.0);
        assert_eq!(file["per_channel"].as_array().unwrap().len(), ch);
    }
    assert_eq!(named("missing.wav")["ok"], false);
    // One thread: both files side by side in one meter, the same readings.
    let one = run(&["measure", "--json", "-j", "1", s(&a), s(&missing), s(&b)]);
    let one: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(one["files"], json["files"]);
    // Each channel alone: channel 1 of `a` as a mono file reads the same.
    let left: Vec<f32> = xa.iter().step_by(2).copied().collect();
    let (lufs, tp, _) = meter(&left, 1);
    let c0 = &named("a.wav")["per_channel"][0];
    assert!((c0["integrated_lufs"].as_f64().unwrap() - lufs).abs() < 1e-9);
    assert!((c0["true_peak_dbtp"].as_f64().unwrap() - tp).abs() < 1e-9);
    // The table form runs too, and silence reads -inf (JSON null).
    let quiet = dir.path().join("quiet.wav");
    write_float(&quiet, 2, &vec![0.0; 2 * 4800]);
    let out = run(&["measure", s(&quiet)]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("-inf"));
    let out = run(&["measure", "--json", s(&quiet)]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["files"][0]["integrated_lufs"].is_null());
}

#[test]
fn master_reaches_the_target_under_the_ceiling_on_every_isa() {
    if !runnable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<(String, usize, Vec<f32>)> = [
        // quiet, loud and peaky, mono: gain up, gain down, limiter at work
        ("quiet.wav", 2, loud(2, 5 * FS as usize, 3, 0.05)),
        ("loud.wav", 2, loud(2, 4 * FS as usize + 3, 4, 0.99)),
        ("mono.wav", 1, loud(1, 3 * FS as usize, 5, 0.3)),
    ]
    .into_iter()
    .map(|(n, c, x)| {
        write_float(&dir.path().join(n), c, &x);
        (n.to_string(), c, x)
    })
    .collect();
    let paths: Vec<String> = inputs
        .iter()
        .map(|(n, _, _)| s(&dir.path().join(n)).to_string())
        .collect();
    let mut outputs: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut isas = vec!["scalar".to_string()];
    isas.extend(
        lanedsp::available_isas()
            .iter()
            .map(|i| i.name().to_string()),
    );
    for (k, isa) in isas.iter().enumerate() {
        let out_dir = dir.path().join(format!("out-{k}"));
        let report = dir.path().join(format!("report-{k}.json"));
        let jobs = if k % 2 == 0 { "1" } else { "2" };
        // Decoded files kept between the passes: all (the default), none,
        // or those that fit in 1 MiB (the mono file; each stereo one holds
        // more than 1 MiB of samples).
        let cache = ["1024", "0", "1"][k % 3];
        let mut args = vec!["master", "-o", s(&out_dir), "--isa", isa, "-j", jobs];
        args.extend(["--cache-mb", cache]);
        args.extend(["--report", s(&report), "--quiet"]);
        args.extend(paths.iter().map(String::as_str));
        let out = run(&args);
        assert!(out.status.success(), "{isa}");
        let mut bytes = Vec::new();
        for (name, channels, x) in &inputs {
            let path = out_dir.join(name);
            let (ch, y) = read(&path);
            assert_eq!((ch, y.len()), (*channels, x.len()), "{name}");
            let (lufs, tp, _) = meter(&y, ch);
            assert!((lufs - -14.0).abs() <= 0.1, "{name}: {lufs} LUFS");
            assert!(tp <= -1.0 + 1e-4, "{name}: {tp} dBTP");
            bytes.push(std::fs::read(&path).unwrap());
        }
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        for f in json["files"].as_array().unwrap() {
            let planned = f["plan"]["output_lufs"].as_f64().unwrap();
            assert!((planned - -14.0).abs() <= 0.1, "{f}");
        }
        outputs.push(bytes);
    }
    // The same bytes whatever the ISA, -j and the cache.
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn master_refuses_bad_options_and_leaves_nothing() {
    if !runnable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.wav");
    write_float(&a, 2, &loud(2, FS as usize, 6, 0.5));
    let out_dir = dir.path().join("out");
    for bad in [
        vec!["--target-lufs", "3"],
        vec!["--target-lufs", "nan"],
        vec!["--ceiling-db", "nan"],
        vec!["--lookahead-ms", "-1"],
        vec!["--true-peak", "--sample-peak"],
    ] {
        let mut args = vec!["master", "-o", s(&out_dir), s(&a)];
        args.extend(bad.iter().copied());
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(listing(&out_dir).is_empty(), "{bad:?}");
    }
    let truncated = dir.path().join("truncated.wav");
    let bytes = std::fs::read(&a).unwrap();
    std::fs::write(&truncated, &bytes[..30]).unwrap();
    let out = run(&["master", "-o", s(&out_dir), s(&truncated), s(&a)]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(listing(&out_dir), vec!["a.wav".to_string()]);
}
