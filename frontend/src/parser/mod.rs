//! The parser: tokens to [`Program`]. Statements are handled here,
//! expressions (a Pratt parser over spec §4's table) in [`expr`].
//!
//! Layout: a statement ends at a `Newline`, or right after a block it
//! contains (the block's `Dedent` already ended the line). A body after `:`
//! (or after `=` of a function, or after an else bar `|`) is either the rest
//! of the line, parsed as one statement, or a `Newline` followed by an
//! indented block.
//!
//! Every recursive path goes through [`Parser::enter`], which bounds the
//! depth of the tree at [`MAX_NESTING`] so that later recursive phases are
//! safe whatever the input.

mod expr;

use crate::ast::*;
use crate::diag::{CompileError, Pos, Result};
use crate::lexer::{Tok, Token, MAX_NESTING};

/// Parse a token stream (as produced by [`crate::lexer::tokenize`]).
/// After an error the parser skips to the next top-level statement and
/// goes on, so one run reports every independent syntax error (in source
/// order); any error means no program.
pub fn parse(tokens: Vec<Token>) -> std::result::Result<Program, Vec<CompileError>> {
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
        next_function_id: 0,
        errors: Vec::new(),
        statement_start: 0,
    };
    if parser.tokens.last().map(|t| &t.tok) != Some(&Tok::Eof) {
        let pos = parser.tokens.last().map_or(Pos::new(1, 1), |t| t.pos);
        parser.tokens.push(Token {
            tok: Tok::Eof,
            pos,
            space_before: true,
        });
    }
    let body = parser.top_level();
    if !parser.errors.is_empty() {
        return Err(parser.errors);
    }
    Ok(Program {
        body,
        function_count: parser.next_function_id,
    })
}

pub(crate) struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    next_function_id: usize,
    /// Errors of the statements skipped so far (see [`Parser::top_level`]).
    errors: Vec<CompileError>,
    /// Token index where the current top-level statement began.
    statement_start: usize,
}

impl Parser {
    // ----- token access -----

    fn token_at(&self, n: usize) -> &Token {
        let last = self.tokens.len() - 1; // never empty: ends with Eof
        &self.tokens[(self.pos + n).min(last)]
    }

    fn peek(&self) -> &Tok {
        &self.token_at(0).tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.token_at(n).tok
    }

    fn here(&self) -> Pos {
        self.token_at(0).pos
    }

