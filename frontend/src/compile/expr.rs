//! Expressions: literals, names, operators, calls, containers, fields and
//! indexing, lambdas. Each pushes exactly one value.

use super::{Compiler, FnCtx};
use crate::ast::*;
use crate::diag::Pos;
use crate::emit::JumpKind;
use crate::resolve::Binding;
use ilusm_bytecode::builtins::{builtin_id, PRN};
use ilusm_bytecode::Instr;

impl<'a> Compiler<'_, '_, 'a> {
    pub(super) fn expr(&mut self, f: &mut FnCtx, e: &Expr) {
        match &e.kind {
            ExprKind::Num(n) => self.push_num(f, e.pos, *n),
            ExprKind::Str(s) => {
                let k = self.str_constant(s);
                f.b.set_pos(e.pos);
                f.b.emit(Instr::Push(k));
            }
            ExprKind::Interp(parts) => self.interpolation(f, e.pos, parts),
            ExprKind::True | ExprKind::False | ExprKind::Nil => {
                f.b.set_pos(e.pos);
                f.b.emit(match e.kind {
                    ExprKind::True => Instr::PushTrue,
                    ExprKind::False => Instr::PushFalse,
                    _ => Instr::PushNil,
                });
            }
            ExprKind::Name(name) => self.load(f, e.pos, name),
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } if matches!(operand.kind, ExprKind::Num(_)) => {
                // Fold `-5` into one constant, as users read it.
                if let ExprKind::Num(n) = operand.kind {
                    self.push_num(f, e.pos, -n);
                }
            }
            ExprKind::Unary { op, operand } => {
                self.expr(f, operand);
                f.b.set_pos(e.pos);
                f.b.emit(match op {
                    UnaryOp::Neg => Instr::Neg,
                    UnaryOp::Not => Instr::Not,
                });
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.expr(f, lhs);
                self.expr(f, rhs);
                f.b.set_pos(e.pos);
                f.b.emit(binary_instr(*op));
            }
            ExprKind::Logical { op, lhs, rhs } => {
                // `lhs; dup; jump_if(_not) END; pop; rhs; END:`
                self.expr(f, lhs);
                f.b.set_pos(e.pos);
                f.b.emit(Instr::Dup);
                let end = f.b.new_label();
                let kind = match op {
                    LogicalOp::And => JumpKind::IfFalse,
                    LogicalOp::Or => JumpKind::IfTrue,
                };
                f.b.jump(kind, end);
                f.b.emit(Instr::Pop);
                self.expr(f, rhs);
                f.b.bind(end);
            }
            ExprKind::Call { callee, args } => self.call(f, e.pos, callee, args),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => self.if_expr(f, e.pos, cond, then, otherwise.as_deref(), true),
            ExprKind::Match { subject, arms } => self.match_expr(f, e.pos, subject, arms),
            ExprKind::Index {
                object,
                index,
                nil_safe,
            } => {
                self.expr(f, object);
                self.expr(f, index);
                f.b.set_pos(e.pos);
                f.b.emit(if *nil_safe {
                    Instr::IndexOpt
                } else {
                    Instr::Index
                });
            }
            ExprKind::Field {
                object,
                field,
                nil_safe,
            } => {
                self.expr(f, object);
                let k = self.str_constant(&field.name);
                f.b.set_pos(e.pos);
                f.b.emit(if *nil_safe {
                    Instr::GetFieldOpt(k)
                } else {
                    Instr::GetField(k)
                });
            }
            ExprKind::List(items) => {
                let Ok(n) = u16::try_from(items.len()) else {
                    self.error(e.pos, "too many elements in a list literal (at most 65535)");
                    f.b.emit(Instr::PushNil);
                    return;
                };
                for item in items {
                    self.expr(f, item);
                }
                f.b.set_pos(e.pos);
                f.b.emit(Instr::MakeList(n));
            }
            ExprKind::Object(entries) => {
                let Ok(n) = u16::try_from(entries.len()) else {
                    self.error(e.pos, "too many keys in an object literal (at most 65535)");
                    f.b.emit(Instr::PushNil);
                    return;
                };
                for (key, value) in entries {
                    let k = self.str_constant(&key.name);
                    f.b.set_pos(key.pos);
                    f.b.emit(Instr::Push(k));
                    self.expr(f, value);
                }
                f.b.set_pos(e.pos);
                f.b.emit(Instr::MakeObject(n));
            }
            ExprKind::Lambda { id, .. } => self.function_value(f, e.pos, *id),
        }
    }

    fn push_num(&mut self, f: &mut FnCtx, pos: Pos, n: f64) {
        let k = self.num_constant(n);
        f.b.set_pos(pos);
        f.b.emit(Instr::Push(k));
    }

    /// Each piece, then `concat N` (which applies `str` to each).
    fn interpolation(&mut self, f: &mut FnCtx, pos: Pos, parts: &[InterpPart]) {
        if let [] | [InterpPart::Lit(_)] = parts {
            let text = match parts {
                [InterpPart::Lit(s)] => s.as_str(),
                _ => "",
            };
            let k = self.str_constant(text);
            f.b.set_pos(pos);
            f.b.emit(Instr::Push(k));
            return;
        }
        for part in parts {
            match part {
                InterpPart::Lit(s) => {
                    let k = self.str_constant(s);
                    f.b.set_pos(pos);
                    f.b.emit(Instr::Push(k));
                }
                InterpPart::Expr(e) => self.expr(f, e),
            }
        }
        f.b.set_pos(pos);
        match u16::try_from(parts.len()) {
            Ok(n) => f.b.emit(Instr::Concat(n)),
            Err(_) => {
                self.error(pos, "too many pieces in an interpolated string");
                for _ in 0..parts.len() {
                    f.b.emit(Instr::Pop);
                }
                f.b.emit(Instr::PushNil);
            }
        }
    }

    fn call(&mut self, f: &mut FnCtx, pos: Pos, callee: &Expr, args: &[Expr]) {
        let Ok(argc) = u8::try_from(args.len()) else {
            self.error(pos, "too many arguments (at most 255)");
            f.b.emit(Instr::PushNil);
            return;
        };
        if let ExprKind::Name(name) = &callee.kind {
            let len = builtin_id("len");
            let instr = match self.res().lookup(f.scope, name) {
                Binding::Builtin(PRN) => Some(Instr::Print(argc)),
                Binding::Builtin(b) if Some(b) == len && argc == 1 => Some(Instr::Len),
                Binding::Builtin(builtin) => Some(Instr::CallBuiltin { builtin, argc }),
                Binding::Global(_) => self
                    .res()
                    .direct_function(name)
                    .and_then(|id| self.res().defs[id])
                    .filter(|def| def.params.len() == args.len())
                    .map(|def| Instr::CallDirect {
                        func: self.func_index(def.id),
                        argc,
                    }),
                _ => None,
            };
            if let Some(instr) = instr {
                for arg in args {
                    self.expr(f, arg);
                }
                f.b.set_pos(pos);
                f.b.emit(instr);
                return;
            }
        }
        if let ExprKind::Field { object, field, .. } = &callee.kind {
            self.check_module_field(f, object, field);
        }
        let omitted = self.omitted_optionals(f, callee, args.len());
        self.expr(f, callee);
        for arg in args {
            self.expr(f, arg);
        }
        f.b.set_pos(pos);
        for _ in 0..omitted {
            f.b.emit(Instr::PushNil);
        }
        // `omitted` is at most the callee's arity, a u8.
        f.b.emit(Instr::Call(argc.saturating_add(omitted as u8)));
    }

    /// The standard module unit that `name`, read here, is bound to (and
    /// nothing else ever is).
    fn module_unit(&self, f: &FnCtx, name: &str) -> Option<usize> {
        if !matches!(self.res().lookup(f.scope, name), Binding::Global(_)) {
            return None;
        }
        self.res().module_unit(name)
    }

    /// The exported function `field` of the module `object` names, when
    /// `object` is a name bound only by `use NAME`: `Ok(None)` if `object`
    /// is anything else, `Err` if the module has no such function.
    fn module_function(
        &self,
        f: &FnCtx,
        object: &Expr,
        field: &Ident,
    ) -> Result<Option<&'a FuncDef>, crate::diag::CompileError> {
        let ExprKind::Name(name) = &object.kind else {
            return Ok(None);
        };
        let Some(unit) = self.module_unit(f, name) else {
            return Ok(None);
        };
        let exports = self.units[unit].res.exports();
        if let Some(def) = exports.iter().find(|d| d.name.name == field.name) {
            return Ok(Some(def));
        }
        let mut known: Vec<&str> = exports.iter().map(|d| d.name.name.as_str()).collect();
        known.sort_unstable();
        Err(crate::diag::CompileError::new(
            field.pos,
            format!("module '{name}' has no function '{}'", field.name),
        )
        .with_hint(format!("'{name}' has {}", known.join(", "))))
    }

    /// A call `trl.nope(...)` where `trl` is bound only by `use trl`: a
    /// compile error naming the module's functions, instead of `cannot call
    /// nil` at run time. (Reading `trl.nope` is not checked: a module object
    /// is an ordinary object, and a program may add fields to it.)
    fn check_module_field(&mut self, f: &FnCtx, object: &Expr, field: &Ident) {
        if let Err(e) = self.module_function(f, object, field) {
            self.errors.push((self.unit, e));
        }
    }

    /// How many nils a direct call `trl.srt(xs)` passes for the omitted
    /// optional trailing parameters of a module function (those named
    /// `opt_...`); 0 when the call is anything else.
    fn omitted_optionals(&self, f: &FnCtx, callee: &Expr, argc: usize) -> usize {
        let ExprKind::Field { object, field, .. } = &callee.kind else {
            return 0;
        };
        let Ok(Some(def)) = self.module_function(f, object, field) else {
            return 0;
        };
        let params = &def.params;
        if argc >= params.len()
            || !params[argc..]
                .iter()
                .all(|p| crate::stdlib::is_optional_param(&p.name))
        {
            return 0;
        }
        params.len() - argc
    }
}

fn binary_instr(op: BinaryOp) -> Instr {
    match op {
        BinaryOp::Add => Instr::Add,
        BinaryOp::Sub => Instr::Sub,
        BinaryOp::Mul => Instr::Mul,
        BinaryOp::Div => Instr::Div,
        BinaryOp::Mod => Instr::Mod,
        BinaryOp::Eq => Instr::Eq,
        BinaryOp::Ne => Instr::Ne,
        BinaryOp::Lt => Instr::Lt,
        BinaryOp::Le => Instr::Le,
        BinaryOp::Gt => Instr::Gt,
        BinaryOp::Ge => Instr::Ge,
    }
}
