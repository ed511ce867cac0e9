//! The `.ilbc` file encoding: [`encode`] a [`Module`] to bytes and
//! [`decode`] bytes back to a `Module`.
//!
//! Decoding only checks that the bytes are well formed; whether the module
//! makes sense (operands in range, consistent stack depths, ...) is the
//! verifier's job. Use [`crate::verify::load`] to do both, as every consumer
//! of a file must (ARCHITECTURE.md, "Verified before run").
//!
//! # Layout
//!
//! Everything is little-endian. A *string* is a u32 byte length followed by
//! that many bytes of UTF-8.
//!
//! ```text
//! magic      4 bytes  "ILBC"
//! version    u16      VERSION (1)
//! flags      u16      0
//! constants  u32 count, then each: u8 tag
//!                       tag 1 (number): u64 (the f64 bits)
//!                       tag 2 (string): string
//! globals    u32 count, then each: string (the global's name)
//! files      u32 count, then each: string (the source path)
//! functions  u32 count, then each:
//!              name        string
//!              arity       u8
//!              num_locals  u16
//!              num_captures u16
//!              file        u32  (index into files)
//!              code        u32 length, then that many bytes
//!              lines       u32 count, then each: u32 pc, u32 line, u32 col
//! entry      u32      (index into functions)
//! debug      only when flags has FLAG_LOCAL_NAMES: for each function,
//!              u16 count (0 or num_locals), then each: string (a local's name)
//! ```
//!
//! The file ends right after `entry` (or the debug section): trailing bytes
//! are an error. Every
//! count and length is checked against the bytes that remain before anything
//! is allocated, so a hostile count cannot make the decoder allocate more
//! than a small multiple of the file's size.

use crate::module::{Constant, Function, LineEntry, Module};
use crate::verify::VerifyError;

/// The four bytes every `.ilbc` file starts with.
pub const MAGIC: [u8; 4] = *b"ILBC";

/// The format version this toolchain writes and reads.
pub const VERSION: u16 = 1;

/// Header flag: a debug section with every function's local names
/// follows `entry`.
pub const FLAG_LOCAL_NAMES: u16 = 0x0001;

/// Constant pool tag of a number.
pub const TAG_NUM: u8 = 1;

/// Constant pool tag of a string.
pub const TAG_STR: u8 = 2;

/// Why a `.ilbc` file could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The bytes are not a well-formed `.ilbc` file (bad magic or version,
    /// truncated data, invalid UTF-8, trailing bytes, ...).
    Format {
        /// Byte offset in the file where the problem was found.
        offset: usize,
        /// The whole message, offset included, e.g.
        /// `truncated file: constant 3 at byte offset 57`.
        message: String,
    },
    /// The file is well formed but the module it holds fails verification.
    Verify(VerifyError),
}

