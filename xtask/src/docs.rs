//! What is made from the elements' one description (`src/web/elements/spec.rs`): the README's
//! tables of the elements (`cargo xtask docs` writes them; `cargo xtask test` fails while they
//! differ) and the package's Custom Elements Manifest (`custom-elements.json`).

use std::fmt::Write as _;
use std::path::Path;

#[path = "../../src/web/elements/spec.rs"]
#[allow(dead_code, reason = "the build script uses the TypeScript types")]
mod spec;

use spec::{Element, CSS_PROPERTIES, ELEMENTS};

const BEGIN: &str = "<!-- elements: made by `cargo xtask docs` from src/web/elements/spec.rs -->";
const END: &str = "<!-- /elements -->";

/// The README's tables of the elements, as the description says them.
fn tables() -> String {
    let mut md = String::new();
    for e in ELEMENTS {
        let _ = writeln!(md, "#### `<{}>`\n\n{}\n", e.tag, e.summary);
        md.push_str("| Attribute | Property | What | Default |\n| --- | --- | --- | --- |\n");
        for a in e.attributes {
            let _ = writeln!(
                md,
                "| `{}` | `{}` (`{}`) | {} | {} |",
                a.name,
                a.property,
                a.kind.read_type(),
                a.description,
                match a.default {
                    "—" | "off" => a.default.to_owned(),
                    value => format!("`{value}`"),
                }
            );
        }
        let events: Vec<String> = e.events.iter().map(|v| format!("`{}`", v.name)).collect();
        let parts: Vec<String> = e.parts.iter().map(|p| format!("`{}`", p.name)).collect();
        let _ = writeln!(
            md,
            "\nEvents: {}. Parts: {}.\n",
            events.join(", "),
            parts.join(", ")
        );
    }
    md.push_str("| Event | When, and its `detail` |\n| --- | --- |\n");
    let mut seen: Vec<&str> = Vec::new();
    for event in ELEMENTS.iter().flat_map(|e| e.events) {
        if !seen.contains(&event.name) {
            seen.push(event.name);
            let _ = writeln!(md, "| `{}` | {} |", event.name, event.description);
        }
    }
    md.push_str("\n| Custom property | What | Default (light) |\n| --- | --- | --- |\n");
    for p in CSS_PROPERTIES {
        let _ = writeln!(md, "| `{}` | {} | `{}` |", p.name, p.description, p.default);
    }
    md
}

/// The README with its tables as the description says them.
fn readme_with_tables(readme: &str) -> Result<String, String> {
    let start = readme
        .find(BEGIN)
        .ok_or_else(|| format!("README.md has no `{BEGIN}` line"))?;
    let end = readme
        .find(END)
        .filter(|&end| end > start)
        .ok_or_else(|| format!("README.md has no `{END}` line after the tables' start"))?;
    let head = readme.get(..start).unwrap_or_default();
    let tail = readme.get(end..).unwrap_or_default();
    Ok(format!("{head}{BEGIN}\n\n{}\n{tail}", tables()))
}

/// Writes the README's tables.
///
/// # Errors
/// When the README cannot be read or written, or lacks the tables' markers.
pub fn write_readme(root: &Path) -> Result<bool, String> {
    let path = root.join("README.md");
    let readme =
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read README.md: {e}"))?;
    let made = readme_with_tables(&readme)?;
    if made == readme {
        return Ok(false);
    }
    std::fs::write(&path, made).map_err(|e| format!("cannot write README.md: {e}"))?;
    Ok(true)
}

/// Checks that the README's tables say what the description says.
///
/// # Errors
/// When they differ (run `cargo xtask docs`), or the README cannot be read.
pub fn check_readme(root: &Path) -> Result<(), String> {
    let readme = std::fs::read_to_string(root.join("README.md"))
        .map_err(|e| format!("cannot read README.md: {e}"))?;
    if readme_with_tables(&readme)? != readme {
        return Err("README.md's element tables differ from src/web/elements/spec.rs: run `cargo xtask docs`".into());
    }
    Ok(())
}

