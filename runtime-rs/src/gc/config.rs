//! Collector settings: `ILUSM_GC_STRESS`, `ILUSM_MAX_HEAP`, `ILUSM_GC_STATS`.
//!
//! The environment is read once per process, at the first allocation (in
//! practice: start-up, when the program's constants are made). Each
//! thread's heap copies the process settings at its first allocation, so
//! [`set_max_heap`] (the CLI's `--max-heap`) must run before the program
//! thread starts; [`set_thread_max_heap`] / [`set_thread_stress`] change the
//! calling thread only (tests, embedders).

use std::sync::Mutex;

use super::GC;

/// A heap limit: bytes, and the text the user wrote (for the message
/// `out of memory (heap limit TEXT)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeapLimit {
    pub bytes: usize,
    pub text: String,
}

impl HeapLimit {
    /// A limit of `bytes`, written as the plain number.
    pub fn bytes(bytes: usize) -> HeapLimit {
        HeapLimit {
            bytes,
            text: bytes.to_string(),
        }
    }
}

/// Parse a heap size: a positive integer of bytes, optionally followed by
/// `K`, `M` or `G` (powers of 1024, either case). Surrounding whitespace is
/// ignored and not part of the message text.
pub fn parse_heap_size(text: &str) -> Result<HeapLimit, String> {
    let t = text.trim();
    let invalid = || {
        format!("invalid heap size '{text}' (expected a positive number of bytes, with an optional K, M or G suffix)")
    };
    let (digits, shift) = match t.as_bytes().last() {
        Some(b'k' | b'K') => (&t[..t.len() - 1], 10),
        Some(b'm' | b'M') => (&t[..t.len() - 1], 20),
        Some(b'g' | b'G') => (&t[..t.len() - 1], 30),
        _ => (t, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let n: usize = digits.parse().map_err(|_| invalid())?;
    let bytes = n.checked_mul(1 << shift).ok_or_else(invalid)?;
    if bytes == 0 {
        return Err(invalid());
    }
    Ok(HeapLimit {
        bytes,
        text: t.to_owned(),
    })
}

/// The process-wide settings.
#[derive(Clone, Debug, Default)]
pub(super) struct Config {
    pub stress: bool,
    pub limit: Option<HeapLimit>,
    pub stats: bool,
}

/// `None` until read from the environment (or set).
static CONFIG: Mutex<Option<Config>> = Mutex::new(None);

/// A flag variable: set and neither empty nor `0`.
fn flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

fn from_env() -> Result<Config, String> {
    let limit = match std::env::var("ILUSM_MAX_HEAP") {
        Ok(s) => Some(parse_heap_size(&s).map_err(|e| format!("ILUSM_MAX_HEAP: {e}"))?),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err("ILUSM_MAX_HEAP: invalid heap size (not UTF-8)".into())
        }
    };
    Ok(Config {
        stress: flag("ILUSM_GC_STRESS"),
        limit,
        stats: flag("ILUSM_GC_STATS"),
    })
}

/// Check the environment's settings, for start-up code that reports bad
/// settings with status 2 before running anything (`run_native` does; the
/// CLI should too). `Err` is the message without the `error: ` prefix.
pub fn check_env() -> Result<(), String> {
    from_env().map(drop)
}

/// The process settings, read from the environment the first time. An
/// invalid `ILUSM_MAX_HEAP` that start-up did not catch ends the process
/// with status 2, as start-up would have.
pub(super) fn process_config() -> Config {
    let mut c = CONFIG.lock().unwrap_or_else(|e| e.into_inner());
    if c.is_none() {
        match from_env() {
            Ok(cfg) => *c = Some(cfg),
            Err(msg) => {
                eprintln!("error: {msg}");
                std::process::exit(2);
            }
        }
    }
    c.clone().unwrap_or_default()
}

/// Set the heap limit (`None`: no limit) of the process: for program
/// threads started afterwards, and for the calling thread. Overrides
/// `ILUSM_MAX_HEAP` (the CLI's `--max-heap SIZE`: see [`parse_heap_size`]).
pub fn set_max_heap(limit: Option<HeapLimit>) {
    let mut cfg = process_config();
    cfg.limit = limit.clone();
    *CONFIG.lock().unwrap_or_else(|e| e.into_inner()) = Some(cfg);
    set_thread_max_heap(limit);
}

/// Turn stress mode on or off for the process (program threads started
/// afterwards) and the calling thread; overrides `ILUSM_GC_STRESS`.
pub fn set_stress(on: bool) {
    let mut cfg = process_config();
    cfg.stress = on;
    *CONFIG.lock().unwrap_or_else(|e| e.into_inner()) = Some(cfg);
    set_thread_stress(on);
}

/// Set the heap limit of the calling thread only.
pub fn set_thread_max_heap(limit: Option<HeapLimit>) {
    GC.with(|g| {
        let mut g = g.borrow_mut();
        g.configure();
        g.limit = limit;
    });
}

/// Turn stress mode (a collection at every allocation) on or off for the
/// calling thread only.
pub fn set_thread_stress(on: bool) {
    GC.with(|g| {
        let mut g = g.borrow_mut();
        g.configure();
        g.stress = on;
    });
}