impl LoadError {
    fn format(offset: usize, message: String) -> LoadError {
        LoadError::Format { offset, message }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Format { message, .. } => f.write_str(message),
            LoadError::Verify(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for LoadError {}

impl From<VerifyError> for LoadError {
    fn from(e: VerifyError) -> LoadError {
        LoadError::Verify(e)
    }
}

// ---------------------------------------------------------------------------
// Encoding

fn put_u16(out: &mut Vec<u8>, x: u16) {
    out.extend_from_slice(&x.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, x: u32) {
    out.extend_from_slice(&x.to_le_bytes());
}

fn put_len(out: &mut Vec<u8>, n: usize, what: &str) {
    let n = u32::try_from(n)
        .unwrap_or_else(|_| panic!("cannot encode {what}: {n} does not fit in a u32"));
    put_u32(out, n);
}

fn put_str(out: &mut Vec<u8>, s: &str, what: &str) {
    put_len(out, s.len(), what);
    out.extend_from_slice(s.as_bytes());
}

/// Encode a module in the `.ilbc` format (see the module documentation).
///
/// The module is written as it is; encoding does not verify it.
///
/// # Panics
///
/// If a count or length does not fit in a u32 (more than 4 GiB of code in
/// one function, more than 2³² constants, ...), which no real program reaches.
pub fn encode(m: &Module) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    put_u16(&mut out, VERSION);
    let has_names = m.functions.iter().any(|f| !f.local_names.is_empty());
    put_u16(&mut out, if has_names { FLAG_LOCAL_NAMES } else { 0 });

    put_len(&mut out, m.constants.len(), "the constant count");
    for c in &m.constants {
        match c {
            Constant::Num(n) => {
                out.push(TAG_NUM);
                out.extend_from_slice(&n.to_bits().to_le_bytes());
            }
            Constant::Str(s) => {
                out.push(TAG_STR);
                put_str(&mut out, s, "a string constant");
            }
        }
    }

    put_len(&mut out, m.globals.len(), "the global count");
    for g in &m.globals {
        put_str(&mut out, g, "a global name");
    }

    put_len(&mut out, m.files.len(), "the file count");
    for file in &m.files {
        put_str(&mut out, file, "a file name");
    }

    put_len(&mut out, m.functions.len(), "the function count");
    for f in &m.functions {
        put_str(&mut out, &f.name, "a function name");
        out.push(f.arity);
        put_u16(&mut out, f.num_locals);
        put_u16(&mut out, f.num_captures);
        put_u32(&mut out, f.file);
        put_len(&mut out, f.code.len(), "a code length");
        out.extend_from_slice(&f.code);
        put_len(&mut out, f.lines.len(), "a line table");
        for e in &f.lines {
            put_u32(&mut out, e.pc);
            put_u32(&mut out, e.line);
            put_u32(&mut out, e.col);
        }
    }

    put_u32(&mut out, m.entry);
    if has_names {
        for f in &m.functions {
            let n = u16::try_from(f.local_names.len()).expect("at most u16::MAX locals");
            put_u16(&mut out, n);
            for name in &f.local_names {
                put_str(&mut out, name, "a local name");
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Decoding

/// Minimum encoded sizes, used to reject impossible counts before allocating.
const MIN_CONSTANT: u64 = 1 + 4; // tag + empty string
const MIN_STRING: u64 = 4;
const MIN_FUNCTION: u64 = 4 + 1 + 2 + 2 + 4 + 4 + 4; // name, arity, locals, captures, file, code len, line count
const LINE_ENTRY: u64 = 12;

/// A cursor over the file's bytes. Every read names what it is reading so
/// that errors can say so.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    fn truncated(&self, what: &dyn Fn() -> String) -> LoadError {
        LoadError::format(
            self.pos,
            format!("truncated file: {} at byte offset {}", what(), self.pos),
        )
    }

    fn take(&mut self, n: usize, what: &dyn Fn() -> String) -> Result<&'a [u8], LoadError> {
        let end = match self.pos.checked_add(n) {
            Some(end) if end <= self.bytes.len() => end,
            _ => return Err(self.truncated(what)),
        };
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| self.truncated(what))?;
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, what: &dyn Fn() -> String) -> Result<[u8; N], LoadError> {
        let slice = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(slice);
        Ok(a)
    }

    fn u8(&mut self, what: &dyn Fn() -> String) -> Result<u8, LoadError> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u16(&mut self, what: &dyn Fn() -> String) -> Result<u16, LoadError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &dyn Fn() -> String) -> Result<u32, LoadError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &dyn Fn() -> String) -> Result<u64, LoadError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// Read a u32 count of items each at least `min_size` bytes long and
    /// check that the remaining bytes could hold that many.
    fn count(&mut self, plural: &str, min_size: u64) -> Result<usize, LoadError> {
        let at = self.pos;
        let n = self.u32(&|| format!("{plural} count"))?;
        let need = u64::from(n).saturating_mul(min_size);
        let remaining = self.remaining() as u64;
        if need > remaining {
            return Err(LoadError::format(
                at,
                format!(
                    "truncated file: {n} {plural} declared at byte offset {at} need at least \
                     {need} bytes but only {remaining} remain"
                ),
            ));
        }
        usize::try_from(n).map_err(|_| {
            LoadError::format(at, format!("{n} {plural} at byte offset {at} is too many"))
        })
    }

    /// Read a length-prefixed UTF-8 string.
    fn string(&mut self, what: &dyn Fn() -> String) -> Result<String, LoadError> {
        let len_at = self.pos;
        let len = self.u32(&|| format!("{} length", what()))?;
        let remaining = self.remaining();
        let len = match usize::try_from(len) {
            Ok(len) if len <= remaining => len,
            _ => {
                return Err(LoadError::format(
                    len_at,
                    format!(
                        "truncated file: {} of {len} bytes at byte offset {len_at} but only \
                         {remaining} bytes remain",
                        what()
                    ),
                ))
            }
        };
        let at = self.pos;
        let bytes = self.take(len, what)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(e) => {
                let bad = at.saturating_add(e.valid_up_to());
                Err(LoadError::format(
                    bad,
                    format!("invalid UTF-8 in {} at byte offset {bad}", what()),
                ))
            }
        }
    }
}

