//! Calls of function values (`call n`) in native code.
//!
//! A plain function value (`Value::func(i)`, what `push_func` makes: only functions without
//! captures are plain values, so their direct entries take no `env`) whose function takes `n`
//! parameters is called at its direct entry, found in the module's table of direct entries
//! (`ilusm_direct_entries`), with the arguments in registers. Everything else goes through
//! `ilusm_rt_call_value`, as every call did before: closures, builtins, values that are not
//! functions, a wrong number of arguments, so every error message is the runtime's.
//!
//! Why: through the runtime a call stored its arguments in memory, published the depth, looked
//! the function up in thread-local tables, checked its arity there and went through the generic
//! entry: about 80 instructions per call, a sixth of the closures benchmark.
//!
//! The call behaves as through the runtime: the callee's prologue checks the depth limit, an
//! error inside it records the callee's frame and then this one (`check_error` at the call).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, BlockArg, InstBuilder, Value};
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module};

use crate::abi::{self, RtFn, TAG_FUNC};
use crate::lower::{trusted, FnLower, V};
use crate::AotError;

/// The table: per bytecode function, the address of its direct entry and its arity, 16 bytes.
pub(crate) const DIRECT_ENTRIES_SYMBOL: &str = "ilusm_direct_entries";
const ENTRY_SIZE: usize = 16;
/// The arity recorded for functions no plain value calls (those that take `env`, and the entry
/// function): no call has this many arguments, so the fast path never takes them.
const NEVER: u64 = u64::MAX;

/// Define the table of direct entries of `direct` (by function index); `callable[i]`: function
/// `i` may be called as a plain value, with `arity[i]` arguments.
pub(crate) fn define_direct_entries<M: Module>(
    m: &mut M,
    direct: &[FuncId],
    callable: &[bool],
    arity: &[u8],
) -> Result<DataId, AotError> {
    let id = m.declare_data(DIRECT_ENTRIES_SYMBOL, Linkage::Local, false, false)?;
    let mut bytes = vec![0u8; direct.len() * ENTRY_SIZE];
    let mut data = DataDescription::new();
    for (i, &f) in direct.iter().enumerate() {
        let at = i * ENTRY_SIZE;
        let recorded = if callable[i] { arity[i] as u64 } else { NEVER };
        bytes[at + 8..at + 16].copy_from_slice(&recorded.to_ne_bytes());
        if callable[i] {
            let r = m.declare_func_in_data(f, &mut data);
            data.write_function_addr(at as u32, r);
        }
    }
    data.define(bytes.into_boxed_slice());
    data.set_align(8);
    m.define_data(id, &data)?;
    Ok(id)
}

impl<M: Module> FnLower<'_, '_, M> {
    /// A real call of function `func` at its direct entry (`call_direct` at `pc`), with the
    /// error check after it; the result.
    pub(crate) fn call_direct(&mut self, func: u32, args: &[Value], pc: u32) -> Value {
        let mut call_args = Vec::with_capacity(args.len() + 2);
        if self.takes_env[func as usize] {
            call_args.push(self.iconst(abi::NIL));
        }
        call_args.push(self.room());
        call_args.extend(args);
        let callee = self.func_ref(self.direct[func as usize]);
        let call = self.b.ins().call(callee, &call_args);
        let r = self.b.inst_results(call)[0];
        self.check_error(r, pc);
        r
    }

    /// `call n` at `pc`: the callee and `n` arguments are on the stack; the result is pushed.
    pub(crate) fn lower_call_value(&mut self, n: u8, pc: u32) {
        let args = self.pop_n(n as usize);
        let callee = self.pop();
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let join = self.b.create_block();
        self.b.append_block_param(join, V);

        // A plain function value of arity n: its entry in the table.
        let tag = self.b.ins().ushr_imm_u(callee, 48);
        let is_func = self.b.ins().icmp_imm_u(IntCC::Equal, tag, TAG_FUNC as i64);
        let lookup = self.b.create_block();
        self.b.ins().brif(is_func, lookup, &[], slow, &[]);
        self.enter(lookup);
        let index = self.b.ins().band_imm_u(callee, 0xFFFF_FFFF);
        let id = self
            .direct_entries
            .expect("the table is defined when a function calls values");
        let gv = self.m.declare_data_in_func(id, self.b.func);
        let table = self.b.ins().symbol_value(abi::PTR, gv);
        let offset = self.b.ins().imul_imm_s(index, ENTRY_SIZE as i64);
        let entry = self.b.ins().iadd(table, offset);
        let arity = self.b.ins().load(V, trusted(), entry, 8);
        let fits = self.b.ins().icmp_imm_u(IntCC::Equal, arity, n as i64);
        let fast = self.b.create_block();
        self.b.ins().brif(fits, fast, &[], slow, &[]);
        self.enter(fast);
        let code = self.b.ins().load(abi::PTR, trusted(), entry, 0);
        let sig = abi::signature(self.m, &vec![V; n as usize + 1], Some(V));
        let sig = self.b.import_signature(sig);
        let mut call_args = vec![self.room()];
        call_args.extend(&args);
        let call = self.b.ins().call_indirect(sig, code, &call_args);
        let r = self.b.inst_results(call)[0];
        self.b.ins().jump(join, &[BlockArg::Value(r)]);

        // Anything else: the runtime, which may call ilusm code through a generic entry.
        self.enter(slow);
        let argv = self.spill(&args);
        let argc = self.b.ins().iconst(types::I32, n as i64);
        self.publish_depth();
        let r = self
            .call_rt(RtFn::CallValue, &[callee, argv, argc])
            .expect("call_value returns a value");
        self.b.ins().jump(join, &[BlockArg::Value(r)]);

        self.enter(join);
        let r = self.b.block_params(join)[0];
        self.check_error(r, pc);
        self.stack.push(r);
    }
}
