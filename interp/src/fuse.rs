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
    Div,
    Mod,
    /// `%` by the fused op's own constant, a nonzero integer of magnitude
    /// below 2^53 (made only by [`with_const_operand`], which checks that):
    /// the remainder without the divisor's checks.
    ModByConst,
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
            Op::Div => Bin::Div,
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

    fn is_arithmetic(self) -> bool {
        !self.is_comparison()
    }

    fn is_comparison(self) -> bool {
        matches!(
            self,
            Bin::Eq | Bin::Ne | Bin::Lt | Bin::Le | Bin::Gt | Bin::Ge
        )
    }
}

/// `a OP b` when both are numbers (and, for `/` and `%`, the divisor is not zero):
/// the same results as the unfused ops' fast paths. `None`: take the
/// general case.
#[inline(always)]
pub(crate) fn fast(op: Bin, a: Value, b: Value) -> Option<Value> {
    if !(a.is_number() && b.is_number()) {
        return None;
    }
    numbers(op, a.to_f64_unchecked(), b.to_f64_unchecked())
}

/// `a OP b` for a comparison OP when both are numbers, as a flag for a
/// fused conditional jump (no boolean value made and tested). `None`: take
/// the general case.
#[inline(always)]
pub(crate) fn test(op: Bin, a: Value, b: Value) -> Option<bool> {
    if !(a.is_number() && b.is_number()) {
        return None;
    }
    compare(op, a.to_f64_unchecked(), b.to_f64_unchecked())
}

/// `x OP2 (y OP1 z)` when all three are numbers and OP1 is arithmetic: what
/// `fast(op1, y, z)` then `fast(op2, x, _)` give, with one number check of
/// the operands and none of the intermediate result. Called with a constant
/// OP2 (`Bin::Add` in the `AccAdd` ops), its dispatch on OP2 folds away.
#[inline(always)]
pub(crate) fn fast2(op1: Bin, op2: Bin, x: Value, y: Value, z: Value) -> Option<Value> {
    if !(x.is_number() && y.is_number() && z.is_number()) {
        return None;
    }
    let r = arith(op1, y.to_f64_unchecked(), z.to_f64_unchecked())?;
    let x = x.to_f64_unchecked();
    numbers(op2, x, r)
}

/// `x OP y` for two numbers: `None` for `/` and `%` by zero.
#[inline(always)]
fn numbers(op: Bin, x: f64, y: f64) -> Option<Value> {
    match compare(op, x, y) {
        Some(flag) => Some(Value::from_bool(flag)),
        None => arith(op, x, y).map(Value::from_f64),
    }
}

/// `x OP y` for two numbers and a comparison `op`; `None` for an arithmetic
/// one.
#[inline(always)]
fn compare(op: Bin, x: f64, y: f64) -> Option<bool> {
    Some(match op {
        Bin::Eq => x == y,
        Bin::Ne => x != y,
        Bin::Lt => x < y,
        Bin::Le => x <= y,
        Bin::Gt => x > y,
        Bin::Ge => x >= y,
        _ => return None,
    })
}

/// `x OP y` for two numbers and an arithmetic `op`: `None` for a comparison,
/// and for `/` and `%` by zero.
#[inline(always)]
fn arith(op: Bin, x: f64, y: f64) -> Option<f64> {
    Some(match op {
        Bin::Add => x + y,
        Bin::Sub => x - y,
        Bin::Mul => x * y,
        Bin::Div if y != 0.0 => x / y,
        Bin::Mod if y != 0.0 => fmod(x, y),
        Bin::ModByConst => fmod_by_const(x, y),
        _ => return None,
    })
}

/// `ops::fmod(x, y)`, bit for bit (it is the fallback), with its integer
/// case inlined: operands already known to be below 2^53 in magnitude
/// convert without the saturating casts' NaN and range fix-ups, which were
/// a third of `loop`'s instructions.
#[inline(always)]
pub(crate) fn fmod(x: f64, y: f64) -> f64 {
    const EXACT: f64 = (1u64 << 53) as f64;
    if x.abs() < EXACT && y.abs() < EXACT {
        // SAFETY: both are finite and below 2^53 in magnitude, so they fit.
        let (xi, yi) = unsafe { (x.to_int_unchecked::<i64>(), y.to_int_unchecked::<i64>()) };
        if xi as f64 == x && yi as f64 == y && yi != 0 {
            return ((xi % yi) as f64).copysign(x);
        }
    }
    ops::fmod(x, y)
}

