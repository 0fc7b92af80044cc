//! [`EnvelopeFollower`] as a [`Case`] (differential target `envelope`) and
//! an [`ApiCase`] (target `params`).

use crate::api::ApiCase;
use crate::decode::{Input, Planes};
use crate::differential::{Case, Reference};
use lanedsp::{EnvelopeFollower, Error, Isa, Processor};
use lanedsp_kernels::policy::coefficient;
use lanedsp_kernels::reference;

/// The peak envelope follower.
#[derive(Debug)]
pub struct Envelope;

/// What the API promises to accept as a sample rate.
pub fn valid_rate(hz: f32) -> bool {
    hz.is_finite() && hz > 0.0
}

/// What the API promises to accept as a time constant (`-0.0` included:
/// it compares equal to `0`).
pub fn valid_time(seconds: f32) -> bool {
    seconds.is_finite() && seconds >= 0.0
}

/// Sample rate and per-channel `(attack, release)`, raw.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Hz.
    pub sample_rate: f32,
    /// Seconds, one pair per channel. Channel 0's go to the constructor,
    /// the others to `set_channel_times`, which may refuse them: that
    /// channel then keeps channel 0's times.
    pub times: Vec<(f32, f32)>,
}

/// A change of times between blocks.
#[derive(Clone, Debug)]
pub enum Change {
    /// `set_times(attack, release)`.
    All(f32, f32),
    /// `set_channel_times(channel, attack, release)`.
    Channel(usize, f32, f32),
}

/// The reference: per channel, the two coefficients and the envelope.
pub struct Ref {
    sample_rate: f32,
    coeffs: Vec<(f32, f32)>,
    env: Vec<f32>,
}

impl Ref {
    fn pair(&self, attack: f32, release: f32) -> (f32, f32) {
        (
            coefficient(attack, self.sample_rate),
            coefficient(release, self.sample_rate),
        )
    }
}

impl Reference for Ref {
    fn process(&mut self, input: &Planes) -> Planes {
        input
            .iter()
            .zip(&self.coeffs)
            .zip(&mut self.env)
            .map(|((x, &(a, r)), env)| {
                let mut out = vec![0.0; x.len()];
                reference::envelope::process(x, &mut out, a, r, env);
                out
            })
            .collect()
    }

    fn reset(&mut self) {
        self.env.fill(0.0);
    }

    fn state(&self) -> Vec<f32> {
        self.env.clone()
    }
}

fn times(input: &mut Input) -> (f32, f32) {
    (input.time(), input.time())
}

impl Case for Envelope {
    const NAME: &'static str = "envelope";
    type Settings = Settings;
    type Change = Change;
    type Proc = EnvelopeFollower;
    type Ref = Ref;

    fn settings(input: &mut Input, channels: usize) -> Settings {
        let sample_rate = input.sample_rate();
        // Odd mode byte: times per channel; even: one pair for all.
        let times = if input.byte() & 1 == 1 {
            (0..channels).map(|_| times(input)).collect()
        } else {
            vec![times(input); channels]
        };
        Settings { sample_rate, times }
    }

    fn build(s: &Settings, isa: Isa) -> lanedsp::Result<EnvelopeFollower> {
        let (a0, r0) = s.times[0];
        let mut env = EnvelopeFollower::new(s.sample_rate, s.times.len(), a0, r0)?.with_isa(isa)?;
        for (c, &(a, r)) in s.times.iter().enumerate().skip(1) {
            let refused = env.set_channel_times(c, a, r).is_err();
            assert_eq!(
                refused,
                !(valid_time(a) && valid_time(r)),
                "set_channel_times({c}, {a:e}, {r:e}) refused: {refused}"
            );
        }
        Ok(env)
    }

    fn reference(s: &Settings) -> Ref {
        let mut r = Ref {
            sample_rate: s.sample_rate,
            coeffs: Vec::new(),
            env: vec![0.0; s.times.len()],
        };
        let first = s.times[0];
        let coeffs = s
            .times
            .iter()
            .map(|&(a, rel)| {
                let (a, rel) = if valid_time(a) && valid_time(rel) {
                    (a, rel)
                } else {
                    first
                };
                r.pair(a, rel)
            })
            .collect();
        r.coeffs = coeffs;
        r
    }

    fn change(input: &mut Input, channels: usize) -> Change {
        match input.byte() % 4 {
            0 => {
                let (a, r) = times(input);
                Change::All(a, r)
            }
            1 => {
                let c = input.u64() as usize;
                let (a, r) = times(input);
                Change::Channel(c, a, r)
            }
            _ => {
                let c = input.below(channels);
                let (a, r) = times(input);
                Change::Channel(c, a, r)
            }
        }
    }

    fn chunking(env: &mut EnvelopeFollower, chunking: lanedsp::Chunking) {
        env.set_chunking(chunking);
    }

