//! SuperOffice: `POST /api/v1/Agents/User/GetUserPresenceStatus` with `{"AssociateId": n}`, one
//! associate per request.
//!
//! `Status` is the Service user status `EjUserStatus`, by name or by number: StatusNone 0,
//! StatusNormal 1, StatusNotAvailable 2, StatusDeleted 3, StatusReadOnly 4, StatusSpm 5,
//! StatusSystem 127. `Message` is the user's comment for when they are not present.

use super::{
    decode, error_fields, fields, http_error, unique, wrong_endpoint, Cursor, Endpoint, Plan,
    Provider, Update,
};
use crate::core::error::PresenceError;
use crate::core::http::{join, HttpRequest, HttpResponse};
use crate::core::json::Kind;
use crate::core::model::{non_empty, Availability, Presence, ProviderKind, UserId};

/// How many requests the store keeps in flight at once: SuperOffice documents no rate limit and
/// has no bulk read, so we stay gentle.
pub const MAX_IN_FLIGHT: usize = 4;

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
        ProviderKind::SuperOffice
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
                    Endpoint::SuperOfficeUserPresenceStatus,
                    vec![id.clone()],
                )),
                Err(e) => plan.rejected.push((id.clone(), e)),
            }
        }
        plan
    }

    fn parse(
        &self,
        request: &HttpRequest,
        response: &HttpResponse,
    ) -> Result<Update, PresenceError> {
        if request.endpoint != Endpoint::SuperOfficeUserPresenceStatus {
            return Err(wrong_endpoint(ProviderKind::SuperOffice, request));
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
        decode(ProviderKind::SuperOffice, &response.body, |r| {
            fields(r, |r, key| {
                match key {
                    "Status" => {
                        status = match r.kind() {
                            Some(Kind::String) => Some(Ok(r.string()?)),
                            Some(Kind::Number) => Some(Err(r.number()?)),
                            Some(Kind::Null) => r.skip().map(|()| None)?,
                            _ => return Err(r.error("expected a status name or number")),
                        }
                    }
                    "Message" => message = r.opt_owned()?,
                    _ => return Ok(false),
                }
                Ok(true)
            })
        })?;
        let (availability, raw) = match status {
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
            None => (Availability::Unknown, String::new()),
        };
        let mut p = Presence::new(user, ProviderKind::SuperOffice, availability);
        p.message = non_empty(message);
        p.raw = raw;
        Ok(Update {
            presences: vec![p],
            ..Update::default()
        })
    }
}

/// SuperOffice documents no error body for this endpoint; its WebAPI errors are usually
/// `{"Error": …, "ErrorType": …, "Message": …}`, which is read where present.
fn error(response: &HttpResponse) -> PresenceError {
    let [error, error_type, message] =
        error_fields(&response.body, None, ["Error", "ErrorType", "Message"]);
    http_error(
        ProviderKind::SuperOffice,
        response,
        error_type,
        error.or(message),
        None,
    )
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
