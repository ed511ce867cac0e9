//! Inlining of small leaf functions at their direct call sites (`call_direct`), and of the base
//! cases of other functions.
//!
//! A call costs more than a small body: the callee saves callee-saved registers, checks the call
//! depth, and its result comes back boxed through an error check, which also keeps the
//! caller's loop from overlapping independent work (spectral-norm's `a(i, j)`, one division,
//! spent most of its time in that overhead). So a function that calls nothing and is small is
//! lowered in place of the call, with its own locals and number facts computed from what the
//! caller knows about the arguments.
//!
//! What an inlined call keeps of a real one, so that every path still agrees:
//! - the depth limit: the call fails with stack overflow exactly when a real call would (when
//!   the caller has no room left; nothing inside a leaf body reads the depth). The room is the
//!   same throughout a function body, so that test is made once at entry; a specialized body
//!   is only entered when it is false, and its inlined calls check nothing;
//! - the stack trace: an error inside the body records the callee's frame `(callee, pc)` and then
//!   the caller's, at the call, like an unwinding callee would.
//!
//! **Base cases.** A recursive function typically starts with its base case, `if n < 2: ret n`,
//! and half of its calls (fib's leaves) return there. Such a prefix, up to the first `ret`, is
//! lowered in place of a call like a leaf ([`base_case_len`] says when it qualifies); where it
//! does not return, the function is called after all, with the same arguments, and its own
//! copy of the prefix takes the same way out. A call that returns in the base case then costs
//! a compare and a branch instead of a frame (fib(25): 9.17M -> 6.74M instructions).
//!
//! **Unrolled recursion.** In a number entry (`number_entry.rs`), a self call of a small
//! recursive function lowers the whole body in place, [`UNROLL_LEVELS`] deep, as the callee's
//! frame: its calls pass a room one less than its caller's, and an error inside traces the
//! callee's frame and then the caller's. The entry's prologue makes sure the room suffices
//! for those frames (else the direct entry runs), so the depth limit falls where it would.
//!
//! A leaf may not call anything (no calls of values, direct calls, or builtins beyond the ones
//! lowered inline, which cannot call back into ilusm code, where the depth would be off by
//! one), touch closures (`get_capture`, cells) or field caches (each site has one cache slot,
//! numbered per function), or build containers.

use std::collections::HashSet;

use cranelift_codegen::ir::{types, BlockArg, InstBuilder};
use cranelift_module::Module;
use ilusm_bytecode::{instructions, Function as BcFunction, Instr, Module as BcModule};
use ilusm_runtime::builtins::id;

use crate::abi::RtFn;
use crate::lower::SPECIALIZE_MAX_INSTRS;
use crate::lower::{stack_depths, FnLower, V};
use crate::numbers::{known_numbers, number_locals, number_returns, Facts, NumberReturn};
use crate::shapes::Shapes;
use crate::specialize::Speculation;
use crate::AotError;

/// Functions of at most this many instructions are inlined when they qualify: spectral-norm's
/// `a(i, j)` has 14; the limit keeps code growth small at many call sites.
const INLINE_MAX_INSTRS: usize = 32;
/// The longest base case inlined at call sites (up to and including its `ret`): fib's has 6.
const BASE_CASE_MAX_INSTRS: usize = 16;
/// The longest recursive function unrolled in its number entry: fib has 15 instructions.
const UNROLL_MAX_INSTRS: usize = 32;
/// How many levels of self calls a number entry lowers in place. fib's body is lowered 7 times
/// (1 + 2 + 4) for a real call every third level: fib(30) 37.0 M instructions without
/// unrolling -> 34.8 M with 2 levels (fib(35) about 7% faster); 3 levels made 32.8 M but ran
/// slower (15 copies of the body: code size, spills).
pub(crate) const UNROLL_LEVELS: u8 = 2;

