//! Physical lines into records, so that every line of a file is accounted
//! for: each becomes part of one record, a blank line, or a broken line set
//! aside at the line where it began. A quoted field that never closes cuts
//! off only the line that opened it (the lines read ahead are read again on
//! their own), and no line or record may grow past a bound, so one bad byte
//! never swallows the rows after it.

use std::collections::VecDeque;
use std::io::{self, BufRead};

/// The longest line or record kept; longer ones are set aside.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// How quotes may join lines into one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quotes {
    /// Quotes mean nothing to the framing (JSON Lines: one line, one record).
    Ignore,
    /// CSV where no field holds a line break (Asterisk `Master.csv`): a line
    /// that ends inside a quoted field is broken (cut short, or joined).
    OneLine,
    /// CSV where a quoted field may hold line breaks, over at most this many
    /// physical lines.
    MultiLine { max_lines: usize },
}

impl Quotes {
    /// CRM exchange CSV and call exports: comments may span lines.
    pub const CSV_TEXT: Quotes = Quotes::MultiLine { max_lines: 100 };
}

/// Why a line was set aside before its fields were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    TooLong,
    NulByte,
    /// A quoted field opened on this line does not close on it.
    UnclosedQuote,
    /// A quoted field opened on this line does not close within the bound.
    UnclosedQuoteSpan {
        max_lines: usize,
    },
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Broken::TooLong => write!(f, "line longer than {} KB", MAX_RECORD_BYTES / 1024),
            Broken::NulByte => f.write_str("line holds a NUL byte"),
            Broken::UnclosedQuote => {
                f.write_str("line ends inside a quoted field (cut short, or a stray quote)")
            }
            Broken::UnclosedQuoteSpan { max_lines } => write!(
                f,
                "a quoted field opened on this line is not closed within {max_lines} lines or {} KB",
                MAX_RECORD_BYTES / 1024
            ),
        }
    }
}

#[derive(Debug)]
pub enum PieceKind {
    /// The record's bytes, line breaks inside quoted fields as `\n`.
    Record(Vec<u8>),
    Blank,
    /// The line's bytes (cut at the bound) and why it was set aside.
    Broken(Broken, Vec<u8>),
}

/// What the next physical lines of a file are.
#[derive(Debug)]
pub struct Piece {
    /// The 1-based physical line where it begins.
    pub line: u64,
    /// The physical lines it covers.
    pub lines: u64,
    pub kind: PieceKind,
}

struct Physical {
    no: u64,
    bytes: Vec<u8>,
    too_long: bool,
}

impl Physical {
    fn odd_quotes(&self) -> bool {
        memchr::memchr_iter(b'"', &self.bytes).count() % 2 == 1
    }
    fn has_nul(&self) -> bool {
        memchr::memchr(0, &self.bytes).is_some()
    }
    fn broken(&self) -> Option<Broken> {
        if self.too_long {
            Some(Broken::TooLong)
        } else if self.has_nul() {
            Some(Broken::NulByte)
        } else {
            None
        }
    }
}

/// Reads pieces from a buffered stream.
pub struct RecordReader<R> {
    inner: R,
    quotes: Quotes,
    /// Lines read ahead while looking for a closing quote.
    pending: VecDeque<Physical>,
    lines_seen: u64,
    bytes_read: u64,
}

impl<R: BufRead> RecordReader<R> {
    pub fn new(inner: R, quotes: Quotes) -> Self {
        Self {
            inner,
            quotes,
            pending: VecDeque::new(),
            lines_seen: 0,
            bytes_read: 0,
        }
    }

    /// Bytes taken from the stream so far (read-ahead included).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// One physical line without its `\n` or `\r\n`, bounded in memory: the
    /// rest of an over-long line is read and dropped.
    fn read_physical(&mut self) -> io::Result<Option<Physical>> {
        let mut bytes = Vec::new();
        let mut too_long = false;
        let mut any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (i, true),
                None => (available.len(), false),
            };
            let room = (MAX_RECORD_BYTES + 1).saturating_sub(bytes.len());
            if take > room {
                too_long = true;
            }
            bytes.extend_from_slice(&available[..take.min(room)]);
            let used = if done { take + 1 } else { take };
            self.inner.consume(used);
            self.bytes_read += used as u64;
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        if bytes.len() > MAX_RECORD_BYTES {
            too_long = true;
            bytes.truncate(MAX_RECORD_BYTES);
        }
        self.lines_seen += 1;
        Ok(Some(Physical {
            no: self.lines_seen,
            bytes,
            too_long,
        }))
    }

    /// The `i`-th line ahead (0 = the next one), reading it if needed.
    fn ahead(&mut self, i: usize) -> io::Result<Option<&Physical>> {
        while self.pending.len() <= i {
            match self.read_physical()? {
                Some(p) => self.pending.push_back(p),
                None => return Ok(None),
            }
        }
        Ok(self.pending.get(i))
    }

    /// The next piece, or `None` at the end of the stream.
    pub fn next_piece(&mut self) -> io::Result<Option<Piece>> {
        if self.ahead(0)?.is_none() {
            return Ok(None);
        }
        let Some(first) = self.pending.pop_front() else {
            return Ok(None);
        };
        let line = first.no;
        let single = |kind| Piece {
            line,
            lines: 1,
            kind,
        };
        if let Some(why) = first.broken() {
            return Ok(Some(single(PieceKind::Broken(why, first.bytes))));
        }
        if first.bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Some(single(PieceKind::Blank)));
        }
        let max_lines = match self.quotes {
            Quotes::Ignore => return Ok(Some(single(PieceKind::Record(first.bytes)))),
            _ if !first.odd_quotes() => {
                return Ok(Some(single(PieceKind::Record(first.bytes))));
            }
            Quotes::OneLine => {
                return Ok(Some(single(PieceKind::Broken(
                    Broken::UnclosedQuote,
                    first.bytes,
                ))));
            }
            Quotes::MultiLine { max_lines } => max_lines,
        };
        // Join the lines ahead until the quote closes, within the bounds.
        let mut text = first.bytes.clone();
        let mut joined = 0usize;
        loop {
            if joined + 1 >= max_lines || text.len() > MAX_RECORD_BYTES {
                break;
            }
            let Some(next) = self.ahead(joined)? else {
                break;
            };
            if next.broken().is_some() {
                break;
            }
            let closes = next.odd_quotes();
            text.push(b'\n');
            text.extend_from_slice(&next.bytes);
            joined += 1;
            if closes && text.len() <= MAX_RECORD_BYTES {
                self.pending.drain(..joined);
                return Ok(Some(Piece {
                    line: first.no,
                    lines: joined as u64 + 1,
                    kind: PieceKind::Record(text),
                }));
            }
            if closes {
                break;
            }
        }
        Ok(Some(single(PieceKind::Broken(
            Broken::UnclosedQuoteSpan { max_lines },
            first.bytes,
        ))))
    }
}

