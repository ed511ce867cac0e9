#!/usr/bin/env python3
"""Writes the programs of tests/errors/ (`python3 tests/errors/make.py`): every NAME.ilu and
data/bad_mod.ilu. It exists because several programs cannot be typed by hand (10,000 nested
brackets, NUL bytes, invalid UTF-8, lone CRs, BOMs, tabs). It writes only the .ilu files; the
expected NAME.out/.err/.code were produced by running the interpreter and then checked by hand
against the spec, docs/language.md and runtime-rs/ERRORS.md (see README.md here)."""
import os
D = os.path.dirname(os.path.abspath(__file__))
os.makedirs(D, exist_ok=True)
P = {}
def t(name, src):
    P[name] = src if isinstance(src, bytes) else src.encode()

# ---------- runtime errors ----------
t("err_trace_three_frames", """\
inner(x) = x / 0
middle(x) =
    prn("middle", x)
    inner(x + 1)
outer() =
    y = middle(1)
    prn("unreachable", y)
prn "start"
outer()
""")
t("err_closure_trace", """\
make_sub(n) =
    \\(x) x - n
sub2 = make_sub(2)
prn sub2(10)
sub_s = make_sub("s")
prn sub_s(10)
""")
t("err_named_closure_trace", """\
counter(start) =
    box = [start]
    step(by) =
        box[0] = box[0] + by
        box[0]
    step
c = counter(1)
prn c(1)
prn c(2)
prn c(nil)
""")
t("err_lambda_nested", """\
apply(f, x) = f(x)
twice = \\(x) apply(\\(y) y * "a", x)
prn "go"
prn twice(3)
""")
t("err_lambda_in_list_loop", """\
fs = [\\(x) x + 1, \\(x) x * 2, \\(x) -x]
v = 1
f <- fs:
    v = f(v)
    prn v
v = "s"
f <- fs: v = f(v)
""")
t("err_builtin_num_in_callee", """\
parse(s) = num(s)
total(xs) =
    t = 0
    x <- xs: t = t + parse(x)
    t
prn total(["1", " 2 ", "0x10"])
prn total(["1", "two\\t\\"3\\""])
""")
t("err_builtin_int_in_lambda", """\
conv = \\(s) int(s)
prn conv("-3.9")
prn conv("12abc")
""")
t("err_builtin_pop_empty", """\
drain(xs) =
    whl tru:
        prn pop(xs)
drain([1, 2])
""")
t("err_builtin_chr", """\
codes = [72, 105, -1]
out = ""
c <- codes:
    out = out + chr(c)
    prn out
""")
t("err_builtin_ord", """\
first(s) = ord(s)
prn first("A")
prn first("ab")
""")
t("err_builtin_len_num", """\
size(x) = len(x)
prn(size("héllo"), size([1]), size({a: 1}))
prn size(42)
""")
t("err_builtin_psh", """\
add_all(dst, xs) =
    x <- xs: psh(dst, x)
    dst
prn add_all([], [1, 2])
prn add_all({}, [1])
""")
t("err_builtin_kys", """\
names(o) = kys(o)
prn names({b: 1, a: 2})
prn names([1, 2])
""")
t("err_builtin_has_str_key", """\
prn has("haystack", "st")
prn has([1, 2], 3)
prn has("haystack", 1)
""")
t("err_builtin_has_num", """\
prn has({a: 1}, "a")
prn has(5, 1)
""")
t("err_builtin_del_key", """\
o = {a: 1, b: 2}
del(o, "a")
prn o
del(o, 1)
""")
t("err_builtin_min_types", """\
pick(a, b) = min(a, b)
prn pick(3, 2)
prn pick(3, "2")
""")
t("err_builtin_sqrt_str", """\
prn sqrt(16)
f = \\() sqrt("16")
prn f()
""")
t("err_builtin_arity", """\
prn len("abc")
prn str(1, 2)
""")
t("err_asr_in_callee", """\
check(n) =
    asr(n > 0, $"n must be positive, got {n}")
    n
prn check(1)
prn check(-2)
""")
t("err_raise_object", """\
fail(code) = err({code: code, msg: "bad thing"})
prn "before"
fail(7)
""")
t("err_raise_list", """\
f() = err(["a", 1, nil])
f()
""")
t("err_raise_nil", """\
err(nil)
""")
t("err_in_mat_arm", """\
describe(n) = mat n:
    0: "zero"
    1 => 1 / 0
    _: "many"
prn describe(0)
prn describe(5)
prn describe(1)
""")
t("err_in_mat_pattern", """\
classify(x) = mat x:
    "a": 1
    x.name: 2
    _: 3
prn classify("a")
prn classify("b")
""")
t("err_in_whl_loop", """\
i = 3
whl tru:
    prn 10 / i
    i = i - 1
    if i < 0: brk
""")
t("err_in_list_loop_fn", """\
sum(xs) =
    s = 0
    x <- xs:
        s = s + x
    s
prn sum([1, 2, 3])
prn sum([1, [2], 3])
""")
t("err_in_range_loop", """\
f(n) =
    i <- n..0:
        prn 12 % i
f(3)
""")
t("err_nested_loops", """\
grid = [[1, 2], [3], [4, 5]]
r <- 0..2:
    c <- 0..1:
        prn(r, c, grid[r][c])
""")
t("err_pipeline", """\
inc(x) = x + 1
half(x) = x / 2
bad(x) = x.name
prn 3 |> inc |> half
prn 3 |> inc |> bad
""")
t("err_pipeline_args", """\
scale(x, k) = x * k
prn 2 |> scale(5)
prn "2" |> scale(5)
""")
t("err_pipeline_not_fn", """\
f = 5
prn 1 |> f
""")
t("err_try_rethrow", """\
r = try(\\() 1 / 0)
prn r
prn r.err
err(r.err)
""")
t("err_try_rethrow_in_fn", """\
risky(x) = [1, 2][x]
safe(x) =
    r = try(\\() risky(x))
    if r.err:
        prn("caught:", r.err)
        err("wrapped: " + r.err)
    r.val
prn safe(1)
prn safe(5)
""")
t("err_try_nested", """\
inner = try(\\() try(\\() err("deep")).err)
prn inner
outer = try(\\() err(inner.val + "!"))
prn outer.err
err(outer.err)
""")
t("err_try_non_fn", """\
r = try(\\() 1)
prn r
try(5)
""")
t("err_try_arity_caught_then_uncaught", """\
f(a) = a
r = try(f)
prn r.err
f()
""")
t("err_stack_overflow_mutual", """\
ping(n) = pong(n + 1)
pong(n) = ping(n + 1)
prn "go"
ping(0)
""")
t("err_stack_overflow_in_try", """\
down(n) = down(n + 1)
r = try(\\() down(0))
prn r.err
prn "again"
down(0)
""")
t("err_stack_overflow_lambda", """\
rec = nil
rec = \\(n) rec(n + 1) + 1
prn rec(0)
""")
t("err_stack_overflow_local_fn", """\
outer() =
    deep(n) =
        if n < 0: ret 0
        1 + deep(n + 1)
    deep(0)
prn outer()
""")
t("err_trace_23_mixed", """\
a(n) =
    if n == 0: ret b(0)
    a(n - 1)
b(n) = c(n)
c(n) = nil.x
a(19)
""")
t("err_undefined_runtime_fn", """\
show() = prn limit
show_later() = show()
prn "first"
show_later()
limit = 3
""")
t("err_undefined_branch_fn", """\
if fls: answer = 42
get() = answer
prn "ok"
prn get()
""")
t("err_index_negative", """\
xs = [10, 20, 30]
at(i) = xs[i]
prn at(2)
prn at(-1)
""")
t("err_index_fraction", """\
xs = [10, 20, 30]
prn xs[1]
prn xs[1.5]
""")
t("err_index_nan", """\
xs = [1]
prn xs[num("NaN")]
""")
t("err_index_str_oob", """\
s = "héllo"
prn s[1]
prn s[5]
""")
t("err_index_type_lst", """\
xs = [1, 2]
k = "0"
prn xs[k]
""")
t("err_index_type_str", """\
prn "abc"[nil]
""")
t("err_index_obj_key", """\
o = {a: 1}
prn(o["a"], o["b"])
prn o[1]
""")
t("err_index_num", """\
f(v) = v[0]
prn f([7])
prn f(7)
""")
t("err_assign_str_index", """\
s = "abc"
s[0] = "x"
""")
t("err_assign_oob", """\
xs = [1, 2, 3]
xs[2] = 9
prn xs
xs[3] = 4
""")
t("err_field_nil_chain", """\
cfg = {server: {port: 80}}
prn cfg.server.port
prn cfg?.client?.port
prn cfg.client.port
""")
t("err_set_field_num", """\
setp(o) =
    o.port = 9000
    o
prn setp({})
prn setp(1)
""")
t("err_iterate_bool", """\
each(xs, f) =
    x <- xs: f(x)
each("ab", \\(c) prn(c))
each(tru, \\(c) prn(c))
""")
t("err_call_str", """\
handlers = {go: \\() "went", stop: "stopped"}
prn handlers.go()
prn handlers.stop()
""")
t("err_arity_lambda", """\
f = \\(x) x
prn f(1)
prn f(1, 2)
""")
t("err_arity_closure_zero", """\
mk() = \\() 1
g = mk()
prn g(1)
""")
t("err_method_lambda_field", """\
o = {area: \\(w, h) w * h}
prn o.area(2, 3)
prn o.area(2, "3")
""")
t("err_compare_lists", """\
prn [1] == [1]
prn [1] < [2]
""")
t("err_negate_in_lambda", """\
neg = \\(x) -x
prn neg(2)
prn neg("2")
""")
t("err_interp_expr", """\
n = 2
prn $"n = {n}"
prn $"half = {n / 0}"
""")
t("err_concat_then_sub", """\
s = "a" + 1 + [2] + nil
prn s
prn s - 1
""")
t("err_range_fraction", """\
i <- 0..2.5: prn i
""")
t("err_range_too_large", """\
i <- 0..10000000000000000: brk
""")
t("err_range_bound_type", """\
hi = "3"
i <- 0..hi: prn i
""")
t("err_deep_mixed", """\
parse_all(rows) =
    out = []
    r <- rows:
        v = mat r.kind:
            "num" => num(r.text)
            "neg": -num(r.text)
            _: nil
        psh(out, v)
    out
rows = [{kind: "num", text: "1"}, {kind: "neg", text: "2"}, {kind: "x"}]
prn parse_all(rows)
psh(rows, {kind: "neg", text: "2x"})
run = \\() parse_all(rows)
prn run()
""")
t("err_output_then_error", """\
i <- 1..3: prn i
prn [1, 2] + [3]
prn [1] - [1]
""")
t("err_division_in_default_arg_position", """\
f(a, b, c) = a + b + c
prn f(1, 2, 3)
prn f(1, 2 / 0, 3)
""")
t("err_use_runtime", """\
use "data/bad_mod.ilu"
prn "after use"
""")

