//! Telegram's limits: a message holds at most 4096 characters and a photo
//! caption 1024. Long messages are split between lines, never inside a line;
//! a `<pre>` block cut in two is closed and reopened so each part is valid HTML.

pub const MESSAGE_LIMIT: usize = 4096;
pub const CAPTION_LIMIT: usize = 1024;

/// Escapes text for Telegram HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

const OPEN: &str = "<pre>";
const CLOSE: &str = "</pre>";

/// Messages being filled, one line at a time.
struct Parts {
    limit: usize,
    done: Vec<String>,
    current: String,
    /// Characters in `current` (Telegram counts characters, not bytes).
    len: usize,
    in_pre: bool,
}

impl Parts {
    /// Room left in the current message, keeping space to close a `<pre>`.
    fn room(&self) -> usize {
        let closing = if self.in_pre { CLOSE.len() } else { 0 };
        self.limit.saturating_sub(self.len + closing)
    }

    /// Ends the current message (closing an open `<pre>`) and starts the next
    /// (reopening it).
    fn break_here(&mut self) {
        if self.in_pre {
            self.current.push_str(CLOSE);
        }
        self.done.push(std::mem::take(&mut self.current));
        self.len = 0;
        if self.in_pre {
            self.current.push_str(OPEN);
            self.len = OPEN.len();
        }
    }

    fn push(&mut self, text: &str) {
        self.current.push_str(text);
        self.len += text.chars().count();
    }

    /// Adds one line: to this message if it fits, else to the next; a line
    /// longer than a whole message is cut by characters.
    fn add_line(&mut self, line: &str) {
        let line_len = line.chars().count();
        let fresh = self.len == 0
            || (self.in_pre && self.len == OPEN.len() && self.current.ends_with(OPEN));
        if !fresh && line_len + 1 > self.room() {
            self.break_here();
        }
        let fresh = self.len == 0
            || (self.in_pre && self.len == OPEN.len() && self.current.ends_with(OPEN));
        if !fresh {
            self.push("\n");
        }
        let mut rest: Vec<char> = line.chars().collect();
        while rest.len() > self.room() {
            let take = safe_cut(&rest, self.room().max(1));
            let piece: String = rest.drain(..take).collect();
            self.push(&piece);
            self.break_here();
        }
        let piece: String = rest.into_iter().collect();
        self.push(&piece);
        let (opens, closes) = (line.matches(OPEN).count(), line.matches(CLOSE).count());
        if opens != closes {
            self.in_pre = opens > closes;
        }
    }
}

/// Where to cut `chars` at most `take` characters in: before an entity
/// (`&lt;`) or a tag (`<b>`) that would be cut in two, else at `take`.
fn safe_cut(chars: &[char], take: usize) -> usize {
    let head = &chars[..take.min(chars.len())];
    // An entity is at most 10 characters (`&#x1F600;`); a tag may be long.
    for (open, close, reach) in [('&', ';', 10), ('<', '>', 256)] {
        if let Some(at) = head.iter().rposition(|c| *c == open)
            && head.len() - at <= reach
            && !head[at..].contains(&close)
            && at > 0
        {
            return at;
        }
    }
    take
}

/// Splits rendered Telegram HTML into messages of at most `limit` characters,
/// between lines; a `<pre>` block cut in two is closed and reopened.
pub fn split_message(html: &str, limit: usize) -> Vec<String> {
    let mut parts = Parts {
        limit: limit.max(64),
        done: Vec::new(),
        current: String::new(),
        len: 0,
        in_pre: false,
    };
    for line in html.split('\n') {
        parts.add_line(line);
    }
    let last = parts.current.trim_end().to_owned();
    let mut done = parts.done;
    if !last.is_empty() && last != OPEN {
        done.push(last);
    }
    done.retain(|p| !p.trim().is_empty());
    done
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
    fn a_long_line_is_not_cut_inside_an_entity_or_a_tag() {
        for shift in 0..12 {
            let line = format!(
                "{}{}",
                "x".repeat(100 + shift),
                "&lt;b&gt; <b>bold</b> ".repeat(40)
            );
            let parts = split_message(&line, 128);
            assert!(parts.len() > 1);
            for p in &parts {
                assert!(p.chars().count() <= 128, "{p}");
                // Every '&' starts a whole entity; every '<' a whole tag.
                for (i, _) in p.match_indices('&') {
                    let rest = &p[i..];
                    assert!(
                        rest.starts_with("&lt;")
                            || rest.starts_with("&gt;")
                            || rest.starts_with("&amp;"),
                        "shift {shift}: {p}"
                    );
                }
                assert_eq!(
                    p.matches('<').count(),
                    p.matches('>').count(),
                    "shift {shift}: {p}"
                );
            }
            assert_eq!(parts.concat(), line.trim_end(), "shift {shift}");
        }
    }

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
    fn a_line_longer_than_a_message_is_cut_by_characters() {
        let line = "ж".repeat(10_000);
        let parts = split_message(&line, 4096);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= 4096));
        assert_eq!(parts.concat(), line);
    }

    #[test]
    fn captions_fit() {
        let long = "line of a caption\n".repeat(200);
        let c = fit_caption(&long);
        assert!(c.chars().count() <= CAPTION_LIMIT);
        assert!(c.ends_with('…'));
    }
}
