//! The route each processor reports for its last call
//! (`last_execution().route`), per ISA, channel count and layout: the
//! rules of docs/tuning.md as the processors apply them.

mod common;

use common::{Layout, isa_status, planes, rng, run};
use lanedsp::{
    Compressor, EnvelopeFollower, Isa, Limiter, LimiterSettings, LinkMode, PeakHold, Processor,
    Route, RoutePath, Settings,
};
use lanedsp_kernels::tuning::{
    COMPRESSOR_CHUNK_SLOTS, COMPRESSOR_TIMED, LIMITER_SEQUENTIAL_CHANNELS,
    PEAK_HOLD_SEQUENTIAL_CHANNELS,
};

const RATE: f32 = 48_000.0;

/// Runs `p` over `frames` frames of noise in `layout`.
fn call(p: &mut impl Processor, layout: Layout, frames: usize) {
    let input = planes(&mut rng(7), p.channels(), frames, 0.0);
    run(p, layout, &input);
}

fn lanes(isa: Isa, path: RoutePath) -> Route {
    Route::Lanes {
        lanes: isa.lanes(),
        path,
    }
}

/// The route in lanes of a block kernel or a compressor over `channels`:
/// AVX-512 runs up to 8 channels on its 8-lane body (docs/tuning.md,
/// "Block kernels on few channels" and "The AVX-512 engine on its AVX2
/// body").
fn few_lanes(isa: Isa, channels: usize, path: RoutePath) -> Route {
    let lanes = if isa == Isa::Avx512 && channels <= 8 {
        8
    } else {
        isa.lanes()
    };
    Route::Lanes { lanes, path }
}

/// A block kernel's route in lanes.
fn block(isa: Isa, channels: usize) -> Route {
    few_lanes(isa, channels, RoutePath::Block)
}

#[test]
fn block_processors_take_the_sequential_route_below_their_rule() {
    let (isas, _) = isa_status();
    for &isa in &isas {
        for channels in [1, 2, 3, 4, 5, 8, 9, 16] {
            for layout in [Layout::Interleaved, Layout::Planar] {
                let mut hold = PeakHold::new(RATE, channels, 0.01)
                    .and_then(|p| p.with_isa(isa))
                    .unwrap();
                assert_eq!(hold.last_execution().route, Route::NotRun);
                call(&mut hold, layout, 300);
                let want = if channels <= PEAK_HOLD_SEQUENTIAL_CHANNELS {
                    Route::Sequential
                } else {
                    block(isa, channels)
                };
                assert_eq!(hold.last_execution().route, want, "{isa:?} {channels}");
                assert_eq!(hold.last_execution().frames, 300);

                let mut lim = Limiter::new(RATE, channels, LimiterSettings::default())
                    .and_then(|l| l.with_isa(isa))
                    .unwrap();
                call(&mut lim, layout, 300);
                let want = if channels <= LIMITER_SEQUENTIAL_CHANNELS {
                    Route::Sequential
                } else {
                    block(isa, channels)
                };
                assert_eq!(lim.last_execution().route, want, "{isa:?} {channels}");
            }
        }
    }
    println!("ISAs exercised: {isas:?}");
}

#[test]
fn lane_processors_report_time_lanes_chunks_and_paths() {
    let (isas, _) = isa_status();
    for &isa in &isas {
        let comp = |channels| {
            Compressor::new(RATE, channels, Settings::default())
                .and_then(|c| c.with_isa(isa))
                .unwrap()
        };
        // Few channels, a real-time block: time lanes.
        let mut c = comp(1);
        call(&mut c, Layout::Interleaved, 512);
        assert_eq!(c.last_execution().route, Route::TimeLanes, "{isa:?}");
        assert!(COMPRESSOR_TIMED.get(isa) >= 1);
        // One long channel: chunks in lanes where the ISA fills enough
        // slots for the warm-ups to pay (8 or 16 here; with NEON's 4 the
        // gain model may keep the call whole), else time lanes.
        let mut c = comp(1);
        call(&mut c, Layout::Interleaved, 1 << 18);
        let e = c.last_execution();
        let want = if e.is_chunked() {
            Route::Chunks
        } else {
            Route::TimeLanes
        };
        assert_eq!(e.route, want, "{isa:?} {e}");
        if COMPRESSOR_CHUNK_SLOTS.get(isa) >= 8 {
            assert!(e.is_chunked(), "{isa:?} {e}");
        }
        // The route of a short call over `channels` in `layout`.
        let route = |channels, layout| {
            let mut c = comp(channels);
            call(&mut c, layout, 512);
            c.last_execution().route
        };
        // Many channels: the lanes, interleaved where the frames lie,
        // planar through squares.
        let (il, planar) = (Layout::Interleaved, Layout::Planar);
        assert_eq!(route(32, il), lanes(isa, RoutePath::Direct), "{isa:?}");
        // Planar, few enough registers per group that slices at mixed
        // cache-line offsets keep the squares (docs/tuning.md). Up to 8
        // channels AVX-512 runs its 8-lane body, past 8 whole registers.
        let few = |path| few_lanes(isa, 8, path);
        assert_eq!(route(8, planar), few(RoutePath::Planar), "{isa:?}");
        assert_eq!(route(8, il), few(RoutePath::Direct), "{isa:?}");
        assert_eq!(route(9, il), lanes(isa, RoutePath::Direct), "{isa:?}");
        // A linked plan on interleaved buffers goes through the tile.
        let mut c = comp(32);
        let groups: Vec<Vec<usize>> = (0..16).map(|g| vec![g, g + 16]).collect();
        c.set_links(&groups, 1.0, LinkMode::Max).unwrap();
        call(&mut c, Layout::Interleaved, 512);
        assert_eq!(
            c.last_execution().route,
            lanes(isa, RoutePath::Tiled),
            "{isa:?}"
        );
        // The envelope follower, many channels: lanes (AVX-512 may run
        // them in 8-lane registers, docs/design.md "Narrow groups").
        let mut env = EnvelopeFollower::new(RATE, 32, 0.001, 0.1)
            .and_then(|e| e.with_isa(isa))
            .unwrap();
        call(&mut env, Layout::Interleaved, 512);
        match env.last_execution().route {
            Route::Lanes {
                lanes,
                path: RoutePath::Direct,
            } => assert!(lanes == isa.lanes() || lanes == Isa::Avx2.lanes()),
            other => panic!("{isa:?}: {other:?}"),
        }
    }
    println!("ISAs exercised: {isas:?}");
}
