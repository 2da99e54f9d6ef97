//! A request body read chunk by chunk under the upload's limits: an idle timeout (no byte for too
//! long), a total timeout (the whole body took too long) and a byte cap. A client that trickles one
//! byte a second would otherwise hold a connection, a worker slot and a temp file forever.
use crate::error::AppError;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::time::Duration;
use tokio::time::Instant;

/// The limits one upload is read under.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub idle: Duration,
    pub total: Duration,
    /// Most body bytes read, framing included.
    pub max_bytes: u64,
}

pub struct Body<S> {
    stream: S,
    limits: Limits,
    deadline: Instant,
    read: u64,
    /// The refusal once more than `limits.max_bytes` arrive.
    too_large: String,
}

impl<S, E> Body<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    /// `too_large` is the message of the 413 once more than `limits.max_bytes` arrive.
    pub fn new(stream: S, limits: Limits, too_large: String) -> Self {
        Self { stream, limits, deadline: Instant::now() + limits.total, read: 0, too_large }
    }

    /// The next chunk, or `None` at the end of the body.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, AppError> {
        let idle_until = Instant::now() + self.limits.idle;
        let until = idle_until.min(self.deadline);
        let Ok(next) = tokio::time::timeout_at(until, self.stream.next()).await else {
            return Err(if until == self.deadline { self.total_timeout() } else { self.idle_timeout() });
        };
        match next {
            None => Ok(None),
            Some(Err(e)) => Err(AppError::BadRequest(format!("The upload could not be read: {e}."))),
            Some(Ok(chunk)) => {
                self.read += chunk.len() as u64;
                if self.read > self.limits.max_bytes {
                    return Err(AppError::TooLarge(self.too_large.clone()));
                }
                Ok(Some(chunk))
            }
        }
    }

    fn idle_timeout(&self) -> AppError {
        AppError::Timeout(format!(
            "The upload stalled: no data arrived for {} seconds; send the package again.",
            self.limits.idle.as_secs()
        ))
    }

    fn total_timeout(&self) -> AppError {
        AppError::Timeout(format!(
            "The upload took longer than the server's limit of {} seconds; send the package again over a faster connection.",
            self.limits.total.as_secs()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    const LIMITS: Limits = Limits { idle: Duration::from_secs(5), total: Duration::from_mins(1), max_bytes: 10 };

    fn big() -> String {
        "big".into()
    }

    #[tokio::test]
    async fn chunks_pass_through_until_the_cap() {
        let chunks: Vec<Result<Bytes, String>> =
            vec![Ok(Bytes::from_static(b"12345")), Ok(Bytes::from_static(b"678901"))];
        let mut body = Body::new(stream::iter(chunks), LIMITS, big());
        assert_eq!(body.next_chunk().await.unwrap().unwrap(), "12345");
        assert!(matches!(body.next_chunk().await, Err(AppError::TooLarge(_))));
    }

    #[tokio::test]
    async fn a_stream_error_names_the_cause() {
        let chunks: Vec<Result<Bytes, String>> = vec![Err("connection reset".into())];
        let mut body = Body::new(stream::iter(chunks), LIMITS, big());
        let e = body.next_chunk().await.unwrap_err();
        assert_eq!(e.to_string(), "The upload could not be read: connection reset.");
    }

    #[tokio::test]
    async fn a_silent_client_meets_the_idle_timeout() {
        let limits = Limits { idle: Duration::from_millis(20), ..LIMITS };
        let mut body = Body::new(stream::pending::<Result<Bytes, String>>(), limits, big());
        let e = body.next_chunk().await.unwrap_err();
        assert_eq!(e.to_string(), "The upload stalled: no data arrived for 0 seconds; send the package again.");
    }

    #[tokio::test]
    async fn the_total_timeout_wins_when_it_comes_first() {
        let limits = Limits { idle: Duration::from_mins(1), total: Duration::from_millis(20), max_bytes: 10 };
        let mut body = Body::new(stream::pending::<Result<Bytes, String>>(), limits, big());
        let e = body.next_chunk().await.unwrap_err();
        assert!(matches!(e, AppError::Timeout(_)));
        assert!(e.to_string().starts_with("The upload took longer than the server's limit of 0 seconds"), "{e}");
    }
}
