//! A stub runtime for the unit tests: just enough of the ABI, recording what native code calls.

use std::cell::RefCell;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Mutex;

use ilusm_bytecode::Module;

use crate::abi::{ERROR, FALSE, NIL, UNASSIGNED};
use crate::jit::{jit_compile, GenericEntry, JitProgram};

// ---- the stub runtime --------------------------------------------------------------------

pub static DEPTH: AtomicU64 = AtomicU64::new(0);
pub static MAX_DEPTH: AtomicU64 = AtomicU64::new(10_000);
/// The constants table of the module running (`Log::constants`).
pub static CONSTANTS: AtomicPtr<u64> = AtomicPtr::new(std::ptr::null_mut());
/// No object has a shape here: every bit stays clear. As long as the runtime's table, since
/// native code indexes it by any shape the lowering numbered.
pub static SHAPE_NON_NUMBERS: [AtomicU64; ilusm_runtime::heap::TRACKED_SHAPES] =
    [const { AtomicU64::new(0) }; ilusm_runtime::heap::TRACKED_SHAPES];
/// The depth counters are process-wide: one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

#[derive(Default)]
pub struct Log {
    pub trace: Vec<(u32, u32)>,
    pub calls: Vec<&'static str>,
    pub printed: Vec<Vec<u64>>,
    pub table: Vec<GenericEntry>,
    pub globals: Vec<u64>,
    /// What `rt_const` returns for each constant, by index.
    pub constants: Vec<u64>,
}

thread_local! {
    pub static LOG: RefCell<Log> = RefCell::new(Log::default());
}

fn note(name: &'static str) {
    LOG.with(|l| l.borrow_mut().calls.push(name));
}

pub fn num(v: u64) -> Option<f64> {
    (v < crate::abi::NUMBER_LIMIT).then(|| f64::from_bits(v))
}

macro_rules! binop {
    ($name:ident, $f:expr) => {
        extern "C" fn $name(a: u64, b: u64) -> u64 {
            note(stringify!($name));
            match (num(a), num(b)) {
                (Some(x), Some(y)) => $f(x, y),
                _ => ERROR,
            }
        }
    };
}

fn bits(f: f64) -> u64 {
    f.to_bits()
}
pub fn boolean(b: bool) -> u64 {
    FALSE | b as u64
}

binop!(rt_add, |x: f64, y: f64| bits(x + y));
binop!(rt_sub, |x: f64, y: f64| bits(x - y));
binop!(rt_mul, |x: f64, y: f64| bits(x * y));
binop!(rt_div, |x: f64, y: f64| if y == 0.0 {
    ERROR
} else {
    bits(x / y)
});
binop!(rt_mod, |x: f64, y: f64| if y == 0.0 {
    ERROR
} else {
    bits(x % y)
});
binop!(rt_lt, |x: f64, y: f64| boolean(x < y));
binop!(rt_le, |x: f64, y: f64| boolean(x <= y));
binop!(rt_gt, |x: f64, y: f64| boolean(x > y));
binop!(rt_ge, |x: f64, y: f64| boolean(x >= y));
extern "C" fn rt_eq(a: u64, b: u64) -> u64 {
    note("rt_eq");
    boolean(a == b)
}
extern "C" fn rt_ne(a: u64, b: u64) -> u64 {
    note("rt_ne");
    boolean(a != b)
}
extern "C" fn rt_neg(_: u64) -> u64 {
    note("rt_neg");
    ERROR
}
extern "C" fn rt_not(_: u64) -> u64 {
    note("rt_not");
    ERROR
}
extern "C" fn rt_truthy(_: u64) -> u8 {
    note("rt_truthy");
    1
}
extern "C" fn rt_print(argv: *const u64, argc: u32) -> u64 {
    let args = (0..argc as usize)
        .map(|k| unsafe { *argv.add(k) })
        .collect();
    LOG.with(|l| l.borrow_mut().printed.push(args));
    NIL
}
extern "C" fn rt_concat(_: *const u64, _: u32) -> u64 {
    ERROR
}
extern "C" fn rt_const(k: u32) -> u64 {
    0xFFFC_0000_0000_0000 | k as u64
}
extern "C" fn rt_globals() -> *mut u64 {
    LOG.with(|l| l.borrow_mut().globals.as_mut_ptr())
}
extern "C" fn rt_undefined_global(_: u32) -> u64 {
    note("rt_undefined_global");
    ERROR
}
extern "C" fn rt_call_builtin(_: u32, _: *const u64, _: u32) -> u64 {
    ERROR
}
extern "C" fn rt_call_value(callee: u64, argv: *const u64, _: u32) -> u64 {
    note("rt_call_value");
    if callee >> 48 != crate::abi::TAG_FUNC {
        return ERROR;
    }
    let entry = LOG.with(|l| l.borrow().table[(callee & 0xFFFF_FFFF) as usize]);
    entry(NIL, argv)
}
extern "C" fn rt_stack_overflow() -> u64 {
    note("rt_stack_overflow");
    ERROR
}
extern "C" fn rt_trace(func: u32, pc: u32) {
    LOG.with(|l| l.borrow_mut().trace.push((func, pc)));
}

