//! Runtime errors and the report printed for an uncaught one.
//!
//! Every message the runtime can produce is listed in `runtime-rs/ERRORS.md`.

use crate::program::ProgramImage;

/// A runtime error on its way out: the message, and the frames it has left
/// so far as `(function index, pc)` pairs, innermost first (ARCHITECTURE.md
/// invariant 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtError {
    pub message: String,
    pub trace: Vec<(u32, u32)>,
    /// With the interpreter's `--trace-locals`: for each frame of `trace`,
    /// its local variables as `name = value` text (empty when not traced).
    pub locals: Vec<String>,
}

/// The result of anything that can raise. Errors are boxed so the `Ok` path
/// stays one word wide.
pub type RtResult<T> = Result<T, Box<RtError>>;

impl RtError {
    /// A new error with an empty trace.
    pub fn new(message: impl Into<String>) -> Box<RtError> {
        Box::new(RtError {
            message: message.into(),
            trace: Vec::new(),
            locals: Vec::new(),
        })
    }

    /// Render the uncaught-error report (spec §7): `error: MESSAGE`, then one
    /// `  at NAME (FILE:LINE:COL)` line per frame, innermost first. More than
    /// [`MAX_SHOWN_FRAMES`] frames are elided in the middle. Ends with a newline.
    pub fn render(&self, image: &ProgramImage) -> String {
        let mut out = format!("error: {}\n", self.message);
        let n = self.trace.len();
        let line = |out: &mut String, i: usize| {
            let (func, pc) = self.trace[i];
            out.push_str("  at ");
            out.push_str(&image.frame_location(func, pc));
            out.push('\n');
            if let Some(locals) = self.locals.get(i).filter(|l| !l.is_empty()) {
                out.push_str("      ");
                out.push_str(locals);
                out.push('\n');
            }
        };
        if n <= MAX_SHOWN_FRAMES {
            (0..n).for_each(|i| line(&mut out, i));
        } else {
            let keep = MAX_SHOWN_FRAMES / 2;
            (0..keep).for_each(|i| line(&mut out, i));
            out.push_str(&format!("  ... {} more frames\n", n - 2 * keep));
            (n - keep..n).for_each(|i| line(&mut out, i));
        }
        out
    }
}

impl std::fmt::Display for RtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RtError {}

/// Traces longer than this print their first and last half only.
pub const MAX_SHOWN_FRAMES: usize = 20;

/// `NAME expects 2 arguments, got 3` (singular for 1).
pub fn arity_message(name: &str, expected: u32, got: usize) -> String {
    let s = if expected == 1 { "" } else { "s" };
    format!("{name} expects {expected} argument{s}, got {got}")
}

/// The wrong-arity error.
pub fn arity_error(name: &str, expected: u32, got: usize) -> Box<RtError> {
    RtError::new(arity_message(name, expected, got))
}

/// `stack overflow (call depth LIMIT)`.
pub fn stack_overflow(limit: u64) -> Box<RtError> {
    RtError::new(format!("stack overflow (call depth {limit})"))
}

/// `undefined name 'NAME'`.
pub fn undefined_name(name: &str) -> Box<RtError> {
    RtError::new(format!("undefined name '{name}'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::{ImageFunction, ProgramImage};

    fn image() -> ProgramImage {
        ProgramImage {
            constants: vec![],
            globals: vec![],
            files: vec!["main.ilu".into()],
            functions: vec![
                ImageFunction {
                    name: "<main>".into(),
                    arity: 0,
                    file: 0,
                    lines: vec![(0, 1, 1), (5, 7, 3)],
                },
                ImageFunction {
                    name: "f".into(),
                    arity: 1,
                    file: 0,
                    lines: vec![(0, 2, 5), (3, 3, 9)],
                },
            ],
            entry: 0,
        }
    }

    #[test]
    fn renders_frames_innermost_first() {
        let e = RtError {
            message: "division by zero".into(),
            trace: vec![(1, 4), (0, 5)],
            locals: Vec::new(),
        };
        assert_eq!(
            e.render(&image()),
            "error: division by zero\n  at f (main.ilu:3:9)\n  at <main> (main.ilu:7:3)\n"
        );
    }

    #[test]
    fn traced_locals_follow_their_frame() {
        let e = RtError {
            message: "division by zero".into(),
            trace: vec![(1, 4), (0, 5)],
            locals: vec!["a = 1, b = 0".into(), String::new()],
        };
        assert_eq!(
            e.render(&image()),
            "error: division by zero\n  at f (main.ilu:3:9)\n      a = 1, b = 0\n  at <main> (main.ilu:7:3)\n"
        );
    }

    #[test]
    fn long_traces_are_elided() {
        let mut trace = vec![(1, 0); 30];
        trace.push((0, 0));
        let e = RtError {
            message: "stack overflow (call depth 30)".into(),
            trace,
            locals: Vec::new(),
        };
        let text = e.render(&image());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + 10 + 1 + 10);
        assert_eq!(lines[1], "  at f (main.ilu:2:5)");
        assert_eq!(lines[11], "  ... 11 more frames");
        assert_eq!(lines[21], "  at <main> (main.ilu:1:1)");
    }

    #[test]
    fn arity_messages() {
        assert_eq!(arity_message("add", 2, 3), "add expects 2 arguments, got 3");
        assert_eq!(arity_message("f", 1, 0), "f expects 1 argument, got 0");
        assert_eq!(arity_message("g", 0, 1), "g expects 0 arguments, got 1");
    }
}
