//! The disassembler: the text `ilusm dis` prints.
//!
//! The format is stable (it is snapshot-tested); change it deliberately.
//!
//! ```text
//! ilbc version 1
//! entry f0 <main>
//! constants 2
//!   k0 = 3.5
//!   k1 = "hi\n"
//! globals 1
//!   g0 = fib
//! files 1
//!   file0 = "main.ilu"
//!
//! fn <main>/0 locals=0 file=0
//!   ; 1:1
//!   0000  push        k1  ; "hi\n"
//!   0005  print       1
//!   0007  jump_if     -> 0012
//!   0012  call_direct f1, 2  ; fib
//!   0018  halt
//! ```
//!
//! Each function starts with `fn NAME/ARITY locals=N file=F` (with
//! ` captures=C` before `file=` when it has captures), then, when the
//! module has debug names, `; locals: SLOT=NAME ...`; a `; LINE:COL`
//! line precedes the first instruction at a new source position; the pc is
//! four decimal digits (more when needed), then two spaces, then the
//! mnemonic padded to 11 columns and one space, then the operands. Numbers
//! print with Rust's `{:?}` (shortest exact form, `-0.0`, `inf`, `NaN`),
//! strings quoted with `\\ \" \n \t \r` and `\u{XX}` escapes.
//!
//! The disassembler works on any module, verified or not: an out-of-range
//! operand prints `?` in the comment, and a code block that does not decode
//! ends with an `<error: ...>` line.

use crate::builtins::builtin_name;
use crate::file::VERSION;
use crate::instr::{instructions, Instr};
use crate::module::{Constant, Function, Module};
use std::fmt::Write;

/// A string as an ilusm-style double-quoted literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7F => {
                let _ = write!(out, "\\u{{{:02x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How a constant prints: a number with `{:?}`, a string quoted.
pub fn constant_text(c: &Constant) -> String {
    match c {
        Constant::Num(n) => format!("{n:?}"),
        Constant::Str(s) => quote(s),
    }
}

/// Names may come from an unverified file: keep each on one line.
fn name_text(s: &str) -> String {
    if s.chars().any(|c| c.is_control()) {
        quote(s)
    } else {
        s.to_string()
    }
}

/// Disassemble a whole module (see the module documentation for the format).
pub fn disassemble(m: &Module) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "ilbc version {VERSION}");
    match m.functions.get(m.entry as usize) {
        Some(f) => {
            let _ = writeln!(out, "entry f{} {}", m.entry, name_text(&f.name));
        }
        None => {
            let _ = writeln!(out, "entry f{} ?", m.entry);
        }
    }
    let _ = writeln!(out, "constants {}", m.constants.len());
    for (k, c) in m.constants.iter().enumerate() {
        let _ = writeln!(out, "  k{k} = {}", constant_text(c));
    }
    let _ = writeln!(out, "globals {}", m.globals.len());
    for (g, name) in m.globals.iter().enumerate() {
        let _ = writeln!(out, "  g{g} = {}", name_text(name));
    }
    let _ = writeln!(out, "files {}", m.files.len());
    for (i, name) in m.files.iter().enumerate() {
        let _ = writeln!(out, "  file{i} = {}", quote(name));
    }
    for f in &m.functions {
        out.push('\n');
        disassemble_function(m, f, &mut out);
    }
    out
}

/// Disassemble one function of `m` (its header line and its code), appending
/// to `out`.
pub fn disassemble_function(m: &Module, f: &Function, out: &mut String) {
    let _ = write!(
        out,
        "fn {}/{} locals={}",
        name_text(&f.name),
        f.arity,
        f.num_locals
    );
    if f.num_captures > 0 {
        let _ = write!(out, " captures={}", f.num_captures);
    }
    let _ = writeln!(out, " file={}", f.file);
    // Debug names of the slots, when the module carries them (temporaries
    // are unnamed and left out): `  ; locals: 0=n 1=acc`.
    let named: Vec<String> = (f.local_names.iter().enumerate())
        .filter(|(_, n)| !n.is_empty())
        .map(|(i, n)| format!("{i}={}", name_text(n)))
        .collect();
    if !named.is_empty() {
        let _ = writeln!(out, "  ; locals: {}", named.join(" "));
    }
    let mut last_pos = None;
    for item in instructions(&f.code) {
        match item {
            Ok((pc, instr)) => {
                let pos = f.position(pc);
                if pos.is_some() && pos != last_pos {
                    if let Some((line, col)) = pos {
                        let _ = writeln!(out, "  ; {line}:{col}");
                    }
                    last_pos = pos;
                }
                let _ = writeln!(out, "  {}", instruction_text(m, pc, &instr));
            }
            Err(e) => {
                let _ = writeln!(out, "  <error: {e}>");
            }
        }
    }
}

