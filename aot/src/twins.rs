//! *Loop twins*: a second copy of a loop's blocks for when a local that the loop reads fields
//! of, and never assigns, holds an object of a known shape.
//!
//! A stretch's shape facts (`stretch.rs`) end at the next jump target, and a loop's head is one:
//! so in nbody's pair loop, `bi`'s object was checked again on every iteration (its tag, kind
//! and shape, about 14 instructions of 120), although `bi` does not change in the loop. Here,
//! before a version of a function body is lowered, each loop (a backward `jump`, innermost
//! first) that only contains instructions that keep object layouts (`keeps_object_layouts`:
//! no calls, no builtins but the inlined ones) gets, for its most-read such local, a *twin* of
//! each of its jump targets' blocks. The stretch at a target is lowered once more into its twin,
//! starting with the fact that the local's object has the shape.
//!
//! A jump goes to a twin only where the jumping copy knows the fact itself (it is in
//! `Region::shaped`, which an assignment, a call or a builtin clears), so entering a twin
//! never assumes more than the code before it checked. Entering the loop from outside (at its
//! head), where nothing is known yet, checks the local's shape once and takes the twin or the
//! plain blocks. In the plain blocks the stretch's own fork checks it again, and their back
//! edge then goes to the twin: the plain copy runs for at most one iteration of a shaped local.

use std::collections::{BTreeMap, HashMap, HashSet};

use cranelift_codegen::ir::{Block, InstBuilder};
use cranelift_module::Module;
use ilusm_bytecode::Instr;

use crate::lower::{FnLower, V};
use crate::stretch::Region;

/// The twin of one jump target's block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Twin {
    pub block: Block,
    /// The local whose object is known to have `shape` at the twin's start.
    pub local: u16,
    pub shape: u32,
    /// The pcs of the loop's head (the backward jump's target) and of that backward jump.
    pub head: u32,
    pub end: u32,
}

impl<M: Module> FnLower<'_, '_, M> {
    /// Find the loops of one version of a body (`instrs`, with `index_of` each pc's position)
    /// that get twins, and make the twins of their targets' blocks (`targets`).
    pub(crate) fn plan_twins(
        &mut self,
        instrs: &[(u32, Instr)],
        index_of: &HashMap<u32, usize>,
        targets: &HashMap<u32, Block>,
    ) {
        self.twins.clear();
        let mut loops: Vec<(usize, usize)> = instrs
            .iter()
            .enumerate()
            .filter_map(|(end, (_, ins))| match ins {
                Instr::Jump(t) => index_of
                    .get(t)
                    .filter(|&&head| head <= end && targets.contains_key(t))
                    .map(|&head| (head, end)),
                _ => None,
            })
            .collect();
        // Innermost first; a target gets at most one twin.
        loops.sort_by_key(|&(head, end)| (end - head, head));
        for (head, end) in loops {
            let body = &instrs[head..=end];
            if body.iter().any(|(pc, _)| self.twins.contains_key(pc))
                || !body.iter().all(|&(_, ins)| self.keeps_object_layouts(ins))
            {
                continue;
            }
            let Some((local, shape)) = self.twin_local(body) else {
                continue;
            };
            for (pc, _) in body {
                let Some(&blk) = targets.get(pc) else {
                    continue;
                };
                let block = self.b.create_block();
                for _ in 0..self.b.func.dfg.num_block_params(blk) {
                    self.b.append_block_param(block, V);
                }
                let (head, end) = (instrs[head].0, instrs[end].0);
                let twin = Twin {
                    block,
                    local,
                    shape,
                    head,
                    end,
                };
                self.twins.insert(*pc, twin);
            }
        }
    }

    /// The local a loop `body` reads fields of most often (`get_local l; get_field k` with a
    /// shape guess for `k`), among those it never assigns, and the shape. Ties go to the lower
    /// local and shape, so that the code does not depend on a hash order.
    fn twin_local(&self, body: &[(u32, Instr)]) -> Option<(u16, u32)> {
        let assigned: HashSet<u16> = body
            .iter()
            .filter_map(|(_, ins)| match ins {
                Instr::SetLocal(l) => Some(*l),
                _ => None,
            })
            .collect();
        let mut reads: BTreeMap<(u16, u32), usize> = BTreeMap::new();
        for pair in body.windows(2) {
            if let [(_, Instr::GetLocal(l)), (_, Instr::GetField(k))] = *pair {
                if let Some((shape, _)) = self.shape_guess(k) {
                    if !assigned.contains(&l) {
                        *reads.entry((l, shape)).or_default() += 1;
                    }
                }
            }
        }
        // `max_by_key` keeps the last maximum: iterate from the highest key down.
        reads
            .into_iter()
            .rev()
            .max_by_key(|&(_, n)| n)
            .map(|(key, _)| key)
    }

    /// The block a jump to target `t` goes to from the current copy: `t`'s twin where this copy
    /// knows the twin's fact, else `t`'s own block.
    pub(crate) fn target_block(&self, targets: &HashMap<u32, Block>, t: u32) -> Block {
        match self.twins.get(&t) {
            Some(tw) if self.region.shaped.get(&tw.local) == Some(&tw.shape) => tw.block,
            _ => targets[&t],
        }
    }

    /// Jump to target `t` with the stack, from the instruction at `from` (or the one falling
    /// through to `t`). Into a loop with twins from outside it, check the twins' local here
    /// (once per entry into the loop) when this copy does not know its shape.
    pub(crate) fn jump_to(&mut self, targets: &HashMap<u32, Block>, t: u32, from: u32) {
        let args = self.block_args();
        let blk = self.target_block(targets, t);
        match self.twins.get(&t).copied() {
            Some(tw) if blk != tw.block && t == tw.head && !(tw.head..=tw.end).contains(&from) => {
                let other = self.b.create_block();
                let v = self.get_local(tw.local);
                let addr = self.expect_object(v, other);
                self.expect_shape_at(addr, tw.shape, other);
                self.b.ins().jump(tw.block, &args);
                self.enter(other);
                self.b.ins().jump(blk, &args);
            }
            _ => {
                self.b.ins().jump(blk, &args);
            }
        }
    }

    /// The region a twin's copy of its stretch starts with.
    pub(crate) fn twin_region(tw: &Twin) -> Region {
        let mut region = Region::default();
        region.shaped.insert(tw.local, tw.shape);
        region.object_locals.insert(tw.local);
        region
    }
}
