//! Building one function's code: instruction encoding, forward and backward
//! jumps through labels, the line table, and the operand stack depth.
//!
//! The builder tracks the stack depth as it emits, so that `brk`/`cnt` can
//! pop whatever an enclosing expression left on the stack, and so that
//! every label is reached at one depth (the verifier's rule). It also
//! tracks reachability: after `jump`/`ret`/`halt` nothing is emitted until a
//! label that some jump targets is bound. Dead code (say, after `ret`) thus
//! never reaches the bytecode, and every path ends in a terminator.
//!
//! A function whose stack would grow past the verifier's
//! [`MAX_STACK`] (a list literal of 65535 elements inside a call, say) is
//! not an error here: [`FnBuilder::finish`] reports where it first did, and
//! the compiler turns that into a compile error.

use crate::diag::Pos;
use ilusm_bytecode::verify::MAX_STACK;
use ilusm_bytecode::{Instr, LineEntry};

/// A jump target, bound to a pc once (see [`FnBuilder::bind`]).
#[derive(Clone, Copy, Debug)]
pub struct Label(usize);

#[derive(Default)]
struct LabelState {
    target: Option<u32>,
    /// The stack depth on arrival, from the first jump or the binding.
    depth: Option<u32>,
    /// Offsets of jump operands waiting for the target.
    patches: Vec<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JumpKind {
    Always,
    IfTrue,
    IfFalse,
}

pub struct FnBuilder {
    code: Vec<u8>,
    lines: Vec<LineEntry>,
    labels: Vec<LabelState>,
    depth: u32,
    reachable: bool,
    pos: Pos,
    /// The position of the first instruction that took the depth past
    /// [`MAX_STACK`].
    too_deep: Option<Pos>,
}

impl FnBuilder {
    pub fn new(pos: Pos) -> FnBuilder {
        FnBuilder {
            code: Vec::new(),
            lines: Vec::new(),
            labels: Vec::new(),
            depth: 0,
            reachable: true,
            pos,
            too_deep: None,
        }
    }

    /// The source position of the instructions emitted from now on.
    pub fn set_pos(&mut self, pos: Pos) {
        self.pos = pos;
    }

    pub fn depth(&self) -> u32 {
        self.depth
    }

    pub fn emit(&mut self, instr: Instr) {
        if !self.reachable {
            return;
        }
        let pc = self.code.len() as u32;
        let (line, col) = (self.pos.line, self.pos.col);
        if self
            .lines
            .last()
            .is_none_or(|e| (e.line, e.col) != (line, col))
        {
            self.lines.push(LineEntry { pc, line, col });
        }
        instr.encode(&mut self.code);
        let (pops, pushes) = instr.stack_effect();
        debug_assert!(
            self.depth as usize >= pops,
            "stack underflow emitting {instr:?}"
        );
        self.depth = (self.depth as usize).saturating_sub(pops) as u32 + pushes as u32;
        if self.depth > MAX_STACK && self.too_deep.is_none() {
            self.too_deep = Some(self.pos);
        }
        if instr.opcode().is_terminator() {
            self.reachable = false;
        }
    }

    pub fn new_label(&mut self) -> Label {
        self.labels.push(LabelState::default());
        Label(self.labels.len() - 1)
    }

    pub fn jump(&mut self, kind: JumpKind, label: Label) {
        if !self.reachable {
            return;
        }
        let arrival = match kind {
            JumpKind::Always => self.depth,
            _ => self.depth.saturating_sub(1),
        };
        let state = &mut self.labels[label.0];
        debug_assert!(
            state.depth.is_none_or(|d| d == arrival),
            "label depth mismatch"
        );
        state.depth.get_or_insert(arrival);
        let target = state.target.unwrap_or(0);
        if state.target.is_none() {
            state.patches.push(self.code.len() + 1);
        }
        self.emit(match kind {
            JumpKind::Always => Instr::Jump(target),
            JumpKind::IfTrue => Instr::JumpIf(target),
            JumpKind::IfFalse => Instr::JumpIfNot(target),
        });
    }

    /// Make `label` refer to the next instruction.
    pub fn bind(&mut self, label: Label) {
        let pc = self.code.len() as u32;
        let state = &mut self.labels[label.0];
        state.target = Some(pc);
        for at in state.patches.drain(..) {
            self.code[at..at + 4].copy_from_slice(&pc.to_le_bytes());
        }
        match state.depth {
            Some(d) if !self.reachable => {
                self.reachable = true;
                self.depth = d;
            }
            Some(d) => debug_assert_eq!(d, self.depth, "label depth mismatch"),
            None if self.reachable => state.depth = Some(self.depth),
            None => {}
        }
    }

    /// The code and line table; `Err` with the position where the stack
    /// first grew past [`MAX_STACK`], if it did.
    pub fn finish(self) -> Result<(Vec<u8>, Vec<LineEntry>), Pos> {
        match self.too_deep {
            Some(pos) => Err(pos),
            None => Ok((self.code, self.lines)),
        }
    }
}
