//! The only place GenoPriv opens sockets: TCP with TLS 1.3 (rustls, ring) between
//! the host and each joining site, authenticated by the session code.
//!
//! The host makes a fresh self-signed certificate per session. The session code,
//! passed out of band (phone, email), carries the first 80 bits of the
//! certificate's SHA-256 and an 80-bit secret. A joining site accepts only a
//! certificate with that fingerprint (so it talks to the real host), and proves
//! it knows the secret with an HMAC over the TLS exporter value (so the proof
//! cannot be replayed on another connection). The host turns away anyone else
//! before they see the set-up.

use std::fmt;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, ServerConfig, ServerConnection,
    SignatureScheme, StreamOwned,
};
use sha2::{Digest, Sha256};

use super::wire::{FrameBuffer, Message};
use crate::error::{Error, Result};
use crate::job::CancelToken;

/// Bytes of the certificate fingerprint and of the secret in a session code.
const CODE_PART: usize = 10;
/// The name the host's certificate is made for (never resolved).
const SERVER_NAME: &str = "genopriv-silo.invalid";
const EXPORTER_LABEL: &[u8] = b"EXPORTER-genopriv-silo-join";
/// How long one blocking read waits before checking the deadline and Cancel.
const READ_SLICE: Duration = Duration::from_millis(200);

/// The host's certificate and key for one session.
pub struct HostIdentity {
    certificate: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
    fingerprint: [u8; 32],
}

impl HostIdentity {
    pub fn generate() -> Result<Self> {
        let certified = rcgen::generate_simple_self_signed(vec![SERVER_NAME.to_owned()])
            .map_err(|e| Error::Session(format!("no session certificate could be made: {e}")))?;
        let certificate = certified.cert.der().clone();
        let fingerprint: [u8; 32] = Sha256::digest(certificate.as_ref()).into();
        Ok(Self {
            certificate,
            key: PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()),
            fingerprint,
        })
    }

    fn server_config(&self) -> Result<Arc<ServerConfig>> {
        let config = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(tls_error)?
            .with_no_client_auth()
            .with_single_cert(
                vec![self.certificate.clone()],
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )
            .map_err(tls_error)?;
        Ok(Arc::new(config))
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_error(e: rustls::Error) -> Error {
    Error::Session(format!("TLS set-up failed: {e}"))
}

/// What the host hands out for sites to join: certificate fingerprint prefix and
/// secret, written as eight groups of four letters and digits (base32).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SessionCode {
    fingerprint: [u8; CODE_PART],
    secret: [u8; CODE_PART],
}

impl SessionCode {
    /// A fresh code for the host's certificate, with a secret from the OS.
    pub fn new(identity: &HostIdentity) -> Result<Self> {
        let mut secret = [0u8; CODE_PART];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| Error::Session("the operating system's random source failed".into()))?;
        let mut fingerprint = [0u8; CODE_PART];
        fingerprint.copy_from_slice(&identity.fingerprint[..CODE_PART]);
        Ok(Self {
            fingerprint,
            secret,
        })
    }

    /// Reads a code as typed: case, spaces and dashes do not matter.
    pub fn parse(text: &str) -> Result<Self> {
        let cleaned: String = text
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = data_encoding::BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .map_err(|_| {
                Error::Parameter(format!(
                    "`{text}` is not a session code: it should be eight groups of four letters \
                     and digits, as the host shows it"
                ))
            })?;
        if bytes.len() != 2 * CODE_PART {
            return Err(Error::Parameter(format!(
                "`{text}` is not a session code: it has {} characters instead of 32",
                cleaned.len()
            )));
        }
        let mut fingerprint = [0u8; CODE_PART];
        let mut secret = [0u8; CODE_PART];
        fingerprint.copy_from_slice(&bytes[..CODE_PART]);
        secret.copy_from_slice(&bytes[CODE_PART..]);
        Ok(Self {
            fingerprint,
            secret,
        })
    }

    /// HMAC-SHA256 over the connection's exporter value under the secret.
    fn proof(&self, exporter: &[u8]) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.secret);
        data_encoding::HEXLOWER.encode(hmac::sign(&key, exporter).as_ref())
    }

    fn check_proof(&self, exporter: &[u8], proof: &str) -> bool {
        let Ok(tag) = data_encoding::HEXLOWER_PERMISSIVE.decode(proof.as_bytes()) else {
            return false;
        };
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.secret);
        hmac::verify(&key, exporter, &tag).is_ok()
    }
}

