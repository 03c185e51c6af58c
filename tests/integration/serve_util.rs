//! Running `zonectl serve` in tests: started on port 0 (the port read from
//! its "listening on" line, as the hickory tests do), stopped by SIGTERM
//! and waited for; and sending it queries over UDP and TCP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use super::common::{run, text, zonectl};

pub struct ServeProcess {
    pub addr: SocketAddr,
    pub addrs: Vec<SocketAddr>,
    child: Option<Child>,
    stderr: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl ServeProcess {
    /// Serves `zones` (name, file) on 127.0.0.1 (and what `extra` adds).
    pub fn start(zones: &[(&str, &Path)], extra: &[&str]) -> ServeProcess {
        let mut args: Vec<String> = vec!["serve".into(), "--workers".into(), "1".into()];
        if !extra.iter().any(|a| *a == "--listen" || *a == "--config") {
            args.extend(["--listen".into(), "127.0.0.1:0".into()]);
        }
        for (name, file) in zones {
            args.push("--zone".into());
            args.push(format!("{name}={}", file.display()));
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        Self::start_args(&args)
    }

    pub fn start_args(args: &[String]) -> ServeProcess {
        let mut cmd = zonectl();
        cmd.args(args);
        let wanted = args.iter().filter(|a| *a == "--listen").count().max(1);
        Self::start_command(cmd, wanted)
    }

    /// Runs `cmd`, which must end up as `zonectl serve` in the same
    /// process (a wrapper that execs it), and waits for `wanted`
    /// "listening on" lines.
    pub fn start_command(mut cmd: std::process::Command, wanted: usize) -> ServeProcess {
        let dir = tempfile::tempdir().unwrap();
        let stderr = dir.path().join("serve.stderr");
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("start zonectl serve");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut addrs = Vec::new();
        // One line per listen address; the first read blocks until ready.
        while addrs.len() < wanted {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(addr) = line.strip_prefix("listening on ") {
                        addrs.push(addr.parse().unwrap());
                    }
                }
                _ => {
                    let _ = child.wait();
                    panic!(
                        "zonectl serve did not start:\n{}",
                        std::fs::read_to_string(&stderr).unwrap_or_default()
                    );
                }
            }
        }
        ServeProcess {
            addr: addrs[0],
            addrs,
            child: Some(child),
            stderr,
            _dir: dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    pub fn signal(&self, name: &str) {
        let _ = std::process::Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// SIGTERM, and the exit status once it stopped.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        self.signal_pid(child.id(), "TERM");
        for _ in 0..100 {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        child.wait().ok()
    }

    fn signal_pid(&self, pid: u32, name: &str) {
        let _ = std::process::Command::new("kill")
            .args([format!("-{name}"), pid.to_string()])
            .status();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// One query, one answer (UDP tried three times).
pub fn exchange(addr: SocketAddr, query: &[u8], transport: Transport) -> std::io::Result<Vec<u8>> {
    match transport {
        Transport::Udp => {
            let bind = if addr.is_ipv4() {
                "127.0.0.1:0"
            } else {
                "[::1]:0"
            };
            let socket = UdpSocket::bind(bind)?;
            socket.set_read_timeout(Some(Duration::from_millis(700)))?;
            let mut buf = vec![0u8; 65535];
            let mut last = None;
            for _ in 0..3 {
                socket.send_to(query, addr)?;
                match socket.recv_from(&mut buf) {
                    Ok((n, _)) if n >= 2 && buf[..2] == query[..2] => return Ok(buf[..n].to_vec()),
                    Ok(_) => continue,
                    Err(e) => last = Some(e),
                }
            }
            Err(last.unwrap_or_else(|| std::io::Error::other("no answer")))
        }
        Transport::Tcp => {
            let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
            stream.set_read_timeout(Some(Duration::from_secs(3)))?;
            let mut framed = (query.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(query);
            stream.write_all(&framed)?;
            read_framed(&mut stream)
        }
    }
}

pub fn read_framed(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len)?;
    let mut answer = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut answer)?;
    Ok(answer)
}

/// `source` signed by zonectl with a new ECDSA P-256 CSK (made in `dir`),
/// with `extra` sign options; the signed file's path.
pub fn sign_with_new_csk(
    dir: &Path,
    source: &Path,
    origin: &str,
    extra: &[&str],
) -> std::path::PathBuf {
    let keys = dir.join(format!("keys-{origin}{}", extra.join("")));
    std::fs::create_dir_all(&keys).unwrap();
    let keygen = [
        "keygen",
        origin,
        "--algorithm",
        "ECDSAP256SHA256",
        "--csk",
        "-K",
        keys.to_str().unwrap(),
    ];
    let out = run(&keygen);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let signed = dir.join(format!("{origin}{}.signed", extra.join("")));
    let mut args = vec![
        "sign",
        "-z",
        origin,
        "--keys",
        keys.to_str().unwrap(),
        "-o",
        signed.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.push(source.to_str().unwrap());
    let out = run(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    signed
}

impl ServeProcess {
    /// `zonectl serve --config PATH`, logging at info (the tests read the
    /// log for what the server did).
    pub fn with_config(config: &Path) -> ServeProcess {
        ServeProcess::start_args(&[
            "serve".into(),
            "--config".into(),
            config.display().to_string(),
            "--log-level".into(),
            "info".into(),
        ])
    }
}

/// The SOA serial `addr` serves for `zone` (no trailing dot), if it does.
pub fn soa_serial(addr: SocketAddr, zone: &str) -> Option<u32> {
    let name = zonectl::zone::Name::parse(format!("{zone}.").as_bytes(), None).ok()?;
    let mut client = zonectl::xfr::Client::new(name, addr);
    client.timeout = Duration::from_millis(500);
    client.soa_serial().ok()
}

/// Waits until `addr` serves `zone` at `serial` (`None`: any serial).
pub fn wait_serial(addr: SocketAddr, zone: &str, serial: Option<u32>, within: Duration) -> bool {
    let deadline = std::time::Instant::now() + within;
    loop {
        let now = soa_serial(addr, zone);
        if now.is_some() && (serial.is_none() || now == serial) {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
