//! Telegram's limits: a message holds at most 4096 characters and a photo
//! caption 1024. Long messages are split between lines, never inside a line;
//! a `<pre>` block cut in two is closed and reopened so each part is valid HTML.

pub const MESSAGE_LIMIT: usize = 4096;
pub const CAPTION_LIMIT: usize = 1024;

/// Splits rendered Telegram HTML into messages of at most `limit` characters.
/// A single line longer than the limit is cut at the limit (outside tags when
/// the line has them is not guaranteed; templates keep lines short).
pub fn split_message(html: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(64);
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_len = 0usize;
    let mut in_pre = false;
    const OPEN: &str = "<pre>";
    const CLOSE: &str = "</pre>";
    for line in html.split('\n') {
        let line_len = line.chars().count();
        // Room needed: the line, its newline, and a closing </pre> if we are in one.
        let closing = if in_pre { CLOSE.len() } else { 0 };
        if current_len > 0 && current_len + 1 + line_len + closing > limit {
            if in_pre {
                current.push_str(CLOSE);
            }
            parts.push(std::mem::take(&mut current));
            current_len = 0;
            if in_pre {
                current.push_str(OPEN);
                current_len = OPEN.len();
            }
        }
        if current_len > 0 && !(in_pre && current.ends_with(OPEN) && current_len == OPEN.len()) {
            current.push('\n');
            current_len += 1;
        }
        if line_len > limit - closing - current_len {
            // A line that cannot fit anywhere: cut it by characters.
            let mut chars = line.chars().peekable();
            while chars.peek().is_some() {
                let room = (limit - closing - current_len).max(1);
                let piece: String = chars.by_ref().take(room).collect();
                current_len += piece.chars().count();
                current.push_str(&piece);
                if chars.peek().is_some() {
                    if in_pre {
                        current.push_str(CLOSE);
                    }
                    parts.push(std::mem::take(&mut current));
                    current_len = 0;
                    if in_pre {
                        current.push_str(OPEN);
                        current_len = OPEN.len();
                    }
                }
            }
        } else {
            current.push_str(line);
            current_len += line_len;
        }
        // Track <pre> state after the line.
        let opens = line.matches(OPEN).count();
        let closes = line.matches(CLOSE).count();
        if opens > closes {
            in_pre = true;
        } else if closes > opens {
            in_pre = false;
        }
    }
    let trimmed = current.trim_end();
    if !trimmed.is_empty() && trimmed != OPEN {
        parts.push(trimmed.to_owned());
    }
    parts.retain(|p| !p.trim().is_empty());
    parts
}

/// Cuts a caption to Telegram's limit at a line boundary, with an ellipsis.
pub fn fit_caption(text: &str) -> String {
    if text.chars().count() <= CAPTION_LIMIT {
        return text.to_owned();
    }
    let mut out = String::new();
    for line in text.lines() {
        if out.chars().count() + line.chars().count() + 2 > CAPTION_LIMIT {
            break;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_messages_stay_whole() {
        assert_eq!(split_message("a\nb", 4096), vec!["a\nb"]);
    }

    #[test]
    fn a_long_table_splits_between_rows_and_keeps_pre_balanced() {
        let rows: Vec<String> = (0..300)
            .map(|i| format!("Manager{i:03}  ok   34   11   22    9   1:42"))
            .collect();
        let html = format!("<b>Digest</b>\n<pre>{}</pre>\nend", rows.join("\n"));
        let parts = split_message(&html, 4096);
        assert!(parts.len() >= 3, "{}", parts.len());
        for p in &parts {
            assert!(p.chars().count() <= 4096, "{}", p.chars().count());
            assert_eq!(
                p.matches("<pre>").count(),
                p.matches("</pre>").count(),
                "{p}"
            );
        }
        // Every row is in exactly one part, whole.
        for r in &rows {
            assert_eq!(
                parts
                    .iter()
                    .filter(|p| p
                        .lines()
                        .any(|l| l.trim_start_matches("<pre>").trim_end_matches("</pre>") == r))
                    .count(),
                1,
                "{r}"
            );
        }
    }

    #[test]
    fn captions_fit() {
        let long = "line of a caption\n".repeat(200);
        let c = fit_caption(&long);
        assert!(c.chars().count() <= CAPTION_LIMIT);
        assert!(c.ends_with('…'));
    }
}
