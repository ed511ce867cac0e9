#!/usr/bin/env python3
"""Writes the .ilbc test files of tests/ilbc/ (run from anywhere: `python3 tests/ilbc/make.py`).

Every file is hand-assembled here, so the script needs no toolchain and its output never changes
with the compiler. `valid.ilbc` is a well-formed program (tests/ilbc.rs runs it on the interpreter,
the JIT and AOT); every other NAME.ilbc is a copy of it, or of a tiny module, with one defect, and
NAME.expected (written by hand, checked against docs/bytecode.md) is the exact stderr that
`ilusm run NAME.ilbc` and `ilusm dis NAME.ilbc` must print, with exit status 2.
The format is described in docs/bytecode.md ("The .ilbc file").

Known implementation bugs these files expose (the .expected files keep the documented answer):
`ilusm run`/`dis` recognise bytecode by its magic number, not by the `.ilbc` name, so
`bad_magic`, `elf_magic` and `truncated_magic` are compiled as source (`NUL byte in source`,
`undefined name 'ILB'`) and `empty.ilbc` runs as an empty program with status 0, instead of
`invalid bytecode: bad magic: not an .ilbc file` / `truncated file: magic at byte offset 0`.
"""
import copy
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

OPS = {
    "push": (0x01, "I"), "pop": (0x02, ""), "add": (0x03, ""), "sub": (0x04, ""),
    "mul": (0x05, ""), "div": (0x06, ""), "print": (0x07, "B"), "jump": (0x08, "I"),
    "jump_if": (0x09, "I"), "call": (0x0A, "B"), "ret": (0x0B, ""), "halt": (0x0C, ""),
    "jump_if_not": (0x0D, "I"), "dup": (0x0E, ""), "push_nil": (0x0F, ""),
    "push_tru": (0x10, ""), "push_fls": (0x11, ""), "mod": (0x12, ""), "neg": (0x13, ""),
    "not": (0x14, ""), "eq": (0x15, ""), "ne": (0x16, ""), "lt": (0x17, ""), "le": (0x18, ""),
    "gt": (0x19, ""), "ge": (0x1A, ""), "get_local": (0x1B, "H"), "set_local": (0x1C, "H"),
    "get_global": (0x1D, "I"), "set_global": (0x1E, "I"), "call_direct": (0x1F, "IB"),
    "call_builtin": (0x20, "HB"), "push_func": (0x21, "I"), "push_builtin": (0x22, "H"),
    "concat": (0x23, "H"), "make_list": (0x24, "H"), "make_object": (0x25, "H"),
    "index": (0x26, ""), "set_index": (0x27, ""), "get_field": (0x28, "I"),
    "set_field": (0x29, "I"), "get_field_opt": (0x2A, "I"), "index_opt": (0x2B, ""),
    "make_cell": (0x2C, ""), "cell_get": (0x2D, ""), "cell_set": (0x2E, ""),
    "make_closure": (0x2F, "IB"), "get_capture": (0x30, "H"), "iter_prep": (0x31, ""),
    "range_prep": (0x32, ""), "len": (0x33, ""),
}


def asm(*instrs):
    """Assembles (mnemonic, operands...) tuples; a bare string is a label, and a label name used
    as an operand is replaced by its pc. Returns (code bytes, {label: pc})."""
    labels, pc = {}, 0
    for ins in instrs:
        if isinstance(ins, str):
            labels[ins] = pc
        else:
            pc += 1 + struct.calcsize("<" + OPS[ins[0]][1])
    out = bytearray()
    for ins in instrs:
        if isinstance(ins, str):
            continue
        byte, fmt = OPS[ins[0]]
        args = [labels[a] if isinstance(a, str) else a for a in ins[1:]]
        out.append(byte)
        out += struct.pack("<" + fmt, *args)
    return bytes(out), labels


