//! The session's messages and their framing: `[length: u32 BE][kind: u8][body]`,
//! where the length counts the kind byte and the body. Control messages carry
//! JSON; the two count tables carry raw little-endian u64s (a 100,000-SNP chain
//! is 14 MB, far too big for JSON). Everything a peer sends is checked here
//! before the protocol looks at it, so a malformed message is an error that
//! names what is wrong, never a panic.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::secure_sum::PublicKey;
use super::setup::SiloSetup;
use crate::error::{Error, Result};

/// Largest frame accepted: a second-order chain with a missing-call state over
/// 200,000 SNPs and two classes is 410 MB; anything bigger is refused unread.
pub const MAX_FRAME: usize = 512 << 20;

/// Version of this protocol; sites running different versions refuse each other.
pub const PROTOCOL_VERSION: u32 = 1;

/// Everything sites say to each other, in protocol order.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    /// Site → host, first: who it is, and proof that it knows the session code
    /// bound to this TLS connection.
    Hello(Hello),
    /// Host → site: the public set-up to check.
    Welcome { setup: Box<SiloSetup> },
    /// Site → host: its data fit the panel and it accepts the set-up.
    Ready,
    /// Host → each site: everyone is here; the sites' names in order (the host
    /// first) and the receiver's place among them.
    Roster {
        sites: Vec<String>,
        your_index: usize,
    },
    /// Site → host: one X25519 public key per peer (its own entry unused).
    KeyShare { keys: Vec<PublicKey> },
    /// Host → all: every site's keys, `keys[j][i]` made by site j for site i.
    Keys { keys: Vec<Vec<PublicKey>> },
    /// Site → host: its noisy counts plus pairwise masks, modulo 2⁶⁴.
    Masked { values: Vec<u64> },
    /// Host → all: the sum of the masked tables, i.e. the noisy total counts.
    Aggregate { values: Vec<u64> },
    /// Site → host: the SHA-256 of the synthetic data it drew, and whether its
    /// noise came from a study seed (then the release is not for release).
    Done {
        synthetic_sha256: String,
        seeded: bool,
    },
    /// Host → all: every site drew the same data; write it.
    Commit { seeded_sites: Vec<String> },
    /// Either way: the session is over, nothing is written.
    Abort { reason: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    pub genopriv_version: String,
    pub site_name: String,
    /// HMAC-SHA256 of the TLS exporter value under the session secret (hex).
    pub proof: String,
}

#[derive(Serialize, Deserialize)]
struct WelcomeBody {
    setup: SiloSetup,
}

#[derive(Serialize, Deserialize)]
struct RosterBody {
    sites: Vec<String>,
    your_index: usize,
}

#[derive(Serialize, Deserialize)]
struct KeyShareBody {
    keys: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct KeysBody {
    keys: Vec<Vec<String>>,
}

#[derive(Serialize, Deserialize)]
struct DoneBody {
    synthetic_sha256: String,
    seeded: bool,
}

#[derive(Serialize, Deserialize)]
struct CommitBody {
    seeded_sites: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct AbortBody {
    reason: String,
}

const HELLO: u8 = 1;
const WELCOME: u8 = 2;
const READY: u8 = 3;
const ROSTER: u8 = 4;
const KEY_SHARE: u8 = 5;
const KEYS: u8 = 6;
const MASKED: u8 = 7;
const AGGREGATE: u8 = 8;
const DONE: u8 = 9;
const COMMIT: u8 = 10;
const ABORT: u8 = 11;

impl Message {
    /// The name used in error messages ("expected X, got Y").
    pub fn name(&self) -> &'static str {
        match self {
            Message::Hello(_) => "a greeting",
            Message::Welcome { .. } => "the set-up",
            Message::Ready => "a ready signal",
            Message::Roster { .. } => "the list of sites",
            Message::KeyShare { .. } => "mask keys",
            Message::Keys { .. } => "everyone's mask keys",
            Message::Masked { .. } => "masked counts",
            Message::Aggregate { .. } => "the aggregate counts",
            Message::Done { .. } => "a fingerprint of the synthetic data",
            Message::Commit { .. } => "the go-ahead to write",
            Message::Abort { .. } => "an abort",
        }
    }

