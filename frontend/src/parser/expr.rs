//! Expressions: a Pratt parser over the precedence table of spec §4.
//!
//! Binding power, loosest first: pipeline `|>` (1), `or` (2), `and` (3),
//! comparisons (4, non-associative), `+ -` (5), `* / %` (6); then the
//! prefix operators, then the postfix ones (call, index, field).
//!
//! A left-leaning chain (`a + b + c`, `f(x)(y)`, `a.b.c`) nests in the tree
//! without nesting in the parser, so each link counts toward the nesting
//! limit too: the limit bounds the tree's depth, not just the parser's.

use super::Parser;
use crate::ast::*;
use crate::diag::{CompileError, Result};
use crate::lexer::{InterpPiece, Tok, Token};

/// Whether `tok` can begin an expression (used for `ret EXPR` and for the
/// statement-call shorthand).
pub(super) fn starts_expression(tok: &Tok) -> bool {
    matches!(
        tok,
        Tok::Num(_)
            | Tok::Str(_)
            | Tok::Interp(_)
            | Tok::Name(_)
            | Tok::Tru
            | Tok::Fls
            | Tok::Nil
            | Tok::If
            | Tok::Mat
            | Tok::Not
            | Tok::Bang
            | Tok::Minus
            | Tok::LParen
            | Tok::LBracket
            | Tok::LBrace
            | Tok::Backslash
    )
}

/// The binary operators: binding power and what they build.
enum Infix {
    Pipe,
    Logical(LogicalOp),
    Binary(BinaryOp),
}

fn infix(tok: &Tok) -> Option<(u8, Infix)> {
    use BinaryOp::*;
    Some(match tok {
        Tok::Pipe => (1, Infix::Pipe),
        Tok::Or => (2, Infix::Logical(LogicalOp::Or)),
        Tok::And => (3, Infix::Logical(LogicalOp::And)),
        Tok::EqEq => (4, Infix::Binary(Eq)),
        Tok::NotEq => (4, Infix::Binary(Ne)),
        Tok::Lt => (4, Infix::Binary(Lt)),
        Tok::Le => (4, Infix::Binary(Le)),
        Tok::Gt => (4, Infix::Binary(Gt)),
        Tok::Ge => (4, Infix::Binary(Ge)),
        Tok::Plus => (5, Infix::Binary(Add)),
        Tok::Minus => (5, Infix::Binary(Sub)),
        Tok::Star => (6, Infix::Binary(Mul)),
        Tok::Slash => (6, Infix::Binary(Div)),
        Tok::Percent => (6, Infix::Binary(Mod)),
        _ => return None,
    })
}

const COMPARISON: u8 = 4;

impl Parser {
    /// A full expression (loosest binding power).
    pub(super) fn expr(&mut self) -> Result<Expr> {
        let pos = self.here();
        self.enter(pos)?;
        let e = self.binary(1)?;
        self.leave();
        Ok(e)
    }

    fn binary(&mut self, min_power: u8) -> Result<Expr> {
        let mut lhs = self.unary()?;
        let mut links = 0;
        while let Some((power, op)) = infix(self.peek()) {
            // A block (`if c:` + indented lines) ends its statement: an
            // operator on the next line starts a new one.
            if power < min_power || self.prev_is_dedent() {
                break;
            }
            let pos = self.advance().pos;
            links += 1;
            self.enter(pos)?;
            lhs = match op {
                Infix::Pipe => self.pipeline(lhs, pos)?,
                Infix::Logical(op) => {
                    let rhs = self.binary(power + 1)?;
                    Expr {
                        pos,
                        kind: ExprKind::Logical {
                            op,
                            lhs: Box::new(lhs),
                            rhs: Box::new(rhs),
                        },
                    }
                }
                Infix::Binary(op) => {
                    let rhs = self.binary(power + 1)?;
                    Expr {
                        pos,
                        kind: ExprKind::Binary {
                            op,
                            lhs: Box::new(lhs),
                            rhs: Box::new(rhs),
                        },
                    }
                }
            };
            if power == COMPARISON && infix(self.peek()).is_some_and(|(p, _)| p == COMPARISON) {
                return Err(CompileError::new(
                    self.here(),
                    "comparison operators cannot be chained",
                )
                .with_hint("combine comparisons with 'and': a < b and b < c"));
            }
        }
        self.depth -= links;
        Ok(lhs)
    }

