//! `ansinh bench http`: serves the current database on a loopback port and
//! measures endpoint latency with concurrent keep-alive clients, each request
//! timed from its first byte sent to its last byte received.

use super::{CliError, CliResult, Context};
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Bodies larger than this are refused by the client (a runaway response).
const BODY_BYTES_MAX: usize = 256 * 1024 * 1024;

pub async fn run(
    context: &Context,
    clients: usize,
    requests_per_client: usize,
    paths: &[String],
) -> CliResult {
    let user = context.user().await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let app = crate::http::app(crate::http::AppState::new(context.store.clone()));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let token = login(
        &address.to_string(),
        &user.username,
        context.credentials.password.as_deref().unwrap_or_default(),
    )
    .await?;
    println!("HTTP benchmark as {} ({}), {clients} concurrent clients × {requests_per_client} requests per endpoint", user.username, user.role.as_str());
    for path in paths {
        let mut tasks = Vec::with_capacity(clients);
        let started = Instant::now();
        for _ in 0..clients {
            let (address, token, path) = (address.to_string(), token.clone(), path.clone());
            tasks.push(tokio::spawn(async move {
                client(&address, &token, &path, requests_per_client).await
            }));
        }
        let mut latencies_ms = Vec::with_capacity(clients * requests_per_client);
        let mut body_bytes = 0;
        for task in tasks {
            let (times, bytes) = task.await.map_err(|e| CliError::Other(e.to_string()))??;
            latencies_ms.extend(times);
            body_bytes = bytes;
        }
        let wall = started.elapsed().as_secs_f64();
        latencies_ms.sort_by(|a, b| a.total_cmp(b));
        let at = |p: f64| latencies_ms[((latencies_ms.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "GET {path}: {} requests in {wall:.2} s ({:.0} req/s), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, body {} KiB",
            latencies_ms.len(),
            latencies_ms.len() as f64 / wall,
            at(0.5),
            at(0.99),
            at(1.0),
            body_bytes / 1024
        );
    }
    server.abort();
    Ok(())
}

pub(super) async fn login(address: &str, username: &str, password: &str) -> CliResult<String> {
    let body = serde_json::json!({ "username": username, "password": password }).to_string();
    let mut stream = TcpStream::connect(address).await?;
    let request = format!(
        "POST /api/v1/session HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut reader = BufReader::new(stream);
    let (status, body) = read_response(&mut reader).await?;
    if status != 200 {
        return Err(CliError::Refused(format!(
            "login failed with status {status}"
        )));
    }
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| CliError::Other(e.to_string()))?;
    value["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| CliError::Other("no token in the login answer".into()))
}

async fn client(
    address: &str,
    token: &str,
    path: &str,
    requests: usize,
) -> CliResult<(Vec<f64>, usize)> {
    let stream = TcpStream::connect(address).await?;
    let mut reader = BufReader::new(stream);
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\r\n");
    let mut times = Vec::with_capacity(requests);
    let mut size = 0;
    for _ in 0..requests {
        let started = Instant::now();
        reader.get_mut().write_all(request.as_bytes()).await?;
        let (status, body) = read_response(&mut reader).await?;
        if status != 200 {
            return Err(CliError::Other(format!("GET {path} answered {status}")));
        }
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        size = body.len();
    }
    Ok((times, size))
}

/// Reads one HTTP/1.1 response with a Content-Length body.
pub(super) async fn read_response(reader: &mut BufReader<TcpStream>) -> CliResult<(u16, Vec<u8>)> {
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line).await?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    if length > BODY_BYTES_MAX {
        return Err(CliError::Other(format!(
            "response of {length} bytes is over the benchmark's limit"
        )));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    Ok((status, body))
}
