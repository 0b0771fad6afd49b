// 50 <presence-badge> elements for 50 different Graph people, in each browser: every badge shows a
// status, the first load costs one presence request for all 50, and each poll one more. How fast
// they show is measured by `cargo xtask bench` (bench/fifty.mjs), not asserted here.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BROWSERS, launch, open, sim, counted, countedUntil } from "./helpers.mjs";

const ENDPOINT = "getPresencesByUserId";
const COUNT = 50;

const labels = (page) => page.$$eval("#badges presence-badge", (badges) => badges.map(
  (b) => b.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label") ?? null));

for (const name of BROWSERS) {
  describe(name, () => {
    test("50 badges show a status with one request for the first load and one per poll", async () => {
      await sim("DELETE", "/_sim/faults");
      const session = await launch(name);
      try {
        await sim("POST", "/_sim/stats/reset");
        const { page, problems, context } = await open(session, "/fifty.html");
        await page.waitForFunction((n) => {
          const badges = [...document.querySelectorAll("#badges presence-badge")];
          return badges.length === n && badges.every((b) => {
            const label = b.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label");
            return label && label !== "Loading status";
          });
        }, { timeout: 20000 }, COUNT);
        assert.match(await page.$eval("#result", (r) => r.textContent), /^All 50 badges show a status/);
        const first = await counted("graph", ENDPOINT);
        assert.equal(first.requests, 1, "one request for 50 people");
        assert.equal(first.ids, COUNT, "the request asked for all 50");

        // The next poll carries a change made after the first answer: when the badge shows it,
        // exactly one more request, for all 50 again, has been made.
        const people = await page.$$eval("#badges presence-badge", (badges) => badges.map((b) => b.getAttribute("user")));
        const user = people[COUNT - 1];
        const before = (await labels(page))[COUNT - 1];
        const [availability, label] = before.startsWith("Do not disturb") ? ["Available", "Available"] : ["DoNotDisturb", "Do not disturb"];
        await sim("PUT", `/_sim/users/graph/${encodeURIComponent(user)}`, { availability });
        await page.waitForFunction((u, l) => {
          const badge = [...document.querySelectorAll("#badges presence-badge")].find((b) => b.getAttribute("user") === u);
          return badge?.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label") === l;
        }, { timeout: 20000 }, user, label);
        const second = await counted("graph", ENDPOINT);
        assert.equal(second.requests, 2, "one request for the poll that brought the change");
        assert.equal(second.ids, 2 * COUNT, "the poll asked for all 50");
        const shown = (await labels(page)).filter((l) => l && l !== "Loading status").length;
        assert.equal(shown, COUNT, "every badge still shows a status");

        // And the poll after that: one request again.
        const third = await countedUntil("graph", ENDPOINT, (c) => c.answered >= 3, { what: "a third poll" });
        assert.equal(third.requests, 3, "one request per poll");
        assert.equal(third.ids, 3 * COUNT);
        assert.deepEqual(problems, []);
        await context.close();
      } finally {
        await session.close();
      }
    });
  });
}
