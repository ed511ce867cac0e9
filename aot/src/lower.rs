//! The lowering of one function: every bytecode function becomes a *direct entry* `([env,]
//! room, i64 × arity) -> i64` (`env` only for functions that read captured cells; `room` is how
//! many more frames fit under the call-depth limit at the caller, `lower_frame.rs`), possibly a
//! *number entry* (`number_entry.rs`), and a *generic entry* `extern "C" fn(env: u64, argv:
//! *const u64) -> u64` (the runtime's `NativeFn`; `env` is the closure being called, or nil),
//! generic over the Cranelift [`Module`] so that objects and the JIT get the very same code.
//! `lower_module.rs` declares them and drives this file's [`FnLower`] over every function.
//!
//! Per function, the operand stack is a compile-time `Vec` of SSA values; every jump target is a
//! block with one parameter per live stack entry (depths agree at joins: the input is verified).
//! Locals are `cranelift-frontend` variables. Calls that can fail are followed by a check that
//! branches to the function's one error block, which records `(function, pc)` with
//! `ilusm_rt_trace` and returns `Value::ERROR`.
//! The per-opcode fast paths live in `lower_ops.rs`, containers and closures in `lower_heap.rs`;
//! `stretch.rs` walks a body stretch by stretch (and lowers shape versions of a stretch).

use std::collections::{HashMap, HashSet};

use cranelift_codegen::entity::EntityRef;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, Block, BlockArg, FuncRef, GlobalValue, InstBuilder, MemFlagsData, StackSlot,
    StackSlotData, StackSlotKind, Value,
};
use cranelift_frontend::{FunctionBuilder, Variable};
use cranelift_module::{DataId, FuncId, Module};
use ilusm_bytecode::{Function as BcFunction, Instr, Module as BcModule};

use crate::abi::{self, RtFn, RuntimeDecls, NIL, PTR, TAG_BUILTIN, TAG_FUNC, UNASSIGNED};
use crate::inline::{num_locals, Callees};
use crate::lower_ints::Shadows;
use crate::lower_module::direct_symbol;
use crate::number_entry::NumberEntries;
use crate::numbers::Int;
use crate::specialize::Speculation;
use crate::stretch::Region;
use crate::twins::Twin;
use crate::AotError;

/// The value type (a NaN-boxed word).
pub(crate) const V: types::Type = types::I64;

/// Memory flags for accesses the runtime guarantees to be valid and aligned.
pub(crate) fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// What every function's lowering shares about the module.
#[derive(Clone, Copy)]
pub(crate) struct Shared<'m> {
    pub bc: &'m BcModule,
    pub direct: &'m [FuncId],
    pub takes_env: &'m [bool],
    pub callees: &'m Callees,
    pub field_caches: Option<DataId>,
    pub direct_entries: Option<DataId>,
}

/// The operand stack depth before each instruction, `None` for unreachable ones. Relies on the
/// verifier's guarantee that depths agree along all paths.
pub(crate) fn stack_depths(instrs: &[(u32, Instr)]) -> Vec<Option<usize>> {
    let index_of: HashMap<u32, usize> = instrs
        .iter()
        .enumerate()
        .map(|(i, (pc, _))| (*pc, i))
        .collect();
    let mut depth = vec![None; instrs.len()];
    let mut work = vec![(0usize, 0usize)];
    while let Some((i, d)) = work.pop() {
        if i >= instrs.len() || depth[i].is_some() {
            continue;
        }
        depth[i] = Some(d);
        let ins = instrs[i].1;
        let (pop, push) = ins.stack_effect();
        let after = d.saturating_sub(pop) + push;
        if let Some(t) = ins.jump_target() {
            if let Some(&j) = index_of.get(&t) {
                work.push((j, after));
            }
        }
        if !ins.opcode().is_terminator() {
            work.push((i + 1, after));
        }
    }
    depth
}

/// Functions with at most this many instructions get a second version of their body for
/// parameters that are numbers (`lower_body`); larger ones would double too much code.
pub(crate) const SPECIALIZE_MAX_INSTRS: usize = 400;

/// The fact about the stack slot `from_top` places below the top, from per-slot facts listed
/// bottom first (false for a slot the facts do not cover).
fn slot_fact<T: Copy + Default>(facts: &[T], from_top: usize) -> T {
    facts
        .len()
        .checked_sub(from_top + 1)
        .map_or_else(T::default, |i| facts[i])
}

