// The demo site against presence-sim, in each browser: it loads without console errors, every
// panel shows live badges and its mode (pushed, or polled and why), a change made through the
// simulator reaches the page with the next poll, dropping the push sockets sends a panel back to
// polling until it is pushed again (when the package has push), and a fault turns badges stale
// until recovery clears it.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BROWSERS, launch, open, sim, requests, counted, countedUntil, ours, badgeLabels, button } from "./helpers.mjs";

const KINDS = ["graph", "rocketchat", "genesys", "superoffice"];

for (const name of BROWSERS) {
  describe(name, () => {
    let session;
    let demo;

    before(async () => {
      await sim("DELETE", "/_sim/faults");
      session = await launch(name);
      demo = await open(session, "/");
      await demo.page.waitForFunction(() => document.getElementById("status")?.textContent.startsWith("Live"), { timeout: 20000 });
    });

    after(async () => {
      await demo?.context.close();
      await session?.close();
      await sim("DELETE", "/_sim/faults");
    });

    test("every panel shows live badges, a list and a summary", async () => {
      for (const kind of KINDS) {
        await demo.page.waitForFunction((k) => {
          const dots = [...document.querySelectorAll(`#panel-${k} presence-badge`)]
            .map((b) => b.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label"));
          return dots.length === 4 && dots.every((l) => l && l !== "Loading status");
        }, { timeout: 20000 }, kind);
        const rows = await demo.page.$$eval(`#panel-${kind} presence-list >>> [role=option]`, (r) => r.length);
        assert.ok(rows > 3 && rows < 60, `${kind}: ${rows} rows`);
        const summary = await demo.page.$eval(`#panel-${kind} presence-summary >>> .presence-summary`, (s) => s.getAttribute("aria-label"));
        assert.match(summary, /\d+ (available|busy|away|offline)/, `${kind}: ${summary}`);
        assert.ok(await requests(kind) > 0, `${kind}: no request reached the simulator`);
      }
      assert.deepEqual(demo.problems, []);
    });

    test("every panel shows its mode; dropped sockets send Rocket.Chat back to polling, then to push", async () => {
      const line = (k) => `#panel-${k} .mode`;
      // Settled: pushed, or polled for a reason other than the push still connecting.
      await demo.page.waitForFunction((sel) => {
        const l = document.querySelector(sel);
        return l?.dataset.mode === "push" || (l?.dataset.mode === "poll" && !l.textContent.includes("connecting"));
      }, { timeout: 30000 }, line("rocketchat"));
      const shown = await demo.page.evaluate(async (kinds) => {
        const { mode } = await import("/pkg/presence_widgets.js");
        return Object.fromEntries(kinds.map((k) => {
          const l = document.querySelector(`#panel-${k} .mode`);
          return [k, { mode: mode(k), text: l?.textContent, data: l?.dataset.mode, role: l?.getAttribute("role") }];
        }));
      }, KINDS);
      for (const kind of KINDS) {
        const { mode, text, data, role } = shown[kind];
        assert.equal(role, "status", `${kind}: the mode line is a status`);
        assert.equal(data, mode.mode, `${kind}: ${text}`);
        if (mode.mode === "push") assert.equal(text, "Live: pushed by the service");
        else assert.match(text, /^Polled every \d+ s: /, kind);
        if (mode.mode === "poll") assert.ok(mode.reason && text.endsWith(mode.reason), `${kind}: "${text}" gives the reason "${mode.reason}"`);
      }
      for (const kind of ["graph", "superoffice"]) assert.equal(shown[kind].mode.mode, "poll", kind);
      const pushed = shown.rocketchat.mode.mode === "push";
      if (!pushed) {
        // A package built without push says so on every panel.
        for (const kind of KINDS) assert.match(shown[kind].text, /this build polls/, kind);
        return;
      }
      for (const kind of ["graph", "superoffice"]) assert.match(shown[kind].text, /pushes no changes to a browser/, kind);
      await demo.page.waitForFunction(() => /\b[1-9]\d* sockets? open/.test(document.querySelector("#panel-rocketchat .requests")?.textContent),
        { timeout: 5000 });
      // Every mode the line shows from now on, however briefly (the push comes back within seconds).
      await demo.page.evaluate((sel) => {
        const l = document.querySelector(sel);
        window.rocketchatModes = [];
        new MutationObserver(() => window.rocketchatModes.push([l.dataset.mode, l.textContent]))
          .observe(l, { attributes: true, childList: true, characterData: true, subtree: true });
      }, line("rocketchat"));
      await (await button(demo.page, "#panel-rocketchat", "Drop sockets")).click();
      await demo.page.waitForFunction(() => window.rocketchatModes.some(([m]) => m === "poll"), { timeout: 10000 });
      await demo.page.waitForFunction((sel) => {
        const l = document.querySelector(sel);
        return l.dataset.mode === "push" && l.textContent === "Live: pushed by the service";
      }, { timeout: 30000 }, line("rocketchat"));
      const polled = await demo.page.evaluate(() => window.rocketchatModes.find(([m]) => m === "poll")[1]);
      assert.match(polled, /^Polled every 6 s: .*socket/, polled);
      assert.deepEqual(ours(demo.problems), []);
    });

    test("a change made at the simulator reaches the page with the next poll", async () => {
      const endpoint = "getPresencesByUserId";
      const user = await demo.page.$eval("#panel-graph presence-badge", (b) => b.getAttribute("user"));
      const before = (await badgeLabels(demo.page, "#panel-graph"))[0];
      const next = before.startsWith("Do not disturb") ? "Available" : "Do not disturb";
      // Change the person just after a poll was answered: the next poll is the first that can
      // carry it.
      const start = await counted("graph", endpoint);
      const answered = await countedUntil("graph", endpoint, (c) => c.answered > start.answered, { what: "the next poll's answer" });
      await sim("PUT", `/_sim/users/graph/${encodeURIComponent(user)}`,
        { availability: next === "Available" ? "Available" : "DoNotDisturb" });
      await demo.page.waitForFunction((u, label) => {
        const badge = [...document.querySelectorAll("#panel-graph presence-badge")].find((b) => b.getAttribute("user") === u);
        return badge?.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label") === label;
      }, { timeout: 20000 }, user, next);
      const shown = await counted("graph", endpoint);
      assert.equal(shown.answered - answered.answered, 1, "the change came with the first poll after it");
    });

    test("a fault turns badges stale with the reason, and healing clears it", async () => {
      const panel = "#panel-rocketchat";
      await (await button(demo.page, panel, "HTTP 500")).click();
      // Stale once the last good answer is older than the stale threshold (a few of the panel's
      // 6 s polls).
      await demo.page.waitForFunction(() => [...document.querySelectorAll("#panel-rocketchat presence-badge")]
        .every((b) => b.shadowRoot?.querySelector(".presence-badge--stale")), { timeout: 60000 });
      const title = await demo.page.$eval(`${panel} presence-badge >>> .presence-badge`, (b) => b.getAttribute("title"));
      assert.match(title, /Not updated for .*HTTP 500/s);
      const staleRows = await demo.page.$$eval(`${panel} presence-list >>> .presence-row--stale`, (r) => r.length);
      assert.ok(staleRows > 0, "list rows are marked stale too");
      await (await button(demo.page, panel, "Heal")).click();
      await demo.page.waitForFunction(() => [...document.querySelectorAll("#panel-rocketchat presence-badge")]
        .every((b) => b.shadowRoot?.querySelector(".presence-badge--fresh")), { timeout: 20000 });
      assert.deepEqual(ours(demo.problems), []);
    });

    test("a configuration error is reported once in the console and shown on every element, not thrown", async () => {
      const before = demo.problems.length;
      const problems = await demo.page.evaluate(async () => {
        const { configure } = await import("/pkg/presence_widgets.js");
        const returned = configure({ sources: { broken: { kind: "teams", baseUrl: "https://example.com" } } });
        for (const user of ["a", "b"]) {
          const badge = document.createElement("presence-badge");
          badge.setAttribute("source", "broken");
          badge.setAttribute("user", user);
          badge.id = `broken-${user}`;
          document.body.append(badge);
        }
        return returned;
      });
      assert.equal(problems.length, 1);
      assert.match(problems[0], /unknown kind `teams`/);
      for (const id of ["broken-a", "broken-b"]) {
        await demo.page.waitForFunction((i) => document.getElementById(i)?.shadowRoot
          ?.querySelector(".presence-badge--error"), { timeout: 5000 }, id);
        const title = await demo.page.$eval(`#${id} >>> .presence-badge`, (b) => b.getAttribute("title"));
        assert.match(title, /unknown kind `teams`/);
      }
      const reported = demo.problems.slice(before).filter((p) => p.includes("teams"));
      assert.equal(reported.length, 1, reported.join("\n"));
    });

    test("the real-service form points a panel at another service and keeps the token out of the page", async () => {
      const people = (await sim("GET", "/_sim/users?provider=genesys")).slice(100, 103);
      const form = "#real-form";
      await demo.page.select(`${form} select[name=kind]`, "genesys");
      await demo.page.locator(`${form} input[name=baseUrl]`).fill(`${process.env.SIM_URL}/genesys`);
      await demo.page.locator(`${form} input[name=token]`).fill("secret-token-for-the-form");
      await demo.page.locator(`${form} input[name=users]`).fill(people.map((p) => p.id).join(", "));
      await (await button(demo.page, form, "Connect")).click();
      await demo.page.waitForFunction((n) => {
        const list = document.querySelector("#panel-genesys presence-list");
        return list?.getAttribute("source") === "real-genesys"
          && list.shadowRoot?.querySelectorAll("[role=option] .presence-badge--fresh").length === n;
      }, { timeout: 20000 }, people.length);
      const code = await demo.page.$eval("#panel-genesys pre code", (c) => c.textContent);
      assert.match(code, /"real-genesys"/);
      assert.ok(!(await demo.page.content()).includes("secret-token-for-the-form"), "the token is not in the DOM");
      assert.equal(await demo.page.$eval(`${form} input[name=token]`, (i) => i.value), "", "the token field is cleared");
      await (await button(demo.page, form, "Back to the simulator")).click();
      await demo.page.waitForFunction(() => document.querySelector("#panel-genesys presence-list")?.getAttribute("source") === "genesys");
    });
  });
}
