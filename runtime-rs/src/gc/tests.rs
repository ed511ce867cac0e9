//! Collector tests. Each test runs on its own thread, so it has its own
//! heap, registry and counters.
//!
//! Conservative scanning can keep an object alive through a stale copy of
//! its address in a dead stack slot. Tests that expect objects to be freed
//! therefore run [`isolated`]: under [`with_stack_base`] (as program
//! threads do: the thread's TLS area is not scanned) on a cleared stack.
//! They make the garbage in `#[inline(never)]` helpers that return no
//! value, and overwrite the dead part of the stack ([`clear_stack`]) before
//! collecting. Even so, a dead slot may hold the address of a block freed
//! before the test that an object now reuses: "freed" checks allow
//! [`SLACK`] objects.

use super::*;
use crate::builtins::{self, id, Caller};
use crate::containers;
use crate::heap::{alloc_cell, alloc_closure, alloc_list, alloc_object, alloc_str};
use crate::print::to_string;
use std::hint::black_box;

/// Zero a large area below the caller's frame, where dead frames were.
#[inline(never)]
fn clear_stack() {
    let mut area = [0u64; 8192];
    black_box(&mut area);
}

/// Run a test body as a program thread runs: under [`with_stack_base`],
/// with the stack below cleared first, so that the frames of the body start
/// from zeros rather than from what the test harness left there.
#[inline(never)]
fn isolated(body: fn()) {
    clear_stack();
    with_stack_base(body);
}

/// Collect with a clean stack; the number of objects left. Inlined, so the
/// stack is cleared from the caller's own stack pointer down (where the
/// frames of the helpers it called were).
#[inline(always)]
fn settle() -> usize {
    clear_stack();
    collect();
    stats().objects
}

/// How many objects a test tolerates being kept by stale words: a dead
/// stack slot may hold the address of a block freed before the test
/// started (the harness's, the TLS machinery's) that an object now reuses.
const SLACK: usize = 4;

fn quiet() {
    set_thread_stress(false);
    set_thread_max_heap(None);
}

#[inline(never)]
fn make_self_referencing_lists(n: usize) {
    for _ in 0..n {
        let l = alloc_list(vec![Value::TRUE]);
        heap::list(l).unwrap().push(l);
    }
}

#[inline(never)]
fn make_closures_capturing_each_other(n: usize) {
    for _ in 0..n {
        // f captures cell a, which holds g; g captures cell b, which holds f.
        let a = alloc_cell(Value::NIL);
        let b = alloc_cell(Value::NIL);
        let f = alloc_closure(1, vec![a]);
        let g = alloc_closure(2, vec![b]);
        heap::cell(a).unwrap().set(g);
        heap::cell(b).unwrap().set(f);
        // An object and a list in the cycle too.
        let o = alloc_object(1);
        heap::object(o).unwrap().set_str("f", f);
        heap::cell(a).unwrap().set(alloc_list(vec![g, o]));
    }
}

#[test]
fn cycles_are_reclaimed() {
    isolated(|| {
        quiet();
        let base = settle();
        make_self_referencing_lists(1000);
        make_closures_capturing_each_other(1000);
        assert!(stats().objects >= base + 1000 + 7000);
        let after = settle();
        // The cycles themselves keep nothing alive.
        assert!(after <= base + SLACK, "{after} objects left of {base}");
        assert_eq!(stats().collections, 2);
    })
}

/// Build a chain of `n` two-element lists `[i, next]`, collect with only
/// its head rooted, and walk it.
#[inline(never)]
fn chain_phase(n: usize, base: usize) {
    let roots = TempRoots::new(&[]);
    let mut head = Value::NIL;
    for i in 0..n {
        head = alloc_list(vec![Value::from_f64(i as f64), head]);
    }
    roots.push(head);
    collect();
    assert!(stats().objects >= base + n);
    let mut len = 0;
    let mut cur = head;
    while let Some(l) = heap::list(cur) {
        len += 1;
        cur = l.get(1).unwrap();
    }
    assert_eq!(len, n);
}

#[test]
fn a_million_element_linked_list_is_collected_without_recursion() {
    isolated(|| {
        // Test threads have small stacks: a recursive mark would overflow.
        quiet();
        let base = settle();
        chain_phase(1_000_000, base);
        let after = settle();
        assert!(after <= base + SLACK, "{after} objects left of {base}");
    })
}

#[test]
fn churning_a_gigabyte_with_a_small_live_set_stays_bounded() {
    isolated(|| {
        quiet();
        let chunk = "x".repeat(1000);
        // A small live set: a ring of 64 strings, replaced round-robin.
        let ring = alloc_list(vec![Value::NIL; 64]);
        let _root = TempRoots::new(&[ring]);
        let n = 1_100_000usize; // 1.1e6 strings of ~1 KB: more than 1 GB in total
        for i in 0..n {
            let s = heap::alloc_str(&chunk);
            heap::list(ring).unwrap().set(i % 64, s);
        }
        let s = stats();
        assert!(s.collections >= 500, "{s:?}");
        assert!(s.peak_bytes < 4 * MIN_THRESHOLD, "{s:?}");
        assert!(s.live_after_last < MIN_THRESHOLD / 4, "{s:?}");
        eprintln!("churn: {}", s.report_line());
    })
}

