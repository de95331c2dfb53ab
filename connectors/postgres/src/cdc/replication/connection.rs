//! A `replication=database` connection: startup and authentication (trust, password, MD5,
//! SCRAM-SHA-256), replication commands as simple queries, then the CopyBoth stream of
//! `START_REPLICATION`.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{ChannelBinding, SCRAM_SHA_256, ScramSha256};
use postgres_protocol::message::frontend;
use sluice_api::{ConnectError, ConnectResult};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_postgres::config::Host;

use super::wire::{Frame, FrameReader, data_row, server_error};
use crate::cdc::lsn::Lsn;

/// Session settings that make pgoutput's text values parse the same way everywhere.
const SESSION_PARAMS: &[(&str, &str)] = &[
    ("replication", "database"),
    ("application_name", "sluice-cdc"),
    ("client_encoding", "UTF8"),
    ("DateStyle", "ISO"),
    ("TimeZone", "UTC"),
    ("IntervalStyle", "iso_8601"),
    ("extra_float_digits", "3"),
];

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;

/// What the server sends during streaming.
#[derive(Debug)]
pub enum ReplicationMessage {
    /// Output of the decoding plugin, starting at `start`.
    XLogData { start: Lsn, data: Bytes },
    /// The server's WAL end; `reply` asks for a status update at once.
    Keepalive { end: Lsn, reply: bool },
}

/// A replication connection, before or after `START_REPLICATION`.
pub struct ReplicationConnection {
    stream: TcpStream,
    reader: FrameReader,
    out: BytesMut,
}

impl std::fmt::Debug for ReplicationConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicationConnection")
            .finish_non_exhaustive()
    }
}

