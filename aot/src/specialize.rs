//! Parameter specialization: a small function gets a second body compiled as if some parameters
//! had the types its code suggests (numbers where they are arithmetic operands, lists where they
//! are indexed by position), entered after one check of those parameters at entry; the general
//! body runs otherwise. Within the specialized body, `crate::numbers` knows those parameters'
//! types (while they are not reassigned), so their checks disappear.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, Value};
use cranelift_module::Module;
use ilusm_bytecode::{Constant, Instr};

use crate::abi::{self, KIND_LIST, TAG_HEAP};
use crate::lower::{trusted, FnLower};
use crate::numbers::{known_facts, speculated_params, Facts, NumberReturn};

/// Which parameters a specialized body assumes to be numbers, and which lists.
pub(crate) struct Speculation {
    pub numbers: Vec<u16>,
    pub lists: Vec<u16>,
}

impl Speculation {
    /// From the facts of the general body of a function of arity `arity`.
    pub fn of(generic: &Facts, arity: u8) -> Speculation {
        let numbers = speculated_params(generic, arity);
        let lists = generic
            .list_operands
            .iter()
            .copied()
            .filter(|&l| l < arity as u16 && !numbers.contains(&l))
            .collect();
        Speculation { numbers, lists }
    }

    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty() && self.lists.is_empty()
    }

    /// The facts of the specialized body.
    pub fn facts(
        &self,
        instrs: &[(u32, Instr)],
        num_locals: usize,
        constants: &[Constant],
        returns: &[NumberReturn],
    ) -> Facts {
        let assumed =
            |of: &[u16]| -> Vec<bool> { (0..num_locals as u16).map(|l| of.contains(&l)).collect() };
        known_facts(
            instrs,
            num_locals,
            &assumed(&self.numbers),
            &assumed(&self.lists),
            constants,
            returns,
        )
    }
}

impl<M: Module> FnLower<'_, '_, M> {
    /// Check the speculated parameters (and that inlined calls cannot overflow the depth limit,
    /// so that the specialized body need not check at each: the depth is the same for the whole
    /// body); the blocks of the specialized and of the general body, neither entered yet.
    pub(crate) fn pick_version(
        &mut self,
        params: &[Value],
        speculated: &Speculation,
    ) -> (Block, Block) {
        let fast = self.b.create_block();
        let general = self.b.create_block();
        let mut cond = self
            .leaf_overflow
            .map(|over| self.b.ins().icmp_imm_u(IntCC::Equal, over, 0));
        for &l in &speculated.numbers {
            let is_num = self.b.ins().icmp_imm_u(
                IntCC::UnsignedLessThan,
                params[l as usize],
                abi::NUMBER_LIMIT as i64,
            );
            cond = Some(self.conjoin(cond, is_num));
        }
        for &l in &speculated.lists {
            // A list is a heap value whose object has the list kind; the kind is only read once
            // the tag says the word is a heap address.
            let p = params[l as usize];
            let tag = self.b.ins().ushr_imm_u(p, 48);
            let is_heap = self.b.ins().icmp_imm_u(IntCC::Equal, tag, TAG_HEAP as i64);
            let c = self.conjoin(cond, is_heap);
            let heap = self.b.create_block();
            self.b.ins().brif(c, heap, &[], general, &[]);
            self.enter(heap);
            let addr = self.heap_addr(p);
            let kind = self.b.ins().uload8(types::I32, trusted(), addr, 0);
            let is_list = self
                .b
                .ins()
                .icmp_imm_u(IntCC::Equal, kind, KIND_LIST as i64);
            cond = Some(is_list);
        }
        let cond = cond.expect("something is speculated");
        self.b.ins().brif(cond, fast, &[], general, &[]);
        (fast, general)
    }

    /// `cond && c` (just `c` without a `cond`).
    fn conjoin(&mut self, cond: Option<Value>, c: Value) -> Value {
        match cond {
            Some(prev) => self.b.ins().band(prev, c),
            None => c,
        }
    }
}
