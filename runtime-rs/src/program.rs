//! The program image: what the runtime must know about a program.
//!
//! Constants, global names (for `undefined name`), file names and, per
//! function, its name, arity, file and line table (for printing `<fun NAME>`,
//! arity errors and stack traces). The interpreter and the JIT build it in
//! memory; an AOT executable carries it as bytes ([`ProgramImage::to_bytes`])
//! and decodes it at start-up ([`ProgramImage::from_bytes`]).
//!
//! Byte format (all integers little-endian):
//!
//! ```text
//! magic "ILIM", version u32 (= 1), entry u32,
//! constants: count u32, then per constant tag u8 (0 = num: f64 bits u64; 1 = str: string),
//! globals:   count u32, then strings,
//! files:     count u32, then strings,
//! functions: count u32, then per function
//!            name string, arity u32, file u32, line count u32, then (pc u32, line u32, col u32)*
//! where a string is byte length u32 then UTF-8 bytes. Nothing may follow.
//! ```

/// A constant pool entry.
#[derive(Clone, Debug, PartialEq)]
pub enum ImageConstant {
    Num(f64),
    Str(String),
}

/// What the runtime knows about one function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageFunction {
    /// `<main>` for the top level, `<lambda>` for lambdas.
    pub name: String,
    pub arity: u32,
    /// Index into [`ProgramImage::files`].
    pub file: u32,
    /// `(pc, line, col)`, sorted by pc: entry applies from its pc up to the next entry's.
    pub lines: Vec<(u32, u32, u32)>,
}

/// See the module documentation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProgramImage {
    pub constants: Vec<ImageConstant>,
    pub globals: Vec<String>,
    pub files: Vec<String>,
    pub functions: Vec<ImageFunction>,
    /// Index of the function that runs the top level.
    pub entry: u32,
}

/// Why bytes are not a valid program image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageError(pub String);

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed program image: {}", self.0)
    }
}

impl std::error::Error for ImageError {}

const MAGIC: &[u8; 4] = b"ILIM";
const VERSION: u32 = 1;

/// Name printed for lambdas' `<fun>`.
pub const LAMBDA_NAME: &str = "<lambda>";

impl ImageFunction {
    /// Source position `(line, col)` of the instruction at `pc`: the last
    /// line entry whose pc is `<= pc`.
    pub fn position(&self, pc: u32) -> Option<(u32, u32)> {
        let idx = self.lines.partition_point(|e| e.0 <= pc);
        (idx > 0).then(|| (self.lines[idx - 1].1, self.lines[idx - 1].2))
    }
}

impl ProgramImage {
    /// Name of function `func` (`?` if out of range).
    pub fn function_name(&self, func: u32) -> &str {
        self.functions
            .get(func as usize)
            .map_or("?", |f| f.name.as_str())
    }

    /// `NAME (FILE:LINE:COL)` for a trace line.
    pub fn frame_location(&self, func: u32, pc: u32) -> String {
        let Some(f) = self.functions.get(func as usize) else {
            return format!("? (function {func})");
        };
        let file = self.files.get(f.file as usize).map_or("?", |s| s.as_str());
        match f.position(pc) {
            Some((line, col)) => format!("{} ({file}:{line}:{col})", f.name),
            None => format!("{} ({file})", f.name),
        }
    }

    /// Encode (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        put_u32(&mut out, VERSION);
        put_u32(&mut out, self.entry);
        put_u32(&mut out, self.constants.len() as u32);
        for c in &self.constants {
            match c {
                ImageConstant::Num(n) => {
                    out.push(0);
                    out.extend_from_slice(&n.to_bits().to_le_bytes());
                }
                ImageConstant::Str(s) => {
                    out.push(1);
                    put_str(&mut out, s);
                }
            }
        }
        for list in [&self.globals, &self.files] {
            put_u32(&mut out, list.len() as u32);
            list.iter().for_each(|s| put_str(&mut out, s));
        }
        put_u32(&mut out, self.functions.len() as u32);
        for f in &self.functions {
            put_str(&mut out, &f.name);
            put_u32(&mut out, f.arity);
            put_u32(&mut out, f.file);
            put_u32(&mut out, f.lines.len() as u32);
            for &(pc, line, col) in &f.lines {
                put_u32(&mut out, pc);
                put_u32(&mut out, line);
                put_u32(&mut out, col);
            }
        }
        out
    }

    /// Decode bytes made by [`ProgramImage::to_bytes`]. Never panics; checks
    /// that the entry and every function's file index are in range.
    pub fn from_bytes(bytes: &[u8]) -> Result<ProgramImage, ImageError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(4)? != MAGIC {
            return Err(ImageError("bad magic number".into()));
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(ImageError(format!("unsupported version {version}")));
        }
        let entry = r.u32()?;
        let n = r.count(9)?;
        let mut constants = Vec::with_capacity(n);
        for _ in 0..n {
            constants.push(match r.take(1)?[0] {
                0 => ImageConstant::Num(f64::from_bits(r.u64()?)),
                1 => ImageConstant::Str(r.string()?),
                t => return Err(ImageError(format!("unknown constant tag {t}"))),
            });
        }
        let globals = r.strings()?;
        let files = r.strings()?;
        let n = r.count(16)?;
        let mut functions = Vec::with_capacity(n);
        for _ in 0..n {
            let name = r.string()?;
            let arity = r.u32()?;
            let file = r.u32()?;
            if file as usize >= files.len() {
                return Err(ImageError(format!(
                    "function {name}: file {file} out of range"
                )));
            }
            let m = r.count(12)?;
            let mut lines = Vec::with_capacity(m);
            for _ in 0..m {
                lines.push((r.u32()?, r.u32()?, r.u32()?));
            }
            functions.push(ImageFunction {
                name,
                arity,
                file,
                lines,
            });
        }
        if r.pos != bytes.len() {
            return Err(ImageError("trailing bytes".into()));
        }
        if entry as usize >= functions.len() {
            return Err(ImageError(format!("entry function {entry} out of range")));
        }
        Ok(ProgramImage {
            constants,
            globals,
            files,
            functions,
            entry,
        })
    }
}

