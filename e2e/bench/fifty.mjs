// How long after the page's load event all 50 badges of /fifty.html show a status, in each
// browser (goal: < 500 ms). Run by `cargo xtask bench` against presence-sim; prints `bench:` lines.
// SIM_URL names the simulator, as for the tests; RUNS (5) loads per browser, each in a fresh context.
import { BROWSERS, launch, open, sim, figure } from "../helpers.mjs";

const RUNS = Number(process.env.RUNS ?? 5);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

await sim("DELETE", "/_sim/faults");
for (const name of BROWSERS) {
  const session = await launch(name);
  try {
    const times = [];
    for (let run = 0; run < RUNS; run++) {
      const { page, problems, context } = await open(session, "/fifty.html");
      await page.waitForFunction(() => window.presenceFigures?.loadToAllShownMs != null, { timeout: 20000 });
      const figures = await page.evaluate(() => window.presenceFigures);
      if (figures.shown !== 50) throw new Error(`${name}: ${figures.shown} of 50 badges shown`);
      if (problems.length) throw new Error(`${name}: ${problems.join("\n")}`);
      times.push(figures.loadToAllShownMs);
      await context.close();
    }
    figure(`50 <presence-badge> on Graph, ${name}: all shown ${median(times)} ms after the load event (median of ${times.length}; min ${Math.min(...times)}, max ${Math.max(...times)}; goal < 500 ms)`);
  } finally {
    await session.close();
  }
}
