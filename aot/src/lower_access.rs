//! Inline fast paths for the hottest container accesses: list elements (`index`, `index_opt`,
//! `set_index`, `len`) and object fields (`get_field`, `get_field_opt`, `set_field`).
//!
//! Native code reads a list's or object's buffer through its *native view*, a pointer and a
//! length at fixed offsets that the runtime keeps equal to its `Vec`'s (`heap::LIST_ITEMS_OFFSET`,
//! `heap::OBJ_ENTRIES_OFFSET`). Native code never grows, shrinks or reallocates a buffer: it only
//! loads, and stores over an element that exists. Anything else (strings, out-of-range or
//! fractional indices, a missing key, a non-container, every error) is the runtime call the
//! instruction always made, so behaviour and error messages are the runtime's.
//!
//! Field accesses go through a per-site inline cache: 16 bytes (`abi::FieldCache`: the key
//! string's word and the entry position it was last found at) in the module's zero-initialised
//! `ilusm_field_caches` data. A hit is: the value is an object, the cached position is below its
//! entry count, and the entry there holds the cached key (the same string object; keys of object
//! literals and field names are the program's shared constants). A miss calls
//! `ilusm_rt_*_field_ic`, which looks the key up and refills the cache. Before the cache, a key
//! that is in exactly one object-literal shape (`crate::shapes`) checks the object's shape word:
//! an object of that shape has the entry at a fixed offset, so the hit is a compare and a load.
//!
//! A `get_field` or `set_field` that succeeded proves its operand an object (both raise on
//! anything else), and a value's kind never changes: when the operand is a local's value, later
//! accesses through that local in the same straight-line stretch of bytecode skip the tag and
//! kind checks (`Regions`, forgotten at every jump target and when the local is assigned).

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, Block, BlockArg, InstBuilder, Value};
use cranelift_module::Module;
use ilusm_bytecode::{Constant, Instr};

use crate::abi::{
    RtFn, FIELD_CACHE_SIZE, KIND_LIST, KIND_OBJECT, LIST_ELEMENTS_OFFSET, LIST_ITEMS_OFFSET,
    LIST_LEN_OFFSET, NUMBER_LIMIT, OBJ_ENTRIES_OFFSET, OBJ_LEN_OFFSET, OBJ_SHAPE_OFFSET,
    PAYLOAD_MASK, PTR, TAG_HEAP,
};
use crate::int_locals::IntClass;
use crate::lower::{trusted, FnLower, V};
use crate::numbers::Int;

/// Bytes of one object entry (a key word and a value word).
pub(crate) const ENTRY_SIZE: i64 = 16;

/// Where `field_fast_paths` found an entry.
#[derive(Clone, Copy)]
enum EntryAt {
    /// At position `pos` of shape `shape`, which the object has.
    Shaped { shape: u32, pos: u32 },
    /// Where the site's inline cache said, in the object at `addr` (of any shape).
    Cached { addr: Value },
}

impl<M: Module> FnLower<'_, '_, M> {
    /// The address in the heap value `a` (its low 48 bits, `abi::PAYLOAD_MASK`). A rotation and
    /// a shift, not an `and` with the mask: x86_64 has no 64-bit immediate for `and`, so that was
    /// a load of the mask from memory, and Cranelift rematerializes an `and` with a constant in
    /// every block that uses it, so each access recomputed the address (from a spilled word)
    /// instead of keeping it in a register. (Cranelift rewrites a shift pair back into the `and`.)
    pub(crate) fn heap_addr(&mut self, a: Value) -> Value {
        const _: () = assert!(PAYLOAD_MASK == (1 << 48) - 1);
        let tag_low = self.b.ins().rotl_imm_u(a, 16);
        self.b.ins().ushr_imm_u(tag_low, 16)
    }

