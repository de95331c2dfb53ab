//! TLS for `https://` listeners, configured with Kafka Connect's `listeners.https.ssl.*` names.
//!
//! As in Kafka Connect, the `listeners.https.` prefix is all or nothing: when any prefixed key is
//! set, only prefixed keys count; otherwise the worker's plain `ssl.*` keys configure the
//! listener. Only PEM material is read; Java keystores must be converted.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sluice_api::Props;
use sluice_api::config::{
    ConfigDef, ConfigErrors, ConfigType, ConfigValue, Importance, IssueCollector, Validator,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

const PREFIX: &str = "listeners.https.";
const KEYSTORE_TYPE: &str = "ssl.keystore.type";
const KEYSTORE_LOCATION: &str = "ssl.keystore.location";
const KEYSTORE_KEY: &str = "ssl.keystore.key";
const KEYSTORE_CHAIN: &str = "ssl.keystore.certificate.chain";
const KEY_PASSWORD: &str = "ssl.key.password";
const CLIENT_AUTH: &str = "ssl.client.auth";
const TRUSTSTORE_TYPE: &str = "ssl.truststore.type";
const TRUSTSTORE_LOCATION: &str = "ssl.truststore.location";
/// A client that never finishes its handshake must not hold a connection slot for long.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Beyond this many handshakes in flight, new connections wait in the kernel's backlog.
const MAX_PENDING_HANDSHAKES: usize = 1024;

/// Keys of the https listener; each may also be given without the `listeners.https.` prefix.
pub fn config_def() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    let key = |name: &str| format!("{PREFIX}{name}");
    let fallback = " Without any listeners.https.* key, the unprefixed ssl.* key is used instead.";
    ConfigDef::new()
        .optional(
            &key(KEYSTORE_TYPE),
            String,
            None,
            Medium,
            &format!("Format of the keystore; only PEM is supported (the default).{fallback}"),
        )
        .validate(Validator::Custom(pem_type))
        .optional(
            &key(KEYSTORE_LOCATION),
            String,
            None,
            High,
            &format!("PEM file holding the private key and the certificate chain.{fallback}"),
        )
        .optional(
            &key(KEYSTORE_KEY),
            Password,
            None,
            High,
            &format!("The private key in PEM, instead of a keystore file.{fallback}"),
        )
        .optional(
            &key(KEYSTORE_CHAIN),
            Password,
            None,
            High,
            &format!("The certificate chain in PEM, with ssl.keystore.key.{fallback}"),
        )
        .optional(
            &key(KEY_PASSWORD),
            Password,
            None,
            Low,
            "Not supported: the private key must not be encrypted.",
        )
        .optional(
            &key(CLIENT_AUTH),
            String,
            Some("none"),
            Medium,
            &format!(
                "Client certificates: none, requested (checked when sent) or required.{fallback}"
            ),
        )
        .validate(Validator::OneOf(vec![
            "none".into(),
            "requested".into(),
            "required".into(),
        ]))
        .optional(
            &key(TRUSTSTORE_TYPE),
            String,
            None,
            Low,
            &format!("Format of the truststore; only PEM is supported.{fallback}"),
        )
        .validate(Validator::Custom(pem_type))
        .optional(
            &key(TRUSTSTORE_LOCATION),
            String,
            None,
            Medium,
            &format!(
                "PEM file of CA certificates that client certificates must chain to.{fallback}"
            ),
        )
}

fn pem_type(value: &ConfigValue) -> Result<(), String> {
    match value {
        ConfigValue::String(s) if !s.eq_ignore_ascii_case("PEM") => Err(not_pem()),
        _ => Ok(()),
    }
}

fn not_pem() -> String {
    "only PEM is supported; convert the store to PEM (for example with keytool -importkeystore \
     to PKCS12, then openssl pkcs12 -nodes) and set the type to PEM"
        .to_string()
}

/// The listener's settings, read under the prefix Kafka Connect would use.
struct Settings<'a> {
    props: &'a Props,
    prefix: &'static str,
}

