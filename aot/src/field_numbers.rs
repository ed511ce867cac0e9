//! *Number fields*: in a loop, fields of shaped objects read as floats with no number check.
//!
//! A field read whose value is next an operand of arithmetic is loaded into a float register,
//! and the operation tests it there (`lower_ops.rs`, `is_number`: an ordered compare and a
//! branch). In nbody's pair loop that is 9 tests of 95 instructions per pair. C knows its fields
//! are doubles; here only the program's history says so.
//!
//! The runtime keeps that history per shape (`crate::shapes`): for each shape, the bit of an
//! entry position is set once an object of that shape has held a value other than a number
//! there (`ilusm_rt_shape_non_numbers`, next to `heap::ObjObj`). Bits are only ever set, so a
//! clear bit says that *every* object of the shape holds a number at that position, now and
//! until a non-number is stored there. Every writer keeps it: the object's methods in the runtime
//! (literals, `set_field`'s slow path, `set_index` on objects, builtins), and the inline stores
//! here (`note_store_shaped`, `note_store_entry`), which test a value only when it is not known to
//! be a number.
//!
//! A loop twin (`twins.rs`) may carry a [`NumberSlots`] fact: the positions of one shape that
//! the loop reads as numbers. Entering the loop checks the shape's bits once (a load, a test and
//! a branch); in the twin's copies, a shaped read of such a position (`lower_access.rs`) is a
//! known number, so its operation checks nothing. The fact holds while nothing can store a
//! non-number into any object: a loop gets it only when all its instructions keep object
//! layouts (no calls, no builtins but the inlined ones, no object literals) and each of its
//! `set_field`s stores a known number; the lowering also drops it at any store of a value that
//! is not known to be a number (`Region::numbers`), after which the back edge goes to the plain
//! blocks. A loop whose shape has held a non-number at one of those positions runs its plain
//! blocks: the same answers, with the checks.
//!
//! Which reads count (`loop_number_slots`): a field whose value is next an operand of `- * / %`
//! or negation (a non-number raises there anyway), or of `+` or an order comparison whose other
//! operand is a known number (`+` and `<` also take strings: a string field added to a string
//! would make the check fail for every entry into the loop).

use std::collections::{BTreeMap, HashMap};

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{Block, InstBuilder, Value};
use cranelift_module::Module;
use ilusm_bytecode::Instr;
use ilusm_runtime::heap::{TRACKED_POSITIONS, TRACKED_SHAPES};

use crate::abi::{OBJ_ENTRIES_OFFSET, OBJ_SHAPE_OFFSET, PTR, SHAPE_NON_NUMBERS_SYMBOL};
use crate::lower::{trusted, FnLower, V};
use crate::stretch::operand_use;

/// Positions of one shape that every object of it holds numbers at (checked where a loop is
/// entered, `twins.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NumberSlots {
    pub shape: u32,
    /// Bit `p`: entry position `p`.
    pub mask: u64,
}

impl NumberSlots {
    /// Whether these slots include every one of `want`'s.
    pub fn covers(&self, want: &NumberSlots) -> bool {
        self.shape == want.shape && self.mask & want.mask == want.mask
    }

    /// Whether they include position `pos` of `shape`.
    pub fn has(&self, shape: u32, pos: u32) -> bool {
        self.shape == shape && tracked(shape, pos) && self.mask & (1 << pos) != 0
    }
}

/// Whether the runtime records non-numbers at position `pos` of shape `shape`.
fn tracked(shape: u32, pos: u32) -> bool {
    (shape as usize) < TRACKED_SHAPES && (pos as usize) < TRACKED_POSITIONS
}

/// log2 of an entry's size in bytes.
const ENTRY_SHIFT: i64 = crate::lower_access::ENTRY_SIZE.trailing_zeros() as i64;

impl<M: Module> FnLower<'_, '_, M> {
    /// The address of the runtime's table of non-number bits, a word per tracked shape.
    fn non_numbers_table(&mut self) -> Value {
        let id = self.rt.data(self.m, SHAPE_NON_NUMBERS_SYMBOL);
        let gv = self.m.declare_data_in_func(id, self.b.func);
        self.b.ins().symbol_value(PTR, gv)
    }

    /// Continue in a new block when no object of `slots.shape` has held a non-number at any of
    /// `slots.mask`'s positions, else go to `other`.
    pub(crate) fn expect_number_slots(&mut self, slots: NumberSlots, other: Block) {
        let table = self.non_numbers_table();
        // Not `readonly`: a store of a non-number may set a bit at any time.
        let bits = self
            .b
            .ins()
            .load(V, trusted(), table, slots.shape as i32 * 8);
        let mask = self.b.ins().iconst(V, slots.mask as i64);
        let seen = self.b.ins().band(bits, mask);
        let numbers = self.b.create_block();
        self.b.ins().brif(seen, other, &[], numbers, &[]);
        self.enter(numbers);
    }

