//! SuperOffice: `POST /api/v1/Agents/User/GetUserPresenceStatus` with `{"AssociateId": n}`, one
//! associate per request.
//!
//! `Status` is the Service user status `EjUserStatus`, by name or by number: StatusNone 0,
//! StatusNormal 1, StatusNotAvailable 2, StatusDeleted 3, StatusReadOnly 4, StatusSpm 5,
//! StatusSystem 127. `Message` is the user's comment for when they are not present.

use super::{http_error, problems_text, unique, CredentialField, Cursor, Plan, Provider, Update};
use crate::core::auth::Credentials;
use crate::core::error::PresenceError;
use crate::core::http::{join, Endpoint, HttpRequest, HttpResponse};
use crate::core::json::{decode, error_fields, Kind, Reader};
use crate::core::model::{non_empty, Availability, Presence, ProviderKind, UserId};
use crate::core::schedule::Cadence;

/// How many requests the store keeps in flight at once: SuperOffice documents no rate limit and
/// has no bulk read, so we stay gentle.
pub const MAX_IN_FLIGHT: usize = 4;

/// `POST /api/v1/Agents/User/GetUserPresenceStatus`.
pub const USER_PRESENCE_STATUS: Endpoint = Endpoint::new(KIND, "GetUserPresenceStatus");

/// Polled every 60 s by default: one request per associate and no documented limit, so we stay
/// gentle; a page may ask for down to 1 s.
pub const CADENCE: Cadence = Cadence {
    interval_ms: 60_000,
    floor_ms: 1_000,
};

/// `POST /api/v1/Agents/User/SetUserPresenceStatus` (feature `write`).
pub const SET_USER_PRESENCE_STATUS: Endpoint = Endpoint::new(KIND, "SetUserPresenceStatus");

const KIND: ProviderKind = ProviderKind::SuperOffice;

const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: "authorization",
        required: true,
    },
    CredentialField {
        name: "appToken",
        required: false,
    },
];

/// The SuperOffice adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuperOffice {
    base_url: String,
}

impl SuperOffice {
    /// Reads the installation at `base_url`, the root that `/api/v1/…` follows, such as
    /// `https://sod.superoffice.com/Cust12345`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }
}

/// `EjUserStatus`, name and number, and what each means here.
const STATUSES: [(&str, i64, Availability); 7] = [
    ("StatusNone", 0, Availability::Unknown),
    ("StatusNormal", 1, Availability::Available),
    ("StatusNotAvailable", 2, Availability::Away),
    ("StatusDeleted", 3, Availability::Offline),
    ("StatusReadOnly", 4, Availability::Unknown),
    ("StatusSpm", 5, Availability::Unknown),
    ("StatusSystem", 127, Availability::Unknown),
];

/// Reads an associate id: a whole number from 1 to 2³¹−1.
fn associate_id(id: &UserId) -> Result<i32, PresenceError> {
    id.as_str()
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            PresenceError::Config(format!(
                "superoffice: `{id}` is not an associate id (a whole number above 0)"
            ))
        })
}

impl Provider for SuperOffice {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn cadence(&self) -> Cadence {
        CADENCE
    }

    fn max_in_flight(&self) -> Option<usize> {
        Some(MAX_IN_FLIGHT)
    }

