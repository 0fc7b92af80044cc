//! The `lanedsp` binary on generated files: formats, content against the
//! library called directly, byte identity across ISAs and `-j`, errors,
//! exit codes and cleanup.

use lanedsp::{Compressor, LinkMode, Mode, Processor, Settings, Sidechain, Time};
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::{FS, bin, bits_equal, run, runnable, s};

/// A deterministic test signal: noise whose level moves between loud and
/// quiet every few thousand frames, different per channel.
fn signal(channels: usize, frames: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9e37_79b9) | 1;
    (0..frames * channels)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let (f, c) = (i / channels, i % channels);
            let level = [0.95, 0.02, 0.3, 0.001][(f / 3000 + c) % 4];
            ((state >> 8) as f32 / (1u32 << 23) as f32 - 1.0) * level
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Int(u16),
    Float,
}

fn spec(kind: Kind, channels: usize) -> hound::WavSpec {
    hound::WavSpec {
        channels: channels as u16,
        sample_rate: FS,
        bits_per_sample: match kind {
            Kind::Int(b) => b,
            Kind::Float => 32,
        },
        sample_format: match kind {
            Kind::Int(_) => hound::SampleFormat::Int,
            Kind::Float => hound::SampleFormat::Float,
        },
    }
}

fn full(bits: u16) -> f64 {
    f64::from(bits - 1).exp2()
}

fn to_int(x: f32, bits: u16) -> i32 {
    (f64::from(x) * full(bits))
        .round()
        .clamp(-full(bits), full(bits) - 1.0) as i32
}

/// Writes `x` (interleaved) as a WAV file; returns the samples as the
/// program reads them back (integers rounded, then scaled).
fn write_wav(path: &Path, kind: Kind, channels: usize, x: &[f32]) -> Vec<f32> {
    let mut w = hound::WavWriter::create(path, spec(kind, channels)).unwrap();
    let mut read = Vec::with_capacity(x.len());
    for &v in x {
        match kind {
            Kind::Float => {
                w.write_sample(v).unwrap();
                read.push(v);
            }
            Kind::Int(bits) => {
                let q = to_int(v, bits);
                w.write_sample(q).unwrap();
                read.push((f64::from(q) / full(bits)) as f32);
            }
        }
    }
    w.finalize().unwrap();
    read
}

/// A WAV file's spec and samples scaled to full scale.
fn read_wav(path: &Path) -> (hound::WavSpec, Vec<f32>, Vec<i32>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    match spec.sample_format {
        hound::SampleFormat::Float => {
            let x: Vec<f32> = r.samples::<f32>().map(Result::unwrap).collect();
            (spec, x, Vec::new())
        }
        hound::SampleFormat::Int => {
            let q: Vec<i32> = r.samples::<i32>().map(Result::unwrap).collect();
            let x = q
                .iter()
                .map(|&v| (f64::from(v) / full(spec.bits_per_sample)) as f32)
                .collect();
            (spec, x, q)
        }
    }
}

/// The program's default compress settings with a -30 dBFS threshold.
fn settings() -> Settings {
    Settings {
        threshold_db: -30.0,
        attack: Time::Seconds(0.005),
        release: Time::Seconds(0.050),
        ..Settings::compressor()
    }
}

/// The library's output for one file: every channel in one processor,
/// a stereo file's pair linked, the whole file in one call.
fn expected(x: &[f32], channels: usize, s: Settings, link_stereo: bool) -> Vec<f32> {
    let mut comp = Compressor::new(FS as f32, channels, s).unwrap();
    if link_stereo && channels == 2 {
        comp.set_links(&[vec![0, 1]], 1.0, LinkMode::Max).unwrap();
    }
    let mut y = x.to_vec();
    comp.process_interleaved_in_place(&mut y).unwrap();
    y
}

