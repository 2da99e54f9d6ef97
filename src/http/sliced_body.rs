//! A response body held in memory, handed to actix-web a slice at a time.
//!
//! actix-web copies every chunk of a body into the connection's write buffer before writing it,
//! and lets go of a buffer that grew past 128 KB once it is written. A 2 MB package handed over
//! as one chunk would grow the buffer to 2 MB for every response and free it after. Slices of the
//! same `Bytes` cost no copy of their own and keep the buffer at a size actix reuses.
use actix_web::body::{BodySize, MessageBody};
use bytes::Bytes;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The largest chunk handed over: actix-files reads files in chunks of this size too.
pub const SLICE_BYTES: usize = 64 * 1024;

/// The bytes not yet handed over, and the length the response announces.
pub struct SlicedBody {
    rest: Bytes,
    length: u64,
}

impl SlicedBody {
    pub fn new(bytes: Bytes) -> Self {
        Self { length: bytes.len() as u64, rest: bytes }
    }
}

impl MessageBody for SlicedBody {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.length)
    }

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Bytes, Infallible>>> {
        if self.rest.is_empty() {
            return Poll::Ready(None);
        }
        let take = self.rest.len().min(SLICE_BYTES);
        Poll::Ready(Some(Ok(self.rest.split_to(take))))
    }

    /// A body of one slice goes out as plain bytes, which actix-web handles without polling.
    fn try_into_bytes(self) -> Result<Bytes, Self> {
        if self.rest.len() <= SLICE_BYTES && self.rest.len() as u64 == self.length {
            Ok(self.rest)
        } else {
            Err(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    #[actix_web::test]
    async fn hands_over_every_byte_in_slices_of_at_most_64_kb() {
        let bytes: Bytes =
            (0..(2 * SLICE_BYTES + 123)).map(|i| u8::try_from(i % 251).unwrap()).collect::<Vec<_>>().into();
        let mut body = Box::pin(SlicedBody::new(bytes.clone()));
        assert_eq!(body.size(), BodySize::Sized(bytes.len() as u64));
        let mut lengths = Vec::new();
        let mut joined = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await {
            let chunk = chunk.unwrap();
            lengths.push(chunk.len());
            joined.extend_from_slice(&chunk);
        }
        assert_eq!(lengths, vec![SLICE_BYTES, SLICE_BYTES, 123]);
        assert_eq!(joined, bytes);
        // The announced length stays the whole body's while it is handed over.
        assert_eq!(body.size(), BodySize::Sized(bytes.len() as u64));
    }

    #[actix_web::test]
    async fn a_small_or_empty_body_is_plain_bytes() {
        assert_eq!(SlicedBody::new(Bytes::from_static(b"abc")).try_into_bytes().ok(), Some(Bytes::from_static(b"abc")));
        assert_eq!(to_bytes(SlicedBody::new(Bytes::new())).await.ok(), Some(Bytes::new()));
        let big = Bytes::from(vec![7u8; SLICE_BYTES + 1]);
        assert!(SlicedBody::new(big.clone()).try_into_bytes().is_err());
        assert_eq!(to_bytes(SlicedBody::new(big.clone())).await.ok(), Some(big));
    }
}
