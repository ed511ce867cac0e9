//! Printing (spec §3): what `prn` writes and `str` returns.
//!
//! [`display`] is the top-level form (strings raw); [`repr`] is the form
//! inside containers (strings quoted with escapes). Lists print as
//! `[1, "two", tru, nil]`, objects as `{name: "ibot", "a b": 1}` (keys that
//! are not identifiers are quoted), with `[...]` / `{...}` at a cycle.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::builtins;
use crate::context;
use crate::heap::{self, Kind, ListObj, ObjObj};
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
///
/// Lists and objects are walked with an explicit stack (any nesting depth
/// costs heap memory, not Rust stack). A list or object met again while it
/// is itself being printed (on the current path, so a cycle) prints as
/// `[...]` / `{...}`; one that merely appears twice prints twice.
pub fn repr(v: Value, out: &mut String) {
    let mut p = Printer {
        stack: Vec::new(),
        deep: HashSet::new(),
    };
    p.value(v, out);
    while let Some(top) = p.stack.last_mut() {
        match top.what {
            Open::List(l) => match l.get(top.next) {
                Some(x) => {
                    if top.next > 0 {
                        out.push_str(", ");
                    }
                    top.next += 1;
                    p.value(x, out);
                }
                None => {
                    out.push(']');
                    p.close();
                }
            },
            Open::Object(o) => match o.next_entry(top.next) {
                Some((at, k, x)) => {
                    if top.next > 0 {
                        out.push_str(", ");
                    }
                    top.next = at + 1;
                    key(heap::str_of(k).unwrap_or(""), out);
                    out.push_str(": ");
                    p.value(x, out);
                }
                None => {
                    out.push('}');
                    p.close();
                }
            },
        }
    }
}

/// Append an object key as it prints inside `{}`: bare if it is an
/// identifier (`[A-Za-z_][A-Za-z0-9_]*`), else quoted with escapes.
pub fn key(k: &str, out: &mut String) {
    let mut chars = k.chars();
    let ident = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident {
        out.push_str(k);
    } else {
        quote(k, out);
    }
}

#[derive(Clone, Copy)]
enum Open<'a> {
    List(&'a ListObj),
    Object(&'a ObjObj),
}

/// A container being printed: its contents and where to continue (element
/// index, or object entry position).
struct Frame<'a> {
    what: Open<'a>,
    addr: usize,
    next: usize,
}

/// Containers on the path: the first [`SHALLOW`] are found by scanning the
/// stack, deeper ones through `deep`.
struct Printer<'a> {
    stack: Vec<Frame<'a>>,
    deep: HashSet<usize>,
}

const SHALLOW: usize = 16;

impl Printer<'_> {
    fn on_path(&self, addr: usize) -> bool {
        self.stack.iter().take(SHALLOW).any(|f| f.addr == addr)
            || (self.stack.len() > SHALLOW && self.deep.contains(&addr))
    }

    /// Print a scalar, or open a container (or print its cycle marker).
    fn value(&mut self, v: Value, out: &mut String) {
        let what = match heap::kind(v) {
            Some(Kind::List) => heap::list(v).map(Open::List),
            Some(Kind::Object) => heap::object(v).map(Open::Object),
            _ => None,
        };
        let Some(what) = what else {
            return scalar(v, out);
        };
        let addr = v.heap_addr();
        let list = matches!(what, Open::List(_));
        if self.on_path(addr) {
            out.push_str(if list { "[...]" } else { "{...}" });
            return;
        }
        out.push(if list { '[' } else { '{' });
        if self.stack.len() >= SHALLOW {
            self.deep.insert(addr);
        }
        self.stack.push(Frame {
            what,
            addr,
            next: 0,
        });
    }

    fn close(&mut self) {
        if let Some(f) = self.stack.pop() {
            if self.stack.len() >= SHALLOW {
                self.deep.remove(&f.addr);
            }
        }
    }
}

