// The page's language: a German list and summary, a French badge inside a shadow root, a badge
// with its own `lang="ja"`, and a Spanish badge that e2e/languages.test.mjs switches to Italian.
import init, { configure } from "/pkg/presence_widgets.js";
import { PROVIDERS, people, simSource, el } from "./providers.js";

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
  document.querySelector("#spanish .people").append(
    el("presence-badge", { source: "teams", user: ids[2], "show-label": true }));
  await init();
  configure({
    sources: { teams: simSource(graph) },
    labels: { filter: "Suchen…" },
  });
}

main().catch((error) => {
  document.querySelector("main").append(el("p", { role: "alert" }, `Could not start: ${error.message}`));
  console.error(error);
});
