//! The npm package: `wasm-pack build` with the custom elements, wasm-opt -Oz from npm binaryen,
//! the stylesheet as a file, and the sizes that the budget is about (gzip -9).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::process::{command, root, run, say};
use crate::tools;

/// Budget for the package's `.wasm` after gzip -9, in bytes (KB = 1,024 bytes). Still 12% under
/// the 226 KB that Microsoft Graph Toolkit needs for one provider's badge; what is left is for
/// push, the relay, the status picker, avatars and word tables. A feature that needs more finds
/// the bytes elsewhere.
pub const WASM_BUDGET: u64 = 190 * 1024;
/// Budget for the `.wasm` and the JS glue together after gzip -9, in bytes.
pub const TOTAL_BUDGET: u64 = 200 * 1024;

/// What the relay entry (`pkg/relay/`: its `.wasm` and JS glue after gzip -9) is meant to weigh:
/// a page that reads only through presence-relay needs none of the four adapters. Not reached
/// yet: without the adapters it still weighs what the default entry does, yew's renderer for
/// lists and summaries, the polling store and the tabs' sharing being most of it. Said beside
/// the figure.
pub const RELAY_GOAL: u64 = 150 * 1024;
/// The relay entry's budget, wasm + JS gzip -9 (measured 199.6 KB when it was set).
pub const RELAY_BUDGET: u64 = 205 * 1024;

/// What the package weighs.
pub struct Sizes {
    /// The `.wasm`, as shipped.
    pub wasm: u64,
    /// The `.wasm` after gzip -9.
    pub wasm_gzip: u64,
    /// The JS glue and its snippet after gzip -9.
    pub js_gzip: u64,
}

/// `pkg/`.
pub fn dir() -> PathBuf {
    root().join("pkg")
}

/// `pkg/live/`: the package's second entry, built with push.
pub fn live_dir() -> PathBuf {
    dir().join("live")
}

/// `pkg/relay/`: the package's relay entry.
pub fn relay_dir() -> PathBuf {
    dir().join("relay")
}

/// Builds `pkg/relay/`, the entry `presence-widgets/relay`: the same elements and API with the
/// `relay` kind and none of the four adapters (cargo features `element,relay` without the
/// defaults). Run after [`build`]; it names the entry in `package.json`'s `exports` and `files`.
///
/// # Errors
/// When a tool is missing or a step fails.
pub fn build_relay() -> Result<Sizes, String> {
    let relay = relay_dir();
    let sizes = build_with(&relay, "element,relay", false)?;
    entry_only(&relay);
    name_entry("relay")?;
    Ok(sizes)
}

/// `package.json` with its `exports`: the default entry and the stylesheet, and any file by its
/// path (as `presence-widgets/live/presence_widgets.js` was always imported).
fn with_exports(json: String) -> String {
    if json.contains("\"exports\"") {
        return json;
    }
    json.replacen(
        "\"snippets\",",
        "\"snippets\",\n    \"custom-elements.json\",\n    \"react.d.ts\",\n    \"vue.d.ts\",\n    \"words.json\",",
        1,
    )
    .replacen(
        "\"main\":",
        "\"customElements\": \"custom-elements.json\",\n  \"main\":",
        1,
    )
    .replacen(
        "\"main\":",
        "\"exports\": {\n    \".\": { \"types\": \"./presence_widgets.d.ts\", \"default\": \"./presence_widgets.js\" },\n    \"./presence-widgets.css\": \"./presence-widgets.css\",\n    \"./react\": { \"types\": \"./react.d.ts\" },\n    \"./vue\": { \"types\": \"./vue.d.ts\" },\n    \"./*\": \"./*\"\n  },\n  \"main\":",
        1,
    )
}

