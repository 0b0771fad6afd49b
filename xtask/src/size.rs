//! `cargo xtask size`: where the package's bytes are. Each entry is built as it ships
//! (wasm-pack, then wasm-opt -Oz) but with its function names kept (`-g`); the `.wasm` is read
//! here (its sections, the code's function bodies and the `name` section, which wasm-bindgen
//! writes demangled), each function is given to the crate and, for ours, the module whose code
//! it is (`<T as Trait>::f` is `T`'s; generic code of `alloc`, `core` or `hashbrown` is theirs,
//! with how much of it is instantiated for our types said beside), and each part's bytes are
//! compressed alone with gzip -9. The shares of the shipped gzip size are those compressed
//! sizes scaled to the whole `.wasm`'s, so that they add up to it.

use std::collections::BTreeMap;
use std::path::Path;

use crate::process::{root, say};
use crate::tools;

/// The entries measured: name, cargo features, and whether the default features are in.
const ENTRIES: &[(&str, &str, bool)] = &[
    ("default (presence-widgets)", "element", true),
    (
        "live (presence-widgets/live)",
        "element,push,write,avatar",
        true,
    ),
    ("relay (presence-widgets/relay)", "element,relay", false),
];

/// Parts smaller than this share of an entry, in thousandths, are summed in one row.
const SMALL_PERMILLE: usize = 5;

/// Builds every entry with names kept and says where its bytes are.
///
/// # Errors
/// When a tool is missing, a build fails or a `.wasm` cannot be read.
pub fn report() -> Result<Vec<String>, String> {
    tools::for_tests()?;
    let mut figures = Vec::new();
    for (name, features, defaults) in ENTRIES {
        let out = root()
            .join("target")
            .join("size")
            .join(features.replace(',', "-"));
        crate::package::wasm_pack(&out, features, *defaults)?;
        let named = out.join("named.wasm");
        let named_text = named.display().to_string();
        crate::package::shrink(&out.join("presence_widgets_bg.wasm"), &named, true)?;
        let bytes = std::fs::read(&named).map_err(|e| format!("cannot read {named_text}: {e}"))?;
        let table = measure(&bytes, &out)?;
        say(&format!(
            "where the bytes of the {name} entry are:\n{table}"
        ));
        figures.push(format!("{name}:\n{table}"));
    }
    let file = root().join("target").join("size.md");
    std::fs::write(&file, figures.join("\n"))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    say(&format!("the tables are in {}", file.display()));
    Ok(figures)
}

/// One part of the `.wasm`: its bytes, and those of its code instantiated for our types.
#[derive(Default)]
struct Part {
    bytes: Vec<u8>,
    for_ours: usize,
}

/// The table of where `wasm`'s bytes are (the code by crate, then ours by module).
fn measure(wasm: &[u8], scratch: &Path) -> Result<String, String> {
    let module = read_module(wasm).ok_or("the .wasm cannot be read")?;
    let mut crates: BTreeMap<String, Part> = BTreeMap::new();
    let mut ours: BTreeMap<String, Part> = BTreeMap::new();
    for (index, body) in module.bodies.iter().enumerate() {
        let name = index
            .checked_add(module.imported)
            .and_then(|i| module.names.get(&i))
            .map_or("(no name)", String::as_str);
        let (krate, path) = owner(name);
        let part = crates.entry(krate.clone()).or_default();
        part.bytes.extend_from_slice(body);
        if krate != "presence_widgets" && name.contains("presence_widgets") {
            part.for_ours = part.for_ours.saturating_add(body.len());
        }
        if krate == "presence_widgets" {
            ours.entry(path).or_default().bytes.extend_from_slice(body);
        }
    }
    crates
        .entry("(data: strings, tables)".into())
        .or_default()
        .bytes = module.data;
    let other = wasm.len().saturating_sub(
        crates
            .values()
            .map(|p| p.bytes.len())
            .sum::<usize>()
            .saturating_add(module.custom),
    );
    crates
        .entry("(types, imports, exports, tables)".into())
        .or_default()
        .bytes = vec![0; other];
    let shipped = gzip(&strip_custom(wasm), scratch)?;
    let mut out = String::new();
    out.push_str(&format!(
        "  .wasm {} bytes, {} gzip -9 (names and other custom sections left out)\n",
        wasm.len().saturating_sub(module.custom),
        shipped
    ));
    out.push_str(&table("crate", &crates, shipped, scratch)?);
    let ours_gzip = share(&crates, "presence_widgets", shipped, scratch)?;
    out.push_str(&table(
        "presence_widgets module",
        &ours,
        ours_gzip,
        scratch,
    )?);
    Ok(out)
}

