// 50 <presence-badge> elements for 50 different Graph people: one presence request per poll, and
// every badge showing a status within 500 ms of the page's load event.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launch, open, sim, requests, figure } from "./helpers.mjs";

test("50 badges make one request per poll and all show within 500 ms of load", async () => {
  await sim("DELETE", "/_sim/faults");
  const browser = await launch();
  try {
    await sim("POST", "/_sim/stats/reset");
    const { page, problems } = await open(browser, "/fifty.html");
    await page.waitForFunction(() => window.presenceFigures?.loadToAllShownMs !== null, null, { timeout: 10000 });
    const figures = await page.evaluate(() => window.presenceFigures);
    const first = await requests("graph", "getPresencesByUserId");
    // The page polls every 5 s: wait for the second poll.
    await page.waitForTimeout(5600);
    const second = await requests("graph", "getPresencesByUserId");
    figure(`50 <presence-badge> on Graph: ${first} request for the first load, ${second - first} for the next poll; all 50 shown ${figures.loadToAllShownMs} ms after the load event (goal: 1 per poll, < 500 ms)`);
    assert.equal(figures.shown, 50);
    assert.equal(first, 1, "one request for 50 people");
    assert.equal(second - first, 1, "one request per poll");
    assert.ok(figures.loadToAllShownMs < 500, `${figures.loadToAllShownMs} ms`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