/// What the lowering knows about every function of a module before lowering any: its decoded
/// code, when a direct call of it gives a number (`numbers::number_returns`), whether it is
/// inlined at direct call sites, whole or its base case, and the module's object-literal shapes
/// (`crate::shapes`).
pub(crate) struct Callees {
    pub bodies: Vec<Vec<(u32, Instr)>>,
    pub returns: Vec<NumberReturn>,
    /// Per function: the number facts of its body with nothing assumed of its parameters (its
    /// general version's, and what its specialization is chosen from), computed once here.
    pub generic: Vec<Facts>,
    pub inlined: Vec<bool>,
    /// For a function that is not inlined whole: the number of instructions of its base case,
    /// if that is inlined at direct call sites ([`base_case_len`]).
    pub base_cases: Vec<Option<usize>>,
    /// For a function with a specialized body that assumes only numbers (`specialize.rs`):
    /// those parameters, which a number entry takes as floats (`number_entry.rs`).
    pub number_params: Vec<Option<Vec<u16>>>,
    /// Recursive functions whose number entry lowers its own body again in place of a self
    /// call (the recursion unrolled [`UNROLL_LEVELS`] levels): a base case, at most
    /// [`UNROLL_MAX_INSTRS`] instructions, and nothing but [`leaf_instr`]s and self calls.
    pub unrollable: Vec<bool>,
    pub shapes: Shapes,
}

impl Callees {
    pub fn analyze(bc: &BcModule) -> Result<Callees, AotError> {
        let bodies = bc
            .functions
            .iter()
            .enumerate()
            .map(|(i, f)| decode(f, i as u32))
            .collect::<Result<Vec<_>, _>>()?;
        let num_locals: Vec<usize> = bc.functions.iter().map(num_locals).collect();
        let arity: Vec<u8> = bc.functions.iter().map(|f| f.arity).collect();
        let returns = number_returns(&bodies, &num_locals, &arity, &bc.constants);
        let inlined: Vec<bool> = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| i as u32 != bc.entry && is_inlinable_leaf(body))
            .collect();
        let base_cases: Vec<Option<usize>> = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let f = &bc.functions[i];
                (i as u32 != bc.entry && !inlined[i])
                    .then(|| base_case_len(body, f.arity))
                    .flatten()
            })
            .collect();
        let generic: Vec<Facts> = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| known_numbers(body, num_locals[i], &[], &bc.constants, &returns))
            .collect();
        let number_params: Vec<Option<Vec<u16>>> = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                if i as u32 == bc.entry || inlined[i] || body.len() > SPECIALIZE_MAX_INSTRS {
                    return None;
                }
                let speculated = Speculation::of(&generic[i], arity[i]);
                (speculated.lists.is_empty() && !speculated.numbers.is_empty())
                    .then_some(speculated.numbers)
            })
            .collect();
        let unrollable = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let is_self =
                    |ins| matches!(ins, Instr::CallDirect { func, .. } if func == i as u32);
                base_cases[i].is_some()
                    && number_params[i].is_some()
                    && body.len() <= UNROLL_MAX_INSTRS
                    && body.iter().all(|&(_, ins)| is_self(ins) || leaf_instr(ins))
                    && body.iter().any(|&(_, ins)| is_self(ins))
            })
            .collect();
        let shapes = Shapes::analyze(&bodies, &bc.constants);
        Ok(Callees {
            bodies,
            returns,
            inlined,
            base_cases,
            generic,
            number_params,
            unrollable,
            shapes,
        })
    }

    /// What a direct call of `func` lowers in place of the call: its whole body if it is an
    /// inlined leaf, its base case if that is inlined, else nothing.
    pub fn inlined_code(&self, func: u32) -> Option<&[(u32, Instr)]> {
        let body = &self.bodies[func as usize];
        if self.inlined[func as usize] {
            Some(body)
        } else {
            self.base_cases[func as usize].map(|len| &body[..len])
        }
    }

    /// Whether `instrs` has a direct call that lowers code of its callee in place.
    pub fn inlines_any(&self, instrs: &[(u32, Instr)]) -> bool {
        instrs.iter().any(|&(_, ins)| {
            matches!(ins, Instr::CallDirect { func, .. } if self.inlined_code(func).is_some())
        })
    }

    /// The instructions of `instrs` followed by those of every function inlined at one of its
    /// call sites (what the function's entry code must prepare for: globals, spill space).
    pub fn with_inlined<'x>(
        &'x self,
        instrs: &'x [(u32, Instr)],
    ) -> impl Iterator<Item = Instr> + 'x {
        let inlined = instrs.iter().filter_map(|&(_, ins)| match ins {
            Instr::CallDirect { func, .. } => {
                Some(self.inlined_code(func)?.iter().map(|&(_, i)| i))
            }
            _ => None,
        });
        instrs.iter().map(|&(_, i)| i).chain(inlined.flatten())
    }
}

