//! The compiler: a resolved [`Program`] to an `ilusm_bytecode::Module`,
//! following the conventions of ARCHITECTURE.md ("Bytecode conventions").
//!
//! Function `id` becomes `Module::functions[id + 1]`; `<main>` is function
//! 0 and the entry. Statements leave the stack as they found it; an
//! expression pushes exactly one value. A block compiled for its value
//! yields its last expression statement, or nil.
//!
//! Errors (undefined names, constructs not compiled yet, limits of the
//! instruction encoding) are collected and compilation goes on with a nil
//! in place of the faulty expression, so one run reports all of them.

use crate::ast::*;
use crate::diag::{CompileError, Pos};
use crate::emit::{FnBuilder, JumpKind, Label};
use crate::resolve::{function_scope, Binding, Resolution, MAIN_SCOPE};
use ilusm_bytecode::builtins::PRN;
use ilusm_bytecode::{Constant, Function, Instr, Module};
use std::collections::HashMap;

/// Compile `program` (already resolved) into a module whose only file is
/// `file_name`.
pub fn compile(
    program: &Program,
    res: &Resolution<'_>,
    file_name: &str,
) -> Result<Module, Vec<CompileError>> {
    let mut c = Compiler {
        res,
        constants: Vec::new(),
        num_constants: HashMap::new(),
        str_constants: HashMap::new(),
        errors: Vec::new(),
    };
    let mut functions = vec![c.main(program)];
    for (id, def) in res.defs.iter().enumerate() {
        match def {
            Some(def) => functions.push(c.function(def)),
            // A lambda: reported as not supported where it appears.
            None => functions.push(placeholder(id)),
        }
    }
    if !c.errors.is_empty() {
        c.errors.sort_by_key(|e| e.pos);
        c.errors.dedup();
        return Err(c.errors);
    }
    Ok(Module {
        constants: c.constants,
        globals: res.globals.clone(),
        files: vec![file_name.to_string()],
        functions,
        entry: 0,
    })
}

fn placeholder(id: usize) -> Function {
    Function {
        name: format!("<lambda {id}>"),
        arity: 0,
        num_locals: 0,
        file: 0,
        code: Vec::new(),
        lines: Vec::new(),
    }
}

struct Compiler<'r, 'a> {
    res: &'r Resolution<'a>,
    constants: Vec<Constant>,
    /// Constant indices by the number's bit pattern (so `0` and `-0` differ).
    num_constants: HashMap<u64, u32>,
    str_constants: HashMap<String, u32>,
    errors: Vec<CompileError>,
}

/// The function being compiled.
struct FnCtx {
    b: FnBuilder,
    scope: usize,
    loops: Vec<LoopLabels>,
}

struct LoopLabels {
    brk: Label,
    cnt: Label,
    /// Stack depth at the loop's head; `brk`/`cnt` pop down to it.
    depth: u32,
}

