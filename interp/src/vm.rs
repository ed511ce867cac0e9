//! The stack VM: one operand stack and one frame stack, both `Vec`s, so an
//! ilusm call is a push onto them, never a Rust call (deep recursion cannot
//! overflow the Rust stack). A function's locals (parameters first) live on
//! the operand stack from the frame's `base`.
//!
//! The dispatch loop ([`Vm::run_loop`]) keeps the current function's code,
//! instruction index and base in locals, and handles numbers and booleans
//! inline; every other case calls the runtime's general case. Builtins that
//! call back into ilusm code re-enter the loop through the `Caller` impl
//! (`support.rs`, with the other cold parts);
//! each loop invocation runs until the frame it was started for returns.

use ilusm_runtime::error::{arity_error, stack_overflow, undefined_name};
use ilusm_runtime::print::type_name;
use ilusm_runtime::{containers, heap};
use ilusm_runtime::{ops, RtError, RtResult, Value};

use crate::fast::{field_get, field_set, list_get, list_len, list_set};
use crate::fuse;
use crate::load::{Op, Program};

#[derive(Clone, Copy, Debug)]
struct Frame {
    func: u32,
    /// For the running frame, stale; for callers, the instruction after
    /// their call (so `ip - 1` is the call instruction).
    ip: usize,
    /// Stack index of local slot 0.
    base: usize,
    /// Stack length to restore when this frame returns (drops the locals,
    /// and for `call` the callee value).
    ret_sp: usize,
    /// The closure being run (for `get_capture`), or nil for a plain function.
    closure: Value,
}

pub(crate) struct Vm<'p> {
    prog: &'p Program,
    stack: Vec<Value>,
    frames: Vec<Frame>,
    globals: Vec<Value>,
    max_depth: u64,
}

