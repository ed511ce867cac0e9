//! Delta reduction of a disagreeing program over its lines and statements.
//!
//! The unit of removal is a *statement*: a line together with the more deeply indented lines
//! after it (its block). Passes, repeated until nothing changes or the deadline passes:
//! 1. remove runs of consecutive top-level statements (halves, quarters, ... : ddmin-style, so a
//!    batch of many programs shrinks quickly);
//! 2. remove each statement at any depth, last first;
//! 3. replace a block statement (`if`, loop, `mat` arm) by its body, dedented.
//!
//! A candidate is kept when the predicate says it still compiles and still disagrees between the
//! same paths; the predicate is the caller's.

use std::time::Instant;

fn indent_of(line: &str) -> Option<usize> {
    let t = line.trim_start();
    if t.is_empty() || t.starts_with('#') {
        None
    } else {
        Some(line.len() - t.len())
    }
}

/// The end (exclusive) of the statement starting at line `i`.
fn stmt_end(lines: &[String], i: usize) -> usize {
    let Some(ind) = indent_of(&lines[i]) else {
        return i + 1;
    };
    let mut j = i + 1;
    while j < lines.len() && indent_of(&lines[j]).is_none_or(|k| k > ind) {
        j += 1;
    }
    j
}

/// Starts of the statements at the top level.
fn top_level(lines: &[String]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        starts.push(i);
        i = stmt_end(lines, i);
    }
    starts
}

fn join(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// Shrinks `text` while `keeps(candidate)` holds (it must hold for `text`), until `deadline`.
pub fn minimize(text: &str, keeps: &mut dyn FnMut(&str) -> bool, deadline: Instant) -> String {
    let mut lines: Vec<String> = text
        .lines()
        .map(str::to_string)
        .filter(|l| indent_of(l).is_some())
        .collect();
    if !keeps(&join(&lines)) {
        // Dropping blank and comment lines changed the outcome (positions moved): keep them.
        lines = text.lines().map(str::to_string).collect();
    }
    let mut changed = true;
    while changed && Instant::now() < deadline {
        changed = false;

        // Pass 1: runs of top-level statements, from the end (removal there leaves the
        // indices of earlier statements valid).
        let mut chunk = (top_level(&lines).len() / 2).max(1);
        loop {
            let mut k = top_level(&lines).len();
            while k >= chunk && Instant::now() < deadline {
                let starts = top_level(&lines);
                let from = starts[k - chunk];
                let to = if k < starts.len() {
                    starts[k]
                } else {
                    lines.len()
                };
                let mut cand = lines.clone();
                cand.drain(from..to);
                if !cand.is_empty() && keeps(&join(&cand)) {
                    lines = cand;
                    changed = true;
                }
                k -= chunk;
            }
            if chunk == 1 || Instant::now() >= deadline {
                break;
            }
            chunk /= 2;
        }

        // Pass 2: single statements at any depth, last first.
        let mut i = lines.len();
        while i > 0 && Instant::now() < deadline {
            i -= 1;
            if i >= lines.len() {
                continue;
            }
            let end = stmt_end(&lines, i);
            let mut cand = lines.clone();
            cand.drain(i..end);
            if !cand.is_empty() && keeps(&join(&cand)) {
                lines = cand;
                changed = true;
            }
        }

        // Pass 3: unwrap blocks.
        let mut i = lines.len();
        while i > 0 && Instant::now() < deadline {
            i -= 1;
            if i >= lines.len() {
                continue;
            }
            let end = stmt_end(&lines, i);
            if end <= i + 1 {
                continue;
            }
            let (Some(outer), Some(inner)) = (indent_of(&lines[i]), indent_of(&lines[i + 1]))
            else {
                continue;
            };
            let shift = inner.saturating_sub(outer);
            let body: Vec<String> = lines[i + 1..end]
                .iter()
                .map(|l| {
                    if l.len() >= shift {
                        l[shift..].to_string()
                    } else {
                        l.trim_start().to_string()
                    }
                })
                .collect();
            let mut cand = lines.clone();
            cand.splice(i..end, body);
            if keeps(&join(&cand)) {
                lines = cand;
                changed = true;
            }
        }
    }
    join(&lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_what_the_predicate_needs() {
        let text = "a = 1\nif a:\n    b = 2\n    prn \"bug\"\nprn a\n";
        let far = Instant::now() + std::time::Duration::from_secs(10);
        let out = minimize(text, &mut |t| t.contains("prn \"bug\""), far);
        assert_eq!(out, "prn \"bug\"\n");
    }
}
