//! Lexer edge cases: numbers, strings and escapes, indentation, layout.

use ilusm_frontend::lexer::{tokenize, InterpPiece, Tok};

fn toks(src: &str) -> Vec<Tok> {
    tokenize(src)
        .unwrap_or_else(|e| panic!("lex error {e:?}"))
        .into_iter()
        .map(|t| t.tok)
        .collect()
}

fn lex_error(src: &str) -> String {
    tokenize(src).expect_err("expected a lex error").message
}

fn number(src: &str) -> f64 {
    match toks(src).as_slice() {
        [Tok::Num(n), Tok::Newline, Tok::Eof] => *n,
        other => panic!("not one number: {other:?}"),
    }
}

fn string(src: &str) -> String {
    match toks(src).as_slice() {
        [Tok::Str(s), Tok::Newline, Tok::Eof] => s.clone(),
        other => panic!("not one string: {other:?}"),
    }
}

#[test]
#[allow(clippy::approx_constant)] // 3.14 is the spec's example literal
fn number_forms() {
    assert_eq!(number("42"), 42.0);
    assert_eq!(number("3.14"), 3.14);
    assert_eq!(number("1e9"), 1e9);
    assert_eq!(number("2.5e-3"), 2.5e-3);
    assert_eq!(number("2.5E+3"), 2500.0);
    assert_eq!(number("0xFF"), 255.0);
    assert_eq!(number("0xff_ff"), 65535.0);
    assert_eq!(number("1_000_000"), 1_000_000.0);
    assert_eq!(number("1_0.2_5e1_0"), 10.25e10);
    assert_eq!(number("007"), 7.0);
    assert_eq!(number("0.1"), 0.1);
}

#[test]
fn minus_is_not_part_of_a_number() {
    assert_eq!(
        toks("-1"),
        vec![Tok::Minus, Tok::Num(1.0), Tok::Newline, Tok::Eof]
    );
}

#[test]
fn ranges_and_fields_after_numbers() {
    assert_eq!(
        toks("0..4"),
        vec![
            Tok::Num(0.0),
            Tok::DotDot,
            Tok::Num(4.0),
            Tok::Newline,
            Tok::Eof
        ]
    );
    assert_eq!(
        toks("1.x"),
        vec![
            Tok::Num(1.0),
            Tok::Dot,
            Tok::Name("x".into()),
            Tok::Newline,
            Tok::Eof
        ]
    );
}

#[test]
fn bad_numbers() {
    for src in [
        "1_", "1__0", "1e", "1e+", "0x", "0xG", "12abc", "1.5_", "3e_5", "0x_1",
    ] {
        assert_eq!(lex_error(src), "invalid number literal", "{src}");
    }
    assert_eq!(lex_error("1e400"), "number literal is too large");
}

