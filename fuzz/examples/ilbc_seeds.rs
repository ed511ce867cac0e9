//! Writes the compiled `.ilbc` of each given program into a directory:
//! well-formed, verified files are the best seeds for the `verify` target,
//! which mutates them into near-valid ones. `scripts/fuzz` runs it.
//!
//! Usage: `ilbc_seeds OUT_DIR PROGRAM.ilu...` (programs that do not compile
//! are skipped).

use std::path::Path;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(out_dir) = args.next() else {
        eprintln!("usage: ilbc_seeds OUT_DIR PROGRAM.ilu...");
        std::process::exit(2);
    };
    let mut written = 0;
    for program in args {
        let path = Path::new(&program);
        let Ok(module) = ilusm_frontend::compile_file(path) else {
            continue;
        };
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let out = Path::new(&out_dir).join(format!("{stem}.ilbc"));
        if let Err(e) = std::fs::write(&out, ilusm_bytecode::encode(&module)) {
            eprintln!("ilbc_seeds: cannot write {}: {e}", out.display());
            std::process::exit(1);
        }
        written += 1;
    }
    eprintln!("ilbc_seeds: wrote {written} files to {out_dir}");
}
