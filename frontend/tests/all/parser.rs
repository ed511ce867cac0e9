//! The parser on every example of spec §5 and on the shapes that matter.

use ilusm_frontend::ast::*;
use ilusm_frontend::lexer::tokenize;
use ilusm_frontend::parser::parse;

fn program(src: &str) -> Program {
    let tokens = tokenize(src).unwrap_or_else(|e| panic!("lex error in {src:?}: {e:?}"));
    parse(tokens).unwrap_or_else(|e| panic!("parse error in {src:?}: {e:?}"))
}

/// The first parse error's message.
fn parse_error(src: &str) -> String {
    parse(tokenize(src).expect("lexes"))
        .expect_err("expected a parse error")
        .remove(0)
        .message
}

/// Every parse error: line, column and message.
fn parse_errors(src: &str) -> Vec<(u32, u32, String)> {
    parse(tokenize(src).expect("lexes"))
        .expect_err("expected parse errors")
        .into_iter()
        .map(|e| (e.pos.line, e.pos.col, e.message))
        .collect()
}

#[test]
fn independent_syntax_errors_are_all_reported() {
    let src = "x = 1 +\nprn 1\nf(a) =\n    b = a *\n    b\ny = * 2\nprn 2\n";
    assert_eq!(
        parse_errors(src),
        vec![
            (
                1,
                8,
                "expected an expression, found end of line".to_string()
            ),
            (
                4,
                12,
                "expected an expression, found end of line".to_string()
            ),
            (6, 5, "expected an expression, found '*'".to_string()),
        ]
    );
}

#[test]
fn recovery_skips_the_whole_block_of_a_failed_statement() {
    // The error is in the header; the block below it belongs to the failed
    // statement and must not be reported as unexpected indentation.
    let src = "whl x < :\n    prn x\n    x = x + 1\nprn 3 +\n";
    assert_eq!(
        parse_errors(src),
        vec![
            (1, 9, "expected an expression, found ':'".to_string()),
            (
                4,
                8,
                "expected an expression, found end of line".to_string()
            ),
        ]
    );
}

fn only_expr(src: &str) -> Expr {
    let p = program(src);
    match p.body.as_slice() {
        [Stmt {
            kind: StmtKind::Expr(e),
            ..
        }] => e.clone(),
        other => panic!("not one expression statement: {other:?}"),
    }
}

/// Every example of spec §5, verbatim.
const SPEC_EXAMPLES: &[&str] = &[
    "x = 5\n",
    "def limit = 100\n",
    "xs[0] = 9\n",
    "cfg.port = 9000\n",
    "cfg[\"port\"] = 9001\n",
    "add(a, b) = a + b\n",
    "total(xs) =\n    s = 0\n    x <- xs: s = s + x\n    s\n",
    "sign(n) =\n    if n < 0: ret -1\n    1\n",
    "f = \\(x) x * 2\ng = \\() 42\nh = \\(a, b) a + b\n",
    "if x > 0: prn \"pos\" | prn \"not pos\"\n",
    "kind = if n == 0: \"zero\" | if n < 0: \"neg\" | \"pos\"\n",
    "if r.err:\n    prn \"failed\"\n| if r.val == 0:\n    prn \"zero\"\n| prn r.val\n",
    "whl n < 10: n = n + 1\n",
    "x <- [1, 2, 3]: prn x\n",
    "i <- 0..4: prn i\n",
    "i <- 3..0: prn i\n",
    "c <- \"héllo\": prn c\n",
    "k <- {a: 1, b: 2}: prn k\n",
    "i <- 0..n - 1: prn i\n",
    "name = mat n:\n    0: \"zero\"\n    1 => \"one\"\n    _: \"many\"\n",
    "prn x\n",
    "prn $\"hi {n}\"\n",
    "prn 1 == 1\n",
    "prn [1, 2]\n",
    "prn (1 + 2) * 3\n",
    "prn !ok\n",
    "prn(-1)\n",
    "use trl\ntrl.map(xs, f)\n",
    "use \"util.ilu\"\n",
    "x |> f\nx |> f(a, b)\nx |> .name\n",
    "a?.b\na?[i]\n",
];

#[test]
fn every_spec_example_parses() {
    for src in SPEC_EXAMPLES {
        program(src);
    }
}

