// Avatars of Graph people (e2e/live/avatars.mjs reads this page): initials on each person's
// colour, a picture, a picture that fails, the four sizes, a list with avatars, Graph's own photos
// (a second source with `photos: true`), and German words.
import init, { configure } from "/pkg/presence_widgets.js";
import { PROVIDERS, people, simSource, el } from "./providers.js";

async function main() {
  const graph = PROVIDERS.find((p) => p.kind === "graph");
  const everyone = (await people("graph")).slice(0, 16);
  const avatar = (person, extra = {}) => el("presence-avatar", { source: "teams", user: person.id, name: person.name, ...extra });
  document.getElementById("people").append(...everyone.slice(0, 6).map((p) => avatar(p)));
  document.getElementById("pictures").append(
    avatar(everyone[6], { id: "portrait", src: "people/portrait.svg", size: 24 }),
    avatar(everyone[7], { id: "missing", src: "people/nobody.png", size: 24 }),
  );
  document.getElementById("sizes").append(...[10, 16, 24, 32].map((size, i) => avatar(everyone[8 + i], { size })));
  document.getElementById("team").append(el("presence-list", {
    source: "teams", users: everyone.slice(0, 6).map((p) => p.id).join(","), avatars: true, "no-filter": true,
    names: JSON.stringify(Object.fromEntries(everyone.map((p) => [p.id, p.name]))),
  }));
  // The sim has pictures of everyone but every fourth person: 12, 13 and 14 have one, 15 not.
  const pictured = everyone.slice(12, 16);
  document.getElementById("photos").append(...pictured.map((p) => el("presence-avatar", { source: "photos", user: p.id, name: p.name, size: 24 })));
  document.getElementById("photo-team").append(el("presence-list", {
    source: "photos", users: pictured.map((p) => p.id).join(","), avatars: true, "no-filter": true,
    names: JSON.stringify(Object.fromEntries(pictured.map((p) => [p.id, p.name]))),
  }));
  document.getElementById("german").append(...everyone.slice(0, 4).map((p) => avatar(p)));
  await init();
  configure({ sources: { teams: simSource(graph), photos: simSource(graph, { photos: true }) } });
}

main().catch((error) => {
  document.querySelector("main").append(el("p", { role: "alert" }, `Could not start: ${error.message}`));
  console.error(error);
});
