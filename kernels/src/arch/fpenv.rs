//! The caller's floating-point environment, for tests: runs a closure with
//! subnormals flushed by the CPU (x86-64 MXCSR FTZ and DAZ; AArch64 FPCR
//! FZ), the setting some audio hosts leave on. The kernels never depend on
//! it (docs/kernels.md, section 1); the tests check that they do not.

/// Restores the saved control register when dropped (also on a panic).
struct Restore(u64);

#[cfg(target_arch = "x86_64")]
mod regs {
    use core::arch::asm;

    /// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6).
    pub const FLUSH: u64 = (1 << 15) | (1 << 6);

    pub fn read() -> u64 {
        let mut csr: u32 = 0;
        // SAFETY: `stmxcsr` stores the 32-bit MXCSR to the given address, a
        // live local; SSE is part of the x86-64 baseline.
        unsafe { asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags)) };
        u64::from(csr)
    }

    pub fn write(value: u64) {
        let csr = value as u32;
        // SAFETY: `ldmxcsr` loads MXCSR from a live local holding a value
        // read from MXCSR with only the FTZ/DAZ bits changed (both defined
        // on every x86-64 CPU), so no reserved bit is set.
        unsafe { asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags)) };
    }
}

#[cfg(target_arch = "aarch64")]
mod regs {
    use core::arch::asm;

    /// FPCR's flush-to-zero (bit 24).
    pub const FLUSH: u64 = 1 << 24;

    pub fn read() -> u64 {
        let value: u64;
        // SAFETY: reading FPCR has no side effect and is allowed at EL0.
        unsafe { asm!("mrs {}, fpcr", out(reg) value, options(nomem, nostack, preserves_flags)) };
        value
    }

    pub fn write(value: u64) {
        // SAFETY: writes FPCR at EL0 with a value read from it and only the
        // FZ bit changed, so no reserved bit is set.
        unsafe { asm!("msr fpcr, {}", in(reg) value, options(nomem, nostack, preserves_flags)) };
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod regs {
    pub const FLUSH: u64 = 0;
    pub fn read() -> u64 {
        0
    }
    pub fn write(_: u64) {}
}

impl Drop for Restore {
    fn drop(&mut self) {
        regs::write(self.0);
    }
}

/// Runs `f` with the CPU flushing subnormal operands and results to zero
/// on this thread, and restores the previous setting afterwards (also if
/// `f` panics). Returns `f`'s result and whether flushing was set (false
/// on a target without such a control).
pub fn with_subnormals_flushed<R>(f: impl FnOnce() -> R) -> (R, bool) {
    let saved = regs::read();
    let _restore = Restore(saved);
    regs::write(saved | regs::FLUSH);
    let set = regs::FLUSH != 0 && regs::read() & regs::FLUSH == regs::FLUSH;
    (f(), set)
}