extern "C" fn rt_make_cell(v: u64) -> u64 {
    let cell = Box::leak(Box::new([5u64, v]));
    0xFFFC_0000_0000_0000 | cell.as_ptr() as u64
}
extern "C" fn rt_closure_cell(env: u64, i: u32) -> u64 {
    note("rt_closure_cell");
    if env == NIL {
        return ERROR;
    }
    rt_make_cell(env + i as u64)
}
extern "C" fn rt_range_prep(_: u64, _: u64) -> u64 {
    note("rt_range_prep");
    ERROR
}

fn stub_symbols() -> Vec<(&'static str, *const u8)> {
    vec![
        ("ilusm_rt_make_cell", rt_make_cell as *const u8),
        ("ilusm_rt_closure_cell", rt_closure_cell as *const u8),
        ("ilusm_rt_range_prep", rt_range_prep as *const u8),
        ("ilusm_rt_add", rt_add as *const u8),
        ("ilusm_rt_sub", rt_sub as *const u8),
        ("ilusm_rt_mul", rt_mul as *const u8),
        ("ilusm_rt_div", rt_div as *const u8),
        ("ilusm_rt_mod", rt_mod as *const u8),
        ("ilusm_rt_eq", rt_eq as *const u8),
        ("ilusm_rt_ne", rt_ne as *const u8),
        ("ilusm_rt_lt", rt_lt as *const u8),
        ("ilusm_rt_le", rt_le as *const u8),
        ("ilusm_rt_gt", rt_gt as *const u8),
        ("ilusm_rt_ge", rt_ge as *const u8),
        ("ilusm_rt_neg", rt_neg as *const u8),
        ("ilusm_rt_not", rt_not as *const u8),
        ("ilusm_rt_truthy", rt_truthy as *const u8),
        ("ilusm_rt_print", rt_print as *const u8),
        ("ilusm_rt_concat", rt_concat as *const u8),
        ("ilusm_rt_const", rt_const as *const u8),
        ("ilusm_rt_globals", rt_globals as *const u8),
        (
            "ilusm_rt_undefined_global",
            rt_undefined_global as *const u8,
        ),
        ("ilusm_rt_call_builtin", rt_call_builtin as *const u8),
        ("ilusm_rt_call_value", rt_call_value as *const u8),
        ("ilusm_rt_stack_overflow", rt_stack_overflow as *const u8),
        ("ilusm_rt_trace", rt_trace as *const u8),
        ("ilusm_rt_depth", &DEPTH as *const AtomicU64 as *const u8),
        (
            "ilusm_rt_max_depth",
            &MAX_DEPTH as *const AtomicU64 as *const u8,
        ),
        (
            "ilusm_rt_constants",
            &CONSTANTS as *const AtomicPtr<u64> as *const u8,
        ),
        (
            "ilusm_rt_shape_non_numbers",
            &SHAPE_NON_NUMBERS as *const _ as *const u8,
        ),
    ]
}

/// A JIT-compiled module on the stub runtime, with the test lock held.
pub struct Run {
    prog: JitProgram,
    _guard: std::sync::MutexGuard<'static, ()>,
}

impl Run {
    pub fn new(m: &Module) -> Run {
        let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let prog = jit_compile(m, &stub_symbols()).expect("compiles");
        DEPTH.store(0, Ordering::Relaxed);
        MAX_DEPTH.store(10_000, Ordering::Relaxed);
        LOG.with(|l| {
            let mut l = l.borrow_mut();
            *l = Log::default();
            l.table = prog.table.clone();
            l.globals = vec![UNASSIGNED; m.globals.len()];
            l.constants = (0..m.constants.len() as u32).map(|k| rt_const(k)).collect();
            CONSTANTS.store(l.constants.as_mut_ptr(), Ordering::Relaxed);
        });
        Run {
            prog,
            _guard: guard,
        }
    }

    /// Call function `f` with value words (env nil), through its generic entry, as the runtime
    /// does: at the depth published in `DEPTH`.
    pub fn call(&self, f: usize, args: &[u64]) -> u64 {
        self.call_env(f, NIL, args)
    }

    /// Call function `f` with an env and value words, through its generic entry.
    pub fn call_env(&self, f: usize, env: u64, args: &[u64]) -> u64 {
        (self.prog.table[f])(env, args.as_ptr())
    }
}
