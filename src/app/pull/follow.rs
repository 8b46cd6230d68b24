//! Following a CDR file that grows line by line (Asterisk's `Master.csv`):
//! each pull reads the complete lines added since the cursor, and after a
//! log rotation first finishes the rotated file, found among its siblings,
//! then reads the new one from its start.

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::app::ingest::{self, IngestError, IngestOptions, Input};
use crate::config::{Config, SourceConfig, SourceKind};
use crate::storage::Store;

use super::digest::hex;
use super::{PullError, PullOptions, PullReport};

/// How much of the first line the cursor hashes.
const HEAD_MAX: u64 = 1024;

/// Where the followed file was left: recorded as JSON after the lines it
/// covers are stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowCursor {
    /// The file that was read (for a person looking at the cursor).
    pub file: String,
    /// Device and inode: which file it was, whatever it is called now
    /// (0 where the platform does not tell).
    pub dev: u64,
    pub ino: u64,
    /// Bytes read: the end of the last complete line.
    pub offset: u64,
    /// Lines read, so rejects name the line of the file.
    pub lines: u64,
    /// The first line (up to `HEAD_MAX` bytes): how many bytes, and their
    /// SHA-256. A file rewritten in place starts differently.
    pub head_len: u64,
    pub head: String,
}

/// One stretch of one file to read.
struct Segment {
    path: PathBuf,
    file: File,
    from: u64,
    to: u64,
    lines_before: u64,
    identity: (u64, u64),
}

fn identity(meta: &Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        (0, 0)
    }
}

fn open_err(path: &Path) -> impl FnOnce(io::Error) -> PullError + '_ {
    move |source| {
        PullError::Ingest(IngestError::Open {
            path: path.to_owned(),
            source,
        })
    }
}

/// The SHA-256 of the first `len` bytes, or None when the file is shorter.
fn prefix_hash(file: &mut File, len: u64) -> io::Result<Option<String>> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = Vec::with_capacity(len as usize);
    file.by_ref().take(len).read_to_end(&mut buf)?;
    Ok((buf.len() as u64 == len).then(|| hex(&Sha256::digest(&buf))))
}

/// The first line of the file (with its newline), not past `limit` bytes.
fn first_line(file: &mut File, limit: u64) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = Vec::new();
    file.by_ref().take(limit).read_to_end(&mut buf)?;
    if let Some(at) = buf.iter().position(|b| *b == b'\n') {
        buf.truncate(at + 1);
    }
    Ok(buf)
}

/// The end of the last complete line at or after `from`, below `len`:
/// `from` itself when no line was completed.
fn complete_lines_end(file: &mut File, from: u64, len: u64) -> io::Result<u64> {
    let mut end = len;
    let mut buf = vec![0u8; 1 << 16];
    while end > from {
        let start = end.saturating_sub(buf.len() as u64).max(from);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf[..n])?;
        if let Some(at) = buf[..n].iter().rposition(|b| *b == b'\n') {
            return Ok(start + at as u64 + 1);
        }
        end = start;
    }
    Ok(from)
}

/// Whether `file` is the one the cursor left: same identity, not shorter,
/// same first line.
fn is_cursor_file(file: &mut File, meta: &Metadata, cursor: &FollowCursor) -> io::Result<bool> {
    let same_identity = identity(meta) == (cursor.dev, cursor.ino);
    if !same_identity || meta.len() < cursor.offset {
        return Ok(false);
    }
    Ok(prefix_hash(file, cursor.head_len)?.as_deref() == Some(cursor.head.as_str()))
}

