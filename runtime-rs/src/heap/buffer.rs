//! The buffer kind: a fixed-length mutable byte array (`__buf_new`).

use std::cell::Cell;

use super::{Header, Kind};

/// A mutable array of bytes whose length is fixed when it is made. Bytes
/// are `Cell`s: values are shared handles, so a buffer is changed through
/// `&` references (the heap is thread-local; `Cell` is not `Sync`).
#[repr(C)]
pub struct BufObj {
    header: Header,
    bytes: Box<[Cell<u8>]>,
}

impl BufObj {
    pub(super) fn new(len: usize) -> BufObj {
        BufObj {
            header: Header::new(Kind::Buffer),
            bytes: zeroed_cells(len),
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).map(Cell::get)
    }

    /// Store byte `i`; `false` if out of range.
    #[inline]
    pub fn set(&self, i: usize, b: u8) -> bool {
        match self.bytes.get(i) {
            Some(slot) => {
                slot.set(b);
                true
            }
            None => false,
        }
    }

    /// Run `f` on the bytes as a plain slice. `f` must not store into this
    /// buffer (nothing that runs ilusm code can be called from it).
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        // SAFETY: `Cell<u8>` has the layout of `u8`, and no store happens
        // while `f` borrows the bytes (see above).
        f(unsafe { &*(&*self.bytes as *const [Cell<u8>] as *const [u8]) })
    }

    /// Bytes of the byte array.
    pub(crate) fn buffer_bytes(&self) -> usize {
        self.bytes.len()
    }
}

/// `len` zero bytes as cells. `vec![0; len]` is one zeroed allocation (a
/// large buffer costs no page until it is written), which a map over
/// `Cell::new` would touch byte by byte.
fn zeroed_cells(len: usize) -> Box<[Cell<u8>]> {
    let bytes = vec![0u8; len].into_boxed_slice();
    // SAFETY: `Cell<u8>` is `repr(transparent)` over `u8`: same layout, and
    // the allocation is handed over whole.
    unsafe { Box::from_raw(Box::into_raw(bytes) as *mut [Cell<u8>]) }
}