    /// Before an inline store of `v` (not known to be a number) at position `pos` of an object
    /// of shape `shape`: record it in the shape's bits if it is not a number.
    pub(crate) fn note_store_shaped(&mut self, v: Value, shape: u32, pos: u32) {
        if !tracked(shape, pos) {
            return;
        }
        let is_num = self.is_number(v);
        let record = self.b.create_block();
        let done = self.b.create_block();
        self.b.set_cold_block(record);
        self.b.ins().brif(is_num, done, &[], record, &[]);
        self.enter(record);
        let table = self.non_numbers_table();
        let bits = self.b.ins().load(V, trusted(), table, shape as i32 * 8);
        let bits = self.b.ins().bor_imm_u(bits, 1i64 << pos);
        self.b.ins().store(trusted(), bits, table, shape as i32 * 8);
        self.b.ins().jump(done, &[]);
        self.enter(done);
    }

    /// Before an inline store of `v` (not known to be a number) into the entry at `entry` of the
    /// object at `addr`, whose shape is not known here: record it if it is not a number and the
    /// object has a tracked shape (as the runtime's writers do).
    pub(crate) fn note_store_entry(&mut self, v: Value, addr: Value, entry: Value) {
        let is_num = self.is_number(v);
        let shaped = self.b.create_block();
        let record = self.b.create_block();
        let done = self.b.create_block();
        self.b.set_cold_block(shaped);
        self.b.set_cold_block(record);
        self.b.ins().brif(is_num, done, &[], shaped, &[]);
        self.enter(shaped);
        let shape = self.b.ins().uload32(trusted(), addr, OBJ_SHAPE_OFFSET);
        let entries = self.b.ins().load(PTR, trusted(), addr, OBJ_ENTRIES_OFFSET);
        let bytes = self.b.ins().isub(entry, entries);
        let pos = self.b.ins().ushr_imm_u(bytes, ENTRY_SHIFT);
        // Shape 0 is no shape: its bits are never read, so it may be recorded like the others.
        let shape_ok =
            self.b
                .ins()
                .icmp_imm_u(IntCC::UnsignedLessThan, shape, TRACKED_SHAPES as i64);
        let pos_ok =
            self.b
                .ins()
                .icmp_imm_u(IntCC::UnsignedLessThan, pos, TRACKED_POSITIONS as i64);
        let ok = self.b.ins().band(shape_ok, pos_ok);
        self.b.ins().brif(ok, record, &[], done, &[]);
        self.enter(record);
        let table = self.non_numbers_table();
        let off = self.b.ins().ishl_imm_u(shape, 3);
        let word = self.b.ins().iadd(table, off);
        let bits = self.b.ins().load(V, trusted(), word, 0);
        let one = self.b.ins().iconst(V, 1);
        let bit = self.b.ins().ishl(one, pos);
        let bits = self.b.ins().bor(bits, bit);
        self.b.ins().store(trusted(), bits, word, 0);
        self.b.ins().jump(done, &[]);
        self.enter(done);
    }

    /// The number slots a loop `body` may assume once checked on entry, if any (see the module
    /// docs): for the shape it reads most such fields of, their positions. `known`: the number
    /// facts before each of `body`'s instructions; `targets`: the version's jump targets.
    pub(crate) fn loop_number_slots(
        &self,
        body: &[(u32, Instr)],
        known: &[Option<Vec<bool>>],
        targets: &HashMap<u32, Block>,
    ) -> Option<NumberSlots> {
        let known_at = |i: usize, from_top: usize| {
            known[i]
                .as_ref()
                .and_then(|k| k.len().checked_sub(from_top + 1).map(|j| k[j]))
                .unwrap_or(false)
        };
        if !body.iter().all(|&(_, ins)| self.keeps_object_layouts(ins)) {
            return None;
        }
        // Per shape: how many counted reads, and their positions.
        let mut reads: BTreeMap<u32, (usize, u64)> = BTreeMap::new();
        for (i, &(_, ins)) in body.iter().enumerate() {
            let Instr::GetField(k) = ins else { continue };
            let Some((shape, pos)) = self.shape_guess(k).filter(|&(s, p)| tracked(s, p)) else {
                continue;
            };
            let Some((c, above)) = operand_use(body, targets, i) else {
                continue;
            };
            let counts = match body[c].1 {
                Instr::Sub | Instr::Mul | Instr::Div | Instr::Mod | Instr::Neg => true,
                // The other operand: the top if this one is below it, else the one below.
                Instr::Add | Instr::Lt | Instr::Le | Instr::Gt | Instr::Ge => {
                    known_at(c, if above == 0 { 1 } else { 0 })
                }
                _ => false,
            };
            if counts {
                let entry = reads.entry(shape).or_default();
                entry.0 += 1;
                entry.1 |= 1 << pos;
            }
        }
        // The most reads; ties go to the lower shape (`max_by_key` keeps the last maximum).
        let slots = reads
            .into_iter()
            .rev()
            .max_by_key(|&(_, (n, _))| n)
            .map(|(shape, (_, mask))| NumberSlots { shape, mask })?;
        // Each store is of a known number, or into one of those slots (a value computed from
        // them: `b.x = b.x + d`; the lowering knows more numbers than the facts, and where a
        // store's value is not one after all, the fact ends there).
        let stores_numbers = body.iter().enumerate().all(|(i, &(_, ins))| match ins {
            Instr::SetField(k) => {
                known_at(i, 0)
                    || self
                        .shape_guess(k)
                        .is_some_and(|(shape, pos)| slots.has(shape, pos))
            }
            _ => true,
        });
        stores_numbers.then_some(slots)
    }
}