/// Every file in `dir` and below, as paths relative to `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(base, &p, out);
                } else {
                    out.push(p.strip_prefix(base).unwrap().display().to_string());
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn no_temp_files(dir: &Path) {
    let names = listing(dir);
    assert!(
        names
            .iter()
            .all(|n| !n.contains(".tmp") && !n.starts_with('.')),
        "temporary files left in {}: {names:?}",
        dir.display()
    );
}

struct Case {
    name: String,
    kind: Kind,
    channels: usize,
    frames: usize,
    read: Vec<f32>,
}

/// Writes a set of WAV files: every sample kind, 1 to 8 channels, odd
/// lengths (shorter and longer than one block), one empty file.
fn corpus(dir: &Path) -> Vec<Case> {
    let shapes = [
        (Kind::Int(16), 1, 9_001),
        (Kind::Int(16), 2, 12_345),
        (Kind::Int(24), 2, 4_096),
        (Kind::Int(24), 3, 777),
        (Kind::Float, 2, 10_007),
        (Kind::Float, 8, 5_003),
        (Kind::Float, 2, 36_007),
        (Kind::Int(24), 2, 32_768),
        (Kind::Int(8), 1, 3_001),
        (Kind::Int(32), 6, 4_097),
        (Kind::Float, 5, 1),
        (Kind::Int(16), 2, 0),
    ];
    shapes
        .iter()
        .enumerate()
        .map(|(i, &(kind, channels, frames))| {
            let name = format!("in{i}-{kind:?}-{channels}ch.wav").replace(['(', ')'], "");
            let x = signal(channels, frames, i as u32 + 1);
            let read = write_wav(&dir.join(&name), kind, channels, &x);
            Case {
                name,
                kind,
                channels,
                frames,
                read,
            }
        })
        .collect()
}

#[test]
fn wav_formats_and_content_match_the_library() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (inp, out) = (tmp.path().join("in"), tmp.path().join("out"));
    std::fs::create_dir_all(&inp).unwrap();
    let cases = corpus(&inp);
    let mut args = vec!["compress", "--threshold-db", "-30", "--no-dither", "-q"];
    let paths: Vec<PathBuf> = cases.iter().map(|c| inp.join(&c.name)).collect();
    args.extend(paths.iter().map(|p| s(p)));
    args.extend(["--out-dir", s(&out)]);
    let result = run(&args);
    assert_eq!(result.status.code(), Some(0));
    for c in &cases {
        let (spec, y, q) = read_wav(&out.join(&c.name));
        assert_eq!(spec, self::spec(c.kind, c.channels), "{}", c.name);
        assert_eq!(y.len(), c.frames * c.channels, "{}", c.name);
        let want = expected(&c.read, c.channels, settings(), true);
        match c.kind {
            Kind::Float => assert!(bits_equal(&y, &want), "{}: float output differs", c.name),
            Kind::Int(bits) => {
                let want_q: Vec<i32> = want.iter().map(|&v| to_int(v, bits)).collect();
                assert!(q == want_q, "{}: integer output differs", c.name);
            }
        }
    }
    no_temp_files(&out);
}

#[test]
fn dither_is_bounded_and_reproducible() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("a.wav");
    let x = signal(2, 20_000, 7);
    let read = write_wav(&input, Kind::Int(16), 2, &x);
    for dir in ["o1", "o2"] {
        let out = tmp.path().join(dir);
        let r = run(&[
            "compress",
            s(&input),
            "-o",
            s(&out),
            "--threshold-db",
            "-30",
            "-q",
        ]);
        assert_eq!(r.status.code(), Some(0));
    }
    let a = std::fs::read(tmp.path().join("o1/a.wav")).unwrap();
    let b = std::fs::read(tmp.path().join("o2/a.wav")).unwrap();
    assert!(a == b, "dithered output differs between runs");
    let (_, _, q) = read_wav(&tmp.path().join("o1/a.wav"));
    let want = expected(&read, 2, settings(), true);
    let mut differs = 0;
    for (&got, &y) in q.iter().zip(&want) {
        let exact = f64::from(y) * full(16);
        assert!((f64::from(got) - exact).abs() <= 1.5, "{got} vs {exact}");
        differs += usize::from(got != to_int(y, 16));
    }
    assert!(
        differs > q.len() / 4,
        "dither changed only {differs} samples"
    );
}

