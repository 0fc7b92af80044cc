//! Temporary output files: registered while written, removed on error and
//! on Ctrl-C (or SIGTERM), renamed into place when complete.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The temporary files being written; `None` once the program is
/// interrupted, so that no new one is created.
static TEMPS: Mutex<Option<BTreeSet<PathBuf>>> = Mutex::new(Some(BTreeSet::new()));

/// Exit code after Ctrl-C (128 + SIGINT).
pub const INTERRUPTED: i32 = 130;

/// Installs the Ctrl-C / SIGTERM handler: remove every temporary file, then
/// exit with [`INTERRUPTED`]. The lock is held until the exit, so no worker
/// can create a new temporary file after the cleanup.
pub fn install_handler() {
    let result = ctrlc::set_handler(|| {
        let mut temps = TEMPS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(set) = temps.take() {
            for path in set {
                let _ = std::fs::remove_file(path);
            }
        }
        eprintln!("lanedsp: interrupted; temporary outputs removed");
        std::process::exit(INTERRUPTED);
    });
    if let Err(e) = result {
        eprintln!("lanedsp: warning: cannot install the Ctrl-C handler: {e}");
    }
}

/// The temporary name an output is written under: a hidden file beside it.
pub fn temp_path(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    output.with_file_name(format!(".{name}.lanedsp-{}.tmp", std::process::id()))
}

/// Records `path` as a temporary file about to be created; false once the
/// program is interrupted (create nothing then).
pub fn register(path: &Path) -> bool {
    let mut temps = TEMPS.lock().unwrap_or_else(|e| e.into_inner());
    match temps.as_mut() {
        Some(set) => {
            set.insert(path.to_path_buf());
            true
        }
        None => false,
    }
}

/// Removes a temporary file that will not be completed.
pub fn discard(path: &Path) {
    let mut temps = TEMPS.lock().unwrap_or_else(|e| e.into_inner());
    let _ = std::fs::remove_file(path);
    if let Some(set) = temps.as_mut() {
        set.remove(path);
    }
}

/// Renames a completed temporary file to its final name.
pub fn commit(temp: &Path, output: &Path) -> std::io::Result<()> {
    let mut temps = TEMPS.lock().unwrap_or_else(|e| e.into_inner());
    let result = std::fs::rename(temp, output);
    if result.is_err() {
        let _ = std::fs::remove_file(temp);
    }
    if let Some(set) = temps.as_mut() {
        set.remove(temp);
    }
    result
}
