//! Conservative scanning of this thread's native stack.
//!
//! Native code (JIT, AOT) keeps values in registers and stack slots with no
//! stack maps, and runtime Rust code keeps them in locals; all of them are
//! found here. Every value live across a call is, at the moment of a
//! collection, either in a stack slot of some frame between the current
//! stack pointer and the top of the stack, or in a callee-saved register
//! (caller-saved ones are spilled by their callers before calls). So:
//! [`with_registers_spilled`] stores the callee-saved registers into its own
//! frame and reads the stack pointer, and [`scan`] then reads every aligned
//! word from there to [`stack_top`].
//!
//! The range ends at the base recorded by [`with_stack_base`] (program
//! threads record it where they start), else at the top of the thread's
//! stack block, asked of the OS once per thread, so that any thread that
//! allocates (test threads, the main thread, an embedder's) is still
//! covered safely. Either way it is part of the thread's stack, which is
//! mapped.

use std::cell::Cell;

#[cfg(target_arch = "x86_64")]
const SPILLED: usize = 6;
#[cfg(target_arch = "aarch64")]
const SPILLED: usize = 19;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("the collector spills callee-saved registers for x86_64 and aarch64 only");

/// Store the callee-saved registers to `to` and return the stack pointer.
///
/// # Safety
/// `to` must be valid for `SPILLED` word writes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn spill(to: *mut usize) -> usize {
    let sp: usize;
    // System V and Windows agree on these being callee-saved (Windows adds
    // rsi, rdi, which are not used: the runtime targets System V).
    core::arch::asm!(
        "mov [{p}], rbx",
        "mov [{p} + 8], rbp",
        "mov [{p} + 16], r12",
        "mov [{p} + 24], r13",
        "mov [{p} + 32], r14",
        "mov [{p} + 40], r15",
        "mov {sp}, rsp",
        p = in(reg) to,
        sp = out(reg) sp,
        options(nostack, preserves_flags),
    );
    sp
}

/// Store the callee-saved registers (x19-x29, and d8-d15 in case a value
/// was kept in a floating-point register) to `to` and return the stack
/// pointer.
///
/// # Safety
/// `to` must be valid for `SPILLED` word writes.
#[cfg(target_arch = "aarch64")]
#[inline(always)]
unsafe fn spill(to: *mut usize) -> usize {
    let sp: usize;
    core::arch::asm!(
        "stp x19, x20, [{p}]",
        "stp x21, x22, [{p}, #16]",
        "stp x23, x24, [{p}, #32]",
        "stp x25, x26, [{p}, #48]",
        "stp x27, x28, [{p}, #64]",
        "str x29, [{p}, #80]",
        "stp d8, d9, [{p}, #88]",
        "stp d10, d11, [{p}, #104]",
        "stp d12, d13, [{p}, #120]",
        "stp d14, d15, [{p}, #136]",
        "mov {sp}, sp",
        p = in(reg) to,
        sp = out(reg) sp,
        options(nostack, preserves_flags),
    );
    sp
}

/// Spill the callee-saved registers into this function's frame and call
/// `f` with the stack pointer of this frame: everything from there to the
/// top of the stack (the spill area, this frame's saved registers, every
/// caller's frame) is what [`scan`] must cover. `f` runs below it.
#[inline(never)]
pub(super) fn with_registers_spilled(f: &mut dyn FnMut(usize)) {
    let mut regs = [0usize; SPILLED];
    // SAFETY: `regs` has room for SPILLED words.
    let sp = unsafe { spill(regs.as_mut_ptr()) };
    f(sp);
    // The spill area must stay in memory until the scan is done.
    std::hint::black_box(&mut regs);
}

thread_local! {
    /// The base recorded by [`with_stack_base`], or 0.
    static BASE: Cell<usize> = const { Cell::new(0) };
    /// The top of the thread's stack block as the OS reports it, or 0
    /// until asked.
    static TOP: Cell<usize> = const { Cell::new(0) };
}

/// Resets the recorded base when the outermost [`with_stack_base`] ends
/// (also by unwinding).
struct BaseGuard {
    outermost: bool,
}

impl Drop for BaseGuard {
    fn drop(&mut self) {
        if self.outermost {
            BASE.with(|b| b.set(0));
        }
    }
}

/// Run `f` with this thread's stack base recorded in this function's
/// frame: collections during `f` scan the native stack from the stack
/// pointer up to here. Program threads wrap everything they run in it (the
/// native start-up; the interpreter around its top-level call). Nested
/// calls keep the outermost base.
///
/// Without a recorded base, the scan goes up to the top of the thread's
/// stack block as the OS reports it. That is safe, but the block also holds
/// the thread's TLS and descriptor (glibc keeps, e.g., the freed start-up
/// closure's address there), whose stale words can keep garbage alive.
/// Values in the frames of `with_stack_base`'s callers are not scanned.
#[inline(never)]
pub fn with_stack_base<R>(f: impl FnOnce() -> R) -> R {
    let marker = 0u64;
    let here = std::hint::black_box(&marker) as *const u64 as usize + 8;
    let outermost = BASE.with(|b| {
        let unset = b.get() == 0;
        if unset {
            b.set(here);
        }
        unset
    });
    let _guard = BaseGuard { outermost };
    let r = f();
    std::hint::black_box(&marker);
    r
}

/// The end (exclusive) of the range to scan: the recorded base, else the
/// top of this thread's stack block.
pub(super) fn stack_top() -> usize {
    let base = BASE.with(|b| b.get());
    if base != 0 {
        return base;
    }
    TOP.with(|t| {
        if t.get() == 0 {
            t.set(query_stack_top());
        }
        t.get()
    })
}

#[cfg(target_os = "linux")]
fn query_stack_top() -> usize {
    // SAFETY: plain libc queries about the calling thread, on a zeroed
    // attribute object that pthread_getattr_np initialises and we destroy.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        assert_eq!(
            libc::pthread_getattr_np(libc::pthread_self(), &mut attr),
            0,
            "gc: cannot find this thread's stack"
        );
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let r = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        assert_eq!(r, 0, "gc: cannot find this thread's stack");
        addr as usize + size
    }
}

#[cfg(target_os = "macos")]
fn query_stack_top() -> usize {
    // SAFETY: a libc query about the calling thread.
    unsafe { libc::pthread_get_stackaddr_np(libc::pthread_self()) as usize }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
compile_error!("the collector finds thread stacks on Linux and macOS only");

/// Call `word` on every aligned word in `[lo, hi)`.
pub(super) fn scan(lo: usize, hi: usize, word: &mut dyn FnMut(u64)) {
    assert!(
        lo <= hi && hi - lo < (1 << 36),
        "gc: stack pointer {lo:#x} is not below the stack top {hi:#x}"
    );
    let mut p = (lo + 7) & !7;
    while p + 8 <= hi {
        // SAFETY: `[lo, hi)` is the used part of this thread's stack, which
        // is mapped; volatile because the words belong to other frames.
        word(unsafe { std::ptr::read_volatile(p as *const u64) });
        p += 8;
    }
}