/// Decodes any file with symphonia: (rate, channels, interleaved samples).
fn decode(path: &Path) -> (u32, usize, Vec<f32>) {
    use symphonia::core::codecs::audio::AudioDecoderOptions;
    use symphonia::core::formats::probe::Hint;
    use symphonia::core::formats::{FormatOptions, TrackType};
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    let file = std::fs::File::open(path).unwrap();
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut format = symphonia::default::get_probe()
        .probe(
            &Hint::new(),
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .unwrap();
    let track = format.default_track(TrackType::Audio).unwrap();
    let params = track
        .codec_params
        .as_ref()
        .unwrap()
        .audio()
        .unwrap()
        .clone();
    let id = track.id;
    let mut dec = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .unwrap();
    let mut all = Vec::new();
    let mut part = Vec::new();
    while let Some(p) = format.next_packet().unwrap() {
        if p.track_id == id {
            dec.decode(&p)
                .unwrap()
                .copy_to_vec_interleaved::<f32>(&mut part);
            all.extend_from_slice(&part);
        }
    }
    let channels = params.channels.unwrap().count();
    (params.sample_rate.unwrap(), channels, all)
}

#[test]
fn flac_in_and_out() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let inp = tmp.path().join("in");
    std::fs::create_dir_all(&inp).unwrap();
    // FLAC inputs made by flacenc directly, at 16 and 24 bits.
    let mut cases = Vec::new();
    for (i, (bits, channels, frames)) in
        [(16u16, 2usize, 10_001usize), (24, 1, 5_000), (24, 3, 4_096)]
            .into_iter()
            .enumerate()
    {
        let x = signal(channels, frames, 40 + i as u32);
        let ints: Vec<i32> = x.iter().map(|&v| to_int(v, bits)).collect();
        let src = flacenc::source::MemSource::from_samples(
            &ints,
            channels,
            usize::from(bits),
            FS as usize,
        );
        let config =
            flacenc::error::Verify::into_verified(flacenc::config::Encoder::default()).unwrap();
        let mut stream = flacenc::encode_with_fixed_block_size(&config, src, 4096).unwrap();
        // flacenc states the last frame's length as the minimum block size,
        // which marks the stream variable-size while its frames are numbered
        // as fixed-size; symphonia rejects that, so state it as libFLAC does.
        stream
            .stream_info_mut()
            .set_block_sizes(4096, 4096)
            .unwrap();
        let mut sink = flacenc::bitsink::ByteSink::new();
        flacenc::component::BitRepr::write(&stream, &mut sink).unwrap();
        let name = format!("f{i}.flac");
        std::fs::write(inp.join(&name), sink.as_slice()).unwrap();
        let read: Vec<f32> = ints
            .iter()
            .map(|&v| (f64::from(v) / full(bits)) as f32)
            .collect();
        cases.push((name, bits, channels, read));
    }
    // FLAC in, WAV out at the input's depth (name: extension changed).
    let out = tmp.path().join("wav");
    let r = run(&[
        "compress",
        s(&inp),
        "-r",
        "-o",
        s(&out),
        "--threshold-db",
        "-30",
        "--no-dither",
        "-q",
    ]);
    assert_eq!(r.status.code(), Some(0));
    for (name, bits, channels, read) in &cases {
        let wav = out.join(name.replace(".flac", ".wav"));
        let (spec, _, q) = read_wav(&wav);
        assert_eq!(spec, self::spec(Kind::Int(*bits), *channels));
        let want: Vec<i32> = expected(read, *channels, settings(), true)
            .iter()
            .map(|&v| to_int(v, *bits))
            .collect();
        assert!(q == want, "{name}: output differs from the library");
    }
    // FLAC out (name kept), decoded again: the library's output rounded.
    let out = tmp.path().join("flac");
    let r = run(&[
        "compress",
        s(&inp),
        "-r",
        "-o",
        s(&out),
        "--format",
        "flac",
        "--threshold-db",
        "-30",
        "--no-dither",
        "-q",
    ]);
    assert_eq!(r.status.code(), Some(0));
    for (name, bits, channels, read) in &cases {
        let (rate, ch, y) = decode(&out.join(name));
        assert_eq!((rate, ch), (FS, *channels));
        let want: Vec<f32> = expected(read, *channels, settings(), true)
            .iter()
            .map(|&v| (f64::from(to_int(v, *bits)) / full(*bits)) as f32)
            .collect();
        assert!(bits_equal(&y, &want), "{name}: FLAC output differs");
    }
    // Full-scale 24-bit noise stays about the size of its samples.
    let noise = tmp.path().join("noise.wav");
    let x: Vec<f32> = signal(1, 20_000, 99)
        .iter()
        .map(|v| v.signum() * 0.9)
        .collect();
    write_wav(&noise, Kind::Int(24), 1, &x);
    let out = tmp.path().join("noise");
    let r = run(&[
        "compress",
        s(&noise),
        "-o",
        s(&out),
        "--format",
        "flac",
        "-q",
    ]);
    assert_eq!(r.status.code(), Some(0));
    let size = std::fs::metadata(out.join("noise.flac")).unwrap().len();
    assert!(
        size < 20_000 * 3 + 4096,
        "FLAC of 20,000 24-bit samples is {size} bytes"
    );
}

