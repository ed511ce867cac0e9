//! `use "file.ilu"` (spec §9): finding, reading and parsing every file a
//! program uses, before anything is resolved.
//!
//! Each file is a *unit*: unit 0 is the program itself, the others are
//! numbered in the order their first `use` is met (depth first). A path is
//! relative to the directory of the file that uses it and is normalized
//! lexically (`a/./b/../c.ilu` is `a/c.ilu`); the normalized path is both
//! the file's identity (a second `use` of it reuses the unit) and its name
//! in diagnostics and traces. A `use` that reaches a file still being
//! loaded is an import cycle. [`Units::order`] lists the units so that
//! every file comes after the files it uses: the order to resolve them in.
//!
//! `use NAME` loads the embedded standard module NAME ([`crate::stdlib`])
//! the same way, as a unit named `<std>/NAME.ilu` that is never read from
//! disk; an unknown NAME is reported here.

use crate::ast::{Block, Expr, ExprKind, InterpPart, Program, Stmt, StmtKind, UseTarget};
use crate::diag::{CompileError, Pos};
use crate::{lexer, parser, stdlib};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Reads the file at a path (as the toolchain names it) for a `use`.
pub type SourceReader<'a> = &'a dyn Fn(&str) -> std::io::Result<Vec<u8>>;

/// One source file of the program.
pub struct Unit {
    /// The normalized path, as diagnostics and traces print it.
    pub name: String,
    /// The text diagnostics quote (lossy UTF-8, without a byte-order mark).
    pub shown: String,
    /// The parsed file; `None` if it failed to lex or parse.
    pub program: Option<Program>,
    /// The unit each `use "..."` or `use NAME` of this file (by the
    /// position of its path or name) imports.
    pub imports: HashMap<Pos, usize>,
    /// Whether this is a standard module (its `<main>` returns the module
    /// object).
    pub is_std: bool,
}

/// Every file of a program.
pub struct Units {
    pub units: Vec<Unit>,
    /// Units in dependency order (used files before their users).
    pub order: Vec<usize>,
    /// Errors found while loading, with the unit they are in.
    pub errors: Vec<(usize, CompileError)>,
}

/// Load the program `name` with text `source`, and every file it uses.
pub fn load(name: &str, source: &[u8], read: SourceReader<'_>) -> Units {
    let mut loader = Loader {
        units: Units {
            units: Vec::new(),
            order: Vec::new(),
            errors: Vec::new(),
        },
        by_name: HashMap::new(),
        loading: Vec::new(),
        read,
    };
    loader.add(name.to_string(), source, false);
    loader.visit(0);
    loader.units
}

struct Loader<'r> {
    units: Units,
    by_name: HashMap<String, usize>,
    /// The units being loaded, outermost first (for cycles).
    loading: Vec<usize>,
    read: SourceReader<'r>,
}