    /// Continue in a new block when `a` is a heap reference, else go to `slow`; its address.
    pub(crate) fn expect_heap(&mut self, a: Value, slow: Block) -> Value {
        let tag = self.b.ins().ushr_imm_u(a, 48);
        let is_heap = self.b.ins().icmp_imm_u(IntCC::Equal, tag, TAG_HEAP as i64);
        let heap_blk = self.b.create_block();
        self.b.ins().brif(is_heap, heap_blk, &[], slow, &[]);
        self.enter(heap_blk);
        self.heap_addr(a)
    }

    /// Continue in a new block when `a` is a heap object of kind `kind`, else go to `slow`; the
    /// object's address.
    pub(crate) fn expect_kind(&mut self, a: Value, kind: u8, slow: Block) -> Value {
        let addr = self.expect_heap(a, slow);
        let k = self.b.ins().uload8(types::I32, trusted(), addr, 0);
        let is_kind = self.b.ins().icmp_imm_u(IntCC::Equal, k, kind as i64);
        let kind_blk = self.b.create_block();
        self.b.ins().brif(is_kind, kind_blk, &[], slow, &[]);
        self.enter(kind_blk);
        addr
    }

    /// The address of the list `a`, going to `slow` if it is not one; `known`: it is a known list
    /// (`crate::numbers`), so nothing is checked (nor for a local a loop twin knows to hold one).
    fn expect_list(&mut self, a: Value, known: bool, slow: Block) -> Value {
        if self.list_unchecked(a, known) {
            self.heap_addr(a)
        } else {
            self.expect_kind(a, KIND_LIST, slow)
        }
    }

    /// Whether [`Self::expect_list`] checks nothing for `a`.
    fn list_unchecked(&self, a: Value, known: bool) -> bool {
        let r = &self.region;
        known
            || r.local_of
                .get(&a)
                .is_some_and(|l| r.list_locals.contains(l))
    }

    /// Continue in a new block when `i` is a number holding an integer below the length of the
    /// list at `addr`, else go to `slow`; the index as an `i64`. `known`: `i` is a known number,
    /// and what is known about its value.
    fn expect_list_position(
        &mut self,
        addr: Value,
        i: Value,
        known: (bool, Int),
        slow: Block,
    ) -> Value {
        let is_num = (!known.0).then(|| {
            self.b
                .ins()
                .icmp_imm_u(IntCC::UnsignedLessThan, i, NUMBER_LIMIT as i64)
        });
        // A known number with an integer (`lower_ints.rs`) is a position as it is: where it
        // differs from the number, both are at least 2^53, out of range.
        if let Some(n) = self.int_position(i).filter(|_| known.0) {
            let len = self.b.ins().load(V, trusted(), addr, LIST_LEN_OFFSET);
            let in_range = self.b.ins().icmp(IntCC::UnsignedLessThan, n, len);
            let hit = self.b.create_block();
            self.b.ins().brif(in_range, hit, &[], slow, &[]);
            self.enter(hit);
            return n;
        }
        let f = self.as_f64(i);
        // Converted with saturation: NaN gives 0, +-inf and numbers beyond the i64 range give
        // its extremes, which are out of range (below, unsigned). -0 is position 0, as in the
        // runtime. For a non-number word the result is meaningless, and `is_num` is false.
        let n = self.b.ins().fcvt_to_sint_sat(types::I64, f);
        let integral = match known.1 {
            // Exact already.
            Int::Safe | Int::Unit => None,
            // Integral or not finite: only NaN (position 0) is left to exclude.
            Int::Whole => Some(self.b.ins().fcmp(FloatCC::Ordered, f, f)),
            // Integral: converting back gives the same number.
            Int::No => {
                let back = self.b.ins().fcvt_from_sint(types::F64, n);
                Some(self.b.ins().fcmp(FloatCC::Equal, back, f))
            }
        };
        let len = self.b.ins().load(V, trusted(), addr, LIST_LEN_OFFSET);
        // Unsigned: a negative index is out of range too.
        let in_range = self.b.ins().icmp(IntCC::UnsignedLessThan, n, len);
        // One branch per condition: each compare then sets the flags its branch tests, where an
        // `and` of the conditions made each into a register first (six instructions for an
        // integral index that may be NaN, sieve's inner loop, against four).
        for ok in [is_num, integral, Some(in_range)].into_iter().flatten() {
            let hit = self.b.create_block();
            self.b.ins().brif(ok, hit, &[], slow, &[]);
            self.enter(hit);
        }
        n
    }

