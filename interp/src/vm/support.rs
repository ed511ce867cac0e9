//! The dispatch loop's cold and re-entrant parts: unwinding a runtime
//! error into its trace, `--trace-locals`, builtin calls, re-entry from
//! builtins ([`Caller`]) and the collector's roots; and [`callee`], what a
//! call of a value runs, which the loop inlines and re-entry shares. Kept
//! apart from `vm.rs` so the loop stays readable.

use ilusm_runtime::builtins::{self, Caller};
use ilusm_runtime::error::{arity_error, stack_overflow};
use ilusm_runtime::print::{self, type_name};
use ilusm_runtime::{containers, heap, ops, range, RtError, RtResult, Value};

use super::{Frame, Vm};
use crate::load::{Op, Program};

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

    /// Push a frame for function `f` (run as `closure`, or nil) whose
    /// arguments are the top of the stack; `ret_sp` is the stack length to
    /// restore on return. Reserves the frame's `frame_size`, as the
    /// dispatch loop's own `enter!` does.
    fn enter(&mut self, f: u32, ret_sp: usize, closure: Value) {
        let func = &self.prog.funcs[f as usize];
        let base = self.stack.len() - func.arity as usize;
        self.stack
            .reserve(base + func.frame_size - self.stack.len());
        self.stack
            .resize(base + func.num_locals as usize, Value::NIL);
        self.frames.push(Frame {
            func: f,
            ip: 0,
            base,
            ret_sp,
            closure,
        });
    }

    /// The ops that only replace values at the top of the stack and are not
    /// worth a place in the dispatch loop: they allocate, print, or run once
    /// per loop or literal. Errors are reported by the loop at this op.
    #[inline(never)]
    pub(super) fn stack_op(&mut self, op: Op) -> RtResult<()> {
        let len = self.stack.len();
        // `n` values at the top of the stack become the result of `make`.
        let mut replace = |n: usize, make: &dyn Fn(&[Value]) -> RtResult<Value>| {
            let v = make(&self.stack[len - n..])?;
            self.stack.truncate(len - n);
            self.stack.push(v);
            Ok(())
        };
        match op {
            Op::Print(n) => replace(n as usize, &|vs| {
                print::prn(vs);
                Ok(Value::NIL)
            }),
            Op::Concat(n) => replace(n as usize, &ops::concat),
            Op::MakeList(n) => replace(n as usize, &containers::make_list_checked),
            Op::MakeObject(n) => replace(2 * n as usize, &containers::make_object),
            Op::MakeClosure(f, n) => replace(n as usize, &|vs| containers::make_closure(f, vs)),
            Op::MakeCell => replace(1, &|vs| containers::make_cell_checked(vs[0])),
            Op::IterPrep => replace(1, &|vs| containers::iter_prep(vs[0])),
            Op::RangePrep => {
                let step = range::range_prep(self.stack[len - 2], self.stack[len - 1])?;
                self.stack.push(step);
                Ok(())
            }
            Op::IndexOpt => replace(2, &|vs| containers::index_opt(vs[0], vs[1])),
            Op::GetFieldOpt(c, key) => {
                let a = self.stack[len - 1];
                if !a.is_nil() {
                    let hint = &self.prog.caches[c as usize];
                    self.stack[len - 1] = containers::get_field_cached(a, key, hint)?;
                }
                Ok(())
            }
            _ => unreachable!("{op:?} is not a stack op"),
        }
    }
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

impl Vm<'_> {
    /// Record the frames of this loop invocation (those above `stop`) in the
    /// error's trace and drop them. `ip` is the running frame's next
    /// instruction, so `ip - 1` is the one that failed.
    #[cold]
    pub(super) fn unwind(&mut self, mut e: Box<RtError>, ip: usize, stop: usize) -> Box<RtError> {
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

    /// Call builtin `id` on the arguments `self.stack[at..]`, which the
    /// caller drops afterwards. Only `try` calls back into ilusm code
    /// (`builtins::call` hands the caller to nothing else), and the VM's
    /// stack may change under it, so only its arguments are copied; the
    /// others are read in place, where they also stay rooted. `psh`, `len`
    /// and `sqrt` go straight to what `builtins::call` would run for them.
    #[inline(always)]
    pub(super) fn call_builtin(&mut self, id: u16, at: usize) -> RtResult<Value> {
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
}

/// What a call of a value runs.
pub(super) enum Callee {
    /// Function `func`, run as `closure` (nil for a plain function).
    Function {
        func: u32,
        closure: Value,
    },
    Builtin(u16),
}

/// What calling `f` with `argc` arguments runs, from a frame stack `depth`
/// deep, or the error the call raises: `f` is not callable, takes another
/// number of arguments, or entering it would pass `max_depth`. Shared by the
/// dispatch loop's `call` and by builtins calling back ([`Caller`]).
#[inline(always)]
pub(super) fn callee(
    prog: &Program,
    depth: usize,
    max_depth: u64,
    f: Value,
    argc: usize,
) -> RtResult<Callee> {
    let target = match f.as_func() {
        Some(i) => Some((i, Value::NIL)),
        None => heap::closure(f).map(|c| (c.func(), f)),
    };
    if let Some((func, closure)) = target {
        let Some(code) = prog.funcs.get(func as usize) else {
            return Err(RtError::new(format!("internal error: no function {func}")));
        };
        if argc != code.arity as usize {
            return Err(arity_error(&code.name, code.arity as u32, argc));
        }
        if depth as u64 > max_depth {
            return Err(stack_overflow(max_depth));
        }
        Ok(Callee::Function { func, closure })
    } else if let Some(id) = f.as_builtin() {
        Ok(Callee::Builtin(id))
    } else {
        Err(RtError::new(format!("cannot call {}", type_name(f))))
    }
}

impl Caller for Vm<'_> {
    fn call(&mut self, f: Value, args: &[Value]) -> RtResult<Value> {
        // SAFETY: `self` stays in place while this call runs; the collector
        // reads its roots (below) at allocations inside it.
        let _gc_roots = unsafe { ilusm_runtime::gc::register_roots(self as *const Self) };
        match callee(self.prog, self.frames.len(), self.max_depth, f, args.len())? {
            Callee::Function { func, closure } => {
                let sp0 = self.stack.len();
                self.stack.extend_from_slice(args);
                let stop = self.frames.len();
                self.enter(func, sp0, closure);
                let r = self.run_loop(stop);
                self.stack.truncate(sp0);
                r
            }
            Callee::Builtin(id) => builtins::call(id, args, self),
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