#[test]
fn string_escapes() {
    assert_eq!(
        string(r#""a\nb\tc\rd\0e\\f\"g\'h""#),
        "a\nb\tc\rd\0e\\f\"g'h"
    );
    assert_eq!(string(r#"'it\'s "fine"'"#), "it's \"fine\"");
    assert_eq!(string(r#""\u{1F600}\u{41}\u{e9}""#), "\u{1F600}Aé");
    assert_eq!(string("\"héllo\""), "héllo");
}

#[test]
fn bad_escapes() {
    assert_eq!(lex_error(r#""a\qb""#), "unknown escape '\\q'");
    assert_eq!(lex_error(r#""\{""#), "unknown escape '\\{'");
    for src in [
        r#""\u{}""#,
        r#""\u{110000}""#,
        r#""\u{D800}""#,
        r#""\u41""#,
        r#""\u{1234567}""#,
    ] {
        assert_eq!(lex_error(src), "invalid unicode escape", "{src}");
    }
    assert_eq!(lex_error("\"abc"), "unterminated string");
    assert_eq!(lex_error("\"abc\ndef\""), "unterminated string");
}

#[test]
fn interpolation_pieces() {
    let t = toks(r#"$"a {x + 1} {{b}} {f("}")}""#);
    let Tok::Interp(pieces) = &t[0] else {
        panic!("{t:?}")
    };
    assert_eq!(pieces.len(), 4, "{pieces:?}");
    assert_eq!(pieces[0], InterpPiece::Lit("a ".into()));
    let InterpPiece::Code { tokens, .. } = &pieces[1] else {
        panic!()
    };
    let kinds: Vec<Tok> = tokens.iter().map(|t| t.tok.clone()).collect();
    assert_eq!(
        kinds,
        vec![Tok::Name("x".into()), Tok::Plus, Tok::Num(1.0), Tok::Eof]
    );
    assert_eq!(pieces[2], InterpPiece::Lit(" {b} ".into()));
    let InterpPiece::Code { tokens, .. } = &pieces[3] else {
        panic!()
    };
    assert_eq!(tokens[2].tok, Tok::Str("}".into()));
}

#[test]
fn interpolation_errors() {
    assert_eq!(
        lex_error(r#"$"a } b""#),
        "single '}' in interpolated string"
    );
    assert_eq!(lex_error(r#"$"a {} b""#), "empty interpolation '{}'");
    assert_eq!(
        lex_error("$\"a {x\n"),
        "unterminated '{' in interpolated string"
    );
    assert_eq!(lex_error("$\"a {x\"\n"), "unterminated string");
    assert_eq!(lex_error(r#"$"\q""#), "unknown escape '\\q'");
}

#[test]
fn indentation_tokens() {
    let t = toks("if a:\n    b\n    if c:\n        d\ne\n");
    use Tok::*;
    let n = |s: &str| Name(s.into());
    assert_eq!(
        t,
        vec![
            If,
            n("a"),
            Colon,
            Newline,
            Indent,
            n("b"),
            Newline,
            If,
            n("c"),
            Colon,
            Newline,
            Indent,
            n("d"),
            Newline,
            Dedent,
            Dedent,
            n("e"),
            Newline,
            Eof
        ]
    );
}

#[test]
fn blank_and_comment_lines_do_not_affect_layout() {
    let t = toks("a:\n\n   # note\n  b # trailing\n\n# end\n");
    use Tok::*;
    assert_eq!(
        t,
        vec![
            Name("a".into()),
            Colon,
            Newline,
            Indent,
            Name("b".into()),
            Newline,
            Dedent,
            Eof
        ]
    );
}

#[test]
fn dedent_must_match_an_open_block() {
    assert_eq!(lex_error("a:\n    b\n  c\n"), "inconsistent indentation");
}

#[test]
fn tabs_and_spaces_do_not_mix() {
    assert_eq!(lex_error("a:\n \tb\n"), "indentation mixes tabs and spaces");
    assert_eq!(
        lex_error("a:\n  b\nc:\n\td\n"),
        "indentation mixes tabs and spaces"
    );
    // Tabs alone are fine, and so is a tab that is not indentation.
    assert!(tokenize("a:\n\tb\n\t\tc\nd =\t1\n").is_ok());
}

#[test]
fn brackets_continue_lines() {
    let t = toks("f(1,\n      2,\n 3)\nx\n");
    assert_eq!(t.iter().filter(|t| **t == Tok::Newline).count(), 2, "{t:?}");
    assert!(!t.contains(&Tok::Indent));
    assert_eq!(lex_error("f(1,\n"), "'(' is never closed");
    assert_eq!(
        lex_error("f(1]"),
        "expected ')' to close '(' at 1:2, found ']'"
    );
    assert_eq!(lex_error("x)"), "unmatched ')'");
}

#[test]
fn crlf_is_accepted() {
    assert_eq!(toks("a:\r\n  b\r\n"), toks("a:\n  b\n"));
    assert_eq!(lex_error("a\rb"), "stray carriage return");
}

#[test]
fn whitespace_before_tokens_is_recorded() {
    let t = tokenize("prn x\nf(x)\n").unwrap();
    assert!(t[1].space_before, "x after prn");
    assert!(!t[4].space_before, "( after f");
}

#[test]
fn positions_count_code_points() {
    let t = tokenize("\"é\" + x").unwrap();
    assert_eq!((t[1].pos.line, t[1].pos.col), (1, 5));
    assert_eq!((t[2].pos.line, t[2].pos.col), (1, 7));
}

#[test]
fn operators() {
    use Tok::*;
    assert_eq!(
        toks("a <- b |> c | d => e ?. f ?[ g ] == != <= >= < > ! \\"),
        vec![
            Name("a".into()),
            LArrow,
            Name("b".into()),
            Pipe,
            Name("c".into()),
            Bar,
            Name("d".into()),
            FatArrow,
            Name("e".into()),
            QDot,
            Name("f".into()),
            QBracket,
            Name("g".into()),
            RBracket,
            EqEq,
            NotEq,
            Le,
            Ge,
            Lt,
            Gt,
            Bang,
            Backslash,
            Newline,
            Eof
        ]
    );
    assert_eq!(lex_error("a @ b"), "unexpected character '@'");
}