impl fmt::Display for SessionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = self.fingerprint.to_vec();
        bytes.extend_from_slice(&self.secret);
        let text = data_encoding::BASE32_NOPAD.encode(&bytes);
        let groups: Vec<&str> = text
            .as_bytes()
            .chunks(4)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect();
        f.write_str(&groups.join("-"))
    }
}

impl fmt::Debug for SessionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionCode(…)")
    }
}

/// Accepts exactly the certificate whose fingerprint the session code names, and
/// checks its handshake signatures with ring.
#[derive(Debug)]
struct PinnedCertificate {
    fingerprint: [u8; CODE_PART],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let digest = Sha256::digest(end_entity.as_ref());
        if digest[..CODE_PART] == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the host's certificate does not match the session code".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// Records every message a site sends or receives, in the clear, for tests
/// that check what crosses the wire (`--transcript`).
pub trait Transcript: Send {
    fn record(&mut self, sent: bool, peer: &str, frame: &[u8]);
}

/// One authenticated, encrypted connection and its partial-frame buffer.
pub struct Channel {
    stream: Box<dyn Stream>,
    socket: TcpStream,
    buffer: FrameBuffer,
    /// How the other end is called in messages ("the host", "site 2 (Leeds)").
    pub peer: String,
}

impl Channel {
    fn new(stream: Box<dyn Stream>, socket: TcpStream, peer: String) -> Result<Self> {
        // Reads wait in slices so deadlines and Cancel are checked; writes have no
        // timeout (a big table may wait while the host reads another site's), and
        // a peer that gives up closes its socket, which ends them.
        socket
            .set_read_timeout(Some(READ_SLICE))
            .and_then(|()| socket.set_write_timeout(None))
            .map_err(|e| Error::Session(format!("the connection to {peer} failed: {e}")))?;
        Ok(Self {
            stream,
            socket,
            buffer: FrameBuffer::default(),
            peer,
        })
    }

    pub fn send(
        &mut self,
        message: &Message,
        transcript: &mut Option<Box<dyn Transcript>>,
    ) -> Result<()> {
        let frame = message.encode()?;
        if let Some(t) = transcript.as_mut() {
            t.record(true, &self.peer, &frame);
        }
        self.stream
            .write_all(&frame)
            .and_then(|()| self.stream.flush())
            .map_err(|e| Error::Session(format!("{} could not be reached ({e})", self.peer)))
    }

    /// The next message, waiting until `deadline` (checking Cancel every
    /// 200 ms). `waiting_for` names the expected message for error texts.
    pub fn receive(
        &mut self,
        deadline: Instant,
        cancel: &CancelToken,
        waiting_for: &str,
        transcript: &mut Option<Box<dyn Transcript>>,
    ) -> Result<Message> {
        loop {
            if let Some(message) = self.try_receive(waiting_for, transcript)? {
                return Ok(message);
            }
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            if Instant::now() >= deadline {
                return Err(Error::Session(format!(
                    "{} sent nothing in time while this site waited for {waiting_for}",
                    self.peer
                )));
            }
            self.fill(waiting_for)?;
        }
    }