impl<'a> Settings<'a> {
    fn new(props: &'a Props) -> Self {
        let prefixed = props.keys().any(|k| k.starts_with(PREFIX));
        Settings {
            props,
            prefix: if prefixed { PREFIX } else { "" },
        }
    }

    /// The full key name, as errors must report it.
    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// A set, non-blank value.
    fn get(&self, name: &str) -> Option<&'a str> {
        self.props
            .get(&self.key(name))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Builds the TLS acceptor of an `https://` listener from the worker's settings.
pub fn acceptor(props: &Props) -> Result<TlsAcceptor, ConfigErrors> {
    let settings = Settings::new(props);
    let mut issues = IssueCollector::new();
    if settings.get(KEY_PASSWORD).is_some() {
        issues.push(
            settings.key(KEY_PASSWORD),
            "encrypted private keys are not supported; decrypt the key (openssl pkey -in \
             key.pem -out plain.pem), protect the file instead and unset this key",
        );
    }
    let identity = match settings.get(KEYSTORE_TYPE) {
        Some(ty) if !ty.eq_ignore_ascii_case("PEM") => {
            issues.push(
                settings.key(KEYSTORE_TYPE),
                format!("keystore type '{ty}' is not supported: {}", not_pem()),
            );
            None
        }
        _ => load_identity(&settings, &mut issues),
    };
    let verifier = client_verifier(&settings, &mut issues);
    let (Some((identity_key, certs, key)), Some(verifier), true) =
        (identity, verifier, issues.is_empty())
    else {
        return Err(issues.into_errors());
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigErrors::one(settings.key(KEYSTORE_TYPE), e.to_string()))?;
    let builder = match verifier {
        ClientAuth::None => builder.with_no_client_auth(),
        ClientAuth::Verify(verifier) => builder.with_client_cert_verifier(verifier),
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| {
        ConfigErrors::one(
            identity_key,
            format!("the private key and certificate chain cannot be used: {e}"),
        )
    })?;
    // axum serves HTTP/1.1; announcing it keeps clients from guessing.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

type Identity = (String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The certificate chain and private key, with the key to blame if they do not fit together.
fn load_identity(settings: &Settings<'_>, issues: &mut IssueCollector) -> Option<Identity> {
    let location = settings.get(KEYSTORE_LOCATION);
    let inline_key = settings.get(KEYSTORE_KEY);
    let inline_chain = settings.get(KEYSTORE_CHAIN);
    match (location, inline_key, inline_chain) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            issues.push(
                settings.key(KEYSTORE_LOCATION),
                format!(
                    "set either this or {} with {}, not both",
                    settings.key(KEYSTORE_KEY),
                    settings.key(KEYSTORE_CHAIN)
                ),
            );
            None
        }
        (Some(path), None, None) => {
            let name = settings.key(KEYSTORE_LOCATION);
            let pem = std::fs::read(path)
                .map_err(|e| issues.push(&name, format!("cannot read {path}: {e}")))
                .ok()?;
            let key =
                parse_key(&pem).map_err(|reason| issues.push(&name, format!("{path}: {reason}")));
            let certs =
                parse_certs(&pem).map_err(|reason| issues.push(&name, format!("{path}: {reason}")));
            Some((name, certs.ok()?, key.ok()?))
        }
        (None, Some(key), Some(chain)) => {
            let key_name = settings.key(KEYSTORE_KEY);
            let key = parse_key(key.as_bytes()).map_err(|reason| issues.push(&key_name, reason));
            let certs = parse_certs(chain.as_bytes())
                .map_err(|reason| issues.push(settings.key(KEYSTORE_CHAIN), reason));
            Some((key_name, certs.ok()?, key.ok()?))
        }
        (None, Some(_), None) => {
            issues.push(
                settings.key(KEYSTORE_CHAIN),
                format!("must be set with {}", settings.key(KEYSTORE_KEY)),
            );
            None
        }
        (None, None, Some(_)) => {
            issues.push(
                settings.key(KEYSTORE_KEY),
                format!("must be set with {}", settings.key(KEYSTORE_CHAIN)),
            );
            None
        }
        (None, None, None) => {
            issues.push(
                settings.key(KEYSTORE_LOCATION),
                format!(
                    "an https listener needs a private key and certificate chain: set this to a \
                     PEM file holding both, or set {} and {}",
                    settings.key(KEYSTORE_KEY),
                    settings.key(KEYSTORE_CHAIN)
                ),
            );
            None
        }
    }
}

fn parse_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    let text = String::from_utf8_lossy(pem);
    if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(
            "the private key is encrypted, which is not supported; decrypt it \
                    (openssl pkey -in key.pem -out plain.pem) and protect the file instead"
                .to_string(),
        );
    }
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        pem::Error::NoItemsFound => "no PEM private key found".to_string(),
        other => format!("invalid PEM: {other}"),
    })
}

