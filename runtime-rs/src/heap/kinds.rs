//! The container kinds of the heap: lists, objects, cells and closures.
//!
//! **Mutation through shared references.** Values are `Copy` handles, so a
//! mutable object is reached through `&` references only. Lists and objects
//! keep their contents in an `UnsafeCell` behind a *closed* API: every
//! method borrows the contents for its own duration, calls nothing that
//! could reach the same object again, and returns values (never references
//! into the contents). The heap is thread-local and these types are not
//! `Sync`, so that is sound. Cells hold a `std::cell::Cell<Value>`.
//!
//! **For the collector.** Every kind has `trace(&self, visit)`, which calls
//! `visit` on each value it holds (see [`super::trace_children`]). Objects
//! are never moved: object keys are indexed by pointer to their (immutable)
//! key strings, which the object keeps alive through its entries. Growing
//! buffers report their growth to the collector's accounting (`gc::grew`),
//! which never collects: no collection can start inside these methods.

use std::borrow::Borrow;
use std::cell::{Cell, UnsafeCell};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{string, Header, HeapObject, Kind, StrObj};
use crate::gc;
use crate::value::Value;

const WORD: usize = std::mem::size_of::<Value>();

/// What native code may read of a list's elements or an object's entries
/// without calling the runtime: the buffer's address and its length (in
/// elements, or in `(key, value)` entries). Rust keeps its contents in a
/// `Vec` (whose layout is not an ABI); every method that touches the `Vec`
/// copies its pointer and length here before returning, so the view is
/// always current whenever native code runs. Native code only loads through
/// it, and stores into elements below `len` (never grows or shrinks).
#[repr(C)]
struct NativeView<T> {
    ptr: Cell<*const T>,
    len: Cell<usize>,
}

impl<T> NativeView<T> {
    fn of(v: &[T]) -> NativeView<T> {
        NativeView {
            ptr: Cell::new(v.as_ptr()),
            len: Cell::new(v.len()),
        }
    }

    #[inline]
    fn sync(&self, v: &[T]) {
        self.ptr.set(v.as_ptr());
        self.len.set(v.len());
    }
}

/// Byte offset of a list's element-buffer address (a `*const u64`).
pub const LIST_ITEMS_OFFSET: usize = std::mem::offset_of!(ListObj, view);
/// Byte offset of a list's length (a `usize`).
pub const LIST_LEN_OFFSET: usize = LIST_ITEMS_OFFSET + WORD;
/// Byte offset of an object's entry-buffer address: entries are `(key, value)`
/// word pairs in insertion order; a deleted entry's key is never a string.
pub const OBJ_ENTRIES_OFFSET: usize = std::mem::offset_of!(ObjObj, view);
/// Byte offset of an object's entry count (deleted entries included).
pub const OBJ_LEN_OFFSET: usize = OBJ_ENTRIES_OFFSET + WORD;
/// Byte offset of an object's shape (a `u32`, see [`ObjObj::shape`]), in the header: every
/// other kind has 0 there (`Header::shape`).
pub const OBJ_SHAPE_OFFSET: usize =
    std::mem::offset_of!(ObjObj, header) + std::mem::offset_of!(Header, shape);

/// Shapes (see [`ObjObj::shape`]) below this have their entries' non-numbers recorded in
/// [`ilusm_rt_shape_non_numbers`]; native code relies on no fact about a shape above it.
pub const TRACKED_SHAPES: usize = 1024;
/// Entry positions below this (the bits of a word but the top one, [`SHAPE_LOST_BIT`]) are
/// recorded per shape.
pub const TRACKED_POSITIONS: usize = 63;
/// The top bit of a shape's word in [`ilusm_rt_shape_non_numbers`]: set once an object of the
/// shape lost it (its shape went to 0: a key was removed, or a literal repeated one). A list's
/// element shape ([`ListObj::element_shape`]) says something only while it is clear.
pub const SHAPE_LOST_BIT: u64 = 1 << 63;
/// The element shape of an empty list ([`ListObj::element_shape`]): any shape fits. Not a
/// shape native code compares with (those are below [`TRACKED_SHAPES`]).
pub const EMPTY_ELEMENTS: u16 = u16::MAX;
/// Byte offset of a list's element shape (a `u16`, see [`ListObj::element_shape`]), in the
/// header.
pub const LIST_ELEMENTS_OFFSET: usize =
    std::mem::offset_of!(ListObj, header) + std::mem::offset_of!(Header, elements);

