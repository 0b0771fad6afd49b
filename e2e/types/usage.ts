// What a TypeScript user writes against the package's types; `tsc --noEmit` must accept it.
import init, { configure, refresh, type Presence, type PresenceOptions } from "presence-widgets";

await init();
const options: PresenceOptions = {
  sources: {
    teams: { kind: "graph", baseUrl: "https://graph.microsoft.com/v1.0", token: async () => "t" },
    chat: { kind: "rocketchat", baseUrl: "https://chat.example.com", userId: "u", authToken: "t", intervalMs: 15000 },
    contact: { kind: "genesys", baseUrl: "https://api.mypurecloud.ie", token: () => "t", language: "fr" },
    crm: { kind: "superoffice", baseUrl: "https://sod.superoffice.com/Cust1", authorization: "Bearer t", appToken: "a" },
    proxied: { kind: "graph", baseUrl: "https://intranet.example.com/graph", auth: "none", timeoutMs: 15000 },
  },
  labels: { Busy: "Beschäftigt" },
};
const problems: string[] = configure(options);
refresh("teams");
const badge = document.querySelector("presence-badge");
badge?.addEventListener("presence-change", (event) => {
  const presence: Presence = event.detail;
  const busy: boolean = presence.availability === "Busy";
  console.log(busy, presence.message ?? "", problems.length);
});
badge?.addEventListener("presence-error", (event) => console.log(event.detail.stale, event.detail.message));

// The attributes as properties, as React 19 and Vue set them.
const list = document.createElement("presence-list");
list.source = "teams";
list.users = ["a", "b"];
list.users = "a, b";
list.names = { a: "Ann" };
list.group = true;
const first: string | undefined = list.users[0];
const sized = document.createElement("presence-badge");
sized.user = "a";
sized.showLabel = true;
sized.size = 24;
console.log(first, sized.size + 1, list.noFilter, list.names["a"]);
