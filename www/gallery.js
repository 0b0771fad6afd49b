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
  const [staleOne, failingOne] = graph.slice(STATES.length, STATES.length + 2);
  await sim("PUT", `/_sim/users/graph/${encodeURIComponent(staleOne.id)}`, { availability: "Busy", message: "In the lab" });
  await sim("PUT", `/_sim/users/graph/${encodeURIComponent(failingOne.id)}`, { availability: "Available" });
  const genesys = (await people("genesys"))[0];
  const so = (await people("superoffice"))[0];
  const staleToken = `gallery-stale-${Date.now()}`;
  const failingToken = `gallery-failing-${Date.now()}`;
  const errorToken = `gallery-error-${Date.now()}`;
  await sim("POST", "/_sim/auth/revoke", { provider: "genesys", token: errorToken });
  if (holdLoading) await sim("POST", "/_sim/faults", { provider: "superoffice", latency_ms: 600000 });

  await init();
  const problems = configure({
    sources: {
      states: simSource(byKind("graph"), { intervalMs: 600000 }),
      // Polled every second: stale three seconds after the last good answer.
      stale: simSource(byKind("graph"), { token: staleToken, intervalMs: 1000 }),
      // Polled every ten minutes: a failure keeps the presence as it was for half an hour.
      recent: simSource(byKind("graph"), { token: failingToken, intervalMs: 600000 }),
      failing: simSource(byKind("genesys"), { token: errorToken }),
      held: simSource(byKind("superoffice"), { timeoutMs: 600000 }),
    },
  });
  if (problems.length) throw new Error(problems.join("; "));

  const states = document.getElementById("states");
  for (const [i, [what]] of STATES.entries()) states.append(state(what, "states", graph[i].id));
  const staleBadge = state("Stale: the last status, kept while polls fail", "stale", staleOne.id);
  states.append(staleBadge);
  const failingBadge = state("The last poll failed a moment ago: shown as it was, the reason in the tooltip", "recent", failingOne.id);
  states.append(failingBadge);
  states.append(state("Error: never loaded", "failing", genesys.id));
  states.append(state("Loading", "held", so.id));

  const sizes = document.getElementById("sizes");
  for (const size of [10, 16, 24, 32]) sizes.append(el("presence-badge", { source: "states", user: graph[1].id, size }));

  const names = Object.fromEntries(graph.map((p) => [p.id, p.name]));
  document.getElementById("list").append(el("presence-list", {
    source: "states", users: graph.map((p) => p.id).join(","), names: JSON.stringify(names), group: true,
  }));
  document.getElementById("summary").append(el("presence-summary", { source: "states", users: graph.map((p) => p.id).join(",") }));

  // Once each of the two badges has its presence, revoke its token and poll again: the stale one
  // turns stale three seconds later, the other keeps its presence with the reason.
  const revoke = async (badge, token, source, until) => {
    const element = badge.querySelector("presence-badge");
    await new Promise((resolve) => element.addEventListener("presence-change", resolve, { once: true }));
    const failed = new Promise((resolve) => {
      const seen = (event) => {
        if (until(event.detail)) {
          element.removeEventListener("presence-error", seen);
          resolve();
        }
      };
      element.addEventListener("presence-error", seen);
    });
    await sim("POST", "/_sim/auth/revoke", { provider: "graph", token });
    refresh(source);
    await failed;
  };
  await Promise.all([
    revoke(staleBadge, staleToken, "stale", (detail) => detail.stale),
    revoke(failingBadge, failingToken, "recent", () => true),
  ]);
  status.textContent = "Ready.";
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  status.textContent = `Could not set up: ${error.message}`;
  console.error(error);
});
