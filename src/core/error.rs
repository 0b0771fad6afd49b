//! `PresenceError`: what went wrong, with the provider and the offending value.

use std::fmt;

use serde::Serialize;

use super::json::{JsonError, Object};
use super::model::ProviderKind;

/// When a request may be tried again, as the service said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "ms", rename_all = "lowercase")]
pub enum Retry {
    /// After this many milliseconds from when the answer arrived (`Retry-After: 2.128`).
    After(u64),
    /// At this moment, in milliseconds since the Unix epoch (`x-ratelimit-reset`, an HTTP date).
    At(u64),
}

impl Retry {
    /// Milliseconds to wait from `now_ms` (milliseconds since the Unix epoch).
    ///
    /// ```
    /// use presence_widgets::core::Retry;
    /// assert_eq!(Retry::After(2128).delay_from(1_000), 2128);
    /// assert_eq!(Retry::At(5_000).delay_from(1_000), 4_000);
    /// assert_eq!(Retry::At(5_000).delay_from(9_000), 0);
    /// ```
    pub fn delay_from(self, now_ms: u64) -> u64 {
        match self {
            Retry::After(ms) => ms,
            Retry::At(at) => at.saturating_sub(now_ms),
        }
    }
}

impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Retry::After(ms) => write!(f, "retry after {ms} ms"),
            Retry::At(at) => write!(f, "retry at {at} ms since the epoch"),
        }
    }
}

/// A configuration error's text as `{"message": …}`, beside its `kind`.
fn as_message<S: serde::Serializer>(message: &str, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry("message", message)?;
    map.end()
}

