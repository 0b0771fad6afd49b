//! Import circles: a file whose `use` lines or paths in code (`crate::web::store::Store`,
//! `super::relay::join`, `crate::upstream::now_ms`) reach a file that reaches it back, directly
//! or around a loop.
//!
//! A small scanner, std only: comments (doc links in `//!` and `///` too), strings and character
//! literals are taken out, then every path that starts with `crate::`, `super::` or `self::` (and
//! every `use` tree, groups included) is resolved to the module it names. A module and its own
//! submodules (`web/store.rs` with `web/store/photos.rs`) are one node; the modules that only
//! declare and re-export (`lib.rs`, and in the main crate `core.rs` and `web.rs`) are nodes that
//! no edge leaves, and a path through one of their re-exports (`crate::core::Registry`) goes on
//! to the module that defines the name (`core::registry`). The circles are the strongly
//! connected components of more than one node (Tarjan).
//!
//! `src/` and `relay/src/` fail on a circle that is not in [`KNOWN`], or that grew; `sim/src/`
//! is only reported. Binaries (`main.rs`, `bin/`) are left out.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

use crate::process::say;

/// A crate whose files are scanned.
struct Crate {
    /// Its source folder, from the workspace root.
    dir: &'static str,
    /// Its modules that only declare submodules and re-export (besides `lib.rs`).
    roots: &'static [&'static str],
    /// Whether a circle fails the check (otherwise it is only reported).
    strict: bool,
}

/// The crates scanned.
const CRATES: &[Crate] = &[
    Crate {
        dir: "src",
        roots: &["core", "web"],
        strict: true,
    },
    Crate {
        dir: "relay/src",
        roots: &[],
        strict: true,
    },
    Crate {
        dir: "sim/src",
        roots: &[],
        strict: false,
    },
];

/// The circles there were when the check came (the crate's folder, the nodes sorted): each is to
/// be undone (the one-reader issue), and then taken out of this list (all are, now). A circle that is not here,
/// or that holds more than its entry here, fails `cargo xtask test`.
const KNOWN: &[(&str, &[&str])] = &[];

/// Where an edge was seen: the file, the line and the path as written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Evidence {
    /// The file, from the workspace root.
    file: String,
    /// Its line, from 1.
    line: usize,
    /// The path as written (`super::relay::join`).
    path: String,
}

/// The nodes of one crate and the edges between them.
#[derive(Debug, Default)]
struct Graph {
    /// Each node's files, from the workspace root.
    files: BTreeMap<String, Vec<String>>,
    /// Each node's edges, with where each was first seen.
    edges: BTreeMap<String, BTreeMap<String, Evidence>>,
}

/// Scans the crates, prints what it finds and fails on a circle in `src/` or `relay/src/` that
/// is not known, or that grew.
///
/// # Errors
/// When a folder cannot be read, a crate has no `lib.rs`, or there is such a circle.
pub fn check(root: &Path) -> Result<(), String> {
    let mut failures = Vec::new();
    for krate in CRATES {
        let graph = scan(root, krate)?;
        let circles = graph.circles();
        let known: Vec<&[&str]> = KNOWN
            .iter()
            .filter(|(dir, _)| *dir == krate.dir)
            .map(|(_, nodes)| *nodes)
            .collect();
        if circles.is_empty() {
            say(&format!("{}/: no import circle", krate.dir));
        }
        for circle in &circles {
            let walk = graph.walk(circle);
            if !krate.strict {
                say(&format!(
                    "{}/: import circle (reported, not checked): {}",
                    krate.dir,
                    walk.join(" -> ")
                ));
                say_evidence(&graph, &walk);
                continue;
            }
            match verdict(circle, &known) {
                Verdict::Known => {
                    say(&format!(
                        "{}/: known circle (to undo): {}",
                        krate.dir,
                        walk.join(" -> ")
                    ));
                    say_evidence(&graph, &walk);
                }
                Verdict::Grew(was) => failures.push(format!(
                    "{}/: the known import circle of {} grew: {}",
                    krate.dir,
                    was.join(", "),
                    graph.describe(circle, &walk)
                )),
                Verdict::New => failures.push(format!(
                    "{}/: an import circle: {}",
                    krate.dir,
                    graph.describe(circle, &walk)
                )),
            }
        }
        for gone in known.iter().filter(|k| {
            !circles
                .iter()
                .any(|c| k.iter().all(|n| c.contains(&(*n).to_owned())))
        }) {
            say(&format!(
                "{}/: the known circle of {} is undone or smaller: take it out of KNOWN in xtask/src/circles.rs (or list what is left)",
                krate.dir,
                gone.join(", ")
            ));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n(a file's `use` lines or paths reach a file that reaches it back: break the loop)",
            failures.join("\n")
        ))
    }
}

