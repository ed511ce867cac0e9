//! Roots that are not on the native stack: values pinned for the life of
//! the thread, temporaries rooted for a scope, and registered root sources
//! (the interpreter's operand stack and globals).
//!
//! Why temporaries need rooting at all, given that the native stack is
//! scanned: Rust code may hold values only in a heap-allocated `Vec` (not
//! scanned), or borrow an object's contents (a `&str` of a string) while
//! the value itself is dead to the compiler. [`TempRoots`] makes such
//! values reachable for as long as the guard lives.

use std::cell::RefCell;
use std::marker::PhantomData;

use crate::value::Value;

/// Something that holds values the collector must see: it enumerates them
/// precisely when asked (the interpreter's VM: its operand stack and global
/// slots).
pub trait RootSource {
    /// Call `visit` on every value held. Must not allocate.
    fn trace_roots(&self, visit: &mut dyn FnMut(Value));
}

/// A registered source, type-erased.
struct Source {
    data: *const (),
    trace: unsafe fn(*const (), &mut dyn FnMut(Value)),
}

struct Roots {
    pinned: Vec<Value>,
    temps: Vec<Value>,
    sources: Vec<Source>,
}

thread_local! {
    static ROOTS: RefCell<Roots> = const {
        RefCell::new(Roots {
            pinned: Vec::new(),
            temps: Vec::new(),
            sources: Vec::new(),
        })
    };
}

/// Keep `v` alive until this thread ends (the interpreter's constants, made
/// once at load time). Returns `v`.
pub fn pin(v: Value) -> Value {
    if v.is_heap() {
        ROOTS.with(|r| r.borrow_mut().pinned.push(v));
    }
    v
}

/// Values rooted until the guard is dropped. Guards nest (drop in reverse
/// order of creation, as scopes do).
pub struct TempRoots {
    len_before: usize,
    /// Thread-bound.
    _not_send: PhantomData<*const ()>,
}

impl TempRoots {
    /// Root `values` for the guard's lifetime.
    pub fn new(values: &[Value]) -> TempRoots {
        let len_before = ROOTS.with(|r| {
            let mut r = r.borrow_mut();
            let n = r.temps.len();
            r.temps.extend_from_slice(values);
            n
        });
        TempRoots {
            len_before,
            _not_send: PhantomData,
        }
    }

    /// Root one more value, until the guard is dropped.
    pub fn push(&self, v: Value) {
        ROOTS.with(|r| r.borrow_mut().temps.push(v));
    }
}

impl Drop for TempRoots {
    fn drop(&mut self) {
        let _ = ROOTS.try_with(|r| r.borrow_mut().temps.truncate(self.len_before));
    }
}

/// A registration made by [`register_roots`]; unregisters when dropped.
pub struct RootsGuard {
    /// False when the source was already the innermost registration (a
    /// re-entrant call of the same interpreter): nothing to undo.
    active: bool,
    _not_send: PhantomData<*const ()>,
}

impl Drop for RootsGuard {
    fn drop(&mut self) {
        if self.active {
            let _ = ROOTS.try_with(|r| r.borrow_mut().sources.pop());
        }
    }
}

/// # Safety
/// `data` points at a live `T` (see [`register_roots`]).
unsafe fn trace_erased<T: RootSource>(data: *const (), visit: &mut dyn FnMut(Value)) {
    (*(data as *const T)).trace_roots(visit)
}

/// Register `source` as a root source of this thread until the guard is
/// dropped. Registering the source that is already the innermost one does
/// nothing (so re-entrant calls cost nothing and it is visited once).
///
/// # Safety
/// `source` must point at a `T` that stays valid and in place (not moved,
/// not dropped) until the guard is dropped, and whose roots can be read
/// whenever an allocation may happen on this thread.
pub unsafe fn register_roots<T: RootSource>(source: *const T) -> RootsGuard {
    let data = source as *const ();
    let active = ROOTS.with(|r| {
        let mut r = r.borrow_mut();
        if r.sources.last().is_some_and(|s| s.data == data) {
            return false;
        }
        r.sources.push(Source {
            data,
            trace: trace_erased::<T>,
        });
        true
    });
    RootsGuard {
        active,
        _not_send: PhantomData,
    }
}

/// Visit every root held here.
pub(super) fn trace(visit: &mut dyn FnMut(Value)) {
    ROOTS.with(|r| {
        let r = r.borrow();
        r.pinned.iter().chain(&r.temps).for_each(|&v| visit(v));
        for s in &r.sources {
            // SAFETY: the registration's contract keeps `data` valid while
            // it is registered.
            unsafe { (s.trace)(s.data, visit) }
        }
    })
}
