//! The one-shot loopback listener: where the browser lands after consent when the redirect is
//! `http://127.0.0.1:{port}/…` (Intuit accepts that only for development keys, spec §1.6; the
//! hosted page of option A bounces production redirects to it). It answers the browser with a
//! short page and hands the full redirect address to [`PendingAuthorization::complete`], which
//! checks the `state`.
//!
//! [`PendingAuthorization::complete`]: super::PendingAuthorization::complete

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::connect_error::ConnectError;
use crate::error::Error;

/// The most of a request head read from the browser.
const HEAD_LIMIT: usize = 16 * 1024;

const PAGE: &str = "<!doctype html><meta charset=\"utf-8\"><title>Hesabu</title>\
<p>QuickBooks answered. You can close this window and return to Hesabu.</p>";

/// A listener on `127.0.0.1` waiting for one redirect.
#[derive(Debug)]
pub struct LoopbackListener {
    listener: TcpListener,
    path: String,
    redirect_uri: String,
}

impl LoopbackListener {
    /// Listens on `127.0.0.1:port` (0: any free port) for a redirect to `path` (`/qbo/callback`).
    pub async fn bind(port: u16, path: &str) -> Result<Self, Error> {
        let path = format!("/{}", path.trim_start_matches('/'));
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
            Error::Config(format!(
                "could not listen on 127.0.0.1:{port} for the QuickBooks redirect ({e}): \
                 choose another port, or paste the address instead"
            ))
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::Config(format!("the loopback listener has no address: {e}")))?
            .port();
        Ok(LoopbackListener {
            redirect_uri: format!("http://127.0.0.1:{port}{path}"),
            listener,
            path,
        })
    }

    /// The redirect address to register and to send in the authorization request.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Waits for the browser's redirect to our path and returns its full address; other
    /// requests (a favicon) get a 404 and the wait goes on.
    pub async fn wait(self, limit: Duration) -> Result<String, Error> {
        tokio::time::timeout(limit, self.accept())
            .await
            .map_err(|_| Error::Connect(ConnectError::TimedOut(limit.as_secs() / 60)))?
    }

    async fn accept(&self) -> Result<String, Error> {
        loop {
            let (mut stream, _) = self
                .listener
                .accept()
                .await
                .map_err(|e| Error::Config(format!("the loopback listener stopped: {e}")))?;
            let Some(target) = read_target(&mut stream).await else {
                continue;
            };
            let ours = target.split('?').next() == Some(self.path.as_str());
            let (status, body) = if ours {
                ("200 OK", PAGE)
            } else {
                ("404 Not Found", "")
            };
            let answer = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            // The browser's page is a courtesy: the redirect is ours whether or not it arrives.
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
            if ours {
                let base = self
                    .redirect_uri
                    .strip_suffix(&self.path)
                    .unwrap_or(&self.redirect_uri);
                return Ok(format!("{base}{target}"));
            }
        }
    }
}

/// The request target of a `GET` (`/qbo/callback?code=…`), if the head is readable.
async fn read_target(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < HEAD_LIMIT {
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut words = text.lines().next()?.split_whitespace();
    match (words.next(), words.next()) {
        (Some("GET"), Some(target)) if target.starts_with('/') => Some(target.to_owned()),
        _ => None,
    }
}
