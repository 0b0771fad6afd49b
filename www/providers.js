// The four simulated services, as the demo configures them. Shared by the demo's pages.
export const PROVIDERS = [
  { kind: "graph", title: "Microsoft Graph", path: "/graph/v1.0", intervalMs: 5000,
    auth: { token: "demo-graph-token" }, authSample: 'token: async () => getTokenSomehow()' },
  { kind: "rocketchat", title: "Rocket.Chat", path: "/rocketchat", intervalMs: 6000,
    auth: { userId: "demo-user", authToken: "demo-token" },
    authSample: 'userId: "<user id>", authToken: async () => getTokenSomehow()', providerNames: true },
  { kind: "genesys", title: "Genesys Cloud", path: "/genesys", intervalMs: 5000,
    auth: { token: "demo-genesys-token" }, authSample: 'token: async () => getTokenSomehow()' },
  { kind: "superoffice", title: "SuperOffice", path: "/superoffice", intervalMs: 10000,
    auth: { authorization: "Bearer demo-superoffice-token" },
    authSample: 'authorization: async () => "Bearer " + await getTokenSomehow()' },
];

/** Calls presence-sim's control surface. */
export async function sim(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The simulated people of one provider. */
export async function people(kind) {
  return sim("GET", `/_sim/users?provider=${kind}`);
}

/** The configuration of one simulated source. */
export function simSource(provider, extra = {}) {
  return { kind: provider.kind, baseUrl: location.origin + provider.path, intervalMs: provider.intervalMs, ...provider.auth, ...extra };
}

/** Makes an element with attributes and text (never HTML). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) node.setAttribute(name, "");
    else if (value !== false && value != null) node.setAttribute(name, String(value));
  }
  for (const child of children) node.append(child);
  return node;
}