#[test]
fn values_in_locals_survive_and_garbage_does_not() {
    isolated(|| {
        quiet();
        let base = settle();
        let kept = alloc_list(vec![alloc_str("a"), alloc_str("b")]);
        black_box(&kept);
        let after = settle();
        assert_eq!(after, base + 3);
        assert_eq!(to_string(kept), r#"["a", "b"]"#);
        // A word that looks like a heap value but names no object is ignored.
        let fake = black_box(Value(0xFFFC_0000_0000_0000 | (kept.heap_addr() as u64 + 8)));
        let fake2 = black_box(Value(0xFFFC_7FFF_FFFF_FFF8));
        collect();
        black_box((fake, fake2));
        assert_eq!(stats().objects, base + 3);
    })
}

#[inline(never)]
fn cell_value_address() -> usize {
    let c = alloc_cell(Value::from_f64(7.0));
    c.heap_addr() + heap::CELL_VALUE_OFFSET
}

#[test]
fn an_interior_pointer_keeps_its_object() {
    isolated(|| {
        quiet();
        let base = settle();
        let addr = black_box(cell_value_address());
        let after = settle();
        assert_eq!(after, base + 1);
        // SAFETY: the cell was kept alive by `addr`.
        assert_eq!(unsafe { *(addr as *const u64) }, Value::from_f64(7.0).0);
        black_box(&addr);
    })
}

struct Holder {
    values: Vec<Value>,
}

impl RootSource for Holder {
    fn trace_roots(&self, visit: &mut dyn FnMut(Value)) {
        self.values.iter().for_each(|&v| visit(v))
    }
}

#[inline(never)]
fn fill(h: &mut Holder, n: usize) {
    for i in 0..n {
        h.values.push(alloc_list(vec![Value::from_f64(i as f64)]));
    }
}

#[test]
fn root_sources_and_pins_are_roots() {
    isolated(|| {
        quiet();
        let base = settle();
        let mut h = Holder { values: Vec::new() };
        fill(&mut h, 100);
        registered_phase(&h, base);
        // Unregistered: gone, but for what a stale stack word may keep.
        let after = settle();
        assert!(after <= base + SLACK, "{after} objects left of {base}");
        h.values.clear();
        pin_one();
        let pinned = settle();
        assert!((base + 1..=after + 1).contains(&pinned), "{pinned}");
    })
}

#[inline(never)]
fn registered_phase(h: &Holder, base: usize) {
    // SAFETY: `h` stays in place until the guard is dropped.
    let _g = unsafe { register_roots(h as *const Holder) };
    // SAFETY: registering the innermost source again is a no-op.
    let _again = unsafe { register_roots(h as *const Holder) };
    assert_eq!(settle(), base + 100);
    assert_eq!(to_string(h.values[99]), "[99]");
}

#[inline(never)]
fn pin_one() {
    pin(alloc_str("pinned"));
}

#[test]
fn stress_mode_collects_at_every_allocation_and_keeps_what_is_used() {
    isolated(|| {
        quiet();
        set_thread_stress(true);
        let before = stats().collections;
        let s = alloc_str("héllo");
        let chars = containers::iter_prep(s).unwrap();
        assert_eq!(to_string(chars), r#"["h", "é", "l", "l", "o"]"#);
        let o = containers::make_object(&[alloc_str("k"), chars, alloc_str("n"), s]).unwrap();
        let keys = containers::kys(o).unwrap();
        let both = crate::ops::add(keys, chars).unwrap();
        assert_eq!(to_string(both), r#"["k", "n", "h", "é", "l", "l", "o"]"#);
        let cat = crate::ops::concat(&[s, Value::from_f64(1.0), both]).unwrap();
        assert_eq!(
            to_string(cat),
            r#"héllo1["k", "n", "h", "é", "l", "l", "o"]"#
        );
        let xs = containers::make_list(&[]);
        for i in 0..50 {
            containers::psh(
                xs,
                builtins::call(
                    id::STR,
                    &[Value::from_f64(i as f64)],
                    &mut builtins::NoCaller,
                )
                .unwrap(),
            )
            .unwrap();
        }
        assert_eq!(
            to_string(containers::index(xs, Value::from_f64(49.0)).unwrap()),
            "49"
        );
        let f = alloc_closure(0, vec![alloc_cell(both)]);
        assert_eq!(
            to_string(
                heap::cell(heap::closure(f).unwrap().cells()[0])
                    .unwrap()
                    .get()
            ),
            r#"["k", "n", "h", "é", "l", "l", "o"]"#
        );
        assert!(stats().collections - before >= 60, "{:?}", stats());
        set_thread_stress(false);
    })
}

/// Calls by allocating retained strings until the heap limit is hit.
struct Hog {
    kept: Value,
}

impl Caller for Hog {
    fn call(&mut self, _f: Value, _args: &[Value]) -> RtResult<Value> {
        let chunk = "y".repeat(10_000);
        loop {
            let s = crate::ops::add(alloc_str(&chunk), Value::NIL)?;
            containers::psh(self.kept, s)?;
        }
    }
}

#[inline(never)]
fn hog_inside_try() -> String {
    let kept = alloc_list(Vec::new());
    let mut hog = Hog { kept };
    let r = builtins::call(id::TRY, &[Value::func(0)], &mut hog).unwrap();
    // Everything the hog kept is garbage once the list is dropped.
    heap::list(kept).unwrap().pop();
    to_string(r)
}

#[test]
fn exceeding_the_heap_limit_is_a_catchable_error() {
    isolated(|| {
        quiet();
        set_thread_max_heap(Some(parse_heap_size("2M").unwrap()));
        let r = hog_inside_try();
        assert_eq!(r, "{val: nil, err: \"out of memory (heap limit 2M)\"}");
        // After the failure, the garbage goes and allocation works again.
        let after = settle();
        assert!(after < 20, "{after}");
        assert!(stats().heap_bytes < 2 << 20);
        check().unwrap();
        let s = crate::ops::add(alloc_str("ok"), Value::TRUE).unwrap();
        assert_eq!(to_string(s), "oktru");
        // Growth in place counts: psh alone can exceed the limit.
        let xs = containers::make_list(&[]);
        let e = loop {
            if let Err(e) = containers::psh(xs, Value::TRUE) {
                break e;
            }
        };
        assert_eq!(e.message, "out of memory (heap limit 2M)");
        quiet();
    })
}

#[test]
fn heap_sizes_parse_with_suffixes() {
    let p = |s: &str| parse_heap_size(s).map(|l| (l.bytes, l.text));
    assert_eq!(p("1000"), Ok((1000, "1000".into())));
    assert_eq!(p(" 64k "), Ok((64 << 10, "64k".into())));
    assert_eq!(p("64M"), Ok((64 << 20, "64M".into())));
    assert_eq!(p("2g"), Ok((2 << 30, "2g".into())));
    for bad in [
        "",
        "0",
        "0K",
        "-1",
        "1.5M",
        "M",
        "12KB",
        "1T",
        "99999999999999999999",
    ] {
        let e = parse_heap_size(bad).unwrap_err();
        assert!(e.starts_with(&format!("invalid heap size '{bad}'")), "{e}");
    }
    assert_eq!(HeapLimit::bytes(5).text, "5");
}

#[test]
fn the_stats_line_has_its_documented_form() {
    let s = GcStats {
        collections: 3,
        total_pause: Duration::from_micros(1500),
        max_pause: Duration::from_micros(700),
        peak_bytes: 123,
        ..GcStats::default()
    };
    assert_eq!(
        s.report_line(),
        "gc: 3 collections, total pause 1.500 ms, max pause 0.700 ms, peak heap 123 bytes"
    );
}

#[test]
fn growth_is_counted_and_collections_recount_it() {
    isolated(|| {
        quiet();
        settle();
        let xs = alloc_list(Vec::new());
        let before = stats().heap_bytes;
        for i in 0..100_000 {
            containers::psh(xs, Value::from_f64(i as f64)).unwrap();
        }
        let grown = stats().heap_bytes - before;
        assert!(grown >= 800_000, "{grown}");
        collect();
        assert!(stats().live_after_last >= 800_000);
        black_box(&xs);
    })
}

/// Buffers held in a list (traced as its elements) and dropped garbage.
#[inline(never)]
fn make_buffers(keep: Value, n: usize) {
    for i in 0..n {
        let b = crate::heap::alloc_buffer(100_000);
        crate::heap::buffer(b).unwrap().set(0, i as u8);
        if i % 2 == 0 {
            containers::psh(keep, b).unwrap();
        }
    }
}

#[test]
fn buffers_are_counted_kept_while_reachable_and_freed() {
    isolated(|| {
        quiet();
        let base = settle();
        let keep = alloc_list(Vec::new());
        let before = stats().heap_bytes;
        // 800 KB: under the first collection threshold (1 MiB), so nothing
        // is collected before the count is checked.
        make_buffers(keep, 8);
        assert_eq!(stats().collections, 1);
        assert!(stats().heap_bytes - before >= 8 * 100_000);
        let left = settle();
        assert!(
            left <= base + 1 + 4 + SLACK,
            "{left} objects left of {base}"
        );
        assert!(stats().live_after_last >= 4 * 100_000);
        let kept = crate::heap::list(keep).unwrap();
        assert_eq!(kept.len(), 4);
        for i in 0..4 {
            let b = crate::heap::buffer(kept.get(i).unwrap()).unwrap();
            assert_eq!((b.len(), b.get(0)), (100_000, Some(2 * i as u8)));
        }
        black_box(&keep);
    })
}