    fn advance(&mut self) -> Token {
        let token = self.token_at(0).clone();
        if token.tok != Tok::Eof {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == tok {
            self.advance();
            true
        } else {
            false
        }
    }

    fn unexpected(&self, expected: &str) -> CompileError {
        CompileError::new(
            self.here(),
            format!("expected {expected}, found {}", self.peek().describe()),
        )
    }

    fn expect(&mut self, tok: &Tok) -> Result<Token> {
        if self.peek() == tok {
            Ok(self.advance())
        } else {
            Err(self.unexpected(&tok.describe()))
        }
    }

    fn expect_name(&mut self, what: &str) -> Result<Ident> {
        match self.peek().clone() {
            Tok::Name(name) => {
                let pos = self.advance().pos;
                Ok(Ident { name, pos })
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn expect_colon(&mut self) -> Result<()> {
        if self.eat(&Tok::Colon) {
            return Ok(());
        }
        let err = self.unexpected("':'");
        Err(if self.peek() == &Tok::Assign {
            err.with_hint("use '==' to compare")
        } else {
            err
        })
    }

    /// Whether the token before the current one closed a block.
    pub(crate) fn prev_is_dedent(&self) -> bool {
        self.pos > 0 && self.tokens[self.pos - 1].tok == Tok::Dedent
    }

    /// Go one level deeper; fails past [`MAX_NESTING`]. Callers pair it with
    /// [`Parser::leave`] on success (after an error parsing stops anyway).
    fn enter(&mut self, pos: Pos) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(CompileError::new(pos, "nesting too deep"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn new_function_id(&mut self) -> usize {
        self.next_function_id += 1;
        self.next_function_id - 1
    }

    // ----- statements -----

    /// The statements of the file. A statement with a syntax error is
    /// recorded and skipped (with any block it opened), and parsing resumes
    /// at the next top-level line: later errors are independent of it.
    fn top_level(&mut self) -> Block {
        let mut stmts = Vec::new();
        loop {
            match self.statements(true) {
                Ok(mut rest) => {
                    stmts.append(&mut rest);
                    return stmts;
                }
                Err(mut e) => {
                    if e.hint.is_none() {
                        if let Some(hint) = self.foreign_keyword_hint() {
                            e = e.with_hint(hint);
                        }
                    }
                    self.errors.push(e);
                    self.depth = 0;
                    if !self.skip_to_next_top_level_line() {
                        return stmts;
                    }
                }
            }
        }
    }

    /// A hint when the failed top-level statement begins with a keyword of
    /// another language (`while`, `return`, ...).
    fn foreign_keyword_hint(&self) -> Option<String> {
        match &self.tokens.get(self.statement_start)?.tok {
            Tok::Name(name) => crate::suggest::foreign_keyword(name),
            _ => None,
        }
    }

    /// Move past the top-level statement that failed: from its first token
    /// (at block level 0) to the first line break at level 0 at or after the
    /// error, or past the `Dedent` that closes the statement's block. False
    /// at the end of the file.
    fn skip_to_next_top_level_line(&mut self) -> bool {
        let mut level: usize = 0;
        let mut i = self.statement_start;
        while i < self.tokens.len() {
            let at_or_after_error = i >= self.pos;
            match self.tokens[i].tok {
                Tok::Eof => break,
                Tok::Indent => level += 1,
                Tok::Dedent => {
                    level = level.saturating_sub(1);
                    if level == 0 && at_or_after_error {
                        self.pos = i + 1;
                        return true;
                    }
                }
                // A line break followed by an indented block: the block
                // belongs to the failed statement; skip it too.
                Tok::Newline
                    if level == 0
                        && at_or_after_error
                        && self.tokens.get(i + 1).map(|t| &t.tok) != Some(&Tok::Indent) =>
                {
                    self.pos = i + 1;
                    return true;
                }
                _ => {}
            }
            i += 1;
        }
        self.pos = self.tokens.len() - 1;
        false
    }

    /// Statements up to the end of the file (`top`) or of the block.
    fn statements(&mut self, top: bool) -> Result<Block> {
        let mut stmts = Vec::new();
        loop {
            match self.peek() {
                Tok::Eof if top => break,
                Tok::Dedent if !top => break,
                Tok::Indent => {
                    return Err(CompileError::new(self.here(), "unexpected indentation")
                        .with_hint("only a line ending in ':' or a function's '=' opens a block"))
                }
                Tok::Newline => {
                    self.advance();
                    continue;
                }
                _ => {}
            }
            if top {
                self.statement_start = self.pos;
            }
            stmts.push(self.statement()?);
            self.end_of_statement()?;
        }
        Ok(stmts)
    }

    fn end_of_statement(&mut self) -> Result<()> {
        match self.peek() {
            Tok::Newline => {
                self.advance();
                Ok(())
            }
            Tok::Eof | Tok::Dedent => Ok(()),
            _ if self.prev_is_dedent() => Ok(()),
            Tok::Bar => Err(self
                .unexpected("end of line")
                .with_hint("'|' (else) must follow the body of an 'if'")),
            _ => Err(self.unexpected("end of line")),
        }
    }

    /// `Newline Indent statements Dedent`.
    fn indented_block(&mut self) -> Result<Block> {
        self.expect(&Tok::Newline)?;
        if self.peek() != &Tok::Indent {
            return Err(self.unexpected("an indented block"));
        }
        let pos = self.advance().pos;
        self.enter(pos)?;
        let block = self.statements(false)?;
        self.expect(&Tok::Dedent)?;
        self.leave();
        Ok(block)
    }

    /// The body after `:`, `|` or a function's `=`: an indented block, or
    /// one statement on the rest of the line.
    fn body(&mut self) -> Result<Block> {
        match self.peek() {
            Tok::Newline => self.indented_block(),
            Tok::Eof => Err(self.unexpected("a statement or an indented block")),
            _ => Ok(vec![self.statement()?]),
        }
    }

    fn statement(&mut self) -> Result<Stmt> {
        let pos = self.here();
        self.enter(pos)?;
        let kind = match self.peek().clone() {
            Tok::Whl => {
                self.advance();
                let cond = self.expr()?;
                self.expect_colon()?;
                let body = self.body()?;
                StmtKind::While { cond, body }
            }
            Tok::Ret => {
                self.advance();
                let value = if expr::starts_expression(self.peek()) {
                    Some(self.expr()?)
                } else {
                    None
                };
                StmtKind::Ret(value)
            }
            Tok::Brk => {
                self.advance();
                StmtKind::Brk
            }
            Tok::Cnt => {
                self.advance();
                StmtKind::Cnt
            }
            Tok::Def => {
                self.advance();
                let target = self.expect_name("a name after 'def'")?;
                self.expect(&Tok::Assign)?;
                let value = self.expr()?;
                StmtKind::Def { target, value }
            }
            Tok::Use => self.use_statement()?,
            Tok::Name(name) if self.peek_at(1) == &Tok::LArrow => self.for_loop(name)?,
            Tok::Name(name) if self.is_shorthand_call() => self.shorthand_call(name)?,
            _ => {
                let target = self.expr()?;
                if self.peek() == &Tok::Assign {
                    self.assignment(target)?
                } else {
                    StmtKind::Expr(target)
                }
            }
        };
        self.leave();
        Ok(Stmt { pos, kind })
    }

    /// Spec §5: a name, whitespace, then a token that can start an
    /// expression and is not a binary operator (`-` counts as one).
    fn is_shorthand_call(&self) -> bool {
        let next = self.token_at(1);
        next.space_before && next.tok != Tok::Minus && expr::starts_expression(&next.tok)
    }

    fn shorthand_call(&mut self, name: String) -> Result<StmtKind> {
        let pos = self.advance().pos;
        let arg = self.expr()?;
        if self.peek() == &Tok::Assign {
            return Err(
                CompileError::new(self.here(), "cannot assign to a call").with_hint(
                    "a function definition has no space between its name and '(': f(x) = ...",
                ),
            );
        }
        let callee = Expr {
            pos,
            kind: ExprKind::Name(name),
        };
        Ok(StmtKind::Expr(Expr {
            pos,
            kind: ExprKind::Call {
                callee: Box::new(callee),
                args: vec![arg],
            },
        }))
    }

    fn for_loop(&mut self, name: String) -> Result<StmtKind> {
        let var = Ident {
            name,
            pos: self.advance().pos,
        };
        self.advance(); // `<-`
        let first = self.expr()?;
        let iter = if self.eat(&Tok::DotDot) {
            let to = self.expr()?;
            ForIter::Range { from: first, to }
        } else {
            ForIter::Value(first)
        };
        self.expect_colon()?;
        let body = self.body()?;
        Ok(StmtKind::For { var, iter, body })
    }

    fn use_statement(&mut self) -> Result<StmtKind> {
        self.advance();
        let pos = self.here();
        match self.peek().clone() {
            Tok::Name(name) => {
                self.advance();
                Ok(StmtKind::Use(UseTarget::Module(Ident { name, pos })))
            }
            Tok::Str(path) => {
                self.advance();
                Ok(StmtKind::Use(UseTarget::File { path, pos }))
            }
            _ => Err(self.unexpected("a module name or a file path after 'use'")),
        }
    }

    /// `target = ...` where `target` was parsed as an expression: a name, a
    /// field, an index, or `name(params)` for a function definition.
    fn assignment(&mut self, target: Expr) -> Result<StmtKind> {
        let eq = self.advance().pos;
        let target_pos = target.pos;
        match target.kind {
            ExprKind::Name(name) => Ok(StmtKind::Assign {
                target: Ident {
                    name,
                    pos: target_pos,
                },
                value: self.expr()?,
            }),
            ExprKind::Field {
                object,
                field,
                nil_safe: false,
            } => Ok(StmtKind::FieldAssign {
                object: *object,
                field,
                value: self.expr()?,
            }),
            ExprKind::Index {
                object,
                index,
                nil_safe: false,
            } => Ok(StmtKind::IndexAssign {
                object: *object,
                index: *index,
                value: self.expr()?,
            }),
            ExprKind::Call { callee, args } => match callee.kind {
                ExprKind::Name(name)
                    if callee.pos.line == target_pos.line
                        && callee.pos.col as usize + name.len() == target_pos.col as usize =>
                {
                    let name = Ident {
                        name,
                        pos: callee.pos,
                    };
                    self.function_definition(name, args)
                }
                _ => Err(CompileError::new(eq, "invalid assignment target")),
            },
            _ => Err(CompileError::new(eq, "invalid assignment target")),
        }
    }

    fn function_definition(&mut self, name: Ident, args: Vec<Expr>) -> Result<StmtKind> {
        let mut params: Vec<Ident> = Vec::new();
        for arg in args {
            let ExprKind::Name(param) = arg.kind else {
                return Err(CompileError::new(
                    arg.pos,
                    "function parameters must be names",
                ));
            };
            if params.iter().any(|p| p.name == param) {
                return Err(CompileError::new(
                    arg.pos,
                    format!("duplicate parameter '{param}'"),
                ));
            }
            params.push(Ident {
                name: param,
                pos: arg.pos,
            });
        }
        let id = self.new_function_id();
        let body = self.body()?;
        Ok(StmtKind::FuncDef(Box::new(FuncDef {
            id,
            name,
            params,
            body,
        })))
    }
}