impl Loader<'_> {
    fn add(&mut self, name: String, source: &[u8], is_std: bool) -> usize {
        let index = self.units.units.len();
        let lossy = String::from_utf8_lossy(source);
        let shown = lossy.strip_prefix('\u{feff}').unwrap_or(&lossy).to_string();
        let parsed = lexer::decode_source(source)
            .and_then(lexer::tokenize)
            .map_err(|e| vec![e])
            .and_then(parser::parse);
        let program = match parsed {
            Ok(p) => Some(p),
            Err(errors) => {
                self.units
                    .errors
                    .extend(errors.into_iter().map(|e| (index, e)));
                None
            }
        };
        self.by_name.insert(name.clone(), index);
        self.units.units.push(Unit {
            name,
            shown,
            program,
            imports: HashMap::new(),
            is_std,
        });
        index
    }

    /// Load everything unit `u` uses, then list `u` in the order.
    fn visit(&mut self, u: usize) {
        self.loading.push(u);
        let mut uses = Vec::new();
        if let Some(p) = &self.units.units[u].program {
            collect_uses(&p.body, &mut uses);
        }
        for (target, pos) in uses {
            // Errors at a `use` underline its whole path (with the quotes) or module name.
            let width = match &target {
                Used::File(path) => path.chars().count() + 2,
                Used::Module(module) => module.chars().count(),
            };
            let (name, std_source) = match target {
                Used::File(path) if self.units.units[u].is_std => {
                    let message = format!("a standard module cannot use a file (\"{path}\")");
                    self.units.errors.push((u, CompileError::new(pos, message)));
                    continue;
                }
                Used::File(path) => (joined(&self.units.units[u].name, &path), None),
                Used::Module(module) => match stdlib::find(&module) {
                    Some((name, source)) => (name, Some(source)),
                    None => {
                        let error = CompileError::new(pos, format!("unknown module '{module}'"))
                            .with_width(width)
                            .with_hint({
                                let known = stdlib::known_names();
                                let list = format!("the standard modules are {}", known.join(", "));
                                match crate::suggest::undefined_name(&module, known) {
                                    Some(guess) => format!("{guess} ({list})"),
                                    None => list,
                                }
                            });
                        self.units.errors.push((u, error));
                        continue;
                    }
                },
            };
            let target = match self.by_name.get(&name) {
                Some(&t) if self.loading.contains(&t) => {
                    let from = self.loading.iter().position(|&x| x == t).unwrap_or(0);
                    let mut chain: Vec<&str> = self.loading[from..]
                        .iter()
                        .map(|&x| self.units.units[x].name.as_str())
                        .collect();
                    chain.push(&self.units.units[t].name);
                    let message = format!("import cycle: {}", chain.join(" -> "));
                    let err = CompileError::new(pos, message).with_width(width);
                    self.units.errors.push((u, err));
                    continue;
                }
                Some(&t) => t,
                None => {
                    let bytes = match std_source {
                        Some(source) => Ok(source.as_bytes().to_vec()),
                        None => (self.read)(&name),
                    };
                    match bytes {
                        Ok(bytes) => {
                            let t = self.add(name, &bytes, std_source.is_some());
                            self.visit(t);
                            t
                        }
                        Err(e) => {
                            let message = format!("cannot read {name}: {e}");
                            let err = CompileError::new(pos, message).with_width(width);
                            self.units.errors.push((u, err));
                            continue;
                        }
                    }
                }
            };
            self.units.units[u].imports.insert(pos, target);
        }
        self.loading.pop();
        self.units.order.push(u);
    }
}

/// `path` relative to the directory of the file named `importer`,
/// normalized lexically.
fn joined(importer: &str, path: &str) -> String {
    let dir = Path::new(importer).parent().unwrap_or(Path::new(""));
    let mut out = PathBuf::new();
    for c in dir.join(path).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out.to_string_lossy().into_owned()
}

/// What a `use` names.
enum Used {
    File(String),
    Module(String),
}

/// The `use` statements of a file's top level, including those inside
/// `if`/loop/`mat` blocks (not inside functions: the resolver rejects those).
fn collect_uses(block: &Block, out: &mut Vec<(Used, Pos)>) {
    for stmt in block {
        collect_stmt(stmt, out);
    }
}

fn collect_stmt(stmt: &Stmt, out: &mut Vec<(Used, Pos)>) {
    match &stmt.kind {
        StmtKind::Use(UseTarget::File { path, pos }) => out.push((Used::File(path.clone()), *pos)),
        StmtKind::Use(UseTarget::Module(name)) => {
            out.push((Used::Module(name.name.clone()), name.pos))
        }
        StmtKind::Expr(e) | StmtKind::Assign { value: e, .. } | StmtKind::Def { value: e, .. } => {
            collect_expr(e, out)
        }
        StmtKind::While { body, .. } | StmtKind::For { body, .. } => collect_uses(body, out),
        _ => {}
    }
}

fn collect_expr(e: &Expr, out: &mut Vec<(Used, Pos)>) {
    match &e.kind {
        ExprKind::If {
            then, otherwise, ..
        } => {
            collect_uses(then, out);
            if let Some(b) = otherwise {
                collect_uses(b, out);
            }
        }
        ExprKind::Match { arms, .. } => {
            for arm in arms {
                collect_uses(&arm.body, out);
            }
        }
        ExprKind::Interp(parts) => {
            for part in parts {
                if let InterpPart::Expr(e) = part {
                    collect_expr(e, out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::joined;

    #[test]
    fn paths_are_relative_to_the_importer() {
        assert_eq!(
            joined("programs/main.ilu", "lib/u.ilu"),
            "programs/lib/u.ilu"
        );
        assert_eq!(joined("main.ilu", "u.ilu"), "u.ilu");
        assert_eq!(joined("a/b/m.ilu", "./../c/./u.ilu"), "a/c/u.ilu");
        assert_eq!(joined("m.ilu", "../u.ilu"), "../u.ilu");
        assert_eq!(joined("/abs/m.ilu", "u.ilu"), "/abs/u.ilu");
    }
}