    /// Continue in a new block when `a` is a list and `i` a position in it, else go to `slow`;
    /// the list's address and that element's. `list`: `a` is a known list; `index`: `i` is a known number,
    /// and what is known about its value.
    fn expect_element(
        &mut self,
        a: Value,
        i: Value,
        list: bool,
        index: (bool, Int),
        slow: Block,
    ) -> (Value, Value) {
        let addr = self.expect_list(a, list, slow);
        let n = self.expect_list_position(addr, i, index, slow);
        (addr, self.element_addr(addr, n))
    }

    /// The address of element `n` of the list at `addr`.
    fn element_addr(&mut self, addr: Value, n: Value) -> Value {
        let items = self.b.ins().load(PTR, trusted(), addr, LIST_ITEMS_OFFSET);
        let off = self.b.ins().ishl_imm_u(n, 3);
        self.b.ins().iadd(items, off)
    }

    /// The address of field cache `site` in `ilusm_field_caches`.
    fn field_cache(&mut self, site: u32) -> Value {
        let gv = match self.field_caches_gv {
            Some(gv) => gv,
            None => {
                let id = self
                    .field_caches
                    .expect("field caches declared for a field access");
                let gv = self.m.declare_data_in_func(id, self.b.func);
                self.field_caches_gv = Some(gv);
                gv
            }
        };
        let base = self.b.ins().symbol_value(PTR, gv);
        self.b
            .ins()
            .iadd_imm_s(base, site as i64 * FIELD_CACHE_SIZE)
    }

    /// The fast paths of an access of field `k` of `a`: `at(self, base, offset)` is lowered
    /// where the entry is known to be at `base + offset` and must end its block (jump to the
    /// join); everything else goes to `slow`. Where the key has a shape to guess
    /// (`crate::shapes`), an object of that shape has the entry at the shape's position (a fixed
    /// offset, folded into `at`'s loads and stores); any other object is checked against the
    /// site's inline cache `cache` (offset 0 from the entry found there).
    fn field_fast_paths(
        &mut self,
        a: Value,
        k: u32,
        cache: Value,
        slow: Block,
        mut at: impl FnMut(&mut Self, Value, i32, EntryAt),
    ) {
        let Some((shape, pos)) = self.shape_guess(k) else {
            let addr = self.expect_object(a, slow);
            let entry = self.expect_cached_entry(addr, cache, slow, false);
            at(self, entry, 0, EntryAt::Cached { addr });
            return;
        };
        let lookup = self.b.create_block();
        // Laid out after the function's hot code (it is not cold for objects without this
        // shape, but then it is only two jumps more), so that a shaped access is straight code.
        self.b.set_cold_block(lookup);
        let addr = self.expect_shaped_object(a, shape, lookup);
        let entries = self.b.ins().load(PTR, trusted(), addr, OBJ_ENTRIES_OFFSET);
        at(
            self,
            entries,
            pos as i32 * ENTRY_SIZE as i32,
            EntryAt::Shaped { shape, pos },
        );
        self.enter(lookup);
        // Any heap value other than an object of the shape: is it an object at all?
        let addr = self.expect_object(a, slow);
        let entry = self.expect_cached_entry(addr, cache, slow, true);
        at(self, entry, 0, EntryAt::Cached { addr });
    }

    /// The address of the object `a`, going to `slow` if it is not one (nothing is checked when
    /// this stretch already proved it an object).
    pub(crate) fn expect_object(&mut self, a: Value, slow: Block) -> Value {
        if self.known_object(a) {
            self.heap_addr(a)
        } else {
            self.expect_kind(a, KIND_OBJECT, slow)
        }
    }

