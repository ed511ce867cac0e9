//! The compiler: resolved files to one `ilusm_bytecode::Module`, following
//! the conventions of ARCHITECTURE.md ("Bytecode conventions").
//!
//! Layout: each file (unit) gets a block of functions, its top level first
//! (`<main>`), then function `id` of that file at `base + 1 + id`; unit 0's
//! `<main>` is function 0 and the entry. Each unit gets a block of global
//! slots; after all of them come one "loaded" flag per used file, which the
//! entry sets to `fls` before anything else, and a `use` tests and sets so
//! that a file runs once. A standard module's flag instead holds its module
//! object once it has run (objects are truthy), which every `use NAME`
//! reads: one object per module per program.
//!
//! Statements leave the stack as they found it; an expression pushes exactly
//! one value. A block compiled for its value yields its last expression
//! statement, or nil. Loops keep their hidden state (the list and index, or
//! the range's position, end and step) in local slots after the named ones.
//!
//! Closures (spec §6): a local read by a nested function lives in a cell
//! (`make_cell` in the function's prologue, `cell_get`/`cell_set` on every
//! use); every other local is a plain slot. A function with captures is
//! created with `make_closure` from its parent's cells and captures, and
//! reads captured cell `i` with `get_capture i`.
//!
//! Errors (undefined names, limits of the instruction encoding) are
//! collected and compilation goes on with a nil in place of the faulty
//! expression, so one run reports all of them.

mod control;
mod expr;

use crate::ast::*;
use crate::diag::{CompileError, Pos};
use crate::emit::{FnBuilder, Label};
use crate::resolve::{function_scope, Binding, Resolution, MAIN_SCOPE};
use ilusm_bytecode::verify::MAX_STACK;
use ilusm_bytecode::{Constant, Function, Instr, LineEntry, Module};
use std::collections::{HashMap, HashSet};

/// One resolved file, placed in the module.
pub struct UnitInput<'r, 'a> {
    /// The file name recorded in `Module::files` (at index `file`).
    pub name: String,
    pub program: &'a Program,
    pub res: &'r Resolution<'a>,
    /// The unit each `use "..."` / `use NAME` (by position) imports.
    pub imports: &'r HashMap<Pos, usize>,
    /// A standard module: its `<main>` returns the module object.
    pub is_std: bool,
}

/// Where each unit's functions and globals start.
#[derive(Clone, Copy)]
struct Placement {
    func_base: u32,
    global_base: u32,
}

/// Compile `units` (unit 0 is the program; every unit is resolved) into one
/// module. Errors come with the unit they are in.
pub fn compile(units: &[UnitInput<'_, '_>]) -> Result<Module, Vec<(usize, CompileError)>> {
    let mut placements = Vec::with_capacity(units.len());
    let (mut funcs, mut globals) = (0u32, 0u32);
    for u in units {
        placements.push(Placement {
            func_base: funcs,
            global_base: globals,
        });
        funcs += 1 + u.program.function_count as u32;
        globals += u.res.globals.len() as u32;
    }
    let mut c = Compiler {
        units,
        placements,
        flag_base: globals,
        unit: 0,
        constants: Vec::new(),
        num_constants: HashMap::new(),
        str_constants: HashMap::new(),
        errors: Vec::new(),
        used_here: HashSet::new(),
    };
    let mut functions = Vec::with_capacity(funcs as usize);
    for (unit, input) in units.iter().enumerate() {
        c.unit = unit;
        c.used_here.clear();
        functions.push(c.unit_main());
        let res = input.res;
        for id in 0..input.program.function_count {
            let scope = function_scope(id);
            let f = if let Some(def) = res.defs[id] {
                c.function(
                    scope,
                    &def.name.name,
                    def.name.pos,
                    &def.params,
                    Body::Block(&def.body),
                )
            } else if let Some(&(params, body)) = res.lambdas.get(&id) {
                c.function(scope, "<lambda>", body.pos, params, Body::Expr(body))
            } else {
                // Only a function the parser numbered but the resolver never
                // reached, which no valid program has.
                c.function(scope, "<unused>", Pos::new(1, 1), &[], Body::Block(&[]))
            };
            functions.push(f);
        }
    }
    if !c.errors.is_empty() {
        c.errors.sort_by_key(|(u, e)| (*u, e.pos));
        c.errors.dedup();
        return Err(c.errors);
    }
    let mut global_names: Vec<String> = units
        .iter()
        .flat_map(|u| u.res.globals.iter().cloned())
        .collect();
    global_names.extend(units.iter().skip(1).map(|u| format!("<use {}>", u.name)));
    Ok(Module {
        constants: c.constants,
        globals: global_names,
        files: units.iter().map(|u| u.name.clone()).collect(),
        functions,
        entry: 0,
    })
}

