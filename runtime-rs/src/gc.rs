//! The garbage collector: mark-sweep, non-moving, one heap per program
//! thread, shared by the interpreter, the JIT and AOT executables.
//!
//! **What it is.** Every object allocated by [`crate::heap`] is recorded in
//! this thread's registry. A collection marks everything reachable from the
//! roots (an explicit mark stack: no recursion, so a million-element linked
//! list is fine) and frees the rest. Objects never move (object hash indices
//! point at key strings; native code holds raw addresses).
//!
//! **Roots** (ARCHITECTURE.md, "Garbage collection"):
//! 1. runtime-owned values: the native path's constants and global slots
//!    ([`crate::native`]), values pinned with [`pin`] (the interpreter's
//!    constants), and temporaries rooted with [`TempRoots`];
//! 2. registered root sources ([`register_roots`]): the interpreter's
//!    operand stack and globals, enumerated precisely;
//! 3. the native stack of this thread, scanned conservatively from the
//!    current stack pointer to the base recorded by [`with_stack_base`]
//!    when the program thread started (else the top of the thread's
//!    stack), with the callee-saved registers spilled first. A word counts
//!    only if it is the exact address of a registered object (tagged as a
//!    heap value, or untagged and pointing into the object's fixed part):
//!    nothing that is not an object is ever dereferenced. This is what lets
//!    native code keep values in registers and stack slots without stack
//!    maps, and runtime Rust code keep values in locals.
//!
//! **When.** At an allocation (after the new object is registered, so it is
//! itself a root of that collection) when the bytes allocated since the
//! last collection bring the heap to `max(1 MiB, 2 × live after the last
//! collection)`, when the heap would exceed the limit, or always under
//! `ILUSM_GC_STRESS=1`; also at [`safepoint`]s after containers grow. Never
//! inside a container method (the closed APIs of `heap::kinds` hold a
//! borrow of the contents there).
//!
//! **Heap limit.** `ILUSM_MAX_HEAP=SIZE` or [`set_max_heap`]. When the live
//! heap still exceeds the limit after a collection, the operation that
//! allocated fails with `out of memory (heap limit SIZE)` (SIZE as the user
//! wrote it): allocation itself stays infallible and records the failure;
//! [`ok`] / [`check`] / [`safepoint`] turn it into the error. It is an
//! ordinary runtime error: catchable by `try`, status 1 when uncaught.

mod config;
mod roots;
mod space;
mod stack_scan;
#[cfg(test)]
mod tests;

use std::cell::{Cell, RefCell};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{RtError, RtResult};
use crate::heap::{self, Header, Kind};
use crate::value::Value;

pub use config::{
    check_env, parse_heap_size, set_max_heap, set_stress, set_thread_max_heap, set_thread_stress,
    HeapLimit,
};
pub use roots::{pin, register_roots, RootSource, RootsGuard, TempRoots};
pub use stack_scan::with_stack_base;

/// The heap size below which no collection is triggered by growth alone.
pub const MIN_THRESHOLD: usize = 1 << 20;

/// Counters of one thread's collector, for `ILUSM_GC_STATS` and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GcStats {
    /// Completed collections.
    pub collections: u64,
    /// Sum and maximum of the collection pauses.
    pub total_pause: Duration,
    pub max_pause: Duration,
    /// The largest heap size seen (live bytes plus bytes allocated since
    /// the last collection, i.e. including garbage not yet collected).
    pub peak_bytes: usize,
    /// Registered objects and the heap size now.
    pub objects: usize,
    pub heap_bytes: usize,
    /// Bytes live after the last collection.
    pub live_after_last: usize,
}

impl GcStats {
    /// The `ILUSM_GC_STATS=1` line (without the newline).
    pub fn report_line(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "gc: {} collections, total pause {:.3} ms, max pause {:.3} ms, peak heap {} bytes",
            self.collections,
            ms(self.total_pause),
            ms(self.max_pause),
            self.peak_bytes
        )
    }
}

/// One thread's registry and accounting.
struct GcState {
    /// Where every allocated, not yet freed object is (`space.rs`).
    space: space::Space,
    /// How many objects that is.
    objects: usize,
    /// Bytes of the objects that survived the last collection.
    live: usize,
    /// Bytes allocated or grown since then.
    since: usize,
    /// Collect when `live + since` reaches this.
    next: usize,
    /// Whether the settings below were read (at the first allocation).
    configured: bool,
    stress: bool,
    limit: Option<HeapLimit>,
    /// Print [`GcStats::report_line`] when the thread ends.
    report: bool,
    stats: GcStats,
    /// Kept between collections to reuse its buffer.
    mark_stack: Vec<NonNull<Header>>,
}

