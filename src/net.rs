//! DNS over UDP and TCP as a client: one exchange over UDP (falling back
//! to TCP when the answer is truncated), and TCP streams of length-prefixed
//! messages for transfers. Blocking sockets with timeouts: a transfer is
//! one stream read as fast as it arrives.

use std::io::{self, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::wire::{self, Header};

pub const DEFAULT_PORT: u16 = 53;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NetError {
    #[error("{server}: {source}")]
    Io {
        server: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("{server}: no answer within {timeout:?}")]
    Timeout {
        server: SocketAddr,
        timeout: Duration,
    },
    /// Packets came, but none was the answer: said so, since "no answer"
    /// would send the operator to look for a dead server.
    #[error(
        "{server}: no answer within {timeout:?}; {ignored} packets that were not the answer (wrong ID, not a response, or too short) were ignored"
    )]
    OnlyStrayPackets {
        server: SocketAddr,
        timeout: Duration,
        ignored: u32,
    },
    #[error("{server}: the exchange did not finish within {limit:?}")]
    Deadline { server: SocketAddr, limit: Duration },
    #[error("{server}: connection closed by the server{context}")]
    Closed { server: SocketAddr, context: String },
    #[error(
        "bad server address \"{0}\": expected ADDRESS, ADDRESS:PORT, [IPv6]:PORT or HOST[:PORT]"
    )]
    BadAddress(String),
}

/// Parses `192.0.2.1`, `192.0.2.1:5353`, `2001:db8::1`, `[2001:db8::1]:5353`,
/// `2001:db8::1#5353` (BIND's form) or `host[:port]`.
pub fn parse_server(text: &str, default_port: u16) -> Result<SocketAddr, NetError> {
    let bad = || NetError::BadAddress(text.to_string());
    if let Ok(ip) = text.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, default_port));
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Some((host, port)) = text.rsplit_once('#') {
        let ip = host.parse::<std::net::IpAddr>().map_err(|_| bad())?;
        return Ok(SocketAddr::new(ip, port.parse().map_err(|_| bad())?));
    }
    let with_port = if text.contains(':') {
        text.to_string()
    } else {
        format!("{text}:{default_port}")
    };
    with_port
        .to_socket_addrs()
        .map_err(|_| bad())?
        .next()
        .ok_or_else(bad)
}

fn io_error(server: SocketAddr, timeout: Duration) -> impl Fn(io::Error) -> NetError {
    move |source| match source.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            NetError::Timeout { server, timeout }
        }
        io::ErrorKind::UnexpectedEof => NetError::Closed {
            server,
            context: String::new(),
        },
        _ => NetError::Io { server, source },
    }
}

/// Sends `query` over UDP and waits for the answer with the same ID from
/// the same server; stray packets are ignored.
pub fn udp_exchange(
    server: SocketAddr,
    query: &[u8],
    timeout: Duration,
) -> Result<Vec<u8>, NetError> {
    let err = io_error(server, timeout);
    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().unwrap()
    } else {
        "[::]:0".parse().unwrap()
    };
    let socket = UdpSocket::bind(bind).map_err(&err)?;
    socket.connect(server).map_err(&err)?;
    socket.send(query).map_err(&err)?;
    let id = &query[..2];
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; 65535];
    let mut ignored = 0u32;
    let timed_out = |ignored: u32| {
        if ignored == 0 {
            NetError::Timeout { server, timeout }
        } else {
            NetError::OnlyStrayPackets {
                server,
                timeout,
                ignored,
            }
        }
    };
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out(ignored));
        }
        socket.set_read_timeout(Some(left)).map_err(&err)?;
        let n = match socket.recv(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(timed_out(ignored));
            }
            Err(e) => return Err(err(e)),
        };
        if n >= wire::HEADER_LEN && &buf[..2] == id && buf[2] & 0x80 != 0 {
            buf.truncate(n);
            return Ok(buf);
        }
        ignored = ignored.saturating_add(1);
    }
}

/// A TCP connection carrying length-prefixed DNS messages (RFC 1035 §4.2.2).
pub struct TcpConnection {
    server: SocketAddr,
    timeout: Duration,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// When the whole exchange must be over, and how long that was: a
    /// server that sends a byte now and then never trips the per-read
    /// timeout, but does trip this.
    deadline: Option<(Instant, Duration)>,
}

impl TcpConnection {
    pub fn connect(server: SocketAddr, timeout: Duration) -> Result<TcpConnection, NetError> {
        let err = io_error(server, timeout);
        let stream = TcpStream::connect_timeout(&server, timeout).map_err(&err)?;
        stream.set_read_timeout(Some(timeout)).map_err(&err)?;
        stream.set_write_timeout(Some(timeout)).map_err(&err)?;
        stream.set_nodelay(true).map_err(&err)?;
        let writer = stream.try_clone().map_err(&err)?;
        Ok(TcpConnection {
            server,
            timeout,
            reader: BufReader::with_capacity(1 << 18, stream),
            writer,
            deadline: None,
        })
    }

