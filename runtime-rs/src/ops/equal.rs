//! `==`: deep structural equality (spec §4), without recursion.
//!
//! Numbers by value (NaN is unequal to itself), strings by content, lists
//! elementwise, objects by key set and values (key order ignored); every
//! other value (functions, closures, builtins, buffers, cells) by identity.
//! Values of different types are unequal. Never fails.
//!
//! The walk uses an explicit work stack, so nesting depth costs heap memory,
//! not Rust stack. **Identity:** a list or object is equal to itself without
//! looking inside (so `xs == xs` is `tru` even if `xs` holds NaN, as in
//! Python). **Cycles:** after a few container pairs, every pair of
//! containers compared is remembered, and a pair met again is taken as
//! equal. That is sound because any difference found anywhere makes the
//! whole answer `fls`; it makes cyclic structures compare (as their
//! infinite unfoldings would) and keeps shared sub-structures from being
//! compared more than once.

use std::collections::HashSet;

use crate::heap::{self, Kind};
use crate::value::Value;

/// Container pairs compared before pairs start being remembered.
const REMEMBER_AFTER: usize = 32;

/// `a == b`.
pub fn equal(a: Value, b: Value) -> bool {
    let mut work: Vec<(Value, Value)> = Vec::new();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut pairs = 0usize;
    let (mut a, mut b) = (a, b);
    loop {
        if !equal_step(a, b, &mut work, &mut seen, &mut pairs) {
            return false;
        }
        match work.pop() {
            Some((x, y)) => (a, b) = (x, y),
            None => return true,
        }
    }
}

/// Compare `a` and `b` at the top level; push the element pairs of two
/// containers onto `work`. `false` when they certainly differ.
#[inline]
fn equal_step(
    a: Value,
    b: Value,
    work: &mut Vec<(Value, Value)>,
    seen: &mut HashSet<(u64, u64)>,
    pairs: &mut usize,
) -> bool {
    if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
        return x == y;
    }
    if a == b {
        return true;
    }
    let (Some(ka), Some(kb)) = (heap::kind(a), heap::kind(b)) else {
        return false;
    };
    if ka != kb {
        return false;
    }
    // First meeting of this container pair? (Always `true` while few pairs
    // have been compared.)
    let mut first_visit = || {
        *pairs += 1;
        *pairs <= REMEMBER_AFTER || seen.insert((a.0, b.0))
    };
    match ka {
        Kind::Str => heap::str_of(a) == heap::str_of(b),
        Kind::List => {
            let (Some(x), Some(y)) = (heap::list(a), heap::list(b)) else {
                return false;
            };
            if x.len() != y.len() {
                return false;
            }
            if first_visit() {
                // Reversed, so elements are compared first to last.
                for i in (0..x.len()).rev() {
                    if let (Some(p), Some(q)) = (x.get(i), y.get(i)) {
                        work.push((p, q));
                    }
                }
            }
            true
        }
        Kind::Object => {
            let (Some(x), Some(y)) = (heap::object(a), heap::object(b)) else {
                return false;
            };
            if x.len() != y.len() {
                return false;
            }
            if first_visit() {
                let start = work.len();
                for (k, v) in x.entries() {
                    match heap::str_of(k).and_then(|k| y.get(k)) {
                        Some(w) => work.push((v, w)),
                        None => return false,
                    }
                }
                work[start..].reverse();
            }
            true
        }
        // Closures, cells and buffers: identity, and `a != b` here.
        Kind::Closure | Kind::Cell | Kind::Buffer => false,
    }
}
