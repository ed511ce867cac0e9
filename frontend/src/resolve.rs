//! Name resolution (spec §6), decided entirely at compile time.
//!
//! The top level's bindings are module globals. Each function (named or
//! lambda) has its own scope: its parameters plus every name it assigns
//! anywhere in its body, including the names of the functions defined in
//! it; blocks open no scopes. A name read in a function resolves to its own
//! local, else to a local of an enclosing function (a capture), else to a
//! global, else to a builtin.
//!
//! This pass collects the scopes and checks the binding rules: `def`
//! bindings are never reassigned, a function name is defined once per
//! scope, a nested function does not rebind a local of an enclosing function
//! (`cannot assign to captured name`), `brk`/`cnt` sit inside a loop, `ret`
//! inside a function and `use` at a file's top level. A second walk over the
//! reads ([`captures`]) decides which locals become cells and what each
//! function captures. The compiler looks reads up through
//! [`Resolution::lookup`], which reports `undefined name` as it goes.
//!
//! `use "file.ilu"` binds the imported file's top-level names (given by the
//! caller, which resolved that file first) as assignments at the `use`.
//! `use NAME` binds the global NAME to the standard module's object. While
//! `trl` is bound by nothing but `use trl`, the compiler knows what
//! `trl.map` is ([`Resolution::module_use`]).

use crate::ast::*;
use crate::diag::{CompileError, Pos};
use ilusm_bytecode::builtins::builtin_id;
use std::collections::{BTreeSet, HashMap};

mod captures;

/// The scope of the top level (`<main>`); function `id` has scope `id + 1`.
pub const MAIN_SCOPE: usize = 0;

pub fn function_scope(id: usize) -> usize {
    id + 1
}

/// What a name read in some scope refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// A local slot of this function (a cell if [`Resolution::is_cell`]).
    Local(u16),
    /// Captured cell `i` of the running closure: a local of an enclosing
    /// function, reached through this function's capture list.
    Capture(u16),
    Global(u32),
    Builtin(u16),
    Undefined,
}

#[derive(Debug, Default)]
pub struct Scope {
    /// The enclosing function's scope; `None` only for the top level.
    pub parent: Option<usize>,
    /// Local slot names, parameters first. Empty for the top level, whose
    /// bindings are globals.
    pub locals: Vec<String>,
    slots: HashMap<String, u16>,
    /// The named functions defined directly in this scope, in source order
    /// (hoisted to the scope's start).
    pub functions: Vec<usize>,
    /// The function's name (`<lambda>` for lambdas, `<main>` for the top level).
    pub name: String,
    /// Locals read by a nested function: they live in cells.
    pub cells: BTreeSet<u16>,
    /// Names of enclosing functions' locals this function reads (itself or
    /// for a function nested in it), in order: `get_capture i` is `captures[i]`.
    pub captures: Vec<String>,
}

/// The outcome of resolution for a whole program.
#[derive(Debug)]
pub struct Resolution<'a> {
    pub scopes: Vec<Scope>,
    /// Global slot names, in order of first binding.
    pub globals: Vec<String>,
    global_slots: HashMap<String, u32>,
    /// Named functions by id (`None` for lambda ids).
    pub defs: Vec<Option<&'a FuncDef>>,
    /// Lambdas by id: parameters and body.
    pub lambdas: HashMap<usize, (&'a [Ident], &'a Expr)>,
    /// Top-level functions whose global is bound by nothing else: name to
    /// function id. Calls to them may be direct.
    direct: HashMap<String, usize>,
    /// Globals bound to a standard module and to nothing else (by
    /// `use NAME`, or by a `use "file"` whose file binds it so): name to
    /// the module's unit.
    modules: HashMap<String, usize>,
}

impl<'a> Resolution<'a> {
    /// What `name`, read in `scope`, refers to.
    pub fn lookup(&self, scope: usize, name: &str) -> Binding {
        if scope != MAIN_SCOPE {
            if let Some(&slot) = self.scopes[scope].slots.get(name) {
                return Binding::Local(slot);
            }
            if let Some(i) = self.scopes[scope].captures.iter().position(|c| c == name) {
                return Binding::Capture(i.min(u16::MAX as usize) as u16);
            }
        }
        if let Some(&slot) = self.global_slots.get(name) {
            return Binding::Global(slot);
        }
        match builtin_id(name) {
            Some(id) => Binding::Builtin(id),
            None => Binding::Undefined,
        }
    }

