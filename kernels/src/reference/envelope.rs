//! Peak envelope follower (attack/release), one channel.

use super::{follow, sanitize};

/// Runs the envelope follower over `input`, writing the envelope after each
/// sample to `output` (which must be as long as `input`; extra output is left
/// untouched) and carrying `env` across calls.
///
/// Per sample: `x = sanitize(input[n])`, `env = follow(env, x, attack, release)`,
/// `output[n] = env`, with the `attack` and `release` coefficients from
/// [`crate::policy::coefficient`].
#[inline(always)]
pub fn process(input: &[f32], output: &mut [f32], attack: f32, release: f32, env: &mut f32) {
    let mut e = *env;
    for (y, &x) in output.iter_mut().zip(input) {
        e = follow(e, sanitize(x), attack, release);
        *y = e;
    }
    *env = e;
}
