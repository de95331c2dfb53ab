//! One connection to a Kafka broker for the group protocol: length-prefixed frames, request and
//! response headers, correlation ids and API version negotiation.

use std::collections::HashMap;
use std::time::Duration;

use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, FindCoordinatorRequest,
    FindCoordinatorResponse, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest,
    JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, RequestHeader, ResponseHeader,
    SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes, VersionRange};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::error::{MembershipError, codes};

/// Group-protocol responses are small; anything larger means the stream is out of step.
const MAX_FRAME_BYTES: usize = 64 * 1024 * 1024;

/// The ApiVersions version tried first (flexible); brokers too old for it are asked again at v0.
const API_VERSIONS_VERSION: i16 = 3;

/// A request Sluice sends, with its API key and response type. (kafka-protocol's own `Request`
/// trait also wants requests to be decodable, which only its broker feature provides.)
pub trait GroupRequest: Encodable + HeaderVersion {
    const KEY: ApiKey;
    type Response: Decodable + HeaderVersion;
}

macro_rules! group_request {
    ($($request:ty => $response:ty, $key:ident;)*) => {
        $(impl GroupRequest for $request {
            const KEY: ApiKey = ApiKey::$key;
            type Response = $response;
        })*
    };
}

group_request! {
    ApiVersionsRequest => ApiVersionsResponse, ApiVersions;
    FindCoordinatorRequest => FindCoordinatorResponse, FindCoordinator;
    JoinGroupRequest => JoinGroupResponse, JoinGroup;
    SyncGroupRequest => SyncGroupResponse, SyncGroup;
    HeartbeatRequest => HeartbeatResponse, Heartbeat;
    LeaveGroupRequest => LeaveGroupResponse, LeaveGroup;
}

/// The byte stream under a [`Connection`]. PLAINTEXT only for now: TLS and SASL belong here so
/// that framing and negotiation above stay the same.
pub struct Transport {
    stream: TcpStream,
    peer: String,
}

impl Transport {
    /// Opens a PLAINTEXT connection to `address` (`host:port`).
    pub async fn connect(address: &str, timeout: Duration) -> Result<Self, MembershipError> {
        let io_error = |source| MembershipError::Io {
            broker: address.to_string(),
            source,
        };
        let stream = tokio::time::timeout(timeout, TcpStream::connect(address))
            .await
            .map_err(|_| io_error(std::io::ErrorKind::TimedOut.into()))?
            .map_err(io_error)?;
        // Requests are small and sent one at a time: do not let Nagle hold them back.
        stream.set_nodelay(true).map_err(io_error)?;
        Ok(Transport {
            stream,
            peer: address.to_string(),
        })
    }

    /// The address this transport was opened to.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// Writes one frame (already carrying its length prefix).
    async fn write_frame(&mut self, frame: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(frame).await?;
        self.stream.flush().await
    }

    /// Reads one length-prefixed frame and returns its payload.
    async fn read_frame(&mut self) -> std::io::Result<Vec<u8>> {
        let length = self.stream.read_i32().await?;
        let length = usize::try_from(length)
            .ok()
            .filter(|len| *len <= MAX_FRAME_BYTES)
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("frame length {length} out of range"),
                )
            })?;
        let mut payload = vec![0; length];
        self.stream.read_exact(&mut payload).await?;
        Ok(payload)
    }
}

/// The API versions used with a coordinator: for each API the highest version both Sluice and the
/// broker support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiatedVersions {
    pub find_coordinator: i16,
    pub join_group: i16,
    pub sync_group: i16,
    pub heartbeat: i16,
    pub leave_group: i16,
}

/// The versions Sluice implements for each group API. JoinGroup starts at v4 because Sluice relies
/// on the member-id-required round trip; SyncGroup, Heartbeat and LeaveGroup start where they
/// carry the group instance id, so one request shape serves every version.
pub const FIND_COORDINATOR_VERSIONS: VersionRange = VersionRange { min: 1, max: 6 };
pub const JOIN_GROUP_VERSIONS: VersionRange = VersionRange { min: 4, max: 9 };
pub const SYNC_GROUP_VERSIONS: VersionRange = VersionRange { min: 3, max: 5 };
pub const HEARTBEAT_VERSIONS: VersionRange = VersionRange { min: 3, max: 4 };
pub const LEAVE_GROUP_VERSIONS: VersionRange = VersionRange { min: 3, max: 5 };

/// A connection that has negotiated API versions with its broker. One request at a time.
pub struct Connection {
    transport: Transport,
    client_id: StrBytes,
    next_correlation_id: i32,
    broker_versions: HashMap<i16, VersionRange>,
}

impl Connection {
    /// Connects to `address` and asks the broker which API versions it supports.
    pub async fn open(
        address: &str,
        client_id: &str,
        timeout: Duration,
    ) -> Result<Self, MembershipError> {
        let transport = Transport::connect(address, timeout).await?;
        let mut connection = Connection {
            transport,
            client_id: StrBytes::from_string(client_id.to_string()),
            next_correlation_id: 0,
            broker_versions: HashMap::new(),
        };
        connection.broker_versions = connection.fetch_api_versions(timeout).await?;
        Ok(connection)
    }

    /// The broker address.
    pub fn broker(&self) -> &str {
        self.transport.peer()
    }

