//! The syntax tree of a whole ilusm program (spec §1–§9), as the parser
//! builds it. It covers the entire language, including the constructs the
//! compiler does not handle yet (lists, objects, lambdas, `<-` loops, `mat`,
//! `use`). Syntactic sugar is removed by the parser: a pipeline `x |> f(a)`
//! arrives here as the call `f(x, a)`, an `else if` chain as an else block
//! holding one `if` expression.

use crate::diag::Pos;

/// A name together with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub pos: Pos,
}

/// A sequence of statements; blocks do not open scopes (spec §6).
pub type Block = Vec<Stmt>;

/// A whole source file.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub body: Block,
    /// How many functions (named and lambdas) the parser numbered; every
    /// [`FuncDef::id`] and lambda id is below this.
    pub function_count: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// Where the statement starts.
    pub pos: Pos,
    pub kind: StmtKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect (and, as the last statement of
    /// a block, for its value).
    Expr(Expr),
    /// `name = value`.
    Assign {
        target: Ident,
        value: Expr,
    },
    /// `def name = value`: a binding that may not be reassigned.
    Def {
        target: Ident,
        value: Expr,
    },
    /// `obj[index] = value`.
    IndexAssign {
        object: Expr,
        index: Expr,
        value: Expr,
    },
    /// `obj.field = value`.
    FieldAssign {
        object: Expr,
        field: Ident,
        value: Expr,
    },
    /// `name(params) = body`, hoisted to the start of its scope.
    FuncDef(Box<FuncDef>),
    /// `whl cond: body`.
    While {
        cond: Expr,
        body: Block,
    },
    /// `var <- iterable: body`.
    For {
        var: Ident,
        iter: ForIter,
        body: Block,
    },
    /// `ret` or `ret value`.
    Ret(Option<Expr>),
    Brk,
    Cnt,
    /// `use trl` or `use "util.ilu"`.
    Use(UseTarget),
}

/// A named function.
#[derive(Clone, Debug, PartialEq)]
pub struct FuncDef {
    /// Number of this function in the program, unique among functions and
    /// lambdas, in source order.
    pub id: usize,
    pub name: Ident,
    pub params: Vec<Ident>,
    /// A one-line body is a block of one statement.
    pub body: Block,
}

/// What a `<-` loop walks.
#[derive(Clone, Debug, PartialEq)]
pub enum ForIter {
    /// A list, string or object.
    Value(Expr),
    /// `from..to`, inclusive, counting in either direction.
    Range { from: Expr, to: Expr },
}

#[derive(Clone, Debug, PartialEq)]
pub enum UseTarget {
    /// `use trl`: a standard module, bound as an object.
    Module(Ident),
    /// `use "util.ilu"`: a file, whose top-level names are bound.
    File { path: String, pos: Pos },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// The position instructions for this expression report: the operator
    /// of a unary or binary expression, the `(` of a call (the callee for a
    /// statement-call shorthand, `|>` for a pipeline), the start otherwise.
    pub pos: Pos,
    pub kind: ExprKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Num(f64),
    Str(String),
    /// `$"..."`: literal pieces and expressions, in order.
    Interp(Vec<InterpPart>),
    True,
    False,
    Nil,
    Name(String),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `and` / `or`: short-circuit, yielding an operand.
    Logical {
        op: LogicalOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Expr>,
    },
    /// `obj[index]`, or `obj?[index]` when `nil_safe`.
    Index {
        object: Box<Expr>,
        index: Box<Expr>,
        nil_safe: bool,
    },
    /// `obj.field`, or `obj?.field` when `nil_safe`.
    Field {
        object: Box<Expr>,
        field: Ident,
        nil_safe: bool,
    },
    List(Vec<Expr>),
    /// `{key: value, ...}`; keys are names or string literals.
    Object(Vec<(Ident, Expr)>),
    /// `\(params) body`.
    Lambda {
        id: usize,
        params: Vec<Ident>,
        body: Box<Expr>,
    },
    /// `if cond: then | otherwise`; a missing else yields nil.
    If {
        cond: Box<Expr>,
        then: Block,
        otherwise: Option<Block>,
    },
    /// `mat subject:` followed by arms.
    Match {
        subject: Box<Expr>,
        arms: Vec<MatchArm>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum InterpPart {
    Lit(String),
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct MatchArm {
    /// `None` for the wildcard `_`.
    pub pattern: Option<Expr>,
    pub body: Block,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `!x` and `not x`
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinaryOp {
    /// Whether this is one of the non-associative comparison operators.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogicalOp {
    And,
    Or,
}