thread_local! {
    static GC: RefCell<GcState> = const {
        RefCell::new(GcState {
            space: space::Space::new(),
            objects: 0,
            live: 0,
            since: 0,
            next: MIN_THRESHOLD,
            configured: false,
            stress: false,
            limit: None,
            report: false,
            stats: GcStats {
                collections: 0,
                total_pause: Duration::ZERO,
                max_pause: Duration::ZERO,
                peak_bytes: 0,
                objects: 0,
                heap_bytes: 0,
                live_after_last: 0,
            },
            mark_stack: Vec::new(),
        })
    };
    /// A collection left the heap above the limit; [`check`] reports it.
    /// Apart from [`GC`] because every allocating operation checks it: a
    /// `Cell` without a destructor is one thread-local load.
    static OVER_LIMIT: Cell<bool> = const { Cell::new(false) };
}

impl GcState {
    fn configure(&mut self) {
        if !self.configured {
            let c = config::process_config();
            self.stress = c.stress;
            self.limit = c.limit;
            self.configured = true;
        }
    }

    fn size(&self) -> usize {
        self.live + self.since
    }

    /// Count `bytes` more; whether a collection is due.
    fn add(&mut self, bytes: usize) -> bool {
        self.configure();
        self.since += bytes;
        let size = self.size();
        self.stats.peak_bytes = self.stats.peak_bytes.max(size);
        self.stress || size >= self.next || self.limit.as_ref().is_some_and(|l| size > l.bytes)
    }

    /// Mark from every root, sweep, account. `[lo, hi)` is the native
    /// stack range to scan; `extra` an additional root (the new object).
    fn collect(&mut self, extra: Value, lo: usize, hi: usize) {
        let start = Instant::now();
        self.space.sync_bump();
        let mut marker = Marker {
            space: &self.space,
            stack: std::mem::take(&mut self.mark_stack),
        };
        marker.value(extra);
        roots::trace(&mut |v| marker.value(v));
        crate::native::trace_roots(&mut |v| marker.value(v));
        stack_scan::scan(lo, hi, &mut |w| marker.word(w));
        marker.drain();
        self.mark_stack = marker.stack;

        let swept = self.space.sweep();
        let live = swept.bytes;
        self.objects = swept.objects;
        self.live = live;
        self.since = 0;
        self.next = MIN_THRESHOLD.max(live.saturating_mul(2));
        let over = self.limit.as_ref().is_some_and(|l| live > l.bytes);
        OVER_LIMIT.with(|f| f.set(over));

        let pause = start.elapsed();
        let s = &mut self.stats;
        s.collections += 1;
        s.total_pause += pause;
        s.max_pause = s.max_pause.max(pause);
        s.live_after_last = live;
    }
}

impl GcState {
    /// Print the `ILUSM_GC_STATS` line if asked for, once.
    fn report_once(&mut self) {
        if self.report {
            self.report = false;
            self.stats.objects = self.objects;
            self.stats.heap_bytes = self.size();
            eprintln!("{}", self.stats.report_line());
        }
    }
}

impl Drop for GcState {
    fn drop(&mut self) {
        self.report_once();
        // The thread is ending: no value of its heap is used any more. When the process ends
        // with it, the operating system takes the memory back at once.
        if FREE_HEAP_AT_THREAD_END.load(Ordering::Relaxed) {
            self.space.free_all();
            self.objects = 0;
        }
    }
}

/// Whether a program thread's heap is freed, object by object, when the thread ends.
static FREE_HEAP_AT_THREAD_END: AtomicBool = AtomicBool::new(true);

/// The process exits as soon as its program thread ends (an AOT executable, `ilusm run`:
/// [`crate::native::program_owns_process`]): leave that thread's heap to the operating system
/// instead of dropping every object. Heap objects hold only memory (strings, lists, objects,
/// closures, cells, buffers: no file or socket), so nothing observable is skipped, and a program
/// that ends with a large heap ends sooner: freeing the strings benchmark's heap was 7% of its
/// instructions. Embedders and tests that run many programs in one process leave this alone.
pub(crate) fn leave_heap_at_exit() {
    FREE_HEAP_AT_THREAD_END.store(false, Ordering::Relaxed);
}

/// The mark phase: a mark bit in each header and an explicit stack of
/// marked objects whose children are not yet visited.
struct Marker<'a> {
    /// Where the objects are.
    space: &'a space::Space,
    stack: Vec<NonNull<Header>>,
}

