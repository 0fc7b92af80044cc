//! Helpers the binary's test files share: running `lanedsp`, and comparing
//! samples bit for bit.

use std::path::Path;
use std::process::{Command, Output};

/// The sample rate of the generated files.
pub const FS: u32 = 48_000;

/// The `lanedsp` binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lanedsp"))
}

/// Whether the binary runs here: under qemu-user without binfmt (the
/// aarch64 cross run) the test process cannot exec it, and the tests say
/// so and pass.
pub fn runnable() -> bool {
    match bin().arg("--version").output() {
        Ok(_) => true,
        Err(e) if e.raw_os_error() == Some(8) => {
            eprintln!("skipped: the lanedsp binary cannot be executed here ({e})");
            false
        }
        Err(e) => panic!("cannot run lanedsp: {e}"),
    }
}

/// Runs `lanedsp args` with dispatch left to the machine; prints the
/// command and its stderr when it fails.
pub fn run(args: &[&str]) -> Output {
    let out = bin()
        .args(args)
        .env_remove("LANEDSP_ISA")
        .output()
        .expect("run lanedsp");
    if !out.status.success() {
        eprintln!(
            "lanedsp {args:?} exited {:?}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Whether `a` and `b` hold the same samples, bit for bit.
pub fn bits_equal(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}
