//! Literals: numbers (spec §1: `42`, `3.14`, `1e9`, `2.5e-3`, `0xFF`, `_`
//! separators between digits), strings in either quote style with their
//! escapes, and interpolated strings, whose `{...}` pieces are lexed into
//! tokens here by the main lexer's own token code.

use super::{InterpPiece, Lexer, Tok, Token, MAX_NESTING};
use crate::diag::{CompileError, Pos, Result};

impl Lexer {
    pub(super) fn lex_number(&mut self) -> Result<Tok> {
        let start = self.pos();
        let invalid = || CompileError::new(start, "invalid number literal");
        let too_large = || CompileError::new(start, "number literal is too large");
        let value = if self.peek() == Some('0') && matches!(self.peek_at(1), Some('x' | 'X')) {
            self.bump();
            self.bump();
            let digits = self.digits(16, start)?;
            // u128 holds any hex literal a program plausibly contains; the
            // conversion to f64 rounds to nearest like a decimal literal.
            u128::from_str_radix(&digits, 16).map_err(|_| too_large())? as f64
        } else {
            let mut text = self.digits(10, start)?;
            if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
                text.push('.');
                text.push_str(&self.digits(10, start)?);
            }
            if matches!(self.peek(), Some('e' | 'E')) {
                let digit_at = |n: usize| self.peek_at(n).is_some_and(|c| c.is_ascii_digit());
                let sign = matches!(self.peek_at(1), Some('+' | '-'));
                if !(digit_at(1) || (sign && digit_at(2))) {
                    return Err(
                        invalid().with_hint("an exponent needs digits, as in 1e9 or 2.5e-3")
                    );
                }
                self.bump();
                text.push('e');
                if sign {
                    text.push(self.bump().unwrap_or('+'));
                }
                text.push_str(&self.digits(10, start)?);
            }
            let value: f64 = text.parse().map_err(|_| invalid())?;
            if value.is_infinite() {
                return Err(too_large());
            }
            value
        };
        match self.peek() {
            Some('_') => return Err(invalid().with_hint("'_' may only separate digits")),
            Some(c) if c.is_ascii_alphanumeric() => return Err(invalid()),
            _ => {}
        }
        Ok(Tok::Num(value))
    }

    /// A run of digits in `radix` with single `_` separators between digits;
    /// returns the digits without separators.
    fn digits(&mut self, radix: u32, start: Pos) -> Result<String> {
        let mut digits = String::new();
        loop {
            match self.peek() {
                Some(c) if c.is_digit(radix) => {
                    digits.push(c);
                    self.bump();
                }
                Some('_')
                    if !digits.is_empty() && self.peek_at(1).is_some_and(|c| c.is_digit(radix)) =>
                {
                    self.bump();
                }
                _ => break,
            }
        }
        if digits.is_empty() {
            return Err(CompileError::new(start, "invalid number literal"));
        }
        Ok(digits)
    }

    /// A plain string literal; the current character is its quote.
    pub(super) fn lex_string(&mut self) -> Result<String> {
        let start = self.pos();
        let quote = self.bump().unwrap_or('"');
        let mut text = String::new();
        loop {
            match self.peek() {
                None | Some('\n' | '\r') => {
                    return Err(CompileError::new(start, "unterminated string")
                        .with_hint("strings end on the line they start; use \\n for a line break"))
                }
                Some(c) if c == quote => {
                    self.bump();
                    return Ok(text);
                }
                Some('\\') => text.push(self.lex_escape(start)?),
                Some(c) => {
                    text.push(c);
                    self.bump();
                }
            }
        }
    }

    /// An escape sequence; the current character is the backslash.
    fn lex_escape(&mut self, string_start: Pos) -> Result<char> {
        let pos = self.pos();
        self.bump();
        let c = match self.peek() {
            None | Some('\n' | '\r') => {
                return Err(CompileError::new(string_start, "unterminated string"))
            }
            Some(c) => c,
        };
        self.bump();
        Ok(match c {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '0' => '\0',
            '\\' | '"' | '\'' => c,
            'u' => {
                let bad = || {
                    CompileError::new(pos, "invalid unicode escape").with_hint(
                        "write \\u{...} with 1 to 6 hex digits naming a Unicode scalar value",
                    )
                };
                if self.peek() != Some('{') {
                    return Err(bad());
                }
                self.bump();
                let mut hex = String::new();
                while let Some(d) = self.peek().filter(|d| d.is_ascii_hexdigit()) {
                    hex.push(d);
                    self.bump();
                }
                if self.peek() != Some('}') || hex.is_empty() || hex.len() > 6 {
                    return Err(bad());
                }
                self.bump();
                u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(bad)?
            }
            other => {
                return Err(CompileError::new(
                    pos,
                    format!("unknown escape '\\{}'", other.escape_debug()),
                )
                .with_hint("valid escapes are \\n \\t \\r \\0 \\\\ \\\" \\' and \\u{...}"))
            }
        })
    }

    /// An interpolated string `$"..."`; the current character is the `$`.
    pub(super) fn lex_interp(&mut self) -> Result<Tok> {
        let start = self.pos();
        self.bump();
        let quote = self.bump().unwrap_or('"');
        let mut pieces = Vec::new();
        let mut lit = String::new();
        loop {
            match self.peek() {
                None | Some('\n' | '\r') => {
                    return Err(CompileError::new(start, "unterminated string"))
                }
                Some(c) if c == quote => {
                    self.bump();
                    break;
                }
                Some('\\') => lit.push(self.lex_escape(start)?),
                Some('{') if self.peek_at(1) == Some('{') => {
                    self.bump();
                    self.bump();
                    lit.push('{');
                }
                Some('}') if self.peek_at(1) == Some('}') => {
                    self.bump();
                    self.bump();
                    lit.push('}');
                }
                Some('}') => {
                    return Err(
                        CompileError::new(self.pos(), "single '}' in interpolated string")
                            .with_hint("write '}}' for a literal brace"),
                    )
                }
                Some('{') => {
                    if !lit.is_empty() {
                        pieces.push(InterpPiece::Lit(std::mem::take(&mut lit)));
                    }
                    let pos = self.pos();
                    self.bump();
                    let tokens = self.lex_interp_code(pos)?;
                    pieces.push(InterpPiece::Code { tokens, pos });
                }
                Some(c) => {
                    lit.push(c);
                    self.bump();
                }
            }
        }
        if !lit.is_empty() {
            pieces.push(InterpPiece::Lit(lit));
        }
        Ok(Tok::Interp(pieces))
    }

    /// The tokens of one `{...}` piece, up to the matching `}` (consumed).
    fn lex_interp_code(&mut self, open: Pos) -> Result<Vec<Token>> {
        if self.interp_depth >= MAX_NESTING {
            return Err(CompileError::new(open, "nesting too deep"));
        }
        self.interp_depth += 1;
        let outer_tokens = std::mem::take(&mut self.tokens);
        let outer_brackets = std::mem::take(&mut self.brackets);
        let (outer_space, outer_line) = (self.space, self.line_has_tokens);
        let result = self.lex_interp_tokens(open);
        let tokens = std::mem::replace(&mut self.tokens, outer_tokens);
        self.brackets = outer_brackets;
        self.space = outer_space;
        self.line_has_tokens = outer_line;
        self.interp_depth -= 1;
        result.map(|()| tokens)
    }

    fn lex_interp_tokens(&mut self, open: Pos) -> Result<()> {
        self.space = false;
        loop {
            match self.peek() {
                None | Some('\n' | '\r') => {
                    return Err(CompileError::new(
                        open,
                        "unterminated '{' in interpolated string",
                    ))
                }
                Some(' ' | '\t') => {
                    self.bump();
                    self.space = true;
                }
                Some('#') => {
                    return Err(CompileError::new(
                        self.pos(),
                        "comments are not allowed inside an interpolation",
                    ))
                }
                Some('}') if self.brackets.is_empty() => {
                    let end = self.pos();
                    self.bump();
                    if self.tokens.is_empty() {
                        return Err(CompileError::new(open, "empty interpolation '{}'")
                            .with_hint("write '{{' for a literal brace"));
                    }
                    self.push_layout(Tok::Eof, end);
                    return Ok(());
                }
                Some(_) => {
                    let pos = self.pos();
                    let tok = self.lex_token()?;
                    self.push(tok, pos)?;
                }
            }
        }
    }
}
