//! TLS set-up with rustls and its ring provider: a server configuration
//! from PEM certificate chain and key, a client configuration trusting
//! the PEM certificates given (a private CA or a self-signed server).

use super::NetError;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server configuration from PEM text (certificate chain, private key).
pub fn server_config(
    cert_pem: &[u8],
    key_pem: &[u8],
) -> Result<Arc<rustls::ServerConfig>, NetError> {
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| NetError(format!("TLS certificate: {e}")))?;
    if certs.is_empty() {
        return Err(NetError(
            "TLS certificate: no CERTIFICATE in the PEM".into(),
        ));
    }
    let key =
        PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| NetError(format!("TLS key: {e}")))?;
    let cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| NetError(format!("TLS certificate/key: {e}")))?;
    Ok(Arc::new(cfg))
}

/// Reads the two PEM files of a server.
pub fn server_config_files(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<Arc<rustls::ServerConfig>, NetError> {
    let read = |p: &std::path::Path| {
        std::fs::read(p).map_err(|e| NetError(format!("cannot read {}: {e}", p.display())))
    };
    server_config(&read(cert)?, &read(key)?)
}

/// A client configuration trusting the certificates in `ca_pem`.
pub fn client_config(ca_pem: &[u8]) -> Result<Arc<rustls::ClientConfig>, NetError> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem) {
        let c = c.map_err(|e| NetError(format!("TLS CA: {e}")))?;
        roots.add(c).map_err(|e| NetError(format!("TLS CA: {e}")))?;
    }
    if roots.is_empty() {
        return Err(NetError("TLS CA: no CERTIFICATE in the PEM".into()));
    }
    let cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

/// A byte stream, plain or TLS.
pub trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Stream for T {}

/// Connects to `addr` (host:port), with TLS when `tls` is given
/// (`server_name`: the name to check the certificate against).
pub async fn connect(
    addr: &str,
    tls: Option<(&Arc<rustls::ClientConfig>, &str)>,
) -> Result<Box<dyn Stream>, NetError> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| NetError(format!("connect {addr}: {e}")))?;
    let _ = tcp.set_nodelay(true);
    match tls {
        None => Ok(Box::new(tcp)),
        Some((cfg, name)) => {
            let name = rustls_pki_types::ServerName::try_from(name.to_string())
                .map_err(|e| NetError(format!("TLS server name {name}: {e}")))?;
            let s = tokio_rustls::TlsConnector::from(cfg.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| NetError(format!("TLS handshake with {addr}: {e}")))?;
            Ok(Box::new(s))
        }
    }
}
