//! Function definitions, compiled on worker threads.
//!
//! The lowering builds every function's Cranelift IR in order on one thread (it needs the module
//! for declarations, and its field-cache numbering runs through the functions in order), and
//! queues it here. [`Pending::define_all`] then compiles the queued functions in parallel, the
//! largest first, and hands the machine code to the module in queue order: the object file and
//! the JIT's memory are the same, byte for byte, whatever the number of threads.
//!
//! Cranelift's `Context::compile` needs only the function and the ISA, so each function compiles
//! independently; this is what `Module::define_function` does, split in two (compile, then
//! `define_function_bytes` with the same relocations). Code generation is about 85% of the
//! time `ilusm run --jit` and `ilusm aot` spend before the program runs (nbody: the register
//! allocator alone is 46%), so on two cores a program with several large functions starts
//! sooner. The CPU time is the same.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::Function;
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::Context;
use cranelift_module::{FuncId, Module, ModuleError, ModuleReloc};

use crate::AotError;

/// Below this many IR instructions in all, the functions compile on the calling thread: a
/// thread costs tens of microseconds to start, about as long as compiling a few hundred
/// instructions takes, and small programs are where start-up time is measured (hello world).
pub(crate) const PARALLEL_MIN_INSTS: usize = 4000;

/// The stack of a compiling thread: what Linux gives a main thread by default.
const WORKER_STACK: usize = 8 << 20;

/// A job's lock is only held for a `take` or a store, which do not panic.
const POISON: &str = "no thread panics holding a job's lock";

/// Functions lowered but not yet compiled, in the order they are to be defined.
#[derive(Default)]
pub(crate) struct Pending {
    funcs: Vec<PendingFn>,
}

struct PendingFn {
    id: FuncId,
    func: Function,
    /// `; function N: NAME (direct entry)\n`: the context for an error message.
    header: String,
}

/// One function's machine code, ready for `define_function_bytes`.
struct Compiled {
    alignment: u64,
    bytes: Vec<u8>,
    relocs: Vec<ModuleReloc>,
}

impl Pending {
    /// Queue the function built in `ctx` (which is left empty) as the definition of `id`:
    /// verify it in debug builds (with `ILUSM_VERIFY`, release builds' code generator verifies
    /// it as it compiles) and print it to `clif` if asked.
    pub fn add<M: Module>(
        &mut self,
        m: &M,
        ctx: &mut Context,
        id: FuncId,
        clif: Option<&mut String>,
        header: &str,
    ) -> Result<(), AotError> {
        if cfg!(debug_assertions) {
            if let Err(errors) = cranelift_codegen::verify_function(&ctx.func, m.isa()) {
                let text =
                    cranelift_codegen::print_errors::pretty_verifier_error(&ctx.func, None, errors);
                return Err(AotError::Codegen(format!("{header}{text}")));
            }
        }
        if let Some(out) = clif {
            out.push_str(header);
            out.push_str(&ctx.func.display().to_string());
            out.push('\n');
        }
        self.funcs.push(PendingFn {
            id,
            func: std::mem::replace(&mut ctx.func, Function::new()),
            header: header.to_string(),
        });
        Ok(())
    }

    /// Compile every queued function and define it in `m`, in queue order. The first error (in
    /// queue order) is returned.
    pub fn define_all<M: Module>(self, m: &mut M) -> Result<(), AotError> {
        let total: usize = self.funcs.iter().map(|f| f.func.dfg.num_insts()).sum();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = threads.min(self.funcs.len());
        let named: Vec<(FuncId, String)> = self
            .funcs
            .iter()
            .map(|f| (f.id, f.header.clone()))
            .collect();
        let parallel = threads > 1 && total >= PARALLEL_MIN_INSTS;
        #[cfg(test)]
        let parallel = parallel && !tests::SEQUENTIAL.with(|s| s.get());
        let compiled = if parallel {
            compile_parallel(self.funcs, m.isa(), threads)
        } else {
            self.funcs
                .into_iter()
                .map(|f| compile(f, m.isa()))
                .collect()
        };
        for ((id, header), c) in named.into_iter().zip(compiled) {
            let c = c?;
            m.define_function_bytes(id, c.alignment, &c.bytes, &c.relocs)
                .map_err(|e| error(&header, e))?;
        }
        Ok(())
    }
}

/// `m.define_function`'s error message, with the function named.
fn error(header: &str, e: ModuleError) -> AotError {
    AotError::Codegen(format!("{}{e:?}", header.trim_start_matches("; ")))
}

/// Compile one function, as `Module::define_function` would.
fn compile(f: PendingFn, isa: &dyn TargetIsa) -> Result<Compiled, AotError> {
    let mut ctx = Context::for_function(f.func);
    let alignment = ctx
        .compile(isa, &mut ControlPlane::default())
        .map_err(|e| error(&f.header, ModuleError::Compilation(e.inner)))?
        .buffer
        .alignment as u64;
    let code = ctx.compiled_code().expect("compiled just now");
    let relocs = code
        .buffer
        .relocs()
        .iter()
        .map(|r| ModuleReloc::from_mach_reloc(r, &ctx.func, f.id))
        .collect();
    Ok(Compiled {
        alignment,
        bytes: code.code_buffer().to_vec(),
        relocs,
    })
}

/// Compile `funcs` on `threads` threads (this one and `threads - 1` more), each taking the
/// largest function not yet taken; the results are in `funcs`' order.
fn compile_parallel(
    funcs: Vec<PendingFn>,
    isa: &dyn TargetIsa,
    threads: usize,
) -> Vec<Result<Compiled, AotError>> {
    let mut order: Vec<usize> = (0..funcs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(funcs[i].func.dfg.num_insts()));
    let next = AtomicUsize::new(0);
    let jobs: Vec<Mutex<Option<PendingFn>>> =
        funcs.into_iter().map(|f| Mutex::new(Some(f))).collect();
    let results: Vec<Mutex<Option<Result<Compiled, AotError>>>> =
        jobs.iter().map(|_| Mutex::new(None)).collect();
    let work = || {
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let f = jobs[i].lock().expect(POISON).take().expect("taken once");
            let c = compile(f, isa);
            *results[i].lock().expect(POISON) = Some(c);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            // The main thread's stack size, as the compiler had before it ran on workers. A
            // thread that cannot start leaves its share to the others: the calling thread
            // works too.
            let _ = std::thread::Builder::new()
                .name("ilusm-codegen".into())
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, work);
        }
        work();
    });
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .expect(POISON)
                .expect("every function was compiled")
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;

    thread_local! {
        /// Set by a test to compile on the calling thread only (the reference for the
        /// parallel build's output).
        pub(crate) static SEQUENTIAL: Cell<bool> = const { Cell::new(false) };
    }
}
