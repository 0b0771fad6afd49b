//! Credentials for each provider, and the headers they become. Secrets never print.

use std::fmt;

use super::error::PresenceError;

/// A token or password. `Debug` and `Display` print `***`, so a secret cannot reach a log by
/// accident; [`Secret::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that puts it in a header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What a provider needs to let us read presence.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// `Authorization: Bearer …` (Graph, Genesys; SuperOffice Online).
    Bearer(Secret),
    /// Rocket.Chat's `X-User-Id` and `X-Auth-Token`.
    RocketChat {
        /// The id of the user the token belongs to.
        user_id: String,
        /// The login token or personal access token.
        auth_token: Secret,
    },
    /// SuperOffice: a whole `Authorization` value in one of its three schemes, and the partner
    /// application's `SO-AppToken` where the installation wants one.
    SuperOffice {
        /// `Basic …`, `SOTicket …` or `Bearer …`.
        authorization: Secret,
        /// The `SO-AppToken` value.
        app_token: Option<Secret>,
    },
}

impl Credentials {
    /// SuperOffice credentials from a whole `Authorization` value, checking its scheme.
    ///
    /// # Errors
    /// [`PresenceError::Config`] when the scheme is not Basic, SOTicket or Bearer, or nothing
    /// follows it.
    ///
    /// ```
    /// use presence_widgets::core::Credentials;
    /// assert!(Credentials::superoffice("SOTicket 7T:1234", None).is_ok());
    /// assert!(Credentials::superoffice("Negotiate abc", None).is_err());
    /// ```
    pub fn superoffice(
        authorization: &str,
        app_token: Option<&str>,
    ) -> Result<Self, PresenceError> {
        let (scheme, rest) = authorization
            .trim()
            .split_once(' ')
            .unwrap_or((authorization.trim(), ""));
        let known = ["Basic", "SOTicket", "Bearer"]
            .iter()
            .any(|s| s.eq_ignore_ascii_case(scheme));
        if !known || rest.trim().is_empty() {
            return Err(PresenceError::Config(
                "superoffice: authorization must be `Basic …`, `SOTicket …` or `Bearer …`".into(),
            ));
        }
        Ok(Credentials::SuperOffice {
            authorization: Secret::new(authorization.trim()),
            app_token: app_token.map(Secret::new),
        })
    }

    /// SuperOffice credentials for the Basic scheme (Onsite installations).
    pub fn superoffice_basic(user: &str, password: &str, app_token: Option<&str>) -> Self {
        let encoded = base64(format!("{user}:{password}").as_bytes());
        Credentials::SuperOffice {
            authorization: Secret::new(format!("Basic {encoded}")),
            app_token: app_token.map(Secret::new),
        }
    }

    /// The headers these credentials become.
    ///
    /// ```
    /// use presence_widgets::core::{Credentials, Secret};
    /// let c = Credentials::RocketChat { user_id: "aobEdbYhXfu5hkeqG".into(), auth_token: Secret::new("t") };
    /// assert_eq!(c.headers(), vec![("X-User-Id", "aobEdbYhXfu5hkeqG".to_string()), ("X-Auth-Token", "t".to_string())]);
    /// ```
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            Credentials::Bearer(token) => {
                vec![("Authorization", format!("Bearer {}", token.expose()))]
            }
            Credentials::RocketChat {
                user_id,
                auth_token,
            } => vec![
                ("X-User-Id", user_id.clone()),
                ("X-Auth-Token", auth_token.expose().to_owned()),
            ],
            Credentials::SuperOffice {
                authorization,
                app_token,
            } => {
                let mut headers = vec![("Authorization", authorization.expose().to_owned())];
                if let Some(app) = app_token {
                    headers.push(("SO-AppToken", app.expose().to_owned()));
                }
                headers
            }
        }
    }
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextet = |n: u32, shift: u32| {
        let i = usize::try_from((n >> shift) & 63).unwrap_or(0);
        ALPHABET.get(i).copied().map(char::from).unwrap_or('=')
    };
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sextet(n, 18));
        out.push(sextet(n, 12));
        out.push(if chunk.len() > 1 { sextet(n, 6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(n, 0) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let c = Credentials::Bearer(Secret::new("eyJ0eXAi.secret"));
        assert!(!format!("{c:?}").contains("secret"));
        assert_eq!(Secret::new("x").to_string(), "***");
    }

    #[test]
    fn base64_matches_the_superoffice_sample() {
        // The sample request in the SuperOffice docs: `Authorization: Basic dGplMDpUamUw`.
        assert_eq!(base64(b"tje0:Tje0"), "dGplMDpUamUw");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b""), "");
    }

    #[test]
    fn superoffice_takes_three_schemes_and_the_app_token() {
        for auth in ["Basic dGplMDpUamUw", "SOTicket 7T:abc", "Bearer 8A:xyz"] {
            let c = Credentials::superoffice(auth, Some("app")).unwrap();
            assert_eq!(
                c.headers(),
                vec![
                    ("Authorization", auth.to_string()),
                    ("SO-AppToken", "app".to_string())
                ]
            );
        }
        let basic = Credentials::superoffice_basic("tje0", "Tje0", None);
        assert_eq!(
            basic.headers(),
            vec![("Authorization", "Basic dGplMDpUamUw".to_string())]
        );
        assert!(Credentials::superoffice("Bearer ", None).is_err());
    }
}
