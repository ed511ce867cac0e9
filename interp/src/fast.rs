//! Inline fast paths of the dispatch loop for list elements and object
//! fields, read through the containers' *native views* (the buffer address
//! and length the runtime keeps current at fixed offsets for compiled code,
//! `heap::LIST_ITEMS_OFFSET` / `heap::OBJ_ENTRIES_OFFSET`). They answer only
//! the case they are sure of, exactly as the runtime would; `None` / `false`
//! means "call the runtime's general case", which also reports errors.
//!
//! Why not the runtime's methods: each `ListObj` / `ObjObj` access is a
//! call that also refreshes the view, and profiles of sieve, spectral-norm
//! and nbody showed those calls (and the field-name check of
//! `containers::get_field_cached`, not inlined across crates) as a large
//! share of the run time.

use std::cell::Cell;

use ilusm_runtime::heap::{self, Kind};
use ilusm_runtime::heap::{LIST_ITEMS_OFFSET, LIST_LEN_OFFSET, OBJ_ENTRIES_OFFSET, OBJ_LEN_OFFSET};
use ilusm_runtime::Value;

/// The address of heap object `v` if it is a `want` (a list or an object).
#[inline(always)]
fn view(v: Value, want: Kind) -> Option<usize> {
    // `heap::kind` computes the same address; the compiler shares it.
    let p = v.heap_ptr()?;
    (heap::kind(v) == Some(want)).then_some(p)
}

/// The word at byte offset `off` of the heap object at `p`.
#[inline(always)]
fn word(p: usize, off: usize) -> usize {
    // SAFETY: callers pass the address of a live list or object (from
    // `view`) and one of its view's documented offsets (both views are two
    // words from offset 8).
    unsafe { *((p + off) as *const usize) }
}

/// `i` as an element position of a `len`-element list: an integral number
/// `0 <= i < len` (`-0` counts as 0), as `containers` decides it. The range
/// test comes first so that the conversions are the plain signed ones (one
/// instruction each way on x86_64): `n as usize` saturates, which costs a
/// dozen instructions of fix-ups per index in sieve's inner loop. A
/// non-integral `i` does not survive the round trip; NaN fails the range test.
#[inline(always)]
fn position(i: Value, len: usize) -> Option<usize> {
    const EXACT: f64 = (1u64 << 53) as f64;
    let n = i.as_f64()?;
    if !(0.0..EXACT).contains(&n) {
        return None;
    }
    // SAFETY: 0 <= n < 2^53, so it fits in an i64.
    let k = unsafe { n.to_int_unchecked::<i64>() };
    (k as f64 == n && (k as usize) < len).then_some(k as usize)
}

/// `a[i]` when `a` is a list and `i` a position in it.
#[inline(always)]
pub(crate) fn list_get(a: Value, i: Value) -> Option<Value> {
    let a = view(a, Kind::List)?;
    let k = position(i, word(a, LIST_LEN_OFFSET))?;
    let items = word(a, LIST_ITEMS_OFFSET) as *const Value;
    // SAFETY: k is below the view's length, which is current.
    Some(unsafe { *items.add(k) })
}

/// `len(a)` when `a` is a list.
#[inline(always)]
pub(crate) fn list_len(a: Value) -> Option<usize> {
    view(a, Kind::List).map(|a| word(a, LIST_LEN_OFFSET))
}

/// `a[i] = v` when `a` is a list and `i` a position in it; `false`:
/// nothing was stored.
#[inline(always)]
pub(crate) fn list_set(a: Value, i: Value, v: Value) -> bool {
    let Some(a) = view(a, Kind::List) else {
        return false;
    };
    let Some(k) = position(i, word(a, LIST_LEN_OFFSET)) else {
        return false;
    };
    let items = word(a, LIST_ITEMS_OFFSET) as *mut Value;
    // SAFETY: k is below the view's length; storing into an existing
    // element is what the view allows (the list neither grows nor shrinks).
    unsafe { *items.add(k) = v };
    true
}

/// The address of the entry of object `a` at which the inline cache `hint`
/// of this access site last found `key`, if it still holds `key` there (one
/// identity compare, as in `ObjObj::get_cached`; a deleted entry's key is
/// never a string, so it never matches). `None`: not an object, or a miss.
#[inline(always)]
fn cached_entry(a: Value, key: Value, hint: &Cell<u32>) -> Option<*mut Value> {
    let a = view(a, Kind::Object)?;
    let h = hint.get() as usize;
    if h >= word(a, OBJ_LEN_OFFSET) {
        return None;
    }
    // Entries are (key, value) word pairs.
    let entry = (word(a, OBJ_ENTRIES_OFFSET) as *mut Value).wrapping_add(2 * h);
    // SAFETY: entry h is below the view's length, which is current.
    (unsafe { *entry } == key).then_some(entry)
}

/// `a.key` on a hit of the site's inline cache.
#[inline(always)]
pub(crate) fn field_get(a: Value, key: Value, hint: &Cell<u32>) -> Option<Value> {
    // SAFETY: the value word follows the key word of a live entry.
    cached_entry(a, key, hint).map(|e| unsafe { *e.add(1) })
}

/// `a.key = v` on a hit of the site's inline cache (replacing a present
/// key, which never grows the object and so is no safepoint); `false`:
/// nothing was stored.
#[inline(always)]
pub(crate) fn field_set(a: Value, key: Value, v: Value, hint: &Cell<u32>) -> bool {
    match cached_entry(a, key, hint) {
        // SAFETY: the value word of a live entry, below the view's length.
        Some(e) => {
            unsafe { *e.add(1) = v };
            true
        }
        None => false,
    }
}