/// `text` as a JSON string.
fn json(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One element's declaration in the manifest.
fn declaration(e: &Element) -> String {
    let list = |items: Vec<String>| format!("[{}]", items.join(", "));
    let attributes = e
        .attributes
        .iter()
        .map(|a| {
            let default = if a.default == "—" {
                String::new()
            } else {
                format!(", \"default\": {}", json(a.default))
            };
            format!(
                "{{ \"name\": {}, \"fieldName\": {}, \"type\": {{ \"text\": {} }}, \"description\": {}{default} }}",
                json(a.name),
                json(a.property),
                json(a.kind.attribute_type()),
                json(a.description)
            )
        })
        .collect();
    let members = e
        .attributes
        .iter()
        .map(|a| {
            format!(
                "{{ \"kind\": \"field\", \"name\": {}, \"type\": {{ \"text\": {} }}, \"description\": {}, \"attribute\": {}, \"reflects\": true }}",
                json(a.property),
                json(a.kind.write_type()),
                json(a.description),
                json(a.name)
            )
        })
        .collect();
    let events = e
        .events
        .iter()
        .map(|v| {
            format!(
                "{{ \"name\": {}, \"type\": {{ \"text\": {} }}, \"description\": {} }}",
                json(v.name),
                json(&format!("CustomEvent<{}>", v.detail)),
                json(v.description)
            )
        })
        .collect();
    let parts = e
        .parts
        .iter()
        .map(|p| {
            format!(
                "{{ \"name\": {}, \"description\": {} }}",
                json(p.name),
                json(p.description)
            )
        })
        .collect();
    let properties = CSS_PROPERTIES
        .iter()
        .map(|p| {
            format!(
                "{{ \"name\": {}, \"description\": {}, \"default\": {} }}",
                json(p.name),
                json(p.description),
                json(p.default)
            )
        })
        .collect();
    format!(
        "{{ \"kind\": \"class\", \"customElement\": true, \"name\": {}, \"tagName\": {}, \"description\": {}, \"superclass\": {{ \"name\": \"HTMLElement\", \"package\": \"global:\" }}, \"attributes\": {}, \"members\": {}, \"events\": {}, \"cssParts\": {}, \"cssProperties\": {} }}",
        json(e.class),
        json(e.tag),
        json(e.summary),
        list(attributes),
        list(members),
        list(events),
        list(parts),
        list(properties)
    )
}

/// The Custom Elements Manifest of a package whose entries are `entries` (each its folder, ""
/// for the default, and whether it is built with `write`).
pub fn manifest(entries: &[(&str, bool)]) -> String {
    let modules: Vec<String> = entries
        .iter()
        .map(|&(dir, write)| {
            let path = if dir.is_empty() {
                "presence_widgets.js".to_owned()
            } else {
                format!("{dir}/presence_widgets.js")
            };
            let shown: Vec<&Element> = ELEMENTS
                .iter()
                .filter(|e| e.feature.is_none() || (write && e.feature == Some("write")))
                .collect();
            let declarations: Vec<String> = shown.iter().map(|e| declaration(e)).collect();
            let exports: Vec<String> = shown
                .iter()
                .map(|e| {
                    format!(
                        "{{ \"kind\": \"custom-element-definition\", \"name\": {}, \"declaration\": {{ \"name\": {}, \"module\": {} }} }}",
                        json(e.tag),
                        json(e.class),
                        json(&path)
                    )
                })
                .collect();
            format!(
                "    {{ \"kind\": \"javascript-module\", \"path\": {}, \"declarations\": [\n      {}\n    ], \"exports\": [\n      {}\n    ] }}",
                json(&path),
                declarations.join(",\n      "),
                exports.join(",\n      ")
            )
        })
        .collect();
    format!(
        "{{\n  \"schemaVersion\": \"2.1.0\",\n  \"readme\": \"README.md\",\n  \"modules\": [\n{}\n  ]\n}}\n",
        modules.join(",\n")
    )
}