/// Locals of `f`, parameters included.
pub(crate) fn num_locals(f: &BcFunction) -> usize {
    f.num_locals.max(f.arity as u16) as usize
}

/// Function `f`'s instructions with their pcs, each `jump` to a `ret` made that `ret`.
///
/// An expression body, `fib(n) = if n < 2: n | fib(n - 1) + fib(n - 2)`, compiles its
/// then-branch to a `jump` to the function's final `ret`; as a `ret` itself, that branch is a
/// base case (`base_case_len`) like the one of `if n < 2: ret n`, so both spellings get the same
/// code. The two are the same: the verifier makes the stack depth at the jump the depth at its
/// target, and `ret` cannot fail, so no trace shows the difference.
pub(crate) fn decode(f: &BcFunction, index: u32) -> Result<Vec<(u32, Instr)>, AotError> {
    let mut body = instructions(&f.code)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AotError::Codegen(format!("function {index} ({}): {e}", f.name)))?;
    let rets: HashSet<u32> = body
        .iter()
        .filter(|&&(_, ins)| ins == Instr::Ret)
        .map(|&(pc, _)| pc)
        .collect();
    for (_, ins) in &mut body {
        if matches!(*ins, Instr::Jump(t) if rets.contains(&t)) {
            *ins = Instr::Ret;
        }
    }
    Ok(body)
}

/// Whether `body` is small and uses only instructions that an inlined copy lowers exactly like
/// the callee would (see the module comment).
fn is_inlinable_leaf(body: &[(u32, Instr)]) -> bool {
    body.len() <= INLINE_MAX_INSTRS && body.iter().all(|&(_, ins)| leaf_instr(ins))
}

/// The length of `body`'s *base case*, if a direct call may lower it in place: the instructions
/// up to its first `ret`, when they are few, are all [`leaf_instr`]s, jump only forwards, assign
/// no parameter, and leave them only with an empty operand stack. Where they leave, a real call
/// of the function follows with the same arguments; it runs the base case's instructions again
/// and, as they have no effects and read only the arguments, constants and globals (which
/// nothing changed in between), takes the same way out of them.
fn base_case_len(body: &[(u32, Instr)], arity: u8) -> Option<usize> {
    let len = 1 + body.iter().position(|&(_, ins)| ins == Instr::Ret)?;
    if len > BASE_CASE_MAX_INSTRS {
        return None;
    }
    let &(cut, _) = body.get(len)?;
    let depths = stack_depths(body);
    let depth_at = |pc: u32| {
        let i = body.iter().position(|&(p, _)| p == pc)?;
        depths[i]
    };
    let mut exits = false;
    for &(pc, ins) in &body[..len] {
        if !leaf_instr(ins) || matches!(ins, Instr::SetLocal(l) if l < arity as u16) {
            return None;
        }
        if let Some(t) = ins.jump_target() {
            if t <= pc || (t >= cut && depth_at(t) != Some(0)) {
                return None;
            }
            exits |= t >= cut;
        }
    }
    exits.then_some(len)
}