    fn credential_fields(&self) -> &'static [CredentialField] {
        FIELDS
    }

    fn credentials(&self, values: &[Option<String>]) -> Result<Credentials, PresenceError> {
        let authorization = values.first().cloned().flatten().unwrap_or_default();
        let app_token = values.get(1).cloned().flatten();
        Credentials::superoffice(&authorization, app_token.as_deref())
    }

    fn check_credentials(&self, credentials: &Credentials) -> Result<(), PresenceError> {
        match credentials {
            Credentials::SuperOffice { .. } => Ok(()),
            _ => Err(PresenceError::Config(
                "superoffice: credentials must be an authorization value (Basic, SOTicket or Bearer)"
                    .into(),
            )),
        }
    }

    /// One POST per associate; ids that are not whole numbers are rejected.
    fn plan(&self, ids: &[UserId], _cursor: Option<&Cursor>) -> Plan {
        let url = join(&self.base_url, "/api/v1/Agents/User/GetUserPresenceStatus");
        let mut plan = Plan::default();
        for id in unique(ids) {
            match associate_id(id) {
                Ok(n) => plan.requests.push(HttpRequest::post_json(
                    url.clone(),
                    format!("{{\"AssociateId\":{n}}}"),
                    USER_PRESENCE_STATUS,
                    vec![id.clone()],
                )),
                Err(e) => plan.rejected.push((id.clone(), e)),
            }
        }
        plan
    }

    fn read(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Update, PresenceError> {
        if request.endpoint != USER_PRESENCE_STATUS {
            return Err(super::wrong_endpoint(KIND, request));
        }
        let Some(user) = request.ids.first().cloned() else {
            return Err(PresenceError::Config(
                "superoffice: the request names no associate".into(),
            ));
        };
        if !response.is_success() {
            return Err(error(response));
        }
        let mut status = None;
        let mut message = None;
        let problems = decode(&response.body, |r| {
            r.object()?;
            while let Some(key) = r.key()? {
                match key.as_ref() {
                    "Status" => {
                        status = r
                            .soft(|r| match r.kind() {
                                Some(Kind::String) => Ok(Some(Ok(r.string()?))),
                                Some(Kind::Number) => Ok(Some(Err(r.number()?))),
                                Some(Kind::Null) => r.skip().map(|()| None),
                                _ => Err(r.error("expected a status name or number")),
                            })?
                            .flatten()
                    }
                    "Message" => message = r.soft(Reader::opt_owned)?.flatten(),
                    _ => r.skip()?,
                }
            }
            Ok(r.take_problems())
        })
        .map_err(|e| PresenceError::json(KIND, e))?;
        let (availability, raw) = match status {
            _ if !problems.is_empty() => (Availability::Unknown, problems_text(&problems)),
            Some(Ok(name)) => (
                STATUSES
                    .iter()
                    .find(|(n, ..)| n.eq_ignore_ascii_case(name.trim()))
                    .map_or(Availability::Unknown, |(.., a)| *a),
                name.into_owned(),
            ),
            Some(Err(number)) => {
                let found = number
                    .parse::<i64>()
                    .ok()
                    .and_then(|n| STATUSES.iter().find(|(_, v, _)| *v == n));
                match found {
                    Some((name, _, a)) => (*a, (*name).to_owned()),
                    None => (Availability::Unknown, number.to_owned()),
                }
            }
            None => (Availability::Unknown, "missing `Status`".to_owned()),
        };
        let mut p = Presence::new(user, KIND, availability);
        p.message = non_empty(message).filter(|_| problems.is_empty());
        p.raw = raw;
        Ok(Update {
            presences: vec![p],
            ..Update::default()
        })
    }

    /// StatusNormal (present) and StatusNotAvailable (absent) only: the other `EjUserStatus`
    /// values change the account itself (deleted, read-only) and are never offered.
    #[cfg(feature = "write")]
    fn choices(&self) -> Vec<crate::core::write::Choice> {
        STATUSES
            .iter()
            .filter(|(name, ..)| matches!(*name, "StatusNormal" | "StatusNotAvailable"))
            .map(|(name, _, a)| crate::core::write::Choice::new(name, *a, None))
            .collect()
    }

    /// It sets the status and its message together: a status alone would clear the message.
    #[cfg(feature = "write")]
    fn message_with_status(&self) -> bool {
        true
    }

    /// One `SetUserPresenceStatus` with the associate, the status (StatusNormal for a reset)
    /// and the message. The service sets both at once, so a message alone is refused (it is
    /// given with a status), and a status without a message clears it: a widget gives the
    /// message shown ([`Provider::message_with_status`]).
    #[cfg(feature = "write")]
    fn plan_write(
        &self,
        id: &UserId,
        write: &crate::core::write::StatusWrite,
        now_ms: u64,
    ) -> Result<crate::core::write::WritePlan, PresenceError> {
        use crate::core::json::push_string;
        let choices = self.choices();
        let mut choice = crate::core::write::check(KIND, &choices, write, now_ms, false)?.cloned();
        let associate = associate_id(id)?;
        if write.reset {
            choice = choices.into_iter().find(|c| c.value == "StatusNormal");
        }
        let Some(status) = &choice else {
            return Err(PresenceError::Config(
                "superoffice: the service sets a status and its message together: give a status"
                    .into(),
            ));
        };
        let mut body =
            format!("{{\"AssociateId\":{associate},\"UserPresenceStatus\":{{\"Status\":");
        push_string(&mut body, &status.value);
        body.push_str(",\"Message\":");
        push_string(&mut body, write.message.as_deref().unwrap_or("").trim());
        body.push_str("}}");
        Ok(crate::core::write::WritePlan {
            requests: vec![HttpRequest::post_json(
                join(&self.base_url, "/api/v1/Agents/User/SetUserPresenceStatus"),
                body,
                SET_USER_PRESENCE_STATUS,
                vec![id.clone()],
            )],
            shows: choice,
        })
    }

    #[cfg(feature = "write")]
    fn parse_write(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<(), PresenceError> {
        super::write_answer(KIND, &[SET_USER_PRESENCE_STATUS], request, response, error)
    }

    fn boxed(&self) -> Box<dyn Provider> {
        Box::new(self.clone())
    }
}

/// SuperOffice documents no error body for this endpoint; its WebAPI errors are usually
/// `{"Error": …, "ErrorType": …, "Message": …}`, which is read where present.
fn error(response: &HttpResponse) -> PresenceError {
    let [error, error_type, message] =
        error_fields(&response.body, None, ["Error", "ErrorType", "Message"]);
    http_error(KIND, response, error_type, error.or(message), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn associate_ids_are_positive_whole_numbers() {
        assert_eq!(associate_id(&"963".into()).unwrap(), 963);
        assert!(associate_id(&"0".into()).is_err());
        assert!(associate_id(&"-5".into()).is_err());
        assert!(associate_id(&"12a".into()).is_err());
        assert!(associate_id(&"99999999999".into()).is_err());
    }
}
