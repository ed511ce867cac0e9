//! Number entries: a third entry of a function with a specialized body for number parameters,
//! `(room, args) -> result` where the parameters that body assumes numbers are `f64`s, and so is
//! the result when the function returns numbers for numbers (`numbers::NumberReturn`).
//!
//! A direct call whose arguments are known numbers where the callee speculates numbers calls
//! this entry instead of the direct entry. The callee then does not check the arguments
//! (`specialize.rs` picks its version with one test per parameter), no number moves between
//! the integer and float registers on the way in or out, and the caller tests the result with
//! one float compare (a number, or a NaN that may be `Value::ERROR`) instead of comparing a
//! word with `Value::ERROR` and moving it into a float register. fib's recursive calls are all
//! such calls: fib(30) 64.7 M -> 56.6 M instructions (docs/performance.md).
//!
//! A number entry holds only the specialized body, from past the base case where callers lower
//! that in place ([`past_base_case`]). Where the body may not run, because the caller's room
//! leaves none for this frame, for the frames of self calls unrolled in it, or for the calls it
//! lowers in place (`inline.rs` drops their depth checks when the room at entry suffices), it
//! calls the direct entry with the same room and arguments, which checks everything itself;
//! its result (or error: it traced its own frame) is the number entry's. So every path still
//! reports the same errors, with the same traces.
//!
//! An entry is declared when the first call for it is lowered and lowered after all direct
//! entries (`lower_module.rs`), so only called ones cost compile time; `<main>`'s calls
//! outside its loops, which run once, do not ask for one.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};
use cranelift_module::{FuncId, Linkage, Module};
use ilusm_bytecode::Instr;

use crate::abi;
use crate::inline::Callees;
use crate::lower::{stack_depths, FnLower, V};
use crate::numbers::NumberReturn;
use crate::AotError;

/// Which functions may have a number entry, and those declared so far.
pub(crate) struct NumberEntries {
    /// Per function: the parameters its specialized body assumes numbers, when it has such a
    /// body and assumes nothing else, and its direct entry takes no `env`.
    params: Vec<Option<Vec<u16>>>,
    /// Per function: whether its number entry returns an `f64`.
    float_return: Vec<bool>,
    /// Per function: where its number entry starts, when that is past its base case (the
    /// number of instructions skipped; see [`past_base_case`]).
    starts: Vec<Option<usize>>,
    /// Per function: its number entry, once a call needs it.
    ids: Vec<Option<FuncId>>,
    /// The functions whose number entries are declared, in the order of their first calls.
    declared: Vec<u32>,
}

impl NumberEntries {
    pub fn new(callees: &Callees, takes_env: &[bool]) -> NumberEntries {
        let params: Vec<Option<Vec<u16>>> = callees
            .number_params
            .iter()
            .zip(takes_env)
            .map(|(p, &env)| p.clone().filter(|_| !env))
            .collect();
        let float_return = callees
            .returns
            .iter()
            .zip(&params)
            .map(|(r, p)| match (r, p) {
                (NumberReturn::Always, _) => true,
                (NumberReturn::IfNumbers(needed), Some(p)) => needed.iter().all(|n| p.contains(n)),
                _ => false,
            })
            .collect();
        let starts = callees
            .bodies
            .iter()
            .zip(&callees.base_cases)
            .map(|(body, &len)| past_base_case(body, len?))
            .collect();
        NumberEntries {
            starts,
            ids: vec![None; params.len()],
            params,
            float_return,
            declared: Vec::new(),
        }
    }

    /// The parameters function `func`'s number entry takes as `f64`s, if it may have one.
    pub fn params(&self, func: u32) -> Option<&[u16]> {
        self.params[func as usize].as_deref()
    }

    /// How many of `func`'s instructions its number entry skips (its base case), if any.
    pub fn start(&self, func: u32) -> Option<usize> {
        self.starts[func as usize]
    }

    pub fn float_return(&self, func: u32) -> bool {
        self.float_return[func as usize]
    }

    /// The declared entry of the `n`th function whose entry was declared, if there is one.
    pub fn declared(&self, n: usize) -> Option<(u32, FuncId)> {
        let &func = self.declared.get(n)?;
        Some((func, self.ids[func as usize].expect("declared")))
    }

    /// Function `func`'s number entry (`func` may have one), declared now if it is not yet.
    fn entry<M: Module>(
        &mut self,
        m: &mut M,
        func: u32,
        arity: u8,
        name: &str,
    ) -> Result<FuncId, AotError> {
        if let Some(id) = self.ids[func as usize] {
            return Ok(id);
        }
        let sig = abi::signature(
            m,
            &self.signature(func, arity),
            Some(self.result_type(func)),
        );
        let id = m.declare_function(&format!("{name}_num"), Linkage::Local, &sig)?;
        self.ids[func as usize] = Some(id);
        self.declared.push(func);
        Ok(id)
    }

    /// The parameter types of `func`'s number entry: the room, then one per parameter.
    fn signature(&self, func: u32, arity: u8) -> Vec<types::Type> {
        let numbers = self.params(func).unwrap_or(&[]);
        std::iter::once(V)
            .chain((0..arity as u16).map(|k| if numbers.contains(&k) { types::F64 } else { V }))
            .collect()
    }

