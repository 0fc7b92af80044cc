//! Instruction sets, what this CPU offers, and which one is selected.
//!
//! Detection runs once per process and is cached; the environment variable
//! [`ISA_ENV`] (`LANEDSP_ISA=scalar|avx2|avx512|neon`) overrides the choice
//! for debugging. Processors may also be built for any available ISA
//! explicitly, which is how tests and benchmarks force a path.

use core::fmt;
use core::str::FromStr;
use std::sync::OnceLock;

/// Name of the environment variable that overrides the detected ISA.
pub const ISA_ENV: &str = "LANEDSP_ISA";

/// An instruction set a kernel body is compiled for.
///
/// Every ISA produces output bit-identical to the scalar reference; they
/// differ only in speed and in how many channels share one register
/// ([`Isa::lanes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Isa {
    /// Portable Rust on four-lane arrays; runs everywhere.
    Scalar,
    /// x86-64 AVX2 with FMA3: 8 channels per register.
    Avx2,
    /// x86-64 AVX-512 (F, BW, DQ, VL) with FMA: 16 channels per register.
    Avx512,
    /// AArch64 Advanced SIMD (NEON): 4 channels per register.
    Neon,
}

impl Isa {
    /// Every ISA the crate knows, from the most portable to the widest.
    pub const ALL: [Isa; 4] = [Isa::Scalar, Isa::Neon, Isa::Avx2, Isa::Avx512];

    /// Channels per register on this ISA.
    pub const fn lanes(self) -> usize {
        match self {
            Isa::Scalar | Isa::Neon => 4,
            Isa::Avx2 => 8,
            Isa::Avx512 => 16,
        }
    }

    /// The lower-case name used by [`ISA_ENV`], test names and reports.
    pub const fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Neon => "neon",
        }
    }

    /// Whether this CPU can run this ISA's kernels (cached by `std`).
    pub fn is_available(self) -> bool {
        match self {
            Isa::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => crate::arch::x86_64::Avx2::new().is_some(),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => crate::arch::x86_64::Avx512::new().is_some(),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => crate::arch::aarch64::Neon::new().is_some(),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The ISAs this CPU can run, from the most portable to the widest.
    pub fn available() -> Vec<Isa> {
        Isa::ALL
            .into_iter()
            .filter(|isa| isa.is_available())
            .collect()
    }

    /// The widest ISA this CPU can run, ignoring any override.
    pub fn best() -> Isa {
        Isa::ALL
            .into_iter()
            .rev()
            .find(|isa| isa.is_available())
            .unwrap_or(Isa::Scalar)
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The text is not the name of an ISA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownIsa(pub String);

impl fmt::Display for UnknownIsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown ISA {:?} (expected scalar, avx2, avx512 or neon)",
            self.0
        )
    }
}

impl std::error::Error for UnknownIsa {}

impl FromStr for Isa {
    type Err = UnknownIsa;

    fn from_str(s: &str) -> Result<Isa, UnknownIsa> {
        let lower = s.trim().to_ascii_lowercase();
        Isa::ALL
            .into_iter()
            .find(|isa| isa.name() == lower)
            .ok_or(UnknownIsa(s.to_string()))
    }
}

/// Why [`selected`] chose its ISA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// No override: the widest available ISA.
    Detected,
    /// [`ISA_ENV`] named an available ISA.
    Override,
    /// [`ISA_ENV`] named an ISA this CPU lacks; the widest available is used.
    OverrideUnavailable(Isa),
    /// [`ISA_ENV`] held text that names no ISA; the widest available is used.
    OverrideInvalid(String),
}

/// The process-wide ISA choice and how it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The ISA processors use unless built for another one.
    pub isa: Isa,
    /// How it was chosen.
    pub reason: Reason,
}

impl Selection {
    /// Decides from an optional override value, as [`selected`] does with the
    /// environment; exposed so the rule can be tested without touching the
    /// process environment.
    pub fn decide(override_value: Option<&str>) -> Selection {
        let best = Isa::best();
        let Some(text) = override_value.filter(|t| !t.trim().is_empty()) else {
            return Selection {
                isa: best,
                reason: Reason::Detected,
            };
        };
        match text.parse::<Isa>() {
            Ok(isa) if isa.is_available() => Selection {
                isa,
                reason: Reason::Override,
            },
            Ok(isa) => Selection {
                isa: best,
                reason: Reason::OverrideUnavailable(isa),
            },
            Err(UnknownIsa(text)) => Selection {
                isa: best,
                reason: Reason::OverrideInvalid(text),
            },
        }
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Reason::Detected => write!(f, "{} (detected)", self.isa),
            Reason::Override => write!(f, "{} (forced by {ISA_ENV})", self.isa),
            Reason::OverrideUnavailable(want) => write!(
                f,
                "{} ({ISA_ENV}={want} ignored: not available on this CPU)",
                self.isa
            ),
            Reason::OverrideInvalid(text) => {
                write!(f, "{} ({ISA_ENV}={text:?} ignored: unknown ISA)", self.isa)
            }
        }
    }
}

/// The process-wide selection: detected once, then cached for the life of
/// the process (later changes to [`ISA_ENV`] have no effect).
pub fn selection() -> &'static Selection {
    static SELECTION: OnceLock<Selection> = OnceLock::new();
    SELECTION.get_or_init(|| Selection::decide(std::env::var(ISA_ENV).ok().as_deref()))
}

/// The ISA processors use by default: see [`selection`].
pub fn selected() -> Isa {
    selection().isa
}
