// Every badge state, made real against presence-sim, for people and for screenshots.
import init, { configure, refresh } from "/pkg/presence_widgets.js";
import { PROVIDERS, sim, people, simSource, el } from "./providers.js";

const STATES = [
  ["Available", { availability: "Available" }],
  ["Busy, in a meeting", { availability: "Busy", activity: "InAMeeting", message: "Design review until 11:30" }],
  ["Do not disturb", { availability: "DoNotDisturb", activity: "Presenting" }],
  ["Be right back", { availability: "BeRightBack" }],
  ["Away", { availability: "Away" }],
  ["Offline", { availability: "Offline" }],
  ["Unknown", { availability: "Unknown" }],
  ["Out of office", { availability: "Away", activity: "OutOfOffice", message: "Back on Monday" }],
  ["Idle", { availability: "Available", activity: "Idle" }],
];

const byKind = (kind) => PROVIDERS.find((p) => p.kind === kind);
const status = document.getElementById("status");

function state(what, source, user) {
  return el("div", { class: "state" },
    el("presence-badge", { source, user, "show-label": true, size: 20 }),
    el("span", { class: "what" }, what));
}

async function main() {
  const holdLoading = new URLSearchParams(location.search).has("hold-loading");
  // The last people of the simulated world, so that the demo's panels keep theirs.
  const graph = (await people("graph")).slice(-(STATES.length + 3));
  for (const [i, [, body]] of STATES.entries()) {
    await sim("PUT", `/_sim/users/graph/${encodeURIComponent(graph[i].id)}`, body);
  }
  const rc = (await people("rocketchat"))[0];
  const genesys = (await people("genesys"))[0];
  const so = (await people("superoffice"))[0];
  const staleToken = `gallery-stale-${Date.now()}`;
  const errorToken = `gallery-error-${Date.now()}`;
  await sim("POST", "/_sim/auth/revoke", { provider: "genesys", token: errorToken });
  if (holdLoading) await sim("POST", "/_sim/faults", { provider: "superoffice", latency_ms: 600000 });

  await init();
  const problems = configure({
    sources: {
      states: simSource(byKind("graph"), { intervalMs: 600000 }),
      stale: simSource(byKind("rocketchat"), { authToken: staleToken, intervalMs: 600000 }),
      failing: simSource(byKind("genesys"), { token: errorToken }),
      held: simSource(byKind("superoffice"), { timeoutMs: 600000 }),
    },
  });
  if (problems.length) throw new Error(problems.join("; "));

  const states = document.getElementById("states");
  for (const [i, [what]] of STATES.entries()) states.append(state(what, "states", graph[i].id));
  const staleBadge = state("Stale: the last status, kept after a failed poll", "stale", rc.id);
  states.append(staleBadge);
  states.append(state("Error: never loaded", "failing", genesys.id));
  states.append(state("Loading", "held", so.id));

  const sizes = document.getElementById("sizes");
  for (const size of [10, 16, 24, 32]) sizes.append(el("presence-badge", { source: "states", user: graph[1].id, size }));

  const names = Object.fromEntries(graph.map((p) => [p.id, p.name]));
  document.getElementById("list").append(el("presence-list", {
    source: "states", users: graph.map((p) => p.id).join(","), names: JSON.stringify(names), group: true,
  }));
  document.getElementById("summary").append(el("presence-summary", { source: "states", users: graph.map((p) => p.id).join(",") }));

  // Stale: once the Rocket.Chat badge has its presence, revoke its token and poll again.
  await new Promise((resolve) => {
    staleBadge.querySelector("presence-badge").addEventListener("presence-change", resolve, { once: true });
  });
  await sim("POST", "/_sim/auth/revoke", { provider: "rocketchat", token: staleToken });
  refresh("stale");
  await new Promise((resolve) => {
    staleBadge.querySelector("presence-badge").addEventListener("presence-error", resolve, { once: true });
  });
  status.textContent = "Ready.";
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  status.textContent = `Could not set up: ${error.message}`;
  console.error(error);
});