/// `part`'s share of `total` gzip bytes among `parts`.
fn share(
    parts: &BTreeMap<String, Part>,
    part: &str,
    total: usize,
    scratch: &Path,
) -> Result<usize, String> {
    let mut sizes = Vec::new();
    for (name, p) in parts {
        sizes.push((name.as_str(), gzip(&p.bytes, scratch)?));
    }
    let sum: usize = sizes.iter().map(|(_, s)| *s).sum();
    let mine = sizes
        .iter()
        .find(|(n, _)| *n == part)
        .map_or(0, |(_, s)| *s);
    Ok(scaled(mine, sum, total))
}

/// `part` of `sum`, as a part of `total`.
fn scaled(part: usize, sum: usize, total: usize) -> usize {
    part.saturating_mul(total) / sum.max(1)
}

/// `part` of `total` in percent, to a tenth.
fn percent(part: usize, total: usize) -> String {
    let permille = part.saturating_mul(1000) / total.max(1);
    format!("{}.{}", permille / 10, permille % 10)
}

/// A table of `parts`, largest first, their compressed sizes scaled to `total`.
fn table(
    what: &str,
    parts: &BTreeMap<String, Part>,
    total: usize,
    scratch: &Path,
) -> Result<String, String> {
    let mut rows = Vec::new();
    for (name, part) in parts {
        rows.push((
            name.clone(),
            part.bytes.len(),
            gzip(&part.bytes, scratch)?,
            part.for_ours,
        ));
    }
    let sum: usize = rows.iter().map(|r| r.2).sum();
    rows.sort_by_key(|r| std::cmp::Reverse(r.2));
    let mut out = format!(
        "\n  | {what} | bytes | gzip -9 share | % | of its bytes, for our types |\n  | --- | ---: | ---: | ---: | ---: |\n"
    );
    let (mut small, mut small_bytes, mut small_gzip) = (0, 0, 0);
    for (name, bytes, gzip, for_ours) in rows {
        let gz = scaled(gzip, sum, total);
        if gz.saturating_mul(1000) < SMALL_PERMILLE.saturating_mul(total) {
            small += 1;
            small_bytes += bytes;
            small_gzip += gz;
            continue;
        }
        let for_ours = if for_ours > 0 {
            format!("{for_ours}")
        } else {
            String::new()
        };
        let share = percent(gz, total);
        out.push_str(&format!(
            "  | {name} | {bytes} | {gz} | {share} | {for_ours} |\n"
        ));
    }
    if small > 0 {
        let share = percent(small_gzip, total);
        let under = percent(SMALL_PERMILLE, 1000);
        out.push_str(&format!(
            "  | ({small} smaller, each under {under}%) | {small_bytes} | {small_gzip} | {share} | |\n"
        ));
    }
    Ok(out)
}

