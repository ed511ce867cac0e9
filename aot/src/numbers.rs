//! Which operand-stack slots hold a number for certain, per instruction: a forward dataflow
//! analysis over one function's bytecode, so the lowering can drop the "both operands are
//! numbers" test (and the runtime call behind it) where it cannot fail.
//!
//! A slot or local is *known* when every path to the instruction put a number there: a number
//! constant, or the result of an operation that only ever produces numbers when it succeeds
//! (`sub` `mul` `div` `mod` `neg` `len`, the builtins `len` `flr` `sqrt` `abs` of one argument,
//! `add` of two known numbers, the step of `range_prep`,
//! which also proves both bounds numbers). Failure is not a path: an erroring instruction leaves
//! the function. Parameters, globals, call results and everything read from containers are
//! unknown. An operation that raises on anything but numbers (`sub` `mul` `div` `mod` `neg`,
//! `flr` `sqrt` `abs`, `range_prep`) also proves its operands numbers once it succeeds, and with
//! them the locals they were read from. Facts only go from known to unknown while iterating, so
//! the fixpoint is reached.
//!
//! A known number may also be known to be *whole* (no fractional part, or not finite), a *safe
//! integer* (an integer of magnitude at most 2^53: exact as an f64 and as an i64) or a *unit*
//! (-1, 0 or 1); see [`Int`]. Range counters and `i = i + 1` counters are safe integers, so list
//! positions and remainders computed from them need no integrality checks (`lower_access.rs`,
//! `lower_ops.rs`).
//!
//! The lowering also runs the analysis with some parameters *assumed* numbers (those used as
//! operands of arithmetic): it then emits two versions of the body, chosen by one check of those
//! parameters at entry (`lower.rs`).

use std::collections::{BTreeSet, HashMap};

use ilusm_bytecode::{Constant, Instr};
use ilusm_runtime::builtins::id;

/// What is known about a known number's value, weakest first (the meet of two facts is the
/// lesser). Each level holds on every path, so each is closed under the operations that make it
/// (see [`Int::add`] and friends).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Default)]
pub(crate) enum Int {
    /// Nothing beyond being a number (or not even that).
    #[default]
    No,
    /// No fractional part, or not finite (+-inf, NaN): what integer arithmetic can make of
    /// integers whatever their size. Converting one to an i64 with saturation is exact unless
    /// it is NaN or out of the i64 range.
    Whole,
    /// An integer of magnitude at most 2^53: converting it to an i64 is exact, and so is any
    /// `srem` of two of them.
    Safe,
    /// -1, 0 (either sign) or 1.
    Unit,
}

impl Int {
    /// 2^53: the largest magnitude of a safe integer.
    const SAFE_LIMIT: f64 = 9007199254740992.0;

    /// The fact about the number constant `k`.
    pub(crate) fn of_constant(k: f64) -> Int {
        if !k.is_finite() {
            Int::Whole
        } else if k.fract() != 0.0 {
            Int::No
        } else if k.abs() <= 1.0 {
            Int::Unit
        } else if k.abs() <= Int::SAFE_LIMIT {
            Int::Safe
        } else {
            Int::Whole
        }
    }

    /// `a + b` and `a - b` (two known numbers). A safe integer plus a unit is safe: the exact
    /// sum is at most 2^53 + 1 in magnitude, which rounds to 2^53 (a tie, to the even
    /// significand), so counters stepping by one stay safe.
    fn add(a: Int, b: Int) -> Int {
        match (a.min(b), a.max(b)) {
            (Int::Safe | Int::Unit, Int::Unit) => Int::Safe,
            (low, _) => low.min(Int::Whole),
        }
    }

    /// `a * b`: a unit times anything keeps its size.
    fn mul(a: Int, b: Int) -> Int {
        match (a.min(b), a.max(b)) {
            (low, Int::Unit) => low,
            (low, _) => low.min(Int::Whole),
        }
    }

    /// `a % b` when `b` is the slot of a nonzero constant (`nonzero`): then the remainder is at
    /// most both operands in magnitude; otherwise it may be NaN (a zero divisor).
    fn rem(a: Int, b: Int, nonzero: bool) -> Int {
        if nonzero && a >= Int::Safe {
            a.min(b)
        } else {
            a.min(b).min(Int::Whole)
        }
    }
}