/// The file the cursor left, now under another name in the same folder
/// (`Master.csv.1`, `Master.csv-20261116`): by identity after a rename, or
/// by its first line and size after copy-and-truncate.
fn rotated_sibling(followed: &Path, cursor: &FollowCursor) -> Option<(PathBuf, File, Metadata)> {
    let folder = followed.parent().filter(|p| !p.as_os_str().is_empty());
    let name = followed.file_name()?.to_str()?;
    let entries = std::fs::read_dir(folder.unwrap_or(Path::new("."))).ok()?;
    let mut candidates: Vec<(PathBuf, Metadata)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name().to_str().is_some_and(|n| {
                n != name
                    && n.starts_with(name)
                    && ![".gz", ".bz2", ".xz", ".zst", ".zip"]
                        .iter()
                        .any(|ext| n.ends_with(ext))
            })
        })
        .filter_map(|e| Some((e.path(), e.metadata().ok()?)))
        .filter(|(_, m)| m.is_file() && m.len() >= cursor.offset)
        .collect();
    // The most recently rotated first.
    candidates.sort_by_key(|(_, m)| std::cmp::Reverse(m.modified().ok()));
    let by_identity = candidates
        .iter()
        .position(|(_, m)| identity(m) == (cursor.dev, cursor.ino) && cursor.ino != 0);
    let order: Vec<usize> = by_identity
        .into_iter()
        .chain((0..candidates.len()).filter(|i| Some(*i) != by_identity))
        .collect();
    for i in order {
        let (path, meta) = &candidates[i];
        let Ok(mut file) = File::open(path) else {
            continue;
        };
        if prefix_hash(&mut file, cursor.head_len)
            .ok()
            .flatten()
            .is_some_and(|h| h == cursor.head)
        {
            return Some((path.clone(), file, meta.clone()));
        }
    }
    None
}

