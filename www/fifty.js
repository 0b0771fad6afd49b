// Fifty badges for fifty Graph people: how many requests a poll makes, and how long after the
// page's load event every badge shows a status. The figures are on the page and in
// window.presenceFigures for `cargo xtask bench` (e2e/bench/fifty.mjs).
import init, { configure } from "/pkg/presence_widgets.js";
import { PROVIDERS, people, simSource, el } from "./providers.js";

const COUNT = 50;
const shown = new Set();
let loadedAt = null;
window.addEventListener("load", () => { loadedAt = performance.now(); });
window.presenceFigures = { badges: COUNT, shown: 0, loadToAllShownMs: null };

document.addEventListener("presence-change", (event) => {
  shown.add(event.detail.user);
  window.presenceFigures.shown = shown.size;
  if (shown.size === COUNT && window.presenceFigures.loadToAllShownMs === null) {
    const at = performance.now();
    const since = loadedAt ?? at;
    window.presenceFigures.loadToAllShownMs = Math.round((at - since) * 10) / 10;
    document.getElementById("result").textContent =
      `All ${COUNT} badges show a status ${window.presenceFigures.loadToAllShownMs} ms after the load event.`;
  }
});

async function main() {
  const graph = PROVIDERS.find((p) => p.kind === "graph");
  const ids = (await people("graph")).slice(0, COUNT);
  const holder = document.getElementById("badges");
  for (const person of ids) {
    holder.append(el("span", { class: "person" }, el("span", { class: "who" }, person.name),
      el("presence-badge", { source: "teams", user: person.id, "show-label": true })));
  }
  await init();
  configure({ sources: { teams: simSource(graph, { intervalMs: 5000 }) } });
}

main().catch((error) => {
  document.getElementById("result").textContent = `Could not start: ${error.message}`;
  console.error(error);
});
