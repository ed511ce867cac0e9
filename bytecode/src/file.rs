//! `.ilbc` encoding and decoding (to be written).
