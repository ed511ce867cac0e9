//! The VM's state: the operand stack, the frames and the global slots.

use ilusm_runtime::Value;

use crate::load::Program;

#[derive(Clone, Copy, Debug)]
pub(super) struct Frame {
    pub func: u32,
    /// For the running frame, stale; for callers, the instruction after
    /// their call (so `ip - 1` is the call instruction).
    pub ip: usize,
    /// Stack index of local slot 0.
    pub base: usize,
    /// Stack length to restore when this frame returns (drops the locals,
    /// and for `call` the callee value).
    pub ret_sp: usize,
    /// The closure being run (for `get_capture`), or nil for a plain function.
    pub closure: Value,
}

pub(crate) struct Vm<'p> {
    pub(super) prog: &'p Program,
    /// The operand stack. While a dispatch loop runs, its length is only
    /// current where the loop syncs it (see `Vm::run_loop`).
    pub(super) stack: Vec<Value>,
    pub(super) frames: Vec<Frame>,
    pub(super) globals: Vec<Value>,
    pub(super) max_depth: u64,
}