    /// The right side of `|>`: `x |> f` is `f(x)`, `x |> f(a)` is
    /// `f(x, a)`, `x |> .name` is `x.name`.
    fn pipeline(&mut self, value: Expr, pos: crate::diag::Pos) -> Result<Expr> {
        if self.eat(&Tok::Dot) {
            let field = self.expect_name("a field name after '|> .'")?;
            return Ok(Expr {
                pos,
                kind: ExprKind::Field {
                    object: Box::new(value),
                    field,
                    nil_safe: false,
                },
            });
        }
        let target = self.binary(2)?;
        let (callee, args) = match target.kind {
            ExprKind::Call { callee, mut args } => {
                args.insert(0, value);
                (callee, args)
            }
            kind => (
                Box::new(Expr {
                    pos: target.pos,
                    kind,
                }),
                vec![value],
            ),
        };
        Ok(Expr {
            pos,
            kind: ExprKind::Call { callee, args },
        })
    }

    fn unary(&mut self) -> Result<Expr> {
        let op = match self.peek() {
            Tok::Minus => UnaryOp::Neg,
            Tok::Bang | Tok::Not => UnaryOp::Not,
            _ => return self.postfix(),
        };
        let pos = self.advance().pos;
        self.enter(pos)?;
        let operand = self.unary()?;
        self.leave();
        Ok(Expr {
            pos,
            kind: ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
        })
    }

    fn postfix(&mut self) -> Result<Expr> {
        let mut e = self.primary()?;
        let mut links = 0;
        loop {
            if self.prev_is_dedent() {
                // `if c:` + block, then `(2)` on the next line: two statements
                // (found by difftest, finding F1).
                break;
            }
            let pos = self.here();
            let kind = match self.peek() {
                Tok::LParen => {
                    self.advance();
                    let args = self.comma_list(&Tok::RParen)?;
                    ExprKind::Call {
                        callee: Box::new(e),
                        args,
                    }
                }
                Tok::LBracket | Tok::QBracket => {
                    let nil_safe = self.advance().tok == Tok::QBracket;
                    let index = self.expr()?;
                    self.expect(&Tok::RBracket)?;
                    ExprKind::Index {
                        object: Box::new(e),
                        index: Box::new(index),
                        nil_safe,
                    }
                }
                Tok::Dot | Tok::QDot => {
                    let nil_safe = self.advance().tok == Tok::QDot;
                    let field = self.expect_name("a field name")?;
                    ExprKind::Field {
                        object: Box::new(e),
                        field,
                        nil_safe,
                    }
                }
                _ => break,
            };
            links += 1;
            self.enter(pos)?;
            e = Expr { pos, kind };
        }
        self.depth -= links;
        Ok(e)
    }

