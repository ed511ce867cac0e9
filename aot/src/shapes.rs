//! Object shapes: numbers for the key sequences of the program's object literals, and the field
//! accesses that may check a shape instead of going through their inline cache.
//!
//! Before any function is lowered, every `make_object` whose keys are string constants (pushed
//! by `push` in the same straight-line stretch, all different) gets the number of its key
//! sequence, its *shape* (1, 2, ...; equal sequences share a number). The lowering passes it to
//! `ilusm_rt_make_object`, which stores it in the object (`heap::ObjObj::shape`); the runtime
//! resets it to 0 when a key is removed, so an object whose shape is S has S's keys at S's
//! positions (keys added later come after them).
//!
//! A key that appears in exactly one shape (at one position) lets each access of that key check
//! the object's shape word against that shape and read the entry at its fixed position: a load,
//! a compare and a branch, against the inline cache's two loads of the cache, the entry count, the
//! bounds check and the key comparison. Any other object (another shape, shape 0, an object made
//! by a builtin) takes the inline cache as before, so the guess is only ever a fast path.
//!
//! Shape numbers mean something only within one module: every process runs native code of one
//! module (an AOT executable, or `ilusm run --jit`, which compiles the whole program at once), and
//! objects the runtime or the interpreter makes have shape 0.
//!
//! This is not hidden classes: shapes are not created at run time, and an object that loses a
//! key loses its shape for good. It fits programs whose records are built by literals (nbody's
//! bodies), which is where field accesses are hottest.

use std::collections::HashMap;

use ilusm_bytecode::{Constant, Instr};

use crate::lower::stack_depths;

/// The shapes of a module: which literal makes which, and which keys can be guessed.
#[derive(Debug, Default)]
pub(crate) struct Shapes {
    /// Per function: the shape of the `make_object` at each pc that has one.
    literals: Vec<HashMap<u32, u32>>,
    /// Per key text: the only shape with that key and its position there, or `None` if several
    /// shapes (or positions) have it.
    fields: HashMap<String, Option<(u32, u32)>>,
}

impl Shapes {
    /// Number the literal shapes of the functions `bodies` (decoded code) over `constants`.
    pub fn analyze(bodies: &[Vec<(u32, Instr)>], constants: &[Constant]) -> Shapes {
        let text = |k: u32| match constants.get(k as usize) {
            Some(Constant::Str(s)) => Some(s.as_str()),
            _ => None,
        };
        let mut numbered: HashMap<Vec<&str>, u32> = HashMap::new();
        let mut order: Vec<Vec<&str>> = Vec::new();
        let mut literals = Vec::with_capacity(bodies.len());
        for body in bodies {
            let mut here = HashMap::new();
            for (pc, keys) in literal_keys(body, &text) {
                let next = order.len() as u32 + 1;
                let shape = *numbered.entry(keys.clone()).or_insert_with(|| {
                    order.push(keys);
                    next
                });
                here.insert(pc, shape);
            }
            literals.push(here);
        }
        let mut fields: HashMap<String, Option<(u32, u32)>> = HashMap::new();
        for (i, keys) in order.iter().enumerate() {
            let shape = i as u32 + 1;
            for (pos, key) in keys.iter().enumerate() {
                let at = Some((shape, pos as u32));
                fields
                    .entry(key.to_string())
                    .and_modify(|g| {
                        if *g != at {
                            *g = None
                        }
                    })
                    .or_insert(at);
            }
        }
        Shapes { literals, fields }
    }

    /// The shape of the object literal built by the `make_object` at `pc` of function `func`,
    /// or 0.
    pub fn literal(&self, func: u32, pc: u32) -> u32 {
        self.literals
            .get(func as usize)
            .and_then(|l| l.get(&pc))
            .copied()
            .unwrap_or(0)
    }

    /// For a field access of `key`: the shape to check and the entry position it has there.
    pub fn guess(&self, key: &str) -> Option<(u32, u32)> {
        self.fields.get(key).copied().flatten()
    }
}

