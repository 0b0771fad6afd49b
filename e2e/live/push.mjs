// Run by `cargo xtask test` against the package's live entry (pkg/live/, built with the `push` feature).
// Push in each browser: Rocket.Chat (DDP) and Genesys Cloud (notification channels) against
// presence-sim. Polled only every ten minutes, a change at the sim reaches the badge with no
// REST request; dropped sockets fall back to polling and push comes back.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BROWSERS, launch, open, sim, ours, unlimited, presenceReads, waitLabel, waitMode } from "../helpers.mjs";

async function readsUntil(kind, until, what) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const now = await presenceReads(kind);
    if (until(now)) return now;
    if (Date.now() > deadline) throw new Error(`${kind}: ${what} not reached (${JSON.stringify(now)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const name of BROWSERS) {
  describe(name, () => {
    for (const kind of ["rocketchat", "genesys"]) {
      test(`${kind}: a change is pushed to the badge without a poll; a dropped socket falls back and recovers`, async () => {
        await sim("DELETE", "/_sim/faults");
        const person = (await sim("GET", `/_sim/users?provider=${kind}`))[7];
        const other = kind === "rocketchat" ? "genesys" : "rocketchat";
        const otherPerson = (await sim("GET", `/_sim/users?provider=${other}`))[7];
        await sim("PUT", `/_sim/users/${kind}/${encodeURIComponent(person.id)}`, { availability: "Available" });
        const session = await launch(name);
        try {
          await sim("POST", "/_sim/stats/reset");
          const { page, problems, context } = await open(session,
            `/live.html?${kind}=${encodeURIComponent(person.id)}&${other}=${encodeURIComponent(otherPerson.id)}`);
          await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
          await waitMode(page, kind, "push");
          // The snapshot: the first read, then one more once the subscription holds.
          const snapshot = await readsUntil(kind, (c) => c.answered >= 2, "the snapshot");
          assert.equal(snapshot.requests, 2, "a first read and the snapshot after subscribing");
          await waitLabel(page, kind, "Available");

          await sim("PUT", `/_sim/users/${kind}/${encodeURIComponent(person.id)}`, { availability: "Away", message: "Back at 3" });
          await waitLabel(page, kind, "Away");
          assert.equal((await presenceReads(kind)).requests, 2, "pushed: no REST request for the change");
          const stats = await sim("GET", "/_sim/stats");
          assert.ok(stats.push[kind].sockets_open >= 1, "a socket is open");

          // The sockets drop: polling again at once (a read heals what was missed), push again soon.
          await sim("POST", "/_sim/faults", { provider: kind, drop_sockets: true });
          await waitMode(page, kind, "poll");
          const reason = await page.evaluate((k) => window.presenceMode(k).reason, kind);
          assert.match(reason, /socket closed|no frame|heartbeat/, reason);
          await waitMode(page, kind, "push");
          await sim("PUT", `/_sim/users/${kind}/${encodeURIComponent(person.id)}`, { availability: "Busy" });
          await waitLabel(page, kind, "Busy");
          assert.deepEqual(ours(problems), []);
          await context.close();
        } finally {
          await session.close();
          await sim("DELETE", "/_sim/faults");
        }
      });
    }

    test("rocketchat: presence broadcast off falls back to polling and says why", () => unlimited(async () => {
      await sim("DELETE", "/_sim/faults");
      const session = await launch(name);
      try {
        const { page, problems, context } = await open(session, "/live.html");
        await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
        await waitMode(page, "rocketchat", "push");
        // As past 200 connections without a licence: no event comes, and the snapshot read
        // answers `full: true` with nobody. Only a new socket meets it: drop the old one.
        await sim("POST", "/_sim/faults", { provider: "rocketchat", presence_broadcast: false, drop_sockets: true });
        await page.waitForFunction(() => /broadcast is off/.test(window.presenceMode?.("rocketchat")?.reason ?? ""),
          { timeout: 20000, polling: 100 }).catch(async (e) => {
          throw new Error(`${e.message}: ${await page.evaluate(() => JSON.stringify(window.presenceMode("rocketchat")))}`);
        });
        assert.deepEqual(ours(problems), []);
        await context.close();
      } finally {
        await session.close();
        await sim("DELETE", "/_sim/faults");
      }
    }));

    test("genesys: refused subscriptions leave the people polled, with the service's reason", async () => {
      await sim("DELETE", "/_sim/faults");
      const session = await launch(name);
      try {
        const { page, problems, context } = await open(session, "/live.html");
        await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
        await waitMode(page, "genesys", "push");
        await sim("POST", "/_sim/faults", { provider: "genesys", reject_subscriptions: true, drop_sockets: true });
        await page.waitForFunction(() => {
          const m = window.presenceMode?.("genesys");
          return m?.mode === "poll" && /403|permission|refus|reject/i.test(m.reason ?? "");
        }, { timeout: 20000 });
        assert.deepEqual(ours(problems), []);
        await context.close();
      } finally {
        await session.close();
        await sim("DELETE", "/_sim/faults");
      }
    });

    test("live: false polls, and says so, and opens no socket", async () => {
      await sim("DELETE", "/_sim/faults");
      const person = (await sim("GET", "/_sim/users?provider=rocketchat"))[9];
      const session = await launch(name);
      try {
        const { page, context } = await open(session, "/live.html");
        await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
        await waitMode(page, "rocketchat", "push");
        const opened = (await sim("GET", "/_sim/stats")).push.rocketchat.sockets_opened;
        await page.evaluate(async (user) => {
          const { configure } = await import("/pkg/presence_widgets.js");
          configure({ sources: { polled: { kind: "rocketchat", baseUrl: location.origin + "/rocketchat",
            userId: "demo-user", authToken: "demo-token", live: false } } });
          const badge = document.createElement("presence-badge");
          badge.setAttribute("source", "polled");
          badge.setAttribute("user", user);
          document.querySelector("main").append(badge);
        }, person.id);
        await page.waitForFunction(() => {
          const label = document.querySelector("presence-badge[source=polled]")
            ?.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label");
          return label && label !== "Loading status";
        }, { timeout: 20000 });
        const mode = await page.evaluate(() => window.presenceMode("polled"));
        assert.deepEqual(mode, { mode: "poll", reason: "live: false in the source's options" });
        assert.equal((await sim("GET", "/_sim/stats")).push.rocketchat.sockets_opened, opened,
          "the polled source opened no socket");
        await context.close();
      } finally {
        await session.close();
      }
    });
  });
}
