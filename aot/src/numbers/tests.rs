//! Unit tests of the number-fact analysis on hand-written bytecode.

use super::*;

/// `code` with each instruction's index as its pc (jump targets are indices).
fn numbered(code: &[Instr]) -> Vec<(u32, Instr)> {
    code.iter()
        .enumerate()
        .map(|(i, &ins)| (i as u32, ins))
        .collect()
}

fn facts(code: &[Instr], locals: usize, constants: &[Constant]) -> Vec<Option<Vec<bool>>> {
    known_numbers(&numbered(code), locals, &[], constants, &[]).before
}

/// 0: l1 = k0; 2: whl l1 < p0: 6: l1 = l1 + k1; 10: jump 2; 11: (what follows)
const COUNTER_LOOP: [Instr; 11] = [
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
];

#[test]
fn a_counter_loop_keeps_its_local_a_number() {
    // 0: i = 0; 2: whl i < p0 (param, unknown): 6: i = i + 1; 10: jump 2
    let k = [Constant::Num(0.0), Constant::Num(1.0)];
    let code = [&COUNTER_LOOP[..], &[Instr::GetLocal(1), Instr::Ret]].concat();
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
    let instrs = numbered(&code);
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

fn ints(code: &[Instr], locals: usize, constants: &[Constant]) -> Vec<Option<Vec<Int>>> {
    known_numbers(&numbered(code), locals, &[], constants, &[]).ints
}

#[test]
fn counters_stepping_by_one_stay_safe_integers_and_by_two_only_whole() {
    // 0: i = 0; 2: whl i < p0: 6: i = i + STEP; 10: jump 2; 11: i % 7, i % 0, i / 2
    let with_step = |step: f64| {
        let k = [
            Constant::Num(0.0),
            Constant::Num(step),
            Constant::Num(7.0),
            Constant::Num(2.0),
        ];
        let tail = [
            Instr::GetLocal(1),
            Instr::Push(2),
            Instr::Mod,
            Instr::GetLocal(1),
            Instr::Push(0),
            Instr::Mod,
            Instr::GetLocal(1),
            Instr::Push(3),
            Instr::Div,
            Instr::Ret,
        ];
        ints(&[&COUNTER_LOOP[..], &tail].concat(), 2, &k)
    };
    use Int::*;
    let by_one = with_step(1.0);
    assert_eq!(by_one[4], Some(vec![Safe, No]), "i, the parameter");
    assert_eq!(by_one[8], Some(vec![Safe, Unit]));
    assert_eq!(by_one[13], Some(vec![Safe, Safe]), "i % 7");
    assert_eq!(by_one[16], Some(vec![Safe, Safe, Unit]), "i % 0 is next");
    assert_eq!(by_one[17], Some(vec![Safe, Whole]), "i % 0 may be NaN");
    assert_eq!(by_one[20], Some(vec![Safe, Whole, No]), "i / 2");
    let by_two = with_step(2.0);
    assert_eq!(by_two[4], Some(vec![Whole, No]));
    assert_eq!(by_two[14], Some(vec![Whole]), "i % 7 of a whole i");
    let by_half = with_step(0.5);
    assert_eq!(by_half[4], Some(vec![No, No]));
}

#[test]
fn range_prep_proves_safe_bounds_and_a_unit_step() {
    // p0..p1, then p0 * step, then len("") + floor(p1 * 0.5)
    let k = [Constant::Num(0.5), Constant::Str(String::new())];
    let flr = Instr::CallBuiltin {
        builtin: id::FLR,
        argc: 1,
    };
    let code = [
        Instr::GetLocal(0),
        Instr::GetLocal(1),
        Instr::RangePrep,
        Instr::Mul,
        Instr::Push(1),
        Instr::Len,
        Instr::GetLocal(1),
        Instr::Push(0),
        Instr::Mul,
        flr,
        Instr::Ret,
    ];
    use Int::*;
    let f = ints(&code, 2, &k);
    assert_eq!(f[2], Some(vec![No, No]));
    assert_eq!(f[3], Some(vec![Safe, Safe, Unit]));
    assert_eq!(f[4], Some(vec![Safe, Safe]), "safe times unit");
    assert_eq!(f[9], Some(vec![Safe, Safe, Safe, No]), "len; p1 * 0.5");
    assert_eq!(
        f[10],
        Some(vec![Safe, Safe, Safe, Whole]),
        "a floor is whole"
    );
}

#[test]
fn int_facts_of_constants() {
    use Int::*;
    let limit = 9007199254740992.0;
    assert_eq!(Int::of_constant(-1.0), Unit);
    assert_eq!(Int::of_constant(-0.0), Unit);
    assert_eq!(Int::of_constant(2.0), Safe);
    assert_eq!(Int::of_constant(-limit), Safe);
    assert_eq!(Int::of_constant(limit * 2.0), Whole);
    assert_eq!(Int::of_constant(f64::NEG_INFINITY), Whole);
    assert_eq!(Int::of_constant(f64::NAN), Whole);
    assert_eq!(Int::of_constant(2.5), No);
    assert_eq!(Int::add(Safe, Safe), Whole, "could exceed 2^53");
    assert_eq!(Int::mul(Unit, Unit), Unit);
    assert_eq!(Int::mul(Safe, No), No);
}

#[test]
fn number_returns_follow_direct_calls_recursion_and_arguments() {
    let k = [Constant::Num(1.0)];
    let bodies = [
        // f0(x) = 1 / x
        numbered(&[Instr::Push(0), Instr::GetLocal(0), Instr::Div, Instr::Ret]),
        // f1(x) = x: whatever it was given
        numbered(&[Instr::GetLocal(0), Instr::Ret]),
        // f2(x) = f0(x) + f2(x): numbers by induction on the recursion
        numbered(&[
            Instr::GetLocal(0),
            Instr::CallDirect { func: 0, argc: 1 },
            Instr::GetLocal(0),
            Instr::CallDirect { func: 2, argc: 1 },
            Instr::Add,
            Instr::Ret,
        ]),
        // f3(x) = f1(x) + 1: f1 gives anything, so the sum need not be a number
        numbered(&[
            Instr::GetLocal(0),
            Instr::CallDirect { func: 1, argc: 1 },
            Instr::Push(0),
            Instr::Add,
            Instr::Ret,
        ]),
        // f4(x) = if x < 1: x | f4(x - 1) + x (fib's shape): numbers for a number x
        numbered(&[
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

#[test]
fn number_locals_are_assigned_only_known_numbers() {
    // f(p0): l1 = 1; l2 = "s"; l2 = 2; l3 = p0; l1 = l1 + 1; (l4 never assigned)
    let k = [
        Constant::Num(1.0),
        Constant::Str("s".into()),
        Constant::Num(2.0),
    ];
    let code = [
        Instr::Push(0),
        Instr::SetLocal(1),
        Instr::Push(1),
        Instr::SetLocal(2),
        Instr::Push(2),
        Instr::SetLocal(2),
        Instr::GetLocal(0),
        Instr::SetLocal(3),
        Instr::GetLocal(1),
        Instr::Push(0),
        Instr::Add,
        Instr::SetLocal(1),
        Instr::Push(0),
        Instr::SetLocal(0),
        Instr::PushNil,
        Instr::Ret,
    ];
    let instrs = numbered(&code);
    let facts = known_numbers(&instrs, 5, &[], &k, &[]);
    assert_eq!(
        number_locals(&instrs, &facts, 5, 1, &[]),
        vec![false, true, false, false, false]
    );
    // Specialized for p0 a number: p0 (assigned only a number) and its copy l3 are too.
    let facts = known_numbers(&instrs, 5, &[true], &k, &[]);
    assert_eq!(
        number_locals(&instrs, &facts, 5, 1, &[0]),
        vec![true, true, false, true, false]
    );
}

#[test]
fn a_parameter_assigned_something_else_is_not_a_number_local() {
    // f(p0, p1), both speculated numbers: p0 = "s"; p1 = p1 * 2
    let k = [Constant::Str("s".into()), Constant::Num(2.0)];
    let code = [
        Instr::Push(0),
        Instr::SetLocal(0),
        Instr::GetLocal(1),
        Instr::Push(1),
        Instr::Mul,
        Instr::SetLocal(1),
        Instr::PushNil,
        Instr::Ret,
    ];
    let instrs = numbered(&code);
    let facts = known_numbers(&instrs, 2, &[true, true], &k, &[]);
    assert_eq!(
        number_locals(&instrs, &facts, 2, 2, &[0, 1]),
        vec![false, true]
    );
}

#[test]
fn a_join_of_stacks_tracked_to_different_depths_aligns_their_tops() {
    // 40 strings; if true: a list of 35 of them and a number | 7 numbers in their place;
    // then `add` the top two. Both ways leave 7 values, but the first tracks all 7 and the
    // second only 2 (it popped below the tracked slots): the second slot from the top is the
    // list on one way, so it is not known to be a number.
    let k = [Constant::Str("s".into()), Constant::Num(1.0)];
    let mut code = vec![Instr::Push(0); 40];
    code.push(Instr::PushTrue);
    let branch = code.len();
    code.push(Instr::JumpIf(0)); // patched below
    code.extend(std::iter::repeat_n(Instr::Pop, 40));
    code.extend(std::iter::repeat_n(Instr::Push(1), 7));
    let jump = code.len();
    code.push(Instr::Jump(0)); // patched below
    let other = code.len() as u32;
    code.push(Instr::MakeList(35));
    code.push(Instr::Push(1));
    let join = code.len() as u32;
    code.push(Instr::Add);
    code.push(Instr::Ret);
    code[branch] = Instr::JumpIf(other);
    code[jump] = Instr::Jump(join);
    let before = facts(&code, 0, &k);
    let at_add = before[join as usize].as_ref().expect("reachable");
    assert!(slot_from_top(at_add, 0), "the number on top");
    assert!(!slot_from_top(at_add, 1), "the list or a number");
}

/// The fact for the slot `k` places below the top (unknown where none is tracked).
fn slot_from_top(slots: &[bool], k: usize) -> bool {
    slots.len().checked_sub(k + 1).is_some_and(|i| slots[i])
}
