// Run by `cargo xtask test` with presence-relay (RELAY_URL) reading presence-sim, and the
// package's relay entry (pkg/relay/, no adapters): the fifth demo panel in each browser. Badges
// read through the relay show each change at the sim; a second page costs the relay no more
// upstream reads; badges added in one task reopen the page's one stream once; the viewer's token
// never reaches a URL; the page's mode says what the relay's health says.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BROWSERS, SCREENSHOTS, launch, open, sim, ours, waitLabel, waitMode, axeClean } from "../helpers.mjs";

const RELAY = process.env.RELAY_URL ?? "";
if (!RELAY) throw new Error("RELAY_URL is not set: run `cargo xtask test`, which starts presence-relay");
// The panel finds the relay where the simulator says it is, as the demo's does.
const PANEL = "/relay.html";
await sim("PUT", "/_sim/site", { relay: RELAY });

/** One value of the relay's /metrics: the first sample of `name` whose labels include `labels`. */
async function metric(name, labels = "") {
  const text = await (await fetch(`${RELAY}/metrics`)).text();
  const line = text.split("\n").find((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && l.includes(labels));
  if (!line) throw new Error(`no ${name} ${labels} in the relay's metrics`);
  return Number(line.split(" ").pop());
}

async function health() {
  return (await fetch(`${RELAY}/healthz`)).json();
}

/** Waits until every badge under #relay-badges shows a status (none loading); else fails with
 * what each badge says and what the relay says of its sources. */
async function allShown(page, count) {
  const labels = () => [...document.querySelectorAll("#relay-badges presence-badge")]
    .map((b) => `${b.getAttribute("source")}/${b.getAttribute("user")}: ${b.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label")}`);
  try {
    await page.waitForFunction((n) => {
      const dots = [...document.querySelectorAll("#relay-badges presence-badge")]
        .map((b) => b.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label"));
      return dots.length === n && dots.every((l) => l && !/loading/i.test(l));
    }, { timeout: 20000, polling: 100 }, count);
  } catch (e) {
    const shown = await page.evaluate(labels);
    throw new Error(`${count} badges shown: ${e.message}\n${shown.join("\n")}\nrelay: ${JSON.stringify(await health())}`);
  }
}

for (const name of BROWSERS) {
  describe(name, () => {
    test("the fifth panel: badges read through presence-relay, one stream per page, one reader for all", async () => {
      const graph = await sim("GET", "/_sim/users?provider=graph");
      const person = graph[0];
      const path = `/_sim/users/graph/${encodeURIComponent(person.id)}`;
      await sim("PUT", path, { availability: "Available" });
      const session = await launch(name);
      try {
        const first = await open(session, PANEL);
        const { page } = first;
        await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
        await waitLabel(page, "teams", "Available");
        await allShown(page, 5);

        // A change at the service reaches the page through the relay.
        await sim("PUT", path, { availability: "Busy", message: "<b>Through the relay</b>" });
        await waitLabel(page, "teams", "Busy");
        const tooltip = await page.$eval("presence-badge[source=teams]",
          (b) => b.shadowRoot.querySelector("[title]")?.getAttribute("title") ?? "");
        assert.match(tooltip, /<b>Through the relay<\/b>/, "the message is text, not HTML");

        // A second page watching the same people: the relay reads them once for both.
        // (At least: people a page showed lately stay read for the relay's linger.)
        const watched = (await health()).sources.teams.watched;
        assert.ok(watched >= 12, `the panel's twelve Graph people: ${watched}`);
        const second = await open(session, PANEL);
        await second.page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
        await waitLabel(second.page, "teams", "Busy");
        const both = await health();
        assert.ok(both.viewers >= 2, `two pages, two streams: ${JSON.stringify(both)}`);
        assert.equal(both.sources.teams.watched, watched, "no more people read for a second page");

        // Three badges added in one task: the page reopens its stream once, and they show.
        const streams = await metric("presence_relay_streams_total");
        await page.evaluate((ids) => {
          const holder = document.getElementById("relay-badges");
          for (const id of ids) {
            const badge = document.createElement("presence-badge");
            badge.setAttribute("source", "teams");
            badge.setAttribute("user", id);
            holder.append(badge);
          }
        }, graph.slice(30, 33).map((p) => p.id));
        await allShown(page, 8);
        assert.equal(await metric("presence_relay_streams_total"), streams + 1, "one reopen for three badges");

        // The viewer's token travels in a header only: every request to the relay is a bare URL.
        const urls = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name));
        const toRelay = urls.filter((u) => u.startsWith(RELAY));
        assert.ok(toRelay.length > 0, "the page read the relay");
        for (const url of toRelay) assert.ok([`${RELAY}/v1/stream`, `${RELAY}/healthz`].includes(url), url);

        // The page's mode is the relay's.
        const chat = (await health()).sources.chat.mode;
        await waitMode(page, "chat", chat);
        await waitMode(page, "teams", "poll");

        // The panel passes axe-core's rules, inside the widgets' shadow roots too.
        await axeClean(page);

        await page.screenshot({ path: `${SCREENSHOTS}/relay-panel-${name}.png`, fullPage: true });
        assert.deepEqual(ours(first.problems), []);
        assert.deepEqual(ours(second.problems), []);
        await first.context.close();
        await second.context.close();
      } finally {
        await session.close();
      }
    });
  });
}
