//! Peak envelope follower in lanes: see [`crate::reference::envelope`].

use super::{Ballistics, follow, longest, sanitize};
use crate::bank::Bank;
use crate::kernel::{LaneKernel, TimedRun};
use crate::lanes::Lanes;

/// The peak envelope follower as a [`LaneKernel`].
///
/// Parameter rows: `0` attack coefficient, `1` release coefficient (from
/// [`crate::policy::coefficient`]). State row `0`: the envelope.
#[derive(Clone, Copy, Debug)]
pub struct PeakEnvelope;

impl PeakEnvelope {
    /// Parameter row of the attack coefficient.
    pub const ATTACK: usize = 0;
    /// Parameter row of the release coefficient.
    pub const RELEASE: usize = 1;
}

impl LaneKernel for PeakEnvelope {
    const PARAM_WORDS: usize = 2;
    const STATE_WORDS: usize = 1;
    // One compare, blend and multiply-add per sample: latency-bound.
    const CHAINS: usize = 2;
    type Params<S: Lanes> = Ballistics<S>;
    type State<S: Lanes> = S::V;

    #[inline(always)]
    fn load_params<S: Lanes>(s: S, bank: &Bank, ch: usize) -> Ballistics<S> {
        let attack = s.load(&bank.row(Self::ATTACK)[ch..]);
        let release = s.load(&bank.row(Self::RELEASE)[ch..]);
        Ballistics::new(s, attack, release)
    }
    #[inline(always)]
    fn load_state<S: Lanes>(s: S, bank: &Bank, ch: usize) -> S::V {
        s.load(&bank.row(0)[ch..])
    }
    #[inline(always)]
    fn store_state<S: Lanes>(s: S, bank: &mut Bank, ch: usize, env: S::V) {
        s.store(&mut bank.row_mut(0)[ch..], env);
    }
    const TIMED: bool = true;
    const TIMED_CHANNELS: crate::tuning::TimedChannels = crate::tuning::ENVELOPE_TIMED;

    const CHUNK_SLOTS: crate::tuning::TimedChannels = crate::tuning::ENVELOPE_CHUNK_SLOTS;

    fn memory_frames(params: &Bank, slot: usize) -> Option<f64> {
        longest(&[
            params.row(Self::ATTACK)[slot],
            params.row(Self::RELEASE)[slot],
        ])
    }

    /// The recurrence is the whole kernel: the reference's loop.
    #[inline(always)]
    fn timed<S: Lanes>(_s: S, params: &Bank, state: &mut Bank, slot: usize, run: TimedRun<'_>) {
        let (a, r) = (
            params.row(Self::ATTACK)[slot],
            params.row(Self::RELEASE)[slot],
        );
        let env = &mut state.row_mut(0)[slot];
        crate::reference::envelope::process(run.xs, run.ys, a, r, env);
    }

    #[inline(always)]
    fn step<S: Lanes>(s: S, p: &Ballistics<S>, env: &mut S::V, x: S::V, _key: S::V) -> S::V {
        *env = follow(s, *env, sanitize(s, x), p);
        *env
    }
}
