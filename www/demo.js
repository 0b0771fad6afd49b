// The demo: four panels against presence-sim, a live request counter per provider, each panel's
// mode (pushed, or polled and why), fault controls for the answers and for the push sockets, code
// samples that match what each panel runs, and a form for a real service.
import init, { configure, refresh, mode } from "/pkg/presence_widgets.js";
import { PROVIDERS, sim, people, simSource, el } from "./providers.js";

const LIST_SIZE = 40;
const BADGES = 4;
const status = document.getElementById("status");
const panels = new Map();

const FAULTS = [
  { label: "HTTP 500", fault: { http_500: 1.0 } },
  { label: "429 for 10 s", fault: { http_429: 1.0, retry_after_ms: 10000 } },
  { label: "Slow (4 s)", fault: { latency_ms: 4000 } },
  { label: "Broken JSON", fault: { truncated: 1.0 } },
  { label: "HTML page", fault: { non_json: 1.0 } },
  { label: "Drop", fault: { drop: 1.0 } },
];

// Faults of the push sockets, for the providers that push (see the simulator's /_sim/faults).
// An action is done once, now; the others hold until Heal, as the faults above do. A fault that
// only a new socket meets (a refused subscription, the broadcast turned off) drops the open ones
// too, so that the panel meets it now rather than at its next reconnection.
const PUSH_FAULTS = [
  { label: "Drop sockets", fault: { drop_sockets: true }, action: true, kinds: ["rocketchat", "genesys"],
    title: "Closes the push sockets now: the panel polls, then opens a socket again" },
  { label: "Socket closing", fault: { socket_closing: true }, action: true, kinds: ["genesys"],
    title: "Sends v2.system.socket_closing: the panel moves to a new socket" },
  { label: "No heartbeats", fault: { no_heartbeats: true }, kinds: ["rocketchat", "genesys"],
    title: { rocketchat: "The server stops pinging and answering pings: the panel stays live while presence frames keep coming, and polls after 35 s without a frame",
      genesys: "The channel's heartbeat stops: the panel stays live while presence frames keep coming, and polls after 75 s without a frame" } },
  { label: "Refuse subscriptions", fault: { reject_subscriptions: true }, drop: true, kinds: ["rocketchat", "genesys"],
    title: "Drops the sockets and refuses to subscribe to anyone's presence on new ones: the panel polls until Heal" },
  { label: "Presence broadcast off", fault: { presence_broadcast: false }, drop: true, kinds: ["rocketchat"],
    title: "Drops the sockets and turns the server's presence broadcast off: nothing is pushed, the panel polls until Heal" },
  { label: "Garbage frames", fault: { garbage_frames: true }, kinds: ["rocketchat", "genesys"],
    title: "A frame that is not JSON before every real one: the panel skips them and stays live" },
];

// What /_sim/faults holds for a provider with no fault, to say only what differs.
const NO_FAULT = { latency_ms: 0, http_500: 0, http_429: 0, truncated: 0, non_json: 0, drop: 0,
  retry_after_ms: null, no_heartbeats: false, reject_subscriptions: false, presence_broadcast: true,
  garbage_frames: false };

function codeSample(source, config, users, authSample) {
  const ids = users.slice(0, 3).join(",");
  const options = [`kind: "${config.kind}"`, `baseUrl: "${config.baseUrl}"`, authSample];
  if (config.intervalMs) options.push(`intervalMs: ${config.intervalMs}`);
  return [
    `<script type="module">`,
    `  import init, { configure } from "presence-widgets";`,
    `  await init();`,
    `  configure({ sources: { "${source}": { ${options.join(", ")} } } });`,
    `</script>`,
    `<presence-summary source="${source}" users="${ids},…"></presence-summary>`,
    `<presence-badge source="${source}" user="${users[0] ?? "id"}" show-label></presence-badge>`,
    `<presence-list source="${source}" users="${ids},…" group></presence-list>`,
  ].join("\n");
}

function point(panel, source, users, names, config, authSample, captions = names) {
  const idList = users.join(",");
  panel.summary.setAttribute("source", source);
  panel.summary.setAttribute("users", idList);
  panel.list.setAttribute("source", source);
  panel.list.setAttribute("users", idList);
  if (names) panel.list.setAttribute("names", JSON.stringify(names));
  else panel.list.removeAttribute("names");
  panel.badges.replaceChildren(...users.slice(0, BADGES).map((id) => {
    const who = captions?.[id] ?? id;
    return el("span", { class: "person" },
      el("span", { class: "who", title: who }, who),
      el("presence-badge", { source, user: id, "show-label": true, size: 18 }));
  }));
  panel.source.textContent = `${config.baseUrl} (source "${source}")`;
  panel.code.textContent = codeSample(source, config, users, authSample);
  panel.sourceName = source;
  panel.intervalMs = config.intervalMs;
  showMode(panel);
}

