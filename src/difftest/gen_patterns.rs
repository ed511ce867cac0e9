//! Fixed program shapes for the generator: recursion templates for helpers, closures capturing
//! loop-updated locals, counters over list cells, allocation-heavy loops, the final checksum and
//! the uncaught errors that end some programs.

use super::gen::{FnSig, Gen};
use super::gen_expr::{op_defined, Ty, VALUE_TYPES};

impl Gen {
    /// A top-level helper: a recursion template or a random function.
    pub(super) fn helper(&mut self, n: usize) {
        let name = format!("h{}_{n}", self.id);
        let (sig, text): (FnSig, String) = match self.rng.below(8) {
            0 => (
                FnSig {
                    name: name.clone(),
                    params: vec![Ty::Num],
                    ret: Ty::Num,
                    heavy: true,
                    max_arg: Some(300),
                },
                format!("{name}(n) = if n <= 0: 0 | n + {name}(n - 1)"),
            ),
            1 => (
                FnSig {
                    name: name.clone(),
                    params: vec![Ty::Num],
                    ret: Ty::Num,
                    heavy: true,
                    max_arg: Some(14),
                },
                format!("{name}(n) =\n    if n < 2: ret n\n    {name}(n - 1) + {name}(n - 2)"),
            ),
            2 => (
                FnSig {
                    name: name.clone(),
                    params: vec![Ty::NumList, Ty::Num],
                    ret: Ty::Num,
                    heavy: true,
                    max_arg: Some(2),
                },
                format!("{name}(xs, i) = if i >= len(xs): 0 | xs[i] * 2 + {name}(xs, i + 1)"),
            ),
            3 => {
                let odd = format!("{name}_odd");
                (
                    FnSig { name: name.clone(), params: vec![Ty::Num], ret: Ty::Bool, heavy: true, max_arg: Some(200) },
                    format!("{name}(n) = if n == 0: tru | {odd}(n - 1)\n{odd}(n) = if n == 0: fls | {name}(n - 1)"),
                )
            }
            _ => {
                self.function(&name, Some(3));
                return;
            }
        };
        for l in text.lines() {
            self.emit(l.to_string());
        }
        self.fns.push(sig);
    }

    /// Closures made in a loop capture the loop-updated locals by reference.
    pub(super) fn closure_loop(&mut self) {
        let fs = self.fresh("v");
        let acc = self.fresh("v");
        let i = self.fresh("v");
        let k = self.rng.int(0, 5);
        let init = self.expr(Ty::Num, 1);
        self.emit(format!("{fs} = []"));
        self.emit(format!("{acc} = {init}"));
        let bind = self.rng.chance(40).then(|| self.fresh("f"));
        if let Some(mk) = &bind {
            let p = self.fresh("p");
            self.emit(format!("{mk}({p}) = \\() {p} * 2 + {acc}"));
        }
        self.emit(format!("{i} <- 0..{k}:"));
        self.indent += 1;
        let m = self.rng.int(1, 9);
        self.emit(format!("{acc} = {acc} + {i} * {m}"));
        match &bind {
            Some(mk) => self.emit(format!("psh({fs}, {mk}({i}))")),
            None => {
                let p = self.fresh("p");
                self.emit(format!("psh({fs}, \\({p}) {acc} * 100 + {i} + {p})"));
            }
        }
        self.indent -= 1;
        let g = self.fresh("v");
        let call = if bind.is_some() {
            format!("{g}()")
        } else {
            format!("{g}(1)")
        };
        self.emit(format!("{g} <- {fs}: prn {call}"));
        self.add_var(&acc, Ty::Num, true);
    }

    /// A counter: a closure over a list cell, made by a factory function.
    pub(super) fn counter(&mut self) {
        let mk = self.fresh("f");
        let st = self.fresh("v");
        let inc = self.fresh("f");
        let op = *self.rng.pick(&["+", "*", "-"]);
        self.emit(format!("{mk}(start) ="));
        self.emit(format!("    {st} = [start]"));
        self.emit(format!("    {inc}(d) ="));
        self.emit(format!("        {st}[0] = {st}[0] {op} d"));
        self.emit(format!("        {st}[0]"));
        self.emit(format!("    {inc}"));
        let (a, b) = (self.fresh("v"), self.fresh("v"));
        let (x, y) = (self.rng.int(0, 5), self.rng.int(0, 5));
        self.emit(format!("{a} = {mk}({x})"));
        self.emit(format!("{b} = {mk}({y})"));
        self.emit(format!("prn({a}(1), {a}(2), {b}(3), {a}(1), {a})"));
        for v in [a, b] {
            self.add_var(&v, Ty::Fun, false);
            self.fns.push(FnSig {
                name: v,
                params: vec![Ty::Num],
                ret: Ty::Num,
                heavy: false,
                max_arg: None,
            });
        }
    }

