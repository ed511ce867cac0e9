//! "Did you mean ...?" hints: the spelling ilusm uses for another
//! language's keyword, and the nearest defined name for an undefined one.

/// Keywords and names of other languages that ilusm spells differently,
/// with the hint that says how.
const FOREIGN: &[(&str, &str)] = &[
    ("while", "ilusm writes 'while' as 'whl': whl COND: BODY"),
    (
        "for",
        "ilusm loops are written 'x <- xs: BODY' (or 'i <- 0..9: BODY')",
    ),
    ("foreach", "ilusm loops are written 'x <- xs: BODY'"),
    ("return", "ilusm writes 'return' as 'ret'"),
    ("break", "ilusm writes 'break' as 'brk'"),
    ("continue", "ilusm writes 'continue' as 'cnt'"),
    ("true", "ilusm writes 'true' as 'tru'"),
    ("True", "ilusm writes 'true' as 'tru'"),
    ("false", "ilusm writes 'false' as 'fls'"),
    ("False", "ilusm writes 'false' as 'fls'"),
    ("null", "ilusm writes 'null' as 'nil'"),
    ("None", "ilusm writes 'None' as 'nil'"),
    ("undefined", "ilusm has one empty value, 'nil'"),
    ("print", "ilusm prints with 'prn'"),
    ("println", "ilusm prints with 'prn'"),
    ("match", "ilusm writes 'match' as 'mat'"),
    ("switch", "ilusm matches values with 'mat'"),
    ("else", "ilusm's else is the bar: if c: a | b"),
    (
        "elif",
        "ilusm chains conditions with the bar: if a: x | if b: y | z",
    ),
    (
        "elsif",
        "ilusm chains conditions with the bar: if a: x | if b: y | z",
    ),
    ("fn", "ilusm defines functions as 'name(params) = body'"),
    ("func", "ilusm defines functions as 'name(params) = body'"),
    (
        "function",
        "ilusm defines functions as 'name(params) = body'",
    ),
    ("lambda", "ilusm writes lambdas as \\(x) x * 2"),
    (
        "let",
        "ilusm binds names by assignment: x = 1 (or 'def x = 1' for a constant)",
    ),
    ("var", "ilusm binds names by assignment: x = 1"),
    ("const", "ilusm writes constants as 'def x = 1'"),
    (
        "import",
        "ilusm imports with 'use NAME' or 'use \"file.ilu\"'",
    ),
    (
        "require",
        "ilusm imports with 'use NAME' or 'use \"file.ilu\"'",
    ),
    ("len", "'len' is a builtin: len(x)"),
    ("type", "ilusm's type function is 'typ'"),
    ("typeof", "ilusm's type function is 'typ'"),
];

/// The hint for `name` if it is another language's keyword.
pub fn foreign_keyword(name: &str) -> Option<String> {
    FOREIGN
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, hint)| hint.to_string())
}

/// The hint for an undefined `name`: a foreign keyword's, else
/// `did you mean 'X'?` for the candidate closest by edit distance (within
/// one edit per three characters: names shorter than three characters are
/// too short to guess at), ties going to the first.
pub fn undefined_name<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    if let Some(hint) = foreign_keyword(name) {
        return Some(hint);
    }
    let limit = name.chars().count() / 3;
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name || c.starts_with("__") {
            continue;
        }
        let d = strsim::damerau_levenshtein(name, c);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| format!("did you mean '{c}'?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_name_within_the_limit() {
        let names = ["count", "total", "prn"];
        assert_eq!(
            undefined_name("cuont", names).as_deref(),
            Some("did you mean 'count'?")
        );
        assert_eq!(
            undefined_name("pnr", names).as_deref(),
            Some("did you mean 'prn'?")
        );
        assert_eq!(undefined_name("zebra", names), None);
        assert_eq!(undefined_name("x", ["y"]), None);
    }

    #[test]
    fn foreign_keywords_win() {
        assert_eq!(
            undefined_name("true", ["tru"]).as_deref(),
            Some("ilusm writes 'true' as 'tru'")
        );
    }
}
