// The package in the four frameworks most pages are built with: React 19, Vue 3, Angular 21 and
// Svelte 5. Run last, once the package's three entries are built: each app under e2e/frameworks/
// installs the package from disk (npm pack of pkg/, as published), is type-checked (the default
// entry's typings, and the live entry's in react/live-types.tsx) and built with its framework's
// own tooling, and is served from an origin of its own. In Chromium and Firefox each shows a live badge read from presence-sim, hears its
// presence-change through the framework's own event binding, and shows the next person when the
// app changes the badge's `user`. The React app also renders on the server, in Node, where the
// package is imported without `window`; the browser then hydrates that HTML.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { extname, join, normalize, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { BROWSERS, SCREENSHOTS, freePort, launch, open, ours, run, sim, SIM } from "../helpers.mjs";

const PKG = resolve(process.env.PKG_DIR ?? "../pkg");
const APPS = resolve("frameworks");
const WORK = resolve(process.env.VITE_WORK ?? "../target/e2e", "../frameworks");
const BIN = join(APPS, "node_modules", ".bin");
// Each app's page: Angular's builder writes the browser's files under `browser/`.
const PAGES = { react: "react/", vue: "vue/", angular: "angular/browser/", svelte: "svelte/", "react-ssr": "react-ssr/" };
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".json": "application/json", ".svg": "image/svg+xml" };
const GERMAN = JSON.parse(readFileSync(join(PKG, "words.json"), "utf8")).de;
const WORDS = { Available: "Available", Busy: "Busy", Away: "Away", Offline: "Offline", DoNotDisturb: "Do not disturb", BeRightBack: "Be right back" };

/** The apps' dependencies as their lockfile says, then the package as npm packs it. */
function install() {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  run("npm", ["ci", "--no-audit", "--no-fund"], APPS);
  run("npm", ["pack", PKG, "--pack-destination", WORK, "--silent"], WORK);
  const tarball = readdirSync(WORK).find((f) => f.endsWith(".tgz"));
  assert.ok(tarball, "npm pack made a tarball");
  run("npm", ["install", "--no-save", "--no-audit", "--no-fund", join(WORK, tarball)], APPS);
  // The server entry, built into WORK, imports react-dom and the package as a server would:
  // from node_modules, which Node finds beside it.
  symlinkSync(join(APPS, "node_modules"), join(WORK, "node_modules"), "dir");
}

/** Each app type-checked and built by its own tooling into WORK/<framework>. */
function build() {
  const out = (name) => ({ OUT_DIR: join(WORK, name) });
  run(join(BIN, "tsc"), ["-p", "react"], APPS);
  run(join(BIN, "tsc"), ["-p", "react/tsconfig.live.json"], APPS);
  run(join(BIN, "vite"), ["build", "--logLevel", "warn"], join(APPS, "react"), out("react"));
  run(join(BIN, "vite"), ["build", "--logLevel", "warn", "--ssr", "src/entry-server.tsx"], join(APPS, "react"), out("react-server"));
  run(join(BIN, "vue-tsc"), ["-p", "vue"], APPS);
  run(join(BIN, "vite"), ["build", "--logLevel", "warn"], join(APPS, "vue"), out("vue"));
  run(join(BIN, "vite"), ["build", "--logLevel", "warn"], join(APPS, "svelte"), out("svelte"));
  run(join(BIN, "ng"), ["build", "--output-path", join(WORK, "angular")], APPS, { NG_CLI_ANALYTICS: "false" });
}

/** Serves WORK: each app's build at /<framework>/, and the React app rendered on the server at
 * /react-ssr/ (its HTML made per request by the server entry, in this Node process). */