    /// Continue in a new block when `a` is an object of shape `shape`, else go to `other`; the
    /// object's address. One compare of the shape word in the header after the heap tag's: every
    /// other kind has 0 there, and a shape is never 0 (`heap::Header::shape`), so the kind byte
    /// is not read.
    pub(crate) fn expect_shaped_object(&mut self, a: Value, shape: u32, other: Block) -> Value {
        debug_assert_ne!(shape, 0, "0 is no shape");
        let addr = if self.known_object(a) {
            self.heap_addr(a)
        } else {
            self.expect_heap(a, other)
        };
        let has = self.b.ins().uload32(trusted(), addr, OBJ_SHAPE_OFFSET);
        let same = self.b.ins().icmp_imm_u(IntCC::Equal, has, shape as i64);
        let shaped = self.b.create_block();
        self.b.ins().brif(same, shaped, &[], other, &[]);
        self.enter(shaped);
        addr
    }

    /// Where this copy of the stretch knows `a`'s object to have the shape that key `k` is
    /// guessed in (`stretch.rs`): its entries pointer and the byte offset of `k`'s entry.
    fn shaped_entry(&mut self, a: Value, k: u32) -> Option<(Value, i32)> {
        let local = self.region.local_of.get(&a)?;
        let shape = *self.region.shaped.get(local)?;
        let (guessed, pos) = self.shape_guess(k)?;
        if guessed != shape {
            return None;
        }
        // Loaded once per local in this copy of the stretch: the first access dominates the
        // later ones (they are on its straight line, slow paths rejoin before them).
        let entries = match self.region.shaped_entries.get(local) {
            Some(&e) => e,
            None => {
                let local = *local;
                let addr = match self.region.addrs.get(&local) {
                    Some(&addr) => addr,
                    None => self.heap_addr(a),
                };
                let e = self.b.ins().load(PTR, trusted(), addr, OBJ_ENTRIES_OFFSET);
                self.region.shaped_entries.insert(local, e);
                e
            }
        };
        Some((entries, pos as i32 * ENTRY_SIZE as i32))
    }

    /// The shape to check and the entry position it gives for an access of the field named by
    /// constant `k` (`crate::shapes`).
    pub(crate) fn shape_guess(&self, k: u32) -> Option<(u32, u32)> {
        match &self.bc.constants[k as usize] {
            Constant::Str(key) => self.callees.shapes.guess(key),
            Constant::Num(_) => None,
        }
    }

    /// Continue in a new block when the object at `addr` has, at the position cached in `cache`,
    /// the cached key, else go to `slow`; the address of that entry. `cold`: lay the new blocks
    /// out after the hot code.
    fn expect_cached_entry(&mut self, addr: Value, cache: Value, slow: Block, cold: bool) -> Value {
        let pos = self.b.ins().load(V, trusted(), cache, 8);
        let len = self.b.ins().load(V, trusted(), addr, OBJ_LEN_OFFSET);
        let in_range = self.b.ins().icmp(IntCC::UnsignedLessThan, pos, len);
        let in_blk = self.b.create_block();
        let hit = self.b.create_block();
        if cold {
            self.b.set_cold_block(in_blk);
            self.b.set_cold_block(hit);
        }
        self.b.ins().brif(in_range, in_blk, &[], slow, &[]);
        self.enter(in_blk);
        let entries = self.b.ins().load(PTR, trusted(), addr, OBJ_ENTRIES_OFFSET);
        let off = self.b.ins().imul_imm_s(pos, ENTRY_SIZE);
        let entry = self.b.ins().iadd(entries, off);
        let key = self.b.ins().load(V, trusted(), entry, 0);
        let want = self.b.ins().load(V, trusted(), cache, 0);
        let same = self.b.ins().icmp(IntCC::Equal, key, want);
        self.b.ins().brif(same, hit, &[], slow, &[]);
        self.enter(hit);
        entry
    }

    /// A cold block for the general case, and the join block (one value parameter if `result`).
    fn slow_and_join(&mut self, result: bool) -> (Block, Block) {
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let join = self.b.create_block();
        if result {
            self.b.append_block_param(join, V);
        }
        (slow, join)
    }

