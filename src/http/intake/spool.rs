//! The one place an upload's bytes are written: a temp file in `Config::tmp_dir()`, written on the
//! blocking pool (tokio's file), refused past the size limit. The file is a `NamedTempFile`, so any
//! refusal — limit, timeout, bad framing, a dropped connection — removes it when the spool drops.
use crate::error::AppError;
use crate::services::blocking;
use std::path::PathBuf;
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;

pub struct Spool {
    file: NamedTempFile,
    out: tokio::fs::File,
    written: u64,
    limit: u64,
    too_large: String,
}

impl Spool {
    /// A new empty temp file in `dir`; more than `limit` bytes are refused with `too_large`.
    pub async fn create(dir: PathBuf, limit: u64, too_large: String) -> Result<Self, AppError> {
        let (file, out) = blocking(move || {
            std::fs::create_dir_all(&dir)?;
            let file = NamedTempFile::new_in(&dir)?;
            let out = file.as_file().try_clone()?;
            Ok((file, out))
        })
        .await?;
        Ok(Self { file, out: tokio::fs::File::from_std(out), written: 0, limit, too_large })
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), AppError> {
        self.written += chunk.len() as u64;
        if self.written > self.limit {
            return Err(AppError::TooLarge(self.too_large.clone()));
        }
        self.out.write_all(chunk).await?;
        Ok(())
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    /// Waits for every write to land and hands over the file.
    pub async fn finish(mut self) -> Result<NamedTempFile, AppError> {
        self.out.flush().await?;
        Ok(self.file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_land_and_a_refusal_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        let mut spool = Spool::create(tmp.clone(), 5, "too big".into()).await.unwrap();
        spool.write(b"abc").await.unwrap();
        spool.write(b"de").await.unwrap();
        let file = spool.finish().await.unwrap();
        assert_eq!(std::fs::read(file.path()).unwrap(), b"abcde");
        drop(file);
        let mut spool = Spool::create(tmp.clone(), 5, "too big".into()).await.unwrap();
        spool.write(b"abc").await.unwrap();
        assert_eq!(spool.write(b"def").await.unwrap_err().to_string(), "too big");
        drop(spool);
        assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    }
}
