//! Helpers shared by the integration tests: a tiny assembler and module
//! builders.
#![allow(dead_code)]

use ilusm_bytecode::{Constant, Function, Instr, LineEntry, Module};

/// Byte offset of each instruction, plus the end of the code.
pub fn offsets(items: &[Instr]) -> Vec<u32> {
    let mut pcs = vec![0u32];
    for i in items {
        let last = *pcs.last().unwrap();
        pcs.push(last + i.size() as u32);
    }
    pcs
}

/// Assemble `items`, where jump targets are *instruction indices* (index
/// `items.len()` means the end of the code).
pub fn asm(items: &[Instr]) -> Vec<u8> {
    let pcs = offsets(items);
    let mut out = Vec::new();
    for i in items {
        let i = match *i {
            Instr::Jump(t) => Instr::Jump(pcs[t as usize]),
            Instr::JumpIf(t) => Instr::JumpIf(pcs[t as usize]),
            Instr::JumpIfNot(t) => Instr::JumpIfNot(pcs[t as usize]),
            other => other,
        };
        i.encode(&mut out);
    }
    out
}

/// Assemble `items` as they are (jump targets are byte offsets).
pub fn raw(items: &[Instr]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in items {
        i.encode(&mut out);
    }
    out
}

/// A function in file 0 with a one-entry line table.
pub fn func(name: &str, arity: u8, num_locals: u16, code: Vec<u8>) -> Function {
    Function {
        name: name.to_string(),
        arity,
        num_locals,
        num_captures: 0,
        file: 0,
        code,
        lines: vec![LineEntry {
            pc: 0,
            line: 1,
            col: 1,
        }],
        local_names: Vec::new(),
    }
}

/// A module with constants `[1.0, "hi"]`, one global `g`, one file
/// `t.ilu`, the given functions, and entry 0.
pub fn module(functions: Vec<Function>) -> Module {
    Module {
        constants: vec![Constant::Num(1.0), Constant::Str("hi".into())],
        globals: vec!["g".into()],
        files: vec!["t.ilu".into()],
        functions,
        entry: 0,
    }
}

/// A module whose only function is `<main>` with this code.
pub fn main_only(code: Vec<u8>) -> Module {
    module(vec![func("<main>", 0, 0, code)])
}

/// The verifier's message for `m`, which must fail.
pub fn verify_err(m: &Module) -> String {
    match ilusm_bytecode::verify(m) {
        Ok(_) => panic!(
            "expected a verify error for\n{}",
            ilusm_bytecode::disassemble(m)
        ),
        Err(e) => e.to_string(),
    }
}

/// The loader's message for `bytes`, which must fail.
pub fn load_err(bytes: &[u8]) -> String {
    match ilusm_bytecode::load(bytes) {
        Ok(_) => panic!("expected a load error"),
        Err(e) => e.to_string(),
    }
}

/// A real program of a few functions with calls, a loop, and an `and`:
///
/// ```text
/// <main>: g = fib; i = 0
///         loop: if not i < 3: goto end
///               print(fib(i)); i = i + 1 (via a jump to a block at the end); goto loop
///         end:  len("hi\n" + both("hi\n", tru)); halt
/// fib(n): if n < 2: return n
///         return fib(n - 1) + g(n - 2)
/// both(a, b): a and b
/// ```
pub fn sample() -> Module {
    use Instr::*;
    let main = asm(&[
        PushFunc(1),
        SetGlobal(0),
        Push(4),
        SetLocal(0),
        GetLocal(0), // 4: loop
        Push(2),
        Lt,
        JumpIfNot(16),
        GetLocal(0),
        CallDirect { func: 1, argc: 1 },
        Print(1),
        Pop,
        GetLocal(0),
        Push(0),
        Add,
        Jump(24),
        Push(1), // 16: end
        Push(1),
        PushTrue,
        CallDirect { func: 2, argc: 2 },
        Concat(2),
        CallBuiltin {
            builtin: 1,
            argc: 1,
        },
        Pop,
        Halt,
        SetLocal(0), // 24
        Jump(4),
    ]);
    let fib = asm(&[
        GetLocal(0),
        Push(3),
        Lt,
        JumpIfNot(6),
        GetLocal(0),
        Ret,
        GetLocal(0), // 6: rec
        Push(0),
        Sub,
        CallDirect { func: 1, argc: 1 },
        GetGlobal(0),
        GetLocal(0),
        Push(3),
        Sub,
        Call(1),
        Add,
        Ret,
    ]);
    let both = asm(&[GetLocal(0), Dup, JumpIfNot(5), Pop, GetLocal(1), Ret]);
    let mut m = module(vec![
        func("<main>", 0, 1, main),
        func("fib", 1, 1, fib),
        func("both", 2, 2, both),
    ]);
    m.constants = vec![
        Constant::Num(1.0),
        Constant::Str("hi\n".into()),
        Constant::Num(3.0),
        Constant::Num(2.0),
        Constant::Num(0.0),
    ];
    m.functions[0].lines.push(LineEntry {
        pc: 10,
        line: 2,
        col: 3,
    });
    m.functions[1].lines.push(LineEntry {
        pc: 14,
        line: 7,
        col: 5,
    });
    m
}
