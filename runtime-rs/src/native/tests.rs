//! The native path, with "compiled" functions written by hand in Rust the
//! way the Cranelift lowering emits them: runtime calls, `ilusm_rt_trace`
//! on the error path, depth counting in prologue and epilogue.

use super::*;
use crate::abi::*;
use crate::program::ImageFunction;
use std::sync::{Arc, Mutex};

/// The depth statics are process-wide: native runs take turns.
static SERIAL: Mutex<()> = Mutex::new(());

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn image() -> ProgramImage {
    let f = |name: &str, arity| ImageFunction {
        name: name.into(),
        arity,
        file: 0,
        lines: vec![(0, 1, 1), (4, 2, 3), (8, 3, 5)],
    };
    ProgramImage {
        constants: vec![ImageConstant::Str("hi".into()), ImageConstant::Num(2.0)],
        globals: vec!["g".into()],
        files: vec!["t.ilu".into()],
        functions: vec![f("<main>", 0), f("f", 1), f("rec", 0)],
        entry: 0,
    }
}

fn run(table: Vec<NativeFn>, limit: u64) -> (i32, String, String) {
    run_image(image(), table, limit)
}

fn run_image(image: ProgramImage, table: Vec<NativeFn>, limit: u64) -> (i32, String, String) {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (out, err) = (Capture::default(), Capture::default());
    let sinks: Sinks = Some((Box::new(out.clone()), Box::new(err.clone())));
    let status = run_native_with_io(image, table, vec![], limit, sinks);
    (status, out.text(), err.text())
}

/// Prologue/epilogue of a compiled user function around `body`.
fn user_fn(body: impl FnOnce() -> u64) -> u64 {
    let d = ilusm_rt_depth.fetch_add(1, Ordering::Relaxed) + 1;
    let r = if d > ilusm_rt_max_depth.load(Ordering::Relaxed) {
        ilusm_rt_stack_overflow()
    } else {
        body()
    };
    ilusm_rt_depth.fetch_sub(1, Ordering::Relaxed);
    r
}

/// f(x) = x / 0, failing at pc 9 (line 3).
extern "C" fn f_entry(_env: u64, argv: *const u64) -> u64 {
    let x = unsafe { *argv };
    user_fn(|| {
        let r = ilusm_rt_div(x, Value::from_f64(0.0).0);
        if r == Value::ERROR.0 {
            ilusm_rt_trace(1, 9);
        }
        r
    })
}

/// rec() = rec(), the call at pc 4 (line 2).
extern "C" fn rec_entry(_env: u64, _argv: *const u64) -> u64 {
    user_fn(|| {
        let r = unsafe { ilusm_rt_call_value(Value::func(2).0, std::ptr::null(), 0) };
        if r == Value::ERROR.0 {
            ilusm_rt_trace(2, 4);
        }
        r
    })
}

fn fail_at(pc: u32) -> u64 {
    ilusm_rt_trace(0, pc);
    Value::ERROR.0
}

extern "C" fn main_prints_then_divides(_env: u64, _: *const u64) -> u64 {
    let s = ilusm_rt_add(ilusm_rt_const(0), ilusm_rt_const(1));
    let args = [s, Value::TRUE.0];
    unsafe { ilusm_rt_print(args.as_ptr(), 2) };
    let g = ilusm_rt_globals();
    unsafe { *g = ilusm_rt_const(1) };
    let arg = [unsafe { *g }];
    let r = unsafe { ilusm_rt_call_value(Value::func(1).0, arg.as_ptr(), 1) };
    if r == Value::ERROR.0 {
        return fail_at(8);
    }
    r
}

#[test]
fn prints_and_reports_an_error_with_its_trace() {
    let (status, out, err) = run(vec![main_prints_then_divides, f_entry, rec_entry], 100);
    assert_eq!(status, 1);
    assert_eq!(out, "hi2 tru\n");
    assert_eq!(
        err,
        "error: division by zero\n  at f (t.ilu:3:5)\n  at <main> (t.ilu:3:5)\n"
    );
}

