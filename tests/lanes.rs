//! Every `Lanes` operation on every ISA against the portable one, over all
//! pairs of hostile values: the per-operation contract of `lanes.rs`,
//! checked directly (the kernel tests check it only through kernels).

mod common;

use common::{edge_values, rng};
use lanedsp_kernels::{Engine, Isa, LaneJob, Lanes};
use rand::RngExt;

/// Operations with two float operands and a float result.
const BINARY: usize = 12;
/// Operations with three float operands.
const TERNARY: usize = 2;

/// Runs every operation over `a`, `b`, `c` (whole registers at a time) and
/// returns all results as bit patterns, operation by operation.
struct AllOps<'a> {
    a: &'a [f32],
    b: &'a [f32],
    c: &'a [f32],
}

impl LaneJob for AllOps<'_> {
    type Output = Vec<Vec<u32>>;

    #[inline(always)]
    fn run<S: Lanes>(self, s: S) -> Vec<Vec<u32>> {
        let n = self.a.len();
        let mut out = vec![vec![0u32; n]; BINARY + TERNARY + 12];
        let mut lanes = vec![0.0f32; S::LANES];
        let mut put = |out: &mut Vec<u32>, at: usize, v: S::V| {
            s.store(&mut lanes, v);
            for (o, l) in out[at..at + S::LANES].iter_mut().zip(&lanes) {
                *o = l.to_bits();
            }
        };
        let one = s.splat(1.0);
        let m = |m: S::M| s.select(m, one, s.zero());
        for at in (0..n).step_by(S::LANES) {
            let (a, b, c) = (
                s.load(&self.a[at..]),
                s.load(&self.b[at..]),
                s.load(&self.c[at..]),
            );
            let results = [
                s.add(a, b),
                s.sub(a, b),
                s.mul(a, b),
                s.div(a, b),
                s.min(a, b),
                s.max(a, b),
                m(s.lt(a, b)),
                m(s.le(a, b)),
                m(s.gt(a, b)),
                m(s.ge(a, b)),
                m(s.eq(a, b)),
                s.select(s.lt(a, b), a, c),
                s.mul_add(a, b, c),
                s.select(s.or_m(s.lt(a, b), s.gt(c, a)), b, c),
                s.sqrt(a),
                s.abs(a),
                s.select(s.and_m(s.ge(a, b), s.le(c, b)), a, b),
                s.select(s.select_m(s.gt(a, c), s.lt(a, b), s.eq(b, c)), a, c),
                s.bitcast_f(s.add_i(s.bitcast_i(a), s.bitcast_i(b))),
                s.bitcast_f(s.sub_i(s.bitcast_i(a), s.bitcast_i(b))),
                s.bitcast_f(s.or_i(
                    s.and_i(s.bitcast_i(a), s.splat_i(0x807f_ffffu32 as i32)),
                    s.splat_i(7),
                )),
                s.to_f32(s.shr23_i(s.bitcast_i(a))),
                s.bitcast_f(s.shl23_i(s.sub_i(s.shr23_i(s.bitcast_i(a)), s.splat_i(1)))),
                s.swap_lanes(a, 1),
                if S::LANES > 2 { s.swap_lanes(a, 2) } else { a },
                s.zero(),
            ];
            for (i, v) in results.into_iter().enumerate() {
                put(&mut out[i], at, v);
            }
        }
        out
    }
}