/// `fmod(x, k)` for a nonzero integer `k` of magnitude below 2^53 (the
/// `ModByConst` invariant), bit for bit, without an integer division: for an
/// integral `x` below 2^53 in magnitude, the rounded quotient `x / k` never
/// reaches the next integer towards infinity (its rounding error is at most
/// |x/k|·2^-53 < 1/|k|, and a non-integral quotient is at least 1/|k| from
/// an integer), so truncating it gives the exact integer quotient `q`; `q·k`
/// and `x - q·k` are integers below 2^53, so both are exact. The remainder is
/// 0 or has the dividend's sign, and fmod's zero has that sign too (`-4 % 2`
/// is -0), so or-ing in the dividend's sign bit is its sign. This replaced
/// an unsigned integer division with the divisor's conversion and both
/// operands' absolute values: 3 instructions fewer per iteration of
/// `s = s + i % 7` (callgrind), and no integer division.
#[inline(always)]
fn fmod_by_const(x: f64, k: f64) -> f64 {
    const EXACT: f64 = (1u64 << 53) as f64;
    const SIGN: u64 = 1 << 63;
    debug_assert!(k != 0.0 && k.fract() == 0.0 && k.abs() < EXACT);
    if x.abs() < EXACT {
        // SAFETY: x is finite and below 2^53 in magnitude, so it fits.
        let xi = unsafe { x.to_int_unchecked::<i64>() };
        if xi as f64 == x {
            // SAFETY: |x / k| <= |x| < 2^53 (|k| >= 1), so it fits.
            let q = unsafe { (x / k).to_int_unchecked::<i64>() } as f64;
            let r = x - q * k;
            return f64::from_bits(r.to_bits() | (x.to_bits() & SIGN));
        }
    }
    ops::fmod(x, k)
}

/// A fused op's `bin`, whose right operand is the op's constant `k`, for
/// that constant: `%` by a nonzero integer of magnitude below 2^53 is
/// [`Bin::ModByConst`].
fn by_const(bin: Bin, k: Value) -> Bin {
    const EXACT: f64 = (1u64 << 53) as f64;
    let usable = |k: f64| k != 0.0 && k.fract() == 0.0 && k.abs() < EXACT;
    match (bin, k.as_f64()) {
        (Bin::Mod, Some(k)) if usable(k) => Bin::ModByConst,
        _ => bin,
    }
}

/// `op` with the operator applied to its constant operand specialized for
/// that constant ([`by_const`]); the only maker of `ModByConst`.
fn with_const_operand(op: Op) -> Op {
    use Op::*;
    match op {
        LocalConst(bin, a, k) => LocalConst(by_const(bin, k), a, k),
        LocalConstSet(bin, a, d, k) => LocalConstSet(by_const(bin, k), a, d, k),
        LocalConstBinSet(op1, op2, b, d, k) => LocalConstBinSet(by_const(op1, k), op2, b, d, k),
        TopConst(bin, k) => TopConst(by_const(bin, k), k),
        TopConstBin(op1, op2, k) => TopConstBin(by_const(op1, k), op2, k),
        AccLocalConst(op1, op2, s, b, k) => AccLocalConst(by_const(op1, k), op2, s, b, k),
        AccAddLocalConst(op1, s, b, k) => AccAddLocalConst(by_const(op1, k), s, b, k),
        LocalConstSetJump(bin, a, d, t, k) => LocalConstSetJump(by_const(bin, k), a, d, t, k),
        LocalConstCall(bin, a, f, k) => LocalConstCall(by_const(bin, k), a, f, k),
        other => other,
    }
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
        Bin::Div => ops::div(a, b),
        Bin::Mod | Bin::ModByConst => ops::rem(a, b),
    }
}

