//! The heap: the one place objects are allocated.
//!
//! Every heap object starts with a [`Header`] carrying its [`Kind`], so any
//! heap [`Value`] can be inspected without knowing its type in advance. Every
//! allocation is recorded in the per-thread registry of the collector
//! ([`crate::gc`]), which frees objects no root reaches any more. Callers
//! never free.
//!
//! The heap is thread-local: one program runs on one thread, and a value
//! must not be used on a thread other than the one that allocated it.
//!
//! References returned by accessors such as [`string`] stay valid while the
//! object is reachable. An allocation may collect: a value that Rust code
//! needs after an allocation must be reachable from a root then. Locals,
//! arguments and `&` references to objects are (the native stack is
//! scanned); values kept only in a heap-allocated `Vec`, or a `&str` of a
//! string whose value is otherwise dead, are not: root them with
//! [`crate::gc::TempRoots`]. The new object itself is always safe: it is a
//! root of the collection its own allocation triggers, so `alloc_list(v)`
//! may be given freshly allocated elements.

use std::cell::Cell;
use std::ptr::NonNull;

use crate::gc;
use crate::value::Value;

mod buffer;
mod kinds;

pub use buffer::BufObj;
pub use kinds::{
    ilusm_rt_shape_non_numbers, CellObj, ClosureObj, ListObj, ObjObj, CELL_VALUE_OFFSET,
    EMPTY_ELEMENTS, LIST_ELEMENTS_OFFSET, LIST_ITEMS_OFFSET, LIST_LEN_OFFSET, OBJ_ENTRIES_OFFSET,
    OBJ_LEN_OFFSET, OBJ_SHAPE_OFFSET, SHAPE_LOST_BIT, TRACKED_POSITIONS, TRACKED_SHAPES,
};

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
    /// The collector's mark bit: set during a collection for objects
    /// reached from the roots, clear at all other times.
    pub(crate) marked: Cell<bool>,
    /// A list's *element shape* ([`ListObj::element_shape`]); 0 in every other kind, always.
    pub(crate) elements: Cell<u16>,
    /// An object's shape ([`ObjObj::shape`]); 0 in every other kind, always. Native code
    /// relies on that: a shape word equal to a shape (never 0) means an object of that shape,
    /// with no test of the kind byte.
    pub(crate) shape: Cell<u32>,
}