pub(crate) fn is_comparison(ins: Instr) -> bool {
    matches!(
        ins,
        Instr::Lt | Instr::Le | Instr::Gt | Instr::Ge | Instr::Eq | Instr::Ne
    )
}

/// The state of lowering one function's direct entry.
pub(crate) struct FnLower<'a, 'm, M: Module> {
    pub b: FunctionBuilder<'a>,
    pub m: &'m mut M,
    pub rt: &'m mut RuntimeDecls,
    pub bc: &'m BcModule,
    pub direct: &'m [FuncId],
    /// Whether each function's direct entry takes `env` (it reads captured cells).
    pub takes_env: &'m [bool],
    /// Index of this function (for traces).
    pub index: u32,
    /// The entry function (`<main>`) runs at the depth it is given (0) and has no overflow
    /// check.
    pub is_entry: bool,
    /// This frame's room under the call-depth limit (`lower_frame.rs`), set by the prologue.
    pub frame_room: Option<Value>,
    /// The operand stack.
    pub stack: Vec<Value>,
    pub locals: Vec<Variable>,
    /// The closure being run (nil for plain functions): the direct entry's first parameter.
    env: Option<Value>,
    /// Captured cells, fetched once at entry (`get_capture I`).
    captures: HashMap<u16, Value>,
    refs: HashMap<FuncId, FuncRef>,
    pub err_block: Option<Block>,
    /// Where `ret` jumps with its value while an inlined callee is lowered (`inline.rs`).
    pub return_to: Option<Block>,
    /// While an inlined base case is lowered (`inline.rs`): the pc where the rest of its
    /// function starts, and the block of the real call that every jump there (or further)
    /// goes to instead. A base case ends with `ret`, so it never falls into the rest.
    pub bail: Option<(u32, Block)>,
    /// Where values deep in the operand stack are stored, if it gets deep (`deep_stack.rs`).
    pub deep: Option<crate::deep_stack::DeepStack>,
    pub callees: &'m Callees,
    /// The module's number entries (`number_entry.rs`), declared as calls need them.
    pub number_entries: &'m mut NumberEntries,
    /// Lowering a number entry that returns an `f64` (`return_value` converts).
    pub float_return: bool,
    /// Parameters the version being lowered assumes lists and that the function never
    /// assigns: lists throughout (`twins.rs` does not check them at loop entries).
    pub list_params: HashSet<u16>,
    /// Lowering a number entry's body (`number_entry.rs`).
    pub number_body: bool,
    /// How many self calls' bodies are being lowered in place, one inside the other
    /// (`inline.rs`, `unrolls`).
    pub unrolling: u8,
    /// In the entry function: the pcs of its loops (from a backward jump's target to the jump).
    pub entry_loops: Vec<std::ops::RangeInclusive<u32>>,
    /// Whether a call from this function would overflow the depth limit, computed at entry when
    /// it has inlined calls (the depth is constant while a function body runs: every call
    /// returns it to what it was).
    pub leaf_overflow: Option<Value>,
    /// Lowering a version entered only when `leaf_overflow` is false.
    pub leaf_calls_fit: bool,
    /// Base of the global slots (from `ilusm_rt_globals()` at entry), if the function uses globals.
    globals: Option<Value>,
    /// Scratch memory for argument vectors (one per function, sized for the largest).
    spill: Option<StackSlot>,
    /// The module's field-access caches (`lower_access.rs`), if it has field accesses; the
    /// global value naming them in this function; the next site's number (module-wide).
    pub field_caches: Option<DataId>,
    pub field_caches_gv: Option<GlobalValue>,
    /// The module's table of direct entries, if a function calls values (`lower_call.rs`).
    pub direct_entries: Option<DataId>,
    pub next_field_site: u32,
    /// The field cache of each field-access instruction of this function, by pc.
    pub field_sites: HashMap<u32, u32>,
    /// Facts about the current straight-line stretch of bytecode.
    pub region: Region,
    /// The twin of each jump target in a loop that has a copy for a shaped local
    /// (`twins.rs`), by the target's pc; empty outside `lower_version`.
    pub twins: HashMap<u32, Twin>,
    /// Which operand-stack slots (bottom first) are known numbers before the instruction being
    /// lowered (`crate::numbers`).
    pub known: Vec<bool>,
    /// Likewise, which are known lists.
    pub known_lists: Vec<bool>,
    /// Likewise, what is known about the numbers' values.
    pub known_ints: Vec<Int>,
    /// Whether the value the instruction being lowered pushes is next used as an operand of
    /// arithmetic or of an order comparison (`stretch.rs`): a field read then loads it as a
    /// float, and the operation checks it in the float registers (`lower_ops.rs`).
    pub pushes_operand: bool,
    /// While lowering the general version of a function that also has a specialized one: no
    /// shape forks and no loop twins there (it only runs when the speculation fails, and its
    /// size is compile time, which the JIT pays at start-up).
    pub lean: bool,
    /// Where slow-path calls leave their results (`slow_calls.rs`), once one is made.
    pub slow_result: Option<StackSlot>,
    /// The variables (by index) of locals kept in float registers (`lower_body`).
    float_vars: HashSet<usize>,
    /// Values known to be numbers that the number facts (`known`, from the bytecode) do not
    /// know of: field reads a loop twin's number slots cover (`crate::field_numbers`). An SSA
    /// value never changes, so this holds wherever the value is used.
    pub number_values: HashSet<Value>,
    /// The integer shadows of the body being lowered (`lower_ints.rs`).
    pub shadows: Shadows,
}

