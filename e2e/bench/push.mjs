// How soon a change made at presence-sim (`PUT /_sim/users/...`) shows on a badge, pushed
// against polled, for Rocket.Chat and Genesys Cloud, in each browser; and what a quiet page costs
// in REST requests after its snapshot. Run by `cargo xtask bench` against presence-sim serving the
// package built with `push` (/live.html); prints `bench:` lines. CHANGES (50) changes per case.
import { BROWSERS, launch, open, sim, figure, presenceReads } from "../helpers.mjs";

const CHANGES = Number(process.env.CHANGES ?? 50);
const QUIET_MS = Number(process.env.QUIET_MS ?? 10000);
const STATES = ["Busy", "Away", "Available", "Offline"];

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** Milliseconds from each PUT to the badge's element telling it (its `presence-change`). */
async function latencies(page, kind, person, changes) {
  await page.evaluate((k) => {
    window.benchSeen = null;
    document.querySelector(`presence-badge[source=${k}]`)
      .addEventListener("presence-change", (e) => { window.benchSeen = e.detail.availability; });
  }, kind);
  const times = [];
  for (let i = 0; i < changes; i++) {
    const availability = STATES[i % STATES.length];
    const started = Date.now();
    await sim("PUT", `/_sim/users/${kind}/${encodeURIComponent(person)}`, { availability });
    await page.waitForFunction((a) => window.benchSeen === a, { timeout: 60000, polling: 10 }, availability);
    times.push(Date.now() - started);
  }
  return times;
}

await sim("DELETE", "/_sim/faults");
for (const name of BROWSERS) {
  for (const kind of ["rocketchat", "genesys"]) {
    const people = await sim("GET", `/_sim/users?provider=${kind}`);
    const person = people[11].id;
    const other = kind === "rocketchat" ? "genesys" : "rocketchat";
    const otherPerson = (await sim("GET", `/_sim/users?provider=${other}`))[11].id;
    const session = await launch(name);
    try {
      // Each run of changes starts from Offline, so that its first change (Busy) is one.
      const start = () => sim("PUT", `/_sim/users/${kind}/${encodeURIComponent(person)}`, { availability: "Offline" });
      await start();
      await sim("POST", "/_sim/stats/reset");
      const { page, context } = await open(session, `/live.html?${kind}=${person}&${other}=${otherPerson}`);
      await page.waitForFunction((k) => window.presenceMode?.(k)?.mode === "push", { timeout: 30000 }, kind);
      const pushed = await latencies(page, kind, person, CHANGES);
      figure(`${kind}, ${name}, pushed: change to badge p50 ${percentile(pushed, 50)} ms, p95 ${percentile(pushed, 95)} ms over ${pushed.length} changes (goal p95 < 1000 ms)`);
      // A quiet page: REST reads during QUIET_MS after the snapshot (the reconciliation period of
      // /live.html is ten minutes, so none is due).
      const before = (await presenceReads(kind)).requests;
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      figure(`${kind}, ${name}, pushed and quiet: ${((await presenceReads(kind)).requests) - before} REST reads in ${QUIET_MS / 1000} s after the snapshot (goal 0 between reconciliation rounds)`);
      await context.close();

      // The same source polled (live: false) at the provider's default interval, for comparison.
      await start();
      const polled = await open(session, `/live.html?${kind}=${person}&${other}=${otherPerson}&live=false`);
      await polled.page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
      const few = await latencies(polled.page, kind, person, Math.min(5, CHANGES));
      figure(`${kind}, ${name}, polled at the default interval: change to badge p50 ${percentile(few, 50)} ms, p95 ${percentile(few, 95)} ms over ${few.length} changes`);
      await polled.context.close();
    } finally {
      await session.close();
    }
  }
}

// Tabs: one profile with one tab, then with three tabs of /live.html (both sources). The tabs
// share each source (one leads, the others follow), so three should cost what one costs: the
// same sockets and the same REST reads, pushed and polled (`live=false`, over one default
// Rocket.Chat interval).
const TAB_SETTLE_MS = Number(process.env.TAB_SETTLE_MS ?? 5000);
const POLL_WINDOW_MS = Number(process.env.POLL_WINDOW_MS ?? 35000);

async function tabsCost(session, count, query, settleMs, live) {
  await sim("POST", "/_sim/stats/reset");
  const started = Date.now();
  const context = await session.browser.createBrowserContext();
  for (let i = 0; i < count; i++) {
    const page = await context.newPage();
    await page.goto(`${process.env.SIM_URL}/live.html?${query}${live ? "" : "&live=false"}`);
    await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
    for (const kind of ["rocketchat", "genesys"]) {
      await page.waitForFunction((k, l) => window.presenceMode?.(k)?.mode === (l ? "push" : "poll"),
        { timeout: 30000, polling: 50 }, kind, live);
    }
  }
  // The same window from the first tab's start, however long the tabs took to open.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + settleMs - Date.now())));
  const stats = (await sim("GET", "/_sim/stats")).push;
  const cost = {};
  for (const kind of ["rocketchat", "genesys"]) {
    cost[kind] = { sockets: stats[kind].sockets_opened, reads: (await presenceReads(kind)).requests };
  }
  await context.close();
  return cost;
}

for (const name of BROWSERS) {
  const query = [];
  for (const kind of ["rocketchat", "genesys"]) {
    query.push(`${kind}=${encodeURIComponent((await sim("GET", `/_sim/users?provider=${kind}`))[12].id)}`);
  }
  const session = await launch(name);
  try {
    for (const live of [true, false]) {
      const settle = live ? TAB_SETTLE_MS : POLL_WINDOW_MS;
      const one = await tabsCost(session, 1, query.join("&"), settle, live);
      const three = await tabsCost(session, 3, query.join("&"), settle, live);
      for (const kind of ["rocketchat", "genesys"]) {
        figure(`${kind}, ${name}, ${live ? "pushed" : "polled"}, three tabs: ${three[kind].sockets} socket(s), ${three[kind].reads} REST reads in the first ${settle / 1000} s from the first tab; one tab: ${one[kind].sockets} socket(s), ${one[kind].reads} reads (goal: the same)`);
      }
    }
  } finally {
    await session.close();
  }
}
