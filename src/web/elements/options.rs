//! Reads the object a page passes to `configure()` into source configurations: the kind, the
//! base URL, credentials as values or async functions, polling options. Nothing here throws: a
//! bad source becomes an error naming the field, shown on its widgets.

use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::core::{Adapter, Labels, PresenceError, ProviderKind};
use crate::web::source::{Auth, CredentialsFuture, SourceConfig};

/// What `configure()` was given.
pub struct Options {
    /// Each source by name: its configuration, or why it cannot be used.
    pub sources: Vec<(String, Result<SourceConfig, PresenceError>)>,
    /// The page's words, when it gave any.
    pub labels: Option<Labels>,
}

fn field(object: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(object, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn text(object: &JsValue, name: &str) -> Option<String> {
    field(object, name).and_then(|v| v.as_string())
}

/// A provider's setting as text: a string (`genesysSource`); with pictures (feature `photo`),
/// also a boolean (Graph's `photos: true`).
#[cfg(not(feature = "photo"))]
fn setting_text(object: &JsValue, name: &str) -> Option<String> {
    text(object, name)
}

/// A provider's setting as text: a string (`genesysSource`), or a boolean (Graph's
/// `photos: true`).
#[cfg(feature = "photo")]
fn setting_text(object: &JsValue, name: &str) -> Option<String> {
    let value = field(object, name)?;
    value
        .as_string()
        .or_else(|| value.as_bool().map(|b| b.to_string()))
}

/// A non-negative whole number of at most 2^53, from a JS number.
fn whole(object: &JsValue, name: &str) -> Option<u64> {
    let value = field(object, name)?.as_f64()?;
    if !value.is_finite() || !(0.0..=9_007_199_254_740_991.0).contains(&value) {
        return None;
    }
    // Exact: a finite, non-negative f64 below 2^53, rounded down, is a u64.
    #[allow(clippy::as_conversions, reason = "range checked just above")]
    Some(value.floor() as u64)
}

fn config_error(name: &str, why: &str) -> PresenceError {
    PresenceError::Config(format!("source `{name}`: {why}"))
}

/// A configuration error of the adapter's, naming the source.
fn named(name: &str, error: PresenceError) -> PresenceError {
    match error {
        PresenceError::Config(why) => config_error(name, &why),
        other => other,
    }
}

/// Reads `configure()`'s argument.
pub fn read(options: &JsValue) -> Result<Options, PresenceError> {
    if !options.is_object() {
        return Err(PresenceError::Config(
            "configure() takes an object: { sources: { name: { kind, baseUrl, … } } }".into(),
        ));
    }
    let labels = field(options, "labels").map(|table| {
        let pairs = Object::entries(&Object::from(table))
            .iter()
            .filter_map(|entry| {
                let key = Reflect::get_u32(&entry, 0).ok()?.as_string()?;
                let value = Reflect::get_u32(&entry, 1).ok()?.as_string()?;
                Some((key, value))
            })
            .collect::<Vec<_>>();
        Labels::from_pairs(pairs)
    });
    let sources = match field(options, "sources") {
        Some(sources) if sources.is_object() => Object::entries(&Object::from(sources))
            .iter()
            .filter_map(|entry| {
                let name = Reflect::get_u32(&entry, 0).ok()?.as_string()?;
                let value = Reflect::get_u32(&entry, 1).ok()?;
                let config = source(&name, &value);
                Some((name, config))
            })
            .collect(),
        _ if labels.is_some() => Vec::new(),
        _ => {
            return Err(PresenceError::Config(
                "configure() needs `sources`: { name: { kind, baseUrl, … } }".into(),
            ))
        }
    };
    Ok(Options { sources, labels })
}

/// One source's configuration.
fn source(name: &str, value: &JsValue) -> Result<SourceConfig, PresenceError> {
    if name.trim().is_empty() {
        return Err(PresenceError::Config("a source needs a name".into()));
    }
    if !value.is_object() {
        return Err(config_error(
            name,
            "expected an object { kind, baseUrl, … }",
        ));
    }
    let kind_text = text(value, "kind").unwrap_or_default();
    let kind = ProviderKind::from_name(&kind_text).ok_or_else(|| {
        let kinds: Vec<&str> = Adapter::kinds().map(ProviderKind::name).collect();
        config_error(
            name,
            &format!("unknown kind `{kind_text}`: use {}", kinds.join(", ")),
        )
    })?;
    let base_url = text(value, "baseUrl")
        .ok_or_else(|| config_error(name, "set `baseUrl`, the service's API root"))?;
    let adapter = Adapter::new(kind, &base_url).map_err(|e| named(name, e))?;
    let auth = auth(name, &adapter, value)?;
    let mut config = SourceConfig::new(name, kind, &base_url, auth);
    config.interval_ms = whole(value, "intervalMs");
    if let Some(timeout) = whole(value, "timeoutMs").and_then(|t| u32::try_from(t).ok()) {
        config.timeout_ms = timeout;
    }
    config.language = text(value, "language");
    config.settings = adapter
        .setting_names()
        .iter()
        .filter_map(|setting| Some(((*setting).to_owned(), setting_text(value, setting)?)))
        .collect();
    config.send_cookies = field(value, "sendCookies").and_then(|v| v.as_bool()) == Some(true);
    config.live = field(value, "live").and_then(|v| v.as_bool()) != Some(false);
    config.share_tabs = field(value, "shareTabs").and_then(|v| v.as_bool()) != Some(false);
    if let Some(ms) = whole(value, "reconcileMs") {
        config.reconcile_ms = ms.max(1_000);
    }
    config.check()?;
    Ok(config)
}

/// A credential field: a string, or a function returning a string or a promise of one.
#[derive(Clone)]
enum Given {
    Value(String),
    Function(Function),
}

impl Given {
    fn read(object: &JsValue, name: &str) -> Option<Given> {
        let value = field(object, name)?;
        if let Some(f) = value.dyn_ref::<Function>() {
            return Some(Given::Function(f.clone()));
        }
        value.as_string().map(Given::Value)
    }

    /// The value, when it is one rather than a function.
    fn value(&self) -> Option<String> {
        match self {
            Given::Value(v) => Some(v.clone()),
            Given::Function(_) => None,
        }
    }

    async fn get(&self, field: &str) -> Result<String, String> {
        let f = match self {
            Given::Value(v) => return Ok(v.clone()),
            Given::Function(f) => f,
        };
        let returned = f
            .call0(&JsValue::UNDEFINED)
            .map_err(|e| format!("`{field}` threw: {}", describe(&e)))?;
        let resolved = JsFuture::from(Promise::resolve(&returned))
            .await
            .map_err(|e| format!("`{field}` rejected: {}", describe(&e)))?;
        resolved
            .as_string()
            .ok_or_else(|| format!("`{field}` gave no string"))
    }
}

/// A thrown value's message, never the value itself (it might hold a token).
fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| "an error".to_owned())
}