impl<'a, 'm, M: Module> FnLower<'a, 'm, M> {
    pub(crate) fn new(
        b: FunctionBuilder<'a>,
        m: &'m mut M,
        rt: &'m mut RuntimeDecls,
        number_entries: &'m mut NumberEntries,
        shared: Shared<'m>,
        index: u32,
    ) -> Self {
        FnLower {
            b,
            m,
            rt,
            bc: shared.bc,
            direct: shared.direct,
            takes_env: shared.takes_env,
            index,
            is_entry: index == shared.bc.entry,
            frame_room: None,
            stack: Vec::new(),
            locals: Vec::new(),
            env: None,
            captures: HashMap::new(),
            refs: HashMap::new(),
            err_block: None,
            return_to: None,
            bail: None,
            deep: None,
            callees: shared.callees,
            number_entries,
            float_return: false,
            entry_loops: Vec::new(),
            list_params: HashSet::new(),
            number_body: false,
            unrolling: 0,
            leaf_overflow: None,
            leaf_calls_fit: false,
            globals: None,
            spill: None,
            field_caches: shared.field_caches,
            field_caches_gv: None,
            direct_entries: shared.direct_entries,
            next_field_site: 0,
            field_sites: HashMap::new(),
            known: Vec::new(),
            known_lists: Vec::new(),
            known_ints: Vec::new(),
            pushes_operand: false,
            lean: false,
            region: Region::default(),
            twins: HashMap::new(),
            slow_result: None,
            float_vars: HashSet::new(),
            number_values: HashSet::new(),
            shadows: Shadows::default(),
        }
    }

    /// The symbol of function `func`'s direct entry.
    pub(crate) fn direct_name(&self, func: u32) -> String {
        direct_symbol(func, &self.bc.functions[func as usize].name)
    }
}

impl<M: Module> FnLower<'_, '_, M> {
    /// Continue in `blk`, sealing it: every block but a jump target of the bytecode (sealed in
    /// `lower_version`) has all its predecessors when the lowering moves into it.
    pub fn enter(&mut self, blk: Block) {
        self.b.switch_to_block(blk);
        self.b.seal_block(blk);
    }

    /// A `FuncRef` for `id` in this function (imported once).
    pub fn func_ref(&mut self, id: FuncId) -> FuncRef {
        if let Some(&r) = self.refs.get(&id) {
            return r;
        }
        let r = self.m.declare_func_in_func(id, self.b.func);
        self.refs.insert(id, r);
        r
    }

    /// Call a runtime function; its result, if it has one.
    pub fn call_rt(&mut self, f: RtFn, args: &[Value]) -> Option<Value> {
        let id = self.rt.func(self.m, f);
        let r = self.func_ref(id);
        let call = self.b.ins().call(r, args);
        self.b.inst_results(call).first().copied()
    }

    /// Whether the stack slot `from_top` places below the top (0: the top) is known to hold a
    /// number before the current instruction.
    pub fn known_number(&self, from_top: usize) -> bool {
        slot_fact(&self.known, from_top)
    }

