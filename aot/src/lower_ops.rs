//! Inline fast paths of the value operations. Each gives exactly the runtime's answer for the
//! operands it handles (numbers; booleans and nil for truthiness) and calls the runtime's general
//! case (`ilusm_rt_*`) for everything else, so there is still one meaning (ARCHITECTURE.md,
//! invariant 1).

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, Block, BlockArg, InstBuilder, InstructionData, MemFlagsData, Opcode, Value,
};
use cranelift_module::Module;
use ilusm_bytecode::Instr;

use crate::abi::{RtFn, FALSE, KIND_LIST, LIST_LEN_OFFSET, NIL, NUMBER_LIMIT, TRUE};
use crate::lower::{trusted, FnLower, V};
use crate::numbers::Int;
use target_lexicon::Architecture;

/// Integers with magnitude up to this are exact in an f64 and in an i64 (2^53, also the
/// runtime's limit on range bounds).
const EXACT_INT: i64 = 1 << 53;

impl<M: Module> FnLower<'_, '_, M> {
    /// An `i8` flag: `v` is a number. It may be false for a NaN that is a number (see below):
    /// every use sends false to the general case, which answers for any word.
    pub(crate) fn is_number(&mut self, v: Value) -> Value {
        match self.bitcast_source(v, types::F64) {
            // A word that is in a float register (a field loaded as a float, a float join of a
            // diamond whose slow side may give any word) is tested there: every word that is
            // not a number is a NaN as a float, so "not NaN" means a number. A NaN that is a
            // number goes to the general case, which gives the same answer.
            Some(f) => self.b.ins().fcmp(FloatCC::Ordered, f, f),
            None => self
                .b
                .ins()
                .icmp_imm_u(IntCC::UnsignedLessThan, v, NUMBER_LIMIT as i64),
        }
    }

    /// An `i8` flag: the two operands of a binary instruction (`a` below `b` on the stack) are
    /// numbers; `None` when that is known at compile time (`crate::numbers`).
    fn both_numbers(&mut self, a: Value, b: Value) -> Option<Value> {
        match (self.known_number(1), self.known_number(0)) {
            (true, true) => None,
            (false, true) => Some(self.is_number(a)),
            (true, false) => Some(self.is_number(b)),
            // Both are numbers when the larger word is one (numbers are the words below
            // `NUMBER_LIMIT`): a conditional move and one compare, against two compares, two
            // flag materializations and their `and`.
            (false, false) => match (
                self.bitcast_source(a, types::F64),
                self.bitcast_source(b, types::F64),
            ) {
                // Both in float registers: one ordered compare (see `is_number`).
                (Some(fa), Some(fb)) => Some(self.b.ins().fcmp(FloatCC::Ordered, fa, fb)),
                _ => {
                    let larger = self.b.ins().umax(a, b);
                    Some(self.is_number(larger))
                }
            },
        }
    }