fn parse_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("invalid PEM: {e}"))?;
    if certs.is_empty() {
        return Err("no PEM certificate found".to_string());
    }
    Ok(certs)
}

enum ClientAuth {
    None,
    Verify(Arc<dyn ClientCertVerifier>),
}

fn client_verifier(settings: &Settings<'_>, issues: &mut IssueCollector) -> Option<ClientAuth> {
    let mode = settings
        .get(CLIENT_AUTH)
        .unwrap_or("none")
        .to_ascii_lowercase();
    let required = match mode.as_str() {
        "none" => return Some(ClientAuth::None),
        "requested" => false,
        "required" => true,
        other => {
            issues.push(
                settings.key(CLIENT_AUTH),
                format!("invalid value '{other}': must be one of: none, requested, required"),
            );
            return None;
        }
    };
    if let Some(ty) = settings
        .get(TRUSTSTORE_TYPE)
        .filter(|t| !t.eq_ignore_ascii_case("PEM"))
    {
        issues.push(
            settings.key(TRUSTSTORE_TYPE),
            format!("truststore type '{ty}' is not supported: {}", not_pem()),
        );
        return None;
    }
    let name = settings.key(TRUSTSTORE_LOCATION);
    let Some(path) = settings.get(TRUSTSTORE_LOCATION) else {
        issues.push(
            &name,
            format!(
                "{} is {mode}, so a PEM file of CA certificates is needed",
                settings.key(CLIENT_AUTH)
            ),
        );
        return None;
    };
    let pem = std::fs::read(path)
        .map_err(|e| issues.push(&name, format!("cannot read {path}: {e}")))
        .ok()?;
    let certs = parse_certs(&pem)
        .map_err(|reason| issues.push(&name, format!("{path}: {reason}")))
        .ok()?;
    let mut roots = RootCertStore::empty();
    for cert in certs {
        if let Err(e) = roots.add(cert) {
            issues.push(&name, format!("{path}: unusable CA certificate: {e}"));
            return None;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
    let builder = if required {
        builder
    } else {
        builder.allow_unauthenticated()
    };
    builder
        .build()
        .map_err(|e| issues.push(&name, format!("{path}: {e}")))
        .ok()
        .map(ClientAuth::Verify)
}

/// Outcome of one handshake: the stream, or the peer and why it failed.
type Handshake = Result<(TlsStream<TcpStream>, SocketAddr), (SocketAddr, String)>;

/// A TCP listener whose connections come out TLS-wrapped, for `axum::serve`.
///
/// Handshakes run concurrently in tasks the listener owns (dropped with it), so a slow or
/// silent client delays nobody else, and a failed handshake only drops that connection.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Handshake>,
}

impl TlsListener {
    /// Wraps a bound listener; must be used inside a Tokio runtime.
    pub fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> Self {
        TlsListener {
            tcp,
            acceptor,
            handshakes: JoinSet::new(),
        }
    }
}

async fn handshake(acceptor: TlsAcceptor, stream: TcpStream, peer: SocketAddr) -> Handshake {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Ok((tls, peer)),
        Ok(Err(e)) => Err((peer, e.to_string())),
        Err(_) => Err((peer, format!("timed out after {HANDSHAKE_TIMEOUT:?}"))),
    }
}

