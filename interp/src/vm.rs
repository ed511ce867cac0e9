//! The stack VM: one operand stack and one frame stack, both `Vec`s, so an
//! ilusm call is a push onto them, never a Rust call (deep recursion cannot
//! overflow the Rust stack). A function's locals (parameters first) live on
//! the operand stack from the frame's `base`.
//!
//! This file is the dispatch loop ([`Vm::run_loop`]). It keeps the current
//! function's code, instruction pointer and base in locals, reaches the
//! operand stack through raw pointers (`stack_ptrs.rs`), and handles
//! numbers and booleans inline; every other case calls the runtime's
//! general case. Builtins that call back into ilusm code re-enter the loop
//! through the `Caller` impl (`support.rs`, with the other cold parts);
//! each loop invocation runs until the frame it was started for returns.
//! The VM's state itself is in `state.rs`.

use ilusm_runtime::containers;
use ilusm_runtime::error::{stack_overflow, undefined_name};
use ilusm_runtime::{ops, RtResult, Value};

use crate::fast::{field_get, field_set, list_get, list_len, list_set};
use crate::fuse::{self, Bin};
use crate::load::Op;

use stack_ptrs::StackPtrs;
use state::Frame;
pub(crate) use state::Vm;
use support::{callee, Callee};

impl<'p> Vm<'p> {
    /// Run from the top frame until the frame at index `stop` returns; its
    /// result is the result.
    ///
    /// The operand stack lives in `self.stack`'s buffer, but while the loop
    /// runs it is reached through raw pointers ([`StackPtrs`]): the `Vec`'s
    /// length is written back (`sync!`) before anything that may look at
    /// the stack, and the pointers re-derived (`reload!`) after anything
    /// that may move its buffer.
    fn run_loop(&mut self, stop: usize) -> RtResult<Value> {
        let prog = self.prog;
        let max_depth = self.max_depth;
        let top = *self.frames.last().expect("a frame to run");
        // The running function's first op, and the next op to run (a
        // pointer, so that dispatch needs no index arithmetic; frames keep
        // indices).
        let mut code: *const Op = prog.funcs[top.func as usize].ops.as_ptr();
        let mut ip: *const Op = code.wrapping_add(top.ip);
        let mut base = top.base;
        let mut closure = top.closure;
        let caches = &prog.caches[..];
        debug_assert!(base <= self.stack.len());
        // SAFETY (for every `unsafe` below that uses `ptrs`): the
        // conditions of `StackPtrs`' methods hold for verified code, as its
        // module documentation explains, as long as `ptrs` is re-derived
        // (`reload!`, `enter!`) whenever the buffer may have moved, and the
        // running frame's `base` is at or below the stack's length.
        let mut ptrs = unsafe { StackPtrs::at(&mut self.stack, base) };

        // The stack's length from `ptrs`, before the runtime may see the stack.
        #[rustfmt::skip]
        macro_rules! sync { () => { unsafe { ptrs.sync(&mut self.stack) } }; }
        // `ptrs` from the stack, after something that may have changed its
        // length or moved its buffer.
        #[rustfmt::skip]
        macro_rules! reload { () => { ptrs = unsafe { StackPtrs::at(&mut self.stack, base) } }; }
        // The stack's length (the top as an index).
        #[rustfmt::skip]
        macro_rules! depth { () => { unsafe { ptrs.depth(self.stack.as_ptr()) } }; }
        // Call builtin `$id` on the arguments from stack index `$at` on and
        // drop them; the result is the builtin's. `try` may call back into
        // the VM, which may move the buffer.
        macro_rules! builtin {
            ($id:expr, $at:expr) => {{
                let at = $at;
                let v = tri!(self.call_builtin($id, at));
                self.stack.truncate(at);
                reload!();
                v
            }};
        }
        // `ip` as an index into the running function's ops.
        macro_rules! pos {
            () => {
                // SAFETY: `ip` points into the function's ops (or one past).
                unsafe { ip.offset_from(code) as usize }
            };
        }
        macro_rules! throw {
            ($e:expr) => {{
                sync!();
                return Err(self.unwind($e, pos!(), stop));
            }};
        }
        // The runtime's general case: the stack is synced first.
        macro_rules! tri {
            ($r:expr) => {{
                sync!();
                match $r {
                    Ok(v) => v,
                    Err(e) => throw!(e),
                }
            }};
        }
        // The inline cache of field-access site `c`. SAFETY: the loader
        // numbers the sites of a program from 0 and makes one cache per
        // site, so `c` is in bounds (the check was two instructions of every
        // field access).
        #[rustfmt::skip]
        macro_rules! cache { ($c:expr) => { unsafe { caches.get_unchecked($c as usize) } }; }
        // Locals and the operand stack. SAFETY (all of them): see above.
        #[rustfmt::skip]
        macro_rules! local { ($l:expr) => { unsafe { ptrs.local($l) } }; }
        #[rustfmt::skip]
        macro_rules! set_local { ($l:expr, $v:expr) => {{ let v = $v; unsafe { ptrs.set_local($l, v) } }}; }
        #[rustfmt::skip]
        macro_rules! push { ($v:expr) => {{ let v = $v; unsafe { ptrs.push(v) } }}; }
        #[rustfmt::skip]
        macro_rules! pop { () => { unsafe { ptrs.pop() } }; }
        #[rustfmt::skip]
        macro_rules! top { () => { unsafe { ptrs.top() } }; }
        // The value `$k` below the top (0: the top).
        #[rustfmt::skip]
        macro_rules! peek { ($k:expr) => { unsafe { ptrs.peek($k) } }; }
        // Drop the top `$n` values.
        #[rustfmt::skip]
        macro_rules! drop_n { ($n:expr) => { unsafe { ptrs.drop_n($n) } }; }
        // `a OP b` with a number fast path, else the runtime's general case.
        // `a OP b` on the two values on top: `$fast` of two numbers (a
        // value), else the runtime's `$slow` (a result).
        macro_rules! binary {
            ($fast:expr, $slow:expr) => {{
                let b = pop!();
                let a = *top!();
                let r = if a.is_number() && b.is_number() {
                    $fast(a.to_f64_unchecked(), b.to_f64_unchecked())
                } else {
                    tri!($slow(a, b))
                };
                *top!() = r;
            }};
        }
        macro_rules! arith {
            ($op:tt, $slow:path) => { binary!(|x, y| Value::from_f64(x $op y), $slow) };
        }
        // `==` `!=` (never an error) and the orderings.
        macro_rules! compare {
            ($op:tt, $slow:path) => { binary!(|x, y| Value::from_bool(x $op y), $slow) };
            ($op:tt, ok $slow:path) => {
                binary!(|x, y| Value::from_bool(x $op y), |a, b| RtResult::Ok($slow(a, b)))
            };
        }
        // `/` / `%`: numbers with a nonzero divisor inline, else the runtime's.
        macro_rules! divide {
            ($fast:expr, $slow:path) => {{
                let b = pop!();
                let a = *top!();
                *top!() = match (a.as_f64(), b.as_f64()) {
                    (Some(x), Some(y)) if y != 0.0 => Value::from_f64($fast(x, y)),
                    _ => tri!($slow(a, b)),
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
                        push!(x);
                        push!(y);
                        ip = ip.wrapping_add(1);
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
                    push!(v);
                    ip = ip.wrapping_add(2);
                })
            }};
        }
        // A fused `get_local a; get_local b/push k; COMPARE; jump_if(_not) t`
        // (`when`: the jump's sense) at ip - 1, as `fused_binop!` does it.
        macro_rules! fused_jump {
            ($bin:expr, $when:expr, $x:expr, $y:expr, $t:expr) => {{
                two!($x, $y, |x, y| fuse::test($bin, x, y), |r| {
                    ip = if r == $when {
                        code.wrapping_add($t as usize)
                    } else {
                        ip.wrapping_add(3)
                    };
                })
            }};
        }
        // A fused `get_local b; get_local c/push k; OP1; OP2; set_local d`
        // (`d = top OP2 (b OP1 c)`): the number fast path pops the top and
        // skips the four covered ops; otherwise `two!` continues at the
        // covered `OP1`.
        macro_rules! fused_bin_set {
            ($op1:expr, $op2:expr, $y:expr, $z:expr, $d:expr) => {{
                let x = peek!(0);
                let fast = |y, z| fuse::fast2($op1, $op2, x, y, z);
                two!($y, $z, fast, |r| {
                    drop_n!(1);
                    set_local!($d, r);
                    ip = ip.wrapping_add(4);
                })
            }};
        }
        // A fused accumulation `s = s OP2 (y OP1 z)` (`AccLocalConst` and its
        // kin): on numbers it skips the five covered ops; otherwise the
        // accumulator is pushed and the covered ops from the second on do
        // the general case.
        macro_rules! accumulate {
            ($s:expr, $op1:expr, $op2:expr, $y:expr, $z:expr) => {{
                let acc = local!($s);
                match fuse::fast2($op1, $op2, acc, $y, $z) {
                    Some(r) => {
                        set_local!($s, r);
                        ip = ip.wrapping_add(5);
                    }
                    None => push!(acc),
                }
            }};
        }
        // Enter function `f` (run as `$closure`, or nil), whose arguments
        // are the top of the stack; `$ret_sp` is the stack length to restore
        // when it returns, and `ip` is already the caller's return point.
        // The caller checked the depth limit.
        macro_rules! enter {
            ($f:expr, $ret_sp:expr, $closure:expr) => {{
                let (f, ret_sp, callee_closure) = ($f, $ret_sp, $closure);
                let func = &prog.funcs[f as usize];
                self.frames.last_mut().expect("caller frame").ip = pos!();
                // The arguments are the top of the stack.
                let new_base = depth!() - func.arity as usize;
                if new_base + func.frame_size > self.stack.capacity() {
                    // The arguments are below the top, so the move keeps them.
                    sync!();
                    self.stack
                        .reserve(new_base + func.frame_size - self.stack.len());
                }
                base = new_base;
                let (arity, num_locals) = (func.arity as usize, func.num_locals as usize);
                // SAFETY: the capacity check above; the arguments are in place.
                ptrs = unsafe { StackPtrs::open_frame(&mut self.stack, base, arity, num_locals) };
                self.frames.push(Frame {
                    func: f,
                    ip: 0,
                    base,
                    ret_sp,
                    closure: callee_closure,
                });
                code = func.ops.as_ptr();
                ip = code;
                closure = callee_closure;
            }};
        }
        // Call the value below the top `$argc` arguments (a function, a
        // closure or a builtin), as `call argc` does; `ip` is already the
        // return point.
        macro_rules! call_value {
            ($argc:expr) => {{
                let argc = $argc as usize;
                let at = depth!() - argc - 1;
                let frames = self.frames.len();
                match callee(prog, frames, max_depth, peek!(argc), argc) {
                    Ok(Callee::Function { func, closure: c }) => enter!(func, at, c),
                    Ok(Callee::Builtin(id)) => {
                        // The result replaces the callee.
                        let v = builtin!(id, at + 1);
                        *top!() = v;
                    }
                    Err(e) => throw!(e),
                }
            }};
        }
        // Enter function `f`, whose `argc` arguments are on the stack.
        macro_rules! call_direct {
            ($f:expr, $argc:expr) => {{
                if self.frames.len() as u64 > max_depth {
                    throw!(stack_overflow(max_depth));
                }
                // The arguments are the top of the stack.
                let ret_sp = depth!() - $argc as usize;
                enter!($f, ret_sp, Value::NIL);
            }};
        }
        // Return `result` to the caller, in the slot `ret_sp` of the
        // returning frame (at or below the top, so no capacity is needed).
        macro_rules! ret {
            ($result:expr) => {{
                let result = $result;
                let done = self.frames.pop().expect("returning frame");
                // SAFETY: `ret_sp` is below the top.
                unsafe { self.stack.set_len(done.ret_sp) };
                if self.frames.len() == stop {
                    return Ok(result);
                }
                let caller = *self.frames.last().expect("caller frame");
                code = prog.funcs[caller.func as usize].ops.as_ptr();
                ip = code.wrapping_add(caller.ip);
                base = caller.base;
                closure = caller.closure;
                reload!();
                push!(result);
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
            // SAFETY: `load` checked that every jump targets an op of this
            // function and that its last op is `ret`, `halt` or `jump`; a
            // fused op only skips ops it covers, never a function's last.
            // So `ip` always points into `code`.
            // Matched in place: copying the 16-byte op out first cost two
            // instructions per dispatch, and its fields were read back from
            // the copy anyway.
            let op = unsafe { &*ip };
            ip = ip.wrapping_add(1);
            match *op {
                Op::Push(v) => push!(v),
                Op::Pop => drop_n!(1),
                Op::Dup => {
                    let v = *top!();
                    push!(v);
                }
                Op::GetLocal(l) => {
                    let v = local!(l);
                    push!(v);
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
                    push!(v);
                }
                Op::SetGlobal(g) => {
                    let v = pop!();
                    self.globals[g as usize] = v;
                }
                Op::Add => arith!(+, ops::add),
                Op::Sub => arith!(-, ops::sub),
                Op::Mul => arith!(*, ops::mul),
                Op::Div => divide!(|x, y| x / y, ops::div),
                Op::Mod => divide!(fuse::fmod, ops::rem),
                Op::Neg => {
                    let a = *top!();
                    *top!() = match a.as_f64() {
                        Some(x) => Value::from_f64(-x),
                        None => tri!(ops::neg(a)),
                    };
                }
                Op::Not => {
                    let t = top!();
                    *t = Value::from_bool(!truthy!(*t));
                }
                Op::Eq => compare!(==, ok ops::eq),
                Op::Ne => compare!(!=, ok ops::ne),
                Op::LocalLocal(bin, a, b) => fused_binop!(bin, local!(a), local!(b)),
                Op::LocalConst(bin, a, k) => fused_binop!(bin, local!(a), k),
                Op::MoveLocal(a, b) => {
                    set_local!(b, local!(a));
                    ip = ip.wrapping_add(1);
                }
                Op::CompareJump(bin, when, t) => {
                    let b = pop!();
                    let a = pop!();
                    let r = match fuse::test(bin, a, b) {
                        Some(r) => r,
                        None => truthy!(tri!(fuse::general(bin, a, b))),
                    };
                    if r == when {
                        ip = code.wrapping_add(t as usize);
                    } else {
                        ip = ip.wrapping_add(1);
                    }
                }
                Op::BinSet(bin, d) => {
                    // Read in place: the operands stay rooted during the general case.
                    let (a, b) = (peek!(1), peek!(0));
                    let r = match fuse::fast(bin, a, b) {
                        Some(r) => r,
                        None => tri!(fuse::general(bin, a, b)),
                    };
                    drop_n!(2);
                    set_local!(d, r);
                    ip = ip.wrapping_add(1);
                }
                Op::LocalLocalSet(bin, a, b, d) => {
                    two!(local!(a), local!(b), |x, y| fuse::fast(bin, x, y), |r| {
                        set_local!(d, r);
                        ip = ip.wrapping_add(3);
                    })
                }
                Op::LocalConstSet(bin, a, d, k) => {
                    two!(local!(a), k, |x, y| fuse::fast(bin, x, y), |r| {
                        set_local!(d, r);
                        ip = ip.wrapping_add(3);
                    })
                }
                Op::LocalLocalJump(bin, when, a, b, t) => {
                    fused_jump!(bin, when, local!(a), local!(b), t)
                }
                Op::LocalConstJump(bin, when, a, t, k) => fused_jump!(bin, when, local!(a), k, t),
                Op::IndexLocals(a, b) => two!(local!(a), local!(b), list_get, |v| {
                    push!(v);
                    ip = ip.wrapping_add(2);
                }),
                Op::IndexLocalsBin(bin, a, b) => {
                    let (xs, i) = (local!(a), local!(b));
                    match list_get(xs, i) {
                        Some(v) => match fuse::fast(bin, peek!(0), v) {
                            Some(r) => {
                                *top!() = r;
                                ip = ip.wrapping_add(3);
                            }
                            // The element is the operator's operand: continue at OP.
                            None => {
                                push!(v);
                                ip = ip.wrapping_add(2);
                            }
                        },
                        None => {
                            push!(xs);
                            push!(i);
                            ip = ip.wrapping_add(1);
                        }
                    }
                }
                Op::SetIndexLocals(a, b, c) => {
                    let v = local!(c);
                    let set = |x, i| list_set(x, i, v).then_some(());
                    two!(local!(a), local!(b), set, |_r| ip = ip.wrapping_add(3))
                }
                Op::SetIndexLocalsConst(a, b, k) => {
                    let set = |x, i| list_set(x, i, k).then_some(());
                    two!(local!(a), local!(b), set, |_r| ip = ip.wrapping_add(3))
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
                            ip = ip.wrapping_add(1);
                        }
                        None => push!(y),
                    }
                }
                Op::TopLocalSet(bin, x, d) => {
                    let y = local!(x);
                    match fuse::fast(bin, peek!(0), y) {
                        Some(r) => {
                            drop_n!(1);
                            set_local!(d, r);
                            ip = ip.wrapping_add(2);
                        }
                        None => push!(y),
                    }
                }
                Op::TopConst(bin, k) => {
                    let t = top!();
                    match fuse::fast(bin, *t, k) {
                        Some(r) => {
                            *t = r;
                            ip = ip.wrapping_add(1);
                        }
                        None => push!(k),
                    }
                }
                Op::TopConstBin(op1, op2, k) => {
                    // The covered `TopConst` (or `push`) does the general case.
                    match fuse::fast2(op1, op2, peek!(1), peek!(0), k) {
                        Some(r) => {
                            drop_n!(1);
                            *top!() = r;
                            ip = ip.wrapping_add(2);
                        }
                        None => push!(k),
                    }
                }
                Op::BinSetField(bin, c, key) => {
                    // Stack: object, a, b. The operator's errors are this op's
                    // own; a failed store continues at the covered set_field.
                    let (a, b) = (peek!(1), peek!(0));
                    let r = match fuse::fast(bin, a, b) {
                        Some(r) => r,
                        None => tri!(fuse::general(bin, a, b)),
                    };
                    if field_set(peek!(2), key, r, cache!(c)) {
                        drop_n!(3);
                        ip = ip.wrapping_add(1);
                    } else {
                        drop_n!(1);
                        *top!() = r;
                    }
                }
                Op::RangeStep(x, end, step, exit, top) => {
                    let (v, e) = (local!(x), local!(end));
                    if v.is_number() && e.is_number() {
                        if v.to_f64_unchecked() == e.to_f64_unchecked() {
                            ip = code.wrapping_add(exit as usize);
                        } else if let Some(r) = fuse::fast(Bin::Add, v, local!(step)) {
                            set_local!(x, r);
                            ip = code.wrapping_add(top as usize);
                        } else {
                            // Not a number step: the covered increment's general case.
                            ip = ip.wrapping_add(3);
                        }
                    } else {
                        push!(v);
                        push!(e);
                        ip = ip.wrapping_add(1);
                    }
                }
                Op::RangeStepMove(x, end, step, v, exit, top) => {
                    let (i, e) = (local!(x), local!(end));
                    if i.is_number() && e.is_number() {
                        if i.to_f64_unchecked() == e.to_f64_unchecked() {
                            ip = code.wrapping_add(exit as usize);
                        } else if let Some(r) = fuse::fast(Bin::Add, i, local!(step)) {
                            // The increment, the jump, and the move at `top`.
                            set_local!(x, r);
                            set_local!(v, r);
                            ip = code.wrapping_add(top as usize + 2);
                        } else {
                            ip = ip.wrapping_add(3);
                        }
                    } else {
                        push!(i);
                        push!(e);
                        ip = ip.wrapping_add(1);
                    }
                }
                Op::AccLocalConst(op1, op2, s, b, k) => accumulate!(s, op1, op2, local!(b), k),
                Op::AccLocalLocal(op1, op2, s, b, c) => {
                    accumulate!(s, op1, op2, local!(b), local!(c))
                }
                // `add` as a constant OP2: `fast2`'s dispatch on it folds away.
                Op::AccAddLocalConst(op1, s, b, k) => accumulate!(s, op1, Bin::Add, local!(b), k),
                Op::AccAddLocalLocal(op1, s, b, c) => {
                    accumulate!(s, op1, Bin::Add, local!(b), local!(c))
                }
                Op::LocalLocalSetJump(bin, a, b, d, t) => {
                    two!(local!(a), local!(b), |x, y| fuse::fast(bin, x, y), |r| {
                        set_local!(d, r);
                        ip = code.wrapping_add(t as usize);
                    })
                }
                Op::LocalConstSetJump(bin, a, d, t, k) => {
                    two!(local!(a), k, |x, y| fuse::fast(bin, x, y), |r| {
                        set_local!(d, r);
                        ip = code.wrapping_add(t as usize);
                    })
                }
                Op::ListLoopTest(i, xs, exit) => {
                    let test = |v: Value, l| Some(v.as_f64()? < list_len(l)? as f64);
                    two!(local!(i), local!(xs), test, |more| {
                        ip = if more {
                            ip.wrapping_add(4)
                        } else {
                            code.wrapping_add(exit as usize)
                        };
                    })
                }
                Op::IndexLocalsSet(xs, i, d) => two!(local!(xs), local!(i), list_get, |v| {
                    set_local!(d, v);
                    ip = ip.wrapping_add(3);
                }),
                Op::TopLocalLocal(op1, op2, b, c) => {
                    let x = *top!();
                    let fast = |y, z| fuse::fast2(op1, op2, x, y, z);
                    two!(local!(b), local!(c), fast, |r| {
                        *top!() = r;
                        ip = ip.wrapping_add(3);
                    })
                }
                Op::DupLocalGetField(a, c, key) => {
                    // The first get_local; the covered `LocalGetField` does the rest
                    // when the hit path below does not apply.
                    let x = local!(a);
                    push!(x);
                    if let Some(v) = field_get(x, key, cache!(c)) {
                        push!(v);
                        ip = ip.wrapping_add(2);
                    }
                }
                Op::Lt => compare!(<, ops::lt),
                Op::Le => compare!(<=, ops::le),
                Op::Gt => compare!(>, ops::gt),
                Op::Ge => compare!(>=, ops::ge),
                Op::Jump(t) => ip = code.wrapping_add(t as usize),
                Op::JumpIf(t) => {
                    if truthy!(pop!()) {
                        ip = code.wrapping_add(t as usize);
                    }
                }
                Op::JumpIfNot(t) => {
                    if !truthy!(pop!()) {
                        ip = code.wrapping_add(t as usize);
                    }
                }
                Op::CallDirect(f, argc) => call_direct!(f, argc),
                Op::LocalLocalCall(a, b, f) => {
                    push!(local!(a));
                    push!(local!(b));
                    ip = ip.wrapping_add(2);
                    call_direct!(f, 2)
                }
                Op::LocalConstCall(bin, a, f, k) => match fuse::fast(bin, local!(a), k) {
                    Some(r) => {
                        push!(r);
                        ip = ip.wrapping_add(3);
                        call_direct!(f, 1)
                    }
                    None => {
                        push!(local!(a));
                        push!(k);
                        ip = ip.wrapping_add(1);
                    }
                },
                Op::RetLocal(a) => ret!(local!(a)),
                Op::BinRet(bin) => {
                    let (a, b) = (peek!(1), peek!(0));
                    let r = match fuse::fast(bin, a, b) {
                        Some(r) => r,
                        None => tri!(fuse::general(bin, a, b)),
                    };
                    ret!(r)
                }
                Op::Call(argc) => call_value!(argc),
                Op::CallLocals1(f, a) => {
                    push!(local!(f));
                    push!(local!(a));
                    ip = ip.wrapping_add(2);
                    call_value!(1)
                }
                Op::CallLocals2(f, a, b) => {
                    push!(local!(f));
                    push!(local!(a));
                    push!(local!(b));
                    ip = ip.wrapping_add(3);
                    call_value!(2)
                }
                Op::CallBuiltin(id, argc) => {
                    let v = builtin!(id, depth!() - argc as usize);
                    push!(v);
                }
                Op::CallBuiltinPop(id, argc) => {
                    builtin!(id, depth!() - argc as usize);
                    ip = ip.wrapping_add(1);
                }
                Op::LocalCallBuiltin(a, id) => {
                    // Errors belong to the covered call_builtin.
                    push!(local!(a));
                    ip = ip.wrapping_add(1);
                    let v = builtin!(id, depth!() - 1);
                    push!(v);
                }
                Op::LocalJump(a, when, t) => {
                    ip = if truthy!(local!(a)) == when {
                        code.wrapping_add(t as usize)
                    } else {
                        ip.wrapping_add(1)
                    };
                }
                Op::Ret => ret!(*top!()),
                Op::Halt => {
                    // Ends this loop invocation (for `<main>`, the program).
                    let ret_sp = self.frames[stop].ret_sp;
                    self.frames.truncate(stop);
                    // SAFETY: the frame's `ret_sp` is at or below the top.
                    unsafe { self.stack.set_len(ret_sp) };
                    return Ok(Value::NIL);
                }
                Op::Index => {
                    let i = pop!();
                    let a = *top!();
                    *top!() = match list_get(a, i) {
                        Some(v) => v,
                        None => tri!(containers::index(a, i)),
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
                    let hint = cache!(c);
                    let a = *top!();
                    *top!() = match field_get(a, key, hint) {
                        Some(v) => v,
                        None => tri!(containers::get_field_cached(a, key, hint)),
                    };
                }
                Op::SetField(c, key) => {
                    let v = pop!();
                    let a = pop!();
                    let hint = cache!(c);
                    if !field_set(a, key, v, hint) {
                        tri!(containers::set_field_cached(a, key, v, hint));
                    }
                }
                Op::LocalGetField(a, c, key) => {
                    let x = local!(a);
                    let hint = cache!(c);
                    let v = match field_get(x, key, hint) {
                        Some(v) => Some(v),
                        None => {
                            sync!();
                            containers::get_field_cached(x, key, hint).ok()
                        }
                    };
                    if let Some(v) = v {
                        push!(v);
                        ip = ip.wrapping_add(1);
                    } else {
                        // Not an object: push it and let the covered get_field fail there.
                        push!(x);
                    }
                }
                Op::CellGet => {
                    let c = *top!();
                    *top!() = tri!(containers::cell_get(c));
                }
                Op::CellSet => {
                    let v = pop!();
                    let c = pop!();
                    tri!(containers::cell_set(c, v));
                }
                Op::GetCapture(i) => {
                    let c = tri!(containers::closure_cell(closure, i as u32));
                    push!(c);
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
                | Op::GetFieldOpt(..) => {
                    tri!(self.stack_op(*op));
                    reload!();
                }
                Op::Len => {
                    let a = *top!();
                    *top!() = match list_len(a) {
                        Some(n) => Value::from_f64(n as f64),
                        None => tri!(containers::len(a)),
                    };
                }
            }
        }
    }
}

mod stack_ptrs;
mod state;
mod support;

#[cfg(test)]
mod tests;