def fn(name, arity, locals_, code, lines=None, captures=0, file=0):
    return {"name": name, "arity": arity, "locals": locals_, "captures": captures,
            "file": file, "code": code, "lines": lines if lines is not None else [(0, 1, 1)]}


def s(text):
    b = text.encode() if isinstance(text, str) else text
    return struct.pack("<I", len(b)) + b


def encode(m, version=1, flags=0, local_names=None):
    """local_names: per function, a list of names (the debug section, flag 0x0001)."""
    out = bytearray(b"ILBC") + struct.pack("<HH", version, flags)
    out += struct.pack("<I", len(m["consts"]))
    for c in m["consts"]:
        if isinstance(c, float):
            out += b"\x01" + struct.pack("<d", c)
        else:
            out += b"\x02" + s(c)
    out += struct.pack("<I", len(m["globals"]))
    for g in m["globals"]:
        out += s(g)
    out += struct.pack("<I", len(m["files"]))
    for f in m["files"]:
        out += s(f)
    out += struct.pack("<I", len(m["functions"]))
    for f in m["functions"]:
        out += s(f["name"]) + struct.pack("<BHHI", f["arity"], f["locals"], f["captures"], f["file"])
        out += struct.pack("<I", len(f["code"])) + f["code"]
        out += struct.pack("<I", len(f["lines"]))
        for e in f["lines"]:
            out += struct.pack("<III", *e)
    out += struct.pack("<I", m["entry"])
    if local_names is not None:
        for names in local_names:
            out += struct.pack("<H", len(names))
            for n in names:
                out += s(n)
    return bytes(out)


# ---------------------------------------------------------------------------
# The valid program. Source it stands for (valid.ilu is not a test, just documentation):
#
#   fib(n) =                       # f1
#       if n < 2: ret n
#       fib(n - 1) + fib(n - 2)
#   total = 0
#   i <- 1..10 (as a while loop): total = total + fib(i)
#   prn "sum", total               # sum 143
#   prn "fib(20) =", fib(20)       # fib(20) = 6765
#   prn len("héllo"), str(1.5) + "!"   # 5 1.5!
#   k = 5; add = \(x) x + k        # f2, a closure over a cell
#   prn add(10)                    # 15
#   prn [1, "two", nil], {a: 1}.a  # [1, "two", nil] 1

CONSTS = [2.0, 1.0, 0.0, 10.0, "sum", "fib(20) =", 20.0, "héllo", 1.5, "!", 5.0, "two", "a"]
K = {c: i for i, c in enumerate(CONSTS)}
LEN, STR = 1, 2  # builtin ids

FIB_CODE, FIB_L = asm(
    ("get_local", 0), ("push", K[2.0]), ("lt",), ("jump_if_not", "else"),
    ("get_local", 0), ("ret",),
    "else",
    ("get_local", 0), ("push", K[1.0]), ("sub",), ("call_direct", 1, 1),
    ("get_local", 0), ("push", K[2.0]), ("sub",), ("call_direct", 1, 1),
    ("add",), ("ret",),
)
MAIN_CODE, MAIN_L = asm(
    ("push", K[0.0]), ("set_global", 0),           # total = 0
    ("push", K[1.0]), ("set_global", 1),           # i = 1
    "head",
    ("get_global", 1), ("push", K[10.0]), ("gt",), ("jump_if", "done"),
    ("get_global", 0), ("get_global", 1), ("call_direct", 1, 1), ("add",), ("set_global", 0),
    ("get_global", 1), ("push", K[1.0]), ("add",), ("set_global", 1),
    ("jump", "head"),
    "done",
    ("push", K["sum"]), ("get_global", 0), ("print", 2), ("pop",),
    ("push", K["fib(20) ="]), ("push", K[20.0]), ("call_direct", 1, 1), ("print", 2), ("pop",),
    ("push", K["héllo"]), ("call_builtin", LEN, 1),
    ("push", K[1.5]), ("call_builtin", STR, 1), ("push", K["!"]), ("add",), ("print", 2), ("pop",),
    ("push", K[5.0]), ("make_cell",), ("set_local", 0),
    ("get_local", 0), ("make_closure", 2, 1), ("set_local", 1),
    ("get_local", 1), ("push", K[10.0]), ("call", 1), ("print", 1), ("pop",),
    ("push", K[1.0]), ("push", K["two"]), ("push_nil",), ("make_list", 3),
    ("push", K["a"]), ("push", K[1.0]), ("make_object", 1), ("get_field", K["a"]),
    ("print", 2), ("pop",),
    ("halt",),
)
ADD_CODE, _ = asm(("get_local", 0), ("get_capture", 0), ("cell_get",), ("add",), ("ret",))

