// What a user of the npm package writes: import it, configure a source, write a tag.
import init, { configure } from "presence-widgets";

await init();
configure({
  sources: {
    teams: {
      kind: "graph",
      baseUrl: `${import.meta.env.VITE_SIM_URL}/graph/v1.0`,
      token: async () => "vite-app-token",
    },
  },
});
const badge = document.createElement("presence-badge");
badge.setAttribute("source", "teams");
badge.setAttribute("user", import.meta.env.VITE_USER);
badge.setAttribute("show-label", "");
document.getElementById("who").append(badge);