/// For each shape `s` below [`TRACKED_SHAPES`]: bit `p` is set once an object of shape `s` has
/// held, at entry position `p` (below [`TRACKED_POSITIONS`]), a value that is not a number;
/// and the top bit, [`SHAPE_LOST_BIT`], once an object of shape `s` lost it.
/// Bits are only ever set, so a clear bit says that every object of shape `s` there is, and
/// was, holds a number at `p`: native code checks the bits once where a loop starts and then
/// reads those fields as floats with no check of their own (`aot/src/field_numbers.rs`). Every
/// writer of an object's entry values keeps it: [`ObjObj`]'s methods, and the inline stores of
/// native code. Zero-initialised, so it takes no room in an executable's file.
#[no_mangle]
pub static ilusm_rt_shape_non_numbers: [AtomicU64; TRACKED_SHAPES] =
    [const { AtomicU64::new(0) }; TRACKED_SHAPES];

/// Record that an object of shape `shape` now holds `v` at entry position `p`.
#[inline]
fn note_entry(shape: u32, p: usize, v: Value) {
    if shape != 0 && !v.is_number() {
        note_non_number(shape as usize, p);
    }
}

#[cold]
fn note_non_number(shape: usize, p: usize) {
    if shape < TRACKED_SHAPES && p < TRACKED_POSITIONS {
        ilusm_rt_shape_non_numbers[shape].fetch_or(1 << p, Ordering::Relaxed);
    }
}

/// Record that an object of shape `shape` (not 0) lost it.
#[cold]
fn note_lost(shape: u32) {
    if (shape as usize) < TRACKED_SHAPES {
        ilusm_rt_shape_non_numbers[shape as usize].fetch_or(SHAPE_LOST_BIT, Ordering::Relaxed);
    }
}

/// What a list records of an element `x` (see [`ListObj::element_shape`]): the shape of an
/// object whose shape is tracked, else 0.
#[inline]
fn shape_as_element(x: Value) -> u16 {
    let shape = shape_word(x);
    if (shape as usize) < TRACKED_SHAPES {
        shape as u16
    } else {
        0
    }
}

/// The element shape of a list of `items` (not empty): the shape they all have, else 0. Out of
/// line, so that making a list of anything else stays short.
#[cold]
#[inline(never)]
fn shared_shape(items: &[Value]) -> u16 {
    let first = shape_as_element(items[0]);
    if items.iter().all(|&x| shape_as_element(x) == first) {
        first
    } else {
        0
    }
}

/// The shape of `x` if it is an object, else 0. No kind test: the shape word is 0 in the header
/// of every other kind (`Header::shape`).
#[inline]
fn shape_word(x: Value) -> u32 {
    let Some(p) = x.heap_ptr() else { return 0 };
    // SAFETY: a heap value is the address of a live heap object, which starts with its header.
    unsafe { (*(p as *const Header)).shape.get() }
}

/// A mutable, growable list.
#[repr(C)]
pub struct ListObj {
    header: Header,
    view: NativeView<Value>,
    items: UnsafeCell<Vec<Value>>,
}

impl ListObj {
    pub(super) fn new(items: Vec<Value>) -> ListObj {
        let header = Header::new(Kind::List);
        // One test for a list whose first element is not a shaped object (most lists).
        if items.is_empty() {
            header.elements.set(EMPTY_ELEMENTS);
        } else if shape_word(items[0]) != 0 {
            header.elements.set(shared_shape(&items));
        }
        ListObj {
            header,
            view: NativeView::of(&items),
            items: UnsafeCell::new(items),
        }
    }

    /// The list's *element shape*: when it is not 0, every element is an object of that shape,
    /// or was one when it was stored and has lost it since (which sets the shape's
    /// [`SHAPE_LOST_BIT`]). Native code relies on it: where a loop starts, a list whose element
    /// shape is S, with S's lost bit clear, gives objects of shape S at every index with no
    /// check of their own, for as long as the loop stores into no list
    /// (`aot/src/list_elements.rs`).
    /// Every writer of elements keeps it: this type's methods, which record the shape of what
    /// they store (0 once the elements differ), and native code's inline stores, which set it
    /// to 0. An empty list (made so, or emptied by `pop`) has [`EMPTY_ELEMENTS`]: its first
    /// element sets it.
    pub fn element_shape(&self) -> u16 {
        self.header.elements.get()
    }