/** The panel's mode line: pushed, or polled and why, from the library's own words. Written only
 * when it changes, so that a screen reader hears each change once. */
function showMode(panel, detail) {
  const now = detail ? { mode: detail.mode, reason: detail.modeReason } : mode(panel.sourceName);
  const every = panel.intervalMs ? ` every ${panel.intervalMs / 1000} s` : "";
  const text = !now ? "Not configured"
    : now.mode === "push" ? "Live: pushed by the service"
    : `Polled${every}: ${now.reason ?? "no reason given"}`;
  if (panel.mode.textContent !== text) panel.mode.textContent = text;
  panel.mode.dataset.mode = now?.mode ?? "";
}

/** A fault button: an action is posted once; a lasting fault shows whether it holds. */
function faultButton(provider, { label, fault, action, drop, title }, toggles) {
  const button = el("button", { type: "button", title: title?.[provider.kind] ?? title,
    "aria-pressed": action ? null : "false" }, label);
  button.addEventListener("click", async () => {
    await sim("POST", "/_sim/faults", { provider: provider.kind, ...fault, ...(drop ? { drop_sockets: true } : {}) });
    if (!action) refresh(provider.kind);
    showFaults();
  });
  if (!action) toggles.push({ button, fault });
  return button;
}

function buildPanel(provider) {
  const requests = el("span", { class: "requests", "aria-live": "off" }, "0 requests");
  const summary = el("presence-summary");
  const badges = el("div", { class: "badges" });
  const list = el("presence-list", { group: true });
  const modeLine = el("p", { class: "mode", role: "status" }, "…");
  const faultState = el("p", { class: "fault-state", role: "status" });
  const toggles = [];
  const faults = el("div", { class: "faults", role: "group", "aria-label": `Break ${provider.title}` });
  for (const spec of FAULTS) faults.append(faultButton(provider, spec, toggles));
  const pushSpecs = PUSH_FAULTS.filter((f) => f.kinds.includes(provider.kind));
  const pushFaults = pushSpecs.length === 0 ? null
    : el("div", { class: "faults push-faults", role: "group", "aria-label": `Break ${provider.title}'s push` },
      el("span", { class: "group-label", "aria-hidden": "true" }, "Push:"),
      ...pushSpecs.map((spec) => faultButton(provider, spec, toggles)));
  const heal = el("button", { type: "button" }, "Heal");
  heal.addEventListener("click", async () => {
    await sim("DELETE", `/_sim/faults?provider=${provider.kind}`);
    refresh(provider.kind);
    showFaults();
  });
  faults.append(heal);
  const code = el("code");
  const source = el("p", { class: "source" });
  const section = el("section", { class: "panel", id: `panel-${provider.kind}`, "aria-labelledby": `title-${provider.kind}` },
    el("header", {}, el("h2", { id: `title-${provider.kind}` }, provider.title), requests),
    source, modeLine, summary, badges, list, faults, ...(pushFaults ? [pushFaults] : []), faultState,
    el("details", {}, el("summary", {}, "Code for this panel"), el("pre", {}, code)));
  // Every element fires presence-change when its person or its source's mode changes.
  section.addEventListener("presence-change", (event) => showMode(panel, event.detail));
  const panel = { provider, section, requests, summary, badges, list, faults, faultState, code, source,
    mode: modeLine, toggles, history: [] };
  return panel;
}

async function showFaults() {
  const active = await sim("GET", "/_sim/faults").catch(() => ({}));
  for (const panel of panels.values()) {
    const fault = active?.[panel.provider.kind];
    const differs = Object.fromEntries(Object.entries(fault ?? {}).filter(([k, v]) => NO_FAULT[k] !== v));
    const on = Object.keys(differs).length > 0;
    panel.faultState.textContent = on ? `Injected: ${JSON.stringify(differs)}` : "";
    for (const { button, fault: spec } of panel.toggles) {
      const pressed = on && Object.entries(spec).every(([k, v]) => fault[k] === v);
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
    }
  }
}

