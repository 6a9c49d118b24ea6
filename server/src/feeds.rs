//! Live AIS feeds: a TCP listener, a UDP listener and a TCP client to a remote feed, all
//! through the shared [`Ingest`] path.
//!
//! What arrives from the network is bounded: only allowed addresses are heard
//! (`ais.allow`), a TCP feed may have to prove a shared secret first (`ais.tcp_secret`),
//! TCP connections are capped (`ais.max_connections`) and closed when silent
//! (`ais.idle_timeout_s`), and a line is at most a few KiB.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use coastwatch_ais::decoder::{Decoder, DecoderOptions};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;

use crate::config::AisConfig;
use crate::ingest::Ingest;

/// Longest wait for a TCP feed's `AUTH` line.
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);

/// Addresses allowed to send: exact addresses or networks in CIDR notation. Empty allows any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllowList(Vec<(IpAddr, u8)>);

impl AllowList {
    /// Parses `10.1.2.3`, `10.1.0.0/16`, `::1`, `fd00::/8`, … .
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let (addr, len) = entry.split_once('/').unwrap_or((entry, ""));
                let addr: IpAddr = addr
                    .trim()
                    .parse()
                    .map_err(|_| format!("{entry:?} is not an IP address or network"))?;
                let max = if addr.is_ipv4() { 32 } else { 128 };
                let len = match len {
                    "" => max,
                    len => len
                        .parse::<u8>()
                        .ok()
                        .filter(|l| *l <= max)
                        .ok_or_else(|| format!("{entry:?} has a prefix length beyond {max}"))?,
                };
                Ok((addr, len))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Whether `peer` may send.
    pub fn allows(&self, peer: IpAddr) -> bool {
        let peer = match peer {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
            v4 => v4,
        };
        self.0.is_empty()
            || self.0.iter().any(|&(net, len)| match (net, peer) {
                (IpAddr::V4(net), IpAddr::V4(peer)) => {
                    prefix(u32::from(net).into(), u32::from(peer).into(), len, 32)
                }
                (IpAddr::V6(net), IpAddr::V6(peer)) => {
                    prefix(u128::from(net), u128::from(peer), len, 128)
                }
                _ => false,
            })
    }
}

/// Whether the first `len` of `bits` bits of `a` and `b` agree.
fn prefix(a: u128, b: u128, len: u8, bits: u32) -> bool {
    let shift = bits - u32::from(len);
    shift >= bits || (a >> shift) == (b >> shift)
}

/// Accepts NMEA over TCP; each connection is its own feed with its own reassembly state.
/// Peers that are not allowed, and connections beyond the cap, are closed at once.
pub async fn tcp_listener(listener: TcpListener, ingest: Ingest, config: AisConfig) {
    let allow = AllowList::parse(&config.allow).unwrap_or_default();
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let idle = Duration::from_secs(config.idle_timeout_s);
    let secret: Option<Arc<str>> = config.tcp_secret.as_deref().map(Arc::from);
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // out of file descriptors and the like: wait instead of spinning
                tracing::warn!(%error, "accepting an AIS TCP feed failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if !allow.allows(peer.ip()) {
            ingest.counters.refuse("tcp", "not_allowed");
            tracing::warn!(%peer, "AIS TCP feed refused: address not in ais.allow");
            continue;
        }
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            ingest.counters.refuse("tcp", "too_many");
            tracing::warn!(%peer, max = config.max_connections, "AIS TCP feed refused: ais.max_connections reached");
            continue;
        };
        let ingest = ingest.clone();
        let secret = secret.clone();
        tokio::spawn(async move {
            let _slot = slot;
            tracing::info!(%peer, "AIS TCP feed connected");
            let mut reader = BufReader::new(socket);
            if let Some(secret) = secret
                && !authenticated(&mut reader, &secret).await
            {
                ingest.counters.refuse("tcp", "bad_secret");
                tracing::warn!(%peer, "AIS TCP feed refused: no valid AUTH line");
                return;
            }
            if let Err(error) = ingest.stream("tcp", reader, idle).await {
                tracing::warn!(%peer, %error, "AIS TCP feed failed");
            }
            tracing::info!(%peer, "AIS TCP feed closed");
        });
    }
}

