//! The stack VM: one operand stack and one frame stack, both `Vec`s, so an
//! ilusm call is a push onto them, never a Rust call (deep recursion cannot
//! overflow the Rust stack). A function's locals (parameters first) live on
//! the operand stack from the frame's `base`.
//!
//! The dispatch loop ([`Vm::run_loop`]) keeps the current function's code,
//! instruction index and base in locals, and handles numbers and booleans
//! inline; every other case calls the runtime's general case. Builtins that
//! call back into ilusm code re-enter the loop through the [`Caller`] impl;
//! each loop invocation runs until the frame it was started for returns.

use ilusm_runtime::builtins::{self, Caller};
use ilusm_runtime::error::{arity_error, stack_overflow, undefined_name};
use ilusm_runtime::print::{self, type_name};
use ilusm_runtime::{containers, heap};
use ilusm_runtime::{ops, RtError, RtResult, Value};

use crate::fast::{field_get, field_set, list_get, list_set};
use crate::fuse;
use crate::load::{Op, Program};
use ilusm_runtime::range;

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

/// Arguments copied off the stack for a builtin (which may re-enter the VM
/// and so cannot borrow the stack).
enum Args {
    Small([Value; 8], usize),
    Large(Vec<Value>),
}

impl Args {
    fn new(from: &[Value]) -> Args {
        if from.len() <= 8 {
            let mut a = [Value::NIL; 8];
            a[..from.len()].copy_from_slice(from);
            Args::Small(a, from.len())
        } else {
            Args::Large(from.to_vec())
        }
    }

    fn as_slice(&self) -> &[Value] {
        match self {
            Args::Small(a, n) => &a[..*n],
            Args::Large(v) => v,
        }
    }
}

