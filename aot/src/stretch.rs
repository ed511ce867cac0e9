//! Lowering one version of a function body, stretch by stretch, and *shape versions* of a
//! stretch.
//!
//! A stretch is the straight-line bytecode from a jump target (or the entry) to the next jump
//! target. Within one, everything lowered later is dominated by what was lowered earlier (every
//! instruction's fast and slow paths join again), which is what `Region`'s facts rely on.
//!
//! **Shape versions.** A field access checks its object's shape (`crate::shapes`) on its own,
//! because at its join with the path for objects of other shapes the fact that the shape matched
//! is lost. So at the first access through a local whose key has a shape guess, the stretch
//! *forks*: one compare of the object's shape, then the rest of the stretch is lowered twice, once
//! knowing that the local's object has that shape (its accesses of the shape's keys are a load
//! of the entries pointer and the access at a fixed offset, with no check and no slow path) and
//! once as before, for every other value. Both copies end by jumping to the next stretch's block
//! (or returning), so nothing after the stretch changes. A shaped copy may fork again for another
//! local (nbody's `bi` and `bj`), at most `MAX_FORKS` times; the general copy never forks, so a
//! stretch has at most `MAX_FORKS + 1` copies.
//!
//! The fact holds for the whole copy: the local is not assigned (that forgets it), and only
//! removing a key changes an object's shape, which takes a call or a builtin (they forget it:
//! `keeps_object_layouts`). Keys added by a `set_field` come after the shape's entries; the
//! entries pointer may move then, so a copy loads it at its first access and keeps it only until
//! a `set_field` that may append (`Region::shaped_entries`).

use std::collections::{HashMap, HashSet};

use cranelift_codegen::ir::{Block, InstBuilder, Value};
use cranelift_module::Module;
use ilusm_bytecode::Instr;

use crate::abi::NIL;
use crate::field_numbers::NumberSlots;
use crate::int_locals::IntClass;
use crate::lower::V;
use crate::lower::{is_comparison, FnLower};
use crate::numbers::{Facts, Int};

/// What the lowering knows within one straight-line stretch of bytecode (no jump target since
/// its start): everything lowered later in it is dominated by what was lowered earlier, as the
/// fast and slow paths of each instruction join again and errors leave the function.
#[derive(Clone, Default)]
pub(crate) struct Region {
    /// The local each value read by `get_local` here is the value of (while unassigned).
    pub local_of: HashMap<Value, u16>,
    /// Locals proven to hold objects by a field access that succeeded (`lower_access.rs`).
    pub object_locals: HashSet<u16>,
    /// Locals known to hold lists: only a loop twin's start says so (`twins.rs`), after a
    /// check on entry (a kind never changes, so only an assignment ends it).
    pub list_locals: HashSet<u16>,
    /// For (local, key constant): the address of the entry a `get_field` found the key at in
    /// the local's object, or 0 where it took the slow path (`lower_access.rs`). Forgotten at
    /// anything that could add or remove an object's keys (`keeps_object_layouts`).
    pub entries: HashMap<(u16, u32), Value>,
    /// Locals whose object was checked to have a shape (`stretch.rs`, `crate::shapes`), in this
    /// version of the stretch. Forgotten where `entries` are (only a removed key changes a
    /// shape, and removing keys takes a call or a builtin).
    pub shaped: HashMap<u16, u32>,
    /// For a local in `shaped`: its object's entries pointer, loaded at the first access. An
    /// appended key may move the entries (and keeps the shape), so it is forgotten where
    /// `entries` are and also where a `set_field` may have appended a key.
    pub shaped_entries: HashMap<u16, Value>,
    /// Positions of a shape that every object of that shape holds numbers at: only a loop
    /// twin's start says so, after a check on entry (`crate::field_numbers`). Forgotten where
    /// shapes are, and at a store of a value that is not known to be a number.
    pub numbers: Option<NumberSlots>,
    /// A list local whose elements are all objects of a shape: only a loop twin's start says
    /// so, after a check on entry (`crate::list_elements`). Forgotten where shapes are (which
    /// includes every store into a list: `set_index` does not keep object layouts).
    pub elements: Option<(u16, u32)>,
    /// Values known to be objects of a shape: elements read from `elements`' list. Forgotten
    /// where shapes are.
    pub shaped_values: HashMap<Value, u32>,
    /// For a local a loop twin knows the shape of: its object's address, the twin block's
    /// parameter (`twins.rs`, `jump_args`). Forgotten only when the local is assigned.
    pub addrs: HashMap<u16, Value>,
    /// A number's integer, where the lowering knows one (`lower_ints.rs`), with what it
    /// promises. Kept for the stretch: its integers were computed where they dominate the rest.
    pub ints: HashMap<Value, (Value, IntClass)>,
}

