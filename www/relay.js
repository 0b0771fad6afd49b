// The fifth panel: Graph and Rocket.Chat people read through presence-relay with the package's
// relay build (`presence-widgets/relay`, no adapters in it). `?relay=<url>` says where the relay
// is (else the simulator's /_sim/site says, as `cargo xtask demo` sets it); `?people=N` how many.
// window.presenceMode(source) says how each source learns of changes; window.relayToken() is
// the token callback (tests count its calls).
import init, { configure, mode } from "/pkg/relay/presence_widgets.js";
import { people, sim, el } from "./providers.js";

const params = new URLSearchParams(location.search);
let RELAY = "";
const COUNT = Number(params.get("people") ?? 12);
let tokens = 0;

/** The viewer's token for the relay: from presence-sim, the demo's identity provider. A page
 * would take it from its own sign-in (MSAL, an OIDC client). Never shown, stored or put in a URL. */
async function token() {
  tokens += 1;
  const answer = await fetch("/_sim/oidc/mint", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sub: "demo-viewer", expiresIn: Number(params.get("tokenSeconds") ?? 3600) }),
  });
  if (!answer.ok) throw new Error(`the demo's issuer answered ${answer.status}`);
  return (await answer.json()).token;
}

function describe(source) {
  const m = mode(source);
  return m ? (m.mode === "push" ? "pushed to the relay" : m.reason) : "…";
}

async function showStats() {
  const where = document.getElementById("relay-where");
  where.textContent = `teams: ${describe("teams")} · chat: ${describe("chat")}`;
  try {
    const health = await (await fetch(`${RELAY}/healthz`)).json();
    const watched = Object.entries(health.sources).map(([name, s]) => `${name} ${s.watched}`).join(", ");
    document.getElementById("relay-stats").textContent =
      `The relay serves ${health.viewers} stream(s) and reads ${watched} people upstream, whatever the number of pages.`;
  } catch (e) {
    document.getElementById("relay-stats").textContent = `The relay at ${RELAY} cannot be reached: ${e.message}`;
  }
}

async function main() {
  RELAY = (params.get("relay") ?? (await sim("GET", "/_sim/site"))?.relay ?? "").replace(/\/$/, "");
  if (!RELAY) {
    document.getElementById("relay-stats").textContent =
      "No presence-relay was started with this simulator: `cargo xtask demo` starts one.";
    document.body.dataset.ready = "none";
    return;
  }
  await init();
  window.presenceMode = mode;
  window.relayToken = () => tokens;
  document.getElementById("relay-link").href = `${RELAY}/healthz`;
  const relay = { kind: "relay", baseUrl: RELAY, token };
  const problems = configure({
    sources: { teams: { ...relay, source: "teams" }, chat: { ...relay, source: "chat" } },
  });
  if (problems.length) throw new Error(problems.join("; "));
  const graph = (await people("graph")).slice(0, COUNT);
  const chat = (await people("rocketchat")).slice(0, 3);
  const ids = graph.map((p) => p.id).join(",");
  document.getElementById("relay-summary").setAttribute("users", ids);
  const list = document.getElementById("relay-list");
  list.setAttribute("users", ids);
  list.setAttribute("names", JSON.stringify(Object.fromEntries(graph.map((p) => [p.id, p.name]))));
  document.getElementById("relay-badges").replaceChildren(
    ...[...graph.slice(0, 2).map((p) => ["teams", p]), ...chat.map((p) => ["chat", p])].map(([source, p]) =>
      el("span", { class: "person" }, el("span", { class: "who", title: p.name }, p.name),
        el("presence-badge", { source, user: p.id, "show-label": true, size: 18 }))));
  document.addEventListener("presence-change", () => showStats());
  setInterval(showStats, 2000);
  await showStats();
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  document.getElementById("relay-stats").textContent = `Could not start: ${error.message}`;
  console.error(error);
});
