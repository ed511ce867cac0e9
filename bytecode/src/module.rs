//! A bytecode module: the unit the frontend produces, the `.ilbc` file
//! stores, and the interpreter and the native compiler consume.

/// A constant pool entry.
#[derive(Clone, Debug, PartialEq)]
pub enum Constant {
    Num(f64),
    Str(String),
}

/// Maps the instruction at `pc` (and those after it, up to the next entry)
/// to a source position. Lines and columns count from 1; columns count
/// code points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineEntry {
    pub pc: u32,
    pub line: u32,
    pub col: u32,
}

/// One function. Parameters occupy local slots `0..arity`.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// Name used in stack traces and `<fun NAME>`: the function's name,
    /// `<main>` for a program's top level, `<lambda>` for lambdas.
    pub name: String,
    pub arity: u8,
    /// Number of local slots, parameters included (`num_locals >= arity`).
    pub num_locals: u16,
    /// Number of cells a closure of this function carries (`get_capture 0..N`).
    /// A function with captures exists only as a closure (`make_closure`):
    /// `push_func` and `call_direct` of it are rejected by the verifier.
    pub num_captures: u16,
    /// Index into [`Module::files`] of the source file this function came from.
    pub file: u32,
    pub code: Vec<u8>,
    /// Sorted by `pc`, strictly increasing.
    pub lines: Vec<LineEntry>,
    /// Debug info: the name of each local slot (`num_locals` names), or
    /// empty when unknown. Used only by `--trace-locals` and `ilusm dis`.
    pub local_names: Vec<String>,
}

impl Function {
    /// The source position of the instruction at `pc`, if the line table covers it.
    pub fn position(&self, pc: u32) -> Option<(u32, u32)> {
        let idx = self.lines.partition_point(|e| e.pc <= pc);
        if idx == 0 {
            return None;
        }
        let e = self.lines[idx - 1];
        Some((e.line, e.col))
    }
}

/// A whole program: everything a `use` pulls in is already merged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Module {
    pub constants: Vec<Constant>,
    /// Names of the global slots (for `undefined name 'x'` errors).
    pub globals: Vec<String>,
    /// Source file paths as the user named them (for stack traces).
    pub files: Vec<String>,
    pub functions: Vec<Function>,
    /// Index of the function that runs the program's top level.
    pub entry: u32,
}