    /// The whole frame, length prefix included.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let (kind, body) = match self {
            Message::Hello(hello) => (HELLO, json(hello)?),
            Message::Welcome { setup } => (
                WELCOME,
                json(&WelcomeBody {
                    setup: (**setup).clone(),
                })?,
            ),
            Message::Ready => (READY, Vec::new()),
            Message::Roster { sites, your_index } => (
                ROSTER,
                json(&RosterBody {
                    sites: sites.clone(),
                    your_index: *your_index,
                })?,
            ),
            Message::KeyShare { keys } => (
                KEY_SHARE,
                json(&KeyShareBody {
                    keys: keys.iter().map(|k| hex(k)).collect(),
                })?,
            ),
            Message::Keys { keys } => (
                KEYS,
                json(&KeysBody {
                    keys: keys
                        .iter()
                        .map(|row| row.iter().map(|k| hex(k)).collect())
                        .collect(),
                })?,
            ),
            Message::Masked { values } => (MASKED, words(values)),
            Message::Aggregate { values } => (AGGREGATE, words(values)),
            Message::Done {
                synthetic_sha256,
                seeded,
            } => (
                DONE,
                json(&DoneBody {
                    synthetic_sha256: synthetic_sha256.clone(),
                    seeded: *seeded,
                })?,
            ),
            Message::Commit { seeded_sites } => (
                COMMIT,
                json(&CommitBody {
                    seeded_sites: seeded_sites.clone(),
                })?,
            ),
            Message::Abort { reason } => (
                ABORT,
                json(&AbortBody {
                    reason: reason.clone(),
                })?,
            ),
        };
        let length = body.len() + 1;
        if length > MAX_FRAME {
            return Err(Error::Session(format!(
                "{} is {length} bytes, above the protocol's limit of {MAX_FRAME}",
                self.name()
            )));
        }
        let mut frame = Vec::with_capacity(length + 4);
        frame.extend_from_slice(&(length as u32).to_be_bytes());
        frame.push(kind);
        frame.extend_from_slice(&body);
        Ok(frame)
    }

    /// Decodes one frame's kind and body (the length prefix already removed).
    pub fn decode(kind: u8, body: &[u8]) -> std::result::Result<Self, String> {
        Ok(match kind {
            HELLO => Message::Hello(parse(body, "greeting")?),
            WELCOME => {
                let b: WelcomeBody = parse(body, "set-up")?;
                Message::Welcome {
                    setup: Box::new(b.setup),
                }
            }
            READY if body.is_empty() => Message::Ready,
            READY => return Err("a ready signal with a body".into()),
            ROSTER => {
                let b: RosterBody = parse(body, "list of sites")?;
                if b.your_index == 0 || b.your_index >= b.sites.len() {
                    return Err(format!(
                        "a list of {} sites that places this site at {}",
                        b.sites.len(),
                        b.your_index
                    ));
                }
                Message::Roster {
                    sites: b.sites,
                    your_index: b.your_index,
                }
            }
            KEY_SHARE => Message::KeyShare {
                keys: parse::<KeyShareBody>(body, "mask keys")?
                    .keys
                    .iter()
                    .map(|k| unhex(k))
                    .collect::<std::result::Result<_, _>>()?,
            },
            KEYS => Message::Keys {
                keys: parse::<KeysBody>(body, "mask keys")?
                    .keys
                    .iter()
                    .map(|row| row.iter().map(|k| unhex(k)).collect())
                    .collect::<std::result::Result<_, _>>()?,
            },
            MASKED => Message::Masked {
                values: unwords(body, "masked counts")?,
            },
            AGGREGATE => Message::Aggregate {
                values: unwords(body, "aggregate counts")?,
            },
            DONE => {
                let b: DoneBody = parse(body, "fingerprint")?;
                if b.synthetic_sha256.len() != 64
                    || !b.synthetic_sha256.bytes().all(|c| c.is_ascii_hexdigit())
                {
                    return Err("a fingerprint that is not a SHA-256 in hex".into());
                }
                Message::Done {
                    synthetic_sha256: b.synthetic_sha256,
                    seeded: b.seeded,
                }
            }
            COMMIT => Message::Commit {
                seeded_sites: parse::<CommitBody>(body, "go-ahead")?.seeded_sites,
            },
            ABORT => Message::Abort {
                reason: parse::<AbortBody>(body, "abort")?.reason,
            },
            other => return Err(format!("a message of unknown kind {other}")),
        })
    }
}

fn json(value: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(value)
        .map_err(|e| Error::Session(format!("a message could not be encoded: {e}")))
}

fn parse<T: DeserializeOwned>(body: &[u8], what: &str) -> std::result::Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("an unreadable {what} ({e})"))
}