/// Append a value that is not a list or object, in its nested form.
fn scalar(v: Value, out: &mut String) {
    if let Some(n) = v.as_f64() {
        return fmt_num(n, out);
    }
    match v {
        Value::NIL => out.push_str("nil"),
        Value::TRUE => out.push_str("tru"),
        Value::FALSE => out.push_str("fls"),
        _ => {
            let func = v.as_func().or_else(|| heap::closure(v).map(|c| c.func()));
            if let Some(f) = func {
                match context::function_name(f) {
                    Some(name) if !name.starts_with('<') => {
                        let _ = write!(out, "<fun {name}>");
                    }
                    _ => out.push_str("<fun>"),
                }
            } else if let Some(b) = v.as_builtin() {
                let name = builtins::NAMES.get(b as usize).copied().unwrap_or("?");
                let _ = write!(out, "<bif {name}>");
            } else if let Some(s) = heap::str_of(v) {
                quote(s, out);
            } else if let Some(b) = heap::buffer(v) {
                let _ = write!(out, "<buf {}>", b.len());
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

    fn lst(items: &[Value]) -> Value {
        heap::alloc_list(items.to_vec())
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        let o = heap::alloc_object(0);
        for &(k, v) in pairs {
            heap::object(o).unwrap().set(heap::alloc_str(k), v);
        }
        o
    }

    fn s(x: &str) -> Value {
        heap::alloc_str(x)
    }

    #[test]
    fn containers_print_per_spec() {
        let n = Value::from_f64;
        let xs = lst(&[n(1.0), s("two"), Value::TRUE, Value::NIL]);
        assert_eq!(to_string(xs), r#"[1, "two", tru, nil]"#);
        let o = obj(&[("name", s("ibot")), ("port", n(8080.0))]);
        assert_eq!(to_string(o), r#"{name: "ibot", port: 8080}"#);
        assert_eq!(to_string(obj(&[])), "{}");
        assert_eq!(to_string(lst(&[])), "[]");
        assert_eq!(
            to_string(lst(&[lst(&[]), obj(&[("a", lst(&[n(2.5)]))]), n(-0.0)])),
            "[[], {a: [2.5]}, -0]"
        );
        assert_eq!(
            to_string(lst(&[Value::builtin(1), Value::func(9), Value::FALSE])),
            "[<bif len>, <fun>, fls]"
        );
        // Strings inside containers are quoted with escapes, at any depth.
        let tricky = s("a\"b\\c\nd\u{7}é");
        assert_eq!(to_string(tricky), "a\"b\\c\nd\u{7}é");
        assert_eq!(to_string(lst(&[tricky])), r#"["a\"b\\c\nd\u{7}é"]"#);
        assert_eq!(to_string(obj(&[("k", lst(&[s("")]))])), r#"{k: [""]}"#);
    }

    #[test]
    fn object_keys_that_are_not_identifiers_are_quoted() {
        let one = Value::from_f64(1.0);
        let o = obj(&[
            ("a b", one),
            ("_x9", one),
            ("9x", one),
            ("", one),
            ("é", one),
            ("if", one),
            ("q\"", one),
        ]);
        assert_eq!(
            to_string(o),
            r#"{"a b": 1, _x9: 1, "9x": 1, "": 1, "é": 1, if: 1, "q\"": 1}"#
        );
    }

    #[test]
    fn cycles_print_as_ellipses_on_the_current_path_only() {
        let one = Value::from_f64(1.0);
        let a = lst(&[one]);
        heap::list(a).unwrap().push(a);
        assert_eq!(to_string(a), "[1, [...]]");
        let o = obj(&[("v", one)]);
        heap::object(o).unwrap().set(s("me"), o);
        heap::object(o).unwrap().set(s("xs"), lst(&[o, a]));
        assert_eq!(to_string(o), "{v: 1, me: {...}, xs: [{...}, [1, [...]]]}");
        // Shared but not cyclic: printed in full each time.
        let shared = lst(&[one]);
        assert_eq!(to_string(lst(&[shared, shared])), "[[1], [1]]");
        let so = obj(&[("x", shared), ("y", shared)]);
        assert_eq!(to_string(so), "{x: [1], y: [1]}");
    }

    #[test]
    fn cycles_and_sharing_below_the_shallow_part_of_the_path() {
        // head -> l1 -> ... -> l39 -> head, and l39 also holds `shared`
        // twice at depth 40 (found through the hash set, then removed).
        let shared = lst(&[Value::TRUE]);
        let head = lst(&[]);
        let mut cur = head;
        for _ in 0..39 {
            let next = lst(&[]);
            heap::list(cur).unwrap().push(next);
            cur = next;
        }
        heap::list(cur).unwrap().push(shared);
        heap::list(cur).unwrap().push(shared);
        heap::list(cur).unwrap().push(head);
        let text = to_string(head);
        let expect = format!("{}[tru], [tru], [...]{}", "[".repeat(40), "]".repeat(40));
        assert_eq!(text, expect);
        // Printing again gives the same (no state survives a print).
        assert_eq!(to_string(head), expect);
    }

    #[test]
    fn deep_nesting_prints_without_rust_recursion() {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let depth = 100_000;
                let mut v = lst(&[Value::from_f64(7.0)]);
                let mut o = obj(&[]);
                for _ in 0..depth {
                    v = lst(&[v]);
                    o = obj(&[("k", o)]);
                }
                let text = to_string(v);
                let n = depth + 1;
                assert_eq!(text, format!("{}7{}", "[".repeat(n), "]".repeat(n)));
                let t = to_string(o);
                assert_eq!(
                    t,
                    format!("{}{{}}{}", "{k: ".repeat(depth), "}".repeat(depth))
                );
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn closures_print_their_function_name() {
        use crate::program::{ImageFunction, ProgramImage};
        let f = |name: &str| ImageFunction {
            name: name.into(),
            arity: 0,
            file: 0,
            lines: vec![],
        };
        let img = ProgramImage {
            files: vec!["m.ilu".into()],
            functions: vec![f("<main>"), f("inner"), f("<lambda>")],
            ..Default::default()
        };
        std::thread::spawn(move || {
            context::install_program(std::rc::Rc::new(img));
            let c1 = heap::alloc_closure(1, vec![heap::alloc_cell(Value::NIL)]);
            let c2 = heap::alloc_closure(2, vec![]);
            assert_eq!(to_string(c1), "<fun inner>");
            assert_eq!(to_string(c2), "<fun>");
            assert_eq!(to_string(lst(&[c1, c2])), "[<fun inner>, <fun>]");
            assert_eq!(type_name(c1), "fun");
        })
        .join()
        .unwrap();
    }
}
