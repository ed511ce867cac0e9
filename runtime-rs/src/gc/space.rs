//! Where the fixed parts of objects live: chunks of equal-sized slots, one
//! object kind per chunk.
//!
//! Why not `Box` each object and keep a registry of pointers: that costs a
//! `malloc` and a `free` per object, a registry entry per object, and a sort
//! of the new entries at every collection (the collector needs address
//! order to tell whether a stack word names an object). Here an object's
//! struct is a slot of a [`CHUNK`]-aligned chunk of slots of its kind's
//! size, so:
//!
//! - allocation pops a free slot of the kind (or bumps into a chunk's
//!   untouched part): no `malloc`;
//! - whether an address is an object is answered by the chunk table (a
//!   sorted `Vec` of chunk bases, searched only for roots and stack words)
//!   and the slot's kind byte: no per-object registry, nothing to sort;
//! - the sweep walks the chunks in address order, drops the dead objects'
//!   contents in place, and rebuilds each kind's free list in address
//!   order; a chunk left empty goes to a pool any kind can take it from.
//!
//! A free slot has kind byte 0 (no [`Kind`] has that discriminant), so the
//! collector never takes it for an object: a stale stack word naming a
//! freed slot keeps nothing alive (and never makes the collector follow the
//! dead object's old contents). Only slots below a chunk's `top` were ever
//! written; the rest of a chunk is untouched memory, never read, so a new
//! chunk costs no page until objects are put in it (start-up stays cheap).
//!
//! Objects never move; the heap-limit accounting is unchanged (it counts
//! [`heap::fixed_size`] per object, not slot or chunk sizes).

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ptr::{self, NonNull};

use crate::heap::{
    self, BufObj, CellObj, ClosureObj, Header, HeapObject, Kind, ListObj, ObjObj, StrObj,
};

/// Bytes per chunk, and its alignment: an address's chunk is the address
/// with the low bits cleared.
const CHUNK: usize = 1 << 18;

/// Kinds by index (`Kind as usize - 1`).
const KINDS: [Kind; 6] = [
    Kind::Str,
    Kind::List,
    Kind::Object,
    Kind::Closure,
    Kind::Cell,
    Kind::Buffer,
];

/// A chunk's `kind` while it is in the pool.
const POOLED: u8 = 0;

/// Empty chunks kept for reuse beyond those in use: fewer means more
/// `munmap`/`mmap` and page faults when a program's heap breathes, more
/// means a larger resident set after a peak.
const POOL_SLACK: usize = 4;

/// One chunk's description, in the table sorted by `base`.
struct Chunk {
    base: usize,
    /// Bytes from `base` that were ever handed out (objects or free slots);
    /// for the chunk a kind is bumping into, brought up to date by
    /// [`Space::sync_bump`].
    top: usize,
    /// The kind byte of its objects, or [`POOLED`].
    kind: u8,
}

/// Per kind: the free list and the chunk being bumped into.
#[derive(Clone, Copy)]
struct Class {
    /// First free slot; each free slot's second word is the next (null ends).
    free: *mut u8,
    /// Bump range `[bump, end)` in the chunk at `bump_base` (0: none).
    bump: usize,
    end: usize,
    bump_base: usize,
}

const NO_CLASS: Class = Class {
    free: ptr::null_mut(),
    bump: 0,
    end: 0,
    bump_base: 0,
};

/// All the chunks of one thread's heap.
pub(super) struct Space {
    chunks: Vec<Chunk>,
    classes: [Class; 6],
    /// Bases of empty chunks (their `kind` is [`POOLED`]).
    pool: Vec<usize>,
}

/// What a sweep left.
pub(super) struct Swept {
    pub objects: usize,
    pub bytes: usize,
}

fn layout() -> Layout {
    Layout::from_size_align(CHUNK, CHUNK).expect("chunk layout")
}

/// The slot size of `kind`: its struct's size (a multiple of 8, the
/// structs' alignment; at least 16, room for the free-list link).
#[inline]
fn slot_size(kind: Kind) -> usize {
    heap::fixed_size(kind)
}

impl Space {
    pub(super) const fn new() -> Space {
        Space {
            chunks: Vec::new(),
            classes: [NO_CLASS; 6],
            pool: Vec::new(),
        }
    }