/// `name` without the crates' disambiguators (`core[c5930c85a12de822]::fmt`, as the
/// precompiled std's names have them) and a copy's number (`…::write_char[4]`).
fn plain(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        let (head, tail) = rest.split_at(open);
        out.push_str(head);
        match tail.find(']') {
            Some(close) if tail[1..close].chars().all(|c| c.is_ascii_hexdigit()) && close > 1 => {
                rest = &tail[close + 1..];
            }
            _ => {
                out.push('[');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whose code a function is: its crate, and its module path (without the type and function).
/// `<T as Trait>::f` and `<T>::f` are `T`'s; a primitive's (`<u32 as Display>::fmt`, a
/// generic `<T as ToString>`) are the trait's, or `core`'s.
fn owner(name: &str) -> (String, String) {
    if name.starts_with("__wbg") || name.starts_with("__wbindgen") {
        return ("(wasm-bindgen glue)".into(), String::new());
    }
    let name = plain(name);
    // Without its hash (`::h0123456789abcdef`).
    let name = match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            head.to_owned()
        }
        _ => name,
    };
    if !name.contains("::") {
        return ("(exports and shims)".into(), String::new());
    }
    let mut path = name.as_str();
    if let Some(inner) = path.strip_prefix('<') {
        let mut depth = 0_i32;
        let (mut end, mut trait_at) = (inner.len(), None);
        for (i, c) in inner.char_indices() {
            match c {
                '<' => depth += 1,
                '>' if depth == 0 => {
                    end = end.min(i);
                    break;
                }
                '>' => depth -= 1,
                ' ' if depth == 0 && inner[i..].starts_with(" as ") => {
                    end = i;
                    trait_at = Some(i + 4);
                }
                _ => {}
            }
        }
        let own = inner.get(..end).unwrap_or_default();
        let own = own.trim_start_matches(['&', '*', '[', '(']);
        let own = own
            .trim_start_matches("mut ")
            .trim_start_matches("const ")
            .trim_start_matches("dyn ");
        path = if own.split('<').next().unwrap_or(own).contains("::") {
            own
        } else {
            match trait_at.and_then(|at| inner.get(at..)) {
                Some(t) => t,
                None => "core::primitive",
            }
        };
    }
    let path = path.split('<').next().unwrap_or(path);
    let mut segments = path.split("::");
    let krate = segments.next().unwrap_or_default();
    let rest: Vec<&str> = segments.collect();
    if rest.is_empty()
        || krate.is_empty()
        || !krate.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return ("(other)".into(), String::new());
    }
    let module: Vec<&str> = rest
        .iter()
        .take(rest.len().saturating_sub(1))
        .take_while(|s| s.starts_with(|c: char| c.is_ascii_lowercase()))
        .copied()
        .collect();
    let module = if module.is_empty() {
        krate.to_owned()
    } else {
        format!("{krate}::{}", module.join("::"))
    };
    (krate.to_owned(), module)
}

/// gzip -9's size of `bytes`.
fn gzip(bytes: &[u8], scratch: &Path) -> Result<usize, String> {
    if bytes.is_empty() {
        return Ok(0);
    }
    let file = scratch.join("part.bin");
    std::fs::write(&file, bytes).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    let size = crate::package::gzip_size(&file)?;
    usize::try_from(size).map_err(|_| "size overflow".to_owned())
}

/// What is read of a `.wasm`.
struct Module {
    /// Functions imported (the code's function indices start after them).
    imported: usize,
    /// Each function body of the code section.
    bodies: Vec<Vec<u8>>,
    /// Function names by index.
    names: BTreeMap<usize, String>,
    /// The data segments' bytes.
    data: Vec<u8>,
    /// Bytes of custom sections (names, debug info).
    custom: usize,
}

/// An unsigned LEB128 at `pos`.
fn leb(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0_u64;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
        shift += 7;
    }
}

fn usize_at(bytes: &[u8], pos: &mut usize) -> Option<usize> {
    usize::try_from(leb(bytes, pos)?).ok()
}

/// A length-prefixed byte string at `pos`.
fn string<'a>(bytes: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let len = usize_at(bytes, pos)?;
    let s = bytes.get(*pos..pos.checked_add(len)?)?;
    *pos += len;
    Some(s)
}

/// The sections of `wasm`: (id, payload).
fn sections(wasm: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    if wasm.get(..4)? != b"\0asm" {
        return None;
    }
    let mut pos = 8;
    let mut out = Vec::new();
    while pos < wasm.len() {
        let id = *wasm.get(pos)?;
        pos += 1;
        let len = usize_at(wasm, &mut pos)?;
        out.push((id, wasm.get(pos..pos.checked_add(len)?)?));
        pos += len;
    }
    Some(out)
}