/// Prints each edge of `walk` with where it was seen.
fn say_evidence(graph: &Graph, walk: &[String]) {
    for pair in walk.windows(2) {
        if let [from, to] = pair {
            if let Some(e) = graph.edge(from, to) {
                say(&format!(
                    "  {from} -> {to}: {}:{} `{}`",
                    e.file, e.line, e.path
                ));
            }
        }
    }
}

/// What a circle found is, against the known ones.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// It is one of them, or what is left of one.
    Known,
    /// It holds a known one (given) and more.
    Grew(Vec<String>),
    /// It is none of them.
    New,
}

/// Whether `circle` (its nodes) is known, grew from a known one or is new.
fn verdict(circle: &[String], known: &[&[&str]]) -> Verdict {
    let inside = |k: &&[&str]| circle.iter().all(|n| k.contains(&n.as_str()));
    if known.iter().any(inside) {
        return Verdict::Known;
    }
    match known
        .iter()
        .find(|k| k.iter().any(|n| circle.iter().any(|c| c == n)))
    {
        Some(k) => Verdict::Grew(k.iter().map(|n| (*n).to_owned()).collect()),
        None => Verdict::New,
    }
}

/// Reads a crate's files and makes its graph.
fn scan(root: &Path, krate: &Crate) -> Result<Graph, String> {
    let dir = root.join(krate.dir);
    if !dir.join("lib.rs").is_file() {
        return Err(format!(
            "{}/lib.rs: no such file (the crate root the circles are found from)",
            krate.dir
        ));
    }
    let mut found = Vec::new();
    list(&dir, "", &mut found)?;
    let mut files = Vec::new();
    for rel in found {
        let path = dir.join(&rel);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        files.push((rel, text));
    }
    Ok(graph(krate.dir, &files, krate.roots))
}

/// The `.rs` files under `dir` (paths from the crate's folder, `/` between folders), binaries
/// (`main.rs`, `bin/`) left out.
fn list(dir: &Path, rel: &str, out: &mut Vec<String>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut names: Vec<(String, bool)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if let Some(name) = entry.file_name().to_str() {
            names.push((name.to_owned(), is_dir));
        }
    }
    names.sort();
    for (name, is_dir) in names {
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if is_dir {
            if path != "bin" {
                list(&dir.join(&name), &path, out)?;
            }
        } else if name.ends_with(".rs") && path != "main.rs" {
            out.push(path);
        }
    }
    Ok(())
}

/// A module's path from its file's path in the crate's folder: `web/store/photos.rs` is
/// `web::store::photos`, `lib.rs` the crate root (no segment).
fn module_of(rel: &str) -> Vec<String> {
    let stem = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut segs: Vec<String> = stem.split('/').map(str::to_owned).collect();
    if segs.last().is_some_and(|s| s == "mod") || segs == ["lib"] {
        segs.pop();
    }
    segs
}

/// A node's name: its module path, or `crate` for the crate root.
fn name_of(node: &[String]) -> String {
    if node.is_empty() {
        "crate".to_owned()
    } else {
        node.join("::")
    }
}

/// A crate's modules, as far as resolving paths goes.
struct Modules {
    /// Every module that is a file.
    files: BTreeSet<Vec<String>>,
    /// The modules that declare and re-export: the crate root and the crate's `roots`.
    roots: BTreeSet<Vec<String>>,
    /// What each root module's `use` lines bring in: the name, and the path it stands for.
    reexports: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>>,
}

impl Modules {
    /// The node a module belongs to: its first ancestor (or itself) that is not a root module.
    fn node_of(&self, module: &[String]) -> Vec<String> {
        (1..=module.len())
            .filter_map(|k| module.get(..k))
            .find(|prefix| !self.roots.contains(*prefix))
            .unwrap_or(module)
            .to_vec()
    }

