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
//! The lowering also runs the analysis with some parameters *assumed* numbers (those used as
//! operands of arithmetic): it then emits two versions of the body, chosen by one check of those
//! parameters at entry (`lower.rs`).

use std::collections::{BTreeSet, HashMap};

use ilusm_bytecode::{Constant, Instr};
use ilusm_runtime::builtins::id;

/// One operand-stack slot: whether it is a known number, and the local it is an unchanged copy
/// of (`get_local`), if any, so that an operation that proves the slot a number also proves the
/// local one.
#[derive(Clone, Copy, PartialEq, Debug)]
struct Slot {
    known: bool,
    local: Option<u16>,
    /// Known to be a list (a list literal, or a local only ever assigned lists).
    list: bool,
}

const UNKNOWN: Slot = Slot {
    known: false,
    local: None,
    list: false,
};
const NUMBER: Slot = Slot {
    known: true,
    local: None,
    list: false,
};

/// The known-ness of every stack slot (bottom first) and local at one point.
#[derive(Clone, PartialEq, Debug)]
struct State {
    stack: Vec<Slot>,
    locals: Vec<bool>,
    lists: Vec<bool>,
}

impl State {
    /// Meet `other` into `self` (known only if known on both); whether `self` changed.
    fn meet(&mut self, other: &State) -> bool {
        let before = self.clone();
        for (mine, theirs) in self.stack.iter_mut().zip(&other.stack) {
            mine.known &= theirs.known;
            mine.list &= theirs.list;
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
        *self != before
    }

    fn pop(&mut self) -> Slot {
        self.stack.pop().unwrap_or(UNKNOWN)
    }

    /// `slot` was just proven a number (an operation that raises on anything else succeeded):
    /// so is the local it copies, and every other copy of that local on the stack.
    fn proven(&mut self, slot: Slot) {
        if let Some(l) = slot.local {
            if let Some(known) = self.locals.get_mut(l as usize) {
                *known = true;
            }
            for s in self.stack.iter_mut().filter(|s| s.local == Some(l)) {
                s.known = true;
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
            Instr::Index | Instr::SetIndex => {
                let depth = if ins == Instr::Index { 2 } else { 3 };
                let at = s.stack.len().saturating_sub(depth);
                list_operands.extend(s.stack.get(at).and_then(|x| x.local));
                let (pops, pushes) = ins.stack_effect();
                for _ in 0..pops {
                    s.pop();
                }
                s.stack.extend(std::iter::repeat_n(UNKNOWN, pushes));
            }
            Instr::Push(k) => {
                let num = matches!(constants.get(k as usize), Some(Constant::Num(_)));
                s.stack.push(if num { NUMBER } else { UNKNOWN });
            }
            Instr::GetLocal(l) => {
                let known = s.locals.get(l as usize).copied().unwrap_or(false);
                let list = s.lists.get(l as usize).copied().unwrap_or(false);
                s.stack.push(Slot {
                    known,
                    local: Some(l),
                    list,
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
                s.stack.push(Slot {
                    known: a.known && b.known,
                    ..UNKNOWN
                });
            }
            Instr::Sub | Instr::Mul | Instr::Div | Instr::Mod => {
                let b = s.pop();
                let a = s.pop();
                note(a);
                note(b);
                s.proven(a);
                s.proven(b);
                s.stack.push(NUMBER);
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
                s.stack.push(NUMBER);
            }
            Instr::Len => {
                s.pop();
                s.stack.push(NUMBER);
            }
            Instr::CallBuiltin {
                builtin: id::LEN,
                argc: 1,
            } => {
                s.pop();
                s.stack.push(NUMBER);
            }
            Instr::CallBuiltin {
                builtin: id::FLR | id::SQRT | id::ABS,
                argc: 1,
            } => {
                let a = s.pop();
                note(a);
                s.proven(a);
                s.stack.push(NUMBER);
            }
            Instr::CallDirect { func, argc } => {
                let at = s.stack.len().saturating_sub(argc as usize);
                let args = s.stack.split_off(at);
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
                // a b -> a b step, and it raised unless both bounds are numbers.
                let b = s.pop();
                let a = s.pop();
                s.proven(a);
                s.proven(b);
                for x in [a, b] {
                    s.stack.push(Slot {
                        known: true,
                        list: false,
                        ..x
                    });
                }
                s.stack.push(NUMBER);
            }
            other => {
                let (pops, pushes) = other.stack_effect();
                for _ in 0..pops {
                    s.pop();
                }
                s.stack.extend(std::iter::repeat_n(UNKNOWN, pushes));
            }
        }
        s
    }
}

/// What [`known_numbers`] found.
pub(crate) struct Facts {
    /// For each instruction (by index), which stack slots are known numbers before it (bottom
    /// first); `None` for unreachable instructions.
    pub before: Vec<Option<Vec<bool>>>,
    /// Likewise, which stack slots are known lists.
    pub lists: Vec<Option<Vec<bool>>>,
    /// The locals that some arithmetic or comparison takes as an operand (by `get_local`).
    pub operands: BTreeSet<u16>,
    /// The locals that `index` or `set_index` takes as the container.
    pub list_operands: BTreeSet<u16>,
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
    let slots = |f: fn(&Slot) -> bool| -> Vec<Option<Vec<bool>>> {
        before
            .iter()
            .map(|s| s.as_ref().map(|s| s.stack.iter().map(f).collect()))
            .collect()
    };
    Facts {
        before: slots(|x| x.known),
        lists: slots(|x| x.list),
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
mod tests {
    use super::*;

    fn facts(code: &[Instr], locals: usize, constants: &[Constant]) -> Vec<Option<Vec<bool>>> {
        let instrs: Vec<(u32, Instr)> = code
            .iter()
            .enumerate()
            .map(|(i, &ins)| (i as u32, ins))
            .collect();
        known_numbers(&instrs, locals, &[], constants, &[]).before
    }

    #[test]
    fn a_counter_loop_keeps_its_local_a_number() {
        // 0: i = 0; 2: whl i < p0 (param, unknown): 6: i = i + 1; 10: jump 2
        let k = [Constant::Num(0.0), Constant::Num(1.0)];
        let code = [
            Instr::Push(0),
            Instr::SetLocal(1),
            Instr::GetLocal(1),
            Instr::GetLocal(0),
            Instr::Lt,
            Instr::JumpIfNot(11),
            Instr::GetLocal(1),
            Instr::Push(1),
            Instr::Add,
            Instr::SetLocal(1),
            Instr::Jump(2),
            Instr::GetLocal(1),
            Instr::Ret,
        ];
        let f = facts(&code, 2, &k);
        assert_eq!(f[4], Some(vec![true, false]), "i known, the parameter not");
        assert_eq!(f[8], Some(vec![true, true]));
        assert_eq!(f[12], Some(vec![true]));
    }

    #[test]
    fn a_local_that_may_hold_a_string_is_unknown() {
        // x = 1; if p0: x = "s"; x + 1
        let k = [Constant::Num(1.0), Constant::Str("s".into())];
        let code = [
            Instr::Push(0),
            Instr::SetLocal(1),
            Instr::GetLocal(0),
            Instr::JumpIfNot(6),
            Instr::Push(1),
            Instr::SetLocal(1),
            Instr::GetLocal(1),
            Instr::Push(0),
            Instr::Add,
            Instr::Ret,
        ];
        let f = facts(&code, 2, &k);
        assert_eq!(f[8], Some(vec![false, true]));
        assert_eq!(f[9], Some(vec![false]), "unknown + number is unknown");
    }

    #[test]
    fn range_prep_proves_its_bounds_and_unreachable_code_has_no_facts() {
        let code = [
            Instr::GetLocal(0),
            Instr::GetLocal(0),
            Instr::RangePrep,
            Instr::Ret,
            Instr::PushNil,
        ];
        let f = facts(&code, 1, &[]);
        assert_eq!(f[2], Some(vec![false, false]));
        assert_eq!(f[3], Some(vec![true, true, true]));
        assert_eq!(f[4], None);
    }

    #[test]
    fn a_successful_sub_proves_the_locals_it_read() {
        // p0 - 1; then p0 + p1: p0 is known after the sub, p1 (never proven) is not. A copy of
        // p1 made before p1 is reassigned is not proven by proving p1's new value.
        let k = [Constant::Num(1.0)];
        let code = [
            Instr::GetLocal(0),
            Instr::Push(0),
            Instr::Sub,
            Instr::Pop,
            Instr::GetLocal(0),
            Instr::GetLocal(1),
            Instr::Push(0),
            Instr::SetLocal(1),
            Instr::GetLocal(1),
            Instr::Neg,
            Instr::Add,
            Instr::Ret,
        ];
        let instrs: Vec<(u32, Instr)> = code
            .iter()
            .enumerate()
            .map(|(i, &ins)| (i as u32, ins))
            .collect();
        let f = known_numbers(&instrs, 2, &[], &k, &[]);
        assert_eq!(f.before[5], Some(vec![true]));
        assert_eq!(f.before[9], Some(vec![true, false, true]));
        assert_eq!(
            f.before[10],
            Some(vec![true, false, true]),
            "the old copy stays unknown"
        );
        assert_eq!(f.operands, BTreeSet::from([0, 1]));
        let assumed = known_numbers(&instrs, 2, &[false, true], &k, &[]);
        assert_eq!(assumed.before[6], Some(vec![true, true]));
    }

    #[test]
    fn number_returns_follow_direct_calls_recursion_and_arguments() {
        let k = [Constant::Num(1.0)];
        let body = |code: &[Instr]| -> Vec<(u32, Instr)> {
            code.iter()
                .enumerate()
                .map(|(i, &ins)| (i as u32, ins))
                .collect()
        };
        let bodies = [
            // f0(x) = 1 / x
            body(&[Instr::Push(0), Instr::GetLocal(0), Instr::Div, Instr::Ret]),
            // f1(x) = x: whatever it was given
            body(&[Instr::GetLocal(0), Instr::Ret]),
            // f2(x) = f0(x) + f2(x): numbers by induction on the recursion
            body(&[
                Instr::GetLocal(0),
                Instr::CallDirect { func: 0, argc: 1 },
                Instr::GetLocal(0),
                Instr::CallDirect { func: 2, argc: 1 },
                Instr::Add,
                Instr::Ret,
            ]),
            // f3(x) = f1(x) + 1: f1 gives anything, so the sum need not be a number
            body(&[
                Instr::GetLocal(0),
                Instr::CallDirect { func: 1, argc: 1 },
                Instr::Push(0),
                Instr::Add,
                Instr::Ret,
            ]),
            // f4(x) = if x < 1: x | f4(x - 1) + x (fib's shape): numbers for a number x
            body(&[
                Instr::GetLocal(0),
                Instr::Push(0),
                Instr::Lt,
                Instr::JumpIfNot(6),
                Instr::GetLocal(0),
                Instr::Ret,
                Instr::GetLocal(0),
                Instr::Push(0),
                Instr::Sub,
                Instr::CallDirect { func: 4, argc: 1 },
                Instr::GetLocal(0),
                Instr::Add,
                Instr::Ret,
            ]),
        ];
        let returns = number_returns(&bodies, &[1, 1, 1, 1, 1], &[1, 1, 1, 1, 1], &k);
        use NumberReturn::*;
        assert_eq!(
            returns,
            vec![Always, Never, Always, Never, IfNumbers(vec![0])]
        );
    }
}
