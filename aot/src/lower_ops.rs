//! Inline fast paths of the value operations. Each gives exactly the runtime's answer for the
//! operands it handles (numbers; booleans and nil for truthiness) and calls the runtime's general
//! case (`ilusm_rt_*`) for everything else, so there is still one meaning (ARCHITECTURE.md,
//! invariant 1).

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, Block, BlockArg, InstBuilder, MemFlagsData, Value};
use cranelift_module::Module;
use ilusm_bytecode::Instr;

use crate::abi::{RtFn, FALSE, NIL, NUMBER_LIMIT, TRUE};
use crate::lower::{FnLower, V};

/// Integers with magnitude below this are exact in an f64 and in an i64.
const EXACT_INT: i64 = 1 << 53;

impl<M: Module> FnLower<'_, '_, M> {
    fn is_number(&mut self, v: Value) -> Value {
        self.b
            .ins()
            .icmp_imm_u(IntCC::UnsignedLessThan, v, NUMBER_LIMIT as i64)
    }

    /// An `i8` flag: both words are numbers.
    fn both_numbers(&mut self, a: Value, b: Value) -> Value {
        let na = self.is_number(a);
        let nb = self.is_number(b);
        self.b.ins().band(na, nb)
    }

    fn as_f64(&mut self, v: Value) -> Value {
        self.b.ins().bitcast(types::F64, MemFlagsData::new(), v)
    }

    fn f64_word(&mut self, f: Value) -> Value {
        self.b.ins().bitcast(V, MemFlagsData::new(), f)
    }

    /// `fls`/`tru` from an `i8` flag (they differ in bit 0 only).
    fn bool_from_flag(&mut self, flag: Value) -> Value {
        let wide = self.b.ins().uextend(V, flag);
        self.b.ins().bor_imm_u(wide, FALSE as i64)
    }

    /// `cond ? fast() : slow_fn(args)` as a diamond with a cold slow side; the slow result is
    /// checked for `Value::ERROR` (error path for `pc`) when `pc` is given. The result is pushed.
    fn fast_or_call(
        &mut self,
        cond: Value,
        fast: impl FnOnce(&mut Self) -> Value,
        slow_fn: RtFn,
        args: &[Value],
        pc: Option<u32>,
    ) {
        let fast_blk = self.b.create_block();
        let slow_blk = self.b.create_block();
        let join = self.b.create_block();
        self.b.append_block_param(join, V);
        self.b.ins().brif(cond, fast_blk, &[], slow_blk, &[]);

        self.b.switch_to_block(fast_blk);
        let r = fast(self);
        self.b.ins().jump(join, &[BlockArg::Value(r)]);

        self.b.set_cold_block(slow_blk);
        self.b.switch_to_block(slow_blk);
        let r = self
            .call_rt(slow_fn, args)
            .expect("runtime operation returns a value");
        if let Some(pc) = pc {
            self.check_error(r, pc);
        }
        self.b.ins().jump(join, &[BlockArg::Value(r)]);

        self.b.switch_to_block(join);
        let v = self.b.block_params(join)[0];
        self.stack.push(v);
    }

    /// `add` `sub` `mul` `div`: f64 arithmetic on two numbers (div: and a divisor != 0).
    pub(crate) fn arith(&mut self, op: Instr, pc: u32) {
        let b = self.pop();
        let a = self.pop();
        let mut cond = self.both_numbers(a, b);
        if op == Instr::Div {
            let fb = self.as_f64(b);
            let zero = self.b.ins().f64const(0.0);
            // `ne` is "unordered or not equal": NaN divides inline; 0 and -0 go to the runtime.
            let nonzero = self.b.ins().fcmp(FloatCC::NotEqual, fb, zero);
            cond = self.b.ins().band(cond, nonzero);
        }
        let slow = match op {
            Instr::Add => RtFn::Add,
            Instr::Sub => RtFn::Sub,
            Instr::Mul => RtFn::Mul,
            _ => RtFn::Div,
        };
        let fast = move |s: &mut Self| {
            let fa = s.as_f64(a);
            let fb = s.as_f64(b);
            let r = match op {
                Instr::Add => s.b.ins().fadd(fa, fb),
                Instr::Sub => s.b.ins().fsub(fa, fb),
                Instr::Mul => s.b.ins().fmul(fa, fb),
                _ => s.b.ins().fdiv(fa, fb),
            };
            s.f64_word(r)
        };
        self.fast_or_call(cond, fast, slow, &[a, b], Some(pc));
    }