    /// Whether the stack slot `from_top` places below the top is known to hold a list.
    pub fn known_list(&self, from_top: usize) -> bool {
        slot_fact(&self.known_lists, from_top)
    }

    /// What is known about the value of the number in the stack slot `from_top` places below
    /// the top (`Int::No` when it is not a known number).
    pub fn known_int(&self, from_top: usize) -> Int {
        slot_fact(&self.known_ints, from_top)
    }

    pub fn iconst(&mut self, bits: u64) -> Value {
        self.b.ins().iconst(V, bits as i64)
    }

    pub fn pop(&mut self) -> Value {
        let v = self
            .stack
            .pop()
            .expect("verified bytecode: stack underflow");
        self.unmarked(self.stack.len(), v)
    }

    /// Pop the top `n` values, bottom first.
    pub fn pop_n(&mut self, n: usize) -> Vec<Value> {
        let at = self.stack.len() - n;
        let vals = self.stack.split_off(at);
        (at..).zip(vals).map(|(i, v)| self.unmarked(i, v)).collect()
    }

    /// Captured cell `i` (fetched at entry).
    pub fn capture(&mut self, i: u16) -> Value {
        self.captures[&i]
    }

    /// Call builtin `builtin` on `args` through the runtime's dispatcher (error path for `pc`).
    pub fn call_builtin(&mut self, builtin: u16, args: &[Value], pc: u32) -> Value {
        let argv = self.spill(args);
        let id = self.b.ins().iconst(types::I32, builtin as i64);
        let n = self.b.ins().iconst(types::I32, args.len() as i64);
        // Builtins that take functions call them through their generic entries.
        self.publish_depth();
        let r = self
            .call_rt(RtFn::CallBuiltin, &[id, argv, n])
            .expect("call_builtin returns a value");
        self.check_error(r, pc);
        r
    }

    /// The value word of local `l` (a float variable's bits as a word).
    pub(crate) fn get_local(&mut self, l: u16) -> Value {
        let var = self.locals[l as usize];
        let v = self.b.use_var(var);
        if self.float_vars.contains(&var.index()) {
            self.f64_word(v)
        } else {
            v
        }
    }

    /// Variables for a function's locals, the first ones initialized to `args` and the others
    /// to nil; `floats[l]` makes local `l` a float variable (it only ever holds numbers). A
    /// variable's type only picks its register class: bitcasts keep every bit.
    pub(crate) fn new_locals(&mut self, floats: &[bool], args: &[Value]) -> Vec<Variable> {
        let nil = self.iconst(NIL);
        let mut locals = Vec::with_capacity(floats.len());
        for (k, &float) in floats.iter().enumerate() {
            let init = args.get(k).copied().unwrap_or(nil);
            let var = if float {
                let var = self.b.declare_var(types::F64);
                let init = self.as_f64(init);
                self.b.def_var(var, init);
                self.float_vars.insert(var.index());
                var
            } else {
                let var = self.b.declare_var(V);
                self.b.def_var(var, init);
                var
            };
            locals.push(var);
        }
        locals
    }

    /// Assign the value word `v` to local `l`.
    fn set_local(&mut self, l: u16, v: Value) {
        let var = self.locals[l as usize];
        let v = if self.float_vars.contains(&var.index()) {
            self.as_f64(v)
        } else {
            v
        };
        self.b.def_var(var, v);
    }

    /// Store `vals` into the spill slot; its address (null for no values).
    pub fn spill(&mut self, vals: &[Value]) -> Value {
        if vals.is_empty() {
            return self.b.ins().iconst(PTR, 0);
        }
        let slot = self
            .spill
            .expect("spill slot sized for every argument vector");
        for (k, &v) in vals.iter().enumerate() {
            self.b.ins().stack_store(PTR, v, slot, (k * 8) as i32);
        }
        self.b.ins().stack_addr(PTR, slot, 0)
    }

