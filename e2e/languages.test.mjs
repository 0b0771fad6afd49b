// The page's language (www/languages.html): every widget speaks the language of the closest
// `lang` above it, crossing shadow roots, from the package's word tables (words.json); the page's
// own words (`configure({ labels })`) still win; an element's own `lang` changing changes its
// words; times ("Since …", the age of a stale presence) through Intl in that language. In Chromium and Firefox, with a screenshot of the
// German list.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BROWSERS, SCREENSHOTS, axeClean, launch, open, ours, sim } from "./helpers.mjs";

const PKG = resolve(process.env.PKG_DIR ?? "../pkg");
const WORDS = JSON.parse(readFileSync(join(PKG, "words.json"), "utf8"));
const LANGUAGES = ["de", "fr", "es", "it", "nl", "pt-BR", "ja"];

/** What a badge's dot says, by a selector that may enter one shadow root (`host >>> badge`). */
function badgeLabel(page, host, badge) {
  return page.evaluate((host, badge) => {
    const scope = host ? document.querySelector(host)?.shadowRoot : document;
    return scope?.querySelector(badge)?.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label") ?? null;
  }, host, badge);
}

/** Waits until the badge's label starts with `word`; the error says what it shows. */
async function waitBadge(page, host, badge, word, what) {
  try {
    await page.waitForFunction((host, badge, word) => {
      const scope = host ? document.querySelector(host)?.shadowRoot : document;
      return scope?.querySelector(badge)?.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label")?.startsWith(word);
    }, { timeout: 20000, polling: 100 }, host, badge, word);
  } catch {
    throw new Error(`${what}: wanted "${word}…", the badge says ${JSON.stringify(await badgeLabel(page, host, badge))}`);
  }
}

describe("the page's language", () => {
  test("words.json has every language, each with the English keys and their placeholders", () => {
    assert.deepEqual(Object.keys(WORDS).sort(), [...LANGUAGES].sort());
    const keys = Object.keys(WORDS.de).sort();
    for (const language of LANGUAGES) {
      assert.deepEqual(Object.keys(WORDS[language]).sort(), keys, `${language} has the same keys`);
      for (const key of keys) {
        const holes = (text) => (text.match(/\{[a-z]+\}/g) ?? []).sort().join();
        assert.equal(holes(WORDS[language][key]), holes(WORDS.de[key]), `${language} ${key} keeps its placeholders`);
      }
    }
    assert.equal(WORDS.de.Available, "Verfügbar");
    assert.equal(WORDS.fr.Busy, "Occupé");
  });

  for (const name of BROWSERS) {
    test(`${name}: German, French in a shadow root, Japanese on the badge, Spanish then Italian; the page's words win`, async () => {
      const users = await sim("GET", "/_sim/users?provider=graph");
      const word = (language, person) => WORDS[language][person.availability === "Unknown" ? "Unknown" : person.availability];
      const session = await launch(name);
      try {
        const { page, problems } = await open(session, "/languages.html");
        await waitBadge(page, "#shadow-host", "presence-badge", word("fr", users[0]), "French, inside a shadow root");
        await waitBadge(page, null, "#japanese presence-badge", word("ja", users[1]), "Japanese, the badge's own lang");
        await waitBadge(page, null, "#spanish presence-badge", word("es", users[2]), "Spanish");

        // The German list: rows, group headings and counts in German; the filter box in the
        // page's own words.
        await page.waitForFunction((available) => [...document.querySelector("#german presence-list")?.shadowRoot
          ?.querySelectorAll(".presence-row__label") ?? []].some((l) => l.textContent === available),
        { timeout: 20000, polling: 100 }, WORDS.de.Available);
        const german = await page.evaluate(() => {
          const root = document.querySelector("#german presence-list").shadowRoot;
          return {
            labels: [...root.querySelectorAll(".presence-row__label")].map((l) => l.textContent),
            filter: root.querySelector("[part=filter]")?.getAttribute("aria-label") ?? root.querySelector("[part=filter]")?.getAttribute("placeholder"),
            summary: document.querySelector("#german presence-summary").shadowRoot.textContent,
          };
        });
        const expected = users.slice(0, 8).map((p) => word("de", p));
        assert.deepEqual([...german.labels].sort(), [...expected].sort(), "each row's status in German");
        assert.equal(german.filter, "Suchen…", "the page's own word over the table's");
        const available = users.slice(0, 8).filter((p) => p.availability === "Available").length;
        if (available) assert.ok(german.summary.includes(WORDS.de["summary.Available"].replace("{n}", available)), german.summary);

        // The badge's own lang changes: its words follow.
        await page.evaluate(() => document.querySelector("#spanish presence-badge").setAttribute("lang", "it"));
        await waitBadge(page, null, "#spanish presence-badge", word("it", users[2]), "Italian, after lang changed");

        // The German badge whose polls fail: stale, its age in the words Intl has for German.
        try {
          await page.waitForFunction(() => document.querySelector("#stale presence-badge")?.shadowRoot
            ?.querySelector(".presence-dot")?.getAttribute("aria-label")?.includes("nicht aktualisiert"),
          { timeout: 20000, polling: 100 });
        } catch {
          throw new Error(`the German badge did not turn stale: ${JSON.stringify(await badgeLabel(page, null, "#stale presence-badge"))}`);
        }
        const stale = await badgeLabel(page, null, "#stale presence-badge");
        const age = stale.match(/seit (.+) nicht aktualisiert/)?.[1];
        assert.ok(age, stale);
        const intl = await page.evaluate((n) => ["second", "minute"].map((unit) =>
          new Intl.NumberFormat("de", { style: "unit", unit }).format(n)), Number(age.match(/\d+/)?.[0]));
        assert.ok(intl.includes(age), `"${age}" is how Intl says it in German (${intl.join(" or ")})`);
        await axeClean(page);
        if (name === "chromium") {
          await page.screenshot({ path: join(SCREENSHOTS, "languages.png"), fullPage: true });
          const list = await page.$("#german");
          await list.screenshot({ path: join(SCREENSHOTS, "german-list.png") });
        }
        // (The stale badge's revoked token makes the browser note its failed requests.)
        assert.deepEqual(ours(problems).filter((p) => p.startsWith("uncaught") || p.startsWith("error")), []);
      } finally {
        await session.close();
      }
    });
  }
});
