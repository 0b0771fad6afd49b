//! The page's stores by source name, shared by the yew provider and the JS API: a widget made
//! from JavaScript and a yew component that name the same source use the same store, so the same
//! person is fetched once.

use std::cell::RefCell;

use super::context::Stores;
use super::source::SourceConfig;
use super::store::Store;
use crate::core::PresenceError;

thread_local! {
    static STORES: RefCell<Stores> = RefCell::new(Stores::default());
}

/// Makes a store for `config` and registers it under its name, replacing any store of that name
/// (whose widgets keep their subscriptions to the old one until they re-subscribe).
///
/// # Errors
/// [`PresenceError::Config`] when the configuration is unusable.
pub fn configure(config: SourceConfig) -> Result<Store, PresenceError> {
    let store = Store::new(config)?;
    STORES.with(|stores| {
        let mut all: Vec<Store> = {
            let current = stores.borrow();
            current
                .names()
                .filter(|n| *n != store.name())
                .filter_map(|n| current.get(n).cloned())
                .collect()
        };
        all.push(store.clone());
        *stores.borrow_mut() = Stores::new(all);
    });
    Ok(store)
}

/// The registered store of the source named `name`.
pub fn store(name: &str) -> Option<Store> {
    STORES.with(|stores| stores.borrow().get(name).cloned())
}

/// Every registered store, for a [`super::PresenceProvider`].
pub fn stores() -> Stores {
    STORES.with(|stores| stores.borrow().clone())
}