enum Event {
    Connected(io::Result<(TcpStream, SocketAddr)>),
    /// Boxed: a TLS stream is large, and the event moves through the loop.
    Finished(Box<Result<Handshake, tokio::task::JoinError>>),
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let room = self.handshakes.len() < MAX_PENDING_HANDSHAKES;
            let event = tokio::select! {
                accepted = self.tcp.accept(), if room => Event::Connected(accepted),
                Some(finished) = self.handshakes.join_next() => Event::Finished(Box::new(finished)),
            };
            match event {
                Event::Connected(Ok((stream, peer))) => {
                    self.handshakes
                        .spawn(handshake(self.acceptor.clone(), stream, peer));
                }
                Event::Connected(Err(e)) => accept_error(e).await,
                Event::Finished(finished) => match *finished {
                    Ok(Ok(connection)) => return connection,
                    Ok(Err((peer, reason))) => {
                        tracing::debug!(%peer, %reason, "TLS handshake failed");
                    }
                    Err(e) => tracing::debug!("TLS handshake task ended: {e}"),
                },
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A connection that died before it was accepted is that client's problem; anything else (such
/// as running out of file descriptors) is worth a pause before trying again.
async fn accept_error(e: io::Error) {
    use io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!("accepting a TLS connection failed: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use sluice_api::config::props;
    use tokio::io::AsyncWriteExt;

    struct Pem {
        cert: String,
        key: String,
    }

    fn self_signed() -> Pem {
        let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        let certified = rcgen::generate_simple_self_signed(names).unwrap();
        Pem {
            cert: certified.cert.pem(),
            key: certified.key_pair.serialize_pem(),
        }
    }

    /// Serves a tiny router over TLS; returns the port.
    async fn serve(acceptor: TlsAcceptor) -> u16 {
        let app = Router::new().route("/", get(|| async { "hello over tls" }));
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = tcp.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(TlsListener::new(tcp, acceptor), app).await });
        port
    }

    fn client(server: &Pem) -> reqwest::Client {
        let root = reqwest::Certificate::from_pem(server.cert.as_bytes()).unwrap();
        reqwest::Client::builder()
            .add_root_certificate(root)
            .build()
            .unwrap()
    }

    async fn get_text(client: &reqwest::Client, url: &str) -> (u16, String) {
        let response = client.get(url).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    #[tokio::test]
    async fn serves_https_from_a_keystore_file_and_survives_bad_clients() {
        let pem = self_signed();
        let dir = tempfile::tempdir().unwrap();
        let keystore = dir.path().join("rest.pem");
        std::fs::write(&keystore, format!("{}{}", pem.key, pem.cert)).unwrap();
        let acceptor = acceptor(&props(&[
            ("listeners.https.ssl.keystore.type", "PEM"),
            (
                "listeners.https.ssl.keystore.location",
                &keystore.display().to_string(),
            ),
            // The prefixed keys win: the broker client's JKS setting does not apply here.
            ("ssl.keystore.type", "JKS"),
        ]))
        .unwrap();
        let port = serve(acceptor).await;
        let client = client(&pem);
        let url = format!("https://localhost:{port}/");
        assert_eq!(
            get_text(&client, &url).await,
            (200, "hello over tls".into())
        );

        // A client that connects and says nothing must not hold up the others.
        let mut silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let plain = reqwest::get(format!("http://127.0.0.1:{port}/")).await;
        assert!(plain.is_err(), "plain HTTP must not be served: {plain:?}");
        let mut garbage = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        garbage
            .write_all(b"\x16\x03\x01\x00\x05hello")
            .await
            .unwrap();

        let url = format!("https://127.0.0.1:{port}/");
        assert_eq!(
            get_text(&client, &url).await,
            (200, "hello over tls".into())
        );
        silent.shutdown().await.unwrap();
    }

    #[tokio::test]
    async fn unprefixed_inline_pem_and_required_client_certificates() {
        let server = self_signed();
        let client_pem = self_signed();
        let dir = tempfile::tempdir().unwrap();
        let truststore = dir.path().join("clients-ca.pem");
        std::fs::write(&truststore, &client_pem.cert).unwrap();
        let acceptor = acceptor(&props(&[
            ("ssl.keystore.key", &server.key),
            ("ssl.keystore.certificate.chain", &server.cert),
            ("ssl.client.auth", "required"),
            ("ssl.truststore.location", &truststore.display().to_string()),
        ]))
        .unwrap();
        let port = serve(acceptor).await;
        let url = format!("https://127.0.0.1:{port}/");

        let anonymous = client(&server).get(&url).send().await;
        assert!(anonymous.is_err(), "a client without a certificate got in");

        let identity = reqwest::Identity::from_pem(
            format!("{}{}", client_pem.key, client_pem.cert).as_bytes(),
        )
        .unwrap();
        let root = reqwest::Certificate::from_pem(server.cert.as_bytes()).unwrap();
        let trusted = reqwest::Client::builder()
            .add_root_certificate(root)
            .identity(identity)
            .build()
            .unwrap();
        assert_eq!(
            get_text(&trusted, &url).await,
            (200, "hello over tls".into())
        );
    }

    fn issues(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        let Err(err) = acceptor(&props(pairs)) else {
            panic!("expected a config error for {pairs:?}");
        };
        err.issues()
            .iter()
            .map(|i| (i.key.clone(), i.reason.clone()))
            .collect()
    }

    #[test]
    fn config_errors_name_the_key_and_the_reason() {
        let found = issues(&[("listeners.https.ssl.keystore.type", "JKS")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "listeners.https.ssl.keystore.type");
        assert!(found[0].1.contains("convert the store to PEM"), "{found:?}");

        let found = issues(&[]);
        assert_eq!(found[0].0, "ssl.keystore.location");
        assert!(
            found[0]
                .1
                .contains("needs a private key and certificate chain")
        );

        let found = issues(&[("ssl.keystore.location", "/nonexistent/rest.pem")]);
        assert_eq!(found[0].0, "ssl.keystore.location");
        assert!(found[0].1.starts_with("cannot read /nonexistent/rest.pem"));

        let pem = self_signed();
        let found = issues(&[
            ("ssl.keystore.key", &pem.key),
            ("ssl.keystore.certificate.chain", &pem.cert),
            ("ssl.key.password", "changeit"),
        ]);
        assert_eq!(found[0].0, "ssl.key.password");
        assert!(
            found[0]
                .1
                .starts_with("encrypted private keys are not supported")
        );

        let found = issues(&[("ssl.keystore.key", &pem.key)]);
        assert_eq!(found[0].0, "ssl.keystore.certificate.chain");

        let found = issues(&[
            ("ssl.keystore.key", &pem.cert),
            ("ssl.keystore.certificate.chain", &pem.key),
        ]);
        let keys: Vec<_> = found.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["ssl.keystore.key", "ssl.keystore.certificate.chain"]);

        let found = issues(&[
            ("ssl.keystore.key", &pem.key),
            ("ssl.keystore.certificate.chain", &pem.cert),
            ("ssl.client.auth", "required"),
        ]);
        assert_eq!(found[0].0, "ssl.truststore.location");
    }

    #[test]
    fn config_def_checks_prefixed_types() {
        let def = config_def();
        let err = def
            .parse(&props(&[("listeners.https.ssl.truststore.type", "PKCS12")]))
            .unwrap_err();
        assert_eq!(err.issues()[0].key, "listeners.https.ssl.truststore.type");
        assert!(
            def.parse(&props(&[("listeners.https.ssl.keystore.type", "pem")]))
                .is_ok()
        );
    }
}
