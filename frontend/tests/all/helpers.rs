//! Shared test helpers: compiling with verification, reading back
//! instructions, and a tiny evaluator for the bytecode subset the frontend
//! covers (numbers, strings, booleans, nil, functions, `str`/`typ`/`len`),
//! so that tests can check what compiled programs compute without the real
//! interpreter (which this crate does not depend on). Containers and
//! closures are checked by codegen tests here and by the golden programs.

use ilusm_bytecode::builtins::builtin_name;
use ilusm_bytecode::{instructions, Constant, Instr, Module};
use ilusm_frontend::compile_source;

/// Compile, panicking with the rendered diagnostics on error, and run the
/// bytecode verifier over the result.
pub fn compile(src: &str) -> Module {
    match compile_source("test.ilu", src.as_bytes()) {
        Ok(m) => {
            if let Err(e) = ilusm_bytecode::verify::verify(&m) {
                panic!(
                    "verifier rejected the module: {e}\n{}",
                    ilusm_bytecode::dis::disassemble(&m)
                );
            }
            m
        }
        Err(diags) => panic!(
            "unexpected compile error:\n{}",
            diags.iter().map(|d| d.render()).collect::<String>()
        ),
    }
}

/// The message of the first diagnostic; panics if the program compiles.
pub fn error(src: &str) -> String {
    first_diag(src.as_bytes()).message
}

pub fn first_diag(src: &[u8]) -> ilusm_frontend::Diagnostic {
    match compile_source("test.ilu", src) {
        Ok(_) => panic!(
            "expected a compile error for {:?}",
            String::from_utf8_lossy(src)
        ),
        Err(diags) => diags.into_iter().next().expect("at least one diagnostic"),
    }
}

/// The instructions of function `index`.
pub fn instrs(m: &Module, index: usize) -> Vec<Instr> {
    instructions(&m.functions[index].code)
        .map(|r| r.expect("decodes").1)
        .collect()
}

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Num(f64),
    Str(String),
    Bool(bool),
    Nil,
    Func(u32),
    Builtin(u16),
}

impl Value {
    fn truthy(&self) -> bool {
        match self {
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
            Value::Bool(b) => *b,
            Value::Nil => false,
            _ => true,
        }
    }

    fn show(&self, m: &Module) -> String {
        match self {
            Value::Num(n) => format!("{n}"),
            Value::Str(s) => s.clone(),
            Value::Bool(b) => if *b { "tru" } else { "fls" }.to_string(),
            Value::Nil => "nil".to_string(),
            Value::Func(f) => format!("<fun {}>", m.functions[*f as usize].name),
            Value::Builtin(b) => format!("<bif {}>", builtin_name(*b).unwrap_or("?")),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Value::Num(_) => "num",
            Value::Str(_) => "str",
            Value::Bool(_) => "bol",
            Value::Nil => "nil",
            Value::Func(_) => "fun",
            Value::Builtin(_) => "bif",
        }
    }
}

/// Run a compiled program; returns what it printed, or `error: MESSAGE`
/// appended when it fails.
pub fn run(src: &str) -> String {
    let m = compile(src);
    let mut out = String::new();
    if let Err(e) = call(
        &m,
        m.entry,
        Vec::new(),
        &mut vec![None; m.globals.len()],
        &mut out,
        0,
    ) {
        out.push_str(&format!("error: {e}"));
    }
    out
}

