//! The runtime ABI as native code sees it: value words, and the `ilusm_rt_*` symbols with their
//! Cranelift signatures (the table "The runtime ABI used by native code" of `ARCHITECTURE.md`).

use cranelift_codegen::ir::{types, AbiParam, Signature, Type};
use std::collections::HashMap;

use cranelift_module::{DataId, FuncId, Linkage, Module};

use ilusm_runtime::value;

/// Words below this are numbers.
pub(crate) const NUMBER_LIMIT: u64 = value::NUMBER_LIMIT;
pub(crate) const NIL: u64 = value::Value::NIL.0;
pub(crate) const FALSE: u64 = value::Value::FALSE.0;
pub(crate) const TRUE: u64 = value::Value::TRUE.0;
pub(crate) const UNASSIGNED: u64 = value::Value::UNASSIGNED.0;
pub(crate) const ERROR: u64 = value::Value::ERROR.0;
pub(crate) const TAG_FUNC: u64 = value::TAG_FUNC;
pub(crate) const TAG_BUILTIN: u64 = value::TAG_BUILTIN;
/// Mask of the 48-bit payload (a heap address).
pub(crate) const PAYLOAD_MASK: u64 = value::PAYLOAD_MASK;
/// Offset of a cell's value word from the cell's address.
pub(crate) const CELL_VALUE_OFFSET: i32 = ilusm_runtime::heap::CELL_VALUE_OFFSET as i32;
/// Tag (upper 16 bits) of heap references.
pub(crate) const TAG_HEAP: u64 = value::TAG_HEAP;
/// The kind bytes (offset 0 of a heap object) of lists and objects.
pub(crate) const KIND_LIST: u8 = ilusm_runtime::heap::Kind::List as u8;
pub(crate) const KIND_OBJECT: u8 = ilusm_runtime::heap::Kind::Object as u8;
/// The native views of list and object buffers (see `lower_access.rs`).
pub(crate) const LIST_ITEMS_OFFSET: i32 = ilusm_runtime::heap::LIST_ITEMS_OFFSET as i32;
pub(crate) const LIST_LEN_OFFSET: i32 = ilusm_runtime::heap::LIST_LEN_OFFSET as i32;
pub(crate) const OBJ_ENTRIES_OFFSET: i32 = ilusm_runtime::heap::OBJ_ENTRIES_OFFSET as i32;
pub(crate) const OBJ_LEN_OFFSET: i32 = ilusm_runtime::heap::OBJ_LEN_OFFSET as i32;
pub(crate) const LIST_ELEMENTS_OFFSET: i32 = ilusm_runtime::heap::LIST_ELEMENTS_OFFSET as i32;
pub(crate) const OBJ_SHAPE_OFFSET: i32 = ilusm_runtime::heap::OBJ_SHAPE_OFFSET as i32;
/// Bytes of one field-access site's inline cache (`abi::FieldCache`: key word, position).
pub(crate) const FIELD_CACHE_SIZE: i64 =
    std::mem::size_of::<ilusm_runtime::abi::FieldCache>() as i64;
/// The module's field caches (zero-initialised data, one per site).
pub(crate) const FIELD_CACHES_SYMBOL: &str = "ilusm_field_caches";
/// The quiet NaN a NaN constant is stored as (constants are numbers, never tags).
pub(crate) const CANONICAL_NAN: u64 = 0x7FF8_0000_0000_0000;

/// The value word of a number constant.
pub(crate) fn number_bits(n: f64) -> u64 {
    let bits = n.to_bits();
    if bits < NUMBER_LIMIT {
        bits
    } else {
        CANONICAL_NAN
    }
}

/// Shorthand for the parameter/return types of the ABI table.
const V: Type = types::I64; // a value word
const U32: Type = types::I32;
const U8: Type = types::I8;
/// A pointer; all supported targets are 64-bit.
pub(crate) const PTR: Type = types::I64;

macro_rules! runtime_fns {
    ($( $variant:ident = $name:literal ( $($p:expr),* ) $(-> $r:expr)? ; )*) => {
        /// A runtime function native code calls.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub(crate) enum RtFn { $($variant),* }

        impl RtFn {
            pub(crate) const ALL: &'static [RtFn] = &[$(RtFn::$variant),*];

            /// The exported symbol.
            pub(crate) fn symbol(self) -> &'static str {
                match self { $(RtFn::$variant => $name),* }
            }

            /// (parameter types, return type)
            pub(crate) fn types(self) -> (&'static [Type], Option<Type>) {
                match self { $(RtFn::$variant => (&[$($p),*], runtime_fns!(@ret $($r)?))),* }
            }
        }
    };
    (@ret) => { None };
    (@ret $r:expr) => { Some($r) };
}

