//! The `extern "C"` ABI native code calls (the table in ARCHITECTURE.md).
//!
//! Values travel as `u64` words. A function documented "value|ERROR"
//! returns `Value::ERROR` after storing the error as the runtime's pending
//! error (thread-local, see [`crate::context`]); native code then calls
//! [`ilusm_rt_trace`] for its own frame and returns `Value::ERROR` too.
//!
//! Functions taking `argv` pointers are `unsafe`: `argv` must point at
//! `argc` readable words (it may be dangling or null when `argc` is 0).
#![allow(non_upper_case_globals)]

use std::cell::Cell;
use std::ffi::{c_char, CStr};
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use crate::builtins;
use crate::containers;
use crate::context::{self, to_abi};
use crate::error::{stack_overflow, undefined_name, RtError, RtResult};
use crate::native::{self, NativeCaller, NativeFn, DEFAULT_MAX_DEPTH, GLOBALS, NATIVE};
use crate::ops;
use crate::print;
use crate::program::ProgramImage;
use crate::value::Value;

/// The call depth of the native frame that last called into the runtime: native code passes
/// depths in registers and publishes its own here before a runtime call that may call ilusm
/// code, whose generic entry reads it (and writes it back on return).
#[no_mangle]
pub static ilusm_rt_depth: AtomicU64 = AtomicU64::new(0);

/// The call-depth limit, set at start-up.
#[no_mangle]
pub static ilusm_rt_max_depth: AtomicU64 = AtomicU64::new(DEFAULT_MAX_DEPTH);

/// The program's constants (one word each, by index) while a program runs natively, set up
/// before any native code runs and unchanged until it ends: native code loads a string
/// constant from here instead of calling the runtime for it.
#[no_mangle]
pub static ilusm_rt_constants: AtomicPtr<u64> = AtomicPtr::new(std::ptr::null_mut());

/// Per object shape, the entry positions that have held a value other than a number (defined
/// next to the objects whose writers keep it).
pub use crate::heap::ilusm_rt_shape_non_numbers;

/// View `argc` words at `argv` as values.
///
/// # Safety
/// `argv` must point at `argc` readable words, unless `argc` is 0.
unsafe fn values<'a>(argv: *const u64, argc: u32) -> &'a [Value] {
    if argc == 0 || argv.is_null() {
        &[]
    } else {
        // Value is repr(transparent) over u64.
        std::slice::from_raw_parts(argv as *const Value, argc as usize)
    }
}

