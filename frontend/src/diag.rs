//! Compile diagnostics: positions, the internal error type every phase
//! returns, and the user-facing [`Diagnostic`] the CLI prints.

/// A source position: 1-based line and column; columns count code points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub fn new(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }
}

/// An error found by one of the phases, before the file name and the source
/// line are attached (see [`Diagnostic::from_error`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    pub pos: Pos,
    pub message: String,
    pub hint: Option<String>,
}

impl CompileError {
    pub fn new(pos: Pos, message: impl Into<String>) -> CompileError {
        CompileError {
            pos,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> CompileError {
        self.hint = Some(hint.into());
        self
    }
}

/// The result type of every phase.
pub type Result<T> = std::result::Result<T, CompileError>;

/// A compile error as the user sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based; 0 when the error is about the file as a whole (e.g. it
    /// cannot be read), in which case `col` is 0 too.
    pub line: u32,
    /// 1-based, counting code points.
    pub col: u32,
    pub message: String,
    /// The text of line `line`, without its line ending.
    pub source_line: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    /// Attach the file name and the offending source line to a phase error.
    pub fn from_error(file: &str, source: &str, err: CompileError) -> Diagnostic {
        let source_line = source_line(source, err.pos.line);
        Diagnostic {
            file: file.to_string(),
            line: err.pos.line,
            col: err.pos.col,
            message: err.message,
            source_line,
            hint: err.hint,
        }
    }

    /// The text printed for this diagnostic:
    /// `FILE:LINE:COL: error: MESSAGE`, the source line, a caret under the
    /// column, then `hint: ...` if there is one. A diagnostic about the
    /// whole file (line 0) is just `error: MESSAGE`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.line == 0 {
            out.push_str(&format!("error: {}\n", self.message));
        } else {
            out.push_str(&format!(
                "{}:{}:{}: error: {}\n{}\n",
                self.file, self.line, self.col, self.message, self.source_line
            ));
            // Tabs are kept under tabs so that the caret lines up however
            // the terminal expands them.
            let mut caret: String = self
                .source_line
                .chars()
                .take(self.col.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let have = caret.chars().count();
            let want = self.col.saturating_sub(1) as usize;
            caret.extend(std::iter::repeat_n(' ', want.saturating_sub(have)));
            out.push_str(&caret);
            out.push_str("^\n");
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("hint: {hint}\n"));
        }
        out
    }
}

/// Line `line` (1-based) of `source`, without its line ending; empty when
/// the line does not exist.
fn source_line(source: &str, line: u32) -> String {
    if line == 0 {
        return String::new();
    }
    source
        .split('\n')
        .nth(line as usize - 1)
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
        .unwrap_or_default()
}
