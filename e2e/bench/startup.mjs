// Hundreds of badges on one page (/startup.html) in headless Chromium: the time from navigation
// to each step of starting, for 600 and 2,000 badges (median of RUNS fresh pages each), one change
// on the page of 2,000, and memory across 20 cycles of removing and adding the 2,000 badges. Run
// by `cargo xtask bench` against presence-sim; prints `bench:` lines.
import { launch, sim, figure, SIM } from "../helpers.mjs";

const RUNS = Number(process.env.RUNS ?? 5);
const CYCLES = Number(process.env.CYCLES ?? 20);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const r1 = (ms) => Math.round(ms * 10) / 10;

/** A fresh page of `count` badges, the ids given before it loads; resolves once all are shown. */
async function load(session, ids, count, query = "") {
  const context = await session.browser.createBrowserContext();
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (["error", "warn", "warning"].includes(m.type())) problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message ?? e}`));
  await page.evaluateOnNewDocument((given) => { window.presenceBenchIds = given; }, ids.slice(0, count));
  await page.goto(`${SIM}/startup.html?badges=${count}${query}`);
  await page.waitForFunction(() => window.presenceFigures?.ready, { timeout: 60000 });
  const f = await page.evaluate(() => window.presenceFigures);
  if (problems.length) throw new Error(`startup.html?badges=${count}: ${problems.join("\n")}`);
  return { page, context, f };
}

const limits = await sim("GET", "/_sim/limits");
await sim("PUT", "/_sim/limits", { graph: null });
await sim("DELETE", "/_sim/faults");
const ids = (await sim("GET", "/_sim/users?provider=graph")).map((p) => p.id);
if (ids.length < 2000) throw new Error(`the simulator has ${ids.length} Graph people; 2,000 are needed (--users 2000)`);
const session = await launch("chromium");
try {
  // The default, then a tab that reads for itself (shareTabs: false): what waiting for the
  // browser to say which tab leads costs before the first request.
  const pages = [[600, ""], [2000, ""], [600, "&shareTabs=false"]];
  for (const [count, query] of pages.filter(([c]) => (process.env.COUNTS ?? "600,2000").split(",").map(Number).includes(c))) {
    const runs = [];
    for (let run = 0; run < RUNS; run++) {
      const { context, f } = await load(session, ids, count, query);
      runs.push(f);
      await context.close();
    }
    const m = (pick) => r1(median(runs.map(pick)));
    const what = `${count} <presence-badge>${query ? " (shareTabs: false)" : ""}, Chromium`;
    figure(`${what}, from navigation (median of ${runs.length} fresh pages): `
      + `module ${m((f) => f.module)} ms, wasm initialised ${m((f) => f.wasm)} ms, configure() ${m((f) => f.configure)} ms, `
      + `configure() returned ${m((f) => f.configured)} ms, first request ${m((f) => f.request)} ms, answer ${m((f) => f.answer)} ms, `
      + `all shown ${m((f) => f.shown)} ms (${runs[0].requests} requests)`);
    figure(`${what}: configure() to the first request ${m((f) => f.request - f.configure)} ms; `
      + `the end of the answer to all shown ${m((f) => f.shown - f.answer)} ms; navigation to all shown ${m((f) => f.shown)} ms`
      + (count === 600 ? " (goals < 10, < 60, < 250)" : " (goal < 400)"));
  }

  const { page, context } = await load(session, ids, 2000);
  const cdp = await page.createCDPSession();
  const changes = [];
  for (let n = 0; n < RUNS; n++) changes.push(await page.evaluate((at) => window.presenceBench.change(at), 1234 + n));
  figure(`one change on a page of 2,000 badges, Chromium: ${r1(median(changes.map((c) => c.ms)))} ms from the end of `
    + `the poll's answers (${changes[0].requests} requests) to that badge's DOM (median of ${changes.length}; goal < 2 ms)`);

  const heap = async () => {
    await cdp.send("HeapProfiler.collectGarbage");
    return (await cdp.send("Runtime.getHeapUsage")).usedSize;
  };
  const start = { wasm: await page.evaluate(() => window.presenceFigures.wasmBytes), heap: await heap() };
  const cycles = [];
  for (let n = 0; n < CYCLES; n++) {
    const c = await page.evaluate(() => window.presenceBench.cycle());
    cycles.push({ ...c, heap: await heap() });
  }
  const held = Math.max(...cycles.map((c) => c.heldWhenEmpty));
  const mb = (bytes) => `${(bytes / 1048576).toFixed(2)} MB`;
  const grewAfterFirst = cycles.length > 1 ? cycles[cycles.length - 1].wasmBytes - cycles[0].wasmBytes : 0;
  figure(`memory with 2,000 badges, Chromium: wasm ${mb(start.wasm)}, JS heap ${mb(start.heap)}; after ${cycles.length} cycles `
    + `of removing and adding them: wasm ${cycles.map((c) => mb(c.wasmBytes)).filter((v, i, a) => a.indexOf(v) === i).join(" → ")} `
    + `(grew ${grewAfterFirst} bytes after the first cycle), JS heap ${mb(cycles[0].heap)} after the first, `
    + `${mb(cycles[cycles.length - 1].heap)} after the last; people held with no badge shown: ${held}`);
  await context.close();
} finally {
  await session.close();
  await sim("PUT", "/_sim/limits", limits);
}