macro_rules! binary_abi {
    ($($(#[$doc:meta])* $name:ident => $op:path;)*) => {$(
        $(#[$doc])*
        #[no_mangle]
        pub extern "C" fn $name(a: u64, b: u64) -> u64 {
            to_abi($op(Value(a), Value(b)))
        }
    )*};
}

binary_abi! {
    /// `a + b` -> value|ERROR.
    ilusm_rt_add => ops::add;
    /// `a - b` -> value|ERROR.
    ilusm_rt_sub => ops::sub;
    /// `a * b` -> value|ERROR.
    ilusm_rt_mul => ops::mul;
    /// `a / b` -> value|ERROR.
    ilusm_rt_div => ops::div;
    /// `a % b` -> value|ERROR.
    ilusm_rt_mod => ops::rem;
    /// `a < b` -> value|ERROR.
    ilusm_rt_lt => ops::lt;
    /// `a <= b` -> value|ERROR.
    ilusm_rt_le => ops::le;
    /// `a > b` -> value|ERROR.
    ilusm_rt_gt => ops::gt;
    /// `a >= b` -> value|ERROR.
    ilusm_rt_ge => ops::ge;
}

/// `a == b` -> value (never fails).
#[no_mangle]
pub extern "C" fn ilusm_rt_eq(a: u64, b: u64) -> u64 {
    ops::eq(Value(a), Value(b)).0
}

/// `a != b` -> value (never fails).
#[no_mangle]
pub extern "C" fn ilusm_rt_ne(a: u64, b: u64) -> u64 {
    ops::ne(Value(a), Value(b)).0
}

/// `-a` -> value|ERROR.
#[no_mangle]
pub extern "C" fn ilusm_rt_neg(a: u64) -> u64 {
    to_abi(ops::neg(Value(a)))
}

/// `!a` -> `tru`/`fls`.
#[no_mangle]
pub extern "C" fn ilusm_rt_not(a: u64) -> u64 {
    ops::not(Value(a)).0
}

/// 1 if `a` is truthy, else 0.
#[no_mangle]
pub extern "C" fn ilusm_rt_truthy(a: u64) -> u8 {
    ops::truthy(Value(a)) as u8
}

/// The `print` instruction -> nil.
///
/// # Safety
/// See the module documentation.
#[no_mangle]
pub unsafe extern "C" fn ilusm_rt_print(argv: *const u64, argc: u32) -> u64 {
    print::prn(values(argv, argc));
    Value::NIL.0
}

/// The `concat` instruction -> value|ERROR.
///
/// # Safety
/// See the module documentation.
#[no_mangle]
pub unsafe extern "C" fn ilusm_rt_concat(argv: *const u64, argc: u32) -> u64 {
    to_abi(ops::concat(values(argv, argc)))
}

/// Constant `index` of the program.
#[no_mangle]
pub extern "C" fn ilusm_rt_const(index: u32) -> u64 {
    let v = NATIVE.with(|n| {
        n.borrow()
            .as_ref()
            .and_then(|s| s.constants.get(index as usize).copied())
    });
    match v {
        Some(v) => v.0,
        None => context::raise(RtError::new(format!("internal error: no constant {index}"))).0,
    }
}

/// Base of the global slots, fixed for the whole run.
#[no_mangle]
pub extern "C" fn ilusm_rt_globals() -> *mut u64 {
    GLOBALS.with(|g| g.get().0)
}

/// Raise `undefined name 'NAME'` for global slot `index` -> ERROR.
#[no_mangle]
pub extern "C" fn ilusm_rt_undefined_global(index: u32) -> u64 {
    context::raise(undefined_name(&context::global_name(index))).0
}

/// `call_builtin` -> value|ERROR.
///
/// # Safety
/// See the module documentation.
#[no_mangle]
pub unsafe extern "C" fn ilusm_rt_call_builtin(id: u32, argv: *const u64, argc: u32) -> u64 {
    let id = u16::try_from(id).unwrap_or(u16::MAX);
    to_abi(builtins::call(id, values(argv, argc), &mut NativeCaller))
}

/// `call` on any value -> value|ERROR.
///
/// # Safety
/// See the module documentation.
#[no_mangle]
pub unsafe extern "C" fn ilusm_rt_call_value(callee: u64, argv: *const u64, argc: u32) -> u64 {
    native::call_value(Value(callee), values(argv, argc)).0
}

/// A new list of the `n` values at `argv` -> value|ERROR (ERROR: the heap
/// limit).
///
/// # Safety
/// See the module documentation.
#[no_mangle]
pub unsafe extern "C" fn ilusm_rt_make_list(argv: *const u64, n: u32) -> u64 {
    to_abi(containers::make_list_checked(values(argv, n)))
}

/// A new object from the `n` key/value pairs at `argv` (`2 * n` words:
/// key0, val0, key1, val1, ...; keys are strings) -> value|ERROR. `shape`:
/// 0, or the number the compiler gave this literal's key sequence (see
/// `heap::ObjObj::shape`).
///
/// # Safety
/// `argv` must point at `2 * n` readable words, unless `n` is 0.
#[no_mangle]
pub unsafe extern "C" fn ilusm_rt_make_object(argv: *const u64, n: u32, shape: u32) -> u64 {
    let words = values(argv, n.saturating_mul(2));
    to_abi(containers::make_object_shaped(words, shape))
}

binary_abi! {
    /// `a[i]` -> value|ERROR.
    ilusm_rt_index => containers::index;
    /// `a?[i]` -> value|ERROR.
    ilusm_rt_index_opt => containers::index_opt;
    /// Store `v` in cell `c` -> nil|ERROR.
    ilusm_rt_cell_set => containers::cell_set;
}

/// `a[i] = v` -> nil|ERROR.
#[no_mangle]
pub extern "C" fn ilusm_rt_set_index(a: u64, i: u64, v: u64) -> u64 {
    to_abi(containers::set_index(Value(a), Value(i), Value(v)))
}

/// The inline cache of one field-access site in native code (16 bytes,
/// zeroed at start: 0 is never a key). When `key` is the site's key string
/// and the object's entry at position `pos` has that very key, its value
/// is the field: native code checks that inline (with the object's native
/// view, `heap::OBJ_ENTRIES_OFFSET`) and calls the `*_field_ic` functions
/// below only on a miss; they fill the cache whenever they find the key.
#[repr(C)]
pub struct FieldCache {
    pub key: u64,
    pub pos: u64,
}

/// Run a field access with a fresh hint, and record where the key was
/// found (if it was) in `ic`.
///
/// # Safety
/// `ic` must point at a writable [`FieldCache`].
unsafe fn through_cache(
    key: u64,
    ic: *mut FieldCache,
    access: impl FnOnce(&Cell<u32>) -> RtResult<Value>,
) -> u64 {
    let hint = Cell::new(u32::MAX);
    let r = access(&hint);
    if hint.get() != u32::MAX {
        *ic = FieldCache {
            key,
            pos: hint.get() as u64,
        };
    }
    to_abi(r)
}

/// `a.key` (`key` a string constant) -> value|ERROR, filling `ic`.
///
/// # Safety
/// `ic` must point at a writable [`FieldCache`].
#[no_mangle]
pub unsafe extern "C" fn ilusm_rt_get_field_ic(a: u64, key: u64, ic: *mut FieldCache) -> u64 {
    through_cache(key, ic, |hint| {
        containers::get_field_cached(Value(a), Value(key), hint)
    })
}

/// `a?.key` -> value|ERROR: nil when `a` is nil, else as
/// [`ilusm_rt_get_field_ic`].
///
/// # Safety
/// `ic` must point at a writable [`FieldCache`].
#[no_mangle]
pub unsafe extern "C" fn ilusm_rt_get_field_opt_ic(a: u64, key: u64, ic: *mut FieldCache) -> u64 {
    if Value(a).is_nil() {
        return Value::NIL.0;
    }
    ilusm_rt_get_field_ic(a, key, ic)
}

/// `a.key = v` -> nil|ERROR, filling `ic`.
///
/// # Safety
/// `ic` must point at a writable [`FieldCache`].
#[no_mangle]
pub unsafe extern "C" fn ilusm_rt_set_field_ic(
    a: u64,
    key: u64,
    v: u64,
    ic: *mut FieldCache,
) -> u64 {
    through_cache(key, ic, |hint| {
        containers::set_field_cached(Value(a), Value(key), Value(v), hint)
    })
}

/// `psh(xs, v)` -> xs|ERROR: the builtin without the dispatcher (native code
/// calls it for `call_builtin psh, 2`).
#[no_mangle]
pub extern "C" fn ilusm_rt_psh(xs: u64, v: u64) -> u64 {
    to_abi(containers::psh(Value(xs), Value(v)))
}

/// A new cell holding `v` -> value|ERROR (ERROR: the heap limit).
#[no_mangle]
pub extern "C" fn ilusm_rt_make_cell(v: u64) -> u64 {
    to_abi(containers::make_cell_checked(Value(v)))
}

/// The value in cell `c` -> value|ERROR (ERROR only for a non-cell: a
/// back-end bug).
#[no_mangle]
pub extern "C" fn ilusm_rt_cell_get(c: u64) -> u64 {
    to_abi(containers::cell_get(Value(c)))
}

/// A new closure of function `func` over the `n` cells at `argv` ->
/// value|ERROR (ERROR only if one is not a cell).
///
/// # Safety
/// See the module documentation.
#[no_mangle]
pub unsafe extern "C" fn ilusm_rt_make_closure(func: u32, argv: *const u64, n: u32) -> u64 {
    to_abi(containers::make_closure(func, values(argv, n)))
}

/// Cell `i` of closure `closure` -> cell|ERROR.
#[no_mangle]
pub extern "C" fn ilusm_rt_closure_cell(closure: u64, i: u32) -> u64 {
    to_abi(containers::closure_cell(Value(closure), i))
}

/// What an `x <- a` loop walks (a list: itself; a string or an object: a
/// new list) -> value|ERROR.
#[no_mangle]
pub extern "C" fn ilusm_rt_iter_prep(a: u64) -> u64 {
    to_abi(containers::iter_prep(Value(a)))
}

/// `range_prep`: the step (1 or -1) of the range `a..b` -> value|ERROR
/// (bounds must be integers of magnitude at most 2^53).
#[no_mangle]
pub extern "C" fn ilusm_rt_range_prep(a: u64, b: u64) -> u64 {
    to_abi(crate::range::range_prep(Value(a), Value(b)))
}

/// `len(a)` -> value|ERROR.
#[no_mangle]
pub extern "C" fn ilusm_rt_len(a: u64) -> u64 {
    to_abi(containers::len(Value(a)))
}

/// Raise `stack overflow (call depth LIMIT)` -> ERROR.
#[no_mangle]
pub extern "C" fn ilusm_rt_stack_overflow() -> u64 {
    context::raise(stack_overflow(ilusm_rt_max_depth.load(Ordering::Relaxed))).0
}

/// Append `(func, pc)` to the pending error's trace.
#[no_mangle]
pub extern "C" fn ilusm_rt_trace(func: u32, pc: u32) {
    context::trace(func, pc)
}

/// Start-up of an AOT executable: decode the program image, then
/// [`native::run_native`]. Returns the exit status (2 for a malformed image).
///
/// # Safety
/// `argv` must hold `argc` C strings; `image` must point at `image_len`
/// bytes; `fn_table` at `fn_count` function pointers.
#[no_mangle]
pub unsafe extern "C" fn ilusm_rt_main(
    argc: i32,
    argv: *const *const c_char,
    image: *const u8,
    image_len: usize,
    fn_table: *const NativeFn,
    fn_count: u32,
) -> i32 {
    crate::io::ignore_sigpipe();
    let bytes = if image.is_null() || image_len == 0 {
        &[][..]
    } else {
        std::slice::from_raw_parts(image, image_len)
    };
    let image = match ProgramImage::from_bytes(bytes) {
        Ok(image) => image,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let table = if fn_table.is_null() || fn_count == 0 {
        Vec::new()
    } else {
        std::slice::from_raw_parts(fn_table, fn_count as usize).to_vec()
    };
    let mut args = Vec::new();
    if !argv.is_null() {
        for i in 1..argc.max(0) as usize {
            let p = *argv.add(i);
            if !p.is_null() {
                args.push(CStr::from_ptr(p).to_string_lossy().into_owned());
            }
        }
    }
    // The executable's process ends with the program.
    native::program_owns_process();
    native::run_native(image, table, args)
}

#[cfg(test)]
mod tests;