fn call(
    m: &Module,
    func: u32,
    args: Vec<Value>,
    globals: &mut Vec<Option<Value>>,
    out: &mut String,
    depth: usize,
) -> Result<Value, String> {
    if depth > 200 {
        return Err("stack overflow".into());
    }
    let f = &m.functions[func as usize];
    let mut locals = args;
    locals.resize(f.num_locals as usize, Value::Nil);
    let mut stack: Vec<Value> = Vec::new();
    let mut pc = 0usize;
    loop {
        let instr = Instr::decode(&f.code, pc).map_err(|e| e.to_string())?;
        pc += instr.size();
        let num = |v: Value| match v {
            Value::Num(n) => Ok(n),
            other => Err(format!("expected a number, got {}", other.type_name())),
        };
        match instr {
            Instr::Push(k) => stack.push(match &m.constants[k as usize] {
                Constant::Num(n) => Value::Num(*n),
                Constant::Str(s) => Value::Str(s.clone()),
            }),
            Instr::Pop => {
                stack.pop();
            }
            Instr::Dup => stack.push(stack.last().cloned().ok_or("dup on empty stack")?),
            Instr::PushNil => stack.push(Value::Nil),
            Instr::PushTrue => stack.push(Value::Bool(true)),
            Instr::PushFalse => stack.push(Value::Bool(false)),
            Instr::Add | Instr::Sub | Instr::Mul | Instr::Div | Instr::Mod => {
                let b = stack.pop().ok_or("underflow")?;
                let a = stack.pop().ok_or("underflow")?;
                let r = match (instr, &a, &b) {
                    (Instr::Add, Value::Str(_), _) | (Instr::Add, _, Value::Str(_)) => {
                        Value::Str(a.show(m) + &b.show(m))
                    }
                    _ => {
                        let (x, y) = (num(a)?, num(b)?);
                        Value::Num(match instr {
                            Instr::Add => x + y,
                            Instr::Sub => x - y,
                            Instr::Mul => x * y,
                            Instr::Div if y == 0.0 => return Err("division by zero".into()),
                            Instr::Div => x / y,
                            _ if y == 0.0 => return Err("division by zero".into()),
                            _ => x % y,
                        })
                    }
                };
                stack.push(r);
            }
            Instr::Eq | Instr::Ne => {
                let b = stack.pop().ok_or("underflow")?;
                let a = stack.pop().ok_or("underflow")?;
                stack.push(Value::Bool((a == b) == (instr == Instr::Eq)));
            }
            Instr::Lt | Instr::Le | Instr::Gt | Instr::Ge => {
                let y = num(stack.pop().ok_or("underflow")?)?;
                let x = num(stack.pop().ok_or("underflow")?)?;
                stack.push(Value::Bool(match instr {
                    Instr::Lt => x < y,
                    Instr::Le => x <= y,
                    Instr::Gt => x > y,
                    _ => x >= y,
                }));
            }
            Instr::Neg => {
                let x = num(stack.pop().ok_or("underflow")?)?;
                stack.push(Value::Num(-x));
            }
            Instr::Not => {
                let v = stack.pop().ok_or("underflow")?;
                stack.push(Value::Bool(!v.truthy()));
            }
            Instr::Print(n) => {
                let args = stack.split_off(stack.len() - n as usize);
                let text: Vec<String> = args.iter().map(|v| v.show(m)).collect();
                out.push_str(&text.join(" "));
                out.push('\n');
                stack.push(Value::Nil);
            }
            Instr::Concat(n) => {
                let args = stack.split_off(stack.len() - n as usize);
                stack.push(Value::Str(args.iter().map(|v| v.show(m)).collect()));
            }
            Instr::Jump(t) => pc = t as usize,
            Instr::JumpIf(t) | Instr::JumpIfNot(t) => {
                let v = stack.pop().ok_or("underflow")?;
                if v.truthy() == matches!(instr, Instr::JumpIf(_)) {
                    pc = t as usize;
                }
            }
            Instr::GetLocal(l) => stack.push(locals[l as usize].clone()),
            Instr::SetLocal(l) => locals[l as usize] = stack.pop().ok_or("underflow")?,
            Instr::GetGlobal(g) => stack.push(
                globals[g as usize]
                    .clone()
                    .ok_or_else(|| format!("undefined name '{}'", m.globals[g as usize]))?,
            ),
            Instr::SetGlobal(g) => globals[g as usize] = Some(stack.pop().ok_or("underflow")?),
            Instr::PushFunc(f) => stack.push(Value::Func(f)),
            Instr::PushBuiltin(b) => stack.push(Value::Builtin(b)),
            Instr::CallDirect { func, argc } => {
                let args = stack.split_off(stack.len() - argc as usize);
                let r = call(m, func, args, globals, out, depth + 1)?;
                stack.push(r);
            }
            Instr::CallBuiltin { builtin, argc } => {
                let args = stack.split_off(stack.len() - argc as usize);
                stack.push(call_builtin(m, builtin, args, out)?);
            }
            Instr::Call(argc) => {
                let args = stack.split_off(stack.len() - argc as usize);
                let callee = stack.pop().ok_or("underflow")?;
                let r = match callee {
                    Value::Func(func) => {
                        let callee = &m.functions[func as usize];
                        if callee.arity != argc {
                            return Err(format!(
                                "{} expects {} arguments, got {argc}",
                                callee.name, callee.arity
                            ));
                        }
                        call(m, func, args, globals, out, depth + 1)?
                    }
                    Value::Builtin(b) => call_builtin(m, b, args, out)?,
                    other => return Err(format!("cannot call {}", other.type_name())),
                };
                stack.push(r);
            }
            Instr::Len => {
                let v = stack.pop().ok_or("underflow")?;
                stack.push(call_builtin(m, 1, vec![v], out)?);
            }
            Instr::Ret => return stack.pop().ok_or_else(|| "ret on empty stack".into()),
            Instr::Halt => return Ok(Value::Nil),
            other => return Err(format!("test VM: unsupported instruction {other:?}")),
        }
    }
}

fn call_builtin(m: &Module, b: u16, args: Vec<Value>, out: &mut String) -> Result<Value, String> {
    Ok(match (builtin_name(b), args.as_slice()) {
        (Some("prn"), _) => {
            let text: Vec<String> = args.iter().map(|v| v.show(m)).collect();
            out.push_str(&text.join(" "));
            out.push('\n');
            Value::Nil
        }
        (Some("str"), [v]) => Value::Str(v.show(m)),
        (Some("typ"), [v]) => Value::Str(v.type_name().to_string()),
        (Some("len"), [Value::Str(s)]) => Value::Num(s.chars().count() as f64),
        (name, _) => return Err(format!("test VM: unsupported builtin {name:?}")),
    })
}