VALID = {
    "consts": CONSTS,
    "globals": ["total", "i"],
    "files": ["valid.ilu"],
    "functions": [
        fn("<main>", 0, 2, MAIN_CODE, [(0, 4, 1), (MAIN_L["head"], 5, 1), (MAIN_L["done"], 6, 1)]),
        fn("fib", 1, 1, FIB_CODE, [(0, 2, 5), (FIB_L["else"], 3, 5)]),
        fn("<lambda>", 1, 1, ADD_CODE, [(0, 10, 11)], captures=1),
    ],
    "entry": 0,
}
VALID_OUT = 'sum 143\nfib(20) = 6765\n5 1.5!\n15\n[1, "two", nil] 1\n'


def tiny(code, consts=(1.0,), lines=None, arity=0, locals_=0, extra=()):
    """A module whose entry function `<main>` has the given code (from asm)."""
    return {"consts": list(consts), "globals": ["g"], "files": ["t.ilu"],
            "functions": [fn("<main>", arity, locals_, code, lines)] + list(extra), "entry": 0}


def code(*instrs):
    return asm(*instrs)[0]


CASES = {}


def case(name, data):
    assert name not in CASES, name
    CASES[name] = data


good = encode(VALID)

# --- file-level damage --------------------------------------------------------------------
case("empty", b"")
case("truncated_magic", b"ILB")
case("bad_magic", b"ILBX" + good[4:])
case("elf_magic", b"\x7fELF" + good[4:])
case("truncated_version", good[:5])
case("bad_version_0", good[:4] + struct.pack("<H", 0) + good[6:])
case("bad_version_2", encode(VALID, version=2))
case("bad_flags", encode(VALID, flags=2))
case("local_names_count", encode(VALID, flags=1, local_names=[["", ""], ["n", "extra"], ["x"]]))
case("truncated_local_names", encode(VALID, flags=1, local_names=[["", ""], ["n"], ["x"]])[:-3])
case("local_names_without_flag", encode(VALID, flags=0, local_names=[["", ""], ["n"], ["x"]]))
case("truncated_header", good[:8])
case("truncated_constant", encode(tiny(code(("halt",))))[:18])  # 5 of constant 0's 8 f64 bytes
case("truncated_string_constant", encode(tiny(code(("halt",)), consts=["hello world"]))[:20])
case("truncated_code", good[:good.index(ADD_CODE) + 2])  # inside the last function's code
case("truncated_line_table", good[:len(good) - 4 - 6])  # inside the last line entry
case("truncated_entry", good[:-2])
case("trailing_bytes", good + b"\x00")
case("trailing_garbage", good + b"junk")


def patched(m):
    return encode(m)


m = copy.deepcopy(VALID)
raw = bytearray(encode(m))
raw[12] = 7  # constant 0's tag
case("bad_constant_tag", bytes(raw))

case("huge_constant_count", good[:8] + struct.pack("<I", 0xFFFFFFFF) + good[12:])
m_off = good.index(s("sum"))
case("huge_string_length",
     good[:m_off] + struct.pack("<I", 0x7FFFFFFF) + good[m_off + 4:])