    pub(super) fn alloc_heavy(&mut self) {
        self.cur_heavy = true;
        let xs = self.fresh("v");
        let i = self.fresh("v");
        match self.rng.below(5) {
            4 => self.records(),
            0 => {
                let n = self.rng.int(100, 3000);
                self.emit(format!("{xs} = []"));
                self.emit(format!("{i} <- 0..{n}:"));
                self.emit(format!(
                    "    psh({xs}, {{i: {i}, s: $\"x{{{i}}}\", l: [{i}, {i} * 2]}})"
                ));
                self.emit(format!(
                    "prn(len({xs}), {xs}[{}].s, {xs}[len({xs}) - 1].l)",
                    n / 2
                ));
            }
            1 => {
                let n = self.rng.int(100, 2000);
                self.emit(format!("{xs} = \"\""));
                self.emit(format!("{i} <- 0..{n}: {xs} = {xs} + str({i} % 10)"));
                self.emit(format!("prn(len({xs}), {xs}?[{}])", n / 3));
            }
            2 => {
                let n = self.rng.int(50, 300);
                self.emit(format!("{xs} = []"));
                self.emit(format!("{i} <- 0..{n}: {xs} = {xs} + [{i} * {i}]"));
                self.emit(format!(
                    "prn(len({xs}), {xs}[{}], {xs} == {xs} + [])",
                    n / 2
                ));
            }
            _ => {
                let n = self.rng.int(100, 1500);
                let s = self.fresh("v");
                self.emit(format!("{xs} = []"));
                self.emit(format!("{s} = 0"));
                self.emit(format!("{i} <- 0..{n}:"));
                self.emit(format!("    psh({xs}, [{i}, [{i} + 1]])"));
                self.emit(format!("    {s} = {s} + {xs}[{i}][1][0] % 7"));
                self.emit(format!("prn({s}, len({xs}))"));
            }
        }
    }

    /// Records made by one object literal whose keys no other literal has, so that native code
    /// checks their shape instead of looking keys up (`aot/src/shapes.rs`, `stretch.rs`), mixed
    /// with records that lost a key, gained one, or were built key by key in another order; then
    /// loops that read and write their fields through one and two locals.
    pub(super) fn records(&mut self) {
        self.cur_heavy = true;
        let (mk, xs, i, r, q, s, d) = (
            self.fresh("f"),
            self.fresh("v"),
            self.fresh("v"),
            self.fresh("v"),
            self.fresh("v"),
            self.fresh("v"),
            self.fresh("v"),
        );
        let (ka, kb, kc) = (self.fresh("rk"), self.fresh("rk"), self.fresh("rk"));
        let n = self.rng.int(4, 40);
        self.emit(format!("{mk}(a, b, c) = {{{ka}: a, {kb}: b, {kc}: c}}"));
        self.emit(format!("{xs} = []"));
        self.emit(format!(
            "{i} <- 0..{n}: psh({xs}, {mk}({i}, {i} * 2, {i} % 3))"
        ));
        // Some records change: one loses a key (maybe two, compacting its entries), one gains
        // keys, and one built key by key in another order joins them.
        for _ in 0..self.rng.int(1, 4) {
            let at = self.rng.int(0, n);
            match self.rng.below(4) {
                0 => self.emit(format!("del({xs}[{at}], \"{ka}\")")),
                1 => {
                    self.emit(format!("del({xs}[{at}], \"{ka}\")"));
                    self.emit(format!("del({xs}[{at}], \"{kb}\")"));
                    self.emit(format!("{xs}[{at}].{kb} = -1"));
                }
                2 => self.emit(format!("{xs}[{at}].zz = 9")),
                _ => {
                    let o = self.fresh("v");
                    self.emit(format!("{o} = {{}}"));
                    self.emit(format!("{o}.{kc} = 1"));
                    self.emit(format!("{o}.{kb} = 2"));
                    self.emit(format!("{o}.{ka} = 3"));
                    self.emit(format!("{xs}[{at}] = {o}"));
                }
            }
        }
        // The loops run in a function, where their names are locals (the fork is per local).
        let (walk, p, j) = (self.fresh("f"), self.fresh("p"), self.fresh("v"));
        let leaf = self.fresh("f");
        self.emit(format!("{leaf}(x) = if x > 1: x * 2 | x + 1"));
        let read_a = format!("(if {r}.{ka} == nil: 0 | {r}.{ka})");
        self.emit(format!("{walk}({p}) ="));
        self.emit(format!("    {s} = 0"));
        self.emit(format!("    {r} <- {p}:"));
        self.emit(format!("        {r}.{kb} = {r}.{kb} + 1"));
        self.emit(format!(
            "        {s} = {s} + {r}.{kb} * 2 + {r}.{kc} + {read_a}"
        ));
        // Pairs, as nbody's inner loop: two locals, each checked once per copy of the stretch.
        self.emit(format!("    {j} <- 0..len({p}) - 2:"));
        self.emit(format!("        {r} = {p}[{j}]"));
        self.emit(format!("        {q} = {p}[{j} + 1]"));
        self.emit(format!("        {d} = {r}.{kc} - {q}.{kc}"));
        self.emit(format!("        {r}.{kc} = {r}.{kc} + {d} * 0.5"));
        self.emit(format!("        {q}.{kc} = {q}.{kc} - {d} * 0.25"));
        if self.rng.chance(30) {
            // A key removed (by a builtin) and added again between two reads of it.
            self.emit(format!("        if {j} == {}:", n / 2));
            self.emit(format!("            del({q}, \"{kc}\")"));
            self.emit(format!("            {q}.{kc} = 5"));
        }
        self.emit(format!("        {s} = {s} + {q}.{kb}"));
        // One record read and written on every iteration of a loop over the list, through a
        // local the loop does not assign (a loop twin, aot/src/twins.rs), around a call of a
        // small function that native code inlines, with a branch of its own.
        let (h, k) = (self.fresh("v"), self.fresh("v"));
        let read_c = format!("(if {p}[{k}].{kc} == nil: 0 | {p}[{k}].{kc})");
        let at = self.rng.int(0, n);
        self.emit(format!("    {h} = {p}[{at}]"));
        self.emit(format!("    {k} <- 0..len({p}) - 1:"));
        self.emit(format!("        {h}.{kb} = {h}.{kb} + {leaf}({read_c})"));
        self.emit(format!("    {s}"));
        self.emit(format!(
            "prn({walk}({xs}), {walk}({xs}), {xs}[0], {xs}[len({xs}) - 1], len({xs}))"
        ));
    }