/// One instruction as a listing line, without indentation or newline:
/// `0005  push        k1  ; "hi"`.
pub fn instruction_text(m: &Module, pc: u32, instr: &Instr) -> String {
    let mnemonic = instr.opcode().mnemonic();
    let func_name = |f: u32| {
        m.functions
            .get(f as usize)
            .map_or("?".to_string(), |f| name_text(&f.name))
    };
    let builtin = |b: u16| builtin_name(b).unwrap_or("?").to_string();
    let (operand, comment): (String, Option<String>) = match *instr {
        Instr::Push(k) => (
            format!("k{k}"),
            Some(
                m.constants
                    .get(k as usize)
                    .map_or("?".to_string(), constant_text),
            ),
        ),
        Instr::Jump(t) | Instr::JumpIf(t) | Instr::JumpIfNot(t) => (format!("-> {t:04}"), None),
        Instr::Print(n) | Instr::Call(n) => (n.to_string(), None),
        Instr::Concat(n) | Instr::MakeList(n) | Instr::MakeObject(n) => (n.to_string(), None),
        Instr::GetLocal(l) | Instr::SetLocal(l) | Instr::GetCapture(l) => (l.to_string(), None),
        Instr::GetField(k) | Instr::SetField(k) | Instr::GetFieldOpt(k) => (
            format!("k{k}"),
            Some(
                m.constants
                    .get(k as usize)
                    .map_or("?".to_string(), constant_text),
            ),
        ),
        Instr::MakeClosure { func, captures } => {
            (format!("f{func}, {captures}"), Some(func_name(func)))
        }
        Instr::GetGlobal(g) | Instr::SetGlobal(g) => (
            format!("g{g}"),
            Some(
                m.globals
                    .get(g as usize)
                    .map_or("?".to_string(), |n| name_text(n)),
            ),
        ),
        Instr::CallDirect { func, argc } => (format!("f{func}, {argc}"), Some(func_name(func))),
        Instr::PushFunc(func) => (format!("f{func}"), Some(func_name(func))),
        Instr::CallBuiltin { builtin: b, argc } => (format!("b{b}, {argc}"), Some(builtin(b))),
        Instr::PushBuiltin(b) => (format!("b{b}"), Some(builtin(b))),
        _ => (String::new(), None),
    };
    let mut line = format!("{pc:04}  {mnemonic:<11} {operand}");
    match comment {
        Some(c) => {
            let _ = write!(line, "  ; {c}");
        }
        None => {
            let trimmed = line.trim_end().len();
            line.truncate(trimmed);
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::LineEntry;

    fn code(instrs: &[Instr]) -> Vec<u8> {
        let mut out = Vec::new();
        for i in instrs {
            i.encode(&mut out);
        }
        out
    }

    #[test]
    fn listing_snapshot() {
        let main = code(&[
            Instr::Push(1),
            Instr::Print(1),
            Instr::JumpIf(12),
            Instr::PushFunc(1),
            Instr::CallDirect { func: 1, argc: 2 },
            Instr::CallBuiltin {
                builtin: 1,
                argc: 1,
            },
            Instr::GetGlobal(0),
            Instr::Halt,
        ]);
        let fib = code(&[Instr::GetLocal(0), Instr::Ret]);
        let m = Module {
            constants: vec![Constant::Num(3.5), Constant::Str("hi\n\"\u{1}".into())],
            globals: vec!["fib".into()],
            files: vec!["main.ilu".into()],
            functions: vec![
                Function {
                    name: "<main>".into(),
                    arity: 0,
                    num_locals: 0,
                    num_captures: 0,
                    file: 0,
                    code: main,
                    lines: vec![
                        LineEntry {
                            pc: 0,
                            line: 1,
                            col: 1,
                        },
                        LineEntry {
                            pc: 5,
                            line: 1,
                            col: 1,
                        },
                        LineEntry {
                            pc: 7,
                            line: 2,
                            col: 4,
                        },
                    ],
                    local_names: Vec::new(),
                },
                Function {
                    name: "fib".into(),
                    arity: 2,
                    num_locals: 3,
                    num_captures: 1,
                    file: 0,
                    code: fib,
                    lines: vec![LineEntry {
                        pc: 0,
                        line: 5,
                        col: 3,
                    }],
                    local_names: Vec::new(),
                },
            ],
            entry: 0,
        };
        let expect = r#"ilbc version 1
entry f0 <main>
constants 2
  k0 = 3.5
  k1 = "hi\n\"\u{01}"
globals 1
  g0 = fib
files 1
  file0 = "main.ilu"

fn <main>/0 locals=0 file=0
  ; 1:1
  0000  push        k1  ; "hi\n\"\u{01}"
  0005  print       1
  ; 2:4
  0007  jump_if     -> 0012
  0012  push_func   f1  ; fib
  0017  call_direct f1, 2  ; fib
  0023  call_builtin b1, 1  ; len
  0027  get_global  g0  ; fib
  0032  halt

fn fib/2 locals=3 captures=1 file=0
  ; 5:3
  0000  get_local   0
  0003  ret
"#;
        assert_eq!(disassemble(&m), expect);
    }

    #[test]
    fn container_and_closure_operands() {
        let m = Module {
            constants: vec![Constant::Str("port".into())],
            files: vec!["t.ilu".into()],
            functions: vec![Function {
                name: "mk".into(),
                arity: 0,
                num_locals: 0,
                num_captures: 1,
                file: 0,
                code: code(&[
                    Instr::MakeList(3),
                    Instr::MakeObject(2),
                    Instr::GetField(0),
                    Instr::SetField(0),
                    Instr::GetFieldOpt(0),
                    Instr::MakeClosure {
                        func: 0,
                        captures: 1,
                    },
                    Instr::GetCapture(0),
                    Instr::RangePrep,
                ]),
                lines: vec![],
                local_names: Vec::new(),
            }],
            ..Module::default()
        };
        let text = disassemble(&m);
        for line in [
            "fn mk/0 locals=0 captures=1 file=0",
            "0000  make_list   3",
            "0003  make_object 2",
            "0006  get_field   k0  ; \"port\"",
            "0011  set_field   k0  ; \"port\"",
            "0016  get_field_opt k0  ; \"port\"",
            "0021  make_closure f0, 1  ; mk",
            "0027  get_capture 0",
            "0030  range_prep",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
    }

    #[test]
    fn invalid_modules_do_not_panic() {
        let m = Module {
            functions: vec![Function {
                name: "bad\nname".into(),
                arity: 0,
                num_locals: 0,
                num_captures: 0,
                file: 9,
                code: vec![0x01, 9, 0, 0, 0, 0x1F, 7, 0, 0, 0, 0, 0x22, 99, 0, 0xFF],
                lines: vec![],
                local_names: Vec::new(),
            }],
            entry: 3,
            ..Module::default()
        };
        let text = disassemble(&m);
        assert!(text.contains("entry f3 ?"), "{text}");
        assert!(text.contains("fn \"bad\\nname\"/0"), "{text}");
        assert!(text.contains("0000  push        k9  ; ?"), "{text}");
        assert!(text.contains("0005  call_direct f7, 0  ; ?"), "{text}");
        assert!(text.contains("0011  push_builtin b99  ; ?"), "{text}");
        assert!(
            text.contains("<error: unknown opcode 0xff at offset 14>"),
            "{text}"
        );
    }
}
