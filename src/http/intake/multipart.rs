//! `multipart/form-data` read liberally, as a pull parser: `next_part` then `next_chunk` until `None`.
//!
//! Line ends may be CRLF (RFC 7578) or a bare LF: NuGet 2.x on mono ends the file part with
//! `Environment.NewLine` ("\n") before the closing delimiter and sends nothing after `--boundary--`,
//! which strict parsers (actix-multipart, multer) refuse. A delimiter is therefore `\n--boundary`,
//! and a `\r` right before it belongs to it. The one ambiguity: data that ends in `\r` sent before a
//! bare-LF delimiter loses that byte; a `.nupkg` ends with its zip end record, whose last bytes are
//! its comment (empty in practice, so a zero length). Everything before the data is bounded in size,
//! and every refusal says which part of the framing is wrong.
use super::body::Body;
use crate::error::AppError;
use actix_web::http::header::{ContentDisposition, HeaderValue};
use bytes::Bytes;
use futures_util::Stream;
use memchr::memmem;

const MAX_PREAMBLE: usize = 16 * 1024;
const MAX_PART_HEADERS: usize = 16 * 1024;
const MAX_PARTS: usize = 16;

/// A part's name and file name, from its `Content-Disposition`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Part {
    pub name: Option<String>,
    pub filename: Option<String>,
}

