//! Running commands: each step announced, its output shown as it comes, test counts gathered.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Test counts gathered from the runners' closing lines.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed.
    pub failed: u64,
    /// Tests skipped (ignored).
    pub ignored: u64,
    /// Browser test files run again because their page never loaded (a stalled runner).
    pub stalls: u64,
}

/// The workspace root (the folder above `xtask/`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// Prints a step header so that a person watching knows what is happening.
pub fn announce(text: &str) {
    // The time since the command started, so that a slow step shows in CI's log.
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let elapsed = START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs();
    println!("\n==> [{}:{:02}] {text}", elapsed / 60, elapsed % 60);
    let _ = std::io::stdout().flush();
}

/// Prints a line of progress.
pub fn say(text: &str) {
    println!("    {text}");
    let _ = std::io::stdout().flush();
}

/// The PATH with cargo's bin folder first, so that tools `cargo install` just put there are found.
pub fn path_with_cargo_bin() -> String {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let current = std::env::var("PATH").unwrap_or_default();
    match cargo_home {
        Some(home) => format!("{}:{current}", home.join("bin").display()),
        None => current,
    }
}

/// A command in the workspace root with the PATH above.
pub fn command(program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(root())
        .env("PATH", path_with_cargo_bin());
    cmd
}

/// Runs a command with its output on the terminal.
///
/// # Errors
/// When it cannot start or exits with failure.
pub fn run(mut cmd: Command) -> Result<(), String> {
    let shown = show(&cmd);
    say(&format!("$ {shown}"));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Runs a test command, passing its output through and adding up the closing lines of cargo test
/// and wasm-bindgen-test (`test result: ok. N passed; M failed; K ignored`). Returns the lines
/// benchmarks print (`bench: …`).
///
/// # Errors
/// When it cannot start or exits with failure.
pub fn run_tests(cmd: Command, counts: &mut Counts) -> Result<Vec<String>, String> {
    run_watched(cmd, counts, None)
}

/// When a command counts as stalled: `limit` after it printed a line starting with `started`,
/// or `load_limit` after it when no line starting with `loaded` came meanwhile.
#[derive(Clone, Copy, Debug)]
pub struct Stall<'a> {
    /// The line that starts the clock (a browser started).
    pub started: &'a str,
    /// The line that says the page loaded.
    pub loaded: &'a str,
    /// How long the page may take to load.
    pub load_limit: std::time::Duration,
    /// How long the whole may take.
    pub limit: std::time::Duration,
}