    /// The highest version of `api` in both `ours` and the broker's range.
    pub fn version(&self, api: ApiKey, ours: VersionRange) -> Result<i16, MembershipError> {
        let unsupported = |theirs: String| MembershipError::UnsupportedVersion {
            broker: self.broker().to_string(),
            api,
            theirs,
            ours: ours.to_string(),
        };
        let theirs = self
            .broker_versions
            .get(&(api as i16))
            .ok_or_else(|| unsupported("none".to_string()))?;
        let common = theirs.intersect(&ours);
        if common.is_empty() {
            return Err(unsupported(theirs.to_string()));
        }
        Ok(common.max)
    }

    /// The versions this connection uses for every group API.
    pub fn negotiated_versions(&self) -> Result<NegotiatedVersions, MembershipError> {
        Ok(NegotiatedVersions {
            find_coordinator: self.version(ApiKey::FindCoordinator, FIND_COORDINATOR_VERSIONS)?,
            join_group: self.version(ApiKey::JoinGroup, JOIN_GROUP_VERSIONS)?,
            sync_group: self.version(ApiKey::SyncGroup, SYNC_GROUP_VERSIONS)?,
            heartbeat: self.version(ApiKey::Heartbeat, HEARTBEAT_VERSIONS)?,
            leave_group: self.version(ApiKey::LeaveGroup, LEAVE_GROUP_VERSIONS)?,
        })
    }

    /// Sends `request` at `version` and waits up to `timeout` for its response.
    pub async fn send<R: GroupRequest>(
        &mut self,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response, MembershipError> {
        let api = R::KEY;
        let body = self
            .round_trip(
                api,
                request,
                version,
                R::Response::header_version(version),
                timeout,
            )
            .await?;
        self.decode(api, &body, version)
    }

    /// Asks for the broker's API versions. A broker that does not know our ApiVersions version
    /// answers in v0 with UNSUPPORTED_VERSION, so that case is asked again at v0.
    async fn fetch_api_versions(
        &mut self,
        timeout: Duration,
    ) -> Result<HashMap<i16, VersionRange>, MembershipError> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("sluice"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let api = ApiKey::ApiVersions;
        let header_version = ApiVersionsResponse::header_version(API_VERSIONS_VERSION);
        let body = self
            .round_trip(api, &request, API_VERSIONS_VERSION, header_version, timeout)
            .await?;
        let mut response: ApiVersionsResponse = self
            .decode(api, &body, API_VERSIONS_VERSION)
            .or_else(|_| self.decode(api, &body, 0))?;
        if response.error_code == codes::UNSUPPORTED_VERSION {
            response = self
                .send(&ApiVersionsRequest::default(), 0, timeout)
                .await?;
        }
        if response.error_code != codes::NONE {
            return Err(MembershipError::Kafka {
                api: ApiKey::ApiVersions,
                code: response.error_code,
            });
        }
        Ok(response
            .api_keys
            .iter()
            .map(|key| {
                let range = VersionRange {
                    min: key.min_version,
                    max: key.max_version,
                };
                (key.api_key, range)
            })
            .collect())
    }

    /// Writes one request and reads its response, returning the body after the response header.
    async fn round_trip<R: Encodable + HeaderVersion>(
        &mut self,
        api: ApiKey,
        request: &R,
        version: i16,
        response_header_version: i16,
        timeout: Duration,
    ) -> Result<Vec<u8>, MembershipError> {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);
        let frame = self.encode(api, request, version, correlation_id)?;
        let exchange = async {
            self.transport.write_frame(&frame).await?;
            self.transport.read_frame().await
        };
        let payload = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| MembershipError::Timeout {
                broker: self.broker().to_string(),
                api,
                after: timeout,
            })?
            .map_err(|source| MembershipError::Io {
                broker: self.broker().to_string(),
                source,
            })?;
        self.strip_response_header(api, payload, response_header_version, correlation_id)
    }

    /// The whole frame: length prefix, request header and body.
    fn encode<R: Encodable + HeaderVersion>(
        &self,
        api: ApiKey,
        request: &R,
        version: i16,
        correlation_id: i32,
    ) -> Result<Vec<u8>, MembershipError> {
        let header = RequestHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(self.client_id.clone()));
        let mut frame = vec![0u8; 4];
        header
            .encode(&mut frame, R::header_version(version))
            .and_then(|()| request.encode(&mut frame, version))
            .map_err(|e| self.protocol_error(api, format!("encode: {e}")))?;
        let length = i32::try_from(frame.len() - 4)
            .map_err(|_| self.protocol_error(api, "request too large".to_string()))?;
        frame[..4].copy_from_slice(&length.to_be_bytes());
        Ok(frame)
    }

    /// Checks the response header against the request and returns the body.
    fn strip_response_header(
        &self,
        api: ApiKey,
        payload: Vec<u8>,
        header_version: i16,
        correlation_id: i32,
    ) -> Result<Vec<u8>, MembershipError> {
        let mut cursor = payload.as_slice();
        let header = ResponseHeader::decode(&mut cursor, header_version)
            .map_err(|e| self.protocol_error(api, format!("response header: {e}")))?;
        if header.correlation_id != correlation_id {
            let detail = format!(
                "correlation id {} answers request {correlation_id}",
                header.correlation_id
            );
            return Err(self.protocol_error(api, detail));
        }
        Ok(cursor.to_vec())
    }

    fn decode<T: Decodable>(
        &self,
        api: ApiKey,
        body: &[u8],
        version: i16,
    ) -> Result<T, MembershipError> {
        let mut cursor = body;
        T::decode(&mut cursor, version)
            .map_err(|e| self.protocol_error(api, format!("decode v{version}: {e}")))
    }

    fn protocol_error(&self, api: ApiKey, detail: String) -> MembershipError {
        MembershipError::Protocol {
            broker: self.broker().to_string(),
            api,
            detail,
        }
    }
}