    /// Ends every later read at `limit` from now.
    pub fn set_time_limit(&mut self, limit: Duration) {
        self.deadline = Some((Instant::now() + limit, limit));
    }

    pub fn server(&self) -> SocketAddr {
        self.server
    }

    pub fn send(&mut self, msg: &[u8]) -> Result<(), NetError> {
        let mut framed = Vec::with_capacity(msg.len() + 2);
        framed.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        framed.extend_from_slice(msg);
        self.writer
            .write_all(&framed)
            .map_err(io_error(self.server, self.timeout))
    }

    /// Reads the next message into `buf`; a connection closed before or
    /// inside a message is [`NetError::Closed`].
    pub fn receive(&mut self, buf: &mut Vec<u8>) -> Result<(), NetError> {
        let mut len = [0u8; 2];
        self.read_exact(&mut len)?;
        let len = u16::from_be_bytes(len) as usize;
        buf.resize(len, 0);
        // Closed inside a message: the bytes were not DNS over TCP (or the
        // server died mid-message), which is worth telling apart from a
        // server that simply hung up.
        self.read_exact(buf).map_err(|e| match e {
            NetError::Closed { server, .. } => NetError::Closed {
                server,
                context: format!(
                    " in the middle of a message announced as {len} bytes (garbage, or a server that died)"
                ),
            },
            other => other,
        })
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        let err = io_error(self.server, self.timeout);
        let Some((deadline, limit)) = self.deadline else {
            return self.reader.read_exact(buf).map_err(&err);
        };
        let mut filled = 0;
        while filled < buf.len() {
            // Only a read that reaches the socket can wait: then it waits
            // no longer than the deadline allows.
            if self.reader.buffer().is_empty() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(NetError::Deadline {
                        server: self.server,
                        limit,
                    });
                }
                self.reader
                    .get_ref()
                    .set_read_timeout(Some(left.min(self.timeout)))
                    .map_err(&err)?;
            }
            match self.reader.read(&mut buf[filled..]) {
                Ok(0) => {
                    return Err(NetError::Closed {
                        server: self.server,
                        context: String::new(),
                    });
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) && Instant::now() >= deadline =>
                {
                    return Err(NetError::Deadline {
                        server: self.server,
                        limit,
                    });
                }
                Err(e) => return Err(err(e)),
            }
        }
        Ok(())
    }
}

/// One query and its answer: UDP first (unless `tcp`), then TCP when the
/// UDP answer comes back truncated.
pub fn exchange(
    server: SocketAddr,
    query: &[u8],
    timeout: Duration,
    tcp: bool,
) -> Result<Vec<u8>, NetError> {
    if !tcp {
        let answer = udp_exchange(server, query, timeout)?;
        let truncated = Header::parse(&answer).is_ok_and(|h| h.has(wire::flag::TC));
        if !truncated {
            return Ok(answer);
        }
    }
    let mut conn = TcpConnection::connect(server, timeout)?;
    conn.send(query)?;
    let mut answer = Vec::new();
    let mut ignored = 0u32;
    loop {
        conn.receive(&mut answer).map_err(|e| match e {
            NetError::Closed { server, context } if ignored > 0 && context.is_empty() => {
                NetError::Closed {
                    server,
                    context: format!(" after {ignored} messages that were not the answer"),
                }
            }
            other => other,
        })?;
        if answer.len() >= 2 && answer[..2] == query[..2] {
            return Ok(answer);
        }
        ignored += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_address_forms() {
        let p = |t| parse_server(t, 53).unwrap().to_string();
        assert_eq!(p("192.0.2.1"), "192.0.2.1:53");
        assert_eq!(p("192.0.2.1:5353"), "192.0.2.1:5353");
        assert_eq!(p("2001:db8::1"), "[2001:db8::1]:53");
        assert_eq!(p("[2001:db8::1]:5353"), "[2001:db8::1]:5353");
        assert_eq!(p("2001:db8::1#5353"), "[2001:db8::1]:5353");
        assert!(parse_server("192.0.2.1:99999", 53).is_err());
    }

    #[test]
    fn tcp_garbage_is_told_apart_from_a_closed_connection() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut query = [0u8; 64];
            let _ = conn.read(&mut query);
            let _ = conn.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        });
        let query = crate::wire::MessageBuilder::new(7, 0, 0)
            .question(b"\x07example\x00", crate::zone::RType::SOA, 1)
            .finish();
        let err = exchange(addr, &query, Duration::from_secs(2), true).unwrap_err();
        assert!(
            err.to_string().contains("in the middle of a message"),
            "{err}"
        );
    }
}
