//! The tabs of one origin share each source: the Web Locks API elects one leader per source (the
//! tab holding the lock), which holds the socket and does the polling for every tab; the others
//! follow, over a `BroadcastChannel`. When the leader's tab closes, its lock is released and the
//! next tab waiting for it leads. What the tabs say is `core::tabs`; this is the I/O.
//!
//! Each tab also holds a lock of its own for its life. The leader asks for a follower's lock when
//! it first hears from it: the browser grants it when that tab is gone, and the leader lets go of
//! the people only that tab showed.

use std::rc::Weak;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::core::tabs::Note;

#[wasm_bindgen(inline_js = r#"
export class TabLink {
  constructor(name, on) {
    this.name = name;
    this.on = on;
    this.id = typeof crypto !== "undefined" && crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now();
    this.stop = new AbortController();
    this.followed = new Set();
    const later = (kind, text) => Promise.resolve().then(() => { if (!this.stop.signal.aborted) this.on(kind, text); });
    this.later = later;
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    if (!locks || typeof BroadcastChannel !== "function") { later(0, ""); return; }
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (e) => { if (typeof e.data === "string") later(2, e.data); };
    const signal = this.stop.signal;
    const hold = () => new Promise((resolve) => {
      if (signal.aborted) resolve(); else signal.addEventListener("abort", resolve);
    });
    const ignore = () => {};
    locks.request(name + " tab " + this.id, { signal }, hold).catch(ignore);
    // ifAvailable cannot be given with a signal: an abort before the answer is seen in it.
    locks.request(name, { ifAvailable: true }, (lock) => {
      if (signal.aborted) return;
      if (lock) { later(0, ""); return hold(); }
      later(1, "");
      locks.request(name, { signal }, () => { if (!signal.aborted) later(0, ""); return hold(); }).catch(ignore);
    }).catch(() => later(0, ""));
  }
  post(text) { try { this.channel?.postMessage(text); } catch (_) {} }
  follow(tab) {
    if (this.followed.has(tab) || !this.channel) return;
    this.followed.add(tab);
    navigator.locks.request(this.name + " tab " + tab, { signal: this.stop.signal }, () => {
      this.followed.delete(tab);
      this.later(3, tab);
    }).catch(() => {});
  }
  close() { this.stop.abort(); this.channel?.close(); }
}
"#)]
extern "C" {
    type TabLink;

    #[wasm_bindgen(constructor)]
    fn new(name: &str, on: &Closure<dyn FnMut(u32, String)>) -> TabLink;

    #[wasm_bindgen(method)]
    fn post(this: &TabLink, text: &str);

    #[wasm_bindgen(method)]
    fn follow(this: &TabLink, tab: &str);

    #[wasm_bindgen(method)]
    fn close(this: &TabLink);

    #[wasm_bindgen(method, getter)]
    fn id(this: &TabLink) -> String;
}

/// What the browser or another tab tells this one.
pub(crate) enum TabEvent {
    /// This tab leads the source now.
    Lead,
    /// Another tab leads; this one follows (and leads when that one is gone).
    Follow,
    /// Another tab said something.
    Note(Note),
    /// A follower this tab heard from is gone.
    Gone(String),
}

/// This tab's place among the tabs of a source; leaving it (dropping) lets another tab lead.
pub(crate) struct Tabs {
    link: TabLink,
    _on: Closure<dyn FnMut(u32, String)>,
    /// This tab's id, as its notes give it.
    pub(crate) id: String,
}

impl Tabs {
    /// Joins the tabs sharing `name`; their news goes to `deliver` (which finds the store again
    /// through a weak reference, so the link never keeps its store alive). Notes not ours are
    /// dropped.
    pub(crate) fn join<S: 'static>(
        name: &str,
        owner: Weak<S>,
        deliver: fn(&Weak<S>, TabEvent),
    ) -> Tabs {
        let on = Closure::<dyn FnMut(u32, String)>::new(move |kind: u32, text: String| {
            let event = match kind {
                0 => TabEvent::Lead,
                1 => TabEvent::Follow,
                2 => match Note::decode(&text) {
                    Ok(note) => TabEvent::Note(note),
                    Err(_) => return,
                },
                _ => TabEvent::Gone(text),
            };
            deliver(&owner, event);
        });
        let link = TabLink::new(name, &on);
        let id = link.id();
        Tabs { link, _on: on, id }
    }

    /// Tells the other tabs.
    pub(crate) fn post(&self, note: &Note) {
        self.link.post(&note.encode());
    }

    /// Watches for the tab `tab` to be gone.
    pub(crate) fn follow(&self, tab: &str) {
        self.link.follow(tab);
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        self.link.close();
    }
}