/// One operand-stack slot: whether it is a known number, and the local it is an unchanged copy
/// of (`get_local`), if any, so that an operation that proves the slot a number also proves the
/// local one.
#[derive(Clone, Copy, PartialEq, Debug)]
struct Slot {
    known: bool,
    local: Option<u16>,
    /// Known to be a list (a list literal, or a local only ever assigned lists).
    list: bool,
    /// What is known about the number's value (`No` unless `known`).
    int: Int,
    /// A nonzero constant pushed by `push` (for the divisor of `mod`).
    nonzero: bool,
}

const UNKNOWN: Slot = Slot {
    known: false,
    local: None,
    list: false,
    int: Int::No,
    nonzero: false,
};
const NUMBER: Slot = Slot {
    known: true,
    ..UNKNOWN
};

/// A known number whose value is known to be `int`.
const fn number(int: Int) -> Slot {
    Slot { int, ..NUMBER }
}

/// How many stack slots, from the top, the analysis tracks; deeper ones are unknown. A value is
/// consumed close to the top, and the bound keeps the analysis linear where the stack grows
/// deep: a list literal of n elements pushes them all before its `make_list`, and a state per
/// instruction holding the whole stack took O(n^2) memory (20,000 elements: 12 s to compile).
pub(crate) const TRACKED_SLOTS: usize = 32;

/// The known-ness of the top stack slots (bottom first; at most [`TRACKED_SLOTS`]) and of every
/// local at one point.
#[derive(Clone, PartialEq, Debug)]
struct State {
    stack: Vec<Slot>,
    locals: Vec<bool>,
    lists: Vec<bool>,
    ints: Vec<Int>,
}

impl State {
    /// Meet `other` into `self` (known only if known on both); whether `self` changed.
    fn meet(&mut self, other: &State) -> bool {
        let before = self.clone();
        // The stacks are as deep on both sides (verified bytecode), but each tracks only its top
        // slots, and after popping below them a side tracks fewer: align the tops, and what
        // either side does not track is unknown.
        let n = self.stack.len().min(other.stack.len());
        self.stack.drain(..self.stack.len() - n);
        let theirs_top = &other.stack[other.stack.len() - n..];
        for (mine, theirs) in self.stack.iter_mut().zip(theirs_top) {
            mine.known &= theirs.known;
            mine.list &= theirs.list;
            mine.int = mine.int.min(theirs.int);
            mine.nonzero &= theirs.nonzero;
            if mine.local != theirs.local {
                mine.local = None;
            }
        }
        for (mine, theirs) in self.locals.iter_mut().zip(&other.locals) {
            *mine &= *theirs;
        }
        for (mine, theirs) in self.lists.iter_mut().zip(&other.lists) {
            *mine &= *theirs;
        }
        for (mine, theirs) in self.ints.iter_mut().zip(&other.ints) {
            *mine = (*mine).min(*theirs);
        }
        *self != before
    }

    fn pop(&mut self) -> Slot {
        self.stack.pop().unwrap_or(UNKNOWN)
    }

    /// Pop the top `n` slots, bottom first (unknown below the tracked ones).
    fn pop_n(&mut self, n: usize) -> Vec<Slot> {
        let at = self.stack.len().saturating_sub(n);
        let kept = self.stack.split_off(at);
        let mut slots = vec![UNKNOWN; n - kept.len()];
        slots.extend(kept);
        slots
    }

    /// `slot` was just proven a number (an operation that raises on anything else succeeded):
    /// so is the local it copies, and every other copy of that local on the stack.
    fn proven(&mut self, slot: Slot) {
        self.proven_int(slot, Int::No);
    }

    /// [`State::proven`], and the number is at least `int` (`range_prep` proves its bounds safe
    /// integers).
    fn proven_int(&mut self, slot: Slot, int: Int) {
        if let Some(l) = slot.local {
            if let Some(known) = self.locals.get_mut(l as usize) {
                *known = true;
            }
            if let Some(i) = self.ints.get_mut(l as usize) {
                *i = (*i).max(int);
            }
            for s in self.stack.iter_mut().filter(|s| s.local == Some(l)) {
                s.known = true;
                s.int = s.int.max(int);
            }
        }
    }

