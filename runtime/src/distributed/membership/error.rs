//! Membership errors, and what each Kafka error code means to a Sluice worker in the group.

use std::time::Duration;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::ApiKey;

/// Kafka error codes the group protocol answers with, and what Sluice does on each.
pub mod codes {
    /// No error.
    pub const NONE: i16 = 0;
    /// The broker hit an unexpected error; the request may be retried.
    pub const UNKNOWN_SERVER_ERROR: i16 = -1;
    /// The broker gave up waiting on the request; retry.
    pub const REQUEST_TIMED_OUT: i16 = 7;
    /// The coordinator is still loading the group's state: back off and retry.
    pub const COORDINATOR_LOAD_IN_PROGRESS: i16 = 14;
    /// No coordinator for the group yet (or it is moving): find it again and retry.
    pub const COORDINATOR_NOT_AVAILABLE: i16 = 15;
    /// The broker asked is not the group's coordinator: find it again and retry.
    pub const NOT_COORDINATOR: i16 = 16;
    /// The member's generation is over (the group rebalanced without it): the member keeps its
    /// id but must rejoin before it may do work again.
    pub const ILLEGAL_GENERATION: i16 = 22;
    /// The group already has members with another protocol type (say `consumer`), or none of
    /// the offered protocols is supported by every member: fatal for this worker.
    pub const INCONSISTENT_GROUP_PROTOCOL: i16 = 23;
    /// The group id is empty or otherwise rejected: fatal.
    pub const INVALID_GROUP_ID: i16 = 24;
    /// The coordinator does not know the member (its session expired or it left): forget the
    /// member id and join as a new member.
    pub const UNKNOWN_MEMBER_ID: i16 = 25;
    /// The session timeout is outside the broker's allowed range: fatal configuration error.
    pub const INVALID_SESSION_TIMEOUT: i16 = 26;
    /// The group is rebalancing: every member must rejoin (JoinGroup) to stay in the group.
    pub const REBALANCE_IN_PROGRESS: i16 = 27;
    /// The worker may not join this group: fatal.
    pub const GROUP_AUTHORIZATION_FAILED: i16 = 30;
    /// The broker does not support the request version sent.
    pub const UNSUPPORTED_VERSION: i16 = 35;
    /// First JoinGroup of a new member (v4+): the broker hands out a member id in the response
    /// and expects the join to be sent again with it.
    pub const MEMBER_ID_REQUIRED: i16 = 79;
    /// The group is full (`group.max.size`): fatal for this worker.
    pub const GROUP_MAX_SIZE_REACHED: i16 = 81;
    /// Another member took over this member's static instance id: this member is out for good.
    pub const FENCED_INSTANCE_ID: i16 = 82;
}

/// The name Kafka gives an error code, for messages.
pub fn code_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        None => "NONE".to_string(),
        Some(ResponseError::Unknown(code)) => format!("unknown error {code}"),
        Some(known) => format!("{known:?}"),
    }
}

/// Whether retrying (after finding the coordinator again or rejoining, as the code says) may
/// succeed.
pub fn code_is_retriable(code: i16) -> bool {
    use codes::*;
    matches!(
        code,
        UNKNOWN_SERVER_ERROR
            | REQUEST_TIMED_OUT
            | COORDINATOR_LOAD_IN_PROGRESS
            | COORDINATOR_NOT_AVAILABLE
            | NOT_COORDINATOR
            | ILLEGAL_GENERATION
            | UNKNOWN_MEMBER_ID
            | REBALANCE_IN_PROGRESS
            | MEMBER_ID_REQUIRED
    )
}

/// Whether the code says the broker asked is not (or not yet) the group's coordinator.
pub fn code_means_coordinator_moved(code: i16) -> bool {
    use codes::*;
    matches!(
        code,
        COORDINATOR_LOAD_IN_PROGRESS | COORDINATOR_NOT_AVAILABLE | NOT_COORDINATOR
    )
}

