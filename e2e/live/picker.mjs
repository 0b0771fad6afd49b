// Run by `cargo xtask test` against the package's live entry (pkg/live/: push and the status
// picker). In each browser: pick Busy with the keyboard on one page and see it on another page
// (Rocket.Chat pushes it); set a message in the picker's dialog; the picker passes axe-core's
// rules with its menu and its dialog open; screenshots in light, dark and forced colours.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { BROWSERS, SCREENSHOTS, SIM, launch, open, sim, ours, unlimited, waitLabel, axeClean } from "../helpers.mjs";

const PAGE = "/status.html?providers=rocketchat";

/** Focuses the picker's button (inside its shadow root), as Tab would. */
async function focusPicker(page) {
  await page.evaluate(() => document.querySelector("presence-status-picker")
    .shadowRoot.querySelector("button").focus());
}

/** The text of what has the focus inside the picker. */
async function focused(page) {
  return page.evaluate(() => {
    const root = document.querySelector("presence-status-picker").shadowRoot;
    return root.activeElement?.textContent?.trim() ?? "";
  });
}

async function waitFocused(page, wanted) {
  await page.waitForFunction((w) => document.querySelector("presence-status-picker")
    .shadowRoot.activeElement?.textContent?.trim() === w, { timeout: 5000, polling: 50 }, wanted)
    .catch(async (e) => { throw new Error(`focus on "${wanted}": ${e.message}; it is on "${await focused(page)}"`); });
}

/** From the picker's button (focused), Up opens the menu on its last item, "Status message…",
 * and Enter opens the message dialog. */
async function openDialog(page) {
  await page.keyboard.press("ArrowUp");
  await waitFocused(page, "Status message…");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("presence-status-picker")
    .shadowRoot.querySelector("dialog")?.open, { timeout: 5000 });
}

for (const name of BROWSERS) {
  describe(name, () => {
    test("pick Busy on one page with the keyboard, see it on another; a message in the dialog; axe clean", () => unlimited(async () => {
      await sim("DELETE", "/_sim/faults");
      const me = (await sim("GET", "/_sim/users?provider=rocketchat"))[0];
      const path = `/_sim/users/rocketchat/${encodeURIComponent(me.id)}`;
      await sim("PUT", path, { availability: "Available", message: "" });
      const session = await launch(name);
      try {
        const mine = await open(session, PAGE);
        const theirs = await open(session, PAGE);
        for (const { page } of [mine, theirs]) {
          await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
          await waitLabel(page, "rocketchat", "Available");
        }
        const { page } = mine;
        // The page typed into is the one in front, as a person's would be.
        await page.bringToFront();

        // Enter opens the menu on its first item; Down moves to Busy; Enter picks it.
        await focusPicker(page);
        await page.keyboard.press("Enter");
        await waitFocused(page, "Available");
        assert.equal(await page.evaluate(() => document.querySelector("presence-status-picker")
          .shadowRoot.querySelector("button").getAttribute("aria-expanded")), "true");
        // Axe with the menu open.
        await axeClean(page);
        await page.keyboard.press("ArrowDown");
        await waitFocused(page, "Busy");
        await page.keyboard.press("Enter");
        await waitLabel(page, "rocketchat", "Busy");
        // The other page hears it from the service.
        await waitLabel(theirs.page, "rocketchat", "Busy");
        const person = (await sim("GET", "/_sim/users?provider=rocketchat"))[0];
        assert.equal(person.availability, "Busy");

        // The message, in the picker's dialog.
        await focusPicker(page);
        await openDialog(page);
        await axeClean(page);
        await page.keyboard.type("<i>Back at three</i>");
        await page.keyboard.press("Enter");
        await theirs.page.waitForFunction(() => document.querySelector("presence-badge")
          ?.shadowRoot?.querySelector("[title]")?.getAttribute("title")?.includes("<i>Back at three</i>"),
        { timeout: 20000, polling: 100 });
        // Closing gave the focus back to the picker's button.
        assert.equal(await page.evaluate(() => document.querySelector("presence-status-picker")
          .shadowRoot.activeElement?.tagName), "BUTTON");
        assert.deepEqual(ours(mine.problems), []);
        assert.deepEqual(ours(theirs.problems), []);
        await mine.context.close();
        await theirs.context.close();
      } finally {
        await session.close();
      }
    }));

    test("a pick in a tab that follows reaches the leading tab (Graph, polled every ten minutes)", () => unlimited(async () => {
      await sim("DELETE", "/_sim/faults");
      const me = (await sim("GET", "/_sim/users?provider=graph"))[0];
      await sim("PUT", `/_sim/users/graph/${encodeURIComponent(me.id)}`, { availability: "Available" });
      const session = await launch(name);
      try {
        // One profile, two tabs: the first leads the source, the second follows it.
        const context = await session.browser.createBrowserContext();
        const tabs = [];
        for (let i = 0; i < 2; i += 1) {
          const page = await context.newPage();
          await page.goto(`${SIM}/status.html?providers=graph`);
          await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
          await waitLabel(page, "graph", "Available");
          tabs.push(page);
        }
        const [leader, follower] = tabs;
        await follower.bringToFront();
        await focusPicker(follower);
        await follower.keyboard.press("Enter");
        await waitFocused(follower, "Available");
        await follower.keyboard.press("ArrowDown");
        await waitFocused(follower, "Busy");
        await follower.keyboard.press("Enter");
        await waitLabel(follower, "graph", "Busy");
        // The leading tab reads again when asked, long before its ten minutes.
        await waitLabel(leader, "graph", "Busy");
        await context.close();
      } finally {
        await session.close();
      }
    }));

    test("the picker open, in light, dark and forced colours", () => unlimited(async () => {
      const folder = `${SCREENSHOTS}/${name}`;
      mkdirSync(folder, { recursive: true });
      for (const [what, media] of [
        ["light", { colorScheme: "light", reducedMotion: true }],
        ["dark", { colorScheme: "dark", reducedMotion: true }],
        ["forced-colors", { colorScheme: "light", reducedMotion: true, forcedColors: true }],
      ]) {
        const session = await launch(name, media);
        try {
          const { page, problems } = await open(session, "/status.html");
          await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
          await page.waitForFunction(() => [...document.querySelectorAll("presence-status-picker")]
            .every((p) => p.shadowRoot?.querySelector(".presence-badge--fresh")), { timeout: 20000 });
          await focusPicker(page);
          await page.keyboard.press("Enter");
          await waitFocused(page, "Available");
          await axeClean(page);
          await page.screenshot({ path: `${folder}/picker-${what}.png`, fullPage: true });
          // The message dialog, from the menu's last item.
          await page.keyboard.press("Escape");
          await openDialog(page);
          await axeClean(page);
          await page.screenshot({ path: `${folder}/picker-dialog-${what}.png`, fullPage: true });
          await page.keyboard.press("Escape");
          await page.waitForFunction(() => !document.querySelector("presence-status-picker")
            .shadowRoot.querySelector("dialog")?.open, { timeout: 5000 });
          assert.deepEqual(ours(problems), []);
        } finally {
          await session.close();
        }
      }
    }));
  });
}