    /// `mod`: inline when both operands are integers of magnitude below 2^53 and the divisor is
    /// not 0: then C `fmod` is the integer remainder carrying the dividend's sign (also for a zero
    /// result: `fmod(-4, 2)` is -0). Everything else (fractions, infinities, NaN, zero divisor,
    /// non-numbers) is the runtime's.
    pub(crate) fn modulo(&mut self, pc: u32) {
        let b = self.pop();
        let a = self.pop();
        let mut cond = self.both_numbers(a, b);
        let fa = self.as_f64(a);
        let fb = self.as_f64(b);
        let ia = self.b.ins().fcvt_to_sint_sat(types::I64, fa);
        let ib = self.b.ins().fcvt_to_sint_sat(types::I64, fb);
        for (f, i) in [(fa, ia), (fb, ib)] {
            // Integral: converting back gives the same number (NaN, infinities fail here) ...
            let back = self.b.ins().fcvt_from_sint(types::F64, i);
            let exact = self.b.ins().fcmp(FloatCC::Equal, back, f);
            // ... and small: |i| < 2^53 (so no i64 overflow in `srem` either).
            let shifted = self.b.ins().iadd_imm_s(i, EXACT_INT);
            let small = self
                .b
                .ins()
                .icmp_imm_u(IntCC::UnsignedLessThan, shifted, 2 * EXACT_INT);
            let ok = self.b.ins().band(exact, small);
            cond = self.b.ins().band(cond, ok);
        }
        let nonzero = self.b.ins().icmp_imm_u(IntCC::NotEqual, ib, 0);
        cond = self.b.ins().band(cond, nonzero);
        let fast = move |s: &mut Self| {
            let r = s.b.ins().srem(ia, ib);
            let fr = s.b.ins().fcvt_from_sint(types::F64, r);
            let signed = s.b.ins().fcopysign(fr, fa);
            s.f64_word(signed)
        };
        self.fast_or_call(cond, fast, RtFn::Mod, &[a, b], Some(pc));
    }

    /// `lt` `le` `gt` `ge`: f64 comparison of two numbers (false when either is NaN).
    pub(crate) fn compare(&mut self, op: Instr, pc: u32) {
        let b = self.pop();
        let a = self.pop();
        let cond = self.both_numbers(a, b);
        let (cc, slow) = match op {
            Instr::Lt => (FloatCC::LessThan, RtFn::Lt),
            Instr::Le => (FloatCC::LessThanOrEqual, RtFn::Le),
            Instr::Gt => (FloatCC::GreaterThan, RtFn::Gt),
            _ => (FloatCC::GreaterThanOrEqual, RtFn::Ge),
        };
        let fast = move |s: &mut Self| {
            let fa = s.as_f64(a);
            let fb = s.as_f64(b);
            let flag = s.b.ins().fcmp(cc, fa, fb);
            s.bool_from_flag(flag)
        };
        self.fast_or_call(cond, fast, slow, &[a, b], Some(pc));
    }

    /// A comparison immediately followed by `jump_if`/`jump_if_not` (`branch_if` says which):
    /// on two numbers the float comparison branches directly, without materialising a boolean
    /// and testing its truthiness; otherwise the runtime's boolean (or error) decides.
    pub(crate) fn compare_branch(&mut self, op: Instr, pc: u32, branch_if: bool, target: Block) {
        let b = self.pop();
        let a = self.pop();
        let cond = self.both_numbers(a, b);
        let (cc, slow_fn, can_fail) = match op {
            Instr::Lt => (FloatCC::LessThan, RtFn::Lt, true),
            Instr::Le => (FloatCC::LessThanOrEqual, RtFn::Le, true),
            Instr::Gt => (FloatCC::GreaterThan, RtFn::Gt, true),
            Instr::Ge => (FloatCC::GreaterThanOrEqual, RtFn::Ge, true),
            Instr::Eq => (FloatCC::Equal, RtFn::Eq, false),
            _ => (FloatCC::NotEqual, RtFn::Ne, false),
        };
        let fast_blk = self.b.create_block();
        let slow_blk = self.b.create_block();
        let fall = self.b.create_block();
        let args: Vec<BlockArg> = self.stack.iter().map(|&v| BlockArg::Value(v)).collect();
        self.b.ins().brif(cond, fast_blk, &[], slow_blk, &[]);

        self.b.switch_to_block(fast_blk);
        let fa = self.as_f64(a);
        let fb = self.as_f64(b);
        let flag = self.b.ins().fcmp(cc, fa, fb);
        self.branch_on(flag, branch_if, target, &args, fall);

        self.b.set_cold_block(slow_blk);
        self.b.switch_to_block(slow_blk);
        let r = self
            .call_rt(slow_fn, &[a, b])
            .expect("comparison returns a value");
        if can_fail {
            self.check_error(r, pc);
        }
        let flag = self.b.ins().icmp_imm_u(IntCC::Equal, r, TRUE as i64);
        self.branch_on(flag, branch_if, target, &args, fall);

        self.b.switch_to_block(fall);
    }

