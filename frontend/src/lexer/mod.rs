//! The lexer: source text to tokens, with indentation turned into
//! `Indent`/`Dedent` tokens and line ends into `Newline` tokens (spec §1).
//!
//! Rules implemented here:
//! - Blank and comment-only lines produce nothing.
//! - Inside `(`, `[` or `{` line ends and indentation are ignored.
//! - A line indented deeper than the current block opens one (`Indent`);
//!   a shallower line closes blocks (`Dedent` each) and must land exactly on
//!   the column of an open block.
//! - A file indents with tabs or with spaces, never both.
//! - Every token records whether whitespace preceded it, which the parser
//!   needs for the statement-call shorthand (`prn x` versus `f(x)`).
//! - Interpolated strings carry the tokens of each `{...}` piece, lexed by
//!   the same code, so strings nested inside them just work.

mod literals;

use crate::diag::{CompileError, Pos, Result};

/// Deepest nesting accepted anywhere (brackets, blocks, interpolations),
/// so that no recursive phase can overflow the stack.
pub const MAX_NESTING: usize = 256;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Num(f64),
    Str(String),
    Interp(Vec<InterpPiece>),
    Name(String),
    // Keywords.
    Tru,
    Fls,
    Nil,
    If,
    Whl,
    Def,
    Ret,
    Brk,
    Cnt,
    Mat,
    Use,
    And,
    Or,
    Not,
    // Punctuation and operators.
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    Dot,
    DotDot,
    /// `?.`
    QDot,
    /// `?[`
    QBracket,
    /// `=`
    Assign,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Bang,
    /// `|`, the else bar.
    Bar,
    /// `|>`
    Pipe,
    /// `<-`
    LArrow,
    /// `=>`
    FatArrow,
    Backslash,
    // Layout.
    Newline,
    Indent,
    Dedent,
    Eof,
}

/// One piece of an interpolated string.
#[derive(Clone, Debug, PartialEq)]
pub enum InterpPiece {
    Lit(String),
    /// The tokens between `{` and `}`, ending with an `Eof` at the `}`.
    Code {
        tokens: Vec<Token>,
        pos: Pos,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub pos: Pos,
    /// Whether whitespace (or a line start) comes right before the token.
    pub space_before: bool,
}

impl Tok {
    /// How the token is named in error messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Num(_) => "a number".into(),
            Tok::Str(_) | Tok::Interp(_) => "a string".into(),
            Tok::Name(n) => format!("name '{n}'"),
            Tok::Newline => "end of line".into(),
            Tok::Indent => "indentation".into(),
            Tok::Dedent => "end of block".into(),
            Tok::Eof => "end of file".into(),
            other => match keyword_text(other) {
                Some(k) => format!("keyword '{k}'"),
                None => format!("'{}'", punct_text(other)),
            },
        }
    }
}

const KEYWORDS: &[(&str, Tok)] = &[
    ("tru", Tok::Tru),
    ("fls", Tok::Fls),
    ("nil", Tok::Nil),
    ("if", Tok::If),
    ("whl", Tok::Whl),
    ("def", Tok::Def),
    ("ret", Tok::Ret),
    ("brk", Tok::Brk),
    ("cnt", Tok::Cnt),
    ("mat", Tok::Mat),
    ("use", Tok::Use),
    ("and", Tok::And),
    ("or", Tok::Or),
    ("not", Tok::Not),
];

fn keyword_text(tok: &Tok) -> Option<&'static str> {
    KEYWORDS.iter().find(|(_, t)| t == tok).map(|(k, _)| *k)
}

fn punct_text(tok: &Tok) -> &'static str {
    match tok {
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::LBracket => "[",
        Tok::RBracket => "]",
        Tok::LBrace => "{",
        Tok::RBrace => "}",
        Tok::Comma => ",",
        Tok::Colon => ":",
        Tok::Dot => ".",
        Tok::DotDot => "..",
        Tok::QDot => "?.",
        Tok::QBracket => "?[",
        Tok::Assign => "=",
        Tok::EqEq => "==",
        Tok::NotEq => "!=",
        Tok::Lt => "<",
        Tok::Le => "<=",
        Tok::Gt => ">",
        Tok::Ge => ">=",
        Tok::Plus => "+",
        Tok::Minus => "-",
        Tok::Star => "*",
        Tok::Slash => "/",
        Tok::Percent => "%",
        Tok::Bang => "!",
        Tok::Bar => "|",
        Tok::Pipe => "|>",
        Tok::LArrow => "<-",
        Tok::FatArrow => "=>",
        Tok::Backslash => "\\",
        _ => "?",
    }
}