impl<'p> Vm<'p> {
    /// Run from the top frame until the frame at index `stop` returns; its
    /// result is the result.
    fn run_loop(&mut self, stop: usize) -> RtResult<Value> {
        let prog = self.prog;
        let max_depth = self.max_depth;
        let top = *self.frames.last().expect("a frame to run");
        let mut code: &'p [Op] = &prog.funcs[top.func as usize].ops;
        let mut ip = top.ip;
        let mut base = top.base;
        let mut closure = top.closure;
        let caches = &prog.caches[..];

        macro_rules! throw {
            ($e:expr) => {
                return Err(self.unwind($e, ip, stop))
            };
        }
        macro_rules! tri {
            ($r:expr) => {
                match $r {
                    Ok(v) => v,
                    Err(e) => throw!(e),
                }
            };
        }
        // Local slot access without bounds checks: `load` checked every
        // slot operand against the function's `num_locals`, `enter` gave
        // the frame that many slots from `base`, and verified code never pops
        // below them, so `base + l < self.stack.len()` while the frame runs.
        macro_rules! local {
            ($l:expr) => {{
                let i = base + $l as usize;
                debug_assert!(i < self.stack.len());
                // SAFETY: see above.
                unsafe { *self.stack.as_ptr().add(i) }
            }};
        }
        macro_rules! set_local {
            ($l:expr, $v:expr) => {{
                let (i, v) = (base + $l as usize, $v);
                debug_assert!(i < self.stack.len());
                // SAFETY: see `local!`.
                unsafe { *self.stack.as_mut_ptr().add(i) = v }
            }};
        }
        macro_rules! pop {
            () => {
                self.stack.pop().expect("verified stack depth")
            };
        }
        macro_rules! top {
            () => {
                self.stack.last_mut().expect("verified stack depth")
            };
        }
        // `a OP b` with a number fast path, else the runtime's general case.
        macro_rules! arith {
            ($fast:expr, $slow:path) => {{
                let b = pop!();
                let t = top!();
                let a = *t;
                *t = if a.is_number() && b.is_number() {
                    Value::from_f64($fast(a.to_f64_unchecked(), b.to_f64_unchecked()))
                } else {
                    tri!($slow(a, b))
                };
            }};
        }
        macro_rules! compare {
            ($op:tt, $slow:path) => {{
                let b = pop!();
                let t = top!();
                let a = *t;
                *t = if a.is_number() && b.is_number() {
                    Value::from_bool(a.to_f64_unchecked() $op b.to_f64_unchecked())
                } else {
                    tri!($slow(a, b))
                };
            }};
        }
        // A fused op whose first two covered ops push `x` and `y` (locals or
        // a constant): `$fast(x, y)` is `Some` on its fast path, whose result
        // `$done` uses; `None`: push both and continue at the covered op
        // that consumes them (the third of the sequence).
        macro_rules! two {
            ($x:expr, $y:expr, $fast:expr, |$r:pat_param| $done:expr) => {{
                let (x, y) = ($x, $y);
                match $fast(x, y) {
                    Some($r) => $done,
                    None => {
                        self.stack.push(x);
                        self.stack.push(y);
                        ip += 1;
                    }
                }
            }};
        }
        // A fused `get_local; get_local/push; OP` (`crate::fuse`) at ip - 1:
        // the number fast path skips the two covered ops; otherwise `two!`
        // continues at the covered `OP`, which does the general case.
        macro_rules! fused_binop {
            ($bin:expr, $x:expr, $y:expr) => {{
                two!($x, $y, |x, y| fuse::fast($bin, x, y), |v| {
                    self.stack.push(v);
                    ip += 2;
                })
            }};
        }
        // A fused `get_local b; get_local c/push k; OP1; OP2; set_local d`
        // (`d = top OP2 (b OP1 c)`): the number fast path pops the top and
        // skips the four covered ops; otherwise `two!` continues at the
        // covered `OP1`.
        macro_rules! fused_bin_set {
            ($op1:expr, $op2:expr, $y:expr, $z:expr, $d:expr) => {{
                let n = self.stack.len();
                let x = self.stack[n - 1];
                let fast = |y, z| fuse::fast($op1, y, z).and_then(|r| fuse::fast($op2, x, r));
                two!($y, $z, fast, |r| {
                    self.stack.truncate(n - 1);
                    set_local!($d, r);
                    ip += 4;
                })
            }};
        }
        // Enter function `f`, whose `argc` arguments are on the stack; `ip`
        // is already the caller's return point (after its call op).
        macro_rules! call_direct {
            ($f:expr, $argc:expr) => {{
                let f = $f;
                if self.frames.len() as u64 > max_depth {
                    throw!(stack_overflow(max_depth));
                }
                self.frames.last_mut().expect("caller frame").ip = ip;
                let ret_sp = self.stack.len() - $argc as usize;
                let (b, func) = self.enter(f, ret_sp, Value::NIL);
                base = b;
                code = &func.ops;
                ip = 0;
                closure = Value::NIL;
            }};
        }
        // Return `result`, which is a value on the stack at or above the
        // returning frame's `ret_sp` (so storing it there needs no push).
        macro_rules! ret {
            ($result:expr) => {{
                let result = $result;
                let done = self.frames.pop().expect("returning frame");
                if self.frames.len() == stop {
                    self.stack.truncate(done.ret_sp);
                    return Ok(result);
                }
                self.stack[done.ret_sp] = result;
                self.stack.truncate(done.ret_sp + 1);
                let caller = *self.frames.last().expect("caller frame");
                code = &prog.funcs[caller.func as usize].ops;
                ip = caller.ip;
                base = caller.base;
                closure = caller.closure;
            }};
        }
        macro_rules! truthy {
            ($v:expr) => {{
                let v = $v;
                if v == Value::TRUE {
                    true
                } else if v == Value::FALSE {
                    false
                } else {
                    ops::truthy(v)
                }
            }};
        }

        loop {
            debug_assert!(ip < code.len());
            // SAFETY: `load` checked that every jump targets an op of this
            // function and that its last op is `ret`, `halt` or `jump`; a
            // fused op only skips ops it covers, never a function's last.
            // So `ip` always indexes `code`.
            let op = unsafe { *code.get_unchecked(ip) };
            ip += 1;
            match op {
                Op::Push(v) => self.stack.push(v),
                Op::Pop => {
                    pop!();
                }
                Op::Dup => {
                    let v = *top!();
                    self.stack.push(v);
                }
                Op::GetLocal(l) => {
                    let v = local!(l);
                    self.stack.push(v);
                }
                Op::SetLocal(l) => {
                    let v = pop!();
                    set_local!(l, v);
                }
                Op::GetGlobal(g) => {
                    let v = self.globals[g as usize];
                    if v == Value::UNASSIGNED {
                        throw!(undefined_name(&prog.global_names[g as usize]));
                    }
                    self.stack.push(v);
                }
                Op::SetGlobal(g) => {
                    let v = pop!();
                    self.globals[g as usize] = v;
                }
                Op::Add => arith!(|x, y| x + y, ops::add),
                Op::Sub => arith!(|x, y| x - y, ops::sub),
                Op::Mul => arith!(|x, y| x * y, ops::mul),
                Op::Div => {
                    let b = pop!();
                    let t = top!();
                    let a = *t;
                    *t = match (a.as_f64(), b.as_f64()) {
                        (Some(x), Some(y)) if y != 0.0 => Value::from_f64(x / y),
                        _ => tri!(ops::div(a, b)),
                    };
                }
                Op::Mod => {
                    let b = pop!();
                    let t = top!();
                    let a = *t;
                    *t = match (a.as_f64(), b.as_f64()) {
                        (Some(x), Some(y)) if y != 0.0 => Value::from_f64(ops::fmod(x, y)),
                        _ => tri!(ops::rem(a, b)),
                    };
                }
                Op::Neg => {
                    let t = top!();
                    let a = *t;
                    *t = match a.as_f64() {
                        Some(x) => Value::from_f64(-x),
                        None => tri!(ops::neg(a)),
                    };
                }
                Op::Not => {
                    let t = top!();
                    *t = Value::from_bool(!truthy!(*t));
                }
                Op::Eq => {
                    let b = pop!();
                    let t = top!();
                    let a = *t;
                    *t = if a.is_number() && b.is_number() {
                        Value::from_bool(a.to_f64_unchecked() == b.to_f64_unchecked())
                    } else {
                        ops::eq(a, b)
                    };
                }
                Op::Ne => {
                    let b = pop!();
                    let t = top!();
                    let a = *t;
                    *t = if a.is_number() && b.is_number() {
                        Value::from_bool(a.to_f64_unchecked() != b.to_f64_unchecked())
                    } else {
                        ops::ne(a, b)
                    };
                }
                Op::LocalLocal(bin, a, b) => fused_binop!(bin, local!(a), local!(b)),
                Op::LocalConst(bin, a, k) => fused_binop!(bin, local!(a), k),
                Op::MoveLocal(a, b) => {
                    set_local!(b, local!(a));
                    ip += 1;
                }
                Op::CompareJump(bin, when, t) => {
                    let b = pop!();
                    let a = pop!();
                    let r = match fuse::fast(bin, a, b) {
                        Some(r) => r,
                        None => tri!(fuse::general(bin, a, b)),
                    };
                    if truthy!(r) == when {
                        ip = t as usize;
                    } else {
                        ip += 1;
                    }
                }
                Op::BinSet(bin, d) => {
                    // Read in place: the operands stay rooted during the general case.
                    let n = self.stack.len();
                    let (a, b) = (self.stack[n - 2], self.stack[n - 1]);
                    let r = match fuse::fast(bin, a, b) {
                        Some(r) => r,
                        None => tri!(fuse::general(bin, a, b)),
                    };
                    self.stack.truncate(n - 2);
                    set_local!(d, r);
                    ip += 1;
                }
                Op::LocalLocalSet(bin, a, b, d) => {
                    two!(local!(a), local!(b), |x, y| fuse::fast(bin, x, y), |r| {
                        set_local!(d, r);
                        ip += 3;
                    })
                }
                Op::LocalConstSet(bin, a, d, k) => {
                    two!(local!(a), k, |x, y| fuse::fast(bin, x, y), |r| {
                        set_local!(d, r);
                        ip += 3;
                    })
                }
                Op::LocalLocalJump(bin, when, a, b, t) => {
                    two!(local!(a), local!(b), |x, y| fuse::fast(bin, x, y), |r| {
                        ip = if (r == Value::TRUE) == when {
                            t as usize
                        } else {
                            ip + 3
                        };
                    })
                }
                Op::LocalConstJump(bin, when, a, t, k) => {
                    two!(local!(a), k, |x, y| fuse::fast(bin, x, y), |r| {
                        ip = if (r == Value::TRUE) == when {
                            t as usize
                        } else {
                            ip + 3
                        };
                    })
                }
                Op::IndexLocals(a, b) => two!(local!(a), local!(b), list_get, |v| {
                    self.stack.push(v);
                    ip += 2;
                }),
                Op::SetIndexLocals(a, b, c) => {
                    let v = local!(c);
                    let set = |x, i| list_set(x, i, v).then_some(());
                    two!(local!(a), local!(b), set, |_r| ip += 3)
                }
                Op::SetIndexLocalsConst(a, b, k) => {
                    let set = |x, i| list_set(x, i, k).then_some(());
                    two!(local!(a), local!(b), set, |_r| ip += 3)
                }
                Op::LocalLocalBinSet(op1, op2, b, c, d) => {
                    fused_bin_set!(op1, op2, local!(b), local!(c), d)
                }
                Op::LocalConstBinSet(op1, op2, b, d, k) => {
                    fused_bin_set!(op1, op2, local!(b), k, d)
                }
                Op::TopLocal(bin, x) => {
                    let y = local!(x);
                    let t = top!();
                    match fuse::fast(bin, *t, y) {
                        Some(r) => {
                            *t = r;
                            ip += 1;
                        }
                        None => self.stack.push(y),
                    }
                }
                Op::TopLocalSet(bin, x, d) => {
                    let y = local!(x);
                    let n = self.stack.len();
                    match fuse::fast(bin, self.stack[n - 1], y) {
                        Some(r) => {
                            self.stack.truncate(n - 1);
                            set_local!(d, r);
                            ip += 2;
                        }
                        None => self.stack.push(y),
                    }
                }
                Op::TopConst(bin, k) => {
                    let t = top!();
                    match fuse::fast(bin, *t, k) {
                        Some(r) => {
                            *t = r;
                            ip += 1;
                        }
                        None => self.stack.push(k),
                    }
                }
                Op::BinSetField(bin, c, key) => {
                    // Stack: object, a, b. The operator's errors are this op's
                    // own; a failed store continues at the covered set_field.
                    let n = self.stack.len();
                    let (a, b) = (self.stack[n - 2], self.stack[n - 1]);
                    let r = match fuse::fast(bin, a, b) {
                        Some(r) => r,
                        None => tri!(fuse::general(bin, a, b)),
                    };
                    if field_set(self.stack[n - 3], key, r, &caches[c as usize]) {
                        self.stack.truncate(n - 3);
                        ip += 1;
                    } else {
                        self.stack.truncate(n - 1);
                        self.stack[n - 2] = r;
                    }
                }
                Op::RangeStep(x, end, step, exit, top) => {
                    let (v, e) = (local!(x), local!(end));
                    if v.is_number() && e.is_number() {
                        if v.to_f64_unchecked() == e.to_f64_unchecked() {
                            ip = exit as usize;
                        } else if let Some(r) = fuse::fast(fuse::Bin::Add, v, local!(step)) {
                            set_local!(x, r);
                            ip = top as usize;
                        } else {
                            // Not a number step: the covered increment's general case.
                            ip += 3;
                        }
                    } else {
                        self.stack.push(v);
                        self.stack.push(e);
                        ip += 1;
                    }
                }
                Op::RangeStepMove(x, end, step, v, exit, top) => {
                    let (i, e) = (local!(x), local!(end));
                    if i.is_number() && e.is_number() {
                        if i.to_f64_unchecked() == e.to_f64_unchecked() {
                            ip = exit as usize;
                        } else if let Some(r) = fuse::fast(fuse::Bin::Add, i, local!(step)) {
                            // The increment, the jump, and the move at `top`.
                            set_local!(x, r);
                            set_local!(v, r);
                            ip = top as usize + 2;
                        } else {
                            ip += 3;
                        }
                    } else {
                        self.stack.push(i);
                        self.stack.push(e);
                        ip += 1;
                    }
                }
                Op::AccLocalConst(op1, op2, s, b, k) => {
                    let acc = local!(s);
                    match fuse::fast(op1, local!(b), k).and_then(|r| fuse::fast(op2, acc, r)) {
                        Some(r) => {
                            set_local!(s, r);
                            ip += 5;
                        }
                        None => self.stack.push(acc),
                    }
                }
                Op::AccLocalLocal(op1, op2, s, b, c) => {
                    let acc = local!(s);
                    let r1 = fuse::fast(op1, local!(b), local!(c));
                    match r1.and_then(|r| fuse::fast(op2, acc, r)) {
                        Some(r) => {
                            set_local!(s, r);
                            ip += 5;
                        }
                        None => self.stack.push(acc),
                    }
                }
                Op::LocalLocalSetJump(bin, a, b, d, t) => {
                    two!(local!(a), local!(b), |x, y| fuse::fast(bin, x, y), |r| {
                        set_local!(d, r);
                        ip = t as usize;
                    })
                }
                Op::LocalConstSetJump(bin, a, d, t, k) => {
                    two!(local!(a), k, |x, y| fuse::fast(bin, x, y), |r| {
                        set_local!(d, r);
                        ip = t as usize;
                    })
                }
                Op::ListLoopTest(i, xs, exit) => {
                    let test = |v: Value, l| Some(v.as_f64()? < list_len(l)? as f64);
                    two!(local!(i), local!(xs), test, |more| {
                        ip = if more { ip + 4 } else { exit as usize };
                    })
                }
                Op::IndexLocalsSet(xs, i, d) => two!(local!(xs), local!(i), list_get, |v| {
                    set_local!(d, v);
                    ip += 3;
                }),
                Op::TopLocalLocal(op1, op2, b, c) => {
                    let x = *top!();
                    let fast = |y, z| fuse::fast(op2, x, fuse::fast(op1, y, z)?);
                    two!(local!(b), local!(c), fast, |r| {
                        *top!() = r;
                        ip += 3;
                    })
                }
                Op::DupLocalGetField(a, c, key) => {
                    // The first get_local; the covered `LocalGetField` does the rest
                    // when the hit path below does not apply.
                    let x = local!(a);
                    self.stack.push(x);
                    if let Some(v) = field_get(x, key, &caches[c as usize]) {
                        self.stack.push(v);
                        ip += 2;
                    }
                }
                Op::Lt => compare!(<, ops::lt),
                Op::Le => compare!(<=, ops::le),
                Op::Gt => compare!(>, ops::gt),
                Op::Ge => compare!(>=, ops::ge),
                Op::Jump(t) => ip = t as usize,
                Op::JumpIf(t) => {
                    if truthy!(pop!()) {
                        ip = t as usize;
                    }
                }
                Op::JumpIfNot(t) => {
                    if !truthy!(pop!()) {
                        ip = t as usize;
                    }
                }
                Op::CallDirect(f, argc) => call_direct!(f, argc),
                Op::LocalLocalCall(a, b, f) => {
                    self.stack.push(local!(a));
                    self.stack.push(local!(b));
                    ip += 2;
                    call_direct!(f, 2)
                }
                Op::LocalConstCall(bin, a, f, k) => match fuse::fast(bin, local!(a), k) {
                    Some(r) => {
                        self.stack.push(r);
                        ip += 3;
                        call_direct!(f, 1)
                    }
                    None => {
                        self.stack.push(local!(a));
                        self.stack.push(k);
                        ip += 1;
                    }
                },
                Op::RetLocal(a) => ret!(local!(a)),
                Op::BinRet(bin) => {
                    let n = self.stack.len();
                    let (a, b) = (self.stack[n - 2], self.stack[n - 1]);
                    let r = match fuse::fast(bin, a, b) {
                        Some(r) => r,
                        None => tri!(fuse::general(bin, a, b)),
                    };
                    ret!(r)
                }
                Op::Call(argc) => {
                    let at = self.stack.len() - argc as usize - 1;
                    let callee = self.stack[at];
                    let target = match callee.as_func() {
                        Some(f) => Some((f, Value::NIL)),
                        None => heap::closure(callee).map(|c| (c.func(), callee)),
                    };
                    if let Some((f, callee_closure)) = target {
                        let callee_fn = &prog.funcs[f as usize];
                        if callee_fn.arity != argc {
                            throw!(arity_error(
                                &callee_fn.name,
                                callee_fn.arity as u32,
                                argc as usize
                            ));
                        }
                        if self.frames.len() as u64 > max_depth {
                            throw!(stack_overflow(max_depth));
                        }
                        self.frames.last_mut().expect("caller frame").ip = ip;
                        base = self.enter(f, at, callee_closure).0;
                        code = &callee_fn.ops;
                        ip = 0;
                        closure = callee_closure;
                    } else if let Some(id) = callee.as_builtin() {
                        let v = tri!(self.call_builtin(id, at + 1));
                        self.stack.truncate(at);
                        self.stack.push(v);
                    } else {
                        throw!(RtError::new(format!("cannot call {}", type_name(callee))));
                    }
                }
                Op::CallBuiltin(id, argc) => {
                    let at = self.stack.len() - argc as usize;
                    let v = tri!(self.call_builtin(id, at));
                    self.stack.truncate(at);
                    self.stack.push(v);
                }
                Op::CallBuiltinPop(id, argc) => {
                    let at = self.stack.len() - argc as usize;
                    tri!(self.call_builtin(id, at));
                    self.stack.truncate(at);
                    ip += 1;
                }
                Op::LocalCallBuiltin(a, id) => {
                    // Errors belong to the covered call_builtin.
                    self.stack.push(local!(a));
                    ip += 1;
                    let at = self.stack.len() - 1;
                    let v = tri!(self.call_builtin(id, at));
                    self.stack[at] = v;
                }
                Op::LocalJump(a, when, t) => {
                    ip = if truthy!(local!(a)) == when {
                        t as usize
                    } else {
                        ip + 1
                    };
                }
                Op::Ret => ret!(*top!()),
                Op::Halt => {
                    // Ends this loop invocation (for `<main>`, the program).
                    let sp = self.frames[stop].ret_sp;
                    self.frames.truncate(stop);
                    self.stack.truncate(sp);
                    return Ok(Value::NIL);
                }
                Op::Index => {
                    let i = pop!();
                    let t = top!();
                    *t = match list_get(*t, i) {
                        Some(v) => v,
                        None => tri!(containers::index(*t, i)),
                    };
                }
                Op::SetIndex => {
                    let v = pop!();
                    let i = pop!();
                    let a = pop!();
                    if !list_set(a, i, v) {
                        tri!(containers::set_index(a, i, v));
                    }
                }
                Op::GetField(c, key) => {
                    let hint = &caches[c as usize];
                    let t = top!();
                    *t = match field_get(*t, key, hint) {
                        Some(v) => v,
                        None => tri!(containers::get_field_cached(*t, key, hint)),
                    };
                }
                Op::SetField(c, key) => {
                    let v = pop!();
                    let a = pop!();
                    let hint = &caches[c as usize];
                    if !field_set(a, key, v, hint) {
                        tri!(containers::set_field_cached(a, key, v, hint));
                    }
                }
                Op::LocalGetField(a, c, key) => {
                    let x = local!(a);
                    let hint = &caches[c as usize];
                    let v = match field_get(x, key, hint) {
                        Some(v) => Some(v),
                        None => containers::get_field_cached(x, key, hint).ok(),
                    };
                    if let Some(v) = v {
                        self.stack.push(v);
                        ip += 1;
                    } else {
                        // Not an object: push it and let the covered get_field fail there.
                        self.stack.push(x);
                    }
                }
                Op::CellGet => {
                    let t = top!();
                    *t = tri!(containers::cell_get(*t));
                }
                Op::CellSet => {
                    let v = pop!();
                    let c = pop!();
                    tri!(containers::cell_set(c, v));
                }
                Op::GetCapture(i) => {
                    let c = tri!(containers::closure_cell(closure, i as u32));
                    self.stack.push(c);
                }
                Op::Print(_)
                | Op::Concat(_)
                | Op::MakeList(_)
                | Op::MakeObject(_)
                | Op::MakeCell
                | Op::MakeClosure(..)
                | Op::IterPrep
                | Op::RangePrep
                | Op::IndexOpt
                | Op::GetFieldOpt(..) => tri!(self.stack_op(op)),
                Op::Len => {
                    let t = top!();
                    *t = match list_len(*t) {
                        Some(n) => Value::from_f64(n as f64),
                        None => tri!(containers::len(*t)),
                    };
                }
            }
        }
    }
}

mod support;

#[cfg(test)]
mod tests;