    /// The absolute path (from the crate root) that `segs`, written in module `here`, stands
    /// for; `None` for a path outside the crate.
    fn absolute(&self, segs: &[String], here: &[String]) -> Option<Vec<String>> {
        let (first, rest) = segs.split_first()?;
        match first.as_str() {
            "crate" => Some(rest.to_vec()),
            "self" => Some(here.iter().chain(rest).cloned().collect()),
            "super" => {
                let mut base = here.to_vec();
                base.pop()?;
                let mut rest = rest;
                while let Some((_, more)) = rest.split_first().filter(|(s, _)| *s == "super") {
                    base.pop()?;
                    rest = more;
                }
                base.extend(rest.iter().cloned());
                Some(base)
            }
            _ => {
                let mut child = here.to_vec();
                child.push(first.clone());
                self.files
                    .contains(&child)
                    .then(|| here.iter().chain(segs).cloned().collect())
            }
        }
    }

    /// The deepest module an absolute path reaches, through root modules' re-exports.
    fn resolve(&self, path: &[String], depth: usize) -> Vec<String> {
        let mut here: Vec<String> = Vec::new();
        for (i, seg) in path.iter().enumerate() {
            let mut next = here.clone();
            next.push(seg.clone());
            if self.files.contains(&next) {
                here = next;
                continue;
            }
            if depth < 8 {
                if let Some(target) = self.reexports.get(&here).and_then(|m| m.get(seg)) {
                    let full: Vec<String> = target
                        .iter()
                        .chain(path.iter().skip(i + 1))
                        .cloned()
                        .collect();
                    return self.resolve(&full, depth + 1);
                }
            }
            break;
        }
        here
    }
}

/// The graph of a crate's `files` (paths in the crate's folder `dir`, and texts) with `roots`
/// the modules besides `lib.rs` that only declare and re-export.
fn graph(dir: &str, files: &[(String, String)], roots: &[&str]) -> Graph {
    let mut modules = Modules {
        files: files.iter().map(|(rel, _)| module_of(rel)).collect(),
        roots: std::iter::once(Vec::new())
            .chain(roots.iter().map(|r| vec![(*r).to_owned()]))
            .collect(),
        reexports: BTreeMap::new(),
    };
    let scanned: Vec<(Vec<String>, Vec<Written>)> = files
        .iter()
        .map(|(rel, text)| (module_of(rel), written(&tokens(text))))
        .collect();
    for (module, paths) in &scanned {
        if !modules.roots.contains(module) {
            continue;
        }
        let mut names = BTreeMap::new();
        for w in paths.iter().filter(|w| w.in_use && w.inline.is_empty()) {
            if let (Some(name), Some(path)) = (&w.name, modules.absolute(&w.segs, module)) {
                names.insert(name.clone(), path);
            }
        }
        modules.reexports.insert(module.clone(), names);
    }
    let mut graph = Graph::default();
    for ((rel, _), (module, paths)) in files.iter().zip(&scanned) {
        let node = modules.node_of(module);
        let from = name_of(&node);
        let file = format!("{dir}/{rel}");
        graph
            .files
            .entry(from.clone())
            .or_default()
            .push(file.clone());
        if modules.roots.contains(&node) {
            continue;
        }
        let edges = graph.edges.entry(from).or_default();
        for w in paths {
            let here: Vec<String> = module.iter().chain(&w.inline).cloned().collect();
            let Some(path) = modules.absolute(&w.segs, &here) else {
                continue;
            };
            let to = modules.node_of(&modules.resolve(&path, 0));
            if to == node || modules.roots.contains(&to) {
                continue;
            }
            edges.entry(name_of(&to)).or_insert_with(|| Evidence {
                file: file.clone(),
                line: w.line,
                path: w.segs.join("::"),
            });
        }
    }
    for files in graph.files.values_mut() {
        files.sort();
    }
    graph
}

impl Graph {
    /// The edge from `from` to `to`, if there is one.
    fn edge(&self, from: &str, to: &str) -> Option<&Evidence> {
        self.edges.get(from).and_then(|e| e.get(to))
    }

