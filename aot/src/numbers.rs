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
//! unknown. Facts only go from known to unknown while iterating, so the fixpoint is reached.

use std::collections::HashMap;

use ilusm_bytecode::{Constant, Instr};
use ilusm_runtime::builtins::id;

/// The known-ness of every stack slot (bottom first) and local at one point.
#[derive(Clone, PartialEq, Debug)]
struct State {
    stack: Vec<bool>,
    locals: Vec<bool>,
}

impl State {
    /// Meet `other` into `self` (known only if known on both); whether `self` changed.
    fn meet(&mut self, other: &State) -> bool {
        let mut changed = false;
        let pairs = self
            .stack
            .iter_mut()
            .zip(&other.stack)
            .chain(self.locals.iter_mut().zip(&other.locals));
        for (mine, theirs) in pairs {
            if *mine && !*theirs {
                *mine = false;
                changed = true;
            }
        }
        changed
    }

    fn pop(&mut self) -> bool {
        self.stack.pop().unwrap_or(false)
    }

    /// The state after `ins` falls through or jumps.
    fn step(&self, ins: Instr, constants: &[Constant]) -> State {
        let mut s = self.clone();
        match ins {
            Instr::Push(k) => {
                let num = matches!(constants.get(k as usize), Some(Constant::Num(_)));
                s.stack.push(num);
            }
            Instr::GetLocal(l) => {
                let known = s.locals.get(l as usize).copied().unwrap_or(false);
                s.stack.push(known);
            }
            Instr::SetLocal(l) => {
                let known = s.pop();
                if let Some(slot) = s.locals.get_mut(l as usize) {
                    *slot = known;
                }
            }
            Instr::Dup => {
                let top = s.stack.last().copied().unwrap_or(false);
                s.stack.push(top);
            }
            Instr::Add => {
                let b = s.pop();
                let a = s.pop();
                s.stack.push(a && b);
            }
            Instr::Sub | Instr::Mul | Instr::Div | Instr::Mod => {
                s.pop();
                s.pop();
                s.stack.push(true);
            }
            Instr::Neg | Instr::Len => {
                s.pop();
                s.stack.push(true);
            }
            Instr::CallBuiltin { builtin, argc: 1 }
                if matches!(builtin, id::LEN | id::FLR | id::SQRT | id::ABS) =>
            {
                s.pop();
                s.stack.push(true);
            }
            Instr::RangePrep => {
                // a b -> a b step, and it raised unless both bounds are numbers.
                let n = s.stack.len();
                for slot in s.stack.iter_mut().skip(n.saturating_sub(2)) {
                    *slot = true;
                }
                s.stack.push(true);
            }
            other => {
                let (pops, pushes) = other.stack_effect();
                for _ in 0..pops {
                    s.pop();
                }
                s.stack.extend(std::iter::repeat_n(false, pushes));
            }
        }
        s
    }
}

/// For each instruction (by index in `instrs`), which stack slots are known numbers before it
/// (bottom first); `None` for unreachable instructions. `num_locals` counts parameters too.
pub(crate) fn known_numbers(
    instrs: &[(u32, Instr)],
    num_locals: usize,
    constants: &[Constant],
) -> Vec<Option<Vec<bool>>> {
    let index_of: HashMap<u32, usize> = instrs
        .iter()
        .enumerate()
        .map(|(i, (pc, _))| (*pc, i))
        .collect();
    let mut before: Vec<Option<State>> = vec![None; instrs.len()];
    let entry = State {
        stack: Vec::new(),
        locals: vec![false; num_locals],
    };
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
        let after = before[i].as_ref().expect("just set").step(ins, constants);
        if let Some(&j) = ins.jump_target().and_then(|t| index_of.get(&t)) {
            work.push((j, after.clone()));
        }
        if !ins.opcode().is_terminator() {
            work.push((i + 1, after));
        }
    }
    before
        .into_iter()
        .map(|s| s.map(|s| s.stack))
        .collect()
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
        known_numbers(&instrs, locals, constants)
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
}
