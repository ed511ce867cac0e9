//! Compile diagnostics: positions, the internal error type every phase
//! returns, and the user-facing [`Diagnostic`] the CLI prints.
//!
//! Rendering is done by `codespan-reporting` (the source line with a gutter,
//! the span underlined, the hint as a note). Its header line is
//! rustc-style (`error: MESSAGE` then ` --> FILE:LINE:COL`); spec §7 fixes
//! the first line as gcc-style `FILE:LINE:COL: error: MESSAGE`, so
//! [`Diagnostic::render`] writes that line itself and keeps the crate's
//! output from the source snippet on.

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, Chars, Config};
use std::ops::Range;

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
    /// How many code points from `pos` the error covers (at least 1; the
    /// underline is clipped to the end of the line).
    pub width: u32,
    pub message: String,
    pub hint: Option<String>,
}

impl CompileError {
    pub fn new(pos: Pos, message: impl Into<String>) -> CompileError {
        CompileError {
            pos,
            width: 1,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> CompileError {
        self.hint = Some(hint.into());
        self
    }

    /// Underline `width` code points (e.g. a whole name) instead of one.
    pub fn with_width(mut self, width: usize) -> CompileError {
        self.width = width.clamp(1, u32::MAX as usize) as u32;
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
    /// Code points underlined from `col` (at least 1).
    pub width: u32,
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
            width: err.width.max(1),
            message: err.message,
            source_line,
            hint: err.hint,
        }
    }

    /// A diagnostic about the file as a whole (no position).
    pub fn file_level(file: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.to_string(),
            line: 0,
            col: 0,
            width: 1,
            message: message.into(),
            source_line: String::new(),
            hint: None,
        }
    }

    /// The text printed for this diagnostic:
    ///
    /// ```text
    /// prog.ilu:2:5: error: undefined name 'fooo'
    ///   |
    /// 2 | prn(fooo + 2)
    ///   |     ^^^^
    ///   |
    ///   = hint: did you mean 'foo'?
    /// ```
    ///
    /// A diagnostic about the whole file (line 0) is `error: MESSAGE`, then
    /// the hint if there is one.
    pub fn render(&self) -> String {
        if self.line == 0 {
            let mut out = format!("error: {}\n", self.message);
            if let Some(hint) = &self.hint {
                out.push_str(&format!("hint: {hint}\n"));
            }
            return out;
        }
        let mut out = format!(
            "{}:{}:{}: error: {}\n",
            self.file, self.line, self.col, self.message
        );
        let snippet = OneLine {
            name: &self.file,
            line: self.line as usize,
            text: &self.source_line,
        };
        let span = snippet.span(self.col, self.width);
        let mut report = Report::error()
            .with_message(&self.message)
            .with_labels(vec![Label::primary((), span)]);
        if let Some(hint) = &self.hint {
            report = report.with_notes(vec![format!("hint: {hint}")]);
        }
        let config = Config {
            chars: Chars::ascii(),
            ..Config::default()
        };
        match term::emit_into_string(&config, &snippet, &report) {
            Ok(rendered) => {
                // Skip the crate's header (`error: MESSAGE`) and locus
                // (` --> FILE:LINE:COL`) lines: the first line above says both.
                let body = rendered.splitn(3, '\n').nth(2).unwrap_or("");
                for line in body.lines() {
                    out.push_str(line.trim_end());
                    out.push('\n');
                }
                while out.ends_with("\n\n") {
                    out.pop();
                }
            }
            // Only if the span were outside the line, which `span` prevents.
            Err(_) => out.push_str(&format!("{}\n", self.source_line)),
        }
        out
    }
}

/// The one source line a diagnostic quotes, presented to codespan as a file
/// whose only line is number `line`: diagnostics carry that line, not the
/// whole source.
struct OneLine<'a> {
    name: &'a str,
    line: usize,
    text: &'a str,
}

impl OneLine<'_> {
    /// Byte range of `width` code points from column `col` (1-based),
    /// clipped to the line; an empty range at the end of the line when the
    /// column is past it (an error at the end of a line or file).
    fn span(&self, col: u32, width: u32) -> Range<usize> {
        let byte_at = |c: usize| {
            self.text
                .char_indices()
                .nth(c)
                .map_or(self.text.len(), |(b, _)| b)
        };
        let start = byte_at(col.saturating_sub(1) as usize);
        let end = byte_at(col.saturating_sub(1) as usize + width.max(1) as usize);
        start..end.max(start)
    }
}

impl<'a> Files<'a> for OneLine<'a> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> std::result::Result<&'a str, FilesError> {
        Ok(self.name)
    }

    fn source(&'a self, (): ()) -> std::result::Result<&'a str, FilesError> {
        Ok(self.text)
    }

    fn line_index(&'a self, (): (), _byte: usize) -> std::result::Result<usize, FilesError> {
        Ok(0)
    }

    fn line_number(&'a self, (): (), _index: usize) -> std::result::Result<usize, FilesError> {
        Ok(self.line)
    }

    fn line_range(&'a self, (): (), index: usize) -> std::result::Result<Range<usize>, FilesError> {
        if index == 0 {
            Ok(0..self.text.len())
        } else {
            Err(FilesError::LineTooLarge {
                given: index,
                max: 0,
            })
        }
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