    /// Record `x` as stored in the list. A list whose elements differ already (0, the usual
    /// case for lists of anything but objects) costs a load and a branch: `psh` is a hot path.
    #[inline]
    fn note_element(&self, x: Value) {
        let known = self.header.elements.get();
        if known != 0 {
            self.note_shaped_element(known, x);
        }
    }

    /// [`note_element`](Self::note_element) where the element shape is `known` (not 0): out
    /// of line, so that `psh` onto other lists keeps its registers.
    #[cold]
    #[inline(never)]
    fn note_shaped_element(&self, known: u16, x: Value) {
        let s = shape_as_element(x);
        if known == EMPTY_ELEMENTS {
            self.header.elements.set(s);
        } else if known != s {
            self.header.elements.set(0);
        }
    }

    /// Run `f` on the contents, then refresh the native view. `f` must not
    /// reach this list again (it never does below: it only touches the vector).
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut Vec<Value>) -> R) -> R {
        // SAFETY: see the module docs; no other borrow of the contents is live.
        let items = unsafe { &mut *self.items.get() };
        let r = f(items);
        self.view.sync(items);
        r
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.with(|v| v.len())
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<Value> {
        self.with(|v| v.get(i).copied())
    }

    /// Replace element `i`; `false` if out of range.
    #[inline]
    pub fn set(&self, i: usize, x: Value) -> bool {
        let stored = self.with(|v| match v.get_mut(i) {
            Some(slot) => {
                *slot = x;
                true
            }
            None => false,
        });
        if stored {
            self.note_element(x);
        }
        stored
    }

    /// Append `x`; whether the buffer grew (and the growth was counted).
    #[inline]
    pub fn push(&self, x: Value) -> bool {
        let grown = self.with(|v| {
            let cap = v.capacity();
            v.push(x);
            v.capacity() - cap
        });
        self.note_element(x);
        if grown > 0 {
            gc::grew(grown * WORD);
        }
        grown > 0
    }

    #[inline]
    pub fn pop(&self) -> Option<Value> {
        let (x, empty) = self.with(|v| (v.pop(), v.is_empty()));
        if empty {
            self.header.elements.set(EMPTY_ELEMENTS);
        }
        x
    }

    /// A copy of the elements.
    pub fn to_vec(&self) -> Vec<Value> {
        self.with(|v| v.clone())
    }

    /// Append a copy of `other`'s elements (`other` may be `self`).
    pub fn extend_from(&self, other: &ListObj) {
        let more = other.to_vec();
        let (grown, was_empty) = self.with(|v| {
            let (cap, was_empty) = (v.capacity(), v.is_empty());
            v.extend_from_slice(&more);
            (v.capacity() - cap, was_empty)
        });
        // `other`'s element shape says what its elements are (nothing when it is empty).
        let theirs = other.element_shape();
        if was_empty {
            self.header.elements.set(theirs);
        } else if !more.is_empty() && theirs != self.element_shape() {
            self.header.elements.set(0);
        }
        gc::grew(grown * WORD);
    }

    /// Call `visit` on every element.
    pub fn trace(&self, visit: &mut dyn FnMut(Value)) {
        // By index, so `visit` cannot invalidate an iterator.
        let mut i = 0;
        while let Some(x) = self.get(i) {
            visit(x);
            i += 1;
        }
    }
}

impl HeapObject for ListObj {
    #[inline]
    fn buffers(&self) -> usize {
        // SAFETY: see the module docs; a read, and nothing can change the
        // contents while it runs.
        unsafe { (*self.items.get()).capacity() * WORD }
    }

    #[inline]
    fn each_child(&self, mut f: impl FnMut(Value)) {
        // SAFETY: as above; `f` (the collector's mark) does not touch lists.
        unsafe { (*self.items.get()).iter().for_each(|&x| f(x)) }
    }
}

/// A key of an object's hash index: a pointer to the key string, hashed and
/// compared by content. Valid while the entry holding that string is live.
#[derive(Clone, Copy)]
struct KeyRef(*const StrObj);

impl KeyRef {
    fn text(&self) -> &str {
        // SAFETY: the object's entries keep the key string alive for as long
        // as this index entry exists (removed together), and strings never move.
        unsafe { (*self.0).as_str() }
    }
}

