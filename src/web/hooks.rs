//! Every hook of the yew side, in one place: the page's stores and words (`use_page`,
//! [`use_labels`]), one person's state ([`use_presence`]), the people of a list or summary
//! ([`use_roster`]), and a clock that ticks while an age is shown ([`use_clock`]).

use std::cell::{Cell, Ref, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Interval;
use implicit_clone::unsync::{IArray, IMap};
use yew::prelude::*;

use super::context::Page;
use super::store::Subscription;
use super::transport::now_ms;
use crate::core::{Labels, Roster, State, UserId};

/// The page's stores and words around a component; empty and English outside a provider.
#[hook]
pub(crate) fn use_page() -> Page {
    use_context::<Page>().unwrap_or_default()
}

/// The labels of the surrounding [`super::PresenceProvider`], English when there is none.
#[hook]
pub fn use_labels() -> Labels {
    use_page().labels
}

/// The state of one person from a source of the surrounding [`super::PresenceProvider`]: `Loading`,
/// then `Fresh`, `Stale` after a failed poll (with the last good presence), or `Error` when it
/// never loaded. The component re-renders when, and only when, that person's state changes.
#[hook]
pub fn use_presence(source: &str, id: &str) -> State {
    let stores = use_page().stores;
    let store = stores.get(source).cloned();
    // Compared instead of the whole set of stores, so that configuring another source leaves
    // this subscription (and the presence it holds) alone.
    let missing = store.is_none().then(|| stores.missing(source));
    let user = UserId::new(id);
    let state = use_state(|| match (&store, &missing) {
        (Some(s), _) => s.state(&user),
        (None, Some(e)) => State::Error(e.clone()),
        (None, None) => State::Loading,
    });
    {
        let state = state.clone();
        use_effect_with((store, user, missing), move |(store, user, missing)| {
            let subscription = match store {
                Some(store) => {
                    let setter = state.clone();
                    let subscription = store.subscribe(user, move |_, s| setter.set(s.clone()));
                    // Drawn again only if it changed since the render (usually it has not).
                    let now = store.state(user);
                    if *state != now {
                        state.set(now);
                    }
                    Some(subscription)
                }
                None => {
                    if let Some(e) = missing {
                        state.set(State::Error(e.clone()));
                    }
                    None
                }
            };
            move || drop(subscription)
        });
    }
    (*state).clone()
}

/// The picture the store of `source` reads for `id` (Graph with `photos`), while `wanted`: `None`
/// until it is read, and for a source without pictures or a person without one.
#[cfg(feature = "avatar")]
#[hook]
pub fn use_photo(source: &str, id: &str, wanted: bool) -> Option<AttrValue> {
    let store = use_page().stores.get(source).cloned();
    let photo = use_state_eq(|| None::<Rc<str>>);
    // Which effect is current: a picture read for a person no longer shown is dropped.
    let generation = use_mut_ref(|| 0_u32);
    {
        let photo = photo.clone();
        use_effect_with(
            (store, UserId::new(id), wanted),
            move |(store, id, wanted)| {
                let current = {
                    let mut g = generation.borrow_mut();
                    *g = g.wrapping_add(1);
                    *g
                };
                let known = match store {
                    Some(store) if *wanted => {
                        let (setter, generation) = (photo.clone(), generation.clone());
                        store.photo(id, move |url| {
                            if *generation.borrow() == current {
                                setter.set(url);
                            }
                        })
                    }
                    _ => None,
                };
                photo.set(known);
            },
        );
    }
    (*photo).clone().map(AttrValue::from)
}

/// How often a stale badge's age is refreshed.
pub const TICK_MS: u32 = 30_000;

/// Now, in milliseconds since the Unix epoch; re-renders every [`TICK_MS`] while `ticking`.
#[hook]
pub fn use_clock(ticking: bool) -> u64 {
    let now = use_state(now_ms);
    {
        let now = now.clone();
        use_effect_with(ticking, move |ticking| {
            let interval = ticking.then(|| Interval::new(TICK_MS, move || now.set(now_ms())));
            move || drop(interval)
        });
    }
    if ticking {
        *now
    } else {
        now_ms()
    }
}

/// A component's roster. Compares by identity: a new one is made when the people or the source
/// change.
#[derive(Clone, Debug, Default)]
pub struct RosterHandle(Rc<RefCell<Roster>>);

impl PartialEq for RosterHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl RosterHandle {
    /// Reads the roster.
    pub fn borrow(&self) -> Ref<'_, Roster> {
        self.0.borrow()
    }
}

/// Lower case as the browser makes it (`String.prototype.toLowerCase`): ASCII here, anything
/// else by the browser, so that the wasm module carries no Unicode case tables (7 KB of gzip).
fn fold(text: &str) -> String {
    if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        String::from(js_sys::JsString::from(text).to_lower_case())
    }
}

/// The roster of `users` (named by `names` where the page knows them) at the store of `source`.
#[hook]
pub fn use_roster(
    source: &AttrValue,
    users: &IArray<AttrValue>,
    names: &IMap<AttrValue, AttrValue>,
) -> RosterHandle {
    let stores = use_page().stores;
    let store = stores.get(source).cloned();
    let force = use_force_update();
    let pending = use_memo((), |_| Cell::new(false));
    // This render reads every change so far; the next change asks for a new one.
    pending.set(false);
    // The error to show without a store, compared instead of the whole set of stores, so that
    // configuring another source leaves this roster alone.
    let missing = store.is_none().then(|| stores.missing(source));
    let roster = use_memo(
        (store.clone(), users.clone(), names.clone(), missing),
        |(store, users, names, missing)| {
            let people = users.iter().map(|user| {
                let name = names.get(user).map(|n| n.to_string());
                (UserId::new(user.as_str()), name)
            });
            let state = |id: &UserId| match (store, missing) {
                (Some(store), _) => store.state(id),
                (None, Some(e)) => State::Error(e.clone()),
                (None, None) => State::Loading,
            };
            let roster = Roster::with_fold(people, state, fold);
            RosterHandle(Rc::new(RefCell::new(roster)))
        },
    );
    let handle = (*roster).clone();
    let held = use_mut_ref(Vec::<Subscription>::new);
    {
        // New subscriptions are made before the old ones go, so that people in both the old and
        // the new list keep their presence instead of loading again.
        let held = held.clone();
        use_effect_with((store, handle.clone()), move |(store, handle)| {
            let subscriptions: Vec<Subscription> = match store {
                None => Vec::new(),
                Some(store) => {
                    let ids: Vec<UserId> = handle.borrow().ids().cloned().collect();
                    ids.iter()
                        .map(|id| {
                            let roster = handle.0.clone();
                            let pending = pending.clone();
                            let force = force.clone();
                            store.subscribe(id, move |id, state| {
                                let changed = roster.borrow_mut().set(id, state.clone());
                                if changed && !pending.replace(true) {
                                    force.force_update();
                                }
                            })
                        })
                        .collect()
                }
            };
            let old = std::mem::replace(&mut *held.borrow_mut(), subscriptions);
            drop(old);
        });
    }
    use_effect_with((), move |_| move || drop(held.take()));
    handle
}
