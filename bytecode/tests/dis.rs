//! Snapshot of the disassembly of the sample program.

mod common;

#[test]
fn sample_listing() {
    let text = ilusm_bytecode::disassemble(&common::sample());
    let expect = r#"ilbc version 1
entry f0 <main>
constants 5
  k0 = 1.0
  k1 = "hi\n"
  k2 = 3.0
  k3 = 2.0
  k4 = 0.0
globals 1
  g0 = g
files 1
  file0 = "t.ilu"

fn <main>/0 locals=1 file=0
  ; 1:1
  0000  push_func   f1  ; fib
  0005  set_global  g0  ; g
  ; 2:3
  0010  push        k4  ; 0.0
  0015  set_local   0
  0018  get_local   0
  0021  push        k2  ; 3.0
  0026  lt
  0027  jump_if_not -> 0058
  0032  get_local   0
  0035  call_direct f1, 1  ; fib
  0041  print       1
  0043  pop
  0044  get_local   0
  0047  push        k0  ; 1.0
  0052  add
  0053  jump        -> 0084
  0058  push        k1  ; "hi\n"
  0063  push        k1  ; "hi\n"
  0068  push_tru
  0069  call_direct f2, 2  ; both
  0075  concat      2
  0078  call_builtin b1, 1  ; len
  0082  pop
  0083  halt
  0084  set_local   0
  0087  jump        -> 0018

fn fib/1 locals=1 file=0
  ; 1:1
  0000  get_local   0
  0003  push        k3  ; 2.0
  0008  lt
  0009  jump_if_not -> 0018
  ; 7:5
  0014  get_local   0
  0017  ret
  0018  get_local   0
  0021  push        k0  ; 1.0
  0026  sub
  0027  call_direct f1, 1  ; fib
  0033  get_global  g0  ; g
  0038  get_local   0
  0041  push        k3  ; 2.0
  0046  sub
  0047  call        1
  0049  add
  0050  ret

fn both/2 locals=2 file=0
  ; 1:1
  0000  get_local   0
  0003  dup
  0004  jump_if_not -> 0013
  0009  pop
  0010  get_local   1
  0013  ret
"#;
    assert_eq!(text, expect);
}