impl ReplicationConnection {
    /// Connects to the first TCP host of `pg` and logs in.
    pub async fn connect(pg: &tokio_postgres::Config) -> ConnectResult<Self> {
        let host = pg
            .get_hosts()
            .iter()
            .find_map(|h| match h {
                Host::Tcp(name) => Some(name.clone()),
                Host::Unix(_) => None,
            })
            .ok_or_else(|| {
                ConnectError::fatal("the replication connection needs a TCP host name")
            })?;
        let port = pg.get_ports().first().copied().unwrap_or(5432);
        let user = pg
            .get_user()
            .ok_or_else(|| ConnectError::fatal("no PostgreSQL user configured"))?;
        let stream = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| {
                ConnectError::retriable(format!(
                    "cannot connect to PostgreSQL at {host}:{port} for replication: {e}"
                ))
                .caused_by(e)
            })?;
        stream.set_nodelay(true).ok();
        let mut conn = ReplicationConnection {
            stream,
            reader: FrameReader::new(),
            out: BytesMut::with_capacity(1024),
        };
        let mut params: Vec<(&str, &str)> = vec![("user", user)];
        if let Some(db) = pg.get_dbname() {
            params.push(("database", db));
        }
        params.extend_from_slice(SESSION_PARAMS);
        frontend::startup_message(params.iter().copied(), &mut conn.out).map_err(io_fatal)?;
        conn.flush().await?;
        conn.authenticate(user, pg.get_password()).await?;
        conn.until_ready("login").await?;
        Ok(conn)
    }

    async fn authenticate(&mut self, user: &str, password: Option<&[u8]>) -> ConnectResult<()> {
        let need_password = || {
            ConnectError::fatal(
                "PostgreSQL asks for a password for replication; none is configured",
            )
        };
        let mut scram: Option<ScramSha256> = None;
        loop {
            let frame = self.frame().await?;
            match frame.tag {
                b'E' => return Err(server_error(&frame.body, "replication login failed")),
                b'R' => {
                    let mut body = frame.body;
                    if body.len() < 4 {
                        return Err(ConnectError::fatal("truncated authentication request"));
                    }
                    match body.get_i32() {
                        0 => return Ok(()),
                        3 => {
                            let password = password.ok_or_else(need_password)?;
                            frontend::password_message(password, &mut self.out)
                                .map_err(io_fatal)?;
                        }
                        5 => {
                            let password = password.ok_or_else(need_password)?;
                            let mut salt = [0u8; 4];
                            if body.len() < 4 {
                                return Err(ConnectError::fatal("truncated MD5 salt"));
                            }
                            body.copy_to_slice(&mut salt);
                            let hash = md5_hash(user.as_bytes(), password, salt);
                            frontend::password_message(hash.as_bytes(), &mut self.out)
                                .map_err(io_fatal)?;
                        }
                        10 => {
                            let password = password.ok_or_else(need_password)?;
                            let offers_scram = body
                                .split(|b| *b == 0)
                                .any(|m| m == SCRAM_SHA_256.as_bytes());
                            if !offers_scram {
                                return Err(ConnectError::fatal(
                                    "PostgreSQL offers no SASL mechanism this client speaks (SCRAM-SHA-256)",
                                ));
                            }
                            let state = ScramSha256::new(password, ChannelBinding::unsupported());
                            frontend::sasl_initial_response(
                                SCRAM_SHA_256,
                                state.message(),
                                &mut self.out,
                            )
                            .map_err(io_fatal)?;
                            scram = Some(state);
                        }
                        11 => {
                            let state = scram.as_mut().ok_or_else(|| {
                                ConnectError::fatal("SASL continuation without a SASL start")
                            })?;
                            state.update(&body).map_err(io_fatal)?;
                            frontend::sasl_response(state.message(), &mut self.out)
                                .map_err(io_fatal)?;
                        }
                        12 => {
                            let state = scram.as_mut().ok_or_else(|| {
                                ConnectError::fatal("SASL final message without a SASL start")
                            })?;
                            state.finish(&body).map_err(io_fatal)?;
                            continue;
                        }
                        other => {
                            return Err(ConnectError::fatal(format!(
                                "unsupported PostgreSQL authentication method {other}"
                            )));
                        }
                    }
                    self.flush().await?;
                }
                _ => {}
            }
        }
    }

    /// Reads up to `ReadyForQuery`, failing on an error response.
    async fn until_ready(&mut self, context: &str) -> ConnectResult<()> {
        let mut failure = None;
        loop {
            let frame = self.frame().await?;
            match frame.tag {
                b'E' => failure = Some(server_error(&frame.body, context)),
                b'Z' => return failure.map_or(Ok(()), Err),
                _ => {}
            }
        }
    }

    /// Runs one command (a replication command or plain SQL) and returns its rows as text.
    pub async fn simple_query(&mut self, sql: &str) -> ConnectResult<Vec<Vec<Option<String>>>> {
        frontend::query(sql, &mut self.out).map_err(io_fatal)?;
        self.flush().await?;
        let mut rows = Vec::new();
        let mut failure = None;
        loop {
            let frame = self.frame().await?;
            match frame.tag {
                b'D' => rows.push(data_row(frame.body)?),
                b'E' => failure = Some(server_error(&frame.body, first_words(sql))),
                b'Z' => return failure.map_or(Ok(rows), Err),
                _ => {}
            }
        }
    }

    /// Sends `START_REPLICATION … LOGICAL` and waits for the CopyBoth stream to open.
    pub async fn start_replication(
        &mut self,
        slot: &str,
        start: Lsn,
        options: &[(&str, String)],
    ) -> ConnectResult<()> {
        let options = options
            .iter()
            .map(|(k, v)| format!("\"{k}\" '{}'", v.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "START_REPLICATION SLOT {} LOGICAL {start} ({options})",
            crate::ident::quote(slot)
        );
        frontend::query(&sql, &mut self.out).map_err(io_fatal)?;
        self.flush().await?;
        loop {
            let frame = self.frame().await?;
            match frame.tag {
                b'W' => return Ok(()),
                b'E' => {
                    let err = server_error(&frame.body, "START_REPLICATION");
                    // The server follows an error with ReadyForQuery; the caller drops us anyway.
                    return Err(err);
                }
                _ => {}
            }
        }
    }

    /// The next message of the stream. Cancel-safe: partial reads stay buffered.
    pub async fn recv(&mut self) -> ConnectResult<ReplicationMessage> {
        loop {
            let frame = self.frame().await?;
            match frame.tag {
                b'd' => {
                    if let Some(message) = copy_data(frame.body)? {
                        return Ok(message);
                    }
                }
                b'E' => return Err(server_error(&frame.body, "replication stream")),
                b'c' => {
                    return Err(ConnectError::retriable(
                        "PostgreSQL ended the replication stream",
                    ));
                }
                _ => {}
            }
        }
    }

    /// Reports how far the client got: `flush` is what the slot may forget.
    pub async fn send_status(
        &mut self,
        received: Lsn,
        flush: Lsn,
        reply: bool,
    ) -> ConnectResult<()> {
        let mut body = BytesMut::with_capacity(34);
        body.put_u8(b'r');
        body.put_u64(received.0);
        body.put_u64(flush.0);
        body.put_u64(flush.0);
        body.put_i64(pg_now_micros());
        body.put_u8(u8::from(reply));
        frontend::CopyData::new(body.freeze())
            .map_err(io_fatal)?
            .write(&mut self.out);
        self.flush().await
    }

    /// Ends the session politely; errors are irrelevant at this point.
    pub async fn close(mut self) {
        frontend::terminate(&mut self.out);
        let _ = self.flush().await;
        let _ = self.stream.shutdown().await;
    }

    async fn frame(&mut self) -> ConnectResult<Frame> {
        self.reader.next(&mut self.stream).await
    }

    async fn flush(&mut self) -> ConnectResult<()> {
        let out = self.out.split();
        self.stream.write_all(&out).await.map_err(|e| {
            ConnectError::retriable(format!("replication connection failed: {e}")).caused_by(e)
        })
    }
}

