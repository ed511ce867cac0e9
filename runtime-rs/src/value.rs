//! The value representation: one NaN-boxed 64-bit word.
//!
//! Native code tests and builds these words directly, so the layout below is
//! an ABI shared with `ilusm-aot` (which imports the constants from here):
//!
//! | bits (unsigned)                        | meaning                                   |
//! |----------------------------------------|-------------------------------------------|
//! | `< 0xFFF9_0000_0000_0000`              | an IEEE-754 double, stored as itself      |
//! | `0xFFF9_0000_0000_000{1,2,3,4}`        | `nil`, `fls`, `tru`, the unassigned marker |
//! | `0xFFFA_0000_0000_0000 \| id`          | builtin function `id`                     |
//! | `0xFFFB_0000_0000_0000 \| index`       | top-level function `index` (no captures)  |
//! | `0xFFFC_0000_0000_0000 \| pointer`     | heap object (48-bit address)              |
//! | `0xFFFF_0000_0000_0000`                | [`Value::ERROR`]: "an error is pending"   |
//!
//! Why this works: every NaN the hardware produces is a quiet NaN with a zero
//! payload, `0x7FF8…` or (x86 default NaN) `0xFFF8…`, both below the first
//! tag. Numbers therefore need no canonicalisation, and "is a number" is one
//! unsigned compare. `fls` and `tru` differ in bit 0 only, so native code
//! turns a comparison flag into a boolean with one `or`.

/// A NaN-boxed ilusm value. `Copy`: heap objects are owned by the heap, not
/// by values.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Value(pub u64);

/// Words below this are numbers.
pub const NUMBER_LIMIT: u64 = 0xFFF9_0000_0000_0000;
/// Tag (upper 16 bits) of builtin function values.
pub const TAG_BUILTIN: u64 = 0xFFFA;
/// Tag of top-level function values.
pub const TAG_FUNC: u64 = 0xFFFB;
/// Tag of heap pointers.
pub const TAG_HEAP: u64 = 0xFFFC;
/// Mask of the 48-bit payload.
pub const PAYLOAD_MASK: u64 = 0x0000_FFFF_FFFF_FFFF;

impl Value {
    pub const NIL: Value = Value(0xFFF9_0000_0000_0001);
    pub const FALSE: Value = Value(0xFFF9_0000_0000_0002);
    pub const TRUE: Value = Value(0xFFF9_0000_0000_0003);
    /// The content of a global slot that was never assigned. Never visible
    /// to programs: reading it raises `undefined name`.
    pub const UNASSIGNED: Value = Value(0xFFF9_0000_0000_0004);
    /// Returned by runtime entry points and native functions to say "an
    /// error is pending in the runtime; unwind". Never a program value.
    pub const ERROR: Value = Value(0xFFFF_0000_0000_0000);

    #[inline]
    pub fn from_f64(n: f64) -> Value {
        Value(n.to_bits())
    }

    /// A number from untrusted bits (a constant read from a file): a NaN
    /// whose bits would collide with the tags becomes the quiet NaN.
    #[inline]
    pub fn from_f64_canonical(n: f64) -> Value {
        if n.to_bits() < NUMBER_LIMIT {
            Value(n.to_bits())
        } else {
            Value(0x7FF8_0000_0000_0000)
        }
    }

    #[inline]
    pub fn from_bool(b: bool) -> Value {
        Value(Value::FALSE.0 | b as u64)
    }

    #[inline]
    pub fn builtin(id: u16) -> Value {
        Value((TAG_BUILTIN << 48) | id as u64)
    }

    #[inline]
    pub fn func(index: u32) -> Value {
        Value((TAG_FUNC << 48) | index as u64)
    }

    /// A heap reference. `ptr` must come from the heap (`crate::heap`).
    #[inline]
    pub fn from_heap_ptr<T>(ptr: *const T) -> Value {
        let addr = ptr as u64;
        debug_assert_eq!(addr & !PAYLOAD_MASK, 0, "heap address wider than 48 bits");
        Value((TAG_HEAP << 48) | addr)
    }

    #[inline]
    pub fn is_number(self) -> bool {
        self.0 < NUMBER_LIMIT
    }

    #[inline]
    pub fn as_f64(self) -> Option<f64> {
        if self.is_number() {
            Some(f64::from_bits(self.0))
        } else {
            None
        }
    }

    /// The number, without checking. Only meaningful when `is_number()`.
    #[inline]
    pub fn to_f64_unchecked(self) -> f64 {
        f64::from_bits(self.0)
    }

    #[inline]
    pub fn tag(self) -> u64 {
        self.0 >> 48
    }

    #[inline]
    pub fn is_nil(self) -> bool {
        self == Value::NIL
    }

    #[inline]
    pub fn is_bool(self) -> bool {
        self == Value::TRUE || self == Value::FALSE
    }

    #[inline]
    pub fn as_builtin(self) -> Option<u16> {
        (self.tag() == TAG_BUILTIN).then_some((self.0 & 0xFFFF) as u16)
    }

    #[inline]
    pub fn as_func(self) -> Option<u32> {
        (self.tag() == TAG_FUNC).then_some((self.0 & 0xFFFF_FFFF) as u32)
    }

    #[inline]
    pub fn is_heap(self) -> bool {
        self.tag() == TAG_HEAP
    }

    /// The heap address, if this is a heap reference. One `xor` clears the
    /// tag of a heap reference and leaves any other word with high bits
    /// set, so the test and the address share it (the separate tag test and
    /// payload mask were two more 64-bit constants and instructions at
    /// every container access of the interpreter).
    #[inline(always)]
    pub fn heap_ptr(self) -> Option<usize> {
        let p = self.0 ^ (TAG_HEAP << 48);
        (p >> 48 == 0).then_some(p as usize)
    }

    /// The raw heap address. Only meaningful when `is_heap()`.
    #[inline]
    pub fn heap_addr(self) -> usize {
        (self.0 & PAYLOAD_MASK) as usize
    }

    #[inline]
    pub fn is_error(self) -> bool {
        self == Value::ERROR
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(n) = self.as_f64() {
            write!(f, "Value({n})")
        } else {
            write!(f, "Value({:#018x})", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardware_nans_are_numbers() {
        let zero = std::hint::black_box(0.0f64);
        for n in [
            f64::NAN,
            -f64::NAN,
            zero / zero,
            (-1.0f64).sqrt(),
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
        ] {
            assert!(Value::from_f64(n).is_number(), "{:#x}", n.to_bits());
        }
    }

    #[test]
    fn tagged_values_are_not_numbers() {
        for v in [
            Value::NIL,
            Value::TRUE,
            Value::FALSE,
            Value::UNASSIGNED,
            Value::ERROR,
            Value::builtin(3),
            Value::func(7),
        ] {
            assert!(!v.is_number());
        }
        assert_eq!(Value::from_bool(true), Value::TRUE);
        assert_eq!(Value::from_bool(false), Value::FALSE);
        assert_eq!(Value::func(7).as_func(), Some(7));
        assert_eq!(Value::builtin(3).as_builtin(), Some(3));
        let odd_nan = f64::from_bits(0xFFFF_0000_0000_0001);
        assert!(Value::from_f64_canonical(odd_nan).is_number());
        assert!(Value::from_f64_canonical(odd_nan)
            .to_f64_unchecked()
            .is_nan());
        assert_eq!(Value::from_f64_canonical(2.5), Value::from_f64(2.5));
    }
}
