//! ilusm bytecode: the contract between the frontend and the two back ends.
//!
//! This crate defines the instruction set ([`Opcode`], [`Instr`]), the
//! in-memory program ([`Module`]), the `.ilbc` file encoding ([`mod@file`]),
//! the verifier that every loaded program passes before it runs
//! ([`mod@verify`]), and the textual form printed by `ilusm dis` ([`dis`]).
//!
//! It is not an interpreter and knows nothing about values at run time: it
//! depends on no other ilusm crate, and the runtime does not depend on it.

pub mod builtins;
pub mod dis;
pub mod file;
pub mod instr;
pub mod module;
pub mod opcode;
pub mod verify;

pub use instr::{instructions, DecodeError, Instr};
pub use module::{Constant, Function, LineEntry, Module};
pub use opcode::{Opcode, Operands};

pub use dis::disassemble;
pub use file::{decode, encode, LoadError};
pub use verify::{load, verify, FunctionInfo, VerifiedInfo, VerifyError};
