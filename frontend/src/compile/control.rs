//! Control flow: `if`, `whl`, `<-` loops over collections and ranges,
//! `mat`, and `use "file.ilu"`.

use super::{Compiler, FnCtx, LoopLabels};
use crate::ast::*;
use crate::diag::Pos;
use crate::emit::JumpKind;
use crate::resolve::MAIN_SCOPE;
use ilusm_bytecode::Instr;

impl Compiler<'_, '_, '_> {
    /// `start: cond; jump_if_not end; body; jump start; end:`
    pub(super) fn while_loop(&mut self, f: &mut FnCtx, pos: Pos, cond: &Expr, body: &Block) {
        let start = f.b.new_label();
        let end = f.b.new_label();
        f.b.bind(start);
        let depth = f.b.depth();
        self.expr(f, cond);
        f.b.set_pos(pos);
        f.b.jump(JumpKind::IfFalse, end);
        f.loops.push(LoopLabels {
            brk: end,
            cnt: start,
            depth,
        });
        self.block(f, body, false);
        f.loops.pop();
        f.b.set_pos(pos);
        f.b.jump(JumpKind::Always, start);
        f.b.bind(end);
    }

    /// A `<-` loop. Over a collection (hidden locals `L` list, `I` index):
    ///
    /// ```text
    /// coll; iter_prep; set_local L; push 0; set_local I
    /// HEAD: get_local I; get_local L; len; lt; jump_if_not END
    ///       var = L[I]; body
    /// NEXT: I = I + 1; jump HEAD
    /// END:
    /// ```
    ///
    /// Over a range (hidden `I` position, `E` end, `S` step; the bounds are
    /// evaluated once):
    ///
    /// ```text
    /// from; to; range_prep; set_local S; set_local E; set_local I
    /// HEAD: var = I; body
    /// NEXT: get_local I; get_local E; eq; jump_if END; I = I + S; jump HEAD
    /// END:
    /// ```
    pub(super) fn for_loop(
        &mut self,
        f: &mut FnCtx,
        pos: Pos,
        var: &Ident,
        iter: &ForIter,
        body: &Block,
    ) {
        let head = f.b.new_label();
        let next = f.b.new_label();
        let end = f.b.new_label();
        let temps = match iter {
            ForIter::Value(coll) => {
                let (list, index) = (f.temp(), f.temp());
                self.expr(f, coll);
                let zero = self.num_constant(0.0);
                let one = self.num_constant(1.0);
                f.b.set_pos(pos);
                f.b.emit(Instr::IterPrep);
                f.b.emit(Instr::SetLocal(list));
                f.b.emit(Instr::Push(zero));
                f.b.emit(Instr::SetLocal(index));
                f.b.bind(head);
                f.b.emit(Instr::GetLocal(index));
                f.b.emit(Instr::GetLocal(list));
                f.b.emit(Instr::Len);
                f.b.emit(Instr::Lt);
                f.b.jump(JumpKind::IfFalse, end);
                self.store_begin(f, var);
                f.b.set_pos(pos);
                f.b.emit(Instr::GetLocal(list));
                f.b.emit(Instr::GetLocal(index));
                f.b.emit(Instr::Index);
                self.store_end(f, var);
                (index, Instr::Push(one), None)
            }
            ForIter::Range { from, to } => {
                let (at, last, step) = (f.temp(), f.temp(), f.temp());
                self.expr(f, from);
                self.expr(f, to);
                f.b.set_pos(pos);
                f.b.emit(Instr::RangePrep);
                f.b.emit(Instr::SetLocal(step));
                f.b.emit(Instr::SetLocal(last));
                f.b.emit(Instr::SetLocal(at));
                // A range always holds its first bound: no test before the
                // first pass; the loop ends after the pass at the last bound.
                f.b.bind(head);
                self.store_begin(f, var);
                f.b.set_pos(pos);
                f.b.emit(Instr::GetLocal(at));
                self.store_end(f, var);
                (at, Instr::GetLocal(step), Some(last))
            }
        };
        let (counter, increment, last) = temps;
        let depth = f.b.depth();
        f.loops.push(LoopLabels {
            brk: end,
            cnt: next,
            depth,
        });
        self.block(f, body, false);
        f.loops.pop();
        f.b.bind(next);
        f.b.set_pos(pos);
        if let Some(last) = last {
            f.b.emit(Instr::GetLocal(counter));
            f.b.emit(Instr::GetLocal(last));
            f.b.emit(Instr::Eq);
            f.b.jump(JumpKind::IfTrue, end);
        }
        f.b.emit(Instr::GetLocal(counter));
        f.b.emit(increment);
        f.b.emit(Instr::Add);
        f.b.emit(Instr::SetLocal(counter));
        f.b.jump(JumpKind::Always, head);
        f.b.bind(end);
        f.free_temps(match iter {
            ForIter::Value(_) => 2,
            ForIter::Range { .. } => 3,
        });
    }

    /// `cond; jump_if_not ELSE; then; jump END; ELSE: otherwise; END:`
    /// (the else part and the final jump are left out when nothing needs
    /// them).
    pub(super) fn if_expr(
        &mut self,
        f: &mut FnCtx,
        pos: Pos,
        cond: &Expr,
        then: &[Stmt],
        otherwise: Option<&[Stmt]>,
        want_value: bool,
    ) {
        self.expr(f, cond);
        f.b.set_pos(pos);
        let else_label = f.b.new_label();
        f.b.jump(JumpKind::IfFalse, else_label);
        self.block(f, then, want_value);
        if otherwise.is_none() && !want_value {
            f.b.bind(else_label);
            return;
        }
        let end = f.b.new_label();
        f.b.set_pos(pos);
        f.b.jump(JumpKind::Always, end);
        f.b.bind(else_label);
        match otherwise {
            Some(block) => self.block(f, block, want_value),
            None => {
                f.b.set_pos(pos);
                f.b.emit(Instr::PushNil);
            }
        }
        f.b.bind(end);
    }

    /// `mat`: the subject stays on the stack while patterns are tried.
    ///
    /// ```text
    /// subject
    /// each arm:  dup; pattern; eq; jump_if_not NEXT; pop; body; jump END; NEXT:
    /// wildcard:  pop; body; jump END
    /// no match:  pop; push_nil
    /// END:
    /// ```
    pub(super) fn match_expr(
        &mut self,
        f: &mut FnCtx,
        pos: Pos,
        subject: &Expr,
        arms: &[MatchArm],
    ) {
        self.expr(f, subject);
        let end = f.b.new_label();
        for arm in arms {
            let next = f.b.new_label();
            if let Some(pattern) = &arm.pattern {
                f.b.set_pos(pos);
                f.b.emit(Instr::Dup);
                self.expr(f, pattern);
                f.b.set_pos(pattern.pos);
                f.b.emit(Instr::Eq);
                f.b.jump(JumpKind::IfFalse, next);
            }
            f.b.set_pos(pos);
            f.b.emit(Instr::Pop);
            self.block(f, &arm.body, true);
            f.b.set_pos(pos);
            f.b.jump(JumpKind::Always, end);
            f.b.bind(next);
        }
        f.b.set_pos(pos);
        f.b.emit(Instr::Pop);
        f.b.emit(Instr::PushNil);
        f.b.bind(end);
    }

    /// `use "file.ilu"`: run the file's top level if it has not run yet,
    /// then copy each of its top-level names into this file's binding of
    /// that name. A second `use` of one file in the same file does nothing.
    pub(super) fn use_file(&mut self, f: &mut FnCtx, pos: Pos) {
        // A failed import was reported when the files were loaded.
        let Some(&unit) = self.units[self.unit].imports.get(&pos) else {
            return;
        };
        if !self.used_here.insert(unit) {
            return;
        }
        let flag = self.flag_base + unit as u32 - 1;
        let there = self.placements[unit];
        let skip = f.b.new_label();
        f.b.set_pos(pos);
        f.b.emit(Instr::GetGlobal(flag));
        f.b.jump(JumpKind::IfTrue, skip);
        f.b.emit(Instr::PushTrue);
        f.b.emit(Instr::SetGlobal(flag));
        f.b.emit(Instr::CallDirect {
            func: there.func_base,
            argc: 0,
        });
        f.b.emit(Instr::Pop);
        f.b.bind(skip);
        let names = self.units[unit].res.globals.clone();
        for (slot, name) in names.iter().enumerate() {
            f.b.set_pos(pos);
            f.b.emit(Instr::GetGlobal(there.global_base + slot as u32));
            debug_assert_eq!(f.scope, MAIN_SCOPE);
            self.store_end(
                f,
                &Ident {
                    name: name.clone(),
                    pos,
                },
            );
        }
    }

    /// `use NAME`: run the standard module's unit the first time (its
    /// `<main>` returns the module object, kept in the unit's flag slot),
    /// then bind NAME to that object.
    pub(super) fn use_module(&mut self, f: &mut FnCtx, name: &Ident) {
        // An unknown module was reported when the files were loaded.
        let Some(&unit) = self.units[self.unit].imports.get(&name.pos) else {
            return;
        };
        let slot = self.flag_base + unit as u32 - 1;
        let there = self.placements[unit];
        let loaded = f.b.new_label();
        f.b.set_pos(name.pos);
        f.b.emit(Instr::GetGlobal(slot));
        f.b.jump(JumpKind::IfTrue, loaded);
        f.b.emit(Instr::CallDirect {
            func: there.func_base,
            argc: 0,
        });
        f.b.emit(Instr::SetGlobal(slot));
        f.b.bind(loaded);
        f.b.set_pos(name.pos);
        f.b.emit(Instr::GetGlobal(slot));
        self.store_end(f, name);
    }
}
