//! Upload intake over real sockets: the exact bytes NuGet 2.8.7 (mono) sends, every framing and
//! content-type refusal with its message, slow clients timed out with 408, and nothing left on disk.
use crate::helpers::{nupkg, spawn_app, spawn_app_with, TestApp};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Files left under the data dir's `tmp/` (uploads in progress or refused).
pub fn tmp_files(app: &TestApp) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map_or(0, |d| d.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
    }
    walk(&app.state.config.tmp_dir())
}

fn connect(app: &TestApp) -> TcpStream {
    let stream = TcpStream::connect(app.base.trim_start_matches("http://")).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    stream
}

/// Reads a whole HTTP answer (the server closes the connection after it): (status, body).
fn read_answer(stream: &mut TcpStream) -> (u16, String) {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}

/// The request NuGet 2.8.7 on mono sends for `nuget push X.nupkg KEY -Source {base}/` (captured from
/// the real client): HTTP/1.0, Content-Length, part headers in CRLF, then the package, `\n` (mono's
/// `Environment.NewLine`) and the closing delimiter with nothing after it.
fn nuget_2_8_7_push(app: &TestApp, key: &str, package: &[u8]) -> Vec<u8> {
    let boundary = "---------------------------8df4ed0804e9558";
    let body = [
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"package\"; filename=\"package\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
        package,
        format!("\n--{boundary}--").as_bytes(),
    ]
    .concat();
    let host = app.base.trim_start_matches("http://");
    let head = format!(
        "PUT /api/v2/package/ HTTP/1.0\r\nUser-Agent: NuGet Command Line/2.8.7.0 (Unix 6.1)\r\nX-NuGet-ApiKey: {key}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nHost: {host}\r\n\r\n",
        body.len()
    );
    [head.as_bytes(), &body].concat()
}

#[test]
fn nuget_2_8_7_pushes_over_http_1_0_with_lf_framing() {
    let app = spawn_app();
    let (_, key) = app.user_with_key("alice");
    let package = nupkg("Mono.Push", "1.0.0");
    let mut stream = connect(&app);
    stream.write_all(&nuget_2_8_7_push(&app, &key, &package)).unwrap();
    assert_eq!(read_answer(&mut stream), (201, "Published Mono.Push 1.0.0.".to_owned()));
    let stored = app.client.get(app.url("/v3/flatcontainer/mono.push/1.0.0/mono.push.1.0.0.nupkg")).send().unwrap();
    assert_eq!(stored.bytes().unwrap().as_ref(), package.as_slice(), "stored byte for byte");
    assert_eq!(tmp_files(&app), 0);
}