async function serve() {
  const server = await import(pathToFileURL(join(WORK, "react-server", "entry-server.js")).href);
  const template = readFileSync(join(WORK, "react", "index.html"), "utf8");
  const http = createServer((request, response) => {
    const url = new URL(request.url, "http://localhost");
    let path = decodeURIComponent(url.pathname);
    if (path === "/react-ssr/") {
      const people = (url.searchParams.get("people") ?? "").split(",").filter(Boolean);
      const html = template.replace("<!--app-->", server.render(people)).replaceAll("./assets/", "../react/assets/");
      response.writeHead(200, { "content-type": "text/html" }).end(html);
      return;
    }
    if (path === "/favicon.ico") {
      response.writeHead(204).end();
      return;
    }
    if (path.endsWith("/")) path += "index.html";
    const file = normalize(join(WORK, path));
    if (!file.startsWith(WORK) || !existsSync(file) || !extname(file)) {
      response.writeHead(404).end("not found");
      return;
    }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  const port = await freePort();
  await new Promise((ok) => http.listen(port, "127.0.0.1", ok));
  return { http, render: server.render, url: `http://127.0.0.1:${port}` };
}

/** What the badge's dot says, and what the app last heard from presence-change. */
function shown(page) {
  return page.evaluate(() => ({
    label: document.querySelector("presence-badge")?.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label") ?? null,
    user: document.querySelector("presence-badge")?.user ?? null,
    heard: document.getElementById("changed")?.textContent ?? null,
  }));
}

/** Waits until the badge shows `person` and, with `heard`, the app heard presence-change say so. */
async function showsPerson(page, person, what, { heard = true } = {}) {
  const word = WORDS[person.availability];
  const said = heard ? `${person.id}: ${person.availability}` : null;
  try {
    await page.waitForFunction((word, said) => {
      const label = document.querySelector("presence-badge")?.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label");
      return label?.startsWith(word) && (said === null || document.getElementById("changed")?.textContent === said);
    }, { timeout: 20000, polling: 100 }, word, said);
  } catch {
    throw new Error(`${what}: wanted the badge to say ${word}${said ? ` and the app to have heard "${said}"` : ""}, the page shows ${JSON.stringify(await shown(page))}`);
  }
}

describe("React 19, Vue 3, Angular 21 and Svelte 5 apps", () => {
  let site;
  let people;

  before(async () => {
    install();
    build();
    site = await serve();
    // Two people whose statuses differ, so that the second one shows.
    const all = await sim("GET", "/_sim/users?provider=graph");
    const first = all.find((p) => WORDS[p.availability]);
    const second = all.find((p) => WORDS[p.availability] && p.availability !== first.availability);
    assert.ok(first && second, "the simulator has two people of different statuses");
    people = [first, second];
  });

  after(() => site?.http.close());

  test("the React app renders on the server, in Node, with the package imported and nothing defined", () => {
    assert.equal(typeof window, "undefined");
    assert.equal(typeof customElements, "undefined");
    const html = site.render(people.map((p) => p.id));
    assert.match(html, new RegExp(`<presence-badge id="badge" source="teams" user="${people[0].id}" show-label=""`));
    assert.match(html, /<p id="changed">nothing yet<\/p>/);
  });

  for (const name of BROWSERS) {
    describe(name, () => {
      // One browser for the five pages, each in a context of its own.
      let session;
      before(async () => { session = await launch(name); });
      after(() => session?.close());

      for (const [framework, path] of Object.entries(PAGES)) {
        test(`${framework}: a live badge, presence-change through the framework's binding, the next person`, async () => {
          const query = `?sim=${encodeURIComponent(SIM)}&people=${people.map((p) => p.id).join(",")}`;
          const { page, problems, context } = await open(session, `${site.url}/${path}${query}`);
          try {
            // Hydrated, React 19 binds `onpresence-change` only at the next render
            // (facebook/react#35446): the first person's event is not heard there.
            await showsPerson(page, people[0], `${framework}, first person`, { heard: framework !== "react-ssr" });
            if (name === "chromium") await page.screenshot({ path: join(SCREENSHOTS, `framework-${framework}.png`) });
            await page.click("#next");
            await showsPerson(page, people[1], `${framework}, after "Next person"`);
            if (framework === "angular" || framework === "vue") {
              // The word tables: an asset Vite emits from the package's `new URL(…)`, and one
              // that Angular's build copies (angular.json), found beside its bundle.
              const german = GERMAN[people[1].availability];
              await page.waitForFunction((word) => document.getElementById("german")?.shadowRoot
                ?.querySelector(".presence-dot")?.getAttribute("aria-label")?.startsWith(word),
              { timeout: 20000, polling: 100 }, german).catch(async () => {
                throw new Error(`${framework}: the German badge does not say ${german}: ${await page.$eval("#german", (b) => b.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label"))}`);
              });
            }
            assert.equal((await shown(page)).user, people[1].id, "the badge's user is the second person");
            assert.deepEqual(ours(problems).filter((p) => p.startsWith("uncaught") || p.startsWith("error")), []);
          } finally {
            await context.close();
          }
        });
      }
    });
  }
});