    /// The strongly connected components of more than one node, each sorted, in order.
    fn circles(&self) -> Vec<Vec<String>> {
        let mut tarjan = Tarjan {
            graph: self,
            next: 0,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            found: Vec::new(),
        };
        let nodes: BTreeSet<&String> = self
            .files
            .keys()
            .chain(self.edges.keys())
            .chain(self.edges.values().flat_map(BTreeMap::keys))
            .collect();
        for node in nodes {
            if !tarjan.index.contains_key(node.as_str()) {
                tarjan.visit(node);
            }
        }
        let mut circles: Vec<Vec<String>> = tarjan
            .found
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|mut c| {
                c.sort();
                c
            })
            .collect();
        circles.sort();
        circles
    }

    /// The shortest way from `from` to `to` along edges between the nodes of `within` (both
    /// ends included), if there is one.
    fn path(&self, from: &str, to: &str, within: &[String]) -> Option<Vec<String>> {
        let mut came: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(at) = queue.pop_front() {
            for next in self.edges.get(at).into_iter().flat_map(BTreeMap::keys) {
                if !within.contains(next) || came.contains_key(next.as_str()) {
                    continue;
                }
                came.insert(next, at);
                if next == to {
                    let mut way = vec![to.to_owned()];
                    let mut step = to;
                    while let Some(prev) = came.get(step).copied() {
                        way.push(prev.to_owned());
                        if prev == from {
                            break;
                        }
                        step = prev;
                    }
                    way.reverse();
                    return Some(way);
                }
                queue.push_back(next);
            }
        }
        None
    }

    /// A walk around a circle from its first node through every node and back, along edges.
    fn walk(&self, circle: &[String]) -> Vec<String> {
        let Some(start) = circle.first() else {
            return Vec::new();
        };
        let mut walk = vec![start.clone()];
        let mut seen: BTreeSet<&String> = BTreeSet::from([start]);
        let mut at = start.clone();
        while seen.len() < circle.len() {
            let nearest = circle
                .iter()
                .filter(|n| !seen.contains(n))
                .filter_map(|n| self.path(&at, n, circle))
                .min_by_key(Vec::len);
            let Some(way) = nearest else { break };
            for step in way.iter().skip(1) {
                if let Some(n) = circle.iter().find(|n| *n == step) {
                    seen.insert(n);
                }
                walk.push(step.clone());
            }
            if let Some(last) = way.last() {
                at.clone_from(last);
            }
        }
        if let Some(back) = self.path(&at, start, circle) {
            walk.extend(back.into_iter().skip(1));
        }
        walk
    }

    /// A circle told in full: its nodes with their files, and `walk` with where each edge was
    /// seen.
    fn describe(&self, circle: &[String], walk: &[String]) -> String {
        let nodes: Vec<String> = circle
            .iter()
            .map(|n| {
                let files = self.files.get(n).map(|f| f.join(", ")).unwrap_or_default();
                format!("{n} ({files})")
            })
            .collect();
        let mut text = format!("{}\n  ", nodes.join(", "));
        text.push_str(walk.first().map(String::as_str).unwrap_or_default());
        for pair in walk.windows(2) {
            if let [from, to] = pair {
                match self.edge(from, to) {
                    Some(e) => {
                        text.push_str(&format!(" -> {to} ({}:{} `{}`)", e.file, e.line, e.path))
                    }
                    None => text.push_str(&format!(" -> {to}")),
                }
            }
        }
        text
    }
}

/// Tarjan's strongly connected components over a [`Graph`].
struct Tarjan<'a> {
    /// The graph.
    graph: &'a Graph,
    /// The next index to give.
    next: usize,
    /// Each visited node's index.
    index: BTreeMap<&'a str, usize>,
    /// Each visited node's low link.
    low: BTreeMap<&'a str, usize>,
    /// The nodes not yet in a component.
    stack: Vec<&'a str>,
    /// The same, to look up.
    on_stack: BTreeSet<&'a str>,
    /// The components found.
    found: Vec<Vec<String>>,
}

