// <presence-avatar> in the package's live entry (www/avatars.html), in Chromium and Firefox:
// initials on each person's colour or their picture, the badge on the corner, one image named by
// the person's name and status (in German under lang="de"), a picture that fails gives way to
// the initials, presence-change on the element, attributes set as properties changing the
// person and the picture, a list with `avatars`, Graph's own photos read
// once per person (a blob: picture, initials for someone without one); axe-core's rules;
// screenshots light and dark.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BROWSERS, SCREENSHOTS, axeClean, launch, open, sim } from "../helpers.mjs";

const PKG = resolve(process.env.PKG_DIR ?? "../pkg");
const WORDS = JSON.parse(readFileSync(join(PKG, "words.json"), "utf8"));
const ENGLISH = { Available: "Available", Busy: "Busy", DoNotDisturb: "Do not disturb", BeRightBack: "Be right back", Away: "Away", Offline: "Offline", Unknown: "Status unknown" };

/** Every avatar's id, accessible name, initials, picture state and badge. */
function avatars(page) {
  return page.evaluate(() => [...document.querySelectorAll("presence-avatar")].map((a) => {
    const root = a.shadowRoot;
    const base = root?.querySelector(".presence-avatar");
    const img = root?.querySelector("img");
    return {
      id: a.id,
      section: a.closest("p")?.id,
      user: a.getAttribute("user"),
      label: base?.getAttribute("aria-label") ?? null,
      role: base?.getAttribute("role") ?? null,
      initials: root?.querySelector(".presence-avatar__initials")?.dataset.initials ?? null,
      picture: img ? img.complete && img.naturalWidth > 0 : null,
      badge: !!root?.querySelector(".presence-avatar__badge .presence-dot"),
      loading: !!root?.querySelector(".presence-badge--loading"),
    };
  }));
}

