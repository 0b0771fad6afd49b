//! Custom elements and the JS API for any page (feature `element`): `configure()` names the
//! presence services, then `<presence-badge>`, `<presence-list>` and `<presence-summary>` show
//! them, each in its own shadow root, sharing one store per source.
//!
//! ```html
//! <script type="module">
//!   import init, { configure } from "presence-widgets";
//!   await init();
//!   configure({ sources: { teams: { kind: "graph", baseUrl: "https://graph.microsoft.com/v1.0",
//!                                   token: async () => getTokenSomehow() } } });
//! </script>
//! <presence-badge source="teams" user="2e2f43c7-43c7-2e2f-c743-2f2ec7432f2e" show-label></presence-badge>
//! ```
//!
//! `<presence-status-picker>` (the cargo feature `write`, `presence-widgets/live`) is the person's
//! own badge as a menu button that sets their status; `setStatus(source, user, write)` does the
//! same from a script.
//!
//! Each element's attributes (each also a JS property), events, parts and custom properties are
//! described once, in `src/web/elements/spec.rs`: the README's tables, the TypeScript types and
//! the package's Custom Elements Manifest (`custom-elements.json`) are made from it. Events
//! bubble and are composed.

#[cfg(feature = "avatar")]
mod avatar;
mod badge;
pub mod host;
pub mod options;

use wasm_bindgen::prelude::*;

use super::directory;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** A credential: the value, or a function giving it (a promise is awaited; asked again after a 401). */
export type Credential = string | (() => string | Promise<string>);

/** One presence service. */
export type SourceOptions = {
  /** The API root: https://graph.microsoft.com/v1.0, https://chat.example.com, https://api.mypurecloud.ie, https://sod.superoffice.com/Cust12345. http only for localhost. */
  baseUrl: string;
  /** Milliseconds between polls (raised to the provider's floor); the provider's default otherwise. */
  intervalMs?: number;
  /** Milliseconds before a request is aborted (default 15000). */
  timeoutMs?: number;
  /** Whether cookies are sent (default false). */
  sendCookies?: boolean;
  /** Changes pushed where the service pushes to a browser (Rocket.Chat, Genesys Cloud); false polls (default true). */
  live?: boolean;
  /** While pushed, milliseconds between reconciliation polls (default 300000). */
  reconcileMs?: number;
  /** The tabs of this origin share the source: one tab holds its socket and polls for all of them; false gives this tab its own (default true). */
  shareTabs?: boolean;
} & (
  /** `photos`: avatars show each person's picture from Graph (`/users/{id}/photo/$value` with
   * the token, which needs ProfilePhoto.Read.All or User.ReadBasic.All), read once per person per
   * page; initials for people without one. Avatars are in `presence-widgets/live`; the default
   * entry has none and ignores it (default false). */
  | ({ kind: "graph"; photos?: boolean } & ({ token: Credential } | NoAuth))
  | ({ kind: "genesys"; language?: string; genesysSource?: string } & ({ token: Credential } | NoAuth))
  | ({ kind: "rocketchat" } & ({ userId: Credential; authToken: Credential } | NoAuth))
  | ({ kind: "superoffice"; appToken?: Credential } & ({ authorization: Credential } | NoAuth))
  /** Read through presence-relay (the package's `presence-widgets/relay` build, or a build with
   * the `relay` feature): `baseUrl` is the relay's root, `source` the relay's name of the source
   * (this source's name when left out), `token` the viewer's token for the relay. Every source of
   * one relay shares one stream per page. */
  | ({ kind: "relay"; source?: string } & ({ token: Credential } | NoAuth))
);

/** No credentials from the page: the service (a same-origin proxy that adds them) needs none. */
export type NoAuth = { auth: "none" };

/** What configure() takes. */
export interface PresenceOptions {
  /** The sources by the name elements give in their `source` attribute. */
  sources?: Record<string, SourceOptions>;
  /** Words to replace, by key: "Available", "Busy", "InAMeeting", "outOfOffice", "loading", "filter", "summary.Available", … */
  labels?: Record<string, string>;
}

