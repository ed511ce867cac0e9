//! The runtime archives embedded by `build.rs`: AOT executables link against
//! them, so an installed `ilusm` needs no source tree or target directory.

/// The triple `ilusm` itself was built for: the default AOT target.
pub const HOST_TRIPLE: &str = env!("ILUSM_HOST_TRIPLE");
const AARCH64_TRIPLE: &str = "aarch64-unknown-linux-gnu";

static HOST: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/libilusm_runtime_host.a"));
/// Empty when the cross tools were missing at build time.
static AARCH64: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/libilusm_runtime_aarch64.a"));

/// The runtime archive for `triple`, or a message saying what to install.
pub fn for_triple(triple: &str) -> Result<&'static [u8], String> {
    if triple == HOST_TRIPLE {
        return Ok(HOST);
    }
    if triple == AARCH64_TRIPLE {
        if AARCH64.is_empty() {
            return Err(format!(
                "error: this ilusm was built without the {AARCH64_TRIPLE} runtime\n\
                 hint: install the cross tools (scripts/setup, or: dpkg --add-architecture arm64 && \
                 apt-get update && apt-get install qemu-user gcc-aarch64-linux-gnu rustc-web \
                 libstd-rust-web-dev:arm64), then rebuild ilusm with `cargo build --release`"
            ));
        }
        return Ok(AARCH64);
    }
    Err(format!(
        "error: unsupported target '{triple}' (supported: {HOST_TRIPLE}, {AARCH64_TRIPLE})"
    ))
}
