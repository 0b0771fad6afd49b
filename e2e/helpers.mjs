// Shared by the end-to-end tests: Debian's Chromium (over CDP) and Firefox ESR (over WebDriver
// BiDi) through puppeteer-core, which downloads no browser; presence-sim's control surface; where
// screenshots go.
import puppeteer from "puppeteer-core";
import { mkdirSync, readFileSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { createRequire } from "node:module";

export const SIM = process.env.SIM_URL ?? "";
if (!SIM) throw new Error("SIM_URL is not set: run `cargo xtask test`, which starts presence-sim");
export const SCREENSHOTS = process.env.SCREENSHOTS ?? "../target/screenshots";
mkdirSync(SCREENSHOTS, { recursive: true });

/** The browsers every test runs in; `E2E_BROWSERS=firefox` narrows it while working on a test. */
export const BROWSERS = (process.env.E2E_BROWSERS ?? "chromium,firefox")
  .split(",").map((b) => b.trim()).filter(Boolean);

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
// /usr/bin/firefox-esr is a link to the real binary, which puppeteer must start itself.
const FIREFOX = process.env.FIREFOX ?? "/usr/lib/firefox-esr/firefox-esr";
const VIEWPORT = { width: 1400, height: 1100 };

// The machine's network is closed: nothing in the background may try to reach it. Checked once
// through a logging proxy: with these, neither browser asks for anything but presence-sim.
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  // Network time, autofill, hints and the media router still call Google without these; the
  // component updater and the account manager are sent to a closed loopback port.
  "--disable-features=NetworkTimeServiceQuerying,AutofillServerCommunication,OptimizationHints,MediaRouter",
  "--disable-domain-reliability", "--no-pings",
  "--component-updater=url-source=http://127.0.0.1:9", "--gaia-url=http://127.0.0.1:9"];
// Added to puppeteer's own Firefox profile preferences, which already turn off updates, safe
// browsing, telemetry and the new-tab feeds.
export const FIREFOX_PREFS = {
  // Remote Settings (what Firefox's own remote agent sets; a release build reads it only with
  // MOZ_REMOTE_SETTINGS_DEVTOOLS=1 in its environment, see launch()).
  "services.settings.server": "data:,#remote-settings-dummy/v1",
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "network.dns.disablePrefetch": true,
  "network.prefetch-next": false,
  "network.predictor.enabled": false,
  "browser.region.network.url": "",
  "browser.region.update.enabled": false,
  "browser.safebrowsing.provider.google4.updateURL": "",
  "browser.safebrowsing.provider.mozilla.updateURL": "",
  "browser.topsites.contile.enabled": false,
  "browser.newtabpage.activity-stream.feeds.topsites": false,
  "extensions.systemAddon.update.enabled": false,
  "extensions.blocklist.enabled": false,
  "app.update.auto": false,
  "toolkit.telemetry.enabled": false,
  "toolkit.telemetry.server": "",
  "datareporting.usage.uploadEnabled": false,
  "messaging-system.rsexperimentloader.enabled": false,
  "app.shield.optoutstudies.enabled": false,
  "browser.discovery.enabled": false,
  "dom.push.connection.enabled": false,
  "security.OCSP.enabled": 0,
  "media.gmp-gmpopenh264.enabled": false,
};

/**
 * Starts one browser, `chromium` or `firefox`, headless, for pages in the given media:
 * `colorScheme` ("light" or "dark"), `reducedMotion` and `forcedColors` (booleans). Chromium
 * emulates them per page over CDP; WebDriver BiDi has no such emulation, so Firefox takes them as
 * preferences at launch and one Firefox serves one set of media.
 */
export async function launch(name, media = {}) {
  let browser;
  if (name === "chromium") {
    browser = await puppeteer.launch({
      browser: "chrome", protocol: "cdp", executablePath: CHROMIUM, headless: true,
      args: CHROMIUM_ARGS, defaultViewport: VIEWPORT,
    });
  } else if (name === "firefox") {
    browser = await puppeteer.launch({
      browser: "firefox", protocol: "webDriverBiDi", executablePath: FIREFOX, headless: true,
      env: { ...process.env, MOZ_REMOTE_SETTINGS_DEVTOOLS: "1" },
      defaultViewport: VIEWPORT, extraPrefsFirefox: { ...FIREFOX_PREFS, ...firefoxMedia(media) },
    });
  } else {
    throw new Error(`unknown browser ${name}: chromium or firefox`);
  }
  return { name, browser, media, close: () => browser.close() };
}

