// Hundreds of badges for as many Graph people: the time from navigation to each step of
// starting (module loaded, wasm initialised, configure(), the first presence request, the end of
// its answers, every badge shown), then, on demand, one change and add/remove cycles. The figures
// are in window.presenceFigures for `cargo xtask bench` (e2e/bench/startup.mjs), which gives
// the ids in window.presenceBenchIds before the page loads, so no request comes before ours.
const moduleAt = performance.now();
import init, { configure, refresh, watched } from "/pkg/presence_widgets.js";
import { PROVIDERS, people, sim, simSource, el } from "./providers.js";

const COUNT = Math.min(2000, Math.max(1, Number(new URLSearchParams(location.search).get("badges") ?? 600)));
const READ = "getPresencesByUserId";
const round = (ms) => Math.round(ms * 10) / 10;
const holder = document.getElementById("badges");
const figures = window.presenceFigures = { badges: COUNT, module: round(moduleAt) };
let wasm = null;

/** Presence reads the page made since `since` (performance time), by resource timing. */
function reads(since) {
  return performance.getEntriesByType("resource")
    .filter((e) => e.name.includes(READ) && e.startTime >= since);
}

/** Badges that show something other than "loading". */
function shown(badge) {
  return badge.shadowRoot?.querySelector(".presence-badge:not(.presence-badge--loading)") != null;
}

/** Resolves with the time at which `done(badge)` holds for every badge, checked as each tells
 * of its presence (`presence-change`, sent once the badge's DOM shows it). */
function watch(badges, done) {
  return new Promise((resolve) => {
    const pending = new Set(badges.filter((b) => !done(b)));
    if (!pending.size) return resolve(performance.now());
    const heard = (event) => {
      if (pending.has(event.target) && done(event.target)) pending.delete(event.target);
      if (pending.size) return;
      holder.removeEventListener("presence-change", heard);
      resolve(performance.now());
    };
    holder.addEventListener("presence-change", heard);
  });
}

function add(ids) {
  const badges = ids.map((id) => el("presence-badge", { source: "teams", user: id }));
  holder.append(...badges);
  return badges;
}

async function main() {
  const ids = (window.presenceBenchIds ?? (await people("graph")).map((p) => p.id)).slice(0, COUNT);
  const badges = add(ids);
  wasm = await init();
  figures.wasm = round(performance.now());
  figures.configure = round(performance.now());
  configure({ sources: { teams: simSource(PROVIDERS.find((p) => p.kind === "graph"), { intervalMs: 600000, shareTabs: new URLSearchParams(location.search).get("shareTabs") !== "false" }) } });
  figures.configured = round(performance.now());
  const all = await watch(badges, shown);
  const first = reads(figures.configure);
  figures.requests = first.length;
  figures.request = round(Math.min(...first.map((e) => e.startTime)));
  figures.answer = round(Math.max(...first.map((e) => e.responseEnd)));
  figures.shown = round(all);
  figures.wasmBytes = wasm.memory.buffer.byteLength;
  document.getElementById("result").textContent = `${COUNT} badges: configure() ${figures.configure} ms after navigation, `
    + `the first request ${round(figures.request - figures.configure)} ms later, all shown ${round(figures.shown - figures.answer)} ms `
    + `after the end of the answer, ${figures.shown} ms after navigation.`;
  window.presenceBench = { change, cycle, held: () => watched("teams") };
  figures.ready = true;
}

/** Changes the person of badge `at` at the simulator and polls: the milliseconds from the end of
 * the poll's answers (the store has them) to that badge's DOM showing the change. */
async function change(at) {
  const badge = holder.querySelectorAll("presence-badge")[at];
  const dot = () => badge.shadowRoot.querySelector(".presence-dot").getAttribute("aria-label");
  const before = dot();
  const availability = before === "Busy" ? "Away" : "Busy";
  await sim("PUT", `/_sim/users/graph/${encodeURIComponent(badge.getAttribute("user"))}`, { availability });
  const since = performance.now();
  const seen = watch([badge], () => dot() === availability);
  refresh("teams");
  const at_ = await seen;
  const answers = reads(since);
  return { ms: round(at_ - Math.max(...answers.map((e) => e.responseEnd))), requests: answers.length };
}

/** Removes every badge, waits for the store to let go of them, adds as many new ones and waits
 * for all to show: the memory after, and how many people the store held when none was shown. */
async function cycle() {
  const ids = [...holder.querySelectorAll("presence-badge")].map((b) => b.getAttribute("user"));
  holder.replaceChildren();
  while (watched("teams") > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const emptied = watched("teams");
  const badges = add(ids);
  await watch(badges, shown);
  return { wasmBytes: wasm.memory.buffer.byteLength, heldWhenEmpty: emptied };
}

main().catch((error) => {
  document.getElementById("result").textContent = `Could not start: ${error.message}`;
  console.error(error);
});