    /// The state after `ins` falls through or jumps. `operands` collects the locals whose
    /// copies are operands of arithmetic or comparisons, `list_operands` those indexed or stored
    /// into by position (candidates for speculation).
    fn step(
        &self,
        ins: Instr,
        constants: &[Constant],
        returns: &[NumberReturn],
        operands: &mut BTreeSet<u16>,
        list_operands: &mut BTreeSet<u16>,
    ) -> State {
        let mut s = self.clone();
        let mut note = |slot: Slot| operands.extend(slot.local);
        match ins {
            Instr::MakeList(n) => {
                for _ in 0..n {
                    s.pop();
                }
                s.stack.push(Slot {
                    list: true,
                    ..UNKNOWN
                });
            }
            Instr::IterPrep => {
                // What a `<-` loop walks: the list itself, or a new list (of a string's
                // characters, of an object's keys); anything else raised.
                s.pop();
                s.stack.push(Slot {
                    list: true,
                    ..UNKNOWN
                });
            }
            Instr::Index | Instr::SetIndex => {
                let (pops, pushes) = ins.stack_effect();
                let container = s.pop_n(pops)[0];
                list_operands.extend(container.local);
                s.stack.extend(std::iter::repeat_n(UNKNOWN, pushes));
            }
            Instr::Push(k) => s.stack.push(match constants.get(k as usize) {
                Some(&Constant::Num(x)) => Slot {
                    nonzero: x != 0.0,
                    ..number(Int::of_constant(x))
                },
                _ => UNKNOWN,
            }),
            Instr::GetLocal(l) => {
                let known = s.locals.get(l as usize).copied().unwrap_or(false);
                let list = s.lists.get(l as usize).copied().unwrap_or(false);
                let int = s.ints.get(l as usize).copied().unwrap_or_default();
                s.stack.push(Slot {
                    known,
                    local: Some(l),
                    list,
                    int,
                    nonzero: false,
                });
            }
            Instr::SetLocal(l) => {
                let v = s.pop();
                if let Some(slot) = s.locals.get_mut(l as usize) {
                    *slot = v.known;
                }
                if let Some(slot) = s.lists.get_mut(l as usize) {
                    *slot = v.list;
                }
                if let Some(slot) = s.ints.get_mut(l as usize) {
                    *slot = v.int;
                }
                // Copies of the old value are no longer copies of the local.
                for x in s.stack.iter_mut().filter(|x| x.local == Some(l)) {
                    x.local = None;
                }
            }
            Instr::Dup => {
                let top = s.stack.last().copied().unwrap_or(UNKNOWN);
                s.stack.push(top);
            }
            Instr::Add => {
                let b = s.pop();
                let a = s.pop();
                note(a);
                note(b);
                s.stack.push(match a.known && b.known {
                    true => number(Int::add(a.int, b.int)),
                    false => UNKNOWN,
                });
            }
            Instr::Sub | Instr::Mul | Instr::Div | Instr::Mod => {
                let b = s.pop();
                let a = s.pop();
                note(a);
                note(b);
                s.proven(a);
                s.proven(b);
                // Facts about values hold only for operands known before the operation (a
                // proven unknown operand was something not yet described).
                let (x, y) = (a.int, b.int);
                s.stack.push(number(match ins {
                    Instr::Sub => Int::add(x, y),
                    Instr::Mul => Int::mul(x, y),
                    Instr::Mod => Int::rem(x, y, b.nonzero),
                    _ => Int::No,
                }));
            }
            Instr::Lt | Instr::Le | Instr::Gt | Instr::Ge => {
                // Strings compare too: nothing is proven.
                let b = s.pop();
                let a = s.pop();
                note(a);
                note(b);
                s.stack.push(UNKNOWN);
            }
            Instr::Neg => {
                let a = s.pop();
                note(a);
                s.proven(a);
                s.stack.push(number(a.int));
            }
            Instr::Len
            | Instr::CallBuiltin {
                builtin: id::LEN,
                argc: 1,
            } => {
                s.pop();
                s.stack.push(number(Int::Safe));
            }
            Instr::CallBuiltin {
                builtin: builtin @ (id::FLR | id::SQRT | id::ABS),
                argc: 1,
            } => {
                let a = s.pop();
                note(a);
                s.proven(a);
                s.stack.push(number(match builtin {
                    // The floor of any number is whole, and of an integer that integer.
                    id::FLR => a.int.max(Int::Whole),
                    id::ABS => a.int,
                    _ => Int::No,
                }));
            }
            Instr::CallDirect { func, argc } => {
                let args = s.pop_n(argc as usize);
                let num = match returns.get(func as usize) {
                    Some(NumberReturn::Always) => true,
                    Some(NumberReturn::IfNumbers(params)) => params
                        .iter()
                        .all(|&p| args.get(p as usize).is_some_and(|a| a.known)),
                    _ => false,
                };
                s.stack.push(if num { NUMBER } else { UNKNOWN });
            }
            Instr::RangePrep => {
                // a b -> a b step, and it raised unless both bounds are integers of magnitude
                // at most 2^53; the step is 1 or -1.
                let b = s.pop();
                let a = s.pop();
                s.proven_int(a, Int::Safe);
                s.proven_int(b, Int::Safe);
                for x in [a, b] {
                    s.stack.push(Slot {
                        known: true,
                        list: false,
                        int: x.int.max(Int::Safe),
                        ..x
                    });
                }
                s.stack.push(number(Int::Unit));
            }
            other => {
                let (pops, pushes) = other.stack_effect();
                for _ in 0..pops {
                    s.pop();
                }
                s.stack.extend(std::iter::repeat_n(UNKNOWN, pushes));
            }
        }
        let excess = s.stack.len().saturating_sub(TRACKED_SLOTS);
        s.stack.drain(..excess);
        s
    }
}