/// Everything that can go wrong between a page and a presence service.
///
/// Errors are values: they are `Clone` and `PartialEq` so that a widget can keep one in its state,
/// and they never hold a token or a header value.
#[derive(Clone, Debug, PartialEq, thiserror::Error, Serialize)]
#[non_exhaustive]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PresenceError {
    /// The service answered with an error status, or with `success: false`.
    #[error(
        "{provider}: HTTP {status}{}{}{}",
        fmt_code(code),
        fmt_message(message),
        fmt_retry(retry)
    )]
    Http {
        /// Which service.
        provider: ProviderKind,
        /// The HTTP status.
        status: u16,
        /// The service's own error code (`TooManyRequests`, `too.many.requests.retry.after`, …).
        code: Option<String>,
        /// The service's own error message.
        message: Option<String>,
        /// When to try again, where the service said.
        retry: Option<Retry>,
    },
    /// The request did not complete: offline, refused, timed out, blocked by CORS.
    #[error("{provider}: network error: {message}")]
    Network {
        /// Which service.
        provider: ProviderKind,
        /// What the browser reported.
        message: String,
    },
    /// The answer could not be read.
    #[error("{provider}: cannot read the answer at `{path}`: {message}")]
    Decode {
        /// Which service.
        provider: ProviderKind,
        /// Where in the body the problem is (`value[3].id`), `.` for the whole body.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// The configuration or the ids asked for cannot be used.
    #[error("configuration: {0}")]
    Config(#[serde(serialize_with = "as_message")] String),
}

fn fmt_code(code: &Option<String>) -> String {
    code.as_ref().map(|c| format!(" {c}")).unwrap_or_default()
}

fn fmt_message(message: &Option<String>) -> String {
    message
        .as_ref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default()
}

fn fmt_retry(retry: &Option<Retry>) -> String {
    retry.map(|r| format!(" ({r})")).unwrap_or_default()
}

impl PresenceError {
    /// The error as a JSON object, with the fields and names of its `Serialize`: what a
    /// `presence-error` event carries.
    ///
    /// ```
    /// use presence_widgets::core::PresenceError;
    /// let e = PresenceError::Config("no token".into());
    /// assert_eq!(e.to_json(), r#"{"kind":"config","message":"no token"}"#);
    /// ```
    pub fn to_json(&self) -> String {
        match self {
            PresenceError::Http {
                provider,
                status,
                code,
                message,
                retry,
            } => {
                let retry = match retry {
                    Some(Retry::After(ms)) => Object::new()
                        .string("kind", "after")
                        .number("ms", *ms)
                        .finish(),
                    Some(Retry::At(ms)) => Object::new()
                        .string("kind", "at")
                        .number("ms", *ms)
                        .finish(),
                    None => "null".to_owned(),
                };
                Object::new()
                    .string("kind", "http")
                    .string("provider", provider.name())
                    .number("status", u64::from(*status))
                    .opt_string("code", code.as_deref())
                    .opt_string("message", message.as_deref())
                    .raw("retry", &retry)
            }
            PresenceError::Network { provider, message } => Object::new()
                .string("kind", "network")
                .string("provider", provider.name())
                .string("message", message),
            PresenceError::Decode {
                provider,
                path,
                message,
            } => Object::new()
                .string("kind", "decode")
                .string("provider", provider.name())
                .string("path", path)
                .string("message", message),
            PresenceError::Config(message) => Object::new()
                .string("kind", "config")
                .string("message", message),
        }
        .finish()
    }

    /// The provider concerned, where there is one.
    pub fn provider(&self) -> Option<ProviderKind> {
        match self {
            PresenceError::Http { provider, .. }
            | PresenceError::Network { provider, .. }
            | PresenceError::Decode { provider, .. } => Some(*provider),
            PresenceError::Config(_) => None,
        }
    }

    /// The HTTP status, for [`PresenceError::Http`].
    pub fn status(&self) -> Option<u16> {
        match self {
            PresenceError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// When the service asked to be tried again, where it said.
    pub fn retry(&self) -> Option<Retry> {
        match self {
            PresenceError::Http { retry, .. } => *retry,
            _ => None,
        }
    }

    /// True for 401: the credentials are missing, expired or wrong, so new ones should be asked for.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// True for 429: the service is rate-limiting us.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    /// Whether trying again later can succeed: network errors, 408, 429 and 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            PresenceError::Network { .. } => true,
            PresenceError::Http { status, .. } => matches!(status, 408 | 429 | 500..=599),
            PresenceError::Decode { .. } | PresenceError::Config(_) => false,
        }
    }

    /// What the JSON reader found wrong, in an answer of `provider`.
    pub fn json(provider: ProviderKind, error: JsonError) -> Self {
        PresenceError::Decode {
            provider,
            path: error.path,
            message: error.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_serializes_with_its_kind() {
        let config = serde_json::to_value(PresenceError::Config("no token".into())).unwrap();
        assert_eq!(
            config,
            serde_json::json!({"kind": "config", "message": "no token"})
        );
        let network = PresenceError::Network {
            provider: ProviderKind::Graph,
            message: "refused".into(),
        };
        let network = serde_json::to_value(network).unwrap();
        assert_eq!(network["kind"], "network");
        assert_eq!(network["provider"], "graph");
    }

    #[test]
    fn to_json_agrees_with_serialize() {
        let errors = [
            PresenceError::Config("no \"token\"".into()),
            PresenceError::Network {
                provider: ProviderKind::Genesys,
                message: "refused".into(),
            },
            PresenceError::Decode {
                provider: ProviderKind::RocketChat,
                path: "users[0]".into(),
                message: "missing field `_id`".into(),
            },
            PresenceError::Http {
                provider: ProviderKind::Graph,
                status: 429,
                code: Some("TooManyRequests".into()),
                message: None,
                retry: Some(Retry::After(2128)),
            },
            PresenceError::Http {
                provider: ProviderKind::SuperOffice,
                status: 503,
                code: None,
                message: Some("down".into()),
                retry: Some(Retry::At(1_795_424_259_000)),
            },
            PresenceError::Http {
                provider: ProviderKind::RocketChat,
                status: 500,
                code: None,
                message: None,
                retry: None,
            },
        ];
        for e in errors {
            let ours: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
            assert_eq!(ours, serde_json::to_value(&e).unwrap());
        }
    }

    #[test]
    fn display_names_everything_known() {
        let e = PresenceError::Http {
            provider: ProviderKind::Graph,
            status: 429,
            code: Some("TooManyRequests".into()),
            message: Some("Please retry again later.".into()),
            retry: Some(Retry::After(2128)),
        };
        assert_eq!(
            e.to_string(),
            "graph: HTTP 429 TooManyRequests: Please retry again later. (retry after 2128 ms)"
        );
        assert!(e.is_rate_limited() && e.is_transient() && !e.is_unauthorized());
    }

    #[test]
    fn decode_error_names_the_path() {
        let e = PresenceError::Decode {
            provider: ProviderKind::RocketChat,
            path: "users[2]._id".into(),
            message: "invalid type: integer `5`, expected a string".into(),
        };
        assert!(e.to_string().contains("`users[2]._id`"));
        assert!(!e.is_transient());
    }
}