impl Region {
    /// Local `l` was assigned: what was known of its old value no longer says anything.
    pub fn assigned(&mut self, l: u16) {
        self.object_locals.remove(&l);
        self.list_locals.remove(&l);
        self.local_of.retain(|_, x| *x != l);
        self.entries.retain(|(x, _), _| *x != l);
        self.shaped.remove(&l);
        self.shaped_entries.remove(&l);
        self.addrs.remove(&l);
        if self.elements.is_some_and(|(x, _)| x == l) {
            self.elements = None;
        }
    }

    /// Something may have added or removed keys of any object: what is known of where entries
    /// are goes (shapes survive an added key; `drop_shapes` says whether they go too).
    pub fn entries_moved(&mut self, drop_shapes: bool) {
        self.entries.clear();
        self.shaped_entries.clear();
        if drop_shapes {
            self.shaped.clear();
            self.numbers = None;
            self.elements = None;
            self.shaped_values.clear();
        }
    }
}

/// How many times one copy of a stretch may fork for a shaped local.
const MAX_FORKS: u32 = 2;

/// What every copy of every stretch of one version reads.
struct Walk<'x> {
    instrs: &'x [(u32, Instr)],
    depths: &'x [Option<usize>],
    targets: HashMap<u32, Block>,
    numbers: Vec<Option<Vec<bool>>>,
    lists: Vec<Option<Vec<bool>>>,
    ints: Vec<Option<Vec<Int>>>,
}