#[test]
fn precedence_follows_the_table() {
    // a or b and c == d + e * -f  =>  a or (b and (c == (d + (e * (-f)))))
    let e = only_expr("a or b and c == d + e * -f\n");
    let ExprKind::Logical {
        op: LogicalOp::Or,
        rhs,
        ..
    } = e.kind
    else {
        panic!()
    };
    let ExprKind::Logical {
        op: LogicalOp::And,
        rhs,
        ..
    } = rhs.kind
    else {
        panic!()
    };
    let ExprKind::Binary {
        op: BinaryOp::Eq,
        rhs,
        ..
    } = rhs.kind
    else {
        panic!()
    };
    let ExprKind::Binary {
        op: BinaryOp::Add,
        rhs,
        ..
    } = rhs.kind
    else {
        panic!()
    };
    let ExprKind::Binary {
        op: BinaryOp::Mul,
        rhs,
        ..
    } = rhs.kind
    else {
        panic!()
    };
    assert!(matches!(
        rhs.kind,
        ExprKind::Unary {
            op: UnaryOp::Neg,
            ..
        }
    ));
}

#[test]
fn binary_operators_are_left_associative() {
    let e = only_expr("a - b - c\n");
    let ExprKind::Binary {
        op: BinaryOp::Sub,
        lhs,
        ..
    } = e.kind
    else {
        panic!()
    };
    assert!(matches!(
        lhs.kind,
        ExprKind::Binary {
            op: BinaryOp::Sub,
            ..
        }
    ));
}

#[test]
fn not_binds_tighter_than_comparison() {
    let e = only_expr("not a == b\n");
    assert!(matches!(
        e.kind,
        ExprKind::Binary {
            op: BinaryOp::Eq,
            ..
        }
    ));
}

#[test]
fn comparisons_do_not_chain() {
    assert_eq!(
        parse_error("a < b < c\n"),
        "comparison operators cannot be chained"
    );
    assert_eq!(
        parse_error("a == b != c\n"),
        "comparison operators cannot be chained"
    );
    assert_eq!(
        parse_error("a < b + 1 < c\n"),
        "comparison operators cannot be chained"
    );
    program("(a < b) == c\n");
    program("a < b and b < c\n");
}

#[test]
fn statement_call_shorthand() {
    let call_arg = |src: &str| match only_expr(src).kind {
        ExprKind::Call { callee, args } => {
            assert_eq!(callee.kind, ExprKind::Name("prn".into()));
            assert_eq!(args.len(), 1);
            args[0].clone()
        }
        other => panic!("{src}: not a call: {other:?}"),
    };
    assert!(matches!(
        call_arg("prn 1 == 1\n").kind,
        ExprKind::Binary {
            op: BinaryOp::Eq,
            ..
        }
    ));
    assert!(matches!(
        call_arg("prn (1 + 2) * 3\n").kind,
        ExprKind::Binary {
            op: BinaryOp::Mul,
            ..
        }
    ));
    assert!(matches!(
        call_arg("prn !ok\n").kind,
        ExprKind::Unary {
            op: UnaryOp::Not,
            ..
        }
    ));
    assert!(matches!(
        call_arg("prn not ok\n").kind,
        ExprKind::Unary {
            op: UnaryOp::Not,
            ..
        }
    ));
    assert!(matches!(call_arg("prn [1, 2]\n").kind, ExprKind::List(_)));
    assert!(matches!(call_arg("prn x\n").kind, ExprKind::Name(_)));
    // `-` is a binary operator: a subtraction, not a call.
    assert!(matches!(
        only_expr("prn -1\n").kind,
        ExprKind::Binary {
            op: BinaryOp::Sub,
            ..
        }
    ));
    // Without whitespace: an ordinary call or index.
    assert!(matches!(
        only_expr("f(x) + 1\n").kind,
        ExprKind::Binary { .. }
    ));
    assert!(matches!(only_expr("xs[0]\n").kind, ExprKind::Index { .. }));
    // Binary operators after a name are not the shorthand.
    assert!(matches!(
        only_expr("a and b\n").kind,
        ExprKind::Logical { .. }
    ));
    assert!(matches!(only_expr("a * b\n").kind, ExprKind::Binary { .. }));
}

#[test]
fn shorthand_in_one_line_bodies_stops_at_the_bar() {
    let e = only_expr("if x > 0: prn \"pos\" | prn \"not pos\"\n");
    let ExprKind::If {
        then,
        otherwise: Some(otherwise),
        ..
    } = e.kind
    else {
        panic!()
    };
    for block in [then, otherwise] {
        assert!(matches!(
            &block[0].kind,
            StmtKind::Expr(Expr { kind: ExprKind::Call { args, .. }, .. }) if args.len() == 1
        ));
    }
}