    /// Every name a read in `scope` could resolve to: its locals and those
    /// of the enclosing functions, the globals, the builtins (for "did you
    /// mean" hints; the order is nearest scope first).
    pub fn visible_names(&self, scope: usize) -> impl Iterator<Item = &str> {
        let mut scopes = Vec::new();
        let mut s = Some(scope);
        while let Some(i) = s.filter(|&i| i != MAIN_SCOPE) {
            scopes.push(i);
            s = self.scopes[i].parent;
        }
        scopes
            .into_iter()
            .flat_map(|i| self.scopes[i].locals.iter().map(String::as_str))
            .chain(self.globals.iter().map(String::as_str))
            .chain(ilusm_bytecode::builtins::BUILTINS.iter().copied())
    }

    /// The standard module unit the global `name` is bound to, if that is
    /// all it is ever bound to.
    pub fn module_unit(&self, name: &str) -> Option<usize> {
        self.modules.get(name).copied()
    }

    /// The functions this unit exports as a standard module: its top-level
    /// functions not starting with `_`, in source order.
    pub fn exports(&self) -> Vec<&'a FuncDef> {
        self.scopes[MAIN_SCOPE]
            .functions
            .iter()
            .filter_map(|&id| self.defs[id])
            .filter(|def| crate::stdlib::is_exported(&def.name.name))
            .collect()
    }

    /// Whether local `slot` of `scope` lives in a cell.
    pub fn is_cell(&self, scope: usize, slot: u16) -> bool {
        self.scopes[scope].cells.contains(&slot)
    }

    /// The id of the top-level function `name` if its global is never
    /// bound by anything else.
    pub fn direct_function(&self, name: &str) -> Option<usize> {
        self.direct.get(name).copied()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BindKind {
    Param,
    Assign,
    Def,
    Function,
    /// `use NAME`.
    Use,
}

struct Resolver<'a, 'i> {
    res: Resolution<'a>,
    errors: Vec<CompileError>,
    scope: usize,
    /// First binding of each name, per scope: for the `def` and duplicate
    /// function checks.
    first_binding: Vec<HashMap<String, (BindKind, Pos)>>,
    /// Top-level names bound other than by a function definition.
    rebound_globals: std::collections::HashSet<String>,
    /// Top-level names bound other than by `use NAME`.
    non_module_globals: std::collections::HashSet<String>,
    /// Top-level names bound to a standard module, with its unit (`None`
    /// once bound to two different modules).
    module_globals: HashMap<String, Option<usize>>,
    loop_depth: usize,
    /// What each `use` (by position) imports.
    imports: &'i HashMap<Pos, Imported>,
}

/// What a `use` imports, as the caller (which resolved that unit first)
/// describes it.
pub enum Imported {
    /// `use "file.ilu"`: the file's top-level names, each with the standard
    /// module unit it is bound to when `use NAME` is its only binding there.
    File(Vec<(String, Option<usize>)>),
    /// `use NAME`: the standard module's unit.
    Module(usize),
}

/// Collect the scopes of `program` and check the binding rules. `imports`
/// gives the top-level names of the file a `use "..."` at a position
/// imports. Returns every error found, in source order.
pub fn resolve<'a>(
    program: &'a Program,
    imports: &HashMap<Pos, Imported>,
) -> Result<Resolution<'a>, Vec<CompileError>> {
    let scope_count = program.function_count + 1;
    let mut scopes: Vec<Scope> = (0..scope_count).map(|_| Scope::default()).collect();
    scopes[MAIN_SCOPE].name = "<main>".to_string();
    let mut r = Resolver {
        res: Resolution {
            scopes,
            globals: Vec::new(),
            global_slots: HashMap::new(),
            defs: vec![None; program.function_count],
            lambdas: HashMap::new(),
            direct: HashMap::new(),
            modules: HashMap::new(),
        },
        errors: Vec::new(),
        scope: MAIN_SCOPE,
        first_binding: vec![HashMap::new(); scope_count],
        rebound_globals: Default::default(),
        non_module_globals: Default::default(),
        module_globals: HashMap::new(),
        loop_depth: 0,
        imports,
    };
    r.block(&program.body);
    r.check_captured_assignments();
    captures::find(&mut r.res, program);
    let direct: HashMap<String, usize> = r.res.scopes[MAIN_SCOPE]
        .functions
        .iter()
        .filter_map(|&id| r.res.defs[id])
        .filter(|def| !r.rebound_globals.contains(&def.name.name))
        .map(|def| (def.name.name.clone(), def.id))
        .collect();
    r.res.direct = direct;
    let modules: HashMap<String, usize> = std::mem::take(&mut r.module_globals)
        .into_iter()
        .filter(|(name, _)| !r.non_module_globals.contains(name))
        .filter_map(|(name, unit)| Some((name, unit?)))
        .collect();
    r.res.modules = modules;
    if r.errors.is_empty() {
        Ok(r.res)
    } else {
        r.errors.sort_by_key(|e| e.pos);
        Err(r.errors)
    }
}