impl<'a> Tarjan<'a> {
    /// Visits `v` and what it reaches.
    fn visit(&mut self, v: &'a str) {
        let index = self.next;
        self.next += 1;
        self.index.insert(v, index);
        self.low.insert(v, index);
        self.stack.push(v);
        self.on_stack.insert(v);
        let graph = self.graph;
        for w in graph.edges.get(v).into_iter().flat_map(BTreeMap::keys) {
            let w = w.as_str();
            let seen = if self.index.contains_key(w) {
                if !self.on_stack.contains(w) {
                    continue;
                }
                self.index.get(w)
            } else {
                self.visit(w);
                self.low.get(w)
            };
            let seen = seen.copied().unwrap_or(usize::MAX);
            if let Some(low) = self.low.get_mut(v) {
                *low = (*low).min(seen);
            }
        }
        if self.low.get(v) == Some(&index) {
            let mut component = Vec::new();
            while let Some(w) = self.stack.pop() {
                self.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            self.found.push(component);
        }
    }
}

/// One token of code, comments and literals taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A word: an identifier or a keyword.
    Ident(String),
    /// `::`.
    Sep,
    /// Any other character.
    Punct(char),
}

/// A token and its line.
#[derive(Debug, Clone)]
struct Token {
    /// The token.
    tok: Tok,
    /// Its line, from 1.
    line: usize,
}

/// Whether `c` may start an identifier.
fn ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// Whether `c` may go on an identifier.
fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The code's tokens: comments (doc comments too), strings, character literals and numbers left
/// out.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let end = chars.len();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Skips a quoted literal whose body starts at `i`, ended by `"` (escapes when `escapes`)
    // followed by `hashes` `#`: the index after it.
    let skip_quoted = |mut i: usize, hashes: usize, escapes: bool, line: &mut usize| {
        while i < end {
            match at(i) {
                '\\' if escapes => {
                    if at(i + 1) == '\n' {
                        *line += 1;
                    }
                    i += 2;
                }
                '"' if (1..=hashes).all(|k| at(i + k) == '#') => return i + 1 + hashes,
                c => {
                    if c == '\n' {
                        *line += 1;
                    }
                    i += 1;
                }
            }
        }
        end
    };
    while i < end {
        let c = at(i);
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < end && at(i) != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0usize;
            while i < end {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth = depth.saturating_sub(1);
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if at(i) == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if c == '"' {
            i = skip_quoted(i + 1, 0, true, &mut line);
        } else if c == '\'' {
            i = skip_char(&chars, i);
        } else if ident_start(c) {
            let start = i;
            while ident_char(at(i)) {
                i += 1;
            }
            let word: String = chars.get(start..i).unwrap_or_default().iter().collect();
            let raw = matches!(word.as_str(), "r" | "br" | "cr");
            if raw && (at(i) == '"' || at(i) == '#') {
                let mut hashes = 0;
                while at(i + hashes) == '#' {
                    hashes += 1;
                }
                if at(i + hashes) == '"' {
                    i = skip_quoted(i + hashes + 1, hashes, false, &mut line);
                    continue;
                }
                if word == "r" && hashes == 1 && ident_start(at(i + 1)) {
                    // A raw identifier (`r#type`): the word after `r#`.
                    let start = i + 1;
                    i = start;
                    while ident_char(at(i)) {
                        i += 1;
                    }
                    let word = chars.get(start..i).unwrap_or_default().iter().collect();
                    out.push(Token {
                        tok: Tok::Ident(word),
                        line,
                    });
                    continue;
                }
            }
            if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                i = skip_quoted(i + 1, 0, true, &mut line);
                continue;
            }
            if word == "b" && at(i) == '\'' {
                i = skip_char(&chars, i);
                continue;
            }
            out.push(Token {
                tok: Tok::Ident(word),
                line,
            });
        } else if c.is_ascii_digit() {
            while ident_char(at(i)) {
                i += 1;
            }
        } else if c == ':' && at(i + 1) == ':' {
            out.push(Token {
                tok: Tok::Sep,
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                tok: Tok::Punct(c),
                line,
            });
            i += 1;
        }
    }
    out
}