impl Marker<'_> {
    /// The object at `addr` exactly, or (if `interior`) whose fixed part
    /// contains `addr`. Never dereferences anything else.
    fn find(&self, addr: usize, interior: bool) -> Option<NonNull<Header>> {
        self.space.find(addr, interior)
    }

    /// Mark `p`; stack it if its children are still to be visited
    /// (strings and buffers have none).
    #[inline]
    fn mark(&mut self, p: NonNull<Header>) {
        // SAFETY: callers pass registered objects only.
        let h = unsafe { p.as_ref() };
        if !h.marked.replace(true) && !matches!(h.kind(), Kind::Str | Kind::Buffer) {
            self.stack.push(p);
        }
    }

    /// A root value: marked if it is a heap value naming a registered
    /// object (a stale or foreign word is ignored, never followed).
    fn value(&mut self, v: Value) {
        if v.is_heap() {
            if let Some(p) = self.find(v.heap_addr(), false) {
                self.mark(p)
            }
        }
    }

    /// A word of the native stack: a heap value, or an untagged pointer to
    /// or into an object (Rust code holds `&ListObj`; native code may hold
    /// a cell's value address only).
    fn word(&mut self, w: u64) {
        let v = Value(w);
        if v.is_heap() {
            self.value(v)
        } else if w >> 48 == 0 {
            if let Some(p) = self.find(w as usize, true) {
                self.mark(p)
            }
        }
    }

    fn drain(&mut self) {
        while let Some(p) = self.stack.pop() {
            // SAFETY: stacked objects are marked, so live; the values
            // objects hold are live objects (trusted, see the module docs).
            unsafe {
                heap::each_child(p, |c| {
                    if c.is_heap() {
                        debug_assert!(self.find(c.heap_addr(), false).is_some(), "dangling {c:?}");
                        self.mark(NonNull::new_unchecked(c.heap_addr() as *mut Header))
                    }
                })
            }
        }
    }
}

/// Put `obj` (an object of kind `kind`, header first) in this thread's
/// heap, count its `bytes` (what `heap::object_bytes` will say of it), and
/// collect if one is due (with the new object as a root). Called by every
/// `heap::alloc_*`.
#[inline]
pub(crate) fn alloc<T>(kind: Kind, obj: T, bytes: usize) -> NonNull<T> {
    debug_assert_eq!(std::mem::size_of::<T>(), heap::fixed_size(kind));
    let (p, due) = GC.with(|g| {
        let mut g = g.borrow_mut();
        let p = g.space.alloc(kind).cast::<T>();
        // SAFETY: a slot of the kind's size, 8-aligned (every kind's
        // alignment), not in use.
        unsafe { p.as_ptr().write(obj) };
        g.objects += 1;
        // SAFETY: just written.
        debug_assert_eq!(bytes, unsafe { heap::object_bytes(p.cast()) });
        (p, g.add(bytes))
    });
    if due {
        collect_with(Value::from_heap_ptr(p.as_ptr()));
    }
    p
}

/// Count `bytes` of growth of an existing object (a list's or object's
/// buffers). Never collects: see [`safepoint`].
pub(crate) fn grew(bytes: usize) {
    if bytes > 0 {
        GC.with(|g| g.borrow_mut().add(bytes));
    }
}

/// Collect now (also for tests and embedders).
pub fn collect() {
    collect_with(Value::NIL)
}

#[inline(never)]
fn collect_with(extra: Value) {
    // The spill area is in a frame below every caller's frame: scanning
    // from it to the top of the stack covers all of them.
    stack_scan::with_registers_spilled(&mut |lo| {
        let hi = stack_scan::stack_top();
        GC.with(|g| g.borrow_mut().collect(extra, lo, hi));
    });
}

/// Collect if one is due (after a container grew), then [`check`].
pub fn safepoint() -> RtResult<()> {
    let due = GC.with(|g| g.borrow_mut().add(0));
    if due {
        collect();
    }
    check()
}

/// `Err(out of memory (heap limit SIZE))` if a collection since the last
/// check left the heap above the limit (the flag is cleared), else `Ok`.
#[inline]
pub fn check() -> RtResult<()> {
    if OVER_LIMIT.with(|f| f.replace(false)) {
        Err(over_limit_error())
    } else {
        Ok(())
    }
}

#[cold]
fn over_limit_error() -> Box<RtError> {
    let text = GC.with(|g| g.borrow().limit.as_ref().map(|l| l.text.clone()));
    RtError::new(format!(
        "out of memory (heap limit {})",
        text.unwrap_or_default()
    ))
}

/// `v` if its allocation (and any before it since the last check) stayed
/// within the heap limit; else the out-of-memory error. Wrap the result of
/// allocating operations: `gc::ok(heap::alloc_string(s))`.
#[inline]
pub fn ok(v: Value) -> RtResult<Value> {
    check().map(|()| v)
}

/// This thread's collector counters.
pub fn stats() -> GcStats {
    GC.with(|g| {
        let g = g.borrow();
        GcStats {
            objects: g.objects,
            heap_bytes: g.size(),
            ..g.stats
        }
    })
}

/// The program is ending without its thread ending (`__sys_exit`): print
/// the `ILUSM_GC_STATS` line now, as the thread's end would.
pub(crate) fn report_at_exit() {
    let _ = GC.try_with(|g| g.borrow_mut().report_once());
}

/// This thread runs a program: print the statistics line at its end if
/// `ILUSM_GC_STATS=1` (called by `context::install_program`).
pub(crate) fn program_started() {
    let report = config::process_config().stats;
    GC.with(|g| g.borrow_mut().report = report);
}