fcount_off = good.index(s("<main>")) - 4
case("truncated_function_count", good[:fcount_off] + b"\x03\x00")
case("huge_function_count",
     good[:fcount_off] + struct.pack("<I", 0x10000000) + good[fcount_off + 4:])
code_len_off = good.index(MAIN_CODE) - 4
case("huge_code_length",
     good[:code_len_off] + struct.pack("<I", 0xFFFFFFF0) + good[code_len_off + 4:])
lines_off = good.index(MAIN_CODE) + len(MAIN_CODE)
case("huge_line_count",
     good[:lines_off] + struct.pack("<I", 0x40000000) + good[lines_off + 4:])

m = copy.deepcopy(VALID)
m["consts"][K["héllo"]] = b"h\xc3llo"
case("bad_utf8_constant", encode(m))
m = copy.deepcopy(VALID)
m["functions"][1]["name"] = b"fi\xffb"
case("bad_utf8_function_name", encode(m))
m = copy.deepcopy(VALID)
m["globals"][0] = b"\xed\xa0\x80"  # an encoded surrogate
case("bad_utf8_global", encode(m))

# --- module-level problems ----------------------------------------------------------------
m = copy.deepcopy(VALID); m["entry"] = 3
case("entry_out_of_range", encode(m))
m = copy.deepcopy(VALID); m["entry"] = 1
case("entry_arity_1", encode(m))
m = copy.deepcopy(VALID); m["entry"] = 2
case("entry_with_captures", encode(m))
m = copy.deepcopy(VALID); m["functions"] = []
case("no_functions", encode(m))
m = copy.deepcopy(VALID); m["functions"][1]["file"] = 1
case("bad_file_index", encode(m))
m = copy.deepcopy(VALID); m["functions"][1]["locals"] = 0
case("locals_less_than_arity", encode(m))
m = copy.deepcopy(VALID); m["consts"][0] = struct.unpack("<d", struct.pack("<Q", 0xFFF9000000000000))[0]
case("reserved_nan_constant", encode(m))

# --- per-instruction problems -------------------------------------------------------------
case("empty_code", encode(tiny(b"", lines=[])))
case("unknown_opcode", encode(tiny(code(("push_nil",), ("pop",)) + b"\xEE" + code(("halt",)))))
case("opcode_zero", encode(tiny(b"\x00" + code(("halt",)))))
case("truncated_instruction", encode(tiny(code(("push_nil",), ("pop",)) + b"\x01\x00\x00")))
case("bad_constant_index", encode(tiny(code(("push", 5), ("pop",), ("halt",)))))
case("bad_global_index", encode(tiny(code(("get_global", 1), ("pop",), ("halt",)))))
case("bad_set_global_index", encode(tiny(code(("push_nil",), ("set_global", 0xFFFFFFFF), ("halt",)))))
case("bad_local_index", encode(tiny(code(("get_local", 2), ("pop",), ("halt",)), locals_=2)))
case("bad_function_index", encode(tiny(code(("call_direct", 4, 0), ("pop",), ("halt",)))))
case("bad_push_func_index", encode(tiny(code(("push_func", 1), ("pop",), ("halt",)))))
case("bad_builtin_index", encode(tiny(code(("push_builtin", 999), ("pop",), ("halt",)))))
case("bad_call_builtin_index", encode(tiny(code(("call_builtin", 0xFFFF, 0), ("pop",), ("halt",)))))
case("get_field_number_constant", encode(tiny(code(("push_nil",), ("get_field", 0), ("pop",), ("halt",)))))
case("get_capture_without_captures", encode(tiny(code(("get_capture", 0), ("pop",), ("halt",)))))
case("jump_out_of_range", encode(tiny(code(("jump", 100), ("halt",)))))
case("jump_into_instruction", encode(tiny(code(("push", 0), ("pop",), ("jump", 2), ("halt",)))))
case("jump_to_code_end", encode(tiny(code(("push_tru",), ("jump_if", 7), ("halt",)))))
case("stack_underflow_pop", encode(tiny(code(("pop",), ("halt",)))))
case("stack_underflow_add", encode(tiny(code(("push", 0), ("add",), ("pop",), ("halt",)))))
case("stack_underflow_print", encode(tiny(code(("push_nil",), ("print", 3), ("pop",), ("halt",)))))
case("stack_underflow_make_object", encode(tiny(code(("push_nil",), ("push_nil",), ("make_object", 2), ("pop",), ("halt",)))))
case("ret_empty_stack", encode(tiny(code(("ret",)))))
case("inconsistent_depth_at_join", encode(tiny(code(
    ("push_tru",), ("jump_if", "join"), ("push_nil",), "join", ("halt",)))))
