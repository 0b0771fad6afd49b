// Screenshots of every badge state, of a list and of the demo, in light and dark and in forced
// colours, in each browser, into target/screenshots/<browser>/.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { BROWSERS, launch, open, sim, ours, SCREENSHOTS } from "./helpers.mjs";

const GALLERY = [
  ["light", { colorScheme: "light", reducedMotion: true }],
  ["dark", { colorScheme: "dark", reducedMotion: true }],
  ["forced-colors", { colorScheme: "light", reducedMotion: true, forcedColors: true }],
];

after(async () => { await sim("DELETE", "/_sim/faults"); });

for (const name of BROWSERS) {
  describe(name, () => {
    const folder = `${SCREENSHOTS}/${name}`;
    mkdirSync(folder, { recursive: true });

    test("every badge state and a list, light, dark and forced colours", async () => {
      for (const [what, media] of GALLERY) {
        const session = await launch(name, media);
        try {
          const { page, problems } = await open(session, "/gallery.html?hold-loading");
          await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
          const states = await page.$$eval("#states presence-badge", (badges) => badges.map(
            (b) => b.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label")));
          assert.equal(states.length, 13);
          assert.equal(states[7], "Away, out of office");
          assert.equal(states[9].startsWith("Busy, not updated for"), true, states[9]);
          assert.equal(states[10], "Available", "a recent failure keeps the presence as it was");
          const recent = await page.$eval("#states .state:nth-child(11) presence-badge",
            (b) => b.shadowRoot?.querySelector(".presence-badge")?.getAttribute("title"));
          assert.match(recent, /The last update failed: graph: HTTP 401/);
          assert.equal(states[11], "Status unavailable");
          assert.equal(states[12], "Loading status");
          const matches = await page.evaluate(() => ({
            dark: matchMedia("(prefers-color-scheme: dark)").matches,
            forced: matchMedia("(forced-colors: active)").matches,
          }));
          assert.deepEqual(matches, { dark: media.colorScheme === "dark", forced: Boolean(media.forcedColors) }, `${what} applies`);
          await page.screenshot({ path: `${folder}/badges-${what}.png`, fullPage: true });
          assert.deepEqual(ours(problems), []);
        } finally {
          await session.close();
          await sim("DELETE", "/_sim/faults");
        }
      }
    });

    test("the demo, light and dark", async () => {
      for (const colorScheme of ["light", "dark"]) {
        const session = await launch(name, { colorScheme });
        try {
          const { page } = await open(session, "/");
          await page.waitForFunction(() => {
            const badges = [...document.querySelectorAll("presence-badge")];
            return badges.length === 16 && badges.every((b) => b.shadowRoot?.querySelector(".presence-badge--fresh"));
          }, { timeout: 20000 });
          await page.screenshot({ path: `${folder}/demo-${colorScheme}.png`, fullPage: true });
        } finally {
          await session.close();
        }
      }
    });
  });
}