impl Hash for KeyRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text().hash(state)
    }
}

impl PartialEq for KeyRef {
    fn eq(&self, other: &KeyRef) -> bool {
        self.text() == other.text()
    }
}

impl Eq for KeyRef {}

impl Borrow<str> for KeyRef {
    fn borrow(&self) -> &str {
        self.text()
    }
}

/// Objects with more live keys than this get a hash index; smaller ones are
/// searched linearly.
const INDEX_THRESHOLD: usize = 8;

/// A deleted entry's key.
const DELETED: Value = Value::UNASSIGNED;

struct ObjMap {
    /// `(key, value)` in insertion order; keys are strings, or [`DELETED`].
    entries: Vec<(Value, Value)>,
    live: usize,
    /// Key -> position in `entries`, for objects above [`INDEX_THRESHOLD`].
    index: Option<HashMap<KeyRef, usize>>,
}

impl ObjMap {
    /// The position of key `key` (a string value): the same string object is
    /// found by identity first (field names in code and object literals are
    /// the program's shared constants), then by content.
    fn find_value(&self, key: Value, text: &str) -> Option<usize> {
        if self.index.is_none() {
            if let Some(p) = self.entries.iter().position(|(k, _)| *k == key) {
                return Some(p);
            }
        }
        self.find(text)
    }

    fn find(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(ix) => ix.get(key).copied(),
            None => self
                .entries
                .iter()
                .position(|(k, _)| super::str_of(*k) == Some(key)),
        }
    }

    fn build_index(&mut self) {
        let mut ix = HashMap::with_capacity(self.live * 2);
        for (pos, (k, _)) in self.entries.iter().enumerate() {
            if let Some(s) = string(*k) {
                ix.insert(KeyRef(s), pos);
            }
        }
        self.index = Some(ix);
    }

    /// Bytes of the entry buffer and (approximately) the hash index.
    fn bytes(&self) -> usize {
        let slot = std::mem::size_of::<(KeyRef, usize)>() + 1;
        self.entries.capacity() * std::mem::size_of::<(Value, Value)>()
            + self.index.as_ref().map_or(0, |ix| ix.capacity() * slot)
    }

    /// Replace the value at position `p` of an object of shape `shape`, recording it for the
    /// shape ([`note_entry`]): every replacement goes through here.
    fn replace(&mut self, p: usize, v: Value, shape: u32) {
        self.entries[p].1 = v;
        note_entry(shape, p, v);
    }

    /// Drop deleted entries (keeping order) and renumber the index.
    fn compact(&mut self) {
        self.entries.retain(|(k, _)| *k != DELETED);
        if self.index.is_some() {
            self.build_index();
        }
    }
}

/// A mutable map from strings to values that keeps insertion order.
/// Deleting a key keeps the order of the rest; re-adding it appends it.
#[repr(C)]
pub struct ObjObj {
    header: Header,
    view: NativeView<(Value, Value)>,
    map: UnsafeCell<ObjMap>,
}

impl ObjObj {
    pub(super) fn new(capacity: usize) -> ObjObj {
        let entries = Vec::with_capacity(capacity);
        ObjObj {
            header: Header::new(Kind::Object),
            view: NativeView::of(&entries),
            map: UnsafeCell::new(ObjMap {
                entries,
                live: 0,
                index: None,
            }),
        }
    }