/// Skips a character literal at `i` (`'x'`, `'\n'`, `'\u{1F600}'`), or the quote of a lifetime
/// or label (`'a`): the index after it.
fn skip_char(chars: &[char], i: usize) -> usize {
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    if at(i + 1) == '\\' {
        let mut j = i + 3;
        while j < chars.len() && at(j) != '\'' && at(j) != '\n' {
            j += 1;
        }
        j + 1
    } else if at(i + 2) == '\'' {
        i + 3
    } else {
        i + 1
    }
}

/// A path as written in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Written {
    /// Its segments (`crate`, `super` and `self` included).
    segs: Vec<String>,
    /// The name it brings in: its last segment or its alias (`None` for a glob).
    name: Option<String>,
    /// Whether it is in a `use` tree.
    in_use: bool,
    /// The inline modules (`mod tests { … }`) it is in, outermost first.
    inline: Vec<String>,
    /// Its line.
    line: usize,
}

/// The paths in a file's tokens: every `use` tree, and every other path that starts with
/// `crate::`, `super::` or `self::` (not a visibility's `pub(in crate::x)`).
fn written(toks: &[Token]) -> Vec<Written> {
    let word =
        |i: usize, w: &str| matches!(toks.get(i), Some(Token { tok: Tok::Ident(x), .. }) if x == w);
    let punct = |i: usize, p: char| matches!(toks.get(i), Some(Token { tok: Tok::Punct(x), .. }) if *x == p);
    let sep = |i: usize| matches!(toks.get(i), Some(Token { tok: Tok::Sep, .. }));
    let mut out = Vec::new();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(token) = toks.get(i) {
        let names: Vec<String> = inline.iter().map(|(n, _)| n.clone()).collect();
        let mut found = Vec::new();
        match &token.tok {
            Tok::Punct('{') => {
                depth += 1;
                i += 1;
            }
            Tok::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            Tok::Ident(w) if w == "mod" && punct(i + 2, '{') => {
                if let Some(Token {
                    tok: Tok::Ident(name),
                    ..
                }) = toks.get(i + 1)
                {
                    inline.push((name.clone(), depth + 1));
                }
                i += 2;
            }
            Tok::Ident(w) if w == "use" => {
                i = tree(toks, i + 1, Vec::new(), &mut found);
                for w in &mut found {
                    w.in_use = true;
                }
            }
            Tok::Ident(w) if matches!(w.as_str(), "crate" | "super" | "self") && sep(i + 1) => {
                let visibility =
                    i >= 3 && word(i - 1, "in") && punct(i - 2, '(') && word(i - 3, "pub");
                i = tree(toks, i, Vec::new(), &mut found);
                if visibility {
                    found.clear();
                }
            }
            _ => i += 1,
        }
        for mut w in found {
            w.inline.clone_from(&names);
            out.push(w);
        }
    }
    out
}

/// Reads a path or `use` tree starting at `i`, after `prefix`, into `out`: the index after it.
fn tree(toks: &[Token], mut i: usize, prefix: Vec<String>, out: &mut Vec<Written>) -> usize {
    let tok = |i: usize| toks.get(i).map(|t| &t.tok);
    let line = |i: usize| toks.get(i).map_or(0, |t| t.line);
    let leaf = |segs: Vec<String>, name: Option<String>, line: usize| Written {
        segs,
        name,
        in_use: false,
        inline: Vec::new(),
        line,
    };
    let mut segs = prefix;
    // A leading `::` (`use ::std::…`).
    if segs.is_empty() && tok(i) == Some(&Tok::Sep) {
        i += 1;
    }
    loop {
        match tok(i) {
            Some(Tok::Ident(w)) => {
                let at = line(i);
                let last = w.clone();
                i += 1;
                if tok(i) == Some(&Tok::Sep) {
                    segs.push(last);
                    i += 1;
                    match tok(i) {
                        Some(Tok::Punct('{')) => return group(toks, i, &segs, out),
                        Some(Tok::Punct('*')) => {
                            out.push(leaf(segs, None, at));
                            return i + 1;
                        }
                        Some(Tok::Ident(_)) => {}
                        _ => {
                            out.push(leaf(segs.clone(), Some(last_of(&segs)), at));
                            return i;
                        }
                    }
                    continue;
                }
                let mut name = last.clone();
                if last != "self" || segs.is_empty() {
                    segs.push(last);
                }
                if matches!(tok(i), Some(Tok::Ident(a)) if a == "as") {
                    if let Some(Tok::Ident(alias)) = tok(i + 1) {
                        name.clone_from(alias);
                        i += 2;
                    }
                }
                if name == "self" {
                    name = last_of(&segs);
                }
                out.push(leaf(segs, Some(name), at));
                return i;
            }
            Some(Tok::Punct('{')) => return group(toks, i, &segs, out),
            _ => {
                if !segs.is_empty() {
                    let name = last_of(&segs);
                    out.push(leaf(segs, Some(name), line(i)));
                }
                return i;
            }
        }
    }
}

