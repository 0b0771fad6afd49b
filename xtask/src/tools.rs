//! What the commands need, installed when it is missing, from the registries only: the wasm
//! target (rustup), wasm-pack and wasm-bindgen-cli (crates.io), Chromium, its driver and Firefox
//! ESR (Debian), wasm-opt (the npm package `binaryen`; Debian's wasm-opt 108 cannot read our wasm).

use std::path::{Path, PathBuf};

use crate::process::{command, output, prints, root, run, say};

/// The wasm-pack version the project is tested with.
pub const WASM_PACK_VERSION: &str = "0.15.1";

/// The npm `binaryen` version whose wasm-opt shrinks the package.
pub const BINARYEN_VERSION: &str = "132.0.0";

/// The npm `terser` version that minifies the package's JS.
pub const TERSER_VERSION: &str = "5.51.4";

/// Where Debian puts Chromium and its driver.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Where Debian puts ChromeDriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Where Debian puts Firefox ESR's binary (`/usr/bin/firefox-esr` is a link to it; puppeteer
/// starts the binary itself).
pub const FIREFOX: &str = "/usr/lib/firefox-esr/firefox-esr";

/// `rustup target add wasm32-unknown-unknown` unless it is there.
///
/// # Errors
/// When rustup is missing or fails.
pub fn wasm_target() -> Result<(), String> {
    if prints(
        "rustup",
        &["target", "list", "--installed"],
        "wasm32-unknown-unknown",
    ) {
        say("wasm32-unknown-unknown target: present");
        return Ok(());
    }
    say("wasm32-unknown-unknown target: missing, installing");
    run(command(
        "rustup",
        &["target", "add", "wasm32-unknown-unknown"],
    ))
}

/// `cargo install wasm-pack` at [`WASM_PACK_VERSION`] unless that version is on the PATH.
///
/// # Errors
/// When the install fails.
pub fn wasm_pack() -> Result<(), String> {
    let expected = format!("wasm-pack {WASM_PACK_VERSION}");
    if prints("wasm-pack", &["--version"], &expected) {
        say(&format!("{expected}: present"));
        return Ok(());
    }
    say(&format!(
        "{expected}: missing, installing from crates.io (a few minutes)"
    ));
    run(command(
        "cargo",
        &[
            "install",
            "wasm-pack",
            "--version",
            WASM_PACK_VERSION,
            "--locked",
            "--force",
        ],
    ))
}

/// The wasm-bindgen version Cargo.lock pins.
///
/// # Errors
/// When Cargo.lock cannot be read or does not name wasm-bindgen.
pub fn locked_wasm_bindgen() -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
            {
                return Ok(version.to_owned());
            }
        }
    }
    Err("Cargo.lock does not pin wasm-bindgen".into())
}

/// `cargo install wasm-bindgen-cli` at exactly the locked version unless it is on the PATH.
/// (Without `--locked`: the crate's own lockfile fails to build here.)
///
/// # Errors
/// When the install fails.
pub fn wasm_bindgen_cli() -> Result<(), String> {
    let version = locked_wasm_bindgen()?;
    let expected = format!("wasm-bindgen {version}");
    if prints("wasm-bindgen", &["--version"], &expected)
        && prints("wasm-bindgen-test-runner", &["--version"], &version)
    {
        say(&format!(
            "{expected} (the version Cargo.lock pins): present"
        ));
        return Ok(());
    }
    say(&format!(
        "{expected} (the version Cargo.lock pins): missing, installing from crates.io (a few minutes)"
    ));
    run(command(
        "cargo",
        &[
            "install",
            "wasm-bindgen-cli",
            "--version",
            &version,
            "--force",
        ],
    ))
}

