//! Integer shadows in the lowering (`crate::int_locals` decides which locals have one and what
//! it promises): the shadow variables, and the map from a number's SSA value to its integer
//! that indexing, comparisons and `%` consult instead of converting the float.
//!
//! A value has an integer here when it was read from a shadowed local, is a constant integer
//! or a list's length, or is one of those plus one (or a range counter's guarded step). Only a
//! *known* number's integer is used (`crate::numbers`): a shadowed local that may hold
//! something else (nil before its first assignment) has a shadow that means nothing.

use cranelift_codegen::ir::{types, InstBuilder, Value};
use cranelift_frontend::Variable;
use cranelift_module::Module;
use ilusm_bytecode::Instr;

use crate::int_locals::{bounded_constant, int_locals, IntClass, IntLocals};
use crate::lower::FnLower;

/// The integer shadows of one body: what `crate::int_locals` found, and a variable for each
/// shadowed local.
#[derive(Default)]
pub(crate) struct Shadows {
    vars: Vec<Option<Variable>>,
    found: IntLocals,
}

impl<M: Module> FnLower<'_, '_, M> {
    /// Declare the shadows of the body `instrs` (with `num_locals` locals, `arity` parameters),
    /// each 0 at entry: a shadow is only read for a known number, which a `set_local` put
    /// there along with its shadow.
    pub(crate) fn declare_shadows(
        &mut self,
        instrs: &[(u32, Instr)],
        num_locals: usize,
        arity: u8,
    ) {
        let found = int_locals(instrs, num_locals, arity, &self.bc.constants);
        let zero = self.b.ins().iconst(types::I64, 0);
        let vars = found
            .shadowed
            .iter()
            .map(|&shadowed| {
                shadowed.then(|| {
                    let var = self.b.declare_var(types::I64);
                    self.b.def_var(var, zero);
                    var
                })
            })
            .collect();
        self.shadows = Shadows { vars, found };
    }

    /// `get_local l` at `pc` gave `v`: its integer is the local's shadow, if the value read
    /// has a class.
    pub(crate) fn read_shadow(&mut self, l: u16, v: Value, pc: u32) {
        let Some(&class) = self.shadows.found.reads.get(&pc) else {
            return;
        };
        if let Some(&Some(var)) = self.shadows.vars.get(l as usize) {
            let i = self.b.use_var(var);
            self.region.ints.insert(v, (i, class));
        }
    }

    /// `set_local l` of `v` at `pc`: the shadow becomes `v`'s integer, if the store is one of a
    /// web with a class. Where the lowering did not follow the integer (a value that came
    /// through a join), it is converted: such a store is of an integer
    /// (`crate::int_locals`), so the conversion is exact.
    pub(crate) fn write_shadow(&mut self, l: u16, v: Value, pc: u32) {
        if !self.shadows.found.writes.contains_key(&pc) {
            return;
        }
        let Some(&Some(var)) = self.shadows.vars.get(l as usize) else {
            return;
        };
        let i = match self.region.ints.get(&v) {
            Some(&(i, _)) => i,
            None => {
                let f = self.as_f64(v);
                self.b.ins().fcvt_to_sint_sat(types::I64, f)
            }
        };
        self.b.def_var(var, i);
    }

    /// The integer of the number constant `n` pushed as `v`, if it has one
    /// ([`bounded_constant`]).
    pub(crate) fn note_constant(&mut self, v: Value, n: f64) {
        if bounded_constant(n) {
            let i = self.b.ins().iconst(types::I64, n as i64);
            self.region.ints.insert(v, (i, IntClass::Bounded));
        }
    }

    /// `a + b` (two known numbers) at `pc` gave `r`: one plus a value with an integer is a
    /// counter's (the counter promise is closed under `+ 1`); a range counter's guarded step
    /// (`crate::int_locals`) stays exact.
    pub(crate) fn note_sum(&mut self, pc: u32, a: Value, b: Value, r: Value) {
        let (ia, ib) = (
            self.region.ints.get(&a).copied(),
            self.region.ints.get(&b).copied(),
        );
        let one = |s: &Self, v: Value| s.number_constant(v) == Some(1.0);
        let sum = match (ia, ib) {
            (Some((ia, _)), Some((ib, _))) if self.shadows.found.range_steps.contains(&pc) => {
                Some((self.b.ins().iadd(ia, ib), IntClass::Range))
            }
            (Some((ia, _)), _) if one(self, b) => {
                Some((self.b.ins().iadd_imm_s(ia, 1), IntClass::Counter))
            }
            (_, Some((ib, _))) if one(self, a) => {
                Some((self.b.ins().iadd_imm_s(ib, 1), IntClass::Counter))
            }
            _ => None,
        };
        if let Some(s) = sum {
            self.region.ints.insert(r, s);
        }
    }

    /// The integers of two known numbers `a` and `b` if comparing them gives the same answer
    /// as comparing the numbers ([`IntClass::comparable`]).
    pub(crate) fn comparable_ints(&self, a: Value, b: Value) -> Option<(Value, Value)> {
        let (ia, ca) = *self.region.ints.get(&a)?;
        let (ib, cb) = *self.region.ints.get(&b)?;
        IntClass::comparable(ca, cb).then_some((ia, ib))
    }

    /// The integer of the known number `v`, whatever its class (good for a list position).
    pub(crate) fn int_position(&self, v: Value) -> Option<Value> {
        self.region.ints.get(&v).map(|&(i, _)| i)
    }

    /// The integer of the known number `v` if it is exactly its value (good for `%`).
    pub(crate) fn exact_int(&self, v: Value) -> Option<Value> {
        self.region
            .ints
            .get(&v)
            .filter(|(_, c)| c.exact())
            .map(|&(i, _)| i)
    }
}