/// As [`run_tests`]; with `stall`, the command and every process it started are killed when it
/// stalls so (a browser that stopped answering, rather than a test that takes long).
pub fn run_watched(
    mut cmd: Command,
    counts: &mut Counts,
    stall: Option<Stall<'_>>,
) -> Result<Vec<String>, String> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    let shown = show(&cmd);
    say(&format!("$ {shown}"));
    if stall.is_some() {
        // Its own process group, so that the browser and its driver go with it.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    let started: Arc<Mutex<Option<Instant>>> = Arc::default();
    let loaded = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let watchdog = stall.map(|stall| {
        let (started, loaded, finished, group) =
            (started.clone(), loaded.clone(), finished.clone(), child.id());
        let (limit, load_limit) = (stall.limit, stall.load_limit);
        std::thread::spawn(move || {
            while !finished.load(Ordering::Acquire) {
                std::thread::sleep(std::time::Duration::from_millis(500));
                let since = started.lock().ok().and_then(|s| *s);
                let over = since.is_some_and(|at| {
                    at.elapsed() > limit
                        || (!loaded.load(Ordering::Acquire) && at.elapsed() > load_limit)
                });
                if over {
                    say(&format!(
                        "no result {} s after the browser started (its page loaded: {}): stopping it",
                        since.map_or(0, |at| at.elapsed().as_secs()),
                        if loaded.load(Ordering::Acquire) { "yes" } else { "no" }
                    ));
                    // The shell's own `kill` (a machine may lack procps's): the whole group.
                    let _ = Command::new("sh")
                        .args(["-c", &format!("kill -KILL -{group}")])
                        .status();
                    return;
                }
            }
        })
    });
    let mut figures = Vec::new();
    if let Some(out) = child.stdout.take() {
        let mut stdout = std::io::stdout();
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = writeln!(stdout, "{line}");
            if let (Some(stall), Ok(mut at)) = (stall, started.lock()) {
                if line.trim_start().starts_with(stall.started) {
                    *at = Some(Instant::now());
                }
                if line.trim_start().starts_with(stall.loaded) {
                    loaded.store(true, Ordering::Release);
                }
            }
            let text = line.trim_start().trim_start_matches("# ");
            if let Some(figure) = text.strip_prefix("bench: ") {
                figures.push(figure.to_owned());
            }
            // node --test's closing lines: `# pass 5`, `# fail 0`.
            if let Some(n) = text
                .strip_prefix("pass ")
                .and_then(|n| n.parse::<u64>().ok())
            {
                counts.passed += n;
            }
            if let Some(n) = text
                .strip_prefix("fail ")
                .and_then(|n| n.parse::<u64>().ok())
            {
                counts.failed += n;
            }
            if let Some(rest) = line.trim_start().strip_prefix("test result:") {
                counts.passed += number_before(rest, "passed");
                counts.failed += number_before(rest, "failed");
                counts.ignored += number_before(rest, "ignored");
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("`{shown}` did not finish: {e}"))?;
    finished.store(true, Ordering::Release);
    if let Some(watchdog) = watchdog {
        let _ = watchdog.join();
    }
    if status.success() {
        Ok(figures)
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Whether a command runs and prints something containing `expected`.
pub fn prints(program: &str, args: &[&str], expected: &str) -> bool {
    command(program, args)
        .stderr(Stdio::null())
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(expected))
        .unwrap_or(false)
}

/// A presence-sim (or presence-relay) running for the tests; stopped when dropped.
pub struct Sim {
    child: std::process::Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Sim {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// A redis-server of the command's own, on a loopback port, in a throwaway directory, saving
/// nothing; stopped (and its directory removed) when dropped.
pub struct Redis {
    child: std::process::Child,
    dir: PathBuf,
    /// `redis://127.0.0.1:PORT/0`.
    pub url: String,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts redis-server on `port` (0: a free one) and waits until it answers `PING`.
///
/// # Errors
/// When it cannot start or never answers.
pub fn start_redis(port: u16) -> Result<Redis, String> {
    use std::io::{Read, Write};
    let port = if port == 0 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| format!("no free port: {e}"))?
    } else {
        port
    };
    let dir = root()
        .join("target")
        .join("tmp")
        .join(format!("redis-{port}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let port_text = port.to_string();
    let dir_text = dir.display().to_string();
    let args = [
        "--port",
        &port_text,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        &dir_text,
    ];
    say(&format!("$ redis-server {}", args.join(" ")));
    let child = command("redis-server", &args)
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start redis-server: {e}"))?;
    let redis = Redis {
        child,
        dir,
        url: format!("redis://127.0.0.1:{port}/0"),
    };
    for _ in 0..200 {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let mut answer = [0u8; 7];
            if s.write_all(b"PING\r\n").is_ok()
                && s.read_exact(&mut answer).is_ok()
                && answer.starts_with(b"+PONG")
            {
                say(&format!("redis-server answers at {}", redis.url));
                return Ok(redis);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    Err(format!("redis-server on port {port} never answered"))
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds and starts presence-sim on a free loopback port with `args`, and waits for its URL.
///
/// # Errors
/// When it cannot be built or started, or says no URL.
pub fn start_sim(args: &[&str]) -> Result<Sim, String> {
    let mut all = vec!["--port", "0"];
    all.extend_from_slice(args);
    start_server("presence-sim", &all)
}

/// Builds and starts presence-relay with the configuration file `config`, and waits for its
/// URL.
///
/// # Errors
/// When it cannot be built or started, or says no URL.
pub fn start_relay(config: &std::path::Path) -> Result<Sim, String> {
    let config = config.display().to_string();
    start_server("presence-relay", &["--config", &config])
}

/// Builds the workspace's server `package`, starts its binary with `args`, and reads its URL
/// from the first line it prints.
fn start_server(package: &str, args: &[&str]) -> Result<Sim, String> {
    run(command(
        "cargo",
        &["build", "--quiet", "--package", package],
    ))?;
    start_binary(&root().join("target").join("debug").join(package), args)
}

/// Starts a server's `binary` with `args`, and reads its URL from the first line it prints.
///
/// # Errors
/// When it cannot be started, or says no URL.
pub fn start_binary(binary: &std::path::Path, args: &[&str]) -> Result<Sim, String> {
    let package = binary
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    say(&format!("$ {} {}", binary.display(), args.join(" ")));
    let mut child = command(&binary.display().to_string(), args)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {package}: {e}"))?;
    let mut first = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut first);
    }
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(|u| u.trim_end_matches('/').to_owned());
    match url {
        Some(url) => {
            say(first.trim());
            Ok(Sim { child, url })
        }
        None => {
            let _ = child.kill();
            Err(format!(
                "{package} did not say where it listens: `{}`",
                first.trim()
            ))
        }
    }
}

/// What a command prints on standard output, trimmed, if it runs and succeeds.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    command(program, args)
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

fn number_before(text: &str, word: &str) -> u64 {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ';' || c == '.')
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .find_map(|pair| match pair {
            [n, w] if *w == word => n.parse().ok(),
            _ => None,
        })
        .unwrap_or(0)
}

fn show(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_lines_are_counted() {
        let line =
            " ok. 24 passed; 1 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(number_before(line, "passed"), 24);
        assert_eq!(number_before(line, "failed"), 1);
        assert_eq!(number_before(line, "ignored"), 2);
        assert_eq!(
            number_before(
                " ok. 4 passed; 0 failed; 0 ignored; 0 filtered out",
                "failed"
            ),
            0
        );
    }
}