/// Debian's `apt-get install -y PACKAGES`, through sudo where we are not root.
fn apt_install(packages: &[&str]) -> Result<(), String> {
    let root_user = output("id", &["-u"]).as_deref() == Some("0");
    let (program, prefix): (&str, &[&str]) = if root_user {
        ("apt-get", &[])
    } else {
        ("sudo", &["apt-get"])
    };
    let with = |args: &[&str]| {
        let mut all: Vec<&str> = prefix.to_vec();
        all.extend_from_slice(args);
        let mut cmd = command(program, &all);
        cmd.env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run(with(&["update", "-q"]))?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend_from_slice(packages);
    run(with(&args))
}

/// Where Debian puts Redis's server.
pub const REDIS_SERVER: &str = "/usr/bin/redis-server";

/// Debian's `redis-server` unless it is there, for the relay's shared mode (its tests, the demo
/// with `--relays 2`, the scale-out benchmark each start their own on a loopback port).
///
/// # Errors
/// When apt-get fails.
pub fn redis() -> Result<(), String> {
    if Path::new(REDIS_SERVER).exists() {
        say("redis-server: present");
        return Ok(());
    }
    say("redis-server: missing, installing Debian's package");
    apt_install(&["redis-server"])
}

/// Node.js and npm, from Debian, unless `npm` runs.
fn npm() -> Result<(), String> {
    if prints("npm", &["--version"], ".") {
        return Ok(());
    }
    say("npm: missing, installing Debian's nodejs and npm");
    apt_install(&["nodejs", "npm"])
}

/// wasm-opt from the npm package `binaryen`, installed under `target/tools`.
///
/// # Errors
/// When npm fails.
pub fn wasm_opt() -> Result<PathBuf, String> {
    let tools = root().join("target").join("tools");
    let bin = tools.join("node_modules").join(".bin").join("wasm-opt");
    let version_ok = bin.exists()
        && prints(
            &bin.display().to_string(),
            &["--version"],
            BINARYEN_VERSION
                .split('.')
                .next()
                .unwrap_or(BINARYEN_VERSION),
        );
    if version_ok {
        say(&format!(
            "wasm-opt (npm binaryen {BINARYEN_VERSION}): present"
        ));
        return Ok(bin);
    }
    say(&format!(
        "wasm-opt: installing npm binaryen@{BINARYEN_VERSION} into target/tools"
    ));
    npm_install(&tools, &format!("binaryen@{BINARYEN_VERSION}"))?;
    Ok(bin)
}

/// Installs the npm package `package` (`name@version`) under `prefix`, made if missing.
fn npm_install(prefix: &Path, package: &str) -> Result<(), String> {
    npm()?;
    std::fs::create_dir_all(prefix)
        .map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
    let prefix = prefix.display().to_string();
    run(command(
        "npm",
        &[
            "install",
            "--prefix",
            &prefix,
            "--no-audit",
            "--no-fund",
            "--no-save",
            package,
        ],
    ))
}

/// terser (pure JS, from npm), installed under `target/tools/terser`: it minifies the package's
/// JS glue and snippets.
///
/// # Errors
/// When npm fails.
pub fn terser() -> Result<PathBuf, String> {
    let tools = root().join("target").join("tools").join("terser");
    let bin = tools.join("node_modules").join(".bin").join("terser");
    if bin.exists() && prints(&bin.display().to_string(), &["--version"], TERSER_VERSION) {
        say(&format!("terser {TERSER_VERSION}: present"));
        return Ok(bin);
    }
    say(&format!(
        "terser: installing npm terser@{TERSER_VERSION} into target/tools/terser"
    ));
    npm_install(&tools, &format!("terser@{TERSER_VERSION}"))?;
    Ok(bin)
}

/// Everything the test command needs.
///
/// # Errors
/// The first install that fails.
pub fn for_tests() -> Result<(), String> {
    // Debian's packages download and unpack while cargo compiles wasm-pack and wasm-bindgen-cli:
    // on a fresh machine the two together take minutes.
    let debian = std::thread::spawn(debian_for_tests);
    let rust = wasm_target()
        .and_then(|()| wasm_pack())
        .and_then(|()| wasm_bindgen_cli());
    let debian = debian
        .join()
        .unwrap_or_else(|_| Err("the Debian installs stopped".into()));
    rust.and(debian)
}

/// Debian's Chromium, its driver, Firefox ESR and redis-server, those missing in one apt-get.
fn debian_for_tests() -> Result<(), String> {
    let wanted = [
        (CHROMIUM, "chromium"),
        (CHROMEDRIVER, "chromium-driver"),
        (FIREFOX, "firefox-esr"),
        (REDIS_SERVER, "redis-server"),
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(path, _)| !Path::new(path).exists())
        .map(|&(_, package)| package)
        .collect();
    if missing.is_empty() {
        say("chromium, chromedriver, firefox-esr and redis-server: present");
        return Ok(());
    }
    say(&format!(
        "{}: missing, installing Debian's packages",
        missing.join(", ")
    ));
    apt_install(&missing)
}
