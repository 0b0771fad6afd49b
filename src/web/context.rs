//! The yew side: the page's stores by name, and the context provider that holds them and the
//! page's words for the components below it (read through [`super::hooks`]).

use std::rc::Rc;

use yew::prelude::*;

use super::store::Store;
use crate::core::{Labels, PresenceError};

/// The page's stores by source name, and why the sources that could not be configured failed.
/// Compares by identity, so components re-render only when the set is replaced.
#[derive(Clone, Debug, Default)]
pub struct Stores(Rc<Sources>);

#[derive(Debug, Default)]
struct Sources {
    // A page has a handful of sources: a list, sorted by name, is all it takes.
    stores: Vec<Store>,
    errors: Vec<(String, PresenceError)>,
}

impl PartialEq for Stores {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Stores {
    /// The stores, each under its source's name.
    pub fn new(stores: impl IntoIterator<Item = Store>) -> Self {
        Self::with_errors(stores, [])
    }

    /// The stores, and the sources whose configuration failed with the error to show on their
    /// widgets.
    pub fn with_errors(
        stores: impl IntoIterator<Item = Store>,
        errors: impl IntoIterator<Item = (String, PresenceError)>,
    ) -> Self {
        // Kept sorted by name as they come; the last store given under a name wins. The lists are
        // a handful long: an insertion each is all the sorting they need.
        let mut sorted: Vec<Store> = Vec::new();
        for store in stores {
            match sorted.binary_search_by(|s| s.name().cmp(store.name())) {
                Ok(i) => {
                    if let Some(slot) = sorted.get_mut(i) {
                        *slot = store;
                    }
                }
                Err(i) => sorted.insert(i, store),
            }
        }
        let stores = sorted;
        let mut sorted: Vec<(String, PresenceError)> = Vec::new();
        for (name, error) in errors {
            if stores.iter().any(|s| s.name() == name) {
                continue;
            }
            let i = sorted.partition_point(|(n, _)| *n <= name);
            sorted.insert(i, (name, error));
        }
        let errors = sorted;
        Self(Rc::new(Sources { stores, errors }))
    }

    /// The store of the source named `name`.
    pub fn get(&self, name: &str) -> Option<&Store> {
        self.0.stores.iter().find(|s| s.name() == name)
    }

    /// The source names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.stores.iter().map(Store::name)
    }

    /// The sources whose configuration failed, with why.
    pub fn errors(&self) -> impl Iterator<Item = (&str, &PresenceError)> {
        self.0.errors.iter().map(|(n, e)| (n.as_str(), e))
    }

    /// What a widget naming `source` shows when there is no store for it: the configuration's
    /// error, or that no such source was configured.
    pub fn missing(&self, source: &str) -> PresenceError {
        self.0
            .errors
            .iter()
            .find(|(name, _)| name == source)
            .map_or_else(|| missing_source(source), |(_, e)| e.clone())
    }
}

/// What a [`PresenceProvider`] gives the components below it: one context, not two, so that the
/// package compiles one context provider.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Page {
    pub(crate) stores: Stores,
    pub(crate) labels: Labels,
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
        <ContextProvider<Page> context={Page { stores: props.stores.clone(), labels: props.labels.clone() }}>
            { props.children.clone() }
        </ContextProvider<Page>>
    }
}

/// The error of a component that names a source nobody configured.
pub(crate) fn missing_source(source: &str) -> PresenceError {
    PresenceError::Config(format!(
        "no presence source named `{source}` around this component"
    ))
}
