//! Runtime calls from the cold slow paths that rejoin hot code, made through trampolines that
//! clobber no registers.
//!
//! Why: a slow path (an operand that is not a number, a field cache miss, an index the inline
//! code does not handle) calls a runtime function and then continues in the hot code. An
//! ordinary C call clobbers every caller-saved register, on x86_64 all sixteen float registers
//! among them, so the register allocator kept the floats that live across a loop in stack slots
//! and reloaded them on the hot path at every iteration, although the call is almost never made.
//!
//! The trampoline `ilusm_slow_<name>` of runtime function `ilusm_rt_<name>` has Cranelift's
//! `preserve_all` convention: it saves and restores whatever its own C call clobbers, so at the
//! call site nothing is clobbered and hot values stay in registers; the cost (a few dozen
//! register saves) is paid only when the slow path runs. `preserve_all` has no return values:
//! the result goes through an 8-byte stack slot of the caller, whose address is the
//! trampoline's last argument. The saved registers are in the trampoline's frame, on the stack
//! the garbage collector scans conservatively, so values held in them stay roots.
//!
//! Calls on hot paths (`psh`, builtins, closures, `iter_prep`) stay ordinary calls: there the
//! saves would cost more than the reloads they spare. So do the slow sides of `+`, `==` and `!=`
//! when no operand is known to be a number (`lower_ops.rs`, `call_slow_side`): concatenating or
//! comparing strings is often what those instructions are there for.

use cranelift_codegen::ir::{
    AbiParam, InstBuilder, StackSlotData, StackSlotKind, UserFuncName, Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{FuncId, Linkage, Module};

use crate::abi::{RtFn, RuntimeDecls, PTR};
use crate::define::Pending;
use crate::lower::{trusted, FnLower};
use crate::AotError;

impl RuntimeDecls {
    /// The trampoline of `f` (declared on first use).
    fn preserving<M: Module>(&mut self, m: &mut M, f: RtFn) -> FuncId {
        if let Some(&id) = self.preserving.get(&f) {
            return id;
        }
        let (params, _) = f.types();
        let mut sig = m.make_signature();
        sig.call_conv = CallConv::PreserveAll;
        sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
        sig.params.push(AbiParam::new(PTR));
        let name = format!("ilusm_slow_{}", f.symbol().trim_start_matches("ilusm_rt_"));
        let id = m
            .declare_function(&name, Linkage::Local, &sig)
            .expect("each trampoline is declared once");
        self.preserving.insert(f, id);
        id
    }
}

impl<M: Module> FnLower<'_, '_, M> {
    /// Call the runtime function `f` from a cold slow path through its trampoline; its result,
    /// if it has one.
    pub(crate) fn call_rt_cold(&mut self, f: RtFn, args: &[Value]) -> Option<Value> {
        let id = self.rt.preserving(self.m, f);
        let callee = self.func_ref(id);
        let slot = match self.slow_result {
            Some(slot) => slot,
            None => {
                let data = StackSlotData::new(StackSlotKind::ExplicitSlot, 8, 3);
                let slot = self.b.create_sized_stack_slot(data);
                self.slow_result = Some(slot);
                slot
            }
        };
        let out = self.b.ins().stack_addr(PTR, slot, 0);
        let mut all = args.to_vec();
        all.push(out);
        self.b.ins().call(callee, &all);
        let (_, ret) = f.types();
        ret.map(|t| self.b.ins().load(t, trusted(), out, 0))
    }

    /// [`FnLower::call_rt_cold`], branching to the error path for `pc` on `Value::ERROR`; the
    /// result.
    pub(crate) fn call_checked_cold(&mut self, f: RtFn, args: &[Value], pc: u32) -> Value {
        let r = self
            .call_rt_cold(f, args)
            .expect("runtime function returns a value");
        self.check_error(r, pc);
        r
    }
}

/// Define the trampolines the module's functions used (after all of them are lowered), in the
/// order they were declared.
pub(crate) fn define_trampolines<M: Module>(
    m: &mut M,
    rt: &mut RuntimeDecls,
    ctx: &mut Context,
    fctx: &mut FunctionBuilderContext,
    pending: &mut Pending,
    mut clif: Option<&mut String>,
) -> Result<(), AotError> {
    let mut used: Vec<(RtFn, FuncId)> = rt.preserving.iter().map(|(&f, &id)| (f, id)).collect();
    used.sort_by_key(|&(_, id)| id.as_u32());
    let cfg = m.target_config();
    for (f, id) in used {
        let target = rt.func(m, f);
        m.clear_context(ctx);
        ctx.func.signature = m.declarations().get_function_decl(id).signature.clone();
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            let params = b.block_params(entry).to_vec();
            let (&out, args) = params.split_last().expect("the result address");
            let callee = m.declare_func_in_func(target, b.func);
            let call = b.ins().call(callee, args);
            if let Some(&r) = b.inst_results(call).first() {
                b.ins().store(trusted(), r, out, 0);
            }
            b.ins().return_(&[]);
            b.seal_all_blocks();
            b.finalize(cfg);
        }
        let header = format!("; trampoline of {} (preserve_all)\n", f.symbol());
        pending.add(m, ctx, id, clif.as_deref_mut(), &header)?;
    }
    Ok(())
}