impl<'a> Resolver<'a, '_> {
    fn bind(&mut self, ident: &Ident, kind: BindKind) {
        let name = &ident.name;
        if name.starts_with("__") {
            self.errors.push(CompileError::new(
                ident.pos,
                format!("'{name}' is reserved: names beginning with '__' belong to the host"),
            ));
            return;
        }
        match self.first_binding[self.scope].get(name) {
            Some(&(first, first_pos)) => {
                if first == BindKind::Def || kind == BindKind::Def {
                    self.errors.push(
                        CompileError::new(
                            ident.pos,
                            format!("cannot reassign '{name}' (declared with def)"),
                        )
                        .with_hint(if first == BindKind::Def {
                            format!(
                                "'{name}' is declared at {}:{}",
                                first_pos.line, first_pos.col
                            )
                        } else {
                            format!(
                                "'{name}' is first bound at {}:{}",
                                first_pos.line, first_pos.col
                            )
                        }),
                    );
                } else if first == BindKind::Function && kind == BindKind::Function {
                    self.errors.push(CompileError::new(
                        ident.pos,
                        format!(
                            "function '{name}' is already defined at {}:{}",
                            first_pos.line, first_pos.col
                        ),
                    ));
                }
            }
            None => {
                self.first_binding[self.scope].insert(name.clone(), (kind, ident.pos));
                self.add_slot(name);
            }
        }
        if self.scope == MAIN_SCOPE && kind != BindKind::Function {
            self.rebound_globals.insert(name.clone());
        }
        if self.scope == MAIN_SCOPE && kind != BindKind::Use {
            self.non_module_globals.insert(name.clone());
        }
    }

    /// Bind a top-level name to the object of the standard module `unit`.
    fn bind_module(&mut self, name: &Ident, unit: usize) {
        self.bind(name, BindKind::Use);
        let entry = self
            .module_globals
            .entry(name.name.clone())
            .or_insert(Some(unit));
        if *entry != Some(unit) {
            *entry = None;
        }
    }

    fn add_slot(&mut self, name: &str) {
        if self.scope == MAIN_SCOPE {
            let slot = self.res.globals.len() as u32;
            self.res.globals.push(name.to_string());
            self.res.global_slots.insert(name.to_string(), slot);
        } else {
            let scope = &mut self.res.scopes[self.scope];
            // More than u16::MAX locals is reported by the compiler.
            let slot = scope.locals.len().min(u16::MAX as usize) as u16;
            scope.locals.push(name.to_string());
            scope.slots.insert(name.to_string(), slot);
        }
    }

    /// `cannot assign to captured name 'x'`: a nested function binding
    /// (other than as a parameter) a name that is a local of an enclosing
    /// function would silently make a new local instead of rebinding it.
    fn check_captured_assignments(&mut self) {
        for scope in 0..self.res.scopes.len() {
            let mut bindings: Vec<(&String, &(BindKind, Pos))> =
                self.first_binding[scope].iter().collect();
            bindings.sort_by_key(|(_, (_, pos))| *pos);
            for (name, &(kind, pos)) in bindings {
                if kind == BindKind::Param {
                    continue;
                }
                let mut outer = self.res.scopes[scope].parent;
                while let Some(s) = outer.filter(|&s| s != MAIN_SCOPE) {
                    if self.res.scopes[s].slots.contains_key(name) {
                        let owner = &self.res.scopes[s].name;
                        self.errors.push(
                            CompileError::new(
                                pos,
                                format!("cannot assign to captured name '{name}'"),
                            )
                            .with_hint(format!(
                                "'{name}' is a local of the enclosing function '{owner}'; \
                                     a nested function cannot rebind it: use another name, or \
                                     keep the value in a list or object"
                            )),
                        );
                        break;
                    }
                    outer = self.res.scopes[s].parent;
                }
            }
        }
    }

    /// Resolve a function body (named or lambda) in its own scope.
    fn function(&mut self, id: usize, name: &str, params: &[Ident], body: impl FnOnce(&mut Self)) {
        let outer = self.scope;
        let outer_loops = self.loop_depth;
        self.scope = function_scope(id);
        self.res.scopes[self.scope].parent = Some(outer);
        self.res.scopes[self.scope].name = name.to_string();
        self.loop_depth = 0;
        for p in params {
            self.bind(p, BindKind::Param);
        }
        body(self);
        self.scope = outer;
        self.loop_depth = outer_loops;
    }

    fn block(&mut self, block: &'a Block) {
        for stmt in block {
            self.stmt(stmt);
        }
    }

    fn loop_body(&mut self, body: &'a Block) {
        self.loop_depth += 1;
        self.block(body);
        self.loop_depth -= 1;
    }

    fn stmt(&mut self, stmt: &'a Stmt) {
        match &stmt.kind {
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::Assign { target, value } => {
                self.expr(value);
                self.bind(target, BindKind::Assign);
            }
            StmtKind::Def { target, value } => {
                self.expr(value);
                self.bind(target, BindKind::Def);
            }
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
            StmtKind::FuncDef(def) => {
                self.bind(&def.name, BindKind::Function);
                self.res.scopes[self.scope].functions.push(def.id);
                self.res.defs[def.id] = Some(def);
                self.function(def.id, &def.name.name, &def.params, |r| r.block(&def.body));
            }
            StmtKind::While { cond, body } => {
                self.expr(cond);
                self.loop_body(body);
            }
            StmtKind::For { var, iter, body } => {
                match iter {
                    ForIter::Value(e) => self.expr(e),
                    ForIter::Range { from, to } => {
                        self.expr(from);
                        self.expr(to);
                    }
                }
                self.bind(var, BindKind::Assign);
                self.loop_body(body);
            }
            StmtKind::Ret(value) => {
                if self.scope == MAIN_SCOPE {
                    self.errors
                        .push(CompileError::new(stmt.pos, "ret outside a function"));
                }
                if let Some(v) = value {
                    self.expr(v);
                }
            }
            StmtKind::Brk | StmtKind::Cnt => {
                if self.loop_depth == 0 {
                    let word = if stmt.kind == StmtKind::Brk {
                        "brk"
                    } else {
                        "cnt"
                    };
                    self.errors.push(CompileError::new(
                        stmt.pos,
                        format!("{word} outside a loop"),
                    ));
                }
            }
            StmtKind::Use(target) => {
                if self.scope != MAIN_SCOPE {
                    self.errors.push(CompileError::new(
                        stmt.pos,
                        "'use' is only allowed at the top level of a file",
                    ));
                    return;
                }
                match target {
                    UseTarget::Module(name) => {
                        // An unknown module was reported when the files were loaded.
                        if let Some(Imported::Module(unit)) = self.imports.get(&name.pos) {
                            self.bind_module(name, *unit);
                        } else {
                            self.bind(name, BindKind::Assign);
                        }
                    }
                    UseTarget::File { pos, .. } => {
                        let Some(Imported::File(names)) = self.imports.get(pos) else {
                            return;
                        };
                        for (name, module) in names {
                            let ident = Ident {
                                name: name.clone(),
                                pos: *pos,
                            };
                            match module {
                                Some(unit) => self.bind_module(&ident, *unit),
                                None => self.bind(&ident, BindKind::Assign),
                            }
                        }
                    }
                }
            }
        }
    }

    fn expr(&mut self, e: &'a Expr) {
        match &e.kind {
            ExprKind::Num(_)
            | ExprKind::Str(_)
            | ExprKind::True
            | ExprKind::False
            | ExprKind::Nil
            | ExprKind::Name(_) => {}
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
            ExprKind::Lambda { id, params, body } => {
                self.res.lambdas.insert(*id, (params, body));
                self.function(*id, "<lambda>", params, |r| r.expr(body));
            }
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
