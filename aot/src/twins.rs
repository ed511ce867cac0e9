//! *Loop twins*: a second copy of a loop's blocks for when locals that the loop never assigns
//! are known to hold a list, or an object of a known shape, from its start, when fields of
//! a shape it reads are known to hold numbers (`crate::field_numbers`), and when a list's
//! elements are known objects of a shape (`crate::list_elements`).
//!
//! A stretch's facts (`stretch.rs`) end at the next jump target, and a loop's head is one: so in
//! nbody's pair loop, `bi`'s object was checked again on every iteration (its tag, kind and
//! shape, about 14 instructions of 120), and the list `bodies` too, although neither local
//! changes in the loop. Here, before a version of a function body is lowered, each loop (a
//! backward `jump`, innermost first) gets a *twin* of each of its jump targets' blocks when it
//! has such locals: the one it reads most fields of (if the loop only contains instructions that
//! keep object layouts, `keeps_object_layouts`: no calls, no builtins but the inlined ones), and
//! up to two it reads the length of or indexes; and the shape whose fields it reads most as
//! numbers (`NumberSlots`, under the same condition, and when it stores only numbers into them);
//! and, under the first condition, the list whose elements it reads most fields of through a
//! local (`loop_element_shape`).
//! The stretch at a target is lowered once more into its twin, starting with those facts.
//!
//! A jump goes to a twin only where the jumping copy knows the facts (a shape is in
//! `Region::shaped`, which an assignment, a call or a builtin clears; a list local is in
//! `Region::list_locals`, which only an assignment clears; number slots are in `Region::numbers`,
//! which a store of anything else clears too; an element fact is in `Region::elements`, which an
//! assignment of its local, a call, a builtin or a `set_index` clears). Entering the loop from
//! outside, at its head, checks them, once per entry, and takes the twin or the plain blocks.
//! Inside the loop nothing is checked again: the plain blocks are where the facts did not hold on
//! entry (or stopped holding), and they cannot start to hold there (the locals are not assigned,
//! a kind never changes, an object's shape only ever goes to 0, a shape's record of non-numbers
//! only grows, and a loop with an element fact writes no list). The plain blocks do not fork on
//! shapes either (`stretch.rs`): they are the rare path, and compile time is the JIT's start-up.

use std::collections::{BTreeMap, HashMap, HashSet};

use cranelift_codegen::ir::{Block, BlockArg, InstBuilder, Value};
use cranelift_module::Module;
use ilusm_bytecode::Instr;

use crate::abi::{KIND_LIST, PTR};
use crate::field_numbers::NumberSlots;
use crate::list_elements::with_lost_bit;
use crate::lower::{FnLower, V};
use crate::stretch::Region;

/// The twin of one jump target's block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Twin {
    pub block: Block,
    /// A local whose object is known to have the shape at the twin's start.
    pub shaped: Option<(u16, u32)>,
    /// Locals known to hold lists at the twin's start.
    pub lists: [Option<u16>; MAX_LIST_LOCALS],
    /// Positions of a shape known to hold numbers in every object of it
    /// (`crate::field_numbers`).
    pub numbers: Option<NumberSlots>,
    /// A list local whose elements are known objects of a shape (`crate::list_elements`).
    pub elements: Option<(u16, u32)>,
    /// The pcs of the loop's head (the backward jump's target) and of that backward jump.
    pub head: u32,
    pub end: u32,
}

/// How many list locals one loop's twin may know.
const MAX_LIST_LOCALS: usize = 2;

impl Twin {
    fn list_locals(&self) -> impl Iterator<Item = u16> + '_ {
        self.lists.iter().flatten().copied()
    }
}

impl<M: Module> FnLower<'_, '_, M> {
    /// Find the loops of one version of a body (`instrs`, with `index_of` each pc's position)
    /// that get twins, and make the twins of their targets' blocks (`targets`).
    pub(crate) fn plan_twins(
        &mut self,
        instrs: &[(u32, Instr)],
        index_of: &HashMap<u32, usize>,
        targets: &HashMap<u32, Block>,
        known: &[Option<Vec<bool>>],
    ) {
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
        // Innermost first; a target gets at most one twin: an outer loop's twin has the targets
        // of its own stretches, and jumps into an inner loop's twin where it knows the inner
        // twin's facts (nbody's `bi = bodies[i]`, with the element fact of the outer loop, enters
        // the pair loop's twin with nothing to check). A loop whose head has a twin (of another
        // loop with that head) gets none.
        loops.sort_by_key(|&(head, end)| (end - head, head));
        for (head, end) in loops {
            let body = &instrs[head..=end];
            if self.twins.contains_key(&instrs[head].0) {
                continue;
            }
            let (shaped, elements) = if body.iter().all(|&(_, ins)| self.keeps_object_layouts(ins))
            {
                (self.twin_object_local(body), self.loop_element_shape(body))
            } else {
                (None, None)
            };
            let lists = twin_list_locals(body, &self.list_params);
            let numbers = self.loop_number_slots(body, &known[head..=end], targets);
            if shaped.is_none()
                && lists.iter().all(Option::is_none)
                && numbers.is_none()
                && elements.is_none()
            {
                continue;
            }
            for (pc, _) in body {
                let Some(&blk) = targets.get(pc).filter(|_| !self.twins.contains_key(pc)) else {
                    continue;
                };
                let block = self.b.create_block();
                for _ in 0..self.b.func.dfg.num_block_params(blk) {
                    self.b.append_block_param(block, V);
                }
                if shaped.is_some() {
                    // The shaped local's address (`jump_args`).
                    self.b.append_block_param(block, PTR);
                }
                let (head, end) = (instrs[head].0, instrs[end].0);
                let twin = Twin {
                    block,
                    shaped,
                    lists,
                    numbers,
                    elements,
                    head,
                    end,
                };
                self.twins.insert(*pc, twin);
            }
        }
    }

