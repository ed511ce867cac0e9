//! Printing (spec §3): what `prn` writes and `str` returns.
//!
//! [`display`] is the top-level form (strings raw); [`repr`] is the form
//! inside containers (strings quoted with escapes). Lists and objects (with
//! `[...]` / `{...}` at a cycle) will join here when they exist.

use std::fmt::Write as _;

use crate::builtins;
use crate::context;
use crate::heap::{self, Kind};
use crate::program::LAMBDA_NAME;
use crate::value::Value;

/// The `typ` name of a value (spec §2).
pub fn type_name(v: Value) -> &'static str {
    if v.is_number() {
        return "num";
    }
    match v {
        Value::NIL => "nil",
        Value::TRUE | Value::FALSE => "bol",
        _ if v.as_func().is_some() => "fun",
        _ if v.as_builtin().is_some() => "bif",
        _ => match heap::kind(v) {
            Some(Kind::Str) => "str",
            Some(Kind::List) => "lst",
            Some(Kind::Object) => "obj",
            Some(Kind::Closure) => "fun",
            Some(Kind::Buffer) => "buf",
            // Cells, the unassigned marker and ERROR are never program values.
            Some(Kind::Cell) | None => "internal",
        },
    }
}

/// Append a number as Rust's `Display` for `f64` writes it: `15`, `2.5`,
/// `-0`, `NaN`, `inf`, `-inf`, `1e21` as `1000000000000000000000`.
pub fn fmt_num(n: f64, out: &mut String) {
    // Integers print the same through i64, which is cheaper; -0 must keep its sign.
    if n.fract() == 0.0 && n.abs() < 1e15 && !(n == 0.0 && n.is_sign_negative()) {
        let _ = write!(out, "{}", n as i64);
    } else {
        let _ = write!(out, "{n}");
    }
}

/// A number as a `String`.
pub fn num_to_string(n: f64) -> String {
    let mut s = String::new();
    fmt_num(n, &mut s);
    s
}

/// Append the top-level form of `v` (what `prn` prints and `str` returns).
pub fn display(v: Value, out: &mut String) {
    if let Some(s) = heap::str_of(v) {
        out.push_str(s);
    } else {
        repr(v, out);
    }
}

/// Append the nested form of `v`: like [`display`] but strings are quoted.
pub fn repr(v: Value, out: &mut String) {
    if let Some(n) = v.as_f64() {
        return fmt_num(n, out);
    }
    match v {
        Value::NIL => out.push_str("nil"),
        Value::TRUE => out.push_str("tru"),
        Value::FALSE => out.push_str("fls"),
        _ => {
            if let Some(f) = v.as_func() {
                match context::function_name(f) {
                    Some(name) if name != LAMBDA_NAME => {
                        let _ = write!(out, "<fun {name}>");
                    }
                    _ => out.push_str("<fun>"),
                }
            } else if let Some(b) = v.as_builtin() {
                let name = builtins::NAMES.get(b as usize).copied().unwrap_or("?");
                let _ = write!(out, "<bif {name}>");
            } else if let Some(s) = heap::str_of(v) {
                quote(s, out);
            } else {
                let _ = write!(out, "<{}>", type_name(v));
            }
        }
    }
}

/// Append `s` in double quotes with the escapes of the source language.
pub fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `str(v)`.
pub fn to_string(v: Value) -> String {
    let mut s = String::new();
    display(v, &mut s);
    s
}

/// `prn(args...)`: the arguments separated by one space, then a newline,
/// to the runtime's stdout.
pub fn prn(args: &[Value]) {
    let mut line = String::new();
    for (i, &v) in args.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        display(v, &mut line);
    }
    line.push('\n');
    crate::io::write_out(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(n: f64) -> String {
        num_to_string(n)
    }

    #[test]
    fn numbers_print_like_rust_display() {
        assert_eq!(num(15.0), "15");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(num(-0.0), "-0");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(f64::NAN), "NaN");
        assert_eq!(num(f64::INFINITY), "inf");
        assert_eq!(num(f64::NEG_INFINITY), "-inf");
        assert_eq!(num(1e21), "1000000000000000000000");
        assert_eq!(num(1e15), "1000000000000000");
        assert_eq!(num(-123456789.0), "-123456789");
        assert_eq!(num(1e-7), "0.0000001");
        assert_eq!(num(10.0 / 4.0), "2.5");
        assert_eq!(num(9007199254740993.0), "9007199254740992");
        for n in [
            3.0,
            -7.0,
            1e14,
            999999999999999.0,
            -1e16,
            0.5,
            1e300,
            5e-324,
        ] {
            assert_eq!(num(n), format!("{n}"));
        }
    }

    #[test]
    fn values_print_per_spec() {
        assert_eq!(to_string(Value::TRUE), "tru");
        assert_eq!(to_string(Value::FALSE), "fls");
        assert_eq!(to_string(Value::NIL), "nil");
        assert_eq!(to_string(heap::alloc_str("a\"b")), "a\"b");
        assert_eq!(to_string(Value::builtin(0)), "<bif prn>");
        assert_eq!(to_string(Value::builtin(17)), "<bif sqrt>");
        // No program installed on this thread: the name is unknown.
        assert_eq!(to_string(Value::func(3)), "<fun>");
    }

    #[test]
    fn function_names_come_from_the_program() {
        use crate::program::{ImageFunction, ProgramImage};
        let f = |name: &str| ImageFunction {
            name: name.into(),
            arity: 0,
            file: 0,
            lines: vec![],
        };
        let img = ProgramImage {
            files: vec!["m.ilu".into()],
            functions: vec![f("<main>"), f("add"), f("<lambda>")],
            ..Default::default()
        };
        std::thread::spawn(move || {
            context::install_program(std::rc::Rc::new(img));
            assert_eq!(to_string(Value::func(1)), "<fun add>");
            assert_eq!(to_string(Value::func(2)), "<fun>");
        })
        .join()
        .unwrap();
    }

    #[test]
    fn nested_strings_are_quoted_with_escapes() {
        let mut s = String::new();
        repr(heap::alloc_str("a\"b\\c\nd\te\r\0\u{1b}é"), &mut s);
        assert_eq!(s, r#""a\"b\\c\nd\te\r\0\u{1B}é""#);
        let mut s = String::new();
        repr(Value::from_f64(1.5), &mut s);
        assert_eq!(s, "1.5");
    }

    #[test]
    fn type_names() {
        assert_eq!(type_name(Value::from_f64(f64::NAN)), "num");
        assert_eq!(type_name(heap::alloc_str("")), "str");
        assert_eq!(type_name(Value::TRUE), "bol");
        assert_eq!(type_name(Value::NIL), "nil");
        assert_eq!(type_name(Value::func(0)), "fun");
        assert_eq!(type_name(Value::builtin(0)), "bif");
    }
}