/// `wasm` without its custom sections (as it ships, names stripped).
fn strip_custom(wasm: &[u8]) -> Vec<u8> {
    let mut out = wasm.get(..8).map(<[u8]>::to_vec).unwrap_or_default();
    for (id, payload) in sections(wasm).unwrap_or_default() {
        if id == 0 {
            continue;
        }
        out.push(id);
        let mut len = payload.len();
        loop {
            let byte = u8::try_from(len & 0x7f).unwrap_or(0);
            len >>= 7;
            if len == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
        out.extend_from_slice(payload);
    }
    out
}

fn read_module(wasm: &[u8]) -> Option<Module> {
    let mut module = Module {
        imported: 0,
        bodies: Vec::new(),
        names: BTreeMap::new(),
        data: Vec::new(),
        custom: 0,
    };
    for (id, payload) in sections(wasm)? {
        let mut pos = 0;
        match id {
            0 => {
                module.custom += payload.len() + 6;
                if string(payload, &mut pos)? != b"name" {
                    continue;
                }
                while pos < payload.len() {
                    let sub = *payload.get(pos)?;
                    pos += 1;
                    let len = usize_at(payload, &mut pos)?;
                    let end = pos.checked_add(len)?;
                    if sub == 1 {
                        let mut p = pos;
                        let count = usize_at(payload, &mut p)?;
                        for _ in 0..count {
                            let index = usize_at(payload, &mut p)?;
                            let name = string(payload, &mut p)?;
                            module
                                .names
                                .insert(index, String::from_utf8_lossy(name).into_owned());
                        }
                    }
                    pos = end;
                }
            }
            2 => {
                let count = usize_at(payload, &mut pos)?;
                for _ in 0..count {
                    string(payload, &mut pos)?;
                    string(payload, &mut pos)?;
                    let kind = *payload.get(pos)?;
                    pos += 1;
                    match kind {
                        0 => {
                            module.imported += 1;
                            leb(payload, &mut pos)?;
                        }
                        1 | 2 => {
                            if kind == 1 {
                                pos += 1;
                            }
                            let flags = leb(payload, &mut pos)?;
                            leb(payload, &mut pos)?;
                            if flags & 1 == 1 {
                                leb(payload, &mut pos)?;
                            }
                        }
                        3 => pos += 2,
                        4 => {
                            pos += 1;
                            leb(payload, &mut pos)?;
                        }
                        _ => return None,
                    }
                }
            }
            10 => {
                let count = usize_at(payload, &mut pos)?;
                for _ in 0..count {
                    let body = string(payload, &mut pos)?;
                    module.bodies.push(body.to_vec());
                }
            }
            11 => module.data = payload.to_vec(),
            _ => {}
        }
    }
    Some(module)
}

#[cfg(test)]
mod tests {
    use super::owner;

    #[test]
    fn code_is_its_owners() {
        let o = |n: &str| owner(n);
        assert_eq!(
            o("presence_widgets::core::reader::Reader::step::h0123456789abcdef").1,
            "presence_widgets::core::reader"
        );
        assert_eq!(
            o("<presence_widgets::web::store::Store as core::clone::Clone>::clone").1,
            "presence_widgets::web::store"
        );
        assert_eq!(
            o("hashbrown::raw::RawTable<T,A>::reserve_rehash").0,
            "hashbrown"
        );
        assert_eq!(
            o("core::ptr::drop_in_place<presence_widgets::core::model::Presence>").0,
            "core"
        );
        assert_eq!(o("<&T as core::fmt::Debug>::fmt").0, "core");
        assert_eq!(
            o("<char as core[c5930c85a12de822]::fmt::Debug>::fmt").0,
            "core"
        );
        assert_eq!(
            o("<dlmalloc[e24a27700634d609]::dlmalloc::Dlmalloc<dlmalloc[e24a27700634d609]::sys::System>>::malloc").0,
            "dlmalloc"
        );
        assert_eq!(o("<u32>::from_ascii_radix").0, "core");
        assert_eq!(o("configure").0, "(exports and shims)");
        assert_eq!(o("__wbg_fetch_1234").0, "(wasm-bindgen glue)");
    }
}