    /// An uninitialised slot for an object of `kind`, 8-aligned, of
    /// [`heap::fixed_size`]`(kind)` bytes. The caller writes the object
    /// (header first) before anything else can look at the space.
    #[inline]
    pub(super) fn alloc(&mut self, kind: Kind) -> NonNull<u8> {
        let c = &mut self.classes[kind as usize - 1];
        if let Some(p) = NonNull::new(c.free) {
            // SAFETY: a free slot's second word is the link written by
            // `sweep` (slots are at least 16 bytes).
            c.free = unsafe { *(p.as_ptr().add(8) as *const *mut u8) };
            return p;
        }
        let size = slot_size(kind);
        if c.bump + size <= c.end {
            let p = c.bump;
            c.bump += size;
            // SAFETY: inside a chunk, so not null.
            return unsafe { NonNull::new_unchecked(p as *mut u8) };
        }
        self.alloc_slow(kind)
    }

    #[cold]
    #[inline(never)]
    fn alloc_slow(&mut self, kind: Kind) -> NonNull<u8> {
        self.sync_bump();
        let base = match self.pool.pop() {
            Some(base) => base,
            None => {
                // SAFETY: a non-zero size.
                let p = unsafe { alloc(layout()) };
                if p.is_null() {
                    handle_alloc_error(layout());
                }
                let base = p as usize;
                let at = self.chunks.partition_point(|c| c.base < base);
                self.chunks.insert(
                    at,
                    Chunk {
                        base,
                        top: 0,
                        kind: POOLED,
                    },
                );
                base
            }
        };
        let i = self.index_of(base).expect("a chunk of the table");
        self.chunks[i].kind = kind as u8;
        self.chunks[i].top = 0;
        let size = slot_size(kind);
        let c = &mut self.classes[kind as usize - 1];
        c.bump_base = base;
        c.bump = base + size;
        c.end = base + CHUNK / size * size;
        // SAFETY: the first slot of the chunk, not null.
        unsafe { NonNull::new_unchecked(base as *mut u8) }
    }

    fn index_of(&self, base: usize) -> Option<usize> {
        self.chunks.binary_search_by_key(&base, |c| c.base).ok()
    }

    /// Record in each bump chunk's `top` how far it was bumped.
    pub(super) fn sync_bump(&mut self) {
        for k in 0..KINDS.len() {
            let c = self.classes[k];
            if c.bump_base != 0 {
                let i = self.index_of(c.bump_base).expect("a chunk of the table");
                self.chunks[i].top = c.bump - c.bump_base;
            }
        }
    }

    /// The object at `addr` exactly, or (if `interior`) whose fixed part
    /// contains `addr`. Reads nothing but this table and slots of its
    /// chunks below their `top`. Call [`sync_bump`](Self::sync_bump) after
    /// the last allocation first.
    pub(super) fn find(&self, addr: usize, interior: bool) -> Option<NonNull<Header>> {
        let base = addr & !(CHUNK - 1);
        let c = &self.chunks[self.index_of(base)?];
        let off = addr - base;
        if c.kind == POOLED || off >= c.top {
            return None;
        }
        let size = slot_size(KINDS[c.kind as usize - 1]);
        let start = base + off / size * size;
        // SAFETY: a slot below `top` of one of our chunks: initialised.
        let byte = unsafe { *(start as *const u8) };
        // A free slot (0), or an object of the chunk's kind; every byte of
        // the slot is the object's fixed part.
        (byte != 0 && (start == addr || interior))
            .then(|| NonNull::new(start as *mut Header))
            .flatten()
    }

