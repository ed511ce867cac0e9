//! Object files (`cranelift-object`) and the textual IR of the lowering.

use cranelift_codegen::ir::{types, InstBuilder, UserFuncName};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{default_libcall_names, DataDescription, Linkage, Module};
use cranelift_object::{ObjectBuilder, ObjectModule};
use ilusm_bytecode::Module as BcModule;

use crate::abi::{self, RuntimeDecls, PTR};
use crate::define::Pending;
use crate::lower_module::lower_module;
use crate::AotError;

fn object_module(triple: &str) -> Result<ObjectModule, AotError> {
    let isa = crate::object_isa(triple)?;
    let builder = ObjectBuilder::new(isa, "ilusm_program", default_libcall_names())?;
    Ok(ObjectModule::new(builder))
}

/// The program image the runtime decodes at start-up (constants, globals, files, functions).
pub(crate) fn program_image(m: &BcModule) -> ilusm_runtime::program::ProgramImage {
    crate::jit::program_image(m)
}

/// Compile `m` (verified bytecode) to an object file for `triple`.
///
/// The object exports `main(argc, argv)`, which calls `ilusm_rt_main(argc, argv, image,
/// image_len, fn_table, fn_count)`: `image` is `ProgramImage::to_bytes()` as read-only data and
/// `fn_table` the generic entries of all functions, in bytecode order. Link it with the runtime
/// static library ([`crate::link_executable`]).
pub fn compile_object(m: &BcModule, triple: &str) -> Result<Vec<u8>, AotError> {
    let mut om = object_module(triple)?;
    let mut rt = RuntimeDecls::new();
    let lowered = lower_module(&mut om, m, &mut rt, None)?;

    // The program image.
    let image = program_image(m).to_bytes();
    let image_id = om.declare_data("ilusm_program_image", Linkage::Local, false, false)?;
    let mut data = DataDescription::new();
    data.define(image.clone().into_boxed_slice());
    data.set_align(8);
    om.define_data(image_id, &data)?;

    // The table of generic entries (writable: it holds relocated addresses).
    let table_id = om.declare_data("ilusm_fn_table", Linkage::Local, true, false)?;
    let mut data = DataDescription::new();
    // Explicit zeros, not `define_zeroinit`: that would put the table in .bss, where the
    // relocations below are not applied.
    data.define(vec![0u8; 8 * lowered.generic.len().max(1)].into_boxed_slice());
    data.set_align(8);
    for (k, &g) in lowered.generic.iter().enumerate() {
        let r = om.declare_func_in_data(g, &mut data);
        data.write_function_addr((k * 8) as u32, r);
    }
    om.define_data(table_id, &data)?;

    // int main(int argc, char **argv)
    let i32t = types::I32;
    let main_sig = abi::signature(&om, &[i32t, PTR], Some(i32t));
    let main_id = om.declare_function("main", Linkage::Export, &main_sig)?;
    let rt_main_sig = abi::signature(&om, &[i32t, PTR, PTR, PTR, PTR, i32t], Some(i32t));
    let rt_main = om.declare_function(abi::MAIN_SYMBOL, Linkage::Import, &rt_main_sig)?;
    let mut ctx = om.make_context();
    ctx.func.signature = main_sig;
    ctx.func.name = UserFuncName::user(0, main_id.as_u32());
    let mut fctx = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let (argc, argv) = (b.block_params(entry)[0], b.block_params(entry)[1]);
        let gv = om.declare_data_in_func(image_id, b.func);
        let image_ptr = b.ins().symbol_value(PTR, gv);
        let image_len = b.ins().iconst(PTR, image.len() as i64);
        let gv = om.declare_data_in_func(table_id, b.func);
        let table_ptr = b.ins().symbol_value(PTR, gv);
        let count = b.ins().iconst(i32t, lowered.generic.len() as i64);
        let callee = om.declare_func_in_func(rt_main, b.func);
        let call = b.ins().call(
            callee,
            &[argc, argv, image_ptr, image_len, table_ptr, count],
        );
        let status = b.inst_results(call)[0];
        b.ins().return_(&[status]);
        b.seal_all_blocks();
        b.finalize(om.target_config());
    }
    let mut pending = Pending::default();
    pending.add(&om, &mut ctx, main_id, None, "; main\n")?;
    pending.define_all(&mut om)?;

    om.finish()
        .emit()
        .map_err(|e| AotError::Codegen(format!("writing the object file: {e}")))
}

/// The Cranelift IR (CLIF text) of every function of `m`, as lowered for `triple`: for each
/// bytecode function its direct entry, then its generic entry.
pub fn emit_clif(m: &BcModule, triple: &str) -> Result<String, AotError> {
    let mut om = object_module(triple)?;
    let mut rt = RuntimeDecls::new();
    let mut out = String::new();
    lower_module(&mut om, m, &mut rt, Some(&mut out))?;
    Ok(out)
}
