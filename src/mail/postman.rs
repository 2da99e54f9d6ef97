//! Sends mail on its own thread, so neither the async executor nor the request that caused the
//! message waits for an SMTP server. Each outcome is reported to `done`, which logs and records it.
use super::{Email, MailError, Mailer};
use std::sync::mpsc;
use std::sync::Arc;

enum Job {
    Send {
        id: i64,
        email: Email,
    },
    /// Answered once every message queued before it has been handled.
    Flush(mpsc::Sender<()>),
}

/// Called on the postman's thread with the message's id and how sending went.
pub type Done = Box<dyn Fn(i64, Result<(), MailError>) + Send>;

pub struct Postman {
    tx: mpsc::Sender<Job>,
    describe: String,
}

impl Postman {
    /// Starts the sending thread; it ends when the last `Postman` handle is dropped.
    pub fn start(mailer: Arc<dyn Mailer>, done: Done) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>();
        let describe = mailer.describe();
        std::thread::Builder::new().name("galley-mail".into()).spawn(move || {
            for job in rx {
                match job {
                    Job::Send { id, email } => done(id, mailer.send(&email)),
                    Job::Flush(reply) => {
                        let _ = reply.send(());
                    }
                }
            }
        })?;
        Ok(Self { tx, describe })
    }

    /// Queues the message; never blocks.
    pub fn post(&self, id: i64, email: Email) {
        if self.tx.send(Job::Send { id, email }).is_err() {
            tracing::error!(mail_id = id, "the mail thread has stopped; message not sent");
        }
    }

    /// Waits (at most `limit`) until every message queued so far has been handled: a one-shot
    /// command must not exit with mail still in the queue.
    pub fn flush(&self, limit: std::time::Duration) -> bool {
        let (reply, wait) = mpsc::channel();
        self.tx.send(Job::Flush(reply)).is_ok() && wait.recv_timeout(limit).is_ok()
    }

    pub fn describe(&self) -> &str {
        &self.describe
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Failing;
    impl Mailer for Failing {
        fn send(&self, _: &Email) -> Result<(), MailError> {
            Err(MailError::Smtp("connection refused".into()))
        }
        fn describe(&self) -> String {
            "failing".into()
        }
    }

    #[test]
    fn reports_each_outcome() {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let postman = Postman::start(
            Arc::new(Failing),
            Box::new(move |id, r| {
                let _ = tx.lock().unwrap().send((id, r.map_err(|e| e.to_string())));
            }),
        )
        .unwrap();
        postman.post(7, Email { to: "a@example.com".into(), subject: "s".into(), body: "b".into() });
        let (id, result) = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        assert_eq!(id, 7);
        assert_eq!(result.unwrap_err(), "SMTP: connection refused");
    }
}