    /// Free every object whose mark is clear (dropping its contents in
    /// place), clear the marks of the rest, and rebuild the free lists.
    /// Empty chunks go to the pool; the pool is trimmed.
    pub(super) fn sweep(&mut self) -> Swept {
        self.sync_bump();
        let mut swept = Swept {
            objects: 0,
            bytes: 0,
        };
        // Each kind's free list is rebuilt in address order: its tail.
        let mut tails: [*mut *mut u8; 6] = [ptr::null_mut(); 6];
        for (class, tail) in self.classes.iter_mut().zip(&mut tails) {
            class.free = ptr::null_mut();
            *tail = &mut class.free;
        }
        let mut emptied = false;
        for chunk in &mut self.chunks {
            if chunk.kind == POOLED {
                continue;
            }
            let k = chunk.kind as usize - 1;
            // This chunk's free slots, linked in order.
            let mut head: *mut u8 = ptr::null_mut();
            let mut tail: *mut *mut u8 = &mut head;
            let (range, t) = ((chunk.base, chunk.base + chunk.top), &mut tail);
            // SAFETY: the chunk's slots below `top` hold objects of its kind
            // or are free.
            let (alive, bytes) = unsafe {
                match KINDS[k] {
                    Kind::Str => sweep_slots::<StrObj>(range, t),
                    Kind::List => sweep_slots::<ListObj>(range, t),
                    Kind::Object => sweep_slots::<ObjObj>(range, t),
                    Kind::Closure => sweep_slots::<ClosureObj>(range, t),
                    Kind::Cell => sweep_slots::<CellObj>(range, t),
                    Kind::Buffer => sweep_slots::<BufObj>(range, t),
                }
            };
            swept.objects += alive;
            swept.bytes += bytes;
            let bumping = self.classes[k].bump_base == chunk.base;
            if alive == 0 && !bumping {
                chunk.kind = POOLED;
                chunk.top = 0;
                self.pool.push(chunk.base);
                emptied = true;
            } else if !head.is_null() {
                // SAFETY: `tails[k]` points at the last link of the kind's
                // list (or its head); `tail` at this chunk's last link.
                unsafe {
                    *tails[k] = head;
                    *tail = ptr::null_mut();
                }
                tails[k] = tail;
            }
        }
        if emptied {
            self.trim_pool();
        }
        swept
    }

    /// Give back pooled chunks beyond [`POOL_SLACK`] more than those in use.
    fn trim_pool(&mut self) {
        let in_use = self.chunks.len() - self.pool.len();
        if self.pool.len() <= in_use + POOL_SLACK {
            return;
        }
        self.pool.sort_unstable();
        let keep = in_use + POOL_SLACK;
        // Keep the lowest addresses (denser use of the address space).
        for &base in &self.pool[keep..] {
            // SAFETY: allocated in `alloc_slow` with this layout; empty.
            unsafe { dealloc(base as *mut u8, layout()) };
        }
        let gone: std::collections::HashSet<usize> = self.pool.drain(keep..).collect();
        self.chunks.retain(|c| !gone.contains(&c.base));
    }

    /// Drop every object and give back every chunk (the thread is ending).
    pub(super) fn free_all(&mut self) {
        self.sync_bump();
        for chunk in self.chunks.drain(..) {
            if chunk.kind != POOLED {
                let size = slot_size(KINDS[chunk.kind as usize - 1]);
                let mut at = chunk.base;
                while at < chunk.base + chunk.top {
                    // SAFETY: a slot below `top`; objects are dropped once.
                    unsafe {
                        if *(at as *const u8) != 0 {
                            heap::drop_object(NonNull::new_unchecked(at as *mut Header));
                        }
                    }
                    at += size;
                }
            }
            // SAFETY: allocated in `alloc_slow` with this layout.
            unsafe { dealloc(chunk.base as *mut u8, layout()) };
        }
        self.pool.clear();
        self.classes = [NO_CLASS; 6];
    }
}

/// Sweep the slots in `[from, to)`, objects of type `T` or free: clear the
/// marks of marked objects, drop the others, and link every free slot at
/// `*tail` (which is left at the last link). Returns the survivors' count
/// and bytes ([`heap::object_bytes`]). Generic, so that each kind's bytes
/// and drop are direct code rather than a dispatch per object.
///
/// # Safety
/// Every slot in the range holds a live `T` or is free (kind byte 0).
unsafe fn sweep_slots<T: HeapObject>(
    (from, to): (usize, usize),
    tail: &mut *mut *mut u8,
) -> (usize, usize) {
    let size = std::mem::size_of::<T>();
    let (mut alive, mut bytes) = (0, 0);
    let mut at = from;
    while at < to {
        let p = at as *mut u8;
        at += size;
        if *p != 0 {
            let obj = &*(p as *const T);
            let h = &*(p as *const Header);
            if h.marked.replace(false) {
                alive += 1;
                bytes += size + obj.buffers();
                continue;
            }
            // Unmarked: unreachable from every root.
            ptr::drop_in_place(p as *mut T);
            *p = 0;
        }
        **tail = p;
        *tail = p.add(8) as *mut *mut u8;
    }
    (alive, bytes)
}
