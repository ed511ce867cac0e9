//! *Element shapes*: in a loop, a list's elements read as objects of a known shape with no check.
//!
//! nbody's pair loop reads `bj = bodies[j]` and then `bj`'s fields. A stretch forks on `bj`'s
//! shape at its first field access (`stretch.rs`): the heap tag's test, the untagging and the
//! shape's compare, on every iteration, for a list whose elements are the same five objects.
//!
//! The runtime keeps, per list, an *element shape* in its header (`ListObj::element_shape`):
//! when it is not 0, every element is an object of that shape, or was one when it was stored
//! and has lost it since, which sets the shape's lost bit in `ilusm_rt_shape_non_numbers`
//! (`heap::SHAPE_LOST_BIT`; an object's shape only ever goes to 0). The list's methods record
//! the shape of what they store (0 once the elements differ; an empty list has
//! `heap::EMPTY_ELEMENTS`, which no check compares with), and the inline `set_index` here sets
//! it to 0 (`lower_access.rs`). In every other kind the word is 0, so an element shape that is
//! a shape also says the value is a list.
//!
//! A loop twin (`twins.rs`) may carry an element fact: a list local and a shape. The loop gets
//! one when all its instructions keep object layouts (`keeps_object_layouts`: no calls, no
//! builtins but the inlined ones, no `set_index`, so no list is written and no object loses
//! its shape while it runs), the local is not assigned in it, and the loop reads fields of that
//! shape through a local it assigns an element of the list to (`loop_element_shape`). Entering
//! the loop checks the list's element shape and the shape's lost bit once; in the twin's
//! copies, `index` on that local's value gives an object of the shape (`Region::shaped_values`,
//! the slow path too: on a list it returns an element or raises), and the local it is assigned
//! to is known shaped, as if a fork had checked it.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, Value};
use cranelift_module::Module;
use ilusm_bytecode::Instr;
use ilusm_runtime::heap::{SHAPE_LOST_BIT, TRACKED_SHAPES};

use crate::abi::LIST_ELEMENTS_OFFSET;
use crate::field_numbers::NumberSlots;
use crate::lower::{trusted, FnLower};
use crate::twins::assigned_locals;

impl<M: Module> FnLower<'_, '_, M> {
    /// The list local and the shape of a loop `body`'s element fact, if any (see the module
    /// docs; the caller checked that `body` keeps object layouts): among the lists it assigns
    /// elements of to a local (`get_local l; get_local i; index; set_local e`, or a constant
    /// index), the one whose elements it reads most fields of with a shape guess, and that
    /// shape. Ties go to the lower local and shape.
    pub(crate) fn loop_element_shape(&self, body: &[(u32, Instr)]) -> Option<(u16, u32)> {
        let assigned = assigned_locals(body);
        // Each local the loop assigns an element to: the list local it comes from.
        let mut list_of: HashMap<u16, u16> = HashMap::new();
        for w in body.windows(4) {
            if let [(_, Instr::GetLocal(l)), (_, Instr::GetLocal(_) | Instr::Push(_)), (_, Instr::Index), (_, Instr::SetLocal(e))] =
                *w
            {
                if !assigned.contains(&l) {
                    list_of.insert(e, l);
                }
            }
        }
        self.most_read_shape(body, |e, shape| {
            let tracked = (shape as usize) < TRACKED_SHAPES;
            list_of.get(&e).copied().filter(|_| tracked)
        })
    }

    /// Continue in a new block when `v` (`list`: a known list) is a list whose element shape is
    /// `shape`, and (`lost`) no object of `shape` has lost it, else go to `other`. `lost` is
    /// false where the caller tests the lost bit together with number slots of the same shape
    /// (`with_lost_bit`).
    pub(crate) fn expect_element_shape(
        &mut self,
        v: Value,
        shape: u32,
        list: bool,
        lost: bool,
        other: Block,
    ) {
        // No kind test: the word is 0 in every other kind.
        let addr = if list {
            self.heap_addr(v)
        } else {
            self.expect_heap(v, other)
        };
        let elements = self
            .b
            .ins()
            .uload16(types::I32, trusted(), addr, LIST_ELEMENTS_OFFSET);
        let same = self
            .b
            .ins()
            .icmp_imm_u(IntCC::Equal, elements, shape as i64);
        let listed = self.b.create_block();
        self.b.ins().brif(same, listed, &[], other, &[]);
        self.enter(listed);
        if lost {
            let bits = NumberSlots {
                shape,
                mask: SHAPE_LOST_BIT,
            };
            self.expect_number_slots(bits, other);
        }
    }
}

/// Number slots `n` with the lost bit of their shape added: one test for both facts, where a
/// twin's element fact is about the same shape.
pub(crate) fn with_lost_bit(n: NumberSlots) -> NumberSlots {
    NumberSlots {
        shape: n.shape,
        mask: n.mask | SHAPE_LOST_BIT,
    }
}
