//! A function's frame in native code: the call-depth counter (`depth += 1` on entry with the
//! stack-overflow check, `depth -= 1` on every way out), and the one error block per function
//! that records `(function, pc)` with `ilusm_rt_trace` and returns `Value::ERROR`, which every
//! failing operation branches to.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, BlockArg, InstBuilder, Value};
use cranelift_module::Module;

use crate::abi::{self, RtFn, ERROR, PTR};
use crate::lower::{trusted, FnLower, V};

impl<M: Module> FnLower<'_, '_, M> {
    /// Branch to the error path for `pc` when `v` is `Value::ERROR`; continue in a fresh block.
    pub fn check_error(&mut self, v: Value, pc: u32) {
        let is_err = self.b.ins().icmp_imm_u(IntCC::Equal, v, ERROR as i64);
        let err = self.err_block();
        let pcv = self.b.ins().iconst(types::I32, pc as i64);
        let cont = self.b.create_block();
        // The rest of a cold slow path is cold too: otherwise the block layout puts it (the
        // moves into the join's parameters) among the hot code, and every fast path jumps over it.
        let here = self.b.current_block().expect("lowering inside a block");
        if self.b.func.layout.is_cold(here) {
            self.b.set_cold_block(cont);
        }
        self.b
            .ins()
            .brif(is_err, err, &[BlockArg::Value(pcv)], cont, &[]);
        self.enter(cont);
    }

    /// Go to the error path for `pc` unconditionally (the current block ends).
    pub fn jump_error(&mut self, pc: u32) {
        let err = self.err_block();
        let pcv = self.b.ins().iconst(types::I32, pc as i64);
        self.b.ins().jump(err, &[BlockArg::Value(pcv)]);
    }

    pub(crate) fn err_block(&mut self) -> Block {
        if let Some(b) = self.err_block {
            return b;
        }
        let b = self.b.create_block();
        self.b.append_block_param(b, types::I32);
        self.b.set_cold_block(b);
        self.err_block = Some(b);
        b
    }

    /// Address of the call-depth counter or its limit.
    pub(crate) fn depth_addr(&mut self, max: bool) -> Value {
        let symbol = if max {
            abi::MAX_DEPTH_SYMBOL
        } else {
            abi::DEPTH_SYMBOL
        };
        let id = self.rt.data(self.m, symbol);
        let gv = self.m.declare_data_in_func(id, self.b.func);
        self.b.ins().symbol_value(PTR, gv)
    }

    /// `depth -= 1` when leaving a non-entry function.
    pub(crate) fn leave_frame(&mut self) {
        if !self.is_entry {
            let addr = self.depth_addr(false);
            let d = self.b.ins().load(V, trusted(), addr, 0);
            let d = self.b.ins().iadd_imm_s(d, -1);
            self.b.ins().store(trusted(), d, addr, 0);
        }
    }

    pub(crate) fn return_value(&mut self, v: Value) {
        self.leave_frame();
        self.b.ins().return_(&[v]);
    }

    /// `depth += 1`, or fail with stack overflow (untraced, undecremented: the caller traces).
    pub(crate) fn prologue(&mut self) {
        let (addr, d1, over) = self.depth_plus_one();
        self.overflow_branch(over, |s| {
            let e = s.iconst(ERROR);
            s.b.ins().return_(&[e]);
        });
        self.b.ins().store(trusted(), d1, addr, 0);
    }

    /// The depth counter's address, `depth + 1`, and whether that passes the limit (a call now
    /// would overflow).
    pub(crate) fn depth_plus_one(&mut self) -> (Value, Value, Value) {
        let addr = self.depth_addr(false);
        let d = self.b.ins().load(V, trusted(), addr, 0);
        let d1 = self.b.ins().iadd_imm_s(d, 1);
        let max_addr = self.depth_addr(true);
        let max = self.b.ins().load(V, trusted(), max_addr, 0);
        let over = self.b.ins().icmp(IntCC::UnsignedGreaterThan, d1, max);
        (addr, d1, over)
    }

    /// When `over`, raise stack overflow in a cold block that `on_overflow` finishes; else go on.
    pub(crate) fn overflow_branch(&mut self, over: Value, on_overflow: impl FnOnce(&mut Self)) {
        let overflow = self.b.create_block();
        let body = self.b.create_block();
        self.b.ins().brif(over, overflow, &[], body, &[]);
        self.b.set_cold_block(overflow);
        self.enter(overflow);
        self.call_rt(RtFn::StackOverflow, &[]);
        on_overflow(self);
        self.enter(body);
    }

    /// The error block's code, if anything branches to it: trace this frame, leave it, return
    /// `Value::ERROR`.
    pub(crate) fn finish_err_block(&mut self) {
        if let Some(err) = self.err_block {
            self.enter(err);
            let pc = self.b.block_params(err)[0];
            let func = self.b.ins().iconst(types::I32, self.index as i64);
            self.call_rt(RtFn::Trace, &[func, pc]);
            let e = self.iconst(ERROR);
            self.return_value(e);
        }
    }
}
