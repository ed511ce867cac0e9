//! Building modules by hand and running them with captured output.
#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use ilusm_bytecode::{Constant, Function, Instr, LineEntry, Module};

#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// What a run produced.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    pub status: i32,
    pub out: String,
    pub err: String,
}

pub fn run(module: &Module, max_depth: u64) -> Outcome {
    let (out, err) = (Capture::default(), Capture::default());
    let status = ilusm_interp::run_with_io(
        module,
        vec![],
        max_depth,
        Some((Box::new(out.clone()), Box::new(err.clone()))),
    );
    Outcome {
        status,
        out: out.text(),
        err: err.text(),
    }
}

/// Assemble `code`, where jump targets are instruction *indices*, into a
/// function whose line table puts instruction `i` at line `i + 1`, column 1.
pub fn func(name: &str, arity: u8, num_locals: u16, code: &[Instr]) -> Function {
    let mut pcs = Vec::with_capacity(code.len() + 1);
    let mut pc = 0u32;
    for i in code {
        pcs.push(pc);
        pc += i.size() as u32;
    }
    pcs.push(pc);
    let mut bytes = Vec::new();
    let mut lines = Vec::new();
    for (idx, &i) in code.iter().enumerate() {
        let fixed = match i {
            Instr::Jump(t) => Instr::Jump(pcs[t as usize]),
            Instr::JumpIf(t) => Instr::JumpIf(pcs[t as usize]),
            Instr::JumpIfNot(t) => Instr::JumpIfNot(pcs[t as usize]),
            other => other,
        };
        lines.push(LineEntry {
            pc: bytes.len() as u32,
            line: idx as u32 + 1,
            col: 1,
        });
        fixed.encode(&mut bytes);
    }
    Function {
        name: name.into(),
        arity,
        num_locals,
        num_captures: 0,
        file: 0,
        code: bytes,
        lines,
        local_names: Vec::new(),
    }
}

pub fn module(constants: Vec<Constant>, globals: &[&str], functions: Vec<Function>) -> Module {
    Module {
        constants,
        globals: globals.iter().map(|s| s.to_string()).collect(),
        files: vec!["t.ilu".into()],
        functions,
        entry: 0,
    }
}

pub fn num(n: f64) -> Constant {
    Constant::Num(n)
}

pub fn st(s: &str) -> Constant {
    Constant::Str(s.into())
}
