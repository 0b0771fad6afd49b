//! The yew side: a context provider holding the page's stores, and `use_presence`.

use std::collections::BTreeMap;
use std::rc::Rc;

use yew::prelude::*;

use super::store::Store;
use crate::core::{Labels, PresenceError, State, UserId};

/// The page's stores by source name. Compares by identity, so components re-render only when the
/// set of stores is replaced.
#[derive(Clone, Debug, Default)]
pub struct Stores(Rc<BTreeMap<String, Store>>);

impl PartialEq for Stores {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Stores {
    /// The stores, each under its source's name.
    pub fn new(stores: impl IntoIterator<Item = Store>) -> Self {
        Self(Rc::new(
            stores
                .into_iter()
                .map(|s| (s.name().to_owned(), s))
                .collect(),
        ))
    }

    /// The store of the source named `name`.
    pub fn get(&self, name: &str) -> Option<&Store> {
        self.0.get(name)
    }

    /// The source names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// Props of [`PresenceProvider`].
#[derive(Properties, PartialEq)]
pub struct PresenceProviderProps {
    /// The stores the components below may use.
    pub stores: Stores,
    /// The words the components show; English by default.
    #[prop_or_default]
    pub labels: Labels,
    /// The components.
    #[prop_or_default]
    pub children: Html,
}

/// Makes `stores` (and `labels`) available to every presence component and hook below it.
///
/// ```no_run
/// use presence_widgets::core::{Credentials, ProviderKind, Secret};
/// use presence_widgets::web::{Auth, PresenceProvider, SourceConfig, Store, Stores};
/// use yew::prelude::*;
///
/// #[component]
/// fn App() -> Html {
///     let stores = use_memo((), |_| {
///         let config = SourceConfig::new("teams", ProviderKind::Graph, "https://graph.microsoft.com/v1.0",
///             Auth::Value(Credentials::Bearer(Secret::new("token"))));
///         Stores::new(Store::new(config).ok())
///     });
///     html! { <PresenceProvider stores={(*stores).clone()}>{ "…badges…" }</PresenceProvider> }
/// }
/// ```
#[component]
pub fn PresenceProvider(props: &PresenceProviderProps) -> Html {
    html! {
        <ContextProvider<Stores> context={props.stores.clone()}>
            <ContextProvider<Labels> context={props.labels.clone()}>
                { props.children.clone() }
            </ContextProvider<Labels>>
        </ContextProvider<Stores>>
    }
}

/// The error of a component that names a source nobody configured.
pub(crate) fn missing_source(source: &str) -> PresenceError {
    PresenceError::Config(format!(
        "no presence source named `{source}` around this component"
    ))
}

/// The state of one person from a source of the surrounding [`PresenceProvider`]: `Loading`,
/// then `Fresh`, `Stale` after a failed poll (with the last good presence), or `Error` when it
/// never loaded. The component re-renders when, and only when, that person's state changes.
#[hook]
pub fn use_presence(source: &str, id: &str) -> State {
    let stores = use_context::<Stores>();
    let store = stores.as_ref().and_then(|s| s.get(source)).cloned();
    let user = UserId::new(id);
    let missing = |source: &str| State::Error(missing_source(source));
    let state = use_state(|| match &store {
        Some(s) => s.state(&user),
        None => missing(source),
    });
    {
        let state = state.clone();
        let source = source.to_owned();
        use_effect_with((store, user), move |(store, user)| {
            let subscription = match store {
                Some(store) => {
                    let setter = state.clone();
                    let subscription = store.subscribe(user, move |_, s| setter.set(s.clone()));
                    state.set(store.state(user));
                    Some(subscription)
                }
                None => {
                    state.set(missing(&source));
                    None
                }
            };
            move || drop(subscription)
        });
    }
    (*state).clone()
}