/** A normalized presence: the detail of `presence-change`. */
export interface Presence {
  /** How its source learns of changes now: pushed by the service, or polled. */
  mode: "push" | "poll";
  /** Why it is polled (live: false, the service does not push, the socket failed…); null when pushed. */
  modeReason: string | null;
  user: string;
  provider: "graph" | "rocketchat" | "genesys" | "superoffice";
  availability: "Available" | "Busy" | "DoNotDisturb" | "BeRightBack" | "Away" | "Offline" | "Unknown";
  activity: string | null;
  label: string;
  message: string | null;
  out_of_office: boolean;
  idle: boolean;
  since: string | null;
  sequence: string | null;
  raw: string;
  display_name: string | null;
}

/** The detail of `presence-error`. */
export interface PresenceErrorDetail {
  source: string;
  user: string | null;
  /** true when the last good presence is shown stale (polls have failed for three intervals);
   * false when it never loaded, or when the failure is recent and the presence is still shown
   * as it was (the reason is in its tooltip). */
  stale: boolean;
  message: string;
  error: { kind: string; [field: string]: unknown };
}

/** The events of every element (the badge's, the list's and the summary's are the same). */
export interface PresenceElementEventMap extends PresenceBadgeElementEventMap {}
"#;

// The elements' interfaces, event maps and tags, made by build.rs from `spec.rs`.
#[wasm_bindgen(typescript_custom_section)]
const ELEMENT_TYPES: &str = include_str!(concat!(env!("OUT_DIR"), "/elements.d.ts"));

#[cfg(feature = "avatar")]
#[wasm_bindgen(typescript_custom_section)]
const AVATAR_TYPES: &str = include_str!(concat!(env!("OUT_DIR"), "/avatar.d.ts"));

#[cfg(feature = "write")]
#[wasm_bindgen(typescript_custom_section)]
const PICKER_TYPES: &str = include_str!(concat!(env!("OUT_DIR"), "/picker.d.ts"));

#[cfg(feature = "write")]
#[wasm_bindgen(typescript_custom_section)]
const WRITE_TYPES: &str = r#"
/** A status a person may pick: `value` is what `setStatus` takes as `status`. */
export interface StatusChoice {
  value: string;
  availability: "Available" | "Busy" | "DoNotDisturb" | "BeRightBack" | "Away" | "Offline" | "Unknown";
  activity: string | null;
  /** The service's own label (Genesys's definitions, in the page's language); null: the widgets' words. */
  label: string | null;
}

/** What `setStatus` sets; what is left out stays as it is. */
export interface StatusWrite {
  /** One of `statuses(source)`'s values. */
  status?: string;
  /** Back to the service's default (Graph clears the preferred presence; Rocket.Chat online; Genesys Available; SuperOffice StatusNormal). */
  reset?: boolean;
  /** The status message; "" clears it. */
  message?: string;
  /** When the message (Rocket.Chat: the status) ends, as a Date or milliseconds since the epoch (Graph and Rocket.Chat only). */
  expiresAt?: Date | number;
}

/** The detail of `presence-set`. */
export interface PresenceSetDetail { source: string; user: string; status: string | null; reset: boolean; message: string | null }
/** The detail of `presence-set-error`. */
export interface PresenceSetErrorDetail { source: string; user: string; message: string; error: { kind: string; [field: string]: unknown } }

/** The status picker's events. */
export interface PresencePickerEventMap extends PresenceStatusPickerElementEventMap {}
"#;

/// The statuses a person may pick at `source`, once what they are is known (Genesys reads its
/// definitions first): `[]` for a source that takes no writes, `null` for one nobody configured.
#[cfg(feature = "write")]
#[wasm_bindgen(js_name = statuses, unchecked_return_type = "Promise<StatusChoice[] | null>")]
pub fn statuses_js(source: String) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        let Some(store) = directory::store(&source) else {
            return Ok(JsValue::NULL);
        };
        store.learn_choices().await;
        let mut json = String::from("[");
        for (i, c) in store.choices().iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push_str(
                &crate::core::json::Object::new()
                    .string("value", &c.value)
                    .string("availability", c.availability.name())
                    .opt_string(
                        "activity",
                        c.activity.as_ref().map(crate::core::Activity::name),
                    )
                    .opt_string("label", c.label.as_deref())
                    .finish(),
            );
        }
        json.push(']');
        Ok(js_sys::JSON::parse(&json).unwrap_or(JsValue::NULL))
    })
}

