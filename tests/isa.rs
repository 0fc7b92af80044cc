//! Runtime dispatch: detection, the override rule, and the cached choice.

use lanedsp::{Isa, Reason, Selection};

#[test]
fn scalar_is_always_available_and_best_is_available() {
    assert!(Isa::Scalar.is_available());
    assert!(Isa::best().is_available());
    assert!(lanedsp::available_isas().contains(&lanedsp::selected_isa()));
}

#[test]
fn override_rule() {
    let best = Isa::best();
    assert_eq!(
        Selection::decide(None),
        Selection {
            isa: best,
            reason: Reason::Detected
        }
    );
    assert_eq!(Selection::decide(Some("  ")).reason, Reason::Detected);
    assert_eq!(
        Selection::decide(Some("Scalar")),
        Selection {
            isa: Isa::Scalar,
            reason: Reason::Override
        }
    );
    assert_eq!(
        Selection::decide(Some("sse9")),
        Selection {
            isa: best,
            reason: Reason::OverrideInvalid("sse9".into())
        }
    );
    for isa in Isa::ALL {
        let s = Selection::decide(Some(isa.name()));
        if isa.is_available() {
            assert_eq!(
                s,
                Selection {
                    isa,
                    reason: Reason::Override
                }
            );
        } else {
            assert_eq!(
                s,
                Selection {
                    isa: best,
                    reason: Reason::OverrideUnavailable(isa)
                }
            );
        }
    }
}

#[test]
fn names_round_trip() {
    for isa in Isa::ALL {
        assert_eq!(isa.name().parse::<Isa>(), Ok(isa));
        assert_eq!(isa.to_string(), isa.name());
    }
    assert_eq!(Isa::Avx512.lanes(), 16);
}

#[test]
fn selection_is_cached() {
    let first: *const Selection = lanedsp::isa_selection();
    assert!(std::ptr::eq(first, lanedsp::isa_selection()));
}

#[test]
fn avx512_runs_eight_lane_registers_where_they_measured_faster() {
    use lanedsp_kernels::Plan;
    use lanedsp_kernels::drive::Access;
    use lanedsp_kernels::engine::register_lanes;
    use lanedsp_kernels::generic::dynamics::{FusedCompressor, LinkedCompressor};
    use lanedsp_kernels::generic::envelope::PeakEnvelope;
    // (channels, lanes of interleaved calls)
    let cases = [
        (1, 16),
        (7, 16),
        (8, 8),
        (9, 16),
        (15, 16),
        (16, 8),
        (17, 16),
        (24, 16),
        (32, 16),
        (64, 16),
        (256, 16),
    ];
    for (channels, lanes) in cases {
        let plan = Plan::identity(channels);
        let envelope = |access| register_lanes::<PeakEnvelope>(Isa::Avx512, &plan, access);
        assert_eq!(envelope(Access::Interleaved), lanes, "{channels} channels");
        // Planar calls: 8 lanes at every count, streaming or not.
        assert_eq!(envelope(Access::Planar), 8, "{channels} channels");
        assert_eq!(envelope(Access::PlanarStream), 8, "{channels} channels");
        for access in [Access::Interleaved, Access::Planar, Access::PlanarStream] {
            // The compressors are throughput-bound: 8-lane registers up to
            // 8 channels, whole 16-lane ones past that.
            let want = if channels <= 8 { 8 } else { 16 };
            for compressor in [
                register_lanes::<FusedCompressor>(Isa::Avx512, &plan, access),
                register_lanes::<LinkedCompressor>(Isa::Avx512, &plan, access),
            ] {
                assert_eq!(compressor, want, "{channels} channels");
            }
            for isa in [Isa::Scalar, Isa::Avx2, Isa::Neon] {
                assert_eq!(
                    register_lanes::<PeakEnvelope>(isa, &plan, access),
                    isa.lanes()
                );
            }
        }
    }
}
