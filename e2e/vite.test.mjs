// A fresh Vite 7 project, made in target/e2e/vite-app from the template in e2e/vite-app, installs
// the npm package from disk (npm pack of pkg/), builds without a warning about the package, and
// renders a <presence-badge> in each browser.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { resolve, join } from "node:path";
import { BROWSERS, freePort, launch, open, run, runOutput, sim, SIM } from "./helpers.mjs";

const PKG = resolve(process.env.PKG_DIR ?? "../pkg");
const WORK = resolve(process.env.VITE_WORK ?? "../target/e2e");
const VITE = "7.3.8";

/** Waits until `url` answers, or the preview server exits. */
async function answers(url, preview) {
  let exited = null;
  preview.on("exit", (code) => { exited = code; });
  for (;;) {
    if (exited !== null) throw new Error(`vite preview exited (${exited})`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("a fresh Vite 7 project", () => {
  let person;
  let url;
  let preview;

  before(async () => {
    const app = join(WORK, "vite-app");
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(app, { recursive: true });
    run("npm", ["pack", PKG, "--pack-destination", WORK, "--silent"], WORK);
    const tarball = readdirSync(WORK).find((f) => f.endsWith(".tgz"));
    assert.ok(tarball, "npm pack made a tarball");
    cpSync(resolve("vite-app"), app, { recursive: true });
    writeFileSync(join(app, "package.json"), JSON.stringify({
      name: "fresh-vite-app", private: true, type: "module",
      dependencies: { "presence-widgets": `file:${join(WORK, tarball)}` },
      devDependencies: { vite: VITE },
    }, null, 2));
    run("npm", ["install", "--no-audit", "--no-fund"], app);
    [person] = await sim("GET", "/_sim/users?provider=graph");
    const built = runOutput("npx", ["vite", "build"], app, { VITE_SIM_URL: SIM, VITE_USER: person.id });
    // Vite says nothing of the package: no file it cannot find (words.json's second place).
    assert.doesNotMatch(built, /doesn't exist at build time|words\.json/, "Vite warns of nothing in the package");
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    preview = spawn("npx", ["vite", "preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"],
      { cwd: app, stdio: "ignore", detached: true });
    await answers(url, preview);
  });

  after(() => {
    if (!preview) return;
    try { process.kill(-preview.pid); } catch { preview.kill(); }
  });

  for (const name of BROWSERS) {
    test(`${name}: installs pkg/ from disk, builds and renders a badge`, async () => {
      const session = await launch(name);
      try {
        const { page, problems } = await open(session, url);
        await page.waitForFunction(() => {
          const l = document.querySelector("presence-badge")?.shadowRoot?.querySelector(".presence-dot")?.getAttribute("aria-label");
          return l && l !== "Loading status";
        }, { timeout: 15000 });
        const text = await page.$eval("presence-badge >>> .presence-dot", (d) => d.getAttribute("aria-label"));
        const expected = { Available: "Available", Busy: "Busy", Away: "Away", Offline: "Offline", DoNotDisturb: "Do not disturb", BeRightBack: "Be right back" }[person.availability];
        assert.ok(expected && text.startsWith(expected), `${text} for ${person.availability}`);
        assert.deepEqual(problems.filter((p) => p.startsWith("uncaught")), []);
      } finally {
        await session.close();
      }
    });
  }
});