    /// Run `f` on the map, then refresh the native view.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut ObjMap) -> R) -> R {
        // SAFETY: see the module docs; `f` only hashes and compares key
        // strings (other objects), never this object.
        let map = unsafe { &mut *self.map.get() };
        let r = f(map);
        self.view.sync(&map.entries);
        r
    }

    /// The value of `key` (a string value) through an inline cache: `hint`
    /// is the entry position where the last lookup at this site found its
    /// key. A hit is one compare of key identity; a miss looks the key up
    /// and updates `hint`.
    #[inline]
    pub fn get_cached(&self, key: Value, text: &str, hint: &Cell<u32>) -> Option<Value> {
        self.with(|m| {
            if let Some(&(k, v)) = m.entries.get(hint.get() as usize) {
                if k == key {
                    return Some(v);
                }
            }
            let p = m.find_value(key, text)?;
            hint.set(p as u32);
            Some(m.entries[p].1)
        })
    }

    /// Replace the value of `key` if present (through `hint`, as for
    /// [`get_cached`](Self::get_cached)); `false` if the key is missing.
    #[inline]
    pub fn replace_cached(&self, key: Value, text: &str, v: Value, hint: &Cell<u32>) -> bool {
        self.with(|m| {
            let p = match m.entries.get(hint.get() as usize) {
                Some(&(k, _)) if k == key => hint.get() as usize,
                _ => match m.find_value(key, text) {
                    Some(p) => {
                        hint.set(p as u32);
                        p
                    }
                    None => return false,
                },
            };
            m.replace(p, v, self.shape());
            true
        })
    }

    /// The object's shape: 0, or a number that native code compiled for this program gave the
    /// key sequence of an object literal. The invariant native code relies on: an object whose
    /// shape is not 0 has that literal's keys at the literal's positions (its first entries), so
    /// a field read checks the shape instead of looking the key up. Adding a key appends an
    /// entry and moves none, so the object keeps its shape; removing one (`remove`, which may
    /// also compact the entries) resets it to 0.
    #[inline]
    pub fn shape(&self) -> u32 {
        self.header.shape.get()
    }

    /// Give a new, still empty object literal its shape, before its keys are set: then
    /// [`set`](Self::set) records each value's kind for the shape
    /// (`ilusm_rt_shape_non_numbers`) as it goes. Then [`confirm_shape`](Self::confirm_shape).
    pub fn set_shape(&self, shape: u32) {
        debug_assert_eq!(self.len(), 0, "a shape is given before the keys");
        self.header.shape.set(shape);
    }

    /// After the keys of a shaped literal are set: `keys` is the number of key-value pairs the
    /// literal had. A literal that repeated a key has fewer entries than that, and its positions
    /// are not the compiler's; it goes back to shape 0 (what it recorded on the way stays: a
    /// bit too many only costs speed).
    pub fn confirm_shape(&self, keys: usize) {
        if !self.with(|m| m.entries.len() == keys && m.live == keys) {
            self.lose_shape();
        }
    }

    /// The object's shape goes to 0, for good; a shape it had is recorded as lost
    /// ([`SHAPE_LOST_BIT`]): lists that held the object say it has that shape.
    fn lose_shape(&self) {
        let shape = self.header.shape.replace(0);
        if shape != 0 {
            note_lost(shape);
        }
    }

    /// Number of keys.
    #[inline]
    pub fn len(&self) -> usize {
        self.with(|m| m.live)
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.with(|m| m.find(key).map(|p| m.entries[p].1))
    }

    pub fn contains(&self, key: &str) -> bool {
        self.with(|m| m.find(key).is_some())
    }

    /// Set `key` (a string value) to `v`: replace the value in place if the
    /// key is present, else append. Returns `false` (and does nothing) if
    /// `key` is not a string.
    pub fn set(&self, key: Value, v: Value) -> bool {
        let Some(ks) = string(key) else {
            return false;
        };
        let grown = self.with(|m| {
            if let Some(p) = m.find_value(key, ks.as_str()) {
                m.replace(p, v, self.shape());
                return 0;
            }
            let before = m.bytes();
            m.entries.push((key, v));
            m.live += 1;
            let pos = m.entries.len() - 1;
            // A literal's values (`set_shape`), or a key added past the shape's own.
            note_entry(self.shape(), pos, v);
            match &mut m.index {
                Some(ix) => {
                    ix.insert(KeyRef(ks), pos);
                }
                None if m.live > INDEX_THRESHOLD => m.build_index(),
                None => {}
            }
            m.bytes().saturating_sub(before)
        });
        gc::grew(grown);
        true
    }

    /// Bytes of the entry buffer and hash index.
    pub(crate) fn buffer_bytes(&self) -> usize {
        self.with(|m| m.bytes())
    }

    /// Set `key` given as text, allocating the key string only if the key
    /// is new.
    pub fn set_str(&self, key: &str, v: Value) {
        let present = self.with(|m| match m.find(key) {
            Some(p) => {
                m.replace(p, v, self.shape());
                true
            }
            None => false,
        });
        if !present {
            self.set(super::alloc_str(key), v);
        }
    }

    /// Remove `key`; `false` if it was not there.
    pub fn remove(&self, key: &str) -> bool {
        self.with(|m| {
            let Some(p) = m.find(key) else {
                return false;
            };
            if let Some(ix) = &mut m.index {
                ix.remove(key);
            }
            self.lose_shape();
            m.entries[p] = (DELETED, Value::NIL);
            m.live -= 1;
            if m.entries.len() - m.live > m.live {
                m.compact();
            }
            true
        })
    }

    /// The keys, in order.
    pub fn keys(&self) -> Vec<Value> {
        self.with(|m| {
            m.entries
                .iter()
                .filter(|(k, _)| *k != DELETED)
                .map(|(k, _)| *k)
                .collect()
        })
    }

    /// The `(key, value)` pairs, in order.
    pub fn entries(&self) -> Vec<(Value, Value)> {
        self.with(|m| {
            m.entries
                .iter()
                .filter(|(k, _)| *k != DELETED)
                .copied()
                .collect()
        })
    }

    /// For iterating without copying: the first live entry at position
    /// `from` or later, with its position (continue from `position + 1`).
    /// Positions stay valid while no key is removed.
    pub fn next_entry(&self, from: usize) -> Option<(usize, Value, Value)> {
        self.with(|m| {
            m.entries
                .get(from..)?
                .iter()
                .position(|(k, _)| *k != DELETED)
                .map(|d| (from + d, m.entries[from + d].0, m.entries[from + d].1))
        })
    }

    /// Call `visit` on every key and value.
    pub fn trace(&self, visit: &mut dyn FnMut(Value)) {
        let mut at = 0;
        while let Some((p, k, v)) = self.next_entry(at) {
            visit(k);
            visit(v);
            at = p + 1;
        }
    }
}

