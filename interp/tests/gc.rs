//! The collector end to end through the interpreter: hand-built modules run
//! in stress mode, under a heap limit, and with large garbage. The
//! collector's settings are process-wide for new program threads, so this
//! file has one test that runs its phases one after another.

mod common;

use common::{func, module, num, run, st, Outcome};
use ilusm_bytecode::Instr::{self, *};
use ilusm_bytecode::{Function, Module};
use ilusm_runtime::builtins::id;
use ilusm_runtime::gc;

fn bi(builtin: u16, argc: u8) -> Instr {
    CallBuiltin { builtin, argc }
}

fn with_captures(mut f: Function, n: u16) -> Function {
    f.num_captures = n;
    f
}

/// `f` and `g` closures reaching each other through cells, a list holding
/// itself, an object, string iteration, `try`: all allocation paths.
/// Locals: 0 i, 1 xs, 2 c1, 3 c2, 4 f, 5 g.
fn mixed() -> Module {
    let consts = vec![
        num(0.0),     // 0
        num(1.0),     // 1
        num(30.0),    // 2
        st("-"),      // 3
        st("f>"),     // 4
        st("g"),      // 5
        st("héllo"),  // 6
        st("a"),      // 7
        st("b"),      // 8
        st("in try"), // 9
    ];
    let main = [
        // xs = []; i = 0; while i < 30: psh(xs, str(i) + "-"); i = i + 1
        MakeList(0),
        SetLocal(1),
        Push(0),
        SetLocal(0),
        GetLocal(0), // 4
        Push(2),
        Lt,
        JumpIfNot(20),
        GetLocal(1),
        GetLocal(0),
        bi(id::STR, 1),
        Push(3),
        Add,
        bi(id::PSH, 2),
        Pop,
        GetLocal(0),
        Push(1),
        Add,
        SetLocal(0),
        Jump(4),
        GetLocal(1), // 20: the list holds itself too
        GetLocal(1),
        bi(id::PSH, 2),
        Print(1),
        Pop,
        // mutually reaching closures
        PushNil,
        MakeCell,
        SetLocal(2),
        PushNil,
        MakeCell,
        SetLocal(3),
        GetLocal(2),
        MakeClosure {
            func: 1,
            captures: 1,
        },
        SetLocal(4),
        GetLocal(3),
        MakeClosure {
            func: 2,
            captures: 1,
        },
        SetLocal(5),
        GetLocal(2),
        GetLocal(5),
        CellSet,
        GetLocal(3),
        GetLocal(4),
        CellSet,
        GetLocal(4),
        Call(0),
        Print(1),
        Pop,
        // {a: xs, b: "g"} -> kys; iterate a string; try
        Push(7),
        GetLocal(1),
        Push(8),
        Push(5),
        MakeObject(2),
        bi(id::KYS, 1),
        Push(6),
        IterPrep,
        Print(2),
        Pop,
        PushFunc(3),
        bi(id::TRY, 1),
        Print(1),
        Pop,
        Halt,
    ];
    let f = [Push(4), GetCapture(0), CellGet, Call(0), Add, Ret];
    let g = [Push(5), Ret];
    let t = [Push(9), Push(6), Add, MakeList(1), Ret];
    module(
        consts,
        &[],
        vec![
            func("<main>", 0, 6, &main),
            with_captures(func("f", 0, 0, &f), 1),
            with_captures(func("g", 0, 0, &g), 1),
            func("t", 0, 0, &t),
        ],
    )
}

fn mixed_output() -> String {
    let items: Vec<String> = (0..30).map(|i| format!("\"{i}-\"")).collect();
    format!(
        "[{}, [...]]\nf>g\n[\"a\", \"b\"] [\"h\", \"é\", \"l\", \"l\", \"o\"]\n{{val: [\"in tryhéllo\"], err: nil}}\n",
        items.join(", ")
    )
}

/// `n` times: a pair of closures reaching each other, a self-holding list
/// and a ~1 KB string, all garbage at the next iteration. Ends by printing
/// the last string's length and a list made before the loop, which only
/// the interpreter's operand stack holds by then. Locals: 0 i, 1 c, 2 s,
/// 3 the kept list.
fn churn(n: f64) -> Module {
    let consts = vec![
        num(0.0),
        num(1.0),
        num(n),
        st(&"z".repeat(1000)),
        st("kept"),
    ];
    let mut main = vec![
        Push(4),
        Push(4),
        Concat(2),
        MakeList(1),
        SetLocal(3),
        Push(0),
        SetLocal(0),
    ];
    let top = main.len() as u32;
    main.extend([
        GetLocal(0),
        Push(2),
        Lt,
        JumpIfNot(0), // patched below
        PushNil,
        MakeCell,
        SetLocal(1),
        GetLocal(1),
        GetLocal(1),
        MakeClosure {
            func: 1,
            captures: 1,
        },
        CellSet, // the cell holds the closure over itself
        MakeList(0),
        Dup,
        Dup,
        bi(id::PSH, 2),
        Pop,
        Pop,
        Push(3),
        GetLocal(0),
        Concat(2),
        SetLocal(2),
        GetLocal(0),
        Push(1),
        Add,
        SetLocal(0),
        Jump(top),
    ]);
    let exit = main.len() as u32;
    main[top as usize + 3] = JumpIfNot(exit);
    main.extend([
        GetLocal(2),
        bi(id::LEN, 1),
        GetLocal(3),
        Print(2),
        Pop,
        Halt,
    ]);
    let f = [PushNil, Ret];
    module(
        consts,
        &[],
        vec![
            func("<main>", 0, 4, &main),
            with_captures(func("f", 0, 0, &f), 1),
        ],
    )
}