    /// A message if a whole one has already arrived, without waiting.
    fn try_receive(
        &mut self,
        waiting_for: &str,
        transcript: &mut Option<Box<dyn Transcript>>,
    ) -> Result<Option<Message>> {
        let frame = self.buffer.next_frame().map_err(|problem| {
            Error::Session(format!("{} sent a malformed message: {problem}", self.peer))
        })?;
        let Some(frame) = frame else { return Ok(None) };
        if let Some(t) = transcript.as_mut() {
            let mut bytes = ((frame.body.len() + 1) as u32).to_be_bytes().to_vec();
            bytes.push(frame.kind);
            bytes.extend_from_slice(&frame.body);
            t.record(false, &self.peer, &bytes);
        }
        let message = Message::decode(frame.kind, &frame.body).map_err(|problem| {
            Error::Session(format!(
                "{} sent a malformed message while this site waited for {waiting_for}: {problem}",
                self.peer
            ))
        })?;
        Ok(Some(message))
    }

    /// A message if one has arrived, reading what the socket holds without
    /// waiting; an error if the peer has gone or sent garbage.
    pub fn poll(
        &mut self,
        waiting_for: &str,
        transcript: &mut Option<Box<dyn Transcript>>,
    ) -> Result<Option<Message>> {
        if let Some(message) = self.try_receive(waiting_for, transcript)? {
            return Ok(Some(message));
        }
        let nonblocking = |socket: &TcpStream, on: bool| {
            socket
                .set_nonblocking(on)
                .map_err(|e| Error::Session(format!("the connection failed: {e}")))
        };
        nonblocking(&self.socket, true)?;
        let filled = self.fill(waiting_for);
        nonblocking(&self.socket, false)?;
        filled?;
        self.try_receive(waiting_for, transcript)
    }

    /// Reads what is available (up to one 200 ms slice).
    fn fill(&mut self, waiting_for: &str) -> Result<()> {
        let mut chunk = vec![0u8; 64 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err(Error::Session(format!(
                "{} left the session while this site waited for {waiting_for}",
                self.peer
            ))),
            Ok(n) => {
                self.buffer.extend(&chunk[..n]);
                Ok(())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                Ok(())
            }
            // A peer that exits closes without TLS's close_notify.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::UnexpectedEof
                        | ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionAborted
                ) =>
            {
                Err(Error::Session(format!(
                    "{} left the session while this site waited for {waiting_for}",
                    self.peer
                )))
            }
            Err(e) => Err(Error::Session(format!(
                "the connection to {} broke while this site waited for {waiting_for} ({e})",
                self.peer
            ))),
        }
    }

    /// Whether the other end has closed the connection (or sent something
    /// unexpected) while nothing was expected from it.
    pub fn is_closed(&mut self) -> bool {
        let _ = self.socket.set_nonblocking(true);
        let mut probe = [0u8; 1];
        let closed = matches!(self.socket.peek(&mut probe), Ok(0));
        let _ = self.socket.set_nonblocking(false);
        closed
    }
}

/// Runs a TLS handshake to completion on a socket, within `timeout`.
fn handshake<C, S>(
    connection: &mut C,
    socket: &mut TcpStream,
    timeout: Duration,
) -> std::io::Result<()>
where
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<S>>,
    S: rustls::SideData,
{
    socket.set_read_timeout(Some(timeout))?;
    socket.set_write_timeout(Some(timeout))?;
    while connection.is_handshaking() {
        connection.complete_io(socket)?;
    }
    Ok(())
}

/// The host's side of a new connection: TLS, then the site's greeting with its
/// proof of the session code. Returns the channel and the greeting.
pub fn accept(
    socket: TcpStream,
    identity: &HostIdentity,
    code: &SessionCode,
    timeout: Duration,
    cancel: &CancelToken,
) -> Result<(Channel, super::wire::Hello)> {
    let address = socket
        .peer_addr()
        .map_or_else(|_| "an unknown address".to_owned(), |a| a.to_string());
    let refused = |why: String| {
        Error::Session(format!(
            "a connection from {address} was turned away: {why}"
        ))
    };
    let mut socket = socket;
    socket
        .set_nonblocking(false)
        .map_err(|e| refused(e.to_string()))?;
    let mut connection =
        ServerConnection::new(identity.server_config()?).map_err(|e| refused(e.to_string()))?;
    handshake(&mut connection, &mut socket, timeout)
        .map_err(|e| refused(format!("no TLS handshake ({e})")))?;
    let exporter = connection
        .export_keying_material([0u8; 32], EXPORTER_LABEL, None)
        .map_err(|e| refused(e.to_string()))?;
    let clone = socket.try_clone().map_err(|e| refused(e.to_string()))?;
    let mut channel = Channel::new(
        Box::new(StreamOwned::new(connection, socket)),
        clone,
        format!("the site at {address}"),
    )?;
    let mut no_transcript = None;
    let hello = match channel.receive(
        Instant::now() + timeout,
        cancel,
        "a greeting",
        &mut no_transcript,
    )? {
        Message::Hello(hello) => hello,
        other => return Err(refused(format!("it sent {} before greeting", other.name()))),
    };
    if !code.check_proof(&exporter, &hello.proof) {
        return Err(refused("it does not know the session code".into()));
    }
    Ok((channel, hello))
}

