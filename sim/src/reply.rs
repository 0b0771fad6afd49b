//! Answers, and each provider's documented error shapes.

use serde_json::json;

use crate::clock::{iso, now_ms};
use crate::people::Provider;
use crate::world::RateState;

/// One answer before it becomes an HTTP response.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// The body.
    pub body: String,
    /// `Content-Type`; empty for none.
    pub content_type: &'static str,
    /// Other headers.
    pub headers: Vec<(&'static str, String)>,
    /// Ids the request asked about, for the stats.
    pub ids: u64,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: String) -> Self {
        Self {
            status,
            body,
            content_type: "application/json; charset=utf-8",
            headers: Vec::new(),
            ids: 0,
        }
    }

    /// An answer with no body and no `Content-Type` (Graph's writes: "200 OK" and nothing).
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            body: String::new(),
            content_type: "",
            headers: Vec::new(),
            ids: 0,
        }
    }

    /// A JSON answer from a value.
    pub fn value(status: u16, body: &serde_json::Value) -> Self {
        Self::json(status, body.to_string())
    }

    /// The same answer, counting `ids` ids.
    pub fn counting(mut self, ids: usize) -> Self {
        self.ids = u64::try_from(ids).unwrap_or(u64::MAX);
        self
    }

    /// The same answer with one more header.
    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// Sets `key` of a JSON object (does nothing to other values).
pub fn set(value: &mut serde_json::Value, key: &str, field: serde_json::Value) {
    if let Some(object) = value.as_object_mut() {
        object.insert(key.to_owned(), field);
    }
}

/// The `innerError.date` Graph writes: UTC to the second, without a zone (`2020-08-18T12:51:51`).
fn graph_date() -> String {
    let now = iso(now_ms());
    now.split('.').next().unwrap_or_default().to_owned()
}

/// A request id for error bodies.
fn request_id() -> String {
    format!(
        "{:032x}",
        u128::from(now_ms()).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
    )
}

/// An error in the provider's documented shape.
///
/// - Graph: `{"error": {"code", "message", "innerError": {"date", "request-id", …}}}`
/// - Rocket.Chat: `{"success": false, "error", "errorType"?}`, but 401 is
///   `{"status": "error", "message"}`
/// - Genesys: `ErrorBody` `{"message", "code", "status", "contextId", "details", "errors"}`
/// - SuperOffice documents none; `{"Error", "ErrorType", "Message"}` as its WebAPI writes them.
pub fn error(provider: Provider, status: u16, code: &str, message: &str) -> Reply {
    let body = match provider {
        Provider::Graph => json!({
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": graph_date(),
                    "request-id": request_id(),
                    "client-request-id": request_id(),
                }
            }
        }),
        Provider::RocketChat if status == 401 => json!({ "status": "error", "message": message }),
        Provider::RocketChat if code.is_empty() => json!({ "success": false, "error": message }),
        Provider::RocketChat => json!({ "success": false, "error": message, "errorType": code }),
        Provider::Genesys => json!({
            "message": message,
            "code": code,
            "status": status,
            "contextId": request_id(),
            "details": [],
            "errors": [],
        }),
        Provider::SuperOffice => json!({ "Error": message, "ErrorType": code, "Message": message }),
    };
    Reply::value(status, &body)
}

/// 401 in the provider's shape.
pub fn unauthorized(provider: Provider) -> Reply {
    match provider {
        Provider::Graph => error(
            provider,
            401,
            "InvalidAuthenticationToken",
            "Access token is empty or invalid.",
        ),
        Provider::RocketChat => error(provider, 401, "", "You must be logged in to do this."),
        Provider::Genesys => error(
            provider,
            401,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
        ),
        Provider::SuperOffice => error(
            provider,
            401,
            "SoAuthenticationException",
            "Authentication failed",
        ),
    }
}

/// 500 in the provider's shape.
pub fn server_error(provider: Provider) -> Reply {
    match provider {
        Provider::Graph => error(
            provider,
            500,
            "generalException",
            "An unspecified error has occurred.",
        ),
        Provider::RocketChat => error(provider, 500, "", "Internal error occured"),
        Provider::Genesys => error(
            provider,
            500,
            "internal.server.error",
            "The server encountered an internal error.",
        ),
        Provider::SuperOffice => error(
            provider,
            500,
            "SoServerException",
            "An unexpected error occurred.",
        ),
    }
}

/// 429 with the provider's retry signal: Graph a fractional `Retry-After`, Genesys a whole one and
/// its normalized body, Rocket.Chat `x-ratelimit-*` (reset in epoch milliseconds) and its text.
pub fn too_many(provider: Provider, rate: &RateState) -> Reply {
    let seconds = rate.wait_ms.div_ceil(1000).max(1);
    match provider {
        Provider::Graph => {
            let body = json!({
                "error": {
                    "code": "TooManyRequests",
                    "innerError": {
                        "code": "429",
                        "date": graph_date(),
                        "message": "Please retry after",
                        "request-id": request_id(),
                        "status": "429"
                    },
                    "message": "Please retry again later."
                }
            });
            let retry = format!("{}.{:03}", rate.wait_ms / 1000, rate.wait_ms % 1000);
            Reply::value(429, &body).with_header("Retry-After", retry)
        }
        Provider::RocketChat => error(
            provider,
            429,
            "",
            &format!(
                "Error, too many requests. Please slow down. You must wait {seconds} seconds before trying this endpoint again. [error-too-many-requests]"
            ),
        ),
        Provider::Genesys => error(
            provider,
            429,
            "too.many.requests.retry.after",
            &format!("Rate limit exceeded the maximum. Retry the request in [{seconds}] seconds"),
        )
        .with_header("Retry-After", seconds.to_string()),
        Provider::SuperOffice => error(provider, 429, "SoThrottledException", "Too many requests")
            .with_header("Retry-After", seconds.to_string()),
    }
    .with_rate(provider, rate)
}

impl Reply {
    /// Rocket.Chat's `x-ratelimit-*` headers, on every answer of a limited endpoint.
    pub fn with_rate(self, provider: Provider, rate: &RateState) -> Self {
        if provider != Provider::RocketChat {
            return self;
        }
        self.with_header("x-ratelimit-limit", rate.limit.to_string())
            .with_header("x-ratelimit-remaining", rate.remaining.to_string())
            .with_header("x-ratelimit-reset", rate.reset_ms.to_string())
    }
}

/// The page a misbehaving proxy answers with: HTML, status 200.
pub fn html_page() -> Reply {
    Reply {
        status: 200,
        body: "<!DOCTYPE html><html><head><title>Service temporarily unavailable</title></head>\
               <body><h1>Service temporarily unavailable</h1><p>Please try again later.</p></body></html>"
            .into(),
        content_type: "text/html; charset=utf-8",
        headers: Vec::new(),
        ids: 0,
    }
}