/// The `make_object`s of `body` whose keys are all string constants known in the same
/// straight-line stretch and all different: their pcs and key texts, in order.
fn literal_keys<'c>(
    body: &[(u32, Instr)],
    text: &impl Fn(u32) -> Option<&'c str>,
) -> Vec<(u32, Vec<&'c str>)> {
    let depths = stack_depths(body);
    let targets: std::collections::HashSet<u32> =
        body.iter().filter_map(|(_, i)| i.jump_target()).collect();
    // The operand stack, bottom first: the text of each slot that holds a string constant.
    let mut stack: Vec<Option<&str>> = Vec::new();
    let mut found = Vec::new();
    for (i, &(pc, ins)) in body.iter().enumerate() {
        let Some(depth) = depths[i] else {
            continue;
        };
        // Where paths meet (or after a jump or a return), nothing is known of the slots.
        if targets.contains(&pc) || stack.len() != depth {
            stack = vec![None; depth];
        }
        match ins {
            Instr::Push(k) => stack.push(text(k)),
            Instr::Dup => stack.push(stack.last().copied().flatten()),
            Instr::MakeObject(n) if n > 0 => {
                let pairs = stack.split_off(stack.len() - 2 * n as usize);
                let keys: Option<Vec<&str>> = pairs.iter().step_by(2).copied().collect();
                if let Some(keys) = keys {
                    let mut sorted = keys.clone();
                    sorted.sort_unstable();
                    sorted.dedup();
                    if sorted.len() == keys.len() {
                        found.push((pc, keys));
                    }
                }
                stack.push(None);
            }
            other => {
                let (pop, push) = other.stack_effect();
                stack.truncate(stack.len().saturating_sub(pop));
                stack.resize(stack.len() + push, None);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(texts: &[&str]) -> Vec<Constant> {
        texts.iter().map(|t| Constant::Str(t.to_string())).collect()
    }

    /// A body from instructions, at pcs 0, 1, 2, ... (the analysis only needs them distinct and
    /// in order, and jump targets among them).
    fn body(instrs: &[Instr]) -> Vec<(u32, Instr)> {
        instrs
            .iter()
            .enumerate()
            .map(|(i, &x)| (i as u32, x))
            .collect()
    }

    #[test]
    fn equal_key_sequences_share_a_shape_and_unique_keys_are_guessed() {
        // constants: 0 "x", 1 "y", 2 "z", 3 "w"
        let consts = strs(&["x", "y", "z", "w"]);
        let f = body(&[
            Instr::Push(0),
            Instr::PushNil,
            Instr::Push(1),
            Instr::PushNil,
            Instr::MakeObject(2), // pc 4: {x, y}
            Instr::Pop,
            Instr::Push(0),
            Instr::PushNil,
            Instr::Push(1),
            Instr::PushNil,
            Instr::MakeObject(2), // pc 10: {x, y} again
            Instr::Pop,
            Instr::Push(2),
            Instr::PushNil,
            Instr::Push(0),
            Instr::PushNil,
            Instr::MakeObject(2), // pc 16: {z, x}
            Instr::Pop,
        ]);
        let s = Shapes::analyze(&[f], &consts);
        assert_eq!(
            (s.literal(0, 4), s.literal(0, 10), s.literal(0, 16)),
            (1, 1, 2)
        );
        assert_eq!(s.guess("y"), Some((1, 1)));
        assert_eq!(s.guess("z"), Some((2, 0)));
        assert_eq!(s.guess("x"), None, "x is in two shapes");
        assert_eq!(s.guess("w"), None, "in no literal");
    }

    #[test]
    fn literals_with_unknown_or_repeated_keys_have_no_shape() {
        let consts = strs(&["x", "y"]);
        let f = body(&[
            Instr::Push(0),
            Instr::PushNil,
            Instr::Push(0),
            Instr::PushNil,
            Instr::MakeObject(2), // pc 4: {x, x}
            Instr::Pop,
            Instr::GetLocal(0), // a key computed at run time
            Instr::PushNil,
            Instr::MakeObject(1), // pc 8
            Instr::Pop,
            // A key pushed before a jump target: another path may reach pc 13 with another key.
            Instr::Push(1),
            Instr::PushTrue,
            Instr::JumpIfNot(13),
            Instr::PushNil,       // pc 13
            Instr::MakeObject(1), // pc 14
            Instr::Pop,
        ]);
        let s = Shapes::analyze(&[f], &consts);
        assert_eq!(
            (s.literal(0, 4), s.literal(0, 8), s.literal(0, 14)),
            (0, 0, 0)
        );
        assert_eq!((s.guess("x"), s.guess("y")), (None, None));
    }
}