/// Fuse the ops of one function in place (see the module docs). Longer
/// patterns are tried first; every op keeps its original index.
pub(crate) fn fuse(ops: &mut [Op]) {
    let original = ops.to_vec();
    let at = |i: usize| original.get(i).copied();
    let bin_at = |i: usize| original.get(i).and_then(Bin::of);
    let cmp_at = |i: usize| bin_at(i).filter(|b| b.is_comparison());
    // The first op of a fused pair (`fast2`) must be arithmetic.
    let arith_at = |i: usize| bin_at(i).filter(|b| b.is_arithmetic());
    // `jump_if t` / `jump_if_not t` at i: (the jump's sense, t).
    let cond_jump_at = |i: usize| match at(i) {
        Some(Op::JumpIf(t)) => Some((true, t)),
        Some(Op::JumpIfNot(t)) => Some((false, t)),
        _ => None,
    };
    let set_local_at = |i: usize| match at(i) {
        Some(Op::SetLocal(d)) => Some(d),
        _ => None,
    };
    for (i, slot) in ops.iter_mut().enumerate() {
        let fused = match (at(i), at(i + 1)) {
            _ if fuse_long(&original, i).is_some() => fuse_long(&original, i),
            (Some(Op::GetLocal(b)), Some(Op::GetLocal(c)))
                if arith_at(i + 2).is_some()
                    && bin_at(i + 3).is_some()
                    && set_local_at(i + 4).is_some() =>
            {
                let (op1, op2) = (
                    bin_at(i + 2).unwrap_or(Bin::Add),
                    bin_at(i + 3).unwrap_or(Bin::Add),
                );
                set_local_at(i + 4).map(|d| Op::LocalLocalBinSet(op1, op2, b, c, d))
            }
            (Some(Op::GetLocal(b)), Some(Op::Push(k)))
                if k.is_number()
                    && arith_at(i + 2).is_some()
                    && bin_at(i + 3).is_some()
                    && set_local_at(i + 4).is_some() =>
            {
                let (op1, op2) = (
                    bin_at(i + 2).unwrap_or(Bin::Add),
                    bin_at(i + 3).unwrap_or(Bin::Add),
                );
                set_local_at(i + 4).map(|d| Op::LocalConstBinSet(op1, op2, b, d, k))
            }
            (Some(Op::GetLocal(b)), Some(Op::GetLocal(c)))
                if arith_at(i + 2).is_some() && bin_at(i + 3).is_some() =>
            {
                let (op1, op2) = (
                    bin_at(i + 2).unwrap_or(Bin::Add),
                    bin_at(i + 3).unwrap_or(Bin::Add),
                );
                Some(Op::TopLocalLocal(op1, op2, b, c))
            }
            (Some(Op::GetLocal(a)), Some(Op::GetLocal(b))) => {
                if let (Some(bin), Some((when, t))) = (cmp_at(i + 2), cond_jump_at(i + 3)) {
                    // get_local a; get_local b; COMPARE; jump_if(_not) t
                    Some(Op::LocalLocalJump(bin, when, a, b, t))
                } else if let (Some(bin), Some(d)) = (bin_at(i + 2), set_local_at(i + 3)) {
                    // get_local a; get_local b; OP; set_local d
                    Some(Op::LocalLocalSet(bin, a, b, d))
                } else if let Some(bin) = bin_at(i + 2) {
                    // get_local a; get_local b; OP
                    Some(Op::LocalLocal(bin, a, b))
                } else {
                    match (at(i + 2), at(i + 3)) {
                        (Some(Op::Index), _) => Some(Op::IndexLocals(a, b)),
                        (Some(Op::GetLocal(c)), Some(Op::SetIndex)) => {
                            Some(Op::SetIndexLocals(a, b, c))
                        }
                        (Some(Op::Push(k)), Some(Op::SetIndex)) => {
                            Some(Op::SetIndexLocalsConst(a, b, k))
                        }
                        _ => None,
                    }
                }
            }
            // get_local a; push k; ... with a number k
            (Some(Op::GetLocal(a)), Some(Op::Push(k))) if k.is_number() => {
                let short_target = |(when, t): (bool, u32)| Some((when, u16::try_from(t).ok()?));
                let jump = cond_jump_at(i + 3).and_then(short_target);
                if let (Some(bin), Some((when, t))) = (cmp_at(i + 2), jump) {
                    Some(Op::LocalConstJump(bin, when, a, t, k))
                } else if let (Some(bin), Some(d)) = (bin_at(i + 2), set_local_at(i + 3)) {
                    Some(Op::LocalConstSet(bin, a, d, k))
                } else {
                    bin_at(i + 2).map(|bin| Op::LocalConst(bin, a, k))
                }
            }
            // get_local a; get_field k
            (Some(Op::GetLocal(a)), Some(Op::GetField(c, k))) => Some(Op::LocalGetField(a, c, k)),
            // get_local a; set_local b
            (Some(Op::GetLocal(a)), Some(Op::SetLocal(b))) => Some(Op::MoveLocal(a, b)),
            // get_local x; OP [; set_local d]
            (Some(Op::GetLocal(x)), _) => match (bin_at(i + 1), set_local_at(i + 2)) {
                (Some(bin), Some(d)) => Some(Op::TopLocalSet(bin, x, d)),
                (Some(bin), None) => Some(Op::TopLocal(bin, x)),
                _ => None,
            },
            // push k; OP1 [; OP2] with a number k
            (Some(Op::Push(k)), _) if k.is_number() => match (arith_at(i + 1), bin_at(i + 2)) {
                (Some(op1), Some(op2)) => Some(Op::TopConstBin(op1, op2, k)),
                _ => bin_at(i + 1).map(|bin| Op::TopConst(bin, k)),
            },
            _ => match (bin_at(i), cond_jump_at(i + 1), at(i + 1)) {
                // COMPARE; jump_if(_not) t
                (Some(bin), Some((when, t)), _) if bin.is_comparison() => {
                    Some(Op::CompareJump(bin, when, t))
                }
                // OP; set_local d
                (Some(bin), _, Some(Op::SetLocal(d))) => Some(Op::BinSet(bin, d)),
                // OP; set_field k
                (Some(bin), _, Some(Op::SetField(c, k))) => Some(Op::BinSetField(bin, c, k)),
                _ => None,
            },
        };
        if let Some(f) = fused {
            *slot = with_const_operand(f);
        }
    }
}