/// Output bytes of one run over a fixed set of inputs, keyed by file name.
fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    listing(dir)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect()
}

#[test]
fn bytes_identical_across_isas_and_jobs() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let inp = tmp.path().join("in");
    std::fs::create_dir_all(&inp).unwrap();
    corpus(&inp);
    for i in 0..12 {
        let channels = 1 + i % 3;
        write_wav(
            &inp.join(format!("extra{i}.wav")),
            Kind::Int(16),
            channels,
            &signal(channels, 3_000 + 1_111 * i, 100 + i as u32),
        );
    }
    let mut runs = Vec::new();
    for isa in lanedsp::available_isas() {
        for (jobs, format) in [("1", "wav"), ("3", "wav"), ("2", "flac")] {
            let out = tmp.path().join(format!("{isa}-{jobs}-{format}"));
            let r = run(&[
                "compress",
                s(&inp),
                "-r",
                "-o",
                s(&out),
                "--isa",
                isa.name(),
                "-j",
                jobs,
                "--format",
                format,
                "-q",
            ]);
            assert_eq!(r.status.code(), Some(0));
            runs.push((format!("{isa} -j {jobs} {format}"), format, outputs(&out)));
        }
    }
    // The environment override too.
    let out = tmp.path().join("env-scalar");
    let r = bin()
        .args(["compress", s(&inp), "-r", "-o", s(&out), "-q"])
        .env("LANEDSP_ISA", "scalar")
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0));
    runs.push(("LANEDSP_ISA=scalar".into(), "wav", outputs(&out)));
    // One file at a time gives the same bytes as every batching.
    let single = tmp.path().join("single");
    for entry in std::fs::read_dir(&inp).unwrap() {
        let p = entry.unwrap().path();
        let r = run(&["compress", s(&p), "-o", s(&single), "-q"]);
        assert_eq!(r.status.code(), Some(0));
    }
    runs.push(("one file per run".into(), "wav", outputs(&single)));
    for format in ["wav", "flac"] {
        let of: Vec<_> = runs.iter().filter(|r| r.1 == format).collect();
        assert!(of[0].2.len() >= 22);
        for r in &of[1..] {
            assert!(r.2 == of[0].2, "{} differs from {}", r.0, of[0].0);
        }
    }
}