# ---------- compile errors ----------
t("cerr_unterminated_string", 'prn "never printed"\nprn "abc\nprn 2\n')
t("cerr_unterminated_string_single", "x = 'it\n")
t("cerr_unterminated_interp", 'n = 1\nprn $"n = {n\n')
t("cerr_unterminated_string_eof", 'prn "abc')
t("cerr_bad_number_underscore", "x = 1_\n")
t("cerr_bad_number_double_underscore", "x = 1__000\n")
t("cerr_bad_number_letters", "x = 12abc\n")
t("cerr_bad_number_exponent", "x = 3e_5\n")
t("cerr_bad_number_empty_exp", "x = 2e\n")
t("cerr_bad_hex", "x = 0xZZ\n")
t("cerr_number_too_large", "prn 1\nx = 1e400\n")
t("cerr_unexpected_token", "x = = 1\n")
t("cerr_unexpected_close", "prn 1)\n")
t("cerr_unexpected_eof_expr", "x = 1 +\n")
t("cerr_unknown_char", "x = 1 @ 2\n")
t("cerr_backtick", "x = `a`\n")
t("cerr_unclosed_paren", 'prn "never printed"\nx = (1 + 2\ny = 3\n')
t("cerr_unclosed_bracket", "xs = [1, 2,\n   3\n")
t("cerr_unclosed_brace", "o = {a: 1, b: {c: 2}\n")
t("cerr_mismatched_bracket", "x = (1 + 2]\n")
t("cerr_mismatched_brace", "xs = [1, {a: 2]]\n")
t("cerr_missing_colon", "if tru prn 1\n")
t("cerr_missing_body_eof", "if tru:\n")
t("cerr_else_without_if", "x = 1\n| prn 2\n")
t("cerr_keyword_assign", "ret = 1\n")
t("cerr_tru_assign", "tru = 1\n")
t("cerr_unexpected_indent", "x = 1\n    y = 2\n")
t("cerr_dedent_mismatch", "f() =\n    if tru:\n        prn 1\n      prn 2\n")
t("cerr_mixed_tabs_spaces_line", "f() =\n \tprn 1\n")
t("cerr_tabs_after_spaces", "f() =\n    prn 1\ng() =\n\tprn 2\n")
t("cerr_tab_caret", "x =\t1\ny =\t(2 +\t)\n")
t("cerr_unicode_column", 'prn "héllo wörld" + 😀\n')
t("cerr_bom_error", "\ufeffx = 1\ny = )\n")
t("cerr_stray_cr", "x = 1\ry = 2\n")
t("cerr_crlf_error", "x = 1\r\ny = (\r\n")
t("cerr_nul_byte", b"x = 1\nprn x\x00\n")
t("cerr_nul_in_string", b'prn "a\x00b"\n')
t("cerr_invalid_utf8", b"x = 1\nprn \xff\xfe\n")
t("cerr_invalid_utf8_in_string", b'prn "caf\xc3"\n')
t("cerr_invalid_utf8_in_comment", b"# caf\xe9\nprn 1\n")
t("cerr_bad_unicode_escape", 'prn "\\u{D800}"\n')
t("cerr_unicode_escape_too_big", 'prn "\\u{110000}"\n')
t("cerr_empty_interp", 'prn $"a{}b"\n')
t("cerr_single_brace_interp", 'prn $"a } b"\n')
t("cerr_def_function", "def f(x) = x\n")
t("cerr_dup_param", "f(a, a) = a\n")
t("cerr_param_not_name", "f(1) = 2\n")
t("cerr_reserved_name", "__x = 1\n")
t("cerr_fn_redefined", "f() = 1\ng() = 2\nf() = 3\n")
t("cerr_assign_to_call", "f (x) = x\n")
t("cerr_whl_as_expr", "c = fls\nx = whl c: 1\n")
t("cerr_shorthand_nested", "x = 1\nprn str x\n")
t("cerr_too_many_args", "f(" + ", ".join("a%d" % i for i in range(256)) + ") = 1\n")
t("cerr_many_undefined", "f() = a + 1\ng() = b\nprn c\n")
t("cerr_nest_300_parens", "x = " + "(" * 300 + "1" + ")" * 300 + "\n")
t("cerr_nest_10000_parens", "x = " + "(" * 10000 + "1" + ")" * 10000 + "\n")
t("cerr_nest_10000_lists", "x = " + "[" * 10000 + "]" * 10000 + "\n")
t("cerr_nest_10000_objects", "x = " + "{a: " * 10000 + "1" + "}" * 10000 + "\n")
t("cerr_nest_10000_unclosed", "x = " + "(" * 10000 + "\n")
t("cerr_nest_10000_unary", "x = " + "-" * 10000 + "1\n")
t("cerr_nest_10000_not", "x = " + "not " * 10000 + "1\n")
t("cerr_nest_10000_calls", "f(x) = x\nx = " + "f(" * 10000 + "1" + ")" * 10000 + "\n")
t("cerr_nest_300_binary", "x = 1" + " + 1" * 300 + "\n")
t("cerr_nest_300_index", "x = [1]" + "[0]" * 300 + "\n")
t("cerr_nest_300_blocks", "".join(" " * i + "if tru:\n" for i in range(300)) + " " * 300 + "prn 1\n")
t("cerr_nest_300_interp", "x = " + '$"{' * 300 + "1" + '}"' * 300 + "\n")
t("cerr_nest_10000_lambdas", "f = " + "\\() " * 10000 + "1\n")
t("cerr_error_at_eof_no_newline", "x = (1 +")

for name, src in P.items():
    with open(os.path.join(D, name + ".ilu"), "wb") as f:
        f.write(src)
os.makedirs(os.path.join(D, "data"), exist_ok=True)
with open(os.path.join(D, "data", "bad_mod.ilu"), "w") as f:
    f.write('prn "module start"\nhelper(x) = x.y.z\nv = helper({y: nil})\n')
# Added after the first review round.
extra = {
 "cerr_eof_no_newline_expr": b"prn 1\nx = 1 +",
 "cerr_too_many_call_args": ("prn(" + ", ".join(["1"] * 256) + ")\n").encode(),
 "cerr_bom_first_line": "\ufeffy = )\n".encode(),
 "cerr_lambda_block_body": b"f = \\(x)\n    x + 1\n",
 "cerr_unclosed_at_eof_nested": b"f(x) =\n    g([1, (2,\n",
}
for name, src in extra.items():
    with open(os.path.join(D, name + ".ilu"), "wb") as f:
        f.write(src)
