//! The digest as Telegram rich messages (Bot API `sendRichMessage`,
//! <https://core.telegram.org/bots/api#sendrichmessage>): the
//! `digest.rich.html` template rendered as the HTML of an `InputRichMessage`
//! (<https://core.telegram.org/bots/api#inputrichmessage>), its charts as
//! `tg://photo?id=…` media. A team too large for one message is split by
//! whole table rows, each part within the documented limits
//! (<https://core.telegram.org/bots/api#rich-message-formatting-options>).

use serde::Serialize;

use super::{RenderError, Templates};
use crate::report::digest::{Digest, DigestRow};

/// "Up to 32768 UTF-8 characters in the rich message text."
pub const MAX_CHARS: usize = 32_768;
/// "Up to 500 blocks, including nested blocks, list items, ordered list
/// items, table rows, quotation blocks, and details blocks."
pub const MAX_BLOCKS: usize = 500;
/// "Up to 50 media attachments in total."
pub const MAX_MEDIA: usize = 50;
/// "Up to 20 columns in a table." (the digest's table has 7)
pub const MAX_COLUMNS: usize = 20;

/// What one part of the digest is rendered from.
#[derive(Serialize)]
struct Part<'a> {
    #[serde(flatten)]
    digest: &'a Digest,
    table_rows: &'a [DigestRow],
    part_first: bool,
    part_last: bool,
    /// The ids of the charts shown in it (the last part).
    photos: &'a [String],
}

/// The tags that open a block of a rich message (what the block limit
/// counts; cells and inline formatting are not blocks).
const BLOCK_TAGS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "li",
    "ul",
    "ol",
    "table",
    "img",
    "details",
    "blockquote",
    "pre",
    "hr",
    "figure",
    "aside",
    "footer",
];

/// How many blocks `html` opens.
pub fn blocks(html: &str) -> usize {
    html.match_indices('<')
        .filter(|(i, _)| {
            let rest = &html[i + 1..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            BLOCK_TAGS.contains(&name.as_str())
        })
        .count()
}

/// Whether `html` keeps within the documented limits.
pub fn within_limits(html: &str) -> bool {
    html.chars().count() <= MAX_CHARS && blocks(html) <= MAX_BLOCKS
}

/// The digest as the HTML of one or more rich messages (`locale_dir`'s
/// template), the charts `photos` (ids) in the last; the table split by
/// whole rows into as few parts as keep each within the limits.
pub fn digest_parts(
    templates: &Templates,
    locale_dir: &str,
    digest: &Digest,
    photos: &[String],
) -> Result<Vec<String>, RenderError> {
    let name = format!("{locale_dir}/digest.rich.html");
    let photos = &photos[..photos.len().min(MAX_MEDIA)];
    let rows = &digest.rows;
    let render = |chunk: &[DigestRow], first: bool, last: bool| {
        templates.render(
            &name,
            Part {
                digest,
                table_rows: chunk,
                part_first: first,
                part_last: last,
                photos,
            },
        )
    };
    // One part, else 2, 3, …: rows shared out evenly, the head in the
    // first, the totals, charts and alerts in the last.
    let mut count = 1;
    loop {
        let per = rows.len().div_ceil(count).max(1);
        let chunks: Vec<&[DigestRow]> = if rows.is_empty() {
            vec![&[][..]]
        } else {
            rows.chunks(per).collect()
        };
        let n = chunks.len();
        let parts = chunks
            .iter()
            .enumerate()
            .map(|(i, chunk)| render(chunk, i == 0, i + 1 == n))
            .collect::<Result<Vec<String>, RenderError>>()?;
        if parts.iter().all(|p| within_limits(p)) || per == 1 {
            return Ok(parts);
        }
        count += 1;
    }
}
