//! Typed expression generation for the difftest program generator.
//!
//! The generator tracks a static type for every name it introduces ([`Ty`]), so an expression
//! asked for with a type always evaluates to a value of that type *without raising*. Operations
//! that may raise (invalid operand pairs, division by a non-literal, indexing out of range) are
//! produced only by [`Gen::risky_expr`], whose callers wrap them in `try(\() ...)`.
//!
//! Every compound expression is parenthesized, so the text never depends on precedence
//! subtleties and any generated expression can be used as an operand.

use super::gen::{FnSig, Gen};

/// A deterministic pseudo-random source: splitmix64. It is a dozen lines, has a full 2^64 period,
/// passes BigCrush, and — unlike an external crate — can never change its stream under us, so a
/// seed names the same programs forever (the findings saved today stay reproducible).
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub(super) fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }

    pub(super) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// An integer in `lo..=hi`.
    pub(super) fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }
}

/// The static type the generator knows a value to have.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Ty {
    Num,
    Str,
    Bool,
    Nil,
    /// A list that only ever holds numbers.
    NumList,
    /// A list of anything (never a container the program can still reach through a variable).
    List,
    Obj,
    Fun,
    Bif,
    /// Unknown: usable only where every type is fine (`prn`, `==`, `str`, `typ`, `try`).
    Any,
}

/// The types of the operator matrix, one per `typ` name.
pub(super) const VALUE_TYPES: [Ty; 8] = [
    Ty::Num,
    Ty::Str,
    Ty::List,
    Ty::Obj,
    Ty::Bool,
    Ty::Nil,
    Ty::Fun,
    Ty::Bif,
];

const NUM_LITS: [&str; 30] = [
    "num(\"NaN\")",
    "(1e300 * 1e300)",
    "(-(1e300 * 1e300))",
    "(0 * (-1))",
    "(-7)",
    "0.30000000000000004",
    "0",
    "1",
    "2",
    "3",
    "5",
    "7",
    "10",
    "42",
    "100",
    "255",
    "0.5",
    "2.5",
    "0.1",
    "0.2",
    "3.14",
    "1e21",
    "1e-7",
    "1_000",
    "0xFF",
    "9007199254740993",
    "1e300",
    "(-1)",
    "(-0)",
    "(-2.5)",
];
const STR_LITS: [&str; 16] = [
    "\"\"",
    "\"a\"",
    "\"abc\"",
    "\"héllo\"",
    "\"日本\"",
    "\"\\u{1F600}\"",
    "\"tab\\there\"",
    "\"q\\\"uote\"",
    "'single'",
    "\"new\\nline\"",
    "\"0\"",
    "\"zz\"",
    "\"x y\"",
    "\"12\"",
    "\" 0x1F \"",
    "\"back\\\\slash\"",
];
/// Object keys usable as `o.KEY`; `"x y"` is reached only with `o["x y"]`.
pub(super) const KEYS: [&str; 5] = ["a", "b", "c", "k1", "val"];

/// Whether `a OP b` is defined (does not raise) for operands of these types, per spec §4.
/// `/` and `%` also need a nonzero divisor, which the caller checks.
pub(super) fn op_defined(op: &str, a: Ty, b: Ty) -> bool {
    match op {
        "+" => {
            (a == Ty::Num && b == Ty::Num)
                || a == Ty::Str
                || b == Ty::Str
                || (a == Ty::List && b == Ty::List)
        }
        "-" | "*" | "/" | "%" => a == Ty::Num && b == Ty::Num,
        "<" | "<=" | ">" | ">=" => (a == Ty::Num && b == Ty::Num) || (a == Ty::Str && b == Ty::Str),
        _ => true,
    }
}

impl Gen {
    /// A number literal (possibly parenthesized negative).
    pub(super) fn num_lit(&mut self) -> String {
        if self.rng.chance(60) {
            self.rng.int(0, 12).to_string()
        } else {
            self.rng.pick(&NUM_LITS).to_string()
        }
    }

    pub(super) fn str_lit(&mut self) -> String {
        self.rng.pick(&STR_LITS).to_string()
    }