/// A function body: a block (named functions) or one expression (lambdas).
#[derive(Clone, Copy)]
enum Body<'a> {
    Block(&'a [Stmt]),
    Expr(&'a Expr),
}

struct Compiler<'u, 'r, 'a> {
    units: &'u [UnitInput<'r, 'a>],
    placements: Vec<Placement>,
    /// Global slot of unit 1's "loaded" flag; unit `u`'s is `flag_base + u - 1`.
    flag_base: u32,
    /// The unit being compiled.
    unit: usize,
    constants: Vec<Constant>,
    /// Constant indices by the number's bit pattern (so `0` and `-0` differ).
    num_constants: HashMap<u64, u32>,
    str_constants: HashMap<String, u32>,
    errors: Vec<(usize, CompileError)>,
    /// Units already `use`d by the current unit (a second `use` does nothing).
    used_here: HashSet<usize>,
}

/// The function being compiled.
struct FnCtx {
    b: FnBuilder,
    scope: usize,
    loops: Vec<LoopLabels>,
    /// First hidden local slot (after the named locals).
    temp_base: usize,
    temps_used: usize,
    temps_max: usize,
}

struct LoopLabels {
    brk: Label,
    cnt: Label,
    /// Stack depth at the loop's head; `brk`/`cnt` pop down to it.
    depth: u32,
}

impl FnCtx {
    /// A hidden local slot for a loop's state, until [`FnCtx::free_temps`].
    fn temp(&mut self) -> u16 {
        let slot = self.temp_base + self.temps_used;
        self.temps_used += 1;
        self.temps_max = self.temps_max.max(self.temps_used);
        slot.min(u16::MAX as usize) as u16
    }

    fn free_temps(&mut self, n: usize) {
        self.temps_used -= n;
    }
}

