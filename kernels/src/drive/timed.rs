//! The time-lanes route: one channel at a time, in runs of
//! [`TIMED_FRAMES`] frames, through [`LaneKernel::timed`]. Each run is
//! gathered from the call's layout into contiguous samples (planar slices
//! are used as they are) and its output scattered back.

use crate::bank::Bank;
use crate::job::LaneJob;
use crate::kernel::{LaneKernel, TIMED_FRAMES, TimedRun};
use crate::lanes::Lanes;
use crate::layout::{Buffers, Key};
use crate::plan::Plan;
use core::marker::PhantomData;

/// Runs every channel of the call through `K::timed`, as one job.
pub(crate) fn timed<S: Lanes, K: LaneKernel>(
    s: S,
    plan: &Plan,
    params: &Bank,
    state: &mut Bank,
    buffers: Buffers<'_, '_, '_>,
    key: Option<Key<'_, '_>>,
    frames: usize,
) {
    s.run_job(TimedJob::<K> {
        plan,
        params,
        state,
        buffers,
        key,
        frames,
        kernel: PhantomData,
    });
}

struct TimedJob<'a, 'b, 'i, 'o, 'k, K> {
    plan: &'a Plan,
    params: &'a Bank,
    state: &'a mut Bank,
    buffers: Buffers<'b, 'i, 'o>,
    key: Option<Key<'b, 'k>>,
    frames: usize,
    kernel: PhantomData<K>,
}

/// Copies channel `c` of interleaved `frames` (of `channels` samples),
/// frames `f0..f0 + out.len()`, into `out`.
#[inline(always)]
pub(crate) fn gather(frames: &[f32], channels: usize, c: usize, f0: usize, out: &mut [f32]) {
    if channels == 1 {
        out.copy_from_slice(&frames[f0..f0 + out.len()]);
        return;
    }
    let start = f0 * channels + c;
    for (o, &x) in out.iter_mut().zip(frames[start..].iter().step_by(channels)) {
        *o = x;
    }
}

/// The inverse of [`gather`].
#[inline(always)]
pub(crate) fn scatter(frames: &mut [f32], channels: usize, c: usize, f0: usize, ys: &[f32]) {
    if channels == 1 {
        frames[f0..f0 + ys.len()].copy_from_slice(ys);
        return;
    }
    let start = f0 * channels + c;
    for (o, &y) in frames[start..].iter_mut().step_by(channels).zip(ys) {
        *o = y;
    }
}

impl<K: LaneKernel> LaneJob for TimedJob<'_, '_, '_, '_, '_, K> {
    type Output = ();

    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        let TimedJob {
            plan,
            params,
            state,
            mut buffers,
            key,
            frames,
            ..
        } = self;
        let channels = plan.channels();
        let mut xs = [0.0f32; TIMED_FRAMES];
        let mut ks = [0.0f32; TIMED_FRAMES];
        let mut ys = [0.0f32; TIMED_FRAMES];
        for c in 0..channels {
            let slot = plan.slot(c);
            let mut f0 = 0;
            while f0 < frames {
                let n = (frames - f0).min(TIMED_FRAMES);
                let range = f0..f0 + n;
                let keys: Option<&[f32]> = match key {
                    None => None,
                    Some(Key::Planar(k)) => Some(&k[c][range.clone()]),
                    Some(Key::PlanarMut(k)) => Some(&k[c][range.clone()]),
                    Some(Key::Interleaved(k)) => {
                        gather(k, channels, c, f0, &mut ks[..n]);
                        Some(&ks[..n])
                    }
                };
                let scatter_to: Option<&mut [f32]> = match &mut buffers {
                    Buffers::Planar { input, output } => {
                        let run = TimedRun {
                            xs: &input[c][range.clone()],
                            keys,
                            ys: &mut output[c][range],
                        };
                        K::timed(s, params, state, slot, run);
                        None
                    }
                    Buffers::PlanarInPlace { bufs } => {
                        xs[..n].copy_from_slice(&bufs[c][range.clone()]);
                        let run = TimedRun {
                            xs: &xs[..n],
                            keys,
                            ys: &mut bufs[c][range],
                        };
                        K::timed(s, params, state, slot, run);
                        None
                    }
                    // One channel: interleaved frames are its samples.
                    Buffers::Interleaved { input, output } if channels == 1 => {
                        let run = TimedRun {
                            xs: &input[range.clone()],
                            keys,
                            ys: &mut output[range],
                        };
                        K::timed(s, params, state, slot, run);
                        None
                    }
                    Buffers::Interleaved { input, output } => {
                        gather(input, channels, c, f0, &mut xs[..n]);
                        Some(&mut **output)
                    }
                    Buffers::InterleavedInPlace { buf } => {
                        gather(buf, channels, c, f0, &mut xs[..n]);
                        Some(&mut **buf)
                    }
                };
                // Interleaved: the gathered run, then its output scattered.
                if let Some(frames_out) = scatter_to {
                    let run = TimedRun {
                        xs: &xs[..n],
                        keys,
                        ys: &mut ys[..n],
                    };
                    K::timed(s, params, state, slot, run);
                    scatter(frames_out, channels, c, f0, &ys[..n]);
                }
                f0 += n;
            }
        }
    }
}
