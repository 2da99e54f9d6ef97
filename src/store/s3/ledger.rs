//! Where the object store records the SHA-512 of every file it writes, and looks it up when a
//! node fetches the file back. The store defines what it needs; the composition root (`app/`)
//! answers it from the database, so the store never writes SQL.
use std::io;

pub trait HashLedger: Send + Sync {
    /// Records the hex SHA-512 and size of `key` (`id/version/file`), replacing an older record.
    fn record(&self, key: &str, sha512_hex: &str, size: u64) -> io::Result<()>;
    /// The recorded hex SHA-512 and size of `key`.
    fn expected(&self, key: &str) -> io::Result<Option<(String, u64)>>;
    /// Forgets `key`, or every key below the folder `key` names when `folder` is true.
    fn forget(&self, key: &str, folder: bool) -> io::Result<()>;
}

/// Hex SHA-512 of bytes.
pub fn sha512_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha512::digest(bytes))
}