/// Decodes the CopyData payloads of the stream: XLogData (`w`) and keepalives (`k`).
fn copy_data(mut body: Bytes) -> ConnectResult<Option<ReplicationMessage>> {
    let truncated = || ConnectError::fatal("truncated replication message from PostgreSQL");
    let Some(&kind) = body.first() else {
        return Err(truncated());
    };
    body.advance(1);
    match kind {
        b'w' => {
            if body.len() < 24 {
                return Err(truncated());
            }
            let start = Lsn(body.get_u64());
            // The server's WAL end and send time are not needed: keepalives carry the end.
            body.advance(16);
            Ok(Some(ReplicationMessage::XLogData { start, data: body }))
        }
        b'k' => {
            if body.len() < 17 {
                return Err(truncated());
            }
            let end = Lsn(body.get_u64());
            body.advance(8);
            Ok(Some(ReplicationMessage::Keepalive {
                end,
                reply: body.get_u8() == 1,
            }))
        }
        _ => Ok(None),
    }
}

fn pg_now_micros() -> i64 {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    unix - PG_EPOCH_OFFSET_MICROS
}

/// The command's first two words, naming it in error messages without echoing data.
fn first_words(sql: &str) -> &str {
    let end = sql
        .char_indices()
        .filter(|(_, c)| c.is_whitespace())
        .nth(1)
        .map_or(sql.len(), |(i, _)| i);
    &sql[..end]
}

fn io_fatal(err: std::io::Error) -> ConnectError {
    ConnectError::fatal(format!("replication protocol error: {err}")).caused_by(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_xlog_data_and_keepalives() {
        let mut msg = BytesMut::new();
        msg.put_u8(b'w');
        msg.put_u64(0x10);
        msg.put_u64(0x20);
        msg.put_i64(0);
        msg.put_slice(b"B...");
        match copy_data(msg.freeze()).unwrap() {
            Some(ReplicationMessage::XLogData { start, data }) => {
                assert_eq!((start, &data[..]), (Lsn(0x10), &b"B..."[..]));
            }
            other => panic!("{other:?}"),
        }
        let mut msg = BytesMut::new();
        msg.put_u8(b'k');
        msg.put_u64(0x30);
        msg.put_i64(0);
        msg.put_u8(1);
        assert!(matches!(
            copy_data(msg.freeze()).unwrap(),
            Some(ReplicationMessage::Keepalive {
                end: Lsn(0x30),
                reply: true
            })
        ));
        assert!(copy_data(Bytes::from_static(b"w\0")).is_err());
    }

    #[test]
    fn names_commands_by_their_first_words() {
        assert_eq!(
            first_words("CREATE_REPLICATION_SLOT \"x\" LOGICAL"),
            "CREATE_REPLICATION_SLOT \"x\""
        );
        assert_eq!(first_words("IDENTIFY_SYSTEM"), "IDENTIFY_SYSTEM");
    }
}
