//! A function's frame in native code: its call depth, and the one error block per function that
//! records `(function, pc)` with `ilusm_rt_trace` and returns `Value::ERROR`, which every failing
//! operation branches to.
//!
//! The call depth travels in a register, as *room*: how many more frames fit under the limit
//! (`ilusm_rt_max_depth` minus the depth). Each direct entry takes its caller's room as a
//! parameter, fails with stack overflow when it is 0, and passes its own (one less) to the
//! functions it calls directly. So a prologue compares a register with zero instead of loading
//! the limit, and nothing is written on the way in or out: a counter in memory made every call
//! and return a store that the next one had to wait for, a chain of store-to-load forwarding
//! through the whole run. The depth itself is written to memory (`ilusm_rt_depth`) only before
//! a runtime call that may call ilusm code (`call` of a value, a builtin through the
//! dispatcher, for `try`): a generic entry reads it there, passes its caller's room on, and
//! writes the depth back when its function returns, so that a call through a generic entry
//! leaves the published depth as it found it, whatever its callees published.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, BlockArg, InstBuilder, Value};
use cranelift_module::Module;

use crate::abi::{self, RtFn, ERROR, PTR};
use crate::lower::{trusted, FnLower, V};

impl<M: Module> FnLower<'_, '_, M> {
    /// Branch to the error path for `pc` when `v` is `Value::ERROR`; continue in a fresh block.
    pub fn check_error(&mut self, v: Value, pc: u32) {
        let is_err = self.b.ins().icmp_imm_u(IntCC::Equal, v, ERROR as i64);
        // A cold stub names `pc` on the way to the shared error block, so that the hot path
        // does not set the error block's argument before every check.
        let stub = self.b.create_block();
        self.b.set_cold_block(stub);
        let cont = self.b.create_block();
        // The rest of a cold slow path is cold too: otherwise the block layout puts it (the
        // moves into the join's parameters) among the hot code, and every fast path jumps over it.
        let here = self.b.current_block().expect("lowering inside a block");
        if self.b.func.layout.is_cold(here) {
            self.b.set_cold_block(cont);
        }
        self.b.ins().brif(is_err, stub, &[], cont, &[]);
        self.enter(stub);
        self.jump_error(pc);
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

    /// Address of the published call depth or of its limit.
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

    /// This frame's room: how many more frames fit under the depth limit.
    pub(crate) fn room(&self) -> Value {
        self.frame_room.expect("the prologue sets the frame's room")
    }

    /// Store this frame's depth (the limit minus its room) where the runtime's calls of generic
    /// entries read it, before a runtime call that may call ilusm code.
    pub(crate) fn publish_depth(&mut self) {
        let room = self.room();
        let max_addr = self.depth_addr(true);
        let max = self.b.ins().load(V, trusted(), max_addr, 0);
        let d = self.b.ins().isub(max, room);
        let addr = self.depth_addr(false);
        self.b.ins().store(trusted(), d, addr, 0);
    }

    /// Return the value word `v` (as a float from a number entry that returns one).
    pub(crate) fn return_value(&mut self, v: Value) {
        let v = if self.float_return { self.as_f64(v) } else { v };
        self.b.ins().return_(&[v]);
    }

    /// This frame's room is `caller_room - 1`, or fail with stack overflow when that would be
    /// negative (untraced: the caller traces). The entry function runs with the room it is
    /// given.
    pub(crate) fn prologue(&mut self, caller_room: Value) {
        if self.is_entry {
            self.frame_room = Some(caller_room);
            return;
        }
        let over = self.b.ins().icmp_imm_u(IntCC::Equal, caller_room, 0);
        self.overflow_branch(over, |s| {
            let e = s.iconst(ERROR);
            s.b.ins().return_(&[e]);
        });
        self.frame_room = Some(self.b.ins().iadd_imm_s(caller_room, -1));
    }

    /// Whether a call from this frame would overflow the depth limit (no room is left).
    pub(crate) fn call_would_overflow(&mut self) -> Value {
        let room = self.room();
        self.b.ins().icmp_imm_u(IntCC::Equal, room, 0)
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

    /// The error block's code, if anything branches to it: trace this frame and return
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