impl<M: Module> FnLower<'_, '_, M> {
    /// Lower the body once, from the current block (after the entry code), with `facts` (from
    /// `crate::numbers`) saying which stack slots are known numbers before each instruction.
    pub(crate) fn lower_version(
        &mut self,
        instrs: &[(u32, Instr)],
        depths: &[Option<usize>],
        facts: Facts,
    ) {
        // One block per reachable jump target, with a parameter per stack entry.
        let index_of: HashMap<u32, usize> = instrs
            .iter()
            .enumerate()
            .map(|(i, (pc, _))| (*pc, i))
            .collect();
        let mut targets: HashMap<u32, Block> = HashMap::new();
        let bail = self.bail.take();
        for (i, (_, ins)) in instrs.iter().enumerate() {
            let Some(t) = ins.jump_target() else { continue };
            if depths[i].is_none() || targets.contains_key(&t) {
                continue;
            }
            if let Some((cut, blk)) = bail.filter(|&(cut, _)| t >= cut) {
                debug_assert!(
                    !index_of.contains_key(&cut),
                    "a base case ends before its cut"
                );
                targets.insert(t, blk);
                continue;
            }
            let Some(d) = index_of.get(&t).and_then(|&j| depths[j]) else {
                continue;
            };
            let blk = self.b.create_block();
            for _ in 0..d {
                self.b.append_block_param(blk, V);
            }
            targets.insert(t, blk);
        }
        // Each target is sealed once the stretch with the last jump to it (a loop's back edge
        // comes after it) has been lowered, all its copies: sealed early, a block's variables
        // need no speculative parameters, and the loops' invariant locals stay plain values
        // instead of block parameters.
        let mut seal_after: HashMap<u32, usize> = targets
            .keys()
            .filter_map(|t| Some((*t, *index_of.get(t)?)))
            .collect();
        for (i, (_, ins)) in instrs.iter().enumerate() {
            if let Some(last) = ins.jump_target().and_then(|t| seal_after.get_mut(&t)) {
                *last = (*last).max(i);
            }
        }
        // An inlined call lowers its callee's body with this function too: the caller's twins
        // wait (their pcs are the caller's) and come back after it.
        let outer_twins = std::mem::take(&mut self.twins);
        if !self.lean {
            self.plan_twins(instrs, &index_of, &targets, &facts.before);
        }
        let mut to_seal: Vec<(usize, Block)> = seal_after
            .iter()
            .map(|(t, &last)| (last, targets[t]))
            .chain(seal_after.iter().filter_map(|(t, &last)| {
                // A twin's jumps come from the same places as its original's, or fewer.
                self.twins.get(t).map(|tw| (last, tw.block))
            }))
            .collect();
        to_seal.sort_by_key(|&(last, blk)| std::cmp::Reverse((last, blk)));

        let walk = Walk {
            instrs,
            depths,
            targets,
            numbers: facts.before,
            lists: facts.lists,
            ints: facts.ints,
        };
        self.stack.clear();
        self.region = Default::default();
        let mut i = 0;
        while i < instrs.len() {
            while to_seal.last().is_some_and(|&(last, _)| last < i) {
                let (_, blk) = to_seal.pop().expect("checked");
                self.b.seal_block(blk);
            }
            // Every stretch but the first starts at a jump target (the copies of the one before
            // jumped there if they fall through). Sealed after its last jump (above).
            let live = match walk.targets.get(&instrs[i].0) {
                Some(&blk) => {
                    if i == 0 {
                        // The entry code falls into a loop that starts the body.
                        self.b.ins().jump(blk, &[]);
                    }
                    self.b.switch_to_block(blk);
                    self.stack = self.b.block_params(blk).to_vec();
                    self.region = Default::default();
                    true
                }
                None => i == 0,
            };
            let from = i;
            let twin = self.twins.get(&instrs[from].0).copied();
            // The plain blocks of a loop with a twin do not fork: control is there because the
            // twin's facts did not hold on entry (`twins.rs`), which is rare where the facts
            // were worth a twin. Forks there doubled the loop's code again: compile time, which
            // the JIT pays at start-up (nbody's: 222 M -> 201 M instructions).
            let forks = if twin.is_some() { 0 } else { MAX_FORKS };
            i = self.lower_stretch(&walk, from, live, forks);
            if let Some(tw) = twin {
                // The same stretch again in the target's twin (`twins.rs`).
                self.b.switch_to_block(tw.block);
                (self.stack, self.region) = self.twin_start(&tw);
                let end = self.lower_stretch(&walk, from, true, MAX_FORKS);
                debug_assert_eq!(end, i, "a twin's stretch ends where its original's does");
            }
        }
        for (_, blk) in to_seal {
            self.b.seal_block(blk);
        }
        self.twins = outer_twins;
    }

    /// Lower the instructions from index `from` up to the next jump target (or the end), in the
    /// current block with the current stack and region; `live`: control reaches `from`. Where
    /// control falls through to the next target, jump there with the stack. Returns the index
    /// where the stretch ends. `forks`: how many more times this copy may fork.
    fn lower_stretch(&mut self, w: &Walk, from: usize, mut live: bool, forks: u32) -> usize {
        let mut fused = false;
        let mut i = from;
        while i < w.instrs.len() {
            let (pc, ins) = w.instrs[i];
            if i > from && w.targets.contains_key(&pc) {
                break;
            }
            if std::mem::take(&mut fused) || !live || w.depths[i].is_none() {
                i += 1;
                continue;
            }
            debug_assert_eq!(w.depths[i], Some(self.stack.len()), "pc {pc}");
            self.known = w.numbers[i].clone().unwrap_or_default();
            self.known_lists = w.lists[i].clone().unwrap_or_default();
            self.known_ints = w.ints[i].clone().unwrap_or_default();
            // The facts cover the top slots at most (fewer after popping below those tracked).
            debug_assert!(
                self.known.len() <= self.stack.len().min(crate::numbers::TRACKED_SLOTS),
                "pc {pc}"
            );
            // Values the lowering found to be numbers (`FnLower::number_values`).
            let below = self.stack.len() - self.known.len();
            for (known, v) in self.known.iter_mut().zip(&self.stack[below..]) {
                *known |= self.number_values.contains(v);
            }
            self.pushes_operand = used_as_operand(w, i);
            if forks > 0 && !self.lean {
                if let Some((local, value, shape)) = self.fork_point(ins) {
                    let (stack, region) = (self.stack.clone(), self.region.clone());
                    let other = self.b.create_block();
                    self.b.set_cold_block(other);
                    self.expect_shaped_object(value, shape, other);
                    self.region.shaped.insert(local, shape);
                    self.region.object_locals.insert(local);
                    let end = self.lower_stretch(w, i, true, forks - 1);
                    // The same instruction again, in the copy for every other value.
                    (self.stack, self.region) = (stack, region);
                    self.enter(other);
                    let here = self.lower_stretch(w, i, true, 0);
                    debug_assert_eq!(end, here, "copies of a stretch end together");
                    return here;
                }
            }
            // A comparison feeding a conditional jump (that is not itself a jump target)
            // branches on the comparison directly.
            if let (true, Some(&(next_pc, next))) = (is_comparison(ins), w.instrs.get(i + 1)) {
                if let (Instr::JumpIf(t) | Instr::JumpIfNot(t), false) =
                    (next, w.targets.contains_key(&next_pc))
                {
                    let branch_if = matches!(next, Instr::JumpIf(_));
                    let target = self.target_block(&w.targets, t);
                    self.compare_branch(ins, pc, branch_if, target);
                    fused = true;
                    i += 1;
                    continue;
                }
            }
            live = self.lower_instr(pc, ins, &w.targets);
            if live {
                self.bound_live_stack();
            }
            i += 1;
        }
        if live {
            match w.instrs.get(i) {
                Some(&(pc, _)) => self.jump_to(&w.targets, pc, w.instrs[i - 1].0),
                None => {
                    // Verified code never falls off the end; keep the IR well formed anyway.
                    let nil = self.iconst(NIL);
                    self.lower_ret(nil);
                }
            }
        }
        i
    }

