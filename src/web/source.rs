//! What a page configures for one presence service: its kind, base URL, credentials (a value, or
//! an async callback asked again after a 401) and polling options.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use crate::core::http::check_base_url;
use crate::core::schedule::Policy;
use crate::core::{Adapter, Credentials, PresenceError, ProviderKind};

/// A future of credentials, from a page's callback (MSAL, a Genesys PKCE login, a cookie session).
pub type CredentialsFuture = Pin<Box<dyn Future<Output = Result<Credentials, String>>>>;

/// Where credentials come from.
#[derive(Clone)]
pub enum Auth {
    /// Fixed credentials.
    Value(Credentials),
    /// Asked for before the first request and again after a 401.
    Callback(Rc<dyn Fn() -> CredentialsFuture>),
    /// None: the service needs no credentials (a same-origin proxy that adds them).
    None,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Value(c) => f.debug_tuple("Value").field(c).finish(),
            Auth::Callback(_) => f.write_str("Callback(..)"),
            Auth::None => f.write_str("None"),
        }
    }
}

/// One configured presence service.
#[derive(Clone, Debug)]
pub struct SourceConfig {
    /// The name widgets use to refer to it (`teams`, `support`).
    pub name: String,
    /// Which provider it is.
    pub kind: ProviderKind,
    /// The API root: `https://graph.microsoft.com/v1.0`, `https://chat.example.com`,
    /// `https://api.mypurecloud.ie`, `https://sod.superoffice.com/Cust12345`.
    pub base_url: String,
    /// Where credentials come from.
    pub auth: Auth,
    /// Milliseconds between polls; the provider's default when `None`.
    pub interval_ms: Option<u64>,
    /// Milliseconds before a request is aborted.
    pub timeout_ms: u32,
    /// The language of the provider's own labels (Genesys: `fr`, `de-CH`); the page's language
    /// when `None`.
    pub language: Option<String>,
    /// The provider's own settings by name (see `Provider::setting_names`), such as
    /// `("genesysSource", "microsoftteams")`.
    pub settings: Vec<(String, String)>,
    /// Whether the browser may send cookies to the service.
    pub send_cookies: bool,
    /// Whether changes are pushed where the service pushes to a browser (Rocket.Chat,
    /// Genesys Cloud); `false` polls. On by default.
    pub live: bool,
    /// While pushed, milliseconds between reconciliation polls that heal a missed event
    /// (5 minutes by default).
    pub reconcile_ms: u64,
    /// Whether the tabs of the page's origin share this source: one tab (the leader, elected
    /// with the Web Locks API) holds its socket and polls it for every tab. On by default.
    pub share_tabs: bool,
}

pub use crate::core::reader::DEFAULT_RECONCILE_MS;

impl SourceConfig {
    /// A source with the provider's defaults.
    pub fn new(name: &str, kind: ProviderKind, base_url: &str, auth: Auth) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            base_url: base_url.trim().to_owned(),
            auth,
            interval_ms: None,
            timeout_ms: super::transport::DEFAULT_TIMEOUT_MS,
            language: None,
            settings: Vec::new(),
            send_cookies: false,
            live: true,
            reconcile_ms: DEFAULT_RECONCILE_MS,
            share_tabs: true,
        }
    }

    /// Checks the configuration: a name, an https base URL (http only on localhost), a provider
    /// this build has, its settings, and credentials of the provider's kind.
    ///
    /// # Errors
    /// [`PresenceError::Config`] saying what is wrong.
    pub fn check(&self) -> Result<(), PresenceError> {
        self.adapter(None).map(|_| ())
    }

    /// The polling policy: the provider's defaults, with the page's interval raised to the
    /// provider's floor where it asks for less.
    ///
    /// # Errors
    /// As [`SourceConfig::check`].
    pub fn policy(&self) -> Result<Policy, PresenceError> {
        let defaults = Policy::new(self.adapter(None)?.cadence());
        Ok(match self.interval_ms {
            Some(ms) => defaults.with_interval(ms).0,
            None => defaults,
        })
    }

    /// The adapter for this source, its labels in `language` (else the page's), with its
    /// settings.
    ///
    /// # Errors
    /// As [`SourceConfig::check`].
    pub fn adapter(&self, page_language: Option<&str>) -> Result<Adapter, PresenceError> {
        let named = |why: String| PresenceError::Config(format!("source `{}`: {why}", self.name));
        let unnamed = |e: PresenceError| match e {
            PresenceError::Config(why) => named(why),
            other => other,
        };
        if self.name.trim().is_empty() {
            return Err(PresenceError::Config("a source needs a name".into()));
        }
        check_base_url(&self.base_url).map_err(unnamed)?;
        let mut adapter = Adapter::new(self.kind, &self.base_url).map_err(unnamed)?;
        if let Some(language) = self.language.as_deref().or(page_language) {
            adapter.set_language(language);
        }
        for (name, value) in &self.settings {
            adapter.set(name, value).map_err(unnamed)?;
        }
        if let Auth::Value(credentials) = &self.auth {
            adapter.check_credentials(credentials).map_err(unnamed)?;
        }
        Ok(adapter)
    }
}
