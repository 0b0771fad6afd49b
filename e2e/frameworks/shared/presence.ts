// What every framework app does before it renders: load the package's wasm once and name the
// source its badges read. The simulator's URL and the people to show come from the page's query
// (`?sim=http://127.0.0.1:PORT&people=ID,ID`), so one build serves every test run.
// Nothing here runs on import: a server rendering the app imports this module without `window`.
import init, { configure, type Presence } from "presence-widgets";

/** The page's query: the simulator's URL and the people the app shows, in order. */
export function settings(search: string): { sim: string; people: string[] } {
  const query = new URLSearchParams(search);
  const people = (query.get("people") ?? "").split(",").filter((id) => id !== "");
  return { sim: query.get("sim") ?? "", people };
}

/** Loads the wasm and configures the `teams` source (Microsoft Graph, on the simulator). */
export async function startPresence(sim: string): Promise<void> {
  await init();
  const problems = configure({
    sources: {
      teams: { kind: "graph", baseUrl: `${sim}/graph/v1.0`, token: async () => "framework-app-token" },
    },
  });
  for (const problem of problems) console.warn(`presence-widgets: ${problem}`);
}

/** What the app shows of the last `presence-change` it was told of: "u1: Busy". */
export function said(event: CustomEvent<Presence>): string {
  return `${event.detail.user}: ${event.detail.availability}`;
}