    /// An `i8` flag: the number `f` is an integer of magnitude at most 2^53, given `i`, its
    /// saturating conversion to an i64 (a safe integer at run time: `crate::numbers::Int`).
    pub(crate) fn is_safe_integer(&mut self, f: Value, i: Value) -> Value {
        // Integral: converting back gives the same number (NaN, infinities fail here) ...
        let back = self.b.ins().fcvt_from_sint(types::F64, i);
        let exact = self.b.ins().fcmp(FloatCC::Equal, back, f);
        // ... and small: |i| <= 2^53 (so no i64 overflow in `srem` either).
        let shifted = self.b.ins().iadd_imm_s(i, EXACT_INT);
        let small = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedLessThanOrEqual, shifted, 2 * EXACT_INT);
        self.b.ins().band(exact, small)
    }

    /// `flag AND more`, where a `None` flag is always true.
    fn and_flag(&mut self, flag: Option<Value>, more: Value) -> Value {
        match flag {
            Some(f) => self.b.ins().band(f, more),
            None => more,
        }
    }

    /// The number `v` holds, if it is a constant (a number word made by `iconst`).
    pub(crate) fn number_constant(&self, v: Value) -> Option<f64> {
        let dfg = &self.b.func.dfg;
        let inst = dfg.value_def(v).inst()?;
        match dfg.insts[inst] {
            InstructionData::UnaryImm {
                opcode: Opcode::Iconst,
                imm,
            } if (imm.bits() as u64) < NUMBER_LIMIT => Some(f64::from_bits(imm.bits() as u64)),
            _ => None,
        }
    }

    /// If `v` is a number constant that is a power of two whose reciprocal is a normal number,
    /// that reciprocal: `x / v` and `x * (1 / v)` are then the same exact quotient, rounded once,
    /// so bit-identical, and the multiplication is several times faster.
    fn exact_reciprocal(&self, v: Value) -> Option<f64> {
        let x = self.number_constant(v)?;
        let r = 1.0 / x;
        let power_of_two = x.is_normal() && x.to_bits() & ((1u64 << 52) - 1) == 0;
        (power_of_two && r.is_normal()).then_some(r)
    }

    pub(crate) fn as_f64(&mut self, v: Value) -> Value {
        if let Some(x) = self.number_constant(v) {
            // An `f64const`, not a bitcast: Cranelift rematerializes constants where they are
            // used instead of keeping one in a register (or a stack slot, across a call).
            return self.b.ins().f64const(x);
        }
        match self.bitcast_source(v, types::F64) {
            Some(f) => f,
            None => self.b.ins().bitcast(types::F64, MemFlagsData::new(), v),
        }
    }

    pub(crate) fn f64_word(&mut self, f: Value) -> Value {
        match self.bitcast_source(f, V) {
            Some(w) => w,
            None => self.b.ins().bitcast(V, MemFlagsData::new(), f),
        }
    }

    /// If `v` is a `bitcast` of a value of type `ty`, that value. A number computed by one
    /// operation and used by the next then stays in a float register instead of a round trip
    /// through an integer one (Cranelift does not fold bitcast pairs itself).
    fn bitcast_source(&self, v: Value, ty: types::Type) -> Option<Value> {
        let dfg = &self.b.func.dfg;
        let inst = dfg.value_def(v).inst()?;
        match dfg.insts[inst] {
            InstructionData::LoadNoOffset {
                opcode: Opcode::Bitcast,
                arg,
                ..
            } if dfg.value_type(arg) == ty => Some(arg),
            _ => None,
        }
    }

    /// Whether the code is for x86_64 (where some float tests cost a flag less in another form).
    fn on_x86_64(&self) -> bool {
        self.m.isa().triple().architecture == Architecture::X86_64
    }

    /// Store the value word `v` at `addr + offset`: a float made into a word is stored as the
    /// float (the same eight bytes), saving the move from the float to an integer register.
    pub(crate) fn store_word(&mut self, v: Value, addr: Value, offset: i32) {
        let src = self.bitcast_source(v, types::F64).unwrap_or(v);
        self.b.ins().store(trusted(), src, addr, offset);
    }

    /// `fls`/`tru` from an `i8` flag (they differ in bit 0 only).
    fn bool_from_flag(&mut self, flag: Value) -> Value {
        let wide = self.b.ins().uextend(V, flag);
        self.b.ins().bor_imm_u(wide, FALSE as i64)
    }

    /// `cond ? fast() : slow_fn(args)` as a diamond with a cold slow side; the slow result is
    /// checked for `Value::ERROR` (error path for `pc`) when `pc` is given. The result is pushed.
    /// A `None` condition is known true: only the fast side is emitted.
    fn fast_or_call(
        &mut self,
        cond: Option<Value>,
        fast: impl FnOnce(&mut Self) -> Value,
        slow_fn: RtFn,
        args: &[Value],
        pc: Option<u32>,
    ) {
        let slow = |s: &mut Self| {
            let r = s
                .call_slow_side(slow_fn, args)
                .expect("runtime operation returns a value");
            if let Some(pc) = pc {
                s.check_error(r, pc);
            }
            r
        };
        self.fast_or_slow(cond, fast, slow);
    }

    /// Call `f`, the general case of the operation being lowered, from its slow side: through
    /// a trampoline (`slow_calls.rs`), unless that side is likely to run. It is for `+`
    /// (concatenation), `==` and `!=` when neither operand is a known number; an ordinary call
    /// there spares every concatenation the trampoline's register saves.
    fn call_slow_side(&mut self, f: RtFn, args: &[Value]) -> Option<Value> {
        let strings_likely = matches!(f, RtFn::Add | RtFn::Eq | RtFn::Ne)
            && !self.known_number(0)
            && !self.known_number(1);
        if strings_likely {
            self.call_rt(f, args)
        } else {
            self.call_rt_cold(f, args)
        }
    }

    /// `cond ? fast() : slow()` as a diamond with a cold slow side; the result is pushed. A
    /// `None` condition is known true: only the fast side is emitted.
    pub(crate) fn fast_or_slow(
        &mut self,
        cond: Option<Value>,
        fast: impl FnOnce(&mut Self) -> Value,
        slow: impl FnOnce(&mut Self) -> Value,
    ) {
        let Some(cond) = cond else {
            let r = fast(self);
            self.stack.push(r);
            return;
        };
        let fast_blk = self.b.create_block();
        let slow_blk = self.b.create_block();
        let join = self.b.create_block();
        self.b.ins().brif(cond, fast_blk, &[], slow_blk, &[]);

        self.enter(fast_blk);
        let r = fast(self);
        // A float result joins as a float, so that the next operation on it needs no move
        // between register files; the slow side's word is carried bit for bit (whatever it is).
        let float = self.bitcast_source(r, types::F64);
        let param = self
            .b
            .append_block_param(join, if float.is_some() { types::F64 } else { V });
        self.b
            .ins()
            .jump(join, &[BlockArg::Value(float.unwrap_or(r))]);

        self.b.set_cold_block(slow_blk);
        self.enter(slow_blk);
        let r = slow(self);
        let r = if float.is_some() { self.as_f64(r) } else { r };
        self.b.ins().jump(join, &[BlockArg::Value(r)]);

        self.enter(join);
        let v = if float.is_some() {
            self.f64_word(param)
        } else {
            param
        };
        self.stack.push(v);
    }

    /// `add` `sub` `mul` `div`: f64 arithmetic on two numbers (div: and a divisor != 0).
    pub(crate) fn arith(&mut self, op: Instr, pc: u32) {
        let b = self.pop();
        let a = self.pop();
        let mut cond = self.both_numbers(a, b);
        // `+` of two numbers is one; the number facts know that only of their own numbers
        // (`FnLower::number_values`: a field read where a loop knows its shape's numbers).
        let sum_of_numbers = op == Instr::Add && cond.is_none();
        let reciprocal = if op == Instr::Div {
            self.exact_reciprocal(b)
        } else {
            None
        };
        if op == Instr::Div && reciprocal.is_none() {
            let fb = self.as_f64(b);
            let zero = self.b.ins().f64const(0.0);
            // 0 and -0 go to the runtime. NaN may go either way (the runtime divides it too):
            // on x86_64 "ordered and not equal" tests one flag (`ucomisd` sets ZF for NaN as for
            // equal), on aarch64 "unordered or not equal" does.
            let cc = if self.on_x86_64() {
                FloatCC::OrderedNotEqual
            } else {
                FloatCC::NotEqual
            };
            let nonzero = self.b.ins().fcmp(cc, fb, zero);
            cond = Some(self.and_flag(cond, nonzero));
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
                _ => match reciprocal {
                    Some(r) => {
                        let r = s.b.ins().f64const(r);
                        s.b.ins().fmul(fa, r)
                    }
                    None => s.b.ins().fdiv(fa, fb),
                },
            };
            s.f64_word(r)
        };
        self.fast_or_call(cond, fast, slow, &[a, b], Some(pc));
        if sum_of_numbers {
            let r = *self.stack.last().expect("the result");
            self.number_values.insert(r);
            self.note_sum(pc, a, b, r);
        }
    }

    /// `mod`: inline when both operands are integers of magnitude at most 2^53 and the divisor
    /// is not 0: then C `fmod` is the integer remainder carrying the dividend's sign (also for a
    /// zero result: `fmod(-4, 2)` is -0). Everything else (fractions, infinities, NaN, zero
    /// divisor, non-numbers) is the runtime's. Operands known to be safe integers
    /// (`crate::numbers::Int`), and a constant divisor, are not checked: `i % 7` on a range
    /// counter is a conversion, a multiplication by a magic constant and a conversion back.
    pub(crate) fn modulo(&mut self, pc: u32) {
        let b = self.pop();
        let a = self.pop();
        let numbers = self.both_numbers(a, b);
        let safe = |int: Int| int >= Int::Safe;
        let (a_safe, b_safe) = (safe(self.known_int(1)), safe(self.known_int(0)));
        let fa = self.as_f64(a);
        // A constant divisor that is a nonzero integer of magnitude at most 2^53 needs no
        // checks, and `srem` by a constant becomes a multiplication instead of a division.
        let divisor = self
            .number_constant(b)
            .filter(|d| *d != 0.0 && Int::of_constant(*d) >= Int::Safe);
        // A range counter's `i % 7` takes its integer from the shadow; the sign still comes
        // from the float (the counter may start at -0).
        let ia = match self.exact_int(a).filter(|_| numbers.is_none()) {
            Some(ia) => ia,
            None => self.b.ins().fcvt_to_sint_sat(types::I64, fa),
        };
        let mut checked = Vec::new();
        if !a_safe {
            checked.push((fa, ia));
        }
        let ib = match divisor {
            Some(d) => self.b.ins().iconst(types::I64, d as i64),
            None => {
                let fb = self.as_f64(b);
                let ib = self.b.ins().fcvt_to_sint_sat(types::I64, fb);
                if !b_safe {
                    checked.push((fb, ib));
                }
                ib
            }
        };
        let mut cond = numbers;
        for (f, i) in checked {
            let ok = self.is_safe_integer(f, i);
            cond = Some(self.and_flag(cond, ok));
        }
        if divisor.is_none() {
            let nonzero = self.b.ins().icmp_imm_u(IntCC::NotEqual, ib, 0);
            cond = Some(self.and_flag(cond, nonzero));
        }
        let fast = move |s: &mut Self| {
            let r = s.b.ins().srem(ia, ib);
            let fr = s.b.ins().fcvt_from_sint(types::F64, r);
            // The dividend's sign (the remainder has it already unless it is 0, and converted
            // it is +0 then), or'ed in, in the register file the dividend is in: for a float an
            // `and` with -0.0 (the sign mask) and an `or`, where `fcopysign` also clears the
            // remainder's sign (two mask constants, five instructions on x86_64); the integer
            // form would move a float between register files.
            if s.bitcast_source(a, types::F64).is_some() {
                let mask = s.b.ins().f64const(-0.0);
                let sign = s.b.ins().band(fa, mask);
                let signed = s.b.ins().bor(fr, sign);
                s.f64_word(signed)
            } else {
                let bits = s.b.ins().bitcast(V, MemFlagsData::new(), fr);
                let sign = s.b.ins().ushr_imm_u(a, 63);
                let sign = s.b.ins().ishl_imm_u(sign, 63);
                s.b.ins().bor(bits, sign)
            }
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
        let known = cond.is_none();
        let fast = move |s: &mut Self| {
            let flag = s.compare_numbers(cc, a, b, known);
            s.bool_from_flag(flag)
        };
        self.fast_or_call(cond, fast, slow, &[a, b], Some(pc));
    }

    /// A comparison immediately followed by `jump_if`/`jump_if_not` (`branch_if` says which):
    /// on two numbers the float comparison branches directly, without materialising a boolean
    /// and testing its truthiness; otherwise the runtime's boolean (or error) decides.
    pub(crate) fn compare_branch(&mut self, op: Instr, pc: u32, branch_if: bool, target: Block) {
        // Neither operand is NaN (a safe integer is not): then "equal" may also hold for
        // unordered operands, which x86_64 tests with one flag instead of two (`ucomisd` sets
        // ZF and PF for NaN). On aarch64 plain "equal" is the one-flag test.
        let no_nan =
            self.known_int(1) >= Int::Safe && self.known_int(0) >= Int::Safe && self.on_x86_64();
        let b = self.pop();
        let a = self.pop();
        let cond = self.both_numbers(a, b);
        let (cc, slow_fn, can_fail) = match op {
            Instr::Lt => (FloatCC::LessThan, RtFn::Lt, true),
            Instr::Le => (FloatCC::LessThanOrEqual, RtFn::Le, true),
            Instr::Gt => (FloatCC::GreaterThan, RtFn::Gt, true),
            Instr::Ge => (FloatCC::GreaterThanOrEqual, RtFn::Ge, true),
            Instr::Eq if no_nan => (FloatCC::UnorderedOrEqual, RtFn::Eq, false),
            Instr::Eq => (FloatCC::Equal, RtFn::Eq, false),
            _ if no_nan => (FloatCC::OrderedNotEqual, RtFn::Ne, false),
            _ => (FloatCC::NotEqual, RtFn::Ne, false),
        };
        let fast_blk = self.b.create_block();
        let slow_blk = self.b.create_block();
        let fall = self.b.create_block();
        let args = self.jump_args(target);
        let Some(cond) = cond else {
            let flag = self.compare_numbers(cc, a, b, true);
            self.branch_on(flag, branch_if, target, &args, fall);
            self.enter(fall);
            return;
        };
        self.b.ins().brif(cond, fast_blk, &[], slow_blk, &[]);

        self.enter(fast_blk);
        let flag = self.compare_numbers(cc, a, b, false);
        self.branch_on(flag, branch_if, target, &args, fall);

        self.b.set_cold_block(slow_blk);
        self.enter(slow_blk);
        let r = self
            .call_slow_side(slow_fn, &[a, b])
            .expect("comparison returns a value");
        if can_fail {
            self.check_error(r, pc);
        }
        let flag = self.b.ins().icmp_imm_u(IntCC::Equal, r, TRUE as i64);
        self.branch_on(flag, branch_if, target, &args, fall);

        self.enter(fall);
    }

    /// The flag of `a cc b` on two numbers: on their integers where `known` (both are known
    /// numbers) and they have comparable ones (a counter against a length: `cmp`, no
    /// conversion of the length to a float), else on the floats.
    fn compare_numbers(&mut self, cc: FloatCC, a: Value, b: Value, known: bool) -> Value {
        let ints = known.then(|| self.comparable_ints(a, b)).flatten();
        match ints.zip(int_cc(cc)) {
            Some(((ia, ib), icc)) => self.b.ins().icmp(icc, ia, ib),
            None => {
                let fa = self.as_f64(a);
                let fb = self.as_f64(b);
                self.b.ins().fcmp(cc, fa, fb)
            }
        }
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
        let cond = (!self.known_number(0)).then(|| self.is_number(a));
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
        let truth = self.truthy_top(a);
        let falsy = self.b.ins().bxor_imm_u(truth, 1);
        let v = self.bool_from_flag(falsy);
        self.stack.push(v);
    }

    /// An `i8` flag: the current instruction's top operand `v` is truthy; one float compare
    /// when it is known to be a number.
    pub(crate) fn truthy_top(&mut self, v: Value) -> Value {
        if self.known_number(0) {
            let f = self.as_f64(v);
            let zero = self.b.ins().f64const(0.0);
            return self.b.ins().fcmp(FloatCC::OrderedNotEqual, f, zero);
        }
        self.truthy(v)
    }

    /// An `i8` flag: `v` is truthy. Inline for nil, booleans, numbers (truthy unless 0, -0 or
    /// NaN) and lists (unless empty); `ilusm_rt_truthy` for everything else.
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

        self.enter(simple_blk);
        let t = self.b.ins().icmp_imm_u(IntCC::Equal, v, TRUE as i64);
        self.b.ins().jump(join, &[BlockArg::Value(t)]);

        self.enter(rest_blk);
        let is_num = self.is_number(v);
        let other_blk = self.b.create_block();
        self.b.ins().brif(is_num, num_blk, &[], other_blk, &[]);

        self.enter(num_blk);
        let f = self.as_f64(v);
        let zero = self.b.ins().f64const(0.0);
        let t = self.b.ins().fcmp(FloatCC::OrderedNotEqual, f, zero);
        self.b.ins().jump(join, &[BlockArg::Value(t)]);

        // A list is truthy unless empty (its length is in its native view).
        self.enter(other_blk);
        let addr = self.expect_kind(v, KIND_LIST, call_blk);
        let len = self.b.ins().load(V, trusted(), addr, LIST_LEN_OFFSET);
        let t = self.b.ins().icmp_imm_u(IntCC::NotEqual, len, 0);
        self.b.ins().jump(join, &[BlockArg::Value(t)]);

        self.b.set_cold_block(call_blk);
        self.enter(call_blk);
        let r = self
            .call_rt_cold(RtFn::Truthy, &[v])
            .expect("truthy returns u8");
        let t = self.b.ins().icmp_imm_u(IntCC::NotEqual, r, 0);
        self.b.ins().jump(join, &[BlockArg::Value(t)]);

        self.enter(join);
        self.b.block_params(join)[0]
    }

    /// `flr` `sqrt` `abs` of one number inline (the same IEEE operations the runtime uses: no
    /// rounding choices, NaN stays a number); `len` of a list inline (`lower_access.rs`);
    /// `psh` straight to its runtime function (`ilusm_rt_psh`, no dispatcher).
    /// Anything else, including every other argument type, is the dispatcher's. Whether
    /// `builtin` was lowered here.
    pub(crate) fn inline_builtin(&mut self, builtin: u16, argc: u8, pc: u32) -> bool {
        use ilusm_runtime::builtins::id;
        if builtin == id::PSH && argc == 2 {
            let v = self.pop();
            let xs = self.pop();
            let r = self.call_checked(RtFn::Psh, &[xs, v], pc);
            self.stack.push(r);
            return true;
        }
        if argc != 1 {
            return false;
        }
        if builtin == id::LEN {
            self.lower_access(pc, Instr::Len);
            return true;
        }
        if !matches!(builtin, id::FLR | id::SQRT | id::ABS) {
            return false;
        }
        let a = self.pop();
        let cond = (!self.known_number(0)).then(|| self.is_number(a));
        let fast = move |s: &mut Self| {
            let f = s.as_f64(a);
            let r = match builtin {
                id::FLR => s.b.ins().floor(f),
                id::SQRT => s.b.ins().sqrt(f),
                _ => s.b.ins().fabs(f),
            };
            s.f64_word(r)
        };
        self.fast_or_slow(cond, fast, |s| s.call_builtin(builtin, &[a], pc));
        true
    }
}

/// The integer condition that decides like the float condition `cc` on two numbers that are
/// integers (never NaN: "unordered" never holds).
fn int_cc(cc: FloatCC) -> Option<IntCC> {
    Some(match cc {
        FloatCC::LessThan => IntCC::SignedLessThan,
        FloatCC::LessThanOrEqual => IntCC::SignedLessThanOrEqual,
        FloatCC::GreaterThan => IntCC::SignedGreaterThan,
        FloatCC::GreaterThanOrEqual => IntCC::SignedGreaterThanOrEqual,
        FloatCC::Equal | FloatCC::UnorderedOrEqual => IntCC::Equal,
        FloatCC::NotEqual | FloatCC::OrderedNotEqual => IntCC::NotEqual,
        _ => return None,
    })
}