/// Decides what to read this pull.
fn plan(
    followed: &Path,
    cursor: Option<&FollowCursor>,
    notes: &mut Vec<String>,
) -> Result<Vec<Segment>, PullError> {
    let current = match File::open(followed) {
        Ok(file) => {
            let meta = file.metadata().map_err(open_err(followed))?;
            Some((file, meta))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(open_err(followed)(e)),
    };
    let mut segments = Vec::new();
    let mut start_current_at = (0, 0);
    if let Some(cursor) = cursor {
        let still_there = match current {
            Some((ref file, ref meta)) => {
                let mut file = file.try_clone().map_err(open_err(followed))?;
                is_cursor_file(&mut file, meta, cursor).map_err(open_err(followed))?
            }
            None => false,
        };
        if still_there {
            start_current_at = (cursor.offset, cursor.lines);
        } else if cursor.offset > 0 {
            match rotated_sibling(followed, cursor) {
                Some((path, file, meta)) => {
                    if meta.len() > cursor.offset {
                        notes.push(format!(
                            "{} was rotated: read the rest of it from {} (from line {})",
                            followed.display(),
                            path.display(),
                            cursor.lines + 1
                        ));
                    }
                    segments.push(Segment {
                        path,
                        file,
                        from: cursor.offset,
                        // A rotated file is not written to any more: its last
                        // line is complete even without a newline.
                        to: meta.len(),
                        lines_before: cursor.lines,
                        identity: identity(&meta),
                    });
                }
                None => notes.push(format!(
                    "{} was rotated or rewritten, and the file it was is not beside it \
                     (compressed or removed at once? logrotate's delaycompress keeps it readable): \
                     lines it got after line {} were not read",
                    followed.display(),
                    cursor.lines
                )),
            }
        }
    }
    match current {
        Some((mut file, meta)) => {
            let (from, lines_before) = start_current_at;
            let to = complete_lines_end(&mut file, from, meta.len()).map_err(open_err(followed))?;
            segments.push(Segment {
                path: followed.to_owned(),
                file,
                from,
                to,
                lines_before,
                identity: identity(&meta),
            });
        }
        None if segments.is_empty() => notes.push(format!(
            "{} does not exist yet: nothing to read",
            followed.display()
        )),
        None => {}
    }
    Ok(segments)
}

/// A reader that counts the lines that pass through it.
struct LineCounter<R> {
    inner: R,
    lines: Arc<AtomicU64>,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let newlines = buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        self.lines.fetch_add(newlines, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads the new lines of the followed file and records the cursor.
pub(super) async fn pull(
    store: Arc<Store>,
    config: &Config,
    source: &SourceConfig,
    followed: &Path,
    options: &PullOptions,
    report: &mut PullReport,
) -> Result<(), PullError> {
    if options.since.is_some() {
        report.notes.push(format!(
            "--since does not apply to {}: it is read from where the last pull stopped",
            followed.display()
        ));
    }
    let stored = store.pull_cursor(&source.name).await?;
    report.cursor_before = stored.clone();
    let cursor = stored.as_deref().and_then(|json| {
        let parsed = serde_json::from_str::<FollowCursor>(json).ok();
        if parsed.is_none() {
            report.notes.push(format!(
                "the recorded cursor {json:?} is not a file position: {} is read from its start (what was stored stays once)",
                followed.display()
            ));
        }
        parsed
    });
    let segments = plan(followed, cursor.as_ref(), &mut report.notes)?;
    let mut last = None;
    for segment in segments {
        last = Some(read_segment(store.clone(), config, source, segment, options, report).await?);
    }
    if let Some(next) = last
        && Some(&next) != cursor.as_ref()
    {
        let json = serde_json::to_string(&next)
            .map_err(|e| PullError::Remote(format!("cannot write the cursor: {e}")))?;
        store
            .set_pull_cursor(&source.name, &json, options.now)
            .await?;
        report.cursor_after = Some(json);
    } else {
        report.cursor_after = report.cursor_before.clone();
    }
    Ok(())
}

/// Reads one stretch of a file (a calls CSV's header put in front when it
/// starts mid-file) and says where the file was left.
async fn read_segment(
    store: Arc<Store>,
    config: &Config,
    source: &SourceConfig,
    mut segment: Segment,
    options: &PullOptions,
    report: &mut PullReport,
) -> Result<FollowCursor, PullError> {
    let path = segment.path.clone();
    let io_err = |e| open_err(&path)(e);
    let mut lines = segment.lines_before;
    if segment.to > segment.from {
        let header = match (&source.kind, segment.from) {
            (SourceKind::CallsCsv(_), from) if from > 0 => {
                first_line(&mut segment.file, from).map_err(io_err)?
            }
            _ => Vec::new(),
        };
        // The header is line 1 of the stream, the first new line is line
        // `lines_before + 1` of the file.
        let line_offset = segment.lines_before as i64 - i64::from(!header.is_empty());
        let mut file = segment.file.try_clone().map_err(io_err)?;
        file.seek(SeekFrom::Start(segment.from)).map_err(io_err)?;
        let counted = Arc::new(AtomicU64::new(0));
        let body = LineCounter {
            inner: file.take(segment.to - segment.from),
            lines: counted.clone(),
        };
        let input = Input {
            reader: io::Cursor::new(header).chain(body),
            label: path.display().to_string(),
            line_offset,
            size: segment.to - segment.from,
        };
        let file_report = {
            let run = IngestOptions {
                progress: options.progress,
                now: options.now,
            };
            ingest::ingest_input(store, config, source, input, None, &run).await?
        };
        report.add_file(file_report);
        lines += counted.load(Ordering::Relaxed);
    }
    let head = first_line(&mut segment.file, segment.to.min(HEAD_MAX)).map_err(io_err)?;
    Ok(FollowCursor {
        file: path.display().to_string(),
        dev: segment.identity.0,
        ino: segment.identity.1,
        offset: segment.to,
        lines,
        head_len: head.len() as u64,
        head: hex(&Sha256::digest(&head)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn only_complete_lines_are_taken() {
        let mut tmp = tempfile::tempfile().unwrap();
        tmp.write_all(b"a,1\nb,2\nc,").unwrap();
        assert_eq!(complete_lines_end(&mut tmp, 0, 10).unwrap(), 8);
        assert_eq!(complete_lines_end(&mut tmp, 8, 10).unwrap(), 8);
        assert_eq!(complete_lines_end(&mut tmp, 4, 8).unwrap(), 8);
    }

    #[test]
    fn the_head_is_the_first_line() {
        let mut tmp = tempfile::tempfile().unwrap();
        tmp.write_all(b"id;time\n1;2\n").unwrap();
        assert_eq!(first_line(&mut tmp, 100).unwrap(), b"id;time\n");
        assert_eq!(first_line(&mut tmp, 3).unwrap(), b"id;");
    }
}