    fn result_type(&self, func: u32) -> types::Type {
        if self.float_return(func) {
            types::F64
        } else {
            V
        }
    }
}

/// Where the number entry of a function whose first `len` instructions are its base case,
/// inlined at every call site that is not in a lean body (`inline.rs`), starts: past the base
/// case, since a call reaches the entry only where its caller's copy of the base case did not
/// return (and the base case, free of effects, would not return again). That holds when the
/// base case assigns no local (the rest would miss the value), nothing after it jumps back
/// into it, and the stack is empty where it ends. fib's every call then skips its `n < 2`.
fn past_base_case(body: &[(u32, Instr)], len: usize) -> Option<usize> {
    let &(cut, _) = body.get(len)?;
    let assigns = body[..len]
        .iter()
        .any(|&(_, ins)| matches!(ins, Instr::SetLocal(_)));
    let jumps_back = body[len..]
        .iter()
        .any(|&(_, ins)| ins.jump_target().is_some_and(|t| t < cut));
    let empty = stack_depths(body)[len] == Some(0);
    (!assigns && !jumps_back && empty).then_some(len)
}

impl<M: Module> FnLower<'_, '_, M> {
    /// A real call of `func` (`call_direct` at `pc`) with `args`, of which those with
    /// `known[k]` are known numbers: at its number entry when it has one for these arguments,
    /// else at its direct entry. `past_base_case`: the caller ran `func`'s base case in place
    /// and it did not return (required for an entry that starts past it). The result word,
    /// after the error check.
    pub(crate) fn call_direct_known(
        &mut self,
        func: u32,
        args: &[Value],
        known: &[bool],
        pc: u32,
        past_base_case: bool,
    ) -> Value {
        let Some(numbers) = self.number_entries.params(func) else {
            return self.call_direct(func, args, pc);
        };
        if self.number_entries.start(func).is_some() && !past_base_case {
            return self.call_direct(func, args, pc);
        }
        // `<main>` runs once: outside its loops, a second entry would only cost compile time
        // (the JIT's start-up).
        let runs_once = self.is_entry && !self.entry_loops.iter().any(|l| l.contains(&pc));
        if runs_once || !numbers.iter().all(|&p| known[p as usize]) {
            return self.call_direct(func, args, pc);
        }
        let numbers = numbers.to_vec();
        let f = &self.bc.functions[func as usize];
        let name = self.direct_name(func);
        let id = match self.number_entries.entry(self.m, func, f.arity, &name) {
            Ok(id) => id,
            // Declaring a local function with a fresh name and a fixed signature cannot fail;
            // if it ever did, the direct entry is always right.
            Err(_) => return self.call_direct(func, args, pc),
        };
        let mut call_args = vec![self.room()];
        for (k, &a) in args.iter().enumerate() {
            call_args.push(if numbers.contains(&(k as u16)) {
                self.as_f64(a)
            } else {
                a
            });
        }
        let callee = self.func_ref(id);
        let call = self.b.ins().call(callee, &call_args);
        let r = self.b.inst_results(call)[0];
        if self.number_entries.float_return(func) {
            self.check_float_error(r, pc);
            self.f64_word(r)
        } else {
            self.check_error(r, pc);
            r
        }
    }

    /// Like `check_error`, for a float result: only a NaN may be `Value::ERROR`, so the hot
    /// path tests for a NaN, and a cold block makes `check_error`'s test of the bits.
    fn check_float_error(&mut self, r: Value, pc: u32) {
        let nan = self.b.ins().fcmp(FloatCC::Unordered, r, r);
        let maybe = self.b.create_block();
        let cont = self.b.create_block();
        self.b.set_cold_block(maybe);
        let here = self.b.current_block().expect("lowering inside a block");
        if self.b.func.layout.is_cold(here) {
            self.b.set_cold_block(cont);
        }
        self.b.ins().brif(nan, maybe, &[], cont, &[]);
        self.enter(maybe);
        let w = self.b.ins().bitcast(V, MemFlagsData::new(), r);
        self.check_error(w, pc);
        self.b.ins().jump(cont, &[]);
        self.enter(cont);
    }

    /// The prologue of a number entry, in place of `prologue`: when the caller's room is `limit`
    /// or less (no room for this frame, or for the calls its body lowers in place), call the
    /// direct entry with the same room and arguments and return what it returns; else this
    /// frame's room is one less. `params` are the entry's parameters after the room.
    pub(crate) fn number_prologue(&mut self, caller_room: Value, params: &[Value], limit: i64) {
        let short = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedLessThanOrEqual, caller_room, limit);
        let fallback = self.b.create_block();
        let body = self.b.create_block();
        self.b.ins().brif(short, fallback, &[], body, &[]);
        self.b.set_cold_block(fallback);
        self.enter(fallback);
        let mut args = vec![caller_room];
        for &p in params {
            args.push(if self.b.func.dfg.value_type(p) == types::F64 {
                self.b.ins().bitcast(V, MemFlagsData::new(), p)
            } else {
                p
            });
        }
        let callee = self.func_ref(self.direct[self.index as usize]);
        let call = self.b.ins().call(callee, &args);
        let r = self.b.inst_results(call)[0];
        self.return_value(r);
        self.enter(body);
        self.frame_room = Some(self.b.ins().iadd_imm_s(caller_room, -1));
    }
}
