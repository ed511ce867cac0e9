//! The heap: the one place objects are allocated.
//!
//! Every heap object starts with a [`Header`] carrying its [`Kind`], so any
//! heap [`Value`] can be inspected without knowing its type in advance. Every
//! allocation is recorded in a per-thread registry; today objects live until
//! the thread that runs the program ends (the registry frees them then), and
//! a tracing collector will later sit behind the same API (the `marked` bit
//! in the header and the registry are its hooks). Callers never free.
//!
//! The heap is thread-local: one program runs on one thread, and a value
//! must not be used on a thread other than the one that allocated it.
//!
//! References returned by accessors such as [`string`] stay valid until the
//! object is collected. Today that is the end of the thread; once the
//! collector exists, a reference must not be held across an allocation
//! unless the value is rooted.

use std::cell::{Cell, RefCell};
use std::ptr::NonNull;

use crate::value::Value;

/// What a heap object is. The discriminants are stable: native code may
/// read the kind byte at offset 0 of an object.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Str = 1,
    List = 2,
    Object = 3,
    Closure = 4,
    Cell = 5,
    Buffer = 6,
}

/// The first field of every heap object.
#[repr(C)]
#[derive(Debug)]
pub struct Header {
    kind: Kind,
    /// For the future mark phase.
    marked: Cell<bool>,
}

impl Header {
    fn new(kind: Kind) -> Header {
        Header {
            kind,
            marked: Cell::new(false),
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }
}

/// An immutable UTF-8 string with its code-point count cached, so `len` is
/// O(1) and indexing an ASCII string is a byte access.
#[repr(C)]
#[derive(Debug)]
pub struct StrObj {
    header: Header,
    chars: usize,
    text: Box<str>,
}

impl StrObj {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Length in code points.
    pub fn char_len(&self) -> usize {
        self.chars
    }

    /// Whether every character is ASCII (code points and bytes coincide).
    pub fn is_ascii(&self) -> bool {
        self.chars == self.text.len()
    }

    /// The code point at code-point index `i`.
    pub fn char_at(&self, i: usize) -> Option<char> {
        if self.is_ascii() {
            self.text.as_bytes().get(i).map(|&b| b as char)
        } else {
            self.text.chars().nth(i)
        }
    }
}

/// The per-thread registry of every live allocation.
struct Heap {
    objects: Vec<NonNull<Header>>,
    bytes: usize,
}

impl Drop for Heap {
    fn drop(&mut self) {
        for obj in self.objects.drain(..) {
            // SAFETY: every registered pointer came from `Box::into_raw` of
            // the type its kind names, and is freed exactly once, here.
            unsafe { free(obj) }
        }
    }
}

/// Free one object according to its kind.
///
/// # Safety
/// `obj` must be a registered, not yet freed object.
unsafe fn free(obj: NonNull<Header>) {
    match obj.as_ref().kind {
        Kind::Str => drop(Box::from_raw(obj.as_ptr() as *mut StrObj)),
        // Not allocated yet: each gets its arm when it is.
        Kind::List | Kind::Object | Kind::Closure | Kind::Cell | Kind::Buffer => {}
    }
}

thread_local! {
    static HEAP: RefCell<Heap> = const {
        RefCell::new(Heap {
            objects: Vec::new(),
            bytes: 0,
        })
    };
}

fn register<T>(obj: Box<T>, extra_bytes: usize) -> Value {
    let size = std::mem::size_of::<T>() + extra_bytes;
    let ptr = Box::into_raw(obj);
    HEAP.with(|h| {
        let mut h = h.borrow_mut();
        // SAFETY: Box::into_raw never returns null.
        h.objects
            .push(unsafe { NonNull::new_unchecked(ptr as *mut Header) });
        h.bytes += size;
    });
    Value::from_heap_ptr(ptr)
}

/// Allocate a string.
pub fn alloc_string(text: String) -> Value {
    let chars = if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    };
    let extra = text.len();
    register(
        Box::new(StrObj {
            header: Header::new(Kind::Str),
            chars,
            text: text.into_boxed_str(),
        }),
        extra,
    )
}

/// Allocate a string copied from `text`.
pub fn alloc_str(text: &str) -> Value {
    alloc_string(text.to_owned())
}

/// The kind of a heap value, or `None` if `v` is not a heap reference.
#[inline]
pub fn kind(v: Value) -> Option<Kind> {
    if v.is_heap() {
        // SAFETY: heap values point at a live object starting with a Header.
        Some(unsafe { (*(v.heap_addr() as *const Header)).kind })
    } else {
        None
    }
}

/// The string `v` refers to, if it is one. See the module docs for how long
/// the reference is valid.
#[inline]
pub fn string<'a>(v: Value) -> Option<&'a StrObj> {
    if kind(v) == Some(Kind::Str) {
        // SAFETY: the kind says this object is a StrObj (repr(C), header first).
        Some(unsafe { &*(v.heap_addr() as *const StrObj) })
    } else {
        None
    }
}

/// The text of `v` if it is a string.
#[inline]
pub fn str_of<'a>(v: Value) -> Option<&'a str> {
    string(v).map(StrObj::as_str)
}

/// Number of live objects and the bytes they hold, on this thread.
pub fn stats() -> (usize, usize) {
    HEAP.with(|h| {
        let h = h.borrow();
        (h.objects.len(), h.bytes)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_cache_their_code_point_count() {
        let v = alloc_str("héllo");
        let s = string(v).unwrap();
        assert_eq!(s.char_len(), 5);
        assert!(!s.is_ascii());
        assert_eq!(s.char_at(1), Some('é'));
        assert_eq!(s.char_at(5), None);
        let a = string(alloc_str("abc")).unwrap();
        assert_eq!(a.char_len(), 3);
        assert!(a.is_ascii());
        assert_eq!(a.char_at(2), Some('c'));
        assert_eq!(string(alloc_str("😀x")).unwrap().char_len(), 2);
        assert_eq!(string(alloc_str("")).unwrap().char_len(), 0);
    }

    #[test]
    fn registry_counts_allocations() {
        let (before, _) = stats();
        let v = alloc_str("x");
        assert_eq!(kind(v), Some(Kind::Str));
        assert_eq!(stats().0, before + 1);
        assert_eq!(kind(Value::NIL), None);
        assert!(string(Value::from_f64(1.0)).is_none());
    }
}
