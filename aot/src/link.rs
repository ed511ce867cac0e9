//! Linking an object from [`crate::compile_object`] with the runtime static library.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use target_lexicon::{Architecture, HOST};

use crate::{parse_triple, AotError};

/// The C compiler driver that links for `arch`, and the Debian package providing it.
fn linker_for(arch: Architecture) -> (&'static str, &'static str) {
    let same_arch = std::mem::discriminant(&arch) == std::mem::discriminant(&HOST.architecture);
    match arch {
        _ if same_arch => ("cc", "gcc"),
        Architecture::Aarch64(_) => ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
        _ => ("x86_64-linux-gnu-gcc", "gcc-x86-64-linux-gnu"),
    }
}

/// A fresh private directory for the linker's inputs; removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "ilusm-link-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Link `object` (from [`crate::compile_object`] for `triple`) with `runtime_archive` (the bytes
/// of `libilusm_runtime.a` built for the same target) into the executable `out`, using `cc` for
/// the host architecture or `aarch64-linux-gnu-gcc` for aarch64 on another host. The executable
/// is stripped unless `symbols` (profilers then name each ilusm function `ilusm_fnN_NAME`).
pub fn link_executable(
    object: &[u8],
    runtime_archive: &[u8],
    triple: &str,
    out: &Path,
    symbols: bool,
) -> Result<(), AotError> {
    let t = parse_triple(triple)?;
    let (linker, package) = linker_for(t.architecture);
    let dir = TempDir::new()?;
    let obj_path = dir.0.join("program.o");
    let lib_path = dir.0.join("libilusm_runtime.a");
    std::fs::write(&obj_path, object)?;
    std::fs::write(&lib_path, runtime_archive)?;
    let mut command = Command::new(linker);
    command
        .arg(&obj_path)
        .arg(&lib_path)
        .arg("-o")
        .arg(out)
        .args(["-lpthread", "-ldl", "-lm", "-Wl,--gc-sections"]);
    if !symbols {
        command.arg("-s");
    }
    // Executables are linked statically, for both targets:
    // - start-up: no dynamic loader resolving libc and libgcc_s symbols first (x86_64 hello:
    //   225,000 -> 60,000 instructions, about 1.1 -> 0.8 ms);
    // - they run on any Linux of their architecture, whatever its glibc;
    // - aarch64 executables run under `qemu-aarch64` without depending on which aarch64 glibc
    //   the host has. (With Debian's libc6:arm64 installed next to the cross toolchain's, a
    //   dynamic executable run with `qemu-aarch64 -L /usr/aarch64-linux-gnu` mixes the two and
    //   hangs in its first pthread_create.)
    // glibc warns that `getaddrinfo` (HTTP builtins) loads the host's NSS modules at run time;
    // that is expected and the output is only shown when linking fails.
    command.arg("-static");
    let result = command.output();
    let output = match result {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(AotError::LinkerMissing {
                linker: linker.to_string(),
                package: package.to_string(),
            })
        }
        Err(e) => return Err(AotError::Io(e)),
    };
    if !output.status.success() {
        let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if stderr.trim().is_empty() {
            stderr = format!("{} (no output)", output.status);
        }
        return Err(AotError::LinkFailed {
            linker: linker.to_string(),
            stderr,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linkers() {
        assert_eq!(linker_for(Architecture::X86_64).0, "cc");
        let (l, p) = linker_for(Architecture::Aarch64(
            target_lexicon::Aarch64Architecture::Aarch64,
        ));
        assert_eq!((l, p), ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"));
    }

    #[test]
    fn unsupported_triple_is_an_error() {
        let e = link_executable(
            b"",
            b"",
            "mips-unknown-linux-gnu",
            Path::new("/nonexistent"),
            false,
        );
        assert!(matches!(e, Err(AotError::UnsupportedTarget(_))));
    }
}