    fn branch_on(
        &mut self,
        flag: Value,
        branch_if: bool,
        target: Block,
        args: &[BlockArg],
        fall: Block,
    ) {
        if branch_if {
            self.b.ins().brif(flag, target, args, fall, &[]);
        } else {
            self.b.ins().brif(flag, fall, &[], target, args);
        }
    }

    /// `eq` `ne`: f64 equality of two numbers (NaN != NaN, -0 == 0); the runtime's deep
    /// equality otherwise (which never fails).
    pub(crate) fn equality(&mut self, op: Instr) {
        let b = self.pop();
        let a = self.pop();
        let cond = self.both_numbers(a, b);
        let (cc, slow) = if op == Instr::Eq {
            (FloatCC::Equal, RtFn::Eq)
        } else {
            (FloatCC::NotEqual, RtFn::Ne)
        };
        let fast = move |s: &mut Self| {
            let fa = s.as_f64(a);
            let fb = s.as_f64(b);
            let flag = s.b.ins().fcmp(cc, fa, fb);
            s.bool_from_flag(flag)
        };
        self.fast_or_call(cond, fast, slow, &[a, b], None);
    }

    /// `neg`: flip the sign bit of a number.
    pub(crate) fn neg(&mut self, pc: u32) {
        let a = self.pop();
        let cond = self.is_number(a);
        let fast = move |s: &mut Self| {
            let fa = s.as_f64(a);
            let r = s.b.ins().fneg(fa);
            s.f64_word(r)
        };
        self.fast_or_call(cond, fast, RtFn::Neg, &[a], Some(pc));
    }

    /// `not`: the negation of the truthiness.
    pub(crate) fn not(&mut self) {
        let a = self.pop();
        let truth = self.truthy(a);
        let falsy = self.b.ins().bxor_imm_u(truth, 1);
        let v = self.bool_from_flag(falsy);
        self.stack.push(v);
    }

    /// An `i8` flag: `v` is truthy. Inline for nil, booleans and numbers (truthy unless 0, -0
    /// or NaN); `ilusm_rt_truthy` for everything else.
    pub(crate) fn truthy(&mut self, v: Value) -> Value {
        let simple_blk = self.b.create_block();
        let rest_blk = self.b.create_block();
        let num_blk = self.b.create_block();
        let call_blk = self.b.create_block();
        let join = self.b.create_block();
        self.b.append_block_param(join, types::I8);

        // nil, fls, tru are the three consecutive words NIL, NIL+1, NIL+2.
        let rel = self.b.ins().iadd_imm_s(v, (NIL as i64).wrapping_neg());
        let simple = self.b.ins().icmp_imm_u(IntCC::UnsignedLessThan, rel, 3);
        self.b.ins().brif(simple, simple_blk, &[], rest_blk, &[]);

        self.b.switch_to_block(simple_blk);
        let t = self.b.ins().icmp_imm_u(IntCC::Equal, v, TRUE as i64);
        self.b.ins().jump(join, &[BlockArg::Value(t)]);

        self.b.switch_to_block(rest_blk);
        let is_num = self.is_number(v);
        self.b.ins().brif(is_num, num_blk, &[], call_blk, &[]);

        self.b.switch_to_block(num_blk);
        let f = self.as_f64(v);
        let zero = self.b.ins().f64const(0.0);
        let t = self.b.ins().fcmp(FloatCC::OrderedNotEqual, f, zero);
        self.b.ins().jump(join, &[BlockArg::Value(t)]);

        self.b.set_cold_block(call_blk);
        self.b.switch_to_block(call_blk);
        let r = self.call_rt(RtFn::Truthy, &[v]).expect("truthy returns u8");
        let t = self.b.ins().icmp_imm_u(IntCC::NotEqual, r, 0);
        self.b.ins().jump(join, &[BlockArg::Value(t)]);

        self.b.switch_to_block(join);
        self.b.block_params(join)[0]
    }
}
