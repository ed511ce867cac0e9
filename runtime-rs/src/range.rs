//! `range_prep`: the check and direction of an inclusive `a..b` range loop,
//! shared by the interpreter and native code (`ilusm_rt_range_prep`).

use crate::print::{fmt_num, type_name};
use crate::{RtError, RtResult, Value};

/// The step of the range `a..b`: `1` when `a <= b`, else `-1`. Both bounds
/// must be integer numbers (finite, no fraction), else the error
/// `range bounds must be integers, got X` (X is the number, or the type of
/// a non-number), and at most 2^53 in magnitude (where every integer is a
/// double, so stepping by one reaches the end), else
/// `range bound X is too large (the limit is 2^53)`.
pub fn range_prep(a: Value, b: Value) -> RtResult<Value> {
    let x = integer_bound(a)?;
    let y = integer_bound(b)?;
    Ok(Value::from_f64(if x <= y { 1.0 } else { -1.0 }))
}

/// 2^53: the largest magnitude of a range bound.
const LIMIT: f64 = 9_007_199_254_740_992.0;

fn integer_bound(v: Value) -> RtResult<f64> {
    match v.as_f64() {
        Some(n) if n.is_finite() && n.fract() == 0.0 && n.abs() <= LIMIT => Ok(n),
        Some(n) if n.is_finite() && n.fract() == 0.0 => {
            let mut text = String::from("range bound ");
            fmt_num(n, &mut text);
            text.push_str(" is too large (the limit is 2^53)");
            Err(RtError::new(text))
        }
        Some(n) => {
            let mut text = String::from("range bounds must be integers, got ");
            fmt_num(n, &mut text);
            Err(RtError::new(text))
        }
        None => Err(RtError::new(format!(
            "range bounds must be integers, got {}",
            type_name(v)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_and_errors() {
        let n = Value::from_f64;
        assert_eq!(range_prep(n(0.0), n(4.0)).unwrap(), n(1.0));
        assert_eq!(range_prep(n(3.0), n(3.0)).unwrap(), n(1.0));
        assert_eq!(range_prep(n(3.0), n(-1.0)).unwrap(), n(-1.0));
        assert_eq!(
            range_prep(n(0.5), n(1.0)).unwrap_err().message,
            "range bounds must be integers, got 0.5"
        );
        assert_eq!(
            range_prep(n(0.0), Value::NIL).unwrap_err().message,
            "range bounds must be integers, got nil"
        );
        assert_eq!(
            range_prep(n(f64::INFINITY), n(0.0)).unwrap_err().message,
            "range bounds must be integers, got inf"
        );
        assert!(range_prep(n(LIMIT), n(-LIMIT)).is_ok());
        assert_eq!(
            range_prep(n(0.0), n(LIMIT + 2.0)).unwrap_err().message,
            "range bound 9007199254740994 is too large (the limit is 2^53)"
        );
    }
}