    /// A small nonzero number literal, safe as a divisor.
    fn divisor(&mut self) -> String {
        self.rng
            .pick(&[
                "1", "2", "3", "4", "7", "10", "0.5", "(-3)", "(-0.25)", "1e-3",
            ])
            .to_string()
    }

    /// Names of visible variables of type `ty` (filtered by `no_containers` when set).
    fn vars_of(&self, ty: Ty) -> Vec<String> {
        self.vars
            .iter()
            .filter(|v| v.ty == ty)
            .filter(|v| {
                !self.no_containers || !matches!(v.ty, Ty::List | Ty::NumList | Ty::Obj | Ty::Any)
            })
            .map(|v| v.name.clone())
            .collect()
    }

    fn var_of(&mut self, ty: Ty) -> Option<String> {
        let vs = self.vars_of(ty);
        if vs.is_empty() {
            None
        } else {
            Some(self.rng.pick(&vs).clone())
        }
    }

    /// Callable signatures returning `ret` that may be called here (no heavy calls inside loops).
    fn fns_returning(&self, ret: Ty) -> Vec<FnSig> {
        self.fns
            .iter()
            .filter(|f| {
                f.ret == ret && (!f.heavy || (self.loop_depth == 0 && self.call_budget > 0))
            })
            .cloned()
            .collect()
    }

    /// A call of a known function returning `ret`, if there is one.
    fn call_of(&mut self, ret: Ty, d: u32) -> Option<String> {
        let fs = self.fns_returning(ret);
        if fs.is_empty() {
            return None;
        }
        let f = self.rng.pick(&fs).clone();
        if f.heavy {
            self.call_budget -= 1;
            self.cur_heavy = true;
        }
        let args = self.args_for(&f, d);
        if f.params.len() == 1 && f.max_arg.is_none() && self.rng.chance(20) {
            // The pipeline form: `x |> f`.
            return Some(format!("({} |> {})", args[0], f.name));
        }
        Some(format!("{}({})", f.name, args.join(", ")))
    }

    pub(super) fn args_for(&mut self, f: &FnSig, d: u32) -> Vec<String> {
        let saved = self.no_containers;
        // Arguments flow into a function that may mutate its list parameters.
        self.no_containers = true;
        let args = f
            .params
            .iter()
            .map(|&t| match (t, f.max_arg) {
                (Ty::Num, Some(m)) => self.rng.int(0, m).to_string(),
                _ => self.expr(t, d.saturating_sub(1)),
            })
            .collect();
        self.no_containers = saved;
        args
    }

    /// An expression of type `ty` that does not raise.
    pub(super) fn expr(&mut self, ty: Ty, d: u32) -> String {
        match ty {
            Ty::Num => self.num_expr(d),
            Ty::Str => self.str_expr(d),
            Ty::Bool => self.bool_expr(d),
            Ty::Nil => self
                .rng
                .pick(&["nil", "(if fls: 1)", "[nil][0]", "({}).a"])
                .to_string(),
            Ty::NumList => self.numlist_expr(d),
            Ty::List => self.list_expr(d),
            Ty::Obj => self.obj_expr(d),
            Ty::Fun => self.fun_expr(d),
            Ty::Bif => self
                .rng
                .pick(&["len", "str", "typ", "prn", "abs", "kys"])
                .to_string(),
            Ty::Any => self.any_expr(d),
        }
    }

