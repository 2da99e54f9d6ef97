//! The bucket: `object_store`'s S3 client driven by a small runtime of its own, so that the
//! synchronous store calls of services, jobs and the command line can wait for it from any thread
//! (an async worker included: the call waits on a channel, it never nests a runtime).
use crate::config::StorageConfig;
use bytes::Bytes;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{ClientOptions, ObjectStore, PutMode, PutOptions, PutPayload, RetryConfig};
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

pub struct Remote {
    client: Arc<AmazonS3>,
    runtime: Option<tokio::runtime::Runtime>,
    /// `bucket 'b' at http://…`: named in every error.
    place: String,
}

/// What a conditional create found.
#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    Yes,
    AlreadyThere,
}

impl Remote {
    pub fn connect(config: &StorageConfig) -> io::Result<Self> {
        let (access_key, secret_key) = config.credentials();
        let endpoint = if config.endpoint.is_empty() { "AWS".to_owned() } else { config.endpoint.clone() };
        let place = format!("bucket '{}' at {endpoint}", config.bucket);
        let options = ClientOptions::new()
            .with_allow_http(config.endpoint.starts_with("http://"))
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_mins(5));
        // A few quick retries: a dead endpoint must fail a request (and the start-up check) in
        // seconds, not after object_store's default three minutes.
        let retry = RetryConfig { max_retries: 3, retry_timeout: Duration::from_secs(30), ..RetryConfig::default() };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_virtual_hosted_style_request(!config.path_style)
            .with_client_options(options)
            .with_retry(retry);
        if !config.endpoint.is_empty() {
            builder = builder.with_endpoint(config.endpoint.trim_end_matches('/'));
        }
        if !access_key.is_empty() {
            builder = builder.with_access_key_id(access_key).with_secret_access_key(secret_key);
        }
        let client = builder.build().map_err(|e| io::Error::other(format!("[storage]: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("galley-s3")
            .enable_all()
            .build()?;
        Ok(Self { client: Arc::new(client), runtime: Some(runtime), place })
    }

    pub fn place(&self) -> &str {
        &self.place
    }

    /// Runs `work` on the store's runtime and waits for it.
    fn run<T: Send + 'static>(&self, work: impl Future<Output = T> + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let runtime = self.runtime.as_ref().expect("the runtime lives as long as the store");
        runtime.spawn(async move {
            let _ = tx.send(work.await);
        });
        rx.recv().expect("the S3 runtime dropped a request")
    }

    fn error(&self, key: &str, e: &object_store::Error) -> io::Error {
        if key.is_empty() {
            io::Error::other(format!("{}: {e}", self.place))
        } else {
            io::Error::other(format!("{}: {key}: {e}", self.place))
        }
    }

    /// The object's bytes, or `None` when there is no such object.
    pub fn get(&self, key: &str) -> io::Result<Option<Bytes>> {
        let client = self.client.clone();
        let path = Key::from(key);
        match self.run(async move { client.get(&path).await?.bytes().await }) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(key, &e)),
        }
    }

    /// Whether the object exists, and its size.
    pub fn head(&self, key: &str) -> io::Result<Option<u64>> {
        let client = self.client.clone();
        let path = Key::from(key);
        match self.run(async move { client.head(&path).await }) {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(key, &e)),
        }
    }

    /// Writes the object; with `create_only`, refuses (`AlreadyThere`) when one exists
    /// (`If-None-Match: *`, which S3, `MinIO` and Ceph honour).
    pub fn put(&self, key: &str, bytes: Bytes, create_only: bool) -> io::Result<Created> {
        let client = self.client.clone();
        let path = Key::from(key);
        let mode = if create_only { PutMode::Create } else { PutMode::Overwrite };
        let options = PutOptions { mode, ..PutOptions::default() };
        match self.run(async move { client.put_opts(&path, PutPayload::from_bytes(bytes), options).await }) {
            Ok(_) => Ok(Created::Yes),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(Created::AlreadyThere),
            Err(e) => Err(self.error(key, &e)),
        }
    }

    pub fn delete(&self, key: &str) -> io::Result<()> {
        let client = self.client.clone();
        let path = Key::from(key);
        match self.run(async move { client.delete(&path).await }) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error(key, &e)),
        }
    }

    /// Every key below `folder` (which ends with `/`).
    pub fn list(&self, folder: &str) -> io::Result<Vec<String>> {
        use futures_util::TryStreamExt;
        let client = self.client.clone();
        let prefix = Key::from(folder.trim_end_matches('/'));
        self.run(async move { client.list(Some(&prefix)).map_ok(|m| m.location.to_string()).try_collect().await })
            .map_err(|e: object_store::Error| self.error(folder, &e))
    }

    /// Lists, writes and removes a marker below `prefix`: the start-up check that the bucket is
    /// there and the credentials may read and write it. The error names the likely cause.
    pub fn check(&self, prefix: &str) -> Result<(), String> {
        let marker = format!("{prefix}.galley-write-check");
        self.list(prefix)
            .and_then(|_| self.put(&marker, Bytes::from_static(b"galley"), false))
            .and_then(|_| self.delete(&marker))
            .map_err(|e| explain(&e.to_string()))
    }
}

/// A start-up failure in words an administrator can act on; `detail` names the bucket and endpoint.
fn explain(detail: &str) -> String {
    // A transport failure first: its message also carries timings ("in 466.403157ms"), whose
    // digits must not read as an HTTP status. Statuses are matched with their reason phrase.
    let cause = if ["error sending request", "Connection refused", "connect", "dns", "timed out"]
        .iter()
        .any(|w| detail.contains(w))
    {
        "the endpoint cannot be reached"
    } else if ["NoSuchBucket", "404 Not Found", "not found"].iter().any(|w| detail.contains(w)) {
        "the bucket does not exist (create it first)"
    } else if [
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "403 Forbidden",
        "Forbidden",
        "credential",
    ]
    .iter()
    .any(|w| detail.contains(w))
    {
        "the server refused the credentials (access_key / secret_key, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
    } else {
        "the bucket cannot be used"
    };
    format!("[storage] backend = \"s3\": {cause}: {detail}")
}

impl Drop for Remote {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside another runtime (the server shutting down).
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::explain;

    /// The servers' own error codes (moto, the test server, accepts any key, so refused
    /// credentials are checked here on the words S3 and `MinIO` answer with).
    #[test]
    fn start_up_failures_name_their_cause() {
        let refused = "bucket 'b' at http://h: Server returned non-2xx status code: 403 Forbidden: <Code>InvalidAccessKeyId</Code>";
        assert_eq!(
            explain(refused),
            format!("[storage] backend = \"s3\": the server refused the credentials (access_key / secret_key, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY): {refused}")
        );
        assert!(explain("x: 404 Not Found: <Code>NoSuchBucket</Code>")
            .contains(": the bucket does not exist (create it first): "));
        assert!(explain("x: HTTP error: error sending request").contains(": the endpoint cannot be reached: "));
        // Seen in a test run: the retry timing held "403", which once read as refused credentials.
        let unreachable = "bucket 'b' at http://127.0.0.1:1: Generic S3 error: Error performing list request: Error \
            performing GET http://127.0.0.1:1/b?list-type=2 in 466.403157ms, after 3 retries, max_retries: 3, \
            retry_timeout: 30s  - HTTP error: error sending request";
        assert!(explain(unreachable).contains(": the endpoint cannot be reached: "));
        assert!(explain("x: 500 Internal Server Error").contains(": the bucket cannot be used: "));
    }
}
