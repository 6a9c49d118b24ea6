//! Live AIS feeds: a TCP listener, a UDP listener and a TCP client to a remote feed, all
//! through the shared [`Ingest`] path.

use std::time::Duration;

use coastwatch_datasets::ais::decoder::{Decoder, DecoderOptions};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

use crate::ingest::Ingest;

/// Accepts NMEA over TCP; each connection is its own feed with its own reassembly state.
pub async fn tcp_listener(listener: TcpListener, ingest: Ingest) {
    loop {
        match listener.accept().await {
            Ok((socket, peer)) => {
                let ingest = ingest.clone();
                tokio::spawn(async move {
                    tracing::info!(%peer, "AIS TCP feed connected");
                    if let Err(error) = ingest.stream("tcp", socket).await {
                        tracing::warn!(%peer, %error, "AIS TCP feed failed");
                    }
                    tracing::info!(%peer, "AIS TCP feed closed");
                });
            }
            Err(error) => {
                tracing::warn!(%error, "accepting an AIS TCP feed failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Receives NMEA datagrams (one or more lines each). The datagrams that have arrived
/// together are decoded and queued as one batch, without waiting for it to be stored.
pub async fn udp_listener(socket: UdpSocket, ingest: Ingest) {
    let mut decoder = Decoder::new(DecoderOptions::default());
    let mut datagram = vec![0u8; 65_536];
    let mut text = Vec::new();
    loop {
        match socket.recv_from(&mut datagram).await {
            Ok((n, _)) => {
                text.extend_from_slice(&datagram[..n]);
                text.push(b'\n');
                // gather up to about a datagram's worth more
                while text.len() < datagram.len() {
                    match socket.try_recv_from(&mut datagram) {
                        Ok((n, _)) => {
                            text.extend_from_slice(&datagram[..n]);
                            text.push(b'\n');
                        }
                        Err(_) => break,
                    }
                }
                ingest.queue_lines("udp", &mut decoder, &text).await;
                text.clear();
            }
            Err(error) => tracing::warn!(%error, "AIS UDP receive failed"),
        }
    }
}

/// Connects to a remote NMEA feed and reads it; reconnects with exponential backoff
/// (1 s doubling to 60 s, reset after a connection that lasted a minute).
pub async fn tcp_client(address: String, ingest: Ingest) {
    let mut backoff = Duration::from_secs(1);
    loop {
        match TcpStream::connect(&address).await {
            Ok(stream) => {
                tracing::info!(%address, "connected to AIS feed");
                let started = tokio::time::Instant::now();
                if let Err(error) = ingest.stream("client", stream).await {
                    tracing::warn!(%address, %error, "AIS feed failed");
                }
                if started.elapsed() > Duration::from_secs(60) {
                    backoff = Duration::from_secs(1);
                }
            }
            Err(error) => {
                tracing::warn!(%address, %error, retry_s = backoff.as_secs(), "cannot reach AIS feed")
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(60));
    }
}