    fn num_expr(&mut self, d: u32) -> String {
        if d == 0 || self.rng.chance(25) {
            if self.rng.chance(55) {
                if let Some(v) = self.var_of(Ty::Num) {
                    return v;
                }
            }
            return self.num_lit();
        }
        let d1 = d - 1;
        match self.rng.below(17) {
            0..=3 => {
                let op = *self.rng.pick(&["+", "-", "*", "+", "-"]);
                format!("({} {op} {})", self.num_expr(d1), self.num_expr(d1))
            }
            4 => {
                let op = *self.rng.pick(&["/", "%"]);
                format!("({} {op} {})", self.num_expr(d1), self.divisor())
            }
            5 => format!("(-{})", self.num_expr(d1)),
            6 => {
                let t = *self.rng.pick(&[Ty::Str, Ty::NumList, Ty::List, Ty::Obj]);
                format!("len({})", self.expr(t, d1))
            }
            7 => {
                let f = *self.rng.pick(&["abs", "flr", "int"]);
                format!("{f}({})", self.num_expr(d1))
            }
            8 => {
                let f = *self.rng.pick(&["min", "max"]);
                format!("{f}({}, {})", self.num_expr(d1), self.num_expr(d1))
            }
            9 => format!("sqrt(abs({}))", self.num_expr(d1)),
            10 => match self.rng.below(3) {
                0 => format!("num(str({}))", self.num_expr(d1)),
                1 => format!(
                    "int({})",
                    self.rng
                        .pick(&["\"-3.9\"", "\" 0x1F \"", "\"1e3\"", "\"7\""])
                ),
                _ => format!(
                    "ord({})",
                    self.rng
                        .pick(&["\"a\"", "\"é\"", "\"日\"", "\"\\u{1F600}\"", "\"\\n\""])
                ),
            },
            11 => format!(
                "(if {}: {} | {})",
                self.bool_expr(d1),
                self.num_expr(d1),
                self.num_expr(d1)
            ),
            12 => format!("({}?[{}] or 0)", self.numlist_expr(d1), self.num_expr(d1)),
            13 => {
                let op = *self.rng.pick(&["and", "or"]);
                format!("({} {op} {})", self.num_expr(d1), self.num_expr(d1))
            }
            14 => format!("len(kys({}))", self.obj_expr(d1)),
            _ => self.call_of(Ty::Num, d1).unwrap_or_else(|| self.num_lit()),
        }
    }

    fn str_expr(&mut self, d: u32) -> String {
        if d == 0 || self.rng.chance(25) {
            if self.rng.chance(50) {
                if let Some(v) = self.var_of(Ty::Str) {
                    return v;
                }
            }
            return self.str_lit();
        }
        let d1 = d - 1;
        match self.rng.below(12) {
            0..=1 => format!("({} + {})", self.str_expr(d1), self.str_expr(d1)),
            2 => {
                let t = *self.rng.pick(&VALUE_TYPES);
                if self.rng.chance(50) {
                    format!("({} + {})", self.str_expr(d1), self.expr(t, d1))
                } else {
                    format!("({} + {})", self.expr(t, d1), self.str_expr(d1))
                }
            }
            3 => format!("str({})", self.any_expr(d1)),
            4 | 5 => self.interp_expr(d1),
            6 => format!("typ({})", self.any_expr(d1)),
            7 => format!("({}?[{}] or \"\")", self.str_expr(d1), self.num_expr(d1)),
            8 => format!(
                "chr({})",
                self.rng
                    .pick(&["65", "97 + 3", "0x4E2D", "0x1F600", "233", "10", "32"])
            ),
            9 => format!(
                "(if {}: {} | {})",
                self.bool_expr(d1),
                self.str_expr(d1),
                self.str_expr(d1)
            ),
            _ => self.call_of(Ty::Str, d1).unwrap_or_else(|| self.str_lit()),
        }
    }

    /// An interpolated string with one to three holes.
    pub(super) fn interp_expr(&mut self, d: u32) -> String {
        let mut s = String::from("$\"");
        let holes = self.rng.int(1, 3);
        for _ in 0..holes {
            let pre = *self.rng.pick(&["", "v=", " ", "{{", "é ", "}}:"]);
            s.push_str(pre);
            let t = *self.rng.pick(&VALUE_TYPES);
            let e = if self.rng.chance(30) {
                self.any_expr(d)
            } else {
                self.expr(t, d)
            };
            // Spaces keep an object literal's braces from pairing with the hole's: `{ {a: 1} }`.
            let pad = if e.starts_with('{') || e.ends_with('}') {
                " "
            } else {
                ""
            };
            s.push('{');
            s.push_str(pad);
            s.push_str(&e);
            s.push_str(pad);
            s.push('}');
        }
        let post = *self.rng.pick(&["", "!", " end", "\\t."]);
        s.push_str(post);
        s.push('"');
        s
    }