    /// Expressions separated by commas up to `close` (consumed); a trailing
    /// comma is allowed.
    fn comma_list(&mut self, close: &Tok) -> Result<Vec<Expr>> {
        let mut items = Vec::new();
        while self.peek() != close {
            items.push(self.expr()?);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(close)?;
        Ok(items)
    }

    fn primary(&mut self) -> Result<Expr> {
        let token = self.advance();
        let pos = token.pos;
        let kind = match token.tok {
            Tok::Num(n) => ExprKind::Num(n),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::Tru => ExprKind::True,
            Tok::Fls => ExprKind::False,
            Tok::Nil => ExprKind::Nil,
            Tok::Name(name) => ExprKind::Name(name),
            Tok::Interp(pieces) => {
                let mut parts = Vec::new();
                for piece in pieces {
                    parts.push(match piece {
                        InterpPiece::Lit(s) => InterpPart::Lit(s),
                        InterpPiece::Code { tokens, .. } => {
                            InterpPart::Expr(self.interpolated_expr(tokens)?)
                        }
                    });
                }
                ExprKind::Interp(parts)
            }
            Tok::LParen => {
                let inner = self.expr()?;
                self.expect(&Tok::RParen)?;
                return Ok(inner);
            }
            Tok::LBracket => ExprKind::List(self.comma_list(&Tok::RBracket)?),
            Tok::LBrace => ExprKind::Object(self.object_entries()?),
            Tok::Backslash => self.lambda()?,
            Tok::If => self.if_expr()?,
            Tok::Mat => self.match_expr()?,
            tok => {
                self.pos -= usize::from(tok != Tok::Eof); // report the token itself
                let err = self.unexpected("an expression");
                return Err(match tok {
                    Tok::Bar => err.with_hint("'|' (else) must follow the body of an 'if'"),
                    _ => err,
                });
            }
        };
        Ok(Expr { pos, kind })
    }

    /// Parse the tokens of one `{...}` of an interpolated string.
    fn interpolated_expr(&mut self, tokens: Vec<Token>) -> Result<Expr> {
        let outer_tokens = std::mem::replace(&mut self.tokens, tokens);
        let outer_pos = std::mem::replace(&mut self.pos, 0);
        let result = self.expr().and_then(|e| {
            if self.peek() == &Tok::Eof {
                Ok(e)
            } else {
                Err(self.unexpected("'}'"))
            }
        });
        self.tokens = outer_tokens;
        self.pos = outer_pos;
        result
    }

    fn object_entries(&mut self) -> Result<Vec<(Ident, Expr)>> {
        let mut entries = Vec::new();
        while self.peek() != &Tok::RBrace {
            let pos = self.here();
            let key = match self.peek().clone() {
                Tok::Name(name) | Tok::Str(name) => {
                    self.advance();
                    Ident { name, pos }
                }
                _ => return Err(self.unexpected("a key (a name or a string)")),
            };
            self.expect(&Tok::Colon)?;
            entries.push((key, self.expr()?));
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(&Tok::RBrace)?;
        Ok(entries)
    }

    /// `\(params) body`; the backslash is consumed.
    fn lambda(&mut self) -> Result<ExprKind> {
        self.expect(&Tok::LParen)?;
        let mut params: Vec<Ident> = Vec::new();
        while self.peek() != &Tok::RParen {
            let param = self.expect_name("a parameter name")?;
            if params.iter().any(|p| p.name == param.name) {
                return Err(CompileError::new(
                    param.pos,
                    format!("duplicate parameter '{}'", param.name),
                ));
            }
            params.push(param);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(&Tok::RParen)?;
        let id = self.new_function_id();
        let body = self.expr()?;
        Ok(ExprKind::Lambda {
            id,
            params,
            body: Box::new(body),
        })
    }

    /// `if cond: body [| body]`; the `if` is consumed. An else bar may start
    /// the next line after a one-line body, as it does after a block.
    fn if_expr(&mut self) -> Result<ExprKind> {
        let cond = self.expr()?;
        self.expect_colon()?;
        let then = self.body()?;
        if self.peek() == &Tok::Newline && self.peek_at(1) == &Tok::Bar {
            self.advance();
        }
        let otherwise = if self.eat(&Tok::Bar) {
            Some(self.body()?)
        } else {
            None
        };
        Ok(ExprKind::If {
            cond: Box::new(cond),
            then,
            otherwise,
        })
    }

    /// `mat subject:` then an indented block of `pattern: body` or
    /// `pattern => body` arms; `_` matches anything. The `mat` is consumed.
    fn match_expr(&mut self) -> Result<ExprKind> {
        let subject = self.expr()?;
        self.expect_colon()?;
        if self.peek() != &Tok::Newline {
            return Err(self
                .unexpected("end of line")
                .with_hint("the arms of 'mat' go on their own indented lines"));
        }
        self.advance();
        if self.peek() != &Tok::Indent {
            return Err(self.unexpected("indented 'mat' arms"));
        }
        let pos = self.advance().pos;
        self.enter(pos)?;
        let mut arms = Vec::new();
        while !matches!(self.peek(), Tok::Dedent | Tok::Eof) {
            if self.eat(&Tok::Newline) {
                continue;
            }
            let wildcard = matches!(self.peek(), Tok::Name(n) if n == "_")
                && matches!(self.peek_at(1), Tok::Colon | Tok::FatArrow);
            let pattern = if wildcard {
                self.advance();
                None
            } else {
                Some(self.expr()?)
            };
            if !self.eat(&Tok::Colon) && !self.eat(&Tok::FatArrow) {
                return Err(self.unexpected("':' or '=>'"));
            }
            let body = self.body()?;
            arms.push(MatchArm { pattern, body });
            self.end_of_statement()?;
        }
        self.expect(&Tok::Dedent)?;
        self.leave();
        Ok(ExprKind::Match {
            subject: Box::new(subject),
            arms,
        })
    }
}