fn put_u32(out: &mut Vec<u8>, x: u32) {
    out.extend_from_slice(&x.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ImageError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| ImageError(format!("truncated at byte {}", self.pos)))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, ImageError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, ImageError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A count of items each at least `min_size` bytes long: rejects counts
    /// the remaining bytes cannot hold, so a corrupt count cannot make us
    /// allocate wildly.
    fn count(&mut self, min_size: usize) -> Result<usize, ImageError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size) > self.bytes.len() - self.pos {
            return Err(ImageError(format!("count {n} exceeds the data")));
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, ImageError> {
        let n = self.u32()? as usize;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| ImageError("string is not UTF-8".into()))
    }

    fn strings(&mut self) -> Result<Vec<String>, ImageError> {
        let n = self.count(4)?;
        (0..n).map(|_| self.string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ProgramImage {
        ProgramImage {
            constants: vec![
                ImageConstant::Num(2.5),
                ImageConstant::Str("héllo".into()),
                ImageConstant::Num(f64::NAN),
                ImageConstant::Num(-0.0),
            ],
            globals: vec!["x".into(), "fib".into()],
            files: vec!["main.ilu".into(), "lib/util.ilu".into()],
            functions: vec![
                ImageFunction {
                    name: "<main>".into(),
                    arity: 0,
                    file: 0,
                    lines: vec![(0, 1, 1), (9, 2, 4)],
                },
                ImageFunction {
                    name: "fib".into(),
                    arity: 1,
                    file: 1,
                    lines: vec![],
                },
            ],
            entry: 0,
        }
    }

    #[test]
    fn round_trip() {
        let img = sample();
        let back = ProgramImage::from_bytes(&img.to_bytes()).unwrap();
        // NaN != NaN, so compare the bits of the constants separately.
        assert_eq!(back.globals, img.globals);
        assert_eq!(back.files, img.files);
        assert_eq!(back.functions, img.functions);
        assert_eq!(back.entry, img.entry);
        let bits = |c: &ImageConstant| match c {
            ImageConstant::Num(n) => format!("{:x}", n.to_bits()),
            ImageConstant::Str(s) => s.clone(),
        };
        let a: Vec<_> = img.constants.iter().map(bits).collect();
        let b: Vec<_> = back.constants.iter().map(bits).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = sample().to_bytes();
        for n in 0..bytes.len() {
            assert!(ProgramImage::from_bytes(&bytes[..n]).is_err(), "prefix {n}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(ProgramImage::from_bytes(&long).is_err());
    }

    #[test]
    fn corrupt_bytes_never_panic() {
        let bytes = sample().to_bytes();
        for i in 0..bytes.len() {
            for x in [0x00, 0x01, 0x7F, 0xFF] {
                let mut b = bytes.clone();
                b[i] ^= x;
                let _ = ProgramImage::from_bytes(&b);
            }
        }
        let mut bad = sample();
        bad.entry = 5;
        assert!(ProgramImage::from_bytes(&bad.to_bytes()).is_err());
        assert_eq!(
            ProgramImage::from_bytes(b"XXXX").unwrap_err().to_string(),
            "malformed program image: bad magic number"
        );
    }

    #[test]
    fn positions_use_the_last_entry_at_or_before_pc() {
        let img = sample();
        let f = &img.functions[0];
        assert_eq!(f.position(0), Some((1, 1)));
        assert_eq!(f.position(8), Some((1, 1)));
        assert_eq!(f.position(9), Some((2, 4)));
        assert_eq!(f.position(100), Some((2, 4)));
        assert_eq!(img.frame_location(0, 10), "<main> (main.ilu:2:4)");
        assert_eq!(img.frame_location(1, 0), "fib (lib/util.ilu)");
    }
}
