//! Tests of the ilusm frontend, in one binary to keep link times down.

mod codegen;
mod errors;
mod helpers;
mod lexer;
mod parser;
mod run;