/// Whether an inlined leaf may contain `ins`: no calls (only the builtins lowered inline), no
/// closures, fields, globals written or containers built, so a leaf touches no object and never
/// calls user code.
pub(crate) fn leaf_instr(ins: Instr) -> bool {
    match ins {
        Instr::CallBuiltin { builtin, argc } => {
            argc == 1 && matches!(builtin, id::FLR | id::SQRT | id::ABS | id::LEN)
        }
        Instr::Push(_)
        | Instr::Pop
        | Instr::Dup
        | Instr::PushNil
        | Instr::PushTrue
        | Instr::PushFalse
        | Instr::PushFunc(_)
        | Instr::PushBuiltin(_)
        | Instr::Add
        | Instr::Sub
        | Instr::Mul
        | Instr::Div
        | Instr::Mod
        | Instr::Neg
        | Instr::Not
        | Instr::Eq
        | Instr::Ne
        | Instr::Lt
        | Instr::Le
        | Instr::Gt
        | Instr::Ge
        | Instr::GetLocal(_)
        | Instr::SetLocal(_)
        | Instr::GetGlobal(_)
        | Instr::Jump(_)
        | Instr::JumpIf(_)
        | Instr::JumpIfNot(_)
        | Instr::Index
        | Instr::IndexOpt
        | Instr::Len
        | Instr::Ret => true,
        _ => false,
    }
}

impl<M: Module> FnLower<'_, '_, M> {
    /// Whether `call_direct func` lowers code of `func` in place here: its whole body, or its
    /// base case (not in the lean general version of a specialized function, which rarely runs).
    pub(crate) fn inlines(&self, func: u32) -> bool {
        self.callees.inlined[func as usize]
            || (self.callees.base_cases[func as usize].is_some() && !self.lean)
    }

    /// Whether `call_direct func` with arguments known numbers where `known` says lowers all of
    /// `func`'s body in place (see [`Callees::unrollable`]): a self call in a number entry (whose
    /// prologue left room for [`UNROLL_LEVELS`] frames and the base cases lowered in place in
    /// the last), with number arguments where the entry has them, at most [`UNROLL_LEVELS`]
    /// deep.
    fn unrolls(&self, func: u32, known: &[bool]) -> bool {
        self.number_body
            && self.unrolling < UNROLL_LEVELS
            && func == self.index
            && self.callees.unrollable[func as usize]
            && self.deep.is_none()
            && self
                .number_entries
                .params(func)
                .is_some_and(|ps| ps.iter().all(|&p| known[p as usize]))
    }

