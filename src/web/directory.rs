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
/// (whose widgets keep their subscriptions to the old one until they re-subscribe). A
/// configuration that fails is registered too, so that widgets naming it show why.
///
/// # Errors
/// [`PresenceError::Config`] when the configuration is unusable.
pub fn configure(config: SourceConfig) -> Result<Store, PresenceError> {
    let name = config.name.clone();
    let made = Store::new(config);
    register(&name, made.clone());
    made
}

/// Registers why the source named `name` cannot be used, replacing any store of that name; its
/// widgets show the error.
pub fn fail(name: &str, error: PresenceError) {
    register(name, Err(error));
}

fn register(name: &str, made: Result<Store, PresenceError>) {
    STORES.with(|stores| {
        let next = {
            let current = stores.borrow();
            let kept = current
                .names()
                .filter(|n| *n != name)
                .filter_map(|n| current.get(n).cloned());
            let others = current
                .errors()
                .filter(|(n, _)| *n != name)
                .map(|(n, e)| (n.to_owned(), e.clone()));
            match &made {
                Ok(store) => Stores::with_errors(kept.chain([store.clone()]), others),
                Err(e) => Stores::with_errors(kept, others.chain([(name.to_owned(), e.clone())])),
            }
        };
        *stores.borrow_mut() = next;
    });
}

/// The registered store of the source named `name`.
pub fn store(name: &str) -> Option<Store> {
    STORES.with(|stores| stores.borrow().get(name).cloned())
}

/// Every registered store, for a [`super::PresenceProvider`].
pub fn stores() -> Stores {
    STORES.with(|stores| stores.borrow().clone())
}
