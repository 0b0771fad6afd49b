// The elements' attributes are also JS properties, as React 19 and Vue set them: a badge made
// and given its properties before the package defined it (as a framework does) shows its
// person, a changed `user` property shows the next person, a list takes `users` as a list and
// `names` as an object, and booleans and numbers reflect into their attributes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BROWSERS, launch, sim, ours, SIM } from "./helpers.mjs";

const dot = (page, selector) => page.$eval(selector,
  (b) => b.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label") ?? null);
const waitDot = (page, selector, wanted) => page.waitForFunction((s, w) =>
  document.querySelector(s)?.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label") === w,
{ timeout: 20000 }, selector, wanted).catch(async (e) => {
  throw new Error(`${selector} shows ${await dot(page, selector)}, not ${wanted}: ${e.message}`);
});

for (const name of BROWSERS) {
  describe(name, () => {
    test("attributes as properties: set before the element is defined, changed, on a list", async () => {
      await sim("DELETE", "/_sim/faults");
      const people = (await sim("GET", "/_sim/users?provider=graph")).slice(-30, -27);
      const [a, b, c] = people.map((p) => p.id);
      await sim("PUT", `/_sim/users/graph/${encodeURIComponent(a)}`, { availability: "Away" });
      await sim("PUT", `/_sim/users/graph/${encodeURIComponent(b)}`, { availability: "DoNotDisturb" });
      const session = await launch(name);
      try {
        const context = await session.browser.createBrowserContext();
        const page = await context.newPage();
        const problems = [];
        page.on("console", (m) => { if (["error", "warn", "warning"].includes(m.type())) problems.push(m.text()); });
        page.on("pageerror", (e) => problems.push(`uncaught: ${e.message ?? e}`));
        await page.evaluateOnNewDocument((first, page) => {
          window.presenceBenchIds = [page];
          // Before the module has loaded the package: an element the browser does not know yet.
          document.addEventListener("DOMContentLoaded", () => {
            const badge = document.createElement("presence-badge");
            badge.id = "early";
            badge.source = "teams";
            badge.user = first;
            badge.showLabel = true;
            document.body.append(badge);
          });
        }, a, c);
        await page.goto(`${SIM}/startup.html?badges=1`);
        await page.waitForFunction(() => window.presenceFigures?.ready, { timeout: 30000 });
        await waitDot(page, "#early", "Away");
        assert.deepEqual(await page.$eval("#early", (e) => ({
          user: e.getAttribute("user"), source: e.getAttribute("source"), showLabel: e.hasAttribute("show-label"),
          property: e.user, label: e.shadowRoot.querySelector(".presence-badge__label")?.textContent,
        })), { user: a, source: "teams", showLabel: true, property: a, label: "Away" });

        // The next person, by property.
        await page.$eval("#early", (e, next) => { e.user = next; }, b);
        await waitDot(page, "#early", "Do not disturb");
        // A boolean off removes its attribute; a number is the icon's size.
        await page.$eval("#early", (e) => { e.showLabel = false; e.size = 24; });
        await page.waitForFunction(() => {
          const e = document.querySelector("#early");
          return !e.hasAttribute("show-label") && e.getAttribute("size") === "24"
            && !e.shadowRoot.querySelector(".presence-badge__label")
            && e.shadowRoot.querySelector(".presence-dot")?.getAttribute("width") === "24";
        }, { timeout: 10000 });
        assert.deepEqual(await page.$eval("#early", (e) => [e.showLabel, e.size]), [false, 24]);

        // A list given its people as a list and their names as an object.
        const list = await page.evaluate((ids) => {
          const l = document.createElement("presence-list");
          l.id = "people";
          l.source = "teams";
          l.users = ids;
          l.names = { [ids[0]]: "Ann Early", [ids[1]]: "Bo Late" };
          l.noFilter = true;
          document.body.append(l);
          return { users: l.users, attribute: l.getAttribute("users"), names: l.names, noFilter: l.hasAttribute("no-filter") };
        }, [a, b]);
        assert.deepEqual(list, {
          users: [a, b], attribute: `${a} ${b}`, names: { [a]: "Ann Early", [b]: "Bo Late" }, noFilter: true,
        });
        await page.waitForFunction(() => {
          const rows = [...(document.querySelector("#people")?.shadowRoot?.querySelectorAll("[role=option]") ?? [])];
          const text = rows.map((r) => r.textContent).join(" | ");
          return rows.length === 2 && text.includes("Ann Early") && text.includes("Bo Late");
        }, { timeout: 20000 });
        assert.equal(await page.$eval("#people", (l) => l.shadowRoot.querySelector("input") === null), true,
          "no filter box");
        assert.deepEqual(ours(problems), []);
        await context.close();
      } finally {
        await session.close();
      }
    });
  });
}
