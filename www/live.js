// One Rocket.Chat and one Genesys Cloud badge, polled every ten minutes and pushed: what a change
// costs when the service pushes it. `?rocketchat=<id>&genesys=<id>` picks the people (else the
// first of each); window.presenceMode(source) says how each source learns of changes.
import init, { configure, mode } from "/pkg/presence_widgets.js";
import { PROVIDERS, people, simSource, el } from "./providers.js";

const TEN_MINUTES = 600000;
const params = new URLSearchParams(location.search);

function line(kind) {
  const status = el("span", { class: "mode", id: `mode-${kind}` }, "…");
  const show = () => {
    const m = mode(kind);
    status.textContent = m ? (m.mode === "push" ? "pushed" : `polled: ${m.reason}`) : "not configured";
    status.dataset.mode = m?.mode ?? "";
  };
  document.addEventListener("presence-change", show);
  setInterval(show, 500);
  return status;
}

async function main() {
  await init();
  window.presenceMode = mode;
  const sources = {};
  const holder = document.getElementById("badges");
  for (const kind of ["rocketchat", "genesys"]) {
    const provider = PROVIDERS.find((p) => p.kind === kind);
    const user = params.get(kind) ?? (await people(kind))[0].id;
    // `?live=false` polls at the provider's default interval instead, for comparison.
    sources[kind] = params.get("live") === "false"
      ? simSource(provider, { intervalMs: undefined, live: false })
      : simSource(provider, { intervalMs: TEN_MINUTES, reconcileMs: TEN_MINUTES });
    holder.append(el("span", { class: "person" }, el("span", { class: "who" }, provider.title),
      el("presence-badge", { source: kind, user, "show-label": true }), line(kind)));
  }
  const problems = configure({ sources });
  if (problems.length) throw new Error(problems.join("; "));
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  document.getElementById("badges").textContent = `Could not start: ${error.message}`;
  console.error(error);
});
