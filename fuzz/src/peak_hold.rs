//! [`PeakHold`] as a [`Case`] (differential target `peak_hold`): the hold
//! time and the sample rate raw (valid or not), windows of 1 frame to a few
//! thousand, resets, block splits, layouts, raw sample bits. The processor
//! has no setters, so a change is nothing.

use crate::decode::{Input, Planes};
use crate::differential::{Case, Reference};
use lanedsp::{Isa, PeakHold};
use lanedsp_kernels::reference::peak_hold::PeakHold as Channel;

/// The peak hold.
#[derive(Debug)]
pub struct Fuzzed;

/// Most history frames over all channels of one input, so that no input
/// allocates much (the kernel keeps two rows per window frame and slot).
pub const WINDOW_BUDGET: usize = 1 << 14;

/// Construction settings, raw.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Hz.
    pub sample_rate: f32,
    /// Seconds.
    pub hold: f32,
    /// Channel count.
    pub channels: usize,
}

/// The reference: one [`Channel`] per channel.
pub struct Ref {
    window: usize,
    channels: Vec<Channel>,
}

impl Reference for Ref {
    fn process(&mut self, input: &Planes) -> Planes {
        let mut out = input.clone();
        for (x, ch) in out.iter_mut().zip(&mut self.channels) {
            ch.process(x);
        }
        out
    }

    fn reset(&mut self) {
        for ch in &mut self.channels {
            *ch = Channel::new(self.window);
        }
    }

    fn state(&self) -> Vec<f32> {
        Vec::new()
    }
}

/// A hold time: one in four a special value (invalid ones included), else
/// a whole number of frames within the budget.
fn hold(input: &mut Input, rate: f32, channels: usize) -> f32 {
    const SPECIAL: [f32; 8] = [
        f32::NAN,
        -1.0,
        f32::INFINITY,
        -0.0,
        0.0,
        1e-30,
        f32::MAX,
        1e3,
    ];
    let b = input.byte();
    if b & 3 == 0 {
        SPECIAL[usize::from(b >> 2) % SPECIAL.len()]
    } else {
        let most = (WINDOW_BUDGET / channels.max(1)).clamp(1, 4096);
        (1 + input.below(most)) as f32 / rate
    }
}

impl Case for Fuzzed {
    const NAME: &'static str = "peak_hold";
    type Settings = Setup;
    type Change = ();
    type Proc = PeakHold;
    type Ref = Ref;

    fn settings(input: &mut Input, channels: usize) -> Setup {
        let sample_rate = input.sample_rate();
        Setup {
            sample_rate,
            hold: hold(input, sample_rate, channels),
            channels,
        }
    }

    fn build(s: &Setup, isa: Isa) -> lanedsp::Result<PeakHold> {
        PeakHold::new(s.sample_rate, s.channels, s.hold)?.with_isa(isa)
    }

    fn reference(s: &Setup) -> Ref {
        let window = Self::build(s, Isa::Scalar)
            .expect("accepted on every ISA")
            .window();
        Ref {
            window,
            channels: vec![Channel::new(window); s.channels],
        }
    }

    fn change(_input: &mut Input, _channels: usize) {}

    fn apply(_proc: &mut PeakHold, _change: &()) -> lanedsp::Result<()> {
        Ok(())
    }

    fn apply_ref(_reference: &mut Ref, _change: &()) -> bool {
        true
    }

    fn state(_proc: &PeakHold) -> Vec<f32> {
        Vec::new()
    }
}
