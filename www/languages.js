// The page's language: a German list and summary, a French badge inside a shadow root, a badge
// with its own `lang="ja"`, a German badge whose polls fail until it is stale (its age in words
// from Intl), and a Spanish badge that e2e/languages.test.mjs switches to Italian.
import init, { configure, refresh } from "/pkg/presence_widgets.js";
import { PROVIDERS, people, simSource, el, sim } from "./providers.js";

async function main() {
  const graph = PROVIDERS.find((p) => p.kind === "graph");
  const ids = (await people("graph")).slice(0, 8).map((p) => p.id);
  const names = Object.fromEntries((await people("graph")).slice(0, 8).map((p) => [p.id, p.name]));
  document.querySelector("#german .people").append(
    el("presence-summary", { source: "teams", users: ids.join(",") }),
    el("presence-list", { source: "teams", users: ids.join(","), names: JSON.stringify(names), group: true }),
  );
  const shadow = document.getElementById("shadow-host").attachShadow({ mode: "open" });
  shadow.append(el("presence-badge", { source: "teams", user: ids[0], "show-label": true }));
  document.querySelector("#japanese .people").append(
    el("presence-badge", { source: "teams", user: ids[1], "show-label": true, lang: "ja" }));
  const stale = el("presence-badge", { source: "stale", user: ids[3], "show-label": true });
  document.querySelector("#stale .people").append(stale);
  document.querySelector("#spanish .people").append(
    el("presence-badge", { source: "teams", user: ids[2], "show-label": true }));
  await init();
  // Polled every second with a token of its own, revoked once the badge has its presence:
  // stale three seconds later.
  const token = `languages-stale-${Date.now()}`;
  const shown = new Promise((resolve) => stale.addEventListener("presence-change", resolve, { once: true }));
  configure({
    sources: { teams: simSource(graph), stale: simSource(graph, { token, intervalMs: 1000 }) },
    labels: { filter: "Suchen…" },
  });
  await shown;
  await sim("POST", "/_sim/auth/revoke", { provider: "graph", token });
  refresh("stale");
}

main().catch((error) => {
  document.querySelector("main").append(el("p", { role: "alert" }, `Could not start: ${error.message}`));
  console.error(error);
});
