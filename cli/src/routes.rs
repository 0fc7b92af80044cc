//! `lanedsp info --routes`: the route each processor takes on this CPU's
//! selected ISA, per call shape, as the processors report it after a call
//! (`last_execution`).

use lanedsp::{
    Compressor, EnvelopeFollower, Execution, Limiter, LimiterSettings, PeakHold, Processor, Result,
    Settings,
};

const RATE: f32 = 48_000.0;
const CHANNELS: [usize; 6] = [1, 2, 4, 8, 16, 64];
/// A real-time block, and a long call (past the chunking and, at 64
/// channels, the streaming thresholds).
const FRAMES: [usize; 2] = [512, 1 << 18];

/// One processor: its name and a call of a shape that reports its route.
struct Case {
    name: &'static str,
    run: fn(channels: usize, frames: usize, planar: bool) -> Result<Execution>,
}

/// Runs `p` once over silence in the layout asked; its execution.
fn call<P: Processor>(
    mut p: P,
    frames: usize,
    planar: bool,
    last: fn(&P) -> Execution,
) -> Result<Execution> {
    let channels = p.channels();
    if planar {
        let input = vec![vec![0.0f32; frames]; channels];
        let mut output = input.clone();
        let ins: Vec<&[f32]> = input.iter().map(Vec::as_slice).collect();
        let mut outs: Vec<&mut [f32]> = output.iter_mut().map(Vec::as_mut_slice).collect();
        p.process_planar(&ins, &mut outs)?;
    } else {
        let input = vec![0.0f32; frames * channels];
        let mut output = input.clone();
        p.process_interleaved(&input, &mut output)?;
    }
    Ok(last(&p))
}

const CASES: [Case; 5] = [
    Case {
        name: "envelope",
        run: |c, n, planar| {
            let p = EnvelopeFollower::new(RATE, c, 0.001, 0.1)?;
            call(p, n, planar, EnvelopeFollower::last_execution)
        },
    },
    Case {
        name: "compressor",
        run: |c, n, planar| {
            let p = Compressor::new(RATE, c, Settings::default())?;
            call(p, n, planar, Compressor::last_execution)
        },
    },
    Case {
        name: "limiter",
        run: |c, n, planar| {
            let p = Limiter::new(RATE, c, LimiterSettings::default())?;
            call(p, n, planar, Limiter::last_execution)
        },
    },
    Case {
        name: "limiter, true peak",
        run: |c, n, planar| {
            let settings = LimiterSettings {
                true_peak: true,
                ..LimiterSettings::default()
            };
            let p = Limiter::new(RATE, c, settings)?;
            call(p, n, planar, Limiter::last_execution)
        },
    },
    Case {
        name: "peak hold",
        run: |c, n, planar| {
            let p = PeakHold::new(RATE, c, 0.01)?;
            call(p, n, planar, PeakHold::last_execution)
        },
    },
];

/// Prints the route of every case x channel count x layout x call length.
pub fn print() -> Result<()> {
    println!(
        "\nroutes on {} (each processor's default settings at {RATE} Hz; the output is the same bits on every route)",
        lanedsp::selected_isa().name()
    );
    for case in &CASES {
        println!("\n{}:", case.name);
        for planar in [false, true] {
            let layout = if planar { "planar" } else { "interleaved" };
            for channels in CHANNELS {
                let hows = FRAMES
                    .iter()
                    .map(|&frames| (case.run)(channels, frames, planar).map(describe))
                    .collect::<Result<Vec<_>>>()?;
                if hows.iter().all(|h| *h == hows[0]) {
                    println!("  {layout:<11} {channels:>3} ch, any length: {}", hows[0]);
                } else {
                    for (frames, how) in FRAMES.iter().zip(&hows) {
                        println!("  {layout:<11} {channels:>3} ch x {frames:>6} frames: {how}");
                    }
                }
            }
        }
    }
    Ok(())
}

/// The route of `e`, with the chunks of a chunked call.
fn describe(e: Execution) -> String {
    if e.is_chunked() {
        format!(
            "chunks in lanes ({} chunks of {} frames)",
            e.chunks, e.chunk_frames
        )
    } else {
        e.route.to_string()
    }
}