/// Names the second entry `name` (`live`, `relay`) in `pkg/package.json`: its folder in
/// `files`, its snippets in `sideEffects`, and `presence-widgets/<name>` in `exports`.
fn name_entry(name: &str) -> Result<(), String> {
    let manifest = dir().join("package.json");
    let mut json = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read pkg/package.json: {e}"))?;
    json = with_exports(json);
    if !json.contains(&format!("\"./{name}\":")) {
        json = json
            .replacen("\"snippets\",", &format!("\"snippets\",\n    \"{name}\","), 1)
            .replacen(
                "\"./snippets/*\"",
                &format!("\"./snippets/*\",\n    \"./{name}/snippets/*\""),
                1,
            )
            .replacen(
                "    \"./*\": \"./*\"",
                &format!("    \"./{name}\": {{ \"types\": \"./{name}/presence_widgets.d.ts\", \"default\": \"./{name}/presence_widgets.js\" }},\n{}    \"./*\": \"./*\"", framework_exports(name)),
                1,
            );
    }
    std::fs::write(&manifest, json).map_err(|e| format!("cannot write pkg/package.json: {e}"))?;
    write_elements_manifest()
}

/// The `exports` of entry `name`'s framework typings (the live entry's; none for the relay
/// entry, whose elements are the default's).
fn framework_exports(name: &str) -> String {
    if name != "live" {
        return String::new();
    }
    ["react", "vue"]
        .map(|f| format!("    \"./{name}/{f}\": {{ \"types\": \"./{name}/{f}.d.ts\" }},\n"))
        .concat()
}

