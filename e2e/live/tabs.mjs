// Run by `cargo xtask test` against the package's live entry (pkg/live/, built with the `push` feature).
// Three tabs of one origin (one browser profile) share each source: one tab leads (Web Locks) and
// holds the one socket and the polling, the others follow over a BroadcastChannel. Three tabs
// cost what one costs; when the leading tab closes, another takes over and changes still arrive.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BROWSERS, launch, sim, ours, unlimited, presenceReads, waitLabel, waitMode } from "../helpers.mjs";

const SIM = process.env.SIM_URL ?? "";
const KINDS = ["rocketchat", "genesys"];

/** Waits for `check` on the sim's push counters of `kind`. */
async function pushUntil(kind, check, what) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const stats = (await sim("GET", "/_sim/stats")).push[kind];
    if (check(stats)) return stats;
    if (Date.now() > deadline) throw new Error(`${kind}: ${what} not reached (${JSON.stringify(stats)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const name of BROWSERS) {
  describe(name, () => {
    test("three tabs share one socket and one reader per source; the next tab takes over when the leader closes", () => unlimited(async () => {
      await sim("DELETE", "/_sim/faults");
      const people = {};
      for (const kind of KINDS) {
        people[kind] = (await sim("GET", `/_sim/users?provider=${kind}`))[11];
        await sim("PUT", `/_sim/users/${kind}/${encodeURIComponent(people[kind].id)}`, { availability: "Available" });
      }
      const query = KINDS.map((k) => `${k}=${encodeURIComponent(people[k].id)}`).join("&");
      const session = await launch(name);
      try {
        await sim("POST", "/_sim/stats/reset");
        // One profile: the tabs of one origin, as a person keeps them open.
        const context = await session.browser.createBrowserContext();
        const tabs = [];
        const problems = [];
        for (let i = 0; i < 3; i += 1) {
          const page = await context.newPage();
          page.on("console", (m) => {
            if (["error", "warn", "warning"].includes(m.type())) problems.push(`${m.type()}: ${m.text()}`);
          });
          page.on("pageerror", (e) => problems.push(`uncaught: ${e.message ?? e}`));
          await page.goto(`${SIM}/live.html?${query}`);
          await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
          for (const kind of KINDS) {
            await waitMode(page, kind, "push");
            await waitLabel(page, kind, "Available");
          }
          tabs.push(page);
        }
        for (const kind of KINDS) {
          const stats = await pushUntil(kind, (s) => s.sockets_open >= 1, "a socket");
          assert.equal(stats.sockets_open, 1, `${kind}: one socket for three tabs`);
          assert.equal(stats.sockets_opened, 1, `${kind}: one socket was ever opened`);
          assert.equal((await presenceReads(kind)).requests, 2, `${kind}: what one tab reads (a first read, the snapshot)`);
        }

        // A change reaches every tab, pushed once.
        for (const kind of KINDS) {
          await sim("PUT", `/_sim/users/${kind}/${encodeURIComponent(people[kind].id)}`, { availability: "Away" });
        }
        for (const page of tabs) for (const kind of KINDS) await waitLabel(page, kind, "Away");
        for (const kind of KINDS) assert.equal((await presenceReads(kind)).requests, 2, `${kind}: pushed, no read`);

        // The leader (the first tab) closes: another leads, opens the socket again, reads once.
        await tabs[0].close();
        for (const kind of KINDS) {
          await pushUntil(kind, (s) => s.sockets_opened >= 2 && s.sockets_open === 1, "the new leader's socket");
          await waitMode(tabs[1], kind, "push");
        }
        for (const kind of KINDS) {
          await sim("PUT", `/_sim/users/${kind}/${encodeURIComponent(people[kind].id)}`, { availability: "Busy" });
        }
        for (const page of tabs.slice(1)) for (const kind of KINDS) await waitLabel(page, kind, "Busy");
        for (const kind of KINDS) {
          const stats = (await sim("GET", "/_sim/stats")).push[kind];
          assert.equal(stats.sockets_open, 1, `${kind}: still one socket for the two tabs left`);
        }
        assert.deepEqual(ours(problems), []);
        await context.close();
      } finally {
        await session.close();
        await sim("DELETE", "/_sim/faults");
      }
    }));

    test("a tab that follows shows people the leader does not, read by the leader", () => unlimited(async () => {
      await sim("DELETE", "/_sim/faults");
      const list = await sim("GET", "/_sim/users?provider=rocketchat");
      const [mine, theirs] = [list[13], list[14]];
      await sim("PUT", `/_sim/users/rocketchat/${encodeURIComponent(theirs.id)}`, { availability: "Away" });
      const session = await launch(name);
      try {
        const context = await session.browser.createBrowserContext();
        const leader = await context.newPage();
        await leader.goto(`${SIM}/live.html?rocketchat=${encodeURIComponent(mine.id)}`);
        await waitMode(leader, "rocketchat", "push");
        const before = (await presenceReads("rocketchat")).requests;
        const follower = await context.newPage();
        await follower.goto(`${SIM}/live.html?rocketchat=${encodeURIComponent(theirs.id)}`);
        await waitMode(follower, "rocketchat", "push");
        await waitLabel(follower, "rocketchat", "Away");
        assert.ok((await presenceReads("rocketchat")).requests > before, "the leader read the follower's person");
        await sim("PUT", `/_sim/users/rocketchat/${encodeURIComponent(theirs.id)}`, { availability: "Available" });
        await waitLabel(follower, "rocketchat", "Available");
        await context.close();
      } finally {
        await session.close();
      }
    }));
  });
}