    fn bool_expr(&mut self, d: u32) -> String {
        if d == 0 || self.rng.chance(20) {
            if self.rng.chance(40) {
                if let Some(v) = self.var_of(Ty::Bool) {
                    return v;
                }
            }
            return self.rng.pick(&["tru", "fls"]).to_string();
        }
        let d1 = d - 1;
        match self.rng.below(10) {
            0..=2 => {
                let op = *self.rng.pick(&["<", "<=", ">", ">=", "==", "!="]);
                let t = if self.rng.chance(70) {
                    Ty::Num
                } else {
                    Ty::Str
                };
                format!("({} {op} {})", self.expr(t, d1), self.expr(t, d1))
            }
            3 => {
                let op = *self.rng.pick(&["==", "!="]);
                format!("({} {op} {})", self.any_expr(d1), self.any_expr(d1))
            }
            4 => {
                let not = *self.rng.pick(&["not ", "!"]);
                if self.rng.chance(40) {
                    // Truthiness of numbers: 0, -0 and NaN are falsy.
                    format!("({not}({not}{}))", self.num_expr(d1))
                } else {
                    format!("({not}{})", self.any_expr(d1))
                }
            }
            5 => match self.rng.below(3) {
                0 => format!("has({}, {})", self.list_expr(d1), self.any_expr(d1)),
                1 => format!("has({}, \"{}\")", self.obj_expr(d1), self.rng.pick(&KEYS)),
                _ => format!("has({}, {})", self.str_expr(d1), self.str_expr(d1)),
            },
            6 | 7 => {
                let op = *self.rng.pick(&["and", "or"]);
                format!("({} {op} {})", self.bool_expr(d1), self.bool_expr(d1))
            }
            _ => self
                .call_of(Ty::Bool, d1)
                .unwrap_or_else(|| format!("({} == {})", self.num_expr(d1), self.num_expr(d1))),
        }
    }

    fn numlist_expr(&mut self, d: u32) -> String {
        if d > 0 && self.rng.chance(15) {
            return format!(
                "({} + {})",
                self.numlist_expr(d - 1),
                self.numlist_expr(d - 1)
            );
        }
        if d > 0 && self.rng.chance(10) {
            if let Some(c) = self.call_of(Ty::NumList, d - 1) {
                return c;
            }
        }
        if self.rng.chance(50) {
            if let Some(v) = self.var_of(Ty::NumList) {
                return v;
            }
        }
        let n = self.rng.int(0, 4);
        let items: Vec<String> = (0..n).map(|_| self.num_expr(d.saturating_sub(1))).collect();
        format!("[{}]", items.join(", "))
    }

    fn list_expr(&mut self, d: u32) -> String {
        if d > 0 && self.rng.chance(10) {
            return format!("({} + {})", self.list_expr(d - 1), self.list_expr(d - 1));
        }
        if d > 0 && self.rng.chance(8) {
            return format!("kys({})", self.obj_expr(d - 1));
        }
        if self.rng.chance(45) {
            if let Some(v) = self.var_of(Ty::List) {
                return v;
            }
        }
        let n = self.rng.int(0, 4);
        let items: Vec<String> = (0..n)
            .map(|_| {
                let t = *self.rng.pick(&VALUE_TYPES);
                self.expr(t, d.saturating_sub(1))
            })
            .collect();
        format!("[{}]", items.join(", "))
    }

    fn obj_expr(&mut self, d: u32) -> String {
        if self.rng.chance(45) {
            if let Some(v) = self.var_of(Ty::Obj) {
                return v;
            }
        }
        let n = self.rng.int(0, 4);
        let items: Vec<String> = (0..n)
            .map(|_| {
                let key = if self.rng.chance(10) {
                    "\"x y\"".to_string()
                } else {
                    self.rng.pick(&KEYS).to_string()
                };
                let t = *self.rng.pick(&VALUE_TYPES);
                format!("{key}: {}", self.expr(t, d.saturating_sub(1)))
            })
            .collect();
        format!("{{{}}}", items.join(", "))
    }

    /// A function value: a lambda, or the name of a known function.
    fn fun_expr(&mut self, d: u32) -> String {
        if self.rng.chance(30) {
            if let Some(v) = self.var_of(Ty::Fun) {
                return v;
            }
        }
        if self.rng.chance(25) && !self.fns.is_empty() {
            let f = self.rng.pick(&self.fns).name.clone();
            return f;
        }
        let (text, _) = self.lambda(Ty::Num, d);
        format!("({text})")
    }

