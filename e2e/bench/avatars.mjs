// Hundreds of avatars on one page (/avatar-bench.html, the package's live entry) in headless
// Chromium: from adding 600 <presence-avatar> elements, whose people's presence is known, to all
// drawn, beside as many <presence-badge> on the same page (median of RUNS fresh pages). Run by
// `cargo xtask bench` against presence-sim; prints `bench:` lines.
import { launch, sim, figure, SIM } from "../helpers.mjs";

const RUNS = Number(process.env.RUNS ?? 5);
const COUNT = 600;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

await sim("DELETE", "/_sim/faults");
const session = await launch("chromium");
try {
  const runs = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await session.browser.createBrowserContext();
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(`uncaught: ${e.message ?? e}`));
    await page.goto(`${SIM}/avatar-bench.html?count=${COUNT}`);
    await page.waitForFunction(() => window.presenceFigures?.ready, { timeout: 120000 });
    const f = await page.evaluate(() => window.presenceFigures);
    await context.close();
    if (f.error || problems.length) throw new Error(`avatar-bench.html: ${f.error ?? problems.join("\n")}`);
    runs.push(f);
  }
  const m = (pick) => Math.round(median(runs.map(pick)) * 10) / 10;
  figure(`${COUNT} <presence-avatar>, Chromium, presences known (median of ${RUNS} fresh pages): `
    + `added to all drawn ${m((f) => f.avatars)} ms; ${COUNT} <presence-badge> on the same page ${m((f) => f.badges)} ms`);
} finally {
  await session.close();
}