/// Sets `user`'s status at `source` as the picker does: every widget of theirs shows it at once
/// and rolls back if the service refuses. Resolves when the service has taken it; rejects with
/// an `Error` naming the reason (refused before sending, or by the service).
#[cfg(feature = "write")]
#[wasm_bindgen(js_name = setStatus, unchecked_return_type = "Promise<void>")]
pub fn set_status_js(
    source: String,
    user: String,
    #[wasm_bindgen(unchecked_param_type = "StatusWrite")] write: JsValue,
) -> js_sys::Promise {
    let fail = |message: String| JsValue::from(js_sys::Error::new(&message));
    // Started (and reserved) now, as the picker's are.
    let started = directory::store(&source)
        .ok_or_else(|| fail(format!("no source `{source}` is configured")))
        .and_then(|store| {
            let write = options::read_write(&write).map_err(|e| fail(e.to_string()))?;
            Ok(store.write(&crate::core::UserId::new(user), write))
        });
    wasm_bindgen_futures::future_to_promise(async move {
        started?
            .await
            .map(|()| JsValue::UNDEFINED)
            .map_err(|e| fail(e.to_string()))
    })
}

/// How the source named `source` learns of changes now: `{ mode: "push" | "poll", reason }`,
/// or `null` for a source nobody configured.
#[wasm_bindgen(js_name = mode, unchecked_return_type = "{ mode: \"push\" | \"poll\"; reason: string | null } | null")]
pub fn mode_js(source: &str) -> JsValue {
    let Some(store) = directory::store(source) else {
        return JsValue::NULL;
    };
    let mode = store.mode();
    let json = crate::core::json::Object::new()
        .string("mode", mode.name())
        .opt_string("reason", mode.reason())
        .finish();
    js_sys::JSON::parse(&json).unwrap_or(JsValue::NULL)
}

/// How many people the store of `source` holds now: everyone some element shows, counted once
/// (`null` for a source nobody configured). A page that removes its elements sees it fall to 0.
#[wasm_bindgen(js_name = watched, unchecked_return_type = "number | null")]
pub fn watched_js(source: &str) -> JsValue {
    directory::store(source).map_or(JsValue::NULL, |s| {
        JsValue::from(u32::try_from(s.watched()).unwrap_or(u32::MAX))
    })
}

/// Configures presence sources (and optionally the words shown), then defines the elements.
/// Never throws: each problem (an unknown kind, an http base URL, missing credentials) is
/// reported once in the console, shown on the elements that name that source, and returned.
#[wasm_bindgen(js_name = configure, unchecked_return_type = "string[]")]
pub fn configure_js(
    #[wasm_bindgen(unchecked_param_type = "PresenceOptions")] options: JsValue,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut labels = host::labels();
    match options::read(&options) {
        Err(e) => problems.push(e.to_string()),
        Ok(read) => {
            if let Some(l) = read.labels {
                labels = l;
            }
            for (name, config) in read.sources {
                let made = match config {
                    Ok(config) => directory::configure(config).map(|_| ()),
                    Err(e) => {
                        directory::fail(&name, e.clone());
                        Err(e)
                    }
                };
                if let Err(e) = made {
                    problems.push(e.to_string());
                }
            }
        }
    }
    for problem in &problems {
        web_sys::console::error_1(&JsValue::from_str(&format!("presence-widgets: {problem}")));
    }
    host::set_page(directory::stores(), labels);
    host::define_all();
    problems
}

/// Defines `<presence-badge>`, `<presence-list>` and `<presence-summary>` without configuring
/// anything (they show an error until their source is configured). Calling it again is harmless.
#[wasm_bindgen]
pub fn define() {
    host::set_page(directory::stores(), host::labels());
    host::define_all();
}

/// Polls a source now (all sources when none is named), as when the page knows something changed.
#[wasm_bindgen]
pub fn refresh(source: Option<String>) {
    let stores = directory::stores();
    let names: Vec<String> = stores.names().map(str::to_owned).collect();
    for name in names {
        if source.as_deref().is_none_or(|s| s == name) {
            if let Some(store) = stores.get(&name) {
                store.poll_now();
            }
        }
    }
}

/// The components' stylesheet, for a page that styles light-DOM copies of the widgets.
#[wasm_bindgen]
pub fn stylesheet() -> String {
    super::STYLESHEET.to_owned()
}
