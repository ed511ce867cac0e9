//! The lowering of a whole module: declare every function's entries (direct and generic; number
//! entries as calls need them, `number_entry.rs`), the module's field caches and its table of
//! direct entries, lower each function's body (`lower.rs`) and the generic entries that load
//! arguments from the runtime's argument vectors, and hand every function to `define.rs` in a
//! fixed order, so an object's bytes depend only on the bytecode.

use cranelift_codegen::ir::{InstBuilder, UserFuncName, Value};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{DataDescription, FuncId, Linkage, Module};
use ilusm_bytecode::{Instr, Module as BcModule};

use crate::abi::{self, RuntimeDecls, PTR};
use crate::define::Pending;
use crate::inline::Callees;
use crate::lower::{trusted, FnLower, Shared, V};
use crate::number_entry::NumberEntries;
use crate::AotError;

/// The generic entries of one lowered bytecode module, by bytecode function index (what the
/// runtime calls; the direct entries are private to the generated code).
pub(crate) struct Lowered {
    pub generic: Vec<FuncId>,
}

/// A symbol-friendly form of a function name (`<main>` -> `main`, `a.b` -> `a_b`).
fn symbol_suffix(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '<' && *c != '>')
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The symbol of function `index`'s direct entry (its other entries add a suffix).
pub(crate) fn direct_symbol(index: u32, name: &str) -> String {
    format!("ilusm_fn{index}_{}", symbol_suffix(name))
}

