//! The JIT: the same lowering as the object files, compiled in memory with `cranelift-jit`,
//! with the runtime's `ilusm_rt_*` symbols resolved to the functions linked into this process.

use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::default_libcall_names;
use ilusm_bytecode::{Constant, Module as BcModule};

use crate::abi::{RtFn, RuntimeDecls};
use crate::lower_module::lower_module;
use crate::AotError;

/// A generic entry: `extern "C" fn(env: u64, argv: *const u64) -> u64`.
pub(crate) type GenericEntry = ilusm_runtime::native::NativeFn;
// The lowering emits exactly this signature; fail to build if the runtime's changes.
const _: fn(GenericEntry) -> extern "C" fn(u64, *const u64) -> u64 = |f| f;

/// A compiled program. The code lives as long as this value.
pub(crate) struct JitProgram {
    module: Option<JITModule>,
    /// The generic entry of every function, in bytecode order.
    pub table: Vec<GenericEntry>,
}

impl Drop for JitProgram {
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: the function pointers handed out die with `self`; no native code runs now.
            unsafe { m.free_memory() };
        }
    }
}

/// Compile `m` in memory, resolving imports through `symbols` (name, address).
pub(crate) fn jit_compile(
    m: &BcModule,
    symbols: &[(&str, *const u8)],
) -> Result<JitProgram, AotError> {
    let mut flags = crate::base_flags(false);
    // Imports may be anywhere in the address space: no short-range relocations.
    flags
        .set("use_colocated_libcalls", "false")
        .expect("valid Cranelift setting");
    let isa = cranelift_native::builder()
        .map_err(|e| AotError::Codegen(format!("this host is not supported by the JIT: {e}")))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| AotError::Codegen(e.to_string()))?;
    let mut jb = JITBuilder::with_isa(isa, default_libcall_names());
    for &(name, addr) in symbols {
        jb.symbol(name, addr);
    }
    let mut jm = JITModule::new(jb);
    let mut rt = RuntimeDecls::new();
    let lowered = lower_module(&mut jm, m, &mut rt, None)?;
    jm.finalize_definitions()?;
    let table = lowered
        .generic
        .iter()
        .map(|&id| {
            let p = jm.get_finalized_function(id);
            // SAFETY: `id` was defined with the generic-entry signature (C ABI, (i64, pointer)
            // -> i64).
            unsafe { std::mem::transmute::<*const u8, GenericEntry>(p) }
        })
        .collect();
    Ok(JitProgram {
        module: Some(jm),
        table,
    })
}

/// The program image of `m`: what the runtime must know about the program.
///
/// `interp/src/load.rs` maps a module to an image the same way. That is
/// deliberate: the runtime may not know the bytecode crate and the two back
/// ends may not use each other, so the only shared home would be a new crate
/// for twenty lines of field copying.
pub(crate) fn program_image(m: &BcModule) -> ilusm_runtime::program::ProgramImage {
    use ilusm_runtime::program::{ImageConstant, ImageFunction, ProgramImage};
    ProgramImage {
        constants: m
            .constants
            .iter()
            .map(|c| match c {
                Constant::Num(n) => ImageConstant::Num(*n),
                Constant::Str(s) => ImageConstant::Str(s.clone()),
            })
            .collect(),
        globals: m.globals.clone(),
        files: m.files.clone(),
        functions: m
            .functions
            .iter()
            .map(|f| ImageFunction {
                name: f.name.clone(),
                arity: f.arity as u32,
                file: f.file,
                lines: f.lines.iter().map(|e| (e.pc, e.line, e.col)).collect(),
            })
            .collect(),
        entry: m.entry,
    }
}

