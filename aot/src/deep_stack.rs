//! Deep operand stacks kept in memory.
//!
//! The lowering keeps the operand stack as SSA values, which is what lets a value stay in a
//! register from its push to its use. A literal of n elements is different: it pushes all n
//! before its `make_list` (or `make_object`, `concat`), so n values are live at once, across
//! every runtime call that builds an element (a nested list, an object). The register allocator's
//! work then grows with the square of n: 4,000 pairs `[[0, 1], [1, 2], ...]` took 2.2 s to
//! compile, 8,000 took 8.6 s.
//!
//! So in a function whose stack gets deeper than [`DEEP_STACK`], values far from the top are
//! stored to a stack slot with one word per stack position (the *area*) as soon as more than
//! [`DEEP_STACK`] values sit above the last stored one, and their place in `FnLower::stack`
//! holds the *marker*, a value that no instruction ever pushes. Only popping reads a position
//! back ([`FnLower::unmarked`]), so the stored values are dead in SSA after their store. An
//! argument vector that reaches into the stored part is taken from the area in place
//! ([`FnLower::pop_to_memory`]): a `make_list` of 20,000 values copies nothing. A jump loads
//! stored values back into block arguments. The stored positions are always the bottom of the
//! stack (pops only remove from the top), so a count says which they are.
//!
//! Inlined callees (`inline.rs`) lower their own short bodies with the caller's stack set
//! aside; nothing is stored while one is lowered, so the area holds only the caller's values.

use cranelift_codegen::ir::{InstBuilder, StackSlotData, StackSlotKind, Value};
use cranelift_module::Module;

use crate::lower::{FnLower, V};

/// How many values the lowering keeps in SSA above the stored part of the stack; past that it
/// stores all but the top half of them.
pub(crate) const DEEP_STACK: usize = 64;

/// An argument vector (of a literal, `print` or `concat`) longer than this is taken in place
/// from the area when the function has one ([`FnLower::pop_to_memory`]); only shorter ones can
/// go to the spill slot, which [`spilled_words`] sizes.
const IN_PLACE_ABOVE: usize = DEEP_STACK;

/// The most words of an `n`-word argument vector that [`FnLower::pop_to_memory`] puts in the
/// spill slot, in a function with an area (`deep`) or without one. Calls' arguments are not taken
/// in place (`call_*` spill them all).
pub(crate) fn spilled_words(deep: bool, n: usize) -> usize {
    if deep {
        n.min(IN_PLACE_ABOVE)
    } else {
        n
    }
}

/// The area of a function whose stack gets deep, its marker, and how many positions from the
/// bottom were stored (a hint: a stack replaced by block parameters holds no markers).
#[derive(Clone, Copy)]
pub(crate) struct DeepStack {
    area: cranelift_codegen::ir::StackSlot,
    marker: Value,
    stored: usize,
}

impl<M: Module> FnLower<'_, '_, M> {
    /// At entry: make the area if the stack may get deeper than [`DEEP_STACK`] (`max_depth`).
    pub(crate) fn prepare_deep_stack(&mut self, max_depth: usize) {
        if max_depth <= DEEP_STACK {
            return;
        }
        let size = u32::try_from(max_depth * 8).expect("a verified stack depth fits a frame");
        let data = StackSlotData::new(StackSlotKind::ExplicitSlot, size, 3);
        let area = self.b.create_sized_stack_slot(data);
        // Never used as an operand: it only stands for a stored position.
        let marker = self.b.ins().iconst(V, 0);
        self.deep = Some(DeepStack {
            area,
            marker,
            stored: 0,
        });
    }

    /// The value at stack position `at` that `v` stands for: `v` itself, or, for the marker,
    /// the word stored there.
    pub(crate) fn unmarked(&mut self, at: usize, v: Value) -> Value {
        match self.deep {
            Some(d) if v == d.marker => {
                self.b
                    .ins()
                    .stack_load(crate::abi::PTR, V, d.area, (at * 8) as i32)
            }
            _ => v,
        }
    }

    /// How many positions from the bottom hold the marker now (and the hint updated to it, so
    /// that a stack replaced by block parameters is walked down once, not at every instruction).
    fn stored_positions(&mut self) -> usize {
        let Some(d) = self.deep else { return 0 };
        let mut n = d.stored.min(self.stack.len());
        while n > 0 && self.stack[n - 1] != d.marker {
            n -= 1;
        }
        while n < self.stack.len() && self.stack[n] == d.marker {
            n += 1;
        }
        if let Some(d) = self.deep.as_mut() {
            d.stored = n;
        }
        n
    }

    /// Store positions `from..to` to the area and mark them (`from` is the stored count).
    fn store_positions(&mut self, from: usize, to: usize) {
        let Some(d) = self.deep else { return };
        for at in from..to {
            let v = self.stack[at];
            debug_assert_eq!(self.b.func.dfg.value_type(v), V, "the stack holds words");
            self.b
                .ins()
                .stack_store(crate::abi::PTR, v, d.area, (at * 8) as i32);
            self.stack[at] = d.marker;
        }
        if let Some(d) = self.deep.as_mut() {
            d.stored = to;
        }
    }

    /// After an instruction: store all but the top half of the values above the stored part,
    /// once there are more than [`DEEP_STACK`] of them.
    pub(crate) fn bound_live_stack(&mut self) {
        if self.deep.is_none() || self.return_to.is_some() {
            return;
        }
        let stored = self.stored_positions();
        if self.stack.len() - stored > DEEP_STACK {
            let keep = DEEP_STACK / 2;
            self.store_positions(stored, self.stack.len() - keep);
        }
    }

    /// Pop the top `n` values into memory, bottom first: the address of the `n` words. When some
    /// are stored already, or there are more than [`IN_PLACE_ABOVE`], they are all stored and
    /// used in place in the area; otherwise they go to the spill slot (inlined callees have no
    /// argument vectors: `inline::leaf_instr`).
    pub(crate) fn pop_to_memory(&mut self, n: usize) -> Value {
        let from = self.stack.len() - n;
        let stored = self.stored_positions();
        match self.deep {
            Some(d) if (from < stored || n > IN_PLACE_ABOVE) && self.return_to.is_none() => {
                self.store_positions(stored, self.stack.len());
                self.stack.truncate(from);
                if let Some(d) = self.deep.as_mut() {
                    d.stored = from;
                }
                self.b
                    .ins()
                    .stack_addr(crate::abi::PTR, d.area, (from * 8) as i32)
            }
            _ => {
                let vals = self.pop_n(n);
                self.spill(&vals)
            }
        }
    }
}
