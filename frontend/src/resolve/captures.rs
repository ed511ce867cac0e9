//! Closure analysis: which locals live in cells and what each function
//! captures (spec §6: captured by reference).
//!
//! Runs after every scope's bindings are known. For each name read in a
//! function S that is not S's own local but a local of an enclosing
//! function A (the nearest one), A's slot becomes a cell, and the name is
//! added to the capture list of S and of every function between S and A,
//! so that the cell is forwarded through each level: a closure of S is
//! made inside its parent from the parent's own cell or capture.
//! Locals no nested function reads stay plain slots.

use super::{function_scope, Resolution, MAIN_SCOPE};
use crate::ast::*;

/// Fill in `cells` and `captures` of every scope of `res`.
pub(super) fn find(res: &mut Resolution<'_>, program: &Program) {
    let mut walker = Walker {
        res,
        scope: MAIN_SCOPE,
    };
    walker.block(&program.body);
}

struct Walker<'r, 'a> {
    res: &'r mut Resolution<'a>,
    scope: usize,
}

impl Walker<'_, '_> {
    fn read(&mut self, name: &str) {
        let scopes = &mut self.res.scopes;
        if self.scope == MAIN_SCOPE || scopes[self.scope].slots.contains_key(name) {
            return;
        }
        let mut path = vec![self.scope];
        let mut outer = scopes[self.scope].parent;
        while let Some(owner) = outer.filter(|&s| s != MAIN_SCOPE) {
            if let Some(&slot) = scopes[owner].slots.get(name) {
                scopes[owner].cells.insert(slot);
                for s in path {
                    if !scopes[s].captures.iter().any(|c| c == name) {
                        scopes[s].captures.push(name.to_string());
                    }
                }
                return;
            }
            path.push(owner);
            outer = scopes[owner].parent;
        }
    }

    fn nested(&mut self, id: usize, body: impl FnOnce(&mut Self)) {
        let outer = self.scope;
        self.scope = function_scope(id);
        body(self);
        self.scope = outer;
    }

    fn block(&mut self, block: &Block) {
        for stmt in block {
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Expr(e)
            | StmtKind::Assign { value: e, .. }
            | StmtKind::Def { value: e, .. }
            | StmtKind::Ret(Some(e)) => self.expr(e),
            StmtKind::IndexAssign {
                object,
                index,
                value,
            } => {
                self.expr(object);
                self.expr(index);
                self.expr(value);
            }
            StmtKind::FieldAssign { object, value, .. } => {
                self.expr(object);
                self.expr(value);
            }
            StmtKind::FuncDef(def) => self.nested(def.id, |w| w.block(&def.body)),
            StmtKind::While { cond, body } => {
                self.expr(cond);
                self.block(body);
            }
            StmtKind::For { iter, body, .. } => {
                match iter {
                    ForIter::Value(e) => self.expr(e),
                    ForIter::Range { from, to } => {
                        self.expr(from);
                        self.expr(to);
                    }
                }
                self.block(body);
            }
            StmtKind::Ret(None) | StmtKind::Brk | StmtKind::Cnt | StmtKind::Use(_) => {}
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Num(_)
            | ExprKind::Str(_)
            | ExprKind::True
            | ExprKind::False
            | ExprKind::Nil => {}
            ExprKind::Name(name) => self.read(name),
            ExprKind::Interp(parts) => {
                for part in parts {
                    if let InterpPart::Expr(e) = part {
                        self.expr(e);
                    }
                }
            }
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } | ExprKind::Logical { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Call { callee, args } => {
                self.expr(callee);
                args.iter().for_each(|a| self.expr(a));
            }
            ExprKind::Index { object, index, .. } => {
                self.expr(object);
                self.expr(index);
            }
            ExprKind::Field { object, .. } => self.expr(object),
            ExprKind::List(items) => items.iter().for_each(|i| self.expr(i)),
            ExprKind::Object(entries) => entries.iter().for_each(|(_, v)| self.expr(v)),
            ExprKind::Lambda { id, body, .. } => self.nested(*id, |w| w.expr(body)),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond);
                self.block(then);
                if let Some(b) = otherwise {
                    self.block(b);
                }
            }
            ExprKind::Match { subject, arms } => {
                self.expr(subject);
                for arm in arms {
                    if let Some(p) = &arm.pattern {
                        self.expr(p);
                    }
                    self.block(&arm.body);
                }
            }
        }
    }
}
