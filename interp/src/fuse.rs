//! Superinstructions: a peephole pass over a loaded function's [`Op`]s that
//! replaces common sequences by one op, so hot loops dispatch less
//! (`get_local a; push k; lt` is one op; `lt; jump_if_not t` another).
//!
//! The invariant that keeps this simple: a fused op at index `i` does
//! exactly what the original ops from `i` on would do, and the ops it
//! covers (`i + 1 ..`) stay in place, unchanged or themselves fused. So a
//! jump into the middle of a fused sequence runs the originals, and a fused
//! op whose operands are not both numbers takes its slow path by doing the
//! first steps itself and continuing at the covered op that does the
//! general case there (which also reports errors at that op's pc). Fusion
//! therefore never needs to know where jumps land.

use crate::load::Op;
use ilusm_runtime::{ops, RtResult, Value};

/// The binary operation a fused op performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bin {
    Add,
    Sub,
    Mul,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Bin {
    fn of(op: &Op) -> Option<Bin> {
        Some(match op {
            Op::Add => Bin::Add,
            Op::Sub => Bin::Sub,
            Op::Mul => Bin::Mul,
            Op::Mod => Bin::Mod,
            Op::Eq => Bin::Eq,
            Op::Ne => Bin::Ne,
            Op::Lt => Bin::Lt,
            Op::Le => Bin::Le,
            Op::Gt => Bin::Gt,
            Op::Ge => Bin::Ge,
            _ => return None,
        })
    }

    fn is_comparison(self) -> bool {
        matches!(
            self,
            Bin::Eq | Bin::Ne | Bin::Lt | Bin::Le | Bin::Gt | Bin::Ge
        )
    }
}

/// `a OP b` when both are numbers (and, for `%`, the divisor is not zero):
/// the same results as the unfused ops' fast paths. `None`: take the
/// general case.
#[inline(always)]
pub(crate) fn fast(op: Bin, a: Value, b: Value) -> Option<Value> {
    if !(a.is_number() && b.is_number()) {
        return None;
    }
    let (x, y) = (a.to_f64_unchecked(), b.to_f64_unchecked());
    Some(match op {
        Bin::Add => Value::from_f64(x + y),
        Bin::Sub => Value::from_f64(x - y),
        Bin::Mul => Value::from_f64(x * y),
        Bin::Mod if y != 0.0 => Value::from_f64(ops::fmod(x, y)),
        Bin::Mod => return None,
        Bin::Eq => Value::from_bool(x == y),
        Bin::Ne => Value::from_bool(x != y),
        Bin::Lt => Value::from_bool(x < y),
        Bin::Le => Value::from_bool(x <= y),
        Bin::Gt => Value::from_bool(x > y),
        Bin::Ge => Value::from_bool(x >= y),
    })
}

/// The general case of `a OP b`: the runtime's, as for the unfused op.
#[cold]
pub(crate) fn general(op: Bin, a: Value, b: Value) -> RtResult<Value> {
    match op {
        Bin::Eq => Ok(ops::eq(a, b)),
        Bin::Ne => Ok(ops::ne(a, b)),
        Bin::Lt => ops::lt(a, b),
        Bin::Le => ops::le(a, b),
        Bin::Gt => ops::gt(a, b),
        Bin::Ge => ops::ge(a, b),
        Bin::Add => ops::add(a, b),
        Bin::Sub => ops::sub(a, b),
        Bin::Mul => ops::mul(a, b),
        Bin::Mod => ops::rem(a, b),
    }
}

/// Fuse the ops of one function in place (see the module docs).
pub(crate) fn fuse(ops: &mut [Op]) {
    let original = ops.to_vec();
    let at = |i: usize| original.get(i).copied();
    let bin_at = |i: usize| original.get(i).and_then(Bin::of);
    for (i, slot) in ops.iter_mut().enumerate() {
        let fused = match (at(i), at(i + 1), bin_at(i + 2)) {
            // get_local a; get_local b; OP
            (Some(Op::GetLocal(a)), Some(Op::GetLocal(b)), Some(bin)) => {
                Some(Op::LocalLocal(bin, a, b))
            }
            // get_local a; push k; OP (k a number)
            (Some(Op::GetLocal(a)), Some(Op::Push(k)), Some(bin)) if k.is_number() => {
                Some(Op::LocalConst(bin, a, k))
            }
            // get_local a; set_local b
            (Some(Op::GetLocal(a)), Some(Op::SetLocal(b)), _) => Some(Op::MoveLocal(a, b)),
            // COMPARE; jump_if / jump_if_not
            _ => match (bin_at(i).filter(|b| b.is_comparison()), at(i + 1)) {
                (Some(bin), Some(Op::JumpIf(t))) => Some(Op::CompareJump(bin, true, t)),
                (Some(bin), Some(Op::JumpIfNot(t))) => Some(Op::CompareJump(bin, false, t)),
                _ => None,
            },
        };
        if let Some(f) = fused {
            *slot = f;
        }
    }
}
