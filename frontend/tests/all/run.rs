//! Compiled programs evaluated by the test VM (see helpers): the bytecode
//! computes what the spec says.

use crate::helpers::run;

#[test]
fn arithmetic_and_printing() {
    assert_eq!(
        run("prn(1 + 2 * 3, (1 + 2) * 3, 10 / 4, -7 % 3, -2 - -3)\n"),
        "7 9 2.5 -1 1\n"
    );
    assert_eq!(
        run("prn 1 == 1\nprn (1 + 2) * 3\nprn !0\nprn not 1\n"),
        "true 9\n".replace("true 9\n", "tru\n9\ntru\nfls\n")
    );
    assert_eq!(run("prn()\nprn(nil, tru, fls)\n"), "\nnil tru fls\n");
}

#[test]
fn recursion_and_mutual_recursion() {
    let src = "fib(n) =\n    if n < 2: ret n\n    fib(n - 1) + fib(n - 2)\nprn(fib(15))\n\
               even(n) = if n == 0: tru | odd(n - 1)\nodd(n) = if n == 0: fls | even(n - 1)\n\
               prn(even(10), odd(7), even(7))\n";
    assert_eq!(run(src), "610\ntru tru fls\n");
}

#[test]
fn conditionals_as_expressions() {
    let src = "k(n) = if n == 0: \"zero\" | if n < 0: \"neg\" | \"pos\"\nprn(k(0), k(-3), k(4))\n\
               x = 5\nif x > 0: prn \"pos\" | prn \"not pos\"\n\
               if x > 9:\n    prn \"big\"\n| if x == 5:\n    prn \"five\"\n| prn x\n\
               y = if x > 9: 1\nprn(y)\n";
    assert_eq!(run(src), "zero neg pos\npos\nfive\nnil\n");
}

#[test]
fn loops_with_brk_and_cnt() {
    let src = "i = 0\ns = 0\nwhl tru:\n    i = i + 1\n    if i > 10: brk\n    if i % 2 == 0: cnt\n    s = s + i\nprn(s, i)\n\
               n = 0\nwhl n < 10: n = n + 1\nprn n\n\
               whl tru: prn(\"a\", if tru: brk | 2)\nprn \"after\"\n";
    assert_eq!(run(src), "25 11\n10\nafter\n");
}

#[test]
fn logic_yields_operands() {
    assert_eq!(
        run("prn(1 and 2, 0 and 2, 0 or \"x\", nil or fls)\n"),
        "2 0 x fls\n"
    );
}

#[test]
fn strings_and_builtins() {
    let src = "n = 3\nprn $\"n={n}, twice={n * 2} {{lit}}\"\nprn(typ(1), typ(\"s\"), typ(nil), typ(prn), typ(tru))\n\
               prn(len(\"héllo\"), str(2.5) + \"!\")\nprn(\"\\u{1F600}\")\n";
    assert_eq!(
        run(src),
        "n=3, twice=6 {lit}\nnum str nil bif bol\n5 2.5!\n\u{1F600}\n"
    );
}

#[test]
fn function_results() {
    let src = "a() =\n    x = 1\nb() =\n    ret\nc() = 7\nd(x) =\n    if x: ret \"early\"\n    \"late\"\n\
               prn(a(), b(), c(), d(1), d(0))\n";
    assert_eq!(run(src), "nil nil 7 early late\n");
}

#[test]
fn locals_shadow_globals_and_builtins() {
    let src = "x = 1\nf() =\n    x = 2\n    len = 3\n    x + len\nprn(f(), x, len(\"ab\"))\n\
               g(x) = prn(x)\ng(9)\nh = g\nh(8)\n";
    assert_eq!(run(src), "5 1 2\n9\n8\n");
}

#[test]
fn globals_are_read_at_run_time() {
    assert_eq!(run("f() = y\nprn(f)\ny = 2\nprn(f())\n"), "<fun f>\n2\n");
    assert_eq!(
        run("f() = y\nprn(f())\ny = 2\n"),
        "error: undefined name 'y'"
    );
}

#[test]
fn wrong_arity_is_a_runtime_error() {
    assert_eq!(
        run("add(a, b) = a + b\nadd(1, 2, 3)\n"),
        "error: add expects 2 arguments, got 3"
    );
}

#[test]
fn crlf_program_runs() {
    assert_eq!(run("x = 1\r\nif x:\r\n    prn(\"yes\")\r\n"), "yes\n");
}

#[test]
fn spec_examples_run() {
    let src = "sign(n) =\n    if n < 0: ret -1\n    1\nprn(sign(-5), sign(5))\nprn(-1)\n\
               add(a, b) = a + b\nprn add(2, 3)\ndef limit = 100\nprn limit\n";
    assert_eq!(run(src), "-1 1\n-1\n5\n100\n");
}

#[test]
fn layout_forms_from_decisions() {
    let src = "x = 0\nif x:\n    prn 1\n|\n    prn 2\n    prn 3\n\
               if x: prn 4\n| prn 5\n\
               if tru: if fls: prn 6 | prn 7 | prn 8\n\
               if tru: log(v) = prn v\nlog(9)\n\
               f() =\n    whl tru: brk\nprn(f())\n";
    assert_eq!(run(src), "2\n3\n5\n7\n9\nnil\n");
    // Trailing commas parse and compile.
    crate::helpers::compile("f(x) = x\nprn([1, 2,], f(1,))\n");
}
