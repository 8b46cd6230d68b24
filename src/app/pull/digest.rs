//! Digests of file content: a dropped file is known by the SHA-256 of its
//! content, a followed file by the hash of its first bytes.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The SHA-256 of a file's content, as lowercase hex.
pub async fn hash_file(path: &Path) -> io::Result<String> {
    let path: PathBuf = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut file = File::open(&path)?;
        let mut digest = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            digest.update(&buf[..n]);
        }
        Ok(hex(&digest.finalize()))
    })
    .await
    .map_err(io::Error::other)?
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_and_padded() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
