//! The plain page at `/_sim/` (and at `/` until the demo site exists): what is simulated where.

/// The page's HTML.
pub fn endpoints() -> String {
    const ROWS: &[(&str, &str, &str)] = &[
        ("Graph", "POST", "/graph/v1.0/communications/getPresencesByUserId (also /graph/beta/…), at most 650 ids"),
        ("Graph", "GET", "/graph/v1.0/users/{id}/presence, /communications/presences/{id}, /me/presence"),
        ("Graph", "POST", "/graph/v1.0/users/{id}/presence/setUserPreferredPresence {\"availability\", \"activity\", \"expirationDuration\"?}, …/clearUserPreferredPresence, …/setStatusMessage {\"statusMessage\": {\"message\": {\"content\", \"contentType\": \"text\"}, \"expiryDateTime\"?}} (also /me/presence/…, /graph/beta/…)"),
        ("Rocket.Chat", "GET", "/rocketchat/api/v1/users.presence?ids=a,b | ?from=ISO"),
        ("Rocket.Chat", "GET", "/rocketchat/api/v1/users.getPresence?userId=…, /users.getStatus?userId=…"),
        ("Genesys", "GET", "/genesys/api/v2/users/presences/{source}/bulk?id=a&id=b (at most 50)"),
        ("Genesys", "GET", "/genesys/api/v2/users/{userId}/presences/{source} (purecloud, microsoftteams, zoomphone, custom)"),
        ("Rocket.Chat", "POST", "/rocketchat/api/v1/users.setStatus {\"status\"?, \"message\"?, \"expiresAt\"?, \"userId\"? | \"username\"?}"),
        ("Genesys", "PATCH", "/genesys/api/v2/users/{userId}/presences/purecloud {\"presenceDefinition\"?: {\"id\"}, \"message\"?}"),
        ("Genesys", "PUT", "/genesys/api/v2/users/presences/bulk [{\"userId\", \"presenceDefinition\": {\"id\"}, \"message\"?}] (presence:userPresence:edit)"),
        ("Genesys", "GET", "/genesys/api/v2/presence/definitions, /genesys/api/v2/presencedefinitions (paged)"),
        ("Genesys", "GET", "/genesys/api/v2/systempresences, /presence/sources, /presence/users/{userId}/primarysource"),
        ("Rocket.Chat", "WebSocket", "/rocketchat/websocket (DDP: connect, login {resume}, sub stream-user-presence | stream-notify-logged user-status)"),
        ("Genesys", "POST", "/genesys/api/v2/notifications/channels, then GET/POST/PUT …/channels/{id}/subscriptions [{\"id\": \"v2.users.{id}.presence\"}]"),
        ("Genesys", "WebSocket", "/genesys/channels/{id} (the channel's connectUri)"),
        ("SuperOffice", "POST", "/superoffice/api/v1/Agents/User/GetUserPresenceStatus {\"AssociateId\": n}"),
        ("SuperOffice", "POST", "/superoffice/api/v1/Agents/User/SetUserPresenceStatus {\"AssociateId\": n, \"UserPresenceStatus\": {\"Status\": \"StatusNormal\" | \"StatusNotAvailable\", \"Message\"}}"),
        ("Entra ID", "POST", "/entra/{tenant}/oauth2/v2.0/token (form: client_id, client_secret, scope=https://graph.microsoft.com/.default, grant_type=client_credentials)"),
        ("Genesys login", "POST", "/genesys-login/oauth/token (Authorization: Basic base64(client_id:client_secret); form: grant_type=client_credentials)"),
        ("OIDC", "GET", "/_sim/oidc/.well-known/openid-configuration, /_sim/oidc/jwks (issuer http://{Host}/_sim/oidc, EdDSA, kid sim-1)"),
        ("control", "GET", "/_sim/users?provider=graph|rocketchat|genesys|superoffice"),
        ("control", "PUT", "/_sim/users/{provider}/{id} {\"availability\", \"message\"?, \"activity\"?}"),
        ("control", "POST/GET/DELETE", "/_sim/faults {\"provider\", \"latency_ms\", \"http_500\", \"http_429\", \"truncated\", \"non_json\", \"drop\", \"retry_after_ms\", \"no_heartbeats\", \"reject_subscriptions\", \"presence_broadcast\", \"garbage_frames\", \"drop_sockets\", \"socket_closing\"}"),
        ("control", "GET/PUT", "/_sim/push {\"heartbeat_ms\": 30000}"),
        ("control", "GET/PUT", "/_sim/limits {\"graph\": {\"calls\", \"window_ms\"} | null, …}"),
        ("control", "POST/DELETE", "/_sim/auth/revoke {\"provider\", \"token\"}"),
        ("control", "GET/PUT/DELETE", "/_sim/writers {\"provider\", \"token\" (Rocket.Chat: \"user\"), \"others\"?: true, \"as\"?: \"<person id>\"} (who a token acts as, default the first person; who may write others)"),
        ("control", "GET/POST", "/_sim/stats, /_sim/stats/reset"),
        ("control", "GET/PUT", "/_sim/site (where the demo's presence-relay is)"),
        ("control", "POST", "/_sim/oidc/mint {\"sub\", \"aud\"?, \"expiresIn\"?, \"claims\"?, \"foreignKey\"?, \"issuer\"?} → {\"token\", \"expiresAt\"}"),
        ("control", "GET/PUT", "/_sim/oauth {\"clientId\"?, \"clientSecret\"?, \"expiresIn\"?: seconds | null}"),
    ];
    let rows: String = ROWS
        .iter()
        .map(|(who, method, path)| {
            format!(
                "<tr><td>{who}</td><td>{method}</td><td><code>{}</code></td></tr>\n",
                escape(path)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>presence-sim</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}}td,th{{padding:.25rem .75rem;vertical-align:top;text-align:left}}\
         code{{font-size:.9rem}}</style></head><body><h1>presence-sim</h1>\
         <p>A local simulator of four documented presence APIs. Authenticate as each service documents \
         (any token works until revoked). A token acts as the provider's first simulated person \
         (Rocket.Chat: the one its <code>X-User-Id</code> names) and writes only that person's presence \
         unless <code>PUT /_sim/writers</code> says otherwise.</p>\
         <p>It is also the OIDC issuer of viewers' tokens (<code>POST /_sim/oidc/mint</code> signs one for any \
         <code>sub</code>, audience <code>presence-relay</code> unless named, expired if <code>expiresIn</code> \
         is 0 or less, signed by an unpublished key with <code>foreignKey</code>), and the client-credentials \
         token endpoint of Entra ID and of Genesys' login host for the client <code>presence-relay</code> / \
         <code>sim-secret</code> (change it with <code>PUT /_sim/oauth</code>). The tokens those endpoints issue \
         are refused by Graph and Genesys once they expire; <code>/_sim/stats</code> counts the token \
         requests as <code>tokenRequests</code>.</p><table><thead><tr><th>service</th><th>method</th><th>path</th></tr></thead>\n<tbody>{rows}</tbody></table></body></html>\n"
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