    /// A lambda returning `ret`, with its signature's parameter types.
    pub(super) fn lambda(&mut self, ret: Ty, d: u32) -> (String, Vec<Ty>) {
        let n = self.rng.below(3);
        let params: Vec<Ty> = (0..n)
            .map(|_| *self.rng.pick(&[Ty::Num, Ty::Num, Ty::Str]))
            .collect();
        let names: Vec<String> = params.iter().map(|_| self.fresh("p")).collect();
        let mark = self.enter_function();
        for (name, &ty) in names.iter().zip(&params) {
            self.add_var(name, ty, true);
        }
        let body = self.expr(ret, d.min(2));
        self.leave_function(mark);
        (format!("\\({}) {body}", names.join(", ")), params)
    }

    /// An expression of any type (sometimes one only known at run time).
    pub(super) fn any_expr(&mut self, d: u32) -> String {
        if self.rng.chance(20) {
            if let Some(v) = self.var_of(Ty::Any) {
                return v;
            }
        }
        if d > 0 && !self.no_containers && self.rng.chance(8) {
            let ret = *self.rng.pick(&[Ty::Obj, Ty::Any, Ty::NumList, Ty::List]);
            if let Some(c) = self.call_of(ret, d - 1) {
                return c;
            }
        }
        if d > 0 && self.rng.chance(30) {
            let d1 = d - 1;
            return match self.rng.below(5) {
                0 => format!("{}.{}", self.obj_expr(d1), self.rng.pick(&KEYS)),
                1 => format!("{}?.{}", self.obj_expr(d1), self.rng.pick(&KEYS)),
                2 => format!("{}[\"x y\"]", self.obj_expr(d1)),
                3 => format!("{}?[{}]", self.list_expr(d1), self.num_expr(d1)),
                _ => format!("({} or {})", self.any_expr(d1), self.any_expr(d1)),
            };
        }
        let t = *self.rng.pick(&VALUE_TYPES);
        self.expr(t, d)
    }

    /// An expression that may raise a runtime error (the caller wraps it in `try`).
    pub(super) fn risky_expr(&mut self, d: u32) -> String {
        let d1 = d.saturating_sub(1);
        match self.rng.below(14) {
            0..=3 => {
                let op = *self.rng.pick(&["+", "-", "*", "/", "%", "<", ">=", "+"]);
                let a = *self.rng.pick(&VALUE_TYPES);
                let b = *self.rng.pick(&VALUE_TYPES);
                format!("({} {op} {})", self.expr(a, d1), self.expr(b, d1))
            }
            4 => format!(
                "({} / {})",
                self.num_expr(d1),
                self.rng.pick(&["0", "(-0)", "(1 - 1)"])
            ),
            5 => format!("{}[{}]", self.list_expr(d1), self.num_expr(d1)),
            6 => format!("{}[{}]", self.str_expr(d1), self.num_expr(d1)),
            7 => format!(
                "{}.{}.{}",
                self.obj_expr(d1),
                self.rng.pick(&KEYS),
                self.rng.pick(&KEYS)
            ),
            8 => format!("(-{})", self.any_expr(d1)),
            9 => {
                let f = *self.rng.pick(&[
                    "num", "int", "chr", "ord", "flr", "sqrt", "abs", "len", "kys", "pop",
                ]);
                format!("{f}({})", self.any_expr(d1))
            }
            10 => format!("err({})", self.any_expr(d1)),
            11 => format!("asr({}, {})", self.any_expr(d1), self.str_expr(d1)),
            12 => {
                // A call with the wrong number of arguments, or of a non-function.
                if let Some(f) = self.fns.iter().find(|f| f.max_arg.is_none()).cloned() {
                    let n = (f.params.len() + 1 + self.rng.below(2)) % 4;
                    let args: Vec<String> = (0..n).map(|_| self.num_expr(d1)).collect();
                    format!("{}({})", f.name, args.join(", "))
                } else {
                    format!("{}()", self.any_expr(d1))
                }
            }
            _ => format!(
                "(({}) == {}) + {}",
                self.any_expr(d1),
                self.any_expr(d1),
                self.any_expr(d1)
            ),
        }
    }
}