    /// The local a loop `body` reads fields of most often (`get_local l; get_field k` with a
    /// shape guess for `k`), among those it never assigns, and the shape.
    fn twin_object_local(&self, body: &[(u32, Instr)]) -> Option<(u16, u32)> {
        let assigned = assigned_locals(body);
        self.most_read_shape(body, |l, _| (!assigned.contains(&l)).then_some(l))
    }

    /// Count a loop `body`'s field reads through a local (`get_local l; get_field k` with a
    /// shape guess `shape` for `k`) per `(fact(l, shape), shape)`, skipping reads where `fact`
    /// gives `None`; the most counted, ties going to the lower local and shape, so that the code
    /// does not depend on a hash order.
    pub(crate) fn most_read_shape(
        &self,
        body: &[(u32, Instr)],
        fact: impl Fn(u16, u32) -> Option<u16>,
    ) -> Option<(u16, u32)> {
        let mut reads: BTreeMap<(u16, u32), usize> = BTreeMap::new();
        for pair in body.windows(2) {
            if let [(_, Instr::GetLocal(l)), (_, Instr::GetField(k))] = *pair {
                let Some((shape, _)) = self.shape_guess(k) else {
                    continue;
                };
                if let Some(f) = fact(l, shape) {
                    *reads.entry((f, shape)).or_default() += 1;
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

    /// Whether this copy knows every fact of twin `tw`.
    fn knows(&self, tw: &Twin) -> bool {
        self.knows_shape(tw)
            && self.knows_numbers(tw)
            && self.knows_elements(tw)
            && tw
                .list_locals()
                .all(|l| self.region.list_locals.contains(&l))
    }

    /// Whether this copy knows twin `tw`'s shape fact (or it has none).
    fn knows_shape(&self, tw: &Twin) -> bool {
        tw.shaped
            .is_none_or(|(l, shape)| self.region.shaped.get(&l) == Some(&shape))
    }

    /// Whether this copy knows twin `tw`'s number slots (or it has none).
    fn knows_numbers(&self, tw: &Twin) -> bool {
        tw.numbers
            .is_none_or(|n| self.region.numbers.is_some_and(|r| r.covers(&n)))
    }

    /// Whether this copy knows twin `tw`'s element fact (or it has none).
    fn knows_elements(&self, tw: &Twin) -> bool {
        tw.elements.is_none_or(|e| self.region.elements == Some(e))
    }

    /// The block a jump to target `t` goes to from the current copy: `t`'s twin where this copy
    /// knows the twin's facts, else `t`'s own block.
    pub(crate) fn target_block(&self, targets: &HashMap<u32, Block>, t: u32) -> Block {
        match self.twins.get(&t) {
            Some(tw) if self.knows(tw) => tw.block,
            _ => targets[&t],
        }
    }

    /// Jump to target `t` with the stack, from the instruction at `from` (or the one falling
    /// through to `t`). Entering a loop with twins at its head, check the facts this copy does
    /// not know, and take the twin where they hold (see the module docs).
    pub(crate) fn jump_to(&mut self, targets: &HashMap<u32, Block>, t: u32, from: u32) {
        let blk = self.target_block(targets, t);
        let args = self.jump_args(blk);
        // Only a jump into the loop's head from outside it, by a copy that does not know the
        // twin's facts (else `blk` is the twin already), checks anything.
        let entering = |tw: &Twin| t == tw.head && !(tw.head..=tw.end).contains(&from);
        let checked = self.twins.get(&t).copied();
        let Some(tw) = checked.filter(|tw| blk != tw.block && entering(tw)) else {
            self.b.ins().jump(blk, &args);
            return;
        };
        let other = self.b.create_block();
        if let Some((l, shape)) = tw.shaped.filter(|_| !self.knows_shape(&tw)) {
            let v = self.get_local(l);
            self.expect_shaped_object(v, shape, other);
        }
        let numbers = tw.numbers.filter(|_| !self.knows_numbers(&tw));
        let elements = tw.elements.filter(|_| !self.knows_elements(&tw));
        // Both checked here for one shape: its lost bit is tested with the number slots.
        let lost_with_numbers =
            matches!((numbers, elements), (Some(n), Some((_, s))) if n.shape == s);
        if let Some((l, shape)) = elements {
            let v = self.get_local(l);
            let list = self.list_params.contains(&l) || self.region.list_locals.contains(&l);
            self.expect_element_shape(v, shape, list, !lost_with_numbers, other);
        }
        // A list with an element shape is a list: its local is not checked again.
        for l in tw
            .list_locals()
            .filter(|&l| elements.is_none_or(|e| e.0 != l))
        {
            if !self.region.list_locals.contains(&l) {
                let v = self.get_local(l);
                self.expect_kind(v, KIND_LIST, other);
            }
        }
        if let Some(n) = numbers {
            let n = if lost_with_numbers {
                with_lost_bit(n)
            } else {
                n
            };
            self.expect_number_slots(n, other);
        }
        let into = self.jump_args(tw.block);
        self.b.ins().jump(tw.block, &into);
        self.enter(other);
        self.b.ins().jump(blk, &args);
    }

    /// The arguments of a jump to `target` from the current copy: the stack, and where `target`
    /// is a twin's block that knows a local's shape, that local's object's address (the jumping
    /// copy knows the shape too). A parameter, so that a loop entered from more than one place
    /// (nbody's pair loop, from both copies of the loop around it) has the address outside it,
    /// rather than the local's word, which it untagged again on every iteration.
    pub(crate) fn jump_args(&mut self, target: Block) -> Vec<BlockArg> {
        let mut args = self.block_args();
        let shaped = self
            .twins
            .values()
            .find(|tw| tw.block == target)
            .and_then(|tw| tw.shaped);
        if let Some((l, _)) = shaped {
            let addr = match self.region.addrs.get(&l) {
                Some(&addr) => addr,
                None => {
                    let v = self.get_local(l);
                    self.heap_addr(v)
                }
            };
            args.push(BlockArg::Value(addr));
        }
        args
    }

    /// The stack and the region a twin's copy of its stretch starts with, in its block.
    pub(crate) fn twin_start(&self, tw: &Twin) -> (Vec<Value>, Region) {
        let mut stack = self.b.block_params(tw.block).to_vec();
        let mut region = Region::default();
        if let Some((l, shape)) = tw.shaped {
            region.shaped.insert(l, shape);
            region.object_locals.insert(l);
            let addr = stack.pop().expect("a shaped twin's block has the address");
            region.addrs.insert(l, addr);
        }
        region.list_locals.extend(tw.list_locals());
        region.numbers = tw.numbers;
        region.elements = tw.elements;
        if let Some((l, _)) = tw.elements {
            // An element shape is 0 in every other kind.
            region.list_locals.insert(l);
        }
        (stack, region)
    }
}

/// The locals a loop `body` assigns.
pub(crate) fn assigned_locals(body: &[(u32, Instr)]) -> HashSet<u16> {
    body.iter()
        .filter_map(|(_, ins)| match ins {
            Instr::SetLocal(l) => Some(*l),
            _ => None,
        })
        .collect()
}

/// Up to `MAX_LIST_LOCALS` locals a loop `body` reads the length of (`get_local l; len`) or
/// indexes (`get_local l; get_local i; index`) most often, among those it never assigns
/// (ties: the lower local), and that are not `known` lists throughout the function already
/// (`FnLower::list_params`: their accesses check nothing, and a twin for them would only
/// check them again each time the loop is entered).
fn twin_list_locals(body: &[(u32, Instr)], known: &HashSet<u16>) -> [Option<u16>; MAX_LIST_LOCALS] {
    let mut excluded = assigned_locals(body);
    excluded.extend(known);
    let mut uses: BTreeMap<u16, usize> = BTreeMap::new();
    for (k, &(_, ins)) in body.iter().enumerate() {
        let Instr::GetLocal(l) = ins else { continue };
        let next = |d: usize| body.get(k + d).map(|&(_, i)| i);
        let list_use = matches!(next(1), Some(Instr::Len))
            || matches!(
                (next(1), next(2)),
                (Some(Instr::GetLocal(_)), Some(Instr::Index))
            );
        if list_use && !excluded.contains(&l) {
            *uses.entry(l).or_default() += 1;
        }
    }
    let mut by_use: Vec<(u16, usize)> = uses.into_iter().collect();
    // Stable: equal counts keep the lower local first.
    by_use.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    let mut lists = [None; MAX_LIST_LOCALS];
    for (slot, (l, _)) in lists.iter_mut().zip(by_use) {
        *slot = Some(l);
    }
    lists
}