    /// In the cold block (current): call `f(args)` (checked for errors at `pc`), jump to `join`
    /// (with the result if `result`), and continue in `join`; its parameter if any.
    fn finish_slow(
        &mut self,
        join: Block,
        f: RtFn,
        args: &[Value],
        pc: u32,
        result: bool,
    ) -> Option<Value> {
        let r = self.call_checked_cold(f, args, pc);
        let jargs: &[BlockArg] = if result { &[BlockArg::Value(r)] } else { &[] };
        self.b.ins().jump(join, jargs);
        self.enter(join);
        result.then(|| self.b.block_params(join)[0])
    }

    /// `index`, `index_opt`, `set_index`, `len`, `get_field`, `get_field_opt`, `set_field`.
    pub(crate) fn lower_access(&mut self, pc: u32, ins: Instr) {
        match ins {
            Instr::Index | Instr::IndexOpt => {
                let list = self.known_list(1);
                let index = (self.known_number(0), self.known_int(0));
                let i = self.pop();
                let a = self.pop();
                // `index` (which raises where `index_opt` gives nil) of a list whose elements
                // are known objects of a shape gives one, on the slow path too.
                let shaped = self.region.elements.filter(|&(l, _)| {
                    ins == Instr::Index && self.region.local_of.get(&a) == Some(&l)
                });
                let (slow, join) = self.slow_and_join(true);
                let (_, at) = self.expect_element(a, i, list, index, slow);
                let v = self.b.ins().load(V, trusted(), at, 0);
                self.b.ins().jump(join, &[BlockArg::Value(v)]);
                let f = if ins == Instr::Index {
                    RtFn::Index
                } else {
                    RtFn::IndexOpt
                };
                self.enter(slow);
                let r = self.finish_slow(join, f, &[a, i], pc, true);
                let r = r.expect("a result");
                if let Some((_, shape)) = shaped {
                    self.region.shaped_values.insert(r, shape);
                }
                self.stack.push(r);
            }
            Instr::SetIndex => {
                let list = self.known_list(2);
                let index = (self.known_number(1), self.known_int(1));
                let v = self.pop();
                let i = self.pop();
                let a = self.pop();
                let (slow, join) = self.slow_and_join(false);
                let (addr, at) = self.expect_element(a, i, list, index, slow);
                self.store_word(v, at, 0);
                // The list's element shape says nothing any more (`crate::list_elements`); the
                // runtime's `set_index` keeps it on the slow path.
                let zero = self.b.ins().iconst(types::I16, 0);
                self.b
                    .ins()
                    .store(trusted(), zero, addr, LIST_ELEMENTS_OFFSET);
                self.b.ins().jump(join, &[]);
                self.enter(slow);
                self.finish_slow(join, RtFn::SetIndex, &[a, i, v], pc, false);
            }
            Instr::Len => {
                let list = self.known_list(0);
                let a = self.pop();
                // The length joins as a float: its uses compare or compute with it.
                let (slow, join) = self.slow_and_join(false);
                let n = self.b.append_block_param(join, types::F64);
                let unchecked = self.list_unchecked(a, list);
                let addr = self.expect_list(a, list, slow);
                let len = self.b.ins().load(V, trusted(), addr, LIST_LEN_OFFSET);
                // A length is far below 2^63: the signed conversion is exact, and one
                // instruction on x86_64 (the unsigned one tests the sign and has a second path).
                let f = self.b.ins().fcvt_from_sint(types::F64, len);
                self.b.ins().jump(join, &[BlockArg::Value(f)]);
                self.enter(slow);
                let r = self.call_checked_cold(RtFn::Len, &[a], pc);
                // The runtime's `len` is a number (or an error, which left already).
                let r = self.as_f64(r);
                self.b.ins().jump(join, &[BlockArg::Value(r)]);
                self.enter(join);
                let v = self.f64_word(n);
                // Without a check the join's only way in is the fast path: its integer is the
                // length itself.
                if unchecked {
                    self.region.ints.insert(v, (len, IntClass::Bounded));
                }
                self.stack.push(v);
            }
            Instr::GetField(_) | Instr::GetFieldOpt(_) | Instr::SetField(_) if self.lean => {
                self.lean_field_access(pc, ins)
            }
            Instr::GetField(k) | Instr::GetFieldOpt(k) => {
                let a = self.pop();
                if let Some((entries, off)) = self.shaped_entry(a, k) {
                    let v = if self.pushes_operand {
                        // Loaded into a float register, where the operation's number check
                        // (an ordered compare) and its arithmetic use it.
                        let f = self.b.ins().load(types::F64, trusted(), entries, off + 8);
                        self.f64_word(f)
                    } else {
                        self.b.ins().load(V, trusted(), entries, off + 8)
                    };
                    // A number with no check where the loop's twin checked the shape's bits.
                    let guess = self.shape_guess(k).expect("a shaped entry has a guess");
                    if self.region.numbers.is_some_and(|n| n.has(guess.0, guess.1)) {
                        self.number_values.insert(v);
                    }
                    self.stack.push(v);
                    return;
                }
                let plain = matches!(ins, Instr::GetField(_));
                // Where a local's object has the key, for a later `set_field` of the same key.
                let local = self.region.local_of.get(&a).copied().filter(|_| plain);
                let cache = self.field_cache_at(pc);
                let (slow, join) = self.slow_and_join(true);
                let found = local.map(|_| self.b.append_block_param(join, PTR));
                self.field_fast_paths(a, k, cache, slow, |s, base, off, _| {
                    let v = s.b.ins().load(V, trusted(), base, off + 8);
                    let mut args = vec![BlockArg::Value(v)];
                    if found.is_some() {
                        let entry = s.b.ins().iadd_imm_s(base, off as i64);
                        args.push(BlockArg::Value(entry));
                    }
                    s.b.ins().jump(join, &args);
                });
                let f = if plain {
                    RtFn::GetFieldIc
                } else {
                    RtFn::GetFieldOptIc
                };
                self.enter(slow);
                let key = self.cold_const_value(k);
                let r = self.call_checked_cold(f, &[a, key, cache], pc);
                let mut args = vec![BlockArg::Value(r)];
                if found.is_some() {
                    let unknown = self.b.ins().iconst(PTR, 0);
                    args.push(BlockArg::Value(unknown));
                }
                self.b.ins().jump(join, &args);
                self.enter(join);
                let r = self.b.block_params(join)[0];
                self.stack.push(r);
                if let (Some(l), Some(found)) = (local, found) {
                    self.region.entries.insert((l, k), found);
                }
                if plain {
                    // It succeeded, so `a` is an object (`get_field` raises on anything else).
                    self.proven_object(a);
                }
            }
            Instr::SetField(k) => {
                // A store of anything but a known number must keep the runtime's record of
                // non-numbers per shape (`crate::field_numbers`), and may end what it says.
                let number = self.known_number(0);
                let v = self.pop();
                let a = self.pop();
                if !number {
                    self.region.numbers = None;
                }
                if let Some((entries, off)) = self.shaped_entry(a, k) {
                    // The key is there (at the shape's position): only its value changes.
                    if !number {
                        let (shape, pos) = self.shape_guess(k).expect("a shaped entry has a guess");
                        self.note_store_shaped(v, shape, pos);
                    }
                    self.store_word(v, entries, off + 8);
                    return;
                }
                let found = self
                    .region
                    .local_of
                    .get(&a)
                    .and_then(|l| self.region.entries.get(&(*l, k)))
                    .copied();
                let cache = self.field_cache_at(pc);
                let (slow, join) = self.slow_and_join(false);
                if let Some(found) = found {
                    // An earlier `get_field` of this key through this local found its entry
                    // (unless it took the slow path: 0), and nothing since could have moved it.
                    let known = self.b.create_block();
                    let lookup = self.b.create_block();
                    self.b.ins().brif(found, known, &[], lookup, &[]);
                    self.enter(known);
                    if !number {
                        // `a` is an object: the `get_field` that found the entry succeeded.
                        let addr = self.heap_addr(a);
                        self.note_store_entry(v, addr, found);
                    }
                    self.store_word(v, found, 8);
                    self.b.ins().jump(join, &[]);
                    self.enter(lookup);
                }
                self.field_fast_paths(a, k, cache, slow, |s, base, off, entry_at| {
                    match entry_at {
                        _ if number => {}
                        EntryAt::Shaped { shape, pos } => s.note_store_shaped(v, shape, pos),
                        EntryAt::Cached { addr } => s.note_store_entry(v, addr, base),
                    }
                    s.store_word(v, base, off + 8);
                    s.b.ins().jump(join, &[]);
                });
                self.enter(slow);
                let key = self.cold_const_value(k);
                self.finish_slow(join, RtFn::SetFieldIc, &[a, key, v, cache], pc, false);
                if found.is_none() {
                    // Its slow path may have added the key, moving that object's entries. With
                    // a found entry the key was there and stays: it is only overwritten.
                    self.region.entries_moved(false);
                }
                self.proven_object(a);
            }
            other => unreachable!("not an access instruction: {other:?}"),
        }
    }