/// The longest patterns (loop steps and tests, accumulations), tried
/// before the others at index `i` of the unfused ops.
fn fuse_long(original: &[Op], i: usize) -> Option<Op> {
    use Op::*;
    let rest = &original[i..];
    let bin = |k: usize| rest.get(k).and_then(Bin::of);
    // An arithmetic op and any op (the pair `fast2` does).
    let bins = |k: usize| Some((bin(k).filter(|b| b.is_arithmetic())?, bin(k + 1)?));
    let short = |t: u32| u16::try_from(t).ok();
    match *rest {
        // The step of a range loop `v <- a..b`.
        [GetLocal(x), GetLocal(end), Eq, JumpIf(exit), GetLocal(x2), GetLocal(step), Add, SetLocal(x3), Jump(top), ..]
            if x == x2 && x == x3 =>
        {
            let top_ops = original.get(top as usize..top as usize + 2);
            match (top_ops, short(exit), short(top)) {
                (Some(&[GetLocal(x4), SetLocal(v)]), Some(exit), Some(top)) if x4 == x => {
                    Some(RangeStepMove(x, end, step, v, exit, top))
                }
                _ => Some(RangeStep(x, end, step, exit, top)),
            }
        }
        // s = s OP2 (b OP1 k)
        [GetLocal(s), GetLocal(b), Push(k), _, _, SetLocal(d), ..] if s == d && k.is_number() => {
            bins(3).map(|(op1, op2)| match op2 {
                Bin::Add => AccAddLocalConst(op1, s, b, k),
                _ => AccLocalConst(op1, op2, s, b, k),
            })
        }
        // s = s OP2 (b OP1 c)
        [GetLocal(s), GetLocal(b), GetLocal(c), _, _, SetLocal(d), ..] if s == d => {
            bins(3).map(|(op1, op2)| match op2 {
                Bin::Add => AccAddLocalLocal(op1, s, b, c),
                _ => AccLocalLocal(op1, op2, s, b, c),
            })
        }
        // d = a OP b; jump t
        [GetLocal(a), GetLocal(b), _, SetLocal(d), Jump(t), ..] => {
            bin(2).map(|op| LocalLocalSetJump(op, a, b, d, t))
        }
        // d = a OP k; jump t
        [GetLocal(a), Push(k), _, SetLocal(d), Jump(t), ..] if k.is_number() => {
            Some(LocalConstSetJump(bin(2)?, a, d, short(t)?, k))
        }
        // Calls and returns.
        [GetLocal(a), GetLocal(b), CallDirect(f, 2), ..] => Some(LocalLocalCall(a, b, f)),
        [GetLocal(f), GetLocal(a), Call(1), ..] => Some(CallLocals1(f, a)),
        [GetLocal(f), GetLocal(a), GetLocal(b), Call(2), ..] => Some(CallLocals2(f, a, b)),
        [GetLocal(a), Push(k), _, CallDirect(f, 1), ..] if k.is_number() => {
            bin(2).map(|op| LocalConstCall(op, a, f, k))
        }
        [GetLocal(a), Ret, ..] => Some(RetLocal(a)),
        [_, Ret, ..] => bin(0).map(BinRet),
        [CallBuiltin(id, argc), Pop, ..] => Some(CallBuiltinPop(id, argc)),
        [GetLocal(a), CallBuiltin(id, 1), ..] => Some(LocalCallBuiltin(a, id)),
        [GetLocal(a), JumpIf(t), ..] => Some(LocalJump(a, true, t)),
        [GetLocal(a), JumpIfNot(t), ..] => Some(LocalJump(a, false, t)),
        // a; a.k
        [GetLocal(a), GetLocal(a2), GetField(c, k), ..] if a == a2 => {
            Some(DupLocalGetField(a, c, k))
        }
        // The test of `x <- xs`.
        [GetLocal(i), GetLocal(xs), Len, Lt, JumpIfNot(exit), ..] => {
            Some(ListLoopTest(i, xs, exit))
        }
        // d = xs[i]
        [GetLocal(xs), GetLocal(i), Index, SetLocal(d), ..] => Some(IndexLocalsSet(xs, i, d)),
        // top OP xs[i]
        [GetLocal(xs), GetLocal(i), Index, _, ..] => bin(3).map(|op| IndexLocalsBin(op, xs, i)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Integral dividends and divisors of every magnitude up to 2^53, from
    /// a fixed xorshift sequence, against the runtime's `fmod`.
    #[test]
    fn the_remainder_by_a_constant_matches_fmod_on_random_integers() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        // A random integer of a random bit length (1..=53) and sign.
        let mut int = move || {
            let r = next();
            let bits = 1 + (r % 53) as u32;
            let m = ((r >> 8) & ((1u64 << bits) - 1)) as f64;
            if r >> 63 == 1 {
                -m
            } else {
                m
            }
        };
        for _ in 0..200_000 {
            let (x, k) = (int(), int());
            if k == 0.0 {
                continue;
            }
            let (got, want) = (fmod_by_const(x, k), ops::fmod(x, k));
            assert_eq!(got.to_bits(), want.to_bits(), "{x} % {k}: {got} != {want}");
        }
    }

    #[test]
    fn the_remainder_by_a_constant_is_fmod_bit_for_bit() {
        let limit = (1u64 << 53) as f64;
        let divisors = [
            1.0,
            -1.0,
            2.0,
            3.0,
            -3.0,
            7.0,
            2147483648.0,
            limit - 1.0,
            1.0 - limit,
        ];
        let dividends = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            6.0,
            -6.0,
            7.0,
            -7.0,
            12345678901.0,
            -12345678901.0,
            limit - 1.0,
            1.0 - limit,
            limit,
            -limit,
            1e17,
            -1e300,
            0.5,
            -2.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for k in divisors {
            assert_eq!(
                by_const(Bin::Mod, Value::from_f64(k)),
                Bin::ModByConst,
                "{k}"
            );
            for x in dividends {
                let (got, want) = (fmod_by_const(x, k), ops::fmod(x, k));
                assert_eq!(got.to_bits(), want.to_bits(), "{x} % {k}: {got} != {want}");
            }
        }
    }

    #[test]
    fn only_nonzero_integer_constants_below_2_pow_53_get_the_constant_remainder() {
        let limit = (1u64 << 53) as f64;
        for k in [
            0.0,
            -0.0,
            2.5,
            limit,
            -limit,
            1e300,
            f64::INFINITY,
            f64::NAN,
        ] {
            assert_eq!(by_const(Bin::Mod, Value::from_f64(k)), Bin::Mod, "{k}");
        }
        assert_eq!(by_const(Bin::Mod, Value::NIL), Bin::Mod);
        assert_eq!(by_const(Bin::Div, Value::from_f64(3.0)), Bin::Div);
    }
}
