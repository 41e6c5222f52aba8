//! A small HTTP/1.1 client on hyper, for the garage's HTTPS transport and
//! the admin commands: one kept-alive connection, plain or TLS.

use super::NetError;
use super::tls;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use std::sync::Arc;
use std::time::Duration;

/// `http[s]://host:port/base` split up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub tls: bool,
    /// `host:port`.
    pub authority: String,
    pub host: String,
    /// Path prefix without a trailing `/` (may be empty).
    pub base: String,
}

impl Url {
    pub fn parse(s: &str) -> Result<Url, NetError> {
        let bad = || {
            NetError(format!(
                "bad URL {s:?}: expected http[s]://host[:port][/base]"
            ))
        };
        let (tls, rest) = if let Some(r) = s.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(bad());
        };
        let (auth, base) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        if auth.is_empty() {
            return Err(bad());
        }
        let has_port = match auth.rfind(':') {
            Some(i) => !auth[i..].contains(']'),
            None => false,
        };
        let authority = if has_port {
            auth.to_string()
        } else {
            format!("{auth}:{}", if tls { 443 } else { 80 })
        };
        let host = match authority.rfind(':') {
            Some(i) => authority[..i].trim_matches(['[', ']']).to_string(),
            None => return Err(bad()),
        };
        Ok(Url {
            tls,
            authority,
            host,
            base: base.to_string(),
        })
    }
}

/// One HTTP/1.1 connection.
pub struct HttpConn {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    task: tokio::task::JoinHandle<()>,
    host: String,
    timeout: Duration,
}

impl Drop for HttpConn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HttpConn {
    /// Connects to `url` (TLS when `https://`, trusting `tls`).
    pub async fn open(
        url: &Url,
        tls: Option<&Arc<rustls::ClientConfig>>,
        timeout: Duration,
    ) -> Result<HttpConn, NetError> {
        let tls = match (url.tls, tls) {
            (true, Some(c)) => Some((c, url.host.as_str())),
            (true, None) => {
                return Err(NetError(
                    "an https:// URL needs a CA certificate (--tls-ca)".into(),
                ));
            }
            (false, _) => None,
        };
        let s = tokio::time::timeout(timeout, tls::connect(&url.authority, tls))
            .await
            .map_err(|_| NetError(format!("connect {}: timed out", url.authority)))??;
        let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(s))
            .await
            .map_err(|e| NetError(format!("HTTP handshake with {}: {e}", url.authority)))?;
        let task = tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(HttpConn {
            sender,
            task,
            host: url.authority.clone(),
            timeout,
        })
    }

    /// Sends one request; returns the status and the body.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: Vec<u8>,
    ) -> Result<(u16, Vec<u8>), NetError> {
        let mut b = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.host)
            .header(
                hyper::header::CONTENT_TYPE,
                "application/json;charset=UTF-8",
            );
        if let Some(a) = authorization {
            b = b.header(hyper::header::AUTHORIZATION, a);
        }
        let req = b
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| NetError(format!("request {path}: {e}")))?;
        let timeout = self.timeout;
        let sender = &mut self.sender;
        let fut = async {
            sender
                .ready()
                .await
                .map_err(|e| NetError(format!("connection: {e}")))?;
            let resp = sender
                .send_request(req)
                .await
                .map_err(|e| NetError(format!("{method} {path}: {e}")))?;
            let status = resp.status().as_u16();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| NetError(format!("{method} {path}: body: {e}")))?
                .to_bytes()
                .to_vec();
            Ok((status, body))
        };
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| NetError(format!("{method} {path}: no answer in {timeout:?}")))?
    }
}

/// One request on a fresh connection (admin commands, status).
pub async fn once(
    url: &str,
    tls: Option<&Arc<rustls::ClientConfig>>,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Vec<u8>,
) -> Result<(u16, Vec<u8>), NetError> {
    let u = Url::parse(url)?;
    let mut c = HttpConn::open(&u, tls, Duration::from_secs(30)).await?;
    let p = format!("{}{}", u.base, path);
    c.request(method, &p, authorization, body).await
}

#[cfg(test)]
mod test {
    use super::Url;

    #[test]
    fn urls() {
        let u = Url::parse("https://localhost:8443/api").unwrap();
        assert!(u.tls);
        assert_eq!(u.authority, "localhost:8443");
        assert_eq!(u.host, "localhost");
        assert_eq!(u.base, "/api");
        let u = Url::parse("http://127.0.0.1").unwrap();
        assert_eq!(u.authority, "127.0.0.1:80");
        assert_eq!(u.base, "");
        assert!(Url::parse("ftp://x").is_err());
        assert!(Url::parse("http://").is_err());
    }
}