/// What [`known_numbers`] found.
#[derive(Clone)]
pub(crate) struct Facts {
    /// For each instruction (by index), which of the top stack slots ([`TRACKED_SLOTS`]) are
    /// known numbers before it (bottom first); `None` for unreachable instructions.
    pub before: Vec<Option<Vec<bool>>>,
    /// Likewise, which stack slots are known lists.
    pub lists: Vec<Option<Vec<bool>>>,
    /// Likewise, what is known about the numbers' values.
    pub ints: Vec<Option<Vec<Int>>>,
    /// The locals that some arithmetic or comparison takes as an operand (by `get_local`).
    pub operands: BTreeSet<u16>,
    /// The locals that `index` or `set_index` takes as the container.
    pub list_operands: BTreeSet<u16>,
}

impl Facts {
    /// The facts of the instructions from index `start` on (for lowering only those).
    pub(crate) fn skip(mut self, start: usize) -> Facts {
        self.before.drain(..start);
        self.lists.drain(..start);
        self.ints.drain(..start);
        self
    }
}

/// Run the analysis over one function. `entry_known[l]` says local `l` is known to be a number
/// on entry (missing entries: not known); `num_locals` counts parameters too;
/// `returns[f]` says when a direct call of function `f` that succeeds gives a number
/// ([`number_returns`]).
pub(crate) fn known_numbers(
    instrs: &[(u32, Instr)],
    num_locals: usize,
    entry_known: &[bool],
    constants: &[Constant],
    returns: &[NumberReturn],
) -> Facts {
    known_facts(instrs, num_locals, entry_known, &[], constants, returns)
}

/// [`known_numbers`], with `entry_lists[l]` saying local `l` is known to be a list on entry.
pub(crate) fn known_facts(
    instrs: &[(u32, Instr)],
    num_locals: usize,
    entry_known: &[bool],
    entry_lists: &[bool],
    constants: &[Constant],
    returns: &[NumberReturn],
) -> Facts {
    let index_of: HashMap<u32, usize> = instrs
        .iter()
        .enumerate()
        .map(|(i, (pc, _))| (*pc, i))
        .collect();
    let mut before: Vec<Option<State>> = vec![None; instrs.len()];
    let entry = State {
        stack: Vec::new(),
        locals: (0..num_locals)
            .map(|l| entry_known.get(l).copied().unwrap_or(false))
            .collect(),
        lists: (0..num_locals)
            .map(|l| entry_lists.get(l).copied().unwrap_or(false))
            .collect(),
        ints: vec![Int::No; num_locals],
    };
    let mut operands = BTreeSet::new();
    let mut list_operands = BTreeSet::new();
    let mut work = vec![(0usize, entry)];
    while let Some((i, incoming)) = work.pop() {
        let Some(&(_, ins)) = instrs.get(i) else {
            continue;
        };
        match &mut before[i] {
            Some(s) => {
                if !s.meet(&incoming) {
                    continue;
                }
            }
            slot => *slot = Some(incoming),
        }
        let state = before[i].as_ref().expect("just set");
        let after = state.step(ins, constants, returns, &mut operands, &mut list_operands);
        if let Some(&j) = ins.jump_target().and_then(|t| index_of.get(&t)) {
            work.push((j, after.clone()));
        }
        if !ins.opcode().is_terminator() {
            work.push((i + 1, after));
        }
    }
    fn slots<T>(before: &[Option<State>], f: fn(&Slot) -> T) -> Vec<Option<Vec<T>>> {
        before
            .iter()
            .map(|s| s.as_ref().map(|s| s.stack.iter().map(f).collect()))
            .collect()
    }
    Facts {
        before: slots(&before, |x| x.known),
        lists: slots(&before, |x| x.list),
        ints: slots(&before, |x| x.int),
        operands,
        list_operands,
    }
}

