// Shared by the end-to-end tests: Debian's Chromium through playwright-core (no browser is
// downloaded), presence-sim's control surface, and where screenshots go.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

export const SIM = process.env.SIM_URL ?? "";
if (!SIM) throw new Error("SIM_URL is not set: run `cargo xtask test`, which starts presence-sim");
export const SCREENSHOTS = process.env.SCREENSHOTS ?? "../target/screenshots";
mkdirSync(SCREENSHOTS, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A page that records console errors and uncaught exceptions. */
export async function open(browser, path, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1100 }, ...options });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  await page.goto(SIM + path);
  return { page, problems, context };
}

/** Console problems other than the browser's own note of a failed request, which a test that
 * injects a fault or revokes a token causes on purpose. */
export function ours(problems) {
  return problems.filter((p) => !p.includes("Failed to load resource"));
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

/** Requests presence-sim counted for one provider, all endpoints. */
export async function requests(provider, endpoint) {
  const stats = await sim("GET", "/_sim/stats");
  const endpoints = stats.providers?.[provider] ?? {};
  if (endpoint) return endpoints[endpoint]?.requests ?? 0;
  return Object.values(endpoints).reduce((sum, e) => sum + (e.requests ?? 0), 0);
}

/** Prints a figure for the closing report (`cargo xtask test` collects `bench:` lines). */
export function figure(text) {
  console.log(`bench: ${text}`);
}