case("inconsistent_depth_loop", encode(tiny(code(
    "top", ("push_nil",), ("push_tru",), ("jump_if", "top"), ("halt",)))))
case("stack_too_deep", encode(tiny(code(*([("push_nil",)] * 65536), ("halt",)))))
case("falling_off_the_end", encode(tiny(code(("push_nil",), ("pop",)))))
case("falling_off_after_branch", encode(tiny(code(("push_tru",), ("jump_if_not", "end"), ("halt",), "end", ("push_nil",), ("pop",)))))
case("halt_outside_entry", encode(tiny(code(("call_direct", 1, 0), ("pop",), ("halt",)),
                                      extra=[fn("helper", 0, 0, code(("halt",)))])))
CALLEE = fn("two", 2, 2, code(("get_local", 0), ("ret",)))
case("call_direct_wrong_arity", encode(tiny(code(("push_nil",), ("call_direct", 1, 1), ("pop",), ("halt",)), extra=[CALLEE])))
CLOS = fn("clo", 0, 0, code(("get_capture", 0), ("cell_get",), ("ret",)), captures=1)
case("call_direct_of_closure", encode(tiny(code(("call_direct", 1, 0), ("pop",), ("halt",)), extra=[CLOS])))
case("push_func_of_closure", encode(tiny(code(("push_func", 1), ("pop",), ("halt",)), extra=[CLOS])))
case("make_closure_wrong_count", encode(tiny(code(("push_nil",), ("make_cell",), ("push_nil",), ("make_cell",),
                                                   ("make_closure", 1, 2), ("pop",), ("halt",)), extra=[CLOS])))
case("unreachable_bad_instruction", encode(tiny(code(("halt",), ("push", 9)))))

# --- line tables ----------------------------------------------------------------------------
HALT3 = code(("push_nil",), ("pop",), ("halt",))
case("line_table_empty", encode(tiny(HALT3, lines=[])))
case("line_table_not_at_zero", encode(tiny(HALT3, lines=[(1, 1, 1)])))
case("line_table_unsorted", encode(tiny(HALT3, lines=[(0, 1, 1), (2, 2, 1), (1, 3, 1)])))
case("line_table_duplicate_pc", encode(tiny(HALT3, lines=[(0, 1, 1), (1, 2, 1), (1, 3, 1)])))
case("line_table_past_code", encode(tiny(HALT3, lines=[(0, 1, 1), (3, 2, 1)])))


def main():
    written = 0
    for old in os.listdir(HERE):
        if old.endswith(".ilbc"):
            os.remove(os.path.join(HERE, old))
    for name, data in CASES.items():
        with open(os.path.join(HERE, name + ".ilbc"), "wb") as f:
            f.write(data)
        written += 1
    with open(os.path.join(HERE, "valid.ilbc"), "wb") as f:
        f.write(good)
    with open(os.path.join(HERE, "valid.out"), "w") as f:
        f.write(VALID_OUT)
    print(f"wrote {written} malformed files and valid.ilbc to {HERE}")


if __name__ == "__main__":
    main()