    /// A field access in the general version of a function that also has a specialized one
    /// (`FnLower::lean`): a call of the runtime's access through the site's cache, with no
    /// inline path. That version runs only where the speculation failed, and the inline paths
    /// were about a fifth of the IR of nbody's functions (their JIT start-up: 202.7 M -> 167.6 M
    /// instructions); no benchmark's instruction count moved.
    fn lean_field_access(&mut self, pc: u32, ins: Instr) {
        let cache = self.field_cache_at(pc);
        match ins {
            Instr::GetField(k) | Instr::GetFieldOpt(k) => {
                let a = self.pop();
                let key = self.string_constant(k);
                let f = if matches!(ins, Instr::GetField(_)) {
                    RtFn::GetFieldIc
                } else {
                    RtFn::GetFieldOptIc
                };
                let r = self.call_checked(f, &[a, key, cache], pc);
                self.stack.push(r);
            }
            Instr::SetField(k) => {
                let v = self.pop();
                let a = self.pop();
                let key = self.string_constant(k);
                self.call_checked(RtFn::SetFieldIc, &[a, key, v, cache], pc);
                // It may have appended a key (moving that object's entries) or stored a
                // non-number; a lean version has no twins or forks, but keep the facts honest.
                self.region.entries_moved(false);
                self.region.numbers = None;
            }
            other => unreachable!("not a field access: {other:?}"),
        }
    }

