//! Sends a core [`HttpRequest`] with gloo-net and returns the answer whole. I/O only.
//!
//! The transport adds the credentials' headers, never sends cookies unless asked, aborts a request
//! that outlives its timeout through an `AbortController`, checks nothing about the status (fetch
//! resolves on 404 and 500 alike) and reads the body as text for the adapter to parse. A picture
//! (feature `avatar`) is fetched by a small JS function, its body kept as a `Blob`.

use gloo_net::http::{Headers, Method as GlooMethod, RequestBuilder};
use gloo_timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, RequestCredentials};

use crate::core::{Credentials, HttpRequest, HttpResponse, Method, PresenceError};

/// How long a request may take before it is aborted, unless the source says otherwise.
pub const DEFAULT_TIMEOUT_MS: u32 = 15_000;

/// How requests leave the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transport {
    /// Milliseconds before a request is aborted.
    pub timeout_ms: u32,
    /// Whether the browser may send its cookies (a cookie session behind the service); off unless
    /// the page asks.
    pub send_cookies: bool,
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            timeout_ms: DEFAULT_TIMEOUT_MS,
            send_cookies: false,
        }
    }
}

impl Transport {
    /// Sends `request` with `credentials` and returns the answer, whatever its status.
    ///
    /// # Errors
    /// [`PresenceError::Network`] when no answer arrived (offline, refused, CORS, timed out) or
    /// the request could not be built; [`PresenceError::Config`] for a header value the browser
    /// refuses.
    pub async fn send(
        &self,
        request: &HttpRequest,
        credentials: Option<&Credentials>,
    ) -> Result<HttpResponse, PresenceError> {
        let provider = request.endpoint.provider();
        let network = |message: String| PresenceError::Network { provider, message };

        let headers = web_sys::Headers::new().map_err(|e| network(describe(&e)))?;
        let auth = credentials.map(Credentials::headers).unwrap_or_default();
        for (name, value) in request.headers.iter().chain(auth.iter()) {
            headers.append(name, value).map_err(|_| {
                // Never echo the value: it may be a token.
                PresenceError::Config(format!("{provider}: the browser refused the {name} header"))
            })?;
        }

        let controller = AbortController::new().map_err(|e| network(describe(&e)))?;
        let method = match request.method {
            Method::Get => GlooMethod::GET,
            Method::Post => GlooMethod::POST,
            Method::Put => GlooMethod::PUT,
            Method::Patch => GlooMethod::PATCH,
        };
        let credentials_mode = if self.send_cookies {
            RequestCredentials::Include
        } else {
            RequestCredentials::Omit
        };
        let builder = RequestBuilder::new(&request.url)
            .method(method)
            .headers(Headers::from_raw(headers))
            .credentials(credentials_mode)
            .abort_signal(Some(&controller.signal()));
        let built = match &request.body {
            Some(body) => builder.body(body.as_str()),
            None => builder.build(),
        }
        .map_err(|e| network(e.to_string()))?;

        // Aborts the request when the time runs out; cleared when dropped, once the body is in.
        let aborter = controller.clone();
        let _timer = Timeout::new(self.timeout_ms, move || aborter.abort());
        let requested_at_ms = now_ms();
        let response = built.send().await.map_err(|e| {
            if controller.signal().aborted() {
                network(format!("no answer within {} ms", self.timeout_ms))
            } else {
                network(e.to_string())
            }
        })?;
        let status = response.status();
        let headers = response.headers().entries().collect();
        let body = response.text().await.map_err(|e| network(e.to_string()))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
            requested_at_ms: Some(requested_at_ms),
        })
    }
}

// `fetch_picture(url, pairs, cookies, ms)`: as `Transport::send` sends (`pairs`: the headers as
// `[name, value]`), the answer as `[status, [[name, value], …], body]`, the body a `Blob` for a
// 2xx answer and text otherwise. In JS, so that the package's live entry carries no second copy
// of the request's making.
#[cfg(feature = "avatar")]
#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export async function fetch_picture(url, pairs, cookies, ms) {
  const headers = new Headers();
  for (const [name, value] of pairs) {
    // Never echo the value: it may be a token.
    try { headers.append(name, value); } catch (_) { throw new Error(`the browser refused the ${name} header`); }
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    const answer = await fetch(url, { headers, credentials: cookies ? "include" : "omit", signal: controller.signal });
    return [String(answer.status), [...answer.headers], answer.ok ? await answer.blob() : await answer.text()];
  } catch (e) {
    throw new Error(controller.signal.aborted ? `no answer within ${ms} ms` : String(e?.message ?? e));
  } finally {
    clearTimeout(timer);
  }
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn fetch_picture(
        url: &str,
        pairs: js_sys::Array,
        cookies: bool,
        ms: u32,
    ) -> Result<JsValue, JsValue>;
}

#[cfg(feature = "avatar")]
impl Transport {
    /// Sends a request for a picture as [`Transport::send`] sends any: a 2xx answer's body is
    /// kept as a `Blob` (the answer's text is then empty), any other answer's is read as text
    /// for the adapter.
    ///
    /// # Errors
    /// As [`Transport::send`].
    pub async fn send_for_picture(
        &self,
        request: &HttpRequest,
        credentials: Option<&Credentials>,
    ) -> Result<(HttpResponse, Option<web_sys::Blob>), PresenceError> {
        let provider = request.endpoint.provider();
        let network = |message: String| PresenceError::Network { provider, message };
        let auth = credentials.map(Credentials::headers).unwrap_or_default();
        let headers: js_sys::Array = request
            .headers
            .iter()
            .chain(auth.iter())
            .map(|(name, value)| {
                js_sys::Array::of2(&JsValue::from_str(name), &JsValue::from_str(value))
            })
            .collect();
        let requested_at_ms = now_ms();
        let answer = fetch_picture(&request.url, headers, self.send_cookies, self.timeout_ms)
            .await
            .map_err(|e| network(describe(&e)))?;
        let answer = js_sys::Array::from(&answer);
        let status = answer
            .get(0)
            .as_string()
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| network("the answer has no status".to_owned()))?;
        let headers = js_sys::Array::from(&answer.get(1))
            .iter()
            .filter_map(|pair| {
                let pair = js_sys::Array::from(&pair);
                Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
            })
            .collect();
        let body = answer.get(2);
        let text = body.as_string();
        Ok((
            HttpResponse {
                status,
                headers,
                body: text.unwrap_or_default(),
                requested_at_ms: Some(requested_at_ms),
            },
            body.dyn_into::<web_sys::Blob>().ok(),
        ))
    }
}

/// Sends one request with the default transport. See [`Transport::send`].
///
/// # Errors
/// As [`Transport::send`].
pub async fn execute(
    request: &HttpRequest,
    credentials: Option<&Credentials>,
) -> Result<HttpResponse, PresenceError> {
    Transport::default().send(request, credentials).await
}

/// Milliseconds for a browser timer: at most 2^31 - 1, which `setTimeout` reads as it is (a
/// longer delay would wrap around and fire at once).
pub(crate) fn timer_ms(ms: u64) -> u32 {
    u32::try_from(ms.min(2_147_483_647)).unwrap_or(i32::MAX.unsigned_abs())
}

/// Milliseconds since the Unix epoch, from the browser's clock.
pub fn now_ms() -> u64 {
    let now = js_sys::Date::now();
    if now.is_finite() && now > 0.0 {
        // A clock reading, not network data: the float is whole milliseconds well inside u64.
        #[allow(
            clippy::as_conversions,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let ms = now as u64;
        ms
    } else {
        0
    }
}

/// A JS error as text.
pub(crate) fn describe(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "unknown error".into())
}