/// head = nil; n times: head = [i, head]; then walk it, counting; then
/// drop it and allocate 4 MB more of garbage. Locals: 0 i, 1 head, 2 count.
fn chain(n: f64) -> Module {
    let consts = vec![
        num(0.0),
        num(1.0),
        num(n),
        st(&"q".repeat(1000)),
        num(4000.0),
    ];
    let mut main = vec![
        Push(0),
        SetLocal(0),
        GetLocal(0), // 2
        Push(2),
        Lt,
        JumpIfNot(0), // patched
        GetLocal(0),
        GetLocal(1),
        MakeList(2),
        SetLocal(1),
        GetLocal(0),
        Push(1),
        Add,
        SetLocal(0),
        Jump(2),
    ];
    let walk = main.len() as u32;
    main[5] = JumpIfNot(walk);
    // while head: count = count + 1; head = head[1]
    main.extend([Push(0), SetLocal(2)]);
    let top = main.len() as u32;
    main.extend([
        GetLocal(1),
        JumpIfNot(0), // patched
        GetLocal(2),
        Push(1),
        Add,
        SetLocal(2),
        GetLocal(1),
        Push(1),
        Index,
        SetLocal(1),
        Jump(top),
    ]);
    let done = main.len() as u32;
    main[top as usize + 1] = JumpIfNot(done);
    main.extend([GetLocal(2), Print(1), Pop]);
    // 4000 more strings of 1 KB: the chain is garbage now.
    main.extend([Push(0), SetLocal(0)]);
    let top2 = main.len() as u32;
    main.extend([
        GetLocal(0),
        Push(4),
        Lt,
        JumpIfNot(0), // patched
        Push(3),
        GetLocal(0),
        Add,
        SetLocal(1),
        GetLocal(0),
        Push(1),
        Add,
        SetLocal(0),
        Jump(top2),
    ]);
    let end = main.len() as u32;
    main[top2 as usize + 3] = JumpIfNot(end);
    main.push(Halt);
    module(consts, &[], vec![func("<main>", 0, 3, &main)])
}

/// `hog` keeps pushing 8-element lists onto one list, forever.
/// `<main>`: `prn(try(hog).err)`, then `prn("after")`, then `hog()`.
fn hog() -> Module {
    let consts = vec![st("err"), st("after")];
    let main = [
        PushFunc(1),
        bi(id::TRY, 1),
        GetField(0),
        Print(1),
        Pop,
        Push(1),
        Print(1),
        Pop,
        CallDirect { func: 1, argc: 0 },
        Halt,
    ];
    let mut h = vec![MakeList(0), SetLocal(0)];
    let top = h.len() as u32;
    h.extend([GetLocal(0)]);
    h.extend([PushTrue; 8]);
    h.extend([MakeList(8), bi(id::PSH, 2), Pop, Jump(top)]);
    module(
        consts,
        &[],
        vec![func("<main>", 0, 0, &main), func("hog", 0, 1, &h)],
    )
}

fn ok(out: &str) -> Outcome {
    Outcome {
        status: 0,
        out: out.into(),
        err: String::new(),
    }
}

#[test]
fn collector_end_to_end() {
    // Plain: the expected output.
    let m = mixed();
    assert_eq!(run(&m, 100), ok(&mixed_output()));

    // Stress: a collection at every allocation changes nothing.
    gc::set_stress(true);
    assert_eq!(run(&m, 100), ok(&mixed_output()));
    assert_eq!(run(&churn(300.0), 100), ok("1003 [\"keptkept\"]\n"));
    gc::set_stress(false);

    // Garbage cycles and 100 MB of churn fit in an 8 MB heap.
    gc::set_max_heap(Some(gc::parse_heap_size("8M").unwrap()));
    assert_eq!(run(&churn(100_000.0), 100), ok("1005 [\"keptkept\"]\n"));

    // A 300,000-element linked list: marked iteratively, then garbage.
    gc::set_max_heap(Some(gc::parse_heap_size("64M").unwrap()));
    assert_eq!(run(&chain(300_000.0), 100), ok("300000\n"));

    // Exceeding the limit: catchable by try, else a runtime error.
    gc::set_max_heap(Some(gc::parse_heap_size("4M").unwrap()));
    let r = run(&hog(), 100);
    gc::set_max_heap(None);
    assert_eq!(r.status, 1);
    assert_eq!(r.out, "out of memory (heap limit 4M)\nafter\n");
    assert!(
        r.err
            .starts_with("error: out of memory (heap limit 4M)\n  at hog (t.ilu:"),
        "{}",
        r.err
    );
}
