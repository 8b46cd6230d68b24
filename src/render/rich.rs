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
use crate::report::kpi::{KpiLine, KpiSection};

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
    /// The digest without its rows and bonus lines: a part shows its own.
    #[serde(flatten)]
    digest: &'a Digest,
    table_rows: &'a [DigestRow],
    /// The part that closes the table: its totals and the charts.
    table_end: bool,
    /// The bonus lines shown in this part.
    kpi_lines: &'a [KpiLine],
    part_first: bool,
    /// The part that ends the digest: the funnel and the alerts.
    part_last: bool,
    /// The ids of the charts shown in it (the part closing the table).
    photos: &'a [String],
}

impl<'a> Part<'a> {
    /// A middle part showing `table_rows` and `kpi_lines`.
    fn of(
        digest: &'a Digest,
        table_rows: &'a [DigestRow],
        kpi_lines: &'a [KpiLine],
        photos: &'a [String],
    ) -> Self {
        Part {
            digest,
            table_rows,
            table_end: false,
            kpi_lines,
            part_first: false,
            part_last: false,
            photos,
        }
    }
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
/// template). One message when it fits; else the table split by whole rows
/// into as few parts as keep each within the limits, its totals and the
/// charts `photos` (ids) closing it, then the bonus lines split the same
/// way, the funnel and alerts in the last.
pub fn digest_parts(
    templates: &Templates,
    locale_dir: &str,
    digest: &Digest,
    photos: &[String],
) -> Result<Vec<String>, RenderError> {
    let name = format!("{locale_dir}/digest.rich.html");
    let photos = &photos[..photos.len().min(MAX_MEDIA)];
    let rows = &digest.rows;
    let kpi_lines: &[KpiLine] = digest.kpi.as_ref().map_or(&[], |k| &k.lines);
    // Each rendering costs the rows and lines it shows, not the team's.
    let head = Digest {
        rows: Vec::new(),
        kpi: digest.kpi.as_ref().map(|k| KpiSection {
            lines: Vec::new(),
            ..k.clone()
        }),
        ..digest.clone()
    };
    let render = |part: Part<'_>| templates.render(&name, part);
    let whole = render(Part {
        table_end: true,
        part_first: true,
        part_last: true,
        ..Part::of(&head, rows, kpi_lines, photos)
    })?;
    if within_limits(&whole) {
        return Ok(vec![whole]);
    }
    let no_kpi = kpi_lines.is_empty();
    let mut parts = split(rows, |chunk, first, last| {
        render(Part {
            table_end: last,
            part_first: first,
            part_last: last && no_kpi,
            ..Part::of(&head, chunk, &[], photos)
        })
    })?;
    if !no_kpi {
        parts.extend(split(kpi_lines, |chunk, _, last| {
            render(Part {
                part_last: last,
                ..Part::of(&head, &[], chunk, photos)
            })
        })?);
    }
    Ok(parts)
}

/// `items` shared out evenly over as few parts as keep each within the
/// limits (`render` of a chunk, whether it is the first, the last): one
/// part, else as many as the whole one's size asks for, then one more at a
/// time.
fn split<T>(
    items: &[T],
    render: impl Fn(&[T], bool, bool) -> Result<String, RenderError>,
) -> Result<Vec<String>, RenderError> {
    let mut count = 1;
    loop {
        let per = items.len().div_ceil(count).max(1);
        let chunks: Vec<&[T]> = if items.is_empty() {
            vec![&[][..]]
        } else {
            items.chunks(per).collect()
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
        count = match (count, parts.first()) {
            (1, Some(whole)) => parts_for(whole).max(2),
            _ => count + 1,
        };
    }
}

/// How many parts a message of this size needs at least, by characters
/// and by blocks.
fn parts_for(html: &str) -> usize {
    html.chars()
        .count()
        .div_ceil(MAX_CHARS)
        .max(blocks(html).div_ceil(MAX_BLOCKS))
}
