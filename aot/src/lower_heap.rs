//! Lowering of the container-building, closure and loop-support instructions: runtime calls,
//! except a cell's value word, which has a fixed offset (`heap::CELL_VALUE_OFFSET`) and is loaded
//! and stored inline, and the integer check of `range_prep`, which has an inline fast path.
//! Element and field accesses have inline fast paths of their own (`lower_access.rs`).

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, BlockArg, InstBuilder, Value};
use cranelift_module::Module;
use ilusm_bytecode::Instr;

use crate::abi::{RtFn, CELL_VALUE_OFFSET};
use crate::int_locals::IntClass;
use crate::lower::{trusted, FnLower, V};

impl<M: Module> FnLower<'_, '_, M> {
    /// Call `f`, branch to the error path for `pc` on `Value::ERROR`, push the result.
    fn call_push(&mut self, f: RtFn, args: &[Value], pc: u32) {
        let r = self.call_checked(f, args, pc);
        self.stack.push(r);
    }

    /// Call `f` and branch to the error path for `pc` on `Value::ERROR`; the result.
    pub(crate) fn call_checked(&mut self, f: RtFn, args: &[Value], pc: u32) -> Value {
        let r = self
            .call_rt(f, args)
            .expect("runtime function returns a value");
        self.check_error(r, pc);
        r
    }

    /// The address of a cell's value word.
    fn cell_slot(&mut self, cell: Value) -> Value {
        self.heap_addr(cell)
    }

    /// `f(argv, n, extra..)` over the top `words` stack values (bottom first), result pushed.
    fn argv_push(&mut self, f: RtFn, words: usize, n: u32, extra: &[Value], pc: u32) {
        let argv = self.pop_to_memory(words);
        let nv = self.b.ins().iconst(types::I32, n as i64);
        let args: Vec<Value> = [argv, nv]
            .into_iter()
            .chain(extra.iter().copied())
            .collect();
        let r = self.call_rt(f, &args).expect("returns a value");
        self.check_error(r, pc);
        self.stack.push(r);
    }

    /// The string constant `k`, loaded from the runtime's table of constants. The table's
    /// address does not change while the program runs, so its load may be shared and hoisted
    /// out of loops (`readonly`, `can_move`).
    pub(crate) fn string_constant(&mut self, k: u32) -> Value {
        let id = self.rt.data(self.m, crate::abi::CONSTANTS_SYMBOL);
        let gv = self.m.declare_data_in_func(id, self.b.func);
        let addr = self.b.ins().symbol_value(crate::abi::PTR, gv);
        let fixed = trusted().with_readonly().with_can_move();
        let base = self.b.ins().load(crate::abi::PTR, fixed, addr, 0);
        let at = self.b.ins().iadd_imm_s(base, i64::from(k) * 8);
        self.b.ins().load(V, fixed, at, 0)
    }

    /// The string constant `k` (a field name), fetched in a cold slow path: through the
    /// trampoline, so that the slow path clobbers no register the hot code keeps values in.
    pub(crate) fn cold_const_value(&mut self, k: u32) -> Value {
        let kv = self.b.ins().iconst(types::I32, k as i64);
        self.call_rt_cold(RtFn::Const, &[kv])
            .expect("const returns a value")
    }

    pub(crate) fn lower_heap(&mut self, pc: u32, ins: Instr) {
        match ins {
            Instr::MakeList(n) => self.argv_push(RtFn::MakeList, n as usize, n as u32, &[], pc),
            Instr::MakeObject(n) => {
                let shape = self.callees.shapes.literal(self.index, pc);
                let shape = self.b.ins().iconst(types::I32, shape as i64);
                self.argv_push(RtFn::MakeObject, 2 * n as usize, n as u32, &[shape], pc)
            }
            Instr::MakeCell => {
                let v = self.pop();
                self.call_push(RtFn::MakeCell, &[v], pc);
            }
            Instr::CellGet => {
                let c = self.pop();
                let addr = self.cell_slot(c);
                let v = self.b.ins().load(V, trusted(), addr, CELL_VALUE_OFFSET);
                self.stack.push(v);
            }
            Instr::CellSet => {
                let v = self.pop();
                let c = self.pop();
                let addr = self.cell_slot(c);
                self.b.ins().store(trusted(), v, addr, CELL_VALUE_OFFSET);
            }
            Instr::MakeClosure { func, captures } => {
                let cells = self.pop_n(captures as usize);
                let argv = self.spill(&cells);
                let f = self.b.ins().iconst(types::I32, func as i64);
                let n = self.b.ins().iconst(types::I32, captures as i64);
                self.call_push(RtFn::MakeClosure, &[f, argv, n], pc);
            }
            Instr::GetCapture(i) => {
                let cell = self.capture(i);
                self.stack.push(cell);
            }
            Instr::IterPrep => {
                // A list is walked as it is (`containers::iter_prep`).
                let list = self.known_list(0);
                let a = self.pop();
                if list {
                    self.stack.push(a);
                } else {
                    self.call_push(RtFn::IterPrep, &[a], pc);
                }
            }
            Instr::RangePrep => self.range_prep(pc),
            other => unreachable!("not a heap instruction: {other:?}"),
        }
    }

