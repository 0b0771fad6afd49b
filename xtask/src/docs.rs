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
                match a.feature {
                    Some(_) => format!("{} (In `presence-widgets/live`.)", a.description),
                    None => a.description.to_owned(),
                },
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
fn declaration(e: &Element, live: bool) -> String {
    let list = |items: Vec<String>| format!("[{}]", items.join(", "));
    // The attributes of a feature only where the entry has it (the live entry).
    let shown = || e.attributes.iter().filter(|a| a.feature.is_none() || live);
    let attributes = shown()
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
    let members = shown()
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
/// for the default, and whether it is the live entry, whose builds have the elements of a feature:
/// the picker, the avatar).
pub fn manifest(entries: &[(&str, bool)]) -> String {
    let modules: Vec<String> = entries
        .iter()
        .map(|&(dir, live)| {
            let path = if dir.is_empty() {
                "presence_widgets.js".to_owned()
            } else {
                format!("{dir}/presence_widgets.js")
            };
            let shown: Vec<&Element> = ELEMENTS
                .iter()
                .filter(|e| e.feature.is_none() || live)
                .collect();
            let declarations: Vec<String> = shown.iter().map(|e| declaration(e, live)).collect();
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

/// The framework typings of one entry, `live` for the live entry (with the picker, the avatar
/// and the list's `avatars`): `react.d.ts` (React 19's `JSX.IntrinsicElements`, so
/// `<presence-badge user=… />` type-checks in TSX) and `vue.d.ts` (Vue's `GlobalComponents`, for
/// SFC templates), each file with its text, written beside the entry's own `.d.ts`, whose types
/// they name.
pub fn framework_types(live: bool) -> [(&'static str, String); 2] {
    let shown: Vec<&Element> = ELEMENTS
        .iter()
        .filter(|e| e.feature.is_none() || live)
        .collect();
    let mut imports: Vec<&str> = vec!["Presence", "PresenceErrorDetail"];
    for e in &shown {
        for name in std::iter::once(e.class).chain(e.events.iter().map(|v| v.detail)) {
            if !imports.contains(&name) {
                imports.push(name);
            }
        }
    }
    let import_lines = format!(
        "import type {{ {} }} from \"./presence_widgets.js\";\n",
        imports.join(", ")
    );
    let mut head = String::from(
        "// Made by cargo xtask from src/web/elements/spec.rs: the package's tags for ",
    );
    head.push_str("FRAMEWORK.\n");

    let mut react = head.replace(
        "FRAMEWORK",
        "React 19's JSX (`import type {} from \"presence-widgets/react\"`, or `presence-widgets/live/react`, once in the app)",
    );
    react.push_str("import type { DetailedHTMLProps, HTMLAttributes } from \"react\";\n");
    react.push_str(&import_lines);
    react.push_str(
        "\ndeclare module \"react\" {\n  namespace JSX {\n    interface IntrinsicElements {\n",
    );
    for e in &shown {
        let _ = writeln!(
            react,
            "      /** {} */\n      \"{}\": DetailedHTMLProps<HTMLAttributes<{}>, {}> & {{",
            e.summary, e.tag, e.class, e.class
        );
        for a in e.attributes.iter().filter(|a| a.feature.is_none() || live) {
            let _ = writeln!(
                react,
                "        /** {} */\n        \"{}\"?: {};",
                a.description,
                a.name,
                attribute_type(a.kind)
            );
            if a.property != a.name {
                let _ = writeln!(
                    react,
                    "        /** {} (the property) */\n        {}?: {};",
                    a.description,
                    a.property,
                    a.kind.write_type()
                );
            }
        }
        for v in e.events {
            let _ = writeln!(
                react,
                "        /** {} */\n        \"on{}\"?: (event: CustomEvent<{}>) => void;",
                v.description, v.name, v.detail
            );
        }
        react.push_str("      };\n");
    }
    react.push_str("    }\n  }\n}\n");

    let mut vue = head.replace(
        "FRAMEWORK",
        "Vue's templates (`/// <reference types=\"presence-widgets/vue\" />`, or `presence-widgets/live/vue`, once in the app)",
    );
    vue.push_str("import type { DefineComponent } from \"vue\";\n");
    vue.push_str(&import_lines);
    vue.push_str("\ndeclare module \"vue\" {\n  interface GlobalComponents {\n");
    for e in &shown {
        let _ = writeln!(
            vue,
            "    /** {} */\n    \"{}\": DefineComponent<{{",
            e.summary, e.tag
        );
        for a in e.attributes.iter().filter(|a| a.feature.is_none() || live) {
            let _ = writeln!(
                vue,
                "      /** {} */\n      {}?: {};",
                a.description,
                a.property,
                attribute_type(a.kind)
            );
        }
        for v in e.events {
            let _ = writeln!(
                vue,
                "      /** {} */\n      {}?: (event: CustomEvent<{}>) => void;",
                v.description,
                handler(v.name),
                v.detail
            );
        }
        let _ = writeln!(vue, "    }}>;");
    }
    vue.push_str("  }\n}\n");
    [("react.d.ts", react), ("vue.d.ts", vue)]
}

/// What a template may give an attribute: its property's type, or the attribute's text.
fn attribute_type(kind: spec::Kind) -> String {
    match kind {
        spec::Kind::Text => "string".to_owned(),
        spec::Kind::Flag => "boolean | \"\"".to_owned(),
        other => format!("{} | string", other.read_type()),
    }
}

/// Vue's name of the handler of `event`: `presence-change` → `onPresenceChange`.
fn handler(event: &str) -> String {
    let mut name = String::from("on");
    for word in event.split('-') {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name
}