/// When a direct call of a function that succeeds gives a number.
#[derive(Clone, PartialEq, Debug)]
pub(crate) enum NumberReturn {
    /// Whatever the arguments (`a(i, j) = 1 / (i + j)`).
    Always,
    /// When the arguments at these parameter positions are numbers (`fib(n)`, which returns `n`
    /// or a sum of its own results); they are the parameters its body uses as arithmetic
    /// operands ([`speculated_params`]).
    IfNumbers(Vec<u16>),
    Never,
}

/// The locals that only ever hold known numbers (by `facts`, the facts of `instrs`): the
/// lowering keeps them in float registers. Locals other than parameters (`arity`) must be
/// assigned, and only ever assigned numbers; parameters must be numbers on entry (the
/// `entry_numbers` a specialized body assumes) and assigned only numbers, if at all.
pub(crate) fn number_locals(
    instrs: &[(u32, Instr)],
    facts: &Facts,
    num_locals: usize,
    arity: u8,
    entry_numbers: &[u16],
) -> Vec<bool> {
    let mut assigned = vec![false; num_locals];
    let mut numbers = vec![true; num_locals];
    for ((_, ins), before) in instrs.iter().zip(&facts.before) {
        if let (Instr::SetLocal(l), Some(stack)) = (ins, before) {
            if let Some(a) = assigned.get_mut(*l as usize) {
                *a = true;
                numbers[*l as usize] &= stack.last().copied().unwrap_or(false);
            }
        }
    }
    (0..num_locals)
        .map(|l| {
            let on_entry = if l < arity as usize {
                entry_numbers.contains(&(l as u16))
            } else {
                assigned[l]
            };
            on_entry && numbers[l]
        })
        .collect()
}

/// The parameters of a function of arity `arity` that its body uses as operands of arithmetic
/// or comparisons (from [`Facts::operands`]): those the lowering speculates are numbers.
pub(crate) fn speculated_params(facts: &Facts, arity: u8) -> Vec<u16> {
    facts
        .operands
        .iter()
        .copied()
        .filter(|&l| l < arity as u16)
        .collect()
}

/// For every function (by index: `bodies[i]` its decoded code, `num_locals[i]` its locals and
/// parameters, `arity[i]` its parameters), when a direct call of it gives a number.
///
/// The greatest fixpoint: every function starts as `Always` and moves down (to `IfNumbers`, then
/// `Never`) when some `ret` of its body returns an unknown slot under the current assumptions,
/// until nothing changes. Assuming it of recursive calls is sound because a call that returns did
/// so after finitely many nested calls: by induction on that depth, each of them returned what
/// its fact says.
pub(crate) fn number_returns(
    bodies: &[Vec<(u32, Instr)>],
    num_locals: &[usize],
    arity: &[u8],
    constants: &[Constant],
) -> Vec<NumberReturn> {
    let all_rets_known = |body: &[(u32, Instr)], facts: &Facts| {
        body.iter()
            .zip(&facts.before)
            .all(|((_, ins), before)| match (ins, before) {
                (Instr::Ret, Some(stack)) => stack.last().copied().unwrap_or(false),
                // `halt` (only `<main>`) returns nil; unreachable code returns nothing.
                (Instr::Halt, Some(_)) => false,
                _ => true,
            })
    };
    let mut returns = vec![NumberReturn::Always; bodies.len()];
    loop {
        let mut changed = false;
        for (f, body) in bodies.iter().enumerate() {
            if returns[f] == NumberReturn::Never {
                continue;
            }
            let generic = known_numbers(body, num_locals[f], &[], constants, &returns);
            let now = if all_rets_known(body, &generic) {
                NumberReturn::Always
            } else {
                let params = speculated_params(&generic, arity[f]);
                let assumed: Vec<bool> = (0..num_locals[f] as u16)
                    .map(|l| params.contains(&l))
                    .collect();
                let facts = known_numbers(body, num_locals[f], &assumed, constants, &returns);
                if !params.is_empty() && all_rets_known(body, &facts) {
                    NumberReturn::IfNumbers(params)
                } else {
                    NumberReturn::Never
                }
            };
            if now != returns[f] {
                returns[f] = now;
                changed = true;
            }
        }
        if !changed {
            return returns;
        }
    }
}

#[cfg(test)]
mod tests;