/// A joining site's side: connect, check the host's certificate against the
/// code, and send the greeting with the proof.
pub fn connect(
    address: SocketAddr,
    code: &SessionCode,
    site_name: &str,
    timeout: Duration,
    transcript: &mut Option<Box<dyn Transcript>>,
) -> Result<Channel> {
    let unreachable =
        |why: String| Error::Session(format!("the host at {address} could not be reached: {why}"));
    let mut socket =
        TcpStream::connect_timeout(&address, timeout).map_err(|e| unreachable(e.to_string()))?;
    let provider = provider();
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(tls_error)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedCertificate {
            fingerprint: code.fingerprint,
            provider,
        }))
        .with_no_client_auth();
    let name = ServerName::try_from(SERVER_NAME)
        .map_err(|e| Error::Session(format!("bad server name: {e}")))?;
    let mut connection = ClientConnection::new(Arc::new(config), name).map_err(tls_error)?;
    handshake(&mut connection, &mut socket, timeout).map_err(|e| {
        if e.to_string().contains("session code") {
            Error::Session(format!(
                "the host at {address} is not the one that made this session code (its \
                 certificate does not match): check the address and the code"
            ))
        } else {
            unreachable(format!("no TLS handshake ({e})"))
        }
    })?;
    let exporter = connection
        .export_keying_material([0u8; 32], EXPORTER_LABEL, None)
        .map_err(tls_error)?;
    let clone = socket.try_clone().map_err(|e| unreachable(e.to_string()))?;
    let mut channel = Channel::new(
        Box::new(StreamOwned::new(connection, socket)),
        clone,
        "the host".to_owned(),
    )?;
    channel.send(
        &Message::Hello(super::wire::Hello {
            protocol: super::wire::PROTOCOL_VERSION,
            genopriv_version: env!("CARGO_PKG_VERSION").to_owned(),
            site_name: site_name.to_owned(),
            proof: code.proof(&exporter),
        }),
        transcript,
    )?;
    Ok(channel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_print_in_groups_and_parse_back_loosely() -> Result<()> {
        let identity = HostIdentity::generate()?;
        let code = SessionCode::new(&identity)?;
        let text = code.to_string();
        assert_eq!(text.len(), 39, "{text}");
        assert_eq!(text.split('-').count(), 8);
        assert_eq!(SessionCode::parse(&text)?, code);
        assert_eq!(
            SessionCode::parse(&text.to_lowercase().replace('-', " "))?,
            code
        );
        assert!(SessionCode::parse("ABCD-EFGH").is_err());
        assert!(SessionCode::parse("not a code at all, really, not at all!!").is_err());
        Ok(())
    }

    #[test]
    fn a_proof_holds_only_for_its_secret_and_exporter() -> Result<()> {
        let identity = HostIdentity::generate()?;
        let code = SessionCode::new(&identity)?;
        let other = SessionCode::new(&identity)?;
        let proof = code.proof(b"exporter one");
        assert!(code.check_proof(b"exporter one", &proof));
        assert!(!code.check_proof(b"exporter two", &proof));
        assert!(!other.check_proof(b"exporter one", &proof));
        assert!(!code.check_proof(b"exporter one", "zz"));
        Ok(())
    }
}