    /// Lower function `f` (`instrs`, decoded) as its direct entry, or with `number_entry` as
    /// its number entry (`number_entry.rs`): only the specialized body, the parameters it
    /// assumes numbers passed as floats.
    pub(crate) fn lower_body(
        &mut self,
        f: &BcFunction,
        instrs: &[(u32, Instr)],
        number_entry: bool,
    ) -> Result<(), AotError> {
        let depths = stack_depths(instrs);
        let num_locals = num_locals(f);
        let constants = &self.bc.constants;
        let returns = &self.callees.returns;
        let generic = self.callees.generic[self.index as usize].clone();
        // Small functions: speculate that parameters used as arithmetic operands are numbers and
        // those indexed by position are lists (`specialize.rs`).
        let speculated = Speculation::of(&generic, f.arity);
        let specialized = (!speculated.is_empty() && instrs.len() <= SPECIALIZE_MAX_INSTRS)
            .then(|| speculated.facts(instrs, num_locals, constants, returns));
        // Field-access sites get their caches in order (both versions share them).
        for &(pc, ins) in instrs {
            if matches!(
                ins,
                Instr::GetField(_) | Instr::GetFieldOpt(_) | Instr::SetField(_)
            ) {
                self.field_sites.insert(pc, self.next_field_site);
                self.next_field_site += 1;
            }
        }

        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.enter(entry);
        // The env (the closure called, or nil) if the function takes it, then the caller's
        // room under the depth limit; the arguments follow.
        let mut params = self.b.block_params(entry).to_vec();
        if self.takes_env[self.index as usize] {
            self.env = Some(params.remove(0));
        }
        let caller_room = params.remove(0);
        let inlines_any = self.callees.inlines_any(instrs);
        if self.is_entry {
            self.entry_loops = instrs
                .iter()
                .filter_map(|&(pc, ins)| ins.jump_target().filter(|&t| t <= pc).map(|t| t..=pc))
                .collect();
        }
        if number_entry {
            self.float_return = self.number_entries.float_return(self.index);
            self.number_body = true;
            // The room the body needs, else the direct entry decides: this frame's, the frames of
            // self calls whose bodies are lowered in place (`inline.rs`), and that of the calls
            // whose base cases the last of them (or this frame) lowers in place.
            let limit = if self.callees.unrollable[self.index as usize] {
                1 + crate::inline::UNROLL_LEVELS as i64
            } else {
                inlines_any as i64
            };
            self.number_prologue(caller_room, &params, limit);
            for p in &mut params {
                *p = self.f64_word(*p);
            }
        } else {
            self.prologue(caller_room);
        }
        self.prepare_deep_stack(depths.iter().flatten().copied().max().unwrap_or(0));
        // Locals only ever assigned numbers (in the version that runs when speculation holds),
        // and parameters speculated numbers and assigned only numbers, are float variables: a
        // number that lives across a loop's back edge then stays in a float register instead
        // of moving between register files around every operation (nbody's `dt`). A
        // variable's type only picks its register class: bitcasts keep every bit, so a nil
        // before the first assignment, or a non-number in the general version, reads back the
        // same word.
        let entry_numbers = match specialized {
            Some(_) => speculated.numbers.as_slice(),
            None => &[],
        };
        let floats = crate::numbers::number_locals(
            instrs,
            specialized.as_ref().unwrap_or(&generic),
            num_locals,
            f.arity,
            entry_numbers,
        );
        self.locals = self.new_locals(&floats, &params);
        self.declare_shadows(instrs, num_locals, f.arity);
        let uses_globals = self
            .callees
            .with_inlined(instrs)
            .any(|i| matches!(i, Instr::GetGlobal(_) | Instr::SetGlobal(_)));
        if uses_globals {
            self.globals = self.call_rt(RtFn::Globals, &[]);
        }
        if inlines_any && !number_entry {
            self.leaf_overflow = Some(self.call_would_overflow());
        }
        // The cells of the closure do not change while it runs: fetch each once.
        for &(pc, ins) in instrs {
            if let Instr::GetCapture(i) = ins {
                if !self.captures.contains_key(&i) {
                    let env = self.env.expect("env parameter");
                    let iv = self.b.ins().iconst(types::I32, i as i64);
                    let cell = self.call_checked(RtFn::ClosureCell, &[env, iv], pc);
                    self.captures.insert(i, cell);
                }
            }
        }
        // Long argument vectors of literals, `print` and `concat` are taken in place from the
        // deep stack's area when there is one (`deep_stack.rs`); calls' are always spilled.
        let deep = self.deep.is_some();
        let spilled = |n: usize| crate::deep_stack::spilled_words(deep, n) as u32;
        let max_argv = self
            .callees
            .with_inlined(instrs)
            .map(|i| match i {
                Instr::Print(n) => spilled(n as usize),
                Instr::Concat(n) | Instr::MakeList(n) => spilled(n as usize),
                Instr::MakeObject(n) => spilled(2 * n as usize),
                Instr::Call(n) => n as u32,
                Instr::CallBuiltin { argc, .. } => argc as u32,
                Instr::MakeClosure { captures, .. } => captures as u32,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        if max_argv > 0 {
            let data = StackSlotData::new(StackSlotKind::ExplicitSlot, max_argv * 8, 3);
            self.spill = Some(self.b.create_sized_stack_slot(data));
        }

        match specialized {
            Some(facts) if number_entry => {
                self.leaf_calls_fit = true;
                match self.number_entries.start(self.index) {
                    Some(skip) => {
                        self.lower_version(&instrs[skip..], &depths[skip..], facts.skip(skip))
                    }
                    None => self.lower_version(instrs, &depths, facts),
                }
            }
            None if number_entry => {
                return Err(AotError::Codegen(format!(
                    "function {} ({}): a number entry without a specialized body",
                    self.index, f.name
                )))
            }
            Some(facts) => {
                let (fast, general) = self.pick_version(&params, &speculated);
                self.enter(fast);
                self.leaf_calls_fit = true;
                let assigned = crate::twins::assigned_locals(instrs);
                self.list_params = speculated
                    .lists
                    .iter()
                    .copied()
                    .filter(|l| !assigned.contains(l))
                    .collect();
                self.lower_version(instrs, &depths, facts);
                self.list_params.clear();
                self.leaf_calls_fit = false;
                self.enter(general);
                self.lean = true;
                self.lower_version(instrs, &depths, generic);
                self.lean = false;
            }
            None => self.lower_version(instrs, &depths, generic),
        }
        self.finish_err_block();
        Ok(())
    }

    /// The stack as the arguments of a jump (stored values loaded back).
    pub(crate) fn block_args(&mut self) -> Vec<BlockArg> {
        (0..self.stack.len())
            .map(|i| BlockArg::Value(self.unmarked(i, self.stack[i])))
            .collect()
    }

    /// Lower one instruction; whether control falls through to the next.
    pub(crate) fn lower_instr(
        &mut self,
        pc: u32,
        ins: Instr,
        targets: &HashMap<u32, Block>,
    ) -> bool {
        if !self.keeps_object_layouts(ins) {
            self.region.entries_moved(true);
        }
        match ins {
            Instr::Push(k) => {
                let v = match &self.bc.constants[k as usize] {
                    ilusm_bytecode::Constant::Num(n) => {
                        let v = self.iconst(abi::number_bits(*n));
                        self.note_constant(v, *n);
                        v
                    }
                    ilusm_bytecode::Constant::Str(_) => self.string_constant(k),
                };
                self.stack.push(v);
            }
            Instr::Pop => {
                self.pop();
            }
            Instr::Dup => {
                let v = self.pop();
                self.stack.push(v);
                self.stack.push(v);
            }
            Instr::PushNil => {
                let v = self.iconst(NIL);
                self.stack.push(v);
            }
            Instr::PushTrue => {
                let v = self.iconst(abi::TRUE);
                self.stack.push(v);
            }
            Instr::PushFalse => {
                let v = self.iconst(abi::FALSE);
                self.stack.push(v);
            }
            Instr::PushFunc(fi) => {
                let v = self.iconst((TAG_FUNC << 48) | fi as u64);
                self.stack.push(v);
            }
            Instr::PushBuiltin(bi) => {
                let v = self.iconst((TAG_BUILTIN << 48) | bi as u64);
                self.stack.push(v);
            }
            Instr::Add | Instr::Sub | Instr::Mul | Instr::Div => self.arith(ins, pc),
            Instr::Mod => self.modulo(pc),
            Instr::Lt | Instr::Le | Instr::Gt | Instr::Ge => self.compare(ins, pc),
            Instr::Eq | Instr::Ne => self.equality(ins),
            Instr::Neg => self.neg(pc),
            Instr::Not => self.not(),
            Instr::GetLocal(l) => {
                let v = self.get_local(l);
                self.read_shadow(l, v, pc);
                self.region.local_of.insert(v, l);
                self.stack.push(v);
            }
            Instr::SetLocal(l) => {
                let v = self.pop();
                self.write_shadow(l, v, pc);
                self.set_local(l, v);
                self.region.assigned(l);
                // An element of a list with an element shape (`crate::list_elements`).
                if let Some(&shape) = self.region.shaped_values.get(&v) {
                    self.region.shaped.insert(l, shape);
                    self.region.object_locals.insert(l);
                }
            }
            Instr::GetGlobal(g) => self.get_global(g, pc),
            Instr::SetGlobal(g) => {
                let v = self.pop();
                let base = self.globals.expect("globals base loaded at entry");
                let addr = self.b.ins().iadd_imm_s(base, g as i64 * 8);
                self.b.ins().store(trusted(), v, addr, 0);
            }
            Instr::Jump(t) => {
                self.jump_to(targets, t, pc);
                return false;
            }
            Instr::JumpIf(t) | Instr::JumpIfNot(t) => {
                let c = self.pop();
                let truth = self.truthy_top(c);
                let fall = self.b.create_block();
                let target = self.target_block(targets, t);
                let args = self.jump_args(target);
                if matches!(ins, Instr::JumpIf(_)) {
                    self.b.ins().brif(truth, target, &args, fall, &[]);
                } else {
                    self.b.ins().brif(truth, fall, &[], target, &args);
                }
                self.enter(fall);
            }
            Instr::CallDirect { func, argc } if self.inlines(func) => {
                self.inline_call(func, argc, pc)
            }
            Instr::CallDirect { func, argc } => {
                let known: Vec<bool> = (0..argc as usize)
                    .map(|k| self.known_number(argc as usize - 1 - k))
                    .collect();
                let args = self.pop_n(argc as usize);
                let r = self.call_direct_known(func, &args, &known, pc, false);
                self.stack.push(r);
            }
            Instr::Call(n) => self.lower_call_value(n, pc),
            Instr::CallBuiltin { builtin, argc } => {
                if !self.inline_builtin(builtin, argc, pc) {
                    let args = self.pop_n(argc as usize);
                    let r = self.call_builtin(builtin, &args, pc);
                    self.stack.push(r);
                }
            }
            Instr::Index
            | Instr::IndexOpt
            | Instr::SetIndex
            | Instr::Len
            | Instr::GetField(_)
            | Instr::GetFieldOpt(_)
            | Instr::SetField(_) => self.lower_access(pc, ins),
            Instr::MakeList(_)
            | Instr::MakeObject(_)
            | Instr::MakeCell
            | Instr::CellGet
            | Instr::CellSet
            | Instr::MakeClosure { .. }
            | Instr::GetCapture(_)
            | Instr::IterPrep
            | Instr::RangePrep => self.lower_heap(pc, ins),
            Instr::Print(n) => self.argv_call(RtFn::Print, n as usize, pc),
            Instr::Concat(n) => self.argv_call(RtFn::Concat, n as usize, pc),
            Instr::Ret => {
                let v = self.pop();
                self.lower_ret(v);
                return false;
            }
            Instr::Halt => {
                // Only `<main>` halts (frontend convention); elsewhere this returns nil.
                let nil = self.iconst(NIL);
                self.lower_ret(nil);
                return false;
            }
        }
        true
    }

    /// `print N` / `concat N`: pop N values, pass them as an argument vector.
    fn argv_call(&mut self, f: RtFn, n: usize, pc: u32) {
        let argv = self.pop_to_memory(n);
        let argc = self.b.ins().iconst(types::I32, n as i64);
        let r = self.call_rt(f, &[argv, argc]).unwrap();
        self.check_error(r, pc);
        self.stack.push(r);
    }

    fn get_global(&mut self, g: u32, pc: u32) {
        let base = self.globals.expect("globals base loaded at entry");
        let addr = self.b.ins().iadd_imm_s(base, g as i64 * 8);
        let v = self.b.ins().load(V, trusted(), addr, 0);
        let unassigned = self.b.ins().icmp_imm_u(IntCC::Equal, v, UNASSIGNED as i64);
        let undefined = self.b.create_block();
        let ok = self.b.create_block();
        self.b.ins().brif(unassigned, undefined, &[], ok, &[]);
        self.b.set_cold_block(undefined);
        self.enter(undefined);
        let gv = self.b.ins().iconst(types::I32, g as i64);
        self.call_rt(RtFn::UndefinedGlobal, &[gv]);
        self.jump_error(pc);
        self.enter(ok);
        self.stack.push(v);
    }
}