/// A failure of group membership.
#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    /// The TCP connection to a broker failed.
    #[error("broker {broker}: {source}")]
    Io {
        broker: String,
        #[source]
        source: std::io::Error,
    },
    /// A broker did not answer within the time the request allows.
    #[error("broker {broker} did not answer {api:?} within {after:?}")]
    Timeout {
        broker: String,
        api: ApiKey,
        after: Duration,
    },
    /// A frame could not be encoded or decoded, or did not match the request.
    #[error("broker {broker}: malformed {api:?} exchange: {detail}")]
    Protocol {
        broker: String,
        api: ApiKey,
        detail: String,
    },
    /// The broker supports no version of an API that Sluice implements.
    #[error("broker {broker} supports {api:?} versions {theirs}, Sluice implements {ours}")]
    UnsupportedVersion {
        broker: String,
        api: ApiKey,
        theirs: String,
        ours: String,
    },
    /// The broker answered with a Kafka error code (see [`codes`]).
    #[error("{api:?} failed with Kafka error {code} ({})", code_name(*code))]
    Kafka { api: ApiKey, code: i16 },
    /// No bootstrap address was configured.
    #[error("no bootstrap servers configured")]
    NoBootstrap,
    /// The call needs a generation, but the member has not joined one (or was fenced).
    #[error("{api:?} needs a joined generation; the member has none")]
    NotJoined { api: ApiKey },
    /// A sync named a generation other than the member's current one.
    #[error("sync for generation {requested} but the member is in generation {current}")]
    StaleGeneration { requested: i32, current: i32 },
    /// The member's cancellation token fired.
    #[error("group membership cancelled")]
    Cancelled,
}

impl MembershipError {
    /// Whether trying again (re-finding the coordinator or rejoining) may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            MembershipError::Io { .. } | MembershipError::Timeout { .. } => true,
            MembershipError::Kafka { code, .. } => code_is_retriable(*code),
            MembershipError::StaleGeneration { .. } | MembershipError::NotJoined { .. } => true,
            MembershipError::Protocol { .. }
            | MembershipError::UnsupportedVersion { .. }
            | MembershipError::NoBootstrap
            | MembershipError::Cancelled => false,
        }
    }

    /// Whether the member must go through JoinGroup again before its work is valid.
    pub fn needs_rejoin(&self) -> bool {
        match self {
            MembershipError::Kafka { code, .. } => matches!(
                *code,
                codes::ILLEGAL_GENERATION
                    | codes::UNKNOWN_MEMBER_ID
                    | codes::REBALANCE_IN_PROGRESS
                    | codes::FENCED_INSTANCE_ID
            ),
            MembershipError::StaleGeneration { .. } | MembershipError::NotJoined { .. } => true,
            _ => false,
        }
    }

    /// The Kafka error code, when the broker answered with one.
    pub fn kafka_code(&self) -> Option<i16> {
        match self {
            MembershipError::Kafka { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether the connection the error came from can no longer be trusted (a response may be
    /// half read or still in flight).
    pub(crate) fn breaks_connection(&self) -> bool {
        matches!(
            self,
            MembershipError::Io { .. }
                | MembershipError::Timeout { .. }
                | MembershipError::Protocol { .. }
                | MembershipError::Cancelled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebalance_and_fencing_codes_ask_for_a_rejoin() {
        for code in [
            codes::REBALANCE_IN_PROGRESS,
            codes::ILLEGAL_GENERATION,
            codes::UNKNOWN_MEMBER_ID,
        ] {
            let error = MembershipError::Kafka {
                api: ApiKey::Heartbeat,
                code,
            };
            assert!(error.is_retriable() && error.needs_rejoin(), "{error}");
        }
    }

    #[test]
    fn configuration_errors_are_fatal() {
        for code in [
            codes::INCONSISTENT_GROUP_PROTOCOL,
            codes::INVALID_SESSION_TIMEOUT,
            codes::GROUP_AUTHORIZATION_FAILED,
        ] {
            let error = MembershipError::Kafka {
                api: ApiKey::JoinGroup,
                code,
            };
            assert!(!error.is_retriable(), "{error}");
        }
    }

    #[test]
    fn messages_name_the_code() {
        let error = MembershipError::Kafka {
            api: ApiKey::Heartbeat,
            code: 27,
        };
        assert_eq!(
            error.to_string(),
            "Heartbeat failed with Kafka error 27 (RebalanceInProgress)"
        );
    }
}
