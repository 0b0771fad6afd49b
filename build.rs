//! Makes from the custom elements' one description (`src/web/elements/spec.rs`), in `OUT_DIR`:
//! their TypeScript types, `elements.d.ts` (the badge, the list, the summary), `avatar.d.ts` (feature `avatar`) and `picker.d.ts`
//! (the status picker, feature `write`), which `src/web/elements.rs` appends to the package's
//! `.d.ts`; and `observed.rs`, the attributes each element observes, which `host.rs` includes
//! (the descriptions stay out of the wasm); and the components' stylesheets without their
//! comments and the white space nothing needs, as the wasm carries them.

use std::fmt::Write as _;
use std::path::PathBuf;

#[path = "src/web/elements/spec.rs"]
#[allow(
    dead_code,
    reason = "the build uses the types and names; xtask the rest"
)]
mod spec;

fn main() {
    println!("cargo::rerun-if-changed=src/web/elements/spec.rs");
    println!("cargo::rerun-if-changed=build.rs");
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        println!("cargo::error=OUT_DIR is not set");
        return;
    };
    println!("cargo::rerun-if-changed=src/web/components/presence.css");
    println!("cargo::rerun-if-changed=src/web/components/picker.css");
    println!("cargo::rerun-if-changed=src/web/components/avatar.css");
    let css = |name: &str| {
        std::fs::read_to_string(format!("src/web/components/{name}"))
            .map(|text| minify_css(&text))
            .unwrap_or_else(|e| {
                println!("cargo::error=cannot read src/web/components/{name}: {e}");
                String::new()
            })
    };
    let files = [
        ("elements.d.ts", types(None)),
        ("picker.d.ts", types(Some("write"))),
        ("avatar.d.ts", types(Some("avatar"))),
        ("observed.rs", observed()),
        ("presence.css", css("presence.css")),
        ("picker.css", css("picker.css")),
        ("avatar.css", css("avatar.css") + &initials_sizes()),
    ];
    for (file, text) in files {
        if let Err(e) = std::fs::write(out.join(file), text) {
            println!("cargo::error=cannot write {file}: {e}");
        }
    }
}

/// The attributes each element observes, as Rust.
fn observed() -> String {
    let mut rs = String::from(
        "/// The attributes each element observes (made by build.rs from `spec.rs`).\nconst OBSERVED: &[(&str, &[&str])] = &[\n",
    );
    for e in spec::ELEMENTS {
        // An attribute of a feature is observed only in the builds that have it.
        let names: Vec<String> = e
            .attributes
            .iter()
            .map(|a| match a.feature {
                Some(f) => format!("#[cfg(feature = {f:?})] {:?}", a.name),
                None => format!("{:?}", a.name),
            })
            .collect();
        let _ = writeln!(rs, "    ({:?}, &[{}]),", e.tag, names.join(", "));
    }
    rs.push_str("];\n");
    rs
}

/// The interfaces of the elements that need `feature`, their event maps, and their tags in
/// `HTMLElementTagNameMap`.
fn types(feature: Option<&str>) -> String {
    let mut ts = String::from("\n// Made by build.rs from src/web/elements/spec.rs.\n");
    let mut tags = String::new();
    for e in spec::ELEMENTS.iter().filter(|e| e.feature == feature) {
        let map = format!("{}EventMap", e.class);
        let _ = writeln!(ts, "\n/** The events of <{}>. */", e.tag);
        let _ = writeln!(ts, "export interface {map} extends HTMLElementEventMap {{");
        for event in e.events {
            let _ = writeln!(ts, "  /** {} */", event.description);
            let _ = writeln!(ts, "  \"{}\": CustomEvent<{}>;", event.name, event.detail);
        }
        ts.push_str("}\n");
        let attributes: Vec<&str> = e
            .attributes
            .iter()
            .filter(|a| a.feature.is_none())
            .map(|a| a.name)
            .collect();
        let _ = writeln!(
            ts,
            "/** <{} {}>: {} */",
            e.tag,
            attributes.join(" "),
            e.summary
        );
        let _ = writeln!(ts, "export interface {} extends HTMLElement {{", e.class);
        for a in e.attributes.iter().filter(|a| a.feature.is_none()) {
            property(&mut ts, a);
        }
        let _ = writeln!(
            ts,
            "  addEventListener<K extends keyof {map}>(type: K, listener: (this: {}, ev: {map}[K]) => any, options?: boolean | AddEventListenerOptions): void;",
            e.class
        );
        ts.push_str("  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;\n}\n");
        let _ = writeln!(tags, "    \"{}\": {};", e.tag, e.class);
    }
    // The attributes of `feature` on elements every build has: their interfaces merged with
    // the properties (the list's `avatars`).
    for e in spec::ELEMENTS.iter().filter(|e| e.feature.is_none()) {
        let added: Vec<&spec::Attribute> = e
            .attributes
            .iter()
            .filter(|a| a.feature.is_some() && a.feature == feature)
            .collect();
        if !added.is_empty() {
            let _ = writeln!(ts, "\nexport interface {} {{", e.class);
            for a in added {
                property(&mut ts, a);
            }
            ts.push_str("}\n");
        }
    }
    let _ = write!(
        ts,
        "\ndeclare global {{\n  interface HTMLElementTagNameMap {{\n{tags}  }}\n}}\n"
    );
    ts
}

/// An attribute's JS property in an interface, with its description.
fn property(ts: &mut String, a: &spec::Attribute) {
    let _ = writeln!(
        ts,
        "  /** The `{}` attribute: {} */",
        a.name,
        lowercase_first(a.description)
    );
    let (read, write) = (a.kind.read_type(), a.kind.write_type());
    if read == write {
        let _ = writeln!(ts, "  {}: {read};", a.property);
    } else {
        let _ = writeln!(ts, "  get {}(): {read};", a.property);
        let _ = writeln!(ts, "  set {}(value: {write});", a.property);
    }
}

/// `text` with its first letter in lower case ("The person's id" → "the person's id").
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `css` without its comments and the white space nothing needs (strings kept as written): one
/// space where two words or a combinator meet, none beside `{ } ; , : >`.
fn minify_css(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut quote: Option<char> = None;
    let mut space = false;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if c == '/' && chars.peek() == Some(&'*') {
            chars.next();
            let mut last = ' ';
            for next in chars.by_ref() {
                if last == '*' && next == '/' {
                    break;
                }
                last = next;
            }
            space = true;
            continue;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            let bare = |c: char| matches!(c, '{' | '}' | ';' | ',' | '>');
            if out.chars().last().is_some_and(|p| !bare(p) && p != ':') && !bare(c) {
                out.push(' ');
            }
            space = false;
        }
        if c == '"' || c == '\'' {
            quote = Some(c);
        }
        out.push(c);
    }
    out
}

/// The initials' font size for each badge size an avatar takes (10 to 32 pixels; the picture
/// twice as wide, the letters 38% of it): a class each, since a strict Content-Security-Policy
/// allows no `style` attribute.
fn initials_sizes() -> String {
    (10..=32_u32)
        .map(|size| {
            let tenths = size * 76 / 10;
            format!(
                ".presence-avatar__initials--{size}::before{{font-size:{}.{}px}}",
                tenths / 10,
                tenths % 10
            )
        })
        .collect()
}
