// Drawing hundreds of avatars, against as many badges (e2e/bench/avatars.mjs reads
// window.presenceFigures): everyone's presence is read first (a summary keeps them watched), so
// what is measured is the elements' own work, from being added to the page to all drawn.
import init, { configure } from "/pkg/presence_widgets.js";
import { PROVIDERS, people, simSource, el } from "./providers.js";

const count = Number(new URLSearchParams(location.search).get("count") ?? 600);
const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));

/** Adds `count` elements of `tag` and waits until each shows its person: milliseconds. */
async function drawn(tag, everyone, box) {
  const start = performance.now();
  box.append(...everyone.map((p) => el(tag, { source: "teams", user: p.id, name: tag === "presence-avatar" ? p.name : null })));
  const shown = () => [...box.children].every((e) => {
    const base = e.shadowRoot?.querySelector("[part=base]");
    return base && !base.classList.contains("presence-badge--loading");
  });
  while (!shown()) await frame();
  return performance.now() - start;
}

async function main() {
  const everyone = (await people("graph")).slice(0, count);
  await init();
  configure({ sources: { teams: simSource(PROVIDERS.find((p) => p.kind === "graph"), { intervalMs: 600000 }) } });
  const summary = el("presence-summary", { source: "teams", users: everyone.map((p) => p.id).join(",") });
  document.querySelector("main").append(summary);
  // Until the summary counts nobody as loading: every presence is in.
  while (!summary.shadowRoot?.textContent.trim() || /loading/i.test(summary.shadowRoot.textContent)) await frame();
  const box = document.getElementById("people");
  const avatars = await drawn("presence-avatar", everyone, box);
  box.replaceChildren();
  await frame();
  const badges = await drawn("presence-badge", everyone, box);
  document.getElementById("result").textContent = `${count} avatars drawn in ${Math.round(avatars)} ms, ${count} badges in ${Math.round(badges)} ms.`;
  window.presenceFigures = { avatars, badges, ready: true };
}

main().catch((error) => {
  document.getElementById("result").textContent = `Could not measure: ${error.message}`;
  window.presenceFigures = { error: error.message, ready: true };
});