impl<'p> Vm<'p> {
    pub(crate) fn new(prog: &'p Program, max_depth: u64) -> Vm<'p> {
        Vm {
            prog,
            stack: Vec::with_capacity(1024),
            frames: Vec::with_capacity(64),
            globals: vec![Value::UNASSIGNED; prog.global_names.len()],
            max_depth,
        }
    }

    /// Record the frames of this loop invocation (those above `stop`) in the
    /// error's trace and drop them. `ip` is the running frame's next
    /// instruction, so `ip - 1` is the one that failed.
    #[cold]
    fn unwind(&mut self, mut e: Box<RtError>, ip: usize, stop: usize) -> Box<RtError> {
        if let Some(top) = self.frames.last_mut() {
            top.ip = ip;
        }
        let trace_locals = crate::trace_locals();
        for fr in self.frames[stop..].iter().rev() {
            let pc = self.prog.funcs[fr.func as usize].pcs[fr.ip - 1];
            e.trace.push((fr.func, pc));
            if trace_locals {
                // Frames of outer loop invocations (a `try` callback's
                // caller...) come later; keep `locals` aligned with `trace`.
                e.locals.resize(e.trace.len() - 1, String::new());
                e.locals.push(self.frame_locals(fr));
            }
        }
        self.frames.truncate(stop);
        e
    }

    /// `name = value, ...` for the named locals of frame `fr` (cells show
    /// their contents; each value is cut at 60 characters).
    #[cold]
    fn frame_locals(&self, fr: &Frame) -> String {
        let func = &self.prog.funcs[fr.func as usize];
        let mut out = String::new();
        for (slot, name) in func.local_names.iter().enumerate() {
            let Some(&v) = self.stack.get(fr.base + slot) else {
                break;
            };
            if name.is_empty() {
                continue;
            }
            let v = if heap::kind(v) == Some(heap::Kind::Cell) {
                containers::cell_get(v).unwrap_or(v)
            } else {
                v
            };
            let mut text = String::new();
            print::repr(v, &mut text);
            if text.chars().count() > 60 {
                text = text.chars().take(57).collect::<String>() + "...";
            }
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(name);
            out.push_str(" = ");
            out.push_str(&text);
        }
        out
    }

    /// Push a frame for function `f` (run as `closure`, or nil) whose
    /// `argc` arguments are the top of the stack; `ret_sp` is the stack
    /// length to restore on return.
    #[inline]
    fn enter(&mut self, f: u32, ret_sp: usize, closure: Value) -> usize {
        let func = &self.prog.funcs[f as usize];
        let base = self.stack.len() - func.arity as usize;
        for _ in func.arity as u16..func.num_locals {
            self.stack.push(Value::NIL);
        }
        self.frames.push(Frame {
            func: f,
            ip: 0,
            base,
            ret_sp,
            closure,
        });
        base
    }

    /// Call builtin `id` on the arguments `self.stack[at..]`, which the
    /// caller drops afterwards. Only `try` calls back into ilusm code
    /// (`builtins::call` hands the caller to nothing else), and the VM's
    /// stack may change under it, so only its arguments are copied; the
    /// others are read in place, where they also stay rooted. `psh`, `len`
    /// and `sqrt` go straight to what `builtins::call` would run for them.
    #[inline(always)]
    fn call_builtin(&mut self, id: u16, at: usize) -> RtResult<Value> {
        let args = &self.stack[at..];
        match (id, args) {
            (builtins::id::PSH, &[xs, v]) => containers::psh(xs, v),
            (builtins::id::LEN, &[x]) => containers::len(x),
            (builtins::id::SQRT, &[x]) if x.is_number() => {
                Ok(Value::from_f64(x.to_f64_unchecked().sqrt()))
            }
            (builtins::id::TRY, _) => {
                let args = Args::new(args);
                builtins::call(id, args.as_slice(), self)
            }
            _ => builtins::call(id, args, &mut builtins::NoCaller),
        }
    }

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
        macro_rules! local {
            ($l:expr) => {
                self.stack[base + $l as usize]
            };
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
        // A fused `get_local; get_local/push; OP` (`crate::fuse`) at ip - 1:
        // the number fast path skips the two covered ops; otherwise push the
        // operands and continue at the covered `OP`, which does the general case.
        macro_rules! fused_binop {
            ($bin:expr, $x:expr, $y:expr) => {{
                let (x, y) = ($x, $y);
                match fuse::fast($bin, x, y) {
                    Some(v) => {
                        self.stack.push(v);
                        ip += 2;
                    }
                    None => {
                        self.stack.push(x);
                        self.stack.push(y);
                        ip += 1;
                    }
                }
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
            let op = code[ip];
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
                    let v = self.stack[base + l as usize];
                    self.stack.push(v);
                }
                Op::SetLocal(l) => {
                    let v = pop!();
                    self.stack[base + l as usize] = v;
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
                Op::LocalLocal(bin, a, b) => {
                    fused_binop!(
                        bin,
                        self.stack[base + a as usize],
                        self.stack[base + b as usize]
                    )
                }
                Op::LocalConst(bin, a, k) => fused_binop!(bin, self.stack[base + a as usize], k),
                Op::MoveLocal(a, b) => {
                    self.stack[base + b as usize] = self.stack[base + a as usize];
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
                    local!(d) = r;
                    ip += 1;
                }
                Op::LocalLocalSet(bin, a, b, d) => {
                    let (x, y) = (local!(a), local!(b));
                    match fuse::fast(bin, x, y) {
                        Some(r) => {
                            local!(d) = r;
                            ip += 3;
                        }
                        None => {
                            self.stack.push(x);
                            self.stack.push(y);
                            ip += 1;
                        }
                    }
                }
                Op::LocalConstSet(bin, a, d, k) => match fuse::fast(bin, local!(a), k) {
                    Some(r) => {
                        local!(d) = r;
                        ip += 3;
                    }
                    None => {
                        self.stack.push(local!(a));
                        self.stack.push(k);
                        ip += 1;
                    }
                },
                Op::LocalLocalJump(bin, when, a, b, t) => {
                    let (x, y) = (local!(a), local!(b));
                    match fuse::fast(bin, x, y) {
                        Some(r) => {
                            ip = if (r == Value::TRUE) == when {
                                t as usize
                            } else {
                                ip + 3
                            }
                        }
                        None => {
                            self.stack.push(x);
                            self.stack.push(y);
                            ip += 1;
                        }
                    }
                }
                Op::LocalConstJump(bin, when, a, t, k) => match fuse::fast(bin, local!(a), k) {
                    Some(r) => {
                        ip = if (r == Value::TRUE) == when {
                            t as usize
                        } else {
                            ip + 3
                        }
                    }
                    None => {
                        self.stack.push(local!(a));
                        self.stack.push(k);
                        ip += 1;
                    }
                },
                Op::IndexLocals(a, b) => {
                    let (x, i) = (local!(a), local!(b));
                    if let Some(v) = list_get(x, i) {
                        self.stack.push(v);
                        ip += 2;
                    } else {
                        self.stack.push(x);
                        self.stack.push(i);
                        ip += 1;
                    }
                }
                Op::SetIndexLocals(a, b, c) => {
                    let (x, i) = (local!(a), local!(b));
                    if list_set(x, i, local!(c)) {
                        ip += 3;
                    } else {
                        self.stack.push(x);
                        self.stack.push(i);
                        ip += 1;
                    }
                }
                Op::SetIndexLocalsConst(a, b, k) => {
                    let (x, i) = (local!(a), local!(b));
                    if list_set(x, i, k) {
                        ip += 3;
                    } else {
                        self.stack.push(x);
                        self.stack.push(i);
                        ip += 1;
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
                Op::Print(n) => {
                    let at = self.stack.len() - n as usize;
                    print::prn(&self.stack[at..]);
                    self.stack.truncate(at);
                    self.stack.push(Value::NIL);
                }
                Op::Concat(n) => {
                    let at = self.stack.len() - n as usize;
                    let v = tri!(ops::concat(&self.stack[at..]));
                    self.stack.truncate(at);
                    self.stack.push(v);
                }
                Op::CallDirect(f, argc) => {
                    if self.frames.len() as u64 > max_depth {
                        throw!(stack_overflow(max_depth));
                    }
                    self.frames.last_mut().expect("caller frame").ip = ip;
                    let ret_sp = self.stack.len() - argc as usize;
                    base = self.enter(f, ret_sp, Value::NIL);
                    code = &prog.funcs[f as usize].ops;
                    ip = 0;
                    closure = Value::NIL;
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
                        base = self.enter(f, at, callee_closure);
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
                Op::Ret => {
                    let result = pop!();
                    let done = self.frames.pop().expect("returning frame");
                    self.stack.truncate(done.ret_sp);
                    if self.frames.len() == stop {
                        return Ok(result);
                    }
                    self.stack.push(result);
                    let caller = *self.frames.last().expect("caller frame");
                    code = &prog.funcs[caller.func as usize].ops;
                    ip = caller.ip;
                    base = caller.base;
                    closure = caller.closure;
                }
                Op::Halt => {
                    // Ends this loop invocation (for `<main>`, the program).
                    let sp = self.frames[stop].ret_sp;
                    self.frames.truncate(stop);
                    self.stack.truncate(sp);
                    return Ok(Value::NIL);
                }
                Op::MakeList(n) => {
                    let at = self.stack.len() - n as usize;
                    let v = tri!(containers::make_list_checked(&self.stack[at..]));
                    self.stack.truncate(at);
                    self.stack.push(v);
                }
                Op::MakeObject(n) => {
                    let at = self.stack.len() - 2 * n as usize;
                    let v = tri!(containers::make_object(&self.stack[at..]));
                    self.stack.truncate(at);
                    self.stack.push(v);
                }
                Op::Index => {
                    let i = pop!();
                    let t = top!();
                    *t = match list_get(*t, i) {
                        Some(v) => v,
                        None => tri!(containers::index(*t, i)),
                    };
                }
                Op::IndexOpt => {
                    let i = pop!();
                    let t = top!();
                    *t = tri!(containers::index_opt(*t, i));
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
                Op::GetFieldOpt(c, key) => {
                    let t = top!();
                    if !t.is_nil() {
                        *t = tri!(containers::get_field_cached(*t, key, &caches[c as usize]));
                    }
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
                Op::MakeCell => {
                    let t = top!();
                    *t = tri!(containers::make_cell_checked(*t));
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
                Op::MakeClosure(f, n) => {
                    let at = self.stack.len() - n as usize;
                    let v = tri!(containers::make_closure(f, &self.stack[at..]));
                    self.stack.truncate(at);
                    self.stack.push(v);
                }
                Op::GetCapture(i) => {
                    let c = tri!(containers::closure_cell(closure, i as u32));
                    self.stack.push(c);
                }
                Op::IterPrep => {
                    let t = top!();
                    *t = tri!(containers::iter_prep(*t));
                }
                Op::RangePrep => {
                    let b = self.stack[self.stack.len() - 1];
                    let a = self.stack[self.stack.len() - 2];
                    let step = tri!(range::range_prep(a, b));
                    self.stack.push(step);
                }
                Op::Len => {
                    let t = top!();
                    *t = tri!(containers::len(*t));
                }
            }
        }
    }
}

impl Caller for Vm<'_> {
    fn call(&mut self, f: Value, args: &[Value]) -> RtResult<Value> {
        // SAFETY: `self` stays in place while this call runs; the collector
        // reads its roots (below) at allocations inside it.
        let _gc_roots = unsafe { ilusm_runtime::gc::register_roots(self as *const Self) };
        let target = match f.as_func() {
            Some(i) => Some((i, Value::NIL)),
            None => heap::closure(f).map(|c| (c.func(), f)),
        };
        if let Some((i, closure)) = target {
            let Some(func) = self.prog.funcs.get(i as usize) else {
                return Err(RtError::new(format!("internal error: no function {i}")));
            };
            if args.len() != func.arity as usize {
                return Err(arity_error(&func.name, func.arity as u32, args.len()));
            }
            if self.frames.len() as u64 > self.max_depth {
                return Err(stack_overflow(self.max_depth));
            }
            let sp0 = self.stack.len();
            self.stack.extend_from_slice(args);
            let stop = self.frames.len();
            self.enter(i, sp0, closure);
            let r = self.run_loop(stop);
            self.stack.truncate(sp0);
            r
        } else if let Some(id) = f.as_builtin() {
            builtins::call(id, args, self)
        } else {
            Err(RtError::new(format!("cannot call {}", type_name(f))))
        }
    }
}

/// The collector's precise roots of the interpreter: the operand stack,
/// the global slots and the frames' closures.
impl ilusm_runtime::gc::RootSource for Vm<'_> {
    fn trace_roots(&self, visit: &mut dyn FnMut(Value)) {
        let values = self.stack.iter().chain(&self.globals);
        values.for_each(|&v| visit(v));
        self.frames.iter().for_each(|fr| visit(fr.closure));
    }
}

#[cfg(test)]
mod tests;