/// Reads the first line and checks that it is `AUTH <secret>` (compared in constant time).
async fn authenticated(reader: &mut (impl AsyncBufRead + Unpin), secret: &str) -> bool {
    let mut line = Vec::new();
    // the BufReader's own buffer keeps what follows the line for the feed
    let mut limited = tokio::io::AsyncReadExt::take(reader, 256);
    match tokio::time::timeout(AUTH_TIMEOUT, limited.read_until(b'\n', &mut line)).await {
        Ok(Ok(_)) => {}
        _ => return false,
    }
    let presented = line.trim_ascii().strip_prefix(b"AUTH ").unwrap_or_default();
    constant_time_eq(presented, secret.as_bytes())
}

/// Compares two byte strings without an early exit on the first difference.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Receives NMEA datagrams (one or more lines each) from allowed addresses. The datagrams
/// that have arrived together are decoded and queued as one batch, without waiting for it to
/// be stored.
pub async fn udp_listener(socket: UdpSocket, ingest: Ingest, config: AisConfig) {
    let allow = AllowList::parse(&config.allow).unwrap_or_default();
    let mut decoder = Decoder::new(DecoderOptions::default());
    let mut datagram = vec![0u8; 65_536];
    let mut text = Vec::new();
    let take = |n: usize, peer: SocketAddr, text: &mut Vec<u8>, datagram: &[u8]| {
        if allow.allows(peer.ip()) {
            text.extend_from_slice(&datagram[..n]);
            text.push(b'\n');
        } else {
            ingest.counters.refuse("udp", "not_allowed");
        }
    };
    loop {
        match socket.recv_from(&mut datagram).await {
            Ok((n, peer)) => {
                take(n, peer, &mut text, &datagram);
                // gather up to about a datagram's worth more
                while text.len() < datagram.len() {
                    match socket.try_recv_from(&mut datagram) {
                        Ok((n, peer)) => take(n, peer, &mut text, &datagram),
                        Err(_) => break,
                    }
                }
                if !text.is_empty() {
                    ingest.queue_lines("udp", &mut decoder, &text).await;
                    text.clear();
                }
            }
            Err(error) => tracing::warn!(%error, "AIS UDP receive failed"),
        }
    }
}

/// Connects to a remote NMEA feed and reads it; reconnects with exponential backoff
/// (1 s doubling to 60 s, reset after a connection that lasted a minute). A feed silent for
/// `ais.idle_timeout_s` is dropped and reconnected.
pub async fn tcp_client(address: String, ingest: Ingest, config: AisConfig) {
    let idle = Duration::from_secs(config.idle_timeout_s);
    let mut backoff = Duration::from_secs(1);
    loop {
        match tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&address)).await {
            Ok(Ok(stream)) => {
                tracing::info!(%address, "connected to AIS feed");
                let started = tokio::time::Instant::now();
                if let Err(error) = ingest.stream("client", stream, idle).await {
                    tracing::warn!(%address, %error, "AIS feed failed");
                }
                if started.elapsed() > Duration::from_secs(60) {
                    backoff = Duration::from_secs(1);
                }
            }
            Ok(Err(error)) => {
                tracing::warn!(%address, %error, retry_s = backoff.as_secs(), "cannot reach AIS feed")
            }
            Err(_) => {
                tracing::warn!(%address, retry_s = backoff.as_secs(), "connecting to AIS feed timed out")
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(60));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_match_addresses_and_networks() {
        let list = AllowList::parse(&["10.1.0.0/16".into(), "192.0.2.7".into(), "fd00::/8".into()])
            .unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(list.allows(ip("10.1.200.3")));
        assert!(!list.allows(ip("10.2.0.1")));
        assert!(list.allows(ip("192.0.2.7")));
        assert!(!list.allows(ip("192.0.2.8")));
        assert!(list.allows(ip("fd12::1")));
        assert!(!list.allows(ip("fe80::1")));
        assert!(
            list.allows(ip("::ffff:10.1.0.9")),
            "IPv4-mapped addresses count as IPv4"
        );
        assert!(
            AllowList::default().allows(ip("203.0.113.1")),
            "empty allows any"
        );
        assert!(
            AllowList::parse(&["0.0.0.0/0".into()])
                .unwrap()
                .allows(ip("8.8.8.8"))
        );
        assert!(AllowList::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(AllowList::parse(&["example.org".into()]).is_err());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
