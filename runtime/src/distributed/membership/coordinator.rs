//! Finding a group's coordinator and connecting to it.

use std::time::Duration;

use kafka_protocol::messages::{ApiKey, FindCoordinatorRequest};
use kafka_protocol::protocol::StrBytes;
use tokio_util::sync::CancellationToken;

use super::MembershipConfig;
use super::connection::{Connection, FIND_COORDINATOR_VERSIONS, NegotiatedVersions};
use super::error::{MembershipError, codes};

/// FindCoordinator key type for consumer-style groups (as opposed to transactions).
const KEY_TYPE_GROUP: i8 = 0;

/// A connection to the group's coordinator and the versions it speaks.
pub(super) struct Coordinator {
    pub(super) connection: Connection,
    pub(super) versions: NegotiatedVersions,
}

/// Finds the coordinator through the bootstrap brokers, trying the next one when a broker
/// cannot be reached.
pub(super) async fn locate(
    config: &MembershipConfig,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<Coordinator, MembershipError> {
    let mut last_error = MembershipError::NoBootstrap;
    for address in &config.bootstrap {
        match with_cancel(cancel, locate_via(config, address, timeout)).await {
            Ok(coordinator) => return Ok(coordinator),
            Err(error @ (MembershipError::Io { .. } | MembershipError::Timeout { .. })) => {
                tracing::debug!(broker = %address, %error, "bootstrap broker unavailable");
                last_error = error;
            }
            Err(error) => return Err(error),
        }
    }
    Err(last_error)
}

/// Asks `address` for the coordinator and connects to it, reusing the connection when the
/// broker asked is the coordinator.
async fn locate_via(
    config: &MembershipConfig,
    address: &str,
    timeout: Duration,
) -> Result<Coordinator, MembershipError> {
    let client_id = &config.client_id;
    let mut bootstrap = Connection::open(address, client_id, timeout).await?;
    let coordinator = coordinator_address(&mut bootstrap, &config.group_id, timeout).await?;
    let connection = if coordinator == bootstrap.broker() {
        bootstrap
    } else {
        Connection::open(&coordinator, client_id, timeout).await?
    };
    let versions = connection.negotiated_versions()?;
    tracing::debug!(group = %config.group_id, %coordinator, ?versions, "found coordinator");
    Ok(Coordinator {
        connection,
        versions,
    })
}

/// Asks a broker which broker coordinates `group_id`, as `host:port`.
async fn coordinator_address(
    connection: &mut Connection,
    group_id: &str,
    timeout: Duration,
) -> Result<String, MembershipError> {
    let api = ApiKey::FindCoordinator;
    let version = connection.version(api, FIND_COORDINATOR_VERSIONS)?;
    let key = StrBytes::from_string(group_id.to_string());
    let request = FindCoordinatorRequest::default().with_key_type(KEY_TYPE_GROUP);
    // v4 replaced the single key with a batch of keys.
    let request = if version >= 4 {
        request.with_coordinator_keys(vec![key])
    } else {
        request.with_key(key)
    };
    let response = connection.send(&request, version, timeout).await?;
    let (code, host, port) = if version >= 4 {
        let entry = response
            .coordinators
            .first()
            .ok_or_else(|| MembershipError::Protocol {
                broker: connection.broker().to_string(),
                api,
                detail: "FindCoordinator answered no coordinator".to_string(),
            })?;
        (entry.error_code, entry.host.to_string(), entry.port)
    } else {
        (
            response.error_code,
            response.host.to_string(),
            response.port,
        )
    };
    if code != codes::NONE {
        return Err(MembershipError::Kafka { api, code });
    }
    Ok(host_port(&host, port))
}

/// `host:port`, with IPv6 literals bracketed.
fn host_port(host: &str, port: i32) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Runs `work` unless `cancel` fires first.
pub(super) async fn with_cancel<T>(
    cancel: &CancellationToken,
    work: impl Future<Output = Result<T, MembershipError>>,
) -> Result<T, MembershipError> {
    tokio::select! {
        biased;
        () = cancel.cancelled() => Err(MembershipError::Cancelled),
        result = work => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_coordinators_are_bracketed() {
        assert_eq!(host_port("127.0.0.1", 9092), "127.0.0.1:9092");
        assert_eq!(host_port("::1", 9092), "[::1]:9092");
    }
}
