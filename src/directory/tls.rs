//! The TLS client configuration for a directory signed by a private CA (`[ldap] ca_file`).
use super::DirectoryError;
use rustls::pki_types::{pem::PemObject, CertificateDer};
use rustls::{ClientConfig, RootCertStore};
use std::sync::Arc;

/// Trusts exactly the CA certificates of the PEM file (not the system's roots as well: a
/// directory signed by a private CA should not be impersonated by a certificate from a public one).
pub fn client_config(ca_file: &str) -> Result<Arc<ClientConfig>, DirectoryError> {
    let bad = |e: &dyn std::fmt::Display| DirectoryError(format!("[ldap] ca_file = '{ca_file}': {e}"));
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_file).map_err(|e| bad(&e))? {
        roots.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
    }
    if roots.is_empty() {
        return Err(bad(&"no certificate in the file"));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(&e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
