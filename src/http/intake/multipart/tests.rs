//! The parser fed whole bodies, and the same bodies one byte at a time (delimiters split anywhere).
use super::*;
use crate::http::intake::body::Limits;
use futures_util::stream;
use std::time::Duration;

const B: &str = "---------------------------8df4ed0804e9558";

fn reader(body: &[u8], chunk: usize) -> Multipart<impl Stream<Item = Result<Bytes, String>> + Unpin> {
    let chunks: Vec<Result<Bytes, String>> = body.chunks(chunk.max(1)).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    let limits = Limits { idle: Duration::from_mins(1), total: Duration::from_mins(1), max_bytes: 1 << 20 };
    Multipart::new(Body::new(stream::iter(chunks), limits, "too large".into()), B)
}

/// Every part as (name, filename, data), or the first refusal's message.
async fn parse(body: &[u8], chunk: usize) -> Result<Vec<(Option<String>, Option<String>, Vec<u8>)>, String> {
    let mut m = reader(body, chunk);
    let mut parts = Vec::new();
    while let Some(part) = m.next_part().await.map_err(|e| e.to_string())? {
        let mut data = Vec::new();
        while let Some(c) = m.next_chunk().await.map_err(|e| e.to_string())? {
            data.extend_from_slice(&c);
        }
        parts.push((part.name, part.filename, data));
    }
    Ok(parts)
}

/// Parses whole and byte by byte; both must agree.
async fn both(body: &[u8]) -> Result<Vec<(Option<String>, Option<String>, Vec<u8>)>, String> {
    let whole = parse(body, body.len()).await;
    assert_eq!(whole, parse(body, 1).await, "byte-at-a-time differs for {:?}", String::from_utf8_lossy(body));
    whole
}

fn file(name: &str, filename: &str, data: &[u8]) -> (Option<String>, Option<String>, Vec<u8>) {
    (Some(name.into()), Some(filename.into()), data.to_vec())
}

/// A payload with the hard cases inside: CRLF, LF, a lone `\r` at the end, `--` lines that are not
/// the boundary, and the boundary's own prefix.
const DATA: &[u8] = b"PK\x03\x04\r\n--not-it\n---------------------------8df4ed080\r\n\r";

#[tokio::test]
async fn nuget_2_8_7_framing_lf_before_the_closing_delimiter_and_nothing_after() {
    // Before a bare-LF delimiter a final `\r` would be read as CRLF (see the module doc).
    let data = &DATA[..DATA.len() - 1];
    let body = [
        format!("--{B}\r\nContent-Disposition: form-data; name=\"package\"; filename=\"package\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        data,
        format!("\n--{B}--").as_bytes(),
    ]
    .concat();
    assert_eq!(both(&body).await, Ok(vec![file("package", "package", data)]));
}

#[tokio::test]
async fn rfc_7578_crlf_framing_with_a_text_field_preamble_and_epilogue() {
    let body = [
        format!("preamble\r\n--{B}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n--{B}  \r\n")
            .as_bytes(),
        b"content-disposition: form-data; name=\"package\"; filename=\"caf\xc3\xa9.nupkg\"\r\n\r\n",
        DATA,
        format!("\r\n--{B}--\r\nepilogue").as_bytes(),
    ]
    .concat();
    assert_eq!(
        both(&body).await,
        Ok(vec![(Some("csrf".into()), None, b"tok".to_vec()), file("package", "café.nupkg", DATA)])
    );
}

#[tokio::test]
async fn lf_everywhere_and_empty_or_nameless_parts() {
    let body = format!("--{B}\nContent-Disposition: form-data; name=\"a\"\n\n\n--{B}\n\nx\n--{B}--\n");
    assert_eq!(
        both(body.as_bytes()).await,
        Ok(vec![(Some("a".into()), None, Vec::new()), (None, None, b"x".to_vec())])
    );
}

#[tokio::test]
async fn a_closing_delimiter_alone_has_no_parts() {
    assert_eq!(both(format!("--{B}--").as_bytes()).await, Ok(Vec::new()));
}

#[tokio::test]
async fn each_framing_fault_is_named() {
    let head = format!("--{B}\r\nContent-Disposition: form-data; name=\"package\"; filename=\"p\"\r\n\r\n");
    let one = |i: usize| format!("--{B}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nv\r\n");
    let many: Vec<String> = (0..17).map(one).collect();
    let many = many.concat();
    let cases: Vec<(Vec<u8>, String)> = vec![
        (Vec::new(), "The upload is empty: the request has no body.".into()),
        (
            b"PK\x03\x04 a zip sent as if it were multipart".to_vec(),
            format!("The multipart upload has no boundary line '--{B}' (the boundary its Content-Type names)."),
        ),
        (
            vec![b'x'; MAX_PREAMBLE + 100],
            format!("The multipart upload does not start with its boundary line '--{B}' within its first 16 KiB."),
        ),
        (
            format!("{head}PK truncated").into_bytes(),
            format!("The multipart upload ends inside the part 'package' before its closing delimiter '--{B}--'."),
        ),
        (
            format!("--{B}\r\nContent-Disposition: form").into_bytes(),
            "The multipart upload ends inside a part's headers.".into(),
        ),
        (
            format!("--{B}\r\nX: {}\r\n\r\n", "y".repeat(MAX_PART_HEADERS)).into_bytes(),
            "A part of the multipart upload has headers longer than 16 KiB.".into(),
        ),
        (format!("{many}--{B}--").into_bytes(), "The multipart upload has more than 16 parts.".into()),
        (
            format!("--{B}xyz\r\n\r\n").into_bytes(),
            format!("The multipart upload has unexpected bytes after the boundary line '--{B}'."),
        ),
        (
            format!("{head}data\r\n--{B}").into_bytes(),
            "The multipart upload ends right after a boundary line, without its closing delimiter.".into(),
        ),
    ];
    for (body, want) in cases {
        assert_eq!(both(&body).await, Err(want), "{:?}", String::from_utf8_lossy(&body[..body.len().min(80)]));
    }
}

#[tokio::test]
async fn text_fields_are_bounded() {
    let body = format!("--{B}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{B}--", "t".repeat(300));
    let mut m = reader(body.as_bytes(), 7);
    assert_eq!(m.next_part().await.unwrap().unwrap().name.as_deref(), Some("csrf"));
    assert_eq!(m.read_text(256).await.unwrap_err().to_string(), "The form field 'csrf' is longer than 256 bytes.");
}
