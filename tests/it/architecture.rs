//! The house rules of `src/`, read from the source itself so that
//! `ARCHITECTURE.md` stays true: modules import only modules below them in
//! the flow, no two sibling modules import each other (at any depth, through
//! any chain), functions fit on a screen, long files say why, and modules
//! live in real folders.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules of the library, lowest first: each may import only
/// modules earlier in this list. `ARCHITECTURE.md` has the same list.
const LAYERS: &[&str] = &[
    "domain",
    "clock",
    "shutdown",
    "progress",
    "scheduler",
    "config",
    "calendar",
    "sources",
    "connectors",
    "storage",
    "metrics",
    "words",
    "report",
    "render",
    "delivery",
    "app",
    "bot",
    "serve",
];

/// The longest function outside tests, in lines.
const MAX_FN_LINES: usize = 120;
/// The longest file whose doc comment does not say why it is longer.
const MAX_FILE_LINES: usize = 600;
/// What a longer file's doc comment says.
const LONG_FILE_REASON: &str = "over 600 lines";

type Module = Vec<String>;

struct SourceFile {
    path: PathBuf,
    module: Module,
    /// The text with comments, strings and char literals blanked out (line
    /// breaks kept), cut before the first top-level `#[cfg(test)]`.
    code: String,
    text: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/a/b.rs` is `a::b`, `src/a/mod.rs` is `a`, `src/lib.rs` the crate.
fn module_of(path: &Path) -> Module {
    let rel = path.strip_prefix(src_dir()).expect("a file under src/");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// Blanks comments, string and char literals (keeping line breaks), so that
/// braces and paths inside them are not read as code.
fn blank_literals(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            loop {
                if i >= c.len() {
                    break;
                }
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_'))
        {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            while j < c.len() {
                if c[j] == '"' && (1..=hashes).all(|h| c.get(j + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for &ch in &c[i..j.min(c.len())] {
                blank(&mut out, ch);
            }
            i = j;
        } else if c[i] == '"' {
            let mut j = i + 1;
            while j < c.len() && c[j] != '"' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            for &ch in &c[i..(j + 1).min(c.len())] {
                blank(&mut out, ch);
            }
            i = j + 1;
        } else if c[i] == '\'' {
            // A char literal ('x', '\n', '\u{..}'), or else a lifetime.
            let end = if next == Some('\\') {
                (i + 2..c.len()).find(|&j| c[j] == '\'')
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(e) => {
                    for &ch in &c[i..=e] {
                        blank(&mut out, ch);
                    }
                    i = e + 1;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn read_sources() -> Vec<SourceFile> {
    let mut paths = Vec::new();
    rust_files(&src_dir(), &mut paths);
    paths
        .into_iter()
        .filter(|p| {
            // The binary's own files: on top of everything.
            let name = p.file_name().and_then(|n| n.to_str());
            !(p.parent() == Some(src_dir().as_path()) && matches!(name, Some("main.rs" | "cli.rs")))
        })
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a readable source file");
            let mut code = blank_literals(&text);
            if let Some(at) = code.find("\n#[cfg(test)]") {
                code.truncate(at);
            }
            SourceFile {
                module: module_of(&path),
                path,
                code,
                text,
            }
        })
        .collect()
}

fn is_test_module(module: &Module) -> bool {
    module
        .iter()
        .any(|m| m == "tests" || m.starts_with("tests_"))
}

fn ident_at(c: &[char], mut i: usize) -> (String, usize) {
    let start = i;
    while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
        i += 1;
    }
    (c[start..i].iter().collect(), i)
}

/// The paths a `crate::` or `super::` reference names, one per item of a
/// `{...}` group, as (how many `super`s, segments after them; `None` for
/// `crate`).
fn references(code: &str) -> Vec<(Option<usize>, Vec<String>)> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let boundary =
            i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_' || c[i - 1] == ':');
        let (word, end) = ident_at(&c, i);
        if word.is_empty() {
            i += 1;
            continue;
        }
        if !boundary
            || !(word == "crate" || word == "super")
            || c.get(end..end + 2) != Some(&[':', ':'])
        {
            i = end;
            continue;
        }
        let mut supers = usize::from(word == "super");
        let mut j = end + 2;
        let mut segs = Vec::new();
        loop {
            let (seg, after) = ident_at(&c, j);
            if seg.is_empty() {
                break;
            }
            if seg == "super" && segs.is_empty() && supers > 0 {
                supers += 1;
            } else {
                segs.push(seg);
            }
            if c.get(after..after + 2) == Some(&[':', ':']) {
                j = after + 2;
            } else {
                j = after;
                break;
            }
        }
        let base = if word == "crate" { None } else { Some(supers) };
        if c.get(j) == Some(&'{') {
            for item in group_items(&c, j) {
                let mut full = segs.clone();
                full.extend(item);
                out.push((base, full));
            }
        } else {
            out.push((base, segs));
        }
        i = j.max(end);
    }
    out
}

/// The leading path of each item of the `{...}` group opening at `open`.
fn group_items(c: &[char], open: usize) -> Vec<Vec<String>> {
    let mut items = vec![Vec::new()];
    let mut depth = 0;
    let mut expecting = true;
    let mut i = open;
    while i < c.len() {
        match c[i] {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                items.push(Vec::new());
                expecting = true;
            }
            ch if depth == 1 && (ch.is_alphanumeric() || ch == '_') => {
                let (seg, after) = ident_at(c, i);
                if expecting {
                    items.last_mut().expect("an item").push(seg);
                }
                expecting = c.get(after..after + 2) == Some(&[':', ':']);
                i = after;
                continue;
            }
            ch if depth == 1 && !ch.is_whitespace() && ch != ':' => expecting = false,
            _ => {}
        }
        i += 1;
    }
    items.retain(|i| !i.is_empty());
    items
}

/// Each file's module and the modules it names (the longest known prefix).
fn imports(files: &[SourceFile]) -> Vec<(Module, Module)> {
    let known: BTreeSet<Module> = files.iter().map(|f| f.module.clone()).collect();
    let mut edges = Vec::new();
    for file in files.iter().filter(|f| !is_test_module(&f.module)) {
        for (supers, segs) in references(&file.code) {
            let mut target: Module = match supers {
                None => Vec::new(),
                Some(n) => file.module[..file.module.len().saturating_sub(n)].to_vec(),
            };
            target.extend(segs);
            while !target.is_empty() && !known.contains(&target) {
                target.pop();
            }
            edges.push((file.module.clone(), target));
        }
    }
    edges
}

/// Edges between siblings: for `a::b::c` naming `a::d`, `b → d` under `a`.
/// A module naming its own ancestor or descendant is not one.
fn sibling_edges(edges: &[(Module, Module)]) -> BTreeMap<Module, BTreeSet<(String, String)>> {
    let mut out: BTreeMap<Module, BTreeSet<(String, String)>> = BTreeMap::new();
    for (from, to) in edges {
        let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
        if common < from.len() && common < to.len() {
            out.entry(from[..common].to_vec())
                .or_default()
                .insert((from[common].clone(), to[common].clone()));
        }
    }
    out
}

fn find_cycle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().push(b);
    }
    fn visit<'a>(
        node: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = path[at..].iter().map(|s| s.to_string()).collect();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for n in next.get(node).into_iter().flatten() {
            if let Some(c) = visit(n, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for start in next.keys() {
        if let Some(c) = visit(start, &next, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_reference_reader_reads_paths_groups_and_skips_literals() {
    let code = blank_literals(
        "use crate::a::{b::C, d, e::{F, G}};\nuse super::super::x::Y; // crate::nope\nlet s = \"crate::no\"; let c = '{'; fn f<'a>() {}\n",
    );
    let refs = references(&code);
    let want: Vec<(Option<usize>, Vec<String>)> = vec![
        (None, vec!["a".into(), "b".into(), "C".into()]),
        (None, vec!["a".into(), "d".into()]),
        (None, vec!["a".into(), "e".into()]),
        (Some(2), vec!["x".into(), "Y".into()]),
    ];
    assert_eq!(refs, want);
    assert_eq!(code.matches('{').count(), code.matches('}').count());
}

#[test]
fn modules_import_only_modules_below_them_and_siblings_never_import_each_other() {
    let files = read_sources();
    let edges = imports(&files);
    assert!(
        edges.len() > 200,
        "the reader found only {} references in src/",
        edges.len()
    );
    let mut wrong = Vec::new();
    for (parent, pairs) in sibling_edges(&edges) {
        if parent.is_empty() {
            for (from, to) in &pairs {
                let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
                match (rank(from), rank(to)) {
                    (Some(a), Some(b)) if a > b => {}
                    (None, _) | (_, None) => wrong.push(format!(
                        "{from} -> {to}: each top-level module has its place in LAYERS (and ARCHITECTURE.md)"
                    )),
                    _ => wrong.push(format!("{from} -> {to}: imports a module above it")),
                }
            }
        } else if let Some(cycle) = find_cycle(&pairs) {
            wrong.push(format!(
                "in {}: {} import each other",
                parent.join("::"),
                cycle.join(" -> ")
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// (first line, lines) of each function with a body in `code`.
fn functions(code: &str) -> Vec<(usize, usize, String)> {
    let c: Vec<char> = code.chars().collect();
    let line_at = |i: usize| c[..i].iter().filter(|ch| **ch == '\n').count() + 1;
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < c.len() {
        let boundary = i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_');
        if !(boundary && c[i] == 'f' && c[i + 1] == 'n' && c[i + 2].is_whitespace()) {
            i += 1;
            continue;
        }
        let (name, mut j) = ident_at(
            &c,
            (i + 2..c.len())
                .find(|&k| !c[k].is_whitespace())
                .unwrap_or(c.len()),
        );
        if name.is_empty() {
            i += 2;
            continue;
        }
        let mut nest = 0i32;
        let body = loop {
            match c.get(j) {
                None => break None,
                Some('(' | '[' | '<') => nest += 1,
                Some(')' | ']') => nest -= 1,
                Some('>') if c[j - 1] != '-' && c[j - 1] != '=' => nest -= 1,
                Some(';') if nest <= 0 => break None,
                Some('{') if nest <= 0 => break Some(j),
                _ => {}
            }
            j += 1;
        };
        let Some(open) = body else {
            i = j;
            continue;
        };
        let mut depth = 0;
        let mut k = open;
        while k < c.len() {
            match c[k] {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            k += 1;
        }
        let (first, last) = (line_at(i), line_at(k.min(c.len() - 1)));
        out.push((first, last - first + 1, name));
        i = open + 1;
    }
    out
}

#[test]
fn functions_fit_on_a_screen_and_long_files_say_why() {
    let files = read_sources();
    let mut wrong = Vec::new();
    for file in &files {
        let shown = file
            .path
            .strip_prefix(src_dir())
            .unwrap_or(&file.path)
            .display()
            .to_string();
        if file
            .text
            .lines()
            .any(|l| l.trim_start().starts_with("#[path"))
        {
            wrong.push(format!("{shown}: a #[path] attribute (use a real folder)"));
        }
        let doc: String = file
            .text
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .collect::<Vec<_>>()
            .join(" ");
        if doc.is_empty() {
            wrong.push(format!("{shown}: no //! doc comment"));
        }
        let lines = file.text.lines().count();
        if lines > MAX_FILE_LINES && !doc.contains(LONG_FILE_REASON) {
            wrong.push(format!(
                "{shown}: {lines} lines, and its doc comment does not say why it is {LONG_FILE_REASON}"
            ));
        }
        if is_test_module(&file.module) {
            continue;
        }
        for (line, len, name) in functions(&file.code) {
            if len > MAX_FN_LINES {
                wrong.push(format!("{shown}:{line}: fn {name} has {len} lines"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_function_reader_measures_bodies_not_signatures() {
    let code = blank_literals(
        "fn a(x: [u8; 4]) -> impl Fn() {\n    let s = \"}\";\n    || {}\n}\ntrait T { fn b(&self); }\nfn c<T: Into<String>>(t: T) -> Vec<u8>\nwhere T: Clone,\n{\n}\n",
    );
    let found: Vec<(usize, usize, String)> = functions(&code);
    assert_eq!(
        found,
        vec![(1, 4, "a".to_string()), (6, 4, "c".to_string())]
    );
}

#[test]
fn the_map_in_architecture_md_lists_every_module_in_its_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    // Rows of the layer table: `| 3 | `module` | what it is for |`.
    let listed: Vec<String> = map
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let numbered = cells.get(1).is_some_and(|c| c.parse::<u32>().is_ok());
            let name = cells.get(2)?.strip_prefix('`')?.strip_suffix('`')?;
            numbered.then(|| name.to_string())
        })
        .collect();
    assert_eq!(
        listed, LAYERS,
        "ARCHITECTURE.md's layer table against LAYERS"
    );
    let lib = std::fs::read_to_string(src_dir().join("lib.rs")).expect("src/lib.rs");
    let mut modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';'))
        .collect();
    modules.sort();
    let mut layers = LAYERS.to_vec();
    layers.sort();
    assert_eq!(modules, layers, "src/lib.rs's modules against LAYERS");
}