/// Decode a `.ilbc` file into a [`Module`].
///
/// Checks the magic, the version, that every count and length fits in the
/// file, that every string is UTF-8, that constant tags are known and that
/// nothing follows the entry index. Never panics, whatever the input. The
/// result is *not* verified: call [`crate::verify::verify`], or use
/// [`crate::verify::load`] which does both.
pub fn decode(bytes: &[u8]) -> Result<Module, LoadError> {
    let mut r = Reader { bytes, pos: 0 };

    let prefix = bytes.get(..MAGIC.len()).unwrap_or(bytes);
    if prefix != &MAGIC[..prefix.len()] {
        return Err(LoadError::format(
            0,
            "bad magic: not an .ilbc file".to_string(),
        ));
    }
    r.take(MAGIC.len(), &|| "magic".to_string())?;

    let version_at = r.pos;
    let version = r.u16(&|| "version".to_string())?;
    if version != VERSION {
        return Err(LoadError::format(
            version_at,
            format!("unsupported .ilbc version {version} (this toolchain reads version {VERSION})"),
        ));
    }
    let flags_at = r.pos;
    let flags = r.u16(&|| "flags".to_string())?;
    if flags & !FLAG_LOCAL_NAMES != 0 {
        return Err(LoadError::format(
            flags_at,
            format!(
                "unsupported .ilbc flags 0x{flags:04x} at byte offset {flags_at} \
                 (known: 0x{FLAG_LOCAL_NAMES:04x} local names)"
            ),
        ));
    }

    let n = r.count("constants", MIN_CONSTANT)?;
    let mut constants = Vec::with_capacity(n);
    for i in 0..n {
        let tag_at = r.pos;
        let tag = r.u8(&|| format!("constant {i}"))?;
        constants.push(match tag {
            TAG_NUM => Constant::Num(f64::from_bits(r.u64(&|| format!("constant {i}"))?)),
            TAG_STR => Constant::Str(r.string(&|| format!("constant {i}"))?),
            _ => {
                return Err(LoadError::format(
                    tag_at,
                    format!(
                        "bad tag {tag} for constant {i} at byte offset {tag_at} \
                         (expected 1 = number or 2 = string)"
                    ),
                ))
            }
        });
    }

    let n = r.count("globals", MIN_STRING)?;
    let mut globals = Vec::with_capacity(n);
    for i in 0..n {
        globals.push(r.string(&|| format!("global {i}"))?);
    }

    let n = r.count("files", MIN_STRING)?;
    let mut files = Vec::with_capacity(n);
    for i in 0..n {
        files.push(r.string(&|| format!("file name {i}"))?);
    }

    let n = r.count("functions", MIN_FUNCTION)?;
    let mut functions = Vec::with_capacity(n);
    for i in 0..n {
        functions.push(decode_function(&mut r, i)?);
    }

    let entry = r.u32(&|| "entry".to_string())?;
    if flags & FLAG_LOCAL_NAMES != 0 {
        for (i, f) in functions.iter_mut().enumerate() {
            let n = r.u16(&|| format!("local name count of function {i}"))? as usize;
            if r.remaining() < n * MIN_STRING as usize {
                return Err(LoadError::format(
                    r.pos,
                    format!(
                        "truncated file: local names of function {i} at byte offset {}",
                        r.pos
                    ),
                ));
            }
            f.local_names = (0..n)
                .map(|j| r.string(&|| format!("local name {j} of function {i}")))
                .collect::<Result<_, _>>()?;
        }
    }
    if r.remaining() != 0 {
        return Err(LoadError::format(
            r.pos,
            format!(
                "trailing bytes: {} bytes after the end of the module at byte offset {}",
                r.remaining(),
                r.pos
            ),
        ));
    }

    Ok(Module {
        constants,
        globals,
        files,
        functions,
        entry,
    })
}