/// Splits one CSV record into fields at `delimiter` (RFC 4180: a field quoted from its first
/// byte may hold commas, `""` and line breaks; anything after its closing
/// quote is kept as written; elsewhere quotes are ordinary characters).
pub fn split_fields(text: &[u8], delimiter: u8, record: &mut csv::ByteRecord) {
    record.clear();
    let mut quoted = Vec::new();
    let mut i = 0;
    let n = text.len();
    loop {
        if i < n && text[i] == b'"' {
            // A quoted field: unescaped into its own buffer.
            quoted.clear();
            i += 1;
            while i < n {
                if text[i] == b'"' {
                    if text.get(i + 1) == Some(&b'"') {
                        quoted.push(b'"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                quoted.push(text[i]);
                i += 1;
            }
            let end = next_delimiter(text, i, delimiter);
            quoted.extend_from_slice(&text[i..end]);
            record.push_field(&quoted);
            i = end;
        } else {
            // A plain field is a slice of the record as it is.
            let end = next_delimiter(text, i, delimiter);
            record.push_field(&text[i..end]);
            i = end;
        }
        if i >= n {
            break;
        }
        i += 1;
    }
}

/// Where the field starting at `from` ends: at the next delimiter, or at the end.
fn next_delimiter(text: &[u8], from: usize, delimiter: u8) -> usize {
    memchr::memchr(delimiter, &text[from.min(text.len())..]).map_or(text.len(), |at| from + at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str, quotes: Quotes) -> Vec<(u64, u64, String)> {
        let mut r = RecordReader::new(text.as_bytes(), quotes);
        let mut out = Vec::new();
        while let Some(p) = r.next_piece().expect("in memory") {
            let what = match p.kind {
                PieceKind::Record(b) => format!("rec:{}", String::from_utf8_lossy(&b)),
                PieceKind::Blank => "blank".to_owned(),
                PieceKind::Broken(why, _) => format!("broken:{why:?}"),
            };
            out.push((p.line, p.lines, what));
        }
        out
    }

    #[test]
    fn an_unclosed_quote_cuts_off_only_its_own_line() {
        let got = pieces(
            "id,title\nt1,\"ok\"\nt2,\"never closed\nt3,x\nt4,y\n",
            Quotes::MultiLine { max_lines: 2 },
        );
        assert_eq!(
            got,
            vec![
                (1, 1, "rec:id,title".to_owned()),
                (2, 1, "rec:t1,\"ok\"".to_owned()),
                (3, 1, "broken:UnclosedQuoteSpan { max_lines: 2 }".to_owned()),
                (4, 1, "rec:t3,x".to_owned()),
                (5, 1, "rec:t4,y".to_owned()),
            ]
        );
    }

    #[test]
    fn a_quoted_line_break_joins_lines_and_crlf_counts_right() {
        let got = pieces("a,\"one\r\ntwo\"\r\n\r\nb,c\r\n", Quotes::CSV_TEXT);
        assert_eq!(
            got,
            vec![
                (1, 2, "rec:a,\"one\ntwo\"".to_owned()),
                (3, 1, "blank".to_owned()),
                (4, 1, "rec:b,c".to_owned()),
            ]
        );
    }

    #[test]
    fn a_truncated_cdr_line_stays_alone() {
        let got = pieces("\"a\",\"b\n\"c\",\"d\"\n", Quotes::OneLine);
        assert_eq!(got[0].2, "broken:UnclosedQuote");
        assert_eq!(got[1], (2, 1, "rec:\"c\",\"d\"".to_owned()));
    }

    #[test]
    fn long_lines_and_nul_bytes_are_set_aside() {
        let long = "x".repeat(MAX_RECORD_BYTES + 10);
        let text = format!("{long}\nok\na\0b\nlast");
        let got = pieces(&text, Quotes::Ignore);
        assert_eq!(got[0].2, "broken:TooLong");
        assert_eq!(got[1], (2, 1, "rec:ok".to_owned()));
        assert_eq!(got[2].2, "broken:NulByte");
        assert_eq!(got[3], (4, 1, "rec:last".to_owned()));
    }

    #[test]
    fn fields_split_like_rfc_4180() {
        let mut r = csv::ByteRecord::new();
        split_fields(b"\"a,b\",\"say \"\"hi\"\"\",,plain \"q\",", b',', &mut r);
        let got: Vec<String> = r
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        assert_eq!(got, vec!["a,b", "say \"hi\"", "", "plain \"q\"", ""]);
    }
}