impl<'a> Compiler<'_, '_, 'a> {
    fn res(&self) -> &Resolution<'a> {
        self.units[self.unit].res
    }

    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.errors
            .push((self.unit, CompileError::new(pos, message)));
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

    /// Module function index of function `id` of the current unit.
    fn func_index(&self, id: usize) -> u32 {
        self.placements[self.unit].func_base + 1 + id as u32
    }

    fn global_slot(&self, slot: u32) -> u32 {
        self.placements[self.unit].global_base + slot
    }

    /// The top level of the current unit: `<main>`. The program's ends with
    /// `halt`; a used file's returns nil to its `use`.
    fn unit_main(&mut self) -> Function {
        let program = self.units[self.unit].program;
        let mut f = FnCtx {
            b: FnBuilder::new(Pos::new(1, 1)),
            scope: MAIN_SCOPE,
            loops: Vec::new(),
            temp_base: 0,
            temps_used: 0,
            temps_max: 0,
        };
        if self.unit == 0 {
            for flag in 1..self.units.len() {
                f.b.emit(Instr::PushFalse);
                f.b.emit(Instr::SetGlobal(self.flag_base + flag as u32 - 1));
            }
        }
        self.hoist(&mut f);
        self.block(&mut f, &program.body, false);
        if self.unit == 0 {
            f.b.emit(Instr::Halt);
        } else if self.units[self.unit].is_std {
            self.module_object(&mut f);
            f.b.emit(Instr::Ret);
        } else {
            f.b.emit(Instr::PushNil);
            f.b.emit(Instr::Ret);
        }
        let (code, lines) = self.finish_code(f.b);
        Function {
            name: "<main>".to_string(),
            arity: 0,
            num_locals: self.locals_count(Pos::new(1, 1), f.temps_max),
            num_captures: 0,
            file: self.unit as u32,
            code,
            lines,
            // Its slots are compiler temporaries; its variables are globals.
            local_names: Vec::new(),
        }
    }

    /// Push a standard module's object: its exported top-level functions
    /// as fields, in source order.
    fn module_object(&mut self, f: &mut FnCtx) {
        let exports: Vec<String> = self
            .res()
            .exports()
            .iter()
            .map(|def| def.name.name.clone())
            .collect();
        let pos = Pos::new(1, 1);
        let Ok(n) = u16::try_from(exports.len()) else {
            self.error(
                pos,
                "too many functions in a standard module (at most 65535)",
            );
            f.b.emit(Instr::PushNil);
            return;
        };
        for name in &exports {
            let k = self.str_constant(name);
            f.b.set_pos(pos);
            f.b.emit(Instr::Push(k));
            self.load(f, pos, name);
        }
        f.b.set_pos(pos);
        f.b.emit(Instr::MakeObject(n));
    }

    /// A finished function's code, or a compile error if it needs a deeper
    /// operand stack than the verifier allows (the code is then unused).
    fn finish_code(&mut self, b: FnBuilder) -> (Vec<u8>, Vec<LineEntry>) {
        b.finish().unwrap_or_else(|pos| {
            let message = format!(
                "expression too large: it needs more than {MAX_STACK} values on the operand stack"
            );
            self.errors.push((
                self.unit,
                CompileError::new(pos, message)
                    .with_hint("build it in smaller pieces (a long list with psh, say)"),
            ));
            (Vec::new(), Vec::new())
        })
    }

    fn locals_count(&mut self, pos: Pos, count: usize) -> u16 {
        u16::try_from(count).unwrap_or_else(|_| {
            self.error(pos, "too many local variables (at most 65535)");
            0
        })
    }

    fn function(
        &mut self,
        scope: usize,
        name: &str,
        pos: Pos,
        params: &[Ident],
        body: Body<'_>,
    ) -> Function {
        let named = self.res().scopes[scope].locals.len();
        let mut f = FnCtx {
            b: FnBuilder::new(pos),
            scope,
            loops: Vec::new(),
            temp_base: named,
            temps_used: 0,
            temps_max: 0,
        };
        let arity = u8::try_from(params.len()).unwrap_or_else(|_| {
            self.error(pos, "too many parameters (at most 255)");
            0
        });
        let captures = self.res().scopes[scope].captures.len();
        let num_captures = u16::try_from(captures).unwrap_or_else(|_| {
            self.error(pos, "too many captured names (at most 65535)");
            0
        });
        // Captured locals become cells before anything runs.
        let cells: Vec<u16> = self.res().scopes[scope].cells.iter().copied().collect();
        for slot in cells {
            if usize::from(slot) < params.len() {
                f.b.emit(Instr::GetLocal(slot));
            } else {
                f.b.emit(Instr::PushNil);
            }
            f.b.emit(Instr::MakeCell);
            f.b.emit(Instr::SetLocal(slot));
        }
        self.hoist(&mut f);
        match body {
            Body::Block(block) => self.block(&mut f, block, true),
            Body::Expr(e) => self.expr(&mut f, e),
        }
        f.b.emit(Instr::Ret);
        let (code, lines) = self.finish_code(f.b);
        let num_locals = self
            .locals_count(pos, named + f.temps_max)
            .max(u16::from(arity));
        // Named locals first, then the compiler's temporaries (unnamed: "").
        let mut local_names = self.res().scopes[scope].locals.clone();
        local_names.resize(usize::from(num_locals), String::new());
        Function {
            name: name.to_string(),
            arity,
            num_locals,
            num_captures,
            file: self.unit as u32,
            code,
            lines,
            local_names,
        }
    }

    /// Store the functions defined in this scope before anything else runs.
    fn hoist(&mut self, f: &mut FnCtx) {
        let ids = self.res().scopes[f.scope].functions.clone();
        for id in ids {
            let Some(def) = self.res().defs[id] else {
                continue;
            };
            f.b.set_pos(def.name.pos);
            self.store_begin(f, &def.name);
            self.function_value(f, def.name.pos, id);
            self.store_end(f, &def.name);
        }
    }

    /// Compile a block; with `want_value` it pushes the block's value.
    fn block(&mut self, f: &mut FnCtx, block: &[Stmt], want_value: bool) {
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
            }) => self.if_expr(f, *pos, cond, then, otherwise.as_deref(), false),
            StmtKind::Expr(e) => {
                self.expr(f, e);
                f.b.set_pos(stmt.pos);
                f.b.emit(Instr::Pop);
            }
            StmtKind::Assign { target, value } | StmtKind::Def { target, value } => {
                self.store_begin(f, target);
                self.expr(f, value);
                self.store_end(f, target);
            }
            StmtKind::IndexAssign {
                object,
                index,
                value,
            } => {
                self.expr(f, object);
                self.expr(f, index);
                self.expr(f, value);
                f.b.set_pos(stmt.pos);
                f.b.emit(Instr::SetIndex);
            }
            StmtKind::FieldAssign {
                object,
                field,
                value,
            } => {
                self.expr(f, object);
                self.expr(f, value);
                let k = self.str_constant(&field.name);
                f.b.set_pos(field.pos);
                f.b.emit(Instr::SetField(k));
            }
            StmtKind::FuncDef(_) => {} // hoisted
            StmtKind::While { cond, body } => self.while_loop(f, stmt.pos, cond, body),
            StmtKind::For { var, iter, body } => self.for_loop(f, stmt.pos, var, iter, body),
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
                f.b.jump(crate::emit::JumpKind::Always, label);
            }
            StmtKind::Use(UseTarget::File { pos, .. }) => self.use_file(f, *pos),
            StmtKind::Use(UseTarget::Module(name)) => self.use_module(f, name),
        }
    }

    /// First half of storing into `name` (which the resolver made a local
    /// or a global of this scope): a cell goes under the value.
    fn store_begin(&mut self, f: &mut FnCtx, name: &Ident) {
        if let Binding::Local(slot) = self.res().lookup(f.scope, &name.name) {
            if self.res().is_cell(f.scope, slot) {
                f.b.set_pos(name.pos);
                f.b.emit(Instr::GetLocal(slot));
            }
        }
    }

    /// Second half: pop the value into the binding.
    fn store_end(&mut self, f: &mut FnCtx, name: &Ident) {
        f.b.set_pos(name.pos);
        match self.res().lookup(f.scope, &name.name) {
            Binding::Local(slot) if self.res().is_cell(f.scope, slot) => f.b.emit(Instr::CellSet),
            Binding::Local(slot) => f.b.emit(Instr::SetLocal(slot)),
            Binding::Global(slot) => f.b.emit(Instr::SetGlobal(self.global_slot(slot))),
            // Only reachable after a resolver error (a reserved name).
            _ => f.b.emit(Instr::Pop),
        }
    }

    /// Push the value of `name`.
    fn load(&mut self, f: &mut FnCtx, pos: Pos, name: &str) {
        f.b.set_pos(pos);
        match self.res().lookup(f.scope, name) {
            Binding::Local(slot) => {
                f.b.emit(Instr::GetLocal(slot));
                if self.res().is_cell(f.scope, slot) {
                    f.b.emit(Instr::CellGet);
                }
            }
            Binding::Capture(i) => {
                f.b.emit(Instr::GetCapture(i));
                f.b.emit(Instr::CellGet);
            }
            Binding::Global(slot) => match self.res().direct_function(name) {
                Some(id) => f.b.emit(Instr::PushFunc(self.func_index(id))),
                None => f.b.emit(Instr::GetGlobal(self.global_slot(slot))),
            },
            Binding::Builtin(id) => f.b.emit(Instr::PushBuiltin(id)),
            Binding::Undefined => {
                let mut err = CompileError::new(pos, format!("undefined name '{name}'"))
                    .with_width(name.chars().count());
                let visible = self.res().visible_names(f.scope);
                if let Some(hint) = crate::suggest::undefined_name(name, visible) {
                    err = err.with_hint(hint);
                }
                self.errors.push((self.unit, err));
                f.b.emit(Instr::PushNil);
            }
        }
    }

    /// Push function `id` of this unit as a value: `push_func`, or
    /// `make_closure` over the cells its captures name here.
    fn function_value(&mut self, f: &mut FnCtx, pos: Pos, id: usize) {
        let func = self.func_index(id);
        let captures = self.res().scopes[function_scope(id)].captures.clone();
        f.b.set_pos(pos);
        if captures.is_empty() {
            f.b.emit(Instr::PushFunc(func));
            return;
        }
        let Ok(n) = u8::try_from(captures.len()) else {
            self.error(pos, "too many captured names (at most 255)");
            f.b.emit(Instr::PushNil);
            return;
        };
        for name in &captures {
            match self.res().lookup(f.scope, name) {
                Binding::Local(slot) => f.b.emit(Instr::GetLocal(slot)),
                Binding::Capture(i) => f.b.emit(Instr::GetCapture(i)),
                _ => {
                    self.error(pos, format!("internal error: cannot capture '{name}'"));
                    f.b.emit(Instr::PushNil);
                }
            }
        }
        f.b.emit(Instr::MakeClosure { func, captures: n });
    }
}