/// The credentials the adapter takes, read from the fields it names: values now, or any
/// function among them asked at each request.
fn auth(name: &str, adapter: &Adapter, value: &JsValue) -> Result<Auth, PresenceError> {
    let fields = adapter.credential_fields();
    let mut given = Vec::with_capacity(fields.len());
    for f in fields {
        match Given::read(value, f.name) {
            Some(g) => given.push(Some(g)),
            None if !f.required => given.push(None),
            None if field(value, "auth").and_then(|a| a.as_string()).as_deref() == Some("none") => {
                return Ok(Auth::None)
            }
            None => {
                let required: Vec<String> = fields
                    .iter()
                    .filter(|f| f.required)
                    .map(|f| format!("`{}`", f.name))
                    .collect();
                return Err(config_error(
                    name,
                    &format!(
                        "{} needs {} (strings or async functions), or `auth: \"none\"`",
                        adapter.kind(),
                        required.join(" and ")
                    ),
                ));
            }
        }
    }
    // Only values: fixed credentials, checked now. Any function: asked for at each request.
    let values: Option<Vec<Option<String>>> = given
        .iter()
        .map(|g| match g {
            None => Some(None),
            Some(g) => g.value().map(Some),
        })
        .collect();
    if let Some(values) = values {
        let credentials = adapter.credentials(&values).map_err(|e| named(name, e))?;
        return Ok(Auth::Value(credentials));
    }
    let names: Vec<&'static str> = fields.iter().map(|f| f.name).collect();
    let given = Rc::new(given);
    let adapter = Rc::new(adapter.clone());
    Ok(Auth::Callback(Rc::new(move || -> CredentialsFuture {
        let given = given.clone();
        let adapter = adapter.clone();
        let names = names.clone();
        Box::pin(async move {
            let mut values = Vec::with_capacity(given.len());
            for (g, f) in given.iter().zip(&names) {
                values.push(match g {
                    Some(g) => Some(g.get(f).await?),
                    None => None,
                });
            }
            adapter.credentials(&values).map_err(|e| match e {
                PresenceError::Config(why) => why,
                other => other.to_string(),
            })
        })
    })))
}

/// Reads `setStatus()`'s write: `{ status?, reset?, message?, expiresAt? }` (`expiresAt` a Date
/// or milliseconds since the epoch).
///
/// # Errors
/// [`PresenceError::Config`] naming the field of the wrong type.
#[cfg(feature = "write")]
pub fn read_write(write: &JsValue) -> Result<crate::core::StatusWrite, PresenceError> {
    let wrong = |name: &str, what: &str| {
        PresenceError::Config(format!("setStatus(): `{name}` must be {what}"))
    };
    if !write.is_object() {
        return Err(PresenceError::Config(
            "setStatus() takes { status?, reset?, message?, expiresAt? }".into(),
        ));
    }
    let string = |name: &str| match field(write, name) {
        None => Ok(None),
        Some(v) => v
            .as_string()
            .map(Some)
            .ok_or_else(|| wrong(name, "a string")),
    };
    let reset = match field(write, "reset") {
        None => false,
        Some(v) => v.as_bool().ok_or_else(|| wrong("reset", "true or false"))?,
    };
    let expires_ms = match field(write, "expiresAt") {
        None => None,
        Some(v) => {
            let ms = match v.dyn_ref::<js_sys::Date>() {
                Some(date) => date.get_time(),
                None => v.as_f64().unwrap_or(f64::NAN),
            };
            let object = Object::new();
            let _ = Reflect::set(&object, &JsValue::from_str("at"), &JsValue::from_f64(ms));
            Some(
                whole(&object, "at")
                    .ok_or_else(|| wrong("expiresAt", "a Date or milliseconds since the epoch"))?,
            )
        }
    };
    Ok(crate::core::StatusWrite {
        status: string("status")?,
        reset,
        message: string("message")?,
        expires_ms,
    })
}