fn words(values: &[u64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn unwords(body: &[u8], what: &str) -> std::result::Result<Vec<u64>, String> {
    if body.len() % 8 != 0 {
        return Err(format!(
            "{what} of {} bytes, not a whole number of 8-byte cells",
            body.len()
        ));
    }
    Ok(body
        .chunks_exact(8)
        .map(|c| {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            u64::from_le_bytes(word)
        })
        .collect())
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

fn unhex(text: &str) -> std::result::Result<PublicKey, String> {
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .map_err(|_| format!("a mask key that is not hex: {text:.20}"))?;
    bytes
        .try_into()
        .map_err(|_| "a mask key that is not 32 bytes".to_owned())
}

/// Collects bytes from a stream and cuts them into frames. A read may stop
/// anywhere (a timeout slice, a TLS record boundary); partial frames wait here.
#[derive(Default)]
pub struct FrameBuffer {
    bytes: Vec<u8>,
}

/// A frame as received: its kind byte and body.
pub struct Frame {
    pub kind: u8,
    pub body: Vec<u8>,
}

impl FrameBuffer {
    pub fn extend(&mut self, data: &[u8]) {
        self.bytes.extend_from_slice(data);
    }

    /// The next whole frame, if one has arrived; an error if the length prefix
    /// is impossible (zero, or above [`MAX_FRAME`]).
    pub fn next_frame(&mut self) -> std::result::Result<Option<Frame>, String> {
        let Some(prefix) = self.bytes.first_chunk::<4>() else {
            return Ok(None);
        };
        let length = u32::from_be_bytes(*prefix) as usize;
        if length == 0 || length > MAX_FRAME {
            return Err(format!(
                "a frame announcing {length} bytes (allowed: 1 to {MAX_FRAME})"
            ));
        }
        if self.bytes.len() < 4 + length {
            return Ok(None);
        }
        let kind = self.bytes[4];
        let body = self.bytes[5..4 + length].to_vec();
        self.bytes.drain(..4 + length);
        Ok(Some(Frame { kind, body }))
    }

    /// Bytes received but not yet part of a whole frame.
    pub fn pending(&self) -> usize {
        self.bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(message: Message) -> std::result::Result<(), String> {
        let frame = message.encode().map_err(|e| e.to_string())?;
        let mut buffer = FrameBuffer::default();
        // Fed in uneven pieces, as a socket would.
        for piece in frame.chunks(3) {
            buffer.extend(piece);
        }
        let Some(decoded) = buffer.next_frame()? else {
            return Err("no frame".into());
        };
        assert_eq!(Message::decode(decoded.kind, &decoded.body)?, message);
        assert_eq!(buffer.pending(), 0);
        Ok(())
    }

    #[test]
    fn messages_survive_encoding() -> std::result::Result<(), String> {
        round_trip(Message::Ready)?;
        round_trip(Message::Masked {
            values: vec![0, 1, u64::MAX, 1 << 63],
        })?;
        round_trip(Message::KeyShare {
            keys: vec![[0; 32], [255; 32]],
        })?;
        round_trip(Message::Keys {
            keys: vec![vec![[1; 32], [2; 32]], vec![[3; 32], [4; 32]]],
        })?;
        round_trip(Message::Done {
            synthetic_sha256: "ab".repeat(32),
            seeded: true,
        })?;
        round_trip(Message::Abort {
            reason: "site 2 left".into(),
        })?;
        round_trip(Message::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            genopriv_version: "0.1.0".into(),
            site_name: "Leeds".into(),
            proof: "00".repeat(32),
        }))
    }

    #[test]
    fn malformed_frames_are_refused_with_a_reason() {
        let mut buffer = FrameBuffer::default();
        buffer.extend(&u32::MAX.to_be_bytes());
        assert!(matches!(buffer.next_frame(), Err(m) if m.contains("4294967295")));
        let mut empty = FrameBuffer::default();
        empty.extend(&[0, 0, 0, 0]);
        assert!(empty.next_frame().is_err());
        assert!(matches!(Message::decode(99, b""), Err(m) if m.contains("unknown kind 99")));
        assert!(matches!(Message::decode(MASKED, &[1, 2, 3]), Err(m) if m.contains("8-byte")));
        assert!(matches!(Message::decode(HELLO, b"{not json"), Err(m) if m.contains("greeting")));
        assert!(Message::decode(DONE, br#"{"synthetic_sha256":"xyz","seeded":false}"#).is_err());
        assert!(Message::decode(KEY_SHARE, br#"{"keys":["00"]}"#).is_err());
        assert!(Message::decode(READY, b"x").is_err());
    }

    #[test]
    fn a_partial_frame_waits_for_the_rest() -> std::result::Result<(), String> {
        let frame = Message::Ready.encode().map_err(|e| e.to_string())?;
        let mut buffer = FrameBuffer::default();
        buffer.extend(&frame[..4]);
        assert!(buffer.next_frame()?.is_none());
        buffer.extend(&frame[4..]);
        assert!(buffer.next_frame()?.is_some());
        Ok(())
    }
}