    /// Whether `ins` leaves every object's entries where they are: it cannot add or remove a
    /// key (only `set_field`, `set_index` on an object, and builtins and calls can), so the
    /// entry addresses in `Region::entries` stay valid across it. `set_field` decides itself.
    pub(crate) fn keeps_object_layouts(&self, ins: Instr) -> bool {
        match ins {
            Instr::CallDirect { func, .. } => self.callees.inlined[func as usize],
            Instr::GetField(_)
            | Instr::GetFieldOpt(_)
            | Instr::SetField(_)
            | Instr::SetGlobal(_)
            | Instr::RangePrep => true,
            // What an inlined leaf may do touches no object either (`inline_call` keeps the
            // caller's entries across one).
            other => crate::inline::leaf_instr(other),
        }
    }

    /// Whether `a` is the value of a local proven an object in this stretch of bytecode.
    fn known_object(&self, a: Value) -> bool {
        let r = &self.region;
        r.local_of
            .get(&a)
            .is_some_and(|l| r.object_locals.contains(l))
    }

    /// A field access on `a` succeeded: if `a` is a local's value, that local holds an object.
    fn proven_object(&mut self, a: Value) {
        if let Some(&l) = self.region.local_of.get(&a) {
            self.region.object_locals.insert(l);
        }
    }

    /// The address of the cache of the field access at `pc`.
    fn field_cache_at(&mut self, pc: u32) -> Value {
        let site = self.field_sites[&pc];
        self.field_cache(site)
    }
}
