//! Reading the JSON bodies of the writes: the body as an object, its fields (by exact name, or in
//! any case as .NET binds them), and their types, with messages that name the field's path. Each
//! provider puts the message into its own error shape.

use serde_json::{Map, Value};

/// A JSON object.
pub type Object = Map<String, Value>;

/// What a JSON value is, for messages: `a string`, `a number`, `an array`, …
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The body as JSON (any value). `Err` says why not.
///
/// # Errors
/// When the body is empty or not JSON.
pub fn json(body: &str) -> Result<Value, String> {
    if body.trim().is_empty() {
        return Err("the request body is empty; a JSON body is expected".to_owned());
    }
    serde_json::from_str(body).map_err(|e| format!("the request body is not JSON: {e}"))
}

/// The body as a JSON object.
///
/// # Errors
/// When the body is empty, not JSON or not an object.
pub fn object(body: &str) -> Result<Object, String> {
    match json(body)? {
        Value::Object(o) => Ok(o),
        other => Err(format!(
            "the request body must be a JSON object, not {}",
            kind(&other)
        )),
    }
}

/// The field `name` of `object`, in any case (`associateid` for `AssociateId`), as .NET's model
/// binding reads it; the exact spelling wins.
pub fn any_case<'a>(object: &'a Object, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// A field that must be a string when given: `None` when absent or null.
///
/// # Errors
/// When it is something else, naming `path`.
pub fn string<'a>(value: Option<&'a Value>, path: &str) -> Result<Option<&'a str>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("{path} must be a string, not {}", kind(other))),
    }
}

/// A field that must be an object when given: `None` when absent or null.
///
/// # Errors
/// When it is something else, naming `path`.
pub fn object_field<'a>(
    value: Option<&'a Value>,
    path: &str,
) -> Result<Option<&'a Object>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(other) => Err(format!("{path} must be an object, not {}", kind(other))),
    }
}

/// A field that must be a boolean when given: `None` when absent or null.
///
/// # Errors
/// When it is something else, naming `path`.
pub fn boolean(value: Option<&Value>, path: &str) -> Result<Option<bool>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(format!("{path} must be true or false, not {}", kind(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_and_their_types_name_the_path() {
        assert!(object("").unwrap_err().contains("empty"));
        assert!(object("{").unwrap_err().contains("not JSON"));
        assert!(object("[1]").unwrap_err().contains("not an array"));
        let o = object(r#"{"Status": 1, "message": "m", "flag": true, "nil": null}"#).unwrap();
        assert_eq!(any_case(&o, "status"), Some(&json!(1)));
        assert_eq!(string(o.get("message"), "message"), Ok(Some("m")));
        assert_eq!(string(o.get("nil"), "nil"), Ok(None));
        assert_eq!(string(o.get("gone"), "gone"), Ok(None));
        assert_eq!(
            string(o.get("Status"), "x.Status"),
            Err("x.Status must be a string, not a number".to_owned())
        );
        assert_eq!(boolean(o.get("flag"), "flag"), Ok(Some(true)));
        assert!(object_field(o.get("flag"), "flag")
            .unwrap_err()
            .contains("not a boolean"));
    }
}