function firefoxMedia({ colorScheme = "light", reducedMotion = false, forcedColors = false }) {
  return {
    // 0 dark, 1 light.
    "layout.css.prefers-color-scheme.content-override": colorScheme === "dark" ? 0 : 1,
    "ui.prefersReducedMotion": reducedMotion ? 1 : 0,
    // 2: always use the browser's colours, which is what forced-colors: active means.
    "browser.display.document_color_use": forcedColors ? 2 : 0,
  };
}

async function chromiumMedia(page, { colorScheme = "light", reducedMotion = false, forcedColors = false }) {
  // puppeteer's emulateMediaFeatures refuses forced-colors; CDP itself takes it. The session stays
  // attached, and its emulation with it, as long as the page.
  const cdp = await page.createCDPSession();
  await cdp.send("Emulation.setEmulatedMedia", {
    features: [
      { name: "prefers-color-scheme", value: colorScheme },
      { name: "prefers-reduced-motion", value: reducedMotion ? "reduce" : "no-preference" },
      { name: "forced-colors", value: forcedColors ? "active" : "none" },
    ],
  });
}

/** A page in a fresh browser context, in the browser's media, that records console errors,
 * warnings and uncaught exceptions, at `path` of presence-sim (or a whole URL). */
export async function open(session, path) {
  const context = await session.browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(VIEWPORT);
  if (session.name === "chromium") await chromiumMedia(page, session.media);
  const problems = [];
  page.on("console", (m) => {
    const type = m.type();
    if (type === "error" || type === "warn" || type === "warning") problems.push(`${type}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message ?? e}`));
  await page.goto(/^[a-z]+:/.test(path) ? path : SIM + path);
  return { page, problems, context };
}

/** Console problems other than the browser's own note of a failed request, which a test that
 * injects a fault or revokes a token causes on purpose. */
export function ours(problems) {
  return problems.filter((p) => !p.includes("Failed to load resource"));
}

/** The accessible label of every badge's dot under `scope` (shadow roots entered). */
export async function badgeLabels(page, scope) {
  return page.$$eval(`${scope} presence-badge`, (badges) => badges.map(
    (b) => b.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label") ?? null));
}

/** The button under `scope` whose text is `name`, to click. */
export async function button(page, scope, name) {
  const handle = await page.evaluateHandle((s, n) => [...document.querySelectorAll(`${s} button`)]
    .find((b) => b.textContent.trim() === n) ?? null, scope, name);
  const element = handle.asElement();
  if (!element) throw new Error(`no button "${name}" in ${scope}`);
  return element;
}

export async function sim(method, path, body) {
  const response = await fetch(SIM + path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** What presence-sim counted for one provider (all endpoints, or one): `requests` received,
 * `answered` (answers sent, whatever their status) and `ids` asked about. */
export async function counted(provider, endpoint) {
  const stats = await sim("GET", "/_sim/stats");
  const endpoints = stats.providers?.[provider] ?? {};
  const chosen = endpoint ? [endpoints[endpoint] ?? {}] : Object.values(endpoints);
  const sum = (f) => chosen.reduce((total, e) => total + f(e), 0);
  return {
    requests: sum((e) => e.requests ?? 0),
    answered: sum((e) => Object.values(e.statuses ?? {}).reduce((a, b) => a + b, 0)),
    ids: sum((e) => e.ids ?? 0),
  };
}

/** Requests presence-sim counted for one provider, all endpoints or one. */
export async function requests(provider, endpoint) {
  return (await counted(provider, endpoint)).requests;
}

/** Waits until presence-sim's counts for a provider satisfy `until` (asked every 50 ms), and
 * returns them. */
export async function countedUntil(provider, endpoint, until, { timeout = 20000, what = "counts" } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const now = await counted(provider, endpoint);
    if (until(now)) return now;
    if (Date.now() > deadline) throw new Error(`${provider} ${endpoint ?? ""}: ${what} not reached in ${timeout} ms (${JSON.stringify(now)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Prints a figure for the closing report (`cargo xtask` collects `bench:` lines). */
export function figure(text) {
  console.log(`bench: ${text}`);
}

/** The services' rate limits are lifted while these tests run: they count requests themselves,
 * and the tests before them in the same minute may have spent Rocket.Chat's 10 a minute. The
 * limits themselves have their own tests. */
export async function unlimited(run) {
  const limits = await sim("GET", "/_sim/limits");
  await sim("PUT", "/_sim/limits", { rocketchat: null, genesys: null });
  try {
    await run();
  } finally {
    await sim("PUT", "/_sim/limits", limits);
  }
}

/** The REST reads of presences by each push provider's polls and snapshots (Rocket.Chat by ids,
 * then deltas; Genesys in bulk). */
export const PRESENCE_READS = { rocketchat: ["users.presence?ids", "users.presence?from"], genesys: ["users/presences/bulk"] };

/** What presence-sim counted of those reads for `kind`: `requests` received, `answered` (none
 * for a provider that does not push). */
export async function presenceReads(kind) {
  let total = { requests: 0, answered: 0 };
  for (const endpoint of PRESENCE_READS[kind] ?? []) {
    const c = await counted(kind, endpoint);
    total = { requests: total.requests + c.requests, answered: total.answered + c.answered };
  }
  return total;
}

/** Waits for the badge of source `kind` to be labelled `wanted`. Polls every 100 ms rather than
 * each frame, so that it also sees a tab in the background, which draws no frames. */
export async function waitLabel(page, kind, wanted) {
  try {
    await page.waitForFunction((k, w) => document.querySelector(`presence-badge[source=${k}]`)
      ?.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label") === w,
    { timeout: 20000, polling: 100 }, kind, wanted);
  } catch (e) {
    // Say what the page shows and what the simulator saw, for a failure seen only once.
    const now = await page.evaluate((k) => ({
      label: document.querySelector(`presence-badge[source=${k}]`)
        ?.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label"),
      mode: window.presenceMode?.(k),
    }), kind).catch((why) => why.message);
    const stats = await sim("GET", "/_sim/stats").catch((why) => why.message);
    throw new Error(`${kind}: label ${wanted} not reached: ${JSON.stringify(now)}; `
      + `reads ${JSON.stringify(await presenceReads(kind))}; push ${JSON.stringify(stats?.push?.[kind])}`);
  }
}

/** Waits for source `kind` to be in `wanted` mode (`push` or `poll`, by `window.presenceMode`,
 * which /live.html sets); the error says the mode it is in. */
export async function waitMode(page, kind, wanted) {
  try {
    await page.waitForFunction((k, w) => window.presenceMode?.(k)?.mode === w, { timeout: 20000, polling: 100 }, kind, wanted);
  } catch (e) {
    const now = await page.evaluate((k) => JSON.stringify(window.presenceMode?.(k)), kind);
    throw new Error(`${kind}: mode ${wanted} not reached, it is ${now}`);
  }
}

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** Injects axe-core (through the protocol, which the pages' CSP does not govern) and runs it on
 * the whole document or on the element `selector` names. Returns the violations and the nodes
 * checked inside shadow roots (axe writes their targets as arrays of selectors, one per tree). */
export async function axe(page, selector = null) {
  await page.evaluate(AXE);
  return page.evaluate(async (selector) => {
    const results = await window.axe.run(selector ? { include: [[selector]] } : document);
    const inShadow = (node) => node.target.some((t) => Array.isArray(t) && t.length > 1);
    return {
      violations: results.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({
          target: JSON.stringify(n.target), html: n.html, impact: n.impact, summary: n.failureSummary,
          shadow: inShadow(n),
        })),
      })),
      shadowChecked: [...results.passes, ...results.violations, ...results.incomplete]
        .flatMap((r) => r.nodes.filter(inShadow).map((n) => ({ rule: r.id, target: n.target, html: n.html }))),
    };
  }, selector);
}

/** Runs axe-core once on the whole page: no serious or critical violation, else the test fails
 * with each one ([`describeViolations`]). */
export async function axeClean(page) {
  const { violations } = await axe(page);
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (serious.length) throw new Error(`axe-core: ${serious.length} serious or critical violation(s)\n${describeViolations(serious)}`);
}

/** Each violated rule with its impact and summary, then where: every node's target, and the
 * markup and what to fix of the first few. */
export function describeViolations(violations) {
  return violations.map((v) => {
    const nodes = v.nodes.map((n, i) => {
      const where = `  at ${n.target}${n.shadow ? " (in a shadow root)" : ""}`;
      if (i >= 3) return where;
      return `${where}\n    ${n.html}\n    ${(n.summary ?? "").replace(/\n/g, "\n    ")}`;
    });
    return `${v.id} (${v.impact}): ${v.help}, ${v.nodes.length} node(s)\n${nodes.join("\n")}`;
  }).join("\n");
}

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on("error", fail);
  });
}

/** Runs `command` in `cwd` (saying so), its output shown; throws when it fails. */
export function run(command, args, cwd, env = {}) {
  console.log(`# $ ${command} ${args.join(" ")}`);
  execFileSync(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit"] });
}

/** As `run`, and returns what it printed (standard output and error), shown once it is done. */
export function runOutput(command, args, cwd, env = {}) {
  console.log(`# $ ${command} ${args.join(" ")}`);
  const done = spawnSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8" });
  const printed = `${done.stdout ?? ""}${done.stderr ?? ""}`;
  process.stderr.write(printed);
  if (done.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${done.status ?? done.signal})`);
  return printed;
}
