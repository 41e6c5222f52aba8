//! Minimal HTTP/1.1 messages for the in-process HTTPS transport of the
//! simulator (7.1.4.1.2): one request or response per buffer, with
//! `Content-Length`. The network platform (`src/net`) uses a real server;
//! this only has to read what parksim itself writes, and refuse anything
//! else with an error.

use crate::proto::frame::MAX_DATA_LEN;

/// A parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

/// Why bytes are not an HTTP message parksim understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError(pub &'static str);

fn split_head(bytes: &[u8]) -> Result<(&str, &[u8]), HttpError> {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or(HttpError("no end of headers"))?;
    let head =
        std::str::from_utf8(&bytes[..end]).map_err(|_| HttpError("headers are not UTF-8"))?;
    Ok((head, &bytes[end + 4..]))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn body<'a>(head: &str, rest: &'a [u8]) -> Result<&'a [u8], HttpError> {
    let n: usize = header(head, "content-length")
        .ok_or(HttpError("no Content-Length"))?
        .parse()
        .map_err(|_| HttpError("bad Content-Length"))?;
    if n > MAX_DATA_LEN {
        return Err(HttpError("body over 10 MiB"));
    }
    rest.get(..n)
        .ok_or(HttpError("body shorter than Content-Length"))
}

/// The interface code at the end of a path (`/api/1.0/5004` → 5004):
/// only after the version this implementation speaks (`1.0`, 7.1.4.1.2 b),
/// and only plain digits (`+5004`, `9.9/5004` are not interfaces).
pub fn interface_code(path: &str) -> Option<u16> {
    let mut parts = path.rsplit('/');
    let code = parts.next()?;
    let version = parts.next()?;
    let digits = !code.is_empty() && code.len() <= 5 && code.bytes().all(|b| b.is_ascii_digit());
    (version == "1.0" && digits).then(|| code.parse().ok())?
}

pub fn parse_request(bytes: &[u8]) -> Result<HttpRequest<'_>, HttpError> {
    let (head, rest) = split_head(bytes)?;
    let mut line = head.split("\r\n").next().unwrap_or("").split(' ');
    let (Some(method), Some(path), Some(version)) = (line.next(), line.next(), line.next()) else {
        return Err(HttpError("bad request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(HttpError("not HTTP/1.x"));
    }
    Ok(HttpRequest {
        method,
        path,
        authorization: header(head, "authorization"),
        body: body(head, rest)?,
    })
}

/// (status, body) of a response.
pub fn parse_response(bytes: &[u8]) -> Result<(u16, &[u8]), HttpError> {
    let (head, rest) = split_head(bytes)?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(HttpError("bad status line"))?;
    Ok((status, body(head, rest)?))
}

pub fn request(path: &str, authorization: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out =
        format!("POST {path} HTTP/1.1\r\nContent-Type: application/json;charset=UTF-8\r\n");
    if let Some(a) = authorization {
        out.push_str(&format!("Authorization: {a}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut v = out.into_bytes();
    v.extend_from_slice(body);
    v
}

pub fn response(status: u16, body: &[u8]) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        413 => "Payload Too Large",
        _ => "Error",
    };
    let mut v = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    v.extend_from_slice(body);
    v
}

/// True when `bytes` start like an HTTP response.
pub fn is_response(bytes: &[u8]) -> bool {
    bytes.starts_with(b"HTTP/1.")
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn round_trips() {
        let r = request("/api/1.0/5004", Some("Bearer abc"), b"{\"x\":1}");
        let p = parse_request(&r).unwrap();
        assert_eq!(
            (p.method, p.path, p.authorization, p.body),
            (
                "POST",
                "/api/1.0/5004",
                Some("Bearer abc"),
                &b"{\"x\":1}"[..]
            )
        );
        let s = response(401, b"{}");
        assert!(is_response(&s));
        assert_eq!(parse_response(&s).unwrap(), (401, &b"{}"[..]));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert!(parse_request(b"POST / HTTP/1.1\r\n").is_err());
        assert!(
            parse_request(b"POST / HTTP/1.1\r\n\r\n{}").is_err(),
            "no length"
        );
        assert!(
            parse_request(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n{}").is_err(),
            "short"
        );
        assert!(parse_request(b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 abc\r\nContent-Length: 0\r\n\r\n").is_err());
    }
}
