//! The HTTP server bounds what one client can hold: slow or idle connections are closed,
//! connections are capped, a slow body times out, and shutdown has a deadline even with a
//! live stream open.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use coastwatch_server::config::ServerConfig;
use coastwatch_server::{Config, app};
use coastwatch_tests::{TestServer, test_config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// Serves a fresh test server's app with `server` limits; returns its address, the handle
/// of the serving task, and what stops it.
async fn serve(
    limits: ServerConfig,
) -> (
    SocketAddr,
    tokio::task::JoinHandle<()>,
    oneshot::Sender<()>,
    TestServer,
) {
    let mut config: Config = test_config();
    config.server = limits.clone();
    let server = TestServer::new(config.clone()).await;
    let state = coastwatch_server::AppState::start(config, server.store.clone())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        coastwatch_server::http::serve(listener, app(state), &limits, async {
            let _ = stopped.await;
        })
        .await;
    });
    (address, serving, stop, server)
}

fn limits() -> ServerConfig {
    ServerConfig {
        header_timeout_s: 1,
        body_timeout_s: 1,
        shutdown_timeout_s: 1,
        ..ServerConfig::default()
    }
}

/// Reads until the server closes the connection; `None` when it stays open past `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut text = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => text.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&text).into_owned())
}

#[tokio::test]
async fn a_request_whose_headers_never_end_is_closed() {
    let (address, _serving, _stop, _server) = serve(limits()).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert!(
        read_until_closed(&mut stream, Duration::from_secs(4))
            .await
            .is_some(),
        "partial headers must not hold a connection past server.header_timeout_s"
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let (address, _serving, _stop, _server) = serve(limits()).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 4096];
    let n = stream.read(&mut buffer).await.unwrap();
    assert!(String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        read_until_closed(&mut stream, Duration::from_secs(4))
            .await
            .is_some(),
        "an idle keep-alive connection is closed"
    );
}

#[tokio::test]
async fn a_body_that_never_ends_times_out() {
    let (address, _serving, _stop, _server) = serve(limits()).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(
            format!(
                "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
                 Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"text\":",
                coastwatch_tests::DISPATCHER
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the connection is answered and closed");
    assert!(started.elapsed() < Duration::from_secs(4));
    let status: u16 = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!(
        answer.is_empty() || (400..500).contains(&status),
        "a slow body gets a 4xx or a closed connection: {answer}"
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let (address, _serving, _stop, _server) = serve(ServerConfig {
        max_connections: 2,
        header_timeout_s: 2,
        ..limits()
    })
    .await;
    let _idle_a = TcpStream::connect(address).await.unwrap();
    let _idle_b = TcpStream::connect(address).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let mut third = TcpStream::connect(address).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut third, Duration::from_secs(6))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "the third connection was served before a slot was free"
    );
}

#[tokio::test]
async fn shutdown_ends_by_its_deadline_with_a_live_stream_open() {
    let (address, serving, stop, _server) = serve(limits()).await;
    let mut sse = TcpStream::connect(address).await.unwrap();
    sse.write_all(
        b"GET /api/v1/alerts/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n",
    )
    .await
    .unwrap();
    let mut buffer = [0u8; 1024];
    let n = sse.read(&mut buffer).await.unwrap();
    assert!(
        String::from_utf8_lossy(&buffer[..n]).contains("200"),
        "the stream is open"
    );
    let _half_open = TcpStream::connect(address).await.unwrap();
    let started = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .expect("serving ends by the shutdown deadline")
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "open requests had their grace"
    );
}
