//! Numbers, sizes and dates as the pages print them.

/// `1234567` → `1,234,567`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `1234567` → `1.2M`, for the compact search results.
pub fn compact(n: i64) -> String {
    let scaled = |div: i64, unit: &str| {
        let whole = n / div;
        let tenth = (n % div) * 10 / div;
        if whole >= 100 || tenth == 0 {
            format!("{whole}{unit}")
        } else {
            format!("{whole}.{tenth}{unit}")
        }
    };
    if n < 1_000 {
        n.to_string()
    } else if n < 1_000_000 {
        scaled(1_000, "K")
    } else if n < 1_000_000_000 {
        scaled(1_000_000, "M")
    } else {
        scaled(1_000_000_000, "B")
    }
}

/// Bytes in binary units with one decimal: `2457` → `2.4 KB`.
pub fn size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut tenths = bytes.saturating_mul(10) / 1024;
    let mut unit = 0;
    while tenths >= 10 * 1024 && unit + 1 < UNITS.len() {
        tenths /= 1024;
        unit += 1;
    }
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

/// The date part of a stored RFC 3339 timestamp: `2024-05-01T10:00:00.000Z` → `2024-05-01`.
pub fn date(timestamp: &str) -> String {
    timestamp.get(..10).unwrap_or(timestamp).to_owned()
}

/// At most `max` characters, cut at a word boundary with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(char::is_whitespace).map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1_000), "1K");
        assert_eq!(compact(1_250), "1.2K");
        assert_eq!(compact(3_400_000), "3.4M");
        assert_eq!(compact(250_000_000), "250M");
        assert_eq!(size(512), "512 bytes");
        assert_eq!(size(2457), "2.3 KB");
        assert_eq!(size(5 * 1024 * 1024), "5.0 MB");
        assert_eq!(date("2024-05-01T10:00:00.000Z"), "2024-05-01");
        assert_eq!(truncate("one two three", 9), "one two…");
        assert_eq!(truncate("short", 9), "short");
    }
}