    /// Prints the values of the names in scope.
    pub(super) fn checksum(&mut self) {
        let names: Vec<String> = self
            .vars
            .iter()
            .rev()
            .take(8)
            .map(|v| v.name.clone())
            .collect();
        if !names.is_empty() {
            self.emit(format!("prn({})", names.join(", ")));
        }
    }

    /// A statement (or a few) ending the program with an uncaught runtime error.
    pub(super) fn tail_error(&mut self) {
        match self.rng.below(9) {
            0 => {
                let (a, b) = loop {
                    let a = *self.rng.pick(&VALUE_TYPES);
                    let b = *self.rng.pick(&VALUE_TYPES);
                    if !op_defined("-", a, b) {
                        break (a, b);
                    }
                };
                let (x, y) = (self.expr(a, 1), self.expr(b, 1));
                self.emit(format!("prn({x} - {y})"));
            }
            1 => {
                let e = self.any_expr(2);
                self.emit(format!("err({e})"));
            }
            2 => {
                let c = *self.rng.pick(&["fls", "nil", "0", "\"\"", "[]"]);
                self.emit(format!("asr({c}, \"tail assertion\")"));
            }
            3 => {
                let (fa, fb, p, q) = (
                    self.fresh("f"),
                    self.fresh("f"),
                    self.fresh("p"),
                    self.fresh("p"),
                );
                self.emit(format!("{fa}({p}) = {p}.k1.b"));
                self.emit(format!("{fb}({q}) ="));
                self.emit(format!("    prn \"in {fb}\""));
                self.emit(format!("    {fa}({q}) + 1"));
                let k = self.num_lit();
                self.emit(format!("prn {fb}({{k1: {k}}})"));
            }
            4 => {
                let (l, p) = (self.fresh("v"), self.fresh("p"));
                let k = self.rng.int(2, 9);
                self.emit(format!("{l} = \\({p}) {p}[{k}]"));
                self.emit(format!("prn {l}([1, 2])"));
            }
            5 => {
                let (f, p) = (self.fresh("f"), self.fresh("p"));
                self.emit(format!("{f}({p}) = {f}({p} + 1) + 1"));
                self.emit(format!("prn {f}(0)"));
            }
            6 => {
                let e = *self.rng.pick(&[
                    "pop([])",
                    "num(\"zz\")",
                    "ord(\"ab\")",
                    "chr(-1)",
                    "[1][3]",
                    "nil.x",
                    "5()",
                    "len(3)",
                ]);
                self.emit(format!("prn {e}"));
            }
            7 => {
                let (f, i) = (self.fresh("f"), self.fresh("v"));
                let k = self.rng.int(1, 5);
                self.emit(format!("{f}() ="));
                self.emit(format!("    {i} <- 0..{}:", k + 2));
                self.emit(format!("        prn(10 / ({k} - {i}))"));
                self.emit(format!("{f}()"));
            }
            _ => match self.fns.iter().find(|f| f.max_arg.is_none()).cloned() {
                Some(f) => {
                    let args: Vec<String> = (0..=f.params.len()).map(|_| self.num_lit()).collect();
                    self.emit(format!("prn {}({})", f.name, args.join(", ")));
                }
                None => self.emit("prn (\\(a) a)()".to_string()),
            },
        }
    }
}