#[test]
fn else_chains_nest_to_the_right() {
    let p = program("kind = if n == 0: \"zero\" | if n < 0: \"neg\" | \"pos\"\n");
    let StmtKind::Assign { value, .. } = &p.body[0].kind else {
        panic!()
    };
    let ExprKind::If {
        otherwise: Some(otherwise),
        ..
    } = &value.kind
    else {
        panic!()
    };
    let StmtKind::Expr(inner) = &otherwise[0].kind else {
        panic!()
    };
    let ExprKind::If {
        otherwise: Some(last),
        ..
    } = &inner.kind
    else {
        panic!()
    };
    assert_eq!(
        last[0].kind,
        StmtKind::Expr(Expr {
            pos: last[0].pos,
            kind: ExprKind::Str("pos".into())
        })
    );
}

#[test]
fn else_bar_binds_to_the_if_at_its_column() {
    let src = "if a:\n    if b:\n        x\n| y\n";
    let e = only_expr(src);
    let ExprKind::If {
        then, otherwise, ..
    } = e.kind
    else {
        panic!()
    };
    assert!(otherwise.is_some(), "outer if has the else");
    let StmtKind::Expr(inner) = &then[0].kind else {
        panic!()
    };
    assert!(matches!(
        inner.kind,
        ExprKind::If {
            otherwise: None,
            ..
        }
    ));

    let src = "if a:\n    if b:\n        x\n    | y\n";
    let e = only_expr(src);
    let ExprKind::If {
        then, otherwise, ..
    } = e.kind
    else {
        panic!()
    };
    assert!(otherwise.is_none());
    let StmtKind::Expr(inner) = &then[0].kind else {
        panic!()
    };
    assert!(matches!(
        inner.kind,
        ExprKind::If {
            otherwise: Some(_),
            ..
        }
    ));
}

#[test]
fn else_bar_may_start_the_next_line_after_a_one_line_body() {
    let e = only_expr("if a: x\n| y\n");
    assert!(matches!(
        e.kind,
        ExprKind::If {
            otherwise: Some(_),
            ..
        }
    ));
}

#[test]
fn function_definitions() {
    let p = program("add(a, b) = a + b\nf() =\n    x = 1\n    x\n");
    let StmtKind::FuncDef(add) = &p.body[0].kind else {
        panic!()
    };
    assert_eq!(add.name.name, "add");
    assert_eq!(
        add.params
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(add.body.len(), 1);
    let StmtKind::FuncDef(f) = &p.body[1].kind else {
        panic!()
    };
    assert_eq!(f.body.len(), 2);
    assert_ne!(add.id, f.id);
    assert_eq!(parse_error("f(a, a) = a\n"), "duplicate parameter 'a'");
    assert_eq!(
        parse_error("f(1) = 2\n"),
        "function parameters must be names"
    );
    assert_eq!(parse_error("f (a) = a\n"), "cannot assign to a call");
    assert_eq!(parse_error("1 = 2\n"), "invalid assignment target");
    assert_eq!(parse_error("x |> f = 2\n"), "invalid assignment target");
}

#[test]
fn pipelines_desugar_to_calls() {
    let e = only_expr("x |> f(a, b)\n");
    let ExprKind::Call { callee, args } = e.kind else {
        panic!()
    };
    assert_eq!(callee.kind, ExprKind::Name("f".into()));
    let names: Vec<_> = args.iter().map(|a| a.kind.clone()).collect();
    assert_eq!(
        names,
        [
            ExprKind::Name("x".into()),
            ExprKind::Name("a".into()),
            ExprKind::Name("b".into())
        ]
    );
    assert!(matches!(
        only_expr("x |> .name\n").kind,
        ExprKind::Field { .. }
    ));
}

#[test]
fn layout_errors() {
    assert_eq!(parse_error("x = 1\n    y = 2\n"), "unexpected indentation");
    assert_eq!(
        parse_error("if x:\ny\n"),
        "expected an indented block, found name 'y'"
    );
    assert_eq!(
        parse_error("x = 1 2\n"),
        "expected end of line, found a number"
    );
    assert_eq!(parse_error("if x = 1: y\n"), "expected ':', found '='");
    assert_eq!(
        parse_error("x = 1 +\n"),
        "expected an expression, found end of line"
    );
    assert_eq!(parse_error("| y\n"), "expected an expression, found '|'");
}