describe("<presence-avatar>", () => {
  for (const name of BROWSERS) {
    test(`${name}: initials or a picture, the badge on the corner, named by name and status`, async () => {
      const users = new Map((await sim("GET", "/_sim/users?provider=graph")).map((p) => [p.id, p]));
      for (const scheme of ["light", "dark"]) {
        const session = await launch(name, { colorScheme: scheme });
        try {
          const asked = async () => (await sim("GET", "/_sim/stats")).providers?.graph?.["users/photo"]?.requests ?? 0;
          const askedBefore = await asked();
          const { page, problems } = await open(session, "/avatars.html");
          // Which elements fire presence-change (a bubbling, composed event), from the start.
          await page.evaluate(() => {
            window.heard = new Set();
            document.addEventListener("presence-change", (e) => window.heard.add(e.target.localName));
          });
          try {
            await page.waitForFunction(() => {
              const all = [...document.querySelectorAll("presence-avatar")];
              return all.length === 20 && all.every((a) => a.shadowRoot?.querySelector(".presence-avatar")
                && !a.shadowRoot.querySelector(".presence-badge--loading"))
                && !document.getElementById("missing").shadowRoot.querySelector("img");
            }, { timeout: 20000, polling: 100 });
          } catch {
            throw new Error(`the avatars did not all load: ${JSON.stringify(await avatars(page))}`);
          }
          assert.ok((await page.evaluate(() => [...window.heard])).includes("presence-avatar"),
            "presence-change fires on the avatar element");
          const shown = await avatars(page);
          for (const a of shown) {
            const person = users.get(a.user);
            const words = a.section === "german" ? WORDS.de : ENGLISH;
            assert.ok(a.label.startsWith(`${person.name}, ${words[person.availability]}`), `${a.label} for ${person.name}, ${person.availability}`);
            assert.equal(a.role, "img");
            assert.ok(a.badge, `${person.name} has the badge on the corner`);
          }
          const portrait = shown.find((a) => a.id === "portrait");
          await page.waitForFunction(() => {
            const img = document.getElementById("portrait").shadowRoot.querySelector("img");
            return img?.complete && img.naturalWidth > 0;
          }, { timeout: 10000, polling: 100 });
          assert.equal(portrait.initials, null, "the picture, not initials");
          const missing = shown.find((a) => a.id === "missing");
          assert.ok(missing.initials?.length >= 1, "a picture that fails gives way to initials");
          // The list with `avatars`: each row has its person's initials, the badge on the corner.
          await page.waitForFunction(() => {
            const rows = [...document.querySelector("#team presence-list")?.shadowRoot?.querySelectorAll("[role=option]") ?? []];
            return rows.length === 6 && rows.every((r) => r.querySelector(".presence-avatar__initials")?.dataset.initials
              && r.querySelector(".presence-avatar__badge .presence-dot") && !r.querySelector(".presence-badge--loading"));
          }, { timeout: 20000, polling: 100 });
          const rows = await page.evaluate(() => [...document.querySelector("#team presence-list").shadowRoot
            .querySelectorAll("[role=option]")].map((r) => [r.querySelector(".presence-row__name").textContent,
            r.querySelector(".presence-avatar__initials").dataset.initials]));
          for (const [name, initials] of rows) {
            const words = name.split(/[\s._,-]+/).filter(Boolean);
            // As written: the stylesheet shows them in capitals.
            assert.equal(initials, words[0][0] + (words.length > 1 ? words.at(-1)[0] : ""), name);
          }
          // Graph's own photos (the `photos` source): a picture read from Graph for everyone the
          // sim has one of, in the avatars and the list's rows; initials for who has none.
          try {
            await page.waitForFunction(() => {
              const pictures = [...document.querySelectorAll("#photos presence-avatar")]
                .map((a) => a.shadowRoot?.querySelector("img")).filter(Boolean);
              const rows = [...document.querySelector("#photo-team presence-list")?.shadowRoot
                ?.querySelectorAll("[role=option] img") ?? []];
              return pictures.length === 3 && rows.length === 3
                && [...pictures, ...rows].every((img) => img.complete && img.naturalWidth > 0);
            }, { timeout: 20000, polling: 100 });
          } catch {
            throw new Error(`Graph's photos did not show: ${JSON.stringify(await avatars(page))}`);
          }
          const photos = await page.evaluate(() => [...document.querySelectorAll("#photos presence-avatar")].map((a) => ({
            user: a.getAttribute("user"),
            src: a.shadowRoot.querySelector("img")?.getAttribute("src") ?? null,
            initials: a.shadowRoot.querySelector(".presence-avatar__initials")?.dataset.initials ?? null,
          })));
          assert.equal(photos.length, 4);
          for (const p of photos) {
            const person = users.get(p.user);
            if (person.photo) {
              assert.match(p.src, /^blob:/, `${person.name}'s picture from Graph`);
            } else {
              assert.equal(p.src, null, `${person.name} has no picture`);
              assert.ok(p.initials, `${person.name} keeps their initials`);
            }
          }
          assert.equal(photos.filter((p) => users.get(p.user).photo).length, 3);
          assert.equal(await asked() - askedBefore, 4, "one request per person, shown twice or not");
          await axeClean(page);
          await page.screenshot({ path: join(SCREENSHOTS, `avatars-${name}-${scheme}.png`), fullPage: true });
          // Its attributes (set as properties, as frameworks do) change what it shows: another
          // person with a name of the page's and no picture, then a picture again.
          const first = shown.find((a) => a.section === "people").user;
          await page.evaluate((user) => {
            const avatar = document.getElementById("portrait");
            avatar.user = user;
            avatar.name = "Zoë Quinn";
            avatar.src = null;
          }, first);
          const said = `Zoë Quinn, ${ENGLISH[users.get(first).availability]}`;
          try {
            await page.waitForFunction((said) => {
              const root = document.getElementById("portrait").shadowRoot;
              return root.querySelector(".presence-avatar__initials")?.dataset.initials === "ZQ"
                && !root.querySelector("img")
                && root.querySelector(".presence-avatar").getAttribute("aria-label").startsWith(said);
            }, { timeout: 10000, polling: 100 }, said);
          } catch {
            throw new Error(`the avatar did not follow its attributes: ${JSON.stringify((await avatars(page)).find((a) => a.id === "portrait"))}`);
          }
          await page.evaluate(() => { document.getElementById("portrait").src = "people/portrait.svg"; });
          await page.waitForFunction(() => {
            const img = document.getElementById("portrait").shadowRoot.querySelector("img");
            return img?.complete && img.naturalWidth > 0;
          }, { timeout: 10000, polling: 100 });
          assert.deepEqual(problems.filter((p) => p.startsWith("uncaught")), []);
        } finally {
          await session.close();
        }
      }
    });
  }
});
