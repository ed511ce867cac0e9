//! Which locals get an *integer shadow*: an `i64` variable kept next to the local's number,
//! so that indexing, comparisons and `%` use the integer instead of converting the float
//! (on x86_64 a conversion is three instructions: `cvttsd2si` and the overflow test that
//! saturation needs). The number stays the local's value; the shadow is only read where the
//! operand is a known number (`crate::numbers`), and is set by the local's stores of values
//! with a class (`lower_ints.rs`).
//!
//! The unit is a *web*: the stores of one local that reach a common read (the compiler reuses
//! a local's slot for variables of disjoint scopes). A web has a class when every value stored
//! in it is one of a few integer forms, found by the instructions just before its `set_local`
//! (none of them a jump target, so the stored value is theirs):
//! - a number constant that is an integer of magnitude below 2^53, not -0, or a `len` result:
//!   [`IntClass::Bounded`];
//! - a copy of a value with a class: that class;
//! - a range loop's counter and end, stored from `range_prep` together with its step (the
//!   *triple* the compiler emits), the counter only otherwise stepped right after the loop's
//!   test that it is not at its end: [`IntClass::Range`];
//! - `x + 1` with `x` a value with a class: [`IntClass::Counter`].
//!
//! What each class promises about the shadow `i` of a number `f` decides where the shadow may
//! stand in for the number (see [`IntClass`]).

use std::collections::{HashMap, HashSet};

use ilusm_bytecode::{Constant, Instr};
use ilusm_runtime::builtins::id;

/// What a local's shadow `i` says about its number `f`, weakest first. Every class holds the
/// counter promise: `i == f`, or both are at least 2^53. That is enough for a list position
/// (an index at or beyond 2^53 is out of range either way) and for comparing with a
/// [`IntClass::Bounded`] value (both sides of 2^53 agree), but not for `%` or for comparing two
/// counters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum IntClass {
    /// `i == f`, or both are at least 2^53: counting up by one from an exact value, `f` stops
    /// at 2^53 (2^53 + 1 rounds to it) while `i` goes on. Closed under `+ 1`.
    Counter,
    /// `i == f` (as numbers: `f` may be -0) and `|f| <= 2^53`: a range loop's counter or end.
    Range,
    /// `i == f` and `|f| < 2^53`: constants and lengths.
    Bounded,
}

impl IntClass {
    /// Whether comparing the shadows of two values of these classes gives the same answer as
    /// comparing the numbers: both exact, or a counter against a value below 2^53 (a counter
    /// past its exact range is at least 2^53 on both sides).
    pub(crate) fn comparable(a: IntClass, b: IntClass) -> bool {
        match (a.min(b), a.max(b)) {
            (IntClass::Counter, high) => high == IntClass::Bounded,
            _ => true,
        }
    }

    /// Whether the shadow is the number's integer value (for `%`).
    pub(crate) fn exact(self) -> bool {
        self >= IntClass::Range
    }
}

/// The integer shadows of one function: which reads and stores of locals have one, and the
/// `add`s that step a range counter.
#[derive(Default, Debug)]
pub(crate) struct IntLocals {
    /// Per local, whether it has a shadow (some of its webs has a class).
    pub shadowed: Vec<bool>,
    /// The class of the value each `get_local` (by pc) reads, where it has one.
    pub reads: HashMap<u32, IntClass>,
    /// The class of the value each `set_local` (by pc) stores, where its web has one: those
    /// stores set their local's shadow.
    pub writes: HashMap<u32, IntClass>,
    /// The pcs of the `add`s that step a range counter (their sum is a [`IntClass::Range`]).
    pub range_steps: HashSet<u32>,
}

/// Where one stored value comes from. Reads are named by their instruction's index.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// A constant or a length.
    Bounded,
    /// A copy of the value a `get_local` read.
    Copy(usize),
    /// The value a `get_local` read, plus one.
    Increment(usize),
    /// A store of the range triple after the `range_prep` at this index, in this role.
    Triple(usize, Role),
    /// A guarded range step (see [`source`]): the reads of the counter in the test and in the
    /// step, of the end in the test and of the step, and the `add`'s pc.
    RangeStep {
        counter: [usize; 2],
        end: usize,
        step: usize,
        add: u32,
    },
    /// An unassigned local's nil, before any store: not a number, so no shadow is read for
    /// it, and it says nothing.
    Nil,
    /// Anything else, including a parameter's value: no shadow.
    Other,
}

