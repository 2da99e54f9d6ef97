//! A tiny SMTP server on loopback that accepts every message and keeps it: enough of RFC 5321
//! for lettre (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), so no outside tool is needed.
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

pub struct SmtpSink {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    /// Listens on 127.0.0.1 (an ephemeral port); the thread serves until the test process ends.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let store = store.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &store);
                });
            }
        });
        Self { port, messages }
    }

    /// Waits until `count` messages arrived; returns them.
    pub fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let got = self.messages.lock().unwrap().clone();
            if got.len() >= count {
                return got;
            }
            assert!(std::time::Instant::now() < deadline, "only {} of {count} messages arrived", got.len());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

fn serve(stream: TcpStream, store: &Mutex<Vec<Received>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    out.write_all(b"220 sink.test ESMTP ready\r\n")?;
    let mut current = Received::default();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if command.starts_with("MAIL FROM:") {
            current = Received { from: line.trim_end()[10..].to_owned(), ..Received::default() };
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO:") {
            current.to.push(line.trim_end()[8..].to_owned());
            b"250 OK\r\n"
        } else if command == "DATA" {
            out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                // Undo dot-stuffing.
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            current.data = data;
            store.lock().unwrap().push(std::mem::take(&mut current));
            b"250 OK queued\r\n"
        } else if command == "QUIT" {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            // HELO, RSET, NOOP and anything else.
            b"250 OK\r\n"
        };
        out.write_all(reply)?;
    }
}