/// The last segment of a path (empty when none).
fn last_of(segs: &[String]) -> String {
    segs.last().cloned().unwrap_or_default()
}

/// Reads a `use` group (`{a, b::c, self}`) whose `{` is at `i`, after `prefix`, into `out`: the
/// index after its `}`.
fn group(toks: &[Token], mut i: usize, prefix: &[String], out: &mut Vec<Written>) -> usize {
    i += 1;
    while let Some(t) = toks.get(i) {
        match t.tok {
            Tok::Punct('}') => return i + 1,
            Tok::Punct(',') => i += 1,
            _ => {
                let next = tree(toks, i, prefix.to_vec(), out);
                i = next.max(i + 1);
            }
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(rel, text)| ((*rel).to_owned(), (*text).to_owned()))
            .collect()
    }

    fn edges(graph: &Graph, from: &str) -> Vec<String> {
        graph
            .edges
            .get(from)
            .map(|e| e.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn paths(text: &str) -> Vec<String> {
        written(&tokens(text))
            .into_iter()
            .map(|w| w.segs.join("::"))
            .collect()
    }

    #[test]
    fn comments_doc_links_and_literals_are_not_paths() {
        let text = r####"//! See [`crate::b`] and crate::b::f.
/// Calls [crate::b::g] (see `super::b`).
/* crate::b::h /* nested crate::b */ still a comment crate::b */
fn f<'a>(x: &'a str) -> &'a str {
    let s = "crate::b::x \" crate::b::y";
    let r = r#"crate::b::z "quoted" "#;
    let c = '"';
    let d = '\'';
    let e = b"crate::b";
    #[doc = "crate::b::w"]
    let _ = (s, r, c, d, e);
    crate::c::g(x) // crate::b::v
}
"####;
        assert_eq!(paths(text), ["crate::c::g"]);
        let graph = graph(
            "src",
            &files(&[("lib.rs", ""), ("a.rs", text), ("b.rs", ""), ("c.rs", "")]),
            &[],
        );
        assert_eq!(edges(&graph, "a"), ["c"]);
        assert_eq!(graph.edge("a", "c").map(|e| e.line), Some(12));
    }

    #[test]
    fn use_groups_aliases_and_re_exports() {
        assert_eq!(
            paths(
                "use crate::core::{reader::Reader, Registry, self as c}; use super::{push, tabs};"
            ),
            [
                "crate::core::reader::Reader",
                "crate::core::Registry",
                "crate::core",
                "super::push",
                "super::tabs"
            ]
        );
        assert_eq!(
            paths("use super::push::{self as socket, Driver};\nlet x = super::transport::now_ms::<u8>();"),
            ["super::push", "super::push::Driver", "super::transport::now_ms"]
        );
        let graph = graph(
            "src",
            &files(&[
                ("lib.rs", "pub mod core; pub mod web; pub use crate::core::{Availability};"),
                (
                    "core.rs",
                    "pub mod model; pub mod reader; pub mod registry;\npub use model::Availability;\npub use registry::{Applied, Registry as Reg};",
                ),
                ("core/model.rs", ""),
                ("core/reader.rs", ""),
                ("core/registry.rs", ""),
                ("web.rs", "mod relay; mod push; mod tabs; mod store;"),
                (
                    "web/relay.rs",
                    "use crate::core::{reader::Reader, Reg};\nuse super::{push, tabs};\nfn f() -> crate::Availability { todo!() }",
                ),
                ("web/push.rs", ""),
                ("web/tabs.rs", ""),
            ]),
            &["core", "web"],
        );
        assert_eq!(
            edges(&graph, "web::relay"),
            [
                "core::model",
                "core::reader",
                "core::registry",
                "web::push",
                "web::tabs"
            ]
        );
        // The roots are nodes that no edge leaves.
        assert!(edges(&graph, "core").is_empty());
        assert!(edges(&graph, "crate").is_empty());
    }

    #[test]
    fn a_module_and_its_own_submodules_are_one_node() {
        let graph = graph(
            "src",
            &files(&[
                ("lib.rs", "pub mod core; pub mod web;"),
                ("core.rs", "pub mod providers; pub mod state;"),
                ("core/providers.rs", "mod graph;"),
                ("core/providers/graph.rs", "use crate::core::state::State;"),
                ("core/providers/graph/beta.rs", "use super::super::Adapter;"),
                ("core/state.rs", ""),
                ("web.rs", "mod relay; mod store;"),
                (
                    "web/store.rs",
                    "mod photos;\nfn f() { super::relay::join(); }",
                ),
                (
                    "web/store/photos.rs",
                    "use super::*; use crate::web::store::X;",
                ),
                ("web/relay.rs", "use super::store::Store;"),
            ]),
            &["core", "web"],
        );
        assert_eq!(
            graph.files.get("web::store").cloned().unwrap_or_default(),
            ["src/web/store.rs", "src/web/store/photos.rs"]
        );
        assert_eq!(
            graph.files.get("core::providers").map(Vec::len),
            Some(3),
            "{:?}",
            graph.files
        );
        assert_eq!(edges(&graph, "core::providers"), ["core::state"]);
        assert_eq!(edges(&graph, "web::store"), ["web::relay"]);
        assert_eq!(graph.circles(), [["web::relay", "web::store"]]);
        let walk = graph.walk(&["web::relay".to_owned(), "web::store".to_owned()]);
        assert_eq!(walk, ["web::relay", "web::store", "web::relay"]);
    }

    #[test]
    fn tarjan_finds_the_circles_and_nothing_else() {
        let graph = graph(
            "relay/src",
            &files(&[
                ("lib.rs", "pub mod a; pub mod b; pub mod c; pub mod d; pub mod e; pub mod f;\npub use a::Thing;"),
                ("a.rs", "use crate::b::X;"),
                ("b.rs", "fn g() { crate::c::y() }"),
                ("c.rs", "use crate::{Thing, d};\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use super::super::f::Z;\n}"),
                ("d.rs", "pub(in crate::e) fn h() {}\nuse crate::e::W;"),
                ("e.rs", "fn k() { let _ = crate::d::h; }"),
                ("f.rs", "pub(crate) fn z() { self::inner(); }"),
            ]),
            &[],
        );
        assert_eq!(edges(&graph, "c"), ["a", "d", "f"]);
        assert_eq!(edges(&graph, "d"), ["e"]);
        assert_eq!(graph.circles(), [vec!["a", "b", "c"], vec!["d", "e"]]);
        let circle: Vec<String> = ["a", "b", "c"].map(str::to_owned).to_vec();
        assert_eq!(graph.walk(&circle), ["a", "b", "c", "a"]);
        let told = graph.describe(&circle, &graph.walk(&circle));
        assert!(told.contains("a (relay/src/a.rs)"), "{told}");
        assert!(
            told.contains("-> b (relay/src/a.rs:1 `crate::b::X`)"),
            "{told}"
        );
    }

    #[test]
    fn verdicts_against_the_known_circles() {
        let known: [&[&str]; 1] = [&["a", "b", "c"]];
        let circle = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        assert_eq!(verdict(&circle(&["a", "b", "c"]), &known), Verdict::Known);
        assert_eq!(verdict(&circle(&["a", "b"]), &known), Verdict::Known);
        assert_eq!(
            verdict(&circle(&["a", "b", "c", "d"]), &known),
            Verdict::Grew(circle(&["a", "b", "c"]))
        );
        assert_eq!(verdict(&circle(&["d", "e"]), &known), Verdict::New);
    }

    #[test]
    fn module_paths_of_files() {
        assert_eq!(module_of("lib.rs"), Vec::<String>::new());
        assert_eq!(module_of("web/store/photos.rs"), ["web", "store", "photos"]);
        assert_eq!(module_of("load/mod.rs"), ["load"]);
    }
}