/// A push with the given Content-Type and body.
fn put(app: &TestApp, key: &str, content_type: Option<&str>, body: Vec<u8>) -> (u16, String) {
    let mut req = app.client.put(app.url("/api/v2/package/")).header("X-NuGet-ApiKey", key).body(body);
    if let Some(t) = content_type {
        req = req.header("Content-Type", t);
    }
    let r = req.send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

/// (what, Content-Type, body, status, message)
type Case<'a> = (&'a str, Option<&'a str>, Vec<u8>, u16, String);

#[test]
fn each_refused_upload_names_what_is_wrong_and_leaves_nothing() {
    let app = spawn_app_with(|c| c.publish.max_package_mb = 1);
    let (_, key) = app.user_with_key("alice");
    let b = "xyz";
    let mp = format!("multipart/form-data; boundary={b}");
    let part = |headers: &str, data: &[u8]| [format!("--{b}\r\n{headers}\r\n\r\n").as_bytes(), data, b"\r\n"].concat();
    let close = format!("--{b}--\r\n").into_bytes();
    let pkg = nupkg("Never.Stored", "1.0.0");
    let file_part = part("Content-Disposition: form-data; name=\"package\"; filename=\"p.nupkg\"", &pkg);
    let cases: Vec<Case> = vec![
        ("empty raw body", None, Vec::new(), 400, "The upload is empty: the request has no body.".into()),
        ("empty multipart body", Some(&mp), Vec::new(), 400, "The upload is empty: the request has no body.".into()),
        (
            "no file part",
            Some(&mp),
            [part("Content-Disposition: form-data; name=\"note\"", b"hello"), close.clone()].concat(),
            400,
            "The upload contains no package: its multipart body has no file part (a part with a filename, or named 'package').".into(),
        ),
        (
            "empty file part",
            Some(&mp),
            [part("Content-Disposition: form-data; name=\"package\"; filename=\"p.nupkg\"", b""), close.clone()].concat(),
            400,
            "The upload contains no package: its file part 'package' is empty.".into(),
        ),
        (
            "wrong content type",
            Some("text/plain"),
            pkg.clone(),
            400,
            "The upload has Content-Type 'text/plain'; send the .nupkg as multipart/form-data (as NuGet clients do) or application/octet-stream.".into(),
        ),
        (
            "no boundary",
            Some("multipart/form-data"),
            file_part.clone(),
            400,
            "The Content-Type 'multipart/form-data' has no boundary parameter (1 to 200 characters), so its parts cannot be found.".into(),
        ),
        (
            "other boundary",
            Some("multipart/form-data; boundary=abc"),
            [file_part.clone(), close.clone()].concat(),
            400,
            "The multipart upload has no boundary line '--abc' (the boundary its Content-Type names).".into(),
        ),
        (
            "truncated",
            Some(&mp),
            file_part[..file_part.len() - 10].to_vec(),
            400,
            "The multipart upload ends inside the part 'package' before its closing delimiter '--xyz--'.".into(),
        ),
        (
            "oversize raw",
            Some("application/octet-stream"),
            vec![0; 1024 * 1024 + 1],
            413,
            "The package is larger than the server's limit of 1 MB.".into(),
        ),
        (
            "oversize multipart",
            Some(&mp),
            [part("Content-Disposition: form-data; name=\"package\"; filename=\"p.nupkg\"", &vec![0; 1024 * 1024 + 1]), close].concat(),
            413,
            "The package is larger than the server's limit of 1 MB.".into(),
        ),
    ];
    for (name, content_type, body, status, message) in cases {
        assert_eq!(put(&app, &key, content_type, body), (status, message), "{name}");
        assert_eq!(app.stored(), (0, 0, 0), "{name}: nothing stored");
        assert_eq!(tmp_files(&app), 0, "{name}: no temp file left");
    }
}

/// Sends the head and part of a body, then `more` (a byte at a time, `gap` apart, at most 60 bytes).
fn slow_push(app: &TestApp, key: &str, gap: Duration) -> (u16, String) {
    let body_len = 1000;
    let head = format!(
        "PUT /api/v2/package/ HTTP/1.1\r\nHost: x\r\nX-NuGet-ApiKey: {key}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {body_len}\r\nConnection: close\r\n\r\nPK"
    );
    let mut stream = connect(app);
    stream.write_all(head.as_bytes()).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        for _ in 0..60 {
            if gap.is_zero() {
                break;
            }
            std::thread::sleep(gap);
            if writer.write_all(b"x").is_err() {
                break;
            }
        }
    });
    let answer = read_answer(&mut stream);
    let _ = stream.shutdown(std::net::Shutdown::Both);
    trickle.join().unwrap();
    answer
}

#[test]
fn a_stalled_upload_is_refused_with_408_after_the_idle_timeout() {
    let app = spawn_app_with(|c| c.publish.upload_idle_timeout_seconds = 1);
    let (_, key) = app.user_with_key("alice");
    assert_eq!(
        slow_push(&app, &key, Duration::ZERO),
        (408, "The upload stalled: no data arrived for 1 seconds; send the package again.".to_owned())
    );
    assert_eq!(app.stored(), (0, 0, 0));
    assert_eq!(tmp_files(&app), 0);
}

#[test]
fn a_trickling_upload_is_refused_with_408_after_the_total_timeout() {
    // A byte every 100 ms never trips the 10 s idle timeout; the 1 s total limit ends it.
    let app = spawn_app_with(|c| {
        c.publish.upload_idle_timeout_seconds = 10;
        c.publish.upload_total_timeout_seconds = 1;
    });
    let (_, key) = app.user_with_key("alice");
    assert_eq!(
        slow_push(&app, &key, Duration::from_millis(100)),
        (
            408,
            "The upload took longer than the server's limit of 1 seconds; send the package again over a faster connection."
                .to_owned()
        )
    );
    assert_eq!(app.stored(), (0, 0, 0));
    assert_eq!(tmp_files(&app), 0);
}

#[test]
fn a_stalled_portal_upload_is_reported_on_the_page_and_leaves_nothing() {
    let app = spawn_app_with(|c| c.publish.upload_idle_timeout_seconds = 1);
    app.create_user("alice", false);
    let s = app.sign_in("alice");
    let b = "xyz";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{b}\r\n\
         Content-Disposition: form-data; name=\"package\"; filename=\"p.nupkg\"\r\n\r\nPK",
        s.csrf
    );
    let head = format!(
        "POST /packages/manage/upload HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nConnection: close\r\n\
         Content-Type: multipart/form-data; boundary={b}\r\nContent-Length: {}\r\n\r\n",
        s.cookie,
        body.len() + 1000
    );
    let mut stream = connect(&app);
    stream.write_all(format!("{head}{body}").as_bytes()).unwrap();
    let (status, page) = read_answer(&mut stream);
    assert_eq!(status, 400);
    let message = "The upload stalled: no data arrived for 1 seconds; send the package again.";
    assert!(page.contains(&format!(r#"<p class="field-error" id="f-package-error">{message}</p>"#)), "{page}");
    assert_eq!(app.count("SELECT COUNT(*) FROM package_versions"), 0);
    assert_eq!(tmp_files(&app), 0);
}