impl HeapObject for ObjObj {
    #[inline]
    fn buffers(&self) -> usize {
        // SAFETY: see the module docs; a read only.
        unsafe { (*self.map.get()).bytes() }
    }

    #[inline]
    fn each_child(&self, mut f: impl FnMut(Value)) {
        // SAFETY: as above; `f` (the collector's mark) does not touch objects.
        let map = unsafe { &*self.map.get() };
        for &(k, v) in &map.entries {
            if k != DELETED {
                f(k);
                f(v);
            }
        }
    }
}

/// One mutable value: a local variable captured by a closure.
#[repr(C)]
pub struct CellObj {
    header: Header,
    value: Cell<Value>,
}

/// Byte offset of a cell's value word (native code may load and store it
/// directly: `ilusm_rt_cell_get` / `ilusm_rt_cell_set` are the same).
pub const CELL_VALUE_OFFSET: usize = std::mem::offset_of!(CellObj, value);

impl CellObj {
    pub(super) fn new(v: Value) -> CellObj {
        CellObj {
            header: Header::new(Kind::Cell),
            value: Cell::new(v),
        }
    }

    #[inline]
    pub fn get(&self) -> Value {
        self.value.get()
    }

    #[inline]
    pub fn set(&self, v: Value) {
        self.value.set(v)
    }

    pub fn trace(&self, visit: &mut dyn FnMut(Value)) {
        visit(self.get())
    }
}

impl HeapObject for CellObj {
    #[inline]
    fn buffers(&self) -> usize {
        0
    }

    #[inline]
    fn each_child(&self, mut f: impl FnMut(Value)) {
        f(self.get())
    }
}

/// A function with captured cells. Immutable once made.
#[repr(C)]
pub struct ClosureObj {
    header: Header,
    func: u32,
    cells: Box<[Value]>,
}

impl ClosureObj {
    pub(super) fn new(func: u32, cells: Vec<Value>) -> ClosureObj {
        ClosureObj {
            header: Header::new(Kind::Closure),
            func,
            cells: cells.into_boxed_slice(),
        }
    }

    /// The index of the function in the program.
    #[inline]
    pub fn func(&self) -> u32 {
        self.func
    }

    /// The captured cells, in the order the closure was made with.
    #[inline]
    pub fn cells(&self) -> &[Value] {
        &self.cells
    }

    pub fn trace(&self, visit: &mut dyn FnMut(Value)) {
        self.cells.iter().for_each(|&c| visit(c))
    }

    /// Bytes of the captured-cell array.
    pub(crate) fn buffer_bytes(&self) -> usize {
        self.cells.len() * WORD
    }
}

impl HeapObject for ClosureObj {
    #[inline]
    fn buffers(&self) -> usize {
        self.buffer_bytes()
    }

    #[inline]
    fn each_child(&self, f: impl FnMut(Value)) {
        self.cells.iter().copied().for_each(f)
    }
}