#[test]
fn modes_links_and_sidechain_match_the_library() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("st.wav");
    let x = signal(2, 15_000, 5);
    write_wav(&input, Kind::Float, 2, &x);
    let modes: [(&str, Settings); 4] = [
        ("compress", settings()),
        (
            "gate",
            Settings {
                threshold_db: -30.0,
                ..Settings::gate()
            },
        ),
        (
            "expand",
            Settings {
                threshold_db: -30.0,
                ..Settings::expander()
            },
        ),
        (
            "upward",
            Settings {
                threshold_db: -30.0,
                ..Settings::upward()
            },
        ),
    ];
    for (mode, s_) in modes {
        for link in ["stereo", "none"] {
            let out = tmp.path().join(format!("{mode}-{link}"));
            let r = run(&[
                "compress",
                s(&input),
                "-o",
                s(&out),
                "--mode",
                mode,
                "--link",
                link,
                "--threshold-db",
                "-30",
                "-q",
            ]);
            assert_eq!(r.status.code(), Some(0));
            let (_, y, _) = read_wav(&out.join("st.wav"));
            let want = expected(&x, 2, s_, link == "stereo");
            assert!(bits_equal(&y, &want), "{mode} --link {link} differs");
        }
    }
    // Options reach the settings: ratio, knee, times (FFmpeg's), makeup.
    let out = tmp.path().join("opts");
    let r = run(&[
        "compress",
        s(&input),
        "-o",
        s(&out),
        "--threshold-db",
        "-25",
        "--ratio",
        "8",
        "--knee-db",
        "0",
        "--attack-ms",
        "2",
        "--release-ms",
        "80",
        "--times",
        "ffmpeg",
        "--makeup-db",
        "3",
        "--link",
        "none",
        "-q",
    ]);
    assert_eq!(r.status.code(), Some(0));
    let s_ = Settings {
        threshold_db: -25.0,
        ratio: 8.0,
        knee_db: 0.0,
        attack: Time::FfmpegMs(2.0),
        release: Time::FfmpegMs(80.0),
        makeup: lanedsp::Makeup::Db(3.0),
        ..Settings::compressor()
    };
    assert_eq!(s_.mode, Mode::Compress);
    let (_, y, _) = read_wav(&out.join("st.wav"));
    assert!(bits_equal(&y, &expected(&x, 2, s_, false)), "options");

    // A mono sidechain drives both channels.
    let key_path = tmp.path().join("key.wav");
    let key = signal(1, 9_000, 77);
    write_wav(&key_path, Kind::Float, 1, &key);
    let out = tmp.path().join("keyed");
    let r = run(&[
        "compress",
        s(&input),
        "-o",
        s(&out),
        "--sidechain",
        s(&key_path),
        "--threshold-db",
        "-30",
        "-q",
    ]);
    assert_eq!(r.status.code(), Some(0));
    let mut comp = Compressor::new(FS as f32, 2, settings()).unwrap();
    comp.set_links(&[vec![0, 1]], 1.0, LinkMode::Max).unwrap();
    let mut key2: Vec<f32> = key.iter().flat_map(|&k| [k, k]).collect();
    key2.resize(x.len(), 0.0);
    let mut want = x.clone();
    comp.process_sidechain(
        lanedsp::Buffers::InterleavedInPlace { buf: &mut want },
        Sidechain::Interleaved(&key2),
    )
    .unwrap();
    let (_, y, _) = read_wav(&out.join("st.wav"));
    assert!(bits_equal(&y, &want), "sidechain");
}

#[test]
fn bad_files_are_reported_and_the_rest_processed() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let inp = tmp.path().join("in");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&inp).unwrap();
    write_wav(
        &inp.join("good.wav"),
        Kind::Int(16),
        2,
        &signal(2, 5_000, 3),
    );
    // A header that is not a WAV header.
    let mut corrupt = b"RIFF\x10\x00\x00\x00WAVEfmt \x04\x00\x00\x00garbage".to_vec();
    corrupt.extend([0u8; 64]);
    std::fs::write(inp.join("corrupt.wav"), corrupt).unwrap();
    // A data chunk that ends early (16 KiB cut off).
    write_wav(
        &inp.join("trunc.wav"),
        Kind::Int(24),
        2,
        &signal(2, 20_000, 4),
    );
    let bytes = std::fs::read(inp.join("trunc.wav")).unwrap();
    std::fs::write(inp.join("trunc.wav"), &bytes[..bytes.len() - 16_384]).unwrap();
    // A truncated FLAC file.
    let r = run(&[
        "compress",
        s(&inp.join("good.wav")),
        "-o",
        s(&tmp.path().join("f")),
        "--format",
        "flac",
        "-q",
    ]);
    assert_eq!(r.status.code(), Some(0));
    let flac = std::fs::read(tmp.path().join("f/good.flac")).unwrap();
    std::fs::write(inp.join("cut.flac"), &flac[..flac.len() * 2 / 3]).unwrap();
    std::fs::write(inp.join("text.wav"), "this is not audio\n").unwrap();
    std::fs::write(inp.join("empty.flac"), "").unwrap();
    std::fs::write(inp.join("data.xyz"), [7u8; 4096]).unwrap();
    let missing = inp.join("missing.wav");
    let names = [
        "good.wav",
        "corrupt.wav",
        "trunc.wav",
        "cut.flac",
        "text.wav",
        "empty.flac",
        "data.xyz",
    ];
    let paths: Vec<PathBuf> = names.iter().map(|n| inp.join(n)).collect();
    let mut args = vec!["compress", "-o", s(&out), "-q", s(&missing)];
    args.extend(paths.iter().map(|p| s(p)));
    let r = run(&args);
    assert_eq!(r.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&r.stderr);
    for bad in [
        "missing.wav",
        "corrupt.wav",
        "trunc.wav",
        "cut.flac",
        "text.wav",
        "empty.flac",
        "data.xyz",
    ] {
        assert!(
            stderr.lines().any(|l| l.contains(bad)),
            "{bad} not reported:\n{stderr}"
        );
    }
    assert!(stderr.contains("truncated"), "{stderr}");
    // Only the good file's output exists; nothing partial is left.
    assert_eq!(listing(&out), vec!["good.wav".to_string()]);
    no_temp_files(&out);
}