    fn apply(env: &mut EnvelopeFollower, change: &Change) -> lanedsp::Result<()> {
        match *change {
            Change::All(a, r) => env.set_times(a, r),
            Change::Channel(c, a, r) => env.set_channel_times(c, a, r),
        }
    }

    fn apply_ref(r: &mut Ref, change: &Change) -> bool {
        match *change {
            Change::All(a, rel) if valid_time(a) && valid_time(rel) => {
                let k = r.pair(a, rel);
                r.coeffs.fill(k);
                true
            }
            Change::Channel(c, a, rel)
                if c < r.coeffs.len() && valid_time(a) && valid_time(rel) =>
            {
                r.coeffs[c] = r.pair(a, rel);
                true
            }
            _ => false,
        }
    }

    fn state(env: &EnvelopeFollower) -> Vec<f32> {
        env.envelope().to_vec()
    }
}

/// Raw constructor arguments.
#[derive(Clone, Debug)]
pub struct Ctor {
    /// Hz.
    pub sample_rate: f32,
    /// Channels (0 included).
    pub channels: usize,
    /// Seconds.
    pub attack: f32,
    /// Seconds.
    pub release: f32,
}

fn time_errors(attack: f32, release: f32) -> Vec<Error> {
    let mut errors = Vec::new();
    if !valid_time(attack) {
        errors.push(Error::Time {
            name: "attack",
            value: attack,
        });
    }
    if !valid_time(release) {
        errors.push(Error::Time {
            name: "release",
            value: release,
        });
    }
    errors
}

impl ApiCase for Envelope {
    const NAME: &'static str = "envelope";
    type Proc = EnvelopeFollower;
    type Ctor = Ctor;
    type Call = Change;

    fn ctor(input: &mut Input) -> Ctor {
        let b = input.byte();
        // Mostly a few channels; one in sixteen up to MAX_CHANNELS; rarely
        // more than the library accepts (refused before any allocation).
        let channels = match b {
            0..0xf0 => b as usize % 71,
            0xf0..0xff => input.u16() as usize % (crate::api::MAX_CHANNELS + 1),
            0xff => lanedsp::MAX_CHANNELS
                .saturating_add(input.u64() as usize % 4)
                .max(input.u64() as usize),
        };
        Ctor {
            sample_rate: input.sample_rate(),
            channels,
            attack: input.time(),
            release: input.time(),
        }
    }

    fn construct(c: &Ctor) -> lanedsp::Result<EnvelopeFollower> {
        EnvelopeFollower::new(c.sample_rate, c.channels, c.attack, c.release)
    }

    fn ctor_errors(c: &Ctor) -> Vec<Error> {
        let mut errors = Vec::new();
        if !valid_rate(c.sample_rate) {
            errors.push(Error::SampleRate(c.sample_rate));
        }
        if c.channels == 0 {
            errors.push(Error::NoChannels);
        }
        if c.channels > lanedsp::MAX_CHANNELS {
            errors.push(Error::TooManyChannels {
                got: c.channels,
                max: lanedsp::MAX_CHANNELS,
            });
        }
        errors.extend(time_errors(c.attack, c.release));
        errors
    }

    fn call(input: &mut Input, channels: usize) -> Change {
        // Raw times: any bit pattern as often as a chosen one.
        let raw_times = |input: &mut Input| {
            if input.byte() & 1 == 0 {
                (f32::from_bits(input.u32()), f32::from_bits(input.u32()))
            } else {
                times(input)
            }
        };
        match input.byte() % 4 {
            0 => {
                let (a, r) = raw_times(input);
                Change::All(a, r)
            }
            1 => {
                let c = input.u64() as usize;
                let (a, r) = raw_times(input);
                Change::Channel(c, a, r)
            }
            _ => {
                let c = input.below(channels + 2);
                let (a, r) = raw_times(input);
                Change::Channel(c, a, r)
            }
        }
    }

    fn apply(env: &mut EnvelopeFollower, call: &Change) -> lanedsp::Result<()> {
        <Envelope as Case>::apply(env, call)
    }

    fn call_errors(call: &Change, channels: usize) -> Vec<Error> {
        match *call {
            Change::All(a, r) => time_errors(a, r),
            Change::Channel(index, a, r) => {
                let mut errors = time_errors(a, r);
                if index >= channels {
                    errors.push(Error::ChannelIndex { index, channels });
                }
                errors
            }
        }
    }

    fn with_isa(env: EnvelopeFollower, isa: Isa) -> lanedsp::Result<EnvelopeFollower> {
        env.with_isa(isa)
    }

    fn state(env: &EnvelopeFollower) -> Vec<f32> {
        env.envelope().to_vec()
    }

    fn check_accessors(env: &EnvelopeFollower, c: &Ctor) {
        assert_eq!(env.channels(), c.channels);
        assert_eq!(env.envelope().len(), c.channels);
        assert_eq!(env.sample_rate().to_bits(), c.sample_rate.to_bits());
        assert!(env.isa().is_available());
    }
}
