// Accessibility checked by a rules engine: axe-core runs in the demo, the gallery and the 50-badge
// page, light and dark, in each browser, shadow roots included, and any violation of impact
// serious or critical fails the test with its rule, where it is and what is wrong.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BROWSERS, launch, open, sim, axe, describeViolations } from "./helpers.mjs";

const PAGES = [
  {
    path: "/",
    ready: () => document.getElementById("status")?.textContent.startsWith("Live")
      && [...document.querySelectorAll("presence-badge")].length === 16
      && [...document.querySelectorAll("presence-badge")].every((b) => b.shadowRoot?.querySelector(".presence-badge--fresh"))
      && [...document.querySelectorAll("presence-list")].every((l) => l.shadowRoot?.querySelector("[role=option]")),
  },
  {
    // Every state, loading included.
    path: "/gallery.html?hold-loading",
    ready: () => document.body.dataset.ready === "true"
      && document.querySelector("#list presence-list")?.shadowRoot?.querySelector("[role=option]"),
  },
  {
    path: "/fifty.html",
    ready: () => window.presenceFigures?.shown === 50 && [...document.querySelectorAll("presence-badge")]
      .every((b) => b.shadowRoot?.querySelector(".presence-badge--fresh")),
  },
];

after(async () => { await sim("DELETE", "/_sim/faults"); });

for (const name of BROWSERS) {
  describe(name, () => {
    test("axe-core reaches into open shadow roots and reports what it finds there", async () => {
      const session = await launch(name);
      try {
        const { page, context } = await open(session, "/fifty.html");
        await page.evaluate(() => {
          const host = document.createElement("div");
          host.id = "axe-probe";
          host.attachShadow({ mode: "open" }).innerHTML = '<button type="button"></button>';
          document.body.append(host);
        });
        const { violations } = await axe(page, "#axe-probe");
        const found = violations.find((v) => v.id === "button-name");
        assert.ok(found, `axe finds the nameless button in the shadow root: ${JSON.stringify(violations)}`);
        assert.ok(found.nodes.every((n) => n.shadow), `reported with its shadow path: ${JSON.stringify(found.nodes)}`);
        await context.close();
      } finally {
        await session.close();
      }
    });

    for (const colorScheme of ["light", "dark"]) {
      describe(colorScheme, () => {
        let session;
        before(async () => { session = await launch(name, { colorScheme }); });
        after(async () => {
          await session?.close();
          await sim("DELETE", "/_sim/faults");
        });

        for (const { path, ready } of PAGES) {
          test(`${path}: no serious or critical axe-core violation`, async () => {
            const { page, context } = await open(session, path);
            try {
              // A slow machine only waits longer (the gallery sets up thirteen states first).
              await page.waitForFunction(ready, { timeout: 45000 });
              const scheme = await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
              assert.equal(scheme, colorScheme);
              const { violations, shadowChecked } = await axe(page);
              assert.ok(shadowChecked.some((n) => n.html.includes("presence-dot")),
                `axe checked the badges inside their shadow roots (${shadowChecked.length} shadow nodes)`);
              const minor = violations.filter((v) => !["serious", "critical"].includes(v.impact));
              if (minor.length) console.log(`# ${name}, ${colorScheme}, ${path}, not failing:\n# ${describeViolations(minor).replace(/\n/g, "\n# ")}`);
              const serious = violations.filter((v) => ["serious", "critical"].includes(v.impact));
              assert.deepEqual(serious.map((v) => v.id), [],
                `${name}, ${colorScheme}, ${path}:\n${describeViolations(serious)}`);
            } finally {
              await context.close();
              await sim("DELETE", "/_sim/faults");
            }
          });
        }
      });
    }
  });
}
