//! Inputs that once broke an invariant the `compile` fuzz target checks
//! (fuzz/src/compile_check.rs), each with the answer it must get now. The
//! inputs are also kept as files under tests/fuzz-regressions/compile/,
//! which fuzz_corpus.rs replays through the fuzz target's own check.

use ilusm_bytecode::verify::{verify, MAX_STACK};
use ilusm_frontend::compile_source;

fn first_error(src: &str) -> ilusm_frontend::Diagnostic {
    match compile_source("main.ilu", src.as_bytes()) {
        Ok(_) => panic!("expected a compile error"),
        Err(diagnostics) => diagnostics.into_iter().next().expect("a diagnostic"),
    }
}

/// The frontend used to compile literals wider than the verifier's operand
/// stack limit; the module then failed verification ("stack depth 65536
/// exceeds the limit 65535"), which the CLI reported as invalid bytecode.
/// Too big for the fuzzer's 50 KB inputs: found by checking the limits.
#[test]
fn a_literal_deeper_than_the_stack_limit_is_a_compile_error() {
    let too_deep = format!("prn(0, [{}])\n", "1,".repeat(MAX_STACK as usize));
    let d = first_error(&too_deep);
    assert_eq!(
        d.message,
        "expression too large: it needs more than 65535 values on the operand stack"
    );
    // At the element that pushes the 65536th value: `prn(0, [` is 8
    // columns, then two per element.
    assert_eq!((d.line, d.col), (1, 9 + 2 * (MAX_STACK - 1)));
    assert!(d.render().contains("hint: "));

    let keys: String = (0..40_000).map(|i| format!("k{i}: 1, ")).collect();
    let d = first_error(&format!("x = 1\ny = {{{keys}}}\n"));
    assert!(
        d.message.starts_with("expression too large"),
        "{}",
        d.message
    );
    assert_eq!(d.line, 2);

    let pieces = "{1}".repeat(MAX_STACK as usize);
    let d = first_error(&format!("f() =\n    prn(1, $\"{pieces}\")\n"));
    assert!(
        d.message.starts_with("expression too large"),
        "{}",
        d.message
    );
    assert_eq!(d.line, 2);
}

/// Exactly at the limit is fine, and verifies.
#[test]
fn a_literal_as_deep_as_the_stack_limit_compiles() {
    let src = format!("x = [{}]\nprn(len(x))\n", "1,".repeat(MAX_STACK as usize));
    let module = compile_source("main.ilu", src.as_bytes()).expect("compiles");
    verify(&module).expect("verifies");
}
