//! Tests of the ilusm frontend, in one binary to keep link times down.

mod closures;
mod codegen;
mod errors;
mod helpers;
mod lexer;
mod modules;
mod parser;
mod run;