#[test]
fn bad_options_exit_2() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("a.wav");
    write_wav(&input, Kind::Int(16), 1, &signal(1, 100, 1));
    let o = s(tmp.path());
    for args in [
        vec!["compress", s(&input), "-o", o, "--ratio", "0.5"],
        vec!["compress", s(&input), "-o", o, "--mode", "squash"],
        vec!["compress", s(&input)],
        vec!["compress", "-o", o],
        vec!["compress", s(&input), "-o", o, "--frobnicate"],
        vec!["compress", s(&input), "-o", o, "--isa", "mmx"],
        vec![
            "compress",
            s(&input),
            "-o",
            o,
            "--makeup-db",
            "2",
            "--auto-makeup",
        ],
        vec!["compress", s(&input), "-o", o, "-j", "0"],
        vec!["nonsense"],
    ] {
        let r = bin().args(&args).output().unwrap();
        assert_eq!(r.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn in_place_recursive_empty_and_report() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("a/b")).unwrap();
    let x = signal(2, 6_000, 11);
    let read = write_wav(&tree.join("top.wav"), Kind::Float, 2, &x);
    write_wav(
        &tree.join("a/b/deep.wav"),
        Kind::Int(16),
        1,
        &signal(1, 2_000, 12),
    );
    write_wav(&tree.join("a/zero.wav"), Kind::Int(24), 4, &[]);
    std::fs::write(tree.join("a/notes.txt"), "skipped").unwrap();

    // A directory needs --recursive.
    let out = tmp.path().join("out");
    let r = run(&["compress", s(&tree), "-o", s(&out), "-q"]);
    assert_eq!(r.status.code(), Some(2));

    // The tree is mirrored; the empty file gives an empty file; the report
    // names every file.
    let report = tmp.path().join("r.json");
    let r = run(&[
        "compress",
        s(&tree),
        "-r",
        "-o",
        s(&out),
        "-q",
        "--report",
        s(&report),
    ]);
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(listing(&out), vec!["a/b/deep.wav", "a/zero.wav", "top.wav"]);
    let (spec, y, _) = read_wav(&out.join("a/zero.wav"));
    assert_eq!((spec.channels, spec.bits_per_sample, y.len()), (4, 24, 0));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    for f in files {
        assert_eq!(f["ok"], true);
        for key in [
            "input_peak_dbfs",
            "output_peak_dbfs",
            "max_gain_reduction_db",
            "seconds",
            "channel_input_peak_dbfs",
        ] {
            assert!(f.get(key).is_some(), "{key} missing");
        }
    }
    let top = files
        .iter()
        .find(|f| f["input"].as_str().unwrap().ends_with("top.wav"))
        .unwrap();
    assert!(top["max_gain_reduction_db"].as_f64().unwrap() > 1.0);

    // Writing over an input is refused without --in-place...
    let r = run(&["compress", s(&tree.join("top.wav")), "-o", s(&tree), "-q"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--in-place"));
    assert!(bits_equal(&read_wav(&tree.join("top.wav")).1, &read));
    // ...and done with it.
    let r = run(&["compress", s(&tree.join("top.wav")), "--in-place", "-q"]);
    assert_eq!(r.status.code(), Some(0));
    let (_, y, _) = read_wav(&tree.join("top.wav"));
    assert!(bits_equal(
        &y,
        &expected(
            &read,
            2,
            Settings {
                threshold_db: -20.0,
                ..settings()
            },
            true
        )
    ));
    no_temp_files(&tree);
}

#[test]
fn demo_info_and_bench_run() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    let r = run(&[
        "demo",
        "--tracks",
        "5",
        "--seconds",
        "0.5",
        "--out",
        s(&out),
    ]);
    assert_eq!(r.status.code(), Some(0));
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains("all ISAs bit-identical: yes"), "{text}");
    assert_eq!(listing(&out).len(), 10);
    let (spec, y, _) = read_wav(&out.join("out/track-04.wav"));
    assert_eq!((spec.channels, y.len()), (1, 24_000));

    let r = run(&["info"]);
    assert_eq!(r.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&r.stdout).contains("selected:"));

    let r = run(&["info", "--routes"]);
    assert_eq!(r.status.code(), Some(0));
    let text = String::from_utf8_lossy(&r.stdout);
    for route in ["time lanes", "sequential", "block kernel", "peak hold:"] {
        assert!(text.contains(route), "{route}: {text}");
    }
}