/// Writes `pkg/custom-elements.json`, the Custom Elements Manifest of every entry built so far,
/// and the framework typings `react.d.ts` and `vue.d.ts` of the default and the live entry (from
/// the elements' one description, `src/web/elements/spec.rs`).
fn write_elements_manifest() -> Result<(), String> {
    let built = |entry: &str| dir().join(entry).join("presence_widgets.js").exists();
    let entries: Vec<(&str, bool)> = [("", false), ("live", true), ("relay", false)]
        .into_iter()
        .filter(|(dir, _)| built(dir))
        .collect();
    let mut files = vec![(
        PathBuf::from("custom-elements.json"),
        crate::docs::manifest(&entries),
    )];
    // Each entry with elements of its own has its typings beside its `.d.ts` (the relay
    // entry's elements are the default's).
    for (entry, live) in [("", false), ("live", true)] {
        if built(entry) {
            for (name, text) in crate::docs::framework_types(live) {
                files.push((Path::new(entry).join(name), text));
            }
        }
    }
    for (path, text) in files {
        std::fs::write(dir().join(&path), text)
            .map_err(|e| format!("cannot write pkg/{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Leaves in a second entry's folder only its code: the package's files say the rest.
fn entry_only(entry: &Path) {
    for extra in [
        "package.json",
        "README.md",
        "LICENSE",
        ".gitignore",
        "presence-widgets.css",
    ] {
        let _ = std::fs::remove_file(entry.join(extra));
    }
}

/// Says the relay build's sizes against the budget and the goal, and how it compares with the
/// default build; an error when over the budget.
///
/// # Errors
/// When the relay build is over its budget.
pub fn report_relay(relay: &Sizes, full: &Sizes) -> Result<String, String> {
    let total = relay.wasm_gzip + relay.js_gzip;
    let figure = format!(
        "relay build (pkg/relay/): .wasm {} gzip -9, wasm + JS {} (budget {}, goal {}); the default build's .wasm (four adapters and polling, no relay) is {} gzip -9",
        kb(relay.wasm_gzip),
        kb(total),
        kb(RELAY_BUDGET),
        kb(RELAY_GOAL),
        kb(full.wasm_gzip)
    );
    say(&figure);
    if total > RELAY_BUDGET {
        return Err(format!(
            "the relay build is over its size budget (wasm + JS {} of {})",
            kb(total),
            kb(RELAY_BUDGET)
        ));
    }
    Ok(figure)
}

/// Builds `pkg/live/`, the entry `presence-widgets/live/presence_widgets.js`: the same elements
/// and API built with the cargo features `push` (Rocket.Chat and Genesys pushed over their
/// sockets) and `write` (the status picker, `setStatus`). It is outside the size budget, which
/// is the default entry's; its sizes are said.
/// Run after [`build`], which writes the `package.json` this names it in.
///
/// # Errors
/// When a tool is missing or a step fails.
pub fn build_live() -> Result<Sizes, String> {
    let live = live_dir();
    let sizes = build_in(&live, "element,push,write,avatar")?;
    // `cargo xtask demo` links the relay entry beside this one (pkg/live/relay, for its fifth
    // panel): the package has that entry once, at pkg/relay.
    let beside = live.join("relay");
    if beside
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        let _ = std::fs::remove_file(&beside);
    }
    // One package: the entry keeps its code, the package's files say the rest.
    entry_only(&live);
    name_entry("live")?;
    Ok(sizes)
}

/// Builds `pkg/`: release wasm with the `element` feature, shrunk by wasm-opt, plus
/// `presence-widgets.css`.
///
/// # Errors
/// When a tool is missing or a step fails.
pub fn build() -> Result<Sizes, String> {
    build_in(&dir(), "element")
}

/// The package with `features` (`element`, `element,push`) into `out`.
///
/// # Errors
/// When a tool is missing or a step fails.
pub fn build_in(out: &Path, features: &str) -> Result<Sizes, String> {
    build_with(out, features, true)
}

/// `wasm-pack build` of the crate with `features` (and its default features when `defaults`)
/// into `out`, for the web, in release.
///
/// # Errors
/// When wasm-pack fails.
pub fn wasm_pack(out: &Path, features: &str, defaults: bool) -> Result<(), String> {
    let out_text = out.display().to_string();
    let mut args = vec![
        "build",
        "--target",
        "web",
        "--release",
        "--out-dir",
        &out_text,
        "--",
    ];
    if !defaults {
        args.push("--no-default-features");
    }
    args.extend_from_slice(&["--features", features]);
    run(command("wasm-pack", &args))
}

/// wasm-opt -Oz of `input` into `output`, as the package ships it (with its function names
/// when `names` is set, for `cargo xtask size`).
///
/// # Errors
/// When wasm-opt is missing or fails.
pub fn shrink(input: &Path, output: &Path, names: bool) -> Result<(), String> {
    let wasm_opt = tools::wasm_opt()?;
    let (input, output) = (input.display().to_string(), output.display().to_string());
    let mut args = vec!["-Oz"];
    if names {
        args.push("-g");
    }
    args.extend_from_slice(&[
        "--enable-bulk-memory",
        "--enable-nontrapping-float-to-int",
        "--enable-sign-ext",
        "--enable-mutable-globals",
        "--enable-reference-types",
        "--enable-multivalue",
        // Nothing reads them at run time.
        "--strip-producers",
        "--strip-target-features",
        &input,
        "-o",
        &output,
    ]);
    run(command(&wasm_opt.display().to_string(), &args))
}

/// As [`build_in`]; `defaults` says whether the crate's default features (every adapter) are in.
fn build_with(out: &Path, features: &str, defaults: bool) -> Result<Sizes, String> {
    wasm_pack(out, features, defaults)?;
    let wasm = out.join("presence_widgets_bg.wasm");
    let before = size(&wasm);
    shrink(&wasm, &wasm, false)?;
    say(&format!(
        "pkg/presence_widgets_bg.wasm: {before} bytes from wasm-pack, {} after wasm-opt -Oz",
        size(&wasm)
    ));
    minify(out)?;
    // The stylesheet as the build has it: the status picker's and the avatar's rules too where
    // they are built in.
    let components = root().join("src").join("web").join("components");
    let mut css = String::new();
    for (file, feature) in [
        ("presence.css", None),
        ("picker.css", Some("write")),
        ("avatar.css", Some("avatar")),
    ] {
        if feature.is_none_or(|wanted| features.split(',').any(|f| f == wanted)) {
            css.push_str(
                &std::fs::read_to_string(components.join(file))
                    .map_err(|e| format!("cannot read the stylesheet {file}: {e}"))?,
            );
        }
    }
    std::fs::write(out.join("presence-widgets.css"), css)
        .map_err(|e| format!("cannot write the stylesheet into pkg/: {e}"))?;
    // The built-in word tables, which the elements load beside their JS when a page's language
    // is not English (outside the budget: an English page never loads them).
    std::fs::copy(
        root()
            .join("src")
            .join("web")
            .join("elements")
            .join("words.json"),
        out.join("words.json"),
    )
    .map_err(|e| format!("cannot copy the word tables into {}: {e}", out.display()))?;
    let manifest = out.join("package.json");
    let json = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read pkg/package.json: {e}"))?;
    let mut patched = json.clone();
    if !patched.contains("presence-widgets.css") {
        patched = patched.replacen(
            "\"snippets\"",
            "\"snippets\",\n    \"presence-widgets.css\"",
            1,
        );
    }
    let patched = with_exports(patched);
    if patched != json {
        std::fs::write(&manifest, patched)
            .map_err(|e| format!("cannot write pkg/package.json: {e}"))?;
    }
    if out == dir() {
        write_elements_manifest()?;
    }
    sizes_in(out)
}

/// Minifies the entry's JS (wasm-bindgen's glue and the snippets) in place with terser: what a
/// page loads without a bundler. Its exports, and so its types, are unchanged.
fn minify(out: &Path) -> Result<(), String> {
    let terser = tools::terser()?.display().to_string();
    let mut files = vec![out.join("presence_widgets.js")];
    files.extend(snippets(&out.join("snippets")));
    let before: u64 = files.iter().map(|f| size(f)).sum();
    for file in &files {
        let path = file.display().to_string();
        run(command(
            &terser,
            // Bundlers' own comments stay (`/* @vite-ignore */` on the second place the
            // elements look for `words.json`); no other comment does.
            &[
                &path,
                "--module",
                "--compress",
                "--mangle",
                "--comments",
                "/@vite-ignore/",
                "-o",
                &path,
            ],
        ))?;
    }
    let after: u64 = files.iter().map(|f| size(f)).sum();
    say(&format!(
        "{}: JS {before} bytes from wasm-bindgen, {after} after terser",
        out.display()
    ));
    Ok(())
}

/// The sizes of the package in `out`.
///
/// # Errors
/// When gzip cannot run.
pub fn sizes_in(out: &Path) -> Result<Sizes, String> {
    let wasm = out.join("presence_widgets_bg.wasm");
    let mut js = vec![out.join("presence_widgets.js")];
    js.extend(snippets(&out.join("snippets")));
    let mut js_gzip = 0;
    for file in &js {
        js_gzip += gzip_size(file)?;
    }
    Ok(Sizes {
        wasm: size(&wasm),
        wasm_gzip: gzip_size(&wasm)?,
        js_gzip,
    })
}

fn snippets(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(snippets(&path));
            } else if path.extension().is_some_and(|e| e == "js") {
                found.push(path);
            }
        }
    }
    found
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

pub fn gzip_size(path: &Path) -> Result<u64, String> {
    let out = command("gzip", &["-9", "-c", &path.display().to_string()])
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!("gzip failed on {}", path.display()));
    }
    u64::try_from(out.stdout.len()).map_err(|_| "size overflow".to_owned())
}

