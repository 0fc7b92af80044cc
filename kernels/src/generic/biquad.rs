//! Biquad cascades in lanes: see [`crate::reference::biquad`].

use super::sanitize;
use crate::bank::Bank;
use crate::kernel::LaneKernel;
use crate::lanes::Lanes;
use crate::reference::biquad::Coefficients;

/// A cascade of `N` direct-form-I biquad sections per slot (every slot its
/// own coefficients), as a [`LaneKernel`].
///
/// Parameter rows: section `k` at `5k..5k + 5`: `b0`, `b1`, `b2`, `-a1`,
/// `-a2` ([`rows::write`]). State rows: `0`, `1` the cascade's last two
/// sanitized inputs, `2k + 2`, `2k + 3` section `k`'s last two outputs: the
/// `history` of [`crate::reference::biquad::process`], row for row. A slot
/// with fewer than `N` sections fills the rest with
/// [`Coefficients::IDENTITY`], which passes its (sanitized, never `-0`)
/// input through exactly, so the output is the reference of its own
/// sections.
#[derive(Clone, Copy, Debug)]
pub struct Biquad<const N: usize>;

/// One register's coefficients of one section: `b0, b1, b2, -a1, -a2`.
pub type SectionLanes<S> = [<S as Lanes>::V; 5];

/// One register's history of an `N`-section cascade.
#[derive(Clone, Copy, Debug)]
pub struct CascadeState<S: Lanes, const N: usize> {
    /// The cascade's last two inputs.
    pub x: [S::V; 2],
    /// Each section's last two outputs.
    pub y: [[S::V; 2]; N],
}

/// Bank rows of [`Biquad`].
pub mod rows {
    use super::{Bank, Coefficients};

    /// Parameter rows of an `n`-section cascade.
    pub const fn params(n: usize) -> usize {
        5 * n
    }

    /// State rows of an `n`-section cascade.
    pub const fn state(n: usize) -> usize {
        2 * (n + 1)
    }

    /// Writes section `k` of `slot`.
    pub fn write(bank: &mut Bank, slot: usize, k: usize, c: &Coefficients) {
        let values = [c.b0, c.b1, c.b2, -c.a1, -c.a2];
        for (j, v) in values.into_iter().enumerate() {
            bank.row_mut(5 * k + j)[slot] = v;
        }
    }
}

/// One step of one section in lanes: the lane form of
/// [`crate::reference::biquad::step`] (same operations, same order).
#[inline(always)]
pub fn section<S: Lanes>(
    s: S,
    c: &SectionLanes<S>,
    x: S::V,
    xh: &mut [S::V; 2],
    yh: &[S::V; 2],
) -> S::V {
    let mut acc = s.mul(c[0], x);
    acc = s.mul_add(c[1], xh[0], acc);
    acc = s.mul_add(c[2], xh[1], acc);
    acc = s.mul_add(c[4], yh[1], acc);
    acc = s.mul_add(c[3], yh[0], acc);
    *xh = [x, xh[0]];
    sanitize(s, acc)
}

/// One frame of an `N`-section cascade in lanes: the lane form of one
/// sample of [`crate::reference::biquad::process`].
#[inline(always)]
pub fn cascade<S: Lanes, const N: usize>(
    s: S,
    p: &[SectionLanes<S>; N],
    st: &mut CascadeState<S, N>,
    x: S::V,
) -> S::V {
    let mut v = sanitize(s, x);
    let mut xh = st.x;
    for (k, c) in p.iter().enumerate() {
        let yh = st.y[k];
        v = section(s, c, v, &mut xh, &yh);
        if k == 0 {
            st.x = xh;
        } else {
            st.y[k - 1] = xh;
        }
        xh = yh;
    }
    if N > 0 {
        st.y[N - 1] = [v, st.y[N - 1][0]];
    } else {
        st.x = [v, st.x[0]];
    }
    v
}

impl<const N: usize> LaneKernel for Biquad<N> {
    const PARAM_WORDS: usize = rows::params(N);
    const STATE_WORDS: usize = rows::state(N);
    type Params<S: Lanes> = [SectionLanes<S>; N];
    type State<S: Lanes> = CascadeState<S, N>;

    #[inline(always)]
    fn load_params<S: Lanes>(s: S, bank: &Bank, at: usize) -> Self::Params<S> {
        core::array::from_fn(|k| core::array::from_fn(|j| s.load(&bank.row(5 * k + j)[at..])))
    }

    #[inline(always)]
    fn load_state<S: Lanes>(s: S, bank: &Bank, at: usize) -> Self::State<S> {
        CascadeState {
            x: [s.load(&bank.row(0)[at..]), s.load(&bank.row(1)[at..])],
            y: core::array::from_fn(|k| {
                [
                    s.load(&bank.row(2 * k + 2)[at..]),
                    s.load(&bank.row(2 * k + 3)[at..]),
                ]
            }),
        }
    }

    #[inline(always)]
    fn store_state<S: Lanes>(s: S, bank: &mut Bank, at: usize, st: Self::State<S>) {
        s.store(&mut bank.row_mut(0)[at..], st.x[0]);
        s.store(&mut bank.row_mut(1)[at..], st.x[1]);
        for k in 0..N {
            s.store(&mut bank.row_mut(2 * k + 2)[at..], st.y[k][0]);
            s.store(&mut bank.row_mut(2 * k + 3)[at..], st.y[k][1]);
        }
    }

    #[inline(always)]
    fn step<S: Lanes>(
        s: S,
        p: &Self::Params<S>,
        st: &mut Self::State<S>,
        x: S::V,
        _key: S::V,
    ) -> S::V {
        cascade(s, p, st, x)
    }
}
