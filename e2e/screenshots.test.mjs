// Screenshots of every badge state, of a list and of the demo, in light and dark and in forced
// colours, into target/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, open, sim, ours, SCREENSHOTS } from "./helpers.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => {
  await browser?.close();
  await sim("DELETE", "/_sim/faults");
});

test("every badge state and a list, light, dark and forced colours", async () => {
  const { page, problems, context } = await open(browser, "/gallery.html?hold-loading");
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
  const states = await page.locator("#states presence-badge .presence-dot").evaluateAll(
    (dots) => dots.map((d) => d.getAttribute("aria-label")));
  assert.equal(states.length, 12);
  assert.equal(states[7], "Away, out of office");
  assert.match(states[9], /not updated for/);
  assert.equal(states[10], "Status unavailable");
  assert.equal(states[11], "Loading status");
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
    await page.screenshot({ path: `${SCREENSHOTS}/badges-${scheme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: "light", forcedColors: "active" });
  await page.screenshot({ path: `${SCREENSHOTS}/badges-forced-colors.png`, fullPage: true });
  assert.deepEqual(ours(problems), []);
  await context.close();
  await sim("DELETE", "/_sim/faults");
});

test("the demo, light and dark", async () => {
  for (const scheme of ["light", "dark"]) {
    const { page, context } = await open(browser, "/", { colorScheme: scheme });
    await page.waitForFunction(() => {
      const badges = [...document.querySelectorAll("presence-badge")];
      return badges.length === 16 && badges.every((b) => b.shadowRoot?.querySelector(".presence-badge--fresh"));
    }, null, { timeout: 20000 });
    await page.screenshot({ path: `${SCREENSHOTS}/demo-${scheme}.png`, fullPage: true });
    await context.close();
  }
});