async function countRequests() {
  // A mode can change while no one's presence does (every poll failing): read it here too.
  for (const panel of panels.values()) showMode(panel);
  const stats = await sim("GET", "/_sim/stats").catch(() => null);
  if (!stats) return;
  const now = Date.now();
  for (const panel of panels.values()) {
    const endpoints = stats.providers?.[panel.provider.kind] ?? {};
    const total = Object.values(endpoints).reduce((sum, e) => sum + (e.requests ?? 0), 0);
    panel.history.push([now, total]);
    while (panel.history.length > 1 && panel.history[0][0] < now - 60000) panel.history.shift();
    const minute = total - panel.history[0][1];
    const push = stats.push?.[panel.provider.kind];
    const sockets = push ? ` · ${push.sockets_open} socket${push.sockets_open === 1 ? "" : "s"} open` : "";
    panel.requests.textContent = `${total} requests · ${minute} in the last minute${sockets}`;
  }
}

async function main() {
  await init();
  const sources = {};
  const everyone = new Map();
  for (const provider of PROVIDERS) {
    sources[provider.kind] = simSource(provider);
    everyone.set(provider.kind, (await people(provider.kind)).slice(0, LIST_SIZE));
  }
  const problems = configure({ sources });
  if (problems.length) throw new Error(problems.join("; "));
  for (const provider of PROVIDERS) {
    const panel = buildPanel(provider);
    panels.set(provider.kind, panel);
    const list = everyone.get(provider.kind);
    const captions = Object.fromEntries(list.map((p) => [p.id, p.name]));
    // Rocket.Chat names people itself; the others' lists get the names from the page.
    const names = provider.providerNames ? null : captions;
    point(panel, provider.kind, list.map((p) => p.id), names, sources[provider.kind], provider.authSample, captions);
    // The signed-in person (the simulator's first) sets their own status, where the package
    // has the picker (its live entry, which the demo serves).
    if (customElements.get("presence-status-picker") && list[0]) {
      panel.badges.before(el("p", { class: "you" },
        el("span", { class: "who" }, `You (${list[0].name}):`),
        el("presence-status-picker", { source: provider.kind, user: list[0].id })));
    }
    document.getElementById("panels").append(panel.section);
  }
  status.textContent = "Live: the simulator changes someone every few seconds.";
  await countRequests();
  await showFaults();
  setInterval(countRequests, 1000);
  setInterval(showFaults, 3000);
  realForm(sources, everyone);
}

function realForm(sources, everyone) {
  const form = document.getElementById("real-form");
  const result = document.getElementById("real-result");
  const kindSelect = form.elements.kind;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const kind = kindSelect.value;
    const provider = PROVIDERS.find((p) => p.kind === kind);
    const value = (name) => form.elements[name].value.trim();
    const config = { kind, baseUrl: value("baseUrl") };
    const fields = { graph: ["token"], genesys: ["token"], rocketchat: ["userId", "authToken"], superoffice: ["authorization", "appToken"] }[kind];
    for (const f of fields) if (value(f)) config[f] = value(f);
    const users = value("users").split(/[\s,]+/).filter(Boolean);
    const source = `real-${kind}`;
    const problems = configure({ sources: { [source]: config } });
    for (const f of fields) form.elements[f].value = "";
    if (problems.length) {
      result.className = "result error";
      result.textContent = problems.join(" ");
      return;
    }
    point(panels.get(kind), source, users, null, config, provider.authSample);
    result.className = "result";
    result.textContent = `The ${provider.title} panel now reads ${config.baseUrl}.`;
  });
  document.getElementById("real-reset").addEventListener("click", () => {
    for (const provider of PROVIDERS) {
      const list = everyone.get(provider.kind);
      const captions = Object.fromEntries(list.map((p) => [p.id, p.name]));
      const names = provider.providerNames ? null : captions;
      point(panels.get(provider.kind), provider.kind, list.map((p) => p.id), names, sources[provider.kind], provider.authSample, captions);
    }
    result.className = "result";
    result.textContent = "Every panel reads the simulator again.";
  });
}

/** Shows the credential fields of the chosen kind only. */
function credentialFields() {
  const form = document.getElementById("real-form");
  const kindSelect = form.elements.kind;
  const showFields = () => {
    for (const label of form.querySelectorAll("label[data-for]")) {
      label.hidden = !label.dataset.for.split(" ").includes(kindSelect.value);
    }
  };
  kindSelect.addEventListener("change", showFields);
  showFields();
}

credentialFields();
main().catch((error) => {
  status.className = "status error";
  status.textContent = `The demo could not start: ${error.message}`;
  console.error(error);
});

// The fifth panel, when the simulator says where the demo's presence-relay is.
sim("GET", "/_sim/site").then((site) => {
  if (site?.relay) {
    const frame = document.getElementById("relay-panel");
    frame.src = `relay.html?relay=${encodeURIComponent(site.relay)}`;
    frame.hidden = false;
  } else {
    document.getElementById("relay-missing").hidden = false;
  }
}).catch((error) => console.error(error));