fn decode_function(r: &mut Reader<'_>, i: usize) -> Result<Function, LoadError> {
    let name = r.string(&|| format!("function {i} name"))?;
    let arity = r.u8(&|| format!("function {i} arity"))?;
    let num_locals = r.u16(&|| format!("function {i} num_locals"))?;
    let num_captures = r.u16(&|| format!("function {i} num_captures"))?;
    let file = r.u32(&|| format!("function {i} file index"))?;

    let len_at = r.pos;
    let len = r.u32(&|| format!("function {i} code length"))?;
    let remaining = r.remaining();
    let len = match usize::try_from(len) {
        Ok(len) if len <= remaining => len,
        _ => {
            return Err(LoadError::format(
                len_at,
                format!(
                    "truncated file: function {i} code of {len} bytes at byte offset {len_at} \
                     but only {remaining} bytes remain"
                ),
            ))
        }
    };
    let code = r.take(len, &|| format!("function {i} code"))?.to_vec();

    let n = r.count(&format!("line entries of function {i}"), LINE_ENTRY)?;
    let mut lines = Vec::with_capacity(n);
    for j in 0..n {
        let what = || format!("function {i} line entry {j}");
        let pc = r.u32(&what)?;
        let line = r.u32(&what)?;
        let col = r.u32(&what)?;
        lines.push(LineEntry { pc, line, col });
    }

    Ok(Function {
        name,
        arity,
        num_locals,
        num_captures,
        file,
        code,
        lines,
        local_names: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instr::Instr;

    fn sample() -> Module {
        let mut main = Vec::new();
        for i in [
            Instr::Push(0),
            Instr::Push(1),
            Instr::CallDirect { func: 1, argc: 2 },
            Instr::Print(1),
            Instr::Pop,
            Instr::Halt,
        ] {
            i.encode(&mut main);
        }
        let mut add = Vec::new();
        for i in [
            Instr::GetLocal(0),
            Instr::GetLocal(1),
            Instr::Add,
            Instr::Ret,
        ] {
            i.encode(&mut add);
        }
        Module {
            constants: vec![
                Constant::Num(3.5),
                Constant::Str("hé\n".into()),
                Constant::Num(-0.0),
            ],
            globals: vec!["add".into()],
            files: vec!["main.ilu".into()],
            functions: vec![
                Function {
                    name: "<main>".into(),
                    arity: 0,
                    num_locals: 0,
                    num_captures: 0,
                    file: 0,
                    code: main,
                    lines: vec![
                        LineEntry {
                            pc: 0,
                            line: 1,
                            col: 1,
                        },
                        LineEntry {
                            pc: 10,
                            line: 2,
                            col: 5,
                        },
                    ],
                    local_names: Vec::new(),
                },
                Function {
                    name: "add".into(),
                    arity: 2,
                    num_locals: 3,
                    num_captures: 2,
                    file: 0,
                    code: add,
                    lines: vec![LineEntry {
                        pc: 0,
                        line: 4,
                        col: 3,
                    }],
                    local_names: Vec::new(),
                },
            ],
            entry: 0,
        }
    }

    #[test]
    fn round_trip() {
        let m = sample();
        let bytes = encode(&m);
        assert_eq!(&bytes[..4], b"ILBC");
        assert_eq!(decode(&bytes).unwrap(), m);
    }

    #[test]
    fn round_trip_keeps_local_names() {
        let mut m = sample();
        assert_eq!(encode(&m)[6], 0, "no names, no flag");
        for f in &mut m.functions {
            f.local_names = (0..f.num_locals).map(|i| format!("v{i}")).collect();
        }
        m.functions[0]
            .local_names
            .iter_mut()
            .for_each(String::clear);
        let bytes = encode(&m);
        assert_eq!(bytes[6], FLAG_LOCAL_NAMES as u8);
        assert_eq!(decode(&bytes).unwrap(), m);
    }

    #[test]
    fn round_trip_keeps_number_bits() {
        let m = Module {
            constants: vec![Constant::Num(-0.0), Constant::Num(f64::INFINITY)],
            ..Module::default()
        };
        let back = decode(&encode(&m)).unwrap();
        let Constant::Num(z) = back.constants[0] else {
            panic!("not a number")
        };
        assert_eq!(z.to_bits(), (-0.0f64).to_bits());
        assert_eq!(back, m);
    }

    #[test]
    fn empty_module_layout() {
        let bytes = encode(&Module::default());
        let mut expect = b"ILBC".to_vec();
        expect.extend_from_slice(&[1, 0, 0, 0]);
        expect.extend_from_slice(&[0; 16]); // 4 counts
        expect.extend_from_slice(&[0; 4]); // entry
        assert_eq!(bytes, expect);
        assert_eq!(decode(&bytes).unwrap(), Module::default());
    }

    #[test]
    fn display_is_the_message() {
        let e = decode(b"XXXX").unwrap_err();
        assert_eq!(e.to_string(), "bad magic: not an .ilbc file");
    }
}