extern "C" fn main_call_errors(_env: u64, _: *const u64) -> u64 {
    let mut msgs = Vec::new();
    let one = [Value::from_f64(1.0).0, Value::NIL.0];
    for (callee, argc) in [
        (Value::func(1).0, 2),
        (Value::from_f64(3.0).0, 0),
        (Value::builtin(1).0, 2),
        (Value::builtin(18).0, 1),
    ] {
        let r = unsafe { ilusm_rt_call_value(callee, one.as_ptr(), argc) };
        if r == Value::ERROR.0 {
            msgs.push(context::take_pending().message);
        } else {
            msgs.push(crate::print::to_string(Value(r)));
        }
    }
    let r = ilusm_rt_undefined_global(0);
    assert_eq!(r, Value::ERROR.0);
    msgs.push(context::take_pending().message);
    let r = unsafe { ilusm_rt_call_builtin(7, one.as_ptr(), 1) };
    assert_eq!(r, Value::ERROR.0);
    msgs.push(context::take_pending().message);
    assert_eq!(
        msgs,
        [
            "f expects 1 argument, got 2",
            "cannot call num",
            "len expects 1 argument, got 2",
            "1",
            "undefined name 'g'",
            "1",
        ]
    );
    assert_eq!(ilusm_rt_truthy(Value::from_f64(f64::NAN).0), 0);
    assert_eq!(ilusm_rt_not(Value::NIL.0), Value::TRUE.0);
    assert_eq!(
        ilusm_rt_eq(ilusm_rt_const(0), ilusm_rt_const(0)),
        Value::TRUE.0
    );
    let parts = [ilusm_rt_const(0), ilusm_rt_const(1)];
    let s = unsafe { ilusm_rt_concat(parts.as_ptr(), 2) };
    assert_eq!(crate::print::to_string(Value(s)), "hi2");
    Value::NIL.0
}

#[test]
fn call_value_checks_arity_and_callability() {
    let (status, out, err) = run(vec![main_call_errors, f_entry, rec_entry], 100);
    assert_eq!((status, out.as_str(), err.as_str()), (0, "", ""));
}

extern "C" fn main_recurses(_env: u64, _: *const u64) -> u64 {
    let r = unsafe { ilusm_rt_call_value(Value::func(2).0, std::ptr::null(), 0) };
    if r == Value::ERROR.0 {
        return fail_at(4);
    }
    r
}

#[test]
fn deep_recursion_stops_at_the_limit() {
    let (status, out, err) = run(vec![main_recurses, f_entry, rec_entry], 5000);
    assert_eq!((status, out.as_str()), (1, ""));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "error: stack overflow (call depth 5000)");
    assert_eq!(lines[1], "  at rec (t.ilu:2:3)");
    assert_eq!(lines[11], "  ... 4981 more frames");
    assert_eq!(lines[21], "  at <main> (t.ilu:2:3)");
    assert_eq!(lines.len(), 22);
    assert_eq!(ilusm_rt_depth.load(Ordering::Relaxed), 0);
}

#[test]
fn max_depth_parsing() {
    assert_eq!(parse_max_depth("10000"), Ok(10000));
    assert_eq!(parse_max_depth(" 7 "), Ok(7));
    assert!(parse_max_depth("0").is_err());
    assert!(parse_max_depth("-1").is_err());
    assert!(parse_max_depth("abc").is_err());
    assert!(parse_max_depth("1000001").is_err());
    assert_eq!(
        parse_max_depth("x").unwrap_err(),
        "invalid call depth limit 'x' (expected an integer from 1 to 1000000)"
    );
}

#[test]
fn malformed_images_and_tables_are_status_2() {
    let bytes = [1u8, 2, 3];
    let status = unsafe {
        ilusm_rt_main(
            0,
            std::ptr::null(),
            bytes.as_ptr(),
            bytes.len(),
            std::ptr::null(),
            0,
        )
    };
    assert_eq!(status, 2);
    assert_eq!(run_native_with_limit(image(), vec![], vec![], 10), 2);
}

/// `image()` plus function 3, a lambda of arity 0 over one cell, and
/// function 4, `deep() = f(2)` (which divides by zero).
fn closure_image() -> ProgramImage {
    let mut img = image();
    for (name, arity) in [("<lambda>", 0), ("deep", 0)] {
        img.functions.push(ImageFunction {
            name: name.into(),
            arity,
            file: 0,
            lines: vec![(0, 5, 1), (4, 6, 2)],
        });
    }
    img
}