/// Declare and define the direct and generic entries of every function of `bc` in `m`.
/// With `clif`, the textual IR of every function is appended to it.
pub(crate) fn lower_module<M: Module>(
    m: &mut M,
    bc: &BcModule,
    rt: &mut RuntimeDecls,
    mut clif: Option<&mut String>,
) -> Result<Lowered, AotError> {
    let callees = Callees::analyze(bc)?;
    let mut direct = Vec::with_capacity(bc.functions.len());
    let mut generic = Vec::with_capacity(bc.functions.len());
    // Only a function that reads captured cells needs the closure it runs as: the others' direct
    // entries take no `env` (one register fewer to pass, and to keep across calls).
    let takes_env: Vec<bool> = callees
        .bodies
        .iter()
        .map(|body| body.iter().any(|(_, i)| matches!(i, Instr::GetCapture(_))))
        .collect();
    for (i, f) in bc.functions.iter().enumerate() {
        let name = direct_symbol(i as u32, &f.name);
        // Direct entry: ([env,] room, arg1 .. argN) -> value.
        let params = vec![V; f.arity as usize + 1 + takes_env[i] as usize];
        let sig = abi::signature(m, &params, Some(V));
        direct.push(m.declare_function(&name, Linkage::Local, &sig)?);
        // Generic entry (`NativeFn`): (env, argv) -> value.
        let gsig = abi::signature(m, &[V, PTR], Some(V));
        generic.push(m.declare_function(&format!("{name}_generic"), Linkage::Local, &gsig)?);
    }

    // One inline cache per field-access site of the module (`lower_access.rs`).
    let field_sites = callees
        .bodies
        .iter()
        .flatten()
        .filter(|(_, i)| {
            matches!(
                i,
                Instr::GetField(_) | Instr::GetFieldOpt(_) | Instr::SetField(_)
            )
        })
        .count();
    let field_caches = if field_sites > 0 {
        let id = m.declare_data(abi::FIELD_CACHES_SYMBOL, Linkage::Local, true, false)?;
        let mut data = DataDescription::new();
        data.define_zeroinit(field_sites * abi::FIELD_CACHE_SIZE as usize);
        data.set_align(8);
        m.define_data(id, &data)?;
        Some(id)
    } else {
        None
    };
    let mut next_field_site = 0u32;
    // The table of direct entries, for calls of plain function values (`lower_call.rs`).
    let calls_values = callees
        .bodies
        .iter()
        .flatten()
        .any(|(_, i)| matches!(i, Instr::Call(_)));
    let direct_entries = if calls_values {
        let callable: Vec<bool> = (0..bc.functions.len())
            .map(|i| !takes_env[i] && i as u32 != bc.entry)
            .collect();
        let arity: Vec<u8> = bc.functions.iter().map(|f| f.arity).collect();
        Some(crate::lower_call::define_direct_entries(
            m, &direct, &callable, &arity,
        )?)
    } else {
        None
    };

    let mut ctx = m.make_context();
    let mut fctx = FunctionBuilderContext::new();
    let mut pending = Pending::default();
    let cfg = m.target_config();
    let mut number_entries = NumberEntries::new(&callees, &takes_env);
    let shared = Shared {
        bc,
        direct: &direct,
        takes_env: &takes_env,
        callees: &callees,
        field_caches,
        direct_entries,
    };
    // The first field-access site of each function (its number entry shares the caches).
    let mut first_field_site = Vec::with_capacity(bc.functions.len());
    for (i, f) in bc.functions.iter().enumerate() {
        let index = i as u32;
        first_field_site.push(next_field_site);
        // Direct entry.
        start_function(m, &mut ctx, direct[i]);
        {
            let b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let mut lw = FnLower::new(b, m, rt, &mut number_entries, shared, index);
            lw.next_field_site = next_field_site;
            lw.lower_body(f, &callees.bodies[i], false)?;
            next_field_site = lw.next_field_site;
            let FnLower { mut b, .. } = lw;
            b.seal_all_blocks();
            b.finalize(cfg);
        }
        let header = format!("; function {index}: {} (direct entry)\n", f.name);
        pending.add(m, &mut ctx, direct[i], clif.as_deref_mut(), &header)?;

        // Generic entry: pass env on, load `arity` arguments from argv, call the direct entry
        // with the room left at the depth the runtime's caller published, and put that depth
        // back for the next call the runtime makes (the callee may have published deeper ones).
        start_function(m, &mut ctx, generic[i]);
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            let (env, argv) = (b.block_params(entry)[0], b.block_params(entry)[1]);
            let depth_id = rt.data(m, abi::DEPTH_SYMBOL);
            let depth_gv = m.declare_data_in_func(depth_id, b.func);
            let depth_addr = b.ins().symbol_value(PTR, depth_gv);
            let depth = b.ins().load(V, trusted(), depth_addr, 0);
            let max_id = rt.data(m, abi::MAX_DEPTH_SYMBOL);
            let max_gv = m.declare_data_in_func(max_id, b.func);
            let max_addr = b.ins().symbol_value(PTR, max_gv);
            let max = b.ins().load(V, trusted(), max_addr, 0);
            let room = b.ins().isub(max, depth);
            let mut args: Vec<Value> = takes_env[i].then_some(env).into_iter().collect();
            args.push(room);
            for k in 0..f.arity as i32 {
                args.push(b.ins().load(V, trusted(), argv, k * 8));
            }
            let callee = m.declare_func_in_func(direct[i], b.func);
            let call = b.ins().call(callee, &args);
            let r = b.inst_results(call)[0];
            b.ins().store(trusted(), depth, depth_addr, 0);
            b.ins().return_(&[r]);
            b.seal_all_blocks();
            b.finalize(cfg);
        }
        let header = format!("; function {index}: {} (generic entry)\n", f.name);
        pending.add(m, &mut ctx, generic[i], clif.as_deref_mut(), &header)?;
    }
    // Number entries, in the order calls declared them (lowering one may declare more).
    let mut n = 0;
    while let Some((i, id)) = number_entries.declared(n) {
        n += 1;
        let f = &bc.functions[i as usize];
        start_function(m, &mut ctx, id);
        {
            let b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let mut lw = FnLower::new(b, m, rt, &mut number_entries, shared, i);
            lw.next_field_site = first_field_site[i as usize];
            lw.lower_body(f, &callees.bodies[i as usize], true)?;
            let FnLower { mut b, .. } = lw;
            b.seal_all_blocks();
            b.finalize(cfg);
        }
        let header = format!("; function {i}: {} (number entry)\n", f.name);
        pending.add(m, &mut ctx, id, clif.as_deref_mut(), &header)?;
    }
    crate::slow_calls::define_trampolines(m, rt, &mut ctx, &mut fctx, &mut pending, clif)?;
    pending.define_all(m)?;
    Ok(Lowered { generic })
}

/// Reset `ctx` for defining function `id`: its declared signature and its name.
fn start_function<M: Module>(m: &M, ctx: &mut Context, id: FuncId) {
    m.clear_context(ctx);
    ctx.func.signature = m.declarations().get_function_decl(id).signature.clone();
    ctx.func.name = UserFuncName::user(0, id.as_u32());
}