impl Compiler<'_, '_> {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.errors.push(CompileError::new(pos, message));
    }

    fn unsupported(&mut self, f: &mut FnCtx, pos: Pos, what: &str) {
        self.error(pos, format!("not supported yet: {what}"));
        f.b.emit(Instr::PushNil);
    }

    fn num_constant(&mut self, n: f64) -> u32 {
        if let Some(&k) = self.num_constants.get(&n.to_bits()) {
            return k;
        }
        let k = self.constants.len() as u32;
        self.constants.push(Constant::Num(n));
        self.num_constants.insert(n.to_bits(), k);
        k
    }

    fn str_constant(&mut self, s: &str) -> u32 {
        if let Some(&k) = self.str_constants.get(s) {
            return k;
        }
        let k = self.constants.len() as u32;
        self.constants.push(Constant::Str(s.to_string()));
        self.str_constants.insert(s.to_string(), k);
        k
    }

    fn main(&mut self, program: &Program) -> Function {
        let mut f = FnCtx {
            b: FnBuilder::new(Pos::new(1, 1)),
            scope: MAIN_SCOPE,
            loops: Vec::new(),
        };
        self.hoist(&mut f);
        self.block(&mut f, &program.body, false);
        f.b.emit(Instr::Halt);
        let (code, lines) = f.b.finish();
        Function {
            name: "<main>".to_string(),
            arity: 0,
            num_locals: 0,
            file: 0,
            code,
            lines,
        }
    }

    fn function(&mut self, def: &FuncDef) -> Function {
        let scope = function_scope(def.id);
        let mut f = FnCtx {
            b: FnBuilder::new(def.name.pos),
            scope,
            loops: Vec::new(),
        };
        let arity = u8::try_from(def.params.len()).unwrap_or_else(|_| {
            self.error(def.name.pos, "too many parameters (at most 255)");
            0
        });
        let locals = self.res.scopes[scope].locals.len();
        let num_locals = u16::try_from(locals).unwrap_or_else(|_| {
            self.error(def.name.pos, "too many local variables (at most 65535)");
            0
        });
        self.hoist(&mut f);
        self.block(&mut f, &def.body, true);
        f.b.emit(Instr::Ret);
        let (code, lines) = f.b.finish();
        Function {
            name: def.name.name.clone(),
            arity,
            num_locals: num_locals.max(u16::from(arity)),
            file: 0,
            code,
            lines,
        }
    }

    /// Store the functions defined in this scope before anything else runs.
    fn hoist(&mut self, f: &mut FnCtx) {
        for &id in &self.res.scopes[f.scope].functions {
            let Some(def) = self.res.defs[id] else {
                continue;
            };
            f.b.set_pos(def.name.pos);
            f.b.emit(Instr::PushFunc(id as u32 + 1));
            self.store(f, &def.name);
        }
    }

    /// Compile a block; with `want_value` it pushes the block's value.
    fn block(&mut self, f: &mut FnCtx, block: &Block, want_value: bool) {
        for (i, stmt) in block.iter().enumerate() {
            if want_value && i + 1 == block.len() {
                if let StmtKind::Expr(e) = &stmt.kind {
                    self.expr(f, e);
                    return;
                }
            }
            self.stmt(f, stmt);
        }
        if want_value {
            f.b.emit(Instr::PushNil);
        }
    }

    fn stmt(&mut self, f: &mut FnCtx, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Expr(Expr {
                pos,
                kind:
                    ExprKind::If {
                        cond,
                        then,
                        otherwise,
                    },
            }) => self.if_expr(f, *pos, cond, then, otherwise.as_ref(), false),
            StmtKind::Expr(e) => {
                self.expr(f, e);
                f.b.set_pos(stmt.pos);
                f.b.emit(Instr::Pop);
            }
            StmtKind::Assign { target, value } | StmtKind::Def { target, value } => {
                self.expr(f, value);
                self.store(f, target);
            }
            StmtKind::FuncDef(_) => {} // hoisted
            StmtKind::While { cond, body } => self.while_loop(f, stmt.pos, cond, body),
            StmtKind::Ret(value) => {
                match value {
                    Some(v) => self.expr(f, v),
                    None => {
                        f.b.set_pos(stmt.pos);
                        f.b.emit(Instr::PushNil);
                    }
                }
                f.b.set_pos(stmt.pos);
                f.b.emit(Instr::Ret);
            }
            StmtKind::Brk | StmtKind::Cnt => {
                // Outside a loop: reported by the resolver.
                let Some(lp) = f.loops.last() else { return };
                let (depth, label) = match stmt.kind {
                    StmtKind::Brk => (lp.depth, lp.brk),
                    _ => (lp.depth, lp.cnt),
                };
                f.b.set_pos(stmt.pos);
                for _ in depth..f.b.depth() {
                    f.b.emit(Instr::Pop);
                }
                f.b.jump(JumpKind::Always, label);
            }
            StmtKind::IndexAssign { .. } => self.unsupported_stmt(stmt.pos, "index assignment"),
            StmtKind::FieldAssign { .. } => self.unsupported_stmt(stmt.pos, "field assignment"),
            StmtKind::For { .. } => self.unsupported_stmt(stmt.pos, "'<-' loops"),
            StmtKind::Use(_) => self.unsupported_stmt(stmt.pos, "'use'"),
        }
    }

    fn unsupported_stmt(&mut self, pos: Pos, what: &str) {
        self.error(pos, format!("not supported yet: {what}"));
    }

    /// `start: cond; jump_if_not end; body; jump start; end:`
    fn while_loop(&mut self, f: &mut FnCtx, pos: Pos, cond: &Expr, body: &Block) {
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

    /// `cond; jump_if_not ELSE; then; jump END; ELSE: otherwise; END:`
    /// (the else part and the final jump are left out when nothing needs
    /// them).
    fn if_expr(
        &mut self,
        f: &mut FnCtx,
        pos: Pos,
        cond: &Expr,
        then: &Block,
        otherwise: Option<&Block>,
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

    /// Pop the top of the stack into the binding of `name` (which the
    /// resolver made a local or a global of this scope).
    fn store(&mut self, f: &mut FnCtx, name: &Ident) {
        f.b.set_pos(name.pos);
        match self.res.lookup(f.scope, &name.name) {
            Binding::Local(slot) => f.b.emit(Instr::SetLocal(slot)),
            Binding::Global(slot) => f.b.emit(Instr::SetGlobal(slot)),
            // Only reachable after a resolver error (a reserved name).
            _ => f.b.emit(Instr::Pop),
        }
    }

    fn load(&mut self, f: &mut FnCtx, pos: Pos, name: &str) {
        f.b.set_pos(pos);
        match self.res.lookup(f.scope, name) {
            Binding::Local(slot) => f.b.emit(Instr::GetLocal(slot)),
            Binding::Global(slot) => match self.res.direct_function(name) {
                Some(id) => f.b.emit(Instr::PushFunc(id as u32 + 1)),
                None => f.b.emit(Instr::GetGlobal(slot)),
            },
            Binding::Builtin(id) => f.b.emit(Instr::PushBuiltin(id)),
            Binding::Captured => {
                let what = format!("closures (a nested function reading '{name}' of its parent)");
                self.unsupported(f, pos, &what);
            }
            Binding::Undefined => {
                self.error(pos, format!("undefined name '{name}'"));
                f.b.emit(Instr::PushNil);
            }
        }
    }

    fn expr(&mut self, f: &mut FnCtx, e: &Expr) {
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
            } => self.if_expr(f, e.pos, cond, then, otherwise.as_ref(), true),
            ExprKind::Index { .. } => self.unsupported(f, e.pos, "indexing"),
            ExprKind::Field { .. } => self.unsupported(f, e.pos, "fields"),
            ExprKind::List(_) => self.unsupported(f, e.pos, "lists"),
            ExprKind::Object(_) => self.unsupported(f, e.pos, "objects"),
            ExprKind::Lambda { .. } => self.unsupported(f, e.pos, "lambdas"),
            ExprKind::Match { .. } => self.unsupported(f, e.pos, "'mat'"),
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
            let instr = match self.res.lookup(f.scope, name) {
                Binding::Builtin(PRN) => Some(Instr::Print(argc)),
                Binding::Builtin(builtin) => Some(Instr::CallBuiltin { builtin, argc }),
                Binding::Global(_) => self
                    .res
                    .direct_function(name)
                    .and_then(|id| self.res.defs[id])
                    .filter(|def| def.params.len() == args.len())
                    .map(|def| Instr::CallDirect {
                        func: def.id as u32 + 1,
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
        self.expr(f, callee);
        for arg in args {
            self.expr(f, arg);
        }
        f.b.set_pos(pos);
        f.b.emit(Instr::Call(argc));
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
