//! A small HTTP/1.1 client over loopback, for the simulator's tests and its benchmark: keeps the
//! connection alive, reads `Content-Length` and chunked bodies.

use std::io;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// An answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Answer {
    /// The first header of this name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// One kept-alive connection.
pub struct Connection {
    stream: BufReader<TcpStream>,
    host: String,
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

impl Connection {
    /// Connects to `base` (`http://127.0.0.1:PORT`).
    ///
    /// # Errors
    /// When the URL is not `http://host:port` or the connection fails.
    pub async fn open(base: &str) -> io::Result<Self> {
        let host = base
            .strip_prefix("http://")
            .ok_or_else(|| invalid("only http:// URLs"))?
            .trim_end_matches('/')
            .to_owned();
        let stream = TcpStream::connect(&host).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
            host,
        })
    }

    /// Sends one request and reads its answer.
    ///
    /// # Errors
    /// When the connection fails or the answer is not HTTP/1.1.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> io::Result<Answer> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let body = body.unwrap_or("");
        if method != "GET" || !body.is_empty() {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let stream = self.stream.get_mut();
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        self.read_answer().await
    }

    async fn line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.stream.read_line(&mut line).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }

    async fn read_answer(&mut self) -> io::Result<Answer> {
        let status_line = self.line().await?;
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid(format!("bad status line `{status_line}`")))?;
        let mut headers = Vec::new();
        loop {
            let line = self.line().await?;
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let find = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let mut bytes = Vec::new();
        let bodiless = status == 204 || status == 304 || (100..200).contains(&status);
        if bodiless {
            // No body follows, whatever the headers say.
        } else if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            loop {
                let size_line = self.line().await?;
                let size =
                    usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                        .map_err(|_| invalid(format!("bad chunk size `{size_line}`")))?;
                if size == 0 {
                    self.line().await?;
                    break;
                }
                let mut chunk = vec![0; size];
                self.stream.read_exact(&mut chunk).await?;
                bytes.extend_from_slice(&chunk);
                self.line().await?;
            }
        } else if let Some(length) = find("content-length") {
            let length: usize = length.parse().map_err(|_| invalid("bad content-length"))?;
            bytes.resize(length, 0);
            self.stream.read_exact(&mut bytes).await?;
        } else {
            self.stream.read_to_end(&mut bytes).await?;
        }
        Ok(Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// A browser's CORS preflight from `origin` for a `method` request to `path` with `headers`
/// (comma-separated header names).
///
/// # Errors
/// When the connection fails.
pub async fn preflight(
    base: &str,
    path: &str,
    origin: &str,
    method: &str,
    headers: &str,
) -> io::Result<Answer> {
    request(
        base,
        "OPTIONS",
        path,
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
            ("Access-Control-Request-Headers", headers),
        ],
        None,
    )
    .await
}

/// One request on a connection of its own.
///
/// # Errors
/// As [`Connection::send`].
pub async fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> io::Result<Answer> {
    let mut all = headers.to_vec();
    all.push(("Connection", "close"));
    Connection::open(base)
        .await?
        .send(method, path, &all, body)
        .await
}

/// A control-surface call with a JSON body (`PUT /_sim/limits`, `POST /_sim/faults`, …).
///
/// # Errors
/// As [`Connection::send`].
pub async fn control(
    base: &str,
    method: &str,
    path: &str,
    body: &serde_json::Value,
) -> io::Result<Answer> {
    let body = body.to_string();
    request(
        base,
        method,
        path,
        &[("Content-Type", "application/json")],
        Some(&body),
    )
    .await
}

/// The ids of a provider's simulated people, from `GET /_sim/users`.
///
/// # Errors
/// As [`Connection::send`], or when the answer is not the list of people.
pub async fn user_ids(base: &str, provider: &str) -> io::Result<Vec<String>> {
    let answer = request(
        base,
        "GET",
        &format!("/_sim/users?provider={provider}"),
        &[],
        None,
    )
    .await?;
    let list = answer.json();
    let people = list
        .as_array()
        .ok_or_else(|| invalid(format!("not a list of people: {}", answer.body)))?;
    Ok(people
        .iter()
        .filter_map(|u| {
            u.get("id")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        })
        .collect())
}

/// Changes one person's presence with `PUT /_sim/users/{provider}/{id}`.
///
/// # Errors
/// As [`Connection::send`], or when the simulator refuses the change.
pub async fn set_user(
    base: &str,
    provider: &str,
    id: &str,
    change: &serde_json::Value,
) -> io::Result<Answer> {
    let answer = control(base, "PUT", &format!("/_sim/users/{provider}/{id}"), change).await?;
    if answer.status == 200 {
        Ok(answer)
    } else {
        Err(invalid(format!(
            "the change was refused ({}): {}",
            answer.status, answer.body
        )))
    }
}

/// Lets a credential write other people's presence with `PUT /_sim/writers`: for Graph, Genesys
/// and SuperOffice `credential` is the token (as sent after the scheme, or the `X-XSRF-TOKEN`);
/// for Rocket.Chat it is the user id sent as `X-User-Id`, whose permissions those are.
///
/// # Errors
/// As [`Connection::send`], or when the simulator refuses the grant.
pub async fn allow_writing_others(
    base: &str,
    provider: &str,
    credential: &str,
) -> io::Result<Answer> {
    let key = if provider == "rocketchat" {
        "user"
    } else {
        "token"
    };
    let body = serde_json::json!({ "provider": provider, key: credential, "others": true });
    let answer = control(base, "PUT", "/_sim/writers", &body).await?;
    if answer.status == 200 {
        Ok(answer)
    } else {
        Err(invalid(format!(
            "the grant was refused ({}): {}",
            answer.status, answer.body
        )))
    }
}