/// A WAV layout hound does not read (64-bit float) goes through symphonia
/// and comes out as 32-bit float.
#[test]
fn float64_wav_through_symphonia() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("f64.wav");
    let (channels, frames) = (3usize, 7_001usize);
    let x = signal(channels, frames, 21);
    let data_len = (x.len() * 8) as u32;
    let mut bytes = Vec::new();
    bytes.extend(b"RIFF");
    bytes.extend((36 + data_len).to_le_bytes());
    bytes.extend(b"WAVEfmt ");
    bytes.extend(16u32.to_le_bytes());
    bytes.extend(3u16.to_le_bytes()); // IEEE float
    bytes.extend((channels as u16).to_le_bytes());
    bytes.extend(FS.to_le_bytes());
    bytes.extend((FS * 8 * channels as u32).to_le_bytes());
    bytes.extend((8 * channels as u16).to_le_bytes());
    bytes.extend(64u16.to_le_bytes());
    bytes.extend(b"data");
    bytes.extend(data_len.to_le_bytes());
    for &v in &x {
        bytes.extend(f64::from(v).to_le_bytes());
    }
    std::fs::write(&input, bytes).unwrap();
    let out = tmp.path().join("out");
    let r = run(&[
        "compress",
        s(&input),
        "-o",
        s(&out),
        "--threshold-db",
        "-30",
        "-q",
    ]);
    assert_eq!(r.status.code(), Some(0));
    let (spec, y, _) = read_wav(&out.join("f64.wav"));
    assert_eq!(spec, self::spec(Kind::Float, channels));
    assert!(bits_equal(&y, &expected(&x, channels, settings(), true)));
}

/// Ctrl-C (SIGINT) while outputs are being written: exit code 130 and no
/// temporary file left behind.
#[test]
fn interrupt_removes_temporary_outputs() {
    if !runnable() || Command::new("kill").arg("-l").output().is_err() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let inp = tmp.path().join("in");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&inp).unwrap();
    let x = signal(2, 48_000 * 4, 9);
    for i in 0..40 {
        write_wav(&inp.join(format!("t{i:02}.wav")), Kind::Int(16), 2, &x);
    }
    let mut child = bin()
        .args(["compress", s(&inp), "-r", "-o", s(&out), "-j", "1", "-q"])
        .spawn()
        .unwrap();
    // Wait until a temporary output exists, then interrupt.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut seen = false;
    while std::time::Instant::now() < deadline {
        if listing(&out).iter().any(|n| n.contains(".tmp")) {
            seen = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    if seen && status.code() != Some(0) {
        assert_eq!(status.code(), Some(130));
    }
    no_temp_files(&out);
    // Every output that exists is complete.
    for name in listing(&out) {
        let (_, y, _) = read_wav(&out.join(&name));
        assert_eq!(y.len(), x.len(), "{name}");
    }
}

/// Two inputs whose outputs would be the same file: the second is refused,
/// whatever the spelling of the output directory.
#[test]
fn colliding_outputs_are_refused() {
    if !runnable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("x")).unwrap();
    let x = signal(1, 1_000, 3);
    write_wav(&tmp.path().join("a.wav"), Kind::Int(16), 1, &x);
    write_wav(&tmp.path().join("x/a.wav"), Kind::Int(16), 1, &x);
    let r = bin()
        .current_dir(tmp.path())
        .args(["compress", "a.wav", "x/a.wav", "-o", "out", "-q"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("is also the output of"));
    assert_eq!(listing(&tmp.path().join("out")), vec!["a.wav".to_string()]);
}
