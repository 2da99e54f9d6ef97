//! The `command` scanner: runs an external program (clamscan, a vendor CLI, a script) on the
//! package file and maps its exit code: clean codes, infected codes, anything else is an error.
use super::{ScanOutcome, Scanner};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Output kept per stream: enough for the signature line, bounded for a chatty program.
const MAX_OUTPUT: u64 = 64 * 1024;

pub struct CommandScanner {
    /// Program and arguments; `{path}` is replaced by the package file.
    pub template: Vec<String>,
    pub clean_codes: Vec<i32>,
    pub infected_codes: Vec<i32>,
    pub timeout: Duration,
}

/// The signature named by clamscan-style output (`/path/file: NAME FOUND`), if any.
pub fn signature_from_output(output: &str) -> Option<String> {
    output.lines().rev().find_map(|line| {
        let name = line.trim().strip_suffix(" FOUND")?;
        let name = name.rsplit_once(": ").map_or(name, |(_, n)| n).trim();
        (!name.is_empty()).then(|| name.to_owned())
    })
}

impl CommandScanner {
    fn run(&self, path: &Path) -> Result<(i32, String), String> {
        let path = path.to_string_lossy();
        let args: Vec<String> = self.template.iter().map(|a| a.replace("{path}", &path)).collect();
        let (program, rest) = args.split_first().ok_or("[scan] command is empty")?;
        let mut child = Command::new(program)
            .args(rest)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run the scan command '{program}': {e}"))?;
        // Drained on their own threads so a full pipe can never stall the program.
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut text = Vec::new();
                if let Some(p) = pipe {
                    let mut p = p.take(MAX_OUTPUT);
                    let _ = p.read_to_end(&mut text);
                    // Read past the cap so the program is never blocked writing.
                    let _ = std::io::copy(&mut p.into_inner(), &mut std::io::sink());
                }
                String::from_utf8_lossy(&text).into_owned()
            })
        };
        let out = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
        let err = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    // Our own child, by its handle. Its output threads are left to end with
                    // the pipes, which a grandchild may still hold open.
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "the scan command '{program}' did not finish within {} s",
                        self.timeout.as_secs_f32()
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(format!("waiting for the scan command '{program}' failed: {e}")),
            }
        };
        let output = format!("{}\n{}", out.join().unwrap_or_default(), err.join().unwrap_or_default());
        let code = status.code().ok_or_else(|| format!("the scan command '{program}' was killed by a signal"))?;
        Ok((code, output))
    }
}

impl Scanner for CommandScanner {
    fn describe(&self) -> String {
        format!("command {}", self.template.join(" "))
    }

    fn scan(&self, path: &Path) -> ScanOutcome {
        match self.run(path) {
            Ok((code, _)) if self.clean_codes.contains(&code) => ScanOutcome::Clean,
            Ok((code, output)) if self.infected_codes.contains(&code) => ScanOutcome::Infected {
                signature: signature_from_output(&output).unwrap_or_else(|| format!("Unknown (exit code {code})")),
            },
            Ok((code, output)) => {
                let detail: String =
                    output.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(300).collect();
                ScanOutcome::Error(format!("the scan command exited with code {code}: {detail}"))
            }
            Err(e) => ScanOutcome::Error(e),
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A tiny shell script standing in for a scanner: its behaviour depends on the file's content.
    fn script(dir: &Path) -> Vec<String> {
        let body = r#"#!/bin/sh
case "$(cat "$1")" in
  clean) exit 0 ;;
  virus) echo "$1: Acme.Test.Virus FOUND"; exit 1 ;;
  quiet) exit 1 ;;
  broken) echo "LibClamAV Error: cannot load db" >&2; exit 2 ;;
  slow) exec sleep 5 ;;
esac
exit 3
"#;
        let path = dir.join("scan.sh");
        std::fs::write(&path, body).unwrap();
        vec!["/bin/sh".into(), path.to_string_lossy().into_owned(), "{path}".into()]
    }

    fn scan(content: &str, timeout_ms: u64) -> ScanOutcome {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.nupkg");
        std::fs::write(&file, content).unwrap();
        let s = CommandScanner {
            template: script(dir.path()),
            clean_codes: vec![0],
            infected_codes: vec![1],
            timeout: Duration::from_millis(timeout_ms),
        };
        s.scan(&file)
    }

    #[test]
    fn exit_codes_map_to_outcomes() {
        assert_eq!(scan("clean", 5000), ScanOutcome::Clean);
        assert_eq!(scan("virus", 5000), ScanOutcome::Infected { signature: "Acme.Test.Virus".into() });
        assert_eq!(scan("quiet", 5000), ScanOutcome::Infected { signature: "Unknown (exit code 1)".into() });
        assert_eq!(
            scan("broken", 5000),
            ScanOutcome::Error("the scan command exited with code 2: LibClamAV Error: cannot load db".into())
        );
    }

    #[test]
    fn a_slow_command_times_out_and_is_killed() {
        // The message says the deadline fired; the script sleeps far longer than the test runs.
        let ScanOutcome::Error(e) = scan("slow", 300) else { panic!("not an error") };
        assert!(e.contains("did not finish within 0.3 s"), "{e}");
    }

    #[test]
    fn a_missing_program_is_an_error() {
        let s = CommandScanner {
            template: vec!["/nonexistent/clamscan".into(), "{path}".into()],
            clean_codes: vec![0],
            infected_codes: vec![1],
            timeout: Duration::from_secs(1),
        };
        assert!(matches!(s.scan(Path::new("/tmp/x")), ScanOutcome::Error(e) if e.contains("cannot run")));
    }

    #[test]
    fn clamscan_output_names_the_signature() {
        let out = "/tmp/x/p.nupkg: Eicar-Signature FOUND\n\n----------- SCAN SUMMARY -----------\n";
        assert_eq!(signature_from_output(out).as_deref(), Some("Eicar-Signature"));
        assert_eq!(signature_from_output("nothing here"), None);
    }
}
