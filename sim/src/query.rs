//! Reading query strings, as the providers' servers do.

/// The values of `name`, in both list forms: `?ids=a,b` and `?ids=a&ids=b`; empty ones dropped.
pub fn values(query: Option<&str>, name: &str) -> Vec<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(',').map(str::to_owned).collect::<Vec<_>>())
        .filter(|v| !v.is_empty())
        .collect()
}

/// The first value of `name`, whole (commas included).
pub fn first(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_list_forms_and_whole_values() {
        assert_eq!(
            values(Some("ids=a,b&ids=c&x=1&ids="), "ids"),
            ["a", "b", "c"]
        );
        assert_eq!(values(None, "ids"), Vec::<String>::new());
        assert_eq!(
            first(Some("from=2026-11-23T08%3A00%3A00Z&from=x"), "from").as_deref(),
            Some("2026-11-23T08:00:00Z")
        );
        assert_eq!(first(Some("a=1,2"), "a").as_deref(), Some("1,2"));
    }
}