impl Part {
    /// How messages refer to the part.
    pub fn label(&self) -> String {
        self.name.as_deref().map_or_else(|| "without a name".to_owned(), |n| format!("'{n}'"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Preamble,
    AfterBoundary,
    Data,
    Done,
}

pub struct Multipart<S> {
    body: Body<S>,
    boundary: String,
    /// `\n--boundary`: the delimiter whatever the line end.
    delimiter: Vec<u8>,
    buf: Vec<u8>,
    pos: usize,
    received_any: bool,
    state: State,
    parts: usize,
    current: String,
}

fn bad(message: String) -> AppError {
    AppError::BadRequest(message)
}

impl<S, E> Multipart<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    pub fn new(body: Body<S>, boundary: &str) -> Self {
        Self {
            body,
            boundary: boundary.to_owned(),
            delimiter: [b"\n--", boundary.as_bytes()].concat(),
            buf: Vec::new(),
            pos: 0,
            received_any: false,
            state: State::Preamble,
            parts: 0,
            current: String::new(),
        }
    }

    fn avail(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Reads one more chunk into the buffer; false at the end of the body.
    async fn fill(&mut self) -> Result<bool, AppError> {
        let Some(chunk) = self.body.next_chunk().await? else { return Ok(false) };
        self.received_any |= !chunk.is_empty();
        // Compact once the consumed head outweighs the rest, so moving bytes stays linear.
        if self.pos > 0 && self.pos >= self.buf.len() - self.pos {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(&chunk);
        Ok(true)
    }

    /// The next part's headers (skipping what is left of the current part), or `None` after the
    /// closing delimiter.
    pub async fn next_part(&mut self) -> Result<Option<Part>, AppError> {
        loop {
            match self.state {
                State::Preamble => self.first_boundary().await?,
                State::Data => while self.next_chunk().await?.is_some() {},
                State::AfterBoundary => return self.after_boundary().await,
                State::Done => return Ok(None),
            }
        }
    }

    async fn first_boundary(&mut self) -> Result<(), AppError> {
        // Where the search resumes after a fill: each byte is scanned about once.
        let mut from = 0;
        loop {
            let avail = self.avail();
            // `--boundary` opens the body, or follows a line end after a preamble.
            if avail.starts_with(&self.delimiter[1..]) {
                self.pos += self.delimiter.len() - 1;
                break;
            }
            let found = memmem::find(&avail[from..], &self.delimiter).map(|i| i + from);
            if let Some(i) = found.filter(|&i| i <= MAX_PREAMBLE) {
                self.pos += i + self.delimiter.len();
                break;
            }
            if found.is_some() || avail.len() > MAX_PREAMBLE {
                return Err(bad(format!(
                    "The multipart upload does not start with its boundary line '--{}' within its first 16 KiB.",
                    self.boundary
                )));
            }
            from = avail.len().saturating_sub(self.delimiter.len());
            if !self.fill().await? {
                return Err(bad(if self.received_any {
                    format!(
                        "The multipart upload has no boundary line '--{}' (the boundary its Content-Type names).",
                        self.boundary
                    )
                } else {
                    "The upload is empty: the request has no body.".to_owned()
                }));
            }
        }
        self.state = State::AfterBoundary;
        Ok(())
    }

    /// Makes at least `n` bytes available; false if the body ends first.
    async fn want(&mut self, n: usize) -> Result<bool, AppError> {
        while self.avail().len() < n {
            if !self.fill().await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn after_boundary(&mut self) -> Result<Option<Part>, AppError> {
        let unclosed =
            || bad("The multipart upload ends right after a boundary line, without its closing delimiter.".to_owned());
        if !self.want(2).await? && self.avail().is_empty() {
            return Err(unclosed());
        }
        if self.avail().starts_with(b"--") {
            self.state = State::Done;
            return Ok(None);
        }
        // Transport padding, then the line end.
        loop {
            if !self.want(2).await? && self.avail().is_empty() {
                return Err(unclosed());
            }
            match self.avail() {
                [b' ' | b'\t', ..] => self.pos += 1,
                [b'\r', b'\n', ..] => {
                    self.pos += 2;
                    break;
                }
                [b'\n', ..] => {
                    self.pos += 1;
                    break;
                }
                _ => {
                    return Err(bad(format!(
                        "The multipart upload has unexpected bytes after the boundary line '--{}'.",
                        self.boundary
                    )))
                }
            }
        }
        self.parts += 1;
        if self.parts > MAX_PARTS {
            return Err(bad(format!("The multipart upload has more than {MAX_PARTS} parts.")));
        }
        let part = self.headers().await?;
        self.current = part.label();
        self.state = State::Data;
        Ok(Some(part))
    }

    /// Reads a part's header block, up to and including the blank line that ends it.
    async fn headers(&mut self) -> Result<Part, AppError> {
        let mut from = 0;
        let (block_len, end_len) = loop {
            let avail = self.avail();
            if avail.starts_with(b"\r\n") {
                break (0, 2);
            }
            if avail.starts_with(b"\n") {
                break (0, 1);
            }
            let lf = memmem::find(&avail[from..], b"\n\n").map(|i| (i + from, 2));
            let crlf = memmem::find(&avail[from..], b"\n\r\n").map(|i| (i + from, 3));
            let found = [lf, crlf].into_iter().flatten().min();
            if let Some(found) = found.filter(|&(i, _)| i <= MAX_PART_HEADERS) {
                break found;
            }
            if found.is_some() || avail.len() > MAX_PART_HEADERS {
                return Err(bad("A part of the multipart upload has headers longer than 16 KiB.".to_owned()));
            }
            from = avail.len().saturating_sub(3);
            if !self.fill().await? {
                return Err(bad("The multipart upload ends inside a part's headers.".to_owned()));
            }
        };
        let block = &self.avail()[..block_len];
        let part = parse_headers(block);
        self.pos += block_len + end_len;
        Ok(part)
    }

    /// The next piece of the current part's data; `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, AppError> {
        if self.state != State::Data {
            return Ok(None);
        }
        loop {
            let avail = self.avail();
            if let Some(i) = memmem::find(avail, &self.delimiter) {
                let end = if i > 0 && avail[i - 1] == b'\r' { i - 1 } else { i };
                let data = Bytes::copy_from_slice(&avail[..end]);
                self.pos += i + self.delimiter.len();
                self.state = State::AfterBoundary;
                return Ok((!data.is_empty()).then_some(data));
            }
            // Hold back what could be the start of a delimiter (and the `\r` before it).
            let keep = self.delimiter.len();
            if avail.len() > keep {
                let n = avail.len() - keep;
                let data = Bytes::copy_from_slice(&avail[..n]);
                self.pos += n;
                return Ok(Some(data));
            }
            if !self.fill().await? {
                return Err(bad(format!(
                    "The multipart upload ends inside the part {} before its closing delimiter '--{}--'.",
                    self.current, self.boundary
                )));
            }
        }
    }

    /// The current part's data as text, at most `max` bytes.
    pub async fn read_text(&mut self, max: usize) -> Result<String, AppError> {
        let mut text = Vec::new();
        while let Some(chunk) = self.next_chunk().await? {
            text.extend_from_slice(&chunk);
            if text.len() > max {
                return Err(bad(format!("The form field {} is longer than {max} bytes.", self.current)));
            }
        }
        Ok(String::from_utf8_lossy(&text).into_owned())
    }
}

/// Lines end in CRLF or LF; only `Content-Disposition` matters here.
fn parse_headers(block: &[u8]) -> Part {
    let disposition = block.split(|&b| b == b'\n').find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = memchr::memchr(b':', line)?;
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        name.trim_ascii().eq_ignore_ascii_case(b"content-disposition").then_some(value.trim_ascii())
    });
    let parsed =
        disposition.and_then(|v| HeaderValue::from_bytes(v).ok()).and_then(|v| ContentDisposition::from_raw(&v).ok());
    parsed.map_or_else(Part::default, |cd| Part {
        name: cd.get_name().map(str::to_owned),
        filename: cd.get_filename().map(str::to_owned),
    })
}

#[cfg(test)]
mod tests;
