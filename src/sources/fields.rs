//! Small parsers shared by the file sources: fields, numbers, times.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::calendar::local_to_utc;

/// A field without the spaces around it and without one pair of enclosing
/// quotes (Asterisk pads some fields, and `, "x"` is not quoted to a CSV
/// reader because the quote is not the first character).
pub fn clean(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    // Most fields: ASCII, unpadded or padded with ASCII spaces, unquoted.
    let bytes = raw.trim_ascii();
    let plain_end =
        |b: Option<&u8>| b.is_none_or(|b| *b != b'"' && !char::from(*b).is_whitespace());
    if bytes.is_ascii()
        && plain_end(bytes.first())
        && plain_end(bytes.last())
        && let Ok(text) = std::str::from_utf8(bytes)
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let text = match std::str::from_utf8(raw) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(String::from_utf8_lossy(raw).into_owned()),
    };
    let trimmed = text.trim();
    let unquoted = if trimmed.len() >= 2 && trimmed.starts_with('"') && trimmed.ends_with('"') {
        Some(trimmed[1..trimmed.len() - 1].replace("\"\"", "\""))
    } else {
        None
    };
    match (unquoted, text) {
        (Some(u), _) => std::borrow::Cow::Owned(u),
        (None, std::borrow::Cow::Borrowed(s)) => std::borrow::Cow::Borrowed(s.trim()),
        (None, std::borrow::Cow::Owned(s)) => std::borrow::Cow::Owned(s.trim().to_owned()),
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

/// `YYYY-MM-DD HH:MM:SS` (Asterisk's format), parsed without allocation.
pub fn iso_local(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b' ' || b[10] == b'T') {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        digits(&b[0..4])? as i32,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )?;
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let time = NaiveTime::from_hms_opt(
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    )?;
    Some(date.and_time(time))
}

/// A whole number of seconds, or a duration written `H:MM:SS` or `MM:SS`.
pub fn seconds(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return (n >= 0).then_some(n);
    }
    let parts: Vec<&str> = s.split(':').collect();
    let nums: Option<Vec<i64>> = parts
        .iter()
        .map(|p| p.parse::<i64>().ok().filter(|n| *n >= 0))
        .collect();
    match nums?.as_slice() {
        [m, sec] if *sec < 60 => m.checked_mul(60)?.checked_add(*sec),
        [h, m, sec] if *m < 60 && *sec < 60 => h.checked_mul(3600)?.checked_add(m * 60 + sec),
        _ => None,
    }
}

/// An instant written as RFC 3339 (with its offset) or as local time in the
/// source's zone: `2026-11-16 09:12`, `2026-11-16 09:12:33`, `2026-11-16`.
pub fn instant(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Some(t) = iso_local(s) {
        return Some(local_to_utc(tz, t));
    }
    for format in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(local_to_utc(tz, t));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| local_to_utc(tz, d.and_time(NaiveTime::MIN)))
}

/// A money amount in minor units (kopecks, cents): `12500`, `12500.5`,
/// `12 500,50`.
pub fn amount_minor(s: &str) -> Option<i64> {
    let cleaned: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if cleaned.is_empty() {
        return Some(0);
    }
    let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if frac.len() > 2 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok().filter(|w: &i64| *w >= 0)?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole
        .checked_mul(100)?
        .checked_add(frac)
        .filter(|a| *a <= crate::domain::MAX_AMOUNT_MINOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_lose_padding_and_quotes() {
        assert_eq!(clean(b"  \"SIP/101-0001\" "), "SIP/101-0001");
        assert_eq!(clean(b"\"say \"\"hi\"\"\""), "say \"hi\"");
        assert_eq!(clean(b" 42 "), "42");
        assert_eq!(clean(b"\x0b42\x0b"), "42");
        assert_eq!(clean("\u{a0}42\u{3000}".as_bytes()), "42");
        assert_eq!(clean(b""), "");
    }

    #[test]
    fn durations_in_three_spellings() {
        assert_eq!(seconds("75"), Some(75));
        assert_eq!(seconds("1:15"), Some(75));
        assert_eq!(seconds("0:01:15"), Some(75));
        assert_eq!(seconds("-3"), None);
        assert_eq!(seconds("1:75"), None);
    }

    #[test]
    fn amounts_to_minor_units() {
        assert_eq!(amount_minor("12 500,5"), Some(1_250_050));
        assert_eq!(amount_minor("99.99"), Some(9999));
        assert_eq!(amount_minor("1.234"), None);
        assert_eq!(amount_minor("-5"), None);
    }

    #[test]
    fn instants_with_and_without_offsets() {
        let tz = chrono_tz::Europe::Moscow;
        assert_eq!(
            instant("2026-11-16 09:00", tz)
                .map(|t| t.to_rfc3339())
                .as_deref(),
            Some("2026-11-16T06:00:00+00:00")
        );
        assert_eq!(
            instant("2026-11-16T09:00:00+01:00", tz)
                .map(|t| t.to_rfc3339())
                .as_deref(),
            Some("2026-11-16T08:00:00+00:00")
        );
        assert_eq!(instant("16/11/2026", tz), None);
    }
}
