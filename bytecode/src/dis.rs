//! The disassembler (to be written).