/// Which of a range triple's locals a store is of.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Step,
    End,
    Counter,
}

/// More bits of reaching definitions than this (instructions times stores) and a function gets
/// no shadows: the analysis would take too much memory for what a shadow saves there.
const MAX_REACHING_BITS: usize = 1 << 24;

/// The integer shadows of a function's body (`instrs`, decoded) with `num_locals` locals, the
/// first `arity` of them parameters.
///
/// The compiler reuses a local's slot for the variables of disjoint scopes (a second `<-` loop
/// reuses the first one's counter), so classes belong to *webs*, not locals: the stores of a
/// local that reach a common read, joined (reaching definitions, then union-find). A read's
/// class is its web's; a web's class is the meet of its stores' sources' classes.
pub(crate) fn int_locals(
    instrs: &[(u32, Instr)],
    num_locals: usize,
    arity: u8,
    constants: &[Constant],
) -> IntLocals {
    let Some(webs) = Webs::of(instrs, num_locals) else {
        return IntLocals::default();
    };
    let targets: HashSet<u32> = instrs.iter().filter_map(|(_, i)| i.jump_target()).collect();
    // Each definition's source: the stores', then each local's value at entry.
    let mut sources: Vec<Source> = webs
        .stores
        .iter()
        .map(|&k| source(instrs, k, &targets, constants))
        .collect();
    sources.extend((0..num_locals).map(|l| {
        if l < arity as usize {
            Source::Other
        } else {
            Source::Nil
        }
    }));
    let web = |def: usize| webs.root(def);
    let read_web = |k: usize| webs.read_web.get(&k).copied();
    // The webs of a range triple or step: counter, end, step.
    let triple_key = |prep: usize| {
        let def = |at: usize| webs.def_of_store.get(&at).map(|&d| web(d));
        Some((def(prep + 3)?, def(prep + 2)?, def(prep + 1)?))
    };
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for d in 0..sources.len() {
        members.entry(web(d)).or_default().push(d);
    }
    // A key is consistent when its webs hold only that triple's stores (and, for the counter,
    // guarded steps with the same webs): then the counter moves from its start toward the end
    // by the step, and stops there.
    let key_of = |d: usize| -> Option<((usize, usize, usize), Role)> {
        match sources[d] {
            Source::Triple(prep, role) => Some((triple_key(prep)?, role)),
            Source::RangeStep {
                counter, end, step, ..
            } => {
                let c = web(d);
                let same = counter.iter().all(|&r| read_web(r) == Some(c));
                same.then_some(((c, read_web(end)?, read_web(step)?), Role::Counter))
            }
            _ => None,
        }
    };
    let consistent = |key: (usize, usize, usize)| {
        let (c, e, s) = key;
        let distinct = c != e && e != s && c != s;
        distinct
            && [(c, Role::Counter), (e, Role::End), (s, Role::Step)]
                .into_iter()
                .all(|(w, role)| members[&w].iter().all(|&d| key_of(d) == Some((key, role))))
    };
    // Optimistic: every web starts as the strongest class and is lowered to the meet of its
    // sources until nothing changes (sources only ever lower, so this ends). Webs only copied
    // around in a cycle keep a class, but they never hold a number, and a shadow is only read
    // for a known number.
    let mut class: HashMap<usize, Option<IntClass>> = members
        .keys()
        .map(|&w| (w, Some(IntClass::Bounded)))
        .collect();
    let mut range_steps = HashSet::new();
    loop {
        let mut changed = false;
        for (&w, defs) in &members {
            let mut c = class[&w];
            for &d in defs {
                let of_read = |r: usize| read_web(r).and_then(|rw| class[&rw]);
                let from = match sources[d] {
                    Source::Bounded => Some(IntClass::Bounded),
                    Source::Nil => continue,
                    Source::Copy(r) => of_read(r),
                    Source::Increment(r) => of_read(r).map(|_| IntClass::Counter),
                    Source::Triple(..) | Source::RangeStep { .. } => match key_of(d) {
                        Some((key, role)) if consistent(key) => {
                            if let Source::RangeStep { add, .. } = sources[d] {
                                range_steps.insert(add);
                            }
                            Some(if role == Role::Step {
                                IntClass::Bounded
                            } else {
                                IntClass::Range
                            })
                        }
                        _ => None,
                    },
                    Source::Other => None,
                };
                c = c.min(from);
            }
            if c != class[&w] {
                class.insert(w, c);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut found = IntLocals {
        shadowed: vec![false; num_locals],
        range_steps,
        ..IntLocals::default()
    };
    for (d, &k) in webs.stores.iter().enumerate() {
        if let (Instr::SetLocal(l), Some(c)) = (instrs[k].1, class[&web(d)]) {
            found.writes.insert(instrs[k].0, c);
            found.shadowed[l as usize] = true;
        }
    }
    for (&k, &w) in &webs.read_web {
        if let Some(c) = class[&w] {
            found.reads.insert(instrs[k].0, c);
        }
    }
    found
}

/// The webs of a function's locals: its definitions (the stores, by instruction index, then
/// each local's value at entry) joined where they reach a common read.
struct Webs {
    /// The instruction index of each store, in order: definition `d` is `stores[d]`.
    stores: Vec<usize>,
    def_of_store: HashMap<usize, usize>,
    /// Union-find parents of the definitions.
    parent: Vec<usize>,
    /// The web (a root definition) each reachable `get_local` (by instruction index) reads.
    read_web: HashMap<usize, usize>,
}

impl Webs {
    fn of(instrs: &[(u32, Instr)], num_locals: usize) -> Option<Webs> {
        let stores: Vec<usize> = (0..instrs.len())
            .filter(|&k| matches!(instrs[k].1, Instr::SetLocal(l) if (l as usize) < num_locals))
            .collect();
        let defs = stores.len() + num_locals;
        if defs.saturating_mul(instrs.len()) > MAX_REACHING_BITS {
            return None;
        }
        let def_of_store: HashMap<usize, usize> =
            stores.iter().enumerate().map(|(d, &k)| (k, d)).collect();
        let local_of = |d: usize| match instrs.get(*stores.get(d)?)?.1 {
            Instr::SetLocal(l) => Some(l as usize),
            _ => None,
        };
        // The definitions of each local, as a mask.
        let words = defs.div_ceil(64);
        let mut of_local = vec![vec![0u64; words]; num_locals];
        for d in 0..defs {
            let l = local_of(d).unwrap_or_else(|| d - stores.len());
            of_local[l][d / 64] |= 1 << (d % 64);
        }
        let index_of: HashMap<u32, usize> = instrs
            .iter()
            .enumerate()
            .map(|(i, (pc, _))| (*pc, i))
            .collect();
        // Reaching definitions before each instruction, by a worklist to the fixpoint.
        let mut before: Vec<Option<Vec<u64>>> = vec![None; instrs.len()];
        let mut entry = vec![0u64; words];
        for d in stores.len()..defs {
            entry[d / 64] |= 1 << (d % 64);
        }
        let mut work = vec![(0usize, entry)];
        while let Some((k, incoming)) = work.pop() {
            let Some((_, ins)) = instrs.get(k) else {
                continue;
            };
            let first = before[k].is_none();
            let state = before[k].get_or_insert_with(|| vec![0; words]);
            let mut grew = first;
            for (mine, theirs) in state.iter_mut().zip(&incoming) {
                grew |= *theirs & !*mine != 0;
                *mine |= theirs;
            }
            if !grew {
                continue;
            }
            let mut after = state.clone();
            if let Instr::SetLocal(l) = ins {
                if let Some(mask) = of_local.get(*l as usize) {
                    for (a, m) in after.iter_mut().zip(mask) {
                        *a &= !m;
                    }
                    let d = def_of_store[&k];
                    after[d / 64] |= 1 << (d % 64);
                }
            }
            if let Some(&t) = ins.jump_target().and_then(|t| index_of.get(&t)) {
                work.push((t, after.clone()));
            }
            if !ins.opcode().is_terminator() {
                work.push((k + 1, after));
            }
        }
        let mut webs = Webs {
            stores,
            def_of_store,
            parent: (0..defs).collect(),
            read_web: HashMap::new(),
        };
        // Join each read's definitions.
        let mut reads = Vec::new();
        for (k, (_, ins)) in instrs.iter().enumerate() {
            let (Instr::GetLocal(l), Some(state)) = (ins, &before[k]) else {
                continue;
            };
            let Some(mask) = of_local.get(*l as usize) else {
                continue;
            };
            let reaching: Vec<usize> = (0..defs)
                .filter(|&d| state[d / 64] & mask[d / 64] & (1 << (d % 64)) != 0)
                .collect();
            for pair in reaching.windows(2) {
                webs.union(pair[0], pair[1]);
            }
            if let Some(&d) = reaching.first() {
                reads.push((k, d));
            }
        }
        // Every definition straight to its root, so that later lookups (many, in the class
        // fixpoint) take one step whatever the unions' chains were.
        for d in 0..defs {
            webs.parent[d] = webs.root(d);
        }
        for (k, d) in reads {
            webs.read_web.insert(k, webs.parent[d]);
        }
        Some(webs)
    }

    fn root(&self, mut d: usize) -> usize {
        while self.parent[d] != d {
            d = self.parent[d];
        }
        d
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent[ra] = rb;
        }
    }
}

/// Whether the number constant `n` has an [`IntClass::Bounded`] integer: an integer of
/// magnitude below 2^53, and not -0 (its integer 0 would lose the sign `%` takes).
pub(crate) fn bounded_constant(n: f64) -> bool {
    n.fract() == 0.0 && n.abs() < 9007199254740992.0 && n.to_bits() != (-0.0f64).to_bits()
}

/// The source of the value stored by the `set_local` at `instrs[k]`.
fn source(
    instrs: &[(u32, Instr)],
    k: usize,
    targets: &HashSet<u32>,
    constants: &[Constant],
) -> Source {
    // The `n` instructions before `k`, oldest first, if none of them but the first (and not
    // `k` itself) is a jump target: then control reaches `k` only through all of them.
    let before = |n: usize| -> Option<Vec<Instr>> {
        let from = k.checked_sub(n)?;
        let entered = instrs[from + 1..=k]
            .iter()
            .any(|(pc, _)| targets.contains(pc));
        (!entered).then(|| instrs[from..k].iter().map(|(_, i)| *i).collect())
    };
    let constant = |k: u32| match constants.get(k as usize) {
        Some(Constant::Num(n)) => Some(*n),
        _ => None,
    };
    let Instr::SetLocal(this) = instrs[k].1 else {
        return Source::Other;
    };
    // A range triple: `range_prep; set_local step; set_local end; set_local counter`, none of
    // the stores a jump target.
    for (n, role) in [(1, Role::Step), (2, Role::End), (3, Role::Counter)] {
        if k >= n && instrs[k - n].1 == Instr::RangePrep {
            let prep = k - n;
            let stores = instrs.get(prep + 1..prep + 4);
            let triple = stores.is_some_and(|st| {
                st.iter()
                    .all(|(pc, i)| matches!(i, Instr::SetLocal(_)) && !targets.contains(pc))
            });
            return if triple {
                Source::Triple(prep, role)
            } else {
                Source::Other
            };
        }
    }
    let Some(w) = before(1) else {
        return Source::Other;
    };
    match w[0] {
        Instr::Push(c) => match constant(c) {
            Some(n) if bounded_constant(n) => Source::Bounded,
            _ => Source::Other,
        },
        Instr::Len
        | Instr::CallBuiltin {
            builtin: id::LEN,
            argc: 1,
        } => Source::Bounded,
        Instr::GetLocal(_) => Source::Copy(k - 1),
        Instr::Add => {
            // `get_local x; push 1; add`.
            if let Some([Instr::GetLocal(_), Instr::Push(c), Instr::Add]) =
                before(3).as_deref().map(|w| [w[0], w[1], w[2]])
            {
                if constant(c) == Some(1.0) {
                    return Source::Increment(k - 3);
                }
            }
            // The guarded step `get_local c; get_local e; eq; jump_if exit; get_local c;
            // get_local s; add; set_local c`: it runs only when the counter is not at the end.
            match before(7).as_deref() {
                Some(
                    &[Instr::GetLocal(c), Instr::GetLocal(_), Instr::Eq, Instr::JumpIf(_), Instr::GetLocal(c2), Instr::GetLocal(_), Instr::Add],
                ) if c == this && c2 == this => Source::RangeStep {
                    counter: [k - 7, k - 3],
                    end: k - 6,
                    step: k - 2,
                    add: instrs[k - 1].0,
                },
                _ => Source::Other,
            }
        }
        _ => Source::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `code` with each instruction's index as its pc (jump targets are indices).
    fn numbered(code: &[Instr]) -> Vec<(u32, Instr)> {
        code.iter()
            .enumerate()
            .map(|(i, &ins)| (i as u32, ins))
            .collect()
    }

    /// What `int_locals` finds, and per local the class of all its stores (None if one of
    /// them has none, or there are none).
    fn analyse(code: &[Instr], locals: usize, arity: u8) -> (IntLocals, Vec<Option<IntClass>>) {
        let k = [
            Constant::Num(0.0),
            Constant::Num(1.0),
            Constant::Num(0.5),
            Constant::Num(-0.0),
            Constant::Num(9007199254740992.0),
        ];
        let found = int_locals(&numbered(code), locals, arity, &k);
        let per_local = (0..locals)
            .map(|l| {
                let stores: Vec<Option<IntClass>> = code
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| **i == SetLocal(l as u16))
                    .map(|(pc, _)| found.writes.get(&(pc as u32)).copied())
                    .collect();
                stores.iter().copied().min().flatten()
            })
            .collect();
        (found, per_local)
    }

    fn classes(code: &[Instr], locals: usize, arity: u8) -> Vec<Option<IntClass>> {
        analyse(code, locals, arity).1
    }

    use Instr::*;
    use IntClass::*;

    /// A range loop as the compiler emits it: l1..l4 = range_prep(k0, p0) (step l4, end l3,
    /// counter l2); the body copies the counter to l1; then the guarded step.
    const RANGE_LOOP: [Instr; 19] = [
        Push(0),
        GetLocal(0),
        RangePrep,
        SetLocal(4),
        SetLocal(3),
        SetLocal(2),
        GetLocal(2), // 6: the loop's head
        SetLocal(1),
        GetLocal(2),
        GetLocal(3),
        Eq,
        JumpIf(18),
        GetLocal(2),
        GetLocal(4),
        Add, // 14
        SetLocal(2),
        Jump(6),
        PushNil,
        Ret, // 18
    ];

    #[test]
    fn counters_constants_and_lengths() {
        // l1 = 0; l2 = len(p0); l3 = l1 (a copy of the 0: stores belong to webs, not to
        // locals); l1 = l1 + 1; l4 = l3 + 1; p0 = p0 + 1
        let code = [
            Push(0),
            SetLocal(1),
            GetLocal(0),
            Len,
            SetLocal(2),
            GetLocal(1),
            SetLocal(3),
            GetLocal(1),
            Push(1),
            Add,
            SetLocal(1),
            GetLocal(3),
            Push(1),
            Add,
            SetLocal(4),
            GetLocal(0),
            Push(1),
            Add,
            SetLocal(0),
            PushNil,
            Ret,
        ];
        assert_eq!(
            classes(&code, 5, 1),
            [
                None,
                Some(Counter),
                Some(Bounded),
                Some(Bounded),
                Some(Counter)
            ]
        );
    }

    #[test]
    fn fractions_minus_zero_large_constants_and_other_values_make_no_shadow() {
        for k in [2, 3, 4] {
            let code = [Push(k), SetLocal(0), PushNil, Ret];
            assert_eq!(classes(&code, 1, 0), [None], "constant k{k}");
        }
        // A product, and `x + 1` where x is a parameter (never shadowed).
        let code = [
            GetLocal(0),
            Push(1),
            Mul,
            SetLocal(1),
            GetLocal(0),
            Push(1),
            Add,
            SetLocal(2),
            PushNil,
            Ret,
        ];
        assert_eq!(classes(&code, 3, 1), [None, None, None]);
        // A step other than one.
        let code = [
            Push(0),
            SetLocal(0),
            GetLocal(0),
            Push(2),
            Add,
            SetLocal(0),
            PushNil,
            Ret,
        ];
        assert_eq!(classes(&code, 1, 0), [None]);
    }

    #[test]
    fn a_jump_target_inside_a_pattern_breaks_it() {
        // l0 = 0; then `get_local 0; push 1; add; set_local 0`, where a jump lands on the `add`
        // (with another value on the stack).
        let code = [
            Push(0),
            SetLocal(0),
            GetLocal(0),
            Push(1),
            Add, // 4
            SetLocal(0),
            Jump(4),
        ];
        assert_eq!(classes(&code, 1, 0), [None]);
    }

    #[test]
    fn a_range_loop_has_exact_counters() {
        let (found, per_local) = analyse(&RANGE_LOOP, 5, 1);
        assert_eq!(
            per_local,
            [None, Some(Range), Some(Range), Some(Range), Some(Bounded)]
        );
        assert_eq!(found.range_steps, HashSet::from([14]));
    }

    #[test]
    fn a_loop_in_a_function_without_locals_ends() {
        let code = [PushTrue, JumpIf(0), PushNil, Ret];
        assert!(classes(&code, 0, 0).is_empty());
    }

    #[test]
    fn a_reused_slot_has_a_class_per_web() {
        // The range loop, then its end's slot (l3) reused as a counter counting to p0, as the
        // compiler does for a second loop in the same function.
        let mut code = RANGE_LOOP[..17].to_vec();
        code[11] = JumpIf(17);
        code.extend([
            Push(0),
            SetLocal(3),
            GetLocal(3), // 19
            GetLocal(0),
            Lt,
            JumpIfNot(28),
            GetLocal(3),
            Push(1),
            Add,
            SetLocal(3),
            Jump(19),
            PushNil, // 28
            Ret,
        ]);
        let (found, per_local) = analyse(&code, 5, 1);
        assert_eq!(per_local[2], Some(Range), "the range's counter");
        assert_eq!(found.writes.get(&4), Some(&Range), "the range's end");
        assert_eq!(found.writes.get(&26), Some(&Counter), "the later counter");
        assert_eq!(found.reads.get(&9), Some(&Range));
        assert_eq!(found.reads.get(&23), Some(&Counter));
    }

    #[test]
    fn a_range_step_must_follow_the_test_against_its_own_end() {
        // The test compares another local with the end.
        let mut code = RANGE_LOOP;
        code[8] = GetLocal(1);
        assert_eq!(classes(&code, 5, 1)[2], None);
        // The test compares with the step's local instead of the end.
        let mut code = RANGE_LOOP;
        code[9] = GetLocal(4);
        assert_eq!(classes(&code, 5, 1)[2], None);
        // The test is `jump_if_not`: the step runs when the counter is at the end.
        let mut code = RANGE_LOOP;
        code[11] = JumpIfNot(18);
        assert_eq!(classes(&code, 5, 1)[2], None);
        // Something jumps to the step, past the test.
        let mut code = RANGE_LOOP;
        code[16] = Jump(12);
        let (found, per_local) = analyse(&code, 5, 1);
        assert_eq!(per_local[2], None);
        assert!(found.range_steps.is_empty());
        // Something jumps to the triple's store of the counter (with another value).
        let mut code = RANGE_LOOP;
        code[16] = Jump(5);
        assert_eq!(classes(&code, 5, 1)[2], None);
    }

    #[test]
    fn a_triple_local_stored_elsewhere_spoils_the_triple() {
        // The end is also assigned 0 in the body: the counter may then step past it.
        let mut code = RANGE_LOOP.to_vec();
        code.splice(7..8, [SetLocal(1), Push(0), SetLocal(3)]);
        for ins in &mut code {
            if let JumpIf(t) | Jump(t) = ins {
                *t += if *t > 7 { 2 } else { 0 };
            }
        }
        let (found, per_local) = analyse(&code, 5, 1);
        assert_eq!(per_local[2], None, "counter");
        assert!(found.range_steps.is_empty());
        // A range_prep storing one local twice: the step's local ends up holding the start,
        // which may be 2^53 (so it is no Bounded step), and the counter's local is never
        // stored before the loop.
        let mut code = RANGE_LOOP;
        code[5] = SetLocal(4);
        let per_local = classes(&code, 5, 1);
        assert_eq!((per_local[2], per_local[4]), (None, Some(Range)));
    }
}