/// Check that `bytes` is UTF-8 without NUL bytes (spec §1) and return it as
/// text. Errors point at the offending byte.
pub fn decode_source(bytes: &[u8]) -> Result<&str> {
    let (text, bad) = match std::str::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            // The valid prefix is still searched for an earlier NUL.
            let prefix = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            (prefix, Some(e.valid_up_to()))
        }
    };
    if let Some(nul) = text.find('\0') {
        return Err(CompileError::new(
            pos_of_offset(text, nul),
            "NUL byte in source",
        ));
    }
    match bad {
        Some(offset) => Err(CompileError::new(
            pos_of_offset(text, offset),
            "invalid UTF-8 in source",
        )),
        None => Ok(text),
    }
}

fn pos_of_offset(text: &str, offset: usize) -> Pos {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() as u32 + 1;
    Pos::new(line, col)
}

/// Split source text into tokens. The result always ends with `Eof`, after
/// a `Newline` for the last line and a `Dedent` for every open block.
pub fn tokenize(source: &str) -> Result<Vec<Token>> {
    let mut chars: Vec<char> = source.chars().collect();
    if chars.first() == Some(&'\u{feff}') {
        chars.remove(0); // a UTF-8 byte-order mark is not part of the program
    }
    let mut lexer = Lexer {
        chars,
        i: 0,
        line: 1,
        col: 1,
        tokens: Vec::new(),
        indents: vec![0],
        indent_style: None,
        brackets: Vec::new(),
        line_has_tokens: false,
        space: true,
        interp_depth: 0,
        last_end: Pos::new(1, 1),
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer {
    chars: Vec<char>,
    i: usize,
    line: u32,
    col: u32,
    tokens: Vec<Token>,
    /// Columns (in indentation characters) of the open blocks; starts `[0]`.
    indents: Vec<usize>,
    /// The file's indentation character and the line that chose it.
    indent_style: Option<(char, u32)>,
    /// Open brackets and where they were opened.
    brackets: Vec<(Tok, Pos)>,
    line_has_tokens: bool,
    space: bool,
    interp_depth: usize,
    /// Just after the last real token: where end-of-file tokens point.
    last_end: Pos,
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.i + n).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn pos(&self) -> Pos {
        Pos::new(self.line, self.col)
    }

    fn run(&mut self) -> Result<()> {
        let mut at_line_start = true;
        loop {
            if at_line_start {
                at_line_start = false;
                self.indentation()?;
            }
            let Some(c) = self.peek() else { break };
            match c {
                ' ' | '\t' => {
                    self.bump();
                    self.space = true;
                }
                '\r' if self.peek_at(1) == Some('\n') => {
                    self.bump();
                }
                '\r' => {
                    return Err(CompileError::new(self.pos(), "stray carriage return")
                        .with_hint("lines must end with LF or CRLF"))
                }
                '\n' => {
                    if self.brackets.is_empty() {
                        if self.line_has_tokens {
                            let pos = self.pos();
                            self.push_layout(Tok::Newline, pos);
                            self.line_has_tokens = false;
                        }
                        at_line_start = true;
                    }
                    self.bump();
                    self.space = true;
                }
                '#' => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                _ => {
                    let pos = self.pos();
                    let tok = self.lex_token()?;
                    self.push(tok, pos)?;
                }
            }
        }
        if let Some((open, pos)) = self.brackets.first() {
            return Err(CompileError::new(
                *pos,
                format!("{} is never closed", open.describe()),
            ));
        }
        let end = self.last_end;
        if self.line_has_tokens {
            self.push_layout(Tok::Newline, end);
        }
        while self.indents.len() > 1 {
            self.indents.pop();
            self.push_layout(Tok::Dedent, end);
        }
        self.push_layout(Tok::Eof, end);
        Ok(())
    }

    /// At the start of a line outside brackets: measure the indentation and
    /// emit `Indent`/`Dedent` tokens. Blank and comment-only lines are left
    /// alone.
    fn indentation(&mut self) -> Result<()> {
        if !self.brackets.is_empty() {
            return Ok(());
        }
        let (mut width, mut spaces, mut tabs) = (0usize, false, false);
        while let Some(c @ (' ' | '\t')) = self.peek() {
            spaces |= c == ' ';
            tabs |= c == '\t';
            width += 1;
            self.bump();
        }
        match self.peek() {
            None | Some('\n' | '#') => return Ok(()),
            Some('\r') if self.peek_at(1) == Some('\n') => return Ok(()),
            _ => {}
        }
        self.space = true;
        let pos = self.pos();
        let mixed = CompileError::new(Pos::new(self.line, 1), "indentation mixes tabs and spaces");
        if spaces && tabs {
            return Err(mixed);
        }
        if width > 0 {
            let style = if tabs { '\t' } else { ' ' };
            match self.indent_style {
                None => self.indent_style = Some((style, self.line)),
                Some((first, line)) if first != style => {
                    let what = if first == '\t' { "tabs" } else { "spaces" };
                    return Err(mixed.with_hint(format!("line {line} indents with {what}")));
                }
                Some(_) => {}
            }
        }
        let top = self.indents.last().copied().unwrap_or(0);
        if width > top {
            if self.indents.len() > MAX_NESTING {
                return Err(CompileError::new(pos, "nesting too deep"));
            }
            self.indents.push(width);
            self.push_layout(Tok::Indent, pos);
        } else if width < top {
            while self.indents.last().is_some_and(|&open| open > width) {
                self.indents.pop();
                self.push_layout(Tok::Dedent, pos);
            }
            if self.indents.last().copied().unwrap_or(0) != width {
                return Err(CompileError::new(pos, "inconsistent indentation")
                    .with_hint("this line's indentation matches no enclosing block"));
            }
        }
        Ok(())
    }

    /// Record a token read from the source, tracking brackets.
    fn push(&mut self, tok: Tok, pos: Pos) -> Result<()> {
        match tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace | Tok::QBracket => {
                if self.brackets.len() >= MAX_NESTING {
                    return Err(CompileError::new(pos, "nesting too deep"));
                }
                self.brackets.push((tok.clone(), pos));
            }
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                let Some((open, open_pos)) = self.brackets.pop() else {
                    return Err(CompileError::new(
                        pos,
                        format!("unmatched {}", tok.describe()),
                    ));
                };
                let expected = match open {
                    Tok::LParen => Tok::RParen,
                    Tok::LBrace => Tok::RBrace,
                    _ => Tok::RBracket,
                };
                if tok != expected {
                    return Err(CompileError::new(
                        pos,
                        format!(
                            "expected {} to close {} at {}:{}, found {}",
                            expected.describe(),
                            open.describe(),
                            open_pos.line,
                            open_pos.col,
                            tok.describe()
                        ),
                    ));
                }
            }
            _ => {}
        }
        self.tokens.push(Token {
            tok,
            pos,
            space_before: self.space,
        });
        self.space = false;
        self.line_has_tokens = true;
        self.last_end = self.pos();
        Ok(())
    }

    fn push_layout(&mut self, tok: Tok, pos: Pos) {
        self.tokens.push(Token {
            tok,
            pos,
            space_before: true,
        });
    }

    /// Lex one token starting at the current (non-blank) character.
    fn lex_token(&mut self) -> Result<Tok> {
        let pos = self.pos();
        let c = self.peek().unwrap_or('\0');
        if c.is_ascii_digit() {
            return self.lex_number();
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let mut name = String::new();
            while let Some(c) = self
                .peek()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                name.push(c);
                self.bump();
            }
            return Ok(KEYWORDS
                .iter()
                .find(|(k, _)| *k == name)
                .map_or(Tok::Name(name), |(_, t)| t.clone()));
        }
        if c == '"' || c == '\'' {
            return Ok(Tok::Str(self.lex_string()?));
        }
        if c == '$' && matches!(self.peek_at(1), Some('"' | '\'')) {
            return self.lex_interp();
        }
        let next = self.peek_at(1);
        let (tok, len) = match (c, next) {
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            ('[', _) => (Tok::LBracket, 1),
            (']', _) => (Tok::RBracket, 1),
            ('{', _) => (Tok::LBrace, 1),
            ('}', _) => (Tok::RBrace, 1),
            (',', _) => (Tok::Comma, 1),
            (':', _) => (Tok::Colon, 1),
            ('.', Some('.')) => (Tok::DotDot, 2),
            ('.', _) => (Tok::Dot, 1),
            ('?', Some('.')) => (Tok::QDot, 2),
            ('?', Some('[')) => (Tok::QBracket, 2),
            ('=', Some('=')) => (Tok::EqEq, 2),
            ('=', Some('>')) => (Tok::FatArrow, 2),
            ('=', _) => (Tok::Assign, 1),
            ('!', Some('=')) => (Tok::NotEq, 2),
            ('!', _) => (Tok::Bang, 1),
            ('<', Some('=')) => (Tok::Le, 2),
            ('<', Some('-')) => (Tok::LArrow, 2),
            ('<', _) => (Tok::Lt, 1),
            ('>', Some('=')) => (Tok::Ge, 2),
            ('>', _) => (Tok::Gt, 1),
            ('+', _) => (Tok::Plus, 1),
            ('-', _) => (Tok::Minus, 1),
            ('*', _) => (Tok::Star, 1),
            ('/', _) => (Tok::Slash, 1),
            ('%', _) => (Tok::Percent, 1),
            ('|', Some('>')) => (Tok::Pipe, 2),
            ('|', _) => (Tok::Bar, 1),
            ('\\', _) => (Tok::Backslash, 1),
            _ => {
                return Err(CompileError::new(
                    pos,
                    format!("unexpected character '{}'", c.escape_debug()),
                ))
            }
        };
        for _ in 0..len {
            self.bump();
        }
        Ok(tok)
    }
}
