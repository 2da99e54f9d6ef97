//! The INSTREAM client against a fake clamd speaking the protocol in-process.
use super::*;
use std::net::TcpListener;
use std::path::PathBuf;
use std::thread::JoinHandle;

/// Reads one INSTREAM request; returns the streamed bytes and the chunk sizes seen.
fn read_instream(s: &mut impl Read, stop_after: Option<usize>) -> (Vec<u8>, Vec<usize>) {
    let mut cmd = [0u8; 10];
    s.read_exact(&mut cmd).unwrap();
    assert_eq!(&cmd, b"zINSTREAM\0");
    let (mut data, mut sizes) = (Vec::new(), Vec::new());
    loop {
        let mut len = [0u8; 4];
        s.read_exact(&mut len).unwrap();
        let len = u32::from_be_bytes(len) as usize;
        sizes.push(len);
        if len == 0 {
            return (data, sizes);
        }
        let mut chunk = vec![0u8; len];
        s.read_exact(&mut chunk).unwrap();
        data.extend_from_slice(&chunk);
        if stop_after.is_some_and(|max| data.len() > max) {
            return (data, sizes);
        }
    }
}

/// A one-connection fake clamd on a loopback port; `handle` plays the daemon's side.
fn fake_clamd<T: Send + 'static>(handle: impl FnOnce(TcpStream) -> T + Send + 'static) -> (Address, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = Address::Tcp(listener.local_addr().unwrap().to_string());
    let thread = std::thread::spawn(move || handle(listener.accept().unwrap().0));
    (address, thread)
}

fn file_of(len: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.nupkg");
    std::fs::write(&path, (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect::<Vec<u8>>()).unwrap();
    (dir, path)
}

fn scanner(address: Address, ms: u64) -> ClamdScanner {
    ClamdScanner::new(address, Duration::from_millis(ms))
}

#[test]
fn streams_the_whole_file_in_framed_chunks_and_reads_ok() {
    let (_dir, path) = file_of(150_000);
    let (address, server) = fake_clamd(|mut s| {
        let got = read_instream(&mut s, None);
        s.write_all(b"stream: OK\0").unwrap();
        got
    });
    assert_eq!(scanner(address, 5000).scan(&path), ScanOutcome::Clean);
    let (data, sizes) = server.join().unwrap();
    assert_eq!(data, std::fs::read(&path).unwrap());
    assert_eq!(sizes, [CHUNK, CHUNK, 150_000 - 2 * CHUNK, 0]);
}

#[test]
fn found_reports_the_signature_name() {
    let (_dir, path) = file_of(100);
    let (address, server) = fake_clamd(|mut s| {
        read_instream(&mut s, None);
        s.write_all(b"stream: Win.Test.EICAR_HDB-1 FOUND\0").unwrap();
    });
    assert_eq!(scanner(address, 5000).scan(&path), ScanOutcome::Infected { signature: "Win.Test.EICAR_HDB-1".into() });
    server.join().unwrap();
}

#[test]
fn stream_max_length_exceeded_is_an_error_not_clean() {
    // clamd stops reading, answers and closes once the stream passes StreamMaxLength.
    let (_dir, path) = file_of(4 * 1024 * 1024);
    let (address, server) = fake_clamd(|mut s| {
        read_instream(&mut s, Some(100_000));
        s.write_all(b"INSTREAM size limit exceeded. ERROR\0").unwrap();
        let _ = s.shutdown(std::net::Shutdown::Both);
    });
    let ScanOutcome::Error(e) = scanner(address, 5000).scan(&path) else { panic!("not an error") };
    assert!(e.contains("StreamMaxLength"), "{e}");
    server.join().unwrap();
}

#[test]
fn error_replies_and_garbage_are_errors() {
    assert!(
        matches!(parse_reply("stream: Can't allocate memory ERROR"), ScanOutcome::Error(e) if e.contains("allocate"))
    );
    assert!(matches!(parse_reply("HTTP/1.1 400 Bad Request"), ScanOutcome::Error(e) if e.contains("unexpected")));
    assert!(matches!(parse_reply(""), ScanOutcome::Error(_)));
    assert_eq!(parse_reply("stream: OK"), ScanOutcome::Clean);
}

#[test]
fn a_silent_daemon_times_out() {
    let (_dir, path) = file_of(1000);
    let (address, server) = fake_clamd(|mut s| {
        read_instream(&mut s, None);
        std::thread::sleep(Duration::from_millis(1500));
    });
    let ScanOutcome::Error(e) = scanner(address, 300).scan(&path) else { panic!("not an error") };
    // The read's own timeout error, not the end of stream the daemon sends after 1.5 s: the
    // timeout fired (no assertion on elapsed time, which a loaded machine makes flaky).
    assert!(e.contains("reading clamd's answer failed"), "{e}");
    assert!(e.contains("timed out") || e.contains("temporarily unavailable"), "{e}");
    server.join().unwrap();
}

#[test]
fn a_daemon_that_is_down_is_an_error() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (_dir, path) = file_of(10);
    let ScanOutcome::Error(e) = scanner(Address::Tcp(format!("127.0.0.1:{port}")), 1000).scan(&path) else {
        panic!("not an error")
    };
    assert!(e.starts_with(&format!("cannot connect to clamd at tcp://127.0.0.1:{port}")), "{e}");
}

#[cfg(unix)]
#[test]
fn unix_sockets_work_too() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("clamd.ctl");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let server = std::thread::spawn(move || {
        let mut s = listener.accept().unwrap().0;
        read_instream(&mut s, None);
        s.write_all(b"stream: OK\0").unwrap();
        let mut s = listener.accept().unwrap().0;
        let mut cmd = [0u8; 6];
        s.read_exact(&mut cmd).unwrap();
        assert_eq!(&cmd, b"zPING\0");
        s.write_all(b"PONG\0").unwrap();
    });
    let (_f, path) = file_of(10);
    let address = Address::parse(&format!("unix:{}", socket.display())).unwrap();
    assert_eq!(scanner(address.clone(), 2000).scan(&path), ScanOutcome::Clean);
    assert_eq!(command(&address, "PING", Duration::from_secs(2)).unwrap(), "PONG");
    server.join().unwrap();
}

#[test]
fn addresses_parse() {
    assert_eq!(Address::parse("tcp://127.0.0.1:3310"), Some(Address::Tcp("127.0.0.1:3310".into())));
    assert_eq!(Address::parse("tcp://clamav:3310/"), Some(Address::Tcp("clamav:3310".into())));
    assert_eq!(Address::parse("unix:/run/clamav/clamd.ctl"), Some(Address::Unix("/run/clamav/clamd.ctl".into())));
    assert_eq!(Address::parse("unix:///run/c.ctl"), Some(Address::Unix("/run/c.ctl".into())));
    for bad in ["127.0.0.1:3310", "tcp://host", "tcp://:3310", "tcp://h:99999", "unix:relative", "http://x:1"] {
        assert_eq!(Address::parse(bad), None, "{bad}");
    }
}
