//! Builds the runtime archive (`libilusm_runtime.a`) that AOT executables
//! link against, and embeds it into the `ilusm` binary so that an installed
//! `ilusm` can AOT-compile from any directory without the source tree.
//!
//! The host archive is always built. The aarch64 archive is built when the
//! cross tools of the README's set-up are present (Debian's `rustc` with the
//! arm64 standard library, and `aarch64-linux-gnu-gcc`); otherwise an empty
//! placeholder is embedded and `ilusm aot --target aarch64-…` says what to
//! install.
//!
//! Why a nested `cargo rustc` rather than a dependency: Cargo cannot hand a
//! dependency's staticlib to a build script (artifact dependencies are
//! unstable), and the archive needs its own profile (`runtime`: panic=abort)
//! and, for aarch64, another compiler. The nested build uses its own target
//! directory, so it never waits on the outer build's lock.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const AARCH64: &str = "aarch64-unknown-linux-gnu";
/// Debian's rustc (package rustc-web), which has the arm64 standard library.
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
/// The file list dpkg writes when it installs that standard library.
const DEBIAN_STD_ARM64_LIST: &str = "/var/lib/dpkg/info/libstd-rust-web-dev:arm64.list";

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let target_root = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("runtime-archives");

    println!("cargo:rerun-if-changed=runtime-rs/src");
    println!("cargo:rerun-if-changed=runtime-rs/Cargo.toml");
    println!("cargo:rerun-if-changed=Cargo.lock");
    // The `runtime` profile the archives are built with is in the root manifest.
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-env-changed=ILUSM_SKIP_AARCH64");

    let host_triple = env::var("TARGET").unwrap();
    println!("cargo:rustc-env=ILUSM_HOST_TRIPLE={host_triple}");
    // The `ilusm` binary is linked as a position-dependent executable: a PIE of this size (the
    // compiler, Cranelift and the runtime) spends about a quarter of `ilusm run hello.ilu` in
    // the dynamic loader applying relative relocations (callgrind: 720K -> 542K instructions,
    // 2.2 -> 1.7 ms). The cost is ASLR for the binary's own code; shared libraries and the
    // stack are still randomised. Only the CLI binary: tests and libraries are unaffected.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bin=ilusm=-no-pie");
    }
    let host_rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let host = build_archive(&root, &target_root.join("host"), &host_rustc, None)
        .unwrap_or_else(|e| panic!("building the host runtime archive failed:\n{e}"));
    let host_out = out_dir.join("libilusm_runtime_host.a");
    fs::copy(&host, &host_out).unwrap();
    strip_debug_info("strip", &host_out);

    let aarch64_out = out_dir.join("libilusm_runtime_aarch64.a");
    let have_tools = aarch64_tools_present();
    // Installing the cross tools later (scripts/setup) must rebuild this with the aarch64
    // archive. dpkg keeps a package's own mtimes, older than any build, so watching the
    // compiler itself never fires; the package's file list is written at install time.
    println!("cargo:rerun-if-changed={DEBIAN_STD_ARM64_LIST}");
    let aarch64 = if host_triple == AARCH64 {
        // On an aarch64 host the host archive already is the aarch64 one.
        Some(host.clone())
    } else if have_tools && env::var_os("ILUSM_SKIP_AARCH64").is_none() {
        match build_archive(
            &root,
            &target_root.join("aarch64"),
            DEBIAN_RUSTC,
            Some(AARCH64),
        ) {
            Ok(path) => Some(path),
            Err(e) => {
                println!("cargo:warning=aarch64 runtime archive not built: {e}");
                None
            }
        }
    } else {
        None
    };
    match aarch64 {
        Some(path) => {
            fs::copy(path, &aarch64_out).unwrap();
            strip_debug_info("aarch64-linux-gnu-strip", &aarch64_out);
        }
        None => fs::write(&aarch64_out, b"").unwrap(),
    }
}

/// Drops debug info from an embedded archive: it halves the size of the
/// `ilusm` binary and of nothing else (executables are linked with `-s`).
/// Best effort: without binutils the archive is embedded as it is.
fn strip_debug_info(strip: &str, archive: &Path) {
    let _ = Command::new(strip)
        .arg("--strip-debug")
        .arg(archive)
        .status();
}

fn aarch64_tools_present() -> bool {
    if !Path::new(DEBIAN_RUSTC).exists() {
        return false;
    }
    let sysroot = Command::new(DEBIAN_RUSTC)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match sysroot {
        Some(s) => Path::new(&s).join("lib/rustlib").join(AARCH64).exists(),
        None => false,
    }
}

/// Runs `cargo rustc -p ilusm-runtime --profile runtime --crate-type
/// staticlib` and returns the archive's path.
fn build_archive(
    root: &Path,
    target_dir: &Path,
    rustc: &str,
    triple: Option<&str>,
) -> Result<PathBuf, String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("rustc")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args(["-p", "ilusm-runtime", "--profile", "runtime"])
        .args(["--crate-type", "staticlib"])
        .arg("--target-dir")
        .arg(target_dir);
    if let Some(t) = triple {
        cmd.args(["--target", t]);
    }
    // The outer build's settings are for the outer build only.
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUSTC", rustc);
    let output = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let mut path = target_dir.to_path_buf();
    if let Some(t) = triple {
        path.push(t);
    }
    path.push("runtime/libilusm_runtime.a");
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("{} was not produced", path.display()))
    }
}