    /// `a b -> a b step`: inline when both bounds are numbers holding integers of magnitude at
    /// most 2^53 (step 1 if a <= b, else -1); everything else, including the errors, is the
    /// runtime's `ilusm_rt_range_prep`.
    fn range_prep(&mut self, pc: u32) {
        let b = self.pop();
        let a = self.pop();
        self.stack.extend([a, b]);
        let limit = self.iconst(crate::abi::NUMBER_LIMIT);
        let mut cond = self.b.ins().icmp(IntCC::UnsignedLessThan, a, limit);
        let nb = self.b.ins().icmp(IntCC::UnsignedLessThan, b, limit);
        cond = self.b.ins().band(cond, nb);
        let fa = self.as_f64(a);
        let fb = self.as_f64(b);
        let mut ints = Vec::with_capacity(2);
        for f in [fa, fb] {
            // A range bound is an integer of magnitude at most 2^53 (the runtime's limit).
            let i = self.b.ins().fcvt_to_sint_sat(types::I64, f);
            let ok = self.is_safe_integer(f, i);
            cond = self.b.ins().band(cond, ok);
            ints.push(i);
        }
        // The step as a float (its word a bitcast): the join and the step's local are then
        // float registers, and the loop adds it to the counter with no move between files. Its
        // integer (`crate::int_locals`' range triples) joins too: computed after the join, from
        // constants, Cranelift would place it in the loop that uses it.
        let (fast_blk, slow_blk, join) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        let fstep = self.b.append_block_param(join, types::F64);
        let istep = self.b.append_block_param(join, types::I64);
        self.b.ins().brif(cond, fast_blk, &[], slow_blk, &[]);
        self.enter(fast_blk);
        let up = self.b.ins().fcmp(FloatCC::LessThanOrEqual, fa, fb);
        let (one, minus_one) = (self.b.ins().f64const(1.0), self.b.ins().f64const(-1.0));
        let f = self.b.ins().select(up, one, minus_one);
        let i = self.int_step(ints[0], ints[1]);
        self.b
            .ins()
            .jump(join, &[BlockArg::Value(f), BlockArg::Value(i)]);
        self.b.set_cold_block(slow_blk);
        self.enter(slow_blk);
        let r = self.call_checked_cold(RtFn::RangePrep, &[a, b], pc);
        // The runtime accepted the bounds: their conversions are exact.
        let f = self.as_f64(r);
        let i = self.int_step(ints[0], ints[1]);
        self.b
            .ins()
            .jump(join, &[BlockArg::Value(f), BlockArg::Value(i)]);
        self.enter(join);
        let step = self.f64_word(fstep);
        self.stack.push(step);
        // Past here the bounds were accepted: their conversions are exact.
        let ints_of = &mut self.region.ints;
        ints_of.insert(a, (ints[0], IntClass::Range));
        ints_of.insert(b, (ints[1], IntClass::Range));
        ints_of.insert(step, (istep, IntClass::Bounded));
    }

    /// The step of a range from `ia` to `ib` (accepted bounds) as an integer.
    fn int_step(&mut self, ia: Value, ib: Value) -> Value {
        let up = self.b.ins().icmp(IntCC::SignedLessThanOrEqual, ia, ib);
        let one = self.b.ins().iconst(types::I64, 1);
        let minus_one = self.b.ins().iconst(types::I64, -1);
        self.b.ins().select(up, one, minus_one)
    }
}