#[test]
fn every_operation_matches_the_portable_isa_on_every_isa() {
    // All pairs (and a third operand) of hostile values, plus random bits.
    let edges = edge_values();
    let mut rng = rng(20);
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for &x in &edges {
        for &y in &edges {
            a.push(x);
            b.push(y);
            c.push(edges[rng.random_range(0..edges.len())]);
        }
    }
    for _ in 0..20_000 {
        a.push(f32::from_bits(rng.random()));
        b.push(f32::from_bits(rng.random()));
        c.push(f32::from_bits(rng.random()));
    }
    while a.len() % 16 != 0 {
        a.push(1.0);
        b.push(2.0);
        c.push(3.0);
    }
    let ops = || AllOps {
        a: &a,
        b: &b,
        c: &c,
    };
    let want = Engine::new(Isa::Scalar).unwrap().run_job(ops());
    // The portable ISA itself against plain f32 arithmetic, for the
    // operations whose meaning is plainest.
    for (i, (&x, &y)) in a.iter().zip(&b).enumerate() {
        let nan_ok =
            |g: u32, w: f32| g == w.to_bits() || (f32::from_bits(g).is_nan() && w.is_nan());
        assert!(nan_ok(want[0][i], x + y));
        assert_eq!(want[4][i], (if x < y { x } else { y }).to_bits());
        assert_eq!(want[7][i], if x <= y { 1.0f32 } else { 0.0 }.to_bits());
        assert!(nan_ok(want[12][i], x.mul_add(y, c[i])));
    }
    for isa in Isa::available() {
        let got = Engine::new(isa).unwrap().run_job(ops());
        // A NaN result may carry any sign and payload (see `Lanes`).
        let same =
            |g: u32, w: u32| g == w || (f32::from_bits(g).is_nan() && f32::from_bits(w).is_nan());
        for (op, (g, w)) in got.iter().zip(&want).enumerate() {
            // Lane swaps pair lanes within one register, the same pairing on
            // every ISA for distances below its width.
            if let Some(i) = (0..a.len()).find(|&i| !same(g[i], w[i])) {
                panic!(
                    "{isa}: operation {op} differs at a={:e} b={:e} c={:e}: {:#010x} vs {:#010x}",
                    a[i], b[i], c[i], g[i], w[i]
                );
            }
        }
        println!("{isa}: every Lanes operation matches the portable ISA");
    }
}

/// Transposes a square of distinct values and writes it back with
/// `store_stream` at every offset of a 64-byte line.
struct Square;

impl LaneJob for Square {
    type Output = Vec<Vec<f32>>;

    #[inline(always)]
    fn run<S: Lanes>(self, s: S) -> Vec<Vec<f32>> {
        let l = S::LANES;
        let values: Vec<f32> = (0..l * l).map(|i| i as f32).collect();
        let mut square = s.zero_square();
        for (i, v) in square.as_mut().iter_mut().enumerate() {
            *v = s.load(&values[i * l..]);
        }
        s.transpose(&mut square);
        let mut out = Vec::new();
        for offset in 0..16 {
            let mut buf = vec![0.0f32; 16 + l * l];
            for (i, &v) in square.as_ref().iter().enumerate() {
                s.store_stream(&mut buf[offset + i * l..], v);
            }
            s.stream_fence();
            out.push(buf[offset..offset + l * l].to_vec());
        }
        out
    }
}

#[test]
fn transpose_and_stream_stores_on_every_isa() {
    for isa in Isa::available() {
        let got = Engine::new(isa).unwrap().run_job(Square);
        let l = got[0].len().isqrt();
        for (offset, square) in got.iter().enumerate() {
            for i in 0..l {
                for j in 0..l {
                    // Lane j of register i holds lane i of register j.
                    assert_eq!(
                        square[i * l + j],
                        (j * l + i) as f32,
                        "{isa}: offset {offset}"
                    );
                }
            }
        }
        println!("{isa}: transpose and stream stores checked");
    }
}

/// `splice` of two registers of distinct values at every shift.
struct Splice;

impl LaneJob for Splice {
    type Output = Vec<Vec<f32>>;

    #[inline(always)]
    fn run<S: Lanes>(self, s: S) -> Vec<Vec<f32>> {
        let l = S::LANES;
        let values: Vec<f32> = (0..2 * l).map(|i| i as f32).collect();
        let (prev, cur) = (s.load(&values), s.load(&values[l..]));
        (0..l)
            .map(|shift| {
                let mut lanes = vec![0.0f32; l];
                s.store(&mut lanes, s.splice(prev, cur, shift));
                lanes
            })
            .collect()
    }
}

#[test]
fn splice_slides_over_two_registers_on_every_isa() {
    for isa in Isa::available() {
        let got = Engine::new(isa).unwrap().run_job(Splice);
        for (shift, lanes) in got.iter().enumerate() {
            let want: Vec<f32> = (shift..shift + lanes.len()).map(|i| i as f32).collect();
            assert_eq!(lanes, &want, "{isa}: shift {shift}");
        }
        println!("{isa}: splice checked at {} shifts", got.len());
    }
}
