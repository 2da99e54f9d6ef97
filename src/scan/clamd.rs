//! The `clamd` scanner: streams the whole `.nupkg` to the ClamAV daemon with INSTREAM
//! (<https://docs.clamav.net/manual/Usage/Scanning.html#clamd>): `zINSTREAM\0`, then chunks each
//! prefixed by a 4-byte big-endian length, then a zero length; the reply is `stream: OK`,
//! `stream: NAME FOUND` or `... ERROR`, ended by `\0`. ClamAV unpacks the zip itself.
use super::{ScanOutcome, Scanner};
pub use crate::config::clamd_address::Address;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

const CHUNK: usize = 64 * 1024;
/// Replies are one short line; anything longer is not clamd.
const MAX_REPLY: u64 = 4096;

trait Conn: Read + Write {
    fn set_timeouts(&self, t: Duration) -> std::io::Result<()>;
}

impl Conn for TcpStream {
    fn set_timeouts(&self, t: Duration) -> std::io::Result<()> {
        self.set_read_timeout(Some(t))?;
        self.set_write_timeout(Some(t))
    }
}

#[cfg(unix)]
impl Conn for std::os::unix::net::UnixStream {
    fn set_timeouts(&self, t: Duration) -> std::io::Result<()> {
        self.set_read_timeout(Some(t))?;
        self.set_write_timeout(Some(t))
    }
}

fn remaining(deadline: Instant) -> Result<Duration, String> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "clamd did not answer within the scan timeout".to_owned())
}

fn connect(address: &Address, deadline: Instant) -> Result<Box<dyn Conn>, String> {
    let failed = |e: std::io::Error| format!("cannot connect to clamd at {address}: {e}");
    let conn: Box<dyn Conn> = match address {
        Address::Tcp(hostport) => {
            let mut last = None;
            let mut found = None;
            for addr in hostport.to_socket_addrs().map_err(failed)? {
                match TcpStream::connect_timeout(&addr, remaining(deadline)?) {
                    Ok(s) => {
                        found = Some(s);
                        break;
                    }
                    Err(e) => last = Some(e),
                }
            }
            Box::new(found.ok_or_else(|| failed(last.unwrap_or_else(|| std::io::Error::other("no address"))))?)
        }
        #[cfg(unix)]
        Address::Unix(path) => Box::new(std::os::unix::net::UnixStream::connect(path).map_err(failed)?),
        #[cfg(not(unix))]
        Address::Unix(_) => return Err("unix sockets are not supported on this platform".into()),
    };
    conn.set_timeouts(remaining(deadline)?).map_err(failed)?;
    Ok(conn)
}

/// Reads up to the `\0` that ends a `z`-command answer (or to the end of the connection).
fn read_reply(conn: &mut dyn Conn) -> Result<String, String> {
    let mut reply = Vec::new();
    let mut buf = [0u8; 512];
    while !reply.contains(&0) && (reply.len() as u64) < MAX_REPLY {
        match conn.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("reading clamd's answer failed: {e}")),
        }
    }
    let end = reply.iter().position(|&b| b == 0).unwrap_or(reply.len());
    Ok(String::from_utf8_lossy(&reply[..end]).trim().to_owned())
}

/// Sends a one-word command (`PING`, `VERSION`, `RELOAD`) and returns the answer.
pub fn command(address: &Address, cmd: &str, timeout: Duration) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    let mut conn = connect(address, deadline)?;
    conn.write_all(format!("z{cmd}\0").as_bytes()).map_err(|e| format!("clamd at {address}: {e}"))?;
    read_reply(conn.as_mut())
}

/// Reads clamd's INSTREAM answer.
pub fn parse_reply(reply: &str) -> ScanOutcome {
    let body = reply.strip_prefix("stream:").unwrap_or(reply).trim();
    if body == "OK" {
        return ScanOutcome::Clean;
    }
    if let Some(name) = body.strip_suffix(" FOUND") {
        return ScanOutcome::Infected { signature: name.trim().to_owned() };
    }
    if reply.contains("size limit exceeded") {
        // The package was not scanned to its end: never treat that as clean.
        return ScanOutcome::Error(format!(
            "clamd refused the package as too large ({reply}); raise StreamMaxLength in clamd.conf"
        ));
    }
    if body.ends_with("ERROR") {
        return ScanOutcome::Error(format!("clamd: {reply}"));
    }
    ScanOutcome::Error(format!("clamd answered something unexpected: {reply:?}"))
}

pub struct ClamdScanner {
    address: Address,
    timeout: Duration,
}

impl ClamdScanner {
    pub fn new(address: Address, timeout: Duration) -> Self {
        Self { address, timeout }
    }

    fn instream(&self, path: &Path) -> Result<String, String> {
        let deadline = Instant::now() + self.timeout;
        let mut file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mut conn = connect(&self.address, deadline)?;
        let mut buf = vec![0u8; CHUNK];
        let sent = (|| -> std::io::Result<()> {
            conn.write_all(b"zINSTREAM\0")?;
            loop {
                let n = file.read(&mut buf)?;
                // The length prefix is 32 bits; CHUNK keeps every chunk far below that.
                let len = u32::try_from(n).map_err(std::io::Error::other)?;
                conn.set_timeouts(remaining(deadline).map_err(std::io::Error::other)?)?;
                conn.write_all(&len.to_be_bytes())?;
                if n == 0 {
                    return conn.flush();
                }
                conn.write_all(&buf[..n])?;
            }
        })();
        match sent {
            Ok(()) => read_reply(conn.as_mut()),
            // clamd answers and closes as soon as the stream passes StreamMaxLength; our next
            // write then fails. Its answer, when there is one, says why.
            Err(e) => match read_reply(conn.as_mut()) {
                Ok(reply) if !reply.is_empty() => Ok(reply),
                _ => Err(format!("sending the package to clamd at {} failed: {e}", self.address)),
            },
        }
    }
}

impl Scanner for ClamdScanner {
    fn describe(&self) -> String {
        format!("clamd {}", self.address)
    }

    fn scan(&self, path: &Path) -> ScanOutcome {
        match self.instream(path) {
            Ok(reply) => parse_reply(&reply),
            Err(e) => ScanOutcome::Error(e),
        }
    }
}

#[cfg(test)]
#[path = "clamd_tests.rs"]
mod tests;