impl Header {
    fn new(kind: Kind) -> Header {
        Header {
            kind,
            marked: Cell::new(false),
            elements: Cell::new(0),
            shape: Cell::new(0),
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

/// Drop one object's contents (its Rust buffers) according to its kind;
/// its slot is the collector's to reuse.
///
/// # Safety
/// `obj` must be a live, not yet dropped object that no value refers to
/// any more; the caller frees its slot.
pub(crate) unsafe fn drop_object(obj: NonNull<Header>) {
    let p = obj.as_ptr();
    match obj.as_ref().kind {
        Kind::Str => std::ptr::drop_in_place(p as *mut StrObj),
        Kind::List => std::ptr::drop_in_place(p as *mut ListObj),
        Kind::Object => std::ptr::drop_in_place(p as *mut ObjObj),
        Kind::Closure => std::ptr::drop_in_place(p as *mut ClosureObj),
        Kind::Cell => std::ptr::drop_in_place(p as *mut CellObj),
        Kind::Buffer => std::ptr::drop_in_place(p as *mut BufObj),
    }
}

/// Size of the fixed part (the struct) of an object of kind `kind`: a
/// pointer into that range keeps the object alive during stack scanning.
/// It is also the size of the object's slot in the collector's chunks.
#[inline]
pub(crate) fn fixed_size(kind: Kind) -> usize {
    match kind {
        Kind::Str => std::mem::size_of::<StrObj>(),
        Kind::List => std::mem::size_of::<ListObj>(),
        Kind::Object => std::mem::size_of::<ObjObj>(),
        Kind::Closure => std::mem::size_of::<ClosureObj>(),
        Kind::Cell => std::mem::size_of::<CellObj>(),
        Kind::Buffer => std::mem::size_of::<BufObj>(),
    }
}

/// What the collector's slots need of a kind's struct (`gc/space.rs`): a
/// size that keeps the next slot aligned, room for the free-list link in
/// the second word, and no alignment above 8.
const fn fits_a_slot<T>() -> bool {
    let size = std::mem::size_of::<T>();
    size >= 16 && size.is_multiple_of(8) && std::mem::align_of::<T>() <= 8
}
const _: () = assert!(
    fits_a_slot::<StrObj>()
        && fits_a_slot::<ListObj>()
        && fits_a_slot::<ObjObj>()
        && fits_a_slot::<ClosureObj>()
        && fits_a_slot::<CellObj>()
        && fits_a_slot::<BufObj>()
);

/// What the collector needs of each kind's struct, without looking at the
/// kind byte again: the sweep handles a chunk (one kind) with the kind's
/// own code, and marking visits children through direct calls.
pub(crate) trait HeapObject {
    /// Bytes of its buffers (at their capacity; approximately for hash
    /// indices): [`object_bytes`] is this plus [`fixed_size`].
    fn buffers(&self) -> usize;
    /// Call `f` on every value it holds (not for strings and buffers).
    /// Reads the contents without refreshing native views (nothing changed).
    fn each_child(&self, f: impl FnMut(Value));
}

impl HeapObject for StrObj {
    #[inline]
    fn buffers(&self) -> usize {
        self.text.len()
    }
    #[inline]
    fn each_child(&self, _: impl FnMut(Value)) {}
}

impl HeapObject for BufObj {
    #[inline]
    fn buffers(&self) -> usize {
        self.buffer_bytes()
    }
    #[inline]
    fn each_child(&self, _: impl FnMut(Value)) {}
}

/// Bytes an object holds now: its struct and its buffers at their current
/// capacity (approximately, for hash indices). The collector sums these
/// over the survivors of a collection.
///
/// # Safety
/// `obj` must be a registered, not yet freed object.
pub(crate) unsafe fn object_bytes(obj: NonNull<Header>) -> usize {
    let p = obj.as_ptr();
    let kind = obj.as_ref().kind;
    fixed_size(kind)
        + match kind {
            Kind::Str => (*(p as *const StrObj)).buffers(),
            Kind::List => (*(p as *const ListObj)).buffers(),
            Kind::Object => (*(p as *const ObjObj)).buffers(),
            Kind::Closure => (*(p as *const ClosureObj)).buffers(),
            Kind::Buffer => (*(p as *const BufObj)).buffers(),
            Kind::Cell => (*(p as *const CellObj)).buffers(),
        }
}

/// Call `f` on every value the object `obj` holds directly (the mark
/// phase's walk; [`trace_children`] for values).
///
/// # Safety
/// `obj` must be a live object.
#[inline]
pub(crate) unsafe fn each_child(obj: NonNull<Header>, f: impl FnMut(Value)) {
    let p = obj.as_ptr();
    match obj.as_ref().kind {
        Kind::List => (*(p as *const ListObj)).each_child(f),
        Kind::Object => (*(p as *const ObjObj)).each_child(f),
        Kind::Cell => (*(p as *const CellObj)).each_child(f),
        Kind::Closure => (*(p as *const ClosureObj)).each_child(f),
        Kind::Str | Kind::Buffer => {}
    }
}

/// Put `obj` (of kind `kind`; every kind's struct starts with its
/// Header, repr(C)) in the heap. `buffers` is its buffers' part of
/// [`object_bytes`], known here without looking at the kind again.
#[inline]
fn register<T>(kind: Kind, obj: T, buffers: usize) -> Value {
    let bytes = fixed_size(kind) + buffers;
    Value::from_heap_ptr(gc::alloc(kind, obj, bytes).as_ptr())
}

/// Allocate a string.
pub fn alloc_string(text: String) -> Value {
    let chars = if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    };
    let text = text.into_boxed_str();
    let len = text.len();
    register(
        Kind::Str,
        StrObj {
            header: Header::new(Kind::Str),
            chars,
            text,
        },
        len,
    )
}

/// Allocate a string copied from `text`.
pub fn alloc_str(text: &str) -> Value {
    alloc_string(text.to_owned())
}

/// Allocate a list holding `items`.
pub fn alloc_list(items: Vec<Value>) -> Value {
    let bytes = items.capacity() * std::mem::size_of::<Value>();
    register(Kind::List, ListObj::new(items), bytes)
}

/// Allocate an empty object with room for `capacity` keys.
pub fn alloc_object(capacity: usize) -> Value {
    let o = ObjObj::new(capacity);
    let bytes = o.buffer_bytes();
    register(Kind::Object, o, bytes)
}

/// Allocate a cell holding `v`.
pub fn alloc_cell(v: Value) -> Value {
    register(Kind::Cell, CellObj::new(v), 0)
}

/// Allocate a closure of function `func` over `cells` (cell values).
pub fn alloc_closure(func: u32, cells: Vec<Value>) -> Value {
    let c = ClosureObj::new(func, cells);
    let bytes = c.buffer_bytes();
    register(Kind::Closure, c, bytes)
}

/// Allocate a buffer of `len` zero bytes.
pub fn alloc_buffer(len: usize) -> Value {
    register(Kind::Buffer, BufObj::new(len), len)
}

/// The kind of a heap value, or `None` if `v` is not a heap reference.
#[inline]
pub fn kind(v: Value) -> Option<Kind> {
    // SAFETY: heap values point at a live object starting with a Header.
    v.heap_ptr()
        .map(|p| unsafe { (*(p as *const Header)).kind })
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

macro_rules! accessor {
    ($(#[$doc:meta])* $name:ident, $kind:ident, $ty:ty) => {
        $(#[$doc])*
        #[inline]
        pub fn $name<'a>(v: Value) -> Option<&'a $ty> {
            if kind(v) == Some(Kind::$kind) {
                // SAFETY: the kind names the type (repr(C), header first).
                Some(unsafe { &*(v.heap_addr() as *const $ty) })
            } else {
                None
            }
        }
    };
}

accessor!(
    /// The list `v` refers to, if it is one.
    list, List, ListObj
);
accessor!(
    /// The object `v` refers to, if it is one.
    object, Object, ObjObj
);
accessor!(
    /// The cell `v` refers to, if it is one.
    cell, Cell, CellObj
);
accessor!(
    /// The closure `v` refers to, if it is one.
    closure, Closure, ClosureObj
);
accessor!(
    /// The buffer `v` refers to, if it is one.
    buffer, Buffer, BufObj
);

/// Call `visit` on every value `v` holds directly (list elements, object
/// keys and values, a cell's value, a closure's cells); nothing for
/// non-heap values and strings. The collector's mark phase walks with this.
pub fn trace_children(v: Value, visit: &mut dyn FnMut(Value)) {
    match kind(v) {
        Some(Kind::List) => list(v).map_or((), |l| l.trace(visit)),
        Some(Kind::Object) => object(v).map_or((), |o| o.trace(visit)),
        Some(Kind::Cell) => cell(v).map_or((), |c| c.trace(visit)),
        Some(Kind::Closure) => closure(v).map_or((), |c| c.trace(visit)),
        Some(Kind::Str) | Some(Kind::Buffer) | None => {}
    }
}

/// The text of `v` if it is a string.
#[inline]
pub fn str_of<'a>(v: Value) -> Option<&'a str> {
    string(v).map(StrObj::as_str)
}

/// Number of registered objects and the heap size in bytes (live after the
/// last collection plus allocated since), on this thread. More in
/// [`gc::stats`].
pub fn stats() -> (usize, usize) {
    let s = gc::stats();
    (s.objects, s.heap_bytes)
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

    fn texts(o: &ObjObj) -> String {
        o.keys()
            .iter()
            .map(|&k| str_of(k).unwrap())
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn objects_keep_insertion_order_through_deletes() {
        // Small (linear search) and large (hash index, compaction) objects.
        for size in [5usize, 40] {
            let o = object(alloc_object(0)).unwrap();
            for i in 0..size {
                assert!(o.set(alloc_string(format!("k{i}")), Value::from_f64(i as f64)));
            }
            // Delete every key but those divisible by 3, in a scrambled order.
            let mut doomed: Vec<usize> = (0..size).filter(|i| i % 3 != 0).collect();
            doomed.reverse();
            doomed.rotate_left(size / 7);
            for &i in &doomed {
                assert!(o.remove(&format!("k{i}")));
                assert!(!o.remove(&format!("k{i}")));
            }
            let want: Vec<String> = (0..size)
                .filter(|i| i % 3 == 0)
                .map(|i| format!("k{i}"))
                .collect();
            assert_eq!(texts(o), want.join(","));
            assert_eq!(o.len(), want.len());
            for i in 0..size {
                let got = o.get(&format!("k{i}"));
                assert_eq!(got, (i % 3 == 0).then(|| Value::from_f64(i as f64)));
            }
            // Replacing keeps the position; re-adding a deleted key appends.
            o.set_str("k0", Value::TRUE);
            o.set_str("k1", Value::FALSE);
            assert!(texts(o).starts_with("k0,"));
            assert!(texts(o).ends_with(",k1"));
            assert_eq!(o.get("k0"), Some(Value::TRUE));
            assert_eq!(o.entries().last().map(|e| e.1), Some(Value::FALSE));
            assert!(!o.set(Value::NIL, Value::NIL), "keys must be strings");
        }
    }

    #[test]
    fn delete_everything_then_refill() {
        let o = object(alloc_object(0)).unwrap();
        for round in 0..3 {
            for i in 0..20 {
                o.set_str(&format!("x{i}"), Value::from_f64(round as f64));
            }
            assert_eq!(o.len(), 20);
            for i in 0..20 {
                o.remove(&format!("x{i}"));
            }
            assert!(o.is_empty());
            assert_eq!(o.next_entry(0), None);
        }
    }

    #[test]
    fn every_kind_traces_its_children() {
        let s1 = alloc_str("a");
        let l = alloc_list(vec![s1, Value::TRUE]);
        let o = alloc_object(1);
        object(o).unwrap().set(s1, l);
        let c = alloc_cell(o);
        let f = alloc_closure(2, vec![c]);
        let children = |v| {
            let mut seen = Vec::new();
            trace_children(v, &mut |x| seen.push(x));
            seen
        };
        assert_eq!(children(l), vec![s1, Value::TRUE]);
        assert_eq!(children(o), vec![s1, l]);
        assert_eq!(children(c), vec![o]);
        assert_eq!(children(f), vec![c]);
        assert_eq!(children(s1), vec![]);
        assert_eq!(children(Value::NIL), vec![]);
        assert_eq!(kind(f), Some(Kind::Closure));
        assert_eq!(closure(f).unwrap().func(), 2);
        assert!(list(o).is_none() && object(l).is_none() && cell(f).is_none());
    }

    #[test]
    fn a_cell_value_is_at_its_documented_offset() {
        let c = alloc_cell(Value::from_f64(1.5));
        // SAFETY: as native code does: the word at CELL_VALUE_OFFSET.
        let p = (c.heap_addr() + CELL_VALUE_OFFSET) as *mut u64;
        assert_eq!(unsafe { *p }, Value::from_f64(1.5).0);
        unsafe { *p = Value::TRUE.0 };
        assert_eq!(cell(c).unwrap().get(), Value::TRUE);
        assert_eq!(CELL_VALUE_OFFSET, 8);
    }

    #[test]
    fn an_object_keeps_its_shape_until_a_key_is_removed() {
        // SAFETY: as native code does: the shape word at its documented offset.
        let shape_word = |v: Value| unsafe { *((v.heap_addr() + OBJ_SHAPE_OFFSET) as *const u32) };
        let (a, b) = (alloc_str("a"), alloc_str("b"));
        let literal = |pairs: &[Value]| crate::containers::make_object_shaped(pairs, 7).unwrap();
        let o = literal(&[a, Value::TRUE, b, Value::NIL]);
        assert_eq!((object(o).unwrap().shape(), shape_word(o)), (7, 7));
        object(o).unwrap().set(a, Value::FALSE);
        assert_eq!(shape_word(o), 7, "replacing a value keeps the keys");
        object(o).unwrap().set(alloc_str("c"), Value::NIL);
        assert_eq!(shape_word(o), 7, "an added key comes after the literal's");
        let o = literal(&[a, Value::TRUE, b, Value::NIL]);
        object(o).unwrap().remove("b");
        assert_eq!(shape_word(o), 0, "a removed key");
        let o = literal(&[a, Value::TRUE, alloc_str("a"), Value::NIL]);
        assert_eq!(shape_word(o), 0, "a repeated key: one entry, not two");
        // Native code takes a shape word equal to a shape for an object of it, kind unchecked.
        assert_eq!(OBJ_SHAPE_OFFSET, 4, "in the header");
        let others = [
            alloc_str("a string of some length"),
            alloc_list(vec![Value::from_f64(7.0); 9]),
            alloc_cell(Value::from_f64(7.0)),
            alloc_closure(7, vec![Value::TRUE]),
            alloc_buffer(7),
        ];
        for v in others {
            assert_eq!(shape_word(v), 0, "{:?}", kind(v));
        }
    }

    #[test]
    fn every_writer_of_a_shaped_object_records_its_non_numbers() {
        use std::sync::atomic::Ordering;
        // Shapes no other test uses: the bits are process-wide and only ever set.
        let bits = |shape: usize| ilusm_rt_shape_non_numbers[shape].load(Ordering::Relaxed);
        let (x, y, z) = (alloc_str("x"), alloc_str("y"), alloc_str("z"));
        let num = Value::from_f64(1.5);
        let make = |shape: u32, pairs: &[Value]| {
            crate::containers::make_object_shaped(pairs, shape).unwrap()
        };
        let o = make(900, &[x, num, y, Value::from_f64(f64::NAN), z, num]);
        assert_eq!(bits(900), 0, "numbers (NaN is one) record nothing");
        object(o).unwrap().set(y, num);
        object(o).unwrap().set_str("z", Value::from_f64(-0.0));
        assert_eq!(bits(900), 0);
        object(o).unwrap().set(z, Value::NIL);
        assert_eq!(bits(900), 0b100, "set: position 2");
        object(o).unwrap().set_str("x", Value::TRUE);
        assert_eq!(bits(900), 0b101, "set_str: position 0");
        let hint = std::cell::Cell::new(1);
        assert!(object(o)
            .unwrap()
            .replace_cached(y, "y", alloc_str("s"), &hint));
        assert_eq!(bits(900), 0b111, "replace_cached: position 1");

        make(901, &[x, num, y, Value::FALSE]);
        assert_eq!(bits(901), 0b10, "a literal's own values");
        make(0, &[x, Value::NIL]);
        let o = make(902, &[x, Value::NIL, x, num]);
        assert_eq!(object(o).unwrap().shape(), 0, "a repeated key: no shape");
        assert_eq!(
            bits(902),
            1 | SHAPE_LOST_BIT,
            "recorded on the way all the same, and the shape is lost"
        );
        let o = make(903, &[x, num]);
        object(o).unwrap().remove("x");
        object(o).unwrap().set(x, Value::NIL);
        assert_eq!(bits(903), SHAPE_LOST_BIT, "a removed key ends the shape");
        let o = make(TRACKED_SHAPES as u32 + 5, &[x, num]);
        object(o).unwrap().set(x, Value::NIL);
        let pairs: Vec<Value> = (0..70)
            .flat_map(|i| [alloc_str(&format!("k{i}")), Value::NIL])
            .collect();
        make(904, &pairs);
        assert_eq!(
            bits(904),
            !SHAPE_LOST_BIT,
            "positions past 62 are not recorded"
        );
    }

    #[test]
    fn every_writer_of_a_list_keeps_its_element_shape() {
        use std::sync::atomic::Ordering;
        let bits = |shape: usize| ilusm_rt_shape_non_numbers[shape].load(Ordering::Relaxed);
        let x = alloc_str("x");
        let shaped = |shape: u32| {
            crate::containers::make_object_shaped(&[x, Value::from_f64(1.0)], shape).unwrap()
        };
        let (a, b, c) = (shaped(910), shaped(910), shaped(911));
        let elements = |l: Value| list(l).unwrap().element_shape();
        // SAFETY: as native code reads it: a u16 at a documented offset.
        let word = |l: Value| unsafe { *((l.heap_addr() + LIST_ELEMENTS_OFFSET) as *const u16) };

        let l = alloc_list(vec![a, b]);
        assert_eq!((elements(l), word(l)), (910, 910), "a literal of one shape");
        assert_eq!(elements(alloc_list(vec![a, c])), 0, "two shapes");
        assert_eq!(elements(alloc_list(vec![a, x])), 0, "a string");
        let odd = alloc_list(vec![x, a]);
        assert_eq!(elements(odd), 0, "a string first");
        assert_eq!(
            elements(alloc_list(vec![])),
            EMPTY_ELEMENTS,
            "empty: any shape fits"
        );
        let big = shaped(TRACKED_SHAPES as u32 + 1);
        assert_eq!(elements(alloc_list(vec![big, big])), 0, "untracked shape");

        list(l).unwrap().push(b);
        assert_eq!(elements(l), 910, "a push of the same shape");
        list(l).unwrap().set(1, c);
        assert_eq!(elements(l), 0, "set of another shape");
        list(l).unwrap().set(1, a);
        assert_eq!(elements(l), 0, "0 stays while the list has elements");

        let l = alloc_list(vec![]);
        list(l).unwrap().push(c);
        assert_eq!(elements(l), 911, "the first element sets it");
        list(l).unwrap().push(Value::from_f64(2.0));
        assert_eq!(elements(l), 0, "a number");
        list(l).unwrap().pop();
        list(l).unwrap().pop();
        assert_eq!(elements(l), EMPTY_ELEMENTS, "emptied by pop");
        list(l).unwrap().push(c);
        assert_eq!(elements(l), 911, "emptied, then a first element again");
        list(l).unwrap().set(0, c);
        assert_eq!(elements(l), 911, "set of the same shape");

        let m = alloc_list(vec![]);
        list(m).unwrap().extend_from(list(l).unwrap());
        assert_eq!(elements(m), 911, "extending an empty list");
        list(m).unwrap().extend_from(list(m).unwrap());
        assert_eq!(elements(m), 911, "extending by itself");
        list(m)
            .unwrap()
            .extend_from(list(alloc_list(vec![])).unwrap());
        assert_eq!(elements(m), 911, "extending by nothing");
        list(m)
            .unwrap()
            .extend_from(list(alloc_list(vec![a])).unwrap());
        assert_eq!(elements(m), 0, "extending by another shape");
        list(l).unwrap().set(0, a);
        assert_eq!(
            elements(l),
            0,
            "set of another shape, even of the only element"
        );

        assert_eq!(bits(910), 0);
        object(b).unwrap().remove("x");
        assert_eq!(bits(910), SHAPE_LOST_BIT, "an element lost the shape");
    }

    #[test]
    fn list_and_object_native_views_follow_their_contents() {
        assert_eq!((LIST_ITEMS_OFFSET, LIST_LEN_OFFSET), (8, 16));
        assert_eq!((OBJ_ENTRIES_OFFSET, OBJ_LEN_OFFSET), (8, 16));
        // SAFETY: as native code does: a word at a documented offset.
        let word = |v: Value, off: usize| unsafe { *((v.heap_addr() + off) as *const u64) };
        let l = alloc_list(vec![]);
        let list = list(l).unwrap();
        for i in 0..100 {
            list.push(Value::from_f64(i as f64));
        }
        assert_eq!(word(l, LIST_LEN_OFFSET), 100);
        let items = word(l, LIST_ITEMS_OFFSET) as *const u64;
        // SAFETY: element 99 is below the view's length.
        assert_eq!(unsafe { *items.add(99) }, Value::from_f64(99.0).0);
        let o = alloc_object(0);
        let (k1, k2) = (alloc_str("a"), alloc_str("b"));
        object(o).unwrap().set(k1, Value::TRUE);
        object(o).unwrap().set(k2, Value::NIL);
        object(o).unwrap().remove("a");
        assert_eq!(word(o, OBJ_LEN_OFFSET), 2, "a deleted entry still counts");
        let entries = word(o, OBJ_ENTRIES_OFFSET) as *const u64;
        // SAFETY: entry 1 (two words) is below the view's length.
        assert_eq!(
            unsafe { (*entries.add(2), *entries.add(3)) },
            (k2.0, Value::NIL.0)
        );
    }
}
