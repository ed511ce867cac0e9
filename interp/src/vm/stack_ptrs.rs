//! The dispatch loop's view of the operand stack: two raw pointers into
//! `Vm::stack`'s buffer, to the running frame's local slot 0 (`bp`) and
//! one past the top value (`sp`). A push, a pop or a local access through
//! them touches no `Vec` field and checks nothing, which is what keeps the
//! loop's fast paths short.
//!
//! While the loop runs, the `Vec`'s length is stale. [`StackPtrs::sync`]
//! writes `sp` back as the length before anything that may look at the
//! stack: every call into the runtime (it may collect, and the collector's
//! roots are `stack[..len]`, exactly the live values), builtins, errors.
//! Only entering a frame or a builtin calling back into the VM can move the
//! buffer; [`StackPtrs::at`] re-derives the pointers after those.
//!
//! Why nothing is checked (the conditions of the `unsafe` methods, which
//! the loop relies on): `load` checked every local slot operand against
//! the function's `num_locals`, and computed its `frame_size` (locals and
//! deepest operand stack, `load::max_stack`); entering a frame initializes
//! its locals and reserves its `frame_size`; verified code never pops below
//! the locals, so pushes need no capacity check and pops no emptiness check.

use ilusm_runtime::Value;

/// `bp` and `sp` of the running frame (see the module documentation).
#[derive(Clone, Copy)]
pub(super) struct StackPtrs {
    /// Local slot 0 of the running frame.
    bp: *mut Value,
    /// One past the top value of the operand stack.
    sp: *mut Value,
}

impl StackPtrs {
    /// The pointers of a frame whose local slot 0 is `stack[base]`, with
    /// the top at `stack.len()`.
    ///
    /// # Safety
    ///
    /// `base <= stack.len()`.
    #[inline(always)]
    pub unsafe fn at(stack: &mut Vec<Value>, base: usize) -> StackPtrs {
        let start = stack.as_mut_ptr();
        StackPtrs {
            bp: start.add(base),
            sp: start.add(stack.len()),
        }
    }

    /// The pointers of a new frame whose local slot 0 is `stack[base]`, the
    /// first of its `arity` arguments; its other locals, up to
    /// `num_locals`, start as nil, and its operand stack above them empty.
    ///
    /// # Safety
    ///
    /// `stack`'s capacity covers `base + num_locals` slots, and the
    /// arguments are initialized (`arity <= num_locals`).
    #[inline(always)]
    pub unsafe fn open_frame(
        stack: &mut Vec<Value>,
        base: usize,
        arity: usize,
        num_locals: usize,
    ) -> StackPtrs {
        let bp = stack.as_mut_ptr().add(base);
        for l in arity..num_locals {
            bp.add(l).write(Value::NIL);
        }
        StackPtrs {
            bp,
            sp: bp.add(num_locals),
        }
    }

    /// The stack's length by `sp`, for a buffer starting at `start`.
    ///
    /// # Safety
    ///
    /// `start` is the buffer these pointers were derived from (it has not
    /// moved since).
    #[inline(always)]
    pub unsafe fn depth(&self, start: *const Value) -> usize {
        self.sp.offset_from(start) as usize
    }

    /// Write `sp` back as `stack`'s length.
    ///
    /// # Safety
    ///
    /// As for [`StackPtrs::depth`]; every slot below `sp` is initialized.
    #[inline(always)]
    pub unsafe fn sync(&self, stack: &mut Vec<Value>) {
        stack.set_len(self.depth(stack.as_ptr()));
    }

    /// Local slot `l` of the running frame.
    ///
    /// # Safety
    ///
    /// `l` is below the running function's `num_locals`.
    #[inline(always)]
    pub unsafe fn local(&self, l: u16) -> Value {
        *self.bp.add(l as usize)
    }

    /// Store `v` in local slot `l`.
    ///
    /// # Safety
    ///
    /// As for [`StackPtrs::local`].
    #[inline(always)]
    pub unsafe fn set_local(&self, l: u16, v: Value) {
        *self.bp.add(l as usize) = v;
    }

    /// # Safety
    ///
    /// The frame's reserved `frame_size` has room for one more value.
    #[inline(always)]
    pub unsafe fn push(&mut self, v: Value) {
        self.sp.write(v);
        self.sp = self.sp.add(1);
    }

    /// # Safety
    ///
    /// The operand stack (above the locals) is not empty.
    #[inline(always)]
    pub unsafe fn pop(&mut self) -> Value {
        self.sp = self.sp.sub(1);
        *self.sp
    }

    /// The top value, in place.
    ///
    /// # Safety
    ///
    /// As for [`StackPtrs::pop`].
    #[inline(always)]
    pub unsafe fn top(&mut self) -> &mut Value {
        &mut *self.sp.sub(1)
    }

    /// The value `k` below the top (0: the top).
    ///
    /// # Safety
    ///
    /// The operand stack holds more than `k` values.
    #[inline(always)]
    pub unsafe fn peek(&self, k: usize) -> Value {
        *self.sp.sub(k + 1)
    }

    /// Drop the top `n` values.
    ///
    /// # Safety
    ///
    /// The operand stack holds at least `n` values.
    #[inline(always)]
    pub unsafe fn drop_n(&mut self, n: usize) {
        self.sp = self.sp.sub(n);
    }
}