runtime_fns! {
    Add = "ilusm_rt_add"(V, V) -> V;
    Sub = "ilusm_rt_sub"(V, V) -> V;
    Mul = "ilusm_rt_mul"(V, V) -> V;
    Div = "ilusm_rt_div"(V, V) -> V;
    Mod = "ilusm_rt_mod"(V, V) -> V;
    Eq = "ilusm_rt_eq"(V, V) -> V;
    Ne = "ilusm_rt_ne"(V, V) -> V;
    Lt = "ilusm_rt_lt"(V, V) -> V;
    Le = "ilusm_rt_le"(V, V) -> V;
    Gt = "ilusm_rt_gt"(V, V) -> V;
    Ge = "ilusm_rt_ge"(V, V) -> V;
    Neg = "ilusm_rt_neg"(V) -> V;
    Truthy = "ilusm_rt_truthy"(V) -> U8;
    Print = "ilusm_rt_print"(PTR, U32) -> V;
    Concat = "ilusm_rt_concat"(PTR, U32) -> V;
    Const = "ilusm_rt_const"(U32) -> V;
    Globals = "ilusm_rt_globals"() -> PTR;
    UndefinedGlobal = "ilusm_rt_undefined_global"(U32) -> V;
    CallBuiltin = "ilusm_rt_call_builtin"(U32, PTR, U32) -> V;
    CallValue = "ilusm_rt_call_value"(V, PTR, U32) -> V;
    MakeList = "ilusm_rt_make_list"(PTR, U32) -> V;
    MakeObject = "ilusm_rt_make_object"(PTR, U32, U32) -> V;
    Index = "ilusm_rt_index"(V, V) -> V;
    IndexOpt = "ilusm_rt_index_opt"(V, V) -> V;
    SetIndex = "ilusm_rt_set_index"(V, V, V) -> V;
    GetFieldIc = "ilusm_rt_get_field_ic"(V, V, PTR) -> V;
    GetFieldOptIc = "ilusm_rt_get_field_opt_ic"(V, V, PTR) -> V;
    SetFieldIc = "ilusm_rt_set_field_ic"(V, V, V, PTR) -> V;
    MakeCell = "ilusm_rt_make_cell"(V) -> V;
    MakeClosure = "ilusm_rt_make_closure"(U32, PTR, U32) -> V;
    ClosureCell = "ilusm_rt_closure_cell"(V, U32) -> V;
    IterPrep = "ilusm_rt_iter_prep"(V) -> V;
    Len = "ilusm_rt_len"(V) -> V;
    Psh = "ilusm_rt_psh"(V, V) -> V;
    RangePrep = "ilusm_rt_range_prep"(V, V) -> V;
    StackOverflow = "ilusm_rt_stack_overflow"() -> V;
    Trace = "ilusm_rt_trace"(U32, U32);
}

/// The call-depth counter (`static AtomicU64`).
pub(crate) const DEPTH_SYMBOL: &str = "ilusm_rt_depth";
/// The call-depth limit (`static AtomicU64`).
pub(crate) const MAX_DEPTH_SYMBOL: &str = "ilusm_rt_max_depth";
/// The address of the program's constants, one word each (`static AtomicPtr<u64>`).
pub(crate) const CONSTANTS_SYMBOL: &str = "ilusm_rt_constants";
/// Per object shape, the entry positions that have held a non-number (`static [AtomicU64]`,
/// `crate::field_numbers`).
pub(crate) const SHAPE_NON_NUMBERS_SYMBOL: &str = "ilusm_rt_shape_non_numbers";
/// Start-up of an AOT executable, called by the object's `main`.
pub(crate) const MAIN_SYMBOL: &str = "ilusm_rt_main";

/// Build a signature in the module's default (C) calling convention.
pub(crate) fn signature<M: Module>(m: &M, params: &[Type], ret: Option<Type>) -> Signature {
    let mut sig = m.make_signature();
    sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
    sig.returns.extend(ret.map(AbiParam::new));
    sig
}

/// The runtime symbols of one Cranelift module, declared (as imports) on first use, so that an
/// object references only what its code calls.
#[derive(Default)]
pub(crate) struct RuntimeDecls {
    funcs: HashMap<RtFn, FuncId>,
    data: HashMap<&'static str, DataId>,
    /// The `preserve_all` trampolines of runtime functions (`slow_calls.rs`).
    pub(crate) preserving: HashMap<RtFn, FuncId>,
}

impl RuntimeDecls {
    pub(crate) fn new() -> RuntimeDecls {
        RuntimeDecls::default()
    }

    pub(crate) fn func<M: Module>(&mut self, m: &mut M, f: RtFn) -> FuncId {
        *self.funcs.entry(f).or_insert_with(|| {
            let (params, ret) = f.types();
            let sig = signature(m, params, ret);
            m.declare_function(f.symbol(), Linkage::Import, &sig)
                .expect("runtime symbols are declared once, with one signature")
        })
    }

    /// `ilusm_rt_depth` or `ilusm_rt_max_depth`.
    pub(crate) fn data<M: Module>(&mut self, m: &mut M, symbol: &'static str) -> DataId {
        *self.data.entry(symbol).or_insert_with(|| {
            m.declare_data(symbol, Linkage::Import, true, false)
                .expect("runtime data symbols are declared once")
        })
    }
}