    /// Whether `ins` is a field access through a local, of a key with a shape guess, that this
    /// copy of the stretch has not checked yet: the local, its value and the shape.
    fn fork_point(&self, ins: Instr) -> Option<(u16, Value, u32)> {
        let (k, from_top) = match ins {
            Instr::GetField(k) => (k, 0),
            Instr::SetField(k) => (k, 1),
            _ => return None,
        };
        let value = self.stack[self.stack.len() - 1 - from_top];
        let local = *self.region.local_of.get(&value)?;
        let (shape, _) = self.shape_guess(k)?;
        (!self.region.shaped.contains_key(&local)).then_some((local, value, shape))
    }
}

/// How far [`used_as_operand`] looks ahead: an operand is used within a few instructions of its
/// push, and a bound keeps the search linear in a long list literal's pushes (each would
/// otherwise walk all the pushes after it to the `make_list`).
const OPERAND_LOOKAHEAD: usize = 32;

/// Whether the value instruction `i` pushes is next used, in the same stretch, as an operand of
/// arithmetic or of an order comparison (which check that it is a number).
fn used_as_operand(w: &Walk, i: usize) -> bool {
    operand_use(w.instrs, &w.targets, i).is_some_and(|(c, _)| {
        matches!(
            w.instrs[c].1,
            Instr::Add
                | Instr::Sub
                | Instr::Mul
                | Instr::Div
                | Instr::Mod
                | Instr::Neg
                | Instr::Lt
                | Instr::Le
                | Instr::Gt
                | Instr::Ge
        )
    })
}

/// The instruction that next uses the value instruction `i` of `instrs` pushes, in the same
/// stretch (`targets`: the jump targets): its index, and how many values are above that value
/// on the stack when it runs (0: the value is its top operand). Follows the stack effects of
/// the instructions after `i` until one pops the value; a jump or a jump target first ends the
/// search, and so does looking further than [`OPERAND_LOOKAHEAD`].
pub(crate) fn operand_use(
    instrs: &[(u32, Instr)],
    targets: &HashMap<u32, Block>,
    i: usize,
) -> Option<(usize, usize)> {
    // How many values are above the one `i` pushes.
    let mut above = 0;
    for (c, &(pc, ins)) in instrs
        .iter()
        .enumerate()
        .skip(i + 1)
        .take(OPERAND_LOOKAHEAD)
    {
        if targets.contains_key(&pc) || ins.jump_target().is_some() {
            return None;
        }
        let (pops, pushes) = ins.stack_effect();
        if pops > above {
            return Some((c, above));
        }
        above = above - pops + pushes;
    }
    None
}