    /// Lower `call_direct func argc` at `pc` as the body of `func` in place (`func` is inlined,
    /// or the call is a self call unrolled here: [`Self::unrolls`]), or as its base case with a
    /// real call where that leaves to the rest of the function.
    pub(crate) fn inline_call(&mut self, func: u32, argc: u8, pc: u32) {
        let callees = self.callees;
        let f = &self.bc.functions[func as usize];
        let entry_known: Vec<bool> = (0..argc as usize)
            .map(|k| self.known_number(argc as usize - 1 - k))
            .collect();
        let unroll = self.unrolls(func, &entry_known);
        let body = if unroll {
            &callees.bodies[func as usize][..]
        } else {
            callees
                .inlined_code(func)
                .expect("only called for inlined code")
        };
        let args = self.pop_n(argc as usize);
        // Stack overflow exactly where a real call would fail; the counter is left alone.
        if !self.leaf_calls_fit {
            let over = self.leaf_overflow.expect("computed at entry");
            self.overflow_branch(over, |s| s.jump_error(pc));
        }

        let entry_lists: Vec<bool> = (0..argc as usize)
            .map(|k| self.known_list(argc as usize - 1 - k))
            .collect();
        let facts = crate::numbers::known_facts(
            body,
            num_locals(f),
            &entry_known,
            &entry_lists,
            &self.bc.constants,
            &callees.returns,
        );
        // Like the function's own body, locals that only hold numbers are float variables.
        let entry_numbers: Vec<u16> = (0..argc as u16)
            .filter(|&k| entry_known[k as usize])
            .collect();
        let floats = number_locals(body, &facts, num_locals(f), f.arity, &entry_numbers);
        let locals = self.new_locals(&floats, &args);
        // A call that gives a number returns it as a float (no move between register files).
        let number = match &callees.returns[func as usize] {
            NumberReturn::Always => true,
            NumberReturn::IfNumbers(params) => params
                .iter()
                .all(|&p| entry_known.get(p as usize).copied().unwrap_or(false)),
            NumberReturn::Never => false,
        };
        let done = self.b.create_block();
        self.b
            .append_block_param(done, if number { types::F64 } else { V });
        let bail = (!unroll && !callees.inlined[func as usize]).then(|| {
            let cut = callees.bodies[func as usize][body.len()].0;
            (cut, self.b.create_block())
        });
        self.bail = bail;

        // Lower the body as if it were the function being compiled, returning to `done`.
        let caller_locals = std::mem::replace(&mut self.locals, locals);
        let caller_stack = std::mem::take(&mut self.stack);
        let caller_err = self.err_block.take();
        let caller_ret = self.return_to.replace(done);
        // The callee has its own locals; its facts do not hold after `done` (several `ret`s).
        let caller_region = std::mem::take(&mut self.region);
        let (caller_room, caller_unrolling) = (self.frame_room, self.unrolling);
        // The caller's list parameters are its locals, not the callee's.
        let caller_lists = std::mem::take(&mut self.list_params);
        // The body's integer shadows are its own, like its locals (and its pcs).
        let caller_shadows = std::mem::take(&mut self.shadows);
        self.declare_shadows(body, num_locals(f), f.arity);
        if unroll {
            // The callee's frame is one deeper: its calls pass its room on.
            let room = self.room();
            self.frame_room = Some(self.b.ins().iadd_imm_s(room, -1));
            self.unrolling += 1;
        }
        self.lower_version(body, &stack_depths(body), facts);
        self.frame_room = caller_room;
        self.unrolling = caller_unrolling;
        self.list_params = caller_lists;
        self.shadows = caller_shadows;
        let callee_err = std::mem::replace(&mut self.err_block, caller_err);
        self.return_to = caller_ret;
        self.region = caller_region;
        self.stack = caller_stack;
        self.locals = caller_locals;

        if let Some(err) = callee_err {
            // The callee's frame first, then the caller's (at the call), as when unwinding.
            self.enter(err);
            let callee_pc = self.b.block_params(err)[0];
            let fv = self.b.ins().iconst(types::I32, func as i64);
            self.call_rt(RtFn::Trace, &[fv, callee_pc]);
            self.jump_error(pc);
        }
        if let Some((_, blk)) = bail {
            // Past the base case: the function is called after all, in the caller's frame.
            self.enter(blk);
            let r = self.call_direct_known(func, &args, &entry_known, pc, true);
            let r = if number { self.as_f64(r) } else { r };
            self.b.ins().jump(done, &[BlockArg::Value(r)]);
        }
        self.enter(done);
        let r = self.b.block_params(done)[0];
        let r = if number { self.f64_word(r) } else { r };
        self.stack.push(r);
    }

    /// Where a `ret` goes: back from the function, or on to the code after an inlined call.
    pub(crate) fn lower_ret(&mut self, v: cranelift_codegen::ir::Value) {
        match self.return_to {
            Some(done) => {
                let float = self.b.func.dfg.value_type(self.b.block_params(done)[0]) == types::F64;
                let v = if float { self.as_f64(v) } else { v };
                self.b.ins().jump(done, &[BlockArg::Value(v)]);
            }
            None => self.return_value(v),
        }
    }
}