/// The lambda `\() (c = c + 1) - 1`, written as compiled code would be:
/// it reaches its captured cell through `env`.
extern "C" fn counter_entry(env: u64, _argv: *const u64) -> u64 {
    user_fn(|| {
        assert_eq!(
            crate::print::type_name(Value(env)),
            "fun",
            "env is the closure"
        );
        let cell = ilusm_rt_closure_cell(env, 0);
        let v = ilusm_rt_cell_get(cell);
        let next = ilusm_rt_add(v, Value::from_f64(1.0).0);
        ilusm_rt_cell_set(cell, next);
        v
    })
}

/// deep() = f(2), the call at pc 4 (line 6).
extern "C" fn deep_entry(env: u64, _argv: *const u64) -> u64 {
    assert_eq!(env, Value::NIL.0, "plain functions get a nil env");
    user_fn(|| {
        let arg = [Value::from_f64(2.0).0];
        let r = unsafe { ilusm_rt_call_value(Value::func(1).0, arg.as_ptr(), 1) };
        if r == Value::ERROR.0 {
            ilusm_rt_trace(4, 4);
        }
        r
    })
}

fn print(v: u64) {
    unsafe { ilusm_rt_print([v].as_ptr(), 1) };
}

extern "C" fn main_closures(_env: u64, _: *const u64) -> u64 {
    let cell = ilusm_rt_make_cell(Value::from_f64(10.0).0);
    let clo = unsafe { ilusm_rt_make_closure(3, [cell].as_ptr(), 1) };
    for _ in 0..2 {
        let r = unsafe { ilusm_rt_call_value(clo, std::ptr::null(), 0) };
        print(r);
    }
    print(ilusm_rt_cell_get(cell));
    print(clo);
    // A wrong arity is checked against the closure's function.
    let r = unsafe { ilusm_rt_call_value(clo, [Value::NIL.0].as_ptr(), 1) };
    assert_eq!(r, Value::ERROR.0);
    assert_eq!(
        context::take_pending().message,
        "<lambda> expects 0 arguments, got 1"
    );
    // try(closure) through the native Caller.
    let r = unsafe { ilusm_rt_call_builtin(builtins::id::TRY as u32, [clo].as_ptr(), 1) };
    print(r);
    Value::NIL.0
}

#[test]
fn closures_get_their_env_in_the_generic_entry() {
    let table: Vec<NativeFn> = vec![main_closures, f_entry, rec_entry, counter_entry, deep_entry];
    let (status, out, err) = run_image(closure_image(), table, 100);
    assert_eq!(err, "");
    assert_eq!(status, 0);
    assert_eq!(out, "10\n11\n12\n<fun>\n{val: 12, err: nil}\n");
}

extern "C" fn main_try_then_fail(_env: u64, _: *const u64) -> u64 {
    // try(deep): the error and its two frames are caught...
    let r =
        unsafe { ilusm_rt_call_builtin(builtins::id::TRY as u32, [Value::func(4).0].as_ptr(), 1) };
    assert_ne!(r, Value::ERROR.0);
    print(r);
    assert_eq!(ilusm_rt_depth.load(Ordering::Relaxed), 0);
    // ...and nothing of them shows in the report of a later uncaught error.
    let r = unsafe { ilusm_rt_call_value(Value::from_f64(3.0).0, std::ptr::null(), 0) };
    if r == Value::ERROR.0 {
        return fail_at(8);
    }
    r
}

#[test]
fn try_on_the_native_path_leaves_nothing_pending() {
    let table: Vec<NativeFn> = vec![
        main_try_then_fail,
        f_entry,
        rec_entry,
        counter_entry,
        deep_entry,
    ];
    let (status, out, err) = run_image(closure_image(), table, 100);
    assert_eq!(out, "{val: nil, err: \"division by zero\"}\n");
    assert_eq!(err, "error: cannot call num\n  at <main> (t.ilu:3:5)\n");
    assert_eq!(status, 1);
}