/// Says the sizes against the budget; an error when over.
///
/// # Errors
/// When the package is over budget.
pub fn report(sizes: &Sizes) -> Result<(), String> {
    let total = sizes.wasm_gzip + sizes.js_gzip;
    say(&format!(
        "package size: .wasm {} ({} gzip -9, budget {}); JS glue {} gzip -9; wasm + JS {} gzip -9 (budget {})",
        kb(sizes.wasm),
        kb(sizes.wasm_gzip),
        kb(WASM_BUDGET),
        kb(sizes.js_gzip),
        kb(total),
        kb(TOTAL_BUDGET)
    ));
    say(&format!(
        "package budget: {} of the .wasm's left, {} of wasm + JS",
        kb(WASM_BUDGET.saturating_sub(sizes.wasm_gzip)),
        kb(TOTAL_BUDGET.saturating_sub(total)),
    ));
    if sizes.wasm_gzip > WASM_BUDGET || total > TOTAL_BUDGET {
        return Err(format!(
            "the package is over its size budget (.wasm {} of {}, wasm + JS {} of {})",
            kb(sizes.wasm_gzip),
            kb(WASM_BUDGET),
            kb(total),
            kb(TOTAL_BUDGET)
        ));
    }
    Ok(())
}

/// Bytes as KB with one decimal (KB = 1,024 bytes).
pub fn kb(bytes: u64) -> String {
    format!("{}.{} KB", bytes / 1024, (bytes % 1024) * 10 / 1024)
}