/// The address of a runtime function in this process.
fn runtime_address(f: RtFn) -> *const u8 {
    use ilusm_runtime::abi as rt;
    match f {
        RtFn::Add => rt::ilusm_rt_add as *const u8,
        RtFn::Sub => rt::ilusm_rt_sub as *const u8,
        RtFn::Mul => rt::ilusm_rt_mul as *const u8,
        RtFn::Div => rt::ilusm_rt_div as *const u8,
        RtFn::Mod => rt::ilusm_rt_mod as *const u8,
        RtFn::Eq => rt::ilusm_rt_eq as *const u8,
        RtFn::Ne => rt::ilusm_rt_ne as *const u8,
        RtFn::Lt => rt::ilusm_rt_lt as *const u8,
        RtFn::Le => rt::ilusm_rt_le as *const u8,
        RtFn::Gt => rt::ilusm_rt_gt as *const u8,
        RtFn::Ge => rt::ilusm_rt_ge as *const u8,
        RtFn::Neg => rt::ilusm_rt_neg as *const u8,
        RtFn::Truthy => rt::ilusm_rt_truthy as *const u8,
        RtFn::Print => rt::ilusm_rt_print as *const u8,
        RtFn::Concat => rt::ilusm_rt_concat as *const u8,
        RtFn::Const => rt::ilusm_rt_const as *const u8,
        RtFn::Globals => rt::ilusm_rt_globals as *const u8,
        RtFn::UndefinedGlobal => rt::ilusm_rt_undefined_global as *const u8,
        RtFn::CallBuiltin => rt::ilusm_rt_call_builtin as *const u8,
        RtFn::CallValue => rt::ilusm_rt_call_value as *const u8,
        RtFn::MakeList => rt::ilusm_rt_make_list as *const u8,
        RtFn::MakeObject => rt::ilusm_rt_make_object as *const u8,
        RtFn::Index => rt::ilusm_rt_index as *const u8,
        RtFn::IndexOpt => rt::ilusm_rt_index_opt as *const u8,
        RtFn::SetIndex => rt::ilusm_rt_set_index as *const u8,
        RtFn::GetFieldIc => rt::ilusm_rt_get_field_ic as *const u8,
        RtFn::GetFieldOptIc => rt::ilusm_rt_get_field_opt_ic as *const u8,
        RtFn::SetFieldIc => rt::ilusm_rt_set_field_ic as *const u8,
        RtFn::MakeCell => rt::ilusm_rt_make_cell as *const u8,
        RtFn::MakeClosure => rt::ilusm_rt_make_closure as *const u8,
        RtFn::ClosureCell => rt::ilusm_rt_closure_cell as *const u8,
        RtFn::IterPrep => rt::ilusm_rt_iter_prep as *const u8,
        RtFn::Len => rt::ilusm_rt_len as *const u8,
        RtFn::Psh => rt::ilusm_rt_psh as *const u8,
        RtFn::RangePrep => rt::ilusm_rt_range_prep as *const u8,
        RtFn::StackOverflow => rt::ilusm_rt_stack_overflow as *const u8,
        RtFn::Trace => rt::ilusm_rt_trace as *const u8,
    }
}

/// Every runtime symbol native code may reference, with its address in this process.
fn runtime_symbols() -> Vec<(&'static str, *const u8)> {
    use ilusm_runtime::abi as rt;
    let mut v: Vec<_> = RtFn::ALL
        .iter()
        .map(|&f| (f.symbol(), runtime_address(f)))
        .collect();
    v.push((
        crate::abi::DEPTH_SYMBOL,
        &rt::ilusm_rt_depth as *const _ as *const u8,
    ));
    v.push((
        crate::abi::MAX_DEPTH_SYMBOL,
        &rt::ilusm_rt_max_depth as *const _ as *const u8,
    ));
    v.push((
        crate::abi::CONSTANTS_SYMBOL,
        &rt::ilusm_rt_constants as *const _ as *const u8,
    ));
    v.push((
        crate::abi::SHAPE_NON_NUMBERS_SYMBOL,
        &rt::ilusm_rt_shape_non_numbers as *const _ as *const u8,
    ));
    v
}

/// Compile `m` (verified bytecode) in memory and run it with the program arguments `args`;
/// the program's exit status.
pub fn jit_run(m: &BcModule, args: Vec<String>) -> Result<i32, AotError> {
    let program = jit_compile(m, &runtime_symbols())?;
    let image = program_image(m);
    let status = ilusm_runtime::native::run_native(image, program.table.clone(), args);
    drop(program);
    Ok(status)
}
