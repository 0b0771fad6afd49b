// The status picker for each simulated service: you are its first person (the simulator's
// convention for who a token acts as). Beside each picker, a badge of the same person shows the
// pick at once. `?providers=rocketchat,graph` picks the services; `?user=<id>` another person
// (whose writes the simulator refuses, unless `PUT /_sim/writers` allows them).
import init, { configure, mode } from "/pkg/presence_widgets.js";
import { PROVIDERS, people, simSource, el } from "./providers.js";

const params = new URLSearchParams(location.search);
const TEN_MINUTES = 600000;

async function main() {
  await init();
  window.presenceMode = mode;
  const wanted = (params.get("providers") ?? PROVIDERS.map((p) => p.kind).join(",")).split(",");
  const sources = {};
  const rows = [];
  for (const provider of PROVIDERS.filter((p) => wanted.includes(p.kind))) {
    // Pushed where the service pushes; polled rarely, so that what shows is the pick or a push.
    sources[provider.kind] = simSource(provider, { intervalMs: TEN_MINUTES, reconcileMs: TEN_MINUTES });
    const me = params.get("user") ?? (await people(provider.kind))[0].id;
    rows.push(el("div", { class: "status-row", id: `row-${provider.kind}` },
      el("span", { class: "who" }, provider.title),
      el("presence-status-picker", { source: provider.kind, user: me }),
      el("span", { class: "caption" }, "as others see you:"),
      el("presence-badge", { source: provider.kind, user: me, "show-label": true })));
  }
  const problems = configure({ sources });
  if (problems.length) throw new Error(problems.join("; "));
  if (!customElements.get("presence-status-picker")) {
    document.getElementById("pickers").textContent =
      "This build of the package has no status picker: it is in presence-widgets/live (cargo feature `write`).";
    document.body.dataset.ready = "none";
    return;
  }
  document.getElementById("pickers").append(...rows);
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  document.getElementById("pickers").textContent = `Could not start: ${error.message}`;
  console.error(error);
});
