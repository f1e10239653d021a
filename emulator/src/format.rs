//! Text formats IMDS uses: its timestamps and its pretty-printed JSON.

use serde_json::Value;
use time::format_description::FormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

const ISO8601: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
const MAINTENANCE: &[FormatItem<'static>] =
    format_description!("[day] [month repr:short] [year] [hour]:[minute]:[second] GMT");

/// `2024-01-15T10:00:00Z`, the form of every timestamp in IMDS's JSON documents.
pub(crate) fn iso8601(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(ISO8601)
        .expect("UTC dates always format")
}

/// `21 Jan 2019 09:00:43 GMT`, the form scheduled maintenance events use.
pub(crate) fn maintenance_date(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(MAINTENANCE)
        .expect("UTC dates always format")
}

/// Pretty JSON in IMDS's own layout (`"Key" : value`, two-space indent), fields in the given
/// order, so clients that compare or hash the bytes see what EC2 sends.
pub(crate) fn imds_json(fields: &[(&str, Value)]) -> String {
    let mut out = String::from("{\n");
    for (index, (key, value)) in fields.iter().enumerate() {
        let separator = if index + 1 < fields.len() { "," } else { "" };
        let key = Value::from(*key);
        out.push_str(&format!("  {key} : {value}{separator}\n"));
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_use_the_imds_forms() {
        let at = datetime!(2019-01-21 09:00:43 UTC);
        assert_eq!(iso8601(at), "2019-01-21T09:00:43Z");
        assert_eq!(maintenance_date(at), "21 Jan 2019 09:00:43 GMT");
    }

    #[test]
    fn imds_json_keeps_field_order_and_parses() {
        let text = imds_json(&[("b", Value::from(1)), ("a", Value::Null)]);
        assert_eq!(text, "{\n  \"b\" : 1,\n  \"a\" : null\n}");
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["b"], 1);
    }
}
